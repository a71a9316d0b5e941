"""Cache hits are pre-rendered bytes: gzip when accepted, an ETag and 304, the Host still checked.

The performance itself is measured by ``benchmarks/bench_load.py``; these tests check what a
hit answers.
"""

from __future__ import annotations

import gzip
import zlib

from fastapi.testclient import TestClient

from opengap.web.app import SECURITY_HEADERS


def _raw(client: TestClient, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` and return status, headers and the body as sent (not decompressed)."""
    with client.stream("GET", url, headers=headers) as response:
        body = b"".join(response.iter_raw())
        return response.status_code, dict(response.headers), body


def test_a_repeated_page_is_gzip_with_an_etag_and_the_same_content(client: TestClient) -> None:
    first = client.get("/models", headers={"accept-encoding": "identity"})
    assert first.status_code == 200
    status, headers, body = _raw(client, "/models", **{"accept-encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "accept-encoding"
    assert int(headers["content-length"]) == len(body) < len(first.content) / 3
    assert gzip.decompress(body) == first.content
    status, plain_headers, plain = _raw(client, "/models", **{"accept-encoding": "identity"})
    assert status == 200 and "content-encoding" not in plain_headers and plain == first.content
    assert plain_headers["etag"] != headers["etag"]  # one ETag per encoding


def test_a_client_holding_the_etag_gets_304_without_a_body(client: TestClient) -> None:
    client.get("/api/models")
    status, headers, _ = _raw(client, "/api/models", **{"accept-encoding": "gzip"})
    etag = headers["etag"]
    status, again, body = _raw(client, "/api/models",
                               **{"accept-encoding": "gzip", "if-none-match": etag})  # fmt: skip
    assert status == 304 and body == b"" and again["etag"] == etag
    status, _, body = _raw(client, "/api/models", **{"accept-encoding": "gzip",
                                                     "if-none-match": '"other"'})  # fmt: skip
    assert status == 200 and zlib.decompress(body, 31)


def test_hits_carry_the_security_headers(client: TestClient) -> None:
    client.get("/benchmarks")
    hit = client.get("/benchmarks")
    for name, value in SECURITY_HEADERS:
        assert hit.headers[name.decode()] == value.decode()


def test_a_foreign_host_is_refused_even_for_a_cached_page(client: TestClient) -> None:
    assert client.get("/models").status_code == 200
    assert client.get("/models").status_code == 200  # now cached
    refused = client.get("/models", headers={"host": "evil.example"})
    assert refused.status_code == 400
