"""Item-level commands end to end: import responses, fit --level items, plan, estimate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap.cli import app
from opengap.fit.adaptive import run_adaptive
from opengap.store import Store
from opengap.store.schema import TABLES

runner = CliRunner()


def _dump(db: Path) -> dict[str, list[object]]:
    with Store(db) as store:
        return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in TABLES}  # fmt: skip


@pytest.fixture
def calibrated(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A store with 60 models × 120 items of one benchmark, responses from a known 1PL."""
    rng = np.random.default_rng(0)
    theta, b = rng.normal(size=60), rng.normal(size=120)
    models = "model_id,name,weights\n" + "".join(f"m{k},M{k},open\n" for k in range(60))
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "models.csv").write_text(models)
    (tmp_path / "cat" / "benchmarks.csv").write_text(
        "benchmark_id,name,domain,chance,ceiling\nquiz,Quiz,knowledge,0,1\n"
    )
    rows = ["model,benchmark,item,score"]
    for k in range(60):
        y = rng.random(120) < expit(theta[k] - b)
        rows += [f"m{k},quiz,q{j},{int(y[j])}" for j in range(120)]
    (tmp_path / "resp.csv").write_text("\n".join(rows) + "\n")
    db = tmp_path / "s.duckdb"
    for args in (["init", "--empty"], ["import", "csv", str(tmp_path / "cat")],
                 ["import", "responses", str(tmp_path / "resp.csv")]):  # fmt: skip
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db, theta, b


Calibrated = tuple[Path, np.ndarray, np.ndarray]


def test_fit_items_stores_a_versioned_record(calibrated: Calibrated) -> None:
    db, theta, _ = calibrated
    result = runner.invoke(app, ["fit", "--level", "items", "--item-model", "1pl", "--json",
                                 "--db", str(db)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["version"] == 1 and data["summary"]["n_responses"] == 60 * 120
    assert data["summary"]["fit_seconds"] > 0
    got = {r["unit"]: r["ability"] for r in data["abilities"]}
    est = np.array([got[f"m{k}"] for k in range(60)])
    assert np.corrcoef(est, theta)[0, 1] > 0.95
    with Store(db) as store:
        assert store.counts()["item_params"] == 120
        assert store.counts()["fits"] == 0  # the benchmark-level fits are untouched


def test_fit_items_backend_option(calibrated: Calibrated) -> None:
    db, _, _ = calibrated
    base = ["fit", "--level", "items", "--json", "--db", str(db)]
    sparse = json.loads(runner.invoke(app, [*base, "--backend", "sparse"]).output)
    dense = json.loads(runner.invoke(app, [*base, "--backend", "dense"]).output)
    assert (sparse["summary"]["backend"], dense["summary"]["backend"]) == ("sparse", "dense")
    assert sparse["fit_id"] == dense["fit_id"]  # one estimate, whichever backend ran it
    gap = max(abs(s["ability"] - d["ability"])
              for s, d in zip(sparse["abilities"], dense["abilities"], strict=True))  # fmt: skip
    assert gap < 1e-3
    bad = runner.invoke(app, [*base, "--backend", "gpu"])
    assert bad.exit_code == 2
    assert "unknown backend 'gpu' (choose from auto, sparse, dense, torch)" in bad.output


def test_estimate_and_plan_from_a_few_answers(calibrated: Calibrated, tmp_path: Path) -> None:
    db, _, _ = calibrated
    assert runner.invoke(app, ["fit", "--level", "items", "--db", str(db)]).exit_code == 0
    answers = tmp_path / "answers.csv"
    answers.write_text("item,score\nq0,1\nq1,1\nq2,0\nq3,1\n")
    result = runner.invoke(app, ["estimate", "quiz", "--answers", str(answers), "--json",
                                 "--db", str(db)])  # fmt: skip
    assert result.exit_code == 0, result.output
    est = json.loads(result.output)
    assert est["n_answered"] == 4 and not est["done"]
    assert est["predicted_low"] <= est["predicted"] <= est["predicted_high"]
    planned = runner.invoke(app, ["plan", "quiz", "--answers", str(answers), "--n", "3",
                                  "--json", "--db", str(db)])  # fmt: skip
    nxt = json.loads(planned.output)["next_items"]
    assert len(nxt) == 3 and not {"q0", "q1", "q2", "q3"} & set(nxt)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("item,score\nq0,2\n", "row 2: score '2' is not a number in [0, 1]"),
        ("item,score\nq0,1\nq0,0\n", "item 'q0' answered twice with different scores"),
        ("item,score\nnope,1\n", "item 'nope' is not a calibrated item of 'quiz'"),
    ],
)
def test_bad_answers_fail_with_one_line(
    calibrated: Calibrated, tmp_path: Path, text: str, message: str
) -> None:
    db, _, _ = calibrated
    assert runner.invoke(app, ["fit", "--level", "items", "--db", str(db)]).exit_code == 0
    answers = tmp_path / "bad.csv"
    answers.write_text(text)
    result = runner.invoke(app, ["estimate", "quiz", "--answers", str(answers), "--db", str(db)])
    assert result.exit_code == 2
    assert message in result.output and result.output.startswith("Error: ")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("model,benchmark,item,score\nm0,quiz,q0,1.5\n", "row 2: score '1.5' is outside [0, 1]"),
        ("model,benchmark,item,score\nm0,quiz,q0,1\nm0,quiz,q0,0\n",
         "answered twice by 'm0' with different scores"),
        ("model,item,score\nm0,q0,1\n", "missing column(s) 'benchmark'"),
    ],
)
def test_bad_responses_files_change_nothing(
    calibrated: Calibrated, tmp_path: Path, rows: str, message: str
) -> None:
    db, _, _ = calibrated
    before = _dump(db)
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    result = runner.invoke(app, ["import", "responses", str(path), "--db", str(db)])
    assert result.exit_code == 2 and message in result.output
    assert _dump(db) == before


