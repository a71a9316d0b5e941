"""What every command shares: the --db and --json options, output helpers, error conversion."""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from opengap.errors import BadArgument, MissingStore, OpengapError
from opengap.store import Store
from opengap.store.core import missing_store_message
from opengap.store.location import resolve_db_path

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erasing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Return ``text`` without terminal escape codes and control characters.

    Kept: newline and tab. Removed: escape sequences (colours, cursor moves, titles,
    hyperlinks), every other C0/C1 control (carriage return, backspace, bell…) and the
    bidirectional overrides that can make a name display as another.
    """
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


class SafeConsole(Console):
    """A rich console that prints every string argument :func:`clean` ed.

    Imported names, paths and error messages can carry escape codes; nothing opengap prints
    lets them reach the terminal.
    """

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print like :meth:`rich.console.Console.print`, strings cleaned first."""
        super().print(*(clean(o) if isinstance(o, str) else o for o in objects), **kwargs)


console = SafeConsole()
err_console = SafeConsole(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store file (default: $OPENGAP_DB or the user data directory)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOption = Annotated[
    bool, typer.Option("--csv", help="Print CSV (every column, one header row) instead.")
]
WideOption = Annotated[
    bool,
    typer.Option("--wide", help="Show every column, ids included (the table may exceed 100 "
                 "columns)."),
]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def open_store(
    db: str | None, *, read_only: bool = False, create: bool = False
) -> Iterator[Store]:
    """Yield the store chosen by ``--db``/``OPENGAP_DB``, closed afterwards.

    Only a command that ``create`` s a store (init, import, report) makes a missing file; any
    other says how to create it (:class:`MissingStore`). A store file this command created is
    removed again if the command fails, so a failed first import leaves nothing behind, as a
    failed later one leaves the store as it was. ``read_only`` commands can run beside the
    dashboard and each other; a writer waits a few seconds for a store another process holds.
    """
    path = resolve_db_path(db)
    created = not path.exists()
    if created and not create:
        raise MissingStore(missing_store_message(path))
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


def check_choice(option: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """Return ``value`` if it is one of ``allowed`` (any case), else raise :class:`BadArgument`.

    The message lists the allowed values: ``--weights 'opne': choose open or closed``.
    """
    if value is None:
        return None
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    options = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    raise BadArgument(f"{option} {value!r}: choose {options}")


def check_date(option: str, value: str | None) -> str | None:
    """Return ``value`` if it is a YYYY-MM-DD day, else raise :class:`BadArgument`."""
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise BadArgument(f"{option} {value!r} is not a date (use YYYY-MM-DD)") from None
    return value


def check_output(json: bool, csv: bool) -> None:
    """Refuse ``--json`` together with ``--csv`` (:class:`BadArgument`)."""
    if json and csv:
        raise BadArgument("--json and --csv: choose one")


@dataclass(frozen=True)
class Names:
    """Display names of the store's models and benchmarks, by id (tables show names, not ids)."""

    models: Mapping[str, str]
    benchmarks: Mapping[str, str]

    def model(self, values: Iterable[Any]) -> list[Any]:
        """Return each model id's name (an id without a name, or unknown, as it is)."""
        return [self.models.get(v, v) if isinstance(v, str) else v for v in values]

    def benchmark(self, values: Iterable[Any]) -> list[Any]:
        """Return each benchmark id's name (an id without a name, or unknown, as it is)."""
        return [self.benchmarks.get(v, v) if isinstance(v, str) else v for v in values]


def load_names(store: Store) -> Names:
    """Return the :class:`Names` of ``store``'s models and benchmarks."""
    from opengap import catalog

    def pairs(frame: pd.DataFrame, key: str) -> dict[str, str]:
        known = frame[frame["name"].notna()]
        return dict(zip(known[key], known["name"], strict=True))

    return Names(pairs(catalog.list_models(store), "model_id"),
                 pairs(catalog.list_benchmarks(store), "benchmark_id"))  # fmt: skip


def fail(message: str) -> None:
    """Print ``Error: message`` on stderr and exit with code 2."""
    message = message.encode("utf-8", "backslashreplace").decode()  # paths that are not UTF-8
    err_console.print(f"Error: {clean(message)}", markup=False, highlight=False, soft_wrap=True)
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
    if value is pd.NaT or value is pd.NA or value is None:  # NaT is a datetime too
        return None
    if isinstance(value, np.datetime64):
        value = None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
        if value is None:
            return None
    if isinstance(value, datetime):  # pandas gives DATE columns as midnight timestamps
        is_date = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if is_date else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2) + "\n")


SHORT_COLUMN = 16
"""Columns no wider than this (numbers, dates, flags) keep their width in a narrow table."""


