"""Catch-up events (Epoch AI, "How far behind are open models?", 2024).

1. Record-setters of each group in date order: a model counts only if it beats its group's
   previous best; of models released the same day only the best counts (on a tie in score,
   the first by model id).
2. For each closed (leading) record in date order: skip it if its score ≤ the last matched
   open score + tolerance (the open frontier had already caught up with it); otherwise match
   the earliest open (trailing) record with score > closed − tolerance. The earliest such
   record may predate the closed one (the open group was ahead): the lag is then negative.
3. lag = (open date − closed date) in days / 365 × 12 months. Closed records no open record
   ever matched are *censored*: reported with the months elapsed until the end of the data
   (a lower bound on their lag), never dropped and never averaged in.
4. Summary: mean, median, 5th and 95th percentile of the matched lags.

Intervals on the summary (:func:`resampled_pairs`) carry two sources of uncertainty: the
scores' (the pairs recomputed on each draw of the values) and the pairs' spread (on each draw
the matched pairs are resampled with replacement, as a bootstrap over catch-up events). Without
the second, five pairs from 14.6 to 25.5 months would give a mean "18.4 (90% CI 18.4–18.5)".
The interval is the basic (reverse-percentile) one: records are maxima of noisy values, so the
summary is biased upward on the point fit and again on every draw; the basic interval corrects
that (the coverage study, :mod:`opengap.analysis.coverage`, shows the percentile interval
covering a known lag 50–70% of the time, the basic one 80–90%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opengap.analysis.frontier import DAYS_PER_MONTH, FloatArray, from_days


@dataclass(frozen=True)
class CatchUpPair:
    """A closed record and the open record that caught up with it."""

    closed_model: str
    closed_date: float
    closed_score: float
    open_model: str
    open_date: float
    open_score: float

    @property
    def lag_months(self) -> float:
        """Months from the closed record to the matching open record."""
        return (self.open_date - self.closed_date) / DAYS_PER_MONTH

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one pair."""
        return {
            "closed_model": self.closed_model,
            "closed_date": from_days(self.closed_date).isoformat(),
            "closed_score": self.closed_score,
            "open_model": self.open_model,
            "open_date": from_days(self.open_date).isoformat(),
            "open_score": self.open_score,
            "lag_months": self.lag_months,
        }


