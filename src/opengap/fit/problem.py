"""The benchmark-level IRT objective: E[s_mb] = σ(α_b (C_m + δ_h − D_b)), its gradient and Hessian.

Pure numerics over index arrays. A parameter vector ``theta`` is laid out as
``[C (n_models), D (n_benchmarks), α (n_benchmarks), δ (n_groups)]``; a boolean mask says which
entries are optimised (the others keep their value). The objective is

    F(θ) = Σ_i w_i ℓ_i(θ) + (λ / n_free) · Σ_{j free} θ_j²

with ℓ_i = (p_i − y_i)² for the ``lsq`` loss and the Bernoulli deviance
ℓ_i = −[y_i log p_i + (1 − y_i) log(1 − p_i)] for ``binomial``. For ``lsq``, F is exactly the
squared norm of ECI's residual vector (the observation residuals plus one extra residual
√(λ·Σθ²/n_free)), so both reach the same optimum.

The Hessian is returned in the block form the solver needs: a diagonal block for the model
capabilities (a capability only meets the parameters of the benchmarks its model was scored on)
and a small dense block for everything else, coupled by a dense (n_models × n_other) matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit, log_expit

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

LOSSES = ("lsq", "binomial")


def _bincount(index: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """Sum ``weights`` by ``index`` into an array of ``length`` (float64)."""
    return np.bincount(index, weights, length).astype(np.float64, copy=False)


@dataclass(frozen=True)
class Problem:
    """Observations as index arrays: model ``model[i]`` scored ``y[i]`` on benchmark ``bench[i]``.

    Parameters
    ----------
    model, bench : int arrays of shape (n,)
        Model and benchmark index of each observation.
    y : float array of shape (n,)
        The observed score, a fraction.
    n_models, n_benchmarks : int
        Sizes of the parameter blocks (every index must be below them).
    group : int array of shape (n,), optional
        Offset group of each observation (``-1`` = no offset); default all ``-1``.
    n_groups : int
        Number of offset groups (δ parameters).
    n_items : float array of shape (n,), optional
        Items behind each score (NaN where unknown); used by the ``binomial`` loss.
    """

    model: IntArray
    bench: IntArray
    y: FloatArray
    n_models: int
    n_benchmarks: int
    group: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    n_groups: int = 0
    n_items: FloatArray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        n = len(self.y)
        if len(self.group) == 0:
            object.__setattr__(self, "group", np.full(n, -1, dtype=np.intp))
        if len(self.n_items) == 0:
            object.__setattr__(self, "n_items", np.full(n, np.nan))

    @property
    def n_obs(self) -> int:
        """Number of observations."""
        return len(self.y)

    @property
    def n_params(self) -> int:
        """Length of the full parameter vector."""
        return self.n_models + 2 * self.n_benchmarks + self.n_groups

    def split(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Return views ``(C, D, alpha, delta)`` of a full parameter vector."""
        m, b = self.n_models, self.n_benchmarks
        return theta[:m], theta[m : m + b], theta[m + b : m + 2 * b], theta[m + 2 * b :]

    def join(
        self, c: FloatArray, d: FloatArray, alpha: FloatArray, delta: FloatArray | None = None
    ) -> FloatArray:
        """Return the full parameter vector from its blocks."""
        if delta is None:
            delta = np.zeros(self.n_groups)
        return np.concatenate([c, d, alpha, delta]).astype(np.float64)


Blocks = tuple[FloatArray, FloatArray, FloatArray]


@dataclass
class Evaluation:
    """The objective at one point, with its gradient and, on demand, its Hessian blocks.

    ``u`` (M,) is the diagonal block of the capabilities, ``w`` (M × n_other) the coupling block
    and ``v`` (n_other × n_other) the block of D, α and δ. Rows and columns of fixed parameters
    are replaced by the identity, so a solve leaves them where they are.
    """

    value: float
    grad: FloatArray
    z_terms: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
    objective: Objective
    _exact: Blocks | None = None
    _gauss_newton: Blocks | None = None

    def blocks(self, exact: bool) -> Blocks:
        """Return the exact or the Gauss–Newton Hessian blocks (computed on first use)."""
        g1, g2, corr, diff, a_obs = self.z_terms
        if exact:
            if self._exact is None:
                self._exact = self.objective.blocks(g2 + corr, diff, a_obs, g1)
            return self._exact
        if self._gauss_newton is None:
            self._gauss_newton = self.objective.blocks(g2, diff, a_obs, None)
        return self._gauss_newton


