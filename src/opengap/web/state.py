"""The dashboard's view of one store: short-lived read-only connections, cached per store state.

The dashboard never holds the store file. Each request first looks at the file (its size and
modification time, a ``stat``); only when those changed does it open a read-only connection for
a cheap query (row counts, the latest import and fit) that names the store's *state*. Every
result and every rendered page is cached under that state, so a new import or fit from the CLI
shows up on the next request, without a restart, and nothing is recomputed while the store
stays the same. While another process writes the store, the last results are served.

Slow work runs in the background (:mod:`opengap.web.jobs`) on a private copy of the store, so
neither the file nor the request path is held for it: sensitivity and breakdowns (which refit
the scale per benchmark or domain) and, for a store without a fit, the fit itself, which is
computed on the copy and then saved into the store in one short write.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd

from opengap import cards as cards_lib
from opengap import catalog, fitting
from opengap import gap as gap_lib
from opengap.cards import ModelCard
from opengap.costs import FrontierResult
from opengap.errors import NoFit, OpengapError, StoreInUse
from opengap.report.data import COMPARE_BOOTSTRAP, IMPORT_COLUMNS, ReportData, cost_frontiers
from opengap.store import Store
from opengap.store.location import resolve_db_path
from opengap.web import cards
from opengap.web.jobs import Job, Jobs
from opengap.web.params import ModelFilters

T = TypeVar("T")

CACHE_SIZE = 512
"""Most results and pages kept per store state (least recently used dropped first)."""
READ_WAIT = 1.0
"""Seconds a request waits for a store another process is writing before serving the last
results (or a "busy" page when there are none)."""
NO_FIT = (
    "the store holds no fit yet; run `opengap fit` on it (the dashboard shows it without a "
    "restart) or press Fit on the dashboard's overview page"
)


class Computing(Exception):
    """A slow result is being computed in the background; the page says so and refreshes."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"{job.name}: computing")
        self.job = job


@dataclass(frozen=True)
class _Failed:
    """A cached failure: raised again, as the same library error class, on every request."""

    kind: type[OpengapError]
    message: str


@dataclass(frozen=True)
class StoreState:
    """What names the store's content: row counts, the latest import and the latest fit."""

    catalogue: tuple[Any, ...]
    fit_id: str | None
    n_fits: int


