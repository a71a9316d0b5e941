"""Fits in the store: reading the catalogue tables a fit needs, saving and loading fitted results.

A fit is one row of ``fits`` (configuration, provenance and a JSON summary with the full
result tables, plus the bootstrap draws as an ``np.save`` BLOB), with its capabilities and
benchmark parameters also written to ``capabilities`` and ``benchmark_params`` for SQL users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import pandas as pd

from opengap.store.core import Store

_SCORES_SQL = """
SELECT s.model_id, s.benchmark_id, s.value, s.normalized, s.n_items, s.harness, s.source,
       s.import_id, i.kind AS import_kind, s.model_ref
FROM scores s LEFT JOIN imports i ON i.import_id = s.import_id
ORDER BY s.model_id, s.benchmark_id, s.score_key
"""
_MODELS_SQL = """
SELECT model_id, name, release_date, weights, organization, country, params_total_b,
       license_class, version_of
FROM models ORDER BY model_id
"""
_BENCHMARKS_SQL = """
SELECT benchmark_id, name, domain, chance, ceiling, is_fraction, n_items, composite
FROM benchmarks ORDER BY benchmark_id
"""


_STATE_SQL = """
SELECT (SELECT count(*) FROM scores), (SELECT count(*) FROM models),
       (SELECT count(*) FROM benchmarks), (SELECT count(*) FROM aliases),
       (SELECT coalesce(max(import_id), 0) FROM imports)
