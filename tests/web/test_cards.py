"""The dashboard's model card: the library's record (``opengap card``), on a hand-made catalogue.

The priced catalogue of ``tests/conftest.py``: five models with known capabilities (logits),
sizes, prices and facts; a fine-tune scored on two benchmarks only and a model without scores,
which are not in the fit and say why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from opengap import fitting
from opengap.cli import app
from opengap.store import Store
from opengap.web import create_app


@pytest.fixture(scope="module")
def unfitted(priced_db: Path) -> Path:
    return priced_db


@pytest.fixture(scope="module")
def fitted(priced_fitted_db: Path) -> Path:
    return priced_fitted_db


@pytest.fixture(scope="module")
def client(fitted: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fitted), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _cli_card(db: Path, model: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["card", model, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


@pytest.mark.parametrize("model", ["open-large", "Open-Mid", "closed-big", "ft-1",
                                   "open-noscores", "open-moe-small"])  # fmt: skip
def test_json_twin_is_the_cli_card(client: TestClient, fitted: Path, model: str) -> None:
    response = client.get(f"/api/cards/{model}")
    assert response.status_code == 200, response.text
    assert response.json() == _cli_card(fitted, model)


def test_card_page_shows_every_factor(client: TestClient, fitted: Path) -> None:
    page = client.get("/models/open-large")
    assert page.status_code == 200
    html = page.text
    with Store(fitted, read_only=True) as store:
        own = fitting.load_fit(store).models.set_index("model_id").loc["open-large"]
    interval = f"(90% CI {own['ci_low']:.1f}–{own['ci_high']:.1f}) on the raw scale"
    assert f"<tr><th>Capability</th><td>{own['capability']:.1f} {interval}</td></tr>" in html
    # closed-big (2.0) is the only model above it (5 fitted); the best of the 3 open ones
    assert "<tr><th>Rank overall</th><td>2 of 5</td></tr>" in html
    assert "<tr><th>Rank among open models</th><td>1 of 3</td></tr>" in html
    assert "<tr><th>Size class</th><td>&gt;=250B</td></tr>" in html
    assert "<tr><th>Percentile in size class</th><td>50.0 (among 1 fitted models)</td></tr>" in html
    front = "<tr><th>On the capability-vs-active-parameters front</th><td>yes</td></tr>"
    assert front in html
    assert "<tr><th>Parameters (total / active)</th><td>600.0B / 30.0B</td></tr>" in html
    assert "<tr><th>Organisation</th><td>OpenLab</td></tr>" in html
    assert "<tr><th>Origin country</th><td>China</td></tr>" in html
    assert "<tr><th>Released</th><td>2025-03-01</td></tr>" in html
    assert "<tr><th>Licence</th><td>MIT (class: permissive)</td></tr>" in html
    assert "<tr><th>Tooling support</th><td>unknown</td></tr>" in html
    assert ("<tr><th>Price, USD per 1M tokens</th><td>blended 2.00, input 1.00, output — "
            "(test-prices, 2025-06-01)</td></tr>") in html
    assert html.count("<td>inspect</td>") == 5  # the five scores behind it
    assert '<a class="twin" href="/api/cards/open-large">' in html


def test_card_page_unknowns_derivatives_and_front(client: TestClient) -> None:
    mid = client.get("/models/open-mid").text
    # open-moe-small (3B active, 0.6) beats open-mid (30B active, 0.5): not on the front
    assert "<tr><th>On the capability-vs-active-parameters front</th><td>no</td></tr>" in mid
    assert "<tr><th>Fine-tunes in the catalogue</th><td>1</td></tr>" in mid  # ft-1
    assert "<tr><th>Percentile in size class</th><td>25.0 (among 2 fitted models)" in mid
    closed = client.get("/models/closed-big").text
    for fact in ("Organisation", "Origin country", "Size class", "Base model",
                 "Rank among open models", "Fine-tunes in the catalogue"):
        assert f"<tr><th>{fact}</th><td>unknown</td></tr>" in closed
    assert "<tr><th>Parameters (total / active)</th><td>unknown / unknown</td></tr>" in closed
    assert "<tr><th>On the capability-vs-active-parameters front</th><td>unknown</td>" in closed
    moe = client.get("/models/open-moe-small").text
    assert "<tr><th>Price, USD per 1M tokens</th><td>unknown</td></tr>" in moe  # not zero


def test_models_outside_the_fit_say_why(client: TestClient) -> None:
    ft = client.get("/models/ft-1")
    assert ft.status_code == 200
    assert ("not in the fit: scored on 2 benchmark(s), fewer than the 4 the fit requires "
            "(min_benchmarks)") in ft.text
    assert '<tr><th>Base model</th><td><a href="/models/open-mid">open-mid</a></td></tr>' in ft.text
    none = client.get("/models/open-noscores")
    assert none.status_code == 200
    assert "not in the fit: no scores in the store" in none.text
    assert "No scores." in none.text
    body = client.get("/api/cards/open-noscores").json()
    assert body["in_fit"] is False and body["capability"] is None and body["scores"] == []


def test_unknown_model_is_a_404_page_with_the_closest_names(client: TestClient) -> None:
    page = client.get("/models/open-larg")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "unknown model &#39;open-larg&#39; (did you mean &#39;open-large&#39;" in page.text
    body = client.get("/api/cards/open-larg")
    assert body.status_code == 404
    assert body.json()["error"]["type"] == "UnknownModel"
    assert "did you mean 'open-large'" in body.json()["error"]["message"]


def test_model_api_carries_the_same_card(client: TestClient) -> None:
    found = client.get("/api/models/open-large").json()
    assert found["card"] == client.get("/api/cards/open-large").json()
    assert found["scores"] == found["card"]["scores"]
    assert found["model"]["model_id"] == "open-large"


def test_card_without_a_fit_says_so(unfitted: Path) -> None:
    with TestClient(create_app(unfitted), base_url="http://127.0.0.1") as client:
        page = client.get("/models/open-large")
        assert page.status_code == 200
        assert "not in the fit: no fit in the store" in page.text
        assert "<tr><th>Organisation</th><td>OpenLab</td></tr>" in page.text
        assert "<tr><th>Size class</th><td>&gt;=250B</td></tr>" in page.text  # needs no fit
        body = client.get("/api/cards/open-large").json()
        assert body == _cli_card(unfitted, "open-large")
