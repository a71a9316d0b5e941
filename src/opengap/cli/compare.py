"""The ``opengap compare`` command: a thin wrapper over :func:`opengap.gap.compare`."""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
import typer

from opengap import gap as gap_lib
from opengap.analysis.compare import CompareReport, MethodGap
from opengap.cli.common import (
    DbOption,
    JsonOption,
    console,
    open_store,
    print_json,
    print_table,
    user_errors,
)
from opengap.cli.gap import _progress


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
) -> None:
    """The gap under each evaluator's method, and the chain from CAISI's method to Epoch's.

    Side by side: CAISI (trend lag by country), Epoch ECI (significance-aware lag), Epoch 2024
    (MMLU catch-up) and an AA-style composite, each with its interval. Then the chain: one
    choice changed at a time (benchmark suite, grouping, weighting, slope model, scale, lag
    definition, harness correction), with the gap after every step.

    Example: opengap compare --since 2026-01-01 --at 2026-05-28
    """
    with user_errors(), open_store(db) as store, _progress(json) as progress:
        report = gap_lib.compare(store, at=at, since=since, bootstrap=bootstrap,
                                 harness=harness, progress=progress)
    if json:
        print_json(report.to_dict())
        return
    _print(report)


def _print(report: CompareReport) -> None:
    console.print(report.headline, markup=False, highlight=False)
    print_table(pd.DataFrame([_row(m) | {"method": m.method} for m in report.methods])[
        ["method", "groups", "lag (months, 90% CI)", "gap (90% CI)", "at", "note"]],
        title="Each evaluator's method on this store")  # fmt: skip
    rows = []
    for step in report.chain:
        row = _row(step.result)
        rows.append({"step": step.step, "choice": step.choice, "change": step.change,
                     "lag (months, 90% CI)": row["lag (months, 90% CI)"],
                     "Δ months": _fmt(step.delta_months, 1), "note": row["note"]})
    print_table(pd.DataFrame(rows), title="From CAISI's method to Epoch's, one choice at a time")
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def _row(m: MethodGap) -> dict[str, Any]:
    lag, gap = m.lag_months, m.vertical_gap
    return {
        "groups": m.groups,
        "lag (months, 90% CI)": _ci(lag.value, lag.ci_low, lag.ci_high, 1),
        "gap (90% CI)": (_ci(gap.value, gap.ci_low, gap.ci_high, 1) + f" {m.unit}"
                         if math.isfinite(gap.value) else "—"),
        "at": m.at or "", "note": (m.note or "")[:70],
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
