"""The model explorer's table and one model's card facts, from the catalogue and a fit.

Pure functions over DataFrames (the dashboard passes what the library returned). Missing facts
stay missing and are shown as unknown, never filled in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from opengap.analysis.groups import size_class
from opengap.web.params import ModelFilters

FIT_COLUMNS = ["capability", "ci_low", "ci_high", "n_benchmarks", "is_anchor"]
EXPLORER_COLUMNS = [
    "model_id", "name", "organization", "country", "release_date", "weights", "license",
    "license_class", "params_total_b", "params_active_b", "size_class", "fitted_as",
    *FIT_COLUMNS, "rank",
]  # fmt: skip


def explorer_table(
    catalogue: pd.DataFrame,
    fit_models: pd.DataFrame | None,
    filters: ModelFilters,
    version_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the catalogue's models with their fitted capability, filtered and sorted.

    Parameters
    ----------
    catalogue : DataFrame
        :func:`opengap.catalog.list_models` output (already filtered by the text filters).
    fit_models : DataFrame, optional
        The fit's ``models`` (None when the store holds no fit).
    filters : ModelFilters
        Size class, ``fitted``, ``sort``, ``order`` and ``limit`` are applied here.
    version_of : Series, optional
        model_id -> the model group it was fitted as (``models.version_of``), so a version
        shows its group's capability; ``fitted_as`` names the group.

    Returns
    -------
    DataFrame
        :data:`EXPLORER_COLUMNS`; ``rank`` is the position by capability in the fit (1 = best).
    """
    frame = catalogue.copy()
    frame["size_class"] = size_class(frame["params_total_b"]).to_numpy()
    fitted = _fitted(fit_models)
    unit = frame["model_id"].astype(str)
    if version_of is not None:
        groups = unit.map(version_of.to_dict())
        in_fit = unit.isin(fitted.index)
        unit = unit.where(in_fit | groups.isna(), groups)
    unit = unit.where(unit.isin(fitted.index))
    frame["fitted_as"] = unit.where(unit != frame["model_id"].astype(str))
    for column in [*FIT_COLUMNS, "rank"]:
        frame[column] = unit.map(fitted[column].to_dict()) if len(fitted) else None
    if filters.size is not None:
        frame = frame.loc[frame["size_class"] == filters.size]
    if filters.fitted:
        frame = frame.loc[frame["capability"].notna()]
    frame = frame.sort_values(
        [filters.sort, "model_id"], ascending=[filters.order == "asc", True],
        na_position="last", kind="stable",
    )  # fmt: skip
    if filters.limit is not None:
        frame = frame.head(filters.limit)
    return frame[EXPLORER_COLUMNS].reset_index(drop=True)


def _fitted(fit_models: pd.DataFrame | None) -> pd.DataFrame:
    if fit_models is None or fit_models.empty:
        return pd.DataFrame(columns=[*FIT_COLUMNS, "rank"])
    fitted = fit_models.set_index(fit_models["model_id"].astype(str))[FIT_COLUMNS].copy()
    capability = pd.to_numeric(fitted["capability"], errors="coerce")
    fitted["rank"] = capability.rank(ascending=False, method="min")
    return fitted


def model_card(
    model: dict[str, Any],
    fit_models: pd.DataFrame | None,
    *,
    n_finetunes: int = 0,
    unit: str = "points",
) -> dict[str, Any]:
    """Return the card facts of one model (DESIGN.md "Model card"); unknown facts are None.

    Parameters
    ----------
    model : dict
        One row of :func:`explorer_table` for the model.
    fit_models : DataFrame, optional
        The fit's models (capability, ci_low, ci_high, params_total_b, model_id).
    n_finetunes : int
        Catalogue models whose base model is this one (evidence of fine-tunability).
    unit : str
        Capability unit.

    Returns
    -------
    dict
        capability, ci_low, ci_high, rank, n_fitted, size_class, size_rank, size_n,
        size_percentile, pareto (True/False, None when its size or capability is unknown),
        origin, license_class, tooling (always None: no tooling data yet), finetunability.
    """
    card: dict[str, Any] = {
        "unit": unit,
        "capability": _float(model.get("capability")),
        "ci_low": _float(model.get("ci_low")),
        "ci_high": _float(model.get("ci_high")),
        "is_anchor": bool(model.get("is_anchor")) if model.get("is_anchor") is not None else None,
        "rank": _int(model.get("rank")),
        "n_fitted": 0 if fit_models is None else len(fit_models),
        "size_class": model.get("size_class"),
        "size_rank": None, "size_n": None, "size_percentile": None, "pareto": None,
        "origin": model.get("country"),
        "license_class": model.get("license_class"),
        "tooling": None,
        "finetunability": (f"{n_finetunes} fine-tuned model(s) in the catalogue name it as their "
                           "base model") if n_finetunes else None,
    }  # fmt: skip
    capability = card["capability"]
    if fit_models is None or fit_models.empty or capability is None:
        return card
    caps = pd.to_numeric(fit_models["capability"], errors="coerce").to_numpy(dtype=float)
    params = pd.to_numeric(fit_models["params_total_b"], errors="coerce").to_numpy(dtype=float)
    if card["size_class"] is not None:
        classes = size_class(params).to_numpy()
        peers = caps[(classes == card["size_class"]) & np.isfinite(caps)]
        if len(peers):
            card["size_n"] = len(peers)
            card["size_rank"] = int((peers > capability).sum()) + 1
            card["size_percentile"] = float(100.0 * (peers <= capability).sum() / len(peers))
    size = _float(model.get("params_total_b"))
    if size is not None:
        smaller = np.isfinite(params) & np.isfinite(caps) & (params <= size)
        card["pareto"] = bool(not (caps[smaller] > capability).any())
    return card


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)
