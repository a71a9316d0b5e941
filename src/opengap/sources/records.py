"""Typed rows that importers produce and the store consumes (the contract between them).

An importer never touches the database: it reads a file into an :class:`ImportBatch` of these
records plus the rows it rejected, each with a reason. The store applies a batch in one
transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

WEIGHTS = ("open", "closed")
LICENSE_CLASSES = ("permissive", "open-restricted", "closed")
DOMAINS = (
    "math",
    "code",
    "knowledge",
    "reasoning",
    "agentic",
    "language",
    "multimodal",
    "long-context",
    "other",
)


@dataclass
class ModelRecord:
    """One model as a source describes it; ``None`` means the source does not say.

    ``version_of`` names the model group a dated/effort version belongs to (e.g. the versions
    ``gpt-4o-2024-05-13`` and ``gpt-4o-2024-08-06`` are versions of ``gpt-4o``), so fits can
    group versions; ``base_model_id`` is the model a fine-tune was trained from.
    """

    model_id: str
    name: str | None = None
    organization: str | None = None
    country: str | None = None
    release_date: date | None = None
    weights: str | None = None
    license: str | None = None
    license_class: str | None = None
    params_total_b: float | None = None
    params_active_b: float | None = None
    base_model_id: str | None = None
    reasoning: bool | None = None
    training_compute_flop: float | None = None
    version_of: str | None = None
    notes: str | None = None
    aliases: list[str] = field(default_factory=list)
    #: True when the source only *names* the model (a leaderboard entry): if its id, name or
    #: any alias already resolves to a model in the store, the record is merged into that model
    #: (its names become aliases of it) instead of creating a second model.
    tentative: bool = False


@dataclass
class BenchmarkRecord:
    """One benchmark; ``chance`` and ``ceiling`` are on the same scale as its score values.

    ``composite`` marks a score that is not independent evidence (an index averaged over other
    benchmarks, or a second metric of a run already counted): fits leave it out by default.
    """

    benchmark_id: str
    name: str | None = None
    domain: str | None = None
    n_items: int | None = None
    chance: float | None = None
    ceiling: float | None = None
    public: bool | None = None
    url: str | None = None
    is_fraction: bool | None = None
    release_date: date | None = None
    composite: bool | None = None
    aliases: list[str] = field(default_factory=list)


@dataclass
class ScoreRecord:
    """One published score. ``model``/``benchmark`` are ids or aliases, resolved by the store.

    ``value`` is on the benchmark's scale (a fraction for fraction benchmarks);
    ``value_text`` keeps the value exactly as the source printed it.
    ``source_ref`` is the source's own row id, when it has one, so re-imports update in place.
    ``model_ref`` is the model's name exactly as the source printed it (default: ``model``).
    ``cost_per_task_usd`` is the evaluator's published cost per task of the run, where given.
    """

    model: str
    benchmark: str
    value: float
    value_text: str | None = None
    stderr: float | None = None
    n_items: int | None = None
    harness: str | None = None
    setting: str | None = None
    eval_date: date | None = None
    source: str | None = None
    source_url: str | None = None
    source_ref: str | None = None
    trusted: bool | None = None
    row: str | None = None
    model_ref: str | None = None
    cost_per_task_usd: float | None = None


@dataclass
class ResponseRecord:
    """One item-level result: ``score`` in [0, 1] of ``model`` on ``item_id`` of ``benchmark``.

    ``harness`` names the harness the item was run under ('' when the source does not say), so
    the same item under two harnesses is two responses; ``cost`` (USD) and ``api_calls`` are
    kept where the source gives them.
    """

    model: str
    benchmark: str
    item_id: str
    score: float
    harness: str = ""
    cost: float | None = None
    api_calls: int | None = None


@dataclass
class PriceRecord:
    """Price of ``model`` as of ``date`` in USD per 1M tokens (input, output, blended)."""

    model: str
    date: date
    input_usd_per_m: float | None = None
    output_usd_per_m: float | None = None
    blended_usd_per_m: float | None = None
    source: str | None = None


@dataclass
class DownloadRecord:
    """Cumulative downloads of ``model`` as of ``date``."""

    model: str
    date: date
    cumulative_downloads: int
    source: str | None = None
    where: str | None = None
    """The file and row it was read from (named when the store refuses it)."""


@dataclass
class Rejected:
    """A row an importer (or the store) refused: where it was and why."""

    row: str
    reason: str


@dataclass
class ImportBatch:
    """Everything read from one path, ready for :meth:`opengap.store.Store.apply_batch`."""

    kind: str
    path: str
    sha256: str
    rows_read: int = 0
    models: list[ModelRecord] = field(default_factory=list)
    benchmarks: list[BenchmarkRecord] = field(default_factory=list)
    scores: list[ScoreRecord] = field(default_factory=list)
    responses: list[ResponseRecord] = field(default_factory=list)
    downloads: list[DownloadRecord] = field(default_factory=list)
    prices: list[PriceRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: the source the models' facts are recorded under (default: ``kind``); ``curated`` for
    #: the catalogue that ships with opengap (see :mod:`opengap.store.facts`).
    fact_source: str | None = None

    def reject(self, row: str, reason: str) -> None:
        """Record a rejected row with its location and reason."""
        self.rejected.append(Rejected(row=row, reason=reason))


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, or of a directory's files (sorted names and contents)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
