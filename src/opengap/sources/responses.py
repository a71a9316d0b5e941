"""Importer for item-level responses in a plain long format (kind ``responses``).

A CSV or Parquet file with columns ``model``, ``benchmark``, ``item`` and ``score`` (in [0, 1]),
optionally ``harness``. Models and benchmarks are ids or aliases already in the store (the store
rejects unknown ones with the reason). A score outside [0, 1] or not a number, an empty model,
benchmark or item, or one item answered twice by one model (same harness) with different scores
is refused: one error naming the file and row, nothing imported. Exact duplicate rows count once.
A CSV file is read strictly (:func:`opengap.sources.checks.read_csv_table`): a short, long or
cut row, a repeated header column or text that is not UTF-8 is refused with file and line.

The file is streamed (:func:`read_parts`): memory holds a part of :data:`PART_ROWS` rows and
8 bytes a row of the file (16 while they are sorted). It is read twice: the first pass keeps only a
64-bit hash of each row's (model, benchmark, item, harness) in a numpy array, to find the hashes
met more than once; the second checks and yields the rows, comparing exactly -- by the keys
themselves -- only the rows whose hash is such a candidate. A hash collision therefore costs an
exact comparison and never refuses (or merges) rows that differ. The keys of those candidate
rows are held (one string each) until the end, so a file in which most rows repeat holds most
of its keys.
"""

from __future__ import annotations

import csv
import math
from array import array
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from opengap.errors import MalformedFile
from opengap.sources.checks import check_header, display_path, read_csv_table
from opengap.sources.records import ImportBatch, ResponseRecord, sha256_of

KIND = "responses"
REQUIRED = ("model", "benchmark", "item", "score")
OPTIONAL = ("harness",)
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Rows per part when the file is streamed (:func:`read_parts`).
PART_ROWS = 20_000

Key = tuple[str, str, str, str]  # (model, benchmark, item, harness), as written in the file
Row = Mapping[str, object]


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read a long-format responses file whole: the parts of :func:`read_parts` as one batch.

    Parameters
    ----------
    path : Path
        A CSV file, or a Parquet file (``.parquet``, ``.pq``).
    model, benchmark : str, optional
        Used for every row instead of the ``model`` / ``benchmark`` column (which may then be
        absent).

    Raises
    ------
    MalformedFile
        Naming the file (and row): not a file, not CSV or Parquet, a missing column, a short,
        long or cut row, an empty model, benchmark or item, a score that is not a number in
        [0, 1], an item answered twice with different scores.

    Examples
    --------
    >>> batch = read(Path("responses.csv"), benchmark="gpqa-diamond")  # doctest: +SKIP
    >>> batch.responses[0].benchmark  # doctest: +SKIP
    'gpqa-diamond'
    """
    parts = read_parts(path, model=model, benchmark=benchmark)
    batch = next(parts)
    for part in parts:
        batch.rows_read += part.rows_read
        batch.responses.extend(part.responses)
    return batch


def read_parts(
    path: Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield the file as :func:`read` reads it, in parts of :data:`PART_ROWS` rows.

    The first part is empty (the file's kind, path and hash), so the store recognises content
    imported before without reading further; the path and columns are checked before it. Any
    error in a later part is raised while the store applies the parts, in one transaction,
    so nothing is imported.
    """
    shown = display_path(path)
    if not path.is_file():
        raise MalformedFile(f"{shown}: not a file (expected a CSV or Parquet file of responses)")
    columns = _columns(path)
    if columns is not None:
        missing = [c for c in REQUIRED if c not in columns
                   and not (c == "model" and model) and not (c == "benchmark" and benchmark)]
        if missing:
            raise MalformedFile(f"{shown}: not a responses file, missing column(s) "
                                f"{', '.join(repr(m) for m in missing)}")  # fmt: skip
    first = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    yield first
    candidates = _repeated_hashes(_keys(path, model, benchmark))
    seen: dict[str, float] = {}  # the rows whose hash is a candidate, by their exact key
    number = 1  # the header is row 1
    rows = _rows(path)
    while chunk := list(islice(rows, PART_ROWS)):
        part = ImportBatch(kind=KIND, path=first.path, sha256=first.sha256, rows_read=len(chunk))
        keys = [_key(row, model, benchmark) for row in chunk]
        flagged = _flag(keys, candidates)
        for row, key, check in zip(chunk, keys, flagged, strict=True):
            number += 1
            response = _response(row, key, f"{shown}: row {number}")
            if check:
                exact = _exact(key)
                if exact in seen:
                    if seen[exact] != response.score:
                        raise MalformedFile(
                            f"{shown}: row {number}: item {key[2]!r} of {key[1]!r} answered "
                            f"twice by {key[0]!r} with different scores"
                        )
                    continue  # an exact duplicate counts once
                seen[exact] = response.score
            part.responses.append(response)
        yield part


