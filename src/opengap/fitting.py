"""Library verbs for the capability scale: :func:`run_fit`, :func:`fit_observations` and more.

``run_fit`` selects a preset's observations from the store, fits them
(:class:`opengap.fit.CapabilityEstimator`), maps the result to the reported scale, and saves it
keyed by a hash of the data and the resolved configuration. ``fit_observations`` does the same on
an in-memory observation table (no store), so sensitivity refits are cheap. The gap engine, the
report and the dashboard read fits through :func:`load_fit`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import subprocess
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opengap import __version__
from opengap.errors import BadConfiguration, NoFit, SchemaVersionError, UnknownModel
from opengap.fit.config import (
    ECI_ANCHORS,
    ELO_REFERENCE_VALUE,
    PRESETS,
    FitConfig,
    resolve_config,
)
from opengap.fit.diagnostics import group_bias, group_rmse
from opengap.fit.estimator import CapabilityEstimator
from opengap.fit.identify import identified_groups
from opengap.fit.scales import ScaleMap, make_scale
from opengap.fit.selection import OBS_COLUMNS, UNIT_COLUMNS, Selection, select
from opengap.names import alias_key
from opengap.store import Store
from opengap.store import fits as fit_store

FORMAT_VERSION = 1
"""Version of the stored fit format; :func:`load_fit` rejects versions it does not know."""

Progress = Callable[[int, int], None]
AnchorSpec = Sequence[tuple[str, float]] | Mapping[str, float] | None
Anchors = tuple[tuple[int, float], ...]

MODEL_COLUMNS = [
    *UNIT_COLUMNS, "capability", "capability_raw", "ci_low", "ci_high", "se_laplace",
    "n_benchmarks", "is_anchor", "rmse", "cv_rmse", "poor_fit",
]  # fmt: skip
_JSON_MODEL_KEYS = (
    "model_id", "name", "release_date", "weights", "capability", "ci_low", "ci_high",
    "n_benchmarks", "se_laplace", "is_anchor", "poor_fit",
)  # fmt: skip
BENCHMARK_COLUMNS = [
    "benchmark_id", "name", "domain", "difficulty", "difficulty_raw", "slope",
    "n_observations", "rmse", "is_pinned",
]  # fmt: skip


@dataclass
class FitResult:
    """A fitted capability scale and where it came from.

    Attributes
    ----------
    fit_id : str
        Hash of the observations and the resolved configuration (16 hex digits).
    preset : str
        The preset the configuration started from.
    scale : str
        The reported scale actually used: ``raw``, ``eci`` or ``elo``.
    config : FitConfig
        The configuration (``config.to_dict()`` for JSON); ``dataclasses.replace`` it and call
        :func:`refit` for variations.
    provenance : dict
        Run id, UTC time, opengap version, git commit, imports used (ids, kinds, paths,
        sha256s), row counts after each filter, resolved pin and anchors, explicit options.
    models : DataFrame
        One row per fitted model (or model group), sorted by capability, descending: model_id,
        name, release_date, weights, organization, country, params_total_b, license_class,
        capability (reported scale), capability_raw (logits, pinned benchmark D = 0),
        ci_low/ci_high (bootstrap 5th/95th percentiles; NaN for anchors and without bootstrap),
        se_laplace (reported scale), n_benchmarks, is_anchor, rmse, cv_rmse, poor_fit.
    benchmarks : DataFrame
        benchmark_id, name, domain, difficulty (reported scale), difficulty_raw, slope,
        n_observations, rmse, is_pinned.
    draws : ndarray or None
        Bootstrap draws of capability on the reported scale, shape (n_draws, n_models), columns
        aligned with the rows of ``models``.
    sse, objective : float
        Σ(p − y)² over the observations; the minimised objective.
    n_models, n_benchmarks, n_observations : int
        Sizes of the fitted data.
    fit_seconds, bootstrap_seconds : float
        The optimisation alone; all bootstrap refits together.
    diagnostics : dict
        Residual RMSE overall and cross-validated, poorly fitted models, solver report.
    offsets : DataFrame
        harness, offset (logits), n_observations, is_reference, identified — empty unless
        harness offsets were fitted; categories the data cannot separate from difficulties or
        capabilities are fitted as the reference and listed with identified False, offset NaN.
    observations : DataFrame
        The fitted data: model_id, benchmark_id, score, n_items, harness, predicted, residual,
        cv_predicted.
    notes : list of str
        Things a reader must know (anchors without interval, scale fallbacks…).
    anchors : list of dict
        The anchor models used: model_id and value.
    """

    fit_id: str
    preset: str
    scale: str
    config: FitConfig
    provenance: dict[str, Any]
    models: pd.DataFrame
    benchmarks: pd.DataFrame
    draws: np.ndarray | None
    sse: float
    objective: float
    n_models: int
    n_benchmarks: int
    n_observations: int
    fit_seconds: float
    bootstrap_seconds: float
    diagnostics: dict[str, Any] = field(default_factory=dict)
    offsets: pd.DataFrame = field(default_factory=pd.DataFrame)
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    anchors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, top: int | None = None) -> dict[str, Any]:
        """Return the JSON shape of ``opengap fit --json`` (models limited to ``top`` if given)."""
        models = self.models if top is None else self.models.head(top)
        return {
            "fit_id": self.fit_id,
            "preset": self.preset,
            "scale": self.scale,
            "n_models": self.n_models,
            "n_benchmarks": self.n_benchmarks,
            "n_observations": self.n_observations,
            "sse": self.sse,
            "fit_seconds": self.fit_seconds,
            "bootstrap_seconds": self.bootstrap_seconds,
            "n_draws": 0 if self.draws is None else int(self.draws.shape[0]),
            "anchors": self.anchors,
            "notes": self.notes,
            "models": [
                {k: _json(r[k]) for k in _JSON_MODEL_KEYS}
                for r in models.to_dict(orient="records")
            ],
            "benchmarks": [
                {k: _json(r[k]) for k in ("benchmark_id", "difficulty", "slope", "n_observations")}
                for r in self.benchmarks.to_dict(orient="records")
            ],
            "offsets": [
                {str(k): _json(v) for k, v in r.items()}
                for r in self.offsets.to_dict(orient="records")
            ],
            "diagnostics": _json(self.diagnostics),
            "config": self.config.to_dict(),
        }


# --------------------------------------------------------------------------- store verbs
def run_fit(
    store: Store,
    *,
    preset: str = "default",
    scale: str | None = None,
    anchors: AnchorSpec = None,
    bootstrap: int | None = None,
    pin_benchmark: str | None = None,
    loss: str | None = None,
    benchmarks: Sequence[str] | None = None,
    min_benchmarks: int | None = None,
    seed: int | None = None,
    save: bool = True,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the capability scale on the store's scores with a preset and optional overrides.

    Parameters
    ----------
    store : Store
        The catalogue.
    preset : {"default", "eci", "epoch-stitching"}
        Starting configuration (see ``docs/fit.md``).
    scale : {"raw", "eci", "elo"}, optional
        Reported scale; default the preset's (``default``: eci when its anchors are present).
    anchors : sequence of (model, value) or mapping, optional
        Anchor models (ids or aliases): two for eci, one for elo.
    bootstrap : int, optional
        Bootstrap refits (0 = none); default the preset's.
    pin_benchmark : str, optional
        Benchmark (id or alias) pinned at D = 0, α = 1; default the preset's.
    loss : {"lsq", "binomial"}, optional
        The loss; default the preset's.
    benchmarks : sequence of str, optional
        Restrict to these benchmarks (ids or aliases).
    min_benchmarks : int, optional
        Least number of benchmarks a model needs.
    seed : int, optional
        Seed of the start values and the bootstrap; default the preset's.
    save : bool
        Store the fit (keyed by its fit id).
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.

    Returns
    -------
    FitResult

    Raises
    ------
    BadConfiguration, UnknownModel, UnknownBenchmark, UnidentifiedFit
        A configuration that cannot be honoured, with a one-line reason.

    Examples
    --------
    >>> result = run_fit(store, preset="epoch-stitching")  # doctest: +SKIP
    >>> result.models[["model_id", "capability"]].head()  # doctest: +SKIP
    """
    options: dict[str, Any] = {"scale": scale, "bootstrap": bootstrap, "loss": loss}
    options.update(min_benchmarks=min_benchmarks, seed=seed)
    if anchors is not None:
        options["anchors"] = _anchor_pairs(anchors)
    if pin_benchmark is not None:
        options["pin_benchmark"] = store.resolve_benchmark(pin_benchmark)
    if benchmarks is not None:
        options["benchmarks"] = tuple(store.resolve_benchmark(b) for b in benchmarks)
    config = resolve_config(preset, **options)
    return refit(store, config, save=save, progress=progress)


