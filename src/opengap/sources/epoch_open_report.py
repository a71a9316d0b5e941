"""Importer for the data behind Epoch AI's report "How far behind are open models?" (2024).

Kind ``epoch-open-report``: a directory holding ``benchmarks_with_model_accessibility.csv``
and/or ``gsm1k_with_model_accessibility.csv``, or either file. Each row is a model (``System``,
``Date``, ``Open/Closed``, ``Model size (parameters)``, ``Active Parameters``, ``Training compute
(FLOP)``) and one score per filled benchmark column (:data:`SCORE_COLUMNS`). Choices:

- ``GPQA`` is GPQA Diamond: every value is an Epoch evaluation ("GPQA Notes"), and they match
  Epoch's own GPQA Diamond runs in the Benchmarking Hub (Llama 3.1 405B 0.509, Mistral Large 2
  0.490, GPT-4o 0.490 vs 0.489).
- ``HELM MMLU`` is MMLU run by HELM: benchmark ``mmlu``, harness ``helm``.
- ``SEAL Coding`` and ``LMSys Elo`` are Elo ratings (not fractions, no ceiling); ``SEAL
  Instruction Following`` and ``SEAL Math`` are fractions, as are the rest.
- ``Trust in benchmark results`` (1 = does not do worse on GSM1k than on GSM8k, -1 = does worse
  or shows a large MMLU-GPQA difference, 0 = no evidence) becomes ``trusted`` = True / False /
  unknown on every score of the row; ``Trust notes`` go to the model's ``notes``.
- A ``<benchmark> Notes`` cell of the form ``N-shot`` becomes the score's setting; other notes
  (model variants, links) are not kept.
- The ``Random chance`` row is not a model: its values become the chance level of each fraction
  benchmark. Its ``0`` under the Elo columns is a placeholder, not a chance level, and is ignored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from opengap.errors import MalformedFile
from opengap.names import alias_key, make_id
from opengap.sources.checks import read_csv_table
from opengap.sources.common import parse_date, parse_float
from opengap.sources.known_benchmarks import canonical_benchmark
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "epoch-open-report"
SOURCE = "Epoch AI, How far behind are open models? (2024)"
SOURCE_URL = "https://epoch.ai/blog/open-models-report"
FILES = ("benchmarks_with_model_accessibility.csv", "gsm1k_with_model_accessibility.csv")
RANDOM_CHANCE = "Random chance"
#: Rows per part when the report is streamed (:func:`read_parts`).
PART_ROWS = 5_000


@dataclass(frozen=True)
class ScoreColumn:
    """Where a score column of the report lands."""

    benchmark: str  #: the benchmark, by a name :func:`canonical_benchmark` knows
    harness: str | None = None  #: who ran it, when the column says
    notes: str | None = None  #: the column whose ``N-shot`` notes become the setting


#: Score columns of the report and the benchmarks they are scores of.
SCORE_COLUMNS: dict[str, ScoreColumn] = {
    "BBH": ScoreColumn("bbh", notes="BBH Notes"),
    "GPQA": ScoreColumn("gpqa-diamond"),
    "MMLU": ScoreColumn("mmlu", notes="MMLU Notes"),
    "HELM MMLU": ScoreColumn("mmlu", harness="helm"),
    "SEAL Coding": ScoreColumn("seal-coding"),
    "SEAL Instruction Following": ScoreColumn("seal-instruction-following"),
    "SEAL Math": ScoreColumn("seal-math"),
    "LMSys Elo": ScoreColumn("lmsys-elo"),
    "GSM8k": ScoreColumn("gsm8k"),
    "GSM1k": ScoreColumn("gsm1k"),
}
_WEIGHTS = {"open": "open", "closed": "closed"}
_TRUST = {"1": True, "-1": False, "0": None}
_SHOTS = re.compile(r"^\d+-shot$")


@dataclass
class _Report:
    batch: ImportBatch
    models: dict[str, ModelRecord] = field(default_factory=dict)
    benchmarks: dict[str, BenchmarkRecord] = field(default_factory=dict)
    by_column: dict[str, BenchmarkRecord] = field(default_factory=dict)

    def benchmark(self, column: str) -> BenchmarkRecord:
        """Return the benchmark of a score column (looked up once per column: a large report
        asks for it ~5 times a row)."""
        found = self.by_column.get(column)
        if found is not None:
            return found
        ref = SCORE_COLUMNS[column].benchmark
        known = canonical_benchmark(ref)
        if known is None:  # every column is in the known table; this guards a future edit
            raise KeyError(f"benchmark {ref!r} of column {column!r} is not a known benchmark")
        found = self.by_column[column] = self.benchmarks.setdefault(known.benchmark_id, known)
        return found


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read the report's data: its directory, or one of its two CSV files.

    Parameters
    ----------
    path : Path
        The directory holding the report's CSV files, or one of them.
    model, benchmark : str, optional
        Not used.

    Returns
    -------
    ImportBatch
        The models, one score per filled benchmark cell, the benchmarks with the chance levels of
        the ``Random chance`` row, and the rejected rows with their reasons.

    Raises
    ------
    MalformedFile
        When there is no file of the report, or a file lacks ``System``/``Date``/``Open/Closed``
        or every score column, or is not CSV text.

    Examples
    --------
    >>> batch = read(Path("../shared/data/epoch-open-models-2024"))  # doctest: +SKIP
    >>> batch.rows_read  # doctest: +SKIP
    203
    """
    del model, benchmark
    return next(_parts(path, None))