def _response(row: Row, key: Key, where: str) -> ResponseRecord:
    """Return the row as a response, or raise MalformedFile naming ``where``."""
    m, bench, item, harness = key
    if not m or not bench or not item:
        raise MalformedFile(f"{where}: empty model, benchmark or item")
    raw = row.get("score")
    try:
        score = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedFile(f"{where}: score {raw!r} is not a number") from None
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise MalformedFile(f"{where}: score {raw!r} is outside [0, 1]")
    return ResponseRecord(m, bench, item, score, harness=harness)


# ------------------------------------------------------------------------------ duplicates
def _key_hash(key: Key) -> int:
    """Return a 64-bit hash of a row's key.

    Python's own (salted per process, so equal in both passes, which run in one process); a
    collision only makes two rows be compared exactly.
    """
    return hash(key)


def _exact(key: Key) -> str:
    """Return the key as one string that tells any two different keys apart (the lengths of
    the first three parts, then the parts): a candidate's key held in one object, not five."""
    model, benchmark, item, harness = key
    return f"{len(model)},{len(benchmark)},{len(item)}:{model}{benchmark}{item}{harness}"


def _keys(path: Path, model: str | None, benchmark: str | None) -> Iterator[Key]:
    for row in _rows(path):
        yield _key(row, model, benchmark)


def _repeated_hashes(keys: Iterator[Key]) -> npt.NDArray[np.int64]:
    """Return, sorted, the hashes of the keys met more than once (8 bytes a row held)."""
    hashes = array("q")  # grows in place, 8 bytes an entry
    for key in keys:
        hashes.append(_key_hash(key))
    ordered = np.sort(np.frombuffer(hashes, dtype=np.int64))
    del hashes
    repeated: npt.NDArray[np.int64] = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    return repeated


def _flag(keys: list[Key], candidates: npt.NDArray[np.int64]) -> list[bool]:
    """Return, for each key, whether its hash is a candidate (to be compared exactly)."""
    if not candidates.size:
        return [False] * len(keys)
    hashes = np.fromiter((_key_hash(k) for k in keys), dtype=np.int64, count=len(keys))
    flags: list[bool] = np.isin(hashes, candidates).tolist()
    return flags


def _key(row: Row, model: str | None, benchmark: str | None) -> Key:
    return (
        _cell(model or row.get("model")),
        _cell(benchmark or row.get("benchmark")),
        _cell(row.get("item")),
        _cell(row.get("harness")),
    )


def _cell(value: object) -> str:
    """Return a cell as stripped text; an absent or null cell (None, NaN) is empty."""
    if isinstance(value, str):
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


# ------------------------------------------------------------------------------ reading
def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _columns(path: Path) -> list[str] | None:
    """Return the file's columns; None when a CSV header cannot be read (the rows' reading
    then names the fault). Raises MalformedFile for an empty or repeated header."""
    if _is_parquet(path):
        try:
            with pq.ParquetFile(path) as file:
                names: list[str] = file.schema_arrow.names
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise _unreadable(path, exc) from None
    else:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                names = [c.strip() for c in next(csv.reader(handle, strict=True), [])]
        except (UnicodeDecodeError, csv.Error):
            return None
    check_header(path, names)
    return names


def _rows(path: Path) -> Iterator[Row]:
    """Yield the file's rows as dicts, streaming (CSV strictly, Parquet by record batches)."""
    if not _is_parquet(path):
        for _, row in read_csv_table(path):
            yield row
        return
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, ValueError, OSError) as exc:
        raise _unreadable(path, exc) from None
    with file:
        wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in file.schema_arrow.names]
        batches = file.iter_batches(batch_size=PART_ROWS, columns=wanted)
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, ValueError, OSError) as exc:
                raise _unreadable(path, exc) from None
            if batch is None:
                return
            yield from batch.to_pylist()


def _unreadable(path: Path, exc: Exception) -> MalformedFile:
    first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
    return MalformedFile(f"{display_path(path)}: not a readable CSV or Parquet file ({first})")
