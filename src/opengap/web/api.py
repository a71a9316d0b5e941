"""The dashboard's JSON API (``/api/…``): the JSON twin of every page, documented by OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from opengap.cli.common import to_jsonable
from opengap.errors import NoFit
from opengap.report.data import benchmark_table, frontier_dict, provenance
from opengap.web.errors import ERROR_RESPONSES
from opengap.web.params import Domain, GapBy, GapMethod, ModelFilters, model_filters
from opengap.web.state import Dashboard

router = APIRouter(prefix="/api", tags=["api"], responses=ERROR_RESPONSES)

ModelRef = Annotated[
    str, Path(max_length=300, description="Model id or any alias of it (any case).")
]


class ModelRow(BaseModel):
    """One model in the explorer: catalogue facts and its capability in the latest fit."""

    model_id: str
    name: str | None = None
    organization: str | None = None
    country: str | None = None
    release_date: str | None = None
    weights: str | None = None
    license: str | None = None
    license_class: str | None = None
    params_total_b: float | None = None
    params_active_b: float | None = None
    size_class: str
    """Size class by total parameters (``unknown`` when not known)."""
    fitted_as: str | None = None
    """The model group this version was fitted as, when it is not fitted on its own."""
    capability: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_benchmarks: int | None = None
    is_anchor: bool | None = None
    rank: int | None = None
    """Position by capability in the latest fit (1 = best)."""


def dashboard(request: Request) -> Dashboard:
    """FastAPI dependency: the app's :class:`Dashboard`."""
    board: Dashboard = request.app.state.dashboard
    return board


Board = Annotated[Dashboard, Depends(dashboard)]
Filters = Annotated[ModelFilters, Depends(model_filters)]


def cached_json(request: Request, board: Board, build: Callable[[], Any]) -> Response:
    """Return ``build()`` as JSON, serialised once per store state and URL."""
    key = ("json", request.url.path, request.url.query)
    body = board.cached(key, lambda: json.dumps(to_jsonable(build())).encode())
    return Response(body, media_type="application/json")


@router.get("/models", response_model=list[ModelRow])
def api_models(request: Request, board: Board, filters: Filters) -> Any:
    """Every model matching the filters (all of them unless ``limit``), best first.

    Example: ``/api/models?weights=open&size=10-49B&limit=10``
    """
    return cached_json(request, board, lambda: board.models(filters))


@router.get("/models/{model_id:path}", response_model=dict[str, Any])
def api_model(request: Request, board: Board, model_id: ModelRef) -> Any:
    """One model: its explorer row, its card (as ``/api/cards/{id}``) and every score."""

    def build() -> dict[str, Any]:
        found = board.model(model_id)
        card = found["card"].to_dict()
        return {"model": found["model"], "card": card, "scores": card["scores"],
                "fit_id": found["fit_id"]}  # fmt: skip

    return cached_json(request, board, build)


@router.get("/cards/{model_id:path}", response_model=dict[str, Any])
def api_card(request: Request, board: Board, model_id: ModelRef) -> Any:
    """One model's card on the latest fit, as ``opengap card MODEL --json`` prints it.

    Unknown facts are null; a model outside the fit has ``in_fit: false`` and
    ``not_in_fit_reason``. Example: ``/api/cards/deepseek-r1``
    """
    return cached_json(request, board, lambda: board.card(model_id).to_dict())


@router.get("/benchmarks", response_model=list[dict[str, Any]])
def api_benchmarks(
    request: Request,
    board: Board,
    domain: Annotated[Domain | None, Query(description="Only this domain.")] = None,
) -> Any:
    """Every benchmark, with its difficulty and slope in the latest fit (null when not fitted)."""

    def build() -> Any:
        frame = board.benchmarks()
        return frame if domain is None else frame.loc[frame["domain"] == domain]

    return cached_json(request, board, build)


@router.get("/fit", response_model=dict[str, Any])
def api_fit(request: Request, board: Board) -> Any:
    """The latest fit: every model and benchmark parameter, configuration and provenance."""

    def build() -> dict[str, Any]:
        data = board.report_data()
        out: dict[str, Any] = to_jsonable(data.fit.to_dict())
        out["provenance"] = to_jsonable(provenance(data))
        out["benchmark_table"] = to_jsonable(benchmark_table(data.fit))
        return out

    return cached_json(request, board, build)


@router.get("/costs", response_model=dict[str, Any])
def api_costs(request: Request, board: Board) -> Any:
    """The cost and size frontiers on the latest fit, by ``price`` and ``active-params``.

    Each as ``opengap frontier --by BY --json`` prints it (``missing`` says why one is empty,
    e.g. no prices stored, and the command that imports them); ``problems`` names a frontier
    that could not be computed.
    """

    def build() -> dict[str, Any]:
        frontiers, problems = board.costs()
        out: dict[str, Any] = {by: frontier_dict(r) for by, r in frontiers.items()}
        out["problems"] = problems
        return out

    return cached_json(request, board, build)


@router.get("/gap", response_model=dict[str, Any])
def api_gap(
    request: Request,
    board: Board,
    by: Annotated[GapBy, Query(description="weights (open vs closed) or a grouping.")] = (
        "weights"
    ),
    method: Annotated[GapMethod, Query(description="lag, catch-up or trend.")] = "lag",
) -> Any:
    """The gap on the latest fit, as ``opengap gap --by BY --method METHOD --json`` prints it."""
    return cached_json(request, board, lambda: board.gap(by, method))


@router.get("/breakdowns", response_model=dict[str, Any])
def api_breakdowns(request: Request, board: Board) -> Any:
    """The gap by domain, country and size class (tables as arrays of rows).

    Computed in the background on first request: until it is ready the answer is ``202``
    ``{"status": "computing", "job": {…}}`` with ``Retry-After``.
    """
    return cached_json(request, board, board.breakdowns)


@router.get("/compare", response_model=dict[str, Any])
def api_compare(request: Request, board: Board) -> Any:
    """Each evaluator's method on the store and the chain from CAISI's to Epoch's.

    As ``opengap compare --json`` prints it; computed in the background on first request
    (eight refits), then cached: until it is ready the answer is ``202`` with ``Retry-After``.
    """
    return cached_json(request, board, board.compare)


@router.get("/sensitivity", response_model=dict[str, Any])
def api_sensitivity(request: Request, board: Board) -> Any:
    """What moves the gap: leave-one-benchmark-out, subsets, harness offsets, widening.

    Computed in the background on first request (it refits the scale once per benchmark), then
    cached: until it is ready the answer is ``202`` ``{"status": "computing", "job": {…}}``
    with ``Retry-After``.
    """
    return cached_json(request, board, board.sensitivity)


@router.get("/jobs/fit")
def api_fit_job(board: Board) -> dict[str, Any]:
    """The fit started from the dashboard (``POST /jobs/fit``): status and progress."""
    job = board.fit_job()
    if job is None:
        raise NoFit("no fit was started from the dashboard")
    return job.to_dict()

