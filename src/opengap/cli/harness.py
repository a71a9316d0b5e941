"""``opengap harness``: how much a bare bash loop costs, measured on paired runs."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer

from opengap import gap as gap_lib
from opengap.analysis.harness_pairs import Effect, HarnessReport
from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    Names,
    Shown,
    WideOption,
    check_output,
    console,
    load_names,
    open_store,
    print_json,
    show,
    user_errors,
)
from opengap.cli.gap import FitIdOption, _progress


def register(app: typer.Typer) -> None:
    """Add the harness command to ``app``."""
    app.command("harness")(harness)


def harness(
    benchmark: Annotated[str | None, typer.Option(
        help="Only this benchmark (default: every benchmark with pairs).")] = None,
    base: Annotated[str, typer.Option(help="Harness category compared from.")] = "simple-loop",
    alternative: Annotated[str, typer.Option(
        help="Harness category compared to.")] = "agent-harness",
    restate: Annotated[bool, typer.Option(
        "--restate/--no-restate", help="Refit with harness offsets and restate the gap.")] = True,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap draws for the intervals.")] = 2000,
    fit_id: FitIdOption = None,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """The harness effect: a bare bash loop vs an agent scaffold, open vs closed models.

    Uses exactly the pairs where one model is scored under both harness categories on the same
    benchmark (single-attempt runs), with 90% bootstrap intervals; the interaction is the open
    models' effect minus the closed models'. Then the gap as measured and restated as if every
    model had run in its best harness.

    --csv prints the effects table (--json: the pairs and everything else too).

    Example: opengap harness --benchmark "SWE-bench Verified"
    """
    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store, _progress(json or csv) as progress:
        report = gap_lib.harness_report(
            store, benchmark=benchmark, base=base, alternative=alternative, fit_id=fit_id,
            restate=restate, n_boot=bootstrap, progress=progress,
        )  # fmt: skip
        names = load_names(store)
    if json:
        print_json(report.to_dict())
        return
    tables = _tables(report, names)
    if csv:
        show(tables, csv=True)
        return
    _print(report, tables, wide=wide)


def _fmt(effect: Effect, key: str, digits: int) -> str:
    value = getattr(effect, key)
    if value is None:
        return "—"
    low, high = getattr(effect, f"{key}_low"), getattr(effect, f"{key}_high")
    return f"{value:+.{digits}f} ({low:+.{digits}f} to {high:+.{digits}f})"


def _row(label: str, effect: Effect) -> dict[str, Any]:
    return {
        "": label, "pairs": effect.n_pairs, "points (90% CI)": _fmt(effect, "points", 1),
        "logits (90% CI)": _fmt(effect, "logits", 2), "status": effect.status,
        **{f"{key}{end}": getattr(effect, f"{key}{end}") for key in ("points", "logits")
           for end in ("", "_low", "_high")},
    }  # fmt: skip


def _tables(report: HarnessReport, names: Names) -> list[Shown]:
    """The effects (the main table) and the pairs behind them, names shown."""
    eff = report.scores
    rows = [_row("all models", eff.overall)]
    rows += [_row(f"{g} weights", e) for g, e in eff.by_group.items()]
    rows.append(_row("open − closed (interaction)", eff.interaction))
    rows.append(_row("item level (same tasks)", report.items.overall))
    rows += [_row(f"domain: {d}", e) for d, e in report.by_domain.items()]
    effects = pd.DataFrame(rows)
    # Not cut to one line: the status says why an effect is not identified.
    shown = [Shown(effects[["", "pairs", "points (90% CI)", "logits (90% CI)", "status"]],
                   data=effects.drop(columns=["points (90% CI)", "logits (90% CI)"])
                   .rename(columns={"": "effect"}))]  # fmt: skip
    if not eff.pairs.empty:
        pairs = eff.pairs.assign(
            model=names.model(eff.pairs["model_id"]),
            benchmark=names.benchmark(eff.pairs["benchmark_id"]),
            base_points=100 * eff.pairs["base_value"], alt_points=100 * eff.pairs["alt_value"],
        )  # fmt: skip
        shown.append(Shown(pairs, "Pairs (scores in points, 0–100)", columns={
            "model": "model", "weights": "weights", "benchmark": "benchmark",
            "base_harness": "base", "base_points": "score", "alt_harness": "alternative",
            "alt_points": "score"}, formats={"base_points": ".1f", "alt_points": ".1f"}))
    return shown


def _print(report: HarnessReport, tables: list[Shown], *, wide: bool) -> None:
    eff = report.scores
    console.print(
        f"Harness effect of {eff.alternative} over {eff.base} (mean over pairs, 90% intervals):",
        markup=False, highlight=False,
    )  # fmt: skip
    show(tables, wide=wide)
    per_logit = report.data.get("points_per_logit")
    if per_logit and eff.overall.logits is not None:
        inter = eff.interaction
        text = (f"On the capability scale ({per_logit:.1f} points per logit) the scaffold is "
                f"worth {eff.overall.logits * per_logit:+.1f} points")  # fmt: skip
        if None not in (inter.logits, inter.logits_low, inter.logits_high):
            low, mid, high = (float(v) * per_logit for v in  # type: ignore[arg-type]
                              (inter.logits_low, inter.logits, inter.logits_high))
            text += f"; open − closed {mid:+.1f} ({low:+.1f} to {high:+.1f})"
        console.print(text + ".", markup=False, highlight=False)
    left_out = f"{report.data['multi_attempt_left_out']} multi-attempt score(s) left out"
    for note in [*eff.notes, left_out]:
        console.print(f"Note: {note}", markup=False, highlight=False)
    restated = report.restated
    if restated.get("restated"):
        base, new = restated["baseline"], restated["restated"]
        console.print(
            f"Gap as measured: {_interval(base['lag_months'])} months, "
            f"{_interval(base['vertical_gap'])} points; as if every model ran in its best "
            f"harness ({restated.get('best_harness')}): {_interval(new['lag_months'])} months, "
            f"{_interval(new['vertical_gap'])} points.",
            markup=False, highlight=False,
        )  # fmt: skip
    elif restated:
        console.print(f"Gap not restated: {restated.get('skipped')}", markup=False)


def _interval(value: dict[str, Any]) -> str:
    v, lo, hi = value.get("value"), value.get("ci_low"), value.get("ci_high")
    if v is None:
        return "—"
    return f"{v:.1f}" + (f" ({lo:.1f}–{hi:.1f})" if lo is not None and hi is not None else "")
