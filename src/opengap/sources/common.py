"""Parsing helpers shared by importers: percent strings, dates, parameter counts, CSV loading."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

from opengap.errors import MalformedFile
from opengap.sources.checks import check_input_path, parse_json, read_csv_table

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%Y-%m", "%Y")


def read_csv_rows(path: Path, required: list[str] | None = None) -> list[dict[str, str]]:
    """Return a CSV file's rows as dicts (BOM stripped), checking required columns exist.

    Reads strictly (:func:`opengap.sources.checks.read_csv_table`): raises
    :class:`MalformedFile` naming the file and line when it is not a regular file, cannot be
    decoded or parsed, repeats or lacks a column, or has a short, long or cut row.
    """
    return [row for _, row in read_csv_table(path, required)]


def read_json(path: Path) -> object:
    """Return a JSON file's content; :class:`MalformedFile` naming the file and the place where
    it is truncated, malformed, nested too deep or not UTF-8 text (a BOM is allowed).

    Reads through :func:`opengap.sources.checks.parse_json`, so a FIFO or a directory is refused
    at once and pathological nesting is an error, not a crash.
    """
    check_input_path(path, "file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return parse_json(text, str(path))


def json_number(value: object) -> float | None:
    """Return a JSON number as a float, None for null; ValueError for anything else.

    Booleans, strings and non-finite numbers are not numbers here.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def parse_fraction(text: str, scale: float = 100.0) -> float:
    """Return a score as a fraction: ``'63.3%'`` -> 0.633; plain numbers are divided by ``scale``.

    Raises ValueError for text that is not a number.
    """
    cleaned = text.strip()
    if cleaned.endswith("%"):
        return float(cleaned[:-1].strip()) / 100.0
    return float(cleaned) / scale


def parse_float(text: str | None) -> float | None:
    """Return a float, or None for an empty or non-numeric-looking cell (commas allowed)."""
    if text is None or not text.strip():
        return None
    value = float(text.replace(",", "").strip())
    return None if math.isnan(value) else value


def parse_date(text: str | None) -> date | None:
    """Return a date from the common formats in the sources, None for empty; ValueError if bad."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]", cleaned)
    if match:
        return date.fromisoformat(match.group(1))
    raise ValueError(f"unparseable date {cleaned!r}")


def parse_bool(text: str | None) -> bool | None:
    """Return True/False for the usual spellings, None for empty; ValueError otherwise."""
    if text is None or not text.strip():
        return None
    lowered = text.strip().lower()
    if lowered in {"true", "t", "yes", "y", "1"}:
        return True
    if lowered in {"false", "f", "no", "n", "0"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")
