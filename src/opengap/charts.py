"""The one chart module behind the HTML report and the dashboard: plotly figures from results.

Every function takes the plain shapes the library returns (a fit's ``models`` and
``benchmarks`` DataFrames, a gap report's ``to_dict()`` series, breakdown tables, sensitivity
rows) and returns a :class:`plotly.graph_objects.Figure`. Nothing here reads the store.

Plotly renders hover text, tick labels and legend names as a small subset of HTML, so every
imported string (model, organisation, benchmark, harness names…) goes through :func:`text`,
which HTML-escapes it: a model called ``<script>alert(1)</script>`` shows as those characters.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from opengap import palette
from opengap.analysis.sensitivity import influence_of

OPEN_COLOR = palette.OPEN
CLOSED_COLOR = palette.CLOSED
OTHER_COLOR = palette.UNKNOWN
WEIGHT_COLORS = palette.WEIGHTS
DOMAIN_COLORS = palette.DOMAINS
UNKNOWN = "unknown"
CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""Plotly's display options for every embedded chart."""

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13},
    "margin": {"l": 60, "r": 20, "t": 100, "b": 50},
    "hoverlabel": {"align": "left"},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.04, "x": 0},
}


# --------------------------------------------------------------------------- text helpers
def text(value: Any) -> str:
    """Return ``value`` as HTML-escaped text for plotly, ``unknown`` when missing.

    Examples
    --------
    >>> text("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> text(None)
    'unknown'
    """
    if _missing(value):
        return UNKNOWN
    if isinstance(value, pd.Timestamp | date):
        return value.isoformat()[:10]
    return html.escape(str(value))


def fmt_number(value: Any, digits: int = 1) -> str:
    """Return ``value`` with ``digits`` decimals, or ``unknown`` when missing."""
    if _missing(value):
        return UNKNOWN
    return f"{float(value):.{digits}f}"


def fmt_interval(value: Any, low: Any, high: Any, digits: int = 1) -> str:
    """Return ``"v (90% CI lo–hi)"``, or just ``"v"`` when the interval is missing."""
    out = fmt_number(value, digits)
    if _missing(value) or _missing(low) or _missing(high):
        return out
    return f"{out} (90% CI {float(low):.{digits}f}–{float(high):.{digits}f})"


def fmt_params(value: Any) -> str:
    """Return a parameter count in billions as ``"70B"``, or ``unknown``."""
    if _missing(value):
        return UNKNOWN
    return f"{float(value):g}B parameters"


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return isinstance(value, str) and not value.strip()


def _num(value: Any) -> float:
    """Return ``value`` as a float, NaN when missing or not a number."""
    if _missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    layout = {**_LAYOUT, **extra}
    layout["title"] = {"text": title, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"}
    fig.update_layout(**layout)
    return fig


def _records(rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(rows, pd.DataFrame):
        return [{str(k): v for k, v in r.items()} for r in rows.to_dict(orient="records")]
    return [dict(r) for r in rows]


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=html.escape(message), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font={"size": 14})  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=240)


# --------------------------------------------------------------------------- frontier
def model_hover(row: Mapping[str, Any], unit: str = "points") -> str:
    """Return the hover text of one model: name, organisation, country, size, licence, value."""
    lines = [
        f"<b>{text(row.get('name') or row.get('model_id'))}</b>",
        f"Organisation: {text(row.get('organization'))}",
        f"Country: {text(row.get('country'))}",
        f"Size: {fmt_params(row.get('params_total_b'))}",
        f"Licence: {text(row.get('license_class'))}",
        f"Weights: {text(row.get('weights'))}",
        f"Released: {text(row.get('release_date'))}",
        f"Capability: {fmt_interval(row.get('capability'), row.get('ci_low'), row.get('ci_high'))}"
        f" {html.escape(unit)}",
    ]
    return "<br>".join(lines)


