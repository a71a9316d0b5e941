"""Importer for the Epoch AI Benchmarking Hub export (kind ``epoch-hub``).

The hub export is a directory (the layout of ``epoch-research/benchmark-stitching``'s ``data/``):

- ``benchmarks_runs.csv`` -- Epoch's own runs, one row per run: benchmark ``task``, ``model``
  (a version id such as ``gpt-5.1_medium``), score ``Best score (across scorers)`` as a fraction.
  Every row is kept as its own score (``source_ref`` = the run ``id``), harness ``inspect``.
- ``external_benchmark_<stem>.csv`` -- scores reported by benchmark authors and leaderboards;
  model = ``Model version``; the headline score column differs per file (:data:`HEADLINE`).
  Percent strings and plain 0-100 numbers become fractions, Lech Mazur Writing (0-10) is divided
  by 10, and METR's time horizon stays in minutes (a benchmark with ``is_fraction=False``).
- ``model_versions.csv`` -- version id -> release date; ``Model`` names the group the version
  belongs to (``version_of``). A non-empty ``Hugging Face developer id`` means open weights. A
  version without one is open too when another version of its group has one (the hub lists
  open-weight models served by an API -- ``chutes/DeepSeek-R1-0528``, ``open-mixtral-8x22b``,
  ``llama3.1:8b-instruct-q8_0`` -- without the id); closed only when no version of the group
  names a Hugging Face developer.
- ``benchmark_optim.csv`` -- benchmark release dates, URLs and coding/math flags.

Rows whose model, score or ``Source`` is empty are skipped and counted as rejected, with the
reason; so are scores outside their range and unparseable values or dates. ``distilled_models.csv``
and any other file are not read. A single file of this layout may be given instead of the
directory. Model ids are the hub's version ids through :func:`opengap.names.make_id` (lower
case); the original spelling is kept as an alias. Two version ids that differ only in case are
one model (open weights win when one of them names a Hugging Face developer and the other not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from opengap.errors import MalformedFile
from opengap.names import alias_key, make_id
from opengap.sources.checks import read_csv_table
from opengap.sources.common import parse_bool, parse_date, read_csv_rows
from opengap.sources.known_benchmarks import canonical_benchmark
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "epoch-hub"
RUNS_FILE = "benchmarks_runs.csv"
VERSIONS_FILE = "model_versions.csv"
OPTIM_FILE = "benchmark_optim.csv"
EXTERNAL_PREFIX = "external_benchmark_"
RUNS_SOURCE = "Epoch AI Benchmarking Hub"
RUNS_HARNESS = "inspect"
#: Scores per part when the export is streamed (:func:`read_parts`).
PART_ROWS = 20_000

#: The headline score column of each ``external_benchmark_<stem>.csv`` (issue 2's table).
HEADLINE: dict[str, str] = {
    "aider_polyglot": "Percent correct",
    "anli": "Score",
    "arc_agi": "Score",
    "arc_ai2": "Challenge score",
    "balrog": "Average progress",
    "bbh": "Average",
    "boolq": "Score",
    "cadeval": "Overall pass (%)",
    "csqa2": "Score",
    "cybench": "Unguided % Solved",
    "deepresearch": "Average score",
    "factorio_learning_environment": "Lab Success %",
    "fictionlivebench": "16k token score",
    "geobench": "ACW Country %",
    "gsm8k": "EM",
    "gso_bench": "Score OPT@1",
    "hellaswag": "Overall accuracy",
    "lambada": "Score",
    "lech_mazur_writing": "Mean score",
    "livebench": "Global average",
    "mcbench": "Win rate",
    "metr": "Time horizon",
    "mmlu": "EM",
    "openbookqa": "Accuracy",
    "os_world": "Score",
    "osuniverse": "Weighted Score",
    "piqa": "Score",
    "scienceqa": "Score",
    "simple_bench": "Score (AVG@5)",
    "superglue": "Score",
    "terminal_bench": "Accuracy mean",
    "the_agent_company": "% Resolved",
    "triviaqa": "EM",
    "videomme": "Overall (no subtitles)",
    "vpct": "Correct",
    "weirdml": "Accuracy",
    "winogrande": "Accuracy",
}
#: What a plain number (no ``%``) is divided by to become a fraction; 100 unless listed.
SCALE: dict[str, float] = {"lech_mazur_writing": 10.0}
#: Files whose headline is not a fraction and is kept in its own unit (METR: minutes).
NOT_FRACTION: frozenset[str] = frozenset({"metr"})
#: Standard-error columns, on the same scale as the headline.
STDERR_COLUMN: dict[str, str] = {
    "balrog": "Average Standard error",
    "terminal_bench": "Accuracy SE",
}
_ROW_ID_COLUMNS = ("UUID", "id", "ID")
_SOURCE_LINK_COLUMNS = ("Source link", "Source link (site from table)")
_HARNESS_COLUMNS = ("Agent", "Scaffold")
_SETTING_COLUMNS = ("Edit format", "Prompt", "Tools", "Frames", "LiveBench Version")
_EVAL_DATE_COLUMNS = ("Date added", "Date")
_SCORE_ENTRY = re.compile(r"([^,:]+):\s*(-?[\d.]+)\s*±\s*([\d.]+)")  # name:value±stderr


class _RowError(ValueError):
    """A row the importer rejects; the message is the reason."""


@dataclass
class _Hub:
    """What has been read so far from the export's files."""

    batch: ImportBatch
    versions: dict[str, ModelRecord] = field(default_factory=dict)
    scored: dict[str, str] = field(default_factory=dict)  # model id -> first spelling seen
    benchmarks: dict[str, BenchmarkRecord] = field(default_factory=dict)
    keep_scores: bool = True  # False: read for the models, benchmarks and rejections only

    def add(self, score: ScoreRecord) -> None:
        """Keep a score read (or only count it, when the scores are read in a later pass)."""
        if self.keep_scores:
            self.batch.scores.append(score)

    def benchmark(self, source_name: str, fallback_id: str, *, fraction: bool) -> str:
        """Register the benchmark a file or task denotes; return its id."""
        known = canonical_benchmark(source_name) or canonical_benchmark(fallback_id)
        record = known or BenchmarkRecord(
            benchmark_id=fallback_id, is_fraction=fraction, ceiling=1.0 if fraction else None
        )
        if not fraction:
            record.is_fraction, record.ceiling, record.chance = False, None, None
        current = self.benchmarks.setdefault(record.benchmark_id, record)
        for alias in (source_name, fallback_id):
            if alias not in current.aliases:
                current.aliases.append(alias)
        return current.benchmark_id


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read an Epoch Benchmarking Hub export (a directory, or one file of its layout).

    Parameters
    ----------
    path : Path
        The export directory, or one of its CSV files.
    model, benchmark : str, optional
        Not used: the export names its own models and benchmarks.

    Returns
    -------
    ImportBatch
        Models (from ``model_versions.csv`` and every model a score names), benchmarks, every
        score row, and the rows skipped with their reasons.

    Raises
    ------
    MalformedFile
        When the path holds no file of the layout, or a file lacks a required column or is
        not CSV text.

    Examples
    --------
    >>> batch = read(Path("../shared/data/epoch-benchmarking-hub"))  # doctest: +SKIP
    >>> len([s for s in batch.scores if s.source == RUNS_SOURCE])  # doctest: +SKIP
    541
    """
    del model, benchmark
    files = _layout(path)
    hub = _read_all(path, files, keep_scores=True)
    return hub.batch


def read_parts(
    path: Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield the export as :func:`read` reads it, its models and scores in parts of
    :data:`PART_ROWS`.

    The files are read twice: first for everything but the scores (the models, benchmarks,
    rejected rows and row counts, exactly as :func:`read` has them; the first part holds all
    but the models, which follow in parts), then for the scores, streamed, so memory stays
    bounded by a part whatever the files' size. The models are distinct (one record per id,
    an alias two of them share dropped), so the parts file them as one batch would.
    """
    del model, benchmark
    files = _layout(path)
    outline = _read_all(path, files, keep_scores=False)
    models, outline.batch.models = outline.batch.models, []
    outline.batch.models = models[:PART_ROWS]
    yield outline.batch
    for start in range(PART_ROWS, len(models), PART_ROWS):
        part = _empty_part(outline.batch)
        part.models = models[start : start + PART_ROWS]
        yield part
    del models
    hub = _Hub(_empty_part(outline.batch), benchmarks=outline.benchmarks, keep_scores=True)
    for _ in _score_rows(files, hub):
        if len(hub.batch.scores) >= PART_ROWS:
            yield _cut(hub)
    yield _cut(hub)


