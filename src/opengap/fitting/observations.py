"""The in-memory fit: :func:`fit_observations` on an observation table, no store involved
(sensitivity refits are cheap), and its input preparation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from opengap.errors import BadConfiguration
from opengap.fit.config import ELO_REFERENCE_VALUE, FitConfig
from opengap.fit.estimator import CapabilityEstimator
from opengap.fit.identify import identified_groups
from opengap.fit.scales import make_scale
from opengap.fit.selection import OBS_COLUMNS, UNIT_COLUMNS, Selection
from opengap.fit.weighting import observation_weights
from opengap.fitting.anchors import resolve_scale, table_resolver
from opengap.fitting.frames import benchmarks_frame, diagnostics_of, models_frame, offsets_frame
from opengap.fitting.identity import fit_id_of, provenance_of
from opengap.fitting.result import FitResult

Progress = Callable[[int, int], None]


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
    data = prepare(obs, config)
    units = sorted(data["model_id"].unique())
    benches = sorted(data["benchmark_id"].unique())
    m_idx = pd.Index(units).get_indexer(data["model_id"])
    b_idx = pd.Index(benches).get_indexer(data["benchmark_id"])
    notes: list[str] = []
    pin = pin_index(config, benches, b_idx, notes)
    groups, group_names, offset_ref, folded = offset_groups(
        config, data, (m_idx, b_idx, len(units), len(benches), pin), notes
    )
    meta = units_meta(units, models_meta)
    weights = observation_weights(
        config.weighting, b_idx, len(benches), domains_of(benches, benchmarks_meta, config)
    )
    est = CapabilityEstimator(
        common_slope=config.common_slope,
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
        weights=weights,
        offset_group=groups,
        n_groups=len(group_names) if groups is not None else 0,
        model_labels=units,
        benchmark_labels=benches,
        group_labels=group_names,
    )
    resolver = resolve_model or table_resolver(units, meta)
    kind, anchor_idx, anchor_list = resolve_scale(config, units, meta, resolver, notes)
    scale_map = make_scale(
        kind, est.capability_, anchor_idx, reference_value=ELO_REFERENCE_VALUE,
        unit=config.task_logits_per_logit,
    )
    models = models_frame(est, scale_map, units, meta, m_idx, config, notes)
    order = np.argsort(-models["capability"].to_numpy(dtype=np.float64), kind="stable")
    draws = None
    if est.draws_ is not None:
        ok = est.draws_converged_ if est.draws_converged_ is not None else slice(None)
        draws = scale_map.apply_draws(est.draws_[ok])[:, order]
        failed = int(len(est.draws_) - len(draws))
        if failed:
            notes.append(f"{failed} bootstrap refit(s) did not converge and were left out")
    models = models.iloc[order].reset_index(drop=True)
    bench_frame = benchmarks_frame(est, scale_map, benches, b_idx, benchmarks_meta, pin)
    offsets = offsets_frame(est, group_names, groups, offset_ref, folded, data)
    observations = data[OBS_COLUMNS].copy()
    observations["predicted"] = est.predicted_
    observations["residual"] = est.residual_
    observations["cv_predicted"] = est.cv_predicted_ if est.cv_predicted_ is not None else np.nan
    diagnostics = diagnostics_of(est, models, config)
    if anchor_list and kind in ("eci", "elo", "elo10"):
        names = ", ".join(f"{a['model_id']} = {a['value']:g}" for a in anchor_list)
        notes.append(f"anchor models ({names}) are fixed by definition and get no interval")
    fit_id = fit_id_of(data, config, kind, anchor_list, benches[pin])
    provenance = provenance_of(config, data, _selection, _imports, benches[pin], anchor_list)
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


def prepare(obs: pd.DataFrame, config: FitConfig) -> pd.DataFrame:
    """Check and clean an observation table: numeric scores, benchmark filters, clipping."""
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
    if config.clip_eps > 0:
        score = np.clip(score, config.clip_eps, 1.0 - config.clip_eps)
    data["score"] = score
    out: pd.DataFrame = data.reset_index(drop=True)
    return out


def domains_of(
    benches: list[str], meta: pd.DataFrame | None, config: FitConfig
) -> list[str | None]:
    """Return each benchmark's domain for weighting: the configuration's, else the catalogue's."""
    by_id: dict[str, Any] = {}
    if meta is not None and not meta.empty and "domain" in meta.columns:
        by_id = dict(zip(meta["benchmark_id"].astype(str), meta["domain"], strict=False))
    by_id.update(dict(config.benchmark_domains))
    return [d if isinstance(d := by_id.get(b), str) and d else None for b in benches]


def pin_index(config: FitConfig, benches: list[str], b_idx: np.ndarray, notes: list[str]) -> int:
    """Return the pinned benchmark's index (the preset's, else the most observed, with a note)."""
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


def offset_groups(
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


def units_meta(units: list[str], models_meta: pd.DataFrame | None) -> pd.DataFrame:
    """Return one metadata row per fitted unit, in ``units`` order."""
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
