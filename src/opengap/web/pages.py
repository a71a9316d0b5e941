"""The dashboard's HTML pages; each names its JSON twin under ``/api``.

The report's sections render live from the same templates (``report/templates``) and the same
charts (:mod:`opengap.charts`); the explorer and model pages are the dashboard's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from opengap import charts
from opengap.cli.common import to_jsonable
from opengap.report import page_context, report_figures
from opengap.report.data import ReportData
from opengap.web.api import Board, Filters, ModelRef
from opengap.web.params import GapBy, GapMethod
from opengap.web.state import Dashboard

router = APIRouter(include_in_schema=False)

NAV = [
    ("/", "Overview"), ("/gap", "Gap"), ("/breakdowns", "Breakdowns"),
    ("/sensitivity", "Sensitivity"), ("/compare", "Methods"), ("/benchmarks", "Benchmarks"),
    ("/costs", "Price & size"), ("/models", "Models"),
    ("/fit", "Fit & provenance"), ("/api", "API"),
]  # fmt: skip
SIZE_CLASSES = ["<10B", "10-49B", "50-199B", ">=200B", "unknown"]
SCORE_COLUMNS = ["benchmark_id", "value", "normalized", "harness", "setting", "source",
                 "source_url"]  # fmt: skip


def model_url(model_id: str) -> str:
    """Return the dashboard page of a model."""
    return "/models/" + quote(str(model_id), safe="")


def cached_page(request: Request, board: Dashboard, build: Callable[[], str]) -> Response:
    """Return the page ``build()`` renders, rendered once per store state and URL."""
    key = ("page", request.url.path, request.url.query)
    return HTMLResponse(board.cached(key, build))


def _render(request: Request, template: str, twin: str, **context: Any) -> str:
    env = request.app.state.templates
    page: str = env.get_template(template).render(
        nav=request.app.state.nav, request_path=request.url.path, twin=twin,
        model_url=model_url, **context,
    )  # fmt: skip
    return page


def _report_page(
    request: Request, data: ReportData, sections: list[str], twin: str, title: str,
    figures: list[str],
) -> str:
    built = report_figures(data, only=figures)  # only the charts this page shows
    snippets = {name: Markup(charts.figure_html(built[name], f"chart-{name}"))
                for name in built if any(name.startswith(f) for f in figures)}  # fmt: skip
    context = page_context(data, snippets, model_url=model_url)
    context.pop("model_url")
    return _render(request, "report_page.html", twin, sections=sections, title=title,
                   **context)  # fmt: skip


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, board: Board) -> Response:
    """Headline, frontier and the gap over time (twin: ``/api/gap``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(), ["_headline.html", "_frontier.html", "_gap_series.html"],
        "/api/gap", "Overview", ["frontier", "gap-over-time"]))  # fmt: skip


@router.get("/breakdowns", response_class=HTMLResponse)
def breakdowns(request: Request, board: Board) -> Response:
    """The gap by domain, country and size (twin: ``/api/breakdowns``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(breakdowns=True), ["_breakdowns.html"], "/api/breakdowns",
        "Breakdowns", ["breakdown-"]))  # fmt: skip


@router.get("/sensitivity", response_class=HTMLResponse)
def sensitivity(request: Request, board: Board) -> Response:
    """Leave-one-benchmark-out, subsets and harness offsets (twin: ``/api/sensitivity``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(sensitivity=True), ["_sensitivity.html"], "/api/sensitivity",
        "Sensitivity", ["sensitivity-", "harness-"]))  # fmt: skip


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, board: Board) -> Response:
    """Evaluators' methods side by side and the chain between them (twin: ``/api/compare``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(compare=True), ["_compare.html"], "/api/compare",
        "Evaluators' methods", ["compare-"]))  # fmt: skip


@router.get("/benchmarks", response_class=HTMLResponse)
def benchmarks(request: Request, board: Board) -> Response:
    """Benchmarks on the model scale (twin: ``/api/benchmarks``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(), ["_benchmarks.html"], "/api/benchmarks", "Benchmarks",
        ["benchmarks"]))  # fmt: skip


