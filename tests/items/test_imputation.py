"""Partial benchmarks in the benchmark-level fit: imputed scores, recovered and flagged.

Synthetic truth: 60 models of known ability θ answer 5 benchmarks of 100 items each (1PL,
item difficulty = the benchmark's level + noise); a benchmark score is the mean item score. One
model (``target``) ran only 30 items of ``b0`` and has no ``b0`` score. With ``--impute-partial``
its capability should come close to the capability it gets when its full ``b0`` run is known,
with an interval covering that value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap import fitting, items
from opengap.cli import app
from opengap.errors import BadConfiguration
from opengap.store import Store

runner = CliRunner()
N_MODELS, N_BENCH, N_ITEMS, ANSWERED = 60, 5, 100, 30
TARGET = "m7"


def _write(folder: Path, *, partial: bool, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=N_MODELS)
    levels = np.linspace(-1.0, 1.0, N_BENCH)
    folder.mkdir()
    cat = folder / "cat"
    cat.mkdir()
    (cat / "models.csv").write_text("model_id,name,weights\n" + "".join(
        f"m{k},M{k},open\n" for k in range(N_MODELS)))  # fmt: skip
    (cat / "benchmarks.csv").write_text("benchmark_id,name,domain,chance,ceiling\n" + "".join(
        f"b{j},B{j},knowledge,0,1\n" for j in range(N_BENCH)))  # fmt: skip
    scores, responses = ["model_id,benchmark_id,value,source"], ["model,benchmark,item,score"]
    for j in range(N_BENCH):
        difficulty = levels[j] + rng.normal(0.0, 1.0, N_ITEMS)
        for k in range(N_MODELS):
            y = (rng.random(N_ITEMS) < expit(theta[k] - difficulty)).astype(int)
            target_cell = f"m{k}" == TARGET and j == 0
            if not (partial and target_cell):
                scores.append(f"m{k},b{j},{y.mean():.4f},synthetic")
            if j == 0:
                kept = range(ANSWERED) if partial and target_cell else range(N_ITEMS)
                responses += [f"m{k},b0,q{i},{y[i]}" for i in kept]
    (cat / "scores.csv").write_text("\n".join(scores) + "\n")
    (folder / "responses.csv").write_text("\n".join(responses) + "\n")
    db = folder / "s.duckdb"
    for args in (["init", "--empty"], ["import", "csv", str(cat)],
                 ["import", "responses", str(folder / "responses.csv")]):  # fmt: skip
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("impute")
    return _write(root / "full", partial=False), _write(root / "partial", partial=True)


def _capability(result: fitting.FitResult, model: str) -> tuple[float, float, float]:
    row = result.models.set_index("model_id").loc[model]
    return float(row["capability"]), float(row["ci_low"]), float(row["ci_high"])


def test_a_partial_run_recovers_the_full_run_capability(stores: tuple[Path, Path]) -> None:
    full_db, partial_db = stores
    with Store(full_db) as store:
        full = fitting.run_fit(store, scale="raw", bootstrap=60, save=False)
    with Store(partial_db) as store:
        items.fit_items(store, benchmark="b0", model="1pl")
        imputed = fitting.run_fit(store, scale="raw", bootstrap=60, impute_partial=True,
                                  save=True)  # fmt: skip
        plain = fitting.run_fit(store, scale="raw", bootstrap=0, save=False)
        stored = fitting.load_fit(store, imputed.fit_id)
    want, _, _ = _capability(full, TARGET)
    got, low, high = _capability(imputed, TARGET)
    spread = float(full.models["capability"].std())
    assert abs(got - want) < 0.15 * spread
    assert low <= want <= high
    # without imputation the target has 4 benchmarks (the default minimum) and a wider spread
    assert TARGET in set(plain.models["model_id"])
    # flagged: exactly the one imputed cell, in the record as stored
    flags = stored.observations[stored.observations["imputed"].astype(bool)]
    assert list(zip(flags["model_id"], flags["benchmark_id"], strict=True)) == [(TARGET, "b0")]
    (entry,) = stored.provenance["imputed_scores"]
    assert (entry["model_id"], entry["n_answered"], entry["n_calibrated"]) == (TARGET, 30, 100)
    assert entry["low"] <= entry["value"] <= entry["high"]
    assert any("1 score(s) imputed from item fit" in n for n in stored.notes)


def test_imputation_is_opt_in_and_needs_an_item_fit(tmp_path: Path) -> None:
    db = _write(tmp_path / "x", partial=True, seed=1)
    with Store(db) as store:
        plain = fitting.run_fit(store, scale="raw", bootstrap=0, save=False)
        assert "imputed_scores" not in plain.provenance
        with pytest.raises(BadConfiguration, match="--impute-partial needs an item-level fit"):
            fitting.run_fit(store, scale="raw", bootstrap=0, impute_partial=True, save=False)
    result = runner.invoke(app, ["fit", "--impute-partial", "--scale", "raw", "--bootstrap", "0",
                                 "--json", "--db", str(db)])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("Error: --impute-partial needs an item-level fit")


def test_cli_fit_json_lists_imputed_scores(stores: tuple[Path, Path], tmp_path: Path) -> None:
    _, partial_db = stores
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(partial_db.read_bytes())
    result = runner.invoke(app, ["fit", "--impute-partial", "--scale", "raw", "--bootstrap",
                                 "0", "--json", "--db", str(copy)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["model_id"] for d in data["imputed_scores"]] == [TARGET]


def test_scores_imputed_lists_them(stores: tuple[Path, Path], tmp_path: Path) -> None:
    _, partial_db = stores
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(partial_db.read_bytes())
    fitted = runner.invoke(app, ["fit", "--impute-partial", "--scale", "raw", "--bootstrap", "0",
                                 "--json", "--db", str(copy)])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    listed = runner.invoke(app, ["scores", "--imputed", "--json", "--db", str(copy)])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert (row["model_id"], row["benchmark_id"], row["n_answered"]) == (TARGET, "b0", ANSWERED)
    assert row["fit_id"] == json.loads(fitted.output)["fit_id"]
    table = runner.invoke(app, ["scores", "--imputed", "--db", str(copy)])
    assert "1 imputed scores" in table.output
