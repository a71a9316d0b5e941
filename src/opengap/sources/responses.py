"""Importer for item-level responses in a plain long format (kind ``responses``).

A CSV or Parquet file with columns ``model``, ``benchmark``, ``item`` and ``score`` (in [0, 1]),
optionally ``harness``. Models and benchmarks are ids or aliases already in the store (the store
rejects unknown ones with the reason). A score outside [0, 1] or not a number, an empty model,
benchmark or item, or one item answered twice by one model (same harness) with different scores
is refused: one error naming the file and row, nothing imported. Exact duplicate rows count once.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from opengap.errors import MalformedFile
from opengap.sources.records import ImportBatch, ResponseRecord, sha256_of

KIND = "responses"
REQUIRED = ("model", "benchmark", "item", "score")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read a long-format responses file (``model``/``benchmark`` override those columns)."""
    if not path.is_file():
        raise MalformedFile(f"{path}: not a file (expected a CSV or Parquet file of responses)")
    frame = _frame(path)
    missing = [c for c in REQUIRED if c not in frame.columns
               and not (c == "model" and model) and not (c == "benchmark" and benchmark)]
    if missing:
        raise MalformedFile(f"{path}: not a responses file, missing column(s) "
                            f"{', '.join(repr(m) for m in missing)}")  # fmt: skip
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    seen: dict[tuple[str, str, str, str], float] = {}
    for n, row in enumerate(frame.to_dict(orient="records")):
        where = f"{path}: row {n + 2}"
        m = str(model or _text(row.get("model"))).strip()
        bench = str(benchmark or _text(row.get("benchmark"))).strip()
        item = _text(row.get("item")).strip()
        harness = _text(row.get("harness")).strip()
        if not m or not bench or not item:
            raise MalformedFile(f"{where}: empty model, benchmark or item")
        try:
            score = float(row.get("score"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise MalformedFile(f"{where}: score {row.get('score')!r} is not a number") from None
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            raise MalformedFile(f"{where}: score {row.get('score')!r} is outside [0, 1]")
        key = (m, bench, item, harness)
        if key in seen:
            if seen[key] != score:
                raise MalformedFile(f"{where}: item {item!r} of {bench!r} answered twice by "
                                    f"{m!r} with different scores")  # fmt: skip
            continue
        seen[key] = score
        batch.responses.append(ResponseRecord(m, bench, item, score, harness=harness))
    batch.rows_read = len(frame)
    return batch


def _frame(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        raise MalformedFile(f"{path}: not a readable CSV or Parquet file "
                            f"({str(exc).splitlines()[0][:120]})") from None  # fmt: skip


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
