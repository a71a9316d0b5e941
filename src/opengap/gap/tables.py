"""The tables the gap verbs measure: a stored fit's models or one benchmark's best scores.

Each row is a dated model with a value and, where known, bootstrap (or sampling) draws;
:class:`Curation` leaves out fine-tunes and models matching patterns.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from opengap.analysis.reports import Context, Table, weights_masks
from opengap.analysis.sensitivity import align_scale
from opengap.analysis.transforms import transform
from opengap.errors import BadArgument, NoFit
from opengap.gap.facts import current_facts, freshness_fields
from opengap.gap.progress import Progress, fit_progress
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting


TRUST = ("all", "no-suspect", "trusted")
N_SCORE_DRAWS = 1000
_TABLE_COLUMNS = [
    "model_id", "name", "release_date", "weights", "country", "organization",
    "params_total_b", "license_class",
]  # fmt: skip


def open_closed(table: Table, context: Context) -> tuple[Table, Table]:
    closed, opened = weights_masks(table)
    where = f"on {context.benchmark}" if context.benchmark else "in the fit"
    if not opened.any():
        raise BadArgument(f"no open-weights models with a release date {where}")
    if not closed.any():
        raise BadArgument(f"no closed models with a release date {where}")
    return table.subset(closed), table.subset(opened)


@dataclasses.dataclass(frozen=True)
class Curation:
    """Which models to leave out of the frontiers: fine-tunes, and models matching patterns."""

    exclude_finetunes: bool = False
    exclude: tuple[str, ...] = ()

    def keep(self, store: Store, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Return a mask of the rows of ``frame`` to keep and notes on what was left out."""
        keep = np.ones(len(frame), dtype=bool)
        notes: list[str] = []
        if self.exclude_finetunes:
            finetune = _is_finetune(store, frame["model_id"]).to_numpy(bool)
            notes.append(f"fine-tunes left out: {int((finetune & keep).sum())}")
            keep &= ~finetune
        if self.exclude:
            ids = frame["model_id"].astype(str).str.lower()
            names = frame.get("name", frame["model_id"]).astype(object).map(
                lambda v: str(v).lower() if v is not None else "")
            hit = np.zeros(len(frame), dtype=bool)
            for pattern in self.exclude:
                p = pattern.lower()
                hit |= np.asarray([fnmatch.fnmatchcase(a, p) or fnmatch.fnmatchcase(b, p)
                                   for a, b in zip(ids, names, strict=True)], dtype=bool)
            notes.append(f"models matching {', '.join(self.exclude)} left out: "
                         f"{int((hit & keep).sum())}")
            keep &= ~hit
        return keep, notes


def fit_table(
    store: Store,
    *,
    fit_id: str | None = None,
    curation: Curation | None = None,
    progress: Progress | None = None,
) -> tuple[Table, Context]:
    """Return the table of a stored fit's models (value = capability, draws = bootstrap draws).

    With no fit in the store and no ``fit_id``, fits the default preset and saves it.
    """
    fit = load_or_fit(store, fit_id=fit_id, progress=progress)
    return table_from_fit(store, fit, curation=curation)


def load_or_fit(
    store: Store, *, fit_id: str | None = None, progress: Progress | None = None
) -> fitting.FitResult:
    """Return the fit ``fit_id`` (default the latest); with none stored, fit the default preset."""
    from opengap import fitting

    try:
        return fitting.load_fit(store, fit_id)
    except NoFit:
        if fit_id is not None:
            raise
    return fitting.run_fit(store, preset="default", progress=fit_progress(progress, "fit"))


def table_from_fit(
    store: Store | None,
    fit: fitting.FitResult,
    *,
    curation: Curation | None = None,
    align_to: fitting.FitResult | None = None,
) -> tuple[Table, Context]:
    models = fit.models.copy()
    for column in _TABLE_COLUMNS:
        if column not in models.columns:
            models[column] = None
    fact_notes: list[str] = []
    if store is not None:
        models, fact_notes = current_facts(
            store, models, fit.fit_id, _TABLE_COLUMNS, grouped=fit.config.group_versions
        )
    intercept, slope = alignment(fit, align_to)
    models["value"] = intercept + slope * models["capability"].astype(float)
    draws = None if fit.draws is None else intercept + slope * np.asarray(fit.draws)
    notes: list[str] = []
    if curation is not None:
        if store is None:
            raise TypeError("curation needs the store")
        keep, notes = curation.keep(store, models)
        models = models.loc[keep].reset_index(drop=True)
        draws = None if draws is None else np.asarray(draws)[:, keep]
    table = Table.build(models, draws)
    context = Context(
        fit_id=fit.fit_id, unit=_unit(fit.scale), n_models=len(table.frame),
        n_draws=0 if table.draws is None else int(table.draws.shape[0]),
        notes=tuple(fact_notes + notes), **freshness_fields(store),
    )  # fmt: skip
    return table, context


