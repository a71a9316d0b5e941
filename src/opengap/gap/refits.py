"""Refits of a stored fit in memory: variants, leave-one-benchmark-out, subsets; the lag of a refit.

Refits are memoised per store state; several run at once in forked worker processes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import pandas as pd

from opengap.analysis.reports import Table, lag_report
from opengap.errors import OpengapError
from opengap.gap.progress import Progress, tick
from opengap.gap.tables import alignment, open_closed, table_from_fit
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting


def subset_min(fit: fitting.FitResult, n_benchmarks: int) -> int:
    """Return the benchmarks a model needs in a refit on ``n_benchmarks`` benchmarks.

    The full fit's minimum, lowered for small subsets to a third of the subset (at least 2):
    requiring four of a domain's five benchmarks would leave almost no model in it.
    """
    return min(int(fit.config.min_benchmarks), max(2, n_benchmarks // 3))


def clip_day(day: float, closed: Table, opened: Table) -> float:
    """Return ``day`` limited to the span where both groups of a refit have models."""
    start = max(closed.days.min(), opened.days.min())
    return float(max(day, start))


def benchmark_domains(fit: fitting.FitResult) -> dict[str, list[str]]:
    """Return the fit's benchmark ids by domain (``other`` for benchmarks without one)."""
    frame = fit.benchmarks
    out: dict[str, list[str]] = {}
    for bench, domain in zip(frame["benchmark_id"], frame.get("domain", pd.Series(
            [None] * len(frame))), strict=True):
        label = str(domain) if isinstance(domain, str) and domain else "other"
        out.setdefault(label, []).append(str(bench))
    return out


def gap_of(
    store: Store | None,
    fit: fitting.FitResult,
    day: float,
    base: fitting.FitResult,
    *,
    intervals: bool = False,
) -> dict[str, Any]:
    table, context = table_from_fit(store, fit, align_to=base)
    closed, opened = open_closed(table, context)
    report = lag_report(closed, opened, clip_day(day, closed, opened), context, series=False)
    out: dict[str, Any] = {
        "n_models": len(table.frame),
        "lag_months": report.lag_months.value,
        "vertical_gap": report.vertical_gap.value,
        "best_open": report.best_open.model_id if report.best_open else None,
        "best_closed": report.best_closed.model_id if report.best_closed else None,
    }
    if intervals:
        out.update(lag_low=report.lag_months.ci_low, lag_high=report.lag_months.ci_high,
                   vertical_gap_low=report.vertical_gap.ci_low,
                   vertical_gap_high=report.vertical_gap.ci_high)
    return out


LeftOut = tuple[str, dict[str, Any], str | None, dict[str, float]]
"""One leave-one-out refit: benchmark, its gap (``_gap_of``), error or None, scaled s.e."""

_LOO: dict[str, Any] = {}
"""What worker processes need for leave-one-out refits, set before they are forked."""


