"""Importer for lm-evaluation-harness output: per-item samples and aggregate results.

The harness writes, under ``--output_path``, one folder per model named after it with ``/``
turned into ``__`` (``EleutherAI__pythia-14m``), holding

- ``samples_<task>_<timestamp>.jsonl`` (with ``--log_samples``): one JSON object per item and
  filter, with ``doc_id``, the per-item metrics (``acc``, ``exact_match``, …) and, in recent
  versions, ``filter`` (``"none"`` unless the task post-processes answers);
- ``results_<timestamp>.json``: ``results`` → ``{task: {"acc,none": …, "acc_stderr,none": …}}``,
  with ``n-shot``, ``n-samples``, ``config.model_args`` (``"pretrained=org/model,…"``) and
  ``date``.

A samples file becomes item-level responses (one per ``doc_id``, from the file's first filter)
and one aggregate score per filter: the mean item score, with ``n_items`` and the binomial
standard error sqrt(p(1-p)/n). A results file becomes one aggregate score per task and filter.
The item score is the first metric present in :data:`METRICS`; it must lie in [0, 1].
Rows, for the import's counts, are the sample lines, each mean computed from them, and each
task entry of a results file. Where a directory holds several runs of one task, the item
responses are the latest run's (file names sort by timestamp); each run keeps its own mean.

The model is ``--model`` when given (an id or alias of a model already in the store), else the
results file's ``pretrained=`` / ``model=`` argument, else the folder name. The benchmark is
``--benchmark`` when given, else the task: a task that :mod:`known_benchmarks` knows
(``hellaswag``, ``arc_challenge``, ``truthfulqa_mc2`` …) lands on its canonical id, any
other task on ``make_id(task)``. The two options apply to output about one model and one task;
output about several is refused rather than merged under one name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.sources.checks import check_input_path, display_path, load_json, parse_json
from opengap.sources.records import (
    ImportBatch,
    ResponseRecord,
    ScoreRecord,
    sha256_of,
)
from opengap.sources.run_names import RunNames

KIND = "lm-eval"
HARNESS = "lm-eval"
SAMPLES_SOURCE = "lm-evaluation-harness samples"
RESULTS_SOURCE = "lm-evaluation-harness results"

# Item metrics in order of preference: the first one a task reports is its score.
METRICS = ("acc", "exact_match", "acc_norm", "pass@1", "pass_at_1")

_TIMESTAMP = r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)"
_SAMPLES = re.compile(rf"^samples_(?P<task>.+)_{_TIMESTAMP}\.jsonl$")
_RESULTS = re.compile(rf"^results_{_TIMESTAMP}\.json$")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read a harness output file, or every such file under a directory.

    Parameters
    ----------
    path : Path
        A ``samples_<task>_<timestamp>.jsonl`` or ``results_<timestamp>.json`` file, or a
        directory searched recursively for them.
    model : str, optional
        The model the files are about (an id or alias of a model in the store); by default the
        name the harness recorded.
    benchmark : str, optional
        The benchmark the files are about (an id or alias); by default each file's task.

    Returns
    -------
    ImportBatch
        Responses, aggregate scores, the models and benchmarks they name, rejected rows.

    Raises
    ------
    MalformedFile
        For a file that is not harness output (naming the file, and the line for JSONL).
    BadArgument
        When ``model`` or ``benchmark`` is given for output about several models or tasks.

    Examples
    --------
    >>> batch = read(Path("out/EleutherAI__pythia-14m"))  # doctest: +SKIP
    >>> batch.responses[0].model  # doctest: +SKIP
    'eleutherai/pythia-14m'
    """
    files = _harness_files(path)
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    names = RunNames(model=model, benchmark=benchmark)
    for file in files:
        if _SAMPLES.match(file.name):
            _read_samples(file, batch, names)
        else:
            _read_results(file, batch, names)
    names.check_overrides(path)
    batch.models = list(names.models.values())
    batch.benchmarks = list(names.benchmarks.values())
    return batch


def _harness_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and _is_harness_file(p.name)
        )
        if not files:
            raise MalformedFile(
                f"{path}: no lm-eval output in this directory "
                "(expected samples_<task>_<timestamp>.jsonl or results_<timestamp>.json)"
            )
        return files
    if not _is_harness_file(path.name):
        raise MalformedFile(
            f"{path}: not an lm-eval output file name "
            "(expected samples_<task>_<timestamp>.jsonl or results_<timestamp>.json)"
        )
    return [path]


def _is_harness_file(name: str) -> bool:
    return bool(_SAMPLES.match(name) or _RESULTS.match(name))


def _folder_model(file: Path) -> str:
    """Return the model name the harness encoded in the folder name (``org__model``)."""
    return file.parent.name.replace("__", "/")


