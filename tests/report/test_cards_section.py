"""The report's model-card appendix: the most capable open models, unknowns as "—"."""

from __future__ import annotations

import html
from pathlib import Path

from opengap import fitting
from opengap.report import ReportResult
from opengap.store import Store


def test_cards_section_lists_the_top_open_models(
    hostile_report: tuple[ReportResult, Path],
) -> None:
    result, db = hostile_report
    page = result.path.read_text()
    section = page[page.index('<section id="cards">'):]
    section = section[:section.index("</section>")]
    with Store(db) as store:
        fit = fitting.load_fit(store, result.fit_id)
    top = fit.models.loc[fit.models["weights"] == "open"].sort_values(
        "capability", ascending=False).head(5)
    names = [html.escape(str(n)) for n in top["name"]]
    positions = [section.index(n) for n in names]
    assert positions == sorted(positions)  # in order of capability
    assert section.count("<tr><td>") == len(names)
    assert "<script>" not in section
    assert 'href="#cards"' in page
