"""One walk through the live dashboard in headless Chromium: explorer → model page."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from opengap.web import create_app


@pytest.fixture(scope="module")
def server(fitted_db: Path) -> Iterator[str]:
    """Serve the dashboard over the fitted store on a free localhost port; yield its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(fitted_db), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    """Yield a page of headless Chromium (skipped without Chromium)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; see the Makefile)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def test_explorer_to_model_page(server: str, page: Any) -> None:
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{server}/models")
    assert page.locator("#models tbody tr").count() == 16
    page.select_option("select[name=weights]", "open")
    page.select_option("select[name=size]", "50-199B")
    page.click("form#filters button[type=submit]")
    page.wait_for_url("**/models?*weights=open*")
    rows = page.locator("#models tbody tr")
    assert rows.count() == 2
    first = rows.first.locator("td.model a")
    assert first.inner_text() == "<script>alert(1)</script>"  # best first, shown as text

    first.click()
    page.wait_for_url("**/models/hostile-model")
    assert page.inner_text("#model-name") == "<script>alert(1)</script>"
    assert "90% CI" in page.inner_text(".cards")
    page.wait_for_selector("#chart-scores svg.main-svg")
    assert page.locator("#scores tbody tr").count() == 6
    assert errors == [] and dialogs == []


def test_overview_charts_render_live(server: str, page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/")
    page.wait_for_selector("#chart-frontier svg.main-svg")
    page.wait_for_selector("#chart-gap-over-time svg.main-svg")
    assert errors == []
