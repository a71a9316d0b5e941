"""Item-level fits in the store: saving and loading them (tables ``item_fits``,
``item_abilities``, ``item_params``), apart from the benchmark-level ``fits``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from opengap.errors import NoFit
from opengap.store.core import Store

ABILITY_COLUMNS = [
    "unit", "model_id", "ability", "ability_se", "ci_low", "ci_high", "capability",
    "n_responses",
]  # fmt: skip
ITEM_COLUMNS = [
    "benchmark_id", "item_id", "difficulty", "discrimination", "floor", "infit", "outfit",
    "n_responses",
]  # fmt: skip


def save_item_fit(
    store: Store,
    fit_id: str,
    model: str,
    config: dict[str, Any],
    provenance: dict[str, Any],
    summary: dict[str, Any],
    abilities: pd.DataFrame,
    items: pd.DataFrame,
) -> None:
    """Write one item-level fit (replacing a fit of the same id) in one transaction."""
    with store.transaction() as con:
        for table in ("item_fits", "item_abilities", "item_params"):
            con.execute(f"DELETE FROM {table} WHERE fit_id = ?", [fit_id])
        con.execute(
            "INSERT INTO item_fits VALUES (?, ?, ?, ?, ?, ?)",
            [fit_id, datetime.now(UTC).replace(tzinfo=None), model, json.dumps(config),
             json.dumps(provenance), json.dumps(summary)],
        )  # fmt: skip
        for table, frame, cols in (("item_abilities", abilities, ABILITY_COLUMNS),
                                   ("item_params", items, ITEM_COLUMNS)):  # fmt: skip
            rows = frame[cols].astype(object).where(frame[cols].notna(), None).copy()
            rows.insert(0, "fit_id", fit_id)
            con.register("_item_df", rows)
            con.execute(f"INSERT INTO {table} SELECT * FROM _item_df")
            con.unregister("_item_df")


def latest_item_fit_id(store: Store, benchmark: str | None = None) -> str | None:
    """Return the newest item fit id (one that calibrated ``benchmark``, when given)."""
    if benchmark is None:
        row = store.query("SELECT fit_id FROM item_fits ORDER BY created_at DESC LIMIT 1")
    else:
        row = store.query(
            "SELECT f.fit_id FROM item_fits f WHERE EXISTS (SELECT 1 FROM item_params p "
            "WHERE p.fit_id = f.fit_id AND p.benchmark_id = ?) ORDER BY f.created_at DESC LIMIT 1",
            [benchmark],
        )
    return None if row.empty else str(row.iloc[0, 0])


def load_item_fit(store: Store, fit_id: str | None = None, *, benchmark: str | None = None
                  ) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Return (record, abilities, items) of an item fit; raise :class:`NoFit` when there is none."""
    chosen = fit_id or latest_item_fit_id(store, benchmark)
    if chosen is None:
        what = f" calibrating {benchmark!r}" if benchmark else ""
        raise NoFit(f"no item-level fit{what} in the store (run: opengap fit --level items)")
    rec = store.query("SELECT * FROM item_fits WHERE fit_id = ?", [chosen])
    if rec.empty:
        raise NoFit(f"no item-level fit {chosen!r} in the store")
    row = rec.iloc[0]
    record = {
        "fit_id": chosen, "created_at": str(row["created_at"]), "model": row["model"],
        "config": json.loads(row["config"]), "provenance": json.loads(row["provenance"]),
        "summary": json.loads(row["summary"]),
    }  # fmt: skip
    abilities = store.query(
        f"SELECT {', '.join(ABILITY_COLUMNS)} FROM item_abilities WHERE fit_id = ? ORDER BY unit",
        [chosen],
    )
    items = store.query(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM item_params WHERE fit_id = ? "
        "ORDER BY benchmark_id, item_id",
        [chosen],
    )
    return record, abilities, items


def responses_on_items(store: Store, fit_id: str) -> pd.DataFrame:
    """Return the responses on the items ``fit_id`` calibrated (model, benchmark, item, harness,
    score, import_id), with the benchmark's chance, ceiling and is_fraction."""
    return store.query(
        "SELECT r.model_id, r.benchmark_id, r.item_id, r.harness, r.score, r.import_id, "
        "b.chance, b.ceiling, b.is_fraction FROM responses r "
        "JOIN item_params p ON p.fit_id = ? AND p.benchmark_id = r.benchmark_id "
        "AND p.item_id = r.item_id JOIN benchmarks b ON b.benchmark_id = r.benchmark_id "
        "ORDER BY r.model_id, r.benchmark_id, r.harness, r.item_id",
        [fit_id],
    )
