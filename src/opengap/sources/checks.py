"""Checks every importer shares: paths it may open, strict CSV tables, JSON, value ranges.

An importer reads only what it can read exactly. The functions here are its tools:

- :func:`check_input_path` refuses, before anything is opened, a path that is not a regular
  file or directory (a FIFO, a device, a socket, a symlink loop) or not of the expected type;
  it uses :func:`os.stat` only, so it never blocks.
- :func:`read_csv_table` reads a CSV file whole-or-nothing: a row with fewer or more fields
  than the header (a short, long or cut row), a repeated header column, an unclosed quote or
  text that is not UTF-8 raises :class:`MalformedFile` naming the file and line.
- :func:`load_json` / :func:`parse_json` read JSON, refusing deep nesting cleanly.
- :func:`check_batch` range-checks what a reader produced (finite numbers, plausible dates,
  non-negative sizes, item counts that fit the store, non-empty ids) and moves every record
  that fails to the batch's rejected rows, with the reason. :func:`opengap.sources.read_path`
  runs it on every batch, so a new reader gets it for free.

Every error message names the file (and row); paths that are not valid UTF-8 are shown with
backslash escapes (:func:`display_path`).
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import stat
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

from opengap.errors import MalformedFile, MissingPath
from opengap.names import alias_key
from opengap.sources.records import ImportBatch, Rejected

#: The earliest date a model, benchmark or evaluation can plausibly carry.
MIN_DATE = date(1950, 1, 1)
#: How far past today a date may lie (announced releases), in days.
FUTURE_DAYS = 366
#: The largest item count the store holds (a 32-bit signed INTEGER column).
MAX_COUNT = 2**31 - 1
#: Deepest JSON nesting accepted; real exports nest a handful of levels.
MAX_JSON_DEPTH = 64

Want = Literal["file", "dir", "any"]


# ------------------------------------------------------------------------------ paths
def display_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` as printable text: bytes that are not UTF-8 become ``\\xNN`` escapes."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def check_input_path(path: Path, want: Want = "any") -> os.stat_result:
    """Refuse at once a path that cannot be read as ``want`` (a regular file or a directory).

    Uses :func:`os.stat` only (never opens), so a FIFO or a device cannot block the import.

    Raises
    ------
    MissingPath
        When nothing is at ``path`` (a dangling symlink included).
    MalformedFile
        For a symlink loop, a FIFO, a device or socket, a directory where a file is expected
        (or the reverse), or a path that cannot be examined.
    """
    shown = display_path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MissingPath(f"{shown}: no such file or directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise MalformedFile(f"{shown}: a symlink loop, not a file") from None
        raise MalformedFile(f"{shown}: cannot be read ({exc.strerror})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        if want == "file":
            raise MalformedFile(f"{shown}: a directory, expected a file")
        return info
    if not stat.S_ISREG(mode):
        raise MalformedFile(f"{shown}: {_kind_of(mode)}, not a regular file")
    if want == "dir":
        raise MalformedFile(f"{shown}: a file, expected a directory")
    return info


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


# ------------------------------------------------------------------------------ CSV
def read_csv_table(
    path: Path, required: list[str] | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each row of a CSV file, reading it strictly and streaming.

    The header's cells are stripped and a leading BOM dropped; blank lines are skipped; cell
    values are stripped. ``line`` is the physical line the row starts on.

    Raises
    ------
    MalformedFile
        Naming the file (and line): not a regular file, not UTF-8, empty, a repeated or
        missing required column, a row with another number of fields than the header (a
        short, long or cut row), an unclosed quote.
    """
    check_input_path(path, "file")
    shown = display_path(path)
    line = 0
    reader = None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = [c.strip() for c in next(reader, [])]
            check_header(path, header, required)
            start = reader.line_num + 1
            for cells in reader:
                line = start
                if not any(c.strip() for c in cells):
                    start = reader.line_num + 1
                    continue
                if len(cells) != len(header):
                    what = "short (or cut)" if len(cells) < len(header) else "long"
                    raise MalformedFile(
                        f"{shown}: line {line}: a {what} row of {len(cells)} field(s), "
                        f"the header has {len(header)}"
                    )
                yield line, {k: v.strip() for k, v in zip(header, cells, strict=True)}
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{shown}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:  # named at the line the parser stopped on (a quote left open)
        where = f"line {reader.line_num}: " if reader is not None and reader.line_num else ""
        raise MalformedFile(f"{shown}: {where}not parseable as CSV ({exc})") from None


def check_header(path: Path, header: list[str], required: list[str] | None = None) -> None:
    """Raise :class:`MalformedFile` for an empty header, a repeated or a missing column."""
    shown = display_path(path)
    if not header or header == [""]:
        raise MalformedFile(f"{shown}: empty file, expected a CSV header")
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise MalformedFile(
            f"{shown}: column(s) {', '.join(repr(c) for c in repeated)} repeated in the header"
        )
    missing = [c for c in (required or []) if c not in header]
    if missing:
        raise MalformedFile(
            f"{shown}: not a valid file of this kind, missing column(s) "
            f"{', '.join(repr(m) for m in missing)}"
        )


