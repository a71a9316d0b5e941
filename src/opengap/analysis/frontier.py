"""Frontiers F_g(t): the running maximum capability of a group's models released by t.

Dates are floats, days since 1970-01-01 (:func:`to_days`), so synthetic tests can shift by a
fraction of a day; months are ``days / DAYS_PER_MONTH`` with ``DAYS_PER_MONTH = 365 / 12``.
Capabilities are a vector (one value per model) or a matrix of bootstrap draws
(``n_draws × n_models``); every function here works on both, the draws along the first axis.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

DAYS_PER_MONTH = 365.0 / 12.0
_EPOCH = np.datetime64("1970-01-01", "D")


def to_days(dates: Any) -> FloatArray:
    """Return dates (strings, ``date``, ``Timestamp``, a Series…) as float days since 1970.

    Missing dates become NaN.

    Examples
    --------
    >>> float(to_days(["1970-01-11"])[0])
    10.0
    """
    stamps = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(dates, dtype=object))))
    days = (stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps).dt.floor("D")
    out = (days - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(out, dtype=float)


def from_days(days: float) -> date:
    """Return the calendar date of ``days`` since 1970 (fractions are truncated)."""
    whole = int(np.floor(days))
    return (_EPOCH + np.timedelta64(whole, "D")).astype(object)  # type: ignore[no-any-return]


def month_ends(start: float, end: float) -> FloatArray:
    """Return the last day of each month from ``start``'s month up to ``end``, then ``end``.

    The final point is ``end`` itself (the series is "as of" ``end`` in its last month).
    """
    first, last = from_days(start), from_days(end)
    ends = pd.date_range(first, last, freq="ME")
    days = [d for d in to_days(ends) if d < end]
    return np.asarray([*days, float(np.floor(end))], dtype=float)


def _sorted(days: npt.ArrayLike, values: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    if v.shape[-1] != d.shape[0]:
        raise ValueError(f"{d.shape[0]} dates but {v.shape[-1]} values")
    order = np.argsort(d, kind="stable")
    return d[order], v[..., order]


def frontier_at(days: npt.ArrayLike, values: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Return F(t) = max{values[m] : days[m] <= t} at each time in ``t``.

    Parameters
    ----------
    days : array of shape (n_models,)
        Release days.
    values : array of shape (n_models,) or (n_draws, n_models)
        Capabilities (point estimate or draws).
    t : float or array of shape (n_times,)
        Times at which to evaluate the frontier.

    Returns
    -------
    ndarray of shape (n_times,) or (n_draws, n_times)
        The frontier; NaN before the group's first release.

    Examples
    --------
    >>> frontier_at([0, 10, 20], [1.0, 0.5, 2.0], [5, 15, 25]).tolist()
    [1.0, 1.0, 2.0]
    """
    d, v = _sorted(days, values)
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if d.size == 0:
        return np.full((*v.shape[:-1], times.size), np.nan)
    running = np.maximum.accumulate(v, axis=-1)
    idx = np.searchsorted(d, times, side="right") - 1
    out = np.take(running, np.clip(idx, 0, None), axis=-1).astype(float)
    out[..., idx < 0] = np.nan
    return out


def first_reach(days: npt.ArrayLike, values: npt.ArrayLike, level: npt.ArrayLike) -> FloatArray:
    """Return the first day the frontier reached ``level``: min{days[m] : values[m] >= level}.

    Parameters
    ----------
    days : array of shape (n_models,)
    values : array of shape (n_models,) or (n_draws, n_models)
    level : float, or array broadcastable against the leading (draw) axis of ``values``
        With 2-D ``values``, ``level`` has one entry per draw (or is a scalar).

    Returns
    -------
    ndarray
        One day per level (per draw); ``inf`` where the frontier never reached it.

    Examples
    --------
    >>> first_reach([0, 10, 20], [1.0, 0.5, 2.0], 1.5).tolist()
    20.0
    """
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    lv = np.asarray(level, dtype=float)
    if v.ndim == 1 and lv.ndim == 1:
        reached = v[None, :] >= lv[:, None]
    else:
        reached = v >= (lv[..., None] if lv.ndim else lv)
    return np.asarray(np.where(reached, d, np.inf).min(axis=-1, initial=np.inf), dtype=float)


def best_index(days: npt.ArrayLike, values: npt.ArrayLike, t: float) -> int | None:
    """Return the index of the best model released by ``t`` (earliest on ties), or None."""
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    released = np.flatnonzero(d <= t)
    if released.size == 0:
        return None
    best = v[released].max()
    candidates = released[v[released] == best]
    return int(candidates[np.argmin(d[candidates])])
