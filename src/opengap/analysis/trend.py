"""Trend lag: least-squares lines through each group's frontier models, offset horizontally.

The frontier models of a group are its record-setters
(:func:`opengap.analysis.catchup.record_setters`). With a
shared slope (the default) one regression ``value = a_g + b · t`` gives each group its own
intercept and both one slope; the lag is the horizontal distance between the two parallel
lines, ``(a_lead − a_trail) / b``, the same at every date, and the vertical gap is
``a_lead − a_trail``. With separate slopes each group gets its own line; the lag at ``at`` is
``at`` minus the day the leader's line reached the trailing line's value at ``at``.
A non-positive leading slope leaves the lag undefined (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opengap.analysis.catchup import record_index
from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray
from opengap.analysis.intervals import LEVEL, Interval, interval

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Trend:
    """Trend lines and the lag between them.

    Attributes
    ----------
    lag_months : Interval
        Horizontal offset of the trailing line behind the leading one at ``at``.
    vertical_gap : Interval
        Leading minus trailing line at ``at``.
    lead_slope_per_year, trail_slope_per_year : Interval
        Slopes in value units per year (equal with a shared slope).
    lead_points, trail_points : int
        Number of frontier models each line was fitted to.
    separate_slopes : bool
    at : float
    """

    lag_months: Interval
    vertical_gap: Interval
    lead_slope_per_year: Interval
    trail_slope_per_year: Interval
    lead_points: int
    trail_points: int
    separate_slopes: bool
    at: float


def _points(days: FloatArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (days, values) of the record-setters (same-day ties broken by position)."""
    index = record_index(np.arange(days.size), days, values)
    return days[index], values[index]


def _fit(
    lead: tuple[FloatArray, FloatArray],
    trail: tuple[FloatArray, FloatArray],
    at: float,
    separate: bool,
) -> tuple[float, float, float, float]:
    """Return (lag days, vertical gap, lead slope per day, trail slope per day)."""
    (ld, lv), (td, tv) = lead, trail
    if separate:
        if np.unique(ld).size < 2 or np.unique(td).size < 2:
            return (math.nan,) * 4
        bl, al = np.polyfit(ld - at, lv, 1)
        bt, at_ = np.polyfit(td - at, tv, 1)
        gap = al - at_
        lag = gap / bl if bl > 0 else math.nan
        return float(lag), float(gap), float(bl), float(bt)
    t = np.concatenate([ld, td]) - at
    if np.unique(t).size < 2 or ld.size == 0 or td.size == 0:
        return (math.nan,) * 4
    x = np.column_stack([t, np.r_[np.ones(ld.size), np.zeros(td.size)],
                         np.r_[np.zeros(ld.size), np.ones(td.size)]])  # fmt: skip
    coef, _, rank, _ = np.linalg.lstsq(x, np.concatenate([lv, tv]), rcond=None)
    if rank < 3:
        return (math.nan,) * 4
    b, a_lead, a_trail = (float(c) for c in coef)
    gap = a_lead - a_trail
    return (gap / b if b > 0 else math.nan), gap, b, b


def trend_lag(
    lead_days: npt.ArrayLike,
    lead_values: npt.ArrayLike,
    trail_days: npt.ArrayLike,
    trail_values: npt.ArrayLike,
    at: float,
    *,
    lead_draws: npt.ArrayLike | None = None,
    trail_draws: npt.ArrayLike | None = None,
    separate_slopes: bool = False,
    level: float = LEVEL,
) -> Trend:
    """Fit trend lines through each group's frontier models and return their offset.

    Only models released by ``at`` are used. On each bootstrap draw the frontier models are
    chosen again and the lines refitted, for the intervals.

    Examples
    --------
    >>> days = np.arange(0, 730, 30.0)
    >>> t = trend_lag(days, days / 365, days[6:] , (days[6:] - 180) / 365, 720.0)
    >>> round(t.lag_months.value, 3)
    5.918
    """
    ld = np.asarray(lead_days, dtype=float)
    lv = np.asarray(lead_values, dtype=float)
    td = np.asarray(trail_days, dtype=float)
    tv = np.asarray(trail_values, dtype=float)
    lm, tm = ld <= at, td <= at
    point = _fit(_points(ld[lm], lv[lm]), _points(td[tm], tv[tm]), at, separate_slopes)
    n_lead = _points(ld[lm], lv[lm])[0].size
    n_trail = _points(td[tm], tv[tm])[0].size
    samples: FloatArray | None = None
    if lead_draws is not None and trail_draws is not None:
        lw = np.asarray(lead_draws, dtype=float)[:, lm]
        tw = np.asarray(trail_draws, dtype=float)[:, tm]
        samples = np.asarray([
            _fit(_points(ld[lm], lw[j]), _points(td[tm], tw[j]), at, separate_slopes)
            for j in range(lw.shape[0])
        ], dtype=float).reshape(-1, 4)  # fmt: skip

    def col(i: int, scale: float) -> Interval:
        return interval(point[i] * scale, None if samples is None else samples[:, i] * scale,
                        level)

    return Trend(
        lag_months=col(0, 1.0 / DAYS_PER_MONTH),
        vertical_gap=col(1, 1.0),
        lead_slope_per_year=col(2, DAYS_PER_YEAR),
        trail_slope_per_year=col(3, DAYS_PER_YEAR),
        lead_points=n_lead,
        trail_points=n_trail,
        separate_slopes=separate_slopes,
        at=float(at),
    )
