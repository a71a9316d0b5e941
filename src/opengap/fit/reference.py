"""Plain scipy implementations of the same objective, to check the fast solver against.

:func:`reference_fit` is the straightforward implementation of the ECI / Rosetta-Stone fit: its
own residual function (observation residuals plus one ridge residual), scipy's ``least_squares``
with the ``trf`` method, bounds, and a finite-difference Jacobian by default. It shares no code
with :mod:`opengap.fit.problem`, so agreement between the two is a real check.
:func:`scipy_solve` runs scipy's optimisers on an :class:`~opengap.fit.problem.Objective` with its
analytic Jacobian (``lsq``) or gradient (``binomial``): the estimator's ``solver="scipy"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.optimize import minimize as scipy_minimize

from opengap.fit.problem import FloatArray, IntArray, Objective
from opengap.fit.solver import SolverResult
from opengap.fit.threads import single_threaded_blas


@dataclass
class ReferenceFit:
    """Result of :func:`reference_fit`: identified parameters, SSE, cost and scipy's report."""

    capability: FloatArray
    difficulty: FloatArray
    slope: FloatArray
    sse: float
    cost: float
    nfev: int
    status: int


def reference_fit(
    model: IntArray,
    bench: IntArray,
    y: FloatArray,
    n_models: int,
    n_benchmarks: int,
    pin: int,
    *,
    ridge: float = 0.1,
    start: FloatArray | None = None,
    seed: int = 42,
    init_scale: float = 0.1,
    jac: str = "2-point",
) -> ReferenceFit:
    """Fit E[s] = σ(α_b(C_m − D_b)) the straightforward way (ECI's formulation).

    All C and D are free, the pinned benchmark's slope is fixed at 1, the ridge is one extra
    residual √(λ·Σθ²/n_free); afterwards C and D are shifted so that the pinned D is 0.

    Parameters
    ----------
    model, bench, y : arrays
        Observations.
    n_models, n_benchmarks : int
        Parameter counts.
    pin : int
        Index of the pinned benchmark.
    ridge : float
        λ.
    start : float array, optional
        Starting ``[C, D, α without the pinned one]``; default C, D ~ N(0, init_scale²) drawn with
        ``numpy.random.RandomState(seed)`` and α = 1.
    seed, init_scale : int, float
        The default start.
    jac : str
        Passed to ``least_squares`` ("2-point" = finite differences). BLAS runs on one thread,
        which is fastest for problems of this size.

    Returns
    -------
    ReferenceFit
    """
    m, b = n_models, n_benchmarks
    n_free = m + 2 * b - 1
    keep = np.array([j for j in range(b) if j != pin], dtype=np.intp)

    def split(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        alpha = np.ones(b)
        alpha[keep] = x[m + b :]
        return x[:m], x[m : m + b], alpha

    def residuals(x: FloatArray) -> FloatArray:
        c, d, alpha = split(x)
        pred = 1.0 / (1.0 + np.exp(-alpha[bench] * (c[model] - d[bench])))
        penalty = ridge * float(x @ x) / n_free
        return np.append(pred - y, np.sqrt(penalty))

    if start is None:
        rs = np.random.RandomState(seed)
        c0 = rs.randn(m) * init_scale
        d0 = rs.randn(b) * init_scale
        start = np.concatenate([c0, d0, np.ones(b - 1)])
    lower = np.concatenate([np.full(m + b, -10.0), np.full(b - 1, 0.1)])
    upper = np.concatenate([np.full(m + b, 10.0), np.full(b - 1, 10.0)])
    with single_threaded_blas():  # fastest for this size; BLAS threads only add waiting
        result = least_squares(residuals, start, bounds=(lower, upper), method="trf", jac=jac)
    c, d, alpha = split(result.x)
    shift = d[pin]
    res = residuals(result.x)
    return ReferenceFit(
        capability=c - shift,
        difficulty=d - shift,
        slope=alpha,
        sse=float(res[:-1] @ res[:-1]),
        cost=float(result.cost),
        nfev=int(result.nfev),
        status=int(result.status),
    )


def scipy_solve(
    objective: Objective, theta0: FloatArray, lower: FloatArray, upper: FloatArray
) -> SolverResult:
    """Minimise ``objective`` with scipy: ``least_squares`` (trf, analytic sparse Jacobian) for
    ``lsq``, L-BFGS-B with the analytic gradient for ``binomial``."""
    free = objective.free
    theta = np.clip(np.asarray(theta0, dtype=np.float64), lower, upper)

    def full(x: FloatArray) -> FloatArray:
        out = theta.copy()
        out[free] = x
        return out

    x0 = theta[free]
    bounds = (lower[free], upper[free])
    if objective.loss == "lsq":
        res = least_squares(
            lambda x: objective.residuals(full(x)),
            x0,
            jac=lambda x: objective.jacobian(full(x)),
            bounds=bounds,
            method="trf",
            tr_solver="lsmr",
            x_scale="jac",
            ftol=1e-12,
            xtol=1e-12,
            gtol=1e-10,
        )
        best = full(res.x)
        return SolverResult(
            best, objective.value(best), int(res.nfev), int(res.nfev), res.status > 0, res.message
        )

    def fun(x: FloatArray) -> tuple[float, FloatArray]:
        t = full(x)
        return objective.value(t), objective.gradient(t)[free]

    out = scipy_minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(bounds[0], bounds[1], strict=True)),
        options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-9},
    )
    best = full(out.x)
    return SolverResult(
        best, objective.value(best), int(out.nit), int(out.nfev), bool(out.success),
        str(out.message),
    )
