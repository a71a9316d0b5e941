"""The dashboard's read-only view of one store: library calls, serialised and cached per fit.

The store is opened read-only, so the dashboard never fits or imports: without a stored fit,
pages that need one answer :class:`opengap.errors.NoFit` with a hint. Results are cached by fit
id (the data cannot change under a read-only connection); the slow ones (breakdowns and
sensitivity, which refit) are computed on first request. One lock serialises access to the
DuckDB connection, which is not safe to share between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from opengap import catalog, fitting
from opengap import gap as gap_lib
from opengap.errors import NoFit, OpengapError
from opengap.report.data import COMPARE_BOOTSTRAP, IMPORT_COLUMNS, ReportData
from opengap.store import Store
from opengap.web import cards
from opengap.web.params import ModelFilters

T = TypeVar("T")


class Dashboard:
    """Cached, serialised library calls over one store opened read-only.

    Parameters
    ----------
    db : str or Path, optional
        The store (default: ``OPENGAP_DB`` or the user data directory).
    """

    def __init__(self, db: str | Path | None = None) -> None:
        self.store = Store(db, read_only=True)
        self.lock = threading.RLock()
        self._cache: dict[tuple[Any, ...], Any] = {}

    def close(self) -> None:
        """Close the store."""
        with self.lock:
            self.store.close()

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        with self.lock:
            if key not in self._cache:
                self._cache[key] = compute()
            value: T = self._cache[key]
            return value

    # ------------------------------------------------------------------ fit and gap
    def fit_id(self) -> str:
        """Return the latest fit's id, or raise :class:`NoFit` with what to run."""
        with self.lock:
            found = fitting.latest_fit_id(self.store)
        if found is None:
            raise NoFit(
                "the store holds no fit yet; run `opengap fit` (or `opengap report`) on it, "
                "then restart the dashboard"
            )
        return found

    def fit(self) -> fitting.FitResult:
        """Return the latest stored fit."""
        fit_id = self.fit_id()
        return self._cached(("fit", fit_id), lambda: fitting.load_fit(self.store, fit_id))

    def fit_or_none(self) -> fitting.FitResult | None:
        """Return the latest stored fit, or None when there is none."""
        try:
            return self.fit()
        except NoFit:
            return None

    def gap(self, by: str = "weights", method: str = "lag") -> dict[str, Any]:
        """Return :func:`opengap.gap.gap` on the latest fit as ``to_dict()``."""
        fit_id = self.fit_id()
        return self._cached(
            ("gap", fit_id, by, method),
            lambda: gap_lib.gap(self.store, fit_id=fit_id, by=by, method=method).to_dict(),
        )

    def breakdowns(self) -> dict[str, pd.DataFrame]:
        """Return :func:`opengap.gap.breakdowns` on the latest fit."""
        fit_id = self.fit_id()
        return self._cached(("breakdowns", fit_id),
                            lambda: gap_lib.breakdowns(self.store, fit_id=fit_id))  # fmt: skip

    def sensitivity(self) -> dict[str, Any]:
        """Return :func:`opengap.gap.sensitivity` on the latest fit as ``to_dict()``."""
        fit_id = self.fit_id()
        return self._cached(
            ("sensitivity", fit_id),
            lambda: gap_lib.sensitivity(self.store, fit_id=fit_id).to_dict(),
        )

    def compare(self) -> dict[str, Any]:
        """Return :func:`opengap.gap.compare` on the store as ``to_dict()`` (cached per fit)."""
        fit_id = self.fit_id()
        return self._cached(
            ("compare", fit_id),
            lambda: gap_lib.compare(self.store, bootstrap=COMPARE_BOOTSTRAP).to_dict(),
        )

    def report_data(
        self, *, breakdowns: bool = False, sensitivity: bool = False, compare: bool = False
    ) -> ReportData:
        """Return a :class:`ReportData` for the report's section templates.

        Only the parts asked for are computed; the others are left empty.
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
        with self.lock:
            imports = self.store.query(
                f"SELECT {', '.join(IMPORT_COLUMNS)} FROM imports ORDER BY import_id"
            )
            counts = self.store.counts()
        return ReportData(
            fit=fit, gap=self.gap(), breakdowns=parts, sensitivity=sens, imports=imports,
            counts=counts, generated_at=str(fit.provenance.get("created_at") or ""),
            problems=problems, compare=chain,
        )  # fmt: skip

    # ------------------------------------------------------------------ catalogue
    def models(self, filters: ModelFilters) -> pd.DataFrame:
        """Return the explorer's table for ``filters`` (capabilities from the latest fit)."""
        fit = self.fit_or_none()
        with self.lock:
            frame = catalog.list_models(
                self.store, weights=filters.weights, organization=filters.organization,
                country=filters.country, license_class=filters.license_class,
                search=filters.search,
            )  # fmt: skip
            versions = self.store.query(
                "SELECT model_id, version_of FROM models WHERE version_of IS NOT NULL"
            )
        version_of = pd.Series(versions["version_of"].to_numpy(),
                               index=versions["model_id"].astype(str))  # fmt: skip
        return cards.explorer_table(frame, None if fit is None else fit.models, filters,
                                    version_of=version_of)  # fmt: skip

    def model(self, ref: str) -> dict[str, Any]:
        """Return one model's facts, card, and scores (``ref`` may be an id or an alias)."""
        with self.lock:
            model_id = self.store.resolve_model(ref)
        table = self.models(ModelFilters(search=None))
        rows = table.loc[table["model_id"].astype(str) == model_id]
        row = {str(k): v for k, v in rows.iloc[0].to_dict().items()} if len(rows) else {
            "model_id": model_id
        }
        fit = self.fit_or_none()
        with self.lock:
            scores = catalog.list_scores(self.store, model=model_id)
            finetunes = self.store.query(
                "SELECT count(*) AS n FROM models WHERE base_model_id = ?", [model_id]
            )
            extra = self.store.query(
                "SELECT base_model_id, reasoning, notes FROM models WHERE model_id = ?",
                [model_id],
            )
        if len(extra):
            row.update({str(k): v for k, v in extra.iloc[0].to_dict().items()})
        unit = "logits" if fit is not None and fit.scale == "raw" else "points"
        card = cards.model_card(
            row, None if fit is None else fit.models, n_finetunes=int(finetunes["n"].iloc[0]),
            unit=unit,
        )  # fmt: skip
        return {"model": row, "card": card, "scores": scores,
                "fit_id": None if fit is None else fit.fit_id}  # fmt: skip

    def benchmarks(self) -> pd.DataFrame:
        """Return the catalogue's benchmarks with the latest fit's difficulty and slope."""
        fit = self.fit_or_none()
        with self.lock:
            frame = catalog.list_benchmarks(self.store)
        if fit is None:
            return frame.assign(difficulty=None, slope=None, n_observations=None)
        params = fit.benchmarks[["benchmark_id", "difficulty", "slope", "n_observations"]]
        return frame.merge(params, on="benchmark_id", how="left")
