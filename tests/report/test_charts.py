"""The shared chart module on small hand-made inputs shaped like the library's results."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from opengap import charts, palette

HOSTILE = "<script>alert(1)</script>"


def _models() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": ["c1", "c2", "o1", "o2", "o3", "nodate"],
            "name": ["Closed 1", "Closed 2", HOSTILE, "Open 2", "Open 3", "No date"],
            "release_date": [date(2024, 1, 1), date(2024, 6, 1), date(2024, 3, 1),
                             date(2024, 9, 1), date(2024, 4, 1), None],
            "weights": ["closed", "closed", "open", "open", "open", "open"],
            "organization": ["Acme", "Acme", "<b>Org</b>", None, "Lab", "Lab"],
            "country": ["United States", None, "China", "France", None, None],
            "params_total_b": [None, None, 70.0, 7.0, math.nan, None],
            "license_class": ["closed", "closed", "permissive", "open-restricted", None, None],
            "capability": [100.0, 120.0, 90.0, 110.0, 80.0, 95.0],
            "ci_low": [95.0, 118.0, 85.0, math.nan, 70.0, 90.0],
            "ci_high": [104.0, 125.0, 96.0, math.nan, 85.0, 99.0],
        }
    )  # fmt: skip


def _trace(fig: go.Figure, name: str) -> go.BaseTraceType:
    return next(t for t in fig.data if t.name == name)


def test_text_escapes_markup_and_marks_missing_values() -> None:
    assert charts.text(HOSTILE) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert charts.text('a & "b"') == "a &amp; &quot;b&quot;"
    assert charts.text(None) == "unknown"
    assert charts.text(math.nan) == "unknown"
    assert charts.text("  ") == "unknown"
    assert charts.text(date(2024, 5, 1)) == "2024-05-01"


def test_intervals_and_sizes_are_formatted() -> None:
    assert charts.fmt_interval(10.0, 5.04, 12.96) == "10.0 (90% CI 5.0–13.0)"
    assert charts.fmt_interval(10.0, None, 12.0) == "10.0"
    assert charts.fmt_interval(None, 1.0, 2.0) == "unknown"
    assert charts.fmt_params(7) == "7B parameters"
    assert charts.fmt_params(math.nan) == "unknown"


def test_running_frontier_keeps_only_records() -> None:
    xs, ys = charts.running_frontier(
        ["2024-03-01", "2024-01-01", "2024-02-01", "2024-04-01"], [3.0, 1.0, 0.5, 2.0]
    )
    assert xs == ["2024-01-01", "2024-03-01"]
    assert ys == [1.0, 3.0]


def test_frontier_has_open_and_closed_in_two_colours_with_step_frontiers() -> None:
    fig = charts.frontier_figure(_models())
    closed, opened = _trace(fig, "closed models"), _trace(fig, "open models")
    assert closed.marker.color == charts.CLOSED_COLOR
    assert opened.marker.color == charts.OPEN_COLOR
    assert closed.marker.color != opened.marker.color
    assert len(opened.x) == 3  # the model without a release date is left out
    frontier = _trace(fig, "open frontier")
    assert frontier.line.shape == "hv"
    # records: 90 (Mar), 110 (Sep); the line runs on to the last release in the data
    assert list(frontier.y) == [90.0, 110.0, 110.0]
    assert list(_trace(fig, "closed frontier").y) == [100.0, 120.0, 120.0]


def test_frontier_whiskers_are_the_90_percent_intervals() -> None:
    fig = charts.frontier_figure(_models())
    opened = _trace(fig, "open models")  # sorted by date: o1 (Mar), o3 (Apr), o2 (Sep)
    assert list(opened.error_y.array) == [6.0, 5.0, 0.0]
    assert list(opened.error_y.arrayminus) == [5.0, 10.0, 0.0]


def test_frontier_hover_names_the_model_facts_escaped() -> None:
    fig = charts.frontier_figure(_models())
    hover = _trace(fig, "open models").hovertext[0]
    assert "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" in hover
    assert "Organisation: &lt;b&gt;Org&lt;/b&gt;" in hover
    assert "Country: China" in hover
    assert "Size: 70B parameters" in hover
    assert "Licence: permissive" in hover
    assert "Capability: 90.0 (90% CI 85.0–96.0) points" in hover
    unknown = _trace(fig, "open models").hovertext[1]  # o3: no country, size or licence
    assert "Country: unknown" in unknown and "Size: unknown" in unknown
    assert "Licence: unknown" in unknown


def test_frontier_without_dates_says_so() -> None:
    fig = charts.frontier_figure(_models().assign(release_date=None))
    assert not fig.data
    assert "No fitted model has a release date" in fig.layout.annotations[0].text


def test_gap_series_draws_both_panels_with_bands() -> None:
    series = [
        {"date": "2024-01-31", "lag_months": 2.0, "lag_low": 1.0, "lag_high": 3.0,
         "vertical_gap": 5.0, "vertical_gap_low": 4.0, "vertical_gap_high": 6.0},
        {"date": "2024-02-29", "lag_months": None, "lag_low": None, "lag_high": None,
         "vertical_gap": 4.0, "vertical_gap_low": None, "vertical_gap_high": None},
    ]  # fmt: skip
    fig = charts.gap_series_figure(series)
    lag = _trace(fig, "lag")
    assert list(lag.y) == [2.0, None]
    bands = [t for t in fig.data if t.fill == "tonexty"]
    assert len(bands) == 2
    assert list(bands[0].y) == [1.0, None]
    assert "2.0 (90% CI 1.0–3.0) months" in lag.hovertext[0]
    assert list(_trace(fig, "vertical gap").y) == [5.0, 4.0]


def test_gap_series_empty_says_so() -> None:
    assert "No months" in charts.gap_series_figure([]).layout.annotations[0].text


def test_breakdown_bars_with_whiskers_and_groups_without_a_gap() -> None:
    table = pd.DataFrame(
        {
            "group": ["China", "<i>x</i>", "unknown"],
            "lag_months": [3.0, 5.0, math.nan],
            "lag_months_low": [1.0, 4.0, math.nan],
            "lag_months_high": [4.0, 8.0, math.nan],
            "vertical_gap": [10.0, 2.0, math.nan],
            "vertical_gap_low": [8.0, 1.0, math.nan],
            "vertical_gap_high": [12.0, 3.0, math.nan],
        }
    )
    fig = charts.breakdown_figure(table, by="country")
    lag, points = fig.data
    # A group with nothing to draw (no lag, no gap) gets no row (its note is in the table).
    assert list(lag.y) == ["&lt;i&gt;x&lt;/i&gt;", "China"]  # first group on top
    assert list(lag.x) == [5.0, 3.0]
    assert list(lag.error_x.array) == [3.0, 1.0]
    assert list(lag.error_x.arrayminus) == [1.0, 2.0]
    assert list(points.x) == [2.0, 10.0]
    assert fig.layout.title.text == "Gap by country"


def test_tornado_shows_the_most_influential_first() -> None:
    rows = [
        {"benchmark_id": "a", "name": "A", "delta_points": 0.5, "delta_lag_months": 0.0},
        {"benchmark_id": "b", "name": "<b>B</b>", "delta_points": -3.0, "delta_lag_months": 1.0},
        {"benchmark_id": "c", "name": None, "delta_points": 1.0, "delta_lag_months": -2.0},
        {"benchmark_id": "d", "name": "D", "delta_points": None, "delta_lag_months": None},
    ]
    fig = charts.tornado_figure(rows, top=2)
    points, months = fig.data
    # Without an influence column, each effect relative to the largest of its kind: b moves
    # the points most, c the lag most (1.0 each, ties by |Δ lag|); a (0.5 of 3 points) is out.
    assert list(points.y) == ["&lt;b&gt;B&lt;/b&gt;", "c"]  # largest drawn on top
    assert list(points.x) == [-3.0, 1.0]
    assert list(months.x) == [1.0, -2.0]
    assert list(points.marker.color) == [palette.NARROWS, palette.WIDENS]


def test_tornado_without_refits_says_so() -> None:
    fig = charts.tornado_figure([{"benchmark_id": "a", "delta_points": None}])
    assert "No leave-one-benchmark-out refit" in fig.layout.annotations[0].text


def test_harness_offsets_in_points_with_intervals() -> None:
    offsets = [
        {"harness": "unspecified", "offset": 0.0, "offset_points": 0.0, "ci_low_points": 0.0,
         "ci_high_points": 0.0, "n_observations": 100, "is_reference": True},
        {"harness": "<s>agent</s>", "offset": 0.5, "offset_points": 15.0,
         "ci_low_points": 5.0, "ci_high_points": 20.0, "n_observations": 10,
         "is_reference": False},
    ]  # fmt: skip
    fig = charts.harness_figure(offsets)
    (trace,) = fig.data
    assert list(trace.x) == [0.0, 15.0]
    assert trace.y[0] == "unspecified (n=100) · reference"
    assert trace.y[1] == "&lt;s&gt;agent&lt;/s&gt; (n=10)"
    assert list(trace.error_x.array) == [0.0, 5.0]
    assert list(trace.error_x.arrayminus) == [0.0, 10.0]


def test_benchmarks_on_the_model_scale() -> None:
    benchmarks = pd.DataFrame(
        {
            "benchmark_id": ["m", "k", "x"],
            "name": ["Math", "<b>K</b>", "X"],
            "domain": ["math", None, "math"],
            "difficulty": [120.0, 80.0, math.nan],
            "slope": [2.0, 0.5, 1.0],
            "n_observations": [40, 10, 5],
        }
    )
    fig = charts.benchmarks_figure(benchmarks, _models())
    math_trace, other = _trace(fig, "math"), _trace(fig, "other")
    assert list(math_trace.x) == [120.0]  # the benchmark without a difficulty is left out
    assert list(other.y) == [0.5]
    assert "<b>&lt;b&gt;K&lt;/b&gt;</b>" in other.hovertext[0]
    best = sorted(shape.x0 for shape in fig.layout.shapes)
    assert best == [110.0, 110.0, 120.0, 120.0]  # best open and closed, across both panels
    assert {t.name for t in fig.data if isinstance(t, go.Histogram)} == {
        "open models", "closed models"}


def test_model_scores_keep_each_benchmarks_best() -> None:
    scores = pd.DataFrame(
        {"benchmark_id": ["a", "a", "b", "c"], "normalized": [0.2, 0.6, 0.4, None],
         "value": [20, 60, 40, 1]}
    )  # fmt: skip
    (trace,) = charts.model_scores_figure(scores).data
    assert list(trace.y) == ["b", "a"]
    assert list(trace.x) == [0.4, 0.6]


@pytest.mark.parametrize("builder", [
    lambda: charts.frontier_figure(_models()),
    lambda: charts.tornado_figure([{"benchmark_id": HOSTILE, "name": HOSTILE,
                                    "delta_points": 1.0, "delta_lag_months": 1.0}]),
])  # fmt: skip
def test_embedded_chart_never_carries_raw_markup(builder: object) -> None:
    html = charts.figure_html(builder(), "chart-x")  # type: ignore[operator]
    assert "<script>alert" not in html
    assert 'id="chart-x"' in html
    assert "cdn" not in html.lower()
