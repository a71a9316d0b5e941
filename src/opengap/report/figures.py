"""The report's charts, built from a :class:`ReportData` with :mod:`opengap.charts`, and export.

:func:`report_figures` names every chart of the report; :func:`export_figures` writes them as
PNG and SVG files with kaleido, which drives a locally installed Chrome or Chromium (no network).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from opengap import charts
from opengap.errors import BadConfiguration
from opengap.report.data import ReportData

FORMATS = ("png", "svg")


def report_figures(data: ReportData, only: Sequence[str] | None = None) -> dict[str, go.Figure]:
    """Return the report's charts by name, in the order the report shows them.

    Names: ``frontier``, ``gap-over-time``, ``breakdown-<by>`` for each breakdown table,
    ``sensitivity-tornado``, ``harness-offsets`` (when fitted), ``compare-chain`` (when computed),
    ``benchmarks``, and ``cost-price``, ``cost-cheapest``, ``cost-active-params`` (the cost and
    size frontiers, when a model has a price or active parameters). With ``only`` (name
    prefixes), just the charts whose names start with one of them are built (a dashboard page
    draws only what it shows).
    """

    def wanted(name: str) -> bool:
        return only is None or any(name.startswith(prefix) for prefix in only)

    unit = data.unit
    figures: dict[str, go.Figure] = {}
    if wanted("frontier"):
        figures["frontier"] = charts.frontier_figure(data.fit.models, unit=unit)
    if wanted("gap-over-time"):
        figures["gap-over-time"] = charts.gap_series_figure(data.gap.get("series") or [],
                                                            unit=unit)  # fmt: skip
    for by, table in data.breakdowns.items():
        if wanted(f"breakdown-{by}"):
            figures[f"breakdown-{by}"] = charts.breakdown_figure(table, by=by, unit=unit)
    if data.sensitivity is not None:
        sens_unit = str(data.sensitivity.get("unit") or unit)
        if wanted("sensitivity-tornado"):
            figures["sensitivity-tornado"] = charts.tornado_figure(
                data.sensitivity.get("benchmarks") or [], unit=sens_unit
            )
        harness = data.sensitivity.get("harness") or {}
        if harness.get("offsets") and wanted("harness-offsets"):
            figures["harness-offsets"] = charts.harness_figure(harness["offsets"], unit=sens_unit)
    if data.compare is not None and wanted("compare-chain"):
        figures["compare-chain"] = charts.waterfall_figure(data.compare.get("chain") or [])
    if wanted("benchmarks"):
        figures["benchmarks"] = charts.benchmarks_figure(data.fit.benchmarks, data.fit.models,
                                                         unit=unit)  # fmt: skip
    for by, result in data.frontiers.items():
        if result.missing is not None:
            continue  # the section says why in place
        if wanted(f"cost-{by}"):
            figures[f"cost-{by}"] = charts.budget_frontier_figure(
                result.points, result.gap, unit=result.unit, capability_unit=unit,
                title=COST_TITLES[by])  # fmt: skip
        if by == "price" and wanted("cost-cheapest"):
            figures["cost-cheapest"] = charts.cheapest_figure(
                result.cheapest, unit=result.unit, capability_unit=unit)
    return figures


COST_TITLES = {
    "price": "Capability at a price: best open vs best closed model at blended price ≤ p",
    "active-params": "Capability per active parameter: best model with ≤ N billion active",
}


def export_figures(
    figures: Mapping[str, go.Figure],
    directory: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write every figure as ``<name>.<format>`` into ``directory``; return the paths.

    Uses kaleido, which renders with a locally installed Chrome or Chromium found on ``PATH``
    (or named by ``BROWSER_PATH``); nothing is downloaded.

    Raises
    ------
    BadConfiguration
        No Chrome or Chromium is installed, or a format is not one of png, svg, pdf, jpeg, webp.
    """
    unknown = [f for f in formats if f not in ("png", "svg", "pdf", "jpeg", "webp")]
    if unknown:
        raise BadConfiguration(f"unknown figure format {unknown[0]!r} (choose from png, svg)")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.{fmt}" for name in figures for fmt in formats]
    figs = [fig for fig in figures.values() for _ in formats]
    kinds = [fmt for _ in figures for fmt in formats]
    from kaleido.errors import ChromeNotFoundError  # type: ignore[import-untyped]

    try:
        pio.write_images(figs, paths, format=kinds, width=1100, scale=1)
    except ChromeNotFoundError as exc:
        raise BadConfiguration(
            "exporting figures needs Chrome or Chromium installed locally "
            "(e.g. apt-get install chromium), or BROWSER_PATH naming one"
        ) from exc
    return paths
