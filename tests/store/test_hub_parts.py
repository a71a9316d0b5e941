"""epoch-hub streamed in parts stores and rejects what one batch does (issue 11, memory)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from opengap import catalog
from opengap.errors import MalformedFile
from opengap.sources import epoch_hub, read_path
from opengap.store import Store
from opengap.store.schema import TABLES

HUB = "epoch-benchmarking-hub"
RUNS = "benchmarks_runs.csv"


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: store.con.execute(f"SELECT * EXCLUDE (import_id) FROM {t} ORDER BY ALL").fetchall()
        for t in TABLES
        if t != "imports"
        and "import_id" in [c[0] for c in store.con.execute(f"DESCRIBE {t}").fetchall()]
    }


def _runs(shared_data: Path) -> tuple[list[str], list[list[str]]]:
    with (shared_data / HUB / RUNS).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_hub_parts_store_the_same_as_one_batch(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_data / HUB
    with Store(tmp_path / "one.duckdb") as one:
        batch = read_path("epoch-hub", folder)
        whole_result = one.apply_batch(batch)
        whole = _dump(one)
    monkeypatch.setattr(epoch_hub, "PART_ROWS", 37)
    parts = list(epoch_hub.read_parts(folder))
    assert len(parts) > len(batch.scores) // 37  # the scores really came in many parts
    model_parts = [len(p.models) for p in parts if p.models]
    assert len(model_parts) > 3 and max(model_parts) <= 37  # ...and so did the models
    assert sum(model_parts) == len(batch.models)
    assert sum(p.rows_read for p in parts) == batch.rows_read
    with Store(tmp_path / "parts.duckdb") as streamed:
        result = catalog.import_path(streamed, "epoch-hub", folder)
        assert _dump(streamed) == whole
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (
        whole_result.rows_read, whole_result.rows_accepted, whole_result.rows_rejected,
    )  # fmt: skip
    assert sorted((r.row, r.reason) for r in result.rejected if "conflict" not in r.reason) == (
        sorted((r.row, r.reason) for r in whole_result.rejected if "conflict" not in r.reason)
    )
    assert whole["scores"] and whole["models"]


def test_a_conflicting_run_in_a_later_part_rejects_both(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, body = _runs(shared_data)
    score, run_id = header.index("Best score (across scorers)"), header.index("id")
    first = next(r for r in body if r[score] and r[header.index("Status")] == "Success")
    twin = list(first)
    twin[score] = "0.0123"
    copy = tmp_path / RUNS
    with copy.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *body, twin])
    monkeypatch.setattr(epoch_hub, "PART_ROWS", 25)  # the twin lands many parts later
    with Store(tmp_path / "s.duckdb") as store:
        result = catalog.import_path(store, "epoch-hub", copy)
        kept = store.query("SELECT value FROM scores WHERE source_ref = ?", [first[run_id]])
    conflicts = [r for r in result.rejected if "conflicts with" in r.reason]
    assert len(conflicts) == 1 and "0.0123" in conflicts[0].reason
    assert f"row {len(body) + 1}" in conflicts[0].row
    assert kept.empty  # neither the first nor its conflicting twin is kept


@pytest.mark.parametrize("at", [25, 26, 50])
def test_a_cut_row_at_a_part_boundary_rolls_everything_back(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    header, body = _runs(shared_data)
    folder = tmp_path / "hub"
    shutil.copytree(shared_data / HUB, folder)
    cut = body[at][: len(header) // 2]
    with (folder / RUNS).open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *body[:at], cut, *body[at:]])
    monkeypatch.setattr(epoch_hub, "PART_ROWS", 25)
    with Store(tmp_path / "s.duckdb") as store:
        before = _dump(store)
        with pytest.raises(MalformedFile, match=rf"{RUNS}: line {at + 2}: a short \(or cut\) row"):
            catalog.import_path(store, "epoch-hub", folder)
        assert _dump(store) == before
        assert store.counts()["imports"] == 0


def test_a_repeated_column_is_refused_before_any_part(
    shared_data: Path, tmp_path: Path
) -> None:
    header, body = _runs(shared_data)
    copy = tmp_path / RUNS
    with copy.open("w", newline="") as handle:
        csv.writer(handle).writerows([[*header, "task"], *[[*r, "x"] for r in body]])
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(MalformedFile, match="repeated"):
        catalog.import_path(store, "epoch-hub", copy)
