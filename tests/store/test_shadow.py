"""A large import goes through a private copy of the store, committed part by part (issue 11).

``OPENGAP_SHADOW_BYTES=0`` sends every import through the copy, so the real files in
../shared/data (read in many small parts) are imported both ways and the stores compared. The
guarantees are the same as one transaction's: a failure, a strict rejection or a SIGKILL
leaves the store exactly as it was and no copy behind it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opengap import catalog
from opengap.cli import app
from opengap.errors import OpengapError, RejectedRows
from opengap.sources import artificial_analysis, epoch_hub, epoch_open_report, responses
from opengap.store import Store, shadow

Dump = dict[str, list[tuple[Any, ...]]]
runner = CliRunner()

REAL = [
    ("epoch-hub", "epoch-benchmarking-hub", epoch_hub, 300),
    ("artificial-analysis", "artificial-analysis-2026", artificial_analysis, 200),
    ("epoch-open-report", "epoch-open-models-2024", epoch_open_report, 40),
]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".import-" in p.name)


def _import_both_ways(
    kind: str,
    path: Path,
    tmp_path: Path,
    small_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump],
) -> tuple[Dump, Dump]:
    out = []
    for name, threshold in (("transaction", str(10**15)), ("copy", "0")):
        monkeypatch.setenv("OPENGAP_SHADOW_BYTES", threshold)
        with Store(tmp_path / f"{name}.duckdb") as store:
            catalog.import_path(store, "csv", small_csv)
            catalog.import_path(store, kind, path)
            tables = dump(store)
            # when each import ran differs; the rest of the record must not
            tables["imports"] = [row[:8] + row[9:] for row in tables["imports"]]
            out.append(tables)
    return out[0], out[1]


@pytest.mark.parametrize(("kind", "folder", "module", "part_rows"), REAL)
def test_import_through_a_copy_stores_what_one_transaction_stores(
    kind: str,
    folder: str,
    module: Any,
    part_rows: int,
    shared_data: Path,
    tmp_path: Path,
    small_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump],
) -> None:
    monkeypatch.setattr(module, "PART_ROWS", part_rows)  # many parts, so many commits
    committed: list[int] = []
    original = Store._step

    def count(self: Store, step: Any, limit: Any) -> Any:
        committed.append(limit is not None)
        return original(self, step, limit)

    monkeypatch.setattr(Store, "_step", count)
    one, through_copy = _import_both_ways(
        kind, shared_data / folder, tmp_path, small_csv, monkeypatch, dump
    )
    assert sum(committed) >= 3  # the copy was committed part by part
    assert through_copy == one  # every row of every table, import ids and all
    assert len(one["scores"]) > 100
    assert _leftovers(tmp_path) == []


def test_through_a_copy_the_store_stays_open_and_usable(
    tmp_path: Path, small_csv: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENGAP_SHADOW_BYTES", "0")
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        catalog.import_path(store, "csv", small_csv)
        inode = path.stat().st_ino
        catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
        assert path.stat().st_ino != inode  # the copy was renamed over the store
        assert store.counts()["imports"] == 2  # ...and the open Store reads the new file
        again = catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
        assert again.already_imported
    with Store(path, read_only=True) as store:
        assert store.counts()["imports"] == 2
    assert _leftovers(tmp_path) == []


def test_a_symlinked_store_stays_a_symlink(
    tmp_path: Path, small_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENGAP_SHADOW_BYTES", "0")
    real = tmp_path / "real" / "store.duckdb"
    real.parent.mkdir()
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    with Store(link) as store:
        catalog.import_path(store, "csv", small_csv)
    assert link.is_symlink()
    with Store(real, read_only=True) as store:
        assert store.counts()["scores"] == 2


@pytest.fixture
def started(
    tmp_path: Path, small_csv: Path, monkeypatch: pytest.MonkeyPatch, dump: Callable[[Store], Dump]
) -> tuple[Path, Dump]:
    """A store holding the small catalogue and its dump; every later import through a copy."""
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        catalog.import_path(store, "csv", small_csv)
        before = dump(store)
    monkeypatch.setenv("OPENGAP_SHADOW_BYTES", "0")
    return path, before


def test_a_failure_in_a_later_part_leaves_the_store_and_no_copy(
    started: tuple[Path, Dump], shared_data: Path, monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump],
) -> None:
    path, before = started
    monkeypatch.setattr(epoch_hub, "PART_ROWS", 200)
    calls: list[int] = []
    original = Store._insert_scores

    def fail_on_third(self: Store, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:  # two parts are committed in the copy by now
            raise RuntimeError("boom")
        return original(self, *args)

    with Store(path) as store:
        monkeypatch.setattr(Store, "_insert_scores", fail_on_third)
        with pytest.raises(RuntimeError, match="boom"):
            catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
        assert dump(store) == before  # the open Store still reads the untouched file
    with Store(path) as store:
        assert dump(store) == before
    assert _leftovers(path.parent) == []


def test_a_strict_rejection_through_a_copy_changes_nothing(
    started: tuple[Path, Dump], monkeypatch: pytest.MonkeyPatch, dump: Callable[[Store], Dump]
) -> None:
    path, before = started
    monkeypatch.setattr(responses, "PART_ROWS", 2)
    bad = path.parent / "responses.csv"
    bad.write_text(
        "model,benchmark,item,score\n"
        + "".join(f"llama-3.1-70b,gpqa-diamond,q{i},1\n" for i in range(6))
        + "ghost,gpqa-diamond,q9,1\n"
    )
    with Store(path) as store:
        with pytest.raises(RejectedRows, match="unknown model 'ghost'"):
            catalog.import_path(store, "responses", bad, strict=True)
        assert dump(store) == before
        result = catalog.import_path(store, "responses", bad)  # without --strict: 6 stored
        assert (result.rows_accepted, result.rows_rejected) == (6, 1)
        assert store.counts()["responses"] == 6
    assert _leftovers(path.parent) == []


def test_too_little_memory_is_one_clear_error_and_changes_nothing(
    started: tuple[Path, Dump], shared_data: Path, monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump],
) -> None:
    path, before = started
    monkeypatch.setenv("OPENGAP_IMPORT_MEMORY", "1MB")  # the user's limit: never raised
    hub = shared_data / "epoch-benchmarking-hub"
    out = runner.invoke(app, ["import", "epoch-hub", str(hub), "--db", str(path)])
    assert out.exit_code == 2, out.output
    assert "needed more than the 1MB of memory" in out.output
    assert "OPENGAP_IMPORT_MEMORY" in out.output
    assert "Traceback" not in out.output
    with Store(path) as store:
        assert dump(store) == before
    assert _leftovers(path.parent) == []


def test_a_part_that_runs_out_of_memory_is_applied_again_under_a_larger_limit(
    tmp_path: Path, small_csv: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump],
) -> None:
    monkeypatch.setattr(epoch_hub, "PART_ROWS", 300)
    monkeypatch.setattr(shadow, "MIN_MEMORY_MB", 2)  # DuckDB really runs out, many times
    grown: list[str] = []
    original = shadow.Limit.grow

    def spy(self: shadow.Limit, con: Any) -> bool:
        ok = original(self, con)
        grown.append(self.text)
        return ok

    monkeypatch.setattr(shadow.Limit, "grow", spy)
    one, through_copy = _import_both_ways(
        "epoch-hub", shared_data / "epoch-benchmarking-hub", tmp_path, small_csv, monkeypatch,
        dump,
    )  # fmt: skip
    assert grown[:2] == ["4MB", "8MB"]  # it ran out under 2 MB, then 4 MB, ...
    assert through_copy == one  # ...and the parts applied again store exactly the same
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------ killed imports
_PAUSED = textwrap.dedent(
    """
    import signal, sys, time
    from opengap.store import core

    # Ctrl-C as in a terminal, whatever the test process passed on (a child inherits an
    # ignored SIGINT, and Python then never raises KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    original = core.Store._step

    def pause(self, step, limit):
        out = original(self, step, limit)  # a part is committed in the copy, not in the store
        print("PART-COMMITTED", flush=True)
        time.sleep(120)
        return out

    core.Store._step = pause
    from opengap.cli import main
    sys.argv = ["opengap", *sys.argv[1:]]
    main()
    """
)


def _paused_import(hub: Path, path: Path) -> subprocess.Popen[str]:
    """Start ``opengap import epoch-hub`` through a copy; return once a part is committed."""
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSED, "import", "epoch-hub", str(hub), "--db", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OPENGAP_SHADOW_BYTES": "0"},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "PART-COMMITTED", process.stderr.read() if process.stderr else ""
    return process


def test_an_import_killed_through_a_copy_leaves_the_store_and_its_copy_is_removed(
    tmp_path: Path, small_csv: Path, shared_data: Path, dump: Callable[[Store], Dump]
) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        catalog.import_path(store, "csv", small_csv)
        before = dump(store)
    hub = shared_data / "epoch-benchmarking-hub"
    process = _paused_import(hub, path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    copy = f".store.duckdb.import-{process.pid}"
    assert copy in _leftovers(tmp_path)  # the copy is left (with its log)
    with Store(path, read_only=True) as store:
        assert dump(store) == before
    assert _leftovers(tmp_path)  # a reader does not touch it
    with Store(path) as store:  # the next writer removes it
        assert dump(store) == before
        result = catalog.import_path(store, "epoch-hub", hub)
        assert not result.already_imported
    assert _leftovers(tmp_path) == []


def test_ctrl_c_in_an_import_through_a_copy_leaves_the_store_and_no_copy(
    started: tuple[Path, Dump], shared_data: Path, dump: Callable[[Store], Dump]
) -> None:
    path, before = started
    process = _paused_import(shared_data / "epoch-benchmarking-hub", path)
    process.send_signal(signal.SIGINT)
    try:  # under the 120 s pause, so a Ctrl-C that was not felt still fails here
        _, err = process.communicate(timeout=110)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"the import did not end within 110 s of Ctrl-C; it wrote: {err[-2000:]}")
    assert process.returncode == 130, err  # typer's exit for Ctrl-C in Python code
    assert "Traceback" not in err
    assert _leftovers(path.parent) == []
    with Store(path, read_only=True) as store:
        assert dump(store) == before


def test_the_copy_of_a_live_import_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store(path).close()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for name in (f".store.duckdb.import-{live.pid}", ".store.duckdb.import-999999999",
                     ".store.duckdb.import-999999999.wal"):  # fmt: skip
            (tmp_path / name).write_bytes(b"")
        (tmp_path / ".store.duckdb.import-999999999.tmp").mkdir()
        shadow.remove_stale(path)
        assert _leftovers(tmp_path) == [f".store.duckdb.import-{live.pid}"]
    finally:
        live.kill()
        live.wait()


# ------------------------------------------------------------------ when the copy is used
def test_only_a_large_input_goes_through_a_copy(
    tmp_path: Path, small_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENGAP_SHADOW_BYTES", raising=False)
    monkeypatch.setattr(shadow, "SHADOW_BYTES", 5_000)  # the default, made small
    used: list[int] = []
    original = Store._apply_through_copy

    def spy(self: Store, *args: Any) -> Any:
        used.append(args[-1])
        return original(self, *args)

    monkeypatch.setattr(Store, "_apply_through_copy", spy)
    big = tmp_path / "big"
    big.mkdir()
    for name in ("models", "benchmarks"):
        (big / f"{name}.csv").write_text((small_csv / f"{name}.csv").read_text())
    rows = "".join(f"llama-3.1-70b,gpqa-diamond,0.4,source {i}\n" for i in range(200))
    (big / "scores.csv").write_text("model_id,benchmark_id,value,source\n" + rows)
    assert shadow.input_bytes(small_csv) < 5_000 <= shadow.input_bytes(big)
    with Store(tmp_path / "store.duckdb") as store:
        catalog.import_path(store, "csv", small_csv)
        assert used == []
        result = catalog.import_path(store, "csv", big)
        assert used == [shadow.input_bytes(big)]
        assert result.rows_accepted == 2 + 1 + 200  # models, benchmark, scores
        assert store.counts()["scores"] == 2 + 200


def test_settings_fall_back_on_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    for nonsense in ("lots", "-1", ""):
        monkeypatch.setenv("OPENGAP_SHADOW_BYTES", nonsense)
        assert shadow.threshold() == shadow.SHADOW_BYTES
    monkeypatch.setenv("OPENGAP_SHADOW_BYTES", "0")
    assert shadow.threshold() == 0
    assert shadow.memory_limit(10_000_000) == shadow.Limit("64MB", 64)  # the floor
    assert shadow.memory_limit(1_000_000_000) == shadow.Limit("3000MB", 3000)
    for chosen, megabytes in (("2GB", 2000), ("512 mb", 512), ("1.5GiB", 1610), ("3000000", 3)):
        monkeypatch.setenv("OPENGAP_IMPORT_MEMORY", chosen)
        assert shadow.memory_limit(5) == shadow.Limit(f"{megabytes}MB", None)  # never raised
    assert shadow.input_bytes("/no/such/path") == 0


@pytest.mark.parametrize("chosen", ["lots", "-1GB", "2 parsecs", "0.5MB", "1e3MB"])
def test_a_memory_setting_that_is_not_a_size_is_one_clear_error_and_changes_nothing(
    started: tuple[Path, Dump], shared_data: Path, monkeypatch: pytest.MonkeyPatch,
    dump: Callable[[Store], Dump], chosen: str,
) -> None:
    path, before = started
    monkeypatch.setenv("OPENGAP_IMPORT_MEMORY", chosen)
    hub = shared_data / "epoch-benchmarking-hub"
    out = runner.invoke(app, ["import", "epoch-hub", str(hub), "--db", str(path)])
    assert out.exit_code == 2, out.output
    assert out.output.startswith(f"Error: OPENGAP_IMPORT_MEMORY={chosen!r}"), out.output
    assert len(out.output.strip().splitlines()) == 1
    with Store(path) as store:
        assert dump(store) == before
    assert _leftovers(path.parent) == []


def test_the_limit_grows_to_duckdbs_default_and_no_further(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import duckdb

    monkeypatch.setattr(shadow, "_default_megabytes", lambda: 800)
    con = duckdb.connect()
    limit = shadow.Limit("300MB", 300)
    assert limit.grow(con) and limit.text == "600MB"
    assert limit.grow(con) and limit.text == "800MB"  # 80% of the machine
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0].startswith("7")
    assert not limit.grow(con)


def test_the_limits_cap_is_duckdbs_own_default() -> None:
    import duckdb

    top = shadow._default_megabytes()
    with duckdb.connect() as con:
        con.execute("SET memory_limit = '1GB'")
        con.execute(f"SET memory_limit = '{top}MB'")  # what grow sets at most
        shown = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        con.execute("RESET memory_limit")
        default = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert 100 < top < 10**8
    # DuckDB's own default, as DuckDB shows it (to its 0.1 GiB)
    assert abs(shadow._megabytes(shown) - shadow._megabytes(default)) <= 0.01 * top
    assert not shadow.Limit("2GB", None).grow(con)


def test_copy_error_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:

        def full(*args: Any, **kwargs: Any) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(shutil, "copyfile", full)
        copying = pytest.raises(OpengapError, match="cannot copy the store to import into: No")
        with copying, shadow.shadow(path, store.con, 1):
            pass
    assert _leftovers(tmp_path) == []


def test_a_step_out_of_memory_is_retried_after_a_checkpoint_before_the_limit_grows(
    tmp_path: Path,
) -> None:
    import duckdb

    with Store(tmp_path / "s.duckdb") as store:
        for failures, grown in ((1, "300MB"), (2, "600MB"), (3, "1200MB")):
            calls: list[int] = []

            def step(calls: list[int] = calls, failures: int = failures) -> str:
                calls.append(len(calls))
                if len(calls) <= failures:
                    raise duckdb.OutOfMemoryException("could not allocate block")
                return "done"

            limit = shadow.Limit("300MB", 300)
            store.con.begin()
            assert store._step(step, limit) == "done"
            store.con.commit()
            assert len(calls) == failures + 1
            # once: a checkpoint frees it; again right after the checkpoint: the limit
            # doubles, and doubles again while it keeps running out
            assert limit.text == grown, failures


def test_the_copy_is_crowded_when_duckdb_holds_over_half_its_limit() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS i, repeat('x', 200) AS s FROM range(300000)")
    held = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0][0]
    assert held > 20_000_000
    assert shadow.Limit("1000MB", 1000).crowded(con) == (held > 500_000_000)
    assert shadow.Limit(f"{held // 1_000_000 + 1}MB", None).crowded(con)  # fixed: read as text
    assert not shadow.Limit(f"{4 * held // 1_000_000}MB", None).crowded(con)
