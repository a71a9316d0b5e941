"""The gap verb and command on one benchmark's raw scores, in a store built from records."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from opengap.analysis.reports import CatchUpReport, GroupReport, LagReport
from opengap.cli import app
from opengap.errors import BadArgument, UnknownBenchmark
from opengap.gap import gap
from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store

START = date(2022, 1, 1)


def toy_batch() -> ImportBatch:
    """Closed models every 73 days with accuracy rising; open models the same 365 days later."""
    batch = ImportBatch(kind="csv", path="toy", sha256="toy")
    batch.benchmarks += [
        BenchmarkRecord("toy", name="Toy", domain="knowledge", n_items=1000, chance=0.0,
                        ceiling=1.0, is_fraction=True, public=True),
        BenchmarkRecord("closed-only", name="Closed only", is_fraction=True, ceiling=1.0),
    ]
    for i in range(12):
        day = START + timedelta(days=73 * i)
        acc = 0.40 + 0.04 * i
        batch.models.append(ModelRecord(f"closed-{i}", name=f"Closed {i}", weights="closed",
                                        release_date=day, country="United States"))
        batch.scores.append(ScoreRecord(f"closed-{i}", "toy", acc, source="t", trusted=True))
        batch.scores.append(ScoreRecord(f"closed-{i}", "closed-only", acc, source="t"))
        open_day = day + timedelta(days=365)
        if open_day <= START + timedelta(days=73 * 11):
            country = "China" if i % 2 else "France"
            batch.models.append(ModelRecord(f"open-{i}", name=f"Open {i}", weights="open",
                                            release_date=open_day, country=country,
                                            params_total_b=7.0 if i % 2 else 70.0))
            batch.scores.append(ScoreRecord(f"open-{i}", "toy", acc, source="t",
                                            trusted=i != 4))
    # a fine-tune that would look like an early catch-up
    batch.models.append(ModelRecord("open-ft", name="Open FT", weights="open",
                                    release_date=START + timedelta(days=200),
                                    base_model_id="open-0", country="France"))
    batch.scores.append(ScoreRecord("open-ft", "toy", 0.47, source="t", trusted=False))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture
def toy(store: Store) -> Store:
    store.apply_batch(toy_batch(), strict=True)
    return store


def test_catch_up_on_raw_scores(toy: Store) -> None:
    report = gap(toy, method="catch-up", benchmark="Toy", tolerance=0.001,
                 exclude_finetunes=True)
    assert isinstance(report, CatchUpReport)
    data = report.to_dict()
    lags = [p["lag_months"] for p in data["pairs"]]
    assert lags == pytest.approx([12.0] * len(lags))
    assert len(lags) == 7
    assert [c["closed_model"] for c in data["censored"]] == [f"closed-{i}" for i in range(7, 12)]
    assert data["median_lag_months"] == pytest.approx(12.0)
    assert data["benchmark"] == "toy" and data["unit"] == "score"


def test_finetune_and_trust_curation_move_the_catch_up(toy: Store) -> None:
    with_ft = gap(toy, method="catch-up", benchmark="toy", tolerance=0.001)
    assert isinstance(with_ft, CatchUpReport)
    first = with_ft.result.pairs[0]
    assert (first.closed_model, first.open_model) == ("closed-0", "open-ft")
    no_suspect = gap(toy, method="catch-up", benchmark="toy", tolerance=0.001, trust="no-suspect")
    assert isinstance(no_suspect, CatchUpReport)
    assert "open-ft" not in [p.open_model for p in no_suspect.result.pairs]
    assert any("untrusted scores dropped: 2" in n for n in no_suspect.context.notes)


def test_lag_on_transformed_scores_with_sampling_draws(toy: Store) -> None:
    report = gap(toy, benchmark="toy", transform="neglog1m", exclude_finetunes=True)
    assert isinstance(report, LagReport)
    assert report.lag_months.value == pytest.approx(12.0)
    expected = -np.log(1 - 0.84) + np.log(1 - 0.64)
    assert report.vertical_gap.value == pytest.approx(expected)
    assert report.vertical_gap.ci_low < expected < report.vertical_gap.ci_high
    assert report.context.unit == "nats" and report.context.n_draws == 1000


def test_grouped_on_raw_scores(toy: Store) -> None:
    report = gap(toy, benchmark="toy", by="size", exclude_finetunes=True)
    assert isinstance(report, GroupReport)
    assert [r["group"] for r in report.rows] == ["<10B", "50-199B"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"benchmark": "closed-only"}, "no open-weights models with a release date on closed-only"),
    ({"benchmark": "toy", "at": "2031-01-01"}, "--at 2031-01-01 is outside the data"),
    ({"benchmark": "toy", "method": "vibes"}, "unknown method 'vibes'"),
    ({"benchmark": "toy", "by": "country", "groups": ["Mars"]}, "unknown group 'Mars'"),
    ({"benchmark": "toy", "by": "colour"}, "unknown grouping 'colour'"),
    ({"transform": "neglog1m"}, "--transform needs --benchmark"),
    ({"benchmark": "toy", "significance": True, "method": "trend"},
     "--significance goes with --method lag"),
    ({"benchmark": "toy", "method": "catch-up", "tolerance": -1.0}, "--tolerance must be >= 0"),
])
def test_bad_arguments(toy: Store, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BadArgument, match=message.replace("(", r"\(")):
        gap(toy, **kwargs)  # type: ignore[arg-type]


def test_unknown_benchmark(toy: Store) -> None:
    with pytest.raises(UnknownBenchmark, match="unknown benchmark 'nope'"):
        gap(toy, benchmark="nope")


def test_cli_prints_pairs_and_json(toy: Store) -> None:
    db = str(toy.path)
    toy.close()
    runner = CliRunner()
    result = runner.invoke(app, ["gap", "--method", "catch-up", "--benchmark", "toy",
                                 "--tolerance", "0.001", "--exclude-finetunes", "--db", db])
    assert result.exit_code == 0, result.output
    assert "catch-up pairs" in result.output and "Closed 0" in result.output  # names, not ids
    assert "Censored" in result.output
    result = runner.invoke(app, ["gap", "--benchmark", "toy", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "lag" and data["lag_months"]["value"] is not None
    assert data["headline"].startswith("Open models trail closed by")


def test_cli_bad_argument_is_one_line_exit_2(toy: Store) -> None:
    db = str(toy.path)
    toy.close()
    result = CliRunner().invoke(app, ["gap", "--benchmark", "closed-only", "--db", db])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: no open-weights models with a release date on closed-only")
    result = CliRunner().invoke(app, ["gap", "--benchmark", "toy", "--at", "1999-01-01",
                                      "--db", db])
    assert result.exit_code == 2 and result.output.count("\n") == 1
