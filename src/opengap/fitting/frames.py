"""The output tables of a fit: models (reported scale, intervals, residuals), benchmarks,
harness offsets and diagnostics, built from a fitted estimator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from opengap.fit.config import FitConfig
from opengap.fit.diagnostics import group_bias, group_rmse
from opengap.fit.estimator import CapabilityEstimator
from opengap.fit.scales import ScaleMap
from opengap.fitting.result import BENCHMARK_COLUMNS, MODEL_COLUMNS

POOR_FIT_NOTE = "model(s) fit poorly"
"""The words of the fit's note on poorly fitted models (the report lists them instead)."""


def models_frame(
    est: CapabilityEstimator,
    scale: ScaleMap,
    units: list[str],
    meta: pd.DataFrame,
    m_idx: np.ndarray,
    config: FitConfig,
    notes: list[str],
) -> pd.DataFrame:
    """Return the models table of a fit on its reported scale."""
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
            f"{int(poor.sum())} {POOR_FIT_NOTE} (residual RMSE > {config.poor_fit_rmse:g}); "
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


def benchmarks_frame(
    est: CapabilityEstimator,
    scale: ScaleMap,
    benches: list[str],
    b_idx: np.ndarray,
    benchmarks_meta: pd.DataFrame | None,
    pin: int,
) -> pd.DataFrame:
    """Return the benchmarks table of a fit on its reported scale."""
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


def offsets_frame(
    est: CapabilityEstimator,
    names: list[str],
    groups: np.ndarray | None,
    reference: str | None,
    folded: list[str],
    data: pd.DataFrame,
) -> pd.DataFrame:
    """Return the harness offsets table (empty without offsets)."""
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


def diagnostics_of(
    est: CapabilityEstimator, models: pd.DataFrame, config: FitConfig
) -> dict[str, Any]:
    """Return the diagnostics record: residual RMSE, cross-validation, solver report."""
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
