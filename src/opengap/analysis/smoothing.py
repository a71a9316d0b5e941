"""Smoothed twins of the step-function lags, used only for the spread of their intervals.

The lag is a step function of the capabilities: it is ``t`` minus the release day of the first
closed record-setter to reach a level, so it only takes the values of record dates, and many
bootstrap draws give exactly the point's own value. A percentile (or recentred) bound then
coincides with the point. Each statistic here replaces the step by a ramp between consecutive
record-setters, so that it is continuous in the capabilities, and is used for the *spread*
of the draws only; the point estimates stay the plain statistics'.

- :func:`interpolated_reach`: the first day the frontier reached a level, with the frontier
  drawn as straight lines between consecutive record-setters (``(d_prev, v_prev)`` to
  ``(d_k, v_k)``) instead of a step at ``d_k``. Equal to the step's day when the level is a
  record's own value; never later than it.
- :func:`interpolated_significance_day`: for Epoch's significance-aware lag, the day the
  SOTA became significantly better than an open model, interpolated linearly in the share of
  draws in which it is better, between the last record that was not significantly better
  and the one that followed it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from opengap.analysis.frontier import FloatArray


def interpolated_reach(
    days: npt.ArrayLike, values: npt.ArrayLike, level: npt.ArrayLike
) -> FloatArray:
    """Return the first day the piecewise-linear frontier reached ``level``.

    The frontier through the record-setters ``(d_0, v_0), (d_1, v_1), …`` is linear between
    consecutive ones; a level at or below the first model's value is reached on the first day,
    one above every value never (``inf``).

    Parameters
    ----------
    days : array of shape (n_models,)
    values : array of shape (n_models,) or (n_draws, n_models)
    level : float, or array of shape (n_draws,) with 2-D ``values``

    Returns
    -------
    ndarray
        One day per level (per draw), shape ``()`` or ``(n_draws,)``.

    Examples
    --------
    >>> float(interpolated_reach([0, 10, 20], [1.0, 0.5, 2.0], 1.5))
    10.0
    """
    d = np.asarray(days, dtype=float)
    v = np.atleast_2d(np.asarray(values, dtype=float))
    lv = np.broadcast_to(np.asarray(level, dtype=float), v.shape[:1])
    scalar = np.ndim(values) == 1 and np.ndim(level) == 0
    order = np.argsort(d, kind="stable")
    d, v = d[order], v[:, order]
    out = np.full(v.shape[0], np.inf)
    if d.size:
        running = np.maximum.accumulate(v, axis=1)
        previous = np.concatenate([np.full((v.shape[0], 1), -np.inf), running[:, :-1]], axis=1)
        new = v > previous
        holder = np.maximum.accumulate(np.where(new, np.arange(d.size), 0), axis=1)
        reached = running >= lv[:, None]
        k = np.argmax(reached, axis=1)
        rows = np.arange(v.shape[0])
        ok = reached[rows, k]
        prev = holder[rows, np.maximum(k - 1, 0)]
        low_v, high_v = running[rows, np.maximum(k - 1, 0)], v[rows, k]
        share = np.where(high_v > low_v, (lv - low_v) / np.where(high_v > low_v,
                                                                high_v - low_v, 1.0), 1.0)
        ramp = d[prev] + np.clip(share, 0.0, 1.0) * (d[k] - d[prev])
        out = np.where(ok, np.where(k == 0, d[0], ramp), np.inf)
    return np.asarray(out[0] if scalar else out, dtype=float)


def interpolated_significance_day(
    record_days: FloatArray, share_better: FloatArray, threshold: float
) -> float:
    """Return the day the SOTA became significantly better, interpolated between records.

    Parameters
    ----------
    record_days : array of shape (n_records,)
        Release days of the closed record-setters released by the day in question.
    share_better : array of shape (n_records,)
        For each record, the share of draws in which it is better than the open model.
    threshold : float
        The share at which a record counts as significantly better (0.95).

    Returns
    -------
    float
        With ``a`` the latest record not significantly better and ``a + 1`` its successor:
        ``d_a + (threshold − p_a) / (p_{a+1} − p_a) · (d_{a+1} − d_a)``, a day between the
        two releases (the plain statistic counts from ``d_{a+1} − 1``); NaN when the latest
        record is not significantly better (the lag is 0) or when every record is (the lag is
        censored at the first record, as in the plain statistic).

    Examples
    --------
    >>> interpolated_significance_day(np.array([0.0, 100.0]), np.array([0.55, 1.0]), 0.95)
    88.88888888888889
    """
    significant = share_better >= threshold - 1e-12
    not_sig = np.flatnonzero(~significant)
    if not not_sig.size or not_sig[-1] == share_better.size - 1:
        return float("nan")
    a = int(not_sig[-1])
    p_a, p_b = float(share_better[a]), float(share_better[a + 1])
    share = (threshold - p_a) / (p_b - p_a) if p_b > p_a else 1.0
    return float(record_days[a] + min(max(share, 0.0), 1.0) * (record_days[a + 1]
                                                              - record_days[a]))
