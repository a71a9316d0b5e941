"""The ``opengap`` command: thin commands over the library, registered from one module each."""

from __future__ import annotations

import importlib

import typer

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


def main() -> None:
    """Run the CLI (the ``opengap`` console script)."""
    app()