def refit(
    store: Store, config: FitConfig, *, save: bool = False, progress: Progress | None = None
) -> FitResult:
    """Fit the store's scores with a complete configuration (by default without saving).

    The gap engine's sensitivity analyses call this with a stored fit's ``config`` changed by
    ``dataclasses.replace`` (another benchmark subset, harness offsets, no bootstrap).
    """
    config = config.validate()
    result = refit_catalogue(Catalogue.read(store, config), config, progress=progress)
    if save:
        save_fit(store, result)
    return result


@dataclass(frozen=True)
class Catalogue:
    """What a refit reads from the store, read once: tables, imports and resolved anchor names.

    Refits from a ``Catalogue`` touch no database, so the gap engine can run them in worker
    processes.
    """

    scores: pd.DataFrame
    models: pd.DataFrame
    benchmarks: pd.DataFrame
    imports: pd.DataFrame
    names: Mapping[str, str | None]
    """Model name -> model id (or None) for every anchor name a fit may look up."""

    @classmethod
    def read(cls, store: Store, *configs: FitConfig) -> Catalogue:
        """Read the catalogue tables and resolve the anchor names ``configs`` may use."""
        for config in configs:
            for ref, _ in config.anchors:
                store.resolve_model(ref)  # an unknown name fails here, with suggestions
        refs = {ref for config in configs for ref, _ in config.anchors}
        refs |= {ref for group, _ in ECI_ANCHORS for ref in group}
        scores, models, benches = fit_store.catalogue_frames(store)
        return cls(
            scores=scores, models=models, benchmarks=benches,
            imports=fit_store.imports_table(store, None),
            names={ref: store.resolve("model", ref) for ref in sorted(refs)},
        )  # fmt: skip