@dataclass(frozen=True)
class Censored:
    """A closed record not (yet) caught up with by the end of the data."""

    closed_model: str
    closed_date: float
    closed_score: float
    data_end: float

    @property
    def months_elapsed(self) -> float:
        """Months from the closed record to the end of the data: a lower bound on its lag."""
        return (self.data_end - self.closed_date) / DAYS_PER_MONTH

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one censored record."""
        return {
            "closed_model": self.closed_model,
            "closed_date": from_days(self.closed_date).isoformat(),
            "closed_score": self.closed_score,
            "months_elapsed": self.months_elapsed,
        }


@dataclass(frozen=True)
class CatchUp:
    """All catch-up pairs, the censored closed records and the summary of matched lags."""

    pairs: list[CatchUpPair]
    censored: list[Censored]
    tolerance: float
    closed_records: pd.DataFrame = field(repr=False)
    open_records: pd.DataFrame = field(repr=False)

    @property
    def lags(self) -> npt.NDArray[np.float64]:
        """The matched lags in months, in closed-record order."""
        return np.asarray([p.lag_months for p in self.pairs], dtype=float)

    def summary(self) -> dict[str, float]:
        """Return mean, median, 5th and 95th percentile of the matched lags (NaN if none)."""
        lags = self.lags
        if lags.size == 0:
            return dict.fromkeys(
                ("mean_lag_months", "median_lag_months", "p5_lag_months", "p95_lag_months"),
                math.nan,
            )
        p5, p95 = np.percentile(lags, [5, 95])
        return {
            "mean_lag_months": float(lags.mean()),
            "median_lag_months": float(np.median(lags)),
            "p5_lag_months": float(p5),
            "p95_lag_months": float(p95),
        }


def record_setters(
    ids: npt.ArrayLike, days: npt.ArrayLike, values: npt.ArrayLike
) -> pd.DataFrame:
    """Return a group's record-setting models in date order.

    A model is a record-setter if its value is strictly greater than every value released
    before its day; of several models released the same day only the best is considered
    (on equal values, the first model id in sorted order).

    Returns
    -------
    DataFrame
        Columns ``model_id``, ``day``, ``value``, one row per record, dates increasing.

    Examples
    --------
    >>> record_setters(["a", "b", "c"], [0, 0, 5], [1.0, 2.0, 1.5])["model_id"].tolist()
    ['b']
    """
    names = np.asarray(ids, dtype=object).astype(str)
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    index = record_index(_ranks(names), d, v)
    return pd.DataFrame({"model_id": names[index], "day": d[index], "value": v[index]})


def _ranks(names: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    ranks = np.empty(names.size, dtype=np.intp)
    ranks[np.argsort(names, kind="stable")] = np.arange(names.size)
    return ranks


def record_index(
    ranks: npt.NDArray[np.intp], days: FloatArray, values: FloatArray
) -> npt.NDArray[np.intp]:
    """Return the indices of the record-setters in date order (see :func:`record_setters`).

    Parameters
    ----------
    ranks : int array of shape (n,)
        Tie-break order among same-day models with equal values (lower wins).
    days, values : float arrays of shape (n,)
        Release days and values; rows with a NaN are ignored.

    Returns
    -------
    int array
        Indices into the inputs, one per record, dates increasing.
    """
    idx = np.flatnonzero(np.isfinite(days) & np.isfinite(values))
    idx = idx[np.lexsort((ranks[idx], -values[idx], days[idx]))]
    d = days[idx]
    idx = idx[np.r_[True, d[1:] != d[:-1]]] if idx.size else idx
    v = values[idx]
    previous = np.r_[-np.inf, np.maximum.accumulate(v)[:-1]] if v.size else v
    return idx[v > previous]


def _match(
    closed_values: FloatArray, open_values: FloatArray, tolerance: float
) -> list[tuple[int, int | None]]:
    """Return (closed record, matched open record or None) for each closed record not skipped."""
    out: list[tuple[int, int | None]] = []
    last_matched = -np.inf
    for i, value in enumerate(closed_values):
        if value <= last_matched + tolerance:
            continue
        hits = np.flatnonzero(open_values > value - tolerance)
        if hits.size == 0:
            out.append((i, None))
            continue
        out.append((i, int(hits[0])))
        last_matched = float(open_values[hits[0]])
    return out


def catch_up(
    closed_ids: npt.ArrayLike,
    closed_days: npt.ArrayLike,
    closed_values: npt.ArrayLike,
    open_ids: npt.ArrayLike,
    open_days: npt.ArrayLike,
    open_values: npt.ArrayLike,
    *,
    tolerance: float = 0.0,
    data_end: float | None = None,
) -> CatchUp:
    """Match each closed record with the first open record that caught up with it.

    Parameters
    ----------
    closed_ids, closed_days, closed_values : arrays
        The leading group's models (ids, release days, scores or capabilities).
    open_ids, open_days, open_values : arrays
        The trailing group's models.
    tolerance : float
        In the values' units (nats for −ln(1−accuracy)): an open record within
        ``tolerance`` of a closed one counts as catching up.
    data_end : float, optional
        The last day of the data, for the censored records' elapsed time (default: the
        latest release in either group).

    Returns
    -------
    CatchUp

    Examples
    --------
    >>> result = catch_up(["c1"], [0], [1.0], ["o1"], [365], [1.0], tolerance=0.01)
    >>> [round(p.lag_months, 6) for p in result.pairs]
    [12.0]
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    closed = record_setters(closed_ids, closed_days, closed_values)
    opened = record_setters(open_ids, open_days, open_values)
    if data_end is None:
        data_end = float(np.nanmax(np.concatenate([
            np.asarray(closed_days, dtype=float), np.asarray(open_days, dtype=float), [-np.inf],
        ])))  # fmt: skip
    pairs: list[CatchUpPair] = []
    censored: list[Censored] = []
    c_ids, c_days, c_vals = (closed[c].to_numpy() for c in ("model_id", "day", "value"))
    o_ids, o_days, o_vals = (opened[c].to_numpy() for c in ("model_id", "day", "value"))
    for i, j in _match(c_vals.astype(float), o_vals.astype(float), tolerance):
        if j is None:
            censored.append(Censored(str(c_ids[i]), float(c_days[i]), float(c_vals[i]),
                                     float(data_end)))
        else:
            pairs.append(CatchUpPair(
                str(c_ids[i]), float(c_days[i]), float(c_vals[i]),
                str(o_ids[j]), float(o_days[j]), float(o_vals[j]),
            ))  # fmt: skip
    return CatchUp(pairs, censored, float(tolerance), closed, opened)


