"""Importers: one module per public format, each turning a path into an :class:`ImportBatch`.

Nothing else in opengap parses files. Every reader has the signature
``read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch``
and raises :class:`opengap.errors.MalformedFile` when the file is not of its format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

from opengap.errors import UnknownKind
from opengap.sources.checks import check_batch, check_input_path, display_path
from opengap.sources.records import ImportBatch

Reader = Callable[..., ImportBatch]

# KIND -> module under opengap.sources defining ``read``.
KINDS: dict[str, str] = {
    "epoch-hub": "epoch_hub",
    "epoch-models": "epoch_models",
    "epoch-open-report": "epoch_open_report",
    "open-llm-leaderboard": "open_llm_leaderboard",
    "lm-eval": "lm_eval",
    "csv": "csv_format",
    "artificial-analysis": "artificial_analysis",
    "arc-prize": "arc_prize",
    "responses": "responses",
    "swe-bench": "swe_bench",
    "atom-models": "atom_models",
    "helm-models": "helm_models",
    "downloads": "downloads",
    "inspect": "inspect_logs",
}


def reader_for(kind: str) -> Reader:
    """Return the ``read`` function for an import KIND, or raise :class:`UnknownKind`."""
    if kind not in KINDS:
        raise UnknownKind(f"unknown import kind {kind!r} (choose from {', '.join(KINDS)})")
    module = importlib.import_module(f"opengap.sources.{KINDS[kind]}")
    reader: Reader = module.read
    return reader


def read_path(
    kind: str, path: str | Path, *, model: str | None = None, benchmark: str | None = None
) -> ImportBatch:
    """Read ``path`` as ``kind``; return the batch of records and rejected rows."""
    reader = reader_for(kind)
    target = Path(path)
    check_input_path(target)  # refuses FIFOs, devices, symlink loops before anything opens
    batch = reader(target, model=model, benchmark=benchmark)
    batch.path = display_path(batch.path)
    return check_batch(batch)  # every reader's values range-checked the same way


def read_parts(
    kind: str, path: str | Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield ``path`` read as ``kind`` in parts, for :meth:`opengap.store.Store.apply_batches`.

    A reader that streams large files defines ``read_parts`` (same signature as ``read``,
    yielding batches of bounded size); any other reader gives one part, its whole batch.
    Every part is range-checked like :func:`read_path`'s batch.
    """
    reader_for(kind)  # an unknown kind raises here
    module = importlib.import_module(f"opengap.sources.{KINDS[kind]}")
    streaming = getattr(module, "read_parts", None)
    if streaming is None:
        yield read_path(kind, path, model=model, benchmark=benchmark)
        return
    target = Path(path)
    check_input_path(target)
    for part in streaming(target, model=model, benchmark=benchmark):
        part.path = display_path(part.path)
        yield check_batch(part)
