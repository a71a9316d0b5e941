"""The harness step of :func:`~opengap.gap.sensitivity`: offsets per harness, gap restated."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from opengap.analysis.harness import harness_categories
from opengap.analysis.intervals import Interval
from opengap.analysis.reports import LagReport
from opengap.errors import OpengapError
from opengap.gap.progress import Progress
from opengap.gap.refits import gap_of
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting


def harness_effect(
    store: Store,
    fit: fitting.FitResult,
    day: float,
    baseline: LagReport,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Refit the full fit's observations with one offset per harness category."""
    from opengap import fitting

    obs = fit.observations[["model_id", "benchmark_id", "score", "n_items", "harness"]].copy()
    obs["harness"] = harness_categories(obs["harness"])
    counts = obs["harness"].value_counts()
    if len(counts) < 2:
        return {"skipped": f"every fitted score is in one harness category ({counts.index[0]})"}
    config = dataclasses.replace(fit.config, offsets="harness", cv_folds=0)
    try:
        refit = fitting.fit_observations(obs, config, models_meta=fit.models,
                                         benchmarks_meta=fit.benchmarks)
    except OpengapError as exc:
        return {"skipped": f"harness fit failed: {exc}"}
    offsets = pd.DataFrame(refit.offsets)
    per_logit = _points_per_logit(refit)
    if not {"ci_low", "ci_high"} <= set(offsets.columns):  # a fit without bootstrap draws
        offsets["ci_low"], offsets["ci_high"] = np.nan, np.nan
    rows = []
    for rec in offsets.to_dict(orient="records"):
        row = {str(k): _plain(v) for k, v in rec.items()}
        for key in ("offset", "ci_low", "ci_high"):
            value = row.get(key)
            row[f"{key}_points"] = value * per_logit if _finite(value) else None
        rows.append(row)
    best = max(rows, key=lambda r: float(r["offset"]) if _finite(r.get("offset")) else -math.inf)
    restated = gap_of(store, refit, day, fit, intervals=True)
    return {
        "offsets": rows,
        "best_harness": best.get("harness"),
        "notes": [n for n in refit.notes if "harness" in n],
        "points_per_logit": per_logit,
        "fit_id": refit.fit_id,
        "baseline": {"lag_months": baseline.lag_months.to_dict(),
                     "vertical_gap": baseline.vertical_gap.to_dict()},
        "restated": {
            "lag_months": Interval(restated["lag_months"], restated["lag_low"],
                                   restated["lag_high"]).to_dict(),
            "vertical_gap": Interval(restated["vertical_gap"], restated["vertical_gap_low"],
                                     restated["vertical_gap_high"]).to_dict(),
        },
        "note": ("offsets are relative to the most common category (δ = 0); the harness fit's "
                 "capabilities are what each model would score in that reference harness, and "
                 "running every model in the best harness adds the same offset to all, so the "
                 "restated gap is the harness fit's gap"),
    }


def _points_per_logit(fit: fitting.FitResult) -> float:
    raw = pd.to_numeric(fit.models["capability_raw"], errors="coerce").to_numpy(dtype=float)
    cap = pd.to_numeric(fit.models["capability"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(raw) & np.isfinite(cap)
    if ok.sum() < 2 or np.ptp(raw[ok]) == 0:
        return 1.0
    return float(np.polyfit(raw[ok], cap[ok], 1)[0])


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
