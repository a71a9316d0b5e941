"""The dashboard's FastAPI application: :func:`create_app` over one store, which it only reads
(except the fit a person asks for on a store without one)."""

from __future__ import annotations

import gzip
import hashlib
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opengap import __version__, charts
from opengap.report import environment
from opengap.web import api, errors, pages
from opengap.web.state import Dashboard

TEMPLATES = Path(__file__).parent / "templates"

DESCRIPTION = """\
How far open-weight language models trail closed ones, live over an opengap store (read-only,
except the fit a person asks for on a store without one: `POST /jobs/fit`).

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
        The store file: it must exist; it is opened read-only and briefly (written once only
        to save a fit asked for with the Fit button).
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
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host))
    app.add_middleware(SecurityHeaders)
    # Outermost: a repeated request is answered before any other layer runs. Answers are kept
    # per Host header, so only a Host the check above accepted is ever answered from memory.
    app.add_middleware(ResponseCache, board=board)

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


COMPRESSIBLE = (b"text/", b"application/json", b"application/javascript")
"""Content types kept gzip-compressed beside the plain bytes (compressed once per store state)."""
MIN_COMPRESS = 1024
"""Bodies shorter than this are not compressed."""


@dataclass(frozen=True)
class _Kept:
    """One cached answer: headers and body, plain and (when worth it) gzip-compressed."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    gzip_headers: list[tuple[bytes, bytes]] | None = None
    gzip_body: bytes | None = None

    @classmethod
    def of(cls, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> _Kept:
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        plain = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"vary")]
        plain += [(b"etag", etag), (b"vary", b"accept-encoding")]
        kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
        if encoded or len(body) < MIN_COMPRESS or not kind.startswith(COMPRESSIBLE):
            return cls(status, plain, body, etag)
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        gz_etag = etag[:-1] + b'-gz"'
        gz = [(k, v) for k, v in plain if k.lower() not in (b"content-length", b"etag")]
        gz += [(b"content-length", str(len(packed)).encode()), (b"content-encoding", b"gzip"),
               (b"etag", gz_etag)]  # fmt: skip
        return cls(status, plain, body, etag, gz, packed)

    def answer(self, request_headers: list[tuple[bytes, bytes]]) -> tuple[int, list[Any], bytes]:
        """Return (status, headers, body) for a request: 304, gzip or plain."""
        accept = match = b""
        for key, value in request_headers:
            if key == b"accept-encoding":
                accept = value
            elif key == b"if-none-match":
                match = value
        use_gzip = self.gzip_body is not None and b"gzip" in accept
        headers = self.gzip_headers if use_gzip and self.gzip_headers else self.headers
        etag = next(v for k, v in headers if k == b"etag")
        if match and (match.strip() == b"*" or etag in match.replace(b"W/", b"").split(b", ")):
            kept = [(k, v) for k, v in headers if k not in (b"content-length",
                                                             b"content-encoding")]  # fmt: skip
            return 304, kept, b""
        return self.status, headers, (self.gzip_body or b"") if use_gzip else self.body


class ResponseCache:
    """ASGI middleware answering a repeated GET from memory while the store is unchanged.

    The outermost layer: a complete 200 answer is kept under (store state, Host, path, query)
    with its bytes pre-rendered, plain and gzip-compressed, and an ETag; the next identical
    request is answered with one ``stat`` of the store file, before the Host check (only a Host
    it accepted has answers kept), routing, validation or the thread pool: gzip when the client
    accepts it, 304 when it already holds the ETag. When the file changed, the request goes
    through the app (which re-reads the store's state) and the cache starts over. Job pages
    (``/jobs``, ``/api/jobs``) and answers marked ``Cache-Control: no-store`` (the offer to
    fit) are never kept. On pages (not the API) an empty form field (``?weights=``) counts as
    unset.
    """

    def __init__(self, app: ASGIApp, board: Dashboard, size: int = 512) -> None:
        self.app = app
        self.board = board
        self.size = size
        self._state: Any = None
        self._hits: OrderedDict[tuple[bytes, str, bytes], _Kept] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not path.startswith("/api/") and scope.get("query_string"):
            scope = {**scope, "query_string": _drop_empty(scope["query_string"])}
        if scope["method"] != "GET" or path.startswith(("/jobs", "/api/jobs")):
            await self.app(scope, receive, send)
            return
        state = self.board.unchanged_state()
        if state is not None and state != self._state:
            self._hits.clear()
            self._state = state
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        host = next((v for k, v in headers if k == b"host"), b"")
        key = (host, path, bytes(scope.get("query_string", b"")))
        hit = self._hits.get(key) if state is not None else None
        if hit is not None:
            self._hits.move_to_end(key)
            status, out, body = hit.answer(headers)
            await send({"type": "http.response.start", "status": status, "headers": out})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                kept = start.get("headers", [])
                if not message.get("more_body") and start.get("status") == 200 and (
                        state is not None and state == self._state) and (
                        (b"cache-control", b"no-store") not in kept):
                    self._hits[key] = _Kept.of(200, list(kept), b"".join(chunks))
                    while len(self._hits) > self.size:
                        self._hits.popitem(last=False)
            await send(message)

        await self.app(scope, receive, keep)


def _drop_empty(query: bytes) -> bytes:
    """Return the query string without empty fields (``?weights=`` from an unfilled form)."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if v != ""]
    return query if len(kept) == len(pairs) else urlencode(kept).encode("latin-1")
