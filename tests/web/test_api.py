"""The dashboard's JSON API, in-process: filters, validation (422), the one error shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from opengap.analysis.groups import size_labels
from opengap.web.params import SizeClass

Ready = Callable[[TestClient, str], httpx.Response]
OPEN = {"open-1", "open-2", "open-3", "open-4", "open-5", "open-6", "open-7", "hostile-model"}


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["model_id"] for r in rows]


def _get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_models_is_an_array_of_every_model_best_first(client: TestClient) -> None:
    rows = _get(client, "/api/models")
    assert isinstance(rows, list) and len(rows) == 16
    assert rows[0]["model_id"] == "closed-b3"
    assert rows[0]["rank"] == 1
    capabilities = [r["capability"] for r in rows]
    assert capabilities == sorted(capabilities, reverse=True)
    hostile = next(r for r in rows if r["model_id"] == "hostile-model")
    assert hostile["name"] == "<script>alert(1)</script>"  # JSON carries the data as is
    assert hostile["ci_low"] < hostile["capability"] < hostile["ci_high"]
    assert hostile["size_class"] == "50-199B"


def test_models_limit_sort_and_order(client: TestClient) -> None:
    assert _ids(_get(client, "/api/models?limit=2")) == ["closed-b3", "closed-a4"]
    worst = _get(client, "/api/models?order=asc&limit=1")
    assert _ids(worst) == ["open-1"]
    by_date = _get(client, "/api/models?sort=release_date&order=asc&limit=3")
    assert _ids(by_date) == ["closed-a1", "open-1", "closed-a2"]
    by_size = _get(client, "/api/models?sort=params_total_b&weights=open")
    assert _ids(by_size)[:3] == ["open-4", "hostile-model", "open-2"]  # ties by id
    assert by_size[-1]["params_total_b"] is None  # unknown sizes last


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("weights=open", OPEN),
        ("weights=closed", {f"closed-{x}" for x in ("a1", "a2", "a3", "a4", "b1", "b2", "b3",
                                                    "c1")}),
        ("organization=qwen%20lab", {"open-3", "open-5"}),
        ("country=CHINA", {"open-3", "open-4", "open-5"}),
        ("country=%3Ci%3ENowhere%3C%2Fi%3E", {"hostile-model"}),
        ("license_class=open-restricted", {"open-2"}),
        ("size=%3C10B", {"open-1", "open-6"}),
        ("size=10-49B", {"open-3", "open-5"}),
        ("size=%3E%3D200B", {"open-4"}),
        ("weights=open&size=unknown", {"open-7"}),
        ("search=SEVEN", {"open-7"}),
        ("search=script", {"hostile-model"}),
        ("weights=open&country=france&license_class=permissive", {"open-1", "open-6"}),
        ("organization=x%27%20OR%20%271%27%3D%271", set()),  # x' OR '1'='1: only a value
    ],
)  # fmt: skip
def test_models_filters(client: TestClient, query: str, expected: set[str]) -> None:
    assert set(_ids(_get(client, f"/api/models?{query}"))) == expected


def test_size_classes_match_the_library() -> None:
    assert list(SizeClass.__args__) == size_labels()


def test_model_by_id_or_alias(client: TestClient) -> None:
    found = _get(client, "/api/models/hostile-model")
    assert found["model"]["organization"] == "<img src=x onerror=alert(2)>"
    card = found["card"]  # the library's card (opengap card --json)
    assert card["rank_overall"] == 3  # behind closed-b3 and closed-a4
    assert card["size_class"] == "50-99B"  # ATOM's size classes
    assert card["size_class_n"] == 2 and card["size_percentile"] == 75.0  # best of 2 (open-2)
    assert card["on_pareto_front"] is None  # its active parameters are unknown
    assert card["tooling"] is None  # unknown, not guessed
    assert card["country"] == "<i>Nowhere</i>"
    assert len(found["scores"]) == 6
    by_alias = _get(client, "/api/models/Open%20Seven")
    assert by_alias["model"]["model_id"] == "open-7"
    assert by_alias["card"]["size_class"] is None  # its size is unknown
    assert by_alias["card"]["country"] is None


def test_unknown_model_is_a_404_in_the_error_shape(client: TestClient) -> None:
    body = _get(client, "/api/models/zzzz-qqqq", status=404)
    assert body == {"error": {"type": "UnknownModel", "message": "unknown model 'zzzz-qqqq'",
                              "status": 404}}  # fmt: skip


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/models?weights=both", "query parameter 'weights': Input should be 'open' or "
                                     "'closed'"),
        ("/api/models?limit=0", "query parameter 'limit': Input should be greater than or "
                                "equal to 1"),
        ("/api/models?limit=ten", "query parameter 'limit': Input should be a valid integer, "
                                  "unable to parse string as an integer"),
        ("/api/models?sort=hype", "query parameter 'sort': Input should be 'capability', "
                                  "'release_date', 'name' or 'params_total_b'"),
        ("/api/models?size=huge", "query parameter 'size': Input should be '<10B', '10-49B', "
                                  "'50-199B', '>=200B' or 'unknown'"),
        ("/api/models?organization=" + "x" * 201, "query parameter 'organization': String "
                                                  "should have at most 200 characters"),
        ("/api/gap?by=planet", "query parameter 'by': Input should be 'weights', 'country', "
                               "'organization', 'size', 'license' or 'domain'"),
        ("/api/gap?method=vibes", "query parameter 'method': Input should be 'lag', "
                                  "'catch-up' or 'trend'"),
        ("/api/benchmarks?domain=cooking", "query parameter 'domain': Input should be 'math', "
                                           "'code', 'knowledge', 'reasoning', 'agentic', "
                                           "'language', 'multimodal', 'long-context' or "
                                           "'other'"),
    ],
)  # fmt: skip
def test_bad_parameters_are_422_with_a_message(client: TestClient, url: str, message: str) -> None:
    body = _get(client, url, status=422)
    assert body["error"]["type"] == "InvalidParameter"
    assert body["error"]["status"] == 422
    assert body["error"]["message"] == message
    assert body["error"]["details"][0]["loc"][0] == "query"


def test_library_errors_share_the_shape(client: TestClient) -> None:
    body = _get(client, "/api/gap?by=domain&method=trend", status=422)
    assert body == {"error": {
        "type": "BadArgument", "status": 422,
        "message": "--by domain refits per domain: it takes --method lag and no --benchmark"}}


def test_without_a_fit_pages_say_what_to_run(unfitted_client: TestClient) -> None:
    body = _get(unfitted_client, "/api/gap", status=404)
    assert body["error"]["type"] == "NoFit"
    assert body["error"]["message"].startswith("the store holds no fit yet; run `opengap fit`")
    rows = _get(unfitted_client, "/api/models")  # the catalogue is still there
    assert len(rows) == 16 and all(r["capability"] is None for r in rows)
    page = unfitted_client.get("/")  # a page offers to fit instead of a 404
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "the store holds no fit yet" in page.text
    assert '<form method="post" action="/jobs/fit">' in page.text


def test_gap_by_and_method(client: TestClient) -> None:
    lag = _get(client, "/api/gap")
    assert lag["method"] == "lag"
    assert lag["best_open"]["model_id"] == "hostile-model"
    assert lag["best_closed"]["model_id"] == "closed-b3"
    assert set(lag["lag_months"]) == {"value", "ci_low", "ci_high"}
    assert lag["series"] and {"date", "lag_months", "vertical_gap"} <= set(lag["series"][0])
    by_country = _get(client, "/api/gap?by=country")
    assert {g["group"] for g in by_country["groups"]} == {
        "China", "France", "United States", "<i>Nowhere</i>", "unknown"}
    catch_up = _get(client, "/api/gap?method=catch-up")
    assert catch_up["method"] == "catch-up" and "pairs" in catch_up


def test_fit_benchmarks_breakdowns_and_sensitivity(client: TestClient, ready: Ready) -> None:
    fit = _get(client, "/api/fit")
    assert fit["n_models"] == 16 and fit["n_benchmarks"] == 6
    assert fit["provenance"]["reproduce"].startswith("export OPENGAP_DB=")
    assert fit["provenance"]["imports"][0]["kind"] == "csv"
    benches = _get(client, "/api/benchmarks")
    assert len(benches) == 6 and all(b["difficulty"] is not None for b in benches)
    assert _get(client, "/api/benchmarks?domain=agentic")[0]["name"] == '<b>Agent</b> & "Bench"'
    parts = ready(client, "/api/breakdowns").json()
    assert set(parts) == {"domain", "country", "size"}
    sens = ready(client, "/api/sensitivity").json()
    assert {"baseline", "benchmarks", "subsets", "harness", "widening"} <= set(sens)
    assert {b["benchmark_id"] for b in sens["benchmarks"]} == {
        "b-math", "b-code", "b-know", "b-reason", "b-agent", "b-lang"}


def test_compare_is_the_library_verbs_json(client: TestClient, ready: Ready) -> None:
    response = ready(client, "/api/compare")  # computed in the background: 202 until ready
    assert response.status_code == 200, response.text
    data = response.json()
    assert [m["method"] for m in data["methods"]] == [
        "CAISI", "Epoch ECI", "Epoch 2024 catch-up", "AA composite"]
    assert [s["choice"] for s in data["chain"]][:3] == ["start", "benchmark suite", "grouping"]
    page = ready(client, "/compare")
    assert "From CAISI&#39;s method to Epoch&#39;s" in page.text or "From CAISI's" in page.text


def test_openapi_documents_the_api_and_the_error_shape(client: TestClient) -> None:
    schema = _get(client, "/openapi.json")
    paths = set(schema["paths"])
    assert {"/api/models", "/api/models/{model_id}", "/api/benchmarks", "/api/fit", "/api/gap",
            "/api/breakdowns", "/api/sensitivity", "/api/compare"} <= paths  # fmt: skip
    assert not any(not p.startswith("/api/") for p in paths)  # pages stay out of the API
    assert "ErrorResponse" in schema["components"]["schemas"]
    params = {p["name"] for p in schema["paths"]["/api/models"]["get"]["parameters"]}
    assert {"weights", "organization", "country", "license_class", "size", "sort", "limit"} <= (
        params)
    docs = client.get("/api")
    assert docs.status_code == 200 and "/api/models" in docs.text


def test_unknown_api_path_is_a_404_in_the_error_shape(client: TestClient) -> None:
    body = _get(client, "/api/nothing-here", status=404)
    assert body == {"error": {"type": "NotFound", "message": "no such page: /api/nothing-here",
                              "status": 404}}  # fmt: skip


def test_the_dashboard_never_holds_the_store(client: TestClient, fitted_db: Path) -> None:
    import duckdb

    assert client.get("/").status_code == 200
    # DuckDB refuses a read-write connection while any read-only one to the file is open.
    duckdb.connect(str(fitted_db)).close()
    assert client.get("/models").status_code == 200


