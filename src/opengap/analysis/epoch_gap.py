"""Epoch's gap statistics: the significance-aware lag on one day, and its average over a window.

Epoch ("Open models lag state-of-the-art closed models by 4 months", 2026-05-29; "Open-weight
models lag state-of-the-art by around 3 months on average", 2025-10-30) proceed day by day:

    For each day, we identify the open-weight model with the highest ECI score available by
    that date. We then compare that model to the historical state-of-the-art ECI frontier and
    ask: what is the most recent date on which the SOTA model was not significantly better than
    this open-weight model? The time gap for that day is the number of days elapsed since that
    date. [...] we use bootstrap samples to make this comparison.

Here, for a day ``t``:

- ``o`` is the open model with the highest point capability released by ``t``;
- the SOTA on a day ``τ`` is the closed record-setter current on ``τ`` (point capabilities);
- record ``r`` is *significantly better* than ``o`` when ``C_r > C_o`` in at least 95% of the
  bootstrap draws (the one-sided reading of a 90% interval: an assumption, Epoch's stored pages
  do not give the threshold);
- the most recent day on which the SOTA was not significantly better is the last day of the
  latest record that was not (the day before its successor's release); the lag is ``t`` minus
  that day, 0 when even the current SOTA is not significantly better; when every record was,
  the lag runs from the day before the first closed model and is *censored* (a lower bound);
- the gap in points for that day is the SOTA's capability minus ``C_o``.

The window average is the mean of those daily lags (and gaps) over every day of the window.

**Intervals** (90%). Epoch publish one (3.5 months, 90% CI 1.1–5.3) without saying how it is
built in the stored copies of their pages. Here: each bootstrap draw in turn is taken as the
true capabilities and the bootstrap spread around the point fit as its noise (draw ``j`` plus
every draw's deviation from the point fit); the whole statistic — choice of ``o``, records,
significance — is recomputed in that world (a translated double bootstrap). The lag is a
step function of the capabilities (it counts from the day before a closed release), so many
worlds give exactly the point's value and their 5th–95th percentiles used to end at the point
(the bundled catalogue's Epoch row read "2.4 (1.9–2.4)"). The spread is therefore taken from a
smoothed twin of the statistic, in which the day the SOTA became significantly better is
interpolated between the last record that was not and its successor, linearly in the share of
draws in which each is better (:func:`~opengap.analysis.smoothing.
interpolated_significance_day`): the interval is that statistic's 5th–95th percentile over the
worlds, translated by (point − smoothed point) and kept at or above 0. It still sits on the
point where the draws cannot move it: a lag of 0 (not even today's SOTA is significantly
better in any world) and a censored lag (every record significantly better in every world).
Its coverage of the statistic's value on the true capabilities is checked in
:mod:`opengap.analysis.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opengap.analysis.catchup import record_index
from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray
from opengap.analysis.intervals import LEVEL, Interval, interval
from opengap.analysis.smoothing import interpolated_significance_day

MAX_OUTER = 200
"""Outer draws of the interval (a subsample of the draws when there are more)."""


@dataclass(frozen=True)
class EpochGap:
    """Epoch's daily statistics averaged over days (one day: the statistic on that day).

    Attributes
    ----------
    lag_months, vertical_gap : Interval
        Mean over the days of the significance-aware lag and of the SOTA-minus-best-open gap.
    censored_days : int
        Days whose lag is a lower bound (every closed record significantly better).
    n_days : int
    daily : list of (day, lag days, gap, open index, censored)
        The point statistic for each day.
    lag_draws : array of shape (n_outer,) or None
        The (unsmoothed) mean lag in months in each world of the double bootstrap; its
        percentile interval is the one this module used before the smoothing (kept for
        ``benchmarks/bench_pinned.py``'s before/after count).
    """

    lag_months: Interval
    vertical_gap: Interval
    censored_days: int
    n_days: int
    daily: list[tuple[float, float, float, int, bool]]
    lag_draws: FloatArray | None = None


def _daily(
    cd: FloatArray, cv: FloatArray, cw: FloatArray, od: FloatArray, ov: FloatArray,
    ow: FloatArray, days: FloatArray, threshold: float,
) -> tuple[list[tuple[float, float, float, int, bool]], FloatArray]:
    """Return (day, lag days, gap, open index, censored) for each day (NaN lag before data),
    and each day's smoothed lag in days (:func:`~opengap.analysis.smoothing.
    interpolated_significance_day`; the plain lag where there is nothing to interpolate)."""
    records = record_index(np.arange(cd.size), cd, cv)
    rd, rv = cd[records], cv[records]
    order = np.lexsort((-ov, od))  # by day, best first on a day
    o_days, o_idx = od[order], order
    # running best open model (earliest of the best on ties)
    best_so_far = np.empty(order.size, dtype=np.intp)
    best = -1
    for k, i in enumerate(o_idx):
        if best < 0 or ov[i] > ov[best]:
            best = int(i)
        best_so_far[k] = best
    share_cache: dict[int, FloatArray] = {}
    out = []
    smooth = np.full(days.size, np.nan)
    for i, t in enumerate(days):
        n_open = int(np.searchsorted(o_days, t, side="right"))
        n_rec = int(np.searchsorted(rd, t, side="right"))
        if n_open == 0 or n_rec == 0:
            out.append((float(t), math.nan, math.nan, -1, False))
            continue
        o = int(best_so_far[n_open - 1])
        if o not in share_cache:
            share_cache[o] = np.mean(cw[:, records] > ow[:, [o]], axis=0)
        share = share_cache[o][:n_rec]
        significant = share >= threshold - 1e-12
        gap = float(rv[n_rec - 1] - ov[o])
        not_sig = np.flatnonzero(~significant)
        if not_sig.size and not_sig[-1] == n_rec - 1:
            out.append((float(t), 0.0, gap, o, False))
        elif not_sig.size:
            last_day = rd[not_sig[-1] + 1] - 1.0
            out.append((float(t), float(t - last_day), gap, o, False))
        else:
            out.append((float(t), float(t - (rd[0] - 1.0)), gap, o, True))
        ramp = interpolated_significance_day(rd[:n_rec], share, threshold)
        smooth[i] = float(t - ramp) if math.isfinite(ramp) else out[-1][1]
    return out, smooth


def _means(
    rows: list[tuple[float, float, float, int, bool]], smooth: FloatArray
) -> tuple[float, float, int, float]:
    """Return (mean lag in months, mean gap, censored days, mean smoothed lag in months)."""
    lags = np.asarray([r[1] for r in rows], dtype=float)
    gaps = np.asarray([r[2] for r in rows], dtype=float)
    ok = np.isfinite(lags)
    if not ok.any():
        return math.nan, math.nan, 0, math.nan
    return (float(lags[ok].mean() / DAYS_PER_MONTH), float(gaps[ok].mean()),
            int(sum(r[4] for r, k in zip(rows, ok, strict=True) if k)),
            float(smooth[ok].mean() / DAYS_PER_MONTH))


def epoch_gap(
    closed_days: npt.ArrayLike,
    closed_values: npt.ArrayLike,
    closed_draws: npt.ArrayLike,
    open_days: npt.ArrayLike,
    open_values: npt.ArrayLike,
    open_draws: npt.ArrayLike,
    days: npt.ArrayLike,
    *,
    level: float = LEVEL,
    max_outer: int = MAX_OUTER,
    seed: int = 0,
) -> EpochGap:
    """Return Epoch's significance-aware lag and gap averaged over ``days`` (see the module).

    Parameters
    ----------
    closed_days, closed_values, open_days, open_values : arrays
        Release days and point capabilities.
    closed_draws, open_draws : arrays of shape (n_draws, n)
        Bootstrap draws (the same draws for both groups).
    days : array
        The days to average over (one day: Epoch's lag on that day).
    level : float
        Interval level; significance at (1 + level) / 2.
    max_outer : int
        Worlds of the double bootstrap (0: the point statistic only, no interval).
    seed : int
        Seed of the choice of worlds when there are more draws than ``max_outer``.

    Examples
    --------
    >>> draws_c = np.array([[1.0, 3.0]] * 10)
    >>> draws_o = np.array([[2.0]] * 10)
    >>> g = epoch_gap([0, 100], [1.0, 3.0], draws_c, [150], [2.0], draws_o, [150.0])
    >>> round(g.lag_months.value * 365 / 12, 6)
    51.0
    """
    cd, cv = np.asarray(closed_days, dtype=float), np.asarray(closed_values, dtype=float)
    od, ov = np.asarray(open_days, dtype=float), np.asarray(open_values, dtype=float)
    cw = np.atleast_2d(np.asarray(closed_draws, dtype=float))
    ow = np.atleast_2d(np.asarray(open_draws, dtype=float))
    if cw.shape[0] != ow.shape[0]:
        raise ValueError("closed and open draws must have the same number of draws")
    t = np.atleast_1d(np.asarray(days, dtype=float))
    threshold = (1.0 + level) / 2.0
    rows, smooth = _daily(cd, cv, cw, od, ov, ow, t, threshold)
    lag, gap, censored, smooth_lag = _means(rows, smooth)
    n = cw.shape[0]
    lag_interval, gap_samples, lag_draws = Interval(lag), None, None
    if n >= 2 and max_outer > 0:
        rng = np.random.default_rng(seed)
        outer = np.arange(n) if n <= max_outer else rng.choice(n, max_outer, replace=False)
        c_noise, o_noise = cw - cv, ow - ov
        samples = [_means(*_daily(cd, cw[j], cw[j] + c_noise, od, ow[j], ow[j] + o_noise, t,
                                  threshold)) for j in outer]
        arr = np.asarray(samples, dtype=float)
        gap_samples = arr[:, 1]
        lag_draws = arr[:, 0]
        lag_interval = _lag_interval(lag, smooth_lag, arr[:, 3], level)
    return EpochGap(
        lag_months=lag_interval,
        vertical_gap=interval(gap, gap_samples, level),
        censored_days=censored,
        n_days=int(t.size),
        daily=rows,
        lag_draws=lag_draws,
    )



def _lag_interval(
    lag: float, smooth_lag: float, smooth: FloatArray, level: float
) -> Interval:
    """Return the lag's interval: the smoothed statistic's percentile interval over the
    worlds, translated by (point − smoothed point) and kept at or above 0."""
    spread = interval(smooth_lag, smooth, level)
    if not (math.isfinite(spread.ci_low) and math.isfinite(spread.ci_high)):
        return Interval(lag)
    shifted = spread.shifted(lag - smooth_lag)
    return Interval(lag, max(shifted.ci_low, 0.0), max(shifted.ci_high, 0.0))
