"""Library verbs over the catalogue: init, import, and listing models, benchmarks and scores.

Each returns plain data (a DataFrame or a dataclass) so the CLI, the report and the dashboard
present the same thing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opengap import sources
from opengap.store import ImportResult, Store

SNAPSHOT_DIR = Path(__file__).parent / "data" / "snapshot"

MODEL_FIELDS = [
    "model_id", "name", "organization", "country", "release_date", "weights", "license",
    "license_class", "params_total_b", "params_active_b", "base_model_id", "reasoning",
]  # fmt: skip
BENCHMARK_FIELDS = [
    "benchmark_id", "name", "domain", "n_items", "chance", "ceiling", "public", "url",
]  # fmt: skip
SCORE_FIELDS = [
    "model_id", "benchmark_id", "value", "normalized", "stderr", "n_items", "harness",
    "setting", "eval_date", "source", "source_url", "trusted", "import_id",
]  # fmt: skip


def import_path(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    strict: bool = False,
    model: str | None = None,
    benchmark: str | None = None,
) -> ImportResult:
    """Read ``path`` as ``kind`` and apply it to ``store`` in one transaction.

    Returns the :class:`ImportResult` (counts and rejected rows). Re-importing the same content
    returns the earlier import unchanged.
    """
    parts = sources.read_parts(kind, path, model=model, benchmark=benchmark)
    options = ";".join(f"{k}={v}" for k, v in (("model", model), ("benchmark", benchmark)) if v)
    return store.apply_batches(parts, strict=strict, options=options)


def snapshot_available() -> bool:
    """Return True when the bundled snapshot ships with this installation."""
    return (SNAPSHOT_DIR / "scores.csv").exists()


def init_store(store: Store, *, empty: bool = False) -> ImportResult | None:
    """Create the store's tables; unless ``empty``, load the bundled snapshot (once).

    Returns the snapshot's import result, or None when nothing was loaded.
    """
    if empty or not snapshot_available():
        return None
    return import_path(store, "csv", SNAPSHOT_DIR, strict=True)


def list_models(
    store: Store,
    *,
    weights: str | None = None,
    organization: str | None = None,
    country: str | None = None,
    license_class: str | None = None,
    search: str | None = None,
) -> pd.DataFrame:
    """Return the models matching every given filter (case-insensitive), ordered by date."""
    clauses, params = _filters(
        weights=weights, organization=organization, country=country, license_class=license_class
    )
    if search:
        clauses.append("(lower(name) LIKE ? OR lower(model_id) LIKE ?)")
        params += [f"%{search.lower()}%"] * 2
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        f"SELECT {', '.join(MODEL_FIELDS)} FROM models {where} "
        "ORDER BY release_date NULLS LAST, model_id",
        params,
    )


def list_benchmarks(store: Store, *, domain: str | None = None) -> pd.DataFrame:
    """Return benchmarks (optionally of one domain) with their score counts."""
    clauses, params = _filters(domain=domain)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        f"SELECT {', '.join('b.' + f for f in BENCHMARK_FIELDS)}, "
        "(SELECT count(*) FROM scores s WHERE s.benchmark_id = b.benchmark_id) AS n_scores "
        f"FROM benchmarks b {where} ORDER BY b.benchmark_id",
        params,
    )


def list_scores(
    store: Store, *, model: str | None = None, benchmark: str | None = None
) -> pd.DataFrame:
    """Return scores, optionally of one model and/or benchmark (names resolve through aliases)."""
    clauses, params = [], []
    if model:
        clauses.append("model_id = ?")
        params.append(store.resolve_model(model))
    if benchmark:
        clauses.append("benchmark_id = ?")
        params.append(store.resolve_benchmark(benchmark))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        f"SELECT {', '.join(SCORE_FIELDS)} FROM scores {where} "
        "ORDER BY model_id, benchmark_id, value DESC",
        params,
    )


def _filters(**columns: str | None) -> tuple[list[str], list[str]]:
    clauses, params = [], []
    for column, value in columns.items():
        if value:
            clauses.append(f"lower({column}) = ?")
            params.append(value.lower())
    return clauses, params
