"""Catalogue commands: init, import, models, benchmarks, scores."""

from __future__ import annotations

from typing import Annotated

import typer

from opengap import catalog
from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    WideOption,
    check_choice,
    console,
    emit,
    load_names,
    open_store,
    print_json,
    user_errors,
)
from opengap.sources import KINDS
from opengap.sources.records import DOMAINS, LICENSE_CLASSES, WEIGHTS


def register(app: typer.Typer) -> None:
    """Add the catalogue commands to ``app``."""
    app.command("init")(init)
    app.command("import")(import_)
    app.command("models")(models)
    app.command("benchmarks")(benchmarks)
    app.command("scores")(scores)


def init(
    empty: Annotated[
        bool, typer.Option("--empty", help="Create the store without the snapshot.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create the store and load the bundled snapshot (with --empty: its model facts only).

    Example: opengap init --db my.duckdb
    """
    with user_errors(), open_store(db, create=True) as store:
        result = catalog.init_store(store, empty=empty)
        counts = store.counts()
        if json:
            print_json({"db": str(store.path), "snapshot": result.to_dict() if result else None,
                        "counts": counts})
            return
        console.print(f"Store ready at {store.path}", markup=False)
        if result is not None:
            state = "already loaded" if result.already_imported else "loaded"
            what = "Curated model facts" if empty else "Bundled snapshot"
            console.print(f"{what} {state}: {counts['models']} models, "
                          f"{counts['benchmarks']} benchmarks, {counts['scores']} scores")


def import_(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    path: Annotated[str, typer.Argument(help="File or directory to import.")],
    strict: Annotated[bool, typer.Option("--strict", help="Abort if any row is rejected.")] = False,
    model: Annotated[str | None, typer.Option("--model", help="Model id (lm-eval).")] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", help="Benchmark id (lm-eval).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import a file or directory of public evaluation results.

    Example: opengap import epoch-hub ../shared/data/epoch-benchmarking-hub
    """
    with user_errors(), open_store(db, create=True) as store:
        result = catalog.import_path(
            store, kind, path, strict=strict, model=model, benchmark=benchmark
        )
    if json:
        print_json(result.to_dict())
        return
    if result.already_imported:
        console.print(f"{path}: already imported as import {result.import_id}; nothing changed",
                      markup=False)
        return
    console.print(
        f"Import {result.import_id} ({kind}): {result.rows_read} rows read, "
        f"{result.rows_accepted} accepted, {result.rows_rejected} rejected",
        markup=False,
    )
    for rejected in result.rejected[:10]:
        console.print(f"  rejected {rejected.row}: {rejected.reason}", markup=False)
    if result.rows_rejected > 10:
        listed = len(result.rejected)
        more = (" (see --json)" if listed == result.rows_rejected
                else f" (--json lists the first {listed})")
        console.print(f"  … and {result.rows_rejected - 10} more{more}", markup=False)


MODEL_COLUMNS = {
    "name": "model", "organization": "organisation", "country": "country",
    "release_date": "released", "weights": "weights", "params_total_b": "params (B)",
}  # fmt: skip
BENCHMARK_COLUMNS = {
    "name": "benchmark", "domain": "domain", "n_items": "items", "chance": "chance",
    "ceiling": "ceiling", "n_scores": "scores",
}  # fmt: skip
SCORE_COLUMNS = {
    "model_name": "model", "benchmark_name": "benchmark", "value": "value",
    "normalized": "normalized", "harness": "harness", "eval_date": "evaluated",
}  # fmt: skip
CONFLICT_COLUMNS = {
    "model": "model", "field": "fact", "value": "value shown", "source": "from",
    "other_value": "other value", "other_source": "from",
}  # fmt: skip
SIZE = ".1f"  # billions of parameters
VALUE = ".4g"  # a benchmark's own scale (fraction or percent)
SHARE = ".3f"  # normalised scores in [0, 1]
COUNT = "d"


def models(
    weights: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    organization: Annotated[str | None, typer.Option(help="Organisation name.")] = None,
    country: Annotated[str | None, typer.Option(help="Country of origin.")] = None,
    license_class: Annotated[
        str | None, typer.Option("--license-class", help="permissive, open-restricted or closed.")
    ] = None,
    search: Annotated[str | None, typer.Option(help="Substring of the name or id.")] = None,
    conflicts: Annotated[
        bool,
        typer.Option(
            "--conflicts",
            help="List every disagreement between sources on a model fact instead: the value "
            "shown (chosen by precedence, docs/data.md) and each other source's value.",
        ),
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.", min=1)] = None,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """List models in the catalogue (or, with --conflicts, where sources disagree on them).

    The table shows names, organisation, country, date, weights and size (--wide: every
    column); --json and --csv always carry every column, ids included.

    Example: opengap models --weights open --country China

    Example: opengap models --conflicts --json
    """
    with user_errors():
        weights = check_choice("--weights", weights, WEIGHTS)
        license_class = check_choice("--license-class", license_class, LICENSE_CLASSES)
        with open_store(db, read_only=True) as store:
            if conflicts:
                frame = catalog.list_conflicts(store)
                names = load_names(store)
            else:
                frame = catalog.list_models(
                    store, weights=weights, organization=organization, country=country,
                    license_class=license_class, search=search,
                )  # fmt: skip
        if conflicts:
            shown = frame if json or csv else frame.assign(model=names.model(frame["model_id"]))
            emit(shown, json=json, csv=csv, title=f"{len(frame)} disagreements between sources",
                 limit=limit, wide=wide, columns=CONFLICT_COLUMNS)  # fmt: skip
            return
        emit(frame, json=json, csv=csv, title=f"{len(frame)} models", limit=limit,
             columns=MODEL_COLUMNS, formats={"params_total_b": SIZE, "params_active_b": SIZE},
             wide=wide)  # fmt: skip


def benchmarks(
    domain: Annotated[str | None, typer.Option(help=f"Only this domain: {', '.join(DOMAINS)}.")] = (
        None
    ),
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.", min=1)] = None,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """List benchmarks with their metadata and score counts.

    Example: opengap benchmarks --domain math
    """
    with user_errors():
        domain = check_choice("--domain", domain, DOMAINS)
        with open_store(db, read_only=True) as store:
            frame = catalog.list_benchmarks(store, domain=domain)
        emit(frame, json=json, csv=csv, title=f"{len(frame)} benchmarks", limit=limit,
             columns=BENCHMARK_COLUMNS, wide=wide,
             formats={"n_items": COUNT, "n_scores": COUNT, "chance": VALUE,
                      "ceiling": VALUE})  # fmt: skip


def scores(
    model: Annotated[str | None, typer.Option(help="Model id or alias.")] = None,
    benchmark: Annotated[str | None, typer.Option(help="Benchmark id or alias.")] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.", min=1)] = None,
    imputed: Annotated[bool, typer.Option(
        "--imputed", help="List the imputed scores of the latest fit (fit --impute-partial) "
        "instead.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """List scores, optionally of one model and/or benchmark (aliases accepted).

    Example: opengap scores --model "gpt-5.1_medium" --benchmark "GPQA diamond"

    Example: opengap scores --imputed --json
    """
    if imputed:
        from opengap.fitting.imputation import list_imputed

        with user_errors():
            with open_store(db, read_only=True) as store:
                shown = list_imputed(store, model=model, benchmark=benchmark)
            emit(shown, json=json, csv=csv, title=f"{len(shown)} imputed scores", limit=limit,
                 formats={"value": VALUE, "low": VALUE, "high": VALUE, "se": VALUE})  # fmt: skip
        return
    with user_errors():
        with open_store(db, read_only=True) as store:
            frame = catalog.list_scores(store, model=model, benchmark=benchmark)
        emit(frame, json=json, csv=csv, title=f"{len(frame)} scores", limit=limit,
             columns=SCORE_COLUMNS, wide=wide,
             formats={"value": VALUE, "stderr": VALUE, "normalized": SHARE,
                      "n_items": COUNT})  # fmt: skip
