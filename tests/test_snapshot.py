"""The bundled snapshot: integrity of the three CSV files and a strict load through the store."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from opengap import catalog
from opengap.names import alias_key
from opengap.sources.records import DOMAINS
from opengap.store import Store

SNAPSHOT = catalog.SNAPSHOT_DIR


def _rows(name: str) -> list[dict[str, str]]:
    with (SNAPSHOT / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


MODELS = _rows("models.csv")
BENCHMARKS = _rows("benchmarks.csv")
SCORES = _rows("scores.csv")
MODEL_IDS = {m["model_id"] for m in MODELS}
BENCH = {b["benchmark_id"]: b for b in BENCHMARKS}


def test_coverage() -> None:
    weights = Counter(m["weights"] for m in MODELS)
    assert len(MODELS) >= 150
    assert weights["open"] >= 60
    assert weights["closed"] >= 60
    assert len(BENCHMARKS) >= 15
    assert {b["domain"] for b in BENCHMARKS} >= {"math", "code", "knowledge", "reasoning",
                                                 "agentic", "language", "multimodal"}  # fmt: skip


def test_models_are_complete_and_from_2023_to_2026() -> None:
    for m in MODELS:
        where = m["model_id"]
        assert "2023-01-01" <= m["release_date"] <= "2026-12-31", where
        for column in ("name", "organization", "country", "weights", "license", "license_class"):
            assert m[column], f"{where}: no {column}"
        assert m["source_url"].startswith("https://"), where
        if m["weights"] == "closed":
            assert m["license_class"] == "closed", where
        else:
            assert m["license_class"] in ("permissive", "open-restricted"), where
        if m["base_model"]:
            assert m["base_model"] in MODEL_IDS, where


def test_no_alias_names_two_models() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for m in MODELS:
        for name in [m["model_id"], m["name"], *m["aliases"].split(";")]:
            if alias_key(name):
                owners[alias_key(name)].add(m["model_id"])
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_benchmarks_are_described() -> None:
    for b in BENCHMARKS:
        assert b["domain"] in DOMAINS, b["benchmark_id"]
        assert b["public"] in ("true", "false"), b["benchmark_id"]
        assert b["ceiling"] == "1", b["benchmark_id"]
        assert b["url"].startswith("https://"), b["benchmark_id"]


def test_every_score_names_a_known_model_and_benchmark() -> None:
    assert {s["model_id"] for s in SCORES} <= MODEL_IDS
    assert {s["benchmark_id"] for s in SCORES} <= set(BENCH)


def test_values_are_fractions_in_range() -> None:
    for s in SCORES:
        value = float(s["value"])
        ceiling = float(BENCH[s["benchmark_id"]]["ceiling"])
        assert 0.0 <= value <= ceiling, s


def test_every_score_is_sourced() -> None:
    for s in SCORES:
        where = (s["model_id"], s["benchmark_id"])
        assert s["source"], where
        assert s["source_url"].startswith("https://"), where
        assert s["harness"], where
        assert s["setting"], where


def test_no_duplicate_model_benchmark_source() -> None:
    keys = Counter((s["model_id"], s["benchmark_id"], s["source"]) for s in SCORES)
    assert [k for k, n in keys.items() if n > 1] == []


def test_every_model_has_four_benchmarks() -> None:
    per_model: dict[str, set[str]] = defaultdict(set)
    for s in SCORES:
        per_model[s["model_id"]].add(s["benchmark_id"])
    assert {m: len(per_model[m]) for m in MODEL_IDS if len(per_model[m]) < 4} == {}


def test_files_are_sorted() -> None:
    assert [m["model_id"] for m in MODELS] == [
        m["model_id"] for m in sorted(MODELS, key=lambda m: (m["release_date"], m["model_id"]))
    ]
    assert [b["benchmark_id"] for b in BENCHMARKS] == sorted(BENCH)
    keys = [(s["model_id"], s["benchmark_id"], s["source"]) for s in SCORES]
    assert keys == sorted(keys)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(Path(tmp_path_factory.mktemp("snapshot")) / "store.duckdb")
    result = catalog.init_store(store)  # strict: one rejected row fails the load
    assert result is not None and result.rows_rejected == 0
    return store


def test_strict_load_through_init(loaded: Store) -> None:
    counts = loaded.counts()
    with (catalog.REGISTRY_DIR / "models.csv").open(newline="", encoding="utf-8") as handle:
        registry = {m["model_id"] for m in csv.DictReader(handle)}
    assert not registry & MODEL_IDS  # facts of models the snapshot has no scores for
    assert counts["models"] == len(MODELS) + len(registry)
    assert counts["benchmarks"] == len(BENCHMARKS)
    assert counts["scores"] == len(SCORES)


def test_hub_version_ids_resolve_through_aliases(loaded: Store) -> None:
    assert loaded.resolve_model("gpt-4o-2024-08-06") == "gpt-4o-2024-08-06"
    assert loaded.resolve_model("claude-3-5-sonnet-20241022") == "claude-3.5-sonnet-20241022"
    assert loaded.resolve_model("o3-2025-04-16_high") == "o3"
    assert loaded.resolve_model("deepseek-ai/DeepSeek-V3") == "deepseek-v3"
