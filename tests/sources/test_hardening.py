"""Issue 11's reproductions: readers refuse what they cannot read exactly, through the CLI.

Each test writes a damaged copy of a real file (or a small hostile one) in tmp_path and checks
that the import gives one ``Error:`` line and exit code 2 with the store unchanged, or rejects
exactly the bad row with its reason -- never a traceback, a hang, or a wrong stored value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from opengap.cli import app
from opengap.sources import read_path
from opengap.sources.checks import check_input_path, read_csv_table
from opengap.store import Store
from opengap.store.schema import TABLES

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Never touch the user's store; fail (not hang) a test that blocks for 60 s."""
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def _timeout(signum: int, frame: Any) -> None:
        raise TimeoutError("blocked for 60 s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _error(result: Result) -> str:
    """Return the single ``Error:`` line of a failed command (exit 2, nothing on stdout)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def _ok(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stderr, result.exception)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db) as store:
        return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    _ok(_run("init", "--empty", "--db", str(path), "--json"))
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines(keepends=True)


# ------------------------------------------------------------------ cut, short, long rows
def test_truncated_leaderboard_never_stores_arc_65_as_0_06(
    shared_data: Path, tmp_path: Path, db: Path
) -> None:
    """Issue 11: a leaderboard file cut inside a row imported ARC 65.0 as 0.06 with exit 0."""
    source = shared_data / "open-llm-leaderboard-v1" / "open-llm-leaderboard.csv"
    lines = _lines(source)
    header = next(csv.reader([lines[0]]))
    arc = header.index("arc")
    row = next(i for i, line in enumerate(lines[1:200], 1) if line.split(",")[arc][:2] == "65")
    cells = lines[row].split(",")
    cut = ",".join(cells[:arc]) + "," + cells[arc][:1]  # the file ends after ARC's first digit
    truncated = tmp_path / "open-llm-leaderboard.csv"
    truncated.write_text("".join(lines[:row]) + cut, encoding="utf-8")
    before = _dump(db)
    line = _error(_run("import", "open-llm-leaderboard", str(truncated), "--db", str(db)))
    assert f"{truncated}: line {row + 1}: a short (or cut) row of {arc + 1} field(s)" in line
    assert _dump(db) == before
    with Store(db) as store:
        assert store.query("SELECT * FROM scores WHERE value BETWEEN 0.05 AND 0.07").empty


@pytest.mark.parametrize("damage", ["short", "long"])
def test_hub_row_with_another_field_count_is_refused(
    shared_data: Path, tmp_path: Path, db: Path, damage: str
) -> None:
    lines = _lines(shared_data / "epoch-benchmarking-hub" / "benchmarks_runs.csv")[:6]
    rows = list(csv.reader(io.StringIO("".join(lines))))
    rows[3] = rows[3][:-1] if damage == "short" else [*rows[3], "extra"]
    hub = tmp_path / "hub"
    hub.mkdir()
    with (hub / "benchmarks_runs.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    line = _error(_run("import", "epoch-hub", str(hub), "--db", str(db)))
    assert "benchmarks_runs.csv: line 4: a" in line and damage in line
    assert _dump(db)["scores"] == []


def test_repeated_header_column_is_refused(shared_data: Path, tmp_path: Path, db: Path) -> None:
    report = shared_data / "epoch-open-models-2024"
    lines = _lines(report / "benchmarks_with_model_accessibility.csv")
    header = lines[0].rstrip("\r\n").split(",")
    doubled = tmp_path / "benchmarks_with_model_accessibility.csv"
    rows = [",".join([*header, "MMLU"]) + "\n"]
    rows += [line.rstrip("\r\n") + ",0.5\n" for line in lines[1:]]
    doubled.write_text("".join(rows))
    line = _error(_run("import", "epoch-open-report", str(doubled), "--db", str(db)))
    assert "'MMLU' repeated in the header" in line


def test_conflicting_duplicate_scores_are_both_rejected(
    shared_data: Path, tmp_path: Path, db: Path
) -> None:
    """Issue 11: a duplicate row with different data silently replaced the first."""
    lines = _lines(shared_data / "epoch-benchmarking-hub" / "external_benchmark_metr.csv")
    rows = list(csv.reader(io.StringIO("".join(lines[:4]))))
    value = rows[0].index("Time horizon")
    changed = list(rows[1])
    changed[value] = "99.5"
    hub = tmp_path / "hub"
    hub.mkdir()
    with (hub / "external_benchmark_metr.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([*rows, list(rows[2]), changed])  # row 2 repeated as is
    result = _ok(_run("import", "epoch-hub", str(hub), "--db", str(db), "--json"))
    reasons = {r["row"]: r["reason"] for r in result["rejected"]}
    first, later = "external_benchmark_metr.csv row 1", "external_benchmark_metr.csv row 5"
    assert set(reasons) == {first, later}
    assert "conflicts with" in reasons[later] and "99.5" in reasons[later]
    with Store(db) as store:
        values = sorted(store.query("SELECT value FROM scores")["value"])
    assert values == sorted(float(r[value]) for r in rows[2:])  # the identical duplicate: once


# ------------------------------------------------------------------ values out of range
def _hub_with(tmp_path: Path, name: str, text: str) -> Path:
    hub = tmp_path / "hub"
    hub.mkdir(exist_ok=True)
    (hub / name).write_text(text)
    return hub


@pytest.mark.parametrize(
    ("release", "accepted"),
    [("0001-01-01", False), ("9999-12-31", False), ("1949-12-31", False), ("2024-05-13", True)],
)
def test_implausible_release_dates_are_rejected(
    tmp_path: Path, db: Path, release: str, accepted: bool
) -> None:
    hub = _hub_with(
        tmp_path, "model_versions.csv",
        "id,Model,Version release date,Hugging Face developer id\n"
        f"test-model-x,Test Model X,{release},\n",
    )  # fmt: skip
    result = _ok(_run("import", "epoch-hub", str(hub), "--db", str(db), "--json"))
    with Store(db) as store:  # (init loads the curated models: look at this one only)
        dates = store.query(
            "SELECT release_date FROM models WHERE model_id = 'test-model-x'"
        )["release_date"].tolist()
    if accepted:
        assert len(dates) == 1 and result["rejected"] == []
    else:
        assert dates == []
        assert "not a plausible date" in result["rejected"][0]["reason"]


def test_metr_nan_and_infinite_scores_are_rejected(tmp_path: Path, db: Path) -> None:
    """Issue 11: METR ``nan`` gave a traceback; infinite scores were accepted."""
    hub = _hub_with(
        tmp_path, "external_benchmark_metr.csv",
        "Model version,Time horizon,Source\nm-a,nan,METR\nm-b,inf,METR\nm-c,12.5,METR\n",
    )  # fmt: skip
    result = _ok(_run("import", "epoch-hub", str(hub), "--db", str(db), "--json"))
    assert [r["row"] for r in result["rejected"]] == [
        "external_benchmark_metr.csv row 1", "external_benchmark_metr.csv row 2",
    ]  # fmt: skip
    assert all("not a finite number" in r["reason"] for r in result["rejected"])
    with Store(db) as store:
        assert store.query("SELECT value FROM scores")["value"].tolist() == [12.5]


@pytest.mark.parametrize("params", ["-7", "inf", "1e400"])
def test_negative_or_infinite_parameter_counts_are_rejected(
    shared_data: Path, tmp_path: Path, db: Path, params: str
) -> None:
    source = shared_data / "epoch-open-models-2024" / "all_ml_systems_full_view.csv"
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[:3]
    column = rows[0].index("Parameters")
    rows[1][column] = params
    copy = tmp_path / "all_ml_systems_full_view.csv"
    with copy.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = _ok(_run("import", "epoch-models", str(copy), "--db", str(db), "--json"))
    assert len(result["rejected"]) == 1
    assert "params_total_b" in result["rejected"][0]["reason"]
    with Store(db) as store:
        sizes = store.query("SELECT params_total_b FROM models")["params_total_b"].dropna()
    assert (sizes >= 0).all() and sizes.map(lambda v: v < float("inf")).all()


def test_a_name_without_letters_is_never_an_empty_id(tmp_path: Path, db: Path) -> None:
    """Issue 11: a model named ``!!!`` became the empty id."""
    hub = _hub_with(
        tmp_path, "external_benchmark_mmlu.csv",
        "Model version,EM,Source\n!!!,50%,Paper\nreal-model,60%,Paper\n",
    )  # fmt: skip
    result = _ok(_run("import", "epoch-hub", str(hub), "--db", str(db), "--json"))
    assert any("'!!!' names nothing" in r["reason"] for r in result["rejected"])
    with Store(db) as store:
        ids = store.query(
            "SELECT model_id FROM models WHERE import_id = (SELECT max(import_id) FROM imports)"
        )["model_id"].tolist()  # this import's models (init loads curated ones)
    assert ids == ["real-model"] and "" not in ids


def test_item_count_of_2_to_the_31_is_rejected(tmp_path: Path, db: Path) -> None:
    """Issue 11: n_items >= 2^31 gave a traceback (DuckDB INTEGER overflow)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "scores.csv").write_text(
        "model_id,benchmark_id,value,n_items\nm,b,0.5,2147483648\nm,b2,0.5,2147483647\n"
    )
    (folder / "models.csv").write_text("model_id\nm\n")
    (folder / "benchmarks.csv").write_text("benchmark_id,n_items\nb,2147483648\nb2,10\n")
    result = _ok(_run("import", "csv", str(folder), "--db", str(db), "--json"))
    reasons = [r["reason"] for r in result["rejected"]]
    assert any("n_items 2.14748e+09 is above" in r for r in reasons), reasons
    with Store(db) as store:
        assert store.query("SELECT n_items FROM scores")["n_items"].tolist() == [2147483647]


