"""Adoption from cumulative downloads: the ATOM Relative Adoption Metric and download shares.

Pure functions over two frames:

* ``downloads``: model_id, date, cumulative_downloads (one row per model and date);
* ``models``: model_id, release_date, params_total_b, and the grouping columns
  (organization, country, weights) where shares are wanted.

**Relative Adoption Metric** (ATOM Project). A model's age on a date is the days since its
release date. ``RAM_m(a) = D_m(a) / R_c(a)`` where ``D_m(a)`` is m's cumulative downloads at age
``a`` and ``R_c(a)`` is the ``reference_rank``-th largest (default 10th) cumulative count among
the models of m's size class at the same age, made monotone in ``a`` (its running maximum), so
the bar a model is measured against never drops as it ages. A model's curve between two
snapshots is interpolated linearly, starts at 0 downloads on its release day, and is unknown
after its last snapshot; where fewer than ``reference_rank`` models of the class are known at
an age, the reference (and RAM) is unknown. RAM > 1: on track to be a top-10 model of its size.
Size classes bin total parameters with ATOM's buckets by default (:data:`ATOM_SIZE_EDGES`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opengap.analysis.groups import UNKNOWN, group_labels, size_class
from opengap.errors import BadArgument

# ATOM's size buckets (Interconnects-AI/tracked-models, metadata/model_sizes.py,
# get_size_bucket): <1B, 1-5B, 7-9B (from 5B), 10-50B, 50-100B, 100-250B, 250B+; lower bounds.
ATOM_SIZE_EDGES: tuple[float, ...] = (1.0, 5.0, 10.0, 50.0, 100.0, 250.0)
RAM_COLUMNS = [
    "model_id", "size_class", "date", "age_days", "cumulative_downloads",
    "reference_downloads", "ram",
]  # fmt: skip
SHARE_COLUMNS = ["date", "group", "downloads", "share"]


def model_ages(downloads: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """Return ``downloads`` with each row's ``age_days`` (NaN where the release date is unknown)."""
    released = models.set_index("model_id")["release_date"]
    frame = downloads.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    release = pd.to_datetime(frame["model_id"].map(released), errors="coerce")
    frame["age_days"] = (frame["date"] - release).dt.days.astype(float)
    return frame


def _curve_at(ages: np.ndarray, counts: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Cumulative downloads at ages ``at``: linear between snapshots, 0 at release, NaN after."""
    order = np.argsort(ages)
    xs = np.concatenate([[0.0], ages[order]])
    ys = np.concatenate([[0.0], counts[order].astype(float)])
    out: np.ndarray = np.interp(at, xs, ys)
    out[(at > xs[-1]) | (at < 0)] = np.nan
    return out


def relative_adoption(
    downloads: pd.DataFrame,
    models: pd.DataFrame,
    *,
    size_edges: Sequence[float] = ATOM_SIZE_EDGES,
    reference_rank: int = 10,
) -> pd.DataFrame:
    """Return the Relative Adoption Metric of every model at every snapshot.

    Parameters
    ----------
    downloads : DataFrame
        model_id, date, cumulative_downloads.
    models : DataFrame
        model_id, release_date, params_total_b.
    size_edges : sequence of float
        Size class lower edges in billions of total parameters (default ATOM's).
    reference_rank : int
        The rank within the size class the metric divides by (ATOM: the 10th).

    Returns
    -------
    DataFrame
        :data:`RAM_COLUMNS`, one row per snapshot of a model with a known release date and
        size; ``reference_downloads`` and ``ram`` NaN where the class has too few models.

    Examples
    --------
    >>> relative_adoption(downloads, models, reference_rank=10)  # doctest: +SKIP
    """
    if reference_rank < 1:
        raise BadArgument(f"reference rank must be >= 1, got {reference_rank}")
    frame = model_ages(downloads, models)
    classes = size_class(models["params_total_b"], size_edges)
    classes.index = models["model_id"].to_numpy()
    frame["size_class"] = frame["model_id"].map(classes).fillna(UNKNOWN)
    frame = frame.loc[frame["age_days"].notna() & (frame["age_days"] >= 0)
                      & (frame["size_class"] != UNKNOWN)]  # fmt: skip
    parts = []
    for _, group in frame.groupby("size_class", sort=True):
        grid = np.unique(group["age_days"].to_numpy(dtype=float))
        curves = np.vstack([
            _curve_at(g["age_days"].to_numpy(float), g["cumulative_downloads"].to_numpy(), grid)
            for _, g in group.groupby("model_id")
        ])  # fmt: skip
        known = np.isfinite(curves).sum(axis=0)
        ranked = -np.sort(-np.where(np.isfinite(curves), curves, -np.inf), axis=0)
        kth = ranked[min(reference_rank, len(curves)) - 1]
        raw = np.where(known >= reference_rank, kth, np.nan)
        reference = pd.Series(raw).ffill().cummax().where(~np.isnan(raw)).to_numpy()
        lookup = dict(zip(grid.tolist(), reference.tolist(), strict=True))
        part = group.copy()
        part["reference_downloads"] = part["age_days"].map(lookup).astype(float)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=RAM_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    counts = out["cumulative_downloads"].astype(float)
    out["ram"] = counts / out["reference_downloads"].where(out["reference_downloads"] > 0)
    out["date"] = out["date"].dt.date
    return out[RAM_COLUMNS].sort_values(["size_class", "model_id", "age_days"]).reset_index(
        drop=True
    )


def download_shares(downloads: pd.DataFrame, models: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Return each group's share of all cumulative downloads on every snapshot date.

    On each date a model counts with its latest cumulative count on or before that date (so
    models snapshotted on different days add up); ``by`` is a grouping of
    :func:`opengap.analysis.groups.group_labels` (``country``, ``organization``, ``weights``...),
    missing facts counting as ``unknown``.

    Returns
    -------
    DataFrame
        :data:`SHARE_COLUMNS`: date, group, downloads, share (of that date's total).
    """
    if downloads.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    labels = group_labels(models, by)
    labels.index = models["model_id"].to_numpy()
    wide = downloads.assign(date=pd.to_datetime(downloads["date"])).pivot_table(
        index="date", columns="model_id", values="cumulative_downloads", aggfunc="max"
    ).sort_index().ffill()
    groups = pd.Series([labels.get(m, UNKNOWN) for m in wide.columns], index=wide.columns)
    by_group = wide.T.groupby(groups).sum(min_count=1).T.fillna(0.0)
    total = by_group.sum(axis=1)
    long = by_group.stack().reset_index()
    long.columns = pd.Index(["date", "group", "downloads"])
    long["share"] = long["downloads"] / long["date"].map(total).where(lambda t: t > 0)
    long["date"] = long["date"].dt.date
    long = long.sort_values(["date", "downloads"], ascending=[True, False])
    return long[SHARE_COLUMNS].reset_index(drop=True)
