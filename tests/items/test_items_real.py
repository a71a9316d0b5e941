"""Item-level commands end to end on the real data in ../shared/data (lm-eval, SWE-bench)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opengap.cli import app
from opengap.store import Store
from opengap.store.schema import TABLES

runner = CliRunner()


def _dump(db: Path) -> dict[str, list[object]]:
    with Store(db) as store:
        return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in TABLES}  # fmt: skip


@pytest.fixture(scope="module")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("real") / "s.duckdb"
    for args in (["init", "--empty"],
                 ["import", "lm-eval", str(shared_data / "lm-eval-samples")],
                 ["import", "swe-bench", str(shared_data / "swe-bench-leaderboards")]):  # fmt: skip
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db


def test_disconnected_responses_are_refused(real_store: Path) -> None:
    # pythia-14m answered only metabench items, the 25 SWE-bench models only SWE-bench tasks
    before = _dump(real_store)
    result = runner.invoke(app, ["fit", "--level", "items", "--db", str(real_store)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: the responses fall into 2 groups that share no model or item (e.g. "
        "eleutherai/pythia-14m on metabench_truthfulqa_secondary, "
        "metabench_winogrande_secondary): fit them apart with --benchmark"
    )
    assert _dump(real_store) == before


def test_swe_bench_fit_then_estimate_a_model_from_50_tasks(
    real_store: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(real_store.read_bytes())
    fitted = runner.invoke(app, ["fit", "--level", "items", "--benchmark", "swe-bench-verified",
                                 "--bootstrap", "20", "--json", "--db", str(db)])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    record = json.loads(fitted.output)
    assert record["version"] == 1 and record["summary"]["fit_seconds"] > 0
    assert all(a["ci_low"] <= a["ability"] <= a["ci_high"] for a in record["abilities"])
    with Store(db) as store:
        stored = store.query("SELECT fit_id FROM item_fits")["fit_id"].tolist()
        rows = store.query("SELECT model_id, item_id, score FROM responses "
                           "WHERE benchmark_id = 'swe-bench-verified' ORDER BY model_id, item_id")
    assert stored == [record["fit_id"]]
    model = sorted(rows["model_id"].unique())[3]
    mine = rows[rows["model_id"] == model]
    truth = float(mine["score"].mean())
    answers = tmp_path / "answers.csv"
    answers.write_text("item,score\n" + "".join(
        f"{i},{s:g}\n" for i, s in zip(mine["item_id"][::10], mine["score"][::10], strict=True)))
    est = runner.invoke(app, ["estimate", "swe-bench-verified", "--answers", str(answers),
                              "--json", "--db", str(db)])  # fmt: skip
    assert est.exit_code == 0, est.output
    got = json.loads(est.output)
    assert got["n_answered"] == 50 and got["n_items"] == 500
    assert got["predicted_low"] <= truth <= got["predicted_high"]
    plan = runner.invoke(app, ["plan", "swe-bench-verified", "--answers", str(answers),
                               "--n", "5", "--json", "--db", str(db)])  # fmt: skip
    assert plan.exit_code == 0, plan.output
    picked = json.loads(plan.output)["next_items"]
    assert len(set(picked)) == 5 and not set(picked) & set(mine["item_id"][::10])