# ------------------------------------------------------------------ lm-eval JSON
def test_lm_eval_date_of_1e20_is_an_error(tmp_path: Path, db: Path) -> None:
    results = tmp_path / "results_2024-05-01T10-00-00.json"
    results.write_text(json.dumps({"date": 1e20, "results": {"arc": {"acc,none": 0.5}}}))
    line = _error(_run("import", "lm-eval", str(results), "--db", str(db), "--model", "m"))
    assert "'date' 1e+20 is not a time stamp" in line


def test_deeply_nested_json_is_refused_cleanly(tmp_path: Path, db: Path) -> None:
    results = tmp_path / "results_2024-05-01T10-00-00.json"
    results.write_text('{"results": ' + "[" * 100_000 + "]" * 100_000 + "}")
    line = _error(_run("import", "lm-eval", str(results), "--db", str(db)))
    assert "nested" in line


# ------------------------------------------------------------------ paths that are not files
def test_fifo_as_import_path_is_refused_at_once(tmp_path: Path, db: Path) -> None:
    fifo = tmp_path / "scores.csv"
    os.mkfifo(fifo)
    line = _error(_run("import", "csv", str(fifo), "--db", str(db)))
    assert line == f"Error: {fifo}: a FIFO (named pipe), not a regular file"


def test_fifo_inside_a_hub_directory_is_refused(tmp_path: Path, db: Path) -> None:
    hub = tmp_path / "hub"
    hub.mkdir()
    os.mkfifo(hub / "benchmarks_runs.csv")
    line = _error(_run("import", "epoch-hub", str(hub), "--db", str(db)))
    assert "benchmarks_runs.csv: a FIFO (named pipe), not a regular file" in line