def _timestamp_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _read_samples(file: Path, batch: ImportBatch, names: RunNames) -> None:
    match = _SAMPLES.match(file.name)
    assert match is not None
    task = match.group("task")
    model_ref = names.model_ref(_folder_model(file))
    bench_ref = names.benchmark_ref(task)
    metric: str | None = None
    first_filter: str | None = None
    by_filter: dict[str, dict[str, float]] = {}
    for line, record in _jsonl(file):
        batch.rows_read += 1
        where = f"{file.name}:{line}"
        if "doc_id" not in record:
            raise MalformedFile(f"{file}: line {line}: no 'doc_id' (not an lm-eval sample)")
        if metric is None:
            metric = next((m for m in METRICS if m in record), None)
            if metric is None:
                raise MalformedFile(
                    f"{file}: line {line}: no item metric among {', '.join(METRICS)}"
                )
        filter_name = str(record.get("filter", "none"))
        first_filter = first_filter or filter_name
        item_id = str(record["doc_id"])
        items = by_filter.setdefault(filter_name, {})
        value, problem = _fraction(record[metric], metric) if metric in record else (None, None)
        if value is None or item_id in items:
            duplicate = f"duplicate doc_id {item_id} (filter {filter_name})"
            batch.reject(where, problem or (f"no {metric!r}" if value is None else duplicate))
            continue
        items[item_id] = value
        if filter_name == first_filter:
            batch.responses.append(
                ResponseRecord(model=model_ref, benchmark=bench_ref, item_id=item_id, score=value)
            )
    if metric is None:
        raise MalformedFile(f"{file}: no samples")
    for filter_name, items in by_filter.items():
        if not items:
            continue
        n = len(items)
        mean = math.fsum(items.values()) / n
        batch.rows_read += 1  # the mean is a row of its own (it can be rejected on its own)
        batch.scores.append(
            ScoreRecord(
                model=model_ref,
                benchmark=bench_ref,
                value=mean,
                stderr=math.sqrt(mean * (1.0 - mean) / n),
                n_items=n,
                harness=HARNESS,
                setting=_setting(None, filter_name, metric),
                eval_date=_timestamp_date(match.group("ts")),
                source=SAMPLES_SOURCE,
                source_ref=file.name,
                row=f"{file.name}: mean {metric}",
            )
        )


def _jsonl(file: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; MalformedFile on bad JSON."""
    check_input_path(file, "file")
    try:
        with file.open(encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                record = parse_json(text, f"{display_path(file)}: line {line}")
                if not isinstance(record, dict):
                    raise MalformedFile(f"{file}: line {line}: expected a JSON object")
                yield line, record
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{file}: not UTF-8 text ({exc.reason})") from exc


def _fraction(raw: Any, metric: str) -> tuple[float | None, str | None]:
    """Return ``raw`` as a score in [0, 1], or the reason it is not one."""
    if isinstance(raw, bool):
        return float(raw), None
    if not isinstance(raw, int | float):
        return None, f"{metric} {raw!r} is not a number"
    value = float(raw)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        return None, f"{metric} {raw} outside [0, 1]"
    return value, None


def _setting(n_shot: Any, filter_name: str, metric: str) -> str | None:
    parts = []
    if isinstance(n_shot, int) and not isinstance(n_shot, bool):
        parts.append(f"{n_shot}-shot")
    if metric != "acc":
        parts.append(metric)
    if filter_name != "none":
        parts.append(filter_name)
    return ", ".join(parts) or None


def _read_results(file: Path, batch: ImportBatch, names: RunNames) -> None:
    data = load_json(file)  # a regular file, UTF-8, not nested too deeply
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise MalformedFile(f"{file}: no 'results' object (not lm-eval results)")
    model_ref = names.model_ref(_results_model(data) or _folder_model(file))
    n_shot = data.get("n-shot") if isinstance(data.get("n-shot"), dict) else {}
    n_samples = data.get("n-samples") if isinstance(data.get("n-samples"), dict) else {}
    when = _results_date(data, file)
    for task, metrics in results.items():
        batch.rows_read += 1
        where = f"{file.name}: {task}"
        if not isinstance(metrics, dict):
            batch.reject(where, "task entry is not an object")
            continue
        found = _headline(metrics)
        if found is None:
            batch.reject(where, f"no fraction metric among {', '.join(METRICS)}")
            continue
        metric, filters = found
        bench_ref = names.benchmark_ref(task)
        for filter_name in filters:
            raw = metrics[f"{metric},{filter_name}"]
            value, problem = _fraction(raw, metric)
            if problem is not None or value is None:
                batch.reject(where, problem or f"no {metric}")
                continue
            batch.scores.append(
                ScoreRecord(
                    model=model_ref,
                    benchmark=bench_ref,
                    value=value,
                    stderr=_stderr(metrics.get(f"{metric}_stderr,{filter_name}")),
                    n_items=_effective(n_samples.get(task)),
                    harness=HARNESS,
                    setting=_setting(n_shot.get(task), filter_name, metric),
                    eval_date=when,
                    source=RESULTS_SOURCE,
                    source_ref=f"{file.name}:{task}",
                    row=where,
                )
            )


def _headline(metrics: dict[str, Any]) -> tuple[str, list[str]] | None:
    """Return the first metric of :data:`METRICS` a task reports, and its filters."""
    for metric in METRICS:
        filters = [
            key.split(",", 1)[1]
            for key in metrics
            if key.startswith(f"{metric},") and "_stderr" not in key
        ]
        if filters:
            return metric, filters
    return None


def _results_model(data: dict[str, Any]) -> str | None:
    """Return the model a results file names: ``pretrained=``/``model=``, else ``model_name``."""
    config = data.get("config")
    args = config.get("model_args") if isinstance(config, dict) else None
    if isinstance(args, str):
        args = dict(
            part.split("=", 1) for part in args.split(",") if "=" in part
        )
    if isinstance(args, dict):
        for key in ("pretrained", "model"):
            if isinstance(args.get(key), str) and args[key].strip():
                return str(args[key]).strip()
    name = data.get("model_name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _results_date(data: dict[str, Any], file: Path) -> date | None:
    stamp = data.get("date")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            return datetime.fromtimestamp(stamp, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            raise MalformedFile(
                f"{display_path(file)}: 'date' {stamp!r} is not a time stamp"
            ) from None
    match = _RESULTS.match(file.name)
    return _timestamp_date(match.group("ts")) if match else None


def _stderr(raw: Any) -> float | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        return float(raw)
    return None  # the harness writes "N/A" when it has none


def _effective(raw: Any) -> int | None:
    if isinstance(raw, dict):
        raw = raw.get("effective", raw.get("original"))
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None

