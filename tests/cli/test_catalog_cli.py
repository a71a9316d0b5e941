"""The catalogue commands (init, import, models, benchmarks, scores) through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

from opengap.cli import app, common
from opengap.sources import KINDS
from opengap.store import Store
from opengap.store.schema import SCHEMA_VERSION, TABLES

runner = CliRunner()

IMPORT_KEYS = {"import_id", "kind", "rows_read", "rows_accepted", "rows_rejected", "rejected"}
MODEL_FIELDS = {
    "model_id", "name", "organization", "country", "release_date", "weights", "license_class",
    "params_total_b", "params_active_b",
}  # fmt: skip
BENCHMARK_FIELDS = {"benchmark_id", "name", "domain", "n_items", "chance", "ceiling", "public"}
SCORE_FIELDS = {
    "model_id", "benchmark_id", "value", "normalized", "harness", "source", "source_url",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the user's real store."""
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.duckdb"


@pytest.fixture
def evals(tmp_path: Path) -> Path:
    folder = tmp_path / "evals"
    folder.mkdir()
    (folder / "models.csv").write_text(
        "model_id,name,organization,country,release_date,weights,license_class,params_total_b\n"
        "my-model-7b,My Model 7B,Example Lab,France,2025-03-01,open,permissive,7.2\n"
        "gpt-4o-2024-08-06,GPT-4o (2024-08-06),OpenAI,United States of America,2024-08-06,"
        "closed,closed,\n"
    )
    (folder / "benchmarks.csv").write_text(
        "benchmark_id,name,domain,chance,ceiling,n_items,public\n"
        "gpqa-diamond,GPQA Diamond,knowledge,0.25,1,198,true\n"
    )
    (folder / "scores.csv").write_text(
        "model_id,benchmark_id,value,harness,source,source_url\n"
        "my-model-7b,gpqa-diamond,0.4,inspect,Our run,https://example.org/1\n"
        "GPT-4o (2024-08-06),GPQA diamond,0.55,vendor-reported,OpenAI,\n"
    )
    return folder


def _run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db) as store:
        return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert result.stdout == ""
    return lines[0]


# ------------------------------------------------------------------ init and import
def test_init_empty_creates_the_store_with_curated_facts_only(db: Path) -> None:
    data = _json(_run("init", "--empty", "--db", str(db), "--json"))
    assert data["db"] == str(db) and db.is_file()
    assert set(data["counts"]) == set(TABLES)
    # the curated catalogue's models and their facts, no benchmarks and no scores
    assert data["counts"]["models"] > 0 and data["counts"]["model_facts"] > 0
    assert data["counts"]["benchmarks"] == data["counts"]["scores"] == 0


def test_import_json_shape(db: Path, evals: Path) -> None:
    data = _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    assert set(data) >= IMPORT_KEYS
    assert {k: data[k] for k in IMPORT_KEYS} == {
        "import_id": 1, "kind": "csv", "rows_read": 5, "rows_accepted": 5, "rows_rejected": 0,
        "rejected": [],
    }  # fmt: skip


def test_import_json_lists_rejected_rows(db: Path, evals: Path) -> None:
    (evals / "scores.csv").write_text(
        "model_id,benchmark_id,value\nmy-model-7b,gpqa-diamond,1.4\nnobody,gpqa-diamond,0.2\n"
    )
    data = _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    assert (data["rows_read"], data["rows_accepted"], data["rows_rejected"]) == (5, 3, 2)
    assert data["rejected"] == [
        {"row": "scores.csv:2", "reason": "value 1.4 outside [0, 1] of 'gpqa-diamond'"},
        {"row": "scores.csv:3", "reason": "unknown model 'nobody'"},
    ]


def test_import_prints_counts_and_first_rejections(db: Path, evals: Path) -> None:
    (evals / "models.csv").write_text("model_id,weights\na,open\nb,opne\n")
    result = _run("import", "csv", str(evals), "--db", str(db))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Import 1 (csv): 5 rows read, 2 accepted, 3 rejected",
        "  rejected models.csv:3: weights 'opne' is not one of open, closed",
        "  rejected scores.csv:2: unknown model 'my-model-7b'",
        "  rejected scores.csv:3: unknown model 'GPT-4o (2024-08-06)'",
    ]
    again = _run("import", "csv", str(evals), "--db", str(db))
    flat = " ".join(again.stdout.split())  # rich wraps long paths at the terminal width
    assert flat == f"{evals}: already imported as import 1; nothing changed"


def test_import_real_leaderboard_counts(db: Path, shared_data: Path) -> None:
    path = shared_data / "open-llm-leaderboard-v1" / "open-llm-leaderboard.csv"
    data = _json(_run("import", "open-llm-leaderboard", str(path), "--db", str(db), "--json"))
    assert (data["rows_read"], data["rows_accepted"], data["rows_rejected"]) == (6986, 6986, 0)
    again = _json(_run("import", "open-llm-leaderboard", str(path), "--db", str(db), "--json"))
    assert again["import_id"] == data["import_id"]
    with Store(db) as store:
        assert store.counts()["imports"] == 1


