"""The current facts of a fit's models, and how fresh the store's data are (for a gap's context)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from opengap.store import Store


def current_facts(
    store: Store, models: pd.DataFrame, fit_id: str, columns: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Return the fit's models with the store's current facts, and a note on what changed.

    A fit stores the facts of its models as they were when it ran; facts that arrived later
    (a registry import, the curated catalogue) do not change capabilities, only how models are
    grouped and dated, so the gap uses the current ones and says which changed.
    """
    current = store.query(f"SELECT {', '.join(columns)} FROM models").set_index("model_id")
    known = models["model_id"].astype(str).isin(current.index)
    if not known.any():
        return models, []
    out = models.copy()
    ids = out.loc[known, "model_id"].astype(str).tolist()
    changed: dict[str, list[str]] = {}
    for column in columns[1:]:
        new = current[column].reindex(ids).to_numpy()
        old = out.loc[known, column].to_numpy()
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
