"""Groupings of models: open vs closed, country, organisation, size class, licence class.

A grouping maps every model to one label; missing facts give the label ``unknown`` (never
guessed). Size classes bin total parameters by configurable edges in billions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from opengap.errors import BadArgument

# --by value -> models column
GROUPINGS: dict[str, str] = {
    "weights": "weights",
    "country": "country",
    "organization": "organization",
    "size": "params_total_b",
    "license": "license_class",
}
DEFAULT_SIZE_EDGES: tuple[float, ...] = (10.0, 50.0, 200.0)
UNKNOWN = "unknown"


def _fmt(edge: float) -> str:
    return f"{edge:g}"


def size_labels(edges: Sequence[float] = DEFAULT_SIZE_EDGES) -> list[str]:
    """Return the class labels for ``edges``, smallest first, then ``unknown``.

    Examples
    --------
    >>> size_labels([10, 50, 200])
    ['<10B', '10-49B', '50-199B', '>=200B', 'unknown']
    """
    edges = _check_edges(edges)
    labels = [f"<{_fmt(edges[0])}B"]
    for low, high in itertools.pairwise(edges):
        top = f"{high - 1:g}" if float(low).is_integer() and float(high).is_integer() else (
            f"<{_fmt(high)}")
        labels.append(f"{_fmt(low)}-{top}B")
    labels.append(f">={_fmt(edges[-1])}B")
    return [*labels, UNKNOWN]


def _check_edges(edges: Sequence[float]) -> list[float]:
    values = [float(e) for e in edges]
    if not values or any(e <= 0 for e in values) or sorted(set(values)) != values:
        raise BadArgument(
            f"size classes must be increasing positive edges in billions, not {list(edges)}"
        )
    return values


def size_class(params_b: object, edges: Sequence[float] = DEFAULT_SIZE_EDGES) -> pd.Series:
    """Return the size class label of each total parameter count (billions).

    Edges are lower bounds: with the default (10, 50, 200) a 10B model is ``10-49B``.
    """
    values = pd.to_numeric(pd.Series(params_b), errors="coerce").to_numpy(dtype=float)
    labels = size_labels(edges)
    index = np.searchsorted(np.asarray(_check_edges(edges)), values, side="right")
    out = np.where(np.isfinite(values), np.asarray(labels, dtype=object)[
        np.minimum(index, len(labels) - 2)], UNKNOWN)
    return pd.Series(out, dtype=object)


def group_labels(
    models: pd.DataFrame, by: str, *, size_edges: Sequence[float] | None = None
) -> pd.Series:
    """Return one group label per row of ``models`` for grouping ``by``.

    Parameters
    ----------
    models : DataFrame
        With the column the grouping reads (``weights``, ``country``, ``organization``,
        ``params_total_b`` or ``license_class``).
    by : str
        One of :data:`GROUPINGS`.
    size_edges : sequence of float, optional
        Size class edges in billions (default :data:`DEFAULT_SIZE_EDGES`).

    Raises
    ------
    BadArgument
        For an unknown grouping.
    """
    if by not in GROUPINGS:
        raise BadArgument(f"unknown grouping {by!r} (choose from {', '.join(GROUPINGS)})")
    column = GROUPINGS[by]
    if column not in models.columns:
        return pd.Series([UNKNOWN] * len(models), index=models.index, dtype=object)
    if by == "size":
        labels = size_class(models[column], size_edges or DEFAULT_SIZE_EDGES)
        labels.index = models.index
        return labels
    raw = models[column].astype(object)
    cleaned = raw.map(lambda v: UNKNOWN if v is None or (isinstance(v, float) and np.isnan(v))
                      or str(v).strip() == "" else str(v).strip())
    return cleaned.astype(object)
