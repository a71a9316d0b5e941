"""The downloads importer on small files in the real Hub API / hub-stats layouts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opengap import catalog
from opengap.errors import ConflictingData, MalformedFile
from opengap.sources import read_path
from opengap.store import Store


def _hub(model_id: str, all_time: int | None, downloads: int = 7) -> dict[str, object]:
    """A Hub API model JSON (GET /api/models/{id}?expand[]=downloadsAllTime...)."""
    item: dict[str, object] = {
        "id": model_id, "downloads": downloads, "createdAt": "2025-01-20T10:00:00.000Z",
        "likes": 12, "tags": ["transformers", "license:mit"],
    }
    if all_time is not None:
        item["downloadsAllTime"] = all_time
    return item


def test_dated_json_folder(tmp_path: Path) -> None:
    (tmp_path / "2026-01-01.json").write_text(json.dumps([_hub("org/a", 100), _hub("org/b", 5)]))
    (tmp_path / "2026-02-01.json").write_text(json.dumps(_hub("org/a", 250)))
    batch = read_path("downloads", tmp_path)
    got = [(d.model, d.date, d.cumulative_downloads) for d in batch.downloads]
    assert got == [
        ("org/a", date(2026, 1, 1), 100), ("org/a", date(2026, 2, 1), 250),
        ("org/b", date(2026, 1, 1), 5),
    ]
    assert batch.rows_read == 3 and not batch.rejected


def test_thirty_day_count_is_not_read_as_cumulative(tmp_path: Path) -> None:
    (tmp_path / "2026-01-01.json").write_text(json.dumps([_hub("org/a", None, downloads=99)]))
    batch = read_path("downloads", tmp_path)
    assert batch.downloads == []
    assert "30-day count" in batch.rejected[0].reason


def test_json_lines_with_dates(tmp_path: Path) -> None:
    path = tmp_path / "snapshots.jsonl"
    lines = [{**_hub("org/a", 10), "date": "2026-03-01"},
             {**_hub("org/a", 20), "date": "2026-03-02"}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    batch = read_path("downloads", path)
    assert [d.cumulative_downloads for d in batch.downloads] == [10, 20]


def test_decreasing_count_rejects_the_file_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "snapshots.jsonl"
    lines = [{**_hub("org/a", 30), "date": "2026-03-01"},
             {**_hub("org/a", 20), "date": "2026-03-02"}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with pytest.raises(MalformedFile, match=r"snapshots.jsonl:line 2: cumulative downloads of "
                       r"'org/a' fall from 30 on 2026-03-01"):
        read_path("downloads", path)


def test_negative_count_rejected(tmp_path: Path) -> None:
    (tmp_path / "2026-01-01.json").write_text(json.dumps(_hub("org/a", -3)))
    with pytest.raises(MalformedFile, match="negative cumulative downloads -3"):
        read_path("downloads", tmp_path)


def test_hub_stats_parquet(tmp_path: Path) -> None:
    # hub-stats' models table: one row per model, the Hub's camelCase field names.
    table = pa.table({
        "id": ["org/a", "org/b"], "author": ["org", "org"],
        "downloads": [3, 4], "downloadsAllTime": [1000, 2000], "likes": [1, 2],
        "createdAt": pa.array([None, None], pa.timestamp("ms")),
        "tags": [["text-generation"], []],
    })  # fmt: skip
    path = tmp_path / "models-2026-04-01.parquet"
    pq.write_table(table, path)
    batch = read_path("downloads", path)
    assert [(d.model, d.date, d.cumulative_downloads, d.source) for d in batch.downloads] == [
        ("org/a", date(2026, 4, 1), 1000, "hub-stats"),
        ("org/b", date(2026, 4, 1), 2000, "hub-stats"),
    ]


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x-2026-01-01.parquet"
    path.write_text("hello")
    with pytest.raises(MalformedFile, match="not a Parquet file"):
        read_path("downloads", path)


def test_store_unchanged_on_bad_file_and_unknown_models_rejected(
    store: Store, tmp_path: Path
) -> None:
    models = tmp_path / "cat"
    models.mkdir()
    (models / "models.csv").write_text(
        "model_id,name,weights,aliases\nmodel-a,Model A,open,org/a\n"
    )
    catalog.import_path(store, "csv", models)
    good = tmp_path / "good"
    good.mkdir()
    (good / "2026-01-01.json").write_text(json.dumps([_hub("org/a", 100), _hub("org/zz", 5)]))
    result = catalog.import_path(store, "downloads", good)
    assert result.rows_accepted == 1 and result.rows_rejected == 1
    assert store.query("SELECT model_id, cumulative_downloads FROM downloads").values.tolist() == [
        ["model-a", 100]
    ]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "2026-02-01.json").write_text(json.dumps(_hub("org/a", -1)))
    before = store.counts()
    with pytest.raises(MalformedFile):
        catalog.import_path(store, "downloads", bad)
    assert store.counts() == before


def test_snake_case_model_info_and_a_date_column(tmp_path: Path) -> None:
    # huggingface_hub's ModelInfo names the fields id, created_at, downloads, downloads_all_time.
    path = tmp_path / "info.jsonl"
    path.write_text(json.dumps({"id": "org/a", "created_at": "2025-01-01T00:00:00Z",
                                "downloads": 3, "downloads_all_time": 42, "likes": 0,
                                "tags": [], "date": "2026-01-05"}) + "\n")
    assert [d.cumulative_downloads for d in read_path("downloads", path).downloads] == [42]
    table = pa.table({"id": ["org/a", "org/a"], "downloadsAllTime": [5, 9],
                      "date": pa.array([date(2026, 1, 1), date(2026, 1, 2)], pa.date32())})
    pq.write_table(table, tmp_path / "stats.parquet")
    batch = read_path("downloads", tmp_path / "stats.parquet")
    assert [(d.date, d.cumulative_downloads) for d in batch.downloads] == [
        (date(2026, 1, 1), 5), (date(2026, 1, 2), 9)]


def test_bad_date_is_a_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({**_hub("org/a", 5), "date": "soon"}) + "\n"
                    + json.dumps({**_hub("org/b", 5), "date": "2026-01-01T08:00:00Z"}) + "\n")
    batch = read_path("downloads", path)
    assert [r.reason for r in batch.rejected] == ["date 'soon' is not a date (YYYY-MM-DD)"]
    assert batch.rejected[0].row.endswith("s.jsonl:line 1")
    assert [(d.model, d.date) for d in batch.downloads] == [("org/b", date(2026, 1, 1))]


def _catalogue(store: Store, tmp_path: Path) -> None:
    models = tmp_path / "cat"
    models.mkdir()
    (models / "models.csv").write_text(
        "model_id,name,weights,aliases\nmodel-a,Model A,open,org/a\nmodel-b,Model B,open,org/b\n"
    )
    catalog.import_path(store, "csv", models)


def _snapshot(folder: Path, day: str, counts: dict[str, int]) -> Path:
    folder.mkdir()
    (folder / f"{day}.json").write_text(json.dumps([_hub(m, n) for m, n in counts.items()]))
    return folder


def test_a_later_snapshot_below_the_stored_count_is_refused(
    store: Store, tmp_path: Path
) -> None:
    _catalogue(store, tmp_path)
    catalog.import_path(store, "downloads",
                        _snapshot(tmp_path / "jan", "2026-01-01", {"org/a": 100, "org/b": 5}))
    before = store.query("SELECT * FROM downloads ORDER BY model_id, date")
    imports = store.counts()["imports"]
    later = _snapshot(tmp_path / "feb", "2026-02-01", {"org/b": 9, "org/a": 60})
    with pytest.raises(ConflictingData) as info:
        catalog.import_path(store, "downloads", later)
    message = str(info.value)
    assert message.startswith(f"{later / '2026-02-01.json'}:item 2: cumulative downloads of "
                              "'model-a' on 2026-02-01 (60) contradict the 100 the store holds "
                              "for the earlier date 2026-01-01")
    assert "cannot decrease" in message
    # nothing of the refused import is kept, not even model-b's valid row
    assert store.query("SELECT * FROM downloads ORDER BY model_id, date").equals(before)
    assert store.counts()["imports"] == imports


def test_an_earlier_snapshot_above_a_stored_later_count_is_refused(
    store: Store, tmp_path: Path
) -> None:
    _catalogue(store, tmp_path)
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "mar", "2026-03-01",
                                                      {"org/a": 100}))
    with pytest.raises(ConflictingData, match="contradict the 100 the store holds for the "
                       "later date 2026-03-01"):
        catalog.import_path(store, "downloads", _snapshot(tmp_path / "jan", "2026-01-01",
                                                          {"org/a": 500}))


def test_growing_snapshots_across_imports_are_accepted(store: Store, tmp_path: Path) -> None:
    _catalogue(store, tmp_path)
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "jan", "2026-01-01",
                                                      {"org/a": 100}))
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "feb", "2026-02-01",
                                                      {"org/a": 100}))  # flat is not a fall
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "mar", "2026-03-01",
                                                      {"org/a": 180}))
    # a corrected count for a date already stored replaces it (compared with the others only)
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "feb2", "2026-02-01",
                                                      {"org/a": 150}))
    rows = store.query("SELECT date, cumulative_downloads FROM downloads ORDER BY date")
    assert rows["cumulative_downloads"].tolist() == [100, 150, 180]


def test_cli_refuses_a_decreasing_snapshot_with_exit_2(store: Store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from opengap.cli import app

    _catalogue(store, tmp_path)
    catalog.import_path(store, "downloads", _snapshot(tmp_path / "jan", "2026-01-01",
                                                      {"org/a": 100}))
    db = str(store.path)
    store.close()
    later = _snapshot(tmp_path / "feb", "2026-02-01", {"org/a": 99})
    result = CliRunner().invoke(app, ["import", "downloads", str(later), "--db", db])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: {later / '2026-02-01.json'}:item 1: cumulative downloads of 'model-a' on "
        "2026-02-01 (99) contradict the 100 the store holds for the earlier date 2026-01-01 "
        "(import 2); cumulative counts cannot decrease, nothing imported"
    ]
