"""verify's table by benchmark and harness: a hand-made case with a known answer, and AA's runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opengap.cli import app
from opengap.verify import HARNESS_COLUMNS, verify

runner = CliRunner()

LEFT_MODELS = "model_id,name,weights\na,A,open\nb,B,closed\nc,C,closed\n"
BENCHMARKS = (
    "benchmark_id,name,domain,ceiling\ngpqa-diamond,GPQA Diamond,knowledge,1\nhle,HLE,knowledge,1\n"
)
LEFT_SCORES = """model_id,benchmark_id,value,harness,source
a,gpqa-diamond,0.80,vendor-reported,Card
a,gpqa-diamond,0.70,simple-loop,Eval
b,gpqa-diamond,0.50,vendor-reported,Card
c,gpqa-diamond,0.30,vendor-reported,Card
a,hle,0.20,vendor-reported,Card
"""
# The right side lists A's effort variants as versions of a (best: 0.75), B by its id, and a
# model the left does not know.
RIGHT_MODELS = "model_id,name,version_of\na-high,A (high),a\na-low,A (low),a\nb,B,\nx,X,\n"
RIGHT_SCORES = """model_id,benchmark_id,value,harness,source
a-high,gpqa-diamond,0.75,artificial-analysis,AA
a-low,gpqa-diamond,0.60,artificial-analysis,AA
b,gpqa-diamond,0.53,artificial-analysis,AA
x,gpqa-diamond,0.90,artificial-analysis,AA
a-high,hle,0.21,artificial-analysis,AA
"""


def _write(folder: Path, models: str, scores: str) -> Path:
    folder.mkdir()
    (folder / "models.csv").write_text(models)
    (folder / "benchmarks.csv").write_text(BENCHMARKS)
    (folder / "scores.csv").write_text(scores)
    return folder


def test_known_differences_by_benchmark_and_harness(tmp_path: Path) -> None:
    left = _write(tmp_path / "left", LEFT_MODELS, LEFT_SCORES)
    right = _write(tmp_path / "right", RIGHT_MODELS, RIGHT_SCORES)
    table = verify(left, "csv", right).by_harness
    assert list(table.columns) == HARNESS_COLUMNS
    rows = {(r.benchmark_id, r.our_harness): r for r in table.itertuples()}
    assert set(rows) == {
        ("gpqa-diamond", "simple-loop"), ("gpqa-diamond", "vendor-reported"),
        ("hle", "vendor-reported"),
    }  # fmt: skip
    vendor = rows[("gpqa-diamond", "vendor-reported")]  # a: 80 - 75 = +5, b: 50 - 53 = -3
    assert vendor.their_harness == "artificial-analysis"
    assert vendor.pairs == 2
    assert vendor.median_difference == pytest.approx(1.0)
    assert vendor.mean_difference == pytest.approx(1.0)
    assert vendor.within_tolerance == 0.0
    loop = rows[("gpqa-diamond", "simple-loop")]  # a: 70 - 75
    assert (loop.pairs, loop.median_difference) == (1, pytest.approx(-5.0))
    hle = rows[("hle", "vendor-reported")]  # a: 20 - 21, within 2 points
    assert (hle.pairs, hle.within_tolerance) == (1, 1.0)


def test_artificial_analysis_against_the_snapshot(shared_data: Path) -> None:
    folder = shared_data / "artificial-analysis-2026"
    result = runner.invoke(app, ["verify", "snapshot", "--against", "artificial-analysis",
                                 str(folder), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["by_harness"]
    by_bench = {(r["benchmark_id"], r["our_harness"]): r for r in rows}
    gpqa = by_bench[("gpqa-diamond", "vendor-reported")]
    assert gpqa["their_harness"] == "artificial-analysis"
    assert gpqa["pairs"] >= 20
    assert 0.0 <= gpqa["within_tolerance"] <= 1.0
    assert not any(r["benchmark_id"].startswith("aa-") and "index" in r["benchmark_id"]
                   for r in rows)  # fmt: skip
    text = runner.invoke(app, ["verify", "snapshot", "--against", "artificial-analysis",
                               str(folder)])  # fmt: skip
    assert text.exit_code == 0
    flat = " ".join(text.output.split())
    assert "by benchmark and harness" in flat and "it is not a verdict" in flat
    assert "disagreements beyond" not in text.output