def running_frontier(
    dates: Sequence[Any], values: Sequence[float]
) -> tuple[list[Any], list[float]]:
    """Return the step points of the running maximum of ``values`` over ``dates``.

    Only the dates where a new record is set are kept; the caller draws them with a
    horizontal-then-vertical step line.

    Examples
    --------
    >>> running_frontier(["2024-01-01", "2024-02-01", "2024-03-01"], [1.0, 0.5, 2.0])
    (['2024-01-01', '2024-03-01'], [1.0, 2.0])
    """
    order = sorted(range(len(values)), key=lambda i: (str(dates[i]), -float(values[i])))
    best = -math.inf
    xs: list[Any] = []
    ys: list[float] = []
    for i in order:
        v = float(values[i])
        if math.isfinite(v) and v > best:
            best = v
            xs.append(dates[i])
            ys.append(v)
    return xs, ys


def frontier_figure(
    models: pd.DataFrame, *, unit: str = "points", title: str = "Capability over time"
) -> go.Figure:
    """Return capability vs release date, open and closed in two colours, with frontiers.

    Parameters
    ----------
    models : DataFrame
        A fit's models: model_id, name, release_date, weights, organization, country,
        params_total_b, license_class, capability, ci_low, ci_high. Models without a release
        date or capability are left out.
    unit : str
        The capability unit (``points`` or ``logits``).
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One marker trace with 90% interval whiskers and one step line (the running maximum)
        per weights group.
    """
    frame = models.copy()
    frame["release_date"] = pd.to_datetime(frame["release_date"], errors="coerce")
    frame["capability"] = pd.to_numeric(frame["capability"], errors="coerce")
    frame = frame.dropna(subset=["release_date", "capability"])
    if frame.empty:
        return _empty(title, "No fitted model has a release date.")
    weights = frame["weights"].astype(object).map(lambda v: UNKNOWN if _missing(v) else str(v))
    last = frame["release_date"].max()
    fig = go.Figure()
    groups = [g for g in ("closed", "open") if g in set(weights)]
    groups += sorted(set(weights) - set(groups))
    for group in groups:
        part = frame.loc[weights == group].sort_values("release_date")
        color = palette.weights_color(group)
        cap = part["capability"].to_numpy(dtype=float)
        low = pd.to_numeric(part["ci_low"], errors="coerce").to_numpy(dtype=float)
        high = pd.to_numeric(part["ci_high"], errors="coerce").to_numpy(dtype=float)
        plus = np.where(np.isfinite(high), high - cap, 0.0)
        minus = np.where(np.isfinite(low), cap - low, 0.0)
        label = text(group)
        fig.add_trace(go.Scatter(
            x=part["release_date"], y=cap, mode="markers", name=f"{label} models",
            legendgroup=label, marker={"color": color, "size": 7, "opacity": 0.85},
            error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1,
                     "width": 0, "color": color},
            hovertext=[model_hover(r, unit) for r in _records(part)],
            hovertemplate="%{hovertext}<extra></extra>",
        ))  # fmt: skip
        xs, ys = running_frontier(list(part["release_date"]), list(cap))
        if xs:
            fig.add_trace(go.Scatter(
                x=[*xs, last], y=[*ys, ys[-1]], mode="lines", name=f"{label} frontier",
                legendgroup=label, line={"color": color, "shape": "hv", "width": 2},
                hoverinfo="skip",
            ))  # fmt: skip
    fig.update_xaxes(title_text="release date")
    fig.update_yaxes(title_text=f"capability ({html.escape(unit)})")
    return _layout(fig, title, height=600)