def _read_all(path: Path, files: dict[str, Path], *, keep_scores: bool) -> _Hub:
    """Read every file of the export in order; scores kept only with ``keep_scores``."""
    hub = _Hub(ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path)),
               keep_scores=keep_scores)  # fmt: skip
    if VERSIONS_FILE in files:
        _read_versions(files[VERSIONS_FILE], hub)
    for _ in _score_rows(files, hub):
        pass
    if OPTIM_FILE in files:
        _read_optim(files[OPTIM_FILE], hub)
    _finish(hub)
    return hub


def _score_rows(files: dict[str, Path], hub: _Hub) -> Iterator[None]:
    """Read the runs and external files row by row, yielding after each row."""
    if RUNS_FILE in files:
        yield from _read_runs(files[RUNS_FILE], hub)
    for name in sorted(files):
        if name.startswith(EXTERNAL_PREFIX):
            yield from _read_external(files[name], hub)


def _empty_part(batch: ImportBatch) -> ImportBatch:
    return ImportBatch(kind=batch.kind, path=batch.path, sha256=batch.sha256)


def _cut(hub: _Hub) -> ImportBatch:
    """Return the scores read so far as a part (rows and rejections were counted in the
    first part) and start the next one."""
    part = hub.batch
    part.rows_read, part.rejected = 0, []
    hub.batch = _empty_part(part)
    return part


