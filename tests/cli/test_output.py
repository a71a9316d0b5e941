"""Output a person can read: choices, missing stores, 100-column tables, --csv, --wide,
unknown dates, control characters, fits and --version (through the real CLI)."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from opengap import fitting
from opengap.cli import app, common
from opengap.store import Store

runner = CliRunner()
ESC = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled snapshot (162 models) with two fits."""
    path = tmp_path_factory.mktemp("out") / "snapshot.duckdb"
    assert runner.invoke(app, ["init", "--db", str(path)]).exit_code == 0
    with Store(path) as store:
        fitting.run_fit(store, bootstrap=0)
        fitting.run_fit(store, preset="eci", bootstrap=0)
    return path


@pytest.fixture
def odd_db(tmp_path: Path) -> Path:
    """Two models: one without a release date, one whose name carries escape codes."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "models.csv").write_text(
        "model_id,name,organization,release_date,weights,license_class\n"
        "no-date,No Date Model,Lab,,open,permissive\n"
        'evil,"Evil\x1b[31mRed\x1b]0;pwned\x07\rName\u202e",Lab\x1b[2J,2025-01-01,closed,closed\n'
    )
    (folder / "benchmarks.csv").write_text("benchmark_id,name,domain,chance,ceiling\n"
                                           "b1,Bench One,math,0,1\n")  # fmt: skip
    (folder / "scores.csv").write_text(
        "model_id,benchmark_id,value,source\nno-date,b1,0.5,Run\nevil,b1,0.7,Run\n"
    )
    db = tmp_path / "odd.duckdb"
    assert _run("import", "csv", str(folder), "--db", str(db)).exit_code == 0
    return db


def _run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _error(result: Result) -> str:
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    return result.stderr


# ------------------------------------------------------------------ invalid values
@pytest.mark.parametrize(("args", "message"), [
    (["models", "--weights", "opne"], "Error: --weights 'opne': choose open or closed\n"),
    (["models", "--license-class", "free"],
     "Error: --license-class 'free': choose permissive, open-restricted or closed\n"),
    (["benchmarks", "--domain", "maths"],
     "Error: --domain 'maths': choose math, code, knowledge, reasoning, agentic, language, "
     "multimodal, long-context or other\n"),
    (["models", "--json", "--csv"], "Error: --json and --csv: choose one\n"),
])  # fmt: skip
def test_invalid_values_list_the_allowed_ones(
    snapshot_db: Path, args: list[str], message: str
) -> None:
    assert _error(_run(*args, "--db", str(snapshot_db))) == message


def test_choices_ignore_case(snapshot_db: Path) -> None:
    rows = json.loads(_run("models", "--weights", "OPEN", "--db", str(snapshot_db),
                           "--json").stdout)  # fmt: skip
    assert rows and {r["weights"] for r in rows} == {"open"}


# ------------------------------------------------------------------ missing store
@pytest.mark.parametrize("command", [
    ["models"], ["benchmarks"], ["scores"], ["fits"], ["fit"], ["gap"], ["sensitivity"],
    ["serve"],
])  # fmt: skip
def test_a_missing_store_says_how_to_create_it(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo.duckdb"
    assert _error(_run(*command, "--db", str(missing))) == (
        f"Error: no store at {missing}; create it with `opengap init --db {missing}`\n"
    )
    assert not missing.exists()
    assert not any(p.suffix == ".duckdb" for p in tmp_path.rglob("*"))


# ------------------------------------------------------------------ --version and fits
def test_version() -> None:
    result = _run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"opengap {version('opengap')}\n"


def test_fits_lists_every_stored_fit_newest_first(snapshot_db: Path) -> None:
    with Store(snapshot_db, read_only=True) as store:
        stored = store.query("SELECT fit_id, preset FROM fits ORDER BY created_at DESC")
        counts = store.query("SELECT fit_id, count(*) AS n FROM capabilities GROUP BY fit_id")
        best = store.query(
            "SELECT c.fit_id, m.name FROM capabilities c JOIN models m USING (model_id) "
            "WHERE m.weights = 'closed' QUALIFY row_number() OVER (PARTITION BY c.fit_id "
            "ORDER BY c.capability DESC) = 1"
        )
    rows = json.loads(_run("fits", "--db", str(snapshot_db), "--json").stdout)
    assert [r["fit_id"] for r in rows] == list(stored["fit_id"])
    assert [r["preset"] for r in rows] == ["eci", "default"]
    n = dict(zip(counts["fit_id"], counts["n"], strict=True))
    top = dict(zip(best["fit_id"], best["name"], strict=True))
    for row in rows:
        assert row["n_models"] == n[row["fit_id"]]
        assert row["headline"].startswith(f"best closed {top[row['fit_id']]} ")
        assert set(row) >= {"fit_id", "preset", "created_at", "n_models", "n_benchmarks",
                            "headline"}  # fmt: skip
    table = _run("fits", "--db", str(snapshot_db)).stdout
    assert "2 stored fits" in table and rows[0]["fit_id"] in table


# ------------------------------------------------------------------ tables and CSV
@pytest.mark.parametrize("command", [["models"], ["benchmarks"], ["scores"], ["fits"]])
def test_tables_fit_100_columns_one_line_per_row(
    snapshot_db: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 100)
    result = _run(*command, "--db", str(snapshot_db), "--limit", "30") if command != ["fits"] \
        else _run(*command, "--db", str(snapshot_db))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    body = [line for line in lines if line.startswith("│")]
    expected = 2 if command == ["fits"] else min(30, _count(snapshot_db, command[0]))
    assert len(body) == expected  # no row wrapped onto a second line


def _count(db: Path, table: str) -> int:
    with Store(db, read_only=True) as store:
        return int(store.query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0])


def test_tables_show_names_not_ids_and_wide_shows_everything(
    snapshot_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 100)
    narrow = _run("models", "--db", str(snapshot_db), "--search", "GPT-4 (0314)").stdout
    assert "GPT-4 (0314)" in narrow and "gpt-4-0314" not in narrow
    llama = _run("models", "--db", str(snapshot_db), "--search", "Llama 2 13B").stdout
    assert "13.0" in llama  # Llama 2 13B: one format for billions of parameters
    wide = _run("models", "--db", str(snapshot_db), "--search", "GPT-4 (0314)", "--wide").stdout
    assert "gpt-4-0314" in wide and "license_class" in wide and "base_model_id" in wide
    scores = _run("scores", "--db", str(snapshot_db), "--limit", "3").stdout
    assert "Claude 2" in scores and "claude-2," not in scores and "claude-2 " not in scores


def test_csv_carries_every_column_like_json(snapshot_db: Path) -> None:
    as_json = json.loads(_run("models", "--db", str(snapshot_db), "--json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(
        _run("models", "--db", str(snapshot_db), "--csv").stdout)))  # fmt: skip
    assert len(as_csv) == len(as_json) == _count(snapshot_db, "models")
    for row, record in zip(as_csv, as_json, strict=True):
        assert set(row) == set(record)
        for key, value in record.items():
            assert row[key] == ("" if value is None else str(value))


# ------------------------------------------------------------------ unknowns, escapes
def test_unknown_dates_are_null_and_a_dash_never_nat(odd_db: Path) -> None:
    rows = {r["model_id"]: r for r in json.loads(
        _run("models", "--db", str(odd_db), "--json").stdout)}  # fmt: skip
    assert rows["no-date"]["release_date"] is None
    table = _run("models", "--db", str(odd_db), "--wide").stdout
    line = next(x for x in table.splitlines() if "No Date Model" in x)
    assert "—" in line
    for command in (["models", "--csv"], ["models"], ["scores"], ["models", "--json"]):
        assert "NaT" not in _run(*command, "--db", str(odd_db)).stdout


def test_escape_codes_never_reach_the_terminal(odd_db: Path) -> None:
    for command in (["models"], ["models", "--wide"], ["models", "--csv"], ["scores"],
                    ["models", "--json"]):  # fmt: skip
        out = _run(*command, "--db", str(odd_db)).stdout
        assert not ESC.search(out.replace("\n", "")), (command, out)
        assert "\u202e" not in out
    assert "EvilRed" in _run("models", "--db", str(odd_db), "--wide").stdout
    error = _error(_run("scores", "--model", "x\x1b[2Jy", "--db", str(odd_db)))
    assert not ESC.search(error.rstrip("\n"))
    assert error.startswith("Error: unknown model 'x")


def test_search_is_a_substring_not_a_like_pattern(snapshot_db: Path) -> None:
    def ids(search: str) -> list[str]:
        out = _run("models", "--search", search, "--db", str(snapshot_db), "--json").stdout
        return [r["model_id"] for r in json.loads(out)]

    every: list[dict[str, Any]] = json.loads(
        _run("models", "--db", str(snapshot_db), "--json").stdout)  # fmt: skip
    assert ids("%") == [r["model_id"] for r in every if "%" in (r["name"] or "")]
    assert ids("_") == [r["model_id"] for r in every
                        if "_" in r["model_id"] or "_" in (r["name"] or "")]  # fmt: skip
    assert len(ids("%")) < len(every) and len(ids("_")) < len(every)
    assert "gpt-4o-2024-05-13" in ids("4o")


@pytest.mark.parametrize(("raw", "shown"), [
    ("a\x1b[31mred\x1b[0m", "ared"),
    ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("title\x1b]0;pwned\x07", "title"),
    ("x\x9b2Jy", "xy"),
    ("back\bspace\rcr\x07bell\x00", "backspacecrbell"),
    ("abc\u202edcba", "abcdcba"),
    ("keeps\ttabs\nand lines", "keeps\ttabs\nand lines"),
    ("ünïcødé-東京", "ünïcødé-東京"),
])  # fmt: skip
def test_clean_removes_escapes_and_controls_only(raw: str, shown: str) -> None:
    assert common.clean(raw) == shown