def alignment(
    fit: fitting.FitResult, reference: fitting.FitResult | None
) -> tuple[float, float]:
    """Return (a, b) mapping ``fit``'s values onto ``reference``'s units (identity for eci)."""
    if reference is None or (fit.scale == "eci" and reference.scale == "eci"):
        return 0.0, 1.0
    shared = fit.models[["model_id", "capability"]].merge(
        reference.models[["model_id", "capability"]], on="model_id", suffixes=("", "_ref"))
    return align_scale(shared["capability"], shared["capability_ref"])


def _unit(scale: str | None) -> str:
    return "logits" if scale == "raw" else "points"


def _is_finetune(store: Store, model_ids: pd.Series) -> pd.Series:
    frame = store.query("SELECT model_id FROM models WHERE base_model_id IS NOT NULL")
    finetunes = set(frame["model_id"].astype(str))
    return model_ids.astype(str).isin(finetunes)


def benchmark_table(
    store: Store,
    benchmark: str,
    *,
    transform: str = "none",
    trust: str = "all",
    curation: Curation | None = None,
    seed: int = 0,
) -> tuple[Table, Context]:
    """Return the table of one benchmark's raw scores: each model's best score, transformed.

    Draws come from each score's sampling error: its ``stderr`` when published, otherwise the
    binomial √(p(1−p)/n) with the score's (or the benchmark's) item count; a score with neither
    has no spread. ``N_SCORE_DRAWS`` normal draws, clipped to [0, 1] for fraction benchmarks,
    then transformed.
    """
    benchmark_id = store.resolve_benchmark(benchmark)
    frame = store.query(
        "SELECT s.model_id, s.value, s.stderr, coalesce(s.n_items, b.n_items) AS n_items, "
        "s.trusted, b.is_fraction, m.name, m.release_date, m.weights, m.country, "
        "m.organization, m.params_total_b, m.license_class, m.base_model_id "
        "FROM scores s JOIN models m USING (model_id) JOIN benchmarks b USING (benchmark_id) "
        "WHERE s.benchmark_id = ?",
        [benchmark_id],
    )
    notes: list[str] = []
    flag = frame["trusted"].astype("boolean")
    if trust == "no-suspect":
        suspect = flag.eq(False).fillna(False).to_numpy(bool)
        notes.append(f"untrusted scores dropped: {int(suspect.sum())}")
        frame = frame.loc[~suspect]
    elif trust == "trusted":
        trusted = flag.eq(True).fillna(False).to_numpy(bool)
        notes.append(f"scores not flagged trusted dropped: {int((~trusted).sum())}")
        frame = frame.loc[trusted]
    if curation is not None:
        models = frame.drop_duplicates("model_id")
        keep, more = curation.keep(store, models)
        notes += more
        frame = frame.loc[frame["model_id"].isin(models.loc[keep, "model_id"])]
    best = (frame.sort_values(["model_id", "value"], ascending=[True, False])
            .drop_duplicates("model_id").reset_index(drop=True))
    raw = best["value"].to_numpy(dtype=float)
    best["value"] = _transform(raw, transform, benchmark)
    draws = _score_draws(best.assign(value=raw), transform, seed)
    table = Table.build(best, draws)
    dropped = len(best) - len(table.frame)
    if dropped:
        notes.append(f"models without a release date left out: {dropped}")
    unit = {"none": "score", "neglog1m": "nats"}[transform]
    context = Context(
        benchmark=benchmark_id, transform=transform, unit=unit, n_models=len(table.frame),
        n_draws=0 if table.draws is None else int(table.draws.shape[0]), notes=tuple(notes),
        **freshness_fields(store),
    )  # fmt: skip
    if len(table.frame) == 0:
        raise BadArgument(f"benchmark {benchmark_id!r} has no scores of dated models")
    return table, context


def _transform(values: np.ndarray, kind: str, benchmark: str) -> np.ndarray:
    try:
        return transform(values, kind)
    except BadArgument as exc:
        raise BadArgument(f"{benchmark}: {exc}") from None


def _score_draws(frame: pd.DataFrame, kind: str, seed: int) -> np.ndarray | None:
    p = frame["value"].to_numpy(dtype=float)
    fraction = frame["is_fraction"].astype(object).map(lambda v: v is not False).to_numpy(bool)
    stderr = pd.to_numeric(frame["stderr"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(frame["n_items"], errors="coerce").to_numpy(dtype=float)
    binomial = np.where(fraction & (n > 0) & (p >= 0) & (p <= 1),
                        np.sqrt(np.clip(p * (1 - p), 0, None) / np.where(n > 0, n, 1)), np.nan)
    se = np.where(np.isfinite(stderr), stderr, binomial)
    se = np.where(np.isfinite(se), se, 0.0)
    if not (se > 0).any():
        return None
    rng = np.random.default_rng(seed)
    draws = p + rng.standard_normal((N_SCORE_DRAWS, p.size)) * se
    draws = np.where(fraction, np.clip(draws, 0.0, 1.0), draws)
    return transform(draws, kind)
