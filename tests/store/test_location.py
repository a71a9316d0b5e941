"""Where the store lives: ``--db``, then ``OPENGAP_DB``, then the user data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from opengap.errors import MissingStore
from opengap.store import Store, resolve_db_path


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_default_is_in_the_user_data_directory(tmp_path: Path) -> None:
    assert resolve_db_path() == tmp_path / "xdg" / "opengap" / "opengap.duckdb"


def test_environment_variable_beats_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENGAP_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(None) == tmp_path / "env.duckdb"


def test_explicit_path_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENGAP_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"
    assert resolve_db_path(str(tmp_path / "flag.duckdb")) == tmp_path / "flag.duckdb"


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_db_path("~/x.duckdb") == tmp_path / "x.duckdb"
    monkeypatch.setenv("OPENGAP_DB", "~/y.duckdb")
    assert resolve_db_path() == tmp_path / "y.duckdb"


def test_store_creates_missing_parent_folders(tmp_path: Path) -> None:
    with Store() as store:
        assert store.path == tmp_path / "xdg" / "opengap" / "opengap.duckdb"
    assert store.path.is_file()
    nested = tmp_path / "a" / "b" / "c.duckdb"
    Store(nested).close()
    assert nested.is_file()


def test_read_only_store_on_a_new_path_is_refused_not_created(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    with pytest.raises(MissingStore) as raised:
        Store(path, read_only=True)
    assert str(raised.value) == f"no store at {path}; create it with `opengap init --db {path}`"
    assert not path.exists()