def test_symlink_loop_and_device_and_directory_are_refused(tmp_path: Path, db: Path) -> None:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    looped = _error(_run("import", "csv", str(loop), "--db", str(db)))
    assert looped.endswith("a symlink loop, not a file")
    device = _error(_run("import", "open-llm-leaderboard", "/dev/null", "--db", str(db)))
    assert device == "Error: /dev/null: a device, not a regular file"
    hub = tmp_path / "hub"
    (hub / "model_versions.csv").mkdir(parents=True)
    line = _error(_run("import", "epoch-hub", str(hub), "--db", str(db)))
    assert "model_versions.csv: a directory, expected a file" in line
    inner = tmp_path / "hub2"
    inner.mkdir()
    (inner / "benchmarks_runs.csv").symlink_to(inner / "benchmarks_runs.csv")
    assert "a symlink loop" in _error(_run("import", "epoch-hub", str(inner), "--db", str(db)))


def test_check_input_path_uses_stat_only(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(Exception, match="FIFO"):
        check_input_path(fifo)  # an open() would block here
    with pytest.raises(Exception, match="FIFO"):
        list(read_csv_table(fifo))


def test_non_utf8_path_imports(tmp_path: Path, db: Path) -> None:
    folder = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9"))
    folder.mkdir()
    (folder / "models.csv").write_text("model_id\nmy-model\n")
    result = _ok(_run("import", "csv", str(folder), "--db", str(db), "--json"))
    assert result["rows_accepted"] == 1 and "caf\\xe9" in result["path"]
    missing = _error(_run("import", "csv", str(folder / "none.csv"), "--db", str(db)))
    assert "caf\\xe9" in missing


# ------------------------------------------------------------------ --db that is not a store
def test_db_fifo_directory_uncreatable_corrupt(tmp_path: Path, shared_data: Path) -> None:
    fifo = tmp_path / "fifo.duckdb"
    os.mkfifo(fifo)
    assert "not a regular file" in _error(_run("models", "--db", str(fifo)))
    assert "a directory, not a store file" in _error(_run("models", "--db", str(tmp_path)))
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    uncreatable = _error(_run("init", "--empty", "--db", str(blocker / "sub" / "s.duckdb")))
    assert uncreatable.endswith("s.duckdb: cannot use as the store: Not a directory")
    good = tmp_path / "good.duckdb"
    _ok(_run("init", "--empty", "--db", str(good), "--json"))
    data = bytearray(good.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # keep the magic, garble the rest
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(bytes(data))
    assert "cannot open the store" in _error(_run("models", "--db", str(corrupt)))


# ------------------------------------------------------------------ ceilings
def _csv_folder(tmp_path: Path, name: str, ceiling: str, scores: str = "") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "benchmarks.csv").write_text(f"benchmark_id,ceiling\nwriting,{ceiling}\n")
    if scores:
        (folder / "models.csv").write_text("model_id\nm\n")
        (folder / "scores.csv").write_text(f"model_id,benchmark_id,value\n{scores}")
    return folder


def test_lowering_a_ceiling_below_stored_scores_is_refused(tmp_path: Path, db: Path) -> None:
    """Issue 11: changing a benchmark's ceiling left stored scores above it."""
    _ok(_run("import", "csv", str(_csv_folder(tmp_path, "a", "10", "m,writing,8.5\n")),
             "--db", str(db), "--json"))  # fmt: skip
    before = _dump(db)
    line = _error(_run("import", "csv", str(_csv_folder(tmp_path, "b", "1")), "--db", str(db)))
    assert "benchmark 'writing' would get the ceiling 1, but 1 stored score(s) lie above it" in line
    assert "highest 8.5" in line
    assert _dump(db) == before
    _ok(_run("import", "csv", str(_csv_folder(tmp_path, "c", "9")), "--db", str(db), "--json"))
    with Store(db) as store:
        row = store.query(
            "SELECT ceiling, normalized FROM benchmarks JOIN scores USING (benchmark_id)"
        )
    assert row["ceiling"].tolist() == [9.0]
    assert row["normalized"].tolist() == pytest.approx([8.5 / 9.0])


# ------------------------------------------------------------------ ids
def test_ids_keep_letters_of_every_script(tmp_path: Path, db: Path) -> None:
    """Issue 11: ``ünïcødé-東京`` became ``unicde``."""
    folder = tmp_path / "u"
    folder.mkdir()
    (folder / "models.csv").write_text("model_id,name\nÜnïcødé 東京,Tokyo LM\nКириллица-7B,K\n")
    _ok(_run("import", "csv", str(folder), "--db", str(db), "--json"))
    with Store(db) as store:
        ids = sorted(store.query(
            "SELECT model_id FROM models WHERE import_id = (SELECT max(import_id) FROM imports)"
        )["model_id"])  # this import's models
        assert store.resolve("model", "ünïcødé-東京") == "ünïcødé-東京"
        assert store.resolve("model", "unicøde 東京") == "ünïcødé-東京"  # accents fold in lookups
    assert ids == ["ünïcødé-東京", "кириллица-7b"]


def test_snapshot_ids_are_the_ids_written_in_the_snapshot(tmp_path: Path) -> None:
    snapshot = Path(__file__).resolve().parents[2] / "src" / "opengap" / "data" / "snapshot"
    written = {
        table: {row[column] for row in csv.DictReader((snapshot / f"{table}.csv").open())}
        for table, column in (("models", "model_id"), ("benchmarks", "benchmark_id"))
    }
    db = tmp_path / "snap.duckdb"
    _ok(_run("init", "--db", str(db), "--json"))
    with Store(db) as store:
        assert set(store.query("SELECT model_id FROM models")["model_id"]) >= written["models"]
        stored = set(store.query("SELECT benchmark_id FROM benchmarks")["benchmark_id"])
        assert stored == written["benchmarks"]
    assert len(written["models"]) > 50


def test_read_path_range_checks_every_reader(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "models.csv").write_text("model_id,release_date\nold,1900-01-01\nok,2020-01-01\n")
    batch = read_path("csv", folder)
    assert [m.model_id for m in batch.models] == ["ok"]
    assert "release_date 1900-01-01 is not a plausible date" in batch.rejected[0].reason


def test_json_integer_of_two_million_digits_is_refused(tmp_path: Path, db: Path) -> None:
    """Found by the fuzz script: int('9' * 2_000_000) raised ValueError through the CLI."""
    samples = tmp_path / "m__x" / "samples_arc_2024-05-01T10-00-00.jsonl"
    samples.parent.mkdir()
    samples.write_text('{"doc_id": 0, "acc": ' + "9" * 2_000_000 + "}\n")
    line = _error(_run("import", "lm-eval", str(samples), "--db", str(db)))
    assert "line 1: not valid JSON" in line and "digits" in line
