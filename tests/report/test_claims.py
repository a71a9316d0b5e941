"""The report says what it claims: each check parses the generated HTML or the figure dicts.

- the leave-one-out chart shows the benchmark its sentence names as the largest mover, ranked by
  the larger of the lag and gap effects, with both effects drawn;
- the models the note calls poorly fitted are listed where the note's link points;
- the benchmark table is not a scroll box and prints in full;
- a colour means one thing across every chart (open, closed, unknown, measures, changes);
- the fit configuration shown is the resolved one (every parameter, as the fit used it);
- groups with no models are not drawn.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from opengap import charts, palette
from opengap.analysis.intervals import Interval
from opengap.analysis.sensitivity import SensitivityReport, influence_table
from opengap.fit.config import FitConfig
from opengap.fitting.frames import POOR_FIT_NOTE
from opengap.report import collect, render
from opengap.report.data import ReportData, provenance
from opengap.report.figures import report_figures
from opengap.store import Store


@pytest.fixture(scope="module")
def data(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """The report's data on a copy of the hostile catalogue (fitted, with sensitivity)."""
    db = tmp_path_factory.mktemp("claims") / "store.duckdb"
    shutil.copy(hostile_db, db)
    with Store(db) as store:
        return collect(store, compare=False)


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return render(data)


