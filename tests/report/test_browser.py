"""The report opened in headless Chromium: every chart drawn, no JavaScript error, no alert."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from opengap.report import ReportResult

CHARTS = ["frontier", "gap-over-time", "breakdown-domain", "breakdown-country", "breakdown-size",
          "sensitivity-tornado", "harness-offsets", "compare-chain", "benchmarks"]  # fmt: skip


def _drawn_charts(page: Any) -> list[str]:
    """Ids of chart elements that plotly turned into SVG with plotted content."""
    return list(page.eval_on_selector_all(
        ".js-plotly-plot",
        "els => els.filter(e => e.querySelector('svg.main-svg') && "
        "e.querySelector('.cartesianlayer, .annotation')).map(e => e.id)",
    ))  # fmt: skip


def test_hub_report_renders_every_chart_without_errors(
    hub_report: ReportResult, load: Callable[..., Any]
) -> None:
    loaded = load(hub_report.path.as_uri())
    assert sorted(_drawn_charts(loaded.page)) == sorted(f"chart-{c}" for c in CHARTS)
    assert loaded.errors == []
    points = loaded.page.eval_on_selector_all(
        "#chart-frontier .scatterlayer .point", "e => e.length"
    )
    assert points > 100  # one marker per fitted model


def test_hostile_report_shows_names_as_text(
    hostile_report: tuple[ReportResult, Path], load: Callable[..., Any]
) -> None:
    loaded = load(hostile_report[0].path.as_uri())
    assert loaded.dialogs == [], "a script from the data ran"
    assert loaded.errors == []
    assert sorted(_drawn_charts(loaded.page)) == sorted(f"chart-{c}" for c in CHARTS)
    body = loaded.page.inner_text("#headline")
    assert "<script>alert(1)</script>" in body  # shown as the characters, not run
    assert loaded.page.eval_on_selector_all("main script", "e => e.length") == len(CHARTS)
    assert loaded.page.query_selector("img") is None  # the <img onerror> stayed text
