"""Every registered command, walked from the typer app: output options, width, JSON, choices.

A command added to the CLI fails :func:`test_every_command_is_classified` until it is listed
below — as a table command with an invocation on the small store, or as one that prints a
record or nothing, with the reason — so no command escapes these checks unnoticed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import click
import pytest
import typer.main
from typer.testing import CliRunner, Result

from opengap.cli import app, common

runner = CliRunner()

TABLES: dict[str, list[list[str]]] = {
    # Commands that print tables: each invocation runs on the small store.
    "models": [["models"], ["models", "--conflicts"]],
    "benchmarks": [["benchmarks"]],
    "scores": [["scores"]],
    "fit": [["fit", "--bootstrap", "0"]],
    "fits": [["fits"]],
    "gap": [["gap"], ["gap", "--by", "country"], ["gap", "--method", "catch-up"],
            ["gap", "--method", "trend"], ["gap", "--method", "caisi-trend", "--by", "country"],
            ["gap", "--significance", "--since", "2025-06-01"]],
    "sensitivity": [["sensitivity"]],
    "compare": [["compare", "--bootstrap", "5"]],
    "harness": [["harness", "--bootstrap", "50"]],
    "card": [["card", "m-open-07"]],
    "frontier": [["frontier", "--by", "active-params"]],
    "adoption": [["adoption", "--track", "all"]],
    "verify": [],  # needs a second source: tests/cli/test_widths.py runs it on the real files
}  # fmt: skip
RECORDS = {
    # Commands that print a record, a line or nothing: --json where there is output to parse.
    "init": "creates a store; prints counts (tests/cli/test_catalog_cli.py)",
    "import": "writes the store; prints counts and rejected rows (tests/sources/)",
    "plan": "needs an item-level fit, which a small store has not; prints item ids",
    "estimate": "needs an item-level fit, which a small store has not; prints one line",
    "report": "writes an HTML file; prints its headline (tests/report/)",
    "serve": "runs a server; prints its address (tests/web/)",
}  # fmt: skip
NO_JSON = {"serve"}
CHOICES: dict[str, list[tuple[list[str], str]]] = {
    # An invalid value of each option with fixed choices, and the allowed values listed.
    "models": [(["--weights", "opne"], "open or closed"),
               (["--license-class", "free"], "permissive, open-restricted or closed")],
    "benchmarks": [(["--domain", "maths"], "math, code, knowledge")],
    "fit": [(["--preset", "x"], "default, eci, epoch-stitching, caisi"),
            (["--scale", "x"], "raw, eci, elo, elo10"), (["--loss", "x"], "lsq, binomial"),
            (["--weighting", "x"], "none, benchmark, benchmark-domain"),
            (["--level", "x"], "benchmarks, items"),
            (["--level", "items", "--item-model", "x"], "1pl, 2pl, 3pl")],
    "gap": [(["--by", "x"], "weights, country, organization, size, license, domain"),
            (["--method", "x"], "lag, catch-up, trend, caisi-trend"),
            (["--transform", "x"], "none, neglog1m"), (["--trust", "x"], "all, no-suspect, "
                                                                      "trusted"),
            (["--versus", "x"], "closed, all")],
    "sensitivity": [(["--subset", "x"], "public, private, a domain")],
    "frontier": [(["--by", "x"], "price, active-params")],
    "import": [(["x", "."], "epoch-hub, epoch-models")],
    "harness": [(["--base", "bash"], "vendor-reported, simple-loop, agent-harness"),
                (["--alternative", "scaffold"], "vendor-reported, simple-loop, agent-harness"),
                (["--base", "inspect", "--alternative", "inspect"], "compare two categories")],
}  # fmt: skip
NO_CHOICES = {
    # Options here take free values (names, dates, numbers), checked elsewhere.
    "init", "scores", "fits", "compare", "card", "adoption", "verify", "plan",
    "estimate", "report", "serve",
}  # fmt: skip


def _commands() -> dict[str, click.Command]:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def _options(name: str) -> set[str]:
    return {o for p in _commands()[name].params for o in getattr(p, "opts", [])}


@pytest.fixture(autouse=True)
def _narrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(common.console, "width", 100)


def _write_catalogue(folder: Path) -> None:
    """24 dated models (open and closed, three countries, 2023-2026), 6 benchmarks, scores.

    Capability rises with the release date, closed models lead by about half a year; four
    models are scored under both a bash loop and an agent scaffold; one name is very long,
    one carries terminal escape codes, one model has no release date.
    """
    folder.mkdir()
    countries = ["United States", "China", "France"]
    models, scores = ["model_id,name,organization,country,release_date,weights,license,"
                      "params_total_b,params_active_b"], []  # fmt: skip
    benchmarks = [("b-math", "Synthetic Mathematics Olympiad Problems", "math", 0.0),
                  ("b-code", "Synthetic Code Repair", "code", 0.0),
                  ("b-know", "Synthetic Knowledge Quiz", "knowledge", 0.25),
                  ("b-reason", "Synthetic Reasoning", "reasoning", 0.0),
                  ("b-agent", "Synthetic Agentic Tasks", "agentic", 0.0),
                  ("b-lang", "Synthetic Language", "language", 0.0)]  # fmt: skip
    for i in range(24):
        weights = "open" if i % 2 else "closed"
        month = i * 1.5 + 1
        year, mon = 2023 + int(month // 12), int(month % 12) + 1
        name = {
            7: "A Very Long Open Model Name That Would Never Fit In A Narrow Terminal Column 7B",
            10: "Evil\x1b[31mRed\x1b]0;title\x07\rModel",
        }.get(i, f"Model {i:02d}")
        models.append(f"m-{weights}-{i:02d},\"{name}\",Lab {i % 4},{countries[i % 3]},"
                      f"{year}-{mon:02d}-15,{weights},{'apache-2.0' if i % 2 else ''},"
                      f"{7 * (1 + i % 5)},{7 * (1 + i % 5)}")  # fmt: skip
        ability = -2 + 0.18 * i + (0.5 if weights == "closed" else 0.0)
        for j, (bench, _, _, chance) in enumerate(benchmarks):
            p = 1 / (1 + math.exp(-(ability - (j - 2.5) * 0.4)))
            value = chance + (1 - chance) * p
            harness = "agent-harness" if bench == "b-agent" else "vendor-reported"
            scores.append(f"m-{weights}-{i:02d},{bench},{value:.4f},{harness},,Run,,100,")
            if bench == "b-agent" and i in (6, 7, 8, 9):  # paired runs: a bare bash loop too
                scores.append(f"m-{weights}-{i:02d},{bench},{value * 0.8:.4f},simple-loop,,"
                              "Bash,,100,")  # fmt: skip
    models.append("m-open-undated,Undated Model,Lab 0,China,,open,,7,7")  # unknown date
    scores += [f"m-open-undated,{b[0]},0.5,vendor-reported,,Run,,100," for b in benchmarks]
    (folder / "models.csv").write_text("\n".join(models) + "\n")
    (folder / "benchmarks.csv").write_text(
        "benchmark_id,name,domain,chance,ceiling,n_items,public\n"
        + "".join(f"{b},{n},{d},{c},1,100,true\n" for b, n, d, c in benchmarks)
    )
    (folder / "scores.csv").write_text(
        "model_id,benchmark_id,value,harness,setting,source,source_url,n_items,stderr\n"
        + "\n".join(scores) + "\n")  # fmt: skip


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store (24 models, 6 benchmarks) fitted with 20 bootstrap refits."""
    root = tmp_path_factory.mktemp("every")
    _write_catalogue(root / "data")
    db = root / "small.duckdb"
    for args in (["init", "--empty"], ["import", "csv", str(root / "data")],
                 ["fit", "--bootstrap", "20"]):  # fmt: skip
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return db


