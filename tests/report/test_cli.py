"""``opengap report``: a thin command over build_report, with one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from opengap.cli import app
from opengap.report import ReportResult

runner = CliRunner()


def test_report_prints_the_headline_and_writes_the_file(
    hostile_report: tuple[ReportResult, Path], tmp_path: Path
) -> None:
    first, db = hostile_report
    shutil.copy(db, tmp_path / "s.duckdb")
    out = tmp_path / "out" / "gap.html"
    result = runner.invoke(app, ["report", "-o", str(out), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == first.headline
    assert lines[1].startswith(f"Wrote {out} (")
    assert f"fit {first.fit_id})" in lines[1]
    assert out.exists()


def test_report_json(hostile_report: tuple[ReportResult, Path], tmp_path: Path) -> None:
    shutil.copy(hostile_report[1], tmp_path / "s.duckdb")
    out = tmp_path / "r.html"
    result = runner.invoke(
        app, ["report", "-o", str(out), "--db", str(tmp_path / "s.duckdb"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["path"] == str(out)
    assert data["headline"] == hostile_report[0].headline
    assert data["size_bytes"] == out.stat().st_size
    assert data["fitted_now"] is False


def test_report_bad_fit_id_is_one_line_and_exit_2(
    hostile_report: tuple[ReportResult, Path], tmp_path: Path
) -> None:
    shutil.copy(hostile_report[1], tmp_path / "s.duckdb")
    result = runner.invoke(
        app, ["report", "--fit-id", "0000", "--db", str(tmp_path / "s.duckdb"),
              "-o", str(tmp_path / "r.html")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: no stored fit '0000'"
    assert not (tmp_path / "r.html").exists()


def test_serve_has_help_with_an_example() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example: opengap serve" in result.stdout
    assert "127.0.0.1" in result.stdout
