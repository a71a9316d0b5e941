"""Model and benchmark names resolve through ids and aliases, ignoring case and punctuation."""

from __future__ import annotations

from pathlib import Path

import pytest

from opengap import catalog
from opengap.errors import UnknownBenchmark, UnknownModel
from opengap.store import Store


@pytest.fixture
def catalogue(store: Store, small_csv: Path) -> Store:
    catalog.import_path(store, "csv", small_csv)
    return store


@pytest.mark.parametrize(
    "ref",
    [
        "gpt-4o-2024-08-06",
        "gpt-4o (2024-08-06)",
        "GPT-4o (2024-08-06)",
        "GPT 4o 2024 08 06",
        "gpt_4o_2024_08_06",
    ],
)
def test_dated_model_names_resolve_to_one_id(catalogue: Store, ref: str) -> None:
    assert catalogue.resolve_model(ref) == "gpt-4o-2024-08-06"


def test_listed_alias_and_benchmark_name_resolve(catalogue: Store) -> None:
    assert catalogue.resolve_model("meta-llama-3.1-70b-instruct") == "llama-3.1-70b"
    assert catalogue.resolve_model("Llama 3.1 70B") == "llama-3.1-70b"
    assert catalogue.resolve_benchmark("GPQA diamond") == "gpqa-diamond"
    assert catalogue.resolve_benchmark("gpqa_diamond") == "gpqa-diamond"


def test_scores_filter_through_aliases(catalogue: Store) -> None:
    frame = catalog.list_scores(catalogue, model="gpt-4o (2024-08-06)", benchmark="GPQA Diamond")
    assert frame[["model_id", "benchmark_id", "value"]].values.tolist() == [
        ["gpt-4o-2024-08-06", "gpqa-diamond", 0.51],
    ]


def test_unknown_names_raise_with_suggestions(catalogue: Store) -> None:
    with pytest.raises(UnknownModel) as info:
        catalogue.resolve_model("gpt-4o-2024-08-07")
    assert str(info.value) == (
        "unknown model 'gpt-4o-2024-08-07' (did you mean 'gpt-4o-2024-08-06'?)"
    )
    with pytest.raises(UnknownBenchmark) as bench:
        catalogue.resolve_benchmark("mmlu")
    assert str(bench.value) == "unknown benchmark 'mmlu'"


def test_an_id_keeps_its_alias_against_a_later_name(catalogue: Store, tmp_path: Path) -> None:
    # A later model whose *name* normalises like an existing id does not take that id over.
    later = tmp_path / "later.csv"
    later.write_text("model_id,name\ngpt-4o-aug,GPT 4o 2024-08-06\n")
    catalog.import_path(catalogue, "csv", later)
    assert catalogue.resolve_model("gpt-4o-2024-08-06") == "gpt-4o-2024-08-06"
    assert catalogue.resolve_model("GPT-4o (2024-08-06)") == "gpt-4o-2024-08-06"
    assert catalogue.resolve_model("gpt-4o-aug") == "gpt-4o-aug"


def test_an_exact_id_wins_over_an_alias(catalogue: Store, tmp_path: Path) -> None:
    later = tmp_path / "later.csv"
    later.write_text("model_id,aliases\nllama31-70b,\n")
    catalog.import_path(catalogue, "csv", later)
    assert catalogue.resolve_model("llama31-70b") == "llama31-70b"
    assert catalogue.resolve_model("llama-3.1-70b") == "llama-3.1-70b"