def print_csv(frame: pd.DataFrame) -> None:
    """Print a DataFrame as CSV on stdout: every column, unknown values empty, text cleaned."""
    frame = _flatten(frame)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([clean(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if (v := to_jsonable(x)) is None else clean(str(v)) for x in row])


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with each column of dicts (an estimate and its interval) spread out.

    ``lag_months`` holding ``{"value", "ci_low", "ci_high"}`` becomes ``lag_months``,
    ``lag_months_ci_low`` and ``lag_months_ci_high``: one value per CSV cell.
    """
    out: dict[str, Any] = {}
    for column in frame.columns:
        values = list(frame[column])
        if not any(isinstance(v, dict) for v in values):
            out[str(column)] = frame[column]
            continue
        keys = list(dict.fromkeys(k for v in values if isinstance(v, dict) for k in v))
        for key in keys:
            name = str(column) if key == "value" else f"{column}_{key}"
            out[name] = [v.get(key) if isinstance(v, dict) else None for v in values]
    return pd.DataFrame(out, index=frame.index)


def emit(
    frame: pd.DataFrame,
    *,
    json: bool,
    csv: bool,
    title: str,
    limit: int | None = None,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    wide: bool = False,
) -> None:
    """Print a listing as JSON (``--json``), CSV (``--csv``) or a table; at most ``limit`` rows.

    JSON and CSV always carry every column; the table shows ``columns`` unless ``wide``.
    """
    check_output(json, csv)
    if json:
        print_json(frame if limit is None else frame.head(limit))
    elif csv:
        print_csv(frame if limit is None else frame.head(limit))
    else:
        print_table(frame, title=title, limit=limit, columns=columns, formats=formats, wide=wide)


@dataclass(frozen=True)
class Shown:
    """One table a command prints: what the person sees, and what ``--csv`` carries.

    ``frame`` is drawn with ``columns`` (the compact view, names not ids) and ``formats``;
    ``--wide`` draws every column of it. ``data`` is the table's full record for ``--csv``
    (default: ``frame``): numbers unformatted, every column.
    """

    frame: pd.DataFrame
    title: str | None = None
    columns: Mapping[str, str] | None = None
    formats: Mapping[str, str] | None = None
    limit: int | None = None
    data: pd.DataFrame | None = None
    main: bool = False


def show(tables: Sequence[Shown], *, csv: bool = False, wide: bool = False) -> None:
    """Print ``tables`` (``wide``: every column) or, with ``csv``, the main one's data as CSV.

    The main table is the first marked ``main``, else the first: a command printing several
    tables gives its main one with ``--csv`` (``--json`` carries them all).
    """
    if csv:
        if tables:
            first = next((t for t in tables if t.main), tables[0])
            print_csv(first.frame if first.data is None else first.data)
        return
    for t in tables:
        print_table(t.frame, title=t.title, limit=t.limit, columns=t.columns, formats=t.formats,
                    wide=wide)  # fmt: skip


def print_table(
    frame: pd.DataFrame,
    title: str | None = None,
    limit: int | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    wide: bool = False,
) -> None:
    """Print a DataFrame as a rich table (imported strings are never read as markup).

    ``columns`` maps the columns to show to their headers (default: every column under its
    own name) and fit the console (text cut with an ellipsis); ``wide`` prints every column at
    its natural width instead. ``formats`` maps a column to a format spec (``".1f"``), so each
    unit prints one way. Unknown values print as ``—``; escape codes and control characters
    never reach the terminal.
    """
    if wide:
        columns = None
    shown = frame if limit is None else frame.head(limit)
    if columns is not None:
        shown = shown[[c for c in columns if c in shown.columns]]
    formats = formats or {}
    table = Table(title=None if title is None else clean(title), show_lines=False)
    specs = [formats.get(str(c)) for c in shown.columns]
    rows = [[_cell(v, spec) for v, spec in zip(row, specs, strict=True)]
            for row in shown.itertuples(index=False)]  # fmt: skip
    headers = [_cell(columns.get(c, c) if columns is not None else c) for c in shown.columns]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    caps = _column_caps(widths, console.width) if columns is not None else [None] * len(widths)
    for i, column in enumerate(shown.columns):
        numeric = pd.api.types.is_numeric_dtype(shown[column])
        # A chosen set of columns is the compact table: one line per row, short columns
        # (numbers, dates) at full width, long text cut with an ellipsis to fit the console
        # (--wide shows every column, wrapped).
        table.add_column(headers[i], justify="right" if numeric else "left",
                         no_wrap=columns is not None, overflow="ellipsis",
                         min_width=widths[i] if columns and widths[i] <= SHORT_COLUMN else None,
                         max_width=caps[i])  # fmt: skip
    for cells in rows:
        table.add_row(*cells)
    natural = sum(widths) + 3 * len(widths) + 1
    # --wide: every column at its natural width, one line per row (pipe into `less -S`).
    if wide and natural > console.width:
        SafeConsole(file=console.file, width=natural).print(table)
    else:
        console.print(table)
    if limit is not None and len(frame) > limit:
        console.print(f"… {len(frame) - limit} more rows (use --limit, --json or --csv)")


def _column_caps(widths: list[int], total: int) -> list[int | None]:
    """Return the widest each long column may be so that the table fits ``total`` columns.

    Short columns keep their width; the rest of the line is shared among the long ones, a
    column narrower than its share giving the difference to the others.
    """
    room = total - (3 * len(widths) + 1) - sum(w for w in widths if w <= SHORT_COLUMN)
    long = sorted((w, i) for i, w in enumerate(widths) if w > SHORT_COLUMN)
    caps: list[int | None] = [None] * len(widths)
    for n, (width, i) in enumerate(long):
        share = max(room // (len(long) - n), 4)
        caps[i] = min(width, share)
        room -= caps[i] or 0
    return caps


def _cell(value: Any, spec: str | None = None) -> str:
    from rich.markup import escape

    value = to_jsonable(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int) and spec is not None:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.4g}"
    text = clean(str(value)).replace("\n", " ").replace("\t", " ")
    return escape(text)
