"""Gap commands: ``opengap gap`` and ``opengap sensitivity`` (thin wrappers over opengap.gap)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from opengap import gap as gap_lib
from opengap.analysis.caisi_report import CaisiTrendReport
from opengap.analysis.epoch_window import EpochWindowReport
from opengap.analysis.reports import (
    CatchUpReport,
    GroupReport,
    LagReport,
    Report,
    TrendReport,
)
from opengap.analysis.sensitivity import SensitivityReport
from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    Names,
    Shown,
    WideOption,
    check_output,
    console,
    err_console,
    load_names,
    open_store,
    print_json,
    print_table,
    show,
    user_errors,
)
from opengap.errors import BadArgument

GapReport = Report | CaisiTrendReport | EpochWindowReport

FitIdOption = Annotated[
    str | None, typer.Option("--fit-id", help="Use this stored fit (default: the latest).")
]


def register(app: typer.Typer) -> None:
    """Add the gap commands to ``app``."""
    app.command("gap")(gap)
    app.command("sensitivity")(sensitivity)


def gap(
    by: Annotated[str | None, typer.Option(
        help="weights (open vs closed), country, organization, size, license, or domain "
             "(default: the fit's preset's, else weights).")
    ] = None,
    method: Annotated[str | None, typer.Option(
        help="lag, catch-up, trend or caisi-trend (default: the fit's preset's, else lag).")
    ] = None,
    at: Annotated[str | None, typer.Option(
        help="Date to measure at, YYYY-MM-DD (default: the latest release).")] = None,
    significance: Annotated[bool, typer.Option(
        "--significance", help="Significance-aware lag over bootstrap draws (Epoch 2026).")
    ] = False,
    since: Annotated[str | None, typer.Option(
        help="With --significance: average Epoch's daily lag from this day to --at.")] = None,
    benchmark: Annotated[str | None, typer.Option(
        help="Use one benchmark's raw scores instead of the fit.")] = None,
    transform: Annotated[str, typer.Option(
        help="none, or neglog1m: −ln(1 − accuracy) (with --benchmark).")] = "none",
    tolerance: Annotated[float, typer.Option(
        help="Catch-up tolerance in the values' units.")] = 0.0,
    separate_slopes: Annotated[bool, typer.Option(
        "--separate-slopes", help="Trend: one slope per group.")] = False,
    size_classes: Annotated[str | None, typer.Option(
        "--size-classes", help="Size class edges in billions, e.g. 10,50,200.")] = None,
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Only this group (repeatable), with --by other than weights.")] = None,
    versus: Annotated[str, typer.Option(
        help="Groups vs the closed frontier (closed) or the overall frontier (all).")
    ] = "closed",
    trust: Annotated[str, typer.Option(
        help="With --benchmark: all, no-suspect (drop untrusted scores) or trusted.")] = "all",
    exclude_finetunes: Annotated[bool, typer.Option(
        "--exclude-finetunes", help="Leave out fine-tunes of other models.")] = False,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="Leave out models whose id or name matches (repeatable), e.g. 'flan*'.")
    ] = None,
    series: Annotated[bool, typer.Option(
        "--series", help="Print the whole monthly series (lag).")] = False,
    fit_id: FitIdOption = None,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """How far open models trail closed ones, in months and capability points.

    Uses the latest fit (the default preset is fitted first if the store has none).

    With --benchmark, uses one benchmark's raw scores instead. --csv prints the main table:
    the monthly series, the catch-up pairs, the trend estimates or the groups.

    Example: opengap gap --method catch-up --benchmark MMLU --transform neglog1m --tolerance 0.02

    Example: opengap gap --method caisi-trend --by country --at 2026-05-01

    Example: opengap gap --significance --since 2026-01-01 --at 2026-05-28
    """
    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store, _progress(json or csv) as progress:
        report = gap_lib.gap(
            store, fit_id=fit_id, by=by, method=method, at=at, significance=significance,
            since=since, benchmark=benchmark, transform=transform, tolerance=tolerance,
            separate_slopes=separate_slopes, size_classes=_edges(size_classes),
            groups=group or None, versus=versus, trust=trust,
            exclude_finetunes=exclude_finetunes, exclude=exclude or None, progress=progress,
        )  # fmt: skip
        names = load_names(store)
    if json:
        print_json(report.to_dict())
        return
    tables = _report_tables(report, names, series=series)
    if csv:
        show(tables, csv=True)
        return
    _print_report(report, tables, wide=wide)


def sensitivity(
    subset: Annotated[str | None, typer.Option(
        help="public, private, a domain, or a file of benchmark ids (default: all of them).")
    ] = None,
    harness: Annotated[bool, typer.Option(
        "--harness/--no-harness", help="Fit harness offsets and restate the gap.")] = True,
    limit: Annotated[int, typer.Option(help="Rows shown per table.")] = 20,
    fit_id: FitIdOption = None,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """Which benchmark, subset, harness or missing data moves the gap.

    Leave-one-benchmark-out refits (Δ lag and Δ points, most influential first).

    Refits on named subsets, harness offsets, and per-model interval widening. --csv prints
    the leave-one-out table, every benchmark.

    Example: opengap sensitivity --subset private
    """
    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store, _progress(json or csv) as progress:
        report = gap_lib.sensitivity(store, fit_id=fit_id, subset=subset, harness=harness,
                                     progress=progress)
    if json:
        print_json(report.to_dict())
        return
    if csv:
        show([_leave_one_out(report, limit)], csv=True)
        return
    _print_sensitivity(report, limit, wide=wide)


# --------------------------------------------------------------------------- printing
def _print_report(report: GapReport, tables: list[Shown], *, wide: bool) -> None:
    console.print(report.headline, markup=False, highlight=False)
    if report.context.freshness:
        text = report.context.freshness
        console.print(text[:1].upper() + text[1:], markup=False, highlight=False)
    show(tables, wide=wide)
    if isinstance(report, CaisiTrendReport):
        console.print(f"95% Working–Hotelling band of the {report.lead} line, read "
                      f"horizontally: {_ci_entry(report.trend.band_months.to_dict(), 1)} months",
                      markup=False, highlight=False)  # fmt: skip
    for note in report.context.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def _report_tables(report: GapReport, names: Names, *, series: bool) -> list[Shown]:
    """Return the tables of a gap report (--csv prints the main one: the series, the pairs…)."""
    digits = 1 if report.context.unit == "points" else 3
    unit = report.context.unit
    if isinstance(report, LagReport):
        tables = []
        if len(report.series):
            frame = report.series if series else report.series.tail(12)
            shown = frame.assign(**{
                f"gap ({unit}, 90% CI)": [
                    _ci(v, lo, hi, digits) for v, lo, hi in zip(
                        frame["vertical_gap"], frame["vertical_gap_low"],
                        frame["vertical_gap_high"], strict=True)],
                "lag (months, 90% CI)": [
                    _ci(v, lo, hi, 1) for v, lo, hi in zip(
                        frame["lag_months"], frame["lag_low"], frame["lag_high"], strict=True)],
            })  # fmt: skip
            title = "Monthly series" + ("" if series else " (last 12 months; --series for all)")
            tables.append(Shown(shown, title, columns={
                "date": "date", f"gap ({unit}, 90% CI)": f"gap ({unit}, 90% CI)",
                "lag (months, 90% CI)": "lag (months, 90% CI)"}, data=report.series,
                main=True))  # fmt: skip
        rows = []
        for label, point in (("best open", report.best_open), ("best closed", report.best_closed)):
            if point is not None:
                rows.append({"": label, "model": point.name or point.model_id,
                             "model_id": point.model_id, "capability": point.capability,
                             "released": point.release_date})  # fmt: skip
        frontier = Shown(pd.DataFrame(rows), f"Frontier as of {report.at.isoformat()}",
                         columns={"": "", "model": "model", "capability": unit,
                                  "released": "released"},
                         formats={"capability": f".{digits}f"})  # fmt: skip
        return [frontier, *tables]
    if isinstance(report, CatchUpReport):
        pairs = pd.DataFrame([p.to_dict() for p in report.result.pairs], columns=_PAIR_FIELDS)
        pairs["closed_name"] = names.model(pairs["closed_model"])
        pairs["open_name"] = names.model(pairs["open_model"])
        tables = [Shown(pairs, f"{len(pairs)} catch-up pairs (tolerance "
                        f"{report.result.tolerance:g} {unit})", columns={
                            "closed_name": "closed record", "closed_date": "released",
                            "open_name": "caught up by", "open_date": "on",
                            "lag_months": "lag (months)"},
                        formats={"lag_months": ".1f", "closed_score": f".{digits}f",
                                 "open_score": f".{digits}f"})]  # fmt: skip
        if report.result.censored:
            censored = pd.DataFrame([c.to_dict() for c in report.result.censored])
            censored["closed_name"] = names.model(censored["closed_model"])
            tables.append(Shown(censored, "Censored: closed records not matched yet", columns={
                "closed_name": "closed record", "closed_date": "released",
                "closed_score": unit, "months_elapsed": "months since"},
                formats={"closed_score": f".{digits}f", "months_elapsed": ".1f"}))  # fmt: skip
        return tables
    if isinstance(report, TrendReport | CaisiTrendReport):
        t = report.trend
        lead, trail = ("closed", "open") if isinstance(report, TrendReport) else (
            report.lead, report.trail)
        title = f"Trend lines ({t.lead_points} {lead}, {t.trail_points} {trail} frontier models)"
        if isinstance(report, CaisiTrendReport):
            title += "; intervals: bootstrap draws"
        return [_intervals({("lag", "months", 1): t.lag_months,
                            ("vertical gap", unit, digits): t.vertical_gap,
                            (f"{lead} slope", f"{unit} / year", digits): t.lead_slope_per_year,
                            (f"{trail} slope", f"{unit} / year", digits):
                                t.trail_slope_per_year}, title)]  # fmt: skip
    if isinstance(report, EpochWindowReport):
        frame = pd.DataFrame(report.open_models, columns=["from", "model_id", "name"])
        return [Shown(frame, "Best open model to date (from the day it took the lead)",
                      columns={"from": "from", "name": "model"})]
    if isinstance(report, GroupReport):
        return [Shown(_group_display(report, digits), f"By {report.by} vs "
                      f"{'closed models' if report.versus == 'closed' else 'all models'}",
                      formats={"mean lag": ".1f", "median lag": ".1f"},
                      data=pd.DataFrame(report.rows))]  # fmt: skip
    return []


_PAIR_FIELDS = ["closed_model", "closed_date", "closed_score", "open_model", "open_date",
                "open_score", "lag_months"]  # fmt: skip


def _group_display(report: GroupReport, digits: int) -> pd.DataFrame:
    rows = []
    for r in report.rows:
        row: dict[str, Any] = {"group": r["group"], "models": r.get("n_models"),
                               "best": r.get("best_name") or r.get("best_model")
                               or r.get("best_open"),
                               "released": r.get("release_date")}
        if report.method == "catch-up":
            row.update({"mean lag": r.get("mean_lag_months"),
                        "median lag": r.get("median_lag_months"),
                        "pairs": r.get("pairs"), "censored": r.get("censored")})
        else:
            row["lag (months, 90% CI)"] = _ci_entry(r.get("lag_months"), 1)
            row["gap (90% CI)"] = _ci_entry(r.get("vertical_gap"), digits)
        if r.get("note"):
            row["note"] = _short(str(r["note"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _print_sensitivity(report: SensitivityReport, limit: int, *, wide: bool = False) -> None:
    console.print(report.headline, markup=False, highlight=False)
    digits = 1 if report.unit == "points" else 3
    wide_frame = report.widening
    bench_names = _benchmark_names(report)
    show([_leave_one_out(report, limit)], wide=wide)
    console.print("influence: the larger of the lag and gap effects, each as a share of the full "
                  "fit's value", markup=False, highlight=False)
    if len(report.subsets):
        sub = report.subsets
        shown = pd.DataFrame({"subset": sub["subset"], "benchmarks": sub["n_benchmarks"]})
        if "lag_months" in sub.columns:
            shown["models"] = sub["n_models"]
            shown["lag (months, 90% CI)"] = [
                _ci(v, lo, hi, 1) for v, lo, hi in zip(sub["lag_months"], sub["lag_low"],
                                                       sub["lag_high"], strict=True)]
            shown[f"gap ({report.unit}, 90% CI)"] = [
                _ci(v, lo, hi, digits) for v, lo, hi in zip(
                    sub["vertical_gap"], sub["vertical_gap_low"], sub["vertical_gap_high"],
                    strict=True)]  # fmt: skip
        if "note" in sub.columns:
            shown["note"] = sub["note"].map(
                lambda v: (v if wide else _short(v)) if isinstance(v, str) else "")
        print_table(shown, title="Benchmark subsets", wide=wide)
    harness = report.harness
    if "offsets" in harness:
        offsets = pd.DataFrame(harness["offsets"])
        print_table(pd.DataFrame({
            "harness": offsets["harness"], "scores": offsets["n_observations"],
            f"offset ({report.unit}, 90% CI)": [
                _ci(v, lo, hi, digits) if ok is not False else "not identified"
                for v, lo, hi, ok in zip(
                    offsets["offset_points"], offsets["ci_low_points"],
                    offsets["ci_high_points"], offsets["identified"], strict=True)],
            "reference": offsets["is_reference"],
        }), title="Harness offsets δ (reference = 0)", wide=wide)  # fmt: skip
        restated = harness["restated"]
        console.print(
            f"Restated as if every model ran in the best harness ({harness['best_harness']}): "
            f"lag {_ci_entry(restated['lag_months'], 1)} months, gap "
            f"{_ci_entry(restated['vertical_gap'], digits)} {report.unit}.",
            markup=False, highlight=False)
        for note in harness.get("notes") or []:
            console.print(f"note: {note}", markup=False, highlight=False)
    else:
        console.print(f"Harness effect: skipped ({harness.get('skipped')})", markup=False)
    paired = harness.get("paired")
    if paired:
        parts = []
        for label, e in (("all", paired["overall"]), ("open", paired["by_group"]["open"]),
                         ("closed", paired["by_group"]["closed"]),
                         ("open − closed", paired["interaction"])):  # fmt: skip
            text = (f"{e['points']:+.1f} points ({e['points_low']:+.1f} to {e['points_high']:+.1f})"
                    if e["points"] is not None else e["status"])  # fmt: skip
            parts.append(f"{label} [{e['n_pairs']} pair(s)]: {text}")
        console.print(
            f"Paired runs, {paired['alternative']} over {paired['base']} (90% CI): "
            + "; ".join(parts) + " — details: opengap harness",
            markup=False, highlight=False,
        )  # fmt: skip
    widening = wide_frame.assign(
        widest_name=wide_frame["widest_without"].map(lambda b: bench_names.get(b, b)))
    print_table(widening, title="Standard-error widening when a model lacks one of its benchmarks",
                limit=limit, columns={
                    "name": "model", "weights": "weights", "n_benchmarks": "benchmarks",
                    "se": f"s.e. ({report.unit})", "mean_widening": "mean ×",
                    "max_widening": "max ×", "widest_name": "widest without"},
                formats={"n_benchmarks": ".0f", "se": f".{digits}f", "ci_width": f".{digits}f",
                         "mean_widening": ".2f", "max_widening": ".2f"},
                wide=wide)  # fmt: skip
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def _benchmark_names(report: SensitivityReport) -> dict[str, str]:
    bench = report.benchmarks
    return dict(zip(bench["benchmark_id"], bench["name"].fillna(bench["benchmark_id"]),
                    strict=True))  # fmt: skip


def _leave_one_out(report: SensitivityReport, limit: int) -> Shown:
    """The leave-one-benchmark-out table, names shown (its ``data`` every row, for --csv)."""
    digits = 1 if report.unit == "points" else 3
    bench = report.benchmarks
    model_names = dict(zip(report.widening["model_id"], report.widening["name"], strict=True))
    shown = bench.assign(
        name=bench["name"].fillna(bench["benchmark_id"]),
        best_open_name=bench["best_open"].map(lambda m: model_names.get(m, m)),
    )
    return Shown(shown, "Leave one benchmark out (largest influence first)", limit=limit,
                 columns={"name": "left out", "n_models": "models",
                          "delta_lag_months": "Δ lag (months)",
                          "delta_points": f"Δ gap ({report.unit})", "influence": "influence",
                          "best_open_name": "best open then"},
                 formats={"n_models": ".0f", "delta_lag_months": "+.1f", "lag_months": ".1f",
                          "delta_points": f"+.{digits}f", "vertical_gap": f".{digits}f",
                          "influence": ".0%"})  # fmt: skip


def _short(note: str, limit: int = 60) -> str:
    """Return the first clause of a long error note (the JSON keeps it whole)."""
    head = note.split(" (", 1)[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _intervals(items: dict[tuple[str, str, int], Any], title: str) -> Shown:
    """Return a table of estimates with 90% intervals, one row per (quantity, unit, digits)."""
    rows = [{"quantity": q, "unit": u, "value": v.value, "ci_low": v.ci_low, "ci_high": v.ci_high,
             "estimate (90% CI)": _ci(v.value, v.ci_low, v.ci_high, d)}
            for (q, u, d), v in items.items()]  # fmt: skip
    frame = pd.DataFrame(rows)
    return Shown(frame, title, columns={"quantity": "", "unit": "unit",
                                        "estimate (90% CI)": "estimate (90% CI)"},
                 data=frame.drop(columns="estimate (90% CI)"))  # fmt: skip


def _ci(value: Any, low: Any, high: Any, digits: int) -> str:
    def ok(x: Any) -> bool:
        return isinstance(x, int | float) and math.isfinite(x)

    if not ok(value):
        return "—"
    text = f"{value:.{digits}f}"
    if ok(low) and ok(high):
        text += f" ({low:.{digits}f}–{high:.{digits}f})"
    return text


def _ci_entry(entry: Any, digits: int) -> str:
    if not isinstance(entry, dict):
        return "—"
    return _ci(entry.get("value"), entry.get("ci_low"), entry.get("ci_high"), digits)


def _edges(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        message = f"--size-classes {text!r}: give edges in billions like 10,50,200"
        raise BadArgument(message) from None


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Yield a progress callback drawing rich bars on stderr (None with --json)."""
    if quiet or not err_console.is_terminal:
        yield None
        return
    bars = Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=err_console, transient=True)
    tasks: dict[str, TaskID] = {}

    def update(task: str, done: int, total: int) -> None:
        if task not in tasks:
            tasks[task] = bars.add_task(task, total=total)
        bars.update(tasks[task], completed=done, total=total)

    with bars:
        yield update