def refit_catalogue(
    catalogue: Catalogue,
    config: FitConfig,
    *,
    progress: Progress | None = None,
    n_jobs: int | None = None,
) -> FitResult:
    """Fit a :class:`Catalogue` with ``config`` (validated); no database is touched.

    ``n_jobs`` is the number of bootstrap worker processes (default: every usable core).
    """
    config = config.validate()
    if catalogue.scores.empty:
        raise BadConfiguration("the store holds no scores; import some first (opengap import …)")
    selection = select(
        catalogue.scores.copy(), catalogue.models.copy(), catalogue.benchmarks.copy(), config
    )
    if selection.observations.empty:
        raise BadConfiguration(
            f"no scores are left after the {config.preset!r} preset's filters "
            f"({_count_note(selection.counts)})"
        )

    def resolver(ref: str) -> str | None:
        found = catalogue.names.get(ref)
        if found is None:
            return None
        return selection.model_to_unit.get(found, found)

    imports = catalogue.imports
    return fit_observations(
        selection.observations,
        config,
        models_meta=selection.units,
        benchmarks_meta=catalogue.benchmarks,
        resolve_model=resolver,
        progress=progress,
        n_jobs=n_jobs,
        _selection=selection,
        _imports=imports.loc[imports["import_id"].isin(selection.import_ids)].reset_index(
            drop=True
        ),
    )


def catalogue_state(store: Store) -> tuple[Any, ...]:
    """Return a key that changes whenever the store's catalogue changes (for caching refits)."""
    return fit_store.catalogue_state(store)


def load_fit(store: Store, fit_id: str | None = None) -> FitResult:
    """Return the stored fit ``fit_id`` (a unique prefix will do), or the latest one.

    Raises :class:`NoFit` when there is none, and :class:`SchemaVersionError` for a fit stored
    by a newer opengap.
    """
    wanted = fit_id if fit_id is not None else fit_store.latest_fit_id(store)
    if wanted is None:
        raise NoFit("the store holds no fit yet; run `opengap fit` first")
    row = fit_store.load_fit_row(store, wanted)
    if row is None:
        raise NoFit(f"no stored fit {wanted!r}")
    return _from_stored(row)


def latest_fit_id(store: Store) -> str | None:
    """Return the id of the most recently saved fit, or None."""
    return fit_store.latest_fit_id(store)


FIT_LIST_COLUMNS = [
    "fit_id", "preset", "scale", "created_at", "n_models", "n_benchmarks", "best_open",
    "best_open_capability", "best_closed", "best_closed_capability", "headline",
]  # fmt: skip


def list_fits(store: Store) -> pd.DataFrame:
    """Return every stored fit, newest first, with a one-line headline each.

    Columns: :data:`FIT_LIST_COLUMNS`. The headline names the best closed and the best open
    model of the fit with their capability (on the fit's scale); the gap itself is
    ``opengap gap --fit-id ID``.
    """
    frame = fit_store.fit_overview(store)
    headlines = []
    for row in frame.itertuples(index=False):
        unit = "logits" if row.scale == "raw" else "points"
        parts = [
            f"best {side} {name} {_number(value, unit)}"
            for side, name, value in (("closed", row.best_closed, row.best_closed_capability),
                                      ("open", row.best_open, row.best_open_capability))
            if isinstance(name, str)
        ]  # fmt: skip
        headlines.append("; ".join(parts) if parts else "no open or closed model fitted")
    return frame.assign(headline=headlines)[FIT_LIST_COLUMNS]


def _number(value: Any, unit: str) -> str:
    if value is None or not np.isfinite(float(value)):
        return "(no capability)"
    return f"{float(value):.1f} {unit}" if unit == "points" else f"{float(value):.3f} {unit}"


def fit_pairs(store: Store, fit: FitResult) -> pd.DataFrame:
    """Return the (model_id, benchmark_id) pairs a fit was fitted on."""
    del store
    return fit.observations[["model_id", "benchmark_id"]].drop_duplicates().reset_index(drop=True)


def save_fit(store: Store, result: FitResult) -> None:
    """Store ``result`` keyed by its fit id (an earlier fit with the same id is replaced)."""
    caps = result.models.assign(
        n_benchmarks=result.models["n_benchmarks"].astype(int),
        is_anchor=result.models["is_anchor"].astype(bool),
    )
    row = fit_store.StoredFit(
        fit_id=result.fit_id,
        created_at=datetime.now(UTC).replace(tzinfo=None),
        preset=result.preset,
        scale=result.scale,
        config=json.dumps(_json(result.config.to_dict())),
        provenance=json.dumps(_json(result.provenance)),
        summary=json.dumps(_json(_summary(result))),
        draws=_draws_bytes(result.draws),
    )
    fit_store.save_fit(store, row, caps, result.benchmarks)


