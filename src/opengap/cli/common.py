"""What every command shares: the --db and --json options, output helpers, error conversion."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from opengap.errors import OpengapError
from opengap.store import Store
from opengap.store.location import resolve_db_path

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store file (default: $OPENGAP_DB or the user data directory)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def open_store(db: str | None, *, read_only: bool = False) -> Iterator[Store]:
    """Yield the store chosen by ``--db``/``OPENGAP_DB``, closed afterwards.

    A store file this command created is removed again if the command fails, so a failed
    first import leaves nothing behind, as a failed later one leaves the store as it was.
    """
    path = resolve_db_path(db)
    created = not path.exists()
    store = Store(db, read_only=read_only)
    try:
        yield store
    except BaseException:
        store.close()
        if created:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        store.close()


def fail(message: str) -> None:
    """Print ``Error: message`` on stderr and exit with code 2."""
    message = message.encode("utf-8", "backslashreplace").decode()  # paths that are not UTF-8
    err_console.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Convert the library's :class:`OpengapError` into one line on stderr and exit code 2."""
    try:
        yield
    except OpengapError as exc:
        fail(str(exc))


def to_jsonable(value: Any) -> Any:
    """Return ``value`` with dates, numpy scalars, NaN and DataFrames made JSON-friendly."""
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, datetime):  # pandas gives DATE columns as midnight timestamps
        is_date = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if is_date else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2) + "\n")


def print_table(frame: pd.DataFrame, title: str | None = None, limit: int | None = None) -> None:
    """Print a DataFrame as a rich table (imported strings are never read as markup)."""
    shown = frame if limit is None else frame.head(limit)
    table = Table(title=title, show_lines=False)
    for column in shown.columns:
        numeric = pd.api.types.is_numeric_dtype(shown[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in shown.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if limit is not None and len(frame) > limit:
        console.print(f"… {len(frame) - limit} more rows (use --limit or --json)")


def _cell(value: Any) -> str:
    from rich.markup import escape

    value = to_jsonable(value)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))
