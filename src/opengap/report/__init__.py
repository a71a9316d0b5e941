"""The self-contained HTML report: compute (:func:`collect`), render (:func:`render`), write.

:func:`build_report` is what ``opengap report`` runs. Charts come from :mod:`opengap.charts`,
shared with the dashboard; so do the section templates under ``report/templates``.
"""

from opengap.report.data import REPORT_BOOTSTRAP, ReportData, benchmark_table, collect, provenance
from opengap.report.figures import export_figures, report_figures
from opengap.report.render import ReportResult, build_report, environment, page_context, render

__all__ = [
    "REPORT_BOOTSTRAP",
    "ReportData",
    "ReportResult",
    "benchmark_table",
    "build_report",
    "collect",
    "environment",
    "export_figures",
    "page_context",
    "provenance",
    "render",
    "report_figures",
]