# --------------------------------------------------------------------------- in-memory fit
def fit_observations(
    obs: pd.DataFrame,
    config: FitConfig,
    *,
    models_meta: pd.DataFrame | None = None,
    benchmarks_meta: pd.DataFrame | None = None,
    resolve_model: Callable[[str], str | None] | None = None,
    progress: Progress | None = None,
    n_jobs: int | None = None,
    _selection: Selection | None = None,
    _imports: pd.DataFrame | None = None,
) -> FitResult:
    """Fit an in-memory observation table; nothing is read from or written to a store.

    Parameters
    ----------
    obs : DataFrame
        Columns model_id, benchmark_id, score (fraction), and optionally n_items and harness.
        Scores outside [0, 1] are clipped to [0.001, 0.999]; rows without a score are dropped.
    config : FitConfig
        The configuration (``resolve_config(...)`` or a stored fit's ``config``); its data
        selection fields are not applied here (the table is taken as the data), except
        ``benchmarks`` and ``exclude_benchmarks``.
    models_meta : DataFrame, optional
        Model metadata by model_id (name, release_date, weights, …) copied into the result.
    benchmarks_meta : DataFrame, optional
        Benchmark metadata by benchmark_id (name, domain).
    resolve_model : callable, optional
        Maps an anchor reference to a model id of the table (None if unknown); by default
        references are matched to ids and names, ignoring case and punctuation.
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.
    n_jobs : int, optional
        Bootstrap worker processes (default: every usable core; 1 runs in this process).

    Returns
    -------
    FitResult
    """
    config = config.validate()
    data = _prepare(obs, config)
    units = sorted(data["model_id"].unique())
    benches = sorted(data["benchmark_id"].unique())
    m_idx = pd.Index(units).get_indexer(data["model_id"])
    b_idx = pd.Index(benches).get_indexer(data["benchmark_id"])
    notes: list[str] = []
    pin = _pin_index(config, benches, b_idx, notes)
    groups, group_names, offset_ref, folded = _offset_groups(
        config, data, (m_idx, b_idx, len(units), len(benches), pin), notes
    )
    meta = _units_meta(units, models_meta)
    est = CapabilityEstimator(
        loss=config.loss,
        ridge=config.ridge,
        identification=config.identification,
        pin_benchmark=pin,
        init_scale=config.init_scale,
        seed=config.seed,
        n_bootstrap=config.bootstrap,
        cv_folds=config.cv_folds,
        n_jobs=n_jobs,
        progress=progress,
    ).fit(
        m_idx,
        b_idx,
        data["score"].to_numpy(dtype=np.float64),
        n_models=len(units),
        n_benchmarks=len(benches),
        n_items=data["n_items"].to_numpy(dtype=np.float64),
        offset_group=groups,
        n_groups=len(group_names) if groups is not None else 0,
        model_labels=units,
        benchmark_labels=benches,
        group_labels=group_names,
    )
    resolver = resolve_model or _table_resolver(units, meta)
    kind, anchor_idx, anchor_list = _resolve_scale(config, units, meta, resolver, notes)
    scale_map = make_scale(
        kind, est.capability_, anchor_idx, reference_value=ELO_REFERENCE_VALUE
    )
    models = _models_frame(est, scale_map, units, meta, m_idx, config, notes)
    order = np.argsort(-models["capability"].to_numpy(dtype=np.float64), kind="stable")
    draws = None
    if est.draws_ is not None:
        ok = est.draws_converged_ if est.draws_converged_ is not None else slice(None)
        draws = scale_map.apply_draws(est.draws_[ok])[:, order]
        failed = int(len(est.draws_) - len(draws))
        if failed:
            notes.append(f"{failed} bootstrap refit(s) did not converge and were left out")
    models = models.iloc[order].reset_index(drop=True)
    bench_frame = _benchmarks_frame(est, scale_map, benches, b_idx, benchmarks_meta, pin)
    offsets = _offsets_frame(est, group_names, groups, offset_ref, folded, data)
    observations = data[OBS_COLUMNS].copy()
    observations["predicted"] = est.predicted_
    observations["residual"] = est.residual_
    observations["cv_predicted"] = est.cv_predicted_ if est.cv_predicted_ is not None else np.nan
    diagnostics = _diagnostics(est, models, config)
    if anchor_list and kind in ("eci", "elo"):
        names = ", ".join(f"{a['model_id']} = {a['value']:g}" for a in anchor_list)
        notes.append(f"anchor models ({names}) are fixed by definition and get no interval")
    fit_id = _fit_id(data, config, kind, anchor_list, benches[pin])
    provenance = _provenance(config, data, _selection, _imports, benches[pin], anchor_list)
    return FitResult(
        fit_id=fit_id,
        preset=config.preset,
        scale=kind,
        config=config,
        provenance=provenance,
        models=models,
        benchmarks=bench_frame,
        draws=draws,
        sse=est.sse_,
        objective=est.objective_,
        n_models=len(units),
        n_benchmarks=len(benches),
        n_observations=len(data),
        fit_seconds=est.fit_seconds_,
        bootstrap_seconds=est.bootstrap_seconds_,
        diagnostics=diagnostics,
        offsets=offsets,
        observations=observations,
        notes=notes,
        anchors=anchor_list,
    )


# --------------------------------------------------------------------------- helpers: input
def _prepare(obs: pd.DataFrame, config: FitConfig) -> pd.DataFrame:
    missing = [c for c in ("model_id", "benchmark_id", "score") if c not in obs.columns]
    if missing:
        raise BadConfiguration(f"observation table lacks column(s) {', '.join(missing)}")
    data = obs.copy()
    for col in ("n_items", "harness"):
        if col not in data.columns:
            data[col] = np.nan if col == "n_items" else None
    data["model_id"] = data["model_id"].astype(str)
    data["benchmark_id"] = data["benchmark_id"].astype(str)
    data["score"] = pd.to_numeric(data["score"], errors="coerce").astype(float)
    data["n_items"] = pd.to_numeric(data["n_items"], errors="coerce").astype(float)
    data = data.loc[np.isfinite(data["score"].to_numpy())]
    if config.benchmarks is not None:
        data = data.loc[data["benchmark_id"].isin(config.benchmarks)]
    if config.exclude_benchmarks:
        data = data.loc[~data["benchmark_id"].isin(config.exclude_benchmarks)]
    if data.empty:
        raise BadConfiguration("no scores to fit: the observation table is empty")
    score = data["score"].to_numpy(dtype=np.float64).copy()
    score[score < 0.0] = 0.001
    score[score > 1.0] = 0.999
    data["score"] = score
    out: pd.DataFrame = data.reset_index(drop=True)
    return out


