"""The library verb :func:`breakdowns`: the gap by domain, country and size class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from opengap.analysis.reports import GroupReport
from opengap.gap.domains import domain_report
from opengap.gap.measure import gap
from opengap.gap.progress import Progress
from opengap.gap.tables import fit_table
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    pass


def breakdowns(
    store: Store,
    *,
    fit_id: str | None = None,
    size_classes: Sequence[float] | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the gap broken down by domain, country and size class, one table each.

    ``domain``: the fit refitted on each domain's benchmarks (same configuration, so the same
    anchoring when the anchor models are scored in the domain), open vs closed in each.
    ``country`` and ``size``: each group of open models against the closed frontier.
    """
    fit_table(store, fit_id=fit_id, progress=progress)  # fit once if the store has none
    out: dict[str, pd.DataFrame] = {}
    out["domain"] = domain_report(store, fit_id=fit_id, at=None, significance=False,
                                   curation=None, progress=progress).table()
    for by in ("country", "size"):
        report = gap(store, fit_id=fit_id, by=by, method="lag", size_classes=size_classes)
        assert isinstance(report, GroupReport)
        out[by] = report.table()
    return out
