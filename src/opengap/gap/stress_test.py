"""The library verb :func:`sensitivity`: what moves the gap (benchmarks, subsets, harness)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from opengap.analysis.frontier import from_days
from opengap.analysis.reports import lag_report, resolve_at
from opengap.analysis.sensitivity import SensitivityReport, influence_table, widening_table
from opengap.errors import BadArgument, OpengapError
from opengap.gap.harness import harness_effect_fit, harness_report
from opengap.gap.progress import Progress, tick
from opengap.gap.refits import (
    benchmark_domains,
    gap_of,
    leave_one_out,
    refit_fit,
    refit_many,
    subset_min,
)
from opengap.gap.tables import load_or_fit, open_closed, table_from_fit
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting


def sensitivity(
    store: Store,
    *,
    fit_id: str | None = None,
    subset: str | None = None,
    harness: bool = True,
    progress: Progress | None = None,
) -> SensitivityReport:
    """Return what moves the gap: each benchmark, named subsets, the harness, missing data.

    Parameters
    ----------
    store : Store
    fit_id : str, optional
        The full fit to compare with (default the latest; fitted when none).
    subset : str, optional
        ``public``, ``private``, a domain, or a file of benchmark ids (one per line, ``#``
        comments): refit on that subset only. Default: public, private and every domain.
    harness : bool
        Also fit one offset per harness category and restate the gap.
    progress : callable, optional
        ``progress(task, done, total)`` during the refits.

    Returns
    -------
    SensitivityReport

    Notes
    -----
    Every gap is measured at the full fit's latest release date. Leave-one-benchmark-out refits
    run without bootstrap (their Δ are point estimates); subset and harness refits use the
    full fit's bootstrap setting, so they carry intervals.
    """
    base = load_or_fit(store, fit_id=fit_id, progress=progress)
    table, context = table_from_fit(store, base)
    closed, opened = open_closed(table, context)
    day = resolve_at(None, closed, opened)
    baseline = lag_report(closed, opened, day, context, series=False)
    benches = base.benchmarks
    names = dict(zip(benches["benchmark_id"], benches.get("name", benches["benchmark_id"]),
                     strict=True))
    domains = dict(zip(benches["benchmark_id"], benches.get("domain", pd.Series(
        [None] * len(benches))), strict=True))
    all_ids = [str(b) for b in benches["benchmark_id"]]
    notes: list[str] = []

    refits: list[dict[str, Any]] = []
    refit_se: dict[str, dict[str, float]] = {}
    for bench, lag, error, se in leave_one_out(store, base, all_ids, day, progress):
        row: dict[str, Any] = {"benchmark_id": bench, "name": names.get(bench),
                               "domain": domains.get(bench)}
        if error is not None:
            notes.append(f"without {bench}: {error}")
        else:
            row.update(lag)
            refit_se[bench] = se
        refits.append(row)
    influence = influence_table(baseline.lag_months.value, baseline.vertical_gap.value, refits)

    subsets = _subsets(store, base, all_ids, subset)
    refit_many(store, base, [
        {"benchmarks": ids, "min_benchmarks": subset_min(base, len(ids))}
        for ids in subsets.values()
    ], progress, task="subset refits")  # fmt: skip
    subset_rows = []
    for i, (label, ids) in enumerate(subsets.items()):
        tick(progress, "subset refits", i, len(subsets))
        row = {"subset": label, "n_benchmarks": len(ids),
               "min_benchmarks": subset_min(base, len(ids))}
        try:
            refit = refit_fit(store, base, benchmarks=ids, bootstrap=None,
                              min_benchmarks=subset_min(base, len(ids)))
            row.update(gap_of(store, refit, day, base, intervals=True))
            row["delta_lag_months"] = row["lag_months"] - baseline.lag_months.value
            row["delta_points"] = row["vertical_gap"] - baseline.vertical_gap.value
        except OpengapError as exc:
            row["note"] = str(exc)
        subset_rows.append(row)
    tick(progress, "subset refits", len(subsets), len(subsets))

    harness_part: dict[str, Any] = (
        harness_effect_fit(store, base, day, baseline, progress) if harness
        else {"skipped": "not asked"}
    )  # fmt: skip
    if harness:
        paired = harness_report(store, restate=False, n_boot=1000)
        harness_part["paired"] = paired.scores.to_dict()
    widening = widening_table(_base_models(base), refit_se, _model_benchmarks(store, base))
    return SensitivityReport(
        fit_id=base.fit_id, at=from_days(day),
        baseline={"lag_months": baseline.lag_months, "vertical_gap": baseline.vertical_gap},
        benchmarks=influence, subsets=pd.DataFrame(subset_rows), harness=harness_part,
        widening=widening, unit=context.unit, notes=notes,
    )  # fmt: skip


def _subsets(
    store: Store, fit: fitting.FitResult, all_ids: list[str], subset: str | None
) -> dict[str, list[str]]:
    meta = store.query("SELECT benchmark_id, public, domain FROM benchmarks")
    meta = meta.loc[meta["benchmark_id"].isin(all_ids)]
    public = meta.loc[meta["public"].astype(object).map(lambda v: v is True), "benchmark_id"]
    private = meta.loc[meta["public"].astype(object).map(lambda v: v is False), "benchmark_id"]
    named: dict[str, list[str]] = {"public": list(public), "private": list(private)}
    for domain, ids in sorted(benchmark_domains(fit).items()):
        named.setdefault(domain, ids)
    if subset is None:
        return {k: v for k, v in named.items() if v}
    if subset in named:
        if not named[subset]:
            raise BadArgument(f"subset {subset!r} has no benchmarks in fit {fit.fit_id}")
        return {subset: named[subset]}
    path = Path(subset)
    if not path.is_file():
        raise BadArgument(
            f"unknown subset {subset!r}: not public, private, a domain of the fit "
            f"({', '.join(sorted(benchmark_domains(fit)))}) or a file"
        )
    wanted = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    ids = [store.resolve_benchmark(w) for w in wanted if w]
    missing = [b for b in ids if b not in all_ids]
    if missing:
        raise BadArgument(f"{subset}: benchmark {missing[0]!r} is not in fit {fit.fit_id}")
    if not ids:
        raise BadArgument(f"{subset}: no benchmark ids in the file")
    return {path.name: ids}


def _base_models(fit: fitting.FitResult) -> pd.DataFrame:
    models = fit.models.copy()
    for column in ("name", "weights", "n_benchmarks", "se_laplace", "ci_low", "ci_high"):
        if column not in models.columns:
            models[column] = None
    return models


def _model_benchmarks(store: Store, fit: fitting.FitResult) -> dict[str, list[str]]:
    from opengap import fitting

    pairs = fitting.fit_pairs(store, fit)
    out: dict[str, list[str]] = {}
    for model_id, bench in zip(pairs["model_id"], pairs["benchmark_id"], strict=True):
        out.setdefault(str(model_id), []).append(str(bench))
    return out
