"""opengap compare: every evaluator's method recovers a known six-month lag; the chain's shape."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap.cli import app
from opengap.gap import compare
from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store

START = date(2023, 2, 1)
SHIFT_DAYS = 183  # six months
BENCHMARKS = {  # CAISI's ids (so its preset fits), Epoch's pin, MMLU for the 2024 catch-up
    "gpqa-diamond": (0.0, "natural sciences"), "swe-bench-verified": (0.8, "software"),
    "otis-mock-aime-2024-2025": (1.2, "mathematics"), "cybench": (1.6, "cyber"),
    "arc-agi-2": (2.2, "abstract reasoning"), "winogrande": (-2.5, "language"),
    "mmlu": (-1.5, "knowledge"), "hle": (2.5, "knowledge"),
}

ANCHORS = {("closed", 5): "claude-3.5-sonnet", ("closed", 12): "gpt-5"}


def catalogue() -> ImportBatch:
    """A closed (U.S.) model every 61 days, +0.15 logits each; an open (Chinese) twin 6 months on.

    Two closed models carry the ECI anchors' ids, so the eci scale can be set.
    """
    rng = np.random.default_rng(3)
    batch = ImportBatch(kind="csv", path="synthetic", sha256="synthetic")
    for bench, (_, domain) in BENCHMARKS.items():
        batch.benchmarks.append(BenchmarkRecord(bench, name=bench.upper(), domain=domain,
                                                chance=0.0, ceiling=1.0, is_fraction=True,
                                                n_items=500, public=True))
    last = START + timedelta(days=61 * 17)
    for i in range(18):
        first = START + timedelta(days=61 * i)
        for weights, country, day in (("closed", "United States", first),
                                      ("open", "China", first + timedelta(days=SHIFT_DAYS))):
            if day > last:
                continue
            model = ANCHORS.get((weights, i), f"{weights}-{i:02d}")
            capability = -1.0 + 0.15 * i
            batch.models.append(ModelRecord(model, name=model.title(), weights=weights,
                                            release_date=day, country=country))
            for bench, (difficulty, _) in BENCHMARKS.items():
                score = float(expit(capability - difficulty) + rng.normal(0, 0.005))
                batch.scores.append(ScoreRecord(model, bench, min(max(score, 0.001), 0.999),
                                                source="synthetic"))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compare") / "synthetic.duckdb"
    with Store(path) as store:
        store.apply_batch(catalogue(), strict=True)
    return path


@pytest.fixture(scope="module")
def report(db: Path) -> object:
    with Store(db) as store:
        return compare(store, bootstrap=20, harness=False)


def test_every_method_recovers_the_six_month_lag(report: object) -> None:
    from opengap.analysis.compare import CompareReport

    assert isinstance(report, CompareReport)
    lags = {m.method: m.lag_months.value for m in report.methods}
    assert lags["CAISI"] == pytest.approx(6.0, abs=1.0)
    # Epoch's lag runs from the day before the first closed record significantly better than
    # the best open model: its equal-capability twin is not, the next record (61 days on) is
    assert lags["Epoch ECI"] == pytest.approx((SHIFT_DAYS - 61 + 1) / (365 / 12), abs=0.5)
    assert lags["Epoch 2024 catch-up"] == pytest.approx(6.0, abs=1.0)
    assert lags["AA composite"] == pytest.approx(6.0, abs=1.0)
    caisi = report.methods[0]
    assert caisi.groups == "China behind United States"
    assert caisi.lag_months.ci_low <= caisi.lag_months.value <= caisi.lag_months.ci_high


def test_chain_changes_one_choice_at_a_time_and_ends_at_epochs_method(report: object) -> None:
    from opengap.analysis.compare import CompareReport

    assert isinstance(report, CompareReport)
    assert [s.choice for s in report.chain] == [
        "start", "benchmark suite", "grouping", "weighting", "slope model", "scale",
        "lag definition"]
    by_choice = {s.choice: s for s in report.chain}
    # a lag in months does not depend on an affine change of scale
    assert by_choice["scale"].delta_months == pytest.approx(0.0, abs=0.3)
    assert by_choice["grouping"].fields == ()
    assert by_choice["lag definition"].result.lag_months == report.methods[1].lag_months
    for step in report.chain[1:]:
        assert step.delta_months == pytest.approx(
            step.result.lag_months.value - report.chain[step.step - 1].result.lag_months.value)


def test_cli_prints_both_tables_and_json(db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["compare", "--bootstrap", "10", "--no-harness", "--db",
                                 str(db)])
    assert result.exit_code == 0, result.output
    assert "Each evaluator's method" in result.output and "one choice at a time" in result.output
    result = runner.invoke(app, ["compare", "--bootstrap", "10", "--no-harness", "--json",
                                 "--db", str(db)])
    data = json.loads(result.output)
    assert [m["method"] for m in data["methods"]] == [
        "CAISI", "Epoch ECI", "Epoch 2024 catch-up", "AA composite"]
    assert len(data["chain"]) == 7 and data["bootstrap"] == 10


def test_gap_uses_the_caisi_fits_stored_method_and_grouping(db: Path, tmp_path: Path) -> None:
    """After `fit --preset caisi`, a plain `gap` is CAISI's trend lag of China behind the U.S."""
    from opengap import fitting
    from opengap.analysis.caisi_report import CaisiTrendReport
    from opengap.analysis.reports import LagReport
    from opengap.gap import gap

    copy = tmp_path / "caisi.duckdb"
    copy.write_bytes(db.read_bytes())
    with Store(copy) as store:
        fitting.run_fit(store, preset="caisi", bootstrap=20)
        stored = gap(store)
        told = gap(store, method="lag", by="weights")
    assert isinstance(stored, CaisiTrendReport)
    assert (stored.lead, stored.trail) == ("United States", "China")
    assert stored.trend.lag_months.value == pytest.approx(6.0, abs=1.0)
    assert isinstance(told, LagReport)
    result = CliRunner().invoke(app, ["gap", "--json", "--db", str(copy)])
    assert json.loads(result.output)["method"] == "caisi-trend"