def test_import_real_lm_eval_with_model_option(db: Path, shared_data: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals / "models.csv"), "--db", str(db), "--json"))
    data = _json(
        _run(
            "import", "lm-eval", str(shared_data / "lm-eval-samples"), "--model", "My Model 7B",
            "--db", str(db), "--json",
        )
    )  # fmt: skip
    assert (data["rows_read"], data["rows_rejected"]) == (244, 0)
    scores = _json(_run("scores", "--model", "my-model-7b", "--db", str(db), "--json"))
    assert len(scores) == 2
    assert {s["harness"] for s in scores} == {"lm-eval"}


# ------------------------------------------------------------------ bad input
def test_missing_path(db: Path, evals: Path, tmp_path: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    before = _dump(db)
    missing = tmp_path / "nowhere.csv"
    line = _one_error_line(_run("import", "csv", str(missing), "--db", str(db)))
    assert line == f"Error: {missing}: no such file or directory"
    assert _dump(db) == before


def test_failed_first_import_leaves_no_store_behind(db: Path, shared_data: Path) -> None:
    """A store the failing command would have created is not left on disk."""
    board = shared_data / "open-llm-leaderboard-v1" / "open-llm-leaderboard.csv"
    line = _one_error_line(_run("import", "epoch-hub", str(board), "--db", str(db)))
    assert line.startswith(f"Error: {board}: not an Epoch Benchmarking Hub export")
    assert not db.exists()
    assert not db.with_name(db.name + ".wal").exists()


def test_failed_import_keeps_an_existing_store(db: Path, evals: Path, shared_data: Path) -> None:
    _json(_run("init", "--empty", "--db", str(db), "--json"))
    board = shared_data / "open-llm-leaderboard-v1" / "open-llm-leaderboard.csv"
    _one_error_line(_run("import", "epoch-hub", str(board), "--db", str(db)))
    assert db.exists()


def test_wrong_kind(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    before = _dump(db)
    line = _one_error_line(_run("import", "epoch", str(evals), "--db", str(db)))
    assert line == f"Error: unknown import kind 'epoch' (choose from {', '.join(KINDS)})"
    assert list(KINDS)[:6] == [
        "epoch-hub", "epoch-models", "epoch-open-report", "open-llm-leaderboard", "lm-eval", "csv",
    ]  # fmt: skip
    assert _dump(db) == before


def _broken_leaderboard(tmp: Path) -> Path:
    path = tmp / "leaderboard.csv"
    path.write_text("name,link,arc\nx/y,https://huggingface.co/x/y,50\n")
    return path


def _broken_lm_eval(tmp: Path) -> Path:
    folder = tmp / "out" / "org__model"
    folder.mkdir(parents=True)
    path = folder / "samples_task_2024-01-01T00-00-00.jsonl"
    path.write_text('{"doc_id": 0, "acc": 1.0}\n{"doc_id": 1, "acc": \n')
    return path


def _broken_csv(tmp: Path) -> Path:
    path = tmp / "scores.csv"
    path.write_text("model_id,benchmark_id,value,sorce\nm,b,0.5,x\n")
    return path


@pytest.mark.parametrize(
    ("kind", "make", "problem"),
    [
        ("open-llm-leaderboard", _broken_leaderboard,
         "not a valid file of this kind, missing column(s) 'hellaswag'"),
        ("lm-eval", _broken_lm_eval, "line 2: not valid JSON"),
        ("csv", _broken_csv, "unknown column(s) 'sorce' (did you mean 'source'?)"),
    ],
)  # fmt: skip
def test_malformed_file_exits_2_and_leaves_store_unchanged(
    db: Path, evals: Path, tmp_path: Path, kind: str, make: Any, problem: str
) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    before = _dump(db)
    path = make(tmp_path)
    for extra in ([], ["--json"], ["--strict"]):
        line = _one_error_line(_run("import", kind, str(path), "--db", str(db), *extra))
        assert line.startswith(f"Error: {path}: ")
        assert problem in line
    assert _dump(db) == before


def test_strict_rejection_exits_2_and_leaves_store_unchanged(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals / "models.csv"), "--db", str(db), "--json"))
    before = _dump(db)
    (evals / "scores.csv").write_text("model_id,benchmark_id,value\nmy-model-7b,gpqa-diamond,7\n")
    line = _one_error_line(_run("import", "csv", str(evals), "--db", str(db), "--strict"))
    assert line == (
        f"Error: {evals}: 1 row(s) rejected under --strict, nothing imported "
        "(first: scores.csv:2: value 7 outside [0, 1] of 'gpqa-diamond')"
    )
    assert _dump(db) == before