def _pin_index(config: FitConfig, benches: list[str], b_idx: np.ndarray, notes: list[str]) -> int:
    counts = np.bincount(b_idx, minlength=len(benches))
    most = int(np.argmax(counts))
    if config.pin_benchmark is None:
        return most
    if config.pin_benchmark in benches:
        return benches.index(config.pin_benchmark)
    if "pin_benchmark" in config.explicit:
        raise BadConfiguration(f"pin benchmark {config.pin_benchmark!r} has no scores in this fit")
    notes.append(
        f"the preset's pin benchmark {config.pin_benchmark!r} has no scores here; pinned "
        f"{benches[most]!r} (most observations) instead"
    )
    return most


def _offset_groups(
    config: FitConfig,
    data: pd.DataFrame,
    idx: tuple[np.ndarray, np.ndarray, int, int, int],
    notes: list[str],
) -> tuple[np.ndarray | None, list[str], str | None, list[str]]:
    """Harness categories as offset groups: the most common one is the reference.

    Categories whose offset the data cannot identify (their scores share no benchmark or no
    model with the reference) are folded into the reference and listed as not identified.
    """
    if config.offsets != "harness":
        return None, [], None, []
    labels = data["harness"].map(lambda h: "unknown" if h is None or h != h else str(h))
    counts = labels.value_counts(sort=True)
    names = sorted(counts.index, key=lambda h: (-int(counts[h]), h))
    m_idx, b_idx, n_models, n_benchmarks, pin = idx
    folded: list[str] = []
    while True:
        kept = [n for n in names if n not in folded]
        groups = pd.Index(kept).get_indexer(labels).astype(np.intp)
        groups[groups < 0] = 0  # folded categories count as the reference
        ok = identified_groups(
            m_idx, b_idx, groups, n_models, n_benchmarks, len(kept), pin=pin
        )
        if ok.all():
            break
        folded += [kept[i] for i in np.flatnonzero(~ok)]
    if folded:
        shown = ", ".join(repr(f) for f in folded[:5]) + (" …" if len(folded) > 5 else "")
        notes.append(
            f"harness categor{'y' if len(folded) == 1 else 'ies'} {shown} cannot be separated "
            f"from the difficulties or capabilities (no shared benchmark or model with "
            f"{names[0]!r}); treated as {names[0]!r}"
        )
    if len(kept) < 2:
        notes.append("harness offsets asked for, but no second harness category is identified")
        return None, [], None, folded
    return groups, kept, kept[0], folded


def _units_meta(units: list[str], models_meta: pd.DataFrame | None) -> pd.DataFrame:
    base = pd.DataFrame({"model_id": units})
    if models_meta is None or models_meta.empty:
        meta = base
    else:
        cols = [c for c in UNIT_COLUMNS if c in models_meta.columns]
        meta = base.merge(
            models_meta[cols].drop_duplicates("model_id"), on="model_id", how="left"
        )
    for col in UNIT_COLUMNS:
        if col not in meta.columns:
            meta[col] = None
    out: pd.DataFrame = meta[UNIT_COLUMNS].astype(object)
    cleaned: pd.DataFrame = out.where(out.notna(), None)
    return cleaned


def _anchor_pairs(anchors: AnchorSpec) -> tuple[tuple[str, float], ...]:
    if anchors is None:
        return ()
    items = anchors.items() if isinstance(anchors, Mapping) else anchors
    out = []
    for ref, value in items:
        try:
            out.append((str(ref), float(value)))
        except (TypeError, ValueError) as exc:
            raise BadConfiguration(f"anchor {ref!r}: value {value!r} is not a number") from exc
    return tuple(out)


def parse_anchor(text: str) -> tuple[str, float]:
    """Parse ``MODEL=VALUE`` (as given to ``--anchor``) into (model, value)."""
    model, sep, value = text.rpartition("=")
    if not sep or not model.strip():
        raise BadConfiguration(f"anchor {text!r} is not of the form MODEL=VALUE")
    try:
        return model.strip(), float(value)
    except ValueError as exc:
        raise BadConfiguration(f"anchor {text!r}: {value!r} is not a number") from exc


# --------------------------------------------------------------------------- helpers: scale
def _table_resolver(units: list[str], meta: pd.DataFrame) -> Callable[[str], str | None]:
    keys: dict[str, str] = {}
    for unit, name in zip(meta["model_id"], meta["name"], strict=True):
        if isinstance(name, str):
            keys.setdefault(alias_key(name), str(unit))
    for unit in units:
        keys[alias_key(unit)] = unit

    def resolve(ref: str) -> str | None:
        return ref if ref in units else keys.get(alias_key(ref))

    return resolve


