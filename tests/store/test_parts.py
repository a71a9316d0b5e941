"""A streamed import (parts in one transaction) stores what one batch would store."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from opengap import catalog
from opengap.errors import MalformedFile
from opengap.sources import epoch_open_report, read_path
from opengap.store import Store
from opengap.store.schema import TABLES

REPORT = "epoch-open-models-2024"


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: store.con.execute(f"SELECT * EXCLUDE (import_id) FROM {t} ORDER BY ALL").fetchall()
        for t in TABLES
        if t not in ("imports", "fits", "fit_models", "fit_benchmarks")
        and "import_id" in [c[0] for c in store.con.execute(f"DESCRIBE {t}").fetchall()]
    }


def test_parts_store_the_same_as_one_batch(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_data / REPORT
    with Store(tmp_path / "one.duckdb") as one:
        batch = read_path("epoch-open-report", folder)
        one.apply_batch(batch)
        whole = _dump(one)
    monkeypatch.setattr(epoch_open_report, "PART_ROWS", 7)
    parts = list(epoch_open_report.read_parts(folder))
    assert len(parts) >= batch.rows_read // 7 and sum(p.rows_read for p in parts) == batch.rows_read
    with Store(tmp_path / "parts.duckdb") as streamed:
        result = catalog.import_path(streamed, "epoch-open-report", folder)
        assert _dump(streamed) == whole
    assert result.rows_read == batch.rows_read > 200
    assert whole["scores"] and whole["models"]


def test_a_conflict_across_parts_rejects_both_rows(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = shared_data / REPORT / "benchmarks_with_model_accessibility.csv"
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    mmlu, system = header.index("MMLU"), header.index("System")
    first = next(r for r in body if r[mmlu] and r[system] != "Random chance")
    twin = list(first)
    twin[mmlu] = "0.123"
    copy = tmp_path / source.name
    with copy.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *body, twin])
    monkeypatch.setattr(epoch_open_report, "PART_ROWS", 10)
    with Store(tmp_path / "s.duckdb") as store:
        result = catalog.import_path(store, "epoch-open-report", copy)
        values = store.query(
            "SELECT value FROM scores WHERE source_ref = ? AND benchmark_id = 'mmlu'",
            [first[system]],
        )["value"].tolist()
    conflicts = [r for r in result.rejected if "conflicts with" in r.reason]
    assert len(conflicts) == 1 and "0.123" in conflicts[0].reason
    assert values == []  # neither the first nor its conflicting twin is kept


def test_an_error_in_a_later_part_rolls_everything_back(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = shared_data / REPORT / "benchmarks_with_model_accessibility.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    copy = tmp_path / source.name
    copy.write_text("".join(lines) + "\ncut,row\n")
    monkeypatch.setattr(epoch_open_report, "PART_ROWS", 10)
    with Store(tmp_path / "s.duckdb") as store:
        before = store.counts()
        with pytest.raises(MalformedFile, match="short"):
            catalog.import_path(store, "epoch-open-report", copy)
        assert store.counts() == before
