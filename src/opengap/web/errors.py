"""Every dashboard error in one shape: ``{"error": {"type", "message", "status", "details"}}``.

The library's :class:`~opengap.errors.OpengapError`, request validation failures (422) and
HTTP errors (404 for unknown pages) all go through :func:`error_response`. Under ``/api`` the
answer is that JSON; on a page it is the same message as HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from opengap.errors import NoFit, OpengapError, StoreInUse, UnknownBenchmark, UnknownModel
from opengap.web.state import Computing, Dashboard

log = logging.getLogger("opengap.web")

NOT_FOUND = (UnknownModel, UnknownBenchmark, NoFit)
"""Library errors answered with 404; every other :class:`OpengapError` is a 422.

On a page, a store without a fit answers the offer to fit instead; a result still being
computed answers 202 with a page that refreshes every :data:`REFRESH_SECONDS`; a store another
process keeps writing answers 503 (``Retry-After``)."""
REFRESH_SECONDS = 2


class ErrorBody(BaseModel):
    """What went wrong, in one line."""

    type: str
    """The error class: ``UnknownModel``, ``NoFit``, ``InvalidParameter``, ``NotFound``…"""
    message: str
    """One line for a person."""
    status: int
    """The HTTP status code."""
    details: list[dict[str, Any]] | None = None
    """For ``InvalidParameter``: each invalid parameter (``loc``, ``msg``)."""


class ErrorResponse(BaseModel):
    """The JSON shape of every error the dashboard answers."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown model, benchmark or no fit yet"},
    422: {"model": ErrorResponse, "description": "Invalid parameter"},
}


def error_response(
    request: Request,
    status: int,
    kind: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
) -> Response:
    """Return the error as JSON under ``/api`` (and for non-pages), else as an HTML page."""
    body = ErrorResponse(error=ErrorBody(type=kind, message=message, status=status,
                                         details=details))  # fmt: skip
    if not _is_page(request):
        return JSONResponse(body.model_dump(exclude_none=True), status_code=status)
    templates = request.app.state.templates
    page = templates.get_template("error.html").render(
        error=body.error, request_path=request.url.path, nav=request.app.state.nav,
        title=f"Error {status}",
    )  # fmt: skip
    return HTMLResponse(page, status_code=status)


def _job_page(
    request: Request, status: int, heading: str, headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """Return the page of a background job: computing (refreshing), offer to fit, or busy."""
    values: dict[str, Any] = {"job": None, "offer_fit": False, "busy": False, "message": "",
                              "db": "", "refresh": None, "back": request.url.path}  # fmt: skip
    values.update(context)
    page = request.app.state.templates.get_template("job.html").render(
        nav=request.app.state.nav, request_path=request.url.path, title=heading,
        heading=heading, **values,
    )  # fmt: skip
    return HTMLResponse(page, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})  # fmt: skip


def _is_page(request: Request) -> bool:
    path = request.url.path
    if path == "/api":
        return True
    return not path.startswith(("/api/", "/static/", "/openapi.json"))


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    async def library_error(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NOT_FOUND) else 422
        return error_response(request, status, type(exc).__name__, str(exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        message = "; ".join(f"{_where(d['loc'])}: {d['msg']}" for d in details)
        return error_response(request, 422, "InvalidParameter", message, details)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = "NotFound" if exc.status_code == 404 else "HTTPError"
        message = f"no such page: {request.url.path}" if exc.status_code == 404 else str(
            exc.detail)
        return error_response(request, exc.status_code, kind, message)

    async def computing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Computing)
        job = exc.job.to_dict()
        headers = {"Retry-After": str(REFRESH_SECONDS)}
        if not _is_page(request):
            return JSONResponse({"status": "computing", "job": job}, status_code=202,
                                headers=headers)  # fmt: skip
        return _job_page(request, 202, f"Computing {job['name']}…", headers=headers, job=job,
                         refresh=REFRESH_SECONDS)  # fmt: skip

    async def no_fit(request: Request, exc: Exception) -> Response:
        board: Dashboard = request.app.state.dashboard
        if not _is_page(request):
            return error_response(request, 404, "NoFit", str(exc))
        job = board.fit_job()
        if job is not None and job.status == "running":
            return _job_page(request, 202, "Fitting the capability scale…", job=job.to_dict(),
                             refresh=REFRESH_SECONDS)  # fmt: skip
        return _job_page(request, 200, "No fit yet", offer_fit=True, message=str(exc),
                         db=str(board.path),
                         job=job.to_dict() if job is not None else None)  # fmt: skip

    async def busy(request: Request, exc: Exception) -> Response:
        headers = {"Retry-After": str(REFRESH_SECONDS)}
        if not _is_page(request):
            body = ErrorResponse(error=ErrorBody(type="StoreInUse", message=str(exc),
                                                 status=503))  # fmt: skip
            return JSONResponse(body.model_dump(exclude_none=True), status_code=503,
                                headers=headers)  # fmt: skip
        return _job_page(request, 503, "The store is busy", headers=headers, busy=True,
                         message=str(exc), refresh=REFRESH_SECONDS)  # fmt: skip

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path, exc_info=exc)
        return error_response(request, 500, "InternalError",
                              "internal error; see the server log")  # fmt: skip

    app.add_exception_handler(Computing, computing)
    app.add_exception_handler(NoFit, no_fit)
    app.add_exception_handler(StoreInUse, busy)
    app.add_exception_handler(OpengapError, library_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _where(loc: Sequence[str]) -> str:
    if len(loc) >= 2 and loc[0] in ("query", "path"):
        return f"{loc[0]} parameter {loc[1]!r}"
    return ".".join(loc) or "request"
