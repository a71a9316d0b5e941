"""Catalogue commands: init, import, models, benchmarks, scores."""

from __future__ import annotations

from typing import Annotated

import typer

from opengap import catalog
from opengap.cli.common import (
    DbOption,
    JsonOption,
    console,
    open_store,
    print_json,
    print_table,
    user_errors,
)
from opengap.sources import KINDS


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
    with user_errors(), open_store(db) as store:
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
    with user_errors(), open_store(db) as store:
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
        console.print(f"  … and {result.rows_rejected - 10} more (see --json)")


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
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List models in the catalogue (or, with --conflicts, where sources disagree on them).

    Example: opengap models --weights open --country China

    Example: opengap models --conflicts --json
    """
    with user_errors(), open_store(db) as store:
        if conflicts:
            frame = catalog.list_conflicts(store)
        else:
            frame = catalog.list_models(
                store, weights=weights, organization=organization, country=country,
                license_class=license_class, search=search,
            )  # fmt: skip
    if conflicts and not json:
        print_table(frame, title=f"{len(frame)} disagreements between sources", limit=limit)
        return
    if json:
        print_json(frame if limit is None else frame.head(limit))
    else:
        print_table(frame, title=f"{len(frame)} models", limit=limit)


def benchmarks(
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List benchmarks with their metadata and score counts.

    Example: opengap benchmarks --domain math
    """
    with user_errors(), open_store(db) as store:
        frame = catalog.list_benchmarks(store, domain=domain)
    if json:
        print_json(frame)
    else:
        print_table(frame, title=f"{len(frame)} benchmarks")


def scores(
    model: Annotated[str | None, typer.Option(help="Model id or alias.")] = None,
    benchmark: Annotated[str | None, typer.Option(help="Benchmark id or alias.")] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List scores, optionally of one model and/or benchmark (aliases accepted).

    Example: opengap scores --model "gpt-5.1_medium" --benchmark "GPQA diamond"
    """
    with user_errors(), open_store(db) as store:
        frame = catalog.list_scores(store, model=model, benchmark=benchmark)
    if json:
        print_json(frame if limit is None else frame.head(limit))
    else:
        print_table(frame, title=f"{len(frame)} scores", limit=limit)
