"""The ``opengap compare`` command: a thin wrapper over :func:`opengap.gap.compare`."""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
import typer

from opengap import gap as gap_lib
from opengap.analysis.compare import CompareReport, MethodGap
from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    Shown,
    WideOption,
    check_date,
    check_output,
    console,
    open_store,
    print_json,
    show,
    user_errors,
)
from opengap.cli.gap import _progress, _short


def register(app: typer.Typer) -> None:
    """Add ``opengap compare`` to ``app``."""
    app.command("compare")(compare)


def compare(
    at: Annotated[str | None, typer.Option(
        help="Date to measure at, YYYY-MM-DD (default: each fit's latest release).")] = None,
    since: Annotated[str | None, typer.Option(
        help="Epoch's lag as the window average from this day to --at.")] = None,
    bootstrap: Annotated[int, typer.Option(
        help="Bootstrap refits of every fit (the same for all).")] = 100,
    harness: Annotated[bool, typer.Option(
        "--harness/--no-harness", help="End the chain with a harness-corrected refit.")] = True,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """The gap under each evaluator's method, and the chain from CAISI's method to Epoch's.

    Side by side: CAISI (trend lag by country), Epoch ECI (significance-aware lag), Epoch 2024
    (MMLU catch-up) and an AA-style composite, each with its interval. Then the chain: one
    choice changed at a time (benchmark suite, grouping, weighting, slope model, scale, lag
    definition, harness correction), with the gap after every step.

    --csv prints the chain, one row per step (--json: everything).

    Example: opengap compare --since 2026-01-01 --at 2026-05-28
    """
    with user_errors():
        check_output(json, csv)
        at, since = check_date("--at", at), check_date("--since", since)
    with user_errors(), open_store(db) as store, _progress(json or csv) as progress:
        report = gap_lib.compare(store, at=at, since=since, bootstrap=bootstrap,
                                 harness=harness, progress=progress)
    if json:
        print_json(report.to_dict())
        return
    methods, chain = _tables(report, wide=wide)
    if csv:
        show([chain], csv=True)
        return
    console.print(report.headline, markup=False, highlight=False)
    show([methods, chain], wide=wide)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def _tables(report: CompareReport, *, wide: bool) -> tuple[Shown, Shown]:
    """Return the methods side by side and the chain (its ``data`` numeric, for --csv)."""
    methods = pd.DataFrame([{"method": m.method, **_row(m, wide=wide)} for m in report.methods],
                           columns=["method", "groups", "lag (months, 90% CI)", "gap (90% CI)",
                                    "at", "note"])  # fmt: skip
    rows, data = [], []
    for step in report.chain:
        row = _row(step.result, wide=wide)
        rows.append({"step": step.step, "choice": step.choice, "change": step.change,
                     "lag (months, 90% CI)": row["lag (months, 90% CI)"],
                     "Δ months": _fmt(step.delta_months, 1), "note": row["note"]})
        lag, gap = step.result.lag_months, step.result.vertical_gap
        data.append({"step": step.step, "choice": step.choice, "change": step.change,
                     "groups": step.result.groups, "lag_months": lag.value,
                     "lag_low": lag.ci_low, "lag_high": lag.ci_high,
                     "delta_months": step.delta_months, "vertical_gap": gap.value,
                     "vertical_gap_low": gap.ci_low, "vertical_gap_high": gap.ci_high,
                     "unit": step.result.unit, "at": step.result.at,
                     "note": step.result.note})  # fmt: skip
    return (Shown(methods, "Each evaluator's method on this store"),
            Shown(pd.DataFrame(rows), "From CAISI's method to Epoch's, one choice at a time",
                  data=pd.DataFrame(data)))  # fmt: skip


def _row(m: MethodGap, *, wide: bool = False) -> dict[str, Any]:
    lag, gap = m.lag_months, m.vertical_gap
    return {
        "groups": m.groups,
        "lag (months, 90% CI)": _ci(lag.value, lag.ci_low, lag.ci_high, 1),
        "gap (90% CI)": (_ci(gap.value, gap.ci_low, gap.ci_high, 1) + f" {m.unit}"
                         if math.isfinite(gap.value) else "—"),
        "at": m.at or "", "note": (m.note or "") if wide else _short(m.note or "", 40),
    }


def _ci(value: float, low: float, high: float, digits: int) -> str:
    if not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}f}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" ({low:.{digits}f}–{high:.{digits}f})"
    return text


def _fmt(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}" if math.isfinite(value) else "—"
