"""The dashboard's cost and size frontier page and its JSON twin, with prices and without."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from opengap.cli import app
from opengap.web import create_app


@pytest.fixture(scope="module")
def priced(priced_fitted_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(priced_fitted_db), base_url="http://127.0.0.1") as client:
        yield client


def test_twin_is_the_cli_frontier(priced: TestClient, priced_fitted_db: Path) -> None:
    body = priced.get("/api/costs")
    assert body.status_code == 200 and body.headers["content-type"] == "application/json"
    data = body.json()
    for by in ("price", "active-params"):
        result = CliRunner().invoke(app, ["frontier", "--by", by, "--json", "--db",
                                          str(priced_fitted_db)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert data[by] == json.loads(result.stdout)
    assert data["problems"] == {}
    assert data["price"]["missing"] is None


def test_page_shows_both_frontiers_with_charts(priced: TestClient) -> None:
    page = priced.get("/costs")
    assert page.status_code == 200
    html = page.text
    for chart in ("chart-cost-price", "chart-cost-cheapest", "chart-cost-active-params"):
        assert f'id="{chart}"' in html
    assert '<a class="twin" href="/api/costs">' in html
    assert '<a href="/costs">Price &amp; size</a>' in html  # in the navigation
    # at the highest budget (10 USD) closed-big is affordable and leads open-large
    data = priced.get("/api/costs").json()
    top = data["price"]["gap"][-1]
    assert (top["best_open"], top["best_closed"]) == ("open-large", "closed-big")
    assert '<a href="/models/closed-big">closed-big</a>' in html
    assert top["gap_low"] <= top["gap"] <= top["gap_high"]
    gap_cell = f'{top["gap"]:.1f} ({top["gap_low"]:.1f}–{top["gap_high"]:.1f})'
    assert gap_cell in html
    # the cheapest open model over the levels is listed; no closed model has active parameters
    assert "No priced model reaches these levels." not in html
    assert data["active-params"]["gap"][0]["best_closed"] is None


def test_without_prices_the_section_says_why_in_place(client: TestClient) -> None:
    # the hostile catalogue has no prices and no active parameters
    page = client.get("/costs")
    assert page.status_code == 200
    assert ('<p class="problem" id="costs-price-missing">the store holds no prices, so there '
            "is no price frontier: import a source that gives them, e.g. opengap import "
            "artificial-analysis PATH") in page.text
    assert 'id="costs-active-params-missing"' in page.text
    assert 'id="chart-cost-price"' not in page.text
    data = client.get("/api/costs").json()
    assert data["price"]["points"] == [] and data["price"]["gap"] == []
    assert data["price"]["missing"].startswith("the store holds no prices")


def test_without_a_fit_the_page_offers_one(unfitted_client: TestClient) -> None:
    page = unfitted_client.get("/costs")
    assert page.status_code == 200 and "No fit yet" in page.text
    assert unfitted_client.get("/api/costs").status_code == 404