class Dashboard:
    """Cached library calls over one store, opened read-only and only briefly.

    Parameters
    ----------
    db : str or Path, optional
        The store (default: ``OPENGAP_DB`` or the user data directory); it must exist.
    """

    def __init__(self, db: str | Path | None = None) -> None:
        self.path = resolve_db_path(db)
        self._lock = threading.RLock()
        self._stat: tuple[Any, ...] | None = None
        self._state: StoreState | None = None
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._last: dict[tuple[Any, ...], Any] = {}
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}
        self.jobs = Jobs()
        self.state()  # a missing or unreadable store fails here, before serving

    def close(self) -> None:
        """Stop the background worker (the store is never held open)."""
        self.jobs.shutdown()

    # ------------------------------------------------------------------ the store
    @contextmanager
    def connect(self) -> Iterator[Store]:
        """Yield a read-only connection to the store, closed at the end of the block."""
        store = Store(self.path, read_only=True, lock_wait=READ_WAIT)
        try:
            yield store
        finally:
            store.close()

    def _file_stat(self) -> tuple[Any, ...]:
        stats: list[tuple[int, int, int] | None] = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                info = path.stat()
            except FileNotFoundError:
                stats.append(None)
            else:
                stats.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stats)

    def unchanged_state(self) -> StoreState | None:
        """Return the state last read if the file has not changed since (a ``stat``, no
        query), else None."""
        stat = self._file_stat()
        with self._lock:
            return self._state if stat == self._stat else None

    def state(self) -> StoreState:
        """Return the store's state, re-read (one cheap query) only when the file changed."""
        stat = self._file_stat()
        with self._lock:
            if stat == self._stat and self._state is not None:
                return self._state
        try:
            with self.connect() as store:
                state = StoreState(
                    catalogue=fitting.catalogue_state(store),
                    fit_id=fitting.latest_fit_id(store),
                    n_fits=int(store.query("SELECT count(*) AS n FROM fits")["n"].iloc[0]),
                )
        except StoreInUse:
            with self._lock:
                if self._state is None:
                    raise
                return self._state  # being written: keep serving what we had
        with self._lock:
            if state != self._state:
                self._cache.clear()
            self._stat, self._state = stat, state
        return state

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Yield a private read-write copy of the store, for background work.

        The copy is taken while a read-only connection is open (so no writer is midway), which
        holds the file for milliseconds instead of for the whole computation.
        """
        with tempfile.TemporaryDirectory(prefix="opengap-dashboard-") as folder:
            copy = Path(folder) / self.path.name
            with self.connect():
                shutil.copy2(self.path, copy)
                wal = self.path.with_name(self.path.name + ".wal")
                if wal.exists():
                    shutil.copy2(wal, copy.with_name(copy.name + ".wal"))
            with Store(copy) as store:
                yield store

    # ------------------------------------------------------------------ caching
    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Return ``compute()`` for ``key`` under the current store state, computed once.

        Concurrent requests for the same key wait for one computation. While the store is
        being written by another process, the last value computed for ``key`` is returned.
        """
        state = self.state()
        full = (state, *key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return cast(T, self._unwrap(self._cache[full]))
            gate = self._computing.setdefault(full, threading.Lock())
        with gate:
            with self._lock:
                if full in self._cache:
                    return cast(T, self._unwrap(self._cache[full]))
            try:
                value: Any = compute()
            except StoreInUse:
                with self._lock:
                    if key in self._last:
                        return cast(T, self._unwrap(self._last[key]))
                raise
            except (NoFit, Computing):
                raise
            except OpengapError as exc:
                value = _Failed(type(exc), str(exc))
            finally:
                with self._lock:
                    self._computing.pop(full, None)
            with self._lock:
                self._cache[full] = self._last[key] = value
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
                if len(self._last) > CACHE_SIZE:
                    self._last.clear()
        return cast(T, self._unwrap(value))

    @staticmethod
    def _unwrap(value: Any) -> Any:
        if isinstance(value, _Failed):
            raise value.kind(value.message)
        return value

    def background(self, name: str, key: tuple[Any, ...], work: Callable[[Store], T]) -> T:
        """Return ``work(copy)`` computed in the background on a copy of the store.

        Raises :class:`Computing` (with the job) until the result is ready; a failure is
        cached like a result (raised as the library's one-line error).
        """
        state = self.state()
        full = (state, *key)
        with self._lock:
            if full in self._cache:
                return cast(T, self._unwrap(self._cache[full]))

        def run(job: Job) -> T:
            with self.snapshot() as copy:
                return work(copy)

        job = self.jobs.start(name, full, run)
        if job.status == "running":
            raise Computing(job)
        value: Any = job.result if job.status == "done" else _Failed(
            job.error_kind, job.error or "failed"
        )
        with self._lock:
            self._cache[full] = self._last[key] = value
        self.jobs.forget(full)
        return cast(T, self._unwrap(value))

    # ------------------------------------------------------------------ fitting on request
    def start_fit(self) -> Job:
        """Fit the default preset in the background (if the store still has no fit)."""
        state = self.state()

        def run(job: Job) -> str:
            with self.snapshot() as copy:
                result = fitting.run_fit(copy, preset="default", save=False,
                                         progress=job.progress)  # fmt: skip
            with Store(self.path) as store:  # one short write; waits if the CLI holds it
                fitting.save_fit(store, result)
            return result.fit_id

        return self.jobs.start("fit", ("fit", state.catalogue), run)

    def fit_job(self) -> Job | None:
        """Return the latest fit started from the dashboard, if any."""
        return self.jobs.latest("fit")

    # ------------------------------------------------------------------ fit and gap
    def fit_id(self) -> str:
        """Return the latest fit's id, or raise :class:`NoFit` with what to do."""
        found = self.state().fit_id
        if found is None:
            raise NoFit(NO_FIT)
        return found

    def fit(self) -> fitting.FitResult:
        """Return the latest stored fit."""
        fit_id = self.fit_id()

        def load() -> fitting.FitResult:
            with self.connect() as store:
                return fitting.load_fit(store, fit_id)

        return self.cached(("fit", fit_id), load)

    def fit_or_none(self) -> fitting.FitResult | None:
        """Return the latest stored fit, or None when there is none."""
        try:
            return self.fit()
        except NoFit:
            return None

    def gap(self, by: str = "weights", method: str = "lag") -> dict[str, Any]:
        """Return :func:`opengap.gap.gap` on the latest fit as ``to_dict()``.

        The gap by domain refits the scale per domain, so it is computed in the background
        (:class:`Computing` until ready); every other grouping and method is quick.
        """
        fit_id = self.fit_id()
        key = ("gap", fit_id, by, method)
        if by == "domain" and method == "lag":
            return self.background("gap by domain", key, lambda copy: gap_lib.gap(
                copy, fit_id=fit_id, by=by, method=method).to_dict())  # fmt: skip

        def compute() -> dict[str, Any]:
            with self.connect() as store:
                return gap_lib.gap(store, fit_id=fit_id, by=by, method=method).to_dict()

        return self.cached(key, compute)

    def breakdowns(self) -> dict[str, pd.DataFrame]:
        """Return :func:`opengap.gap.breakdowns` on the latest fit (computed in the background)."""
        fit_id = self.fit_id()
        return self.background("breakdowns", ("breakdowns", fit_id),
                               lambda copy: gap_lib.breakdowns(copy, fit_id=fit_id))  # fmt: skip

    def sensitivity(self) -> dict[str, Any]:
        """Return :func:`opengap.gap.sensitivity` as ``to_dict()`` (computed in the background)."""
        fit_id = self.fit_id()
        return self.background(
            "sensitivity", ("sensitivity", fit_id),
            lambda copy: gap_lib.sensitivity(copy, fit_id=fit_id).to_dict(),
        )  # fmt: skip

    def compare(self) -> dict[str, Any]:
        """Return :func:`opengap.gap.compare` as ``to_dict()`` (computed in the background)."""
        fit_id = self.fit_id()
        return self.background(
            "compare", ("compare", fit_id),
            lambda copy: gap_lib.compare(copy, bootstrap=COMPARE_BOOTSTRAP).to_dict(),
        )  # fmt: skip

    def costs(self) -> tuple[dict[str, FrontierResult], dict[str, str]]:
        """Return the cost and size frontiers on the latest fit (:func:`cost_frontiers`).

        The second value says why a frontier that could not be computed is left out, by
        ``frontier-<by>``.
        """
        fit_id = self.fit_id()

        def compute() -> tuple[dict[str, FrontierResult], dict[str, str]]:
            problems: dict[str, str] = {}
            with self.connect() as store:
                return cost_frontiers(store, fit_id, problems), problems

        return self.cached(("costs", fit_id), compute)

    def report_data(
        self, *, breakdowns: bool = False, sensitivity: bool = False, compare: bool = False,
        costs: bool = False,
    ) -> ReportData:
        """Return a :class:`ReportData` for the report's section templates.

        Only the parts asked for are computed; the others are left empty. A part still being
        computed raises :class:`Computing`.
        """
        fit = self.fit()
        problems: dict[str, str] = {}
        parts: dict[str, pd.DataFrame] = {}
        sens: dict[str, Any] | None = None
        if breakdowns:
            try:
                parts = self.breakdowns()
            except OpengapError as exc:
                problems["breakdowns"] = str(exc)
        if sensitivity:
            try:
                sens = self.sensitivity()
            except OpengapError as exc:
                problems["sensitivity"] = str(exc)
        chain: dict[str, Any] | None = None
        if compare:
            try:
                chain = self.compare()
            except OpengapError as exc:
                problems["compare"] = str(exc)

        def read() -> tuple[pd.DataFrame, dict[str, int]]:
            with self.connect() as store:
                imports = store.query(
                    f"SELECT {', '.join(IMPORT_COLUMNS)} FROM imports ORDER BY import_id"
                )
                return imports, store.counts()

        frontiers: dict[str, FrontierResult] = {}
        if costs:
            frontiers, failed = self.costs()
            problems.update(failed)
        imports, counts = self.cached(("imports",), read)
        return ReportData(
            fit=fit, gap=self.gap(), breakdowns=parts, sensitivity=sens, imports=imports,
            counts=counts, generated_at=str(fit.provenance.get("created_at") or ""),
            problems=problems, compare=chain, frontiers=frontiers,
        )  # fmt: skip

    # ------------------------------------------------------------------ catalogue
    def models(self, filters: ModelFilters) -> pd.DataFrame:
        """Return the explorer's table for ``filters`` (capabilities from the latest fit)."""
        return self.cached(("models", filters), lambda: self._models(filters))

    def _models(self, filters: ModelFilters) -> pd.DataFrame:
        fit = self.fit_or_none()
        with self.connect() as store:
            frame = catalog.list_models(
                store, weights=filters.weights, organization=filters.organization,
                country=filters.country, license_class=filters.license_class,
                search=filters.search,
            )  # fmt: skip
            versions = store.query(
                "SELECT model_id, version_of FROM models WHERE version_of IS NOT NULL"
            )
        version_of = pd.Series(versions["version_of"].to_numpy(),
                               index=versions["model_id"].astype(str))  # fmt: skip
        return cards.explorer_table(frame, None if fit is None else fit.models, filters,
                                    version_of=version_of)  # fmt: skip

    def card(self, ref: str) -> ModelCard:
        """Return :func:`opengap.cards.card` of ``ref`` (an id or alias) on the latest fit."""
        return self.cached(("card", ref), lambda: self._card(ref))

    def _card(self, ref: str) -> ModelCard:
        fit = self.fit_or_none()
        with self.connect() as store:
            return cards_lib.card(store, ref, fit=fit)

    def model(self, ref: str) -> dict[str, Any]:
        """Return one model's explorer row, its card (:meth:`card`) and the fit's id."""
        return self.cached(("model", ref), lambda: self._model(ref))

    def _model(self, ref: str) -> dict[str, Any]:
        card = self.card(ref)
        table = self.models(ModelFilters(search=None))
        rows = table.loc[table["model_id"].astype(str) == card.model_id]
        row = {str(k): v for k, v in rows.iloc[0].to_dict().items()} if len(rows) else {
            "model_id": card.model_id
        }
        return {"model": row, "card": card, "fit_id": card.fit_id}

    def benchmarks(self) -> pd.DataFrame:
        """Return the catalogue's benchmarks with the latest fit's difficulty and slope."""
        return self.cached(("benchmarks",), self._benchmarks)

    def _benchmarks(self) -> pd.DataFrame:
        fit = self.fit_or_none()
        with self.connect() as store:
            frame = catalog.list_benchmarks(store)
        if fit is None:
            return frame.assign(difficulty=None, slope=None, n_observations=None)
        params = fit.benchmarks[["benchmark_id", "difficulty", "slope", "n_observations"]]
        return frame.merge(params, on="benchmark_id", how="left")
