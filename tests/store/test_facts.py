"""Model facts keep their sources; a precedence picks the value shown, whatever the order."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from opengap import catalog
from opengap.sources.records import ImportBatch, ModelRecord
from opengap.store import Store, facts
from opengap.store.facts import PRECEDENCE, rank


def _batch(kind: str, *models: ModelRecord, source: str | None = None) -> ImportBatch:
    batch = ImportBatch(kind=kind, path=f"{kind}-test", sha256=f"{kind}-{source}-{len(models)}",
                        rows_read=len(models), models=list(models), fact_source=source)
    return batch


CURATED = _batch(
    "csv",
    ModelRecord("oss-1", name="OSS One", weights="open", license_class="permissive",
                country="United States of America", release_date=date(2025, 8, 5),
                aliases=["org/OSS-One"]),
    source="curated",
)
HUB = _batch(
    "epoch-hub",
    ModelRecord("oss-1", name="oss-1", weights="closed", release_date=date(2024, 8, 5)),
    ModelRecord("oss-1_high", name="oss-1 high", weights="closed", version_of="oss-1",
                release_date=date(2025, 8, 6)),
)
EPOCH = _batch(
    "epoch-models",
    ModelRecord("oss-1", weights="open", country="USA", params_total_b=117.0,
                organization="Org"),
)
ATOM = _batch(
    "atom-models",
    ModelRecord("org/OSS-One-Instruct-FP8", weights="open", params_total_b=116.8),
)


def _state(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    models = store.con.execute(
        "SELECT model_id, name, weights, license_class, country, release_date, params_total_b, "
        "organization FROM models ORDER BY model_id"
    ).fetchall()
    conflicts = [tuple(r) for r in catalog.list_conflicts(store).itertuples(index=False)]
    return models, conflicts


@pytest.mark.parametrize("order", list(itertools.permutations([CURATED, HUB, EPOCH])))
def test_the_value_shown_does_not_depend_on_import_order(
    tmp_path: object, order: tuple[ImportBatch, ...]
) -> None:
    from pathlib import Path

    with Store(Path(str(tmp_path)) / "a.duckdb") as first:
        for batch in (CURATED, HUB, EPOCH):
            first.apply_batch(batch)
        expected = _state(first)
    with Store(Path(str(tmp_path)) / "b.duckdb") as other:
        for batch in order:
            other.apply_batch(batch)
        assert _state(other) == expected


def test_a_spelling_of_another_source_joins_the_registered_model(store: Store) -> None:
    store.apply_batch(CURATED)  # as init does: the curated catalogue comes first
    store.apply_batch(ATOM)
    assert store.con.execute("SELECT model_id FROM models").fetchall() == [("oss-1",)]
    facts = store.con.execute(
        "SELECT source FROM model_facts WHERE model_id = 'oss-1' AND field = 'params_total_b'"
    ).fetchall()
    assert facts == [("atom-models",)]
    assert store.resolve_model("OSS-One-Instruct-AWQ") == "oss-1"


def test_curated_beats_a_leaderboard_and_sources_are_kept(store: Store) -> None:
    for batch in (HUB, EPOCH, CURATED):  # the curated catalogue last, as a re-import would be
        store.apply_batch(batch)
    row = store.con.execute(
        "SELECT weights, release_date, country, params_total_b, organization FROM models "
        "WHERE model_id = 'oss-1'"
    ).fetchall()
    assert row == [("open", date(2025, 8, 5), "United States", 117.0, "Org")]
    sources = store.con.execute(
        "SELECT source, value FROM model_facts WHERE model_id = 'oss-1' AND field = 'weights' "
        "ORDER BY source"
    ).fetchall()
    assert sources == [("curated", "open"), ("epoch-hub", "closed"), ("epoch-models", "open")]


def test_a_version_sees_its_models_weights_but_keeps_its_own_date(store: Store) -> None:
    for batch in (HUB, CURATED):
        store.apply_batch(batch)
    row = store.con.execute(
        "SELECT weights, license_class, release_date FROM models WHERE model_id = 'oss-1_high'"
    ).fetchall()
    assert row == [("open", "permissive", date(2025, 8, 6))]


def test_conflicts_list_both_values_and_sources(store: Store) -> None:
    for batch in (CURATED, HUB, EPOCH):
        store.apply_batch(batch)
    frame = catalog.list_conflicts(store)
    rows = {(r.model_id, r.field): r for r in frame.itertuples(index=False)}
    weights = rows[("oss-1", "weights")]
    assert (weights.value, weights.source, weights.other_value, weights.other_source) == (
        "open", "curated", "closed", "epoch-hub",
    )
    date_row = rows[("oss-1", "release_date")]
    assert (date_row.value, date_row.other_value) == ("2025-08-05", "2024-08-05")
    # the version's closed label loses to what the model it is a version of is known to be
    high = rows[("oss-1_high", "weights")]
    assert (high.value, high.source, high.other_source) == (
        "open", "curated (via oss-1)", "epoch-hub",
    )
    # equal facts (USA = United States of America) are no conflict
    assert ("oss-1", "country") not in rows


def test_precedence_puts_the_curated_catalogue_over_registries_over_leaderboards() -> None:
    for field in PRECEDENCE:
        assert rank(field, "curated") < rank(field, "epoch-models") < rank(field, "epoch-hub")
        assert rank(field, "atom-models") < rank(field, "artificial-analysis")
        assert rank(field, "an-unknown-kind") == len(PRECEDENCE[field])


def test_spellings_of_one_organisation_are_no_conflict(store: Store) -> None:
    store.apply_batch(_batch("epoch-models", ModelRecord("m", organization="Mistral AI")))
    store.apply_batch(_batch("atom-models", ModelRecord("m", organization="mistralai")))
    store.apply_batch(_batch("helm-models", ModelRecord("m", organization="Mistral")))
    frame = catalog.list_conflicts(store)
    assert frame[["value", "source", "other_value", "other_source"]].values.tolist() == [
        ["Mistral AI", "epoch-models", "Mistral", "helm-models"]
    ]


def test_facts_written_in_many_statements_are_the_same(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_facts cuts a part's facts into statements of FACT_ROWS (memory): nothing lost."""
    hub = shared_data / "epoch-benchmarking-hub"
    stored = []
    for name, rows in (("one", facts.FACT_ROWS), ("many", 7)):
        monkeypatch.setattr(facts, "FACT_ROWS", rows)
        with Store(tmp_path / f"{name}.duckdb") as store:
            catalog.init_store(store, empty=True)
            catalog.import_path(store, "epoch-hub", hub)
            tables = ("model_facts", "models")
            stored.append([store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                           for t in tables])
    assert len(stored[0][0]) > 7 * 10  # many statements of 7
    assert stored[1] == stored[0]


