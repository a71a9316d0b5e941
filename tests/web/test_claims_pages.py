"""The dashboard's pages that share the report's partials make the same claims as the report.

The benchmark table is no scroll box, the fit configuration is the resolved one, the page
colours are the palette's, a note about poorly fitted models points at their list on the same
page, and the tornado's top bar is the benchmark the sensitivity sentence names.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from opengap import charts, fitting, palette
from opengap.store import Store

Ready = Callable[[TestClient, str], httpx.Response]


def test_benchmarks_page_table_is_not_a_scroll_box(client: TestClient) -> None:
    page = client.get("/benchmarks").text
    section = page[page.index('<section id="benchmarks">'):]
    assert '<div class="wrap"><table class="long">' in section
    assert 'class="scroll"' not in section[: section.index("</section>")]
    assert "@media print" in page


def test_fit_page_shows_the_resolved_configuration(client: TestClient, fitted_db: Path) -> None:
    with Store(fitted_db, read_only=True) as store:
        fit = fitting.load_fit(store)
    page = client.get("/fit").text
    table = page[page.index('<table id="fit-config">'):]
    table = table[: table.index("</table>")]
    rows = dict(re.findall(r"<tr><th>(\w+)</th><td><code>(.*?)</code></td>", table))
    assert json.loads(html.unescape(rows["scale"])) == fit.scale
    pinned = fit.benchmarks.loc[fit.benchmarks["is_pinned"].astype(bool), "benchmark_id"]
    assert json.loads(html.unescape(rows["pin_benchmark"])) == pinned.iloc[0]
    api = client.get("/api/fit").json()
    assert api["provenance"]["config"]["scale"] == fit.scale


def test_pages_use_the_palette(client: TestClient) -> None:
    for url in ("/", "/benchmarks", "/fit"):
        page = client.get(url).text
        assert f"--open: {palette.OPEN};" in page and f"--closed: {palette.CLOSED};" in page


def test_overview_poor_fit_note_points_to_its_list(client: TestClient) -> None:
    page = client.get("/").text
    assert "see the poor_fit column" not in page
    if "fit poorly" in page:
        assert 'href="#poor-fit"' in page and 'id="poor-fit"' in page


def test_sensitivity_page_tornado_top_bar_is_the_named_benchmark(
    client: TestClient, ready: Ready
) -> None:
    page = ready(client, "/sensitivity").text
    named = re.search(r"leaving out (.+?) moves it most", page)
    assert named
    data = page[page.index('"chart-sensitivity-tornado",'):]  # the figure's JSON follows
    labels = re.search(r'"y":\[(.*?)\]', data)
    assert labels
    top = json.loads(f"[{labels.group(1)}]")[-1]
    assert top == charts.text(html.unescape(named.group(1)))
