"""The dashboard's FastAPI application: :func:`create_app` over one store, read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request, Response

from opengap import __version__, charts
from opengap.report import environment
from opengap.web import api, errors, pages
from opengap.web.state import Dashboard

TEMPLATES = Path(__file__).parent / "templates"

DESCRIPTION = """\
How far open-weight language models trail closed ones, live over an opengap store (read-only).

Every page of the dashboard has a JSON twin here. Errors always have the shape
`{"error": {"type", "message", "status", "details"}}`: 404 for an unknown model or benchmark or
a store without a fit, 422 for an invalid parameter.
"""


def create_app(db: str | Path | None = None) -> FastAPI:
    """Return the dashboard over the store ``db`` (default: ``OPENGAP_DB`` or the user's).

    Parameters
    ----------
    db : str or Path, optional
        The store file, opened read-only.

    Returns
    -------
    FastAPI
        Pages at ``/``, ``/models``…, the JSON API under ``/api`` and its OpenAPI schema at
        ``/openapi.json`` (Swagger UI at ``/docs``; an offline summary at ``/api``).

    Examples
    --------
    >>> import uvicorn  # doctest: +SKIP
    >>> uvicorn.run(create_app("opengap.duckdb"), host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    board = Dashboard(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        board.close()

    app = FastAPI(title="opengap", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan)  # fmt: skip
    app.state.dashboard = board
    app.state.templates = environment(TEMPLATES)
    app.state.nav = pages.NAV
    errors.install(app)
    app.middleware("http")(_drop_empty_form_fields)
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(charts.plotly_js(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip

    return app


async def _drop_empty_form_fields(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """On pages (not the API), treat ``?weights=`` from an empty form field as unset."""
    if not request.url.path.startswith("/api/") and request.scope.get("query_string"):
        pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if v != ""]
        if len(kept) != len(pairs):
            request.scope["query_string"] = urlencode(kept).encode("latin-1")
    return await call_next(request)
