"""The :class:`Store`: opening, migrating, transactional imports and alias resolution."""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]

from opengap import __version__
from opengap.errors import (
    ConflictingData,
    MissingStore,
    OpengapError,
    RejectedRows,
    SchemaVersionError,
    StoreInUse,
    UnknownBenchmark,
    UnknownModel,
)
from opengap.names import alias_key, canonical_country, canonical_key
from opengap.sources.records import ImportBatch, ModelRecord, Rejected, ScoreRecord
from opengap.store import facts, shadow, staging
from opengap.store.location import check_db_path, resolve_db_path
from opengap.store.schema import SCHEMA_VERSION, TABLES, current_version, migrate
from opengap.store.seen import SeenIds

_T = TypeVar("_T")

_MODEL_COLUMNS = [
    "model_id", "name", "organization", "country", "release_date", "weights", "license",
    "license_class", "params_total_b", "params_active_b", "base_model_id", "reasoning",
    "training_compute_flop", "version_of", "notes",
]  # fmt: skip
_BENCHMARK_COLUMNS = [
    "benchmark_id", "name", "domain", "n_items", "chance", "ceiling", "public", "url",
    "is_fraction", "release_date", "composite",
]  # fmt: skip
_SCORE_COLUMNS = [
    "score_key", "model_id", "benchmark_id", "value", "value_text", "stderr", "n_items",
    "harness", "setting", "eval_date", "source", "source_url", "source_ref", "trusted", "model_ref",
    "cost_per_task_usd",
]  # fmt: skip


@dataclass
class ImportResult:
    """What one import did: counts, the rejected rows with reasons, and whether it was new."""

    import_id: int
    kind: str
    path: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    #: The rejected rows with their reasons, in file order: all of them up to
    #: :data:`MAX_REJECTED_LISTED`, then only the first that many (``rows_rejected`` counts all).
    rejected: list[Rejected] = field(default_factory=list)
    already_imported: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape printed by ``opengap import --json``."""
        data = asdict(self)
        data["rejected"] = [{"row": r.row, "reason": r.reason} for r in self.rejected]
        data["rejected_listed"] = len(self.rejected)
        return data


#: How many rejected rows an import keeps with their reasons; a file with more (say every row
#: of a 50 MB file naming an unknown model) keeps the first ones and counts the rest, so the
#: list cannot outgrow the file it describes.
MAX_REJECTED_LISTED = 10_000


class _Rejections:
    """The rejected rows of one import: the first :data:`MAX_REJECTED_LISTED`, and a count."""

    def __init__(self) -> None:
        self.listed: list[Rejected] = []
        self.count = 0

    def extend(self, rows: list[Rejected]) -> None:
        room = MAX_REJECTED_LISTED - len(self.listed)
        if room > 0:
            self.listed.extend(rows[:room])
        self.count += len(rows)


def score_key(model_id: str, benchmark_id: str, score: ScoreRecord) -> str:
    """Return the identity of a score: same model, benchmark, source, row, setting and harness."""
    parts = [
        model_id, benchmark_id, score.source or "", score.source_ref or "",
        score.setting or "", score.harness or "",
    ]  # fmt: skip
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


LOCK_WAIT = 5.0
"""Seconds an open waits for a store another process holds (a writer, or the dashboard's
short-lived read) before it fails with :class:`StoreInUse`; ``OPENGAP_LOCK_WAIT`` overrides."""


def _lock_wait() -> float:
    """Return ``OPENGAP_LOCK_WAIT`` (seconds) when set to a number >= 0, else :data:`LOCK_WAIT`."""
    try:
        seconds = float(os.environ.get("OPENGAP_LOCK_WAIT", LOCK_WAIT))
    except ValueError:
        return LOCK_WAIT
    return seconds if 0 <= seconds < 3600 else LOCK_WAIT

_LOCK_CONFLICT = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def missing_store_message(path: Path) -> str:
    """Return the one line saying that no store exists at ``path`` and how to create one."""
    return f"no store at {path}; create it with `opengap init --db {path}`"


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying for ``wait`` seconds while another process locks it.

    DuckDB lets one process write a file, or any number of processes read it, never both: a
    lock conflict is retried with a growing pause (50 ms to 250 ms), then reported in one line.
    """
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:  # corrupt, not a DuckDB file, or locked by another process
            message = str(exc)
            if not _LOCK_CONFLICT.search(message):
                reason = message.splitlines()[0]
                raise OpengapError(f"{path}: cannot open the store: {reason}") from None
            if time.monotonic() + pause > deadline:
                pid = _LOCK_PID.search(message)
                holder = f"dashboard?, PID {pid.group(1)}" if pid else "dashboard?"
                raise StoreInUse(
                    f"{path} is in use by another opengap process ({holder}) and "
                    f"stayed locked for {wait:g} s; retry when it has finished"
                ) from None
            time.sleep(pause)
            pause = min(2 * pause, 0.25)


