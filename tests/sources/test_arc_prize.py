"""The ``arc-prize`` importer on ARC Prize's real leaderboard files and damaged copies of them."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opengap import catalog
from opengap.cli import app
from opengap.sources import arc_prize
from opengap.sources.records import ImportBatch
from opengap.store import Store
from opengap.store.schema import TABLES

FOLDER = "arc-prize-leaderboard"
runner = CliRunner()


def dump(store: Store) -> dict[str, str]:
    return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL").to_csv() for t in TABLES}


def raw(shared_data: Path, name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((shared_data / FOLDER / name).read_text())
    return data


@pytest.fixture(scope="module")
def batch(shared_data: Path) -> ImportBatch:
    return arc_prize.read(shared_data / FOLDER)


def test_counts(shared_data: Path, batch: ImportBatch) -> None:
    models = raw(shared_data, "models.json")
    evaluations = raw(shared_data, "evaluations.json")
    assert (len(models), len(evaluations)) == (184, 589)
    assert batch.rows_read == 184 + 589
    humans = {m["id"] for m in models if m["providerId"] == "Human"}
    assert len(humans) == 3
    distinct = {m["id"] for m in models} - humans
    assert len(batch.models) == len(distinct) == 178  # three ids are listed twice
    human_scores = sum(1 for e in evaluations if e["modelId"] in humans)
    repeated = 1  # gpt-5-2025-08-07-low on v2_Semi_Private, an exact repeat
    assert len(batch.scores) == 589 - human_scores - repeated
    reasons = Counter(r.reason.split(" (")[0].split(",")[0] for r in batch.rejected)
    assert reasons["a human baseline"] == 3
    assert len(batch.rejected) == 3 + human_scores + 1  # + o3-mini-low listed with two types
    per_set = Counter((s.benchmark, s.setting) for s in batch.scores)
    v2 = [e for e in evaluations if e["datasetId"] == "v2_Semi_Private"]
    assert len(v2) == 156
    v2_humans = sum(1 for e in v2 if e["modelId"] in humans)
    assert per_set[("arc-agi-2", "semi-private set")] == 156 - v2_humans - repeated
    assert per_set[("arc-agi-3", "semi-private set")] == 7
    assert {s.harness for s in batch.scores} == {"arc-prize"}


def test_spot_values(batch: ImportBatch) -> None:
    scores = {(s.model, s.benchmark, s.setting): s for s in batch.scores}
    # evaluations.json: o3-2025-04-16-high, v1_Semi_Private, score 0.6083, costPerTask 0.5002
    o3 = scores[("o3-2025-04-16-high", "arc-agi-1", "semi-private set")]
    assert (o3.value, o3.cost_per_task_usd) == (0.6083, 0.5002)
    public = scores[("o3-2025-04-16-high", "arc-agi-2-public-eval", "public evaluation set")]
    assert public.value == 0.0292
    # ARC-AGI-3 rows give "cost", not "costPerTask": kept in the value text
    opus = scores[("anthropic-opus-4-6-max-effort", "arc-agi-3", "semi-private set")]
    assert opus.value == 0.0051 and opus.cost_per_task_usd is None
    assert opus.value_text == "0.0051 (cost 8866.2 USD)"
    model = next(m for m in batch.models if m.model_id == "o3-2025-04-16-high")
    assert (model.name, model.version_of, model.organization) == ("o3 (High)", "o3", "OpenAI")
    assert str(model.release_date) == "2025-04-16" and model.reasoning is True
    sonnet = next(m for m in batch.models if m.model_id == "claude-sonnet-4-6-high")
    assert sonnet.version_of == "claude-sonnet-4.6"
    refined = next(m for m in batch.models if m.name == "Gemini 3 Pro (Refine.)")
    assert refined.version_of is None  # a system built on a model is not a version of it


def test_import_is_idempotent(shared_data: Path, store: Store) -> None:
    first = catalog.import_path(store, arc_prize.KIND, shared_data / FOLDER)
    assert first.rows_accepted == first.rows_read - first.rows_rejected
    before = dump(store)
    again = catalog.import_path(store, arc_prize.KIND, shared_data / FOLDER)
    assert again.already_imported and dump(store) == before
    costs = store.query("SELECT count(*) AS n FROM scores WHERE cost_per_task_usd IS NOT NULL")[
        "n"
    ][0]
    assert costs == sum(1 for s in arc_prize.read(shared_data / FOLDER).scores
                        if s.cost_per_task_usd is not None)  # fmt: skip


def _copy(shared_data: Path, tmp_path: Path) -> Path:
    target = tmp_path / "arc"
    shutil.copytree(shared_data / FOLDER, target)
    return target


def _edit(folder: Path, name: str, index: int, key: str, value: Any) -> None:
    data = json.loads((folder / name).read_text())
    data[index][key] = value
    (folder / name).write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "evaluations.json").unlink(), "missing evaluations.json"),
        (lambda f: (f / "models.json").unlink(), "missing models.json"),
        (lambda f: (f / "models.json").write_text('[{"id": "x"'), "models.json: not valid JSON"),
        (lambda f: (f / "evaluations.json").write_text('{"models": []}'), "not an ARC Prize list"),
        (lambda f: _edit(f, "evaluations.json", 9, "score", "n/a"), "entry 10 ("),
        (lambda f: _edit(f, "evaluations.json", 9, "score", 1.2), "not a fraction in [0, 1]"),
        (lambda f: _edit(f, "evaluations.json", 9, "costPerTask", -3), "costPerTask is negative"),
        (lambda f: (f / "models.json").write_text('[{"displayName": "x"}]'), "entry 1: missing id"),
    ],
)
def test_bad_input_is_one_error_and_store_unchanged(
    shared_data: Path, tmp_path: Path, damage: Any, message: str
) -> None:
    folder = _copy(shared_data, tmp_path)
    damage(folder)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        before = dump(store)
    result = runner.invoke(app, ["import", arc_prize.KIND, str(folder), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    with Store(db) as store:
        assert dump(store) == before


def test_unknown_set_and_model_are_rejected(shared_data: Path, tmp_path: Path) -> None:
    folder = _copy(shared_data, tmp_path)
    _edit(folder, "evaluations.json", 3, "datasetId", "v9_Secret")
    _edit(folder, "evaluations.json", 4, "modelId", "nobody")
    batch = arc_prize.read(folder)
    reasons = {r.row.split(" (")[0]: r.reason for r in batch.rejected}
    assert reasons["evaluations.json entry 4"] == "unknown evaluation set 'v9_Secret'"
    assert reasons["evaluations.json entry 5"].startswith("unknown model 'nobody'")


def test_listings_show_cost_and_composites(shared_data: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    imported = runner.invoke(app, ["import", arc_prize.KIND, str(shared_data / FOLDER),
                                   "--db", db])  # fmt: skip
    assert imported.exit_code == 0, imported.output
    by_setting = {}
    for bench in ("ARC-AGI-1", "arc-agi-1-public-eval"):
        listed = runner.invoke(app, ["scores", "--model", "o3-2025-04-16-high", "--benchmark",
                                     bench, "--json", "--db", db])  # fmt: skip
        by_setting.update({r["setting"]: r for r in json.loads(listed.output)})
    # evaluations.json: v1_Public_Eval 0.6425 at $0.4041 a task, v1_Semi_Private 0.6083 at $0.5002
    assert by_setting["public evaluation set"]["cost_per_task_usd"] == 0.4041
    assert by_setting["semi-private set"]["value"] == 0.6083
    benches = json.loads(runner.invoke(app, ["benchmarks", "--json", "--db", db]).output)
    assert {b["benchmark_id"] for b in benches} == {
        "arc-agi-1", "arc-agi-2", "arc-agi-3", "arc-agi-1-public-eval", "arc-agi-2-public-eval",
        "arc-agi-1-private", "arc-agi-2-private", "arc-agi-3-public-demo",
    }
    assert not any(b["composite"] for b in benches)


def test_public_sets_are_benchmarks_of_their_own_left_out_of_fits(batch: ImportBatch) -> None:
    from opengap.fit.config import CATALOGUE_EXCLUDED

    by_bench = Counter(s.benchmark for s in batch.scores)
    assert by_bench["arc-agi-2-public-eval"] > 0 and by_bench["arc-agi-1-public-eval"] > 0
    # the headline benchmark holds only the semi-private set, so "best score" cannot pick a
    # public-set run for it
    assert {s.setting for s in batch.scores if s.benchmark == "arc-agi-2"} == {"semi-private set"}
    assert {"arc-agi-1-public-eval", "arc-agi-2-public-eval"} <= set(CATALOGUE_EXCLUDED)