class Objective:
    """The fit objective for one :class:`Problem`, loss, ridge strength and set of free parameters.

    Parameters
    ----------
    problem : Problem
        The observations.
    loss : {"lsq", "binomial"}
        Squared error, or the Bernoulli deviance weighted by items.
    ridge : float
        λ; the penalty is λ·Σθ²/n_free over the free parameters.
    free : bool array of shape (n_params,)
        Which parameters are optimised.
    weights : float array of shape (n,), optional
        Observation weights (bootstrap multiplicities, item weights); default 1.
    hessian : {"gauss-newton", "exact"}
        Gauss–Newton curvature (always positive semi-definite) or the exact second derivative.
    """

    def __init__(
        self,
        problem: Problem,
        *,
        loss: str,
        ridge: float,
        free: BoolArray,
        weights: FloatArray | None = None,
        hessian: str = "gauss-newton",
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}")
        self.problem = problem
        self.loss = loss
        self.ridge = float(ridge)
        self.free = np.asarray(free, dtype=bool)
        self.n_free = int(self.free.sum())
        self.ridge_coef = self.ridge / self.n_free if self.n_free else 0.0
        self.weights = np.ones(problem.n_obs) if weights is None else np.asarray(weights, float)
        self.exact = hessian == "exact"
        p = problem
        m, b, g = p.n_models, p.n_benchmarks, p.n_groups
        self.n_other = 2 * b + g
        # Precomputed index arrays for the vectorised assembly.
        self._gidx = np.where(p.group >= 0, p.group, g)  # group g = "no offset" (δ = 0)
        self._has_group = p.group >= 0
        nv = self.n_other
        bi, hi = p.bench, 2 * b + np.where(self._has_group, p.group, 0)
        self._w_cols = (p.model * nv + bi, p.model * nv + b + bi, p.model * nv + hi)
        self._v_pairs = {
            "dd": bi * nv + bi,
            "aa": (b + bi) * nv + (b + bi),
            "da": ((bi * nv + b + bi), ((b + bi) * nv + bi)),
            "hh": hi * nv + hi,
            "dh": (bi * nv + hi, hi * nv + bi),
            "ah": ((b + bi) * nv + hi, hi * nv + (b + bi)),
        }
        self._fixed_u = np.flatnonzero(~self.free[:m])
        self._fixed_v = np.flatnonzero(~self.free[m:])

    # ---------------------------------------------------------------- predictions
    def linear_predictor(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return ``(z, diff, alpha_obs)`` per observation: z = α_b·diff, diff = C_m + δ_h − D_b."""
        p = self.problem
        c, d, alpha, delta = p.split(theta)
        diff = c[p.model] - d[p.bench]
        if p.n_groups:
            diff = diff + np.append(delta, 0.0)[self._gidx]
        alpha_obs = alpha[p.bench]
        return alpha_obs * diff, diff, alpha_obs

    def predict(self, theta: FloatArray) -> FloatArray:
        """Return the expected score of every observation."""
        z, _, _ = self.linear_predictor(theta)
        out: FloatArray = expit(z)
        return out

    def _losses(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        prob: FloatArray = expit(z)
        if self.loss == "lsq":
            return (prob - self.problem.y) ** 2, prob
        y = self.problem.y
        nll: FloatArray = -(y * log_expit(z) + (1.0 - y) * log_expit(-z))
        return nll, prob

    def data_loss(self, theta: FloatArray) -> float:
        """Return Σ w_i ℓ_i without the ridge (the weighted SSE for ``lsq``)."""
        z, _, _ = self.linear_predictor(theta)
        ell, _ = self._losses(z)
        return float(self.weights @ ell)

    def penalty(self, theta: FloatArray) -> float:
        """Return the ridge term λ·Σθ²/n_free."""
        t = theta[self.free]
        return self.ridge_coef * float(t @ t)

    def value(self, theta: FloatArray) -> float:
        """Return F(θ)."""
        return self.data_loss(theta) + self.penalty(theta)

    # ---------------------------------------------------------------- derivatives
    def _z_derivatives(
        self, z: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Return weighted ℓ, dℓ/dz, the Gauss–Newton d²ℓ/dz² and its exact correction."""
        ell, prob = self._losses(z)
        s = prob * (1.0 - prob)
        wts = self.weights
        if self.loss == "lsq":
            r = prob - self.problem.y
            g1 = 2.0 * r * s
            g2 = 2.0 * s * s
            corr = 2.0 * r * s * (1.0 - 2.0 * prob)
        else:
            g1 = prob - self.problem.y
            g2 = s
            corr = np.zeros_like(s)
        return wts * ell, wts * g1, wts * g2, wts * corr

    def gradient(self, theta: FloatArray) -> FloatArray:
        """Return ∇F(θ) over the full parameter vector (zeros at fixed parameters)."""
        z, diff, a_obs = self.linear_predictor(theta)
        _, g1, _, _ = self._z_derivatives(z)
        return self._grad_from(g1, diff, a_obs, theta)

    def _grad_from(
        self, g1: FloatArray, diff: FloatArray, a_obs: FloatArray, theta: FloatArray
    ) -> FloatArray:
        p = self.problem
        ga = g1 * a_obs
        parts = [
            _bincount(p.model, ga, p.n_models),
            -_bincount(p.bench, ga, p.n_benchmarks),
            _bincount(p.bench, g1 * diff, p.n_benchmarks),
        ]
        if p.n_groups:
            parts.append(_bincount(self._gidx, ga, p.n_groups + 1)[: p.n_groups])
        grad = np.concatenate(parts)
        grad += 2.0 * self.ridge_coef * theta
        grad[~self.free] = 0.0
        return grad

    def evaluate(self, theta: FloatArray) -> Evaluation:
        """Return F and ∇F at ``theta``, with Hessian blocks available on demand.

        :meth:`Evaluation.blocks` gives the Gauss–Newton curvature (positive semi-definite) or
        the exact Hessian; the solver tries the exact one first when ``hessian="exact"``.
        """
        z, diff, a_obs = self.linear_predictor(theta)
        ell, g1, g2, corr = self._z_derivatives(z)
        value = float(ell.sum()) + self.penalty(theta)
        grad = self._grad_from(g1, diff, a_obs, theta)
        return Evaluation(value, grad, (g1, g2, corr, diff, a_obs), self)

    def blocks(
        self, g2: FloatArray, diff: FloatArray, a_obs: FloatArray, g1: FloatArray | None
    ) -> Blocks:
        """Assemble (u, w, v) from per-observation curvature ``g2`` (and ``g1`` for ∂²z terms)."""
        p = self.problem
        m, nv = p.n_models, self.n_other
        haa = g2 * a_obs * a_obs
        had = g2 * a_obs * diff
        if g1 is not None:  # ∂²z/∂α∂C = ∂²z/∂α∂δ = 1, ∂²z/∂α∂D = −1
            had = had + g1
        hdd = g2 * diff * diff
        u = _bincount(p.model, haa, m)
        wc = self._w_cols
        has = self._has_group
        w_flat = _bincount(wc[0], -haa, m * nv) + _bincount(wc[1], had, m * nv)
        if p.n_groups:
            w_flat += _bincount(wc[2][has], haa[has], m * nv)
        vp = self._v_pairs
        idx = [vp["dd"], vp["aa"], vp["da"][0], vp["da"][1]]
        vals = [haa, hdd, -had, -had]
        if p.n_groups:
            idx += [vp["hh"][has], vp["dh"][0][has], vp["dh"][1][has]]
            idx += [vp["ah"][0][has], vp["ah"][1][has]]
            vals += [haa[has], -haa[has], -haa[has], had[has], had[has]]
        v = _bincount(np.concatenate(idx), np.concatenate(vals), nv * nv).reshape(nv, nv)
        w = w_flat.reshape(m, nv)
        ridge2 = 2.0 * self.ridge_coef
        u += ridge2
        v[np.diag_indices(nv)] += ridge2
        fu, fv = self._fixed_u, self._fixed_v
        if len(fu):
            u[fu] = 1.0
            w[fu, :] = 0.0
        if len(fv):
            w[:, fv] = 0.0
            v[fv, :] = 0.0
            v[:, fv] = 0.0
            v[fv, fv] = 1.0
        return u, w, v

    # ---------------------------------------------------------------- least-squares form
    def residuals(self, theta: FloatArray) -> FloatArray:
        """Return ECI's residual vector: √w_i (p_i − y_i) and one ridge residual √(λΣθ²/n_free).

        Only for ``lsq``; its squared norm equals :meth:`value`.
        """
        r = np.sqrt(self.weights) * (self.predict(theta) - self.problem.y)
        return np.append(r, np.sqrt(self.penalty(theta)))

    def jacobian(self, theta: FloatArray) -> sp.csr_matrix:
        """Return the sparse Jacobian of :meth:`residuals` with respect to the free parameters."""
        p = self.problem
        z, diff, a_obs = self.linear_predictor(theta)
        prob = expit(z)
        sw = np.sqrt(self.weights) * prob * (1.0 - prob)
        col = np.full(p.n_params, -1, dtype=np.intp)
        col[self.free] = np.arange(self.n_free)
        m, b = p.n_models, p.n_benchmarks
        rows = np.arange(p.n_obs)
        targets = [p.model, m + p.bench, m + b + p.bench]
        values = [sw * a_obs, -sw * a_obs, sw * diff]
        if p.n_groups:
            has = self._has_group
            targets.append(np.where(has, m + 2 * b + p.group, 0))
            values.append(np.where(has, sw * a_obs, 0.0))
        tgt = np.concatenate(targets)
        cols = col[tgt]
        keep = cols >= 0
        rr = np.tile(rows, len(targets))[keep]
        vals = np.concatenate(values)[keep]
        ridge = np.sqrt(self.penalty(theta))
        last = self.ridge_coef * theta[self.free] / ridge if ridge > 0 else np.zeros(self.n_free)
        rr = np.concatenate([rr, np.full(self.n_free, p.n_obs)])
        cc = np.concatenate([cols[keep], np.arange(self.n_free)])
        vv = np.concatenate([vals, last])
        return sp.csr_matrix((vv, (rr, cc)), shape=(p.n_obs + 1, self.n_free))

    def dense_hessian(self, theta: FloatArray, *, exact: bool = True) -> FloatArray:
        """Return the full (n_params × n_params) Hessian, exact or Gauss–Newton.

        Rows and columns of fixed parameters are identity rows. For standard errors, not for
        solving.
        """
        u, w, v = self.evaluate(theta).blocks(exact=exact)
        m = self.problem.n_models
        n = self.problem.n_params
        h = np.zeros((n, n))
        h[np.arange(m), np.arange(m)] = u
        h[:m, m:] = w
        h[m:, :m] = w.T
        h[m:, m:] = v
        return h
