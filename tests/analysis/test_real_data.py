"""Integration: the gap commands on the real data sets in ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opengap import fitting
from opengap.catalog import import_path
from opengap.cli import app
from opengap.store import Store

MMLU_CATCH_UP = ["gap", "--method", "catch-up", "--benchmark", "MMLU", "--transform", "neglog1m",
                 "--tolerance", "0.02"]  # fmt: skip


@pytest.fixture(scope="module")
def report_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "report.duckdb"
    with Store(path) as store:
        import_path(store, "epoch-open-report", shared_data / "epoch-open-models-2024")
    return str(path)


@pytest.fixture(scope="module")
def hub_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hub") / "hub.duckdb"
    with Store(path) as store:
        import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
        fitting.run_fit(store, preset="epoch-stitching", bootstrap=20)
    return str(path)


def test_mmlu_catch_up_prints_its_pairs(report_db: str) -> None:
    result = CliRunner().invoke(app, [*MMLU_CATCH_UP, "--db", report_db])
    assert result.exit_code == 0, result.output
    assert "catch-up pairs (tolerance 0.02 nats)" in result.output
    # Names, not ids (gpt-4-original, llama-3.1-405b, claude-3.5-sonnet; --wide shows them).
    assert "GPT-4 (original)" in result.output and "Llama 3.1 405B" in result.output
    assert "Censored" in result.output and "Claude 3.5 Sonnet" in result.output


def test_mmlu_catch_up_with_epoch_curation(report_db: str) -> None:
    """Epoch's curation (no Flan fine-tunes, no suspect scores) gives 5 pairs, median 16.6."""
    result = CliRunner().invoke(app, [*MMLU_CATCH_UP, "--exclude", "flan*", "--exclude",
                                      "u-palm", "--trust", "no-suspect", "--json",
                                      "--db", report_db])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(p["closed_model"], p["open_model"]) for p in data["pairs"]] == [
        ("text-davinci-001", "bloom-176b"), ("gopher-280b", "llama-1-65b"),
        ("code-davinci-002", "llama-2-70b"), ("palm-540b", "grok-1"),
        ("gpt-4-original", "llama-3.1-405b")]
    assert data["median_lag_months"] == pytest.approx(16.57, abs=0.01)
    assert [c["closed_model"] for c in data["censored"]] == ["claude-3.5-sonnet"]


def test_mmlu_catch_up_without_curation_matches_misdated_flan_t5(report_db: str) -> None:
    result = CliRunner().invoke(app, [*MMLU_CATCH_UP, "--json", "--db", report_db])
    data = json.loads(result.output)
    first = data["pairs"][0]
    assert (first["open_model"], first["open_date"]) == ("flan-t5-xxl", "2019-10-23")
    assert first["lag_months"] < 0


def test_hub_gap_has_a_bootstrap_interval(hub_db: str) -> None:
    result = CliRunner().invoke(app, ["gap", "--json", "--db", hub_db])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    lag, gap = data["lag_months"], data["vertical_gap"]
    assert lag["ci_low"] is not None and lag["ci_low"] <= lag["value"] <= lag["ci_high"]
    assert gap["ci_low"] is not None and gap["ci_low"] < gap["ci_high"]
    assert data["n_draws"] == 20 and len(data["series"]) > 12


def test_hub_sensitivity_lists_every_benchmark(hub_db: str) -> None:
    result = CliRunner().invoke(app, ["sensitivity", "--subset", "public", "--no-harness",
                                      "--json", "--db", hub_db])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    with Store(hub_db) as store:
        benchmarks = set(fitting.load_fit(store).benchmarks["benchmark_id"])
    assert {r["benchmark_id"] for r in data["benchmarks"]} == benchmarks
    assert all(r["delta_lag_months"] is not None for r in data["benchmarks"])
