"""The dashboard's HTML pages: the report's sections live, the explorer, the model page."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

Ready = Callable[[TestClient, str], httpx.Response]

PAGES = [
    "/", "/gap", "/gap?by=size", "/gap?method=catch-up", "/breakdowns", "/sensitivity",
    "/compare", "/benchmarks", "/fit", "/models", "/models?weights=open&size=", "/models/open-3",
    "/costs",
]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_json_twin(client: TestClient, ready: Ready, url: str) -> None:
    page = ready(client, url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    twin = re.search(r'<a class="twin" href="([^"]+)"', page.text)
    assert twin is not None, f"{url} names no JSON twin"
    href = twin.group(1).replace("&amp;", "&")
    assert href.startswith("/api/")
    data = ready(client, href)
    assert data.status_code == 200, data.text
    assert data.headers["content-type"] == "application/json"


def test_overview_shows_the_report_sections_live(client: TestClient) -> None:
    html = client.get("/").text
    for section in ("headline", "frontier", "gap-over-time"):
        assert f'<section id="{section}">' in html
    assert 'id="chart-frontier"' in html and 'id="chart-gap-over-time"' in html
    assert '<script src="/static/plotly.js"></script>' in html
    assert "Open models trail closed by" in html
    assert '<a href="/models/hostile-model">' in html  # best open model links to its page


def test_plotly_is_served_locally(client: TestClient) -> None:
    js = client.get("/static/plotly.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert "plotly.js v" in js.text[:200]


def test_explorer_filters_and_links(client: TestClient) -> None:
    html = client.get("/models?weights=open&country=china").text
    assert "3 models." in html
    assert '<option value="open" selected>' in html
    assert 'href="/models/open-4"' in html
    assert 'href="/models/closed-b3"' not in html
    empty_fields = client.get("/models?weights=&size=&search=")  # as an unfilled form sends
    assert empty_fields.status_code == 200 and "16 models." in empty_fields.text


def test_explorer_rejects_bad_filters_with_a_page(client: TestClient) -> None:
    page = client.get("/models?weights=both")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    expected = "query parameter 'weights': Input should be 'open' or 'closed'"
    assert expected.replace("'", "&#39;") in page.text


def test_model_page_shows_the_card_with_unknowns(client: TestClient) -> None:
    html = client.get("/models/open-7").text
    assert '<h1 id="model-name">Open Seven</h1>' in html
    assert "<tr><th>Origin country</th><td>unknown</td></tr>" in html
    assert "<tr><th>Tooling support</th><td>unknown</td></tr>" in html
    assert "<tr><th>On the capability-vs-active-parameters front</th><td>unknown</td></tr>" in html
    assert "90% CI" in html
    assert 'id="chart-scores"' in html


def test_unknown_model_page_is_a_404_page(client: TestClient) -> None:
    page = client.get("/models/zzzz-qqqq")
    assert page.status_code == 404
    assert "unknown model &#39;zzzz-qqqq&#39;" in page.text


@pytest.mark.parametrize("url", ["/", "/models", "/models/hostile-model", "/benchmarks",
                                 "/sensitivity", "/gap?by=country", "/fit", "/costs"])  # fmt: skip
def test_hostile_names_are_text_on_every_page(
    client: TestClient, ready: Ready, url: str
) -> None:
    html = ready(client, url).text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<i>Nowhere</i>" not in html
    assert "<b>Agent</b>" not in html
    assert "javascript:" not in html


def test_hostile_model_page(client: TestClient) -> None:
    html = client.get("/models/hostile-model").text
    assert '<h1 id="model-name">&lt;script&gt;alert(1)&lt;/script&gt;</h1>' in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;u&gt;hand-made&lt;/u&gt;" in html  # its source, as text
    assert 'href="https://example.org/results"' in html  # other scores link their source