# --------------------------------------------------------------------------- gap over time
def gap_series_figure(
    series: Sequence[Mapping[str, Any]],
    *,
    unit: str = "points",
    title: str = "The gap over time",
) -> go.Figure:
    """Return the lag (months) and the vertical gap (points) per month with 90% bands.

    Parameters
    ----------
    series : sequence of dict
        A lag report's ``series``: date, lag_months, lag_low, lag_high, vertical_gap,
        vertical_gap_low, vertical_gap_high (None where undefined).
    unit : str
        Unit of the vertical gap.
    title : str
        Chart title.
    """
    rows = [dict(r) for r in series]
    if not rows:
        return _empty(title, "No months where both frontiers exist.")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("lag (months)", f"vertical gap ({html.escape(unit)})"))
    dates = [str(r.get("date")) for r in rows]
    panels = [
        (1, "lag_months", "lag_low", "lag_high", "lag", "months"),
        (2, "vertical_gap", "vertical_gap_low", "vertical_gap_high", "vertical gap", unit),
    ]
    for row, key, low_key, high_key, name, what in panels:
        values = [_num(r.get(key)) for r in rows]
        low = [_num(r.get(low_key)) for r in rows]
        high = [_num(r.get(high_key)) for r in rows]
        fig.add_trace(go.Scatter(
            x=dates, y=[_nan_none(v) for v in high], mode="lines", line={"width": 0},
            showlegend=False, hoverinfo="skip", connectgaps=False,
        ), row=row, col=1)  # fmt: skip
        fig.add_trace(go.Scatter(
            x=dates, y=[_nan_none(v) for v in low], mode="lines", line={"width": 0},
            fill="tonexty", fillcolor=palette.MEASURE_BAND, name="90% interval",
            showlegend=row == 1, legendgroup="band", hoverinfo="skip", connectgaps=False,
        ), row=row, col=1)  # fmt: skip
        hover = [
            f"{d}<br>{name}: {fmt_interval(v, lo, hi)} {html.escape(what)}"
            for d, v, lo, hi in zip(dates, values, low, high, strict=True)
        ]
        fig.add_trace(go.Scatter(
            x=dates, y=[_nan_none(v) for v in values], mode="lines", name=name,
            line={"color": palette.MEASURE, "width": 2},
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        ), row=row, col=1)  # fmt: skip
    fig.update_yaxes(title_text="months", row=1, col=1, rangemode="tozero")
    fig.update_yaxes(title_text=html.escape(unit), row=2, col=1)
    return _layout(fig, title, height=600)


def _nan_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- breakdowns
def breakdown_figure(
    table: pd.DataFrame, *, by: str, unit: str = "points", title: str | None = None
) -> go.Figure:
    """Return each group's lag (months) and vertical gap behind the closed frontier.

    Parameters
    ----------
    table : DataFrame
        One of :func:`opengap.gap.breakdowns`' tables: group, lag_months, lag_months_low,
        lag_months_high, vertical_gap, vertical_gap_low, vertical_gap_high. Groups without a
        gap (a note instead) are shown without a bar.
    by : str
        The grouping (``domain``, ``country``, ``size``…), used in the title.
    unit : str
        Unit of the vertical gap.
    title : str, optional
        Chart title (default: "Gap by <by>").
    """
    title = title or f"Gap by {by}"
    every = _records(table)
    # A group with no (open) models has nothing to draw: no bar, no category row for it.
    rows = [r for r in every if _drawable_group(r)]
    if not rows:
        return _empty(title, f"No {by} groups to compare.")
    labels = [text(r.get("group")) for r in rows][::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("lag (months)", f"vertical gap ({html.escape(unit)})"))
    for col, key, what in ((1, "lag_months", "months"), (2, "vertical_gap", unit)):
        values = [_num(r.get(key)) for r in rows][::-1]
        low = [_num(r.get(f"{key}_low")) for r in rows][::-1]
        high = [_num(r.get(f"{key}_high")) for r in rows][::-1]
        hover = [
            f"<b>{lab}</b><br>{fmt_interval(v, lo, hi)} {html.escape(what)}"
            for lab, v, lo, hi in zip(labels, values, low, high, strict=True)
        ]
        fig.add_trace(go.Bar(
            x=[_nan_none(v) for v in values], y=labels, orientation="h",
            marker_color=palette.MEASURE, showlegend=False, hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            error_x={"type": "data", "symmetric": False, "array": _whisker(high, values),
                     "arrayminus": _whisker(values, low), "color": palette.INK, "thickness": 1},
        ), row=1, col=col)  # fmt: skip
        fig.add_vline(x=0, line_width=1, line_color=palette.REFERENCE, row=1, col=col)
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(220, 150 + 34 * len(rows)), bargap=0.35)


