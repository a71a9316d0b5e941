"""Fixtures for the report tests: a tiny CSV catalogue with hostile names, the Epoch hub, Chromium.

``data/hostile`` is a hand-made catalogue (16 models, 6 benchmarks) in opengap's CSV format in
which one open model is called ``<script>alert(1)</script>``, its organisation is an ``<img
onerror>`` and a benchmark name carries markup: every page must show them as text.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from opengap import catalog
from opengap.report import ReportResult, build_report
from opengap.store import Store

HOSTILE = Path(__file__).parent / "data" / "hostile"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_ORG = "<img src=x onerror=alert(2)>"


def chromium_path() -> str | None:
    """Return the system Chromium, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def hostile_dir() -> Path:
    """Return the hostile CSV catalogue's directory."""
    return HOSTILE


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a store file holding the hostile catalogue and no fit."""
    path = tmp_path_factory.mktemp("hostile") / "store.duckdb"
    with Store(path) as store:
        catalog.import_path(store, "csv", HOSTILE, strict=True)
    return path


@pytest.fixture(scope="session")
def hostile_report(
    hostile_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ReportResult, Path]:
    """Return the report written on a copy of the hostile store (fitted by the report), and the
    copy's path."""
    folder = tmp_path_factory.mktemp("hostile-report")
    db = folder / "store.duckdb"
    shutil.copy(hostile_db, db)
    with Store(db) as store:
        result = build_report(store, output=folder / "report.html")
    return result, db


@pytest.fixture(scope="session")
def hub_report(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    """Return the report on the full Epoch Benchmarking Hub (imported, then fitted by it)."""
    folder = tmp_path_factory.mktemp("hub-report")
    with Store(folder / "store.duckdb") as store:
        catalog.import_path(store, "epoch-hub", shared_data / "epoch-benchmarking-hub")
        return build_report(store, output=folder / "report.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Yield a headless Chromium driven by Playwright (skipped without Chromium).

    Module-scoped: Playwright's sync API allows one instance at a time per thread.
    """
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; see the Makefile)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


class Loaded:
    """A page opened in Chromium, with the JavaScript errors and dialogs it raised."""

    def __init__(self, page: Any, errors: list[str], dialogs: list[str]) -> None:
        self.page = page
        self.errors = errors
        self.dialogs = dialogs


@pytest.fixture
def load(browser: Any) -> Iterator[Callable[..., Loaded]]:
    """Return ``load(url, wait_for_charts=True) -> Loaded``; pages are closed afterwards."""
    pages: list[Any] = []

    def opener(url: str, wait_for_charts: bool = True) -> Loaded:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        def dialog(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(url, wait_until="load")
        if wait_for_charts:
            page.wait_for_function(
                "() => { const d = document.querySelectorAll('.js-plotly-plot'); "
                "return d.length > 0 && [...d].every(e => e.querySelector('svg.main-svg')); }",
                timeout=30_000,
            )
        return Loaded(page, errors, dialogs)

    yield opener
    for page in pages:
        page.close()
