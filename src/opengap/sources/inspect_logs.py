"""Importer for Inspect AI eval logs (kind ``inspect``): ``.eval`` and ``.json`` logs.

Inspect (UK AISI) writes one log per task run, in its binary ``.eval`` format (a zip) or as
JSON. The logs are read with inspect-ai's own reader (:func:`inspect_ai.log.read_eval_log`
for the header, :func:`inspect_ai.log.read_eval_log_samples` for the samples), so every log
version Inspect can read is read the same way; inspect-ai is an optional dependency
(``pip install 'opengap[inspect]'``) imported only when a log is read.

What one log becomes:

- the **model** is the log's ``eval.model`` without its provider prefix
  (``openai/gpt-4o`` → ``gpt-4o``, ``hf/meta-llama/Llama-3.1-8B`` → ``meta-llama/Llama-3.1-8B``;
  the full string is kept as an alias), or ``--model``;
- the **benchmark** is the task name without its package prefix (``inspect_evals/gpqa_diamond``
  → a known benchmark where :mod:`known_benchmarks` knows it, else ``make_id`` of the name),
  or ``--benchmark``;
- each **sample id** is an item; its score is the first scorer's value mapped to [0, 1] by
  Inspect's own ``value_to_float`` (``C`` → 1, ``P`` → 0.5, ``I``/``N`` → 0, numbers as they
  are, ``yes``/``true`` → 1). A value that is a list or dict (several metrics in one score) is
  rejected with the reason; a number outside [0, 1] refuses the whole import;
- **epochs**: several epochs of one sample are averaged (Inspect's default epoch reducer,
  ``mean``), so an item scored C, I, C over three epochs is 2/3;
- the **harness** is ``inspect`` for a plain solver chain (``generate``, prompt templates,
  ``multiple_choice`` …) and ``inspect/<agent>`` otherwise (``inspect/react``: an agent
  scaffold, so :func:`opengap.analysis.harness.harness_category` makes it ``agent-harness``);
- one **aggregate score** (the mean item score, with ``n_items`` and the binomial SE), dated by
  the log's ``eval.created``, when the run is complete: status ``success`` and every sample
  of the dataset scored. A partial run (``--limit``, cancelled, errored samples) gives item
  responses only: its mean is not the benchmark's score.

The same (model, benchmark, item, harness) in two logs with different scores refuses the import
(one error naming both files); an identical repeat counts once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from opengap.errors import BadArgument, MalformedFile
from opengap.sources.checks import check_input_path
from opengap.sources.records import (
    ImportBatch,
    ResponseRecord,
    ScoreRecord,
    sha256_of,
)
from opengap.sources.run_names import RunNames

KIND = "inspect"
SOURCE = "Inspect AI eval log"
SUFFIXES = (".eval", ".json")
MANIFEST = "logs.json"  # Inspect's log-directory manifest: headers only, not a log
# Solvers that only shape the prompt or the answer: a run through them is plain Inspect.
PLAIN_SOLVERS = frozenset({
    "generate", "system_message", "user_message", "prompt_template", "chain_of_thought",
    "multiple_choice", "self_critique", "assistant_message", "use_tools", "chain",
})  # fmt: skip


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read one Inspect log file or every ``.eval``/``.json`` log under a directory.

    Parameters
    ----------
    path : Path
        A ``.eval`` or ``.json`` log, or a directory searched recursively for them.
    model, benchmark : str, optional
        Override the model and benchmark read from the logs (for logs about one of each).

    Returns
    -------
    ImportBatch
        Item responses, aggregate scores of complete runs, the models and benchmarks named.

    Raises
    ------
    MalformedFile
        For a file that is not an Inspect log (foreign JSON, a truncated ``.eval``), a score
        outside [0, 1], or one item with two different scores.

    Examples
    --------
    >>> batch = read(Path("logs/2026-01-01T00-00-00_gpqa_abc.eval"))  # doctest: +SKIP
    >>> batch.responses[0].harness  # doctest: +SKIP
    'inspect'
    """
    files = _log_files(path)
    log_api = _inspect_api()
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    names = RunNames(model=model, benchmark=benchmark, what="these logs are")
    seen: dict[tuple[str, str, str, str], tuple[float, Path]] = {}
    for file in files:
        _read_log(file, batch, names, seen, log_api)
    names.check_overrides(path)
    batch.models = list(names.models.values())
    batch.benchmarks = list(names.benchmarks.values())
    return batch


def _log_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*")
                       if p.is_file() and p.suffix in SUFFIXES and p.name != MANIFEST)  # fmt: skip
        if not files:
            raise MalformedFile(f"{path}: no Inspect logs in this directory (expected .eval or "
                                ".json eval logs)")  # fmt: skip
        return files
    if path.suffix not in SUFFIXES:
        raise MalformedFile(f"{path}: not an Inspect log file name (expected .eval or .json)")
    return [path]


@dataclass(frozen=True)
class _LogApi:
    """The three inspect-ai functions the importer uses."""

    read_header: Callable[[str], Any]
    read_samples: Callable[[str], Any]
    to_float: Callable[[Any], float]