def _layout(path: Path) -> dict[str, Path]:
    """Return the export's files by name, or raise MalformedFile when there are none."""
    candidates = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    files = {
        p.name: p
        for p in candidates
        if p.name in (RUNS_FILE, VERSIONS_FILE, OPTIM_FILE)
        or (p.name.startswith(EXTERNAL_PREFIX) and p.suffix == ".csv")
    }
    if not files:
        raise MalformedFile(
            f"{path}: not an Epoch Benchmarking Hub export (expected {RUNS_FILE}, "
            f"{VERSIONS_FILE} or {EXTERNAL_PREFIX}*.csv)"
        )
    return files


# ---------------------------------------------------------------------------------- models
def _read_versions(path: Path, hub: _Hub) -> None:
    rows = read_csv_rows(path, ["id", "Version release date", "Hugging Face developer id"])
    hub.batch.rows_read += len(rows)
    groups: dict[str, set[str]] = {}
    open_groups: set[str] = set()
    for row in rows:
        if row.get("Model") and row["id"]:
            groups.setdefault(alias_key(row["Model"]), set()).add(make_id(row["id"]))
            if row["Hugging Face developer id"]:
                open_groups.add(alias_key(row["Model"]))
    for i, row in enumerate(rows, 1):
        where = f"{path.name} row {i}"
        raw = row["id"]
        if not raw:
            hub.batch.reject(where, "empty model version id")
            continue
        try:
            released = parse_date(row["Version release date"])
        except ValueError as exc:
            hub.batch.reject(where, f"{raw}: {exc}")
            continue
        group = row.get("Model", "")
        display = row.get("Unique display name", "") or row.get("Display name", "")
        aliases = [raw, row.get("Display name", ""), row.get("Unique display name", "")]
        if group and len(groups[alias_key(group)]) == 1:
            aliases.append(group)  # a group name is an alias only of its single version
        record = ModelRecord(
            model_id=make_id(raw),
            name=display or raw,
            release_date=released,
            weights=(
                "open"
                if row["Hugging Face developer id"] or alias_key(group) in open_groups
                else "closed"
            ),
            version_of=make_id(group) if group else None,
            notes=row.get("Notes") or None,
            aliases=[a for a in aliases if a],
        )
        _merge_version(hub.versions, record)


def _merge_version(versions: dict[str, ModelRecord], record: ModelRecord) -> None:
    """Add a version; ids equal after make_id are one model, open weights winning."""
    earlier = versions.get(record.model_id)
    if earlier is None:
        versions[record.model_id] = record
        return
    for name in ("name", "release_date", "version_of", "notes"):
        if getattr(earlier, name) is None:
            setattr(earlier, name, getattr(record, name))
    if record.weights == "open":
        earlier.weights = "open"
    earlier.aliases.extend(a for a in record.aliases if a not in earlier.aliases)


