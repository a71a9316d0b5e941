"""Importing the same content again changes nothing, in any table."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opengap import catalog
from opengap.store import Store

Dump = dict[str, list[tuple[Any, ...]]]


@pytest.mark.parametrize(
    ("kind", "relative"),
    [
        ("open-llm-leaderboard", "open-llm-leaderboard-v1/open-llm-leaderboard.csv"),
        ("lm-eval", "lm-eval-samples"),
        ("lm-eval", "lm-eval-samples/EleutherAI__pythia-14m"),
    ],
)
def test_same_file_twice_changes_nothing(
    store: Store, shared_data: Path, dump: Callable[[Store], Dump], kind: str, relative: str
) -> None:
    first = catalog.import_path(store, kind, shared_data / relative)
    before = dump(store)
    again = catalog.import_path(store, kind, shared_data / relative)
    assert again.already_imported
    assert (again.import_id, again.rows_read, again.rows_accepted, again.rows_rejected) == (
        first.import_id, first.rows_read, first.rows_accepted, first.rows_rejected,
    )  # fmt: skip
    assert dump(store) == before
    assert len(before["imports"]) == 1


def test_csv_twice_changes_nothing(
    store: Store, small_csv: Path, dump: Callable[[Store], Dump]
) -> None:
    catalog.import_path(store, "csv", small_csv)
    before = dump(store)
    assert catalog.import_path(store, "csv", small_csv).already_imported
    assert dump(store) == before


def test_same_content_under_another_path_is_the_same_import(
    store: Store, small_csv: Path, tmp_path: Path, dump: Callable[[Store], Dump]
) -> None:
    first = catalog.import_path(store, "csv", small_csv)
    before = dump(store)
    copy = shutil.copytree(small_csv, tmp_path / "copy")
    again = catalog.import_path(store, "csv", copy)
    assert again.already_imported and again.import_id == first.import_id
    assert dump(store) == before


def test_different_options_are_a_different_import(store: Store, shared_data: Path) -> None:
    samples = shared_data / "lm-eval-samples"
    catalog.import_path(store, "lm-eval", samples)
    catalog.import_path(store, "csv", _models_csv(store.path.parent, "other-model"))
    result = catalog.import_path(store, "lm-eval", samples, model="other-model")
    assert not result.already_imported and result.rows_rejected == 0
    assert store.counts()["imports"] == 3
    assert store.counts()["responses"] == 2 * 242


def test_overlapping_imports_update_rows_in_place(
    store: Store, shared_data: Path, tmp_path: Path
) -> None:
    samples = shared_data / "lm-eval-samples"
    catalog.import_path(store, "lm-eval", samples)
    counts = store.counts()
    # The same run as a single file (different content hash): its rows are already there.
    one = samples / "EleutherAI__pythia-14m" / next(
        p.name for p in (samples / "EleutherAI__pythia-14m").iterdir() if "winogrande" in p.name
    )
    result = catalog.import_path(store, "lm-eval", one)
    assert not result.already_imported
    assert store.counts() == {**counts, "imports": counts["imports"] + 1}
    winogrande = store.query(
        "SELECT DISTINCT import_id FROM responses WHERE benchmark_id LIKE '%winogrande%'"
    )
    assert winogrande["import_id"].tolist() == [result.import_id]


def _models_csv(folder: Path, model_id: str) -> Path:
    path = folder / "extra-models.csv"
    path.write_text(f"model_id\n{model_id}\n")
    return path
