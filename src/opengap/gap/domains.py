"""The gap in each domain: the fit refitted on each domain's benchmarks, open vs closed."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from opengap.analysis.frontier import from_days
from opengap.analysis.reports import GroupReport, lag_report, resolve_at
from opengap.errors import OpengapError
from opengap.gap.progress import Progress, tick
from opengap.gap.refits import benchmark_domains, clip_day, refit_fit, refit_many, subset_min
from opengap.gap.tables import Curation, load_or_fit, open_closed, table_from_fit
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    pass


def domain_report(
    store: Store,
    *,
    fit_id: str | None,
    at: str | date | None,
    significance: bool,
    curation: Curation | None,
    progress: Progress | None,
) -> GroupReport:
    base = load_or_fit(store, fit_id=fit_id, progress=progress)
    domains = benchmark_domains(base)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    base_table, context = table_from_fit(store, base, curation=curation)
    closed, opened = open_closed(base_table, context)
    day = resolve_at(at, closed, opened)
    refit_many(store, base, [
        {"benchmarks": benches, "min_benchmarks": subset_min(base, len(benches))}
        for benches in domains.values()
    ], progress, task="domain refits")  # fmt: skip
    for i, (domain, benches) in enumerate(sorted(domains.items())):
        tick(progress, "domain refits", i, len(domains))
        row: dict[str, Any] = {"group": domain, "n_benchmarks": len(benches),
                               "min_benchmarks": subset_min(base, len(benches))}
        try:
            refit = refit_fit(store, base, benchmarks=benches, bootstrap=None,
                              min_benchmarks=subset_min(base, len(benches)))
            table, ctx = table_from_fit(store, refit, curation=curation, align_to=base)
            c, o = open_closed(table, ctx)
            report = lag_report(c, o, clip_day(day, c, o), ctx, significance=significance,
                                series=False)
        except OpengapError as exc:
            notes.append(f"{domain}: {exc}")
            row["note"] = str(exc)
            rows.append(row)
            continue
        best = report.best_open
        row.update({
            "n_models": len(table.frame),
            "best_model": best.model_id if best else None,
            "best_name": best.name if best else None,
            "capability": best.capability if best else None,
            "release_date": best.release_date.isoformat() if best else None,
            "best_closed": report.best_closed.model_id if report.best_closed else None,
            "vertical_gap": report.vertical_gap.to_dict(),
            "lag_months": report.lag_months.to_dict(),
            "fit_id": refit.fit_id,
        })  # fmt: skip
        rows.append(row)
    tick(progress, "domain refits", len(domains), len(domains))
    return GroupReport("lag", "domain", "closed", from_days(day), rows, context,
                       {"notes_by_domain": notes})
