"""The dashboard's FastAPI application: :func:`create_app` over one store, read-only."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opengap import __version__, charts
from opengap.report import environment
from opengap.web import api, errors, pages
from opengap.web.state import Dashboard

TEMPLATES = Path(__file__).parent / "templates"

DESCRIPTION = """\
How far open-weight language models trail closed ones, live over an opengap store (read-only).

Every page of the dashboard has a JSON twin here. Errors always have the shape
`{"error": {"type", "message", "status", "details"}}`: 404 for an unknown model or benchmark or
a store without a fit, 422 for an invalid parameter, 503 while another process keeps the store
locked. Slow results (`/api/sensitivity`, `/api/breakdowns`) answer `202`
`{"status": "computing", "job": {…}}` with `Retry-After` until they are ready.
"""


def create_app(db: str | Path | None = None, *, host: str = "127.0.0.1") -> FastAPI:
    """Return the dashboard over the store ``db`` (default: ``OPENGAP_DB`` or the user's).

    Parameters
    ----------
    db : str or Path, optional
        The store file: it must exist; it is only ever opened read-only and briefly.
    host : str
        The address the server binds: requests must name it (or a loopback name) in their
        ``Host`` header, which defeats DNS rebinding.

    Returns
    -------
    FastAPI
        Pages at ``/``, ``/models``…, the JSON API under ``/api`` and its OpenAPI schema at
        ``/openapi.json``; the API's documentation page ``/api`` is built from that schema and
        works offline (``/docs`` leads there; the CDN-based Swagger UI and ReDoc are off).

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
                  lifespan=lifespan, docs_url=None, redoc_url=None)  # fmt: skip
    app.state.dashboard = board
    app.state.templates = environment(TEMPLATES)
    app.state.nav = pages.NAV
    errors.install(app)
    app.middleware("http")(_drop_empty_form_fields)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host))
    app.add_middleware(SecurityHeaders)

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly_bytes(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip

    return app


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(host: str) -> list[str]:
    """Return the ``Host`` names accepted when bound to ``host``: it and the loopback names.

    Bound to every interface (``0.0.0.0``/``::``), the machine's own name and addresses are
    accepted too; any other name is refused with 400 (a DNS-rebinding page names its own).
    """
    names = [*LOOPBACK_NAMES, host]
    if host in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
        names.append(name)
        with suppress(OSError):
            names += sorted({str(info[4][0]) for info in socket.getaddrinfo(name, None)})
    return list(dict.fromkeys(names))


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Everything from the dashboard itself: no CDN, no framing. Inline scripts are plotly's
figure snippets (the page text itself never carries user input unescaped)."""

SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_headers)


@cache
def _plotly_bytes() -> bytes:
    return charts.plotly_js().encode()


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
