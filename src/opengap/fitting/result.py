"""The result of a fit: :class:`FitResult`, its JSON shape and the stored format's columns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from opengap.fit.config import FitConfig
from opengap.fit.selection import UNIT_COLUMNS

FORMAT_VERSION = 1
"""Version of the stored fit format; :func:`load_fit` rejects versions it does not know."""


MODEL_COLUMNS = [
    *UNIT_COLUMNS, "capability", "capability_raw", "ci_low", "ci_high", "se_laplace",
    "n_benchmarks", "is_anchor", "rmse", "cv_rmse", "poor_fit",
]  # fmt: skip


_JSON_MODEL_KEYS = (
    "model_id", "name", "release_date", "weights", "capability", "ci_low", "ci_high",
    "n_benchmarks", "se_laplace", "is_anchor", "poor_fit",
)  # fmt: skip


_JSON_BENCHMARK_KEYS = ("benchmark_id", "difficulty", "slope", "n_observations")
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
        extra = ({"imputed_scores": to_json(self.provenance["imputed_scores"])}
                 if "imputed_scores" in self.provenance else {})  # fmt: skip
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
                {k: to_json(r[k]) for k in _JSON_MODEL_KEYS}
                for r in models.to_dict(orient="records")
            ],
            "benchmarks": [
                {k: to_json(r[k]) for k in _JSON_BENCHMARK_KEYS}
                for r in self.benchmarks.to_dict(orient="records")
            ],
            "offsets": [
                {str(k): to_json(v) for k, v in r.items()}
                for r in self.offsets.to_dict(orient="records")
            ],
            "diagnostics": to_json(self.diagnostics),
            "config": self.config.to_dict(),
            **extra,
        }


def to_json(value: Any) -> Any:
    """Return ``value`` as plain JSON values (dates as ISO text, NaN and NA as None)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_json(v) for v in value.tolist()]
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
