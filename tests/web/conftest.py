"""Fixtures for the dashboard tests: the hostile CSV catalogue, fitted and not, and the app."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from opengap import catalog, fitting
from opengap.store import Store
from opengap.web import create_app

HOSTILE = Path(__file__).resolve().parents[1] / "report" / "data" / "hostile"


@pytest.fixture(scope="session")
def unfitted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a store with the hostile catalogue (16 models, 6 benchmarks) and no fit."""
    path = tmp_path_factory.mktemp("web-unfitted") / "store.duckdb"
    with Store(path) as store:
        catalog.import_path(store, "csv", HOSTILE, strict=True)
    return path


@pytest.fixture(scope="session")
def fitted_db(unfitted_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of that store with one fit (default preset, 20 bootstrap refits)."""
    path = tmp_path_factory.mktemp("web-fitted") / "store.duckdb"
    shutil.copy(unfitted_db, path)
    with Store(path) as store:
        fitting.run_fit(store, bootstrap=20)
    return path


@pytest.fixture(scope="session")
def client(fitted_db: Path) -> Iterator[TestClient]:
    """Return a test client of the dashboard over the fitted store."""
    with TestClient(create_app(fitted_db), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def unfitted_client(unfitted_db: Path) -> Iterator[TestClient]:
    """Return a test client of the dashboard over the store without a fit."""
    with TestClient(create_app(unfitted_db), base_url="http://127.0.0.1") as test_client:
        yield test_client


def settle(client: TestClient, url: str, timeout: float = 120.0) -> httpx.Response:
    """GET ``url`` until it is no longer 202 "computing" (background results), and return it."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url)
        if response.status_code != 202 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.fixture(scope="session")
def ready() -> Callable[[TestClient, str], httpx.Response]:
    """Return :func:`settle`: a GET that waits out the "computing…" answers."""
    return settle
