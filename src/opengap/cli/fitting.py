"""The ``opengap fit`` command: a thin wrapper over :func:`opengap.fitting.run_fit`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from opengap import fitting
from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    WideOption,
    check_output,
    console,
    emit,
    err_console,
    open_store,
    print_csv,
    print_json,
    print_table,
    user_errors,
)
from opengap.errors import BadArgument
from opengap.fit.config import PRESETS


def register(app: typer.Typer) -> None:
    """Add ``opengap fit`` to ``app``."""
    app.command("fit")(fit)
    app.command("fits")(fits)


FITS_COLUMNS = {
    "fit_id": "fit", "preset": "preset", "created_at": "created", "n_models": "models",
    "n_benchmarks": "benchmarks", "headline": "headline",
}  # fmt: skip


def fits(
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """List the stored fits, newest first: id, preset, when, models, benchmarks, headline.

    The headline names each fit's best closed and best open model; any id (or a unique
    prefix) can be passed to --fit-id of gap, sensitivity and report.

    Example: opengap fits --db hub.duckdb
    """
    with user_errors():
        with open_store(db, read_only=True) as store:
            frame = fitting.list_fits(store)
        shown = frame.assign(created_at=frame["created_at"].map(
            lambda t: None if t is None or pd.isna(t) else pd.Timestamp(t).strftime(
                "%Y-%m-%d %H:%M")))  # fmt: skip
        emit(frame if json or csv else shown, json=json, csv=csv,
             title=f"{len(frame)} stored fits", columns=FITS_COLUMNS, wide=wide,
             formats={"n_models": "d", "n_benchmarks": "d"})  # fmt: skip


def fit(
    preset: Annotated[
        str, typer.Option(help=f"Starting configuration: {', '.join(PRESETS)}.")
    ] = "default",
    scale: Annotated[
        str | None,
        typer.Option(
            help="raw (logits), eci (two anchor models), elo (200/ln 3 per logit) or elo10 "
            "(400/ln 10 per logit)."
        ),
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option("--anchor", help="Anchor MODEL=VALUE: twice for eci, once for elo."),
    ] = None,
    bootstrap: Annotated[
        int | None, typer.Option(help="Bootstrap refits for intervals (0 = none).")
    ] = None,
    pin_benchmark: Annotated[
        str | None, typer.Option("--pin-benchmark", help="Benchmark pinned at D = 0, α = 1.")
    ] = None,
    loss: Annotated[str | None, typer.Option(help="lsq or binomial.")] = None,
    weighting: Annotated[
        str | None,
        typer.Option(help="none, benchmark or benchmark-domain: equal total weight each."),
    ] = None,
    common_slope: Annotated[
        bool | None,
        typer.Option("--common-slope/--free-slopes", help="One shared slope (1PL) or one each."),
    ] = None,
    top: Annotated[int, typer.Option(help="Models shown in the table.")] = 20,
    level: Annotated[str, typer.Option(
        help="benchmarks (the capability scale) or items (IRT on item-level responses).")
    ] = "benchmarks",
    item_model: Annotated[str, typer.Option(
        "--item-model", help="With --level items: 1pl, 2pl or 3pl.")] = "2pl",
    benchmark: Annotated[str | None, typer.Option(
        help="With --level items: only this benchmark's items.")] = None,
    bootstrap_over: Annotated[str, typer.Option(
        "--bootstrap-over", help="With --level items: resample items or models.")] = "items",
    impute_partial: Annotated[bool, typer.Option(
        "--impute-partial", help="Benchmark level: give models with item responses but no "
        "score an imputed full-benchmark score from the latest item fit (flagged imputed).")
    ] = False,
    ray: Annotated[bool, typer.Option(
        "--ray", help="With --level items: run the bootstrap draws on a Ray cluster "
        "(RAY_ADDRESS, else a local one; pip install 'opengap[ray]').")] = False,
    backend: Annotated[str, typer.Option(
        help="With --level items: auto, sparse, dense or torch (CUDA when available).")] = "auto",
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """Fit the capability scale on the catalogue and store the result.

    Prints the top models with 90% bootstrap intervals; the fit is saved under its fit id.
    With --level items, fits item-level IRT on the store's responses instead (see
    docs/items.md).

    Example: opengap fit --preset eci --scale elo --anchor gpt-4o-2024-05-13=1000

    Example: opengap fit --preset caisi --scale elo10

    Example: opengap fit --level items --bootstrap 200 --ray --json

    Example: opengap fit --impute-partial --scale raw

    --csv prints every fitted model (the table shows the top ones).

    Example: opengap fit --level items --backend torch --json
    """
    with user_errors():
        check_output(json, csv)
        if level not in ("benchmarks", "items"):
            raise BadArgument(f"unknown --level {level!r} (choose from benchmarks, items)")
    if level == "items":
        from opengap.cli.items import fit_items_command

        fit_items_command(db=db, json=json, model=item_model, benchmark=benchmark,
                          bootstrap=bootstrap or 0, top=top, bootstrap_over=bootstrap_over,
                          ray=ray, backend=backend, csv=csv, wide=wide)  # fmt: skip
        return
    with user_errors(), open_store(db) as store, _progress(json or csv) as progress:
        anchors = [fitting.parse_anchor(a) for a in anchor] if anchor else None
        result = fitting.run_fit(
            store, preset=preset, scale=scale, anchors=anchors, bootstrap=bootstrap,
            pin_benchmark=pin_benchmark, loss=loss, weighting=weighting,
            common_slope=common_slope, progress=progress, impute_partial=impute_partial,
        )  # fmt: skip
    if json:
        print_json(result.to_dict(top=None))
        return
    if csv:
        print_csv(result.models)
        return
    _print(result, top, wide=wide)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a ``progress(done, total)`` callback drawing a rich bar on stderr (None if quiet)."""
    if quiet:
        yield None
        return
    bar = Progress(
        TextColumn("bootstrap"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    )  # fmt: skip
    task = bar.add_task("bootstrap", total=None)

    def update(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


def _print(result: fitting.FitResult, top: int, *, wide: bool = False) -> None:
    unit = "logits" if result.scale == "raw" else "points"
    console.print(
        f"Fit {result.fit_id} ({result.preset}, {result.scale} scale): {result.n_models} models, "
        f"{result.n_benchmarks} benchmarks, {result.n_observations} observations; "
        f"SSE {result.sse:.4f}; fit {result.fit_seconds * 1000:.0f} ms"
        + (
            f", {0 if result.draws is None else result.draws.shape[0]} bootstrap refits "
            f"{result.bootstrap_seconds:.1f} s"
            if result.draws is not None
            else ""
        ),
        markup=False,
        highlight=False,
    )
    frame = result.models.head(top)
    spec = ".1f" if unit == "points" else ".3f"  # one format per unit: capability, se, interval
    table = pd.DataFrame(
        {
            "model": frame["name"].where(frame["name"].notna(), frame["model_id"]),
            "model_id": frame["model_id"],
            "released": frame["release_date"],
            "weights": frame["weights"],
            unit: frame["capability"],
            "90% interval": [
                _interval(lo, hi, anchor, spec)
                for lo, hi, anchor in zip(
                    frame["ci_low"], frame["ci_high"], frame["is_anchor"], strict=True
                )
            ],
            "± se": frame["se_laplace"],
            "benchmarks": frame["n_benchmarks"],
            "poor fit": frame["poor_fit"].map(lambda p: "yes" if p else ""),
        }
    )
    print_table(table, title=f"Top {len(frame)} of {result.n_models}: capability in {unit}",
                columns={str(c): str(c) for c in table.columns if c != "model_id"},
                formats={unit: spec, "± se": spec}, wide=wide)  # fmt: skip
    for note in result.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)


def _interval(low: float, high: float, anchor: bool, spec: str) -> str:
    if anchor:
        return "anchor"
    if pd.isna(low) or pd.isna(high):
        return "—"
    return f"{low:{spec}}–{high:{spec}}"