# ------------------------------------------------------------------------------ JSON
def parse_json(text: str, where: str) -> Any:
    """Parse JSON text; deep nesting and bad syntax raise MalformedFile naming ``where``.

    ``NaN`` and ``Infinity`` (which harnesses write) parse; :func:`check_batch` rejects them
    where a value must be finite.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise MalformedFile(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
        raise MalformedFile(f"{where}: not valid JSON ({exc})") from None
    if _depth_over(value, MAX_JSON_DEPTH):
        raise MalformedFile(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def load_json(path: Path) -> Any:
    """Read and parse a JSON file (checked with :func:`check_input_path` first)."""
    check_input_path(path, "file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{display_path(path)}: not UTF-8 text ({exc.reason})") from None
    return parse_json(text, display_path(path))


def _depth_over(value: Any, limit: int) -> bool:
    """Return True when ``value`` nests containers deeper than ``limit`` (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


# ------------------------------------------------------------------------------ values
def max_date() -> date:
    """Return the latest plausible date: today plus :data:`FUTURE_DAYS`."""
    return date.fromordinal(date.today().toordinal() + FUTURE_DAYS)


def date_problem(value: date | None, what: str) -> str | None:
    """Return why ``value`` is not a plausible date (before 1950 or over a year ahead)."""
    if value is None:
        return None
    if not MIN_DATE <= value <= max_date():
        return f"{what} {value.isoformat()} is not a plausible date ({MIN_DATE.year}..next year)"
    return None


def number_problem(
    value: float | None, what: str, *, minimum: float | None = 0.0, maximum: float | None = None
) -> str | None:
    """Return why ``value`` is not a finite number in ``[minimum, maximum]``, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{what} {value!r} is not a number"
    if not math.isfinite(value):
        return f"{what} {value} is not a finite number"
    if minimum is not None and value < minimum:
        return f"{what} {value:g} is below {minimum:g}"
    if maximum is not None and value > maximum:
        return f"{what} {value:g} is above {maximum:g}"
    return None


def count_problem(value: float | None, what: str) -> str | None:
    """Return why ``value`` is not a whole count in ``[0, 2^31)``, or None."""
    if value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        return f"{what} {value} is not a whole number"
    return number_problem(value, what, maximum=MAX_COUNT)


def check_batch(batch: ImportBatch) -> ImportBatch:
    """Move every record with an impossible value to ``batch.rejected``; return the batch.

    Checks: ids and references that normalise to something (``'!!!'`` does not); finite
    numbers; non-negative sizes, compute, errors, costs and counts; item counts below 2^31;
    dates between 1950 and a year from today; item scores in [0, 1]. The reason names the
    record and the value.
    """
    where = display_path(batch.path)
    kept_models = []
    for m in batch.models:
        problem = _first(
            None if alias_key(m.model_id) else f"model id {m.model_id!r} is empty",
            date_problem(m.release_date, "release_date"),
            number_problem(m.params_total_b, "params_total_b"),
            number_problem(m.params_active_b, "params_active_b"),
            number_problem(m.training_compute_flop, "training_compute_flop"),
        )
        if problem:
            batch.rejected.append(Rejected(f"{where}: model {m.model_id!r}", problem))
        else:
            kept_models.append(m)
    batch.models = kept_models
    kept_benchmarks = []
    for b in batch.benchmarks:
        problem = _first(
            None if alias_key(b.benchmark_id) else f"benchmark id {b.benchmark_id!r} is empty",
            count_problem(b.n_items, "n_items"),
            number_problem(b.chance, "chance"),
            number_problem(b.ceiling, "ceiling"),
            date_problem(b.release_date, "release_date"),
        )
        if problem:
            batch.rejected.append(Rejected(f"{where}: benchmark {b.benchmark_id!r}", problem))
        else:
            kept_benchmarks.append(b)
    batch.benchmarks = kept_benchmarks
    kept_scores = []
    for i, s in enumerate(batch.scores, 1):
        problem = _first(
            None if alias_key(s.model) else f"model {s.model_ref or s.model!r} names nothing",
            None if alias_key(s.benchmark) else f"benchmark {s.benchmark!r} names nothing",
            number_problem(s.value, "value", minimum=None),
            number_problem(s.stderr, "stderr"),
            count_problem(s.n_items, "n_items"),
            date_problem(s.eval_date, "eval_date"),
        )
        if problem:
            batch.rejected.append(Rejected(s.row or f"{where}: score {i}", problem))
        else:
            kept_scores.append(s)
    batch.scores = kept_scores
    kept_responses = []
    for r in batch.responses:
        problem = _first(
            number_problem(r.score, "score", maximum=1.0),
            number_problem(r.cost, "cost"),
            count_problem(r.api_calls, "api_calls"),
        )
        if problem:
            batch.rejected.append(Rejected(f"{where}: item {r.item_id}", problem))
        else:
            kept_responses.append(r)
    batch.responses = kept_responses
    kept_prices = []
    for p in batch.prices:
        problem = _first(
            date_problem(p.date, "date"),
            number_problem(p.input_usd_per_m, "input price"),
            number_problem(p.output_usd_per_m, "output price"),
            number_problem(p.blended_usd_per_m, "blended price"),
        )
        if problem:
            batch.rejected.append(Rejected(f"{where}: price of {p.model!r}", problem))
        else:
            kept_prices.append(p)
    batch.prices = kept_prices
    kept_downloads = []
    for d in batch.downloads:
        problem = _first(
            date_problem(d.date, "date"),
            number_problem(d.cumulative_downloads, "downloads", maximum=float(sys.maxsize)),
        )
        if problem:
            batch.rejected.append(Rejected(f"{where}: downloads of {d.model!r}", problem))
        else:
            kept_downloads.append(d)
    batch.downloads = kept_downloads
    return batch


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p), None)
