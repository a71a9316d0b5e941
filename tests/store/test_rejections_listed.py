"""An import keeps the first rejected rows with reasons and counts them all (issue 11, memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opengap import catalog
from opengap.errors import RejectedRows
from opengap.store import Store, core


def _responses(path: Path, n: int) -> Path:
    rows = "".join(f"model-{i},benchmark-x,item-{i},1\n" for i in range(n))
    path.write_text("model,benchmark,item,score\n" + rows, encoding="utf-8")
    return path


def test_rejections_beyond_the_cap_are_counted_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "MAX_REJECTED_LISTED", 3)
    with Store(tmp_path / "s.duckdb") as store:
        result = catalog.import_path(store, "responses", _responses(tmp_path / "r.csv", 5))
        stored = store.query("SELECT rows_read, rows_rejected FROM imports").values.tolist()
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (5, 0, 5)
    assert [r.reason for r in result.rejected] == [
        "unknown model 'model-0'", "unknown model 'model-1'", "unknown model 'model-2'",
    ]  # fmt: skip
    assert result.to_dict()["rejected_listed"] == 3
    assert stored == [[5, 5]]


def test_under_the_cap_every_rejection_is_listed(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        result = catalog.import_path(store, "responses", _responses(tmp_path / "r.csv", 4))
    assert len(result.rejected) == result.rows_rejected == 4
    assert result.to_dict()["rejected_listed"] == 4


def test_strict_counts_every_rejection_past_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "MAX_REJECTED_LISTED", 2)
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RejectedRows, match=r"5 row\(s\) rejected under --strict"):
            catalog.import_path(store, "responses", _responses(tmp_path / "r.csv", 5),
                                strict=True)  # fmt: skip
        assert store.query("SELECT count(*) AS n FROM imports")["n"][0] == 0
