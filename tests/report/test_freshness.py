"""The report's headline says how old its newest data are (a year past it, in words)."""

from __future__ import annotations

from opengap.report.render import ReportResult


def test_report_headline_states_data_as_of_and_its_age(hub_report: ReportResult) -> None:
    html = hub_report.path.read_text()
    lead = html.index('class="lead"')
    freshness = html.index('class="freshness"')
    # the hub export's newest score or release is 2025-11-17, over a year before this test
    assert 0 < freshness - lead < 2000
    assert "Data as of 2025-11-17 — " in html and "days old: newer models are missing" in html
