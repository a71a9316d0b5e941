"""Bootstrap refits: resample each model's own results with replacement, refit warm-started.

A resample is represented as integer multiplicities on the observations (drawing an observation
twice is the same as weighting it by 2), so every refit reuses the same arrays. Draws are seeded
one by one from a :class:`numpy.random.SeedSequence`, so the result does not depend on how the
refits are spread over workers. Refits run in worker processes (the work is many small numpy
calls, which hold the GIL, so threads do not run in parallel; see ``benchmarks/bench_fit.py``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from opengap.fit.problem import BoolArray, FloatArray, IntArray, Objective, Problem
from opengap.fit.solver import minimize
from opengap.fit.threads import single_threaded_blas

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RefitTask:
    """Everything a worker needs to refit the problem under new observation weights."""

    problem: Problem
    loss: str
    ridge: float
    free: BoolArray
    base_weights: FloatArray
    lower: FloatArray
    upper: FloatArray
    start: FloatArray
    hessian: str
    max_iter: int

    def refit(self, multiplicity: FloatArray) -> tuple[FloatArray, bool]:
        """Return the optimum under weights ``base_weights · multiplicity``, and convergence."""
        objective = Objective(
            self.problem,
            loss=self.loss,
            ridge=self.ridge,
            free=self.free,
            weights=self.base_weights * multiplicity,
            hessian=self.hessian,
        )
        result = minimize(objective, self.start, self.lower, self.upper, max_iter=self.max_iter)
        return result.theta, result.converged


def resample_by_model(
    model: IntArray, n_models: int, rng: np.random.Generator
) -> FloatArray:
    """Return multiplicities of one bootstrap draw: each model's results resampled with replacement.

    Model ``m`` with ``k`` observations gets ``k`` draws from its own observations, so every model
    keeps its number of results (ECI's scheme).
    """
    order = np.argsort(model, kind="stable")
    counts = np.bincount(model, minlength=n_models)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot_model = model[order]
    picks = starts[slot_model] + np.floor(rng.random(len(model)) * counts[slot_model]).astype(
        np.intp
    )
    drawn = order[picks]
    out: FloatArray = np.bincount(drawn, minlength=len(model)).astype(np.float64)
    return out


_TASK: RefitTask | None = None


_LIMIT: object = None


def _init_worker(task: RefitTask) -> None:
    global _TASK, _LIMIT
    _TASK = task
    _LIMIT = single_threaded_blas()  # applies from here on in this worker process


def _run_chunk(
    indices: list[int], seeds: list[np.random.SeedSequence], task: RefitTask | None = None
) -> tuple[list[int], FloatArray, BoolArray]:
    work = task if task is not None else _TASK
    assert work is not None, "worker not initialised"
    thetas = np.empty((len(indices), work.problem.n_params))
    ok = np.zeros(len(indices), dtype=bool)
    for k, seed in enumerate(seeds):
        weights = resample_by_model(
            work.problem.model, work.problem.n_models, np.random.default_rng(seed)
        )
        thetas[k], ok[k] = work.refit(weights)
    return indices, thetas, ok


def default_jobs() -> int:
    """Return the number of worker processes used by default: the usable CPU cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_bootstrap(
    task: RefitTask,
    n_draws: int,
    seed: int,
    *,
    n_jobs: int | None = None,
    backend: str = "process",
    progress: Progress | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Refit ``n_draws`` bootstrap resamples; return raw parameter draws and convergence flags.

    Parameters
    ----------
    task : RefitTask
        The problem and the warm start.
    n_draws : int
        Number of resamples.
    seed : int
        Root seed; draw ``k`` uses the ``k``-th child of ``SeedSequence(seed)``.
    n_jobs : int, optional
        Workers (default: all usable cores). 1 runs in this process.
    backend : {"process", "thread", "serial"}
        How refits are spread; "thread" exists for the benchmark comparison.
    progress : callable, optional
        Called as ``progress(done, total)`` as refits complete.

    Returns
    -------
    (thetas, converged)
        ``thetas`` has shape (n_draws, n_params).
    """
    seeds = np.random.SeedSequence(seed).spawn(n_draws)
    thetas = np.empty((n_draws, task.problem.n_params))
    converged = np.zeros(n_draws, dtype=bool)
    jobs = default_jobs() if n_jobs is None else max(1, n_jobs)
    if n_draws == 0:
        return thetas, converged
    if jobs == 1 or backend == "serial" or n_draws < 2 * jobs:
        chunk = max(1, n_draws // 20)
        for start in range(0, n_draws, chunk):
            idx = list(range(start, min(start + chunk, n_draws)))
            _, t, ok = _run_chunk(idx, [seeds[i] for i in idx], task)
            thetas[idx], converged[idx] = t, ok
            if progress is not None:
                progress(idx[-1] + 1, n_draws)
        return thetas, converged
    chunk = max(1, min(25, n_draws // (jobs * 4)))
    chunks = [list(range(s, min(s + chunk, n_draws))) for s in range(0, n_draws, chunk)]
    executor: Executor
    if backend == "thread":
        executor = ThreadPoolExecutor(max_workers=jobs)
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(task,),
        )
    done = 0
    with executor:
        pass_task = task if backend == "thread" else None
        futures = [
            executor.submit(_run_chunk, idx, [seeds[i] for i in idx], pass_task) for idx in chunks
        ]
        for future in as_completed(futures):
            idx, t, ok = future.result()
            thetas[idx], converged[idx] = t, ok
            done += len(idx)
            if progress is not None:
                progress(done, n_draws)
    return thetas, converged