def catch_up_lags(
    closed_days: npt.ArrayLike,
    closed_values: npt.ArrayLike,
    open_days: npt.ArrayLike,
    open_values: npt.ArrayLike,
    *,
    tolerance: float = 0.0,
) -> FloatArray:
    """Return the matched catch-up lags (months) for each draw, fast, as a NaN-padded matrix.

    ``closed_values``/``open_values`` may be 2-D (draws along the first axis); row ``k`` of the
    result holds draw ``k``'s matched lags in closed-record order, padded with NaN. Same rules
    as :func:`catch_up`, except that same-day ties of exactly equal values are broken by
    position rather than by model id.
    """
    cd = np.asarray(closed_days, dtype=float)
    od = np.asarray(open_days, dtype=float)
    cw = np.atleast_2d(np.asarray(closed_values, dtype=float))
    ow = np.atleast_2d(np.asarray(open_values, dtype=float))
    c_rank, o_rank = np.arange(cd.size), np.arange(od.size)
    rows = []
    for cv, ov in zip(cw, ow, strict=True):
        ci, oi = record_index(c_rank, cd, cv), record_index(o_rank, od, ov)
        matches = _match(cv[ci], ov[oi], tolerance)
        rows.append([(od[oi[j]] - cd[ci[i]]) / DAYS_PER_MONTH for i, j in matches
                     if j is not None])
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), np.nan)
    for k, row in enumerate(rows):
        out[k, : len(row)] = row
    return out


def lag_summary(lags: FloatArray) -> dict[str, FloatArray]:
    """Return mean, median, 5th and 95th percentile of each row of NaN-padded lags."""
    arr = np.atleast_2d(np.asarray(lags, dtype=float))
    keys = ("mean_lag_months", "median_lag_months", "p5_lag_months", "p95_lag_months")
    out = {k: np.full(arr.shape[0], np.nan) for k in keys}
    for k, row in enumerate(arr):
        row = row[np.isfinite(row)]
        if row.size:
            p5, p95 = np.percentile(row, [5, 95])
            for key, value in zip(keys, (row.mean(), np.median(row), p5, p95), strict=True):
                out[key][k] = value
    return out


N_PAIR_DRAWS = 1000
"""Resamples of the pairs when the values have no draws."""


def resampled_pairs(lags: FloatArray, *, seed: int = 0, n_draws: int = N_PAIR_DRAWS) -> FloatArray:
    """Return NaN-padded lags with each row's matched pairs resampled with replacement.

    ``lags`` is :func:`catch_up_lags`' output (one row per draw of the values); a single row
    (point values, no draws) is repeated ``n_draws`` times first. Each row keeps its number of
    pairs; a row without pairs stays empty.

    Examples
    --------
    >>> out = resampled_pairs(np.array([[1.0, 2.0, np.nan]]), n_draws=4)
    >>> out.shape, bool(np.isin(out[np.isfinite(out)], [1.0, 2.0]).all())
    ((4, 3), True)
    """
    arr = np.atleast_2d(np.asarray(lags, dtype=float))
    if arr.shape[0] == 1:
        arr = np.repeat(arr, n_draws, axis=0)
    finite = np.isfinite(arr)
    packed = np.take_along_axis(arr, np.argsort(~finite, axis=1, kind="stable"), axis=1)
    counts = finite.sum(axis=1)
    rng = np.random.default_rng(seed)
    picks = np.floor(rng.random(arr.shape) * counts[:, None]).astype(np.intp)
    out = np.take_along_axis(packed, np.minimum(picks, arr.shape[1] - 1), axis=1)
    out[np.arange(arr.shape[1])[None, :] >= counts[:, None]] = np.nan
    return np.asarray(out, dtype=float)