def _drawable_group(row: Mapping[str, Any]) -> bool:
    """Whether a breakdown row has models and something to draw (a lag or a gap)."""
    n = _num(row.get("n_models"))
    if "n_models" in row and not (math.isfinite(n) and n > 0):
        return False
    return any(math.isfinite(_num(row.get(key))) for key in ("lag_months", "vertical_gap"))


def _whisker(upper: Sequence[float], lower: Sequence[float]) -> list[float]:
    return [
        max(u - lo, 0.0) if math.isfinite(u) and math.isfinite(lo) else 0.0
        for u, lo in zip(upper, lower, strict=True)
    ]


# --------------------------------------------------------------------------- compare
def waterfall_figure(
    chain: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    title: str = "From CAISI's method to Epoch's, one choice at a time",
) -> go.Figure:
    """Return a waterfall of the lag (months) along :func:`opengap.gap.compare`'s chain.

    Parameters
    ----------
    chain : DataFrame or sequence of mappings
        ``CompareReport.chain_table()`` rows (or ``to_dict()["chain"]``): step, choice, change,
        lag_months, lag_months_low, lag_months_high, delta_months, note. The first defined step
        is drawn as an absolute bar, each later one as its change; a step without a lag is
        shown as a gap in the chain with its note on hover. Whiskers show each step's 90%
        interval around the running total.
    """
    rows = [_flat_interval(r) for r in _records(chain)]
    if not rows or not any(math.isfinite(_num(r.get("lag_months"))) for r in rows):
        return _empty(title, "No step of the chain has a lag.")
    labels, measures, values, hover, totals = [], [], [], [], []
    previous = math.nan
    for r in rows:
        lag = _num(r.get("lag_months"))
        label = f"{int(_num(r.get('step')))}. {text(r.get('choice'))}"
        labels.append(label)
        info = (f"<b>{label}</b><br>{text(r.get('change'))}<br>lag "
                f"{fmt_interval(lag, r.get('lag_months_low'), r.get('lag_months_high'))} months")
        if not math.isfinite(lag):
            measures.append("relative")
            values.append(0.0)
            hover.append(info + f"<br>{text(r.get('note'))}")
            totals.append(previous)
            continue
        if math.isfinite(previous):
            measures.append("relative")
            values.append(lag - previous)
        else:
            measures.append("absolute")
            values.append(lag)
        hover.append(info)
        totals.append(lag)
        previous = lag
    low = [_num(r.get("lag_months_low")) for r in rows]
    high = [_num(r.get("lag_months_high")) for r in rows]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=measures, hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        increasing={"marker": {"color": palette.WIDENS}},
        decreasing={"marker": {"color": palette.NARROWS}},
        totals={"marker": {"color": palette.MEASURE}},
        connector={"line": {"color": palette.REFERENCE}},
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=labels, y=[_nan_none(v) for v in totals], mode="markers",
        marker={"color": palette.INK, "size": 5}, showlegend=False, hoverinfo="skip",
        error_y={"type": "data", "symmetric": False, "array": _whisker(high, totals),
                 "arrayminus": _whisker(totals, low), "color": palette.INK, "thickness": 1},
    ))  # fmt: skip
    fig.update_yaxes(title_text="lag (months)")
    return _layout(fig, title, height=380, showlegend=False)