def test_store_from_a_newer_opengap(db: Path) -> None:
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    line = _one_error_line(_run("models", "--db", str(db)))
    assert line == (
        f"Error: {db}: store schema version 99 is newer than this opengap understands "
        f"({SCHEMA_VERSION}); upgrade opengap"
    )


def test_unknown_model_filter(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    line = _one_error_line(_run("scores", "--model", "my-model-8b", "--db", str(db)))
    assert line == "Error: unknown model 'my-model-8b' (did you mean 'my-model-7b'?)"


# ------------------------------------------------------------------ listings
def test_models_json(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    models = _json(_run("models", "--db", str(db), "--json"))
    assert [m["model_id"] for m in models] == ["gpt-4o-2024-08-06", "my-model-7b"]  # by date
    assert all(set(m) >= MODEL_FIELDS for m in models)
    mine = models[1]
    assert {k: mine[k] for k in MODEL_FIELDS} == {
        "model_id": "my-model-7b", "name": "My Model 7B", "organization": "Example Lab",
        "country": "France", "release_date": "2025-03-01", "weights": "open",
        "license_class": "permissive", "params_total_b": 7.2, "params_active_b": None,
    }  # fmt: skip
    open_only = _json(_run("models", "--weights", "open", "--db", str(db), "--json"))
    assert [m["model_id"] for m in open_only] == ["my-model-7b"]
    assert _json(_run("models", "--country", "france", "--db", str(db), "--json")) == open_only


def test_benchmarks_json(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    (bench,) = _json(_run("benchmarks", "--db", str(db), "--json"))
    assert {k: bench[k] for k in BENCHMARK_FIELDS} == {
        "benchmark_id": "gpqa-diamond", "name": "GPQA Diamond", "domain": "knowledge",
        "n_items": 198, "chance": 0.25, "ceiling": 1.0, "public": True,
    }  # fmt: skip
    assert bench["n_scores"] == 2
    assert _json(_run("benchmarks", "--domain", "math", "--db", str(db), "--json")) == []


def test_scores_json_with_alias_filters(db: Path, evals: Path) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    everything = _json(_run("scores", "--db", str(db), "--json"))
    assert len(everything) == 2 and all(set(s) >= SCORE_FIELDS for s in everything)
    (score,) = _json(
        _run("scores", "--model", "gpt 4o (2024-08-06)", "--benchmark", "GPQA diamond",
             "--db", str(db), "--json")
    )  # fmt: skip
    assert {k: score[k] for k in SCORE_FIELDS} == {
        "model_id": "gpt-4o-2024-08-06", "benchmark_id": "gpqa-diamond", "value": 0.55,
        "normalized": pytest.approx(0.4), "harness": "vendor-reported", "source": "OpenAI",
        "source_url": None,
    }  # fmt: skip


def test_tables_print_for_people(
    db: Path, evals: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 250)  # room for every column unwrapped
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    result = _run("models", "--db", str(db))
    assert result.exit_code == 0
    assert "2 models" in result.stdout
    assert "My Model 7B" in result.stdout and "GPT-4o (2024-08-06)" in result.stdout
    scores = _run("scores", "--db", str(db), "--limit", "1")
    assert "2 scores" in scores.stdout and "… 1 more rows" in scores.stdout


def test_environment_variable_chooses_the_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, evals: Path
) -> None:
    env_db, flag_db = tmp_path / "env.duckdb", tmp_path / "flag.duckdb"
    monkeypatch.setenv("OPENGAP_DB", str(env_db))
    _json(_run("import", "csv", str(evals), "--json"))
    assert env_db.is_file() and not flag_db.exists()
    assert len(_json(_run("models", "--json"))) == 2
    missing = _one_error_line(_run("models", "--db", str(flag_db), "--json"))  # --db wins
    assert missing == f"Error: no store at {flag_db}; create it with `opengap init --db {flag_db}`"
    assert not flag_db.exists()  # a read on a missing store creates nothing
    monkeypatch.delenv("OPENGAP_DB")
    _json(_run("init", "--empty", "--json"))
    assert (tmp_path / "xdg" / "opengap" / "opengap.duckdb").is_file()


def test_db_that_is_not_a_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    line = _one_error_line(_run("models", "--db", str(text)))
    assert line.startswith(f"Error: {text}: cannot open the store: ")
    assert "not a valid DuckDB database file" in line
    assert text.read_text() == "not a database\n"


def test_db_locked_by_another_process(
    db: Path, evals: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _json(_run("import", "csv", str(evals), "--db", str(db), "--json"))
    monkeypatch.setenv("OPENGAP_LOCK_WAIT", "0.5")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        line = _one_error_line(_run("import", "csv", str(evals), "--db", str(db)))
        assert line == (
            f"Error: {db} is in use by another opengap process (dashboard?, PID {holder.pid}) "
            "and stayed locked for 0.5 s; retry when it has finished"
        )
    finally:
        holder.kill()
        holder.wait()
