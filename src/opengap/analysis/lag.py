"""Vertical gap and lag between a leading group's frontier and a trailing group's.

For a time t, with F_lead and F_trail the two frontiers (:mod:`opengap.analysis.frontier`):

- vertical gap V(t) = F_lead(t) − F_trail(t), in the values' units;
- lag L(t) = t − (first day F_lead reached F_trail(t)), in months (days / 365 × 12).
  When the trailing group is ahead (V < 0) the lag is negative: minus the time since the
  trailing frontier first reached F_lead(t), so the lag is antisymmetric in the two groups;
- significance-aware lag (Epoch, 2026): counted from the first day on which the leading
  frontier had significantly reached F_trail(t) — F_lead ≥ F_trail(t) in at least 95% of the
  bootstrap draws, the one-sided reading of a 90% interval — so it is 0 when that is not so
  even at t. Because the leading frontier only rises, that day is the 95th percentile of the
  per-draw "first reached" days, and this lag is (up to percentile interpolation) the lower
  end of the plain lag's 90% interval; without noise it equals the plain lag. Epoch phrase it
  as "the most recent date on which the SOTA was not significantly better"; counting from
  the day before that first significant day, as their wording does, would add one day, and
  using a strict ">" would, on exact ties, start the count at the next leading release.

Point estimates come from the point capabilities; intervals come from the same statistic
computed on each bootstrap draw (frontiers recomputed per draw): the 5th–95th percentiles for
the vertical gap. The lag is a step function (it only takes the values of the leading group's
release dates), so many draws give exactly the point's value and a percentile bound coincides
with it; its spread is taken from a smoothed twin, the first day the leading frontier reached
the level *interpolated between consecutive record-setters*
(:func:`~opengap.analysis.smoothing.interpolated_reach`, continuous in the capabilities), and
placed around the point as the draws' spread about their median
(:func:`~opengap.analysis.intervals.recentred_interval`) — the draws' frontiers are maxima of
noisier values, so their lags run short and a plain percentile interval ends at the point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from opengap.analysis.frontier import (
    DAYS_PER_MONTH,
    FloatArray,
    best_index,
    first_reach,
    from_days,
    frontier_at,
)
from opengap.analysis.intervals import LEVEL, Interval, interval, recentred_interval
from opengap.analysis.smoothing import interpolated_reach


@dataclass(frozen=True)
class Lag:
    """The gap between two groups at one time.

    Attributes
    ----------
    at : float
        The time (days since 1970).
    vertical_gap : Interval
        F_lead(at) − F_trail(at).
    lag_months : Interval
        The lag in months (the significance-aware lag when ``significance``).
    lead_best, trail_best : int or None
        Index (into the group's arrays) of the best model released by ``at``.
    significance : bool
        Whether ``lag_months.value`` is the significance-aware lag.
    censored : bool
        The significance-aware lag reached back to the leading group's first model, so it
        is a lower bound.
    probability_behind : float
        Fraction of draws in which F_trail(at) < F_lead(at) (NaN without draws).
    """

    at: float
    vertical_gap: Interval
    lag_months: Interval
    lead_best: int | None
    trail_best: int | None
    significance: bool = False
    censored: bool = False
    probability_behind: float = float("nan")


def _gap_lag_days(
    lead_days: FloatArray,
    lead_values: FloatArray,
    trail_days: FloatArray,
    trail_values: FloatArray,
    t: float,
    *,
    smooth: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Return (vertical gap, lag in days) at ``t``; per draw when values are 2-D.

    ``smooth``: the first-reach day interpolated between record-setters (for intervals).
    """
    reach = interpolated_reach if smooth else first_reach
    f_lead = frontier_at(lead_days, lead_values, t)[..., 0]
    f_trail = frontier_at(trail_days, trail_values, t)[..., 0]
    gap = np.asarray(f_lead - f_trail, dtype=float)
    defined = np.isfinite(gap)
    safe_trail = np.where(np.isfinite(f_trail), f_trail, np.inf)
    safe_lead = np.where(np.isfinite(f_lead), f_lead, np.inf)
    behind = t - reach(lead_days, lead_values, safe_trail)
    ahead = -(t - reach(trail_days, trail_values, safe_lead))
    lag = np.where(gap >= 0, behind, ahead)
    return gap, np.where(defined, lag, np.nan)


def _check(days: npt.ArrayLike, values: npt.ArrayLike, draws: npt.ArrayLike | None) -> tuple[
    FloatArray, FloatArray, FloatArray | None
]:
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    if d.shape != v.shape or d.ndim != 1:
        raise ValueError("days and values must be 1-D arrays of the same length")
    if draws is None:
        return d, v, None
    w = np.asarray(draws, dtype=float)
    if w.ndim != 2 or w.shape[1] != d.size:
        raise ValueError(f"draws must have shape (n_draws, {d.size}), not {w.shape}")
    return d, v, w


def gap_and_lag(
    lead_days: npt.ArrayLike,
    lead_values: npt.ArrayLike,
    trail_days: npt.ArrayLike,
    trail_values: npt.ArrayLike,
    at: float,
    *,
    lead_draws: npt.ArrayLike | None = None,
    trail_draws: npt.ArrayLike | None = None,
    significance: bool = False,
    level: float = LEVEL,
) -> Lag:
    """Return the vertical gap and the lag of the trailing group behind the leader at ``at``.

    Parameters
    ----------
    lead_days, lead_values : arrays of shape (n_lead,)
        Release days and point capabilities of the leading (reference) group, e.g. closed.
    trail_days, trail_values : arrays of shape (n_trail,)
        The same for the trailing group, e.g. open.
    at : float
        Day at which to measure.
    lead_draws, trail_draws : arrays of shape (n_draws, n_lead) / (n_draws, n_trail), optional
        Bootstrap draws (same draws, same order, for both groups) for the intervals.
    significance : bool
        Report the significance-aware lag (see the module docstring) instead of the plain lag.
        Without draws the comparison is a strict one on the point estimates.
    level : float
        Interval level (0.9: 5th–95th percentile; significance at (1 + level) / 2).

    Returns
    -------
    Lag
        NaN gap and lag when either group has no model released by ``at``.

    Examples
    --------
    >>> lag = gap_and_lag([0, 365], [1.0, 2.0], [365], [1.0], 365.0)
    >>> round(lag.lag_months.value, 6), lag.vertical_gap.value
    (12.0, 1.0)
    """
    ld, lv, lw = _check(lead_days, lead_values, lead_draws)
    td, tv, tw = _check(trail_days, trail_values, trail_draws)
    gap, lag = _gap_lag_days(ld, lv, td, tv, at)
    gap_draws = lag_draws = None
    prob = float("nan")
    if lw is not None and tw is not None:
        if lw.shape[0] != tw.shape[0]:
            raise ValueError("lead and trail draws must have the same number of draws")
        gap_draws, lag_draws = _gap_lag_days(ld, lw, td, tw, at, smooth=not significance)
        prob = float(np.mean(gap_draws > 0)) if np.isfinite(gap_draws).any() else prob
    lag_value = float(lag) / DAYS_PER_MONTH
    censored = False
    if significance and np.isfinite(gap):
        sig_days, censored = significance_lag(
            ld, lw if lw is not None else lv[None, :], td,
            tw if tw is not None else tv[None, :], at, level=level,
        )  # fmt: skip
        lag_value = sig_days / DAYS_PER_MONTH
    months_draws = None if lag_draws is None else lag_draws / DAYS_PER_MONTH
    return Lag(
        at=float(at),
        vertical_gap=interval(float(gap), gap_draws, level),
        lag_months=(interval(lag_value, months_draws, level) if significance
                    else recentred_interval(lag_value, months_draws, level)),
        lead_best=best_index(ld, lv, at),
        trail_best=best_index(td, tv, at),
        significance=significance,
        censored=censored,
        probability_behind=prob,
    )


def significance_lag(
    lead_days: npt.ArrayLike,
    lead_draws: npt.ArrayLike,
    trail_days: npt.ArrayLike,
    trail_draws: npt.ArrayLike,
    at: float,
    *,
    level: float = LEVEL,
) -> tuple[float, bool]:
    """Return (days, censored): time since the leader significantly reached the trailer.

    "Significantly reached at τ" means F_lead(τ) ≥ F_trail(at) in at least (1 + level) / 2 of
    the draws (95% for a 90% level). The result is 0 when that does not hold at ``at``;
    ``censored`` is True when it already held at the leader's first release (the lag is
    then a lower bound).

    Examples
    --------
    >>> significance_lag([0, 100], [[1.0, 3.0]], [150], [[2.0]], 150.0)
    (50.0, False)
    """
    ld = np.asarray(lead_days, dtype=float)
    lw = np.atleast_2d(np.asarray(lead_draws, dtype=float))
    td = np.asarray(trail_days, dtype=float)
    tw = np.atleast_2d(np.asarray(trail_draws, dtype=float))
    f_trail = frontier_at(td, tw, at)[:, 0]
    candidates = np.unique(ld[ld <= at])
    if candidates.size == 0 or not np.isfinite(f_trail).any():
        return float("nan"), False
    f_lead = frontier_at(ld, lw, candidates)
    better = np.mean(f_lead >= f_trail[:, None], axis=0)
    significant = better >= (1.0 + level) / 2.0 - 1e-12
    if not significant[-1]:
        return 0.0, False
    first = int(np.argmax(significant))
    return float(at - candidates[first]), first == 0


def lag_series(
    lead_days: npt.ArrayLike,
    lead_values: npt.ArrayLike,
    trail_days: npt.ArrayLike,
    trail_values: npt.ArrayLike,
    times: npt.ArrayLike,
    *,
    lead_draws: npt.ArrayLike | None = None,
    trail_draws: npt.ArrayLike | None = None,
    significance: bool = False,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Return the gap and lag at each time, one row per time, for charts.

    Columns: ``date`` (a ``datetime.date``), ``vertical_gap``, ``vertical_gap_low``,
    ``vertical_gap_high``, ``lag_months``, ``lag_low``, ``lag_high``. Times at which either
    group has no model yet are left out.
    """
    rows = []
    for t in np.atleast_1d(np.asarray(times, dtype=float)):
        lag = gap_and_lag(
            lead_days, lead_values, trail_days, trail_values, float(t),
            lead_draws=lead_draws, trail_draws=trail_draws, significance=significance,
            level=level,
        )  # fmt: skip
        if not np.isfinite(lag.vertical_gap.value):
            continue
        rows.append({
            "date": from_days(float(t)),
            "vertical_gap": lag.vertical_gap.value,
            "vertical_gap_low": lag.vertical_gap.ci_low,
            "vertical_gap_high": lag.vertical_gap.ci_high,
            "lag_months": lag.lag_months.value,
            "lag_low": lag.lag_months.ci_low,
            "lag_high": lag.lag_months.ci_high,
        })  # fmt: skip
    columns = ["date", "vertical_gap", "vertical_gap_low", "vertical_gap_high",
               "lag_months", "lag_low", "lag_high"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