def _flat_interval(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    value = row.get("lag_months")
    if isinstance(value, Mapping):
        out["lag_months"] = value.get("value")
        out["lag_months_low"] = value.get("ci_low")
        out["lag_months_high"] = value.get("ci_high")
    return out


# --------------------------------------------------------------------------- sensitivity
def tornado_figure(
    influence: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    unit: str = "points",
    top: int = 20,
    title: str = "Leave one benchmark out: how much each moves the gap",
) -> go.Figure:
    """Return a tornado chart of leave-one-benchmark-out Δ gap (points and months).

    Parameters
    ----------
    influence : DataFrame or sequence of dict
        Sensitivity rows: benchmark_id, name, delta_points, delta_lag_months, influence (as
        :func:`opengap.gap.sensitivity` returns them).
    unit : str
        Unit of Δ points.
    top : int
        Show the ``top`` benchmarks with the largest influence (the larger of the lag and gap
        effects, each relative to the full fit's value), both effects side by side.
    title : str
        Chart title.
    """
    rows = [r for r in _records(influence)
            if math.isfinite(_num(r.get("delta_points")))
            or math.isfinite(_num(r.get("delta_lag_months")))]  # fmt: skip
    if not rows:
        return _empty(title, "No leave-one-benchmark-out refit succeeded.")
    # The sensitivity table's order (its ``influence``: the larger of the lag and gap
    # effects), so the benchmark its headline names is the top bar. Rows without it: each
    # effect relative to the largest of its kind.
    if any(_missing(r.get("influence")) for r in rows):
        shares = influence_of(pd.Series([_num(r.get("delta_lag_months")) for r in rows]),
                              pd.Series([_num(r.get("delta_points")) for r in rows]),
                              math.nan, math.nan)  # fmt: skip
        rows = [{**r, "influence": float(v)} for r, v in zip(rows, shares, strict=True)]
    rows.sort(key=lambda r: (-_zero(r.get("influence")), -abs(_zero(r.get("delta_lag_months"))),
                             -abs(_zero(r.get("delta_points")))))  # fmt: skip
    rows = rows[:top][::-1]
    labels = [text(r.get("name") or r.get("benchmark_id")) for r in rows]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=(f"Δ vertical gap ({html.escape(unit)})", "Δ lag (months)"))
    for col, key, what in ((1, "delta_points", unit), (2, "delta_lag_months", "months")):
        values = [_num(r.get(key)) for r in rows]
        colors = [palette.change_color(v) for v in values]
        hover = [
            f"<b>without {lab}</b><br>{'+' if v > 0 else ''}{fmt_number(v, 2)} {html.escape(what)}"
            for lab, v in zip(labels, values, strict=True)
        ]
        fig.add_trace(go.Bar(
            x=[_nan_none(v) for v in values], y=labels, orientation="h", marker_color=colors,
            showlegend=False, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        ), row=1, col=col)  # fmt: skip
        fig.add_vline(x=0, line_width=1, line_color=palette.REFERENCE, row=1, col=col)
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(320, 130 + 26 * len(rows)))


def _zero(value: Any) -> float:
    v = _num(value)
    return v if math.isfinite(v) else 0.0


def harness_figure(
    offsets: Sequence[Mapping[str, Any]],
    *,
    unit: str = "points",
    top: int = 25,
    title: str = "Harness offsets (relative to the reference harness)",
) -> go.Figure:
    """Return each harness category's fitted offset with its 90% interval.

    Parameters
    ----------
    offsets : sequence of dict
        Sensitivity ``harness["offsets"]`` rows: harness, offset_points, ci_low_points,
        ci_high_points, n_observations, is_reference (``offset`` in logits is used when the
        points are missing).
    unit : str
        Unit of the offsets.
    top : int
        Show the ``top`` harness categories with the most observations.
    title : str
        Chart title.
    """
    rows = _records(offsets)
    if not rows:
        return _empty(title, "No harness offsets were fitted.")
    rows.sort(key=lambda r: -_zero(r.get("n_observations")))
    rows = rows[:top]
    rows.sort(key=lambda r: _zero(r.get("offset_points", r.get("offset"))))

    def pick(r: Mapping[str, Any], key: str) -> float:
        value = _num(r.get(f"{key}_points"))
        return value if math.isfinite(value) else _num(r.get(key))

    values = [pick(r, "offset") for r in rows]
    low = [pick(r, "ci_low") for r in rows]
    high = [pick(r, "ci_high") for r in rows]
    labels = [
        f"{text(r.get('harness'))} (n={int(_zero(r.get('n_observations')))})"
        + (" · reference" if r.get("is_reference") else "")
        for r in rows
    ]
    hover = [
        f"<b>{lab}</b><br>offset {fmt_interval(v, lo, hi)} {html.escape(unit)}"
        for lab, v, lo, hi in zip(labels, values, low, high, strict=True)
    ]
    fig = go.Figure(go.Scatter(
        x=[_nan_none(v) for v in values], y=labels, mode="markers",
        marker={"color": palette.MEASURE, "size": 9},
        error_x={"type": "data", "symmetric": False, "array": _whisker(high, values),
                 "arrayminus": _whisker(values, low), "color": palette.MEASURE,
                 "thickness": 1.5},
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False,
    ))  # fmt: skip
    fig.add_vline(x=0, line_width=1, line_color=palette.REFERENCE)
    fig.update_xaxes(title_text=f"offset ({html.escape(unit)})")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(300, 140 + 24 * len(rows)))


