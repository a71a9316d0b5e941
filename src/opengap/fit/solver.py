"""A bounded Levenberg–Marquardt solver that exploits the block structure of the IRT Hessian.

The capabilities' Hessian block is diagonal, so each Newton step eliminates them (a Schur
complement) and solves one small dense system over the benchmark parameters and offsets. Bounds
are handled by an active set: a parameter at a bound whose gradient points outward is held there
for the step, and every trial point is projected onto the box. A rejected step is first halved
(up to three times) before the damping grows. A step is accepted only if it lowers the
objective, so the iteration is monotone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from opengap.fit.problem import Blocks, BoolArray, FloatArray, Objective


@dataclass
class SolverResult:
    """Where the solver stopped: the point, its objective value and why it stopped."""

    theta: FloatArray
    value: float
    n_iter: int
    n_eval: int
    converged: bool
    message: str


def _step(
    blocks: Blocks, grad: FloatArray, hold: BoolArray | None, mu: float, n_models: int
) -> FloatArray | None:
    """Solve (H + μ·diag H) Δ = −g by eliminating the capabilities; None if not positive definite.

    ``hold`` marks free parameters held at a bound for this step (fixed ones are already
    identity rows in ``blocks``).
    """
    m = n_models
    u0, w, v = blocks
    g_u, g_v = grad[:m], grad[m:]
    if hold is not None:
        hold_u, hold_v = hold[:m], hold[m:]
        u0, w, v = u0.copy(), w.copy(), v.copy()
        g_u, g_v = g_u.copy(), g_v.copy()
        u0[hold_u] = 1.0
        g_u[hold_u] = 0.0
        w[hold_u, :] = 0.0
        w[:, hold_v] = 0.0
        v[hold_v, :] = 0.0
        v[:, hold_v] = 0.0
        v[hold_v, hold_v] = 1.0
        g_v[hold_v] = 0.0
    u = u0 + mu * np.maximum(u0, 1e-12)
    if np.any(u <= 0.0):
        return None
    wu = w / u[:, None]
    schur = v - w.T @ wu
    diag = np.diag_indices_from(schur)
    schur[diag] += mu * np.maximum(np.diag(v), 1e-12)
    rhs = wu.T @ g_u - g_v
    try:
        if schur.shape[0]:
            delta_v = cho_solve(cho_factor(schur, check_finite=False), rhs, check_finite=False)
        else:
            delta_v = rhs
    except LinAlgError:
        return None
    delta_u = (-g_u - w @ delta_v) / u
    step = np.concatenate([delta_u, delta_v])
    if not np.all(np.isfinite(step)):
        return None
    return step


def _quad(blocks: Blocks, step: FloatArray, n_models: int) -> float:
    """Return Δᵀ H Δ for undamped Hessian blocks."""
    u, w, v = blocks
    su, sv = step[:n_models], step[n_models:]
    return float(su @ (u * su) + 2.0 * su @ (w @ sv) + sv @ (v @ sv))


def minimize(
    objective: Objective,
    theta0: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    *,
    max_iter: int = 500,
    ftol: float = 1e-12,
    xtol: float = 1e-10,
    gtol: float = 1e-10,
    max_step: float = 2.0,
) -> SolverResult:
    """Minimise ``objective`` from ``theta0`` within ``[lower, upper]`` (free parameters only).

    Parameters
    ----------
    objective : Objective
        What to minimise; its ``free`` mask says which entries move.
    theta0 : float array
        Starting point (projected onto the bounds first).
    lower, upper : float arrays
        Bounds of every parameter.
    max_iter : int
        Most Newton steps.
    ftol, xtol, gtol : float
        Stop when an accepted step lowers F by less than ``ftol·F`` and moves θ by less than
        ``xtol·(‖θ‖ + xtol)``, or when the projected gradient's largest entry is below
        ``gtol·max(1, F)``.
    max_step : float
        Largest change of any one parameter in one step (logit units).

    Returns
    -------
    SolverResult
        The final point and diagnostics.
    """
    free = objective.free
    m = objective.problem.n_models
    theta = np.clip(np.asarray(theta0, dtype=np.float64).copy(), lower, upper)
    ev = objective.evaluate(theta)
    n_eval = 1
    mu = 1e-3
    nu = 2.0
    message = "maximum number of iterations reached"
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        g = ev.grad
        at_low = (theta <= lower) & (g > 0)
        at_high = (theta >= upper) & (g < 0)
        bound = at_low | at_high
        hold = bound if bound.any() else None
        pg = np.where(~free | bound, 0.0, g)
        if np.max(np.abs(pg), initial=0.0) <= gtol * max(1.0, ev.value):
            converged, message = True, "projected gradient below gtol"
            break
        accepted = False
        while not accepted:
            solved = None
            if objective.exact:
                blocks = ev.blocks(exact=True)
                solved = _step(blocks, g, hold, mu, m)
            if solved is None:
                blocks = ev.blocks(exact=False)
                solved = _step(blocks, g, hold, mu, m)
            if solved is None:
                mu = max(mu * 10.0, 1e-8)
                if mu > 1e16:
                    break
                continue
            largest = float(np.max(np.abs(solved), initial=0.0))
            if largest > max_step:  # a crude trust region: no coordinate moves further
                solved = solved * (max_step / largest)
            trial = np.clip(theta + solved, lower, upper)
            step = trial - theta
            new_value = objective.value(trial)
            n_eval += 1
            predicted = -(float(g @ step) + 0.5 * _quad(blocks, step, m))
            actual = ev.value - new_value
            halvings = 0
            while actual <= 0.0 and np.any(step) and halvings < 3:
                # Backtrack along the same direction first: a value costs far less than a solve.
                halvings += 1
                trial = np.clip(theta + solved * 0.5**halvings, lower, upper)
                step = trial - theta
                new_value = objective.value(trial)
                n_eval += 1
                predicted = -(float(g @ step) + 0.5 * _quad(blocks, step, m))
                actual = ev.value - new_value
            if actual > 0.0 or (actual == 0.0 and not np.any(step)):
                # ρ above 2 already gives the largest decrease (0.1×); capping it keeps a
                # tiny predicted decrease from overflowing the cube.
                rho = min(actual / predicted, 2.0) if predicted > 0 else 0.0
                mu *= max(0.1, 1.0 - (2.0 * rho - 1.0) ** 3)
                mu = max(mu, 1e-12)
                nu = 2.0
                accepted = True
                small_f = actual <= ftol * max(ev.value, 1e-300)
                small_x = np.linalg.norm(step) <= xtol * (np.linalg.norm(theta) + xtol)
                theta = trial
                ev = objective.evaluate(theta)
                n_eval += 1
                if small_f and small_x:
                    converged, message = True, "relative reduction below ftol and step below xtol"
            else:
                mu *= nu
                nu *= 2.0
                if mu > 1e16:
                    break
        if not accepted:
            converged = True
            message = "no further decrease possible"
            break
        if converged:
            break
    return SolverResult(theta, ev.value, it, n_eval, converged, message)
