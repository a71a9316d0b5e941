"""The current facts of a fit's models, and how fresh the store's data are (for a gap's context)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from opengap.fit.selection import agreed
from opengap.store import Store


def current_facts(
    store: Store, models: pd.DataFrame, fit_id: str, columns: list[str], *,
    grouped: bool = False,
) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    """Return the fit's models with the store's current facts, and a note on what changed.

    A fit stores the facts of its models as they were when it ran; facts that arrived later
    (a registry import, the curated catalogue) do not change capabilities, only how models are
    grouped and dated, so the gap uses the current ones and says which changed.

    With ``grouped`` (a fit that merged versions), a unit that stands for several versions is
    not the store's row of the same id: it keeps the fit's release date and name (a group's date
    depends on which versions' scores it used, and a release-dated split names units by date),
    and takes each other fact its versions agree on now.
    """
    query = ", ".join(dict.fromkeys([*columns, "version_of"]))
    current = store.query(f"SELECT {query} FROM models").set_index("model_id")
    known = models["model_id"].astype(str).isin(current.index)
    if not known.any():
        return models, []
    out = models.copy()
    ids = out.loc[known, "model_id"].astype(str).tolist()
    groups = _group_members(current, set(ids)) if grouped else {}
    changed: dict[str, list[str]] = {}
    for column in columns[1:]:
        new = current[column].reindex(ids).to_numpy().astype(object)
        old = out.loc[known, column].to_numpy()
        for k, unit in enumerate(ids):
            if unit in groups:
                new[k] = old[k] if column in ("release_date", "name") else agreed(
                    current.loc[groups[unit], column].tolist())
        if column in ("weights", "release_date"):
            differs = [
                str(m) for m, a, b in zip(ids, old, new, strict=True) if _fact(a) != _fact(b)
            ]
            if differs:
                changed[column] = differs
        out[column] = out[column].astype(object)
        out.loc[known, column] = new
    notes = []
    for column, names in changed.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        notes.append(
            f"the store's {column.replace('_', ' ')} of {len(names)} model(s) changed since fit "
            f"{fit_id} ({shown}); the gap uses the current ones"
        )
    return out, notes


def _group_members(current: pd.DataFrame, units: set[str]) -> dict[str, list[str]]:
    """The units that stand for several versions, each with its versions' ids (its own first)."""
    parent = current["version_of"]
    members: dict[str, list[str]] = {}
    for model_id, group in parent.dropna().astype(str).items():
        if group in units and group != model_id:
            members.setdefault(group, [group] if group in current.index else []).append(
                str(model_id))
    return members


def _fact(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, date | pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def freshness_fields(store: Store | None) -> dict[str, Any]:
    """Return the Context fields saying how recent the store's data are."""
    if store is None:
        return {}
    from opengap import catalog

    fresh = catalog.data_freshness(store)
    return {
        "data_as_of": None if fresh.as_of is None else fresh.as_of.isoformat(),
        "data_age_days": fresh.age_days, "freshness": fresh.headline(),
    }  # fmt: skip
