"""Importer for opengap's own CSV format: hand-written models, benchmarks and scores.

The format is documented for users in ``docs/csv-format.md``; the bundled snapshot is written
in it. A directory holds any of ``models.csv``, ``benchmarks.csv`` and ``scores.csv`` (read in
that order, so scores may name models and benchmarks of the same import); a single file is
recognised by its name, else by its header. The columns are declared once, in
:data:`COLUMNS`. A header with an unknown column (a typo) or without a required one makes the
file malformed; a row with an invalid value is rejected with ``file:line`` and a reason, and
the other rows are imported.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.names import alias_key, make_id
from opengap.sources.records import (
    DOMAINS,
    LICENSE_CLASSES,
    WEIGHTS,
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "csv"
FILES = ("models.csv", "benchmarks.csv", "scores.csv")

# File -> (required columns, optional columns). Every other column is an error.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "models.csv": (
        ("model_id",),
        (
            "name", "organization", "country", "release_date", "weights", "license",
            "license_class", "params_total_b", "params_active_b", "base_model", "reasoning",
            "aliases", "version_of", "notes", "source_url",
        ),
    ),
    "benchmarks.csv": (
        ("benchmark_id",),
        (
            "name", "domain", "chance", "ceiling", "n_items", "public", "url", "aliases",
            "release_date",
        ),
    ),
    "scores.csv": (
        ("model_id", "benchmark_id", "value"),
        (
            "harness", "setting", "source", "source_url", "n_items", "stderr", "eval_date",
            "notes",
        ),
    ),
}  # fmt: skip

ALIAS_SEPARATOR = ";"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RowError(ValueError):
    """A cell that is not a valid value for its column; the row is rejected with this reason."""


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read a directory of opengap CSV files, or one such file.

    Parameters
    ----------
    path : Path
        A directory with any of ``models.csv``, ``benchmarks.csv``, ``scores.csv``, or one file
        (recognised by its name, else by its header).
    model, benchmark : str, optional
        Not used: the files name their models and benchmarks.

    Returns
    -------
    ImportBatch
        The models, benchmarks and scores, and every rejected row as ``file:line`` + reason.

    Raises
    ------
    MalformedFile
        A file that is not CSV, has an unknown column or lacks a required one; a directory
        holding none of the three files.

    Examples
    --------
    >>> batch = read(Path("my-data"))  # doctest: +SKIP
    >>> [r.reason for r in batch.rejected]  # doctest: +SKIP
    ["weights 'opne' is not one of open, closed"]
    """
    files = _files(path)
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    ceilings: dict[str, float] = {}  # alias key of a benchmark in this batch -> its ceiling
    for kind, file in files:
        rows = _read_table(file, kind)
        batch.rows_read += len(rows)
        if kind == "models.csv":
            _models(file, rows, batch)
        elif kind == "benchmarks.csv":
            _benchmarks(file, rows, batch, ceilings)
        else:
            _scores(file, rows, batch, ceilings)
    return batch


def _files(path: Path) -> list[tuple[str, Path]]:
    """Return (kind, file) pairs in the order they are applied."""
    if path.is_dir():
        found = [(name, path / name) for name in FILES if (path / name).is_file()]
        if not found:
            raise MalformedFile(f"{path}: no {', '.join(FILES)} in this directory")
        return found
    if path.name in FILES:
        return [(path.name, path)]
    return [(_kind_from_header(path), path)]


def _kind_from_header(path: Path) -> str:
    header = set(_header(path))
    if {"model_id", "benchmark_id"} <= header:
        return "scores.csv"
    if "benchmark_id" in header:
        return "benchmarks.csv"
    if "model_id" in header:
        return "models.csv"
    raise MalformedFile(
        f"{path}: not an opengap CSV file (name it models.csv, benchmarks.csv or scores.csv, "
        "or give it a model_id and/or benchmark_id column)"
    )


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise MalformedFile(f"{path}: not parseable as CSV ({exc})") from exc


def _read_table(path: Path, kind: str) -> list[tuple[int, dict[str, str]]]:
    """Return (line, row) pairs, checking the header against :data:`COLUMNS`."""
    required, optional = COLUMNS[kind]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)  # an unclosed quote is an error
            header = [c.strip() for c in next(reader, [])]
            _check_header(path, kind, header, required, optional)
            rows = []
            start = reader.line_num + 1
            for cells in reader:
                if not any(c.strip() for c in cells):
                    start = reader.line_num + 1
                    continue
                if len(cells) != len(header):
                    raise MalformedFile(
                        f"{path}: line {start}: {len(cells)} fields, the header has {len(header)}"
                    )
                rows.append((start, {k: v.strip() for k, v in zip(header, cells, strict=True)}))
                start = reader.line_num + 1
            return rows
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise MalformedFile(
            f"{path}: line {reader.line_num}: not parseable as CSV ({exc})"
        ) from exc