# --------------------------------------------------------------------------- benchmarks
def benchmarks_figure(
    benchmarks: pd.DataFrame,
    models: pd.DataFrame,
    *,
    unit: str = "points",
    title: str = "Benchmarks on the model scale: difficulty and slope",
) -> go.Figure:
    """Return benchmark difficulty (on the models' scale) vs slope, over the models' spread.

    The top panel shows how fitted models spread on the capability scale (open and closed);
    the bottom one places each benchmark at its difficulty, with its slope on the y axis.
    Dashed lines mark today's best open and best closed model: a benchmark discriminates at
    the frontier when its difficulty is near them and its slope is high.

    Parameters
    ----------
    benchmarks : DataFrame
        A fit's benchmarks: benchmark_id, name, domain, difficulty, slope, n_observations.
    models : DataFrame
        A fit's models: capability, weights.
    unit : str
        The scale's unit.
    title : str
        Chart title.
    """
    frame = benchmarks.copy()
    frame["difficulty"] = pd.to_numeric(frame["difficulty"], errors="coerce")
    frame["slope"] = pd.to_numeric(frame["slope"], errors="coerce")
    frame = frame.dropna(subset=["difficulty", "slope"])
    if frame.empty:
        return _empty(title, "No fitted benchmark.")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75],
                        vertical_spacing=0.04)
    caps = models.assign(capability=pd.to_numeric(models["capability"], errors="coerce"))
    weights = caps["weights"].astype(object).map(lambda v: UNKNOWN if _missing(v) else str(v))
    best: dict[str, float] = {}
    for group in ("closed", "open"):
        values = caps.loc[weights == group, "capability"].dropna()
        if values.empty:
            continue
        fig.add_trace(go.Histogram(
            x=values, name=f"{group} models", marker_color=WEIGHT_COLORS[group], opacity=0.6,
            nbinsx=30, legendgroup=group,
            hovertemplate=f"{group} models: %{{y}} in %{{x}}<extra></extra>",
        ), row=1, col=1)  # fmt: skip
        best[group] = float(values.max())
    fig.update_layout(barmode="overlay")
    domains = frame["domain"].astype(object).map(lambda v: "other" if _missing(v) else str(v))
    size = np.sqrt(pd.to_numeric(frame["n_observations"], errors="coerce").fillna(1.0))
    size = 6.0 + 18.0 * size / max(float(size.max()), 1.0)
    for domain in sorted(set(domains)):
        mask = (domains == domain).to_numpy()
        part = frame.loc[mask]
        hover = [
            f"<b>{text(r.get('name') or r.get('benchmark_id'))}</b><br>"
            f"Domain: {text(r.get('domain'))}<br>"
            f"Difficulty: {fmt_number(r.get('difficulty'))} {html.escape(unit)}<br>"
            f"Slope: {fmt_number(r.get('slope'), 2)}<br>"
            f"Observations: {text(r.get('n_observations'))}"
            for r in _records(part)
        ]
        fig.add_trace(go.Scatter(
            x=part["difficulty"], y=part["slope"], mode="markers", name=text(domain),
            marker={"size": size[mask], "color": DOMAIN_COLORS.get(domain, DOMAIN_COLORS["other"]),
                    "line": {"width": 1, "color": "white"}, "opacity": 0.85},
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        ), row=2, col=1)  # fmt: skip
    for group, value in best.items():  # after the traces: empty panels get no line
        fig.add_vline(x=value, line_dash="dash", line_color=WEIGHT_COLORS[group],
                      line_width=1.5, row="all", col=1)  # fmt: skip
    fig.update_yaxes(title_text="models", row=1, col=1)
    fig.update_yaxes(title_text="slope α", row=2, col=1)
    fig.update_xaxes(title_text=f"difficulty ({html.escape(unit)}, same scale as capability)",
                     row=2, col=1)
    return _layout(fig, title, height=640, margin={"l": 60, "r": 20, "t": 130, "b": 50})


