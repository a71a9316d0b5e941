"""Library verbs over the catalogue: init, import, and listing models, benchmarks and scores.

Each returns plain data (a DataFrame or a dataclass) so the CLI, the report and the dashboard
present the same thing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from opengap import sources
from opengap.names import canonical_country
from opengap.store import ImportResult, Store
from opengap.store.facts import CURATED

SNAPSHOT_DIR = Path(__file__).parent / "data" / "snapshot"
#: Curated facts about models the snapshot has no scores for (weights, licence, dates ...),
#: each read from a stored copy of its source (docs/audit/2026-12-registry.md).
REGISTRY_DIR = Path(__file__).parent / "data" / "registry"

MODEL_FIELDS = [
    "model_id", "name", "organization", "country", "release_date", "weights", "license",
    "license_class", "params_total_b", "params_active_b", "base_model_id", "reasoning",
]  # fmt: skip
BENCHMARK_FIELDS = [
    "benchmark_id", "name", "domain", "n_items", "chance", "ceiling", "public", "url",
    "composite",
]  # fmt: skip
SCORE_FIELDS = [
    "model_id", "benchmark_id", "value", "normalized", "stderr", "n_items", "harness",
    "setting", "eval_date", "source", "source_url", "trusted", "import_id", "cost_per_task_usd",
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
    """Create the store's tables and load the bundled snapshot (once).

    The snapshot's models always load, as facts of the ``curated`` source (weights, licence,
    country, organisation, dates, aliases), so every store knows the models opengap ships
    knowledge of; with ``empty`` its benchmarks and scores are left out. Returns the snapshot's
    import result, or None when this installation ships no snapshot.
    """
    if not snapshot_available():
        return None
    batch = sources.read_path("csv", SNAPSHOT_DIR)
    if (REGISTRY_DIR / "models.csv").exists():  # one import: the curated catalogue
        registry = sources.read_path("csv", REGISTRY_DIR)
        batch.models += registry.models
        batch.rejected += registry.rejected
        batch.rows_read += registry.rows_read
        batch.sha256 = hashlib.sha256(f"{batch.sha256}+{registry.sha256}".encode()).hexdigest()
    batch.fact_source = CURATED
    if empty:
        batch.benchmarks, batch.scores = [], []
        batch.rows_read = len(batch.models)
        return store.apply_batch(batch, strict=True, options="models-only")
    return store.apply_batch(batch, strict=True)


def list_conflicts(store: Store) -> pd.DataFrame:
    """Return every disagreement between sources on a model fact.

    One row per (model, field, other source): ``value`` and ``source`` are what ``models``
    shows (chosen by the precedence in docs/data.md), ``other_value`` and ``other_source`` a
    differing value; ``inherited_from`` names the model a value was stated for when it reaches
    this one as the model it is a version of.
    """
    return store.model_conflicts()


@dataclass(frozen=True)
class Freshness:
    """How recent the store's data are: the newest release or evaluation date and its age."""

    as_of: date | None
    age_days: int | None
    stale: bool

    def headline(self) -> str:
        """Return ``data as of YYYY-MM-DD``, with a warning in words past :data:`STALE_DAYS`."""
        if self.as_of is None:
            return "data as of: unknown (no dated model or score)"
        text = f"data as of {self.as_of.isoformat()}"
        if self.stale:
            text += f" — {self.age_days} days old: newer models are missing"
        return text


STALE_DAYS = 90


def data_freshness(store: Store, *, today: date | None = None) -> Freshness:
    """Return the newest data date (latest release of a scored model, or score eval date).

    Models without scores (registry imports) do not count: they are not evidence the gap
    uses. ``stale`` is True when that date is more than :data:`STALE_DAYS` before ``today``.
    """
    row = store.query(
        "SELECT greatest(max(s.eval_date), max(m.release_date)) AS as_of FROM scores s "
        "LEFT JOIN models m ON m.model_id = s.model_id"
    )
    value = row["as_of"].iloc[0] if len(row) else None
    if value is None or pd.isna(value):
        return Freshness(None, None, False)
    as_of = pd.Timestamp(value).date()
    age = ((today or date.today()) - as_of).days
    return Freshness(as_of, age, age > STALE_DAYS)


def list_models(
    store: Store,
    *,
    weights: str | None = None,
    organization: str | None = None,
    country: str | None = None,
    license_class: str | None = None,
    search: str | None = None,
) -> pd.DataFrame:
    """Return the models matching every given filter (case-insensitive), ordered by date.

    ``country`` may be any spelling :func:`opengap.names.canonical_country` knows (``USA``).
    """
    clauses, params = _filters(
        weights=weights, organization=organization, country=canonical_country(country),
        license_class=license_class,
    )
    if search:  # a substring: % and _ in it are themselves, not LIKE wildcards
        clauses.append("(lower(name) LIKE ? ESCAPE '\\' OR lower(model_id) LIKE ? ESCAPE '\\')")
        params += [f"%{like_literal(search.lower())}%"] * 2
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        f"SELECT {', '.join(MODEL_FIELDS)} FROM models {where} "
        "ORDER BY release_date NULLS LAST, model_id",
        params,
    )


def like_literal(text: str) -> str:
    """Return ``text`` escaped for a SQL ``LIKE ... ESCAPE '\\'`` pattern (``%``, ``_``, ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    """Return scores, optionally of one model and/or benchmark (names resolve through aliases).

    Columns: :data:`SCORE_FIELDS`, then ``model_name`` and ``benchmark_name`` (for people).
    """
    clauses, params = [], []
    if model:
        clauses.append("s.model_id = ?")
        params.append(store.resolve_model(model))
    if benchmark:
        clauses.append("s.benchmark_id = ?")
        params.append(store.resolve_benchmark(benchmark))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        f"SELECT {', '.join('s.' + f for f in SCORE_FIELDS)}, "
        "coalesce(m.name, s.model_id) AS model_name, "
        "coalesce(b.name, s.benchmark_id) AS benchmark_name FROM scores s "
        "LEFT JOIN models m ON m.model_id = s.model_id "
        f"LEFT JOIN benchmarks b ON b.benchmark_id = s.benchmark_id {where} "
        "ORDER BY s.model_id, s.benchmark_id, s.value DESC",
        params,
    )


def _filters(**columns: str | None) -> tuple[list[str], list[str]]:
    clauses, params = [], []
    for column, value in columns.items():
        if value:
            clauses.append(f"lower({column}) = ?")
            params.append(value.lower())
    return clauses, params
