"""What model cards, cost frontiers and adoption read from the store: models, prices, downloads."""

from __future__ import annotations

import pandas as pd

from opengap.store.core import Store

CARD_MODEL_COLUMNS = [
    "model_id", "name", "organization", "country", "release_date", "weights", "license",
    "license_class", "params_total_b", "params_active_b", "base_model_id", "version_of",
]  # fmt: skip


def models_table(store: Store) -> pd.DataFrame:
    """Return every model with the facts a card shows (NULL facts stay missing)."""
    return store.query(f"SELECT {', '.join(CARD_MODEL_COLUMNS)} FROM models ORDER BY model_id")


def model_scores(store: Store, model_id: str) -> pd.DataFrame:
    """Return one model's scores with their benchmark, source, harness and setting."""
    return store.query(
        "SELECT s.benchmark_id, b.name AS benchmark, b.domain, s.value, s.normalized, s.harness, "
        "s.setting, s.source, s.source_url, s.eval_date FROM scores s "
        "LEFT JOIN benchmarks b ON b.benchmark_id = s.benchmark_id WHERE s.model_id = ? "
        "ORDER BY s.benchmark_id, s.value DESC",
        [model_id],
    )


def derivative_counts(store: Store) -> pd.DataFrame:
    """Return base_model_id and the number of catalogue models naming it as their base."""
    return store.query(
        "SELECT base_model_id AS model_id, count(*) AS n_derivatives FROM models "
        "WHERE base_model_id IS NOT NULL GROUP BY base_model_id"
    )


def prices_table(store: Store) -> pd.DataFrame:
    """Return every price row: model_id, date, source, input/output/blended USD per 1M tokens."""
    return store.query(
        "SELECT model_id, date, source, input_usd_per_m, output_usd_per_m, blended_usd_per_m "
        "FROM prices ORDER BY model_id, date, source"
    )


def downloads_table(store: Store) -> pd.DataFrame:
    """Return every cumulative download count: model_id, date, cumulative_downloads, source."""
    return store.query(
        "SELECT model_id, date, cumulative_downloads, source FROM downloads "
        "ORDER BY model_id, date, source"
    )


ATOM_SOURCE = "atom-models"
"""The source name of the ATOM Project's tracked-models list (``opengap import atom-models``)."""


def atom_tracked(store: Store) -> list[str]:
    """Return the model ids the ATOM tracked-models import describes (its lists and metadata)."""
    found = store.query(
        "SELECT DISTINCT model_id FROM model_facts WHERE source = ? ORDER BY model_id",
        [ATOM_SOURCE],
    )
    return [str(m) for m in found["model_id"]]