def _run(db: Path, args: list[str]) -> Result:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, (args, result.stderr, result.stdout[-2000:])
    return result


INVOCATIONS = [args for runs in TABLES.values() for args in runs]


def test_every_command_is_classified() -> None:
    names = set(_commands())
    assert names == set(TABLES) | set(RECORDS), "classify the new command in TABLES or RECORDS"
    assert not set(TABLES) & set(RECORDS)
    assert names == set(CHOICES) | NO_CHOICES, "list its choice options in CHOICES or NO_CHOICES"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_commands_take_wide_json_and_csv(name: str) -> None:
    assert {"--wide", "--json", "--csv"} <= _options(name), name


@pytest.mark.parametrize("name", sorted(set(RECORDS) - NO_JSON))
def test_record_commands_take_json(name: str) -> None:
    assert "--json" in _options(name), name


CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _readable(out: str) -> None:
    """No escape code or control character reaches the terminal; no date prints as NaT."""
    assert not CONTROLS.search(out.replace("\n", "")), out
    assert "NaT" not in out and "nan" not in out.split(), out


@pytest.mark.parametrize("args", INVOCATIONS, ids=" ".join)
def test_default_output_fits_100_columns(small: Path, args: list[str]) -> None:
    out = _run(small, args).stdout
    assert out.strip()
    widest = max(len(line) for line in out.splitlines())
    assert widest <= 100, out
    assert "m-open-07" not in out or args[0] == "card", out  # names, not ids
    _readable(out)


