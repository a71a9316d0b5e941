"""The dashboard's HTML pages; each names its JSON twin under ``/api``.

The report's sections render live from the same templates (``report/templates``) and the same
charts (:mod:`opengap.charts`); the explorer and model pages are the dashboard's own.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from opengap import charts
from opengap.cli.common import to_jsonable
from opengap.report import page_context, report_figures
from opengap.report.data import ReportData
from opengap.web.api import Board, Filters, ModelRef
from opengap.web.params import GapBy, GapMethod

router = APIRouter(include_in_schema=False)

NAV = [
    ("/", "Overview"), ("/gap", "Gap"), ("/breakdowns", "Breakdowns"),
    ("/sensitivity", "Sensitivity"), ("/compare", "Methods"), ("/benchmarks", "Benchmarks"),
    ("/models", "Models"),
    ("/fit", "Fit & provenance"), ("/api", "API"),
]  # fmt: skip
SIZE_CLASSES = ["<10B", "10-49B", "50-199B", ">=200B", "unknown"]


def model_url(model_id: str) -> str:
    """Return the dashboard page of a model."""
    return "/models/" + quote(str(model_id), safe="")


def _render(request: Request, template: str, twin: str, **context: Any) -> HTMLResponse:
    env = request.app.state.templates
    page = env.get_template(template).render(
        nav=request.app.state.nav, request_path=request.url.path, twin=twin,
        model_url=model_url, **context,
    )  # fmt: skip
    return HTMLResponse(page)


def _report_page(
    request: Request, data: ReportData, sections: list[str], twin: str, title: str,
    figures: list[str],
) -> HTMLResponse:
    built = report_figures(data)
    snippets = {name: Markup(charts.figure_html(built[name], f"chart-{name}"))
                for name in built if any(name.startswith(f) for f in figures)}  # fmt: skip
    context = page_context(data, snippets, model_url=model_url)
    context.pop("model_url")
    return _render(request, "report_page.html", twin, sections=sections, title=title,
                   **context)  # fmt: skip


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, board: Board) -> Response:
    """Headline, frontier and the gap over time (twin: ``/api/gap``)."""
    data = board.report_data()
    return _report_page(request, data, ["_headline.html", "_frontier.html", "_gap_series.html"],
                        "/api/gap", "Overview", ["frontier", "gap-over-time"])  # fmt: skip


@router.get("/breakdowns", response_class=HTMLResponse)
def breakdowns(request: Request, board: Board) -> Response:
    """The gap by domain, country and size (twin: ``/api/breakdowns``)."""
    data = board.report_data(breakdowns=True)
    return _report_page(request, data, ["_breakdowns.html"], "/api/breakdowns", "Breakdowns",
                        ["breakdown-"])  # fmt: skip


@router.get("/sensitivity", response_class=HTMLResponse)
def sensitivity(request: Request, board: Board) -> Response:
    """Leave-one-benchmark-out, subsets and harness offsets (twin: ``/api/sensitivity``)."""
    data = board.report_data(sensitivity=True)
    return _report_page(request, data, ["_sensitivity.html"], "/api/sensitivity",
                        "Sensitivity", ["sensitivity-", "harness-"])  # fmt: skip


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, board: Board) -> Response:
    """Evaluators' methods side by side and the chain between them (twin: ``/api/compare``)."""
    data = board.report_data(compare=True)
    return _report_page(request, data, ["_compare.html"], "/api/compare",
                        "Evaluators' methods", ["compare-"])  # fmt: skip


@router.get("/benchmarks", response_class=HTMLResponse)
def benchmarks(request: Request, board: Board) -> Response:
    """Benchmarks on the model scale (twin: ``/api/benchmarks``)."""
    data = board.report_data()
    return _report_page(request, data, ["_benchmarks.html"], "/api/benchmarks", "Benchmarks",
                        ["benchmarks"])  # fmt: skip


@router.get("/fit", response_class=HTMLResponse)
def fit(request: Request, board: Board) -> Response:
    """The fit's configuration, sources and how to reproduce it (twin: ``/api/fit``)."""
    data = board.report_data()
    return _report_page(request, data, ["_provenance.html"], "/api/fit", "Fit & provenance", [])


@router.get("/gap", response_class=HTMLResponse)
def gap(
    request: Request,
    board: Board,
    by: Annotated[GapBy, Query()] = "weights",
    method: Annotated[GapMethod, Query()] = "lag",
) -> Response:
    """The gap by any grouping and method (twin: ``/api/gap?by=…&method=…``)."""
    result = board.gap(by, method)
    twin = "/api/gap?" + urlencode({"by": by, "method": method})
    snippet = None
    if by == "weights" and method == "lag":
        fit = board.fit()
        unit = "logits" if fit.scale == "raw" else "points"
        snippet = Markup(charts.figure_html(
            charts.gap_series_figure(result.get("series") or [], unit=unit), "chart-gap"))
    return _render(request, "gap.html", twin, result=result, by=by, method=method,
                   chart=snippet, title="Gap")  # fmt: skip


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, board: Board, filters: Filters) -> Response:
    """The model explorer (twin: ``/api/models`` with the same filters)."""
    table = board.models(filters)
    query = filters.query_string()
    twin = "/api/models" + ("?" + urlencode(query) if query else "")
    return _render(request, "models.html", twin, rows=to_jsonable(table),
                   filters=filters, size_classes=SIZE_CLASSES, n=len(table),
                   title="Models")  # fmt: skip


@router.get("/models/{model_id:path}", response_class=HTMLResponse)
def model(request: Request, board: Board, model_id: ModelRef) -> Response:
    """One model's page: card facts, capability, scores (twin: ``/api/models/{id}``)."""
    found = board.model(model_id)
    row = to_jsonable(found["model"])
    chart = Markup(charts.figure_html(charts.model_scores_figure(found["scores"]),
                                      "chart-scores"))  # fmt: skip
    return _render(request, "model.html", "/api/models/" + quote(str(row["model_id"]), safe=""),
                   model=row, card=found["card"], scores=to_jsonable(found["scores"]),
                   chart=chart, fit_id=found["fit_id"], title=str(row.get("name") or
                   row["model_id"]))  # fmt: skip


@router.get("/api", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """The API's endpoints and parameters, from the OpenAPI schema (works offline)."""
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for verb, op in methods.items():
            params = [
                {"name": p.get("name"), "in": p.get("in"),
                 "description": p.get("description") or (p.get("schema") or {}).get(
                     "description", ""),
                 "schema": _schema_text(p.get("schema") or {})}
                for p in op.get("parameters", [])
            ]  # fmt: skip
            endpoints.append({"path": path, "verb": verb.upper(), "summary": op.get("summary"),
                              "description": op.get("description") or "", "params": params})
    return _render(request, "apidocs.html", "/openapi.json", endpoints=endpoints,
                   title="API")  # fmt: skip


def _schema_text(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf") or [schema]
    parts = []
    for option in options:
        if "enum" in option:
            parts.append(" | ".join(str(v) for v in option["enum"]))
        elif "const" in option:
            parts.append(str(option["const"]))
        elif option.get("type"):
            parts.append(str(option["type"]))
    return " | ".join(parts)

