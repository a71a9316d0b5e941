"""The dashboard's JSON API (``/api/…``): the JSON twin of every page, documented by OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from opengap.cli.common import to_jsonable
from opengap.report.data import benchmark_table, provenance
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


@router.get("/models", response_model=list[ModelRow])
def api_models(board: Board, filters: Filters) -> Any:
    """Every model matching the filters (all of them unless ``limit``), best first.

    Example: ``/api/models?weights=open&size=10-49B&limit=10``
    """
    return to_jsonable(board.models(filters))


@router.get("/models/{model_id:path}")
def api_model(board: Board, model_id: ModelRef) -> dict[str, Any]:
    """One model: catalogue facts, model-card facts (unknown = null) and every score."""
    found = board.model(model_id)
    return {
        "model": to_jsonable(found["model"]),
        "card": to_jsonable(found["card"]),
        "scores": to_jsonable(found["scores"]),
        "fit_id": found["fit_id"],
    }


@router.get("/benchmarks")
def api_benchmarks(
    board: Board,
    domain: Annotated[Domain | None, Query(description="Only this domain.")] = None,
) -> list[dict[str, Any]]:
    """Every benchmark, with its difficulty and slope in the latest fit (null when not fitted)."""
    frame = board.benchmarks()
    if domain is not None:
        frame = frame.loc[frame["domain"] == domain]
    result: list[dict[str, Any]] = to_jsonable(frame)
    return result


@router.get("/fit")
def api_fit(board: Board) -> dict[str, Any]:
    """The latest fit: every model and benchmark parameter, configuration and provenance."""
    data = board.report_data()
    out: dict[str, Any] = to_jsonable(data.fit.to_dict())
    out["provenance"] = to_jsonable(provenance(data))
    out["benchmark_table"] = to_jsonable(benchmark_table(data.fit))
    return out


@router.get("/gap")
def api_gap(
    board: Board,
    by: Annotated[GapBy, Query(description="weights (open vs closed) or a grouping.")] = (
        "weights"
    ),
    method: Annotated[GapMethod, Query(description="lag, catch-up or trend.")] = "lag",
) -> dict[str, Any]:
    """The gap on the latest fit, as ``opengap gap --by BY --method METHOD --json`` prints it."""
    result: dict[str, Any] = to_jsonable(board.gap(by, method))
    return result


@router.get("/breakdowns")
def api_breakdowns(board: Board) -> dict[str, Any]:
    """The gap by domain, country and size class (tables as arrays of rows)."""
    result: dict[str, Any] = to_jsonable(board.breakdowns())
    return result


@router.get("/compare")
def api_compare(board: Board) -> dict[str, Any]:
    """Each evaluator's method on the store and the chain from CAISI's to Epoch's.

    As ``opengap compare --json`` prints it; computed on first request (eight refits), then
    cached.
    """
    result: dict[str, Any] = to_jsonable(board.compare())
    return result


@router.get("/sensitivity")
def api_sensitivity(board: Board) -> dict[str, Any]:
    """What moves the gap: leave-one-benchmark-out, subsets, harness offsets, widening.

    Computed on first request (it refits the scale once per benchmark), then cached.
    """
    result: dict[str, Any] = to_jsonable(board.sensitivity())
    return result

