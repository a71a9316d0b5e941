"""The alternating JML loop shared by the dense backends (numpy and torch), on per-item moments.

A backend ("engine") owns the models × items response matrix and does the per-cell work in
chunks: for each model, the Newton step of its ability given the items; for each item, seven
sums over models of the per-cell score G = dℓ/dz and information J at z = a_i(θ_m − b_i).
This module turns those sums into the item updates, so the per-cell work never leaves the
engine and everything here is O(models + items).

One pass over the matrix serves both halves of a sweep. The abilities move first (θ' = θ + δ);
the item sums are wanted at θ', and G there is, to first order, G − J a δ (z moves by a δ), so
the engine also returns Σ J δ and Σ J δ θ'. The item step is then the sparse path's Fisher
scoring step (:mod:`opengap.fit.items`) at the normalised θ', up to that linearisation.

The linearisation does not vanish at convergence: the sparse path's fixed point keeps a
nonzero δ (each sweep's θ step widens the scale a little and the normalisation narrows it back;
max |δ| ≈ 0.1 on a 600 × 300 matrix), so it would move the fixed point (by about 2e-4 in θ on
that matrix, 4e-3 with a guessing floor). Once the one-pass sweeps have converged, the loop
therefore switches to exact sweeps, two passes each (δ, then the item sums at the normalised
θ'), until they converge too: the same fixed point as the sparse path, at the price of one or
two extra passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_EPS = 1e-9

# Rows of the moments array an engine returns (per item, sums over models m):
SG, SG_T, SJ, SJ_T, SJ_T2, SJ_D, SJ_DT = range(7)
N_MOMENTS = 7  # ΣG, ΣGθ', ΣJ, ΣJθ', ΣJθ'², ΣJδ, ΣJδθ'


class SweepEngine(Protocol):
    """The per-cell half of a dense fit (see the module docstring)."""

    n_models: int
    n_items: int

    def totals(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Return the score totals and response counts per model and per item."""
        ...

    def sweep(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> tuple[FloatArray, FloatArray]:
        """Return δ (each ability's clipped Newton step) and the (7, n_items) moments at θ + δ."""
        ...

    def step(self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray) -> FloatArray:
        """Return δ alone."""
        ...

    def moments(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> FloatArray:
        """Return the (7, n_items) moments at θ itself (δ = 0, so the last two rows are 0)."""
        ...

    def final(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Return each ability's information Σ J a² and the (3, n_items) fit sums.

        The fit sums per item are Σ (y − p)² / p(1 − p), Σ (y − p)² and Σ p(1 − p).
        """
        ...


@dataclass(frozen=True)
class JmlResult:
    """What a fit learned, whichever path ran it."""

    theta: FloatArray
    b: FloatArray
    u: FloatArray  # log discrimination
    theta_info: FloatArray  # Σ J a² at the estimate (without the prior's 1)
    infit: FloatArray
    outfit: FloatArray
    n_iter: int
    converged: bool


def start_values(
    row_total: FloatArray, row_count: FloatArray, col_total: FloatArray, col_count: FloatArray,
    c: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Return starting θ (standardised logit of each model's rate), b and log a = 0."""
    p_m = (row_total + 0.5) / (row_count + 1.0)
    p_i = np.clip(((col_total + 0.5) / (col_count + 1.0) - c) / (1.0 - c), 0.02, 0.98)
    theta = np.log(p_m / (1.0 - p_m))
    theta = (theta - theta.mean()) / (theta.std() + _EPS)
    b = -np.log(p_i / (1.0 - p_i))
    return theta, b, np.zeros(col_total.size)


def item_fit_stats(sums: FloatArray, count: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (infit, outfit) mean squares from :meth:`SweepEngine.final`'s fit sums."""
    outfit: FloatArray = sums[0] / np.maximum(count, 1.0)
    infit: FloatArray = sums[1] / np.maximum(sums[2], _EPS)
    return infit, outfit


def jml(
    engine: SweepEngine, c: FloatArray, start: tuple[FloatArray, FloatArray, FloatArray], *,
    two: bool, lam_b: float, lam_u: float, max_iter: int, tol: float, polish: bool = True,
) -> JmlResult:  # fmt: skip
    """Run the alternating sweeps on ``engine`` from ``start`` (θ, b, log a) to ``tol``.

    ``polish`` (default) adds the exact sweeps that land on the sparse path's fixed point.
    """
    theta, b, u = (np.array(v, dtype=np.float64) for v in start)
    converged, exact, sweeps = False, False, 0
    for sweeps in range(1, max_iter + 1):  # noqa: B007 (the count is kept)
        before = (theta, b, u)
        a = np.exp(u)
        if exact:
            moved = theta + engine.step(theta, b, a, c)
        else:
            delta, mom = engine.sweep(theta, b, a, c, two)
            moved = theta + delta
        # Fix the scale (mean 0; for the 2PL SD 1) as the sparse path does; z is unchanged.
        mu = float(moved.mean())
        sd = float(moved.std()) if two else 1.0
        if sd <= _EPS:
            sd = 1.0
        theta = (moved - mu) / sd
        b = (b - mu) / sd
        u = u + np.log(sd)
        if exact:
            mom = engine.moments(theta, b, np.exp(u), c, two)
            sg, sgt, sj, sjt, sjt2 = mom[SG], mom[SG_T], mom[SJ], mom[SJ_T], mom[SJ_T2]
        else:
            sg, sgt, sj, sjt, sjt2 = _normalised(mom, a, mu, sd)
        db, du = _item_step(b, u, sg, sgt, sj, sjt, sjt2, lam_b, lam_u, two)
        b, u = b + db, u + du
        move = max(float(np.abs(new - old).max())
                   for new, old in zip((theta, b, u), before, strict=True))  # fmt: skip
        if move < tol:
            if exact or not polish:
                converged = True
                break
            exact = True
    info, sums = engine.final(theta, b, np.exp(u), c)
    infit, outfit = item_fit_stats(sums, engine.totals()[3])
    return JmlResult(theta, b, u, info, infit, outfit, sweeps, converged)


def _normalised(
    mom: FloatArray, a: FloatArray, mu: float, sd: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The moments at θ' = θ + δ (first order in δ), in the unit fixed by (mu, sd)."""
    sg = mom[SG] - a * mom[SJ_D]  # Σ G at θ'
    sgt = mom[SG_T] - a * mom[SJ_DT]  # Σ G θ'
    sj, sjt, sjt2 = mom[SJ], mom[SJ_T], mom[SJ_T2]
    sjt2 = (sjt2 - 2.0 * mu * sjt + mu * mu * sj) / (sd * sd)
    sjt = (sjt - mu * sj) / sd
    sgt = (sgt - mu * sg) / sd
    return sg, sgt, sj, sjt, sjt2


def _item_step(
    b: FloatArray, u: FloatArray, sg: FloatArray, sgt: FloatArray, sj: FloatArray,
    sjt: FloatArray, sjt2: FloatArray, lam_b: float, lam_u: float, two: bool,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Fisher scoring on (b, log a) per item from the moments (z = a (θ − b), dz/du = z)."""
    a = np.exp(u)
    gb = -a * sg - lam_b * b
    hbb = a * a * sj + lam_b
    if not two:
        return np.clip(gb / hbb, -1.0, 1.0), np.zeros_like(u)
    gu = a * (sgt - b * sg) - lam_u * u
    huu = a * a * (sjt2 - 2.0 * b * sjt + b * b * sj) + lam_u
    hbu = -a * a * (sjt - b * sj)
    det = np.maximum(hbb * huu - hbu * hbu, _EPS)
    db = (huu * gb - hbu * gu) / det
    du = (hbb * gu - hbu * gb) / det
    return np.clip(db, -1.0, 1.0), np.clip(du, -0.5, 0.5)