def _resolve_scale(
    config: FitConfig,
    units: list[str],
    meta: pd.DataFrame,
    resolver: Callable[[str], str | None],
    notes: list[str],
) -> tuple[str, tuple[tuple[int, float], ...], list[dict[str, Any]]]:
    index = {u: i for i, u in enumerate(units)}
    fallback = _table_resolver(units, meta)

    @functools.cache
    def locate(ref: str) -> str | None:
        found = resolver(ref)
        if found is None or found not in index:
            alt = fallback(ref)
            found = alt if alt is not None else found
        return found

    def explicit(ref: str) -> int:
        found = locate(ref)
        if found is None:
            raise UnknownModel(f"unknown anchor model {ref!r}")
        if found not in index:
            raise BadConfiguration(f"anchor model {ref!r} has no scores in this fit")
        return index[found]

    def pack(pairs: list[tuple[int, float]]) -> tuple[Anchors, list[dict[str, Any]]]:
        anchors = tuple(pairs)
        return anchors, [{"model_id": units[i], "value": v} for i, v in anchors]

    kind = config.scale
    if config.anchors:
        pairs = [(explicit(ref), value) for ref, value in config.anchors]
        if kind is None:
            kind = "eci" if len(pairs) == 2 else "elo"
        anchors, listed = pack(pairs)
        return kind, anchors, listed
    if kind in ("raw", "elo"):
        if kind == "elo":
            notes.append(
                f"elo scale: {ELO_REFERENCE_VALUE:g} points = even odds on the pinned benchmark"
            )
        return kind, (), []
    found: list[tuple[int, float]] = []
    missing: list[str] = []
    for refs, value in ECI_ANCHORS:
        hit = next((locate(r) for r in refs if locate(r) in index), None)
        if hit is None:
            missing.append(refs[-1])
        else:
            found.append((index[hit], value))
    if missing:
        if kind == "eci":
            raise BadConfiguration(
                f"the eci scale needs its anchor models, but {', '.join(map(repr, missing))} "
                "has no scores in this fit; pass --anchor MODEL=VALUE twice"
            )
        notes.append(
            f"eci scale unavailable ({', '.join(missing)} not in the fit): capabilities are "
            "raw logits (pinned benchmark: difficulty 0, slope 1)"
        )
        return "raw", (), []
    anchors, listed = pack(found)
    return "eci", anchors, listed


# --------------------------------------------------------------------------- helpers: output
def _models_frame(
    est: CapabilityEstimator,
    scale: ScaleMap,
    units: list[str],
    meta: pd.DataFrame,
    m_idx: np.ndarray,
    config: FitConfig,
    notes: list[str],
) -> pd.DataFrame:
    n = len(units)
    capability = scale.apply(est.capability_)
    anchor_set = {i for i, _ in scale.anchors}
    ci_low = np.full(n, np.nan)
    ci_high = np.full(n, np.nan)
    if est.draws_ is not None:
        ok = est.draws_converged_ if est.draws_converged_ is not None else slice(None)
        scaled = scale.apply_draws(est.draws_[ok])
        if len(scaled):
            ci_low, ci_high = np.nanpercentile(scaled, [5.0, 95.0], axis=0)
    se = _scaled_se(est, scale)
    is_anchor = np.zeros(n, dtype=bool)
    for i in anchor_set:
        is_anchor[i] = True
        ci_low[i] = ci_high[i] = se[i] = np.nan
    rmse = group_rmse(m_idx, est.residual_, n)
    cv_rmse = np.full(n, np.nan)
    if est.cv_predicted_ is not None:
        cv_rmse = group_rmse(m_idx, est.cv_predicted_ - est.problem_.y, n)
    poor = rmse > config.poor_fit_rmse
    if poor.any():
        notes.append(
            f"{int(poor.sum())} model(s) fit poorly (residual RMSE > {config.poor_fit_rmse:g}); "
            "see the poor_fit column"
        )
    frame = meta.copy()
    frame["params_total_b"] = pd.to_numeric(frame["params_total_b"], errors="coerce").astype(float)
    frame["capability"] = capability
    frame["capability_raw"] = est.capability_
    frame["ci_low"] = ci_low
    frame["ci_high"] = ci_high
    frame["se_laplace"] = se
    frame["n_benchmarks"] = _distinct_per_model(m_idx, est.problem_.bench, n)
    frame["is_anchor"] = is_anchor
    frame["rmse"] = rmse
    frame["cv_rmse"] = cv_rmse
    frame["poor_fit"] = poor
    return frame[MODEL_COLUMNS]