@pytest.mark.parametrize("args", INVOCATIONS, ids=" ".join)
def test_json_csv_and_wide(small: Path, args: list[str]) -> None:
    as_json = _run(small, [*args, "--json"]).stdout
    json.loads(as_json)
    assert "NaN" not in as_json and "NaT" not in as_json
    as_csv = _run(small, [*args, "--csv"]).stdout
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows and len({len(r) for r in rows}) == 1, rows[:3]  # one header, same width
    assert rows[0] and not any("─" in cell for cell in rows[0])
    wide = _run(small, [*args, "--wide"]).stdout
    assert wide.strip()
    for out in (as_csv, wide):
        _readable(out)
    both = runner.invoke(app, [*args, "--json", "--csv", "--db", str(small)])
    assert (both.exit_code, both.stderr) == (2, "Error: --json and --csv: choose one\n")


def test_wide_shows_the_ids_the_table_names(small: Path) -> None:
    narrow = _run(small, ["gap", "--method", "catch-up"]).stdout
    wide = _run(small, ["gap", "--method", "catch-up", "--wide"]).stdout
    assert "Model " in narrow and "m-closed-" not in narrow
    assert "m-closed-" in wide and "closed_model" in wide


CHOICE_CASES = [(name, option, allowed) for name, cases in CHOICES.items()
                for option, allowed in cases]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "option", "allowed"),
    CHOICE_CASES,
    ids=[f"{n} {' '.join(o)}" for n, o, _ in CHOICE_CASES],
)
def test_an_invalid_choice_exits_2_naming_the_allowed_values(
    small: Path, name: str, option: list[str], allowed: str
) -> None:
    result = runner.invoke(app, [name, *option, "--db", str(small)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and allowed in lines[0], lines


CREATE = {"init", "import", "report"}  # the commands that create a missing store


@pytest.mark.parametrize("name", sorted(n for n in _commands() if "--db" in _options(n)))
def test_a_missing_store_says_how_to_create_it(tmp_path: Path, name: str) -> None:
    missing = tmp_path / "typo.duckdb"
    required = [p for p in _commands()[name].params
                if p.param_type_name == "argument" and p.required]  # fmt: skip
    result = runner.invoke(app, [name, *["x"] * len(required), "--db", str(missing)])
    if name in CREATE:
        return  # init, import and report create it (tests/cli/test_catalog_cli.py)
    assert (result.exit_code, result.stdout) == (2, ""), result.stdout
    assert result.stderr == (
        f"Error: no store at {missing}; create it with `opengap init --db {missing}`\n"
    )
    assert not missing.exists()


def test_a_bad_date_exits_2(small: Path) -> None:
    for args in (["compare", "--at", "foo"], ["gap", "--at", "2026-13-01"]):
        result = runner.invoke(app, [*args, "--db", str(small)])
        assert result.exit_code == 2, (args, result.stdout)
        assert result.stderr.startswith(f"Error: --at {args[2]!r} is not a date"), result.stderr