# --------------------------------------------------------------------------- one model
def model_scores_figure(
    scores: pd.DataFrame, *, title: str = "Scores (normalised: 0 = chance, 1 = ceiling)"
) -> go.Figure:
    """Return one model's best normalised score per benchmark as horizontal bars.

    Parameters
    ----------
    scores : DataFrame
        The model's scores: benchmark_id, normalized (in [0, 1]), value.
    title : str
        Chart title.
    """
    frame = scores.assign(normalized=pd.to_numeric(scores["normalized"], errors="coerce"))
    frame = frame.dropna(subset=["normalized"])
    if frame.empty:
        return _empty(title, "No normalised scores.")
    best = (frame.sort_values("normalized", ascending=False).drop_duplicates("benchmark_id")
            .sort_values("normalized"))  # fmt: skip
    labels = [text(b) for b in best["benchmark_id"]]
    hover = [
        f"<b>{lab}</b><br>normalised {fmt_number(n, 3)}<br>as published {text(v)}"
        for lab, n, v in zip(labels, best["normalized"], best["value"], strict=True)
    ]
    fig = go.Figure(go.Bar(
        x=best["normalized"], y=labels, orientation="h", marker_color=palette.MEASURE,
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(range=[0, 1], title_text="normalised score")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(260, 130 + 24 * len(best)))


# --------------------------------------------------------------------------- embedding
def figure_html(fig: go.Figure, div_id: str) -> str:
    """Return a ``<div>`` and ``<script>`` drawing ``fig`` (plotly.js itself not included)."""
    out: str = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                           config=CONFIG)  # fmt: skip
    return out


def plotly_js() -> str:
    """Return the installed plotly package's plotly.js bundle (to embed inline or serve)."""
    return str(get_plotlyjs())


# --------------------------------------------------------------------------- cost frontier
LEVEL_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def budget_frontier_figure(
    points: pd.DataFrame,
    gap: pd.DataFrame,
    *,
    unit: str = "blended USD per 1M tokens",
    capability_unit: str = "points",
    title: str = "Capability at a budget: best open vs best closed",
) -> go.Figure:
    """Return capability vs budget (log axis), each side's best-affordable step line and the gap.

    Parameters
    ----------
    points : DataFrame
        :attr:`opengap.costs.FrontierResult.points`: model_id, name, weights, capability, x.
    gap : DataFrame
        :attr:`opengap.costs.FrontierResult.gap`: budget, open_capability, closed_capability,
        gap, gap_low, gap_high.
    unit, capability_unit : str
        Axis units.
    title : str
        Chart title.
    """
    frame = points.dropna(subset=["x", "capability"])
    if frame.empty:
        return _empty(title, f"No fitted model has a known {html.escape(unit)}.")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                        vertical_spacing=0.06)  # fmt: skip
    for side in ("closed", "open"):
        part = frame.loc[frame["weights"] == side]
        color = WEIGHT_COLORS[side]
        if len(part):
            fig.add_trace(go.Scatter(
                x=part["x"], y=part["capability"], mode="markers", name=f"{side} models",
                legendgroup=side, marker={"color": color, "size": 7, "opacity": 0.8},
                hovertext=[f"<b>{text(n if not _missing(n) else m)}</b><br>"
                           f"{fmt_number(x, 3)} {html.escape(unit)}<br>"
                           f"capability {fmt_number(c)}"
                           for m, n, x, c in zip(part["model_id"], part["name"], part["x"],
                                                 part["capability"], strict=True)],
                hovertemplate="%{hovertext}<extra></extra>",
            ), row=1, col=1)  # fmt: skip
        best = pd.to_numeric(gap[f"{side}_capability"], errors="coerce")
        if best.notna().any():
            fig.add_trace(go.Scatter(
                x=gap["budget"], y=best, mode="lines", name=f"best {side} at budget",
                legendgroup=side, line={"color": color, "shape": "hv", "width": 2},
                hoverinfo="skip",
            ), row=1, col=1)  # fmt: skip
    values = pd.to_numeric(gap["gap"], errors="coerce")
    if values.notna().any():
        high = pd.to_numeric(gap["gap_high"], errors="coerce")
        low = pd.to_numeric(gap["gap_low"], errors="coerce")
        fig.add_trace(go.Scatter(
            x=gap["budget"], y=values, mode="lines+markers", name="gap (closed − open)",
            line={"color": palette.MEASURE}, marker={"color": palette.MEASURE}, error_y={
                "type": "data", "array": (high - values).fillna(0.0),
                "arrayminus": (values - low).fillna(0.0), "thickness": 1, "width": 3},
        ), row=2, col=1)  # fmt: skip
    fig.update_xaxes(type="log", title_text=html.escape(unit), row=2, col=1)
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_yaxes(title_text=f"capability ({html.escape(capability_unit)})", row=1, col=1)
    fig.update_yaxes(title_text="gap, 90% CI", row=2, col=1)
    return _layout(fig, title, height=700)