def test_one_model_is_unidentified_on_the_real_lm_eval_samples(
    shared_data: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["init", "--empty", "--db", str(db)])
    runner.invoke(app, ["import", "lm-eval", str(shared_data / "lm-eval-samples"), "--db", str(db)])
    result = runner.invoke(app, ["fit", "--level", "items", "--db", str(db)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: an item-level fit needs at least two models: with responses from one, its "
        "ability and the items' difficulties cannot be told apart (import other models' "
        "responses on the same items)"
    )


def test_swe_bench_per_task_results_fit(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["init", "--empty", "--db", str(db)])
    runner.invoke(app, ["import", "swe-bench", str(shared_data / "swe-bench-leaderboards"),
                        "--db", str(db)])  # fmt: skip
    result = runner.invoke(app, ["fit", "--level", "items", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["n_models"] == 25 and data["summary"]["n_items"] == 500
    # abilities order the models as their resolve rates do (a monotone relation)
    with Store(db) as store:
        rates = store.query("SELECT model_id, avg(score) AS rate FROM responses GROUP BY 1")
    got = {r["unit"]: r["ability"] for r in data["abilities"]}
    order = rates.assign(ability=rates["model_id"].map(got))
    assert order[["rate", "ability"]].corr(method="spearman").iloc[0, 1] > 0.97


def test_adaptive_testing_beats_a_random_subset_of_the_same_size() -> None:
    rng = np.random.default_rng(3)
    b, a, c = rng.normal(0, 1.5, 400), np.exp(rng.normal(0, 0.3, 400)), np.zeros(400)
    errors_adaptive, errors_random = [], []
    for k in range(40):
        theta = rng.normal()
        y = (rng.random(400) < expit(a * (theta - b))).astype(float)
        run = run_adaptive(b, a, c, y, budget=25, seed=k)
        errors_adaptive.append(run.theta[-1] - theta)
        pick = rng.choice(400, 25, replace=False)
        from opengap.fit.adaptive import map_ability

        errors_random.append(map_ability(b, a, c, pick, y[pick])[0] - theta)
    assert np.sqrt(np.mean(np.square(errors_adaptive))) < np.sqrt(
        np.mean(np.square(errors_random)))
