"""The CAISI trend lag: least-squares lines through each group's frontier, lag to the leader's line.

CAISI (NIST) measures how far one country's models trail another's ("Evaluation of DeepSeek V4",
2026) in four steps, which this module follows:

1. **Frontier per group.** A model is on its group's frontier when its capability is greater
   than that of every earlier model of the same group ("a greater latent capability than any
   previous model from that country"); open and closed models count alike.
2. **Trend lines.** Ordinary least squares ``value = a + b · t`` through each group's frontier
   models released by the measuring date, each group with its own line.
3. **Band.** A 95% Working–Hotelling confidence band around the leading group's line:
   ``ŷ(t) ± W · s · √(1/n + (t − t̄)² / Sxx)`` with ``W = √(2 F(0.95; 2, n − 2))`` — a band
   valid for the whole line at once, which is what a horizontal reading needs.
4. **Lag.** The horizontal distance from a point to the leading group's line: for a model
   released on ``t_m`` with capability ``y_m``, ``lag = t_m − (y_m − a) / b``, the time since
   the leader's trend reached that capability. At a date ``T`` the trailing group is
   represented by its frontier at ``T``: ``lag(T) = T − (F_trail(T) − a) / b``.

Two intervals, reported separately because they answer different questions:

- ``band``: where the horizontal line at ``y`` meets the edges of the 95% Working–Hotelling band
  (the uncertainty of the leader's trend only, capabilities taken as exact);
- ``lag_months`` interval: the 5th–95th percentile of the whole computation (frontiers chosen
  again, lines refitted) on each bootstrap draw of the capabilities — a 90% interval that
  carries the capability uncertainty but not the residual scatter around the line.

The leading group is the one whose frontier is higher at the measuring date. CAISI has not
published code; the choices above (each group its own slope, the trailing frontier at ``T``, OLS
on days) are read from its report's description and said again in ``docs/gap.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from opengap.analysis.catchup import record_index
from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray, frontier_at
from opengap.analysis.intervals import LEVEL, Interval, interval

BAND_LEVEL = 0.95
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Line:
    """A least-squares line ``value = intercept + slope · (t − t_ref)`` and its band terms.

    Attributes
    ----------
    intercept, slope : float
        At ``t_ref`` (days), slope per day.
    t_ref : float
        The day the intercept refers to.
    n : int
        Frontier models the line was fitted to.
    mean_t, sxx, resid_sd : float
        Mean day, Σ(t − t̄)², residual standard deviation (n − 2 degrees of freedom).
    """

    intercept: float
    slope: float
    t_ref: float
    n: int
    mean_t: float
    sxx: float
    resid_sd: float

    def value(self, t: npt.ArrayLike) -> FloatArray:
        """Return the line's value at days ``t``."""
        return np.asarray(self.intercept + self.slope * (np.asarray(t, dtype=float) - self.t_ref),
                          dtype=float)

    def reached(self, y: float) -> float:
        """Return the day the line reaches ``y`` (NaN when the slope is not positive)."""
        if not self.slope > 0:
            return math.nan
        return float(self.t_ref + (y - self.intercept) / self.slope)

    def half_width(self, t: npt.ArrayLike, level: float = BAND_LEVEL) -> FloatArray:
        """Return the Working–Hotelling half-width at days ``t`` (NaN with fewer than 3 points)."""
        tt = np.asarray(t, dtype=float)
        if self.n < 3 or not self.sxx > 0:
            return np.full(tt.shape, np.nan)
        w = math.sqrt(2.0 * float(stats.f.ppf(level, 2, self.n - 2)))
        se = self.resid_sd * np.sqrt(1.0 / self.n + (tt - self.mean_t) ** 2 / self.sxx)
        return np.asarray(w * se, dtype=float)


@dataclass(frozen=True)
class CaisiTrend:
    """The CAISI trend lag of a trailing group behind a leading one at one date.

    Attributes
    ----------
    at : float
        The measuring day.
    lag_months : Interval
        ``at − (F_trail(at) − a) / b`` in months; interval from the bootstrap draws (90%).
    band_months : Interval
        The same lag with the bounds where the 95% Working–Hotelling band meets the horizontal
        line at ``F_trail(at)`` (NaN bounds where the band does not close).
    vertical_gap : Interval
        Leading line at ``at`` minus ``F_trail(at)``; interval from the draws.
    lead_slope_per_year, trail_slope_per_year : Interval
        The two lines' slopes per year.
    lead_points, trail_points : int
        Frontier models on each line.
    trail_best : int or None
        Index of the trailing group's best model released by ``at``.
    model_lag_months : float
        The lag of that model at its own release (``t_m − (y_m − a) / b``).
    lead_line, trail_line : Line or None
    """

    at: float
    lag_months: Interval
    band_months: Interval
    vertical_gap: Interval
    lead_slope_per_year: Interval
    trail_slope_per_year: Interval
    lead_points: int
    trail_points: int
    trail_best: int | None
    model_lag_months: float
    lead_line: Line | None
    trail_line: Line | None


def frontier_points(days: FloatArray, values: FloatArray) -> npt.NDArray[np.intp]:
    """Return the indices of a group's frontier models (record-setters) in date order."""
    return record_index(np.arange(days.size), days, values)


