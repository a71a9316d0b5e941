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

from opengap.errors import NoFit, OpengapError, UnknownBenchmark, UnknownModel

log = logging.getLogger("opengap.web")

NOT_FOUND = (UnknownModel, UnknownBenchmark, NoFit)
"""Library errors answered with 404; every other :class:`OpengapError` is a 422."""


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

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path, exc_info=exc)
        return error_response(request, 500, "InternalError",
                              "internal error; see the server log")  # fmt: skip

    app.add_exception_handler(OpengapError, library_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _where(loc: Sequence[str]) -> str:
    if len(loc) >= 2 and loc[0] in ("query", "path"):
        return f"{loc[0]} parameter {loc[1]!r}"
    return ".".join(loc) or "request"
