"""Hugging Face download statistics: Hub API model JSON saved over time, or hub-stats Parquet.

Three layouts are read, each giving one cumulative download count per (model, date):

* a folder of dated JSON files (``2026-05-01.json``, ``models-2026-05-01.json``...), each the
  Hub API's model JSON (``GET /api/models/{id}``: ``id``, ``downloads``, ``downloadsAllTime``,
  ``createdAt``, ``likes``, ``tags``) or a list of them; the date comes from the file name
  unless the object carries a ``date`` field;
* one JSON-lines file, one model object with a ``date`` field per line;
* the public ``hub-stats`` models table (Parquet, one row per model) or a folder of them; the
  date comes from a ``date`` column or from the file name.

The cumulative count is ``downloadsAllTime`` (``downloads_all_time`` in the snake_case names of
``huggingface_hub``'s ``ModelInfo``). The Hub's ``downloads`` is a 30-day count, not a
cumulative one, so a row without an all-time count is rejected rather than read as one. A
negative count, or a count that falls below an earlier date's for the same model, makes the
whole file malformed (naming the row): cumulative counts cannot go down. The store applies the
same rule across imports: a count below one it holds for an earlier date of the model (or above
one for a later date) refuses the import, naming the row (:class:`ConflictingData`).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.sources.common import parse_date
from opengap.sources.records import DownloadRecord, ImportBatch, sha256_of

KIND = "downloads"
SOURCE_API = "huggingface-hub-api"
SOURCE_HUB_STATS = "hub-stats"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_ID_FIELDS = ("id", "modelId", "model_id")
_TOTAL_FIELDS = ("downloadsAllTime", "downloads_all_time")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read Hugging Face download statistics into cumulative download records.

    Parameters
    ----------
    path : Path
        A folder of dated JSON / Parquet files, one ``.jsonl`` file, or one ``.parquet`` file.
    model, benchmark : str, optional
        Not used: the files name their models (Hugging Face ids, resolved through aliases).

    Returns
    -------
    ImportBatch
        One :class:`DownloadRecord` per (model, date); rows without an id, a date or an
        all-time count are rejected with their location.

    Raises
    ------
    MalformedFile
        A file that is not JSON / Parquet of this layout, or a negative or decreasing
        cumulative count (the row is named).

    Examples
    --------
    >>> batch = read(Path("hf-snapshots"))  # doctest: +SKIP
    >>> batch.downloads[0].cumulative_downloads  # doctest: +SKIP
    1523311
    """
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    rows: list[tuple[str, dict[str, Any], date | None, str]] = []
    for file in _files(path):
        default = _date_from_name(file)
        if file.suffix == ".parquet":
            rows.extend((loc, obj, default, SOURCE_HUB_STATS) for loc, obj in _parquet(file))
        elif file.suffix == ".jsonl":
            rows.extend((loc, obj, default, SOURCE_API) for loc, obj in _json_lines(file))
        else:
            rows.extend((loc, obj, default, SOURCE_API) for loc, obj in _json_file(file))
    batch.rows_read = len(rows)
    seen: dict[str, tuple[date, int, str]] = {}
    parsed: list[tuple[str, DownloadRecord]] = []
    for where, obj, default, source in rows:
        record = _record(batch, where, obj, default, source)
        if record is not None:
            parsed.append((where, record))
    for where, record in sorted(parsed, key=lambda p: (p[1].model, p[1].date)):
        earlier = seen.get(record.model)
        if earlier is not None and record.cumulative_downloads < earlier[1]:
            raise MalformedFile(
                f"{where}: cumulative downloads of {record.model!r} fall from {earlier[1]} on "
                f"{earlier[0].isoformat()} ({earlier[2]}) to {record.cumulative_downloads} on "
                f"{record.date.isoformat()}; cumulative counts cannot decrease"
            )
        seen[record.model] = (record.date, record.cumulative_downloads, where)
        batch.downloads.append(record)
    return batch


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix in (".json", ".jsonl", ".parquet")
    )
    if not files:
        raise MalformedFile(f"{path}: no .json, .jsonl or .parquet files of download statistics")
    return files


def _date_from_name(file: Path) -> date | None:
    match = _DATE_IN_NAME.search(file.name)
    return parse_date(match.group(1)) if match else None


def _json_file(file: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedFile(f"{file}: not JSON ({exc})") from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedFile(f"{file}: item {i + 1} is not a model object")
        out.append((f"{file}:item {i + 1}" if isinstance(data, list) else str(file), item))
    return out


def _json_lines(file: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{file}: not text ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedFile(f"{file}: line {number}: not JSON ({exc})") from None
        if not isinstance(item, dict):
            raise MalformedFile(f"{file}: line {number}: not a model object")
        out.append((f"{file}:line {number}", item))
    return out


def _parquet(file: Path) -> list[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        table = pq.read_table(file)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise MalformedFile(f"{file}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    names = set(table.column_names)
    if not names & set(_ID_FIELDS):
        raise MalformedFile(f"{file}: no model id column (expected one of {', '.join(_ID_FIELDS)})")
    return [(f"{file}:row {i + 1}", row) for i, row in enumerate(table.to_pylist())]


def _first(obj: dict[str, Any], fields: tuple[str, ...]) -> Any:
    for name in fields:
        if obj.get(name) is not None:
            return obj[name]
    return None


def _record(
    batch: ImportBatch, where: str, obj: dict[str, Any], default: date | None, source: str
) -> DownloadRecord | None:
    model_id = _first(obj, _ID_FIELDS)
    if not isinstance(model_id, str) or not model_id.strip():
        batch.reject(where, "no model id (id / modelId)")
        return None
    raw_date = obj.get("date")
    if isinstance(raw_date, datetime):
        when: date | None = raw_date.date()
    elif isinstance(raw_date, date):
        when = raw_date
    elif raw_date is not None:
        try:
            when = parse_date(str(raw_date))
        except ValueError:
            batch.reject(where, f"date {raw_date!r} is not a date (YYYY-MM-DD)")
            return None
    else:
        when = default
    if when is None:
        batch.reject(where, "no date: give a 'date' field or a YYYY-MM-DD file name")
        return None
    total = _first(obj, _TOTAL_FIELDS)
    if isinstance(total, float) and not math.isfinite(total):
        total = None
    if total is None:
        batch.reject(
            where, "no downloadsAllTime ('downloads' is a 30-day count, not a cumulative one)"
        )
        return None
    if isinstance(total, bool) or not isinstance(total, int | float) or total != int(total):
        raise MalformedFile(f"{where}: downloadsAllTime {total!r} is not a whole number")
    if total < 0:
        raise MalformedFile(
            f"{where}: negative cumulative downloads {int(total)} for {model_id!r}"
        )
    return DownloadRecord(
        model=model_id.strip(), date=when, cumulative_downloads=int(total), source=source,
        where=where,
    )
