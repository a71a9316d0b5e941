"""The model explorer's table, from the catalogue and a fit.

A pure function over DataFrames (the dashboard passes what the library returned). Missing facts
stay missing and are shown as unknown, never filled in. One model's card is the library's
(:func:`opengap.cards.card`), not computed here.
"""

from __future__ import annotations

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