def read_parts(
    path: Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield the report as :func:`read` does, streamed in parts of :data:`PART_ROWS` rows.

    Memory stays bounded by a part, whatever the file's size. A model met again in a later
    part (the GSM1k file names models of the first) only fills its gaps in the store, as it
    does within one batch; the benchmarks, with the chance levels read so far, come with
    every part.
    """
    del model, benchmark
    yield from _parts(path, PART_ROWS)


def _parts(path: Path, part_rows: int | None) -> Iterator[ImportBatch]:
    if path.is_dir():
        files = [path / name for name in FILES if (path / name).is_file()]
        if not files:
            raise MalformedFile(f"{path}: no {' or '.join(FILES)} in this directory")
        sha = sha256_of(files[0]) if len(files) == 1 else _combined_sha(files)
    else:
        files, sha = [path], sha256_of(path)
    report = _Report(ImportBatch(kind=KIND, path=str(path), sha256=sha))
    for file in files:
        for _ in _read_file(file, report, part_rows):
            yield _cut(report)
    yield _cut(report)


def _cut(report: _Report) -> ImportBatch:
    """Return the part read so far (with every benchmark) and start the next one."""
    part = report.batch
    part.models = list(report.models.values())
    part.benchmarks = list(report.benchmarks.values())
    report.batch = ImportBatch(kind=part.kind, path=part.path, sha256=part.sha256)
    report.models = {}
    return part


def _combined_sha(files: list[Path]) -> str:
    """Return one hash of several files (their names and contents)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(sha256_of(file).encode())
    return digest.hexdigest()


def _read_file(file: Path, report: _Report, part_rows: int | None) -> Iterator[None]:
    """Read one file row by row; yield whenever ``part_rows`` rows make a part."""
    columns: list[str] | None = None
    in_part = 0
    for i, (_, row) in enumerate(read_csv_table(file, ["System", "Date", "Open/Closed"]), 1):
        if columns is None:
            columns = [c for c in SCORE_COLUMNS if c in row]
            if not columns:
                raise MalformedFile(
                    f"{file}: not a file of Epoch's open-models report, no score column "
                    f"(expected one of {', '.join(repr(c) for c in SCORE_COLUMNS)})"
                )
        report.batch.rows_read += 1
        where = f"{file.name} row {i}"
        try:
            if alias_key(row["System"]) == alias_key(RANDOM_CHANCE):
                _chance_row(row, columns, report)
            else:
                _model_row(row, columns, report, where)
        except ValueError as exc:
            report.batch.reject(where, f"{row['System'] or '(no System)'}: {exc}")
        in_part += 1
        if part_rows is not None and in_part >= part_rows:
            in_part = 0
            yield


def _values(row: dict[str, str], columns: list[str], report: _Report) -> dict[str, float]:
    """Return the row's filled score cells, checked against their benchmark's range."""
    values: dict[str, float] = {}
    for column in columns:
        value = parse_float(row[column]) if row[column] else None
        if value is None:
            continue
        if report.benchmark(column).is_fraction and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{column} {row[column]!r} is outside its range (a fraction in [0, 1])"
            )
        values[column] = value
    return values


def _chance_row(row: dict[str, str], columns: list[str], report: _Report) -> None:
    for column, value in _values(row, columns, report).items():
        bench = report.benchmark(column)
        if bench.is_fraction:
            bench.chance = value


def _model_row(row: dict[str, str], columns: list[str], report: _Report, where: str) -> None:
    system = row["System"]
    if not system:
        raise ValueError("empty System")
    weights_text = row["Open/Closed"]
    if weights_text and weights_text.lower() not in _WEIGHTS:
        raise ValueError(f"Open/Closed {weights_text!r} is neither 'Open' nor 'Closed'")
    trust_text = row.get("Trust in benchmark results", "")
    if trust_text and trust_text not in _TRUST:
        raise ValueError(f"Trust in benchmark results {trust_text!r} is not 1, 0 or -1")
    total = parse_float(row.get("Model size (parameters)"))
    active = parse_float(row.get("Active Parameters"))
    record = ModelRecord(
        model_id=make_id(system),
        name=system,
        release_date=parse_date(row["Date"]),
        weights=_WEIGHTS.get(weights_text.lower()) if weights_text else None,
        params_total_b=None if total is None else total / 1e9,
        params_active_b=None if active is None else active / 1e9,
        training_compute_flop=parse_float(row.get("Training compute (FLOP)")),
        notes=f"Epoch trust note: {row['Trust notes']}" if row.get("Trust notes") else None,
        aliases=[system],
    )
    values = _values(row, columns, report)
    _merge(report.models, record)
    for column, value in values.items():
        spec = SCORE_COLUMNS[column]
        note = row.get(spec.notes, "") if spec.notes else ""
        report.batch.scores.append(
            ScoreRecord(
                model=record.model_id,
                benchmark=report.benchmark(column).benchmark_id,
                value=value,
                value_text=row[column],
                harness=spec.harness,
                setting=note if _SHOTS.match(note) else None,
                source=SOURCE,
                source_url=SOURCE_URL,
                source_ref=system,
                trusted=_TRUST.get(trust_text),
                row=where,
            )
        )


def _merge(models: dict[str, ModelRecord], record: ModelRecord) -> None:
    """Add a model; one already read (from the other file) keeps its values, gaps are filled."""
    earlier = models.setdefault(record.model_id, record)
    if earlier is record:
        return
    for name, value in vars(record).items():
        if getattr(earlier, name) is None:
            setattr(earlier, name, value)
    earlier.aliases.extend(a for a in record.aliases if a not in earlier.aliases)
