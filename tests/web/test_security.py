"""Hardening of the dashboard: Host check, security headers, offline API docs, LIKE escaping,
unknown dates as null/—."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opengap import catalog
from opengap.store import Store
from opengap.web import create_app
from opengap.web.app import allowed_hosts

PAGES = ["/", "/models", "/models/open-1", "/api", "/api/models", "/api/gap", "/nowhere"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io"])
def test_a_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/api/models", headers={"Host": host})
    assert response.status_code == 400
    assert "open-1" not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "localhost"])
def test_loopback_host_headers_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/models?limit=1", headers={"Host": host}).status_code == 200


def test_the_bound_host_is_accepted_and_a_wildcard_adds_the_machine_name() -> None:
    assert "192.168.1.5" in allowed_hosts("192.168.1.5")
    assert "evil.example" not in allowed_hosts("127.0.0.1")
    assert socket.gethostname() in allowed_hosts("0.0.0.0")


@pytest.mark.parametrize("url", PAGES)
def test_every_answer_carries_the_security_headers(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "https:" not in csp  # nothing from elsewhere
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_api_docs_are_served_offline(client: TestClient) -> None:
    docs = client.get("/docs", follow_redirects=False)
    assert docs.status_code == 307 and docs.headers["location"] == "/api"
    assert client.get("/redoc").status_code == 404
    page = client.get("/api")
    assert page.status_code == 200
    assert "/api/sensitivity" in page.text and "/api/models" in page.text
    assert "cdn" not in page.text.lower() and 'src="http' not in page.text
    assert client.get("/openapi.json").json()["info"]["title"] == "opengap"


def test_search_wildcards_match_themselves(client: TestClient) -> None:
    every = client.get("/api/models").json()
    assert client.get("/api/models", params={"search": "%"}).json() == [
        r for r in every if "%" in (r["name"] or "") + r["model_id"]]  # fmt: skip
    underscore = client.get("/api/models", params={"search": "_"}).json()
    assert len(underscore) < len(every)
    assert all("_" in (r["name"] or "") + r["model_id"] for r in underscore)


def test_unknown_dates_are_null_in_json_and_a_dash_on_pages(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "models.csv").write_text("model_id,name,release_date,weights\n"
                                       "undated,Undated Model,,open\n")  # fmt: skip
    (folder / "benchmarks.csv").write_text("benchmark_id,name,domain,chance,ceiling\n"
                                           "b1,Bench,math,0,1\n")  # fmt: skip
    (folder / "scores.csv").write_text("model_id,benchmark_id,value,source\nundated,b1,0.5,x\n")
    db = tmp_path / "undated.duckdb"
    with Store(db) as store:
        catalog.import_path(store, "csv", folder, strict=True)
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        (row,) = client.get("/api/models").json()
        assert row["release_date"] is None
        card = client.get("/api/models/undated").json()
        assert card["model"]["release_date"] is None
        for url in ("/models", "/models/undated"):
            page = client.get(url)
            assert page.status_code == 200 and "NaT" not in page.text
            assert "Undated Model" in page.text
        assert "<td>—</td>" in client.get("/models").text
        assert "<th>Released</th><td>unknown</td>" in client.get("/models/undated").text