def _distinct_per_model(m_idx: np.ndarray, b_idx: np.ndarray, n: int) -> np.ndarray:
    pairs = np.unique(np.stack([m_idx, b_idx], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=n)


def _scaled_se(est: CapabilityEstimator, scale: ScaleMap) -> np.ndarray:
    n = len(est.capability_)
    cov = est.capability_cov_
    if cov is None:
        return np.full(n, np.nan)
    if scale.kind != "eci":
        return np.asarray(np.abs(scale.slope) * est.se_capability_, dtype=np.float64)
    # Row i of ``grad`` is ∂(scaled value of model i)/∂C (see ScaleMap.gradient): the delta
    # method for all models at once.
    grad = np.zeros((n, n))
    rows = np.arange(n)
    for i in rows:
        for j, g in scale.gradient(est.capability_, int(i)).items():
            grad[i, j] += g
    var = np.einsum("ij,jk,ik->i", grad, cov, grad)
    return np.asarray(np.sqrt(np.maximum(var, 0.0)), dtype=np.float64)


def _benchmarks_frame(
    est: CapabilityEstimator,
    scale: ScaleMap,
    benches: list[str],
    b_idx: np.ndarray,
    benchmarks_meta: pd.DataFrame | None,
    pin: int,
) -> pd.DataFrame:
    frame = pd.DataFrame({"benchmark_id": benches})
    if benchmarks_meta is not None and not benchmarks_meta.empty:
        cols = [c for c in ("benchmark_id", "name", "domain") if c in benchmarks_meta.columns]
        frame = frame.merge(benchmarks_meta[cols].drop_duplicates("benchmark_id"),
                            on="benchmark_id", how="left")
    for col in ("name", "domain"):
        if col not in frame.columns:
            frame[col] = None
    frame["difficulty"] = scale.apply(est.difficulty_)
    frame["difficulty_raw"] = est.difficulty_
    frame["slope"] = est.slope_
    frame["n_observations"] = np.bincount(b_idx, minlength=len(benches))
    frame["rmse"] = group_rmse(b_idx, est.residual_, len(benches))
    frame["is_pinned"] = np.arange(len(benches)) == pin
    frame = frame.astype({"name": object, "domain": object})
    frame[["name", "domain"]] = frame[["name", "domain"]].where(
        frame[["name", "domain"]].notna(), None
    )
    return frame[BENCHMARK_COLUMNS]


def _offsets_frame(
    est: CapabilityEstimator,
    names: list[str],
    groups: np.ndarray | None,
    reference: str | None,
    folded: list[str],
    data: pd.DataFrame,
) -> pd.DataFrame:
    columns = ["harness", "offset", "n_observations", "is_reference", "identified"]
    if groups is None:
        return pd.DataFrame(columns=columns)
    labels = data["harness"].map(lambda h: "unknown" if h is None or h != h else str(h))
    counts = labels.value_counts()
    rows = [
        (name, float(est.offset_[i]), int(counts.get(name, 0)), name == reference, True)
        for i, name in enumerate(names)
    ]
    rows += [(name, math.nan, int(counts.get(name, 0)), False, False) for name in folded]
    frame = pd.DataFrame(rows, columns=columns)
    draws = est.draws_offset_
    if draws is not None and draws.shape[1] == len(names):
        ok = est.draws_converged_ if est.draws_converged_ is not None else slice(None)
        kept = draws[ok]
        low = np.full(len(frame), np.nan)
        high = np.full(len(frame), np.nan)
        if len(kept):
            # 90% interval over the bootstrap refits (the reference category is 0 in each).
            low[: len(names)], high[: len(names)] = np.percentile(kept, [5.0, 95.0], axis=0)
        frame["ci_low"], frame["ci_high"] = low, high
    return frame


def _diagnostics(
    est: CapabilityEstimator, models: pd.DataFrame, config: FitConfig
) -> dict[str, Any]:
    y = est.problem_.y
    n = len(y)
    out: dict[str, Any] = {
        "rmse": math.sqrt(est.sse_ / n),
        "mean_abs_residual": float(np.mean(np.abs(est.residual_))),
        "objective": est.objective_,
        "n_free_parameters": est.n_free_,
        "solver": {
            "iterations": est.n_iter_, "converged": bool(est.converged_),
            "message": est.solver_message_,
        },
        "poor_fit_rmse": config.poor_fit_rmse,
        "poor_fit_models": models.loc[models["poor_fit"], "model_id"].tolist(),
    }  # fmt: skip
    lo, hi = est.capability_bounds
    at_bound = (est.theta_[: est.problem_.n_models] <= lo + 1e-9) | (
        est.theta_[: est.problem_.n_models] >= hi - 1e-9
    )
    out["models_at_bound"] = int(at_bound.sum())
    if est.cv_predicted_ is not None:
        ok = np.isfinite(est.cv_predicted_)
        err = est.cv_predicted_[ok] - y[ok]
        out["cv"] = {
            "folds": config.cv_folds,
            "rmse": float(math.sqrt(float(np.mean(err**2)))) if ok.any() else None,
            "predicted": int(ok.sum()),
            "not_predictable": int((~ok).sum()),
        }
    if est.draws_converged_ is not None:
        out["bootstrap"] = {
            "draws": len(est.draws_converged_),
            "converged": int(est.draws_converged_.sum()),
        }
    bias = group_bias(est.problem_.bench, est.residual_, est.problem_.n_benchmarks)
    out["largest_benchmark_bias"] = float(np.nanmax(np.abs(bias))) if len(bias) else None
    return out


def _fit_id(
    data: pd.DataFrame,
    config: FitConfig,
    scale: str,
    anchors: list[dict[str, Any]],
    pin: str,
) -> str:
    digest = hashlib.sha256()
    settings = config.to_dict()
    settings.pop("explicit", None)
    settings.update(resolved_scale=scale, resolved_anchors=anchors, resolved_pin=pin)
    digest.update(json.dumps(_json(settings), sort_keys=True).encode())
    table = data[OBS_COLUMNS].sort_values(["model_id", "benchmark_id", "score"], kind="stable")
    # Text columns joined by a separator, numbers as little-endian doubles: the same data gives
    # the same id on any machine, without formatting every value.
    for col in ("model_id", "benchmark_id", "harness"):
        text = table[col].astype(object).where(table[col].notna(), "").astype(str)
        digest.update("\x1f".join(text.tolist()).encode() + b"\x1e")
    for col in ("score", "n_items"):
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype="<f8")
        digest.update(np.round(values, 12).tobytes())
    return digest.hexdigest()[:16]


