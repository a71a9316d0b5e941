"""``opengap fit``: the table, --json, and one line with exit code 2 for bad configurations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner

from opengap.cli import app
from opengap.store import Store


class Catalogue(Protocol):
    """The ``catalogue`` fixture (tests/fit/conftest.py)."""

    def fill(self, store: Store, **options: object) -> None: ...


@pytest.fixture
def db(tmp_path: Path, catalogue: Catalogue) -> str:
    path = tmp_path / "cli.duckdb"
    with Store(path) as store:
        catalogue.fill(store)
    return str(path)


def test_fit_prints_the_top_models_with_intervals(db: str) -> None:
    result = CliRunner().invoke(app, ["fit", "--db", db, "--bootstrap", "30", "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "default, eci scale" in result.stdout
    assert "Top 5 of 30" in result.stdout
    assert "get no interval" in result.stdout.replace("\n", " ")
    with Store(db) as store:
        assert store.counts()["fits"] == 1


def test_fit_json_shape(db: str) -> None:
    result = CliRunner().invoke(
        app, ["fit", "--db", db, "--json", "--bootstrap", "0", "--scale", "elo",
              "--anchor", "model-01=1200"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["scale"] == "elo" and out["n_models"] == 30
    top = {m["model_id"]: m for m in out["models"]}
    assert top["model-01"]["capability"] == pytest.approx(1200.0)
    assert top["model-01"]["ci_low"] is None
    assert set(out["benchmarks"][0]) >= {"benchmark_id", "difficulty", "slope"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--anchor", "no-such-model=130", "--anchor", "model-01=150"],
         "Error: unknown model 'no-such-model'"),
        (["--scale", "logit"], "Error: unknown scale 'logit' (choose from raw, eci, elo, elo10)"),
        (["--anchor", "model-01"], "Error: anchor 'model-01' is not of the form MODEL=VALUE"),
        (["--pin-benchmark", "nope"], "Error: unknown benchmark 'nope'"),
        (["--weighting", "items"], "Error: unknown weighting 'items' (choose from none, "
         "benchmark, benchmark-domain)"),
        (["--preset", "epoch-stitching"],
         "Error: no scores are left after the 'epoch-stitching' preset's filters"),
    ],
)  # fmt: skip
def test_bad_configuration_is_one_line_and_exit_2(db: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["fit", "--db", db, *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr


def test_empty_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    result = CliRunner().invoke(app, ["fit", "--db", str(empty)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: the store holds no scores; import some first (opengap import …)"
    )


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["fit", "--help"])
    assert result.exit_code == 0
    assert "Example: opengap fit" in result.stdout


def test_common_slope_and_weighting_options(db: str) -> None:
    result = CliRunner().invoke(
        app, ["fit", "--db", db, "--bootstrap", "0", "--common-slope", "--weighting",
              "benchmark", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["config"]["common_slope"] is True and out["config"]["weighting"] == "benchmark"
    assert len({round(b["slope"], 9) for b in out["benchmarks"]}) == 1  # one shared slope
