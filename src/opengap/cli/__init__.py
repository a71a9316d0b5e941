"""The ``opengap`` command: thin commands over the library, registered from one module each."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from opengap import __version__

app = typer.Typer(
    name="opengap",
    help="An open, reproducible observatory of the open-vs-closed model capability gap.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines ``register(app)`` adding its commands.
COMMAND_MODULES = [
    "catalog", "fitting", "gap", "compare", "harness", "items", "card", "verify", "present",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"opengap.cli.{_name}").register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opengap {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """An open, reproducible observatory of the open-vs-closed model capability gap.

    Example: opengap --version
    """


def main() -> None:
    """Run the CLI (the ``opengap`` console script).

    Ctrl-C in Python code ends with exit code 130 (typer's handling); while DuckDB runs a
    statement it reaches Python as ``RuntimeError: Query interrupted`` instead, which ends in
    one line and exit code 130 too, never a traceback. Either way the store is as it was: the
    interrupted import is rolled back, a copy an import wrote is deleted.
    """
    try:
        app()
    except KeyboardInterrupt:  # raised outside typer's own handling
        _interrupted()
    except RuntimeError as exc:
        if str(exc) != "Query interrupted":
            raise
        _interrupted()


def _interrupted() -> None:
    import sys

    print("Error: interrupted; nothing changed", file=sys.stderr)
    raise SystemExit(130)