def _model_ref(raw: str, hub: _Hub) -> str:
    """Return the model id a score names, remembering its spelling for a bare record."""
    model_id = make_id(raw)
    hub.scored.setdefault(model_id, raw)
    return model_id


# ---------------------------------------------------------------------------------- runs
def _read_runs(path: Path, hub: _Hub) -> Iterator[None]:
    rows = read_csv_table(path, ["id", "task", "model", "Best score (across scorers)"])
    for i, (_, row) in enumerate(rows, 1):  # streamed: only the records are kept
        hub.batch.rows_read += 1
        where = f"{path.name} row {i}"
        try:
            hub.add(_run_score(row, hub, where))
        except _RowError as exc:
            hub.batch.reject(where, str(exc))
        yield


def _run_score(row: dict[str, str], hub: _Hub, where: str) -> ScoreRecord:
    task, raw_model, text = row["task"], row["model"], row["Best score (across scorers)"]
    if not raw_model:
        raise _RowError("empty model")
    if not task:
        raise _RowError("empty task")
    if not text:
        raise _RowError("empty score")
    status = row.get("Status", "")
    if status and status != "Success":
        raise _RowError(f"run status {status!r}, not 'Success'")
    value = _fraction(text, 1.0, "Best score (across scorers)")
    started = row.get("started_at", "")
    return ScoreRecord(
        model=_model_ref(raw_model, hub),
        model_ref=raw_model,
        benchmark=hub.benchmark(task, make_id(task), fraction=True),
        value=value,
        value_text=text,
        stderr=_best_scorer_stderr(row.get("Scores", "")),
        harness=RUNS_HARNESS,
        eval_date=_run_date(started) if started else None,
        source=RUNS_SOURCE,
        source_url=row.get("log viewer") or row.get("logs") or None,
        source_ref=row["id"] or None,
        row=where,
    )


def _run_date(text: str) -> date:
    """Parse ``started_at`` (``'17 November 2025 4:28pm'``, or an ISO date)."""
    try:
        return datetime.strptime(text, "%d %B %Y %I:%M%p").date()
    except ValueError:
        pass
    try:
        parsed = parse_date(text)
    except ValueError as exc:
        raise _RowError(f"started_at: {exc}") from exc
    assert parsed is not None
    return parsed


def _best_scorer_stderr(text: str) -> float | None:
    """Return the ± of the best scorer in ``'choice:0.85±0.02,other:0.8±0.03'``, if given."""
    try:
        entries = [(float(v), float(e)) for _, v, e in _SCORE_ENTRY.findall(text)]
    except ValueError:  # auxiliary text: an odd one costs the stderr, not the score
        return None
    return max(entries)[1] if entries else None


# ---------------------------------------------------------------------------------- external
def _read_external(path: Path, hub: _Hub) -> Iterator[None]:
    stem = path.stem[len(EXTERNAL_PREFIX) :]
    headline = HEADLINE.get(stem)
    if headline is None:
        unknown = read_csv_rows(path)
        hub.batch.rows_read += len(unknown)
        for i in range(1, len(unknown) + 1):
            hub.batch.reject(
                f"{path.name} row {i}", f"no headline score column is known for {path.name}"
            )
        yield
        return
    table = read_csv_table(path, ["Model version", headline, "Source"])
    bench_id = hub.benchmark(stem, stem.replace("_", "-"), fraction=stem not in NOT_FRACTION)
    for i, (_, row) in enumerate(table, 1):
        hub.batch.rows_read += 1
        where = f"{path.name} row {i}"
        try:
            score = _external_score(row, stem, headline, bench_id, hub)
        except _RowError as exc:
            hub.batch.reject(where, str(exc))
        else:
            score.row = where
            hub.add(score)
        yield