def test_facts_chosen_in_many_buckets_are_the_same(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """refresh_steps ranks the facts in buckets of about REFRESH_FACTS (memory): the models'
    shown facts are those of one ranking over all, on the bundled catalogue and the real hub
    and Artificial Analysis files (sources that disagree, and versions that inherit)."""
    stored = []
    buckets = []
    for name, size in (("one", 10**9), ("many", 50)):
        monkeypatch.setattr(facts, "REFRESH_FACTS", size)
        with Store(tmp_path / f"{name}.duckdb") as store:
            catalog.init_store(store)
            catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
            catalog.import_path(store, "artificial-analysis",
                                shared_data / "artificial-analysis-2026")  # fmt: skip
            buckets.append(len(facts.refresh_steps(store.con)) - 2)
            store.con.execute("UPDATE models SET weights = NULL, name = NULL, country = NULL")
            facts.refresh_models(store.con)  # chosen again from nothing shown
            stored.append(store.con.execute("SELECT * FROM models ORDER BY ALL").fetchall())
            assert not store.con.execute(
                "SELECT * FROM duckdb_tables() WHERE table_name = 'og_families'"
            ).fetchall()  # the temporary table is dropped
    assert buckets[0] == 1 and buckets[1] > 20
    assert stored[1] == stored[0]
    open_ = {row[0] for row in stored[0] if row[0].startswith("gpt-oss") and "open" in row}
    assert open_  # the curated open gpt-oss models stay open
