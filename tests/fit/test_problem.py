"""The objective's analytic derivatives against finite differences, and its least-squares form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.optimize._numdiff import approx_derivative

from opengap.fit.problem import Objective, Problem

Make = Callable[..., Any]


def _objective(
    make: Make, loss: str, *, offsets: bool, hessian: str = "exact", seed: int = 0
) -> Objective:
    s = make(20, 6, missing=0.5, seed=seed, offsets=(0.4, -0.3) if offsets else ())
    problem = Problem(
        model=s.model, bench=s.bench, y=s.y, n_models=s.n_models, n_benchmarks=s.n_benchmarks,
        group=s.group, n_groups=len(s.offset) + 1 if offsets else 0, n_items=s.n_items,
    )  # fmt: skip
    free = np.ones(problem.n_params, dtype=bool)
    free[problem.n_models + problem.n_benchmarks] = False  # slope of benchmark 0
    if offsets:
        free[problem.n_models + 2 * problem.n_benchmarks] = False
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 3, problem.n_obs).astype(float)
    return Objective(problem, loss=loss, ridge=0.1, free=free, weights=weights, hessian=hessian)


def _point(objective: Objective, seed: int = 1) -> np.ndarray:
    p = objective.problem
    rng = np.random.default_rng(seed)
    theta = p.join(
        rng.normal(0, 1, p.n_models), rng.normal(0, 1, p.n_benchmarks),
        rng.uniform(0.5, 2.0, p.n_benchmarks), rng.normal(0, 0.5, p.n_groups),
    )  # fmt: skip
    theta[~objective.free & (np.arange(p.n_params) >= p.n_models + p.n_benchmarks)] = 0.0
    theta[p.n_models + p.n_benchmarks] = 1.0
    return theta


@pytest.mark.parametrize("loss", ["lsq", "binomial"])
@pytest.mark.parametrize("offsets", [False, True])
def test_gradient_matches_finite_differences(synthetic: Make, loss: str, offsets: bool) -> None:
    obj = _objective(synthetic, loss, offsets=offsets)
    theta = _point(obj)
    numeric = approx_fprime(theta, obj.value, 1e-7)
    numeric[~obj.free] = 0.0
    np.testing.assert_allclose(obj.gradient(theta), numeric, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("loss", ["lsq", "binomial"])
@pytest.mark.parametrize("offsets", [False, True])
def test_exact_hessian_matches_finite_differences_of_the_gradient(
    synthetic: Make, loss: str, offsets: bool
) -> None:
    obj = _objective(synthetic, loss, offsets=offsets)
    theta = _point(obj)
    numeric = approx_derivative(obj.gradient, theta, method="3-point")
    free = obj.free
    analytic = obj.dense_hessian(theta, exact=True)
    np.testing.assert_allclose(
        analytic[np.ix_(free, free)], numeric[np.ix_(free, free)], atol=1e-5, rtol=1e-4
    )


def test_gauss_newton_hessian_is_positive_definite_and_exact_for_a_perfect_fit(
    synthetic: Make,
) -> None:
    obj = _objective(synthetic, "lsq", offsets=True)
    theta = _point(obj)
    free = obj.free
    gn = obj.dense_hessian(theta, exact=False)[np.ix_(free, free)]
    assert np.linalg.eigvalsh(gn).min() > 0
    # Where every residual is zero the Gauss–Newton and exact Hessians coincide.
    perfect = Objective(
        Problem(obj.problem.model, obj.problem.bench, obj.predict(theta), obj.problem.n_models,
                obj.problem.n_benchmarks, obj.problem.group, obj.problem.n_groups),
        loss="lsq", ridge=0.1, free=free, weights=obj.weights,
    )  # fmt: skip
    np.testing.assert_allclose(
        perfect.dense_hessian(theta, exact=True), perfect.dense_hessian(theta, exact=False),
        atol=1e-12,
    )  # fmt: skip


@pytest.mark.parametrize("offsets", [False, True])
def test_least_squares_jacobian_matches_finite_differences(synthetic: Make, offsets: bool) -> None:
    obj = _objective(synthetic, "lsq", offsets=offsets)
    theta = _point(obj)
    free = obj.free

    def residuals(x: np.ndarray) -> np.ndarray:
        full = theta.copy()
        full[free] = x
        return obj.residuals(full)

    numeric = approx_derivative(residuals, theta[free], method="3-point")
    np.testing.assert_allclose(obj.jacobian(theta).toarray(), numeric, atol=1e-7, rtol=1e-5)


def test_residual_vector_is_ecis_single_ridge_residual(synthetic: Make) -> None:
    obj = _objective(synthetic, "lsq", offsets=False)
    theta = _point(obj)
    r = obj.residuals(theta)
    assert len(r) == obj.problem.n_obs + 1
    t = theta[obj.free]
    assert r[-1] == pytest.approx(np.sqrt(0.1 * (t @ t) / obj.n_free))
    assert r @ r == pytest.approx(obj.value(theta))
    assert obj.n_free == obj.problem.n_params - 1


def test_binomial_loss_is_the_weighted_bernoulli_deviance(synthetic: Make) -> None:
    obj = _objective(synthetic, "binomial", offsets=False)
    theta = _point(obj)
    p = obj.predict(theta)
    y = obj.problem.y
    deviance = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert obj.data_loss(theta) == pytest.approx(float(obj.weights @ deviance))
