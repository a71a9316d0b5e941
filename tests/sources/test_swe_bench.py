"""The SWE-bench leaderboards importer, on swebench.com's real leaderboards.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opengap import catalog
from opengap.cli import app
from opengap.errors import MalformedFile
from opengap.sources import swe_bench
from opengap.store import Store
from opengap.store.schema import TABLES

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(shared_data: Path) -> Path:
    return shared_data / "swe-bench-leaderboards"


@pytest.fixture(scope="module")
def raw(folder: Path) -> dict[str, list[dict[str, Any]]]:
    data = json.loads((folder / "leaderboards.json").read_text())
    return {b["name"]: b["results"] for b in data["leaderboards"]}


def _dump(store: Store) -> dict[str, list[Any]]:
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_bash_only_runs_become_simple_loop_scores_with_their_tasks(
    folder: Path, raw: dict[str, list[dict[str, Any]]]
) -> None:
    batch = swe_bench.read(folder)
    opus = next(e for e in raw["bash-only"] if e["name"].startswith("Claude 4.5 Opus"))
    score = next(s for s in batch.scores if s.source_ref == f"bash-only:{opus['folder']}")
    assert (score.benchmark, score.harness, score.value) == (
        "swe-bench-verified", "mini-swe-agent", pytest.approx(opus["resolved"] / 100)
    )
    tasks = {r.item_id: r for r in batch.responses if r.model == score.model}
    assert len(tasks) == 500
    first = opus["per_instance_details"]["astropy__astropy-12907"]
    got = tasks["astropy__astropy-12907"]
    assert (got.score, got.cost, got.api_calls, got.harness) == (
        1.0 if first["resolved"] else 0.0, first["cost"], first["api_calls"], "mini-swe-agent"
    )


def test_verified_copies_of_bash_only_runs_are_imported_once(
    folder: Path, raw: dict[str, list[dict[str, Any]]]
) -> None:
    batch = swe_bench.read(folder)
    bash_folders = {e["folder"] for e in raw["bash-only"]}
    copies = [e for e in raw["Verified"] if e["folder"] in bash_folders]
    assert copies  # the file does list the same runs on both boards
    refs = [s.source_ref for s in batch.scores]
    assert not any(r == f"Verified:{e['folder']}" for e in copies for r in refs)
    # every per-task result in the file belongs to a bash-loop run
    assert {r.harness for r in batch.responses} == {"mini-swe-agent"}
    assert len(batch.responses) == 500 * len(
        [e for e in raw["bash-only"] if e.get("per_instance_details")]
    )


def test_scaffolds_are_named_and_systems_rejected(folder: Path) -> None:
    batch = swe_bench.read(folder)
    harnesses = {s.harness for s in batch.scores if s.benchmark == "swe-bench-verified"}
    assert {"OpenHands", "SWE-agent", "mini-swe-agent"} <= harnesses
    reasons = {r.row.split("'")[1]: r.reason for r in batch.rejected if "'" in r.row}
    assert reasons["Warp"].startswith("names 2 models") or reasons["Warp"].startswith("names 4")
    assert "a system, not one model's score" in reasons["Warp"]
    assert reasons["Skywork-SWE-32B"].startswith("the system 'Skywork-SWE-32B' names a model size")
    assert reasons["Honeycomb"] == "names no model: a system, not one model's score"
    assert batch.rows_read == len(batch.scores) + len(batch.rejected)


def test_known_models_are_joined_not_duplicated(folder: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        catalog.init_store(store)
        before = store.counts()["models"]
        catalog.import_path(store, "swe-bench", folder)
        sonnet = store.query(
            "SELECT harness, value FROM scores WHERE model_id = 'claude-sonnet-4' "
            "AND benchmark_id = 'swe-bench-verified' AND harness = 'mini-swe-agent'"
        )
        assert sonnet["value"].tolist() == [pytest.approx(0.6493)]
        assert store.resolve("model", "claude-4-sonnet-20250514") == "claude-sonnet-4"
        assert store.resolve("model", "gpt-5-2025-08-07") == "gpt-5"
        new = store.counts()["models"] - before
        assert 0 < new < 60


def test_reimport_changes_nothing(folder: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        first = catalog.import_path(store, "swe-bench", folder)
        snapshot = _dump(store)
        again = catalog.import_path(store, "swe-bench", folder)
        assert again.already_imported and again.import_id == first.import_id
        assert _dump(store) == snapshot


def _bad(tmp_path: Path, raw: dict[str, list[dict[str, Any]]], change: Any) -> Path:
    boards = {k: [dict(e) for e in v[:3]] for k, v in raw.items()}
    change(boards)
    path = tmp_path / "leaderboards.json"
    path.write_text(json.dumps({"leaderboards": [{"name": k, "results": v}
                                                 for k, v in boards.items()]}))  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b["bash-only"][1].update(resolved=150), "resolved rate 150 is outside 0-100"),
        (lambda b: b["bash-only"][0].update(resolved="n/a"), "resolved rate 'n/a' is not a number"),
        (lambda b: b["bash-only"][0].update(per_instance_details="{'a': {"),
         "per_instance_details is not a parseable dict"),
        (lambda b: b["bash-only"][0].update(per_instance_details={"a": {"resolved": 1}}),
         "task 'a' has no true/false 'resolved'"),
    ],
)
def test_bad_entries_fail_with_one_line_and_change_nothing(
    tmp_path: Path, raw: dict[str, list[dict[str, Any]]], change: Any, message: str
) -> None:
    path = _bad(tmp_path, raw, change)
    with pytest.raises(MalformedFile, match=message):
        swe_bench.read(path)
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["init", "--empty", "--db", str(db)]).exit_code == 0
    with Store(db) as store:
        before = _dump(store)
    result = runner.invoke(app, ["import", "swe-bench", str(path), "--db", str(db)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) >= 1 and lines[0].startswith("Error: ") and message in result.output
    with Store(db) as store:
        assert _dump(store) == before


@pytest.mark.parametrize("text", ["{not json", "[]", '{"leaderboards": 3}'])
def test_foreign_or_broken_files_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "leaderboards.json"
    path.write_text(text)
    with pytest.raises(MalformedFile, match=str(path)):
        swe_bench.read(path)
