"""Coverage of the gap estimators' intervals on synthetic ecosystems with a known lag.

An ecosystem: closed models released at random over three years, true capabilities on a rising
trend with scatter; the open group is every closed model again, released ``shift`` months later
(so on the true values the lag, the trend lag and every catch-up are exactly ``shift``). A fit
is mimicked: each model's estimate is its true capability plus noise of its own standard error
(larger for models missing benchmarks), and the "bootstrap draws" are the estimate plus fresh
noise of that size. Each estimator's 90% interval then either covers ``shift`` or not; over
replications the share that does is its coverage.

:func:`coverage_table` is what ``tests/analysis/test_coverage.py`` checks (80–97%) and what
``benchmarks/bench_coverage.py`` prints with more replications.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opengap.analysis.catchup import catch_up, catch_up_lags, lag_summary, resampled_pairs
from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray
from opengap.analysis.intervals import Interval, basic_interval
from opengap.analysis.lag import gap_and_lag
from opengap.analysis.trend import trend_lag

ESTIMATORS = ("lag", "trend", "catch-up")


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
    return Ecosystem(days, cv, cw, open_days, ov, ow, at, shift)


def estimate(eco: Ecosystem, estimator: str) -> Interval:
    """Return one estimator's lag (months) with its 90% interval on ``eco``."""
    if estimator == "lag":
        return gap_and_lag(eco.closed_days, eco.closed_values, eco.open_days, eco.open_values,
                           eco.at, lead_draws=eco.closed_draws,
                           trail_draws=eco.open_draws).lag_months
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


def coverage_table(
    shifts: tuple[float, ...] = (3.0, 6.0, 9.0),
    replications: int = 100,
    *,
    seed: int = 0,
    n_draws: int = 200,
) -> pd.DataFrame:
    """Return one row per (estimator, shift): coverage of the 90% interval, bias, width."""
    rng = np.random.default_rng(seed)
    rows = []
    hits: dict[tuple[str, float], list[Interval]] = {}
    for shift in shifts:
        for _ in range(replications):
            eco = ecosystem(shift, rng, n_draws=n_draws)
            for name in ESTIMATORS:
                hits.setdefault((name, shift), []).append(estimate(eco, name))
    for (name, shift), results in hits.items():
        values = np.asarray([r.value for r in results])
        low = np.asarray([r.ci_low for r in results])
        high = np.asarray([r.ci_high for r in results])
        ok = np.isfinite(values) & np.isfinite(low) & np.isfinite(high)
        covered = (low <= shift) & (shift <= high) & ok
        pinned = ok & ((values == low) | (values == high))
        rows.append({"estimator": name, "shift_months": shift, "replications": len(results),
                     "defined": int(ok.sum()), "coverage": float(covered.sum() / max(ok.sum(), 1)),
                     "on_a_bound": float(pinned.sum() / max(ok.sum(), 1)),
                     "mean_estimate": float(np.nanmean(values)),
                     "mean_width": float(np.nanmean(high - low))})
    return pd.DataFrame(rows)
