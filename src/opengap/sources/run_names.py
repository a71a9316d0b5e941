"""The models and benchmarks that a batch of evaluation-run outputs names, gathered as read.

lm-evaluation-harness output folders and Inspect AI logs both name one model and one task per
file; an import may cover many files. :class:`RunNames` turns those names into store records
(one per id), honours ``--model`` / ``--benchmark`` overrides, and refuses an override that
would put several models or tasks under one name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opengap.errors import BadArgument, MalformedFile
from opengap.names import make_id
from opengap.sources.known_benchmarks import canonical_benchmark
from opengap.sources.records import BenchmarkRecord, ModelRecord


@dataclass
class RunNames:
    """Model and benchmark records of one import, built as its files are read.

    Attributes
    ----------
    model, benchmark : str or None
        ``--model`` / ``--benchmark``: every score goes to this name (resolved in the store).
    what : str
        How messages name the input, with its verb ("this output is", "these logs are").
    models, benchmarks : dict
        The records to store, by id.
    seen_models, seen_tasks : set of str
        Every model and task name met, overridden or not.
    """

    model: str | None
    benchmark: str | None
    what: str = "this output is"
    models: dict[str, ModelRecord] = field(default_factory=dict)
    benchmarks: dict[str, BenchmarkRecord] = field(default_factory=dict)
    seen_models: set[str] = field(default_factory=set)
    seen_tasks: set[str] = field(default_factory=set)

    def model_ref(
        self, seen: str, *, name: str | None = None, aliases: Sequence[str] = (),
        tentative: bool = False,
    ) -> str:  # fmt: skip
        """Return the model reference for scores of the model the run calls ``seen``.

        ``name`` is the display name to record (default ``seen``); the model is recorded unless
        ``--model`` named it. A name without a letter or digit is refused.
        """
        self.seen_models.add(seen)
        if self.model:
            return self.model
        display = name or seen
        model_id = make_id(display)
        if not model_id:
            raise MalformedFile(f"model {seen!r} has no letter or digit")
        self.models.setdefault(model_id, ModelRecord(
            model_id=model_id, name=display, aliases=list(aliases), tentative=tentative,
        ))  # fmt: skip
        return model_id

    def benchmark_ref(
        self, task: str, *, name: str | None = None, n_items: int | None = None
    ) -> str:
        """Return the benchmark reference for ``task`` (or ``--benchmark``), recording it.

        A name opengap knows resolves to its canonical record; ``--benchmark`` otherwise names
        something in the store; any other task becomes a fraction-scored benchmark of its own.
        """
        self.seen_tasks.add(task)
        label = self.benchmark or name or task
        known = canonical_benchmark(label)
        if known is not None:
            self.benchmarks.setdefault(known.benchmark_id, known)
            return known.benchmark_id
        if self.benchmark:
            return self.benchmark
        bench_id = make_id(label)
        if not bench_id:
            raise MalformedFile(f"task {task!r} has no letter or digit")
        self.benchmarks.setdefault(bench_id, BenchmarkRecord(
            benchmark_id=bench_id, name=label, n_items=n_items, ceiling=1.0, is_fraction=True,
        ))  # fmt: skip
        return bench_id

    def check_overrides(self, path: Path) -> None:
        """Refuse ``--model``/``--benchmark`` for input about several models or tasks."""
        for option, value, seen, kind in (
            ("--model", self.model, self.seen_models, "models"),
            ("--benchmark", self.benchmark, self.seen_tasks, "tasks"),
        ):
            if value and len(seen) > 1:
                raise BadArgument(
                    f"{path}: {option} names one, but {self.what} about {len(seen)} {kind} "
                    f"({', '.join(sorted(seen))}); import them separately"
                )
