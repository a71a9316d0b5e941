"""The store records its schema version and refuses files written by a newer opengap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from opengap.errors import SchemaVersionError
from opengap.store import Store
from opengap.store.schema import SCHEMA_VERSION, TABLES


def _set_version(path: Path, version: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


def test_new_store_records_the_schema_version(store: Store) -> None:
    rows = store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert rows == [(str(SCHEMA_VERSION),)]


def test_new_store_has_every_table_empty(store: Store) -> None:
    assert store.counts() == dict.fromkeys(TABLES, 0)


def test_reopening_keeps_version_and_content(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as first:
        first.con.execute("INSERT INTO models (model_id) VALUES ('m')")
    with Store(path) as again:
        assert again.counts()["models"] == 1
        version = again.con.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchall() == [(str(SCHEMA_VERSION),)]


@pytest.mark.parametrize("read_only", [False, True])
def test_newer_schema_version_is_refused(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "future.duckdb"
    Store(path).close()
    _set_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError) as info:
        Store(path, read_only=read_only)
    assert str(info.value) == (
        f"{path}: store schema version {SCHEMA_VERSION + 1} is newer than this opengap "
        f"understands ({SCHEMA_VERSION}); upgrade opengap"
    )


def test_refused_store_is_not_left_open(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    Store(path).close()
    _set_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError) as info:
        Store(path)
    # ``info`` keeps the failed constructor's frame alive; had it left its connection open,
    # this process would still hold the file's write lock and another could not open it.
    other = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert other.returncode == 0, other.stderr
    assert info.value is not None


def test_version_1_store_migrates_keeping_its_responses(tmp_path: Path) -> None:
    from opengap.store.schema import MIGRATIONS

    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    for statement in MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO responses VALUES ('m', 'b', 'item-1', 0.5, 7)")
    con.close()
    with Store(path) as store:
        rows = store.con.execute(
            "SELECT model_id, benchmark_id, item_id, harness, score, cost, api_calls, import_id "
            "FROM responses"
        ).fetchall()
        assert rows == [("m", "b", "item-1", "", 0.5, None, None, 7)]
        assert store.counts()["prices"] == 0
        version = store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchall() == [(str(SCHEMA_VERSION),)]
