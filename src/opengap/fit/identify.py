"""Identification checks: is every capability comparable with every other one?

Capabilities are comparable only through chains of shared benchmarks, so the bipartite
model–benchmark graph must be connected. An offset δ_h is separable only if group h's scores
share benchmarks (else δ_h trades off against those benchmarks' difficulties) and models (else
against those models' capabilities) with the reference group, directly or through other groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from opengap.errors import UnidentifiedFit
from opengap.fit.problem import IntArray


def _label(labels: Sequence[str] | None, index: int, kind: str) -> str:
    return repr(labels[index]) if labels is not None else f"{kind} #{index}"


def _names(labels: Sequence[str] | None, indices: IntArray, kind: str, limit: int = 3) -> str:
    shown = ", ".join(_label(labels, int(i), kind) for i in indices[:limit])
    more = f" and {len(indices) - limit} more" if len(indices) > limit else ""
    return shown + more


def check_identified(
    model: IntArray,
    bench: IntArray,
    n_models: int,
    n_benchmarks: int,
    *,
    group: IntArray | None = None,
    n_groups: int = 0,
    pin: int | None = None,
    model_labels: Sequence[str] | None = None,
    benchmark_labels: Sequence[str] | None = None,
    group_labels: Sequence[str] | None = None,
) -> None:
    """Raise :class:`UnidentifiedFit` with a one-line reason if the scale is not identified.

    Parameters
    ----------
    model, bench : int arrays
        Observation indices.
    n_models, n_benchmarks : int
        Number of models and benchmarks (each must have at least one observation).
    group : int array, optional
        Offset group per observation (-1 = none), with ``n_groups`` groups; group 0 is the
        reference.
    pin : int, optional
        Index of the pinned benchmark (named in the message).
    model_labels, benchmark_labels, group_labels : sequences of str, optional
        Names used in messages.
    """
    if len(model) == 0 or n_models == 0 or n_benchmarks == 0:
        raise UnidentifiedFit("nothing to fit: no scores are left after the filters")
    seen_m = np.bincount(model, minlength=n_models) > 0
    seen_b = np.bincount(bench, minlength=n_benchmarks) > 0
    if not seen_m.all():
        missing = np.flatnonzero(~seen_m)
        raise UnidentifiedFit(f"model {_names(model_labels, missing, 'model')} has no scores")
    if not seen_b.all():
        missing = np.flatnonzero(~seen_b)
        raise UnidentifiedFit(
            f"benchmark {_names(benchmark_labels, missing, 'benchmark')} has no scores"
        )
    n = n_models + n_benchmarks
    graph = sp.coo_matrix(
        (np.ones(len(model)), (model, n_models + bench)), shape=(n, n)
    ).tocsr()
    n_parts, labels = connected_components(graph, directed=False)
    if n_parts > 1:
        anchor = pin if pin is not None else 0
        ref = labels[n_models + anchor]
        outside = np.flatnonzero(labels[n_models:] != ref)
        raise UnidentifiedFit(
            f"the scores fall into {n_parts} groups that share no model, so their capabilities "
            f"cannot be compared: benchmark(s) {_names(benchmark_labels, outside, 'benchmark')} "
            f"share no model with {_label(benchmark_labels, anchor, 'benchmark')}; restrict the "
            "benchmarks or add models scored on both sides"
        )
    if group is None or n_groups <= 1:
        return
    ok = identified_groups(model, bench, group, n_models, n_benchmarks, n_groups, pin=pin)
    cut = np.flatnonzero(~ok)
    if len(cut):
        raise UnidentifiedFit(
            f"offset group(s) {_names(group_labels, cut, 'group')} are not identified: their "
            "scores share no benchmark, or no model, with the reference group's, so their "
            "offsets cannot be told apart from the difficulties or capabilities"
        )


def _components(rows: IntArray, cols: IntArray, n_rows: int, n_cols: int) -> IntArray:
    """Connected-component label of each node of a bipartite graph (rows first, then cols)."""
    n = n_rows + n_cols
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, n_rows + cols)), shape=(n, n)).tocsr()
    labels: IntArray = connected_components(graph, directed=False)[1]
    return labels


def identified_groups(
    model: IntArray,
    bench: IntArray,
    group: IntArray,
    n_models: int,
    n_benchmarks: int,
    n_groups: int,
    *,
    pin: int | None = None,
) -> np.ndarray:
    """Return, per offset group, whether its offset is identified (group 0 is the reference).

    In C_m + δ_h − D_b only sums x_mh = C_m + δ_h meet the difficulties, so (1) every
    (model, group) pair must connect to the pinned benchmark through shared benchmarks, and
    (2) the groups must connect to the reference through models scored in several groups.
    Observations without a group (-1) count as the reference group.
    """
    g = np.where(group < 0, 0, group)
    pairs, pair_idx = np.unique(model * n_groups + g, return_inverse=True)
    labels = _components(pair_idx, bench, len(pairs), n_benchmarks)
    anchor = labels[len(pairs) + (pin if pin is not None else 0)]
    linked = labels[: len(pairs)] == anchor  # (1): the pair meets the pinned benchmark's part
    pm, pg = pairs // n_groups, pairs % n_groups
    labels2 = _components(pg[linked], pm[linked], n_groups, n_models)
    ok: np.ndarray = labels2[:n_groups] == labels2[0]  # (2): linked to group 0 via models
    ok[0] = True
    return ok
