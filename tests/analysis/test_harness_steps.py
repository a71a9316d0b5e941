"""The harness step of sensitivity and the report, where harness data is thin (bring-your-own).

Regression tests for issue 11: one harness category crashed the report (jinja ``offsets``
undefined) and no identified offset crashed sensitivity (``max() arg is an empty sequence``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from opengap import fitting
from opengap.cli import app
from opengap.gap import harness_report, sensitivity
from opengap.report import build_report
from opengap.sources.records import ImportBatch
from opengap.store import Store

from .test_fit_gap import catalogue

runner = CliRunner()


def _store(path: Path, batch: ImportBatch) -> Path:
    with Store(path) as store:
        store.apply_batch(batch, strict=True)
        fitting.run_fit(store, preset="default", bootstrap=10)
    return path


def _one_harness() -> ImportBatch:
    batch = catalogue()
    batch.scores = [replace(s, harness=None) for s in batch.scores]
    return batch


def test_sensitivity_and_report_say_why_no_offset(tmp_path: Path) -> None:
    db = _store(tmp_path / "s.duckdb", _one_harness())
    with Store(db) as store:
        report = sensitivity(store).to_dict()
        assert "offsets" not in report["harness"]
        assert report["harness"]["skipped"]
        assert report["harness"]["paired"]["overall"]["status"].startswith("not identified")
        out = build_report(store, output=tmp_path / "r.html")
    html = Path(out.path).read_text()
    assert "Harness offsets not fitted" in html
    result = runner.invoke(app, ["sensitivity", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Harness effect: skipped" in result.output


def test_harness_command_reports_unidentified_effects(tmp_path: Path) -> None:
    db = _store(tmp_path / "s.duckdb", _one_harness())
    with Store(db) as store:
        report = harness_report(store, restate=False, n_boot=100)
    assert report.scores.overall.status == (
        "not identified: no model is scored under both 'simple-loop' and 'agent-harness' on "
        "the same benchmark"
    )
    assert report.items.overall.status == "not identified: no item-level responses"
    result = runner.invoke(app, ["harness", "--no-restate", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scores"]["interaction"]["status"] == "not identified: no open-weight pair"