"""
Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
_CACHE: WeakKeyDictionary[Store, tuple[tuple[Any, ...], Frames]] = WeakKeyDictionary()


def catalogue_state(store: Store) -> tuple[Any, ...]:
    """Return a key that changes whenever the catalogue does (row counts, latest import)."""
    return tuple(int(v) for v in store.query(_STATE_SQL).iloc[0])


def catalogue_frames(store: Store) -> Frames:
    """Return copies of the (scores, models, benchmarks) tables a fit selects from.

    Sensitivity analyses refit dozens of times on an unchanged store, so the tables are read
    once per store state (row counts and the latest import, which every change goes through).
    """
    state = catalogue_state(store)
    cached = _CACHE.get(store)
    if cached is None or cached[0] != state:
        frames = (store.query(_SCORES_SQL), store.query(_MODELS_SQL),
                  store.query(_BENCHMARKS_SQL))  # fmt: skip
        _CACHE[store] = cached = (state, frames)
    scores, models, benchmarks = cached[1]
    return scores.copy(), models.copy(), benchmarks.copy()


def imports_table(store: Store, import_ids: list[int] | None) -> pd.DataFrame:
    """Return id, kind, path and sha256 of the given imports (``None``: of every import)."""
    if import_ids is None:
        return store.query("SELECT import_id, kind, path, sha256 FROM imports ORDER BY import_id")
    if not import_ids:
        return pd.DataFrame(columns=["import_id", "kind", "path", "sha256"])
    marks = ", ".join("?" for _ in import_ids)
    return store.query(
        f"SELECT import_id, kind, path, sha256 FROM imports WHERE import_id IN ({marks}) "
        "ORDER BY import_id",
        list(import_ids),
    )


@dataclass
class StoredFit:
    """One row of ``fits`` as stored: JSON fields still as text, draws as bytes."""

    fit_id: str
    created_at: datetime
    preset: str
    scale: str
    config: str
    provenance: str
    summary: str
    draws: bytes | None


def save_fit(
    store: Store,
    row: StoredFit,
    capabilities: pd.DataFrame,
    benchmark_params: pd.DataFrame,
) -> None:
    """Write a fit (replacing an earlier fit with the same id) in one transaction.

    ``capabilities`` has the columns of the ``capabilities`` table except ``fit_id``, and
    ``benchmark_params`` those of ``benchmark_params`` except ``fit_id``.
    """
    caps = capabilities.assign(fit_id=row.fit_id)[
        ["fit_id", "model_id", "capability", "capability_raw", "ci_low", "ci_high",
         "se_laplace", "n_benchmarks", "is_anchor"]
    ]  # fmt: skip
    params = benchmark_params.assign(fit_id=row.fit_id)[
        ["fit_id", "benchmark_id", "difficulty", "difficulty_raw", "slope", "n_observations"]
    ]
    with store.transaction() as con:
        for table in ("capabilities", "benchmark_params", "fits"):
            con.execute(f"DELETE FROM {table} WHERE fit_id = ?", [row.fit_id])
        con.execute(
            "INSERT INTO fits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *(row.fit_id, row.created_at, row.preset, row.scale, row.config),
                *(row.provenance, row.summary, row.draws),
            ],
        )
        con.register("_caps_df", caps)
        con.execute("INSERT INTO capabilities SELECT * FROM _caps_df")
        con.unregister("_caps_df")
        con.register("_params_df", params)
        con.execute("INSERT INTO benchmark_params SELECT * FROM _params_df")
        con.unregister("_params_df")


def load_fit_row(store: Store, fit_id: str) -> StoredFit | None:
    """Return the stored row of ``fit_id`` (a unique prefix is enough), or None."""
    rows = store.con.execute(
        "SELECT fit_id, created_at, preset, scale, CAST(config AS VARCHAR), "
        "CAST(provenance AS VARCHAR), CAST(summary AS VARCHAR), draws FROM fits "
        "WHERE fit_id = ? OR starts_with(fit_id, ?) ORDER BY fit_id = ? DESC LIMIT 2",
        [fit_id, fit_id, fit_id],
    ).fetchall()
    if not rows or (len(rows) > 1 and rows[0][0] != fit_id):
        return None
    r = rows[0]
    return StoredFit(
        str(r[0]), r[1], str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]),
        bytes(r[7]) if r[7] is not None else None,
    )  # fmt: skip


def latest_fit_id(store: Store) -> str | None:
    """Return the id of the most recently saved fit, or None when there is none."""
    row = store.con.execute(
        "SELECT fit_id FROM fits ORDER BY created_at DESC, fit_id LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def list_fits(store: Store) -> pd.DataFrame:
    """Return id, time, preset and scale of every stored fit, newest first."""
    return store.query(
        "SELECT fit_id, created_at, preset, scale FROM fits ORDER BY created_at DESC, fit_id"
    )


_OVERVIEW_SQL = """
WITH ranked AS (
    SELECT c.fit_id, c.model_id, c.capability, m.name, m.weights,
           row_number() OVER (PARTITION BY c.fit_id, m.weights
                              ORDER BY c.capability DESC NULLS LAST, c.model_id) AS rank
    FROM capabilities c LEFT JOIN models m ON m.model_id = c.model_id
)
SELECT f.fit_id, f.preset, f.scale, f.created_at,
       (SELECT count(*) FROM capabilities c WHERE c.fit_id = f.fit_id) AS n_models,
       (SELECT count(*) FROM benchmark_params b WHERE b.fit_id = f.fit_id) AS n_benchmarks,
       coalesce(o.name, o.model_id) AS best_open, o.capability AS best_open_capability,
       coalesce(c.name, c.model_id) AS best_closed, c.capability AS best_closed_capability
FROM fits f
LEFT JOIN ranked o ON o.fit_id = f.fit_id AND o.weights = 'open' AND o.rank = 1
LEFT JOIN ranked c ON c.fit_id = f.fit_id AND c.weights = 'closed' AND c.rank = 1
ORDER BY f.created_at DESC, f.fit_id
"""


def fit_overview(store: Store) -> pd.DataFrame:
    """Return every stored fit, newest first: id, preset, scale, time, model and benchmark
    counts, and the best open and best closed model with their capability."""
    return store.query(_OVERVIEW_SQL)


def fit_exists(store: Store, fit_id: str) -> bool:
    """Return whether a fit with exactly this id is stored."""
    row = store.con.execute("SELECT count(*) FROM fits WHERE fit_id = ?", [fit_id]).fetchone()
    return bool(row and row[0])

