"""Saving and loading fits: the stored row's JSON summary, bootstrap draws as ``.npy`` bytes,
the configuration read back."""

from __future__ import annotations

import io
import json
import math
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from opengap.errors import NoFit, SchemaVersionError
from opengap.fit.config import PRESETS, FitConfig
from opengap.fitting.result import (
    BENCHMARK_COLUMNS,
    FORMAT_VERSION,
    MODEL_COLUMNS,
    FitResult,
    to_json,
)
from opengap.store import Store
from opengap.store import fits as fit_store


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
        config=json.dumps(to_json(result.config.to_dict())),
        provenance=json.dumps(to_json(result.provenance)),
        summary=json.dumps(to_json(summary_of(result))),
        draws=draws_bytes(result.draws),
    )
    fit_store.save_fit(store, row, caps, result.benchmarks)


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
    return from_stored(row)


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


def summary_of(result: FitResult) -> dict[str, Any]:
    """Return the stored JSON summary of a fit."""
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


def draws_bytes(draws: np.ndarray | None) -> bytes | None:
    """Return bootstrap draws as ``.npy`` bytes (None without draws)."""
    if draws is None:
        return None
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(draws, dtype=np.float64), allow_pickle=False)
    return buffer.getvalue()


def config_from_dict(data: dict[str, Any]) -> FitConfig:
    """Return a stored configuration as a :class:`FitConfig` (missing fields: the preset's)."""
    names = {f.name for f in fields(FitConfig)}
    values = {k: v for k, v in data.items() if k in names}
    if values.get("start_date"):
        values["start_date"] = date.fromisoformat(values["start_date"])
    values["anchors"] = tuple((str(m), float(v)) for m, v in values.get("anchors") or [])
    if values.get("benchmarks") is not None:
        values["benchmarks"] = tuple(values["benchmarks"])
    values["exclude_benchmarks"] = tuple(values.get("exclude_benchmarks") or ())
    values["explicit"] = tuple(values.get("explicit") or ())
    values["prefer_sources"] = tuple(str(v) for v in values.get("prefer_sources") or ())
    values["benchmark_domains"] = tuple(
        (str(b), str(d)) for b, d in values.get("benchmark_domains") or []
    )
    base = PRESETS.get(str(values.get("preset")), FitConfig())
    return replace(base, **values)


def from_stored(row: fit_store.StoredFit) -> FitResult:
    """Return the :class:`FitResult` of a stored row; refuses unknown format versions."""
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
        config=config_from_dict(json.loads(row.config)),
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
