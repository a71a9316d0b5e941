"""The report's cost and size frontier section: charts with prices, the reason without."""

from __future__ import annotations

import shutil
from pathlib import Path

from opengap.report import ReportResult, collect, render
from opengap.store import Store


def _section(page: str) -> str:
    section = page[page.index('<section id="costs">'):]
    return section[:section.index("</section>")]


def test_priced_store_gets_the_charts_and_tables(priced_fitted_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(priced_fitted_db, db)
    with Store(db) as store:
        data = collect(store, sensitivity=False, compare=False)
    section = _section(render(data))
    for chart in ("chart-cost-price", "chart-cost-cheapest", "chart-cost-active-params"):
        assert f'id="{chart}"' in section
    price = data.frontiers["price"]
    assert price.missing is None and len(price.gap) > 0
    assert section.count("<tr><td class=\"num\">") >= len(price.gap)
    assert data.to_dict()["frontiers"]["price"]["gap"][0]["budget"] == price.gap["budget"][0]


def test_store_without_prices_says_why_in_place(
    hostile_report: tuple[ReportResult, Path],
) -> None:
    result, _ = hostile_report
    page = result.path.read_text()
    section = _section(page)
    assert "the store holds no prices, so there is no price frontier" in section
    assert "opengap import artificial-analysis PATH" in section
    assert "no fitted model has known active parameters" in section
    assert 'id="chart-cost-price"' not in section
    assert 'href="#costs"' in page