@router.get("/costs", response_class=HTMLResponse)
def costs(request: Request, board: Board) -> Response:
    """The gap at equal price and active parameters, cheapest over time (twin: ``/api/costs``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(costs=True), ["_costs.html"], "/api/costs",
        "Price & size", ["cost-"]))  # fmt: skip


@router.get("/fit", response_class=HTMLResponse)
def fit(request: Request, board: Board) -> Response:
    """The fit's configuration, sources and how to reproduce it (twin: ``/api/fit``)."""
    return cached_page(request, board, lambda: _report_page(
        request, board.report_data(), ["_provenance.html"], "/api/fit", "Fit & provenance", []))


@router.get("/gap", response_class=HTMLResponse)
def gap(
    request: Request,
    board: Board,
    by: Annotated[GapBy, Query()] = "weights",
    method: Annotated[GapMethod, Query()] = "lag",
) -> Response:
    """The gap by any grouping and method (twin: ``/api/gap?by=…&method=…``)."""

    def build() -> str:
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

    return cached_page(request, board, build)


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, board: Board, filters: Filters) -> Response:
    """The model explorer (twin: ``/api/models`` with the same filters)."""

    def build() -> str:
        table = board.models(filters)
        query = filters.query_string()
        twin = "/api/models" + ("?" + urlencode(query) if query else "")
        return _render(request, "models.html", twin, rows=to_jsonable(table),
                       filters=filters, size_classes=SIZE_CLASSES, n=len(table),
                       title="Models")  # fmt: skip

    return cached_page(request, board, build)


@router.get("/models/{model_id:path}", response_class=HTMLResponse)
def model(request: Request, board: Board, model_id: ModelRef) -> Response:
    """One model's card, as ``opengap card`` gives it (twin: ``/api/cards/{id}``)."""

    def build() -> str:
        found = board.model(model_id)
        card = to_jsonable(found["card"].to_dict())
        scores = pd.DataFrame(card["scores"], columns=SCORE_COLUMNS)
        chart = Markup(charts.figure_html(charts.model_scores_figure(scores), "chart-scores"))
        twin = "/api/cards/" + quote(str(card["model_id"]), safe="")
        return _render(request, "model.html", twin, model=to_jsonable(found["model"]),
                       card=card, chart=chart, title=str(card["name"] or card["model_id"]))

    return cached_page(request, board, build)


@router.post("/jobs/fit")
def start_fit(request: Request, board: Board) -> Response:
    """Fit the default preset in the background, then show its progress page."""
    _same_origin(request)
    if board.state().fit_id is not None:  # fitted meanwhile (or by the CLI): nothing to do
        return RedirectResponse("/", status_code=303)
    board.start_fit()
    return RedirectResponse("/jobs/fit", status_code=303)


@router.get("/jobs/fit", response_class=HTMLResponse)
def fit_progress(request: Request, board: Board) -> Response:
    """The progress of the fit started from the dashboard; the overview once it is done."""
    job = board.fit_job()
    if job is None or job.status == "done":
        return RedirectResponse("/", status_code=303)
    running = job.status == "running"
    page = request.app.state.templates.get_template("job.html").render(
        nav=request.app.state.nav, request_path=request.url.path, title="Fit",
        heading="Fitting the capability scale…" if running else "The fit failed",
        job=job.to_dict(), refresh=2 if running else None, offer_fit=not running,
        message="", db=str(board.path), busy=False, back="/",
    )  # fmt: skip
    return HTMLResponse(page, status_code=202 if running else 200)


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another site (a page elsewhere cannot start work here)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="cross-origin request refused")


@router.get("/docs", include_in_schema=False)
def docs_redirect() -> Response:
    """The interactive docs need a CDN; the offline API page replaces them."""
    return RedirectResponse("/api", status_code=307)


@router.get("/api", response_class=HTMLResponse)
def api_docs(request: Request, board: Board) -> Response:
    """The API's endpoints and parameters, from the OpenAPI schema (works offline)."""
    return cached_page(request, board, lambda: _api_docs(request))


def _api_docs(request: Request) -> str:
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