def _external_score(
    row: dict[str, str], stem: str, headline: str, bench_id: str, hub: _Hub
) -> ScoreRecord:
    raw_model, text, source = row["Model version"], row[headline], row["Source"]
    if not raw_model:
        raise _RowError("no 'Model version'")
    if not text:
        raise _RowError(f"no score in {headline!r}")
    if not source:
        raise _RowError("no 'Source'")
    scale = SCALE.get(stem, 100.0)
    if stem in NOT_FRACTION:
        value = _number(text, headline)
        if value < 0:
            raise _RowError(f"{headline} {text!r} is negative")
    else:
        value = _fraction(text, scale, headline)
    stderr_col = STDERR_COLUMN.get(stem, "")
    stderr_text = row.get(stderr_col, "") if stderr_col else ""
    return ScoreRecord(
        model=_model_ref(raw_model, hub),
        model_ref=raw_model,
        benchmark=bench_id,
        value=value,
        value_text=text,
        stderr=_fraction(stderr_text, scale, stderr_col) if stderr_text else None,
        harness=next((row[c] for c in _HARNESS_COLUMNS if row.get(c)), None),
        setting=_setting(row),
        eval_date=_eval_date(row),
        source=source,
        source_url=next((row[c] for c in _SOURCE_LINK_COLUMNS if row.get(c)), None),
        source_ref=next((row[c] for c in _ROW_ID_COLUMNS if row.get(c)), None),
    )


def _number(text: str, column: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise _RowError(f"{column}: not a number: {text!r}") from None


def _fraction(text: str, scale: float, column: str) -> float:
    """Return ``'63.3%'`` -> 0.633 or a plain number / ``scale``; reject what is not in [0, 1]."""
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    number = _number(cleaned[:-1].strip() if percent else cleaned, column)
    value = number / 100.0 if percent else number / scale
    if not 0.0 <= value <= 1.0:
        raise _RowError(f"{column} {text!r} is outside its range (a fraction in [0, 1])")
    return value


def _setting(row: dict[str, str]) -> str | None:
    parts = []
    shots = row.get("Shots", "")
    if shots:
        parts.append(f"{shots}-shot" if shots.isdigit() else shots)
    parts += [f"{c.lower()}: {row[c]}" for c in _SETTING_COLUMNS if row.get(c)]
    return "; ".join(parts) or None


def _eval_date(row: dict[str, str]) -> date | None:
    for column in _EVAL_DATE_COLUMNS:
        if row.get(column):
            try:
                return parse_date(row[column])
            except ValueError as exc:
                raise _RowError(f"{column}: {exc}") from exc
    return None


# ---------------------------------------------------------------------------------- benchmarks
def _read_optim(path: Path, hub: _Hub) -> None:
    rows = read_csv_rows(path, ["benchmark"])
    hub.batch.rows_read += len(rows)
    by_key = {alias_key(a): bid for bid, rec in hub.benchmarks.items() for a in [bid, *rec.aliases]}
    for i, row in enumerate(rows, 1):
        where = f"{path.name} row {i}"
        name = row["benchmark"]
        if not name:
            hub.batch.reject(where, "empty benchmark name")
            continue
        try:
            released = parse_date(row.get("benchmark_release_date"))
            coding = parse_bool(row.get("is_coding"))
            math = parse_bool(row.get("is_math"))
        except ValueError as exc:
            hub.batch.reject(where, f"{name}: {exc}")
            continue
        known = canonical_benchmark(name)
        bench_id = known.benchmark_id if known else by_key.get(alias_key(name), make_id(name))
        record = hub.benchmarks.get(bench_id) or known or BenchmarkRecord(benchmark_id=bench_id)
        hub.benchmarks.setdefault(bench_id, record)
        record.release_date = record.release_date or released
        record.url = record.url or row.get("source") or None
        record.name = record.name or name
        if record.domain is None and coding != math:
            record.domain = "code" if coding else "math"
        if name not in record.aliases:
            record.aliases.append(name)


# ---------------------------------------------------------------------------------- finish
def _finish(hub: _Hub) -> None:
    """Add bare records for models only scores name, drop ambiguous aliases, fill the batch."""
    models = dict(hub.versions)
    for model_id, raw in hub.scored.items():
        if model_id not in models:
            models[model_id] = ModelRecord(model_id=model_id, name=raw, aliases=[raw])
    owners: dict[str, set[str]] = {}
    for record in models.values():
        for alias in [record.model_id, *record.aliases]:
            owners.setdefault(alias_key(alias), set()).add(record.model_id)
    for record in models.values():
        kept = [a for a in record.aliases if len(owners[alias_key(a)]) == 1]
        record.aliases = list(dict.fromkeys(kept))
    hub.batch.models = list(models.values())
    for bench_id, bench in hub.benchmarks.items():
        bench.name = bench.name or bench_id
    hub.batch.benchmarks = list(hub.benchmarks.values())