def _check_header(
    path: Path, kind: str, header: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    if not header or header == [""]:
        raise MalformedFile(f"{path}: empty file, expected a header ({', '.join(required)}, …)")
    allowed = (*required, *optional)
    unknown = [c for c in header if c not in allowed]
    if unknown:
        hints = []
        for column in unknown:
            close = difflib.get_close_matches(column, allowed, n=1)
            hints.append(f"{column!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise MalformedFile(
            f"{path}: unknown column(s) {', '.join(hints)} for {kind}; "
            f"allowed: {', '.join(allowed)}"
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise MalformedFile(f"{path}: column(s) {', '.join(map(repr, duplicated))} repeated")
    missing = [c for c in required if c not in header]
    if missing:
        raise MalformedFile(
            f"{path}: missing required column(s) {', '.join(map(repr, missing))} for {kind}"
        )


# ---------------------------------------------------------------------- cell parsers
def _text(row: dict[str, str], column: str) -> str | None:
    return row.get(column) or None


def _id(row: dict[str, str], column: str) -> str:
    raw = row.get(column, "")
    ident = make_id(raw)
    if not ident:
        raise RowError(f"empty {column}" if not raw else f"{column} {raw!r} has no usable id")
    return ident


def _choice(row: dict[str, str], column: str, allowed: tuple[str, ...]) -> str | None:
    raw = row.get(column, "")
    if not raw:
        return None
    if raw.lower() not in allowed:
        raise RowError(f"{column} {raw!r} is not one of {', '.join(allowed)}")
    return raw.lower()


def _date(row: dict[str, str], column: str) -> date | None:
    raw = row.get(column, "")
    if not raw:
        return None
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(f"{column} {raw!r} is not a date YYYY-MM-DD") from None


def _number(row: dict[str, str], column: str, *, minimum: float | None = 0.0) -> float | None:
    raw = row.get(column, "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise RowError(f"{column} {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise RowError(f"{column} {raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise RowError(f"{column} {raw} is negative")
    return value


def _count(row: dict[str, str], column: str) -> int | None:
    value = _number(row, column)
    if value is None:
        return None
    if value != int(value):
        raise RowError(f"{column} {row[column]!r} is not a whole number")
    return int(value)


def _bool(row: dict[str, str], column: str) -> bool | None:
    raw = row.get(column, "").lower()
    if not raw:
        return None
    if raw not in ("true", "false"):
        raise RowError(f"{column} {row[column]!r} is not true or false")
    return raw == "true"


def _aliases(row: dict[str, str]) -> list[str]:
    return [a.strip() for a in row.get("aliases", "").split(ALIAS_SEPARATOR) if a.strip()]


# ---------------------------------------------------------------------- the three files
@dataclass
class _Seen:
    """First line of each key in a file, to reject duplicates with a pointer to the first."""

    what: str
    lines: dict[Any, int]

    def check(self, key: Any, label: str) -> None:
        if key in self.lines:
            raise RowError(f"duplicate {self.what} {label}, first on line {self.lines[key]}")


def _each(
    file: Path,
    rows: list[tuple[int, dict[str, str]]],
    batch: ImportBatch,
    parse: Callable[[int, dict[str, str]], None],
) -> None:
    for line, row in rows:
        try:
            parse(line, row)
        except RowError as exc:
            batch.reject(f"{file.name}:{line}", str(exc))


def _models(file: Path, rows: list[tuple[int, dict[str, str]]], batch: ImportBatch) -> None:
    seen = _Seen("model_id", {})

    def parse(line: int, row: dict[str, str]) -> None:
        model_id = _id(row, "model_id")
        seen.check(model_id, repr(model_id))
        total = _number(row, "params_total_b")
        active = _number(row, "params_active_b")
        if total is not None and active is not None and active > total:
            raise RowError(f"params_active_b {active:g} exceeds params_total_b {total:g}")
        notes = [_text(row, "notes") or ""]
        if row.get("source_url"):  # models have no source column: the link goes in the notes
            notes.append(f"(source: {row['source_url']})")
        raw_id = row["model_id"]
        record = ModelRecord(
            model_id=model_id,
            name=_text(row, "name"),
            organization=_text(row, "organization"),
            country=_text(row, "country"),
            release_date=_date(row, "release_date"),
            weights=_choice(row, "weights", WEIGHTS),
            license=_text(row, "license"),
            license_class=_choice(row, "license_class", LICENSE_CLASSES),
            params_total_b=total,
            params_active_b=active,
            base_model_id=_optional_id(row, "base_model"),
            reasoning=_bool(row, "reasoning"),
            version_of=_optional_id(row, "version_of"),
            notes=" ".join(n for n in notes if n) or None,
            aliases=[*([raw_id] if raw_id != model_id else []), *_aliases(row)],
        )
        seen.lines[model_id] = line
        batch.models.append(record)

    _each(file, rows, batch, parse)


def _optional_id(row: dict[str, str], column: str) -> str | None:
    return _id(row, column) if row.get(column) else None


def _benchmarks(
    file: Path,
    rows: list[tuple[int, dict[str, str]]],
    batch: ImportBatch,
    ceilings: dict[str, float],
) -> None:
    seen = _Seen("benchmark_id", {})

    def parse(line: int, row: dict[str, str]) -> None:
        bench_id = _id(row, "benchmark_id")
        seen.check(bench_id, repr(bench_id))
        domain = _choice(row, "domain", DOMAINS)
        chance = _number(row, "chance")
        ceiling = _number(row, "ceiling")
        if ceiling is not None and ceiling <= 0:
            raise RowError(f"ceiling {ceiling:g} must be above 0")
        if chance is not None and chance >= (1.0 if ceiling is None else ceiling):
            raise RowError(f"chance {chance:g} is not below the ceiling {ceiling or 1:g}")
        record = BenchmarkRecord(
            benchmark_id=bench_id,
            name=_text(row, "name"),
            domain=domain,
            n_items=_count(row, "n_items"),
            chance=chance,
            ceiling=ceiling,
            public=_bool(row, "public"),
            url=_text(row, "url"),
            is_fraction=None if ceiling is None else ceiling == 1.0,
            release_date=_date(row, "release_date"),
            aliases=[
                *([row["benchmark_id"]] if row["benchmark_id"] != bench_id else []),
                *_aliases(row),
            ],
        )
        seen.lines[bench_id] = line
        batch.benchmarks.append(record)
        for name in [bench_id, record.name or "", *record.aliases]:
            if alias_key(name):
                ceilings.setdefault(alias_key(name), 1.0 if ceiling is None else ceiling)

    _each(file, rows, batch, parse)


def _scores(
    file: Path,
    rows: list[tuple[int, dict[str, str]]],
    batch: ImportBatch,
    ceilings: dict[str, float],
) -> None:
    seen = _Seen("score", {})

    def parse(line: int, row: dict[str, str]) -> None:
        model_ref = _ref(row, "model_id")
        bench_ref = _ref(row, "benchmark_id")
        if not row["value"]:
            raise RowError("empty value")
        value = _number(row, "value", minimum=None)
        assert value is not None
        # The ceiling of a benchmark in this import; the store checks those it already holds.
        ceiling = ceilings.get(alias_key(bench_ref))
        if value < 0 or (ceiling is not None and value > ceiling):
            top = "its ceiling" if ceiling is None else f"{ceiling:g}"
            raise RowError(f"value {row['value']} outside [0, {top}] of {bench_ref!r}")
        harness, setting, source = (_text(row, c) for c in ("harness", "setting", "source"))
        key = (alias_key(model_ref), alias_key(bench_ref), source, setting, harness)
        seen.check(key, f"of {model_ref!r} on {bench_ref!r} with this source, setting and harness")
        score = ScoreRecord(
            model=model_ref,
            benchmark=bench_ref,
            value=value,
            value_text=row["value"],
            stderr=_number(row, "stderr"),
            n_items=_count(row, "n_items"),
            harness=harness,
            setting=setting,
            eval_date=_date(row, "eval_date"),
            source=source,
            source_url=_text(row, "source_url"),
            row=f"{file.name}:{line}",
        )
        seen.lines[key] = line
        batch.scores.append(score)

    _each(file, rows, batch, parse)


def _ref(row: dict[str, str], column: str) -> str:
    raw = row.get(column, "")
    if not alias_key(raw):
        raise RowError(f"empty {column}" if not raw else f"{column} {raw!r} names nothing")
    return raw
