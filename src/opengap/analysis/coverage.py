"""Coverage of the gap estimators' intervals on synthetic ecosystems with a known lag.

An ecosystem: closed models released at random over three years, true capabilities on a rising
trend with scatter; the open group is every closed model again, released ``shift`` months later
(so on the true values the lag, the trend lag and every catch-up are exactly ``shift``). A fit
is mimicked: each model's estimate is its true capability plus noise of its own standard error
(larger for models missing benchmarks), and the "bootstrap draws" are the estimate plus fresh
noise of that size. Each estimator's 90% interval then either covers its target or not; over
replications the share that does is its coverage.

Targets: ``shift`` for the lag, the trend lag and the catch-up. Epoch's significance-aware lag
(``significance``) is shorter than the lag by design (a near-tie counts as caught up), so it
estimates something else: its target is the same statistic computed with the *true*
capabilities as the point and the fit's uncertainty around them (true values plus the draws'
deviations from the estimates); its coverage of ``shift`` is reported beside it.

Besides coverage, the table counts how often a point sits on a bound of its own interval
(``on_a_bound``), leaving out the significance-aware lag's points at 0, its floor, where the
interval starts at 0 by definition (``at_zero``).

:func:`coverage_table` is what ``tests/analysis/test_coverage.py`` checks (80–97%) and what
``benchmarks/bench_coverage.py`` prints with more replications.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opengap.analysis.catchup import catch_up, catch_up_lags, lag_summary, resampled_pairs
from opengap.analysis.epoch_gap import epoch_gap
from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray
from opengap.analysis.intervals import Interval, basic_interval
from opengap.analysis.lag import gap_and_lag
from opengap.analysis.trend import trend_lag

ESTIMATORS = ("lag", "significance", "trend", "catch-up")


@dataclass(frozen=True)
class Ecosystem:
    """Point estimates and draws of a synthetic catalogue with a known lag."""

    closed_days: FloatArray
    closed_values: FloatArray
    closed_draws: FloatArray
    open_days: FloatArray
    open_values: FloatArray
    open_draws: FloatArray
    at: float
    shift: float
    closed_truth: FloatArray
    open_truth: FloatArray


def ecosystem(
    shift: float,
    rng: np.random.Generator,
    *,
    n_closed: int = 60,
    years: float = 3.0,
    slope_per_month: float = 1.0,
    scatter: float = 3.0,
    se: float = 1.5,
    missing_share: float = 0.3,
    n_draws: int = 200,
) -> Ecosystem:
    """Return one synthetic ecosystem (see the module docstring).

    ``scatter`` (points) spreads models below the trend (most models are not frontier models);
    ``se`` is a fully measured model's standard error, times 1–3 for the ``missing_share`` of
    models that lack benchmarks.
    """
    span = years * 365.0
    days = np.sort(rng.uniform(0, span, n_closed))
    truth = slope_per_month * days / DAYS_PER_MONTH - np.abs(rng.normal(0, scatter, n_closed))
    shift_days = shift * DAYS_PER_MONTH
    keep = days + shift_days <= span
    open_days, open_truth = days[keep] + shift_days, truth[keep]

    def measure(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        sd = se * np.where(rng.random(values.size) < missing_share,
                           rng.uniform(1, 3, values.size), 1.0)
        estimate = values + rng.normal(0, 1, values.size) * sd
        draws = estimate + rng.normal(0, 1, (n_draws, values.size)) * sd
        return estimate, draws

    cv, cw = measure(truth)
    ov, ow = measure(open_truth)
    at = float(open_days.max())
    return Ecosystem(days, cv, cw, open_days, ov, ow, at, shift, truth, open_truth)


def estimate(eco: Ecosystem, estimator: str) -> Interval:
    """Return one estimator's lag (months) with its 90% interval on ``eco``."""
    if estimator == "lag":
        return gap_and_lag(eco.closed_days, eco.closed_values, eco.open_days, eco.open_values,
                           eco.at, lead_draws=eco.closed_draws,
                           trail_draws=eco.open_draws).lag_months
    if estimator == "significance":
        return epoch_gap(eco.closed_days, eco.closed_values, eco.closed_draws, eco.open_days,
                         eco.open_values, eco.open_draws, [eco.at]).lag_months
    if estimator == "trend":
        return trend_lag(eco.closed_days, eco.closed_values, eco.open_days, eco.open_values,
                         eco.at, lead_draws=eco.closed_draws,
                         trail_draws=eco.open_draws).lag_months
    if estimator == "catch-up":
        result = catch_up(np.arange(eco.closed_days.size), eco.closed_days, eco.closed_values,
                          np.arange(eco.open_days.size), eco.open_days, eco.open_values,
                          data_end=eco.at)
        lags = catch_up_lags(eco.closed_days, eco.closed_draws, eco.open_days, eco.open_draws)
        per_draw = lag_summary(resampled_pairs(lags))
        return basic_interval(result.summary()["mean_lag_months"], per_draw["mean_lag_months"])
    raise ValueError(f"unknown estimator {estimator!r}")


