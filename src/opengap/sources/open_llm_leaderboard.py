"""Importer for the Open LLM Leaderboard v1 export: ~7,000 open models on six benchmarks.

The export (one row per evaluated Hugging Face repository) has the columns ``name``, ``link``,
``complete``, ``avg``, the six scores in percent (``arc``, ``hellaswag``, ``mmlu``,
``truthfulqa``, ``winogrande``, ``gsm8k``), ``available``, ``merged``, ``flagged``, ``moe``,
``sha``, ``precision``, ``nparams`` (``"7.24B"``, ``"464M"``, or ``"error"``/``"offline"`` when
the leaderboard could not read the checkpoint), ``arch`` and ``size``.

Each row becomes one model and up to six scores. Rows marked ``complete=False`` lack some
benchmarks: what is there is kept. A row with a score that is not a number or lies outside
[0, 100] is rejected whole (its other numbers are not trusted either), as is a row with no
score at all. ``size`` is not used as a parameter count: where ``nparams`` is unknown, ``size``
is the number read off the model's name (``8x7B`` gives 56, not Mixtral's 46.7), a guess; it
is kept in the notes only.
"""

from __future__ import annotations

import re
from pathlib import Path

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.common import parse_bool, read_csv_rows
from opengap.sources.known_benchmarks import canonical_benchmark
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "open-llm-leaderboard"
SOURCE = "Open LLM Leaderboard v1"
LEADERBOARD_URL = "https://huggingface.co/spaces/open-llm-leaderboard-old/open_llm_leaderboard"

# Export column -> (canonical benchmark name, setting the leaderboard ran it in).
BENCHMARKS: dict[str, tuple[str, str]] = {
    "arc": ("ARC-Challenge", "25-shot"),
    "hellaswag": ("HellaSwag", "10-shot"),
    "mmlu": ("MMLU", "5-shot"),
    "truthfulqa": ("TruthfulQA", "mc2, 0-shot"),
    "winogrande": ("WinoGrande", "5-shot"),
    "gsm8k": ("GSM8K", "5-shot"),
}
REQUIRED = ["name", *BENCHMARKS, "nparams"]

_PARAMS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMBT])\s*$", re.IGNORECASE)
_UNIT_IN_B = {"K": 1e-6, "M": 1e-3, "B": 1.0, "T": 1e3}


def parse_params(text: str) -> float | None:
    """Return a parameter count in billions from ``"7.24B"``/``"464M"``; None when unknown.

    Parameters
    ----------
    text : str
        The export's ``nparams`` cell; ``"error"``, ``"offline"`` and empty mean unknown.

    Returns
    -------
    float or None
        Billions of parameters, or None.

    Examples
    --------
    >>> parse_params("7.24B"), parse_params("464M"), parse_params("offline")
    (7.24, 0.464, None)
    """
    match = _PARAMS.match(text)
    if match is None:
        return None
    return round(float(match.group(1)) * _UNIT_IN_B[match.group(2).upper()], 6)


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read the Open LLM Leaderboard v1 export into models and scores.

    Parameters
    ----------
    path : Path
        The export CSV (``open-llm-leaderboard.csv``).
    model, benchmark : str, optional
        Not used: the file names its models and benchmarks itself.

    Returns
    -------
    ImportBatch
        One model per row, up to six scores per row (fractions), and the rejected rows.

    Raises
    ------
    MalformedFile
        When ``path`` is not a CSV with the export's columns.
    """
    if path.is_dir():
        raise MalformedFile(f"{path}: is a directory, expected the leaderboard's CSV export")
    rows = read_csv_rows(path, required=REQUIRED)
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path), rows_read=len(rows))
    batch.benchmarks = [_benchmark(column) for column in BENCHMARKS]
    for line, row in enumerate(rows, start=2):
        where = f"{path.name}:{line}"
        name = row["name"]
        if not name:
            batch.reject(where, "empty model name")
            continue
        values, problem = _scores(row)
        if problem:
            batch.reject(where, f"{name}: {problem}")
            continue
        flagged = _flag(row, "flagged")
        batch.models.append(_model(row))
        for column, (text, value) in values.items():
            batch.scores.append(
                ScoreRecord(
                    model=make_id(name),
                    benchmark=_benchmark_id(column),
                    value=value,
                    value_text=text,
                    harness="lm-eval",
                    setting=BENCHMARKS[column][1],
                    source=SOURCE,
                    source_url=row.get("link") or LEADERBOARD_URL,
                    source_ref=name,
                    # The leaderboard flags a model for contamination or misleading claims.
                    trusted=False if flagged else None,
                    row=where,
                )
            )
    return batch


def _benchmark_id(column: str) -> str:
    return _benchmark(column).benchmark_id


def _benchmark(column: str) -> BenchmarkRecord:
    record = canonical_benchmark(BENCHMARKS[column][0])
    if record is None:  # the six are all in known_benchmarks; guard against edits there
        raise LookupError(f"{BENCHMARKS[column][0]} missing from known_benchmarks")
    return record


def _scores(row: dict[str, str]) -> tuple[dict[str, tuple[str, float]], str | None]:
    """Return the row's present scores as fractions, or the reason the row is rejected."""
    values: dict[str, tuple[str, float]] = {}
    for column in BENCHMARKS:
        text = row[column]
        if not text:
            continue  # an incomplete row: the leaderboard did not run this benchmark
        try:
            percent = float(text)
        except ValueError:
            return {}, f"{column} score {text!r} is not a number"
        if not 0.0 <= percent <= 100.0:
            return {}, f"{column} score {text} outside [0, 100]"
        values[column] = (text, percent / 100.0)
    if not values:
        return {}, "no scores"
    return values, None


def _flag(row: dict[str, str], column: str) -> bool:
    try:
        return bool(parse_bool(row.get(column)))
    except ValueError:
        return False


def _model(row: dict[str, str]) -> ModelRecord:
    name = row["name"]
    notes = [f"{SOURCE}:"]
    for column in ("arch", "precision"):
        value = row.get(column, "")
        if value and value != "error":
            notes.append(f"{column} {value};")
    notes.extend(f"{flag};" for flag in ("merged", "flagged", "moe") if _flag(row, flag))
    params = parse_params(row["nparams"])
    size = row.get("size", "")
    if params is None and size and not size.startswith("-"):
        notes.append(f"size read from the name {size}B (not a parameter count);")
    return ModelRecord(
        model_id=make_id(name),
        name=name,
        # The leaderboard only evaluates public Hugging Face checkpoints: the weights are open.
        weights="open",
        params_total_b=params,
        notes=" ".join(notes).rstrip(";") if len(notes) > 1 else None,
    )
