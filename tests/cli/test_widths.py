"""Every table command fits 100 columns on the bundled store; sensitivity and verify show names.

Each command runs through typer's CliRunner with the console 100 columns wide (as with
``COLUMNS=100``); no printed line may be longer. ``--wide`` keeps every column (and the ids).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from opengap import fitting
from opengap.cli import app, common
from opengap.store import Store

runner = CliRunner()
HUB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "epoch-benchmarking-hub"
AA = HUB.parent / "artificial-analysis-2026"


@pytest.fixture(autouse=True)
def _narrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENGAP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(common.console, "width", 100)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled snapshot, fitted (default preset, no bootstrap)."""
    path = tmp_path_factory.mktemp("widths") / "bundled.duckdb"
    assert runner.invoke(app, ["init", "--db", str(path)]).exit_code == 0
    with Store(path) as store:
        fitting.run_fit(store, bootstrap=0)
    return path


def _run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.stderr, result.stdout[-2000:])
    return result


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


COMMANDS = [
    ["models"], ["models", "--conflicts"], ["benchmarks"], ["scores", "--limit", "40"],
    ["fits"], ["fit", "--bootstrap", "0"], ["gap"], ["gap", "--by", "country"],
    ["gap", "--by", "size"], ["gap", "--by", "organization"], ["gap", "--method", "catch-up"],
    ["gap", "--method", "trend"], ["gap", "--method", "caisi-trend", "--by", "country"],
    ["gap", "--significance"], ["card", "gpt-4o-2024-05-13"], ["frontier", "--by", "price"],
    ["frontier", "--by", "active-params"], ["adoption"], ["harness"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_table_commands_fit_100_columns(bundled: Path, command: list[str]) -> None:
    result = _run(*command, "--db", str(bundled))
    assert _widest(result.stdout) <= 100, result.stdout


@pytest.mark.parametrize("kind", ["epoch-hub", "artificial-analysis"])
def test_verify_fits_100_columns_with_names(kind: str) -> None:
    path = HUB if kind == "epoch-hub" else AA
    narrow = _run("verify", "snapshot", "--against", kind, str(path), "--limit", "30").stdout
    assert _widest(narrow) <= 100, narrow
    if kind == "epoch-hub":
        # Names, not ids; values in points, one format: "87.3", a difference "-27.6".
        assert "GPQA Diamond" in narrow and "gpqa-diamond" not in narrow
        assert "Mixtral 8x7B" in narrow and "mixtral-8x7b" not in narrow
        assert "│ 59.7 │   87.3 │      -27.6 │" in narrow
    else:
        assert "GPQA Diamond" in narrow and "100%" in narrow
    wide = _run("verify", "snapshot", "--against", kind, str(path), "--limit", "30",
                "--wide").stdout  # fmt: skip
    assert "benchmark_id" in wide and "gpqa-diamond" in wide


def test_sensitivity_fits_100_columns_with_names(bundled: Path) -> None:
    narrow = _run("sensitivity", "--db", str(bundled), "--no-harness").stdout
    assert _widest(narrow) <= 100, narrow
    assert "GPQA Diamond" in narrow and "gpqa-diamond" not in narrow
    assert "Δ lag (months)" in narrow and "influence" in narrow
    headline = narrow.split("\n", 1)[0]
    assert "leaving out " in headline
    # One format per unit: every Δ lag has a sign and one decimal.
    rows = [line.split("│") for line in narrow.splitlines() if line.startswith("│")]
    lags = [r[3].strip() for r in rows[:10]]
    assert all(v == "—" or (v[0] in "+-" and len(v.split(".")[1]) == 1) for v in lags), lags