def target(eco: Ecosystem, estimator: str) -> float:
    """Return the value ``estimator``'s interval should cover on ``eco`` (see the module)."""
    if estimator != "significance":
        return eco.shift
    closed = eco.closed_truth + (eco.closed_draws - eco.closed_values)
    opened = eco.open_truth + (eco.open_draws - eco.open_values)
    return epoch_gap(eco.closed_days, eco.closed_truth, closed, eco.open_days, eco.open_truth,
                     opened, [eco.at], max_outer=0).lag_months.value


def coverage_table(
    shifts: tuple[float, ...] = (3.0, 6.0, 9.0),
    replications: int = 100,
    *,
    seed: int = 0,
    n_draws: int = 200,
) -> pd.DataFrame:
    """Return one row per (estimator, shift): coverage of the 90% interval, bias, width.

    Columns: ``estimator``, ``shift_months``, ``replications``, ``defined`` (ecosystems with a
    finite estimate, interval and target), ``coverage`` (of the estimator's target),
    ``coverage_of_shift``, ``on_a_bound`` (the point on a bound of its interval, points at the
    significance-aware lag's floor 0 left out), ``at_zero``, ``mean_target``,
    ``mean_estimate``, ``mean_width``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    hits: dict[tuple[str, float], list[tuple[Interval, float]]] = {}
    for shift in shifts:
        for _ in range(replications):
            eco = ecosystem(shift, rng, n_draws=n_draws)
            for name in ESTIMATORS:
                hits.setdefault((name, shift), []).append((estimate(eco, name),
                                                           target(eco, name)))
    for (name, shift), results in hits.items():
        values = np.asarray([r.value for r, _ in results])
        low = np.asarray([r.ci_low for r, _ in results])
        high = np.asarray([r.ci_high for r, _ in results])
        truth = np.asarray([t for _, t in results])
        ok = np.isfinite(values) & np.isfinite(low) & np.isfinite(high) & np.isfinite(truth)
        n = max(int(ok.sum()), 1)
        covered = (low <= truth) & (truth <= high) & ok
        zero = ok & (values == 0) & (name == "significance")
        pinned = ok & ~zero & ((values == low) | (values == high))
        rows.append({"estimator": name, "shift_months": shift, "replications": len(results),
                     "defined": int(ok.sum()), "coverage": float(covered.sum() / n),
                     "coverage_of_shift": float(((low <= shift) & (shift <= high) & ok).sum()
                                                / n),
                     "on_a_bound": float(pinned.sum() / n), "at_zero": float(zero.sum() / n),
                     "mean_target": float(np.nanmean(truth)),
                     "mean_estimate": float(np.nanmean(values)),
                     "mean_width": float(np.nanmean(high - low))})
    return pd.DataFrame(rows)