def _inspect_api() -> _LogApi:
    try:
        from inspect_ai.log import read_eval_log, read_eval_log_samples
        from inspect_ai.scorer import value_to_float
    except ImportError:
        raise BadArgument("reading Inspect logs needs inspect-ai: pip install "
                          "'opengap[inspect]' (or pip install inspect-ai)") from None  # fmt: skip
    return _LogApi(
        read_header=lambda f: read_eval_log(f, header_only=True),
        read_samples=lambda f: read_eval_log_samples(f, all_samples_required=False),
        to_float=value_to_float(),
    )


def _not_a_log(file: Path, exc: BaseException) -> MalformedFile:
    text = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__
    return MalformedFile(f"{file}: not a readable Inspect eval log ({detail})")


def _read_log(
    file: Path, batch: ImportBatch, names: RunNames,
    seen: dict[tuple[str, str, str, str], tuple[float, Path]], api: _LogApi,
) -> None:  # fmt: skip
    check_input_path(file, "file")
    try:
        header = api.read_header(str(file))
        samples = list(api.read_samples(str(file)))
    except Exception as exc:  # inspect-ai raises pydantic, zip, JSON and OS errors alike
        raise _not_a_log(file, exc) from None
    spec = header.eval
    dataset_size = getattr(spec.dataset, "samples", None)
    logged = str(spec.model)
    name = logged.split("/", 1)[1] if "/" in logged else logged  # provider/model
    model_ref = names.model_ref(
        logged, name=name, aliases=[logged] if logged != name else [], tentative=True
    )
    bench_ref = names.benchmark_ref(
        str(spec.task), name=str(spec.task).rsplit("/", 1)[-1], n_items=dataset_size
    )
    harness = _harness(header)
    by_item: dict[str, list[float]] = {}
    for sample in samples:
        batch.rows_read += 1
        where = f"{file.name}: sample {sample.id!r} epoch {sample.epoch}"
        if not sample.scores:
            batch.reject(where, "no score (the sample errored or was not scored)")
            continue
        scorer, score = next(iter(sample.scores.items()))
        value = score.value
        if isinstance(value, list | dict):
            batch.reject(where, f"scorer {scorer!r} gives a {type(value).__name__}, not one "
                                "value per sample")  # fmt: skip
            continue
        number = api.to_float(value)
        if not math.isfinite(number) or not 0.0 <= number <= 1.0:
            raise MalformedFile(f"{file}: sample {sample.id!r} epoch {sample.epoch}: score "
                                f"{value!r} is outside [0, 1]")  # fmt: skip
        by_item.setdefault(str(sample.id), []).append(number)
    for item, values in by_item.items():
        mean = math.fsum(values) / len(values)
        key = (model_ref, bench_ref, item, harness)
        if key in seen:
            before, other = seen[key]
            if before != mean:
                raise MalformedFile(f"{file}: item {item!r} of {bench_ref!r} scored {mean:g} "
                                    f"here and {before:g} in {other.name}")  # fmt: skip
            continue
        seen[key] = (mean, file)
        batch.responses.append(ResponseRecord(model_ref, bench_ref, item, mean, harness=harness))
    complete = (header.status == "success" and dataset_size is not None
                and len(by_item) == dataset_size and not _rejected_in(batch, file))  # fmt: skip
    if complete and by_item:
        values = [math.fsum(v) / len(v) for v in by_item.values()]
        n = len(values)
        mean = math.fsum(values) / n
        epochs = getattr(spec.config, "epochs", None) or 1
        batch.rows_read += 1
        batch.scores.append(ScoreRecord(
            model=model_ref, benchmark=bench_ref, value=mean,
            stderr=math.sqrt(mean * (1.0 - mean) / n), n_items=n, harness=harness,
            setting=f"{_solvers(header)}; scorer {_scorer(samples)}; {epochs} epoch(s), mean",
            eval_date=_date(spec.created), source=SOURCE, source_ref=f"{spec.task_id}",
            row=f"{file.name}: mean score",
        ))  # fmt: skip


def _rejected_in(batch: ImportBatch, file: Path) -> bool:
    """Return whether any row of ``file`` was rejected (so its run is not complete)."""
    prefix = f"{file.name}: "
    return any(r.row.startswith(prefix) for r in batch.rejected)


def _solver_names(header: Any) -> list[str]:
    solver = getattr(header.eval, "solver", None)
    if solver:
        return [str(solver)]
    steps = getattr(header.plan, "steps", None) or []
    return [str(step.solver) for step in steps]


def _solvers(header: Any) -> str:
    return "solver " + (" → ".join(_solver_names(header)) or "unknown")


def _harness(header: Any) -> str:
    agents = [s.rsplit("/", 1)[-1] for s in _solver_names(header)]
    special = [s for s in agents if s not in PLAIN_SOLVERS]
    return "inspect" if not special else "inspect/" + "+".join(special)


def _scorer(samples: list[Any]) -> str:
    for sample in samples:
        if sample.scores:
            return str(next(iter(sample.scores)))
    return "unknown"


def _date(text: object) -> date | None:
    try:
        return datetime.fromisoformat(str(text)).date()
    except ValueError:
        return None
