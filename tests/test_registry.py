"""The curated catalogue informs every store: a store holding only the Epoch hub gets open right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from opengap import catalog
from opengap.store import Store

#: The hub gives no Hugging Face id for these, so on its own it calls them closed (issue 14).
OPEN_ON_THE_HUB = [
    "gpt-oss-120b", "gpt-oss-20b", "GLM-4.5", "GLM-4.6", "DeepSeek-V3.2-Exp",
    "Qwen3-Coder-480B-A35B-Instruct", "Qwen3-14B", "mistral-small-2409",
    "LLaMA-7B", "LLaMA-13B", "LLaMA-33B", "LLaMA-65B",
    # effort and provider versions the hub lists separately
    "gpt-oss-120b_high", "glm-4.5_thinking", "DeepSeek-V3.2-Exp_thinking", "chutes/Qwen3-14B",
    "DeepSeek-V3.2-Exp_high", "chutes/GLM-4.5-FP8",
]  # fmt: skip


@pytest.fixture(scope="module")
def hub_only(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("hub") / "h.duckdb")
    catalog.init_store(store, empty=True)
    catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
    yield store
    store.close()


@pytest.fixture(scope="module")
def hub_then_init(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The other order: the hub imported first, the curated catalogue after it."""
    store = Store(tmp_path_factory.mktemp("hub-first") / "h.duckdb")
    catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
    catalog.init_store(store, empty=True)
    yield store
    store.close()


@pytest.mark.parametrize("name", OPEN_ON_THE_HUB)
@pytest.mark.parametrize("order", ["init first", "hub first"])
def test_a_hub_only_store_labels_open_models_open(
    hub_only: Store, hub_then_init: Store, name: str, order: str
) -> None:
    store = hub_only if order == "init first" else hub_then_init
    model_id = store.resolve_model(name)
    weights = store.con.execute(
        "SELECT weights FROM models WHERE model_id = ?", [model_id]
    ).fetchall()
    assert weights == [("open",)], (name, model_id)


@pytest.mark.parametrize("order", ["init first", "hub first"])
def test_kimi_k2_0905_gets_its_release_date(
    hub_only: Store, hub_then_init: Store, order: str
) -> None:
    store = hub_only if order == "init first" else hub_then_init
    model_id = store.resolve_model("Kimi-K2-Instruct-0905")
    row = store.con.execute(
        "SELECT release_date FROM models WHERE model_id = ?", [model_id]
    ).fetchall()
    assert row == [(date(2025, 9, 5),)]  # the hub says 2024-09-05, before Kimi K2 existed


def test_the_hubs_scores_reach_the_curated_models(hub_only: Store) -> None:
    frame = catalog.list_scores(hub_only, model="gpt-oss-120b_high")
    assert len(frame) > 0 and set(frame["model_id"]) == {"gpt-oss-120b"}


def test_conflicts_name_the_hubs_closed_label(hub_only: Store) -> None:
    frame = catalog.list_conflicts(hub_only)
    weights = frame[(frame["field"] == "weights") & (frame["model_id"] == "gpt-oss-120b")]
    assert weights[["value", "source", "other_value", "other_source"]].values.tolist() == [
        ["open", "curated", "closed", "epoch-hub"]
    ]


def test_countries_have_one_spelling_in_the_store(hub_only: Store) -> None:
    countries = {r[0] for r in hub_only.con.execute(
        "SELECT DISTINCT country FROM models WHERE country IS NOT NULL").fetchall()}
    assert "United States of America" not in countries and "USA" not in countries
    assert "United States" in countries


def test_reimporting_the_hub_changes_nothing(hub_only: Store, shared_data: Path) -> None:
    before = hub_only.counts()
    result = catalog.import_path(hub_only, "epoch-hub", shared_data / "epoch-benchmarking-hub")
    assert result.already_imported and hub_only.counts() == before


def test_models_conflicts_cli_lists_both_values_and_sources(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from opengap.cli import app

    runner = CliRunner()
    db = str(tmp_path / "c.duckdb")
    assert runner.invoke(app, ["init", "--empty", "--db", db]).exit_code == 0
    mine = tmp_path / "models.csv"
    mine.write_text("model_id,weights,country\ngpt-oss-120b,closed,USA\n")
    assert runner.invoke(app, ["import", "csv", str(mine), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["models", "--conflicts", "--json", "--db", db])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r for r in rows if r["model_id"] == "gpt-oss-120b"] == [
        {"model_id": "gpt-oss-120b", "field": "weights", "value": "closed", "source": "csv",
         "other_value": "open", "other_source": "curated"},
    ]  # USA is United States: no conflict on the country
    table = runner.invoke(app, ["models", "--conflicts", "--db", db])
    assert table.exit_code == 0 and "disagreements between sources" in table.stdout


def test_the_country_filter_takes_any_spelling(hub_only: Store) -> None:
    usa = catalog.list_models(hub_only, country="USA")
    assert len(usa) > 0 and set(usa["country"]) == {"United States"}
    assert len(catalog.list_models(hub_only, country="United States of America")) == len(usa)
