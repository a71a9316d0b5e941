"""The capability estimator (scikit-learn style) and its one-shot function twin.

Arrays in, parameters out: ``CapabilityEstimator(...).fit(model, bench, y)`` learns identified
capabilities ``capability_``, difficulties ``difficulty_``, slopes ``slope_`` and offsets
``offset_``, with Laplace standard errors, optional bootstrap draws and cross-validated
predictions. Scales, names and data selection live in :mod:`opengap.fitting`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from opengap.errors import BadConfiguration
from opengap.fit.bootstrap import Progress, RefitTask, run_bootstrap
from opengap.fit.diagnostics import kfold_assignment, predictable
from opengap.fit.identify import check_identified
from opengap.fit.problem import BoolArray, FloatArray, IntArray, Objective, Problem
from opengap.fit.reference import scipy_solve
from opengap.fit.solver import SolverResult, minimize
from opengap.fit.threads import single_threaded_blas

_CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "loss": (lambda v: v in ("lsq", "binomial"), "one of 'lsq', 'binomial'"),
    "ridge": (lambda v: v >= 0, "a number >= 0"),
    "identification": (lambda v: v in ("shift", "pin"), "one of 'shift', 'pin'"),
    "pin_benchmark": (lambda v: v is None or int(v) >= 0, "None or a benchmark index"),
    "capability_bounds": (lambda v: len(v) == 2 and v[0] < v[1], "a pair (low, high)"),
    "slope_bounds": (lambda v: len(v) == 2 and 0 < v[0] < v[1], "a pair 0 < low < high"),
    "init_scale": (lambda v: v >= 0, "a number >= 0"),
    "n_bootstrap": (lambda v: int(v) >= 0, "an integer >= 0"),
    "n_jobs": (lambda v: v is None or int(v) >= 1, "None or an integer >= 1"),
    "cv_folds": (lambda v: int(v) == 0 or int(v) >= 2, "0 or an integer >= 2"),
    "solver": (lambda v: v in ("newton", "scipy"), "one of 'newton', 'scipy'"),
    "hessian": (lambda v: v in ("exact", "gauss-newton"), "one of 'exact', 'gauss-newton'"),
    "max_iter": (lambda v: int(v) >= 1, "an integer >= 1"),
    "common_slope": (lambda v: isinstance(v, bool), "True or False"),
}
_LAPLACE_MAX_PARAMS = 6000


class CapabilityEstimator:
    """Fit E[s_mb] = σ(α_b (C_m + δ_h − D_b)) to benchmark-level scores.

    Parameters
    ----------
    loss : {"lsq", "binomial"}
        Squared error, or the Bernoulli deviance weighted by ``n_items`` (relative to the median
        known item count; observations of unknown size weigh 1).
    ridge : float
        λ of the ridge term λ·Σθ²/n_free over the free parameters.
    identification : {"shift", "pin"}
        ``shift`` (ECI): during the fit every C and D is free and only the pinned benchmark's
        slope is fixed at 1; afterwards all C and D are shifted so the pinned difficulty is 0.
        ``pin``: the pinned benchmark's D = 0 and α = 1 are held fixed during the fit.
    pin_benchmark : int, optional
        Index of the pinned benchmark; default the benchmark with the most observations.
    common_slope : bool
        One-parameter (1PL) variant: all benchmarks share one slope. The pinned benchmark's
        slope is 1 and so are all others; every α is held fixed.
    capability_bounds : (float, float)
        Bounds of C, D and δ.
    slope_bounds : (float, float)
        Bounds of α.
    init_scale : float
        Starting C and D are N(0, init_scale²) draws (``numpy.random.RandomState(seed)``); α = 1.
    seed : int
        Seed of the start, the bootstrap and the cross-validation folds.
    n_bootstrap : int
        Bootstrap refits (0 = none); draws are kept in ``draws_``.
    n_jobs : int, optional
        Worker processes for the bootstrap (default all usable cores).
    cv_folds : int
        k of the k-fold cross-validated predictions (0 = none).
    solver : {"newton", "scipy"}
        The structured Newton/Levenberg–Marquardt solver, or scipy (``least_squares``/``trf``
        with the analytic Jacobian for lsq, L-BFGS-B with the analytic gradient for binomial).
    hessian : {"exact", "gauss-newton"}
        Curvature used by the Newton solver.
    max_iter : int
        Most solver iterations per fit.
    start : float array, optional
        Full starting parameter vector ``[C, D, α, δ]`` (overrides the random start).
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.

    Attributes
    ----------
    capability_, difficulty_, slope_, offset_ : float arrays
        Identified parameters (the pinned benchmark has difficulty 0 and slope 1).
    theta_ : float array
        The optimum as found, before the identification shift.
    objective_, sse_ : float
        Objective value and Σ(p − y)² over the observations.
    predicted_, residual_ : float arrays
        Fitted expected scores and residuals (predicted − observed) per observation.
    se_capability_ : float array
        Laplace (inverse-Hessian) standard errors of ``capability_``.
    capability_cov_ : float array or None
        Laplace covariance of ``capability_`` (None for very large problems).
    draws_ : float array or None
        Bootstrap draws of ``capability_``, shape (n_bootstrap, n_models).
    draws_difficulty_, draws_slope_ : float arrays or None
        Bootstrap draws of difficulties and slopes.
    draws_converged_ : bool array or None
        Whether each bootstrap refit converged.
    cv_predicted_ : float array or None
        Cross-validated prediction per observation (NaN where the held-out model or benchmark
        had no other data).
    pin_benchmark_, n_free_, n_iter_, converged_ : int, int, int, bool
        The pinned benchmark, number of free parameters, solver iterations, convergence.
    fit_seconds_, bootstrap_seconds_ : float
        Time of the optimisation alone and of all bootstrap refits together.

    Examples
    --------
    >>> import numpy as np
    >>> model = np.array([0, 0, 1, 1, 2, 2])
    >>> bench = np.array([0, 1, 0, 1, 0, 1])
    >>> y = np.array([0.9, 0.6, 0.5, 0.2, 0.3, 0.1])
    >>> est = CapabilityEstimator(pin_benchmark=0).fit(model, bench, y)
    >>> bool(est.capability_[0] > est.capability_[1] > est.capability_[2])
    True
    """

    def __init__(
        self,
        *,
        loss: str = "lsq",
        ridge: float = 0.1,
        identification: str = "shift",
        pin_benchmark: int | None = None,
        common_slope: bool = False,
        capability_bounds: tuple[float, float] = (-10.0, 10.0),
        slope_bounds: tuple[float, float] = (0.1, 10.0),
        init_scale: float = 0.1,
        seed: int = 0,
        n_bootstrap: int = 0,
        n_jobs: int | None = None,
        cv_folds: int = 0,
        solver: str = "newton",
        hessian: str = "exact",
        max_iter: int = 500,
        start: FloatArray | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.loss = loss
        self.ridge = ridge
        self.identification = identification
        self.pin_benchmark = pin_benchmark
        self.common_slope = common_slope
        self.capability_bounds = capability_bounds
        self.slope_bounds = slope_bounds
        self.init_scale = init_scale
        self.seed = seed
        self.n_bootstrap = n_bootstrap
        self.n_jobs = n_jobs
        self.cv_folds = cv_folds
        self.solver = solver
        self.hessian = hessian
        self.max_iter = max_iter
        self.start = start
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        for name, (check, wanted) in _CONSTRAINTS.items():
            value = getattr(self, name)
            try:
                ok = bool(check(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise BadConfiguration(f"{name} must be {wanted}, got {value!r}")
        if self.identification == "shift" and self.ridge == 0:
            raise BadConfiguration(
                "identification 'shift' needs ridge > 0; use identification 'pin' without a ridge"
            )

    def fit(
        self,
        model: Sequence[int] | IntArray,
        bench: Sequence[int] | IntArray,
        y: Sequence[float] | FloatArray,
        *,
        n_models: int | None = None,
        n_benchmarks: int | None = None,
        n_items: Sequence[float] | FloatArray | None = None,
        offset_group: Sequence[int] | IntArray | None = None,
        n_groups: int | None = None,
        model_labels: Sequence[str] | None = None,
        benchmark_labels: Sequence[str] | None = None,
        group_labels: Sequence[str] | None = None,
        weights: Sequence[float] | FloatArray | None = None,
    ) -> CapabilityEstimator:
        """Fit to observations ``y[i]`` of model ``model[i]`` on benchmark ``bench[i]``.

        Parameters
        ----------
        model, bench : int arrays of shape (n,)
            Model and benchmark indices (0-based).
        y : float array of shape (n,)
            Scores as fractions in [0, 1].
        n_models, n_benchmarks : int, optional
            Counts (default: largest index + 1); every model and benchmark needs a score.
        n_items : float array, optional
            Items per score (NaN = unknown), for the binomial loss.
        offset_group : int array, optional
            Offset group per observation (-1 = none); group 0 is the reference (δ = 0).
        n_groups : int, optional
            Number of offset groups (default: largest group + 1).
        model_labels, benchmark_labels, group_labels : sequences of str, optional
            Names used in error messages.
        weights : float array, optional
            Weight of each observation in the loss (e.g. from
            :func:`opengap.fit.weighting.observation_weights`); default 1.

        Returns
        -------
        CapabilityEstimator
            ``self``, fitted.

        Raises
        ------
        BadConfiguration
            A bad parameter or malformed arrays.
        UnidentifiedFit
            The scores do not identify a common scale.
        """
        self._validate_params()
        self._obs_weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        with single_threaded_blas():
            return self._fit(
                model, bench, y, n_models, n_benchmarks, n_items, offset_group, n_groups,
                model_labels, benchmark_labels, group_labels,
            )  # fmt: skip

    def _fit(
        self,
        model: Sequence[int] | IntArray,
        bench: Sequence[int] | IntArray,
        y: Sequence[float] | FloatArray,
        n_models: int | None,
        n_benchmarks: int | None,
        n_items: Sequence[float] | FloatArray | None,
        offset_group: Sequence[int] | IntArray | None,
        n_groups: int | None,
        model_labels: Sequence[str] | None,
        benchmark_labels: Sequence[str] | None,
        group_labels: Sequence[str] | None,
    ) -> CapabilityEstimator:
        problem, pin = self._problem(
            model, bench, y, n_models, n_benchmarks, n_items, offset_group, n_groups
        )
        check_identified(
            problem.model,
            problem.bench,
            problem.n_models,
            problem.n_benchmarks,
            group=problem.group,
            n_groups=problem.n_groups,
            pin=pin,
            model_labels=model_labels,
            benchmark_labels=benchmark_labels,
            group_labels=group_labels,
        )
        self.pin_benchmark_ = pin
        free, lower, upper = self._free_and_bounds(problem, pin)
        weights = _item_weights(problem.n_items) if self.loss == "binomial" else None
        if self._obs_weights is not None:
            given = self._obs_weights
            if given.shape != (problem.n_obs,) or not np.all(np.isfinite(given)) or (
                given.min(initial=0.0) < 0.0
            ):
                raise BadConfiguration("weights must be finite, >= 0, one per observation")
            weights = given if weights is None else weights * given
        self._base_weights = weights if weights is not None else np.ones(problem.n_obs)
        objective = Objective(
            problem,
            loss=self.loss,
            ridge=self.ridge,
            free=free,
            weights=weights,
            hessian=self.hessian,
        )
        start = self._start(problem, pin)
        t0 = time.perf_counter()
        result = self._solve(objective, start, lower, upper)
        self.fit_seconds_ = time.perf_counter() - t0
        self.problem_ = problem
        self.free_ = free
        self.lower_, self.upper_ = lower, upper
        self.n_free_ = int(free.sum())
        self.theta_ = result.theta
        self.objective_ = float(result.value)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.solver_message_ = result.message
        c, d, alpha, delta = self._identified(result.theta[None, :])
        self.capability_, self.difficulty_, self.slope_ = c[0], d[0], alpha[0]
        self.offset_ = delta[0]
        self.predicted_ = objective.predict(result.theta)
        self.residual_ = self.predicted_ - problem.y
        self.sse_ = float(self.residual_ @ self.residual_)
        self._laplace(objective, result.theta)
        self._cross_validate(problem, free, lower, upper)
        self._bootstrap(problem, free, lower, upper)
        return self

    def _problem(
        self,
        model: Sequence[int] | IntArray,
        bench: Sequence[int] | IntArray,
        y: Sequence[float] | FloatArray,
        n_models: int | None,
        n_benchmarks: int | None,
        n_items: Sequence[float] | FloatArray | None,
        offset_group: Sequence[int] | IntArray | None,
        n_groups: int | None,
    ) -> tuple[Problem, int]:
        m_idx = np.asarray(model, dtype=np.intp)
        b_idx = np.asarray(bench, dtype=np.intp)
        yy = np.asarray(y, dtype=np.float64)
        n = len(yy)
        if m_idx.shape != (n,) or b_idx.shape != (n,):
            raise BadConfiguration("model, bench and y must be 1-d arrays of the same length")
        if n == 0:
            raise BadConfiguration("no observations to fit")
        if not np.all(np.isfinite(yy)) or yy.min() < 0.0 or yy.max() > 1.0:
            raise BadConfiguration("scores must be finite fractions in [0, 1]")
        if m_idx.min() < 0 or b_idx.min() < 0:
            raise BadConfiguration("model and benchmark indices must be >= 0")
        nm = int(m_idx.max()) + 1 if n_models is None else int(n_models)
        nb = int(b_idx.max()) + 1 if n_benchmarks is None else int(n_benchmarks)
        if m_idx.max() >= nm or b_idx.max() >= nb:
            raise BadConfiguration("an index is not below n_models / n_benchmarks")
        items = np.full(n, np.nan) if n_items is None else np.asarray(n_items, dtype=np.float64)
        if items.shape != (n,):
            raise BadConfiguration("n_items must have one entry per observation")
        groups = (
            np.full(n, -1, dtype=np.intp)
            if offset_group is None
            else np.asarray(offset_group, dtype=np.intp)
        )
        if groups.shape != (n,) or groups.min(initial=0) < -1:
            raise BadConfiguration("offset_group must have one entry per observation, -1 = none")
        ng = int(groups.max(initial=-1)) + 1 if n_groups is None else int(n_groups)
        if groups.max(initial=-1) >= ng:
            raise BadConfiguration("an offset group is not below n_groups")
        pin = self.pin_benchmark
        if pin is None:
            pin = int(np.argmax(np.bincount(b_idx, minlength=nb)))
        elif int(pin) >= nb:
            raise BadConfiguration(f"pin_benchmark {pin} is not a benchmark index (< {nb})")
        problem = Problem(
            model=m_idx,
            bench=b_idx,
            y=yy,
            n_models=nm,
            n_benchmarks=nb,
            group=groups,
            n_groups=ng,
            n_items=items,
        )
        return problem, int(pin)

    def _free_and_bounds(
        self, problem: Problem, pin: int
    ) -> tuple[BoolArray, FloatArray, FloatArray]:
        m, b, g = problem.n_models, problem.n_benchmarks, problem.n_groups
        free = np.ones(problem.n_params, dtype=bool)
        free[m + b + pin] = False  # the pinned slope is 1
        if self.common_slope:
            free[m + b : m + 2 * b] = False  # one shared slope: the pinned one, 1
        if self.identification == "pin":
            free[m + pin] = False  # and its difficulty 0
        if g:
            free[m + 2 * b] = False  # the reference group's offset is 0
        lo, hi = self.capability_bounds
        slo, shi = self.slope_bounds
        lower = problem.join(np.full(m, lo), np.full(b, lo), np.full(b, slo), np.full(g, lo))
        upper = problem.join(np.full(m, hi), np.full(b, hi), np.full(b, shi), np.full(g, hi))
        return free, lower, upper

    def _start(self, problem: Problem, pin: int) -> FloatArray:
        if self.start is not None:
            start = np.asarray(self.start, dtype=np.float64).copy()
            if start.shape != (problem.n_params,):
                raise BadConfiguration(f"start must have {problem.n_params} entries")
        else:
            rs = np.random.RandomState(self.seed)
            c0 = rs.randn(problem.n_models) * self.init_scale
            d0 = rs.randn(problem.n_benchmarks) * self.init_scale
            start = problem.join(c0, d0, np.ones(problem.n_benchmarks))
        m, b = problem.n_models, problem.n_benchmarks
        start[m + b + pin] = 1.0
        if self.common_slope:
            start[m + b : m + 2 * b] = 1.0
        if self.identification == "pin":
            start[m + pin] = 0.0
        if problem.n_groups:
            start[m + 2 * b] = 0.0
        return start

    def _solve(
        self, objective: Objective, start: FloatArray, lower: FloatArray, upper: FloatArray
    ) -> SolverResult:
        if self.solver == "scipy":
            return scipy_solve(objective, start, lower, upper)
        return minimize(objective, start, lower, upper, max_iter=self.max_iter)

    def _identified(
        self, thetas: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Split rows of raw parameters and shift C and D so the pinned D is 0."""
        p = self.problem_ if hasattr(self, "problem_") else None
        assert p is not None
        m, b = p.n_models, p.n_benchmarks
        c = thetas[:, :m]
        d = thetas[:, m : m + b]
        shift = d[:, self.pin_benchmark_][:, None]
        return c - shift, d - shift, thetas[:, m + b : m + 2 * b], thetas[:, m + 2 * b :]

    # ------------------------------------------------------------------ uncertainty
    def _laplace(self, objective: Objective, theta: FloatArray) -> None:
        p = objective.problem
        m = p.n_models
        self.capability_cov_: FloatArray | None = None
        self.se_capability_ = np.full(m, np.nan)
        if p.n_params > _LAPLACE_MAX_PARAMS:
            return
        free = objective.free
        factor = None
        for exact in (True, False):  # the exact Hessian, or Gauss–Newton where it is not PD
            hess = objective.dense_hessian(theta, exact=exact)[np.ix_(free, free)]
            try:
                factor = cho_factor(hess, check_finite=False)
                break
            except LinAlgError:
                continue
        if factor is None:
            return
        if self.loss == "lsq":
            dof = max(float(objective.weights.sum()) - self.n_free_, 1.0)
            sigma2 = objective.data_loss(theta) / dof
            scale = 2.0 * sigma2
        else:
            scale = 1.0 / self._item_reference
        # Identified capability = C_m − D_pin: a linear map T from the free parameters.
        col = np.full(p.n_params, -1, dtype=np.intp)
        col[free] = np.arange(int(free.sum()))
        t = np.zeros((int(free.sum()), m))
        t[col[:m], np.arange(m)] = 1.0
        d_pin = col[m + self.pin_benchmark_]
        if d_pin >= 0:
            t[d_pin, :] -= 1.0
        solved = cho_solve(factor, t, check_finite=False)
        cov = scale * (t.T @ solved)
        self.capability_cov_ = cov
        self.se_capability_ = np.sqrt(np.clip(np.diag(cov), 0.0, None))

    @property
    def _item_reference(self) -> float:
        items = self.problem_.n_items
        known = items[np.isfinite(items) & (items > 0)]
        return float(np.median(known)) if len(known) else 1.0

    def _task(
        self, problem: Problem, free: BoolArray, lower: FloatArray, upper: FloatArray
    ) -> RefitTask:
        return RefitTask(
            problem=problem,
            loss=self.loss,
            ridge=self.ridge,
            free=free,
            base_weights=self._base_weights,
            lower=lower,
            upper=upper,
            start=self.theta_,
            hessian=self.hessian,
            max_iter=self.max_iter,
        )

    def _cross_validate(
        self, problem: Problem, free: BoolArray, lower: FloatArray, upper: FloatArray
    ) -> None:
        self.cv_predicted_: FloatArray | None = None
        if not self.cv_folds:
            return
        task = self._task(problem, free, lower, upper)
        fold = kfold_assignment(problem.model, problem.n_models, self.cv_folds, self.seed)
        out = np.full(problem.n_obs, np.nan)
        for k in range(self.cv_folds):
            test = fold == k
            if not test.any():
                continue
            train = ~test
            theta, _ = task.refit(train.astype(np.float64))
            ok = test & predictable(
                problem.model, problem.bench, train, problem.n_models, problem.n_benchmarks
            )
            objective = Objective(problem, loss="lsq", ridge=0.0, free=free)
            out[ok] = objective.predict(theta)[ok]
        self.cv_predicted_ = out

    def _bootstrap(
        self, problem: Problem, free: BoolArray, lower: FloatArray, upper: FloatArray
    ) -> None:
        self.draws_: FloatArray | None = None
        self.draws_difficulty_: FloatArray | None = None
        self.draws_slope_: FloatArray | None = None
        self.draws_offset_: FloatArray | None = None
        self.draws_converged_: BoolArray | None = None
        self.bootstrap_seconds_ = 0.0
        if not self.n_bootstrap:
            return
        task = self._task(problem, free, lower, upper)
        t0 = time.perf_counter()
        thetas, converged = run_bootstrap(
            task,
            int(self.n_bootstrap),
            self.seed,
            n_jobs=self.n_jobs,
            progress=self.progress,
        )
        self.bootstrap_seconds_ = time.perf_counter() - t0
        c, d, alpha, delta = self._identified(thetas)
        self.draws_, self.draws_difficulty_, self.draws_slope_ = c, d, alpha
        self.draws_offset_ = delta
        self.draws_converged_ = converged