class Store:
    """An opengap catalogue in one DuckDB file.

    Parameters
    ----------
    path : str or Path, optional
        The database file; by default ``--db``/``OPENGAP_DB``/the user data directory.
    read_only : bool
        Open without write access (the dashboard and the read commands do); a missing file is
        then :class:`MissingStore`, never created.
    lock_wait : float, optional
        Seconds to wait while another process holds the file (default :data:`LOCK_WAIT`, or
        ``OPENGAP_LOCK_WAIT``).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        lock_wait: float | None = None,
    ) -> None:
        self.path = resolve_db_path(path)
        check_db_path(self.path, create=True)  # FIFO, directory, not DuckDB: refused at once
        if read_only and not self.path.exists():
            raise MissingStore(missing_store_message(self.path))
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._wait = _lock_wait() if lock_wait is None else lock_wait
        self.con = _connect(self.path, read_only, self._wait)
        try:
            if read_only and current_version(self.con) > SCHEMA_VERSION:
                raise SchemaVersionError(_too_new(self.path, current_version(self.con)))
            if not read_only:
                migrate(self.con, str(self.path))
                shadow.remove_stale(self.path)  # copies of imports killed before the end
            facts.register_names(self.con)
        except BaseException:
            self.con.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run the block in one transaction: all of it is committed, or none of it."""
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    # ------------------------------------------------------------------ queries
    def _first(self, sql: str, params: list[Any] | None = None) -> Any:
        """Return the first row of a query (fully fetched, as DuckDB requires), or None."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Return the result of a parameterised SQL query as a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def counts(self) -> dict[str, int]:
        """Return the row count of every table."""
        out: dict[str, int] = {}
        for table in TABLES:
            out[table] = int(self._first(f"SELECT count(*) FROM {table}")[0])
        return out

    def is_empty(self) -> bool:
        """Return True when the catalogue holds no scores (models alone cannot be fitted).

        A store made by ``init --empty`` holds the curated catalogue's models and no scores.
        """
        return int(self._first("SELECT count(*) FROM scores")[0]) == 0

    def model_conflicts(self) -> pd.DataFrame:
        """Return every disagreement between sources on a model fact (see :mod:`.facts`)."""
        return facts.conflicts(self.con)

    # ------------------------------------------------------------------ aliases
    def resolve(self, kind: str, ref: str) -> str | None:
        """Return the id that ``ref`` names (an id or any alias of a ``kind``), or None."""
        table, id_col = _TABLE_OF[kind]
        row = self._first(f"SELECT {id_col} FROM {table} WHERE {id_col} = ?", [ref])
        if row is None:
            row = self._first(
                "SELECT target_id FROM aliases WHERE kind = ? AND alias_key = ?",
                [kind, alias_key(ref)],
            )
        if row is None and kind == "model":
            row = self._first(
                "SELECT target_id FROM aliases WHERE kind = ? AND alias_key = ?",
                [kind, _CANONICAL_PREFIX + canonical_key(ref)],
            )
        return None if row is None else str(row[0])

    def resolve_model(self, ref: str) -> str:
        """Return the model id ``ref`` names, or raise :class:`UnknownModel` with suggestions."""
        found = self.resolve("model", ref)
        if found is None:
            raise UnknownModel(f"unknown model {ref!r}{self._suggest('model', ref)}")
        return found

    def resolve_benchmark(self, ref: str) -> str:
        """Return the benchmark id ``ref`` names, or raise :class:`UnknownBenchmark`."""
        found = self.resolve("benchmark", ref)
        if found is None:
            raise UnknownBenchmark(f"unknown benchmark {ref!r}{self._suggest('benchmark', ref)}")
        return found

    def _suggest(self, kind: str, ref: str) -> str:
        keys = [
            r[0]
            for r in self.con.execute(
                "SELECT alias FROM aliases WHERE kind = ? AND priority = 0", [kind]
            ).fetchall()
        ]
        close = difflib.get_close_matches(ref, keys, n=3, cutoff=0.6)
        return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""

    # ------------------------------------------------------------------ imports
    def find_import(self, kind: str, sha256: str, options: str) -> ImportResult | None:
        """Return the earlier import of the same content, kind and options, if any."""
        row = self._first(
            "SELECT import_id, kind, path, sha256, rows_read, rows_accepted, rows_rejected "
            "FROM imports WHERE kind = ? AND sha256 = ? AND options = ? ORDER BY import_id LIMIT 1",
            [kind, sha256, options],
        )
        if row is None:
            return None
        import_id, kind_, path, digest, read, accepted, rejected = row
        return ImportResult(
            int(import_id), str(kind_), str(path), str(digest), int(read), int(accepted),
            int(rejected), already_imported=True,
        )  # fmt: skip

    def apply_batch(
        self, batch: ImportBatch, *, strict: bool = False, options: str = ""
    ) -> ImportResult:
        """Apply an importer's batch in one transaction and record it in ``imports``.

        Re-applying content already imported (same kind, sha256 and options) changes nothing
        and returns the earlier import. With ``strict``, any rejected row raises
        :class:`RejectedRows` and the store is left exactly as it was; that includes content
        imported earlier without ``strict`` that had rows rejected then.
        """
        return self.apply_batches(iter([batch]), strict=strict, options=options)

    def apply_batches(
        self, parts: Iterator[ImportBatch], *, strict: bool = False, options: str = ""
    ) -> ImportResult:
        """Apply the parts of one import (a reader streaming a large file) in one transaction.

        Every part has the kind, path and sha256 of the first. Parts are read lazily, so an
        error in a later part of the file (or a strict rejection) rolls the whole import back.
        Across parts, as within one batch: a model met again only fills its gaps, a score met
        again with other values is rejected with its twin.
        """
        batch = next(parts)
        earlier = self.find_import(batch.kind, batch.sha256, options)
        if earlier is not None:
            if strict and earlier.rows_rejected:
                raise RejectedRows(
                    f"{batch.path}: already imported as import {earlier.import_id} without "
                    f"--strict, with {earlier.rows_rejected} row(s) rejected; nothing changed"
                )
            return earlier
        if strict and batch.rejected:
            raise _strict_error(batch.path, batch.rejected)
        size = shadow.input_bytes(batch.path)
        if size >= shadow.threshold() and self.path.is_file():
            return self._apply_through_copy(batch, parts, strict, options, size)
        with self.transaction():
            return self._apply_parts(batch, parts, strict, options)

    def _apply_through_copy(
        self, batch: ImportBatch, parts: Iterator[ImportBatch], strict: bool, options: str,
        size: int,
    ) -> ImportResult:
        """Apply a large import to a copy of the store, each part committed, then swap it in
        (:mod:`.shadow`: memory bounded by a part, the store exactly before or after)."""
        original = self.con
        try:
            with shadow.shadow(self.path, original, size) as (con, limit):
                self.con = con
                facts.register_names(con)  # before any transaction a retried part rolls back
                con.begin()
                try:
                    result = self._apply_parts(batch, parts, strict, options, limit)
                except BaseException:
                    with suppress(duckdb.Error):
                        con.rollback()
                    raise
                con.commit()  # the empty transaction the last step left open
        finally:
            self.con = original
        original.close()  # it was left on the replaced file
        self.con = _connect(self.path, False, self._wait)
        return result

    def _step(self, step: Callable[[], _T], limit: shadow.Limit | None) -> _T:
        """Run one step of an import: a part, or its closing statements.

        On an import's copy (``limit`` given) the step is committed. When DuckDB runs out of
        the memory it was given, the step is rolled back and run again (it changes nothing
        outside the store until it returns): first after a checkpoint, then under a doubled
        limit. A part's writes dirty the blocks of every index it touches, which DuckDB
        cannot evict until they are written; so the copy is also checkpointed whenever DuckDB
        holds more than half its limit after a step (:meth:`shadow.Limit.crowded`).
        """
        if limit is None:
            return step()
        checkpointed = False  # whether the copy was checkpointed right before this try
        while True:
            try:
                out = step()
                self.con.commit()
            except duckdb.OutOfMemoryException:
                with suppress(duckdb.Error):
                    self.con.rollback()
                if checkpointed and not limit.grow(self.con):
                    raise
                self.con.execute("CHECKPOINT")
                checkpointed = True
                self.con.begin()
                continue
            if limit.crowded(self.con):
                self.con.execute("CHECKPOINT")
            self.con.begin()
            return out

    def _apply_parts(
        self, batch: ImportBatch, parts: Iterator[ImportBatch], strict: bool, options: str,
        limit: shadow.Limit | None = None,
    ) -> ImportResult:
        """Apply the first part ``batch`` and the rest of ``parts`` in the open transaction
        (on an import's copy, given its ``limit``: each part in its own, see :meth:`_step`)."""
        import_id = int(self._first("SELECT coalesce(max(import_id), 0) + 1 FROM imports")[0])
        rows_read = 0
        rejected = _Rejections()
        seen_models = SeenIds()
        # models are matched to those registered before this import began, so a streamed
        # import files each model as one batch would (not under a model an earlier part made)
        registered = self._resolver("model") if batch.kind != "csv" else {}
        for part in chain([batch], parts):
            rows_read += part.rows_read
            rejected.extend(part.rejected)
            if strict and rejected.count:
                raise _strict_error(batch.path, rejected.listed, rejected.count)
            apply = partial(self._apply_part, part, import_id, seen_models, registered)
            found, written = self._step(apply, limit)
            seen_models.update(written)
            rejected.extend(found)
            if strict and rejected.count:
                raise _strict_error(batch.path, rejected.listed, rejected.count)
        accepted = rows_read - rejected.count
        record = [
            import_id, batch.kind, batch.path, batch.sha256, options, rows_read, accepted,
            rejected.count, datetime.now(UTC).replace(tzinfo=None), __version__,
        ]  # fmt: skip
        for step in facts.refresh_steps(self.con) if seen_models else []:
            self._step(step, limit)  # the facts shown, once all parts' facts are in
        self._step(partial(self._close_import, record), limit)
        return ImportResult(
            import_id=import_id,
            kind=batch.kind,
            path=batch.path,
            sha256=batch.sha256,
            rows_read=rows_read,
            rows_accepted=accepted,
            rows_rejected=rejected.count,
            rejected=rejected.listed,
        )

    def _apply_part(
        self, part: ImportBatch, import_id: int, seen: SeenIds, registered: dict[str, str]
    ) -> tuple[list[Rejected], list[str]]:
        """Write one part; return its rejected rows and the ids of the models it wrote.

        Changes nothing but the store (``part`` is copied before tentative models are folded
        away), so a part rolled back can be applied again.
        """
        part = copy.copy(part)
        self._merge_tentative(part)
        written = self._upsert_models(part, import_id, seen, registered)
        self._upsert_benchmarks(part, import_id)
        self._check_ranges(part)
        return [
            *self._insert_scores(part, import_id)[1],
            *self._insert_responses(part, import_id)[1],
            *self._insert_downloads(part, import_id)[1],
            *self._insert_prices(part, import_id),
        ], written

    def _close_import(self, record: list[Any]) -> None:
        """Renormalise the scores and record the import."""
        self._refresh_normalized()
        self.con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", record)

    def _add_aliases(self, kind: str, pairs: list[tuple[str, str, int]]) -> None:
        """Insert (alias, target, priority) rows; a lower priority (the id itself) wins.

        Model aliases are also stored under their canonical key (:func:`canonical_key`, with
        a prefix so they never meet an exact key) at the lowest priority; where two models
        share a canonical key the smaller id keeps it, whatever the import order.
        """
        rows: dict[str, tuple[str, str, str, str, int]] = {}

        def add(key: str, alias: str, target: str, priority: int) -> None:
            if key not in rows or (priority, target) < (rows[key][4], rows[key][2]):
                rows[key] = (kind, key, target, alias, priority)

        for alias, target, priority in pairs:
            key = alias_key(alias)
            if not key:
                continue
            add(key, alias, target, priority)
            if kind == "model" and canonical_key(alias):
                add(_CANONICAL_PREFIX + canonical_key(alias), alias, target, _CANONICAL_PRIORITY)
        if not rows:
            return
        columns = ["kind", "alias_key", "target_id", "alias", "priority"]
        frame = staging.table(columns, rows.values())
        with staging.registered(self.con, "_alias_df", frame):
            self.con.execute(
            "INSERT INTO aliases SELECT * FROM _alias_df ON CONFLICT (kind, alias_key) DO UPDATE "
                "SET target_id = excluded.target_id, alias = excluded.alias, "
                "priority = excluded.priority WHERE excluded.priority < aliases.priority "
                f"OR (excluded.priority = {_CANONICAL_PRIORITY} "
                f"AND aliases.priority = {_CANONICAL_PRIORITY} "
                "AND excluded.target_id < aliases.target_id)"
            )

    def _merge_tentative(self, batch: ImportBatch) -> None:
        """Fold tentative model records that name a known model into it (see ModelRecord)."""
        if not any(r.tentative for r in batch.models):
            return
        models = self._resolver("model")
        kept: list[ModelRecord] = []
        aliases: list[tuple[str, str, int]] = []
        for record in batch.models:
            names = [record.model_id, record.name or "", *record.aliases]
            known = next((self._lookup(models, n) for n in names if n and self._lookup(models, n)),
                         None)  # fmt: skip
            if not record.tentative or known is None:
                kept.append(record)
                continue
            aliases.extend((n, known, 1) for n in names if n)
        batch.models = kept
        self._add_aliases("model", aliases)

    def _upsert_models(
        self,
        batch: ImportBatch,
        import_id: int,
        seen: SeenIds | None = None,
        registered: dict[str, str] | None = None,
    ) -> list[str]:
        """Insert or update the batch's models and return their ids; ``seen`` (ids an earlier
        part of this import wrote) only get their gaps filled, as a model listed twice in one
        batch does; ``registered`` is the model resolver as the import began (default: the
        store's now)."""
        if not batch.models:
            return []
        # opengap's own csv format states ids exactly; every other source's model is matched
        # to the models already registered (docs/data.md, "Alias rules").
        if registered is not None:
            known = registered
        else:
            known = self._resolver("model") if batch.kind != "csv" else {}
        merged: dict[str, dict[str, Any]] = {}
        aliases: list[tuple[str, str, int]] = []
        for record in batch.models:
            model_id = self._registered(known, record.model_id, effort=record.version_of is None)
            data = {c: getattr(record, c) for c in _MODEL_COLUMNS}
            data["model_id"] = model_id
            data["country"] = canonical_country(record.country)
            if record.version_of:
                version_of = self._registered(known, record.version_of, effort=True)
                data["version_of"] = None if version_of == model_id else version_of
            if model_id in merged:  # a source listing a model twice: fill the gaps
                for col, value in data.items():
                    if merged[model_id][col] is None:
                        merged[model_id][col] = value
            else:
                merged[model_id] = data
            aliases.append((model_id, model_id, 0))
            extra = [record.model_id] if record.model_id != model_id else []
            aliases.extend((a, model_id, 1) for a in [record.name or "", *extra, *record.aliases])
        met = seen.contains(list(merged)) if seen is not None else [False] * len(merged)
        again = {i: m for (i, m), was in zip(merged.items(), met, strict=True) if was}
        first = {i: m for (i, m), was in zip(merged.items(), met, strict=True) if not was}
        casts = _cast_select(_MODEL_COLUMNS, _MODEL_TYPES) + ", import_id"
        for records, newest_wins in ((first, True), (again, False)):
            if not records:
                continue
            frame = staging.table(
                [*_MODEL_COLUMNS, "import_id"],
                ([*(m[c] for c in _MODEL_COLUMNS), import_id] for m in records.values()),
            )
            pair = ("excluded.{c}, models.{c}") if newest_wins else ("models.{c}, excluded.{c}")
            updates = ", ".join(f"{c} = coalesce({pair.format(c=c)})" for c in _MODEL_COLUMNS[1:])
            with staging.registered(self.con, "_model_df", frame):
                self.con.execute(
                    f"INSERT INTO models SELECT {casts} FROM _model_df "
                    f"ON CONFLICT (model_id) DO UPDATE SET {updates}"
                )
        self._add_aliases("model", aliases)
        source = batch.fact_source or batch.kind
        facts.write_facts(self.con, first.items(), source, import_id)
        facts.write_facts(self.con, again.items(), source, import_id, fill_only=True)
        return list(merged)

    def _registered(self, known: dict[str, str], ref: str, *, effort: bool) -> str:
        """Return the id of the model already in the store that ``ref`` names, else ``ref``.

        Tries the exact id, its alias key, then its canonical key (organisation prefix,
        ``-Instruct``, quantisation tags and, with ``effort``, an effort suffix dropped).
        """
        found = known.get(f"\x00{ref}") or known.get(alias_key(ref))
        if found is None:
            found = known.get(_CANONICAL_PREFIX + canonical_key(ref, effort=effort))
        return found or ref

    def _upsert_benchmarks(self, batch: ImportBatch, import_id: int) -> None:
        if not batch.benchmarks:
            return
        merged: dict[str, dict[str, Any]] = {}
        aliases: list[tuple[str, str, int]] = []
        for record in batch.benchmarks:
            data = {c: getattr(record, c) for c in _BENCHMARK_COLUMNS}
            if record.benchmark_id in merged:
                for col, value in data.items():
                    if merged[record.benchmark_id][col] is None:
                        merged[record.benchmark_id][col] = value
            else:
                merged[record.benchmark_id] = data
            aliases.append((record.benchmark_id, record.benchmark_id, 0))
            aliases.extend(
                (a, record.benchmark_id, 1) for a in [record.name or "", *record.aliases]
            )
        frame = staging.table(
            [*_BENCHMARK_COLUMNS, "import_id"],
            ([*(b[c] for c in _BENCHMARK_COLUMNS), import_id] for b in merged.values()),
        )
        updates = ", ".join(
            f"{c} = coalesce(excluded.{c}, benchmarks.{c})" for c in _BENCHMARK_COLUMNS[1:]
        )
        casts = _cast_select(_BENCHMARK_COLUMNS, _BENCHMARK_TYPES) + ", import_id"
        columns = ", ".join([*_BENCHMARK_COLUMNS, "import_id"])
        with staging.registered(self.con, "_bench_df", frame):
            self.con.execute(
                f"INSERT INTO benchmarks ({columns}) SELECT {casts} FROM _bench_df "
                f"ON CONFLICT (benchmark_id) DO UPDATE SET {updates}"
            )
        self._add_aliases("benchmark", aliases)

    def _check_ranges(self, batch: ImportBatch) -> None:
        """Refuse a batch whose benchmarks' new ceiling or chance contradicts stored scores.

        Re-importing a benchmark with another ceiling re-checks its stored scores: when any
        lies above the new ceiling (or the chance level is no longer below it) the import
        raises :class:`ConflictingData` and, run inside the import's transaction, changes
        nothing. Scores are never silently clipped or dropped.
        """
        ids = sorted({b.benchmark_id for b in batch.benchmarks})
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        above = self.con.execute(
            "SELECT b.benchmark_id, coalesce(b.ceiling, 1.0), count(*), max(s.value) "
            "FROM scores s JOIN benchmarks b USING (benchmark_id) "
            f"WHERE b.benchmark_id IN ({marks}) AND (b.ceiling IS NOT NULL OR b.is_fraction) "
            "AND s.value > coalesce(b.ceiling, 1.0) + ? GROUP BY ALL ORDER BY 1 LIMIT 1",
            [*ids, _TOLERANCE],
        ).fetchall()
        if above:
            bench, top, n, highest = above[0]
            raise ConflictingData(
                f"{batch.path}: benchmark {bench!r} would get the ceiling {top:g}, but "
                f"{n} stored score(s) lie above it (highest {highest:g}); nothing imported "
                "(fix the ceiling, or remove those scores first)"
            )
        bad_chance = self.con.execute(
            "SELECT benchmark_id, chance, coalesce(ceiling, 1.0) FROM benchmarks "
            f"WHERE benchmark_id IN ({marks}) AND (ceiling IS NOT NULL OR is_fraction) "
            "AND chance >= coalesce(ceiling, 1.0) ORDER BY 1 LIMIT 1",
            ids,
        ).fetchall()
        if bad_chance:
            bench, chance, top = bad_chance[0]
            raise ConflictingData(
                f"{batch.path}: benchmark {bench!r} would get chance {chance:g} not below its "
                f"ceiling {top:g}; nothing imported"
            )

    def _resolver(self, kind: str, refs: set[str] | None = None) -> dict[str, str]:
        """Return a dict from ids and alias keys of ``kind`` to their id (for bulk lookups).

        With ``refs`` (the names a batch uses), only what those names can resolve to is
        loaded, so a large store or a streamed import never loads every alias.
        """
        table, id_col = _TABLE_OF[kind]
        if refs is None:
            aliases = self.con.execute(
                "SELECT alias_key, target_id FROM aliases WHERE kind = ?", [kind]
            ).fetchall()
            ids = self.con.execute(f"SELECT {id_col} FROM {table}").fetchall()
        else:
            names = sorted(refs)
            wanted = staging.table(["ref", "key"], ((r, alias_key(r)) for r in names))
            with staging.registered(self.con, "_ref_df", wanted):
                aliases = self.con.execute(
                    "SELECT alias_key, target_id FROM aliases "
                    "WHERE kind = ? AND alias_key IN (SELECT key FROM _ref_df)",
                    [kind],
                ).fetchall()
                ids = self.con.execute(
                    f"SELECT {id_col} FROM {table} WHERE {id_col} IN (SELECT ref FROM _ref_df)"
                ).fetchall()
        mapping = {str(k): str(t) for k, t in aliases}
        for (ident,) in ids:
            mapping[f"\x00{ident}"] = str(ident)
        return mapping

    @staticmethod
    def _lookup(mapping: dict[str, str], ref: str) -> str | None:
        return (
            mapping.get(f"\x00{ref}")
            or mapping.get(alias_key(ref))
            or mapping.get(_CANONICAL_PREFIX + canonical_key(ref))
        )

    def _insert_scores(self, batch: ImportBatch, import_id: int) -> tuple[int, list[Rejected]]:
        if not batch.scores:
            return 0, []
        models = self._resolver("model", {s.model for s in batch.scores})
        benches = self._resolver("benchmark", {s.benchmark for s in batch.scores})
        ranges = self._score_ranges()
        rows: dict[str, tuple[int, str, str]] = {}  # score key -> (index, model id, bench id)
        first: dict[str, str] = {}  # score key -> where the batch first gave it
        conflicts: dict[str, str] = {}  # score key -> why its rows disagree
        rejected: list[Rejected] = []
        for i, score in enumerate(batch.scores):
            where = score.row or f"{batch.path}: score {i + 1}"
            model_id = self._lookup(models, score.model)
            bench_id = self._lookup(benches, score.benchmark)
            if model_id is None:
                rejected.append(Rejected(where, f"unknown model {score.model!r}"))
                continue
            if bench_id is None:
                rejected.append(Rejected(where, f"unknown benchmark {score.benchmark!r}"))
                continue
            top = ranges.get(bench_id)
            if top is not None and not -_TOLERANCE <= score.value <= top + _TOLERANCE:
                rejected.append(
                    Rejected(where, f"value {score.value:g} outside [0, {top:g}] of {bench_id!r}")
                )
                continue
            key = score_key(model_id, bench_id, score)
            if key in rows:  # the same score twice: identical is kept once, else both rejected
                differ = _disagreement(batch.scores[rows[key][0]], score)
                if differ:
                    conflicts.setdefault(key, differ)
                    rejected.append(Rejected(where, f"conflicts with {first[key]}: {differ}"))
                continue
            rows[key], first[key] = (i, model_id, bench_id), where
        for key, differ in conflicts.items():
            del rows[key]
            rejected.append(Rejected(first[key], f"conflicts with a later row: {differ}"))
        rejected.extend(self._drop_earlier_parts(batch, rows, import_id))
        updates = ", ".join(f"{c} = excluded.{c}" for c in _SCORE_COLUMNS[3:])
        keys = list(rows)
        for start in range(0, len(keys), _FRAME_ROWS):  # bounded frames for large imports
            frame = self._score_frame(batch, rows, keys[start : start + _FRAME_ROWS], import_id)
            with staging.registered(self.con, "_score_df", frame):
                self.con.execute(self._score_insert_sql(updates))
        return len(rows), rejected

    @staticmethod
    def _score_frame(
        batch: ImportBatch, rows: dict[str, tuple[int, str, str]], keys: list[str],
        import_id: int,
    ) -> pa.Table:
        records = []
        for key in keys:
            index, model_id, bench_id = rows[key]
            score = batch.scores[index]
            data = {c: getattr(score, c, None) for c in _SCORE_COLUMNS}
            # model_ref keeps the model's name exactly as the source published it.
            data.update(
                score_key=key, model_id=model_id, benchmark_id=bench_id,
                model_ref=score.model_ref or score.model,
            )  # fmt: skip
            records.append([*data.values(), import_id])
        return staging.table([*_SCORE_COLUMNS, "import_id"], records)

    def _drop_earlier_parts(
        self, batch: ImportBatch, rows: dict[str, tuple[int, str, str]], import_id: int
    ) -> list[Rejected]:
        """Compare scores an earlier part of this import stored with this part's twins.

        A twin with the same values is dropped from ``rows`` (kept once); one that disagrees
        is dropped and the stored one deleted, both rejected. Only a streamed import has
        earlier parts; for one batch this finds nothing.
        """
        if not rows or not self._first("SELECT 1 FROM scores WHERE import_id = ? LIMIT 1",
                                       [import_id]):  # fmt: skip
            return []
        keys = staging.table(["score_key"], ((k,) for k in rows))
        with staging.registered(self.con, "_key_df", keys):
            stored = self.con.execute(
                "SELECT score_key, value, stderr, n_items, eval_date FROM scores "
                "JOIN _key_df USING (score_key) WHERE import_id = ?",
                [import_id],
            ).fetchall()
        rejected = []
        for key, value, stderr, n_items, eval_date in stored:
            score = batch.scores[rows.pop(key)[0]]
            twin = ScoreRecord(model="", benchmark="", value=value, stderr=stderr,
                               n_items=n_items, eval_date=eval_date)  # fmt: skip
            differ = _disagreement(twin, score)
            if differ:
                self.con.execute("DELETE FROM scores WHERE score_key = ?", [key])
                where = score.row or batch.path
                rejected.append(Rejected(where, f"conflicts with an earlier row: {differ}"))
                rejected.append(Rejected(f"{batch.path}: the earlier row", differ))
        return rejected

    def _score_ranges(self) -> dict[str, float]:
        """Return the top of the value range of each benchmark whose range is known.

        A benchmark's values lie in [0, ceiling]; a fraction benchmark without a ceiling in
        [0, 1]. A benchmark of unknown scale (no ceiling, not marked a fraction) has no entry.
        """
        rows = self.con.execute(
            "SELECT benchmark_id, coalesce(ceiling, 1.0) FROM benchmarks "
            "WHERE ceiling IS NOT NULL OR is_fraction"
        ).fetchall()
        return {str(bench_id): float(top) for bench_id, top in rows}

    @staticmethod
    def _score_insert_sql(updates: str) -> str:
        select = ", ".join(
            f"CAST({c} AS {_SCORE_TYPES[c]}) AS {c}" if c in _SCORE_TYPES else c
            for c in _SCORE_COLUMNS
        )
        columns = ", ".join([*_SCORE_COLUMNS, "import_id"])
        return (
            f"INSERT INTO scores ({columns}) SELECT {select}, import_id FROM _score_df "
            f"ON CONFLICT (score_key) DO UPDATE SET {updates}, import_id = excluded.import_id"
        )

    def _insert_responses(
        self, batch: ImportBatch, import_id: int
    ) -> tuple[int, list[Rejected]]:
        if not batch.responses:
            return 0, []
        models, benches = self._resolver("model"), self._resolver("benchmark")
        rows: dict[tuple[str, str, str, str], tuple[Any, ...]] = {}
        rejected: list[Rejected] = []
        for r in batch.responses:
            model_id = self._lookup(models, r.model)
            bench_id = self._lookup(benches, r.benchmark)
            if model_id is None or bench_id is None:
                what = f"model {r.model!r}" if model_id is None else f"benchmark {r.benchmark!r}"
                rejected.append(Rejected(f"{batch.path}: item {r.item_id}", f"unknown {what}"))
                continue
            rows[(model_id, bench_id, r.item_id, r.harness)] = (
                model_id, bench_id, r.item_id, r.harness, float(r.score), r.cost, r.api_calls,
                import_id,
            )  # fmt: skip
        if rows:
            columns = ["model_id", "benchmark_id", "item_id", "harness", "score", "cost",
                       "api_calls", "import_id"]  # fmt: skip
            frame = staging.table(columns, rows.values())  # Arrow, not pandas objects
            with staging.registered(self.con, "_resp_df", frame):
                self.con.execute(
                    "INSERT INTO responses SELECT CAST(model_id AS VARCHAR), "
                    "CAST(benchmark_id AS VARCHAR), CAST(item_id AS VARCHAR), "
                    "CAST(harness AS VARCHAR), CAST(score AS DOUBLE), CAST(cost AS DOUBLE), "
                    "CAST(api_calls AS INTEGER), CAST(import_id AS INTEGER) FROM _resp_df "
                    "ON CONFLICT (model_id, benchmark_id, item_id, harness) DO UPDATE SET "
                    "score = excluded.score, cost = excluded.cost, "
                    "api_calls = excluded.api_calls, import_id = excluded.import_id"
                )
        return len(rows), rejected

    def _insert_downloads(
        self, batch: ImportBatch, import_id: int
    ) -> tuple[int, list[Rejected]]:
        if not batch.downloads:
            return 0, []
        models = self._resolver("model")
        rows = []
        rejected: list[Rejected] = []
        for d in batch.downloads:
            model_id = self._lookup(models, d.model)
            if model_id is None:
                rejected.append(Rejected(f"{batch.path}: {d.model}", f"unknown model {d.model!r}"))
                continue
            rows.append((model_id, d.date, int(d.cumulative_downloads), d.source or "", import_id,
                         d.where or f"{batch.path}: {d.model}"))
        if rows:
            frame = pd.DataFrame(rows, columns=["model_id", "date", "cumulative_downloads",
                                                "source", "import_id", "row"])  # fmt: skip
            self.con.register("_dl_df", frame)
            try:
                self._check_downloads_monotone()
                self.con.execute(
                    "INSERT INTO downloads SELECT model_id, CAST(date AS DATE), "
                    "cumulative_downloads, source, import_id FROM _dl_df "
                    "ON CONFLICT (model_id, date, source) DO UPDATE SET "
                    "cumulative_downloads = excluded.cumulative_downloads"
                )
            finally:
                self.con.unregister("_dl_df")
        return len(rows), rejected

    def _check_downloads_monotone(self) -> None:
        """Refuse new cumulative counts (``_dl_df``) that go below the store's earlier ones.

        A new count lower than one stored for an earlier date of the same model, or higher
        than one stored for a later date, means a cumulative count decreased: the import
        raises :class:`ConflictingData` naming the row (a stored row the new one replaces,
        same model, date and source, is not compared).
        """
        found = self.con.execute(
            "WITH new AS (SELECT model_id, CAST(date AS DATE) AS date, cumulative_downloads, "
            "source, row FROM _dl_df), "
            "old AS (SELECT d.* FROM downloads d WHERE d.model_id IN (SELECT model_id FROM new) "
            "AND NOT EXISTS (SELECT 1 FROM new n WHERE n.model_id = d.model_id "
            "AND n.date = d.date AND n.source = d.source)) "
            "SELECT n.row, n.model_id, n.date, n.cumulative_downloads, o.date, "
            "o.cumulative_downloads, o.import_id FROM new n JOIN old o ON o.model_id = n.model_id "
            "AND ((o.date < n.date AND o.cumulative_downloads > n.cumulative_downloads) OR "
            "(o.date > n.date AND o.cumulative_downloads < n.cumulative_downloads)) "
            "ORDER BY n.model_id, n.date, o.date LIMIT 1"
        ).fetchall()
        if not found:
            return
        row, model_id, when, count, stored_date, stored, stored_import = found[0]
        order = "earlier" if stored_date < when else "later"
        raise ConflictingData(
            f"{row}: cumulative downloads of {model_id!r} on {when.isoformat()} ({count}) "
            f"contradict the {stored} the store holds for the {order} date "
            f"{stored_date.isoformat()} (import {stored_import}); cumulative counts cannot "
            "decrease, nothing imported"
        )

    def _insert_prices(self, batch: ImportBatch, import_id: int) -> list[Rejected]:
        if not batch.prices:
            return []
        models = self._resolver("model")
        rows: dict[tuple[str, Any, str], tuple[Any, ...]] = {}
        rejected: list[Rejected] = []
        for p in batch.prices:
            model_id = self._lookup(models, p.model)
            if model_id is None:
                rejected.append(Rejected(f"{batch.path}: {p.model}", f"unknown model {p.model!r}"))
                continue
            rows[(model_id, p.date, p.source or "")] = (
                model_id, p.date, p.source or "", p.input_usd_per_m, p.output_usd_per_m,
                p.blended_usd_per_m, import_id,
            )  # fmt: skip
        if rows:
            frame = pd.DataFrame(
                list(rows.values()),
                columns=[
                    "model_id", "date", "source", "input_usd_per_m", "output_usd_per_m",
                    "blended_usd_per_m", "import_id",
                ],
            ).astype({c: "float64" for c in ("input_usd_per_m", "output_usd_per_m",
                                              "blended_usd_per_m")})
            self.con.register("_price_df", frame)
            self.con.execute(
                "INSERT INTO prices SELECT model_id, CAST(date AS DATE), source, input_usd_per_m, "
                "output_usd_per_m, blended_usd_per_m, import_id FROM _price_df "
                "ON CONFLICT (model_id, date, source) DO UPDATE SET "
                "input_usd_per_m = excluded.input_usd_per_m, "
                "output_usd_per_m = excluded.output_usd_per_m, "
                "blended_usd_per_m = excluded.blended_usd_per_m, import_id = excluded.import_id"
            )
            self.con.unregister("_price_df")
        return rejected

    def _refresh_normalized(self) -> None:
        """Recompute every score's normalized value from its benchmark's chance and ceiling."""
        self.con.execute(
            """
            UPDATE scores SET normalized = CASE
                WHEN b.is_fraction = FALSE AND b.ceiling IS NULL THEN NULL
                ELSE greatest(0.0, least(1.0,
                    (scores.value - coalesce(b.chance, 0.0))
                    / nullif(coalesce(b.ceiling, 1.0) - coalesce(b.chance, 0.0), 0)))
                END
            FROM benchmarks b WHERE b.benchmark_id = scores.benchmark_id
            """
        )


_CANONICAL_PREFIX = "~"  # canonical keys in ``aliases`` (never an alias_key, which is [0-9a-z])
_CANONICAL_PRIORITY = 2
_TABLE_OF = {"model": ("models", "model_id"), "benchmark": ("benchmarks", "benchmark_id")}
_TOLERANCE = 1e-9  # float noise allowed at the ends of a benchmark's value range
_FRAME_ROWS = 20_000  # scores per DataFrame handed to DuckDB (bounds an import's memory)

_MODEL_TYPES = {
    "release_date": "DATE", "params_total_b": "DOUBLE", "params_active_b": "DOUBLE",
    "reasoning": "BOOLEAN", "training_compute_flop": "DOUBLE",
}  # fmt: skip
_BENCHMARK_TYPES = {
    "n_items": "INTEGER", "chance": "DOUBLE", "ceiling": "DOUBLE", "public": "BOOLEAN",
    "is_fraction": "BOOLEAN", "release_date": "DATE", "composite": "BOOLEAN",
}  # fmt: skip
_SCORE_TYPES = {
    "value": "DOUBLE", "stderr": "DOUBLE", "n_items": "INTEGER", "eval_date": "DATE",
    "trusted": "BOOLEAN", "cost_per_task_usd": "DOUBLE",
}  # fmt: skip


def _disagreement(earlier: ScoreRecord, later: ScoreRecord) -> str | None:
    """Return how two rows of the same score differ in what they measure, or None."""
    for column in ("value", "stderr", "n_items", "eval_date"):
        a, b = getattr(earlier, column), getattr(later, column)
        if a != b:
            return (
                f"same model, benchmark, source, row id, setting and harness but {column} "
                f"{_shown(a)} vs {_shown(b)}"
            )
    return None


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cast_select(columns: list[str], types: dict[str, str]) -> str:
    return ", ".join(
        f"CAST({c} AS {types[c]}) AS {c}" if c in types else f"CAST({c} AS VARCHAR) AS {c}"
        for c in columns
    )


def _strict_error(path: str, rejected: list[Rejected], count: int | None = None) -> RejectedRows:
    first = rejected[0]
    return RejectedRows(
        f"{path}: {count or len(rejected)} row(s) rejected under --strict, nothing imported "
        f"(first: {first.row}: {first.reason})"
    )


def _too_new(path: Path, version: int) -> str:
    return (
        f"{path}: store schema version {version} is newer than this opengap "
        f"understands ({SCHEMA_VERSION}); upgrade opengap"
    )