def leave_one_out(
    store: Store,
    base: fitting.FitResult,
    benchmark_ids: Sequence[str],
    day: float,
    progress: Progress | None = None,
    *,
    n_jobs: int | None = None,
) -> list[LeftOut]:
    """Refit ``base`` without each benchmark in turn (no bootstrap); return one row each.

    The catalogue is read once; the refits then touch no database, so they run in forked
    worker processes (one per usable core, as the bootstrap does), in benchmark order.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from opengap import fitting
    from opengap.fit.bootstrap import default_jobs

    task = "leave-one-benchmark-out refits"
    catalogue = fitting.Catalogue.read(store, base.config)
    _LOO.update(catalogue=catalogue, base=base, ids=list(benchmark_ids), day=day)
    jobs = default_jobs() if n_jobs is None else max(1, n_jobs)
    total = len(benchmark_ids)
    out: list[LeftOut] = []
    try:
        if jobs == 1 or total < 4 or "fork" not in multiprocessing.get_all_start_methods():
            for i in range(total):
                tick(progress, task, i, total)
                out.append(_leave_out(i))
        else:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                for i, row in enumerate(pool.map(_leave_out, range(total))):
                    tick(progress, task, i, total)
                    out.append(row)
    finally:
        _LOO.clear()
    tick(progress, task, total, total)
    return out


def _leave_out(index: int) -> LeftOut:
    from opengap import fitting

    base: fitting.FitResult = _LOO["base"]
    ids: list[str] = _LOO["ids"]
    bench = ids[index]
    config = dataclasses.replace(base.config, benchmarks=tuple(b for b in ids if b != bench),
                                 bootstrap=0, cv_folds=0)  # fmt: skip
    try:
        refit = fitting.refit_catalogue(_LOO["catalogue"], config)
        lag = gap_of(None, refit, _LOO["day"], base)
    except OpengapError as exc:
        return bench, {}, str(exc), {}
    slope = abs(alignment(refit, base)[1])
    se = dict(zip(refit.models["model_id"].astype(str),
                  slope * refit.models["se_laplace"].astype(float), strict=True))  # fmt: skip
    return bench, lag, None, se


def refit_fit(
    store: Store, fit: fitting.FitResult, *, bootstrap: int | None = None, **changes: Any
) -> fitting.FitResult:
    """Return ``fit`` refitted in memory with some configuration fields changed.

    ``bootstrap=None`` keeps the fit's own bootstrap setting; cross-validation is skipped
    (``cv_folds=0``) unless asked for. Nothing is saved. Refits are memoised per store state:
    the report asks for the same domain refits in its breakdowns and its sensitivity.
    """
    from opengap import fitting

    config = _variant(fit, bootstrap=bootstrap, **changes)
    memo = _REFITS.setdefault(store, {})
    state = fitting.catalogue_state(store)
    if memo.get(config, (None, None))[0] != state:
        try:
            memo[config] = (state, fitting.refit(store, config))
        except OpengapError as exc:
            memo[config] = (state, exc)
    found = memo[config][1]
    if isinstance(found, OpengapError):
        raise found
    result: fitting.FitResult = found
    return result


def refit_many(
    store: Store,
    fit: fitting.FitResult,
    variants: Sequence[dict[str, Any]],
    progress: Progress | None = None,
    *,
    task: str = "refits",
) -> None:
    """Compute the refits ``refit_fit(store, fit, **variant)`` asks for, in worker processes.

    Each refit runs in a forked process with a serial bootstrap (one refit per core rather
    than one bootstrap spread over the cores, which costs a process pool per refit); the
    results land in ``refit_fit``'s memo, where the caller then finds them.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from opengap import fitting
    from opengap.fit.bootstrap import default_jobs

    memo = _REFITS.setdefault(store, {})
    state = fitting.catalogue_state(store)
    configs = []
    for variant in variants:
        try:
            configs.append(_variant(fit, **variant))
        except OpengapError:
            continue  # refit_fit raises it again where the caller reports it
    configs = list(dict.fromkeys(configs))
    todo = [c for c in configs if memo.get(c, (None, None))[0] != state]
    jobs = default_jobs()
    if len(todo) < 2 or jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return  # refit_fit computes them one by one, each with a parallel bootstrap
    _REFIT_WORK.update(catalogue=fitting.Catalogue.read(store, *todo), configs=todo)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for i, result in enumerate(pool.map(_refit_one, range(len(todo)))):
                tick(progress, task, i, len(todo))
                memo[todo[i]] = (state, result)
    finally:
        _REFIT_WORK.clear()
    tick(progress, task, len(todo), len(todo))


def _refit_one(index: int) -> fitting.FitResult | OpengapError:
    from opengap import fitting

    try:
        return fitting.refit_catalogue(
            _REFIT_WORK["catalogue"], _REFIT_WORK["configs"][index], n_jobs=1
        )
    except OpengapError as exc:
        return exc


def _variant(fit: fitting.FitResult, *, bootstrap: int | None = None, **changes: Any) -> Any:
    """Return ``fit``'s configuration with ``changes`` (no cross-validation unless asked)."""
    changes.setdefault("cv_folds", 0)
    if bootstrap is not None:
        changes["bootstrap"] = bootstrap
    if "benchmarks" in changes and changes["benchmarks"] is not None:
        changes["benchmarks"] = tuple(changes["benchmarks"])
    return dataclasses.replace(fit.config, **changes).validate()


_REFITS: WeakKeyDictionary[Store, dict[Any, tuple[Any, Any]]] = WeakKeyDictionary()
_REFIT_WORK: dict[str, Any] = {}
"""What ``refit_many``'s worker processes need, set before they are forked."""