def fit_line(days: FloatArray, values: FloatArray, t_ref: float) -> Line | None:
    """Return the least-squares line through ``(days, values)``, or None with < 2 distinct days."""
    if np.unique(days).size < 2:
        return None
    slope, intercept = np.polyfit(days - t_ref, values, 1)
    resid = values - (intercept + slope * (days - t_ref))
    n = int(days.size)
    resid_sd = float(np.sqrt(resid @ resid / (n - 2))) if n > 2 else math.nan
    mean_t = float(days.mean())
    return Line(float(intercept), float(slope), float(t_ref), n, mean_t,
                float(((days - mean_t) ** 2).sum()), resid_sd)


def band_crossings(line: Line, y: float, level: float = BAND_LEVEL) -> tuple[float, float]:
    """Return (earliest, latest) days where the band's upper and lower edges reach ``y``.

    The upper edge reaches ``y`` first (the earliest day the leader's trend may have got
    there), the lower edge last. NaN where an edge never reaches ``y`` (a band that does not
    close at that height: the slope is not significantly positive there).
    """
    if line.n < 3 or not line.slope > 0 or not math.isfinite(line.resid_sd):
        return math.nan, math.nan
    w2 = 2.0 * float(stats.f.ppf(level, 2, line.n - 2))
    s2 = line.resid_sd**2
    # (y − ŷ(t))² = W² s² (1/n + (t − t̄)²/Sxx), ŷ(t) = c + b (t − t̄): a quadratic in u = t − t̄.
    c = float(line.value(line.mean_t))
    b = line.slope
    d = y - c
    qa = b * b - w2 * s2 / line.sxx
    qb = -2.0 * b * d
    qc = d * d - w2 * s2 / line.n
    if qa <= 0:
        return math.nan, math.nan  # the band widens faster than the line rises: it never closes
    disc = qb * qb - 4 * qa * qc
    if disc < 0:
        return math.nan, math.nan
    root = math.sqrt(disc)
    u1, u2 = (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)
    return line.mean_t + u1, line.mean_t + u2


def _one(
    ld: FloatArray, lv: FloatArray, td: FloatArray, tv: FloatArray, at: float
) -> tuple[float, float, float, float, Line | None, Line | None, float]:
    """Return (lag days, vertical gap, lead slope, trail slope, lead line, trail line, y)."""
    li, ti = frontier_points(ld, lv), frontier_points(td, tv)
    lead = fit_line(ld[li], lv[li], at)
    trail = fit_line(td[ti], tv[ti], at)
    y = float(frontier_at(td, tv, at)[0]) if td.size else math.nan
    if lead is None or not math.isfinite(y):
        return (math.nan, math.nan, math.nan, math.nan, lead, trail, y)
    lag = at - lead.reached(y)
    gap = float(lead.value(at)) - y
    return (lag, gap, lead.slope, trail.slope if trail else math.nan, lead, trail, y)


def caisi_trend_lag(
    lead_days: npt.ArrayLike,
    lead_values: npt.ArrayLike,
    trail_days: npt.ArrayLike,
    trail_values: npt.ArrayLike,
    at: float,
    *,
    lead_draws: npt.ArrayLike | None = None,
    trail_draws: npt.ArrayLike | None = None,
    level: float = LEVEL,
    band_level: float = BAND_LEVEL,
) -> CaisiTrend:
    """Return the CAISI trend lag of the trailing group behind the leading group at ``at``.

    Only models released by ``at`` are used. See the module docstring for the method.

    Examples
    --------
    >>> days = np.arange(0.0, 730.0, 60.0)
    >>> r = caisi_trend_lag(days, days / 30, days, (days - 180) / 30, 720.0)
    >>> round(r.lag_months.value, 2)
    5.92
    """
    ld = np.asarray(lead_days, dtype=float)
    lv = np.asarray(lead_values, dtype=float)
    td = np.asarray(trail_days, dtype=float)
    tv = np.asarray(trail_values, dtype=float)
    lm, tm = ld <= at, td <= at
    lag, gap, bl, bt, lead, trail, y = _one(ld[lm], lv[lm], td[tm], tv[tm], at)
    samples: FloatArray | None = None
    if lead_draws is not None and trail_draws is not None:
        lw = np.asarray(lead_draws, dtype=float)[:, lm]
        tw = np.asarray(trail_draws, dtype=float)[:, tm]
        samples = np.asarray([_one(ld[lm], lw[j], td[tm], tw[j], at)[:4]
                              for j in range(lw.shape[0])], dtype=float).reshape(-1, 4)
    band = Interval(lag / DAYS_PER_MONTH)
    if lead is not None and math.isfinite(y):
        early, late = band_crossings(lead, y, band_level)
        band = Interval(lag / DAYS_PER_MONTH, (at - late) / DAYS_PER_MONTH,
                        (at - early) / DAYS_PER_MONTH)

    def col(point: float, i: int, scale: float) -> Interval:
        return interval(point * scale, None if samples is None else samples[:, i] * scale, level)

    best = None
    model_lag = math.nan
    if tm.any():
        released = np.flatnonzero(tm)
        best = int(released[np.argmax(tv[released])])
        if lead is not None:
            model_lag = (td[best] - lead.reached(float(tv[best]))) / DAYS_PER_MONTH
    return CaisiTrend(
        at=float(at),
        lag_months=col(lag, 0, 1.0 / DAYS_PER_MONTH),
        band_months=band,
        vertical_gap=col(gap, 1, 1.0),
        lead_slope_per_year=col(bl, 2, DAYS_PER_YEAR),
        trail_slope_per_year=col(bt, 3, DAYS_PER_YEAR),
        lead_points=0 if lead is None else lead.n,
        trail_points=0 if trail is None else trail.n,
        trail_best=best,
        model_lag_months=float(model_lag),
        lead_line=lead,
        trail_line=trail,
    )