def _provenance(
    config: FitConfig,
    data: pd.DataFrame,
    selection: Selection | None,
    imports: pd.DataFrame | None,
    pin: str,
    anchors: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "run_id": uuid.uuid4().hex,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "opengap_version": __version__,
        "git_commit": _git_commit(),
        "imports": [] if imports is None else _json(imports.to_dict(orient="records")),
        "row_counts": dict(selection.counts) if selection is not None else {
            "observations": len(data)
        },
        "pin_benchmark": pin,
        "anchors": anchors,
        "explicit_options": list(config.explicit),
    }


@functools.cache
def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def _count_note(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items())


# --------------------------------------------------------------------------- (de)serialise
def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json(v) for v in value.tolist()]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _summary(result: FitResult) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "n_models": result.n_models,
        "n_benchmarks": result.n_benchmarks,
        "n_observations": result.n_observations,
        "sse": result.sse,
        "objective": result.objective,
        "fit_seconds": result.fit_seconds,
        "bootstrap_seconds": result.bootstrap_seconds,
        "diagnostics": result.diagnostics,
        "notes": result.notes,
        "anchors": result.anchors,
        "models": result.models.to_dict(orient="records"),
        "benchmarks": result.benchmarks.to_dict(orient="records"),
        "offsets": result.offsets.to_dict(orient="records"),
        "observations": result.observations.to_dict(orient="list"),
    }


def _draws_bytes(draws: np.ndarray | None) -> bytes | None:
    if draws is None:
        return None
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(draws, dtype=np.float64), allow_pickle=False)
    return buffer.getvalue()


def _config_from_dict(data: dict[str, Any]) -> FitConfig:
    names = {f.name for f in fields(FitConfig)}
    values = {k: v for k, v in data.items() if k in names}
    if values.get("start_date"):
        values["start_date"] = date.fromisoformat(values["start_date"])
    values["anchors"] = tuple((str(m), float(v)) for m, v in values.get("anchors") or [])
    if values.get("benchmarks") is not None:
        values["benchmarks"] = tuple(values["benchmarks"])
    values["exclude_benchmarks"] = tuple(values.get("exclude_benchmarks") or ())
    values["explicit"] = tuple(values.get("explicit") or ())
    base = PRESETS.get(str(values.get("preset")), FitConfig())
    return replace(base, **values)


def _from_stored(row: fit_store.StoredFit) -> FitResult:
    summary = json.loads(row.summary)
    version = summary.get("format_version")
    if version != FORMAT_VERSION:
        raise SchemaVersionError(
            f"fit {row.fit_id}: stored format version {version} is not one this opengap "
            f"reads ({FORMAT_VERSION}); refit it with `opengap fit`"
        )
    models = pd.DataFrame(summary["models"], columns=MODEL_COLUMNS)
    models["release_date"] = models["release_date"].map(
        lambda v: date.fromisoformat(v) if isinstance(v, str) else None
    )
    for col in ("capability", "capability_raw", "ci_low", "ci_high", "se_laplace", "rmse",
                "cv_rmse", "params_total_b"):
        models[col] = pd.to_numeric(models[col], errors="coerce").astype(float)
    models["n_benchmarks"] = models["n_benchmarks"].astype(int)
    models["is_anchor"] = models["is_anchor"].astype(bool)
    models["poor_fit"] = models["poor_fit"].astype(bool)
    benchmarks = pd.DataFrame(summary["benchmarks"], columns=BENCHMARK_COLUMNS)
    for col in ("difficulty", "difficulty_raw", "slope", "rmse"):
        benchmarks[col] = pd.to_numeric(benchmarks[col], errors="coerce").astype(float)
    draws = None
    if row.draws is not None:
        draws = np.load(io.BytesIO(row.draws), allow_pickle=False)
    observations = pd.DataFrame(summary.get("observations") or {})
    for col in ("score", "n_items", "predicted", "residual", "cv_predicted"):
        if col in observations.columns:
            observations[col] = pd.to_numeric(observations[col], errors="coerce").astype(float)
    return FitResult(
        fit_id=row.fit_id,
        preset=row.preset,
        scale=row.scale,
        config=_config_from_dict(json.loads(row.config)),
        provenance=json.loads(row.provenance),
        models=models,
        benchmarks=benchmarks,
        draws=draws,
        sse=float(summary["sse"]),
        objective=float(summary.get("objective") or math.nan),
        n_models=int(summary["n_models"]),
        n_benchmarks=int(summary["n_benchmarks"]),
        n_observations=int(summary["n_observations"]),
        fit_seconds=float(summary["fit_seconds"]),
        bootstrap_seconds=float(summary["bootstrap_seconds"]),
        diagnostics=summary.get("diagnostics") or {},
        offsets=pd.DataFrame(summary.get("offsets") or []),
        observations=observations,
        notes=list(summary.get("notes") or []),
        anchors=list(summary.get("anchors") or []),
    )
