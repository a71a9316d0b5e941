"""The HTML report: its sections, self-containment, escaping, provenance and failure modes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from opengap import catalog, charts
from opengap import gap as gap_lib
from opengap.errors import BadArgument, BadConfiguration, NoFit
from opengap.report import REPORT_BOOTSTRAP, ReportResult, build_report, collect, render
from opengap.report.data import reproduce_command
from opengap.store import Store

SECTIONS = ["headline", "frontier", "gap-over-time", "breakdowns", "sensitivity", "compare",
            "benchmarks", "provenance"]  # fmt: skip
CHARTS = ["frontier", "gap-over-time", "breakdown-domain", "breakdown-country", "breakdown-size",
          "sensitivity-tornado", "harness-offsets", "compare-chain", "benchmarks"]  # fmt: skip


def _html(result: ReportResult) -> str:
    return result.path.read_text(encoding="utf-8")


def test_report_has_every_section_and_chart(hostile_report: tuple[ReportResult, Path]) -> None:
    html = _html(hostile_report[0])
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in html, chart


def test_report_is_self_contained(hostile_report: tuple[ReportResult, Path]) -> None:
    html = _html(hostile_report[0])
    assert not re.search(r"<script[^>]+src=", html), "no external scripts"
    assert not re.search(r"<link[^>]+href=", html), "no external stylesheets"
    bundle = charts.plotly_js()
    assert bundle in html  # the installed package's plotly.js, inline
    own = html.replace(bundle, "")
    assert "cdn.plot.ly" not in own and "mathjax" not in own.lower()
    assert own.count("<script") == 1 + len(CHARTS)  # the bundle, then one per chart


def test_report_headline_names_the_gap_and_the_best_models(
    hostile_report: tuple[ReportResult, Path],
) -> None:
    result, _ = hostile_report
    assert result.headline.startswith("Open models trail closed by ")
    assert "months (90% CI" in result.headline
    html = _html(result)
    assert result.headline in html
    assert f"<code>{result.fit_id}</code>" in html
    assert "Closed B3" in html  # best closed at the end of the data
    assert "Data as of" in html and "2025-05-05" in html


def test_hostile_names_are_text_everywhere(hostile_report: tuple[ReportResult, Path]) -> None:
    html = _html(hostile_report[0])
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Agent</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in the page's own HTML
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # in chart hover text
    assert "&lt;b&gt;Agent&lt;/b&gt; &amp; &#34;Bench&#34;" in html  # benchmarks table


def test_report_fits_once_then_reuses_the_fit(
    hostile_report: tuple[ReportResult, Path], tmp_path: Path
) -> None:
    first, db = hostile_report
    assert first.fitted_now
    copy = tmp_path / "store.duckdb"
    shutil.copy(db, copy)
    with Store(copy) as store:
        again = build_report(store, output=tmp_path / "again.html")
        fits = store.query("SELECT fit_id, config FROM fits")
    assert not again.fitted_now
    assert again.fit_id == first.fit_id
    assert len(fits) == 1
    assert f'"bootstrap": {REPORT_BOOTSTRAP}' in fits["config"][0]


def test_report_of_a_chosen_fit_that_does_not_exist(hostile_db: Path, tmp_path: Path) -> None:
    shutil.copy(hostile_db, tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(NoFit, match="no stored fit"):
        build_report(store, output=tmp_path / "r.html", fit_id="ffff")


def test_provenance_names_sources_and_one_reproducing_command(
    hostile_report: tuple[ReportResult, Path], hostile_dir: Path
) -> None:
    html = _html(hostile_report[0])
    assert "Reproduce this report" in html
    command = (
        "export OPENGAP_DB=opengap-reproduce.duckdb &amp;&amp; "
        f"opengap import csv {hostile_dir} &amp;&amp; "
        f"opengap fit --preset default --bootstrap {REPORT_BOOTSTRAP} &amp;&amp; "
        "opengap report -o report.html"
    )
    assert command in html
    assert "118" in html  # rows read from the three CSV files
    assert "Fit configuration" in html and "cv_folds" in html


def test_reproduce_command_loads_the_bundled_snapshot_with_init() -> None:
    import pandas as pd

    from opengap.fit.config import resolve_config
    from opengap.fitting import FitResult

    imports = pd.DataFrame(
        [{"kind": "csv", "path": str(catalog.SNAPSHOT_DIR), "options": ""},
         {"kind": "lm-eval", "path": "a dir/x.json", "options": "model=m1;benchmark=b 1"}]
    )  # fmt: skip
    fit = FitResult(
        fit_id="f", preset="eci", scale="elo", config=resolve_config(
            "eci", scale="elo", anchors=(("gpt-4o", 1000.0),)),
        provenance={}, models=pd.DataFrame(), benchmarks=pd.DataFrame(), draws=None, sse=0.0,
        objective=0.0, n_models=0, n_benchmarks=0, n_observations=0, fit_seconds=0.0,
        bootstrap_seconds=0.0,
    )  # fmt: skip
    assert reproduce_command(imports, fit) == (
        "export OPENGAP_DB=opengap-reproduce.duckdb && opengap init && "
        "opengap import lm-eval 'a dir/x.json' --model m1 --benchmark 'b 1' && "
        "opengap fit --preset eci --anchor gpt-4o=1000 --scale elo && "
        "opengap report -o report.html"
    )


def test_a_section_that_cannot_be_computed_says_why(
    hostile_report: tuple[ReportResult, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise BadArgument("every benchmark is private")

    monkeypatch.setattr(gap_lib, "sensitivity", refuse)
    shutil.copy(hostile_report[1], tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as store:
        result = build_report(store, output=tmp_path / "r.html")
    assert result.problems == {"sensitivity": "every benchmark is private"}
    html = _html(result)
    assert "Not computed: every benchmark is private" in html
    assert 'id="chart-sensitivity-tornado"' not in html
    assert 'id="chart-frontier"' in html


def test_render_is_pure_given_the_data(hostile_report: tuple[ReportResult, Path],
                                       tmp_path: Path) -> None:
    shutil.copy(hostile_report[1], tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as store:
        data = collect(store, sensitivity=False)
    page = render(data)
    assert page.startswith("<!DOCTYPE html>")
    assert data.headline in page
    assert "Not computed: not computed for this page" in page
    assert data.to_dict()["fit_id"] == data.fit.fit_id


def test_empty_store_gets_the_bundled_snapshot(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as store:
        if not catalog.snapshot_available():
            with pytest.raises(BadConfiguration) as info:
                build_report(store, output=tmp_path / "r.html")
            assert str(info.value) == (
                "the store is empty and this installation ships no bundled snapshot; "
                "import data first (e.g. opengap import epoch-hub PATH)"
            )
            assert not (tmp_path / "r.html").exists()
        else:
            result = build_report(store, output=tmp_path / "r.html")
            assert result.fitted_now and result.path.exists()
            assert "opengap init" in _html(result)


def test_hub_report_is_complete_and_small_enough(hub_report: ReportResult) -> None:
    html = _html(hub_report)
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in html, chart
    assert hub_report.problems == {}
    assert hub_report.size_bytes < 8_000_000
    assert "opengap import epoch-hub" in html


def test_the_test_data_is_hostile(hostile_dir: Path) -> None:
    text = (hostile_dir / "models.csv").read_text()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text
