"""Reported scales: linear maps from identified capabilities (logits) to the published units.

* ``raw``: the identified logits themselves (the pinned benchmark has D = 0, α = 1).
* ``eci``: the line through two anchor models, e.g. Claude 3.5 Sonnet = 130 and GPT-5 = 150.
* ``elo``: 200/ln 3 points per logit (+200 points = 3× the odds of success), with one anchor
  model at a chosen value, or, without an anchor model, 1000 points at the pinned benchmark's
  difficulty (a model at 1000 has even odds on it).
* ``elo10``: the same with 400/ln 10 points per logit (+400 points = 10× the odds, chess's Elo).

Every map is ``value = intercept + slope · capability``; with bootstrap draws each draw gets its own
map from its own anchor capabilities (re-anchoring), so anchor models have no spread on ``eci``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from opengap.errors import BadConfiguration
from opengap.fit.problem import FloatArray

ELO_PER_LOGIT = 200.0 / math.log(3.0)
ELO10_PER_LOGIT = 400.0 / math.log(10.0)
POINTS_PER_LOGIT = {"elo": ELO_PER_LOGIT, "elo10": ELO10_PER_LOGIT}


@dataclass(frozen=True)
class ScaleMap:
    """A reported scale: ``kind``, anchors as (model index, value), and the point fit's map."""

    kind: str
    anchors: tuple[tuple[int, float], ...]
    slope: float
    intercept: float
    unit: float = 1.0  # elo/elo10: task-level logits per fitted logit (see make_scale)

    def apply(self, capability: FloatArray) -> FloatArray:
        """Map identified capabilities of the point fit to the scale."""
        out: FloatArray = self.intercept + self.slope * np.asarray(capability, dtype=np.float64)
        return out

    def apply_draws(self, draws: FloatArray) -> FloatArray:
        """Map bootstrap draws (n_draws × n_models), re-anchoring every draw on its own anchors."""
        if not self.anchors:  # raw, or elo at the pinned benchmark: one fixed map
            fixed: FloatArray = self.intercept + self.slope * draws
            return fixed
        slope, intercept = _coefficients(self.kind, self.anchors, draws, self.unit)
        out: FloatArray = intercept[:, None] + slope[:, None] * draws
        return out

    def gradient(self, capability: FloatArray, index: int) -> dict[int, float]:
        """Return ∂(scaled value of model ``index``)/∂C_j for the C_j it depends on."""
        if self.kind != "eci":
            return {index: self.slope}
        (i1, v1), (i2, v2) = self.anchors
        c = np.asarray(capability, dtype=np.float64)
        span = c[i2] - c[i1]
        t = (c[index] - c[i1]) / span
        grad: dict[int, float] = {}
        for j, g in ((index, 1.0 / span), (i1, (t - 1.0) / span), (i2, -t / span)):
            grad[j] = grad.get(j, 0.0) + (v2 - v1) * g
        return grad


def _coefficients(
    kind: str, anchors: tuple[tuple[int, float], ...], caps: FloatArray, unit: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """Return (slope, intercept) for each row of ``caps`` (n × n_models)."""
    n = caps.shape[0]
    if kind == "raw":
        return np.ones(n), np.zeros(n)
    if kind in POINTS_PER_LOGIT:
        slope = np.full(n, POINTS_PER_LOGIT[kind] * unit)
        (i1, v1) = anchors[0]
        return slope, v1 - slope * caps[:, i1]
    if kind == "eci":
        (i1, v1), (i2, v2) = anchors
        span = caps[:, i2] - caps[:, i1]
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (v2 - v1) / span
        return slope, v1 - slope * caps[:, i1]
    raise BadConfiguration(f"unknown scale {kind!r}")


def make_scale(
    kind: str,
    capability: FloatArray,
    anchors: tuple[tuple[int, float], ...] = (),
    *,
    reference_value: float = 1000.0,
    unit: float = 1.0,
) -> ScaleMap:
    """Return the :class:`ScaleMap` of ``kind`` for identified capabilities and anchor indices.

    Parameters
    ----------
    kind : {"raw", "eci", "elo", "elo10"}
        The scale.
    capability : float array
        Identified capabilities of the point fit.
    anchors : tuple of (model index, value)
        Two anchors for ``eci``; at most one for ``elo``/``elo10``; none for ``raw``.
    reference_value : float
        ``elo``/``elo10`` without an anchor model: the value at the pinned benchmark's difficulty.
    unit : float
        ``elo``/``elo10`` only: task-level logits per fitted (benchmark-level) logit, so that the
        points are per logit of one task's odds (:mod:`opengap.fit.task_scale`); 1 = the fitted
        logits themselves. Ignored by ``raw`` and ``eci``.

    Raises
    ------
    BadConfiguration
        Wrong number of anchors, or two eci anchors with the same capability.

    Examples
    --------
    >>> import numpy as np
    >>> s = make_scale("eci", np.array([0.0, 1.0, 3.0]), ((1, 130.0), (2, 150.0)))
    >>> s.apply(np.array([0.0, 1.0, 3.0])).tolist()
    [120.0, 130.0, 150.0]
    """
    caps = np.asarray(capability, dtype=np.float64)[None, :]
    if kind == "eci":
        if len(anchors) != 2:
            raise BadConfiguration(f"the eci scale needs two anchor models, got {len(anchors)}")
        if anchors[0][0] == anchors[1][0]:
            raise BadConfiguration("the two eci anchors are the same model")
        if caps[0, anchors[0][0]] == caps[0, anchors[1][0]]:
            raise BadConfiguration("the two eci anchor models have the same capability")
    elif kind in POINTS_PER_LOGIT:
        if len(anchors) > 1:
            raise BadConfiguration(f"the {kind} scale takes one anchor model, got {len(anchors)}")
        if not anchors:
            return ScaleMap(kind, (), POINTS_PER_LOGIT[kind] * unit, reference_value, unit)
    elif kind == "raw":
        if anchors:
            raise BadConfiguration("the raw scale takes no anchors")
    else:
        raise BadConfiguration(f"unknown scale {kind!r} (choose from raw, eci, elo, elo10)")
    if kind not in POINTS_PER_LOGIT:
        unit = 1.0
    slope, intercept = _coefficients(kind, anchors, caps, unit)
    return ScaleMap(kind, tuple(anchors), float(slope[0]), float(intercept[0]), unit)