def cheapest_figure(
    cheapest: pd.DataFrame,
    *,
    unit: str = "blended USD per 1M tokens",
    capability_unit: str = "points",
    title: str = "The price of a capability level over time: cheapest open vs closed model",
) -> go.Figure:
    """Return, per capability level and side, the cheapest model reaching it over time.

    Parameters
    ----------
    cheapest : DataFrame
        :attr:`opengap.costs.FrontierResult.cheapest`: level, weights, date, model_id,
        capability, price (a row each time a side's cheapest model reaching a level changes).
    unit, capability_unit : str
        Price and capability units.
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One step line per (level, side) on a log price axis, open and closed in their colours,
        one dash style per level; each line runs to the last date of the table.
    """
    frame = cheapest.dropna(subset=["price", "date"])
    if frame.empty:
        return _empty(title, "No priced model reaches any of the levels.")
    frame = frame.assign(date=pd.to_datetime(frame["date"]))
    last = frame["date"].max()
    fig = go.Figure()
    levels = sorted(set(frame["level"].astype(float)))
    for i, level in enumerate(levels):
        for side in ("closed", "open"):
            part = frame.loc[(frame["level"].astype(float) == level)
                             & (frame["weights"] == side)].sort_values("date")  # fmt: skip
            if part.empty:
                continue
            prices = part["price"].astype(float).tolist()
            hover = [f"<b>{text(m)}</b><br>{side}, from {text(d)}<br>"
                     f"{fmt_number(p, 3)} {html.escape(unit)}<br>capability {fmt_number(c)} "
                     f"(level {fmt_number(level)} {html.escape(capability_unit)})"
                     for m, d, p, c in zip(part["model_id"], part["date"], prices,
                                           part["capability"], strict=True)]  # fmt: skip
            fig.add_trace(go.Scatter(
                x=[*part["date"], last], y=[*prices, prices[-1]], mode="lines+markers",
                name=f"{side}, capability ≥ {fmt_number(level)}", legendgroup=side,
                line={"color": WEIGHT_COLORS[side], "shape": "hv", "width": 2,
                      "dash": LEVEL_DASHES[i % len(LEVEL_DASHES)]},
                marker={"color": WEIGHT_COLORS[side], "size": [7] * len(prices) + [0]},
                hovertext=[*hover, hover[-1]], hovertemplate="%{hovertext}<extra></extra>",
            ))  # fmt: skip
    fig.update_xaxes(title_text="release date")
    fig.update_yaxes(type="log", title_text=f"cheapest price ({html.escape(unit)})")
    return _layout(fig, title, height=520)
