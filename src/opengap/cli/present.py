"""Presentation commands: ``opengap report`` (the HTML file) and ``opengap serve`` (dashboard)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from opengap.cli.common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    open_store,
    print_json,
    user_errors,
)
from opengap.report.data import Progress as ProgressCallback


def register(app: typer.Typer) -> None:
    """Add ``opengap report`` and ``opengap serve`` to ``app``."""
    app.command("report")(report)
    app.command("serve")(serve)


def report(
    output: Annotated[
        str, typer.Option("-o", "--output", help="HTML file to write.")
    ] = "report.html",
    figures: Annotated[
        str | None,
        typer.Option("--figures", help="Also write every chart as PNG and SVG into this folder."),
    ] = None,
    fit_id: Annotated[
        str | None, typer.Option("--fit-id", help="Show this stored fit (default: the latest).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Write the gap report: one self-contained HTML file, and print its headline.

    An empty store first gets the bundled snapshot; a store without a fit is fitted (default
    preset) first. The file embeds plotly and opens without a network.

    Example: opengap report -o report.html --figures figures/
    """
    from opengap.report import build_report

    with user_errors(), open_store(db, create=True) as store, _progress(json) as progress:
        result = build_report(store, output=output, figures_dir=figures, fit_id=fit_id,
                              progress=progress)  # fmt: skip
    if json:
        print_json(result.to_dict())
        return
    console.print(result.headline, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"Wrote {result.path} ({result.size_bytes / 1e6:.1f} MB, fit {result.fit_id}"
        f"{', fitted now' if result.fitted_now else ''}) in {result.seconds:.1f} s",
        markup=False, highlight=False, soft_wrap=True,
    )  # fmt: skip
    if result.figures:
        console.print(f"Wrote {len(result.figures)} figures to {figures}", markup=False)
    for section, reason in result.problems.items():
        console.print(f"Note: {section} not computed: {reason}", markup=False, highlight=False,
                      soft_wrap=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to bind (localhost by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the dashboard: the report's pages live, a model explorer and a JSON API.

    Read-only over the store, which it never holds open: the CLI keeps working on it, and new
    imports and fits show up without a restart. A store without a fit offers to fit. API docs
    at /api. Only the bound address is accepted as Host (DNS rebinding).

    Example: opengap serve --port 8000
    """
    import uvicorn

    from opengap.web import create_app

    with user_errors():
        app = create_app(db, host=host)  # refuses a missing store (MissingStore)
    console.print(f"opengap dashboard on http://{host}:{port}/ (API docs: /api)", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressCallback | None]:
    """Yield a ``progress(task, done, total)`` callback drawing a rich bar on stderr."""
    if quiet:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    )  # fmt: skip
    tasks: dict[str, TaskID] = {}

    def update(task: str, done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], completed=done, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()