class Tree(HTMLParser):
    """A minimal DOM: each element with its tag, attributes, text and parent."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, Any] = {"tag": "root", "attrs": {}, "children": [], "text": "",
                                     "parent": None}  # fmt: skip
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = {"tag": tag, "attrs": dict(attrs), "children": [], "text": "",
                "parent": self.current}  # fmt: skip
        self.current["children"].append(node)
        if tag not in ("meta", "link", "br", "img", "input"):
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node is not None and node["tag"] != tag:
            node = node["parent"]
        if node is not None and node["parent"] is not None:
            self.current = node["parent"]

    def handle_data(self, text: str) -> None:
        self.current["text"] += text


def _tree(html: str) -> dict[str, Any]:
    parser = Tree()
    parser.feed(html)
    return parser.root


def _walk(node: dict[str, Any]) -> Any:
    yield node
    for child in node["children"]:
        yield from _walk(child)


def _by_id(root: dict[str, Any], ident: str) -> dict[str, Any]:
    found = [n for n in _walk(root) if n["attrs"].get("id") == ident]
    assert len(found) == 1, f"exactly one element with id {ident!r}"
    return found[0]


def _text(node: dict[str, Any]) -> str:
    return " ".join(" ".join(n["text"] for n in _walk(node)).split())


def _rows(table: dict[str, Any]) -> list[list[str]]:
    return [[_text(c) for c in tr["children"] if c["tag"] in ("td", "th")]
            for tr in _walk(table) if tr["tag"] == "tr"]  # fmt: skip


# ------------------------------------------------------------------ leave-one-out ranking
def _report(rows: list[dict[str, Any]], lag: float, points: float) -> SensitivityReport:
    return SensitivityReport(
        fit_id="f", at=pd.Timestamp("2025-01-01").date(),
        baseline={"lag_months": Interval(lag), "vertical_gap": Interval(points)},
        benchmarks=influence_table(lag, points, rows), subsets=pd.DataFrame(), harness={},
        widening=pd.DataFrame(),
    )  # fmt: skip


def test_the_largest_mover_by_lag_alone_is_in_the_tornado() -> None:
    # 25 benchmarks that move the gap by a few points but not the lag, and one that moves the
    # lag by half while barely touching the points: it is the largest mover, and the chart (20
    # bars) must show it although 24 others move the points more.
    rows = [{"benchmark_id": f"b{i}", "name": f"Bench {i}", "lag_months": 6.0,
             "vertical_gap": 10.0 + 0.2 + 0.05 * i} for i in range(25)]  # fmt: skip
    rows.append({"benchmark_id": "mover", "name": "Lag Mover", "lag_months": 9.0,
                 "vertical_gap": 10.1})  # fmt: skip
    report = _report(rows, lag=6.0, points=10.0)
    assert "leaving out Lag Mover moves it most (+3.0 months, +0.1 points)" in report.headline
    fig = charts.tornado_figure(report.to_dict()["benchmarks"])
    labels = list(fig.data[0].y)
    assert labels[-1] == "Lag Mover"  # the top bar
    assert list(fig.data[1].y) == labels


def test_the_largest_mover_by_points_alone_is_in_the_tornado() -> None:
    rows = [{"benchmark_id": f"b{i}", "name": f"Bench {i}", "lag_months": 6.5 + 0.01 * i,
             "vertical_gap": 10.0} for i in range(25)]  # fmt: skip
    rows.append({"benchmark_id": "mover", "name": "Gap Mover", "lag_months": 6.0,
                 "vertical_gap": 16.0})  # fmt: skip
    report = _report(rows, lag=6.0, points=10.0)
    assert "leaving out Gap Mover moves it most" in report.headline
    ranked = report.benchmarks
    assert ranked["benchmark_id"].iloc[0] == "mover"
    assert ranked["influence"].iloc[0] == pytest.approx(0.6)
    assert list(charts.tornado_figure(ranked).data[0].y)[-1] == "Gap Mover"


def test_report_tornado_draws_both_effects_of_the_named_benchmark(data: ReportData) -> None:
    sens = data.sensitivity
    assert sens is not None
    fig = report_figures(data, only=["sensitivity-tornado"])["sensitivity-tornado"]
    named = re.search(r"leaving out (.+?) moves it most", sens["headline"])
    assert named, sens["headline"]
    assert len(fig.data) == 2
    titles = [a.text for a in fig.layout.annotations]
    assert any("Δ vertical gap" in t for t in titles) and any("Δ lag" in t for t in titles)
    for trace in fig.data:  # the named benchmark is the top bar of both panels
        assert list(trace.y)[-1] == charts.text(named.group(1))
    assert {fig.data[0].xaxis, fig.data[1].xaxis} == {"x", "x2"}


# ------------------------------------------------------------------ poorly fitted models
def _with_poor_fits(data: ReportData, model_ids: list[str]) -> ReportData:
    models = data.fit.models.copy()
    models["poor_fit"] = models["model_id"].isin(model_ids)
    note = f"{len(model_ids)} {POOR_FIT_NOTE} (residual RMSE > 0.15); see the poor_fit column"
    fit = dataclasses.replace(data.fit, models=models, notes=[*data.fit.notes, note])
    return dataclasses.replace(data, fit=fit)


def test_poorly_fitted_models_are_listed_where_the_note_points(data: ReportData) -> None:
    flagged = list(data.fit.models["model_id"].iloc[[0, 3]])
    shown = _with_poor_fits(data, flagged)
    root = _tree(render(shown))
    headline = _by_id(root, "headline")
    notes = [n for n in _walk(headline) if "fit poorly" in n["text"]]
    assert len(notes) == 1
    links = [n["attrs"]["href"] for n in _walk(notes[0]) if n["tag"] == "a"]
    assert links == ["#poor-fit"]
    target = _by_id(root, "poor-fit")
    names = set(data.fit.models.set_index("model_id").loc[flagged, "name"])
    listed = {row[0] for row in _rows(target)[1:]}
    assert listed == names
    assert "see the poor_fit column" not in _text(root)  # a column the report does not have


def test_no_poor_fit_section_when_every_model_fits(data: ReportData) -> None:
    clean = _with_poor_fits(data, [])
    clean = dataclasses.replace(clean, fit=dataclasses.replace(clean.fit, notes=[]))
    html = render(clean)
    assert 'id="poor-fit"' not in html and "fit poorly" not in html


# ------------------------------------------------------------------ benchmark table
def _style(html: str) -> str:
    found = re.search(r"<style>(.*?)</style>", html, re.S)
    assert found
    return found.group(1)


def test_benchmark_table_is_not_a_scroll_box_and_prints(page: str) -> None:
    root = _tree(page)
    section = _by_id(root, "benchmarks")
    tables = [n for n in _walk(section) if n["tag"] == "table"]
    assert len(tables) == 1
    node = tables[0]
    classes: set[str] = set(node["attrs"].get("class", "").split())
    while node["parent"] is not None:
        node = node["parent"]
        classes |= set(node["attrs"].get("class", "").split())
        assert "max-height" not in node["attrs"].get("style", "")
    css = _style(page)
    screen = re.sub(r"@media print\s*\{.*\}\s*$", "", css, flags=re.S)
    for rule in re.finditer(r"([^{}]+)\{([^{}]*)\}", screen):
        selectors = {s.strip().lstrip(".") for s in rule.group(1).split(",")}
        for cls in classes:
            if cls in selectors or f"table.{cls}" in selectors:
                assert "max-height" not in rule.group(2), rule.group(0)
                assert "overflow: auto" not in rule.group(2), rule.group(0)
    printed = re.search(r"@media print\s*\{(.*)\}", css, re.S)
    assert printed, "a print stylesheet"
    assert re.search(r"\.wrap[^{]*\{[^}]*overflow: visible", printed.group(1))
    assert "table-header-group" in printed.group(1)  # headers repeat on each printed page
    assert len(_rows(tables[0])) > 1


def test_long_benchmark_names_wrap_in_the_table(page: str) -> None:
    css = _style(page)
    assert re.search(r"table\.long td \{[^}]*overflow-wrap: anywhere", css)


# ------------------------------------------------------------------ one palette
def _colors(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.lower()}
    if isinstance(value, list | tuple):
        return {v.lower() for v in value if isinstance(v, str)}
    return set()


def _trace_colors(trace: Any) -> set[str]:
    j = trace.to_plotly_json()
    found: set[str] = set()
    for key in ("marker", "line"):
        found |= _colors((j.get(key) or {}).get("color"))
    found |= _colors(j.get("fillcolor"))
    for key in ("error_x", "error_y"):
        found |= _colors((j.get(key) or {}).get("color"))
    for key in ("increasing", "decreasing", "totals"):
        found |= _colors(((j.get(key) or {}).get("marker") or {}).get("color"))
    return found


def _all_figures(data: ReportData) -> dict[str, go.Figure]:
    figures = dict(report_figures(data))
    scores = pd.DataFrame({"benchmark_id": ["b1", "b2"], "normalized": [0.2, 0.7],
                           "value": [0.2, 0.7]})  # fmt: skip
    figures["model-scores"] = charts.model_scores_figure(scores)
    points = pd.DataFrame({"model_id": ["o", "c"], "name": ["O", "C"],
                           "weights": ["open", "closed"], "capability": [1.0, 2.0],
                           "x": [0.5, 2.0]})  # fmt: skip
    gap = pd.DataFrame({"budget": [1.0, 3.0], "open_capability": [1.0, 1.0],
                        "closed_capability": [None, 2.0], "gap": [None, 1.0],
                        "gap_low": [None, 0.5], "gap_high": [None, 1.5]})  # fmt: skip
    figures["budget"] = charts.budget_frontier_figure(points, gap)
    chain = [{"step": 1, "choice": "a", "lag_months": 3.0}, {"step": 2, "choice": "b",
              "lag_months": 5.0}, {"step": 3, "choice": "c", "lag_months": 4.0}]  # fmt: skip
    figures["chain"] = charts.waterfall_figure(chain)
    return figures


def test_palette_colours_are_distinct() -> None:
    named = [palette.OPEN, palette.CLOSED, palette.UNKNOWN, palette.MEASURE, palette.WIDENS,
             palette.NARROWS, palette.REFERENCE, palette.INK, *palette.DOMAINS.values()]
    assert len({c.lower() for c in named}) == len(named)


def test_open_and_closed_colours_mean_open_and_closed_in_every_chart(data: ReportData) -> None:
    meaning = {palette.OPEN.lower(): "open", palette.CLOSED.lower(): "closed",
               palette.UNKNOWN.lower(): "unknown"}  # fmt: skip
    seen: dict[str, int] = {"open": 0, "closed": 0}
    for name, fig in _all_figures(data).items():
        for trace in fig.data:
            label = f"{trace.name or ''} {getattr(trace, 'legendgroup', '') or ''}".lower()
            for color in _trace_colors(trace):
                side = meaning.get(color)
                if side is not None:
                    assert side in label, f"{name}: {trace.name!r} drawn in the {side} colour"
            for side, color in (("open", palette.OPEN), ("closed", palette.CLOSED)):
                if re.search(rf"\b{side}\b", label) and "gap" not in label:
                    assert color.lower() in _trace_colors(trace), f"{name}: {trace.name!r}"
                    seen[side] += 1
    assert seen["open"] >= 3 and seen["closed"] >= 3  # frontier, histogram, budget chart


def test_changes_and_measures_have_their_own_colours(data: ReportData) -> None:
    figures = _all_figures(data)
    tornado = figures["sensitivity-tornado"]
    for trace in tornado.data:
        for x, color in zip(trace.x, trace.marker.color, strict=True):
            if x is not None:
                assert color == (palette.WIDENS if x > 0 else palette.NARROWS)
    chain = figures["chain"].data[0]
    assert chain.increasing.marker.color == palette.WIDENS
    assert chain.decreasing.marker.color == palette.NARROWS
    for name in ("gap-over-time", "breakdown-country", "harness-offsets", "model-scores"):
        if name in figures:
            drawn = set().union(*(_trace_colors(t) for t in figures[name].data))
            assert drawn <= {palette.MEASURE.lower(), palette.MEASURE_BAND.lower(),
                             palette.INK.lower()}, (name, drawn)  # fmt: skip


def test_page_colours_come_from_the_palette(page: str) -> None:
    css = _style(page)
    assert f"--open: {palette.OPEN};" in css and f"--closed: {palette.CLOSED};" in css
    own = set(re.findall(r"#[0-9a-fA-F]{6}\b", css))
    assert palette.OPEN in own  # the variable
    assert css.count(palette.OPEN) == 1 and css.count(palette.CLOSED) == 1  # only there


def test_domain_colours_are_the_palette_s(data: ReportData) -> None:
    fig = report_figures(data, only=["benchmarks"])["benchmarks"]
    domains = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert domains
    for trace in domains:
        assert trace.marker.color == palette.DOMAINS[trace.name]


# ------------------------------------------------------------------ resolved configuration
def test_fit_configuration_shown_is_the_resolved_one(data: ReportData, page: str) -> None:
    fit = data.fit
    config = provenance(data)["config"]
    fields = {f.name for f in dataclasses.fields(FitConfig)} - {"explicit"}
    assert set(config) == fields
    assert config["scale"] == fit.scale and fit.scale is not None
    pinned = fit.benchmarks.loc[fit.benchmarks["is_pinned"].astype(bool), "benchmark_id"]
    assert config["pin_benchmark"] == pinned.iloc[0]
    assert config["anchors"] == [[a["model_id"], a["value"]] for a in fit.anchors]
    table = _by_id(_tree(page), "fit-config")
    shown = {row[0]: row for row in _rows(table)[1:]}
    assert set(shown) == fields
    assert shown["scale"][1] == f'"{fit.scale}"'
    assert shown["pin_benchmark"][2] == "chosen by the fit"
    assert shown["bootstrap"][2] == "passed explicitly"  # the report's own fit asked for it


# ------------------------------------------------------------------ empty groups
def test_groups_with_no_models_are_not_drawn() -> None:
    table = pd.DataFrame({
        "group": ["math", "agentic", "code"],
        "n_models": [4, None, 0],
        "lag_months": [2.0, None, None], "vertical_gap": [1.0, None, None],
        "note": [None, "no open-weights models", "no scores"],
    })  # fmt: skip
    fig = charts.breakdown_figure(table, by="domain")
    for trace in fig.data:
        assert list(trace.y) == ["math"]


def test_a_weights_group_with_no_models_has_no_trace_or_legend(data: ReportData) -> None:
    models = data.fit.models.copy()
    models = models[models["weights"].astype(object) == "closed"]
    for fig in (charts.frontier_figure(models), charts.benchmarks_figure(data.fit.benchmarks,
                                                                         models)):
        names = " ".join(str(t.name) for t in fig.data)
        assert "open" not in names and "closed" in names
        lines = [s.line.color for s in fig.layout.shapes]
        assert palette.OPEN not in lines


def test_report_breakdown_charts_draw_only_groups_with_models(data: ReportData) -> None:
    for by, table in data.breakdowns.items():
        fig = report_figures(data, only=[f"breakdown-{by}"])[f"breakdown-{by}"]
        drawn = set().union(*(set(t.y or ()) for t in fig.data))
        empty = {charts.text(r["group"]) for r in table.to_dict(orient="records")
                 if not (pd.notna(r.get("n_models")) and r.get("n_models"))}  # fmt: skip
        assert not drawn & empty, (by, drawn & empty)