def _item_weights(n_items: FloatArray) -> FloatArray:
    """Binomial weights: items relative to the median known count; unknown sizes weigh 1."""
    known = np.isfinite(n_items) & (n_items > 0)
    if not known.any():
        return np.ones(len(n_items))
    ref = float(np.median(n_items[known]))
    return np.where(known, n_items / ref, 1.0)


def fit_capabilities(
    model: Sequence[int] | IntArray,
    bench: Sequence[int] | IntArray,
    y: Sequence[float] | FloatArray,
    **options: Any,
) -> CapabilityEstimator:
    """Fit capabilities in one call: ``CapabilityEstimator(**options).fit(model, bench, y)``.

    Keyword options that are :meth:`CapabilityEstimator.fit` arguments (``n_models``,
    ``offset_group`` …) go to ``fit``; the others to the constructor.

    Examples
    --------
    >>> est = fit_capabilities([0, 0, 1, 1], [0, 1, 0, 1], [0.8, 0.4, 0.6, 0.2])
    >>> float(est.difficulty_[est.pin_benchmark_])
    0.0
    """
    fit_keys = {
        "n_models", "n_benchmarks", "n_items", "offset_group", "n_groups",
        "model_labels", "benchmark_labels", "group_labels", "weights",
    }  # fmt: skip
    fit_args = {k: v for k, v in options.items() if k in fit_keys}
    ctor = {k: v for k, v in options.items() if k not in fit_keys}
    return CapabilityEstimator(**ctor).fit(model, bench, y, **fit_args)
