"""The gap and sensitivity verbs over a fitted synthetic catalogue with a known lag."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap import fitting
from opengap.analysis.reports import GroupReport, LagReport, TrendReport
from opengap.cli import app
from opengap.errors import BadArgument, NoFit, OpengapError
from opengap.gap import breakdowns, gap, sensitivity
from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store

START = date(2021, 1, 1)
BENCHMARKS = {"b-easy": (-2.0, "knowledge", True), "b-mid": (-0.5, "knowledge", True),
              "b-hard": (1.0, "math", True), "b-harder": (2.0, "math", False),
              "b-agent": (0.5, "agentic", False), "b-code": (0.0, "code", True)}
SHIFT_DAYS = 365


def catalogue() -> ImportBatch:
    """Closed models every 73 days, capability +0.2 logits each; open = closed a year later.

    An open model gets its closed twin's scores (same noise) at 0.05 logits less capability,
    so the closed frontier reached it exactly at its twin's release: a lag of 12 months.
    """
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 0.01, (16, len(BENCHMARKS)))
    batch = ImportBatch(kind="csv", path="synthetic", sha256="synthetic")
    for bench, (_, domain, public) in BENCHMARKS.items():
        batch.benchmarks.append(BenchmarkRecord(bench, name=bench.upper(), domain=domain,
                                                chance=0.0, ceiling=1.0, is_fraction=True,
                                                n_items=400, public=public))
    last = START + timedelta(days=73 * 15)
    for i in range(16):
        for weights, day in (("closed", START + timedelta(days=73 * i)),
                             ("open", START + timedelta(days=73 * i + SHIFT_DAYS))):
            if day > last:
                continue
            model = f"{weights}-{i:02d}"
            capability = -1.5 + 0.2 * i - (0.05 if weights == "open" else 0.0)
            batch.models.append(ModelRecord(
                model, name=model.title(), weights=weights, release_date=day,
                country="United States" if i % 2 else "China", params_total_b=7.0 * (1 + i % 3),
            ))  # fmt: skip
            for j, (bench, (difficulty, _, _)) in enumerate(BENCHMARKS.items()):
                harness = "inspect" if (i + j) % 3 == 0 else None
                offset = -0.3 if harness else 0.0
                score = float(expit(capability + offset - difficulty) + noise[i, j])
                batch.scores.append(ScoreRecord(model, bench, min(max(score, 0.0), 1.0),
                                                source="synthetic", harness=harness))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture(scope="module")
def fitted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "synthetic.duckdb"
    with Store(path) as store:
        store.apply_batch(catalogue(), strict=True)
        fitting.run_fit(store, preset="default", bootstrap=40)
    return path


@pytest.fixture
def db(fitted_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(fitted_db.read_bytes())
    return copy


def test_lag_recovers_the_one_year_shift(db: Path) -> None:
    with Store(db) as store:
        report = gap(store)
    assert isinstance(report, LagReport)
    assert report.lag_months.value == pytest.approx(12.0, abs=0.1)
    assert report.lag_months.ci_low <= 12.0 + 0.1 and report.lag_months.ci_high >= 12.0 - 0.1
    assert report.context.n_draws == 40
    assert report.best_open is not None and report.best_open.model_id == "open-10"
    assert report.best_closed is not None and report.best_closed.model_id == "closed-15"
    assert report.vertical_gap.value > 0
    assert report.to_dict()["fit_id"] == report.context.fit_id


def test_trend_and_significance_on_the_fit(db: Path) -> None:
    with Store(db) as store:
        trend = gap(store, method="trend")
        sig = gap(store, significance=True)
    assert isinstance(trend, TrendReport)
    assert trend.trend.lag_months.value == pytest.approx(12.0, abs=1.0)
    assert isinstance(sig, LagReport)
    assert sig.lag_months.value <= 12.1


def test_fit_id_chooses_and_unknown_fit_id_fails(db: Path) -> None:
    with Store(db) as store:
        fit_id = fitting.load_fit(store).fit_id
        assert gap(store, fit_id=fit_id[:8]).to_dict()["fit_id"] == fit_id
        with pytest.raises(NoFit, match="no stored fit 'nope'"):
            gap(store, fit_id="nope")


def test_no_fit_in_store_fits_the_default_preset_first(tmp_path: Path) -> None:
    with Store(tmp_path / "fresh.duckdb") as store:
        store.apply_batch(catalogue(), strict=True)
        report = gap(store)
        assert report.to_dict()["fit_id"] == fitting.load_fit(store).fit_id


def test_grouped_and_domain_breakdowns(db: Path) -> None:
    with Store(db) as store:
        by_country = gap(store, by="country")
        domains = gap(store, by="domain")
        tables = breakdowns(store)
    assert isinstance(by_country, GroupReport)
    assert {r["group"] for r in by_country.rows} == {"China", "United States"}
    assert isinstance(domains, GroupReport)
    assert {r["group"] for r in domains.rows} == {"agentic", "code", "knowledge", "math"}
    assert set(tables) == {"domain", "country", "size"}
    with Store(db) as store, pytest.raises(BadArgument, match="--by domain refits per domain"):
        gap(store, by="domain", method="trend")


def test_sensitivity_lists_every_benchmark(db: Path) -> None:
    with Store(db) as store:
        report = sensitivity(store)
    data = report.to_dict()
    assert {r["benchmark_id"] for r in data["benchmarks"]} == set(BENCHMARKS)
    assert all({"delta_lag_months", "delta_points"} <= set(r) for r in data["benchmarks"])
    influence = [abs(r["delta_lag_months"]) for r in data["benchmarks"]]
    assert influence == sorted(influence, reverse=True)
    assert {r["subset"] for r in data["subsets"]} >= {"public", "private", "math"}
    offsets = {r["harness"]: r for r in data["harness"]["offsets"]}
    assert set(offsets) == {"unspecified", "inspect"}
    inspect = offsets["inspect"]
    assert inspect["offset"] == pytest.approx(-0.3, abs=0.1)
    assert inspect["ci_low"] <= inspect["offset"] <= inspect["ci_high"] or (
        inspect["ci_high"] - inspect["ci_low"] < 0.2)
    assert data["harness"]["restated"]["lag_months"]["value"] == pytest.approx(12.0, abs=0.5)
    assert len(data["widening"]) == len(fitting.load_fit(Store(db)).models)
    assert all(r["max_widening"] is None or r["max_widening"] > 0.5 for r in data["widening"])


def test_leave_one_out_in_workers_matches_refits_in_this_process(db: Path) -> None:
    """The forked refits give exactly what the serial loop and a plain refit give."""
    from opengap.gap.refits import gap_of, leave_one_out, refit_fit

    with Store(db) as store:
        base = fitting.load_fit(store)
        ids = [str(b) for b in base.benchmarks["benchmark_id"]]
        day = float(max(d.toordinal() for d in base.models["release_date"]))
        parallel = leave_one_out(store, base, ids, day, n_jobs=2)
        serial = leave_one_out(store, base, ids, day, n_jobs=1)
        direct = refit_fit(store, base, benchmarks=ids[1:], bootstrap=0)
        expected = gap_of(store, direct, day, base)
    assert [row[0] for row in parallel] == ids
    assert parallel == serial
    bench, lag, error, se = parallel[0]
    assert (bench, error) == (ids[0], None)
    assert lag == pytest.approx(expected)
    assert set(se) == set(direct.models["model_id"])


def test_refits_in_workers_match_refits_in_this_process(db: Path, tmp_path: Path) -> None:
    """refit_many's forked refits (serial bootstrap) equal refit_fit's, draws included."""
    from opengap.fit.bootstrap import default_jobs
    from opengap.gap import refits as gap_module
    from opengap.gap.refits import refit_fit, refit_many

    copy = tmp_path / "second.duckdb"
    copy.write_bytes(db.read_bytes())
    with Store(db) as store:
        base = fitting.load_fit(store)
        ids = [str(b) for b in base.benchmarks["benchmark_id"]]
        variants = [{"benchmarks": ids[:-1]}, {"benchmarks": ids[1:]}, {"benchmarks": ids[:1]}]
        refit_many(store, base, variants)
        if default_jobs() > 1:  # computed in the workers, before refit_fit asks
            assert len(gap_module._REFITS[store]) == len(variants)
        forked = [refit_fit(store, base, **v) for v in variants[:2]]
        with pytest.raises(OpengapError):  # one benchmark leaves nothing to fit
            refit_fit(store, base, **variants[2])
    with Store(copy) as store:  # another store: nothing memoised, refitted here
        here = [refit_fit(store, base, **v) for v in variants[:2]]
    for a, b in zip(forked, here, strict=True):
        assert a.fit_id == b.fit_id
        np.testing.assert_array_equal(a.draws, b.draws)
        np.testing.assert_array_equal(a.models["capability"], b.models["capability"])


def test_sensitivity_subset_file_and_bad_subset(db: Path, tmp_path: Path) -> None:
    listing = tmp_path / "subset.txt"
    listing.write_text("# two easy ones\nb-easy\nB-MID\nb-code\n")
    with Store(db) as store:
        report = sensitivity(store, subset=str(listing), harness=False)
        assert report.subsets["subset"].tolist() == ["subset.txt"]
        assert report.harness == {"skipped": "not asked"}
        with pytest.raises(BadArgument, match="unknown subset 'sports'"):
            sensitivity(store, subset="sports", harness=False)


def test_cli_gap_and_sensitivity_json(db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["gap", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"method", "at", "best_open", "best_closed", "vertical_gap", "lag_months",
            "series", "headline", "fit_id"} <= set(data)
    result = runner.invoke(app, ["gap", "--db", str(db)])
    assert result.exit_code == 0 and result.output.startswith("Open models trail closed by")
    result = runner.invoke(app, ["sensitivity", "--no-harness", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Leave one benchmark out" in result.output
    result = runner.invoke(app, ["gap", "--by", "country", "--group", "Atlantis", "--db",
                                 str(db)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: unknown group 'Atlantis' for --by country")


def test_caisi_trend_on_the_fit_recovers_the_shift(db: Path) -> None:
    """Open twins come a year later 0.05 logits lower: 12 months plus 0.05/0.2 of 73 days."""
    with Store(db) as store:
        report = gap(store, method="caisi-trend", by="weights")
    expected = 12.0 + 0.25 * 73 / (365 / 12)
    assert report.to_dict()["lead"] == "closed"
    assert report.to_dict()["lag_months"]["value"] == pytest.approx(expected, abs=1.0)  # as trend


def test_epoch_window_average_on_the_fit(db: Path) -> None:
    """Every day of the last year, the best open model trails by about its twin's year."""
    with Store(db) as store:
        report = gap(store, significance=True, since="2023-12-01", at="2023-12-31")
        with pytest.raises(BadArgument, match="--since goes with --significance"):
            gap(store, since="2023-12-01")
    data = report.to_dict()
    assert data["n_days"] == 31 and data["window"] is True
    assert 9.0 <= data["lag_months"]["value"] <= 14.5
    assert data["lag_months"]["ci_low"] <= data["lag_months"]["value"] <= data["lag_months"][
        "ci_high"]
