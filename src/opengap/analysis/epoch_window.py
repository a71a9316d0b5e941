"""Epoch's window average as a report: ``opengap gap --significance --since DAY --at DAY``.

Every day of the window, the best open model to date against the most recent day the closed
SOTA was not significantly better (:mod:`opengap.analysis.epoch_gap`), averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from opengap.analysis.epoch_gap import EpochGap, epoch_gap
from opengap.analysis.frontier import from_days, to_days
from opengap.analysis.reports import Context, Table, _fmt_interval
from opengap.errors import BadArgument


@dataclass(frozen=True)
class EpochWindowReport:
    """Epoch's significance-aware lag and gap, averaged over every day of a window.

    Attributes
    ----------
    since, at : date
        First and last day of the window (both included).
    result : EpochGap
        Mean lag (months) and gap (points), each with its 90% interval; the daily values.
    open_models : list of dict
        The best open model on each day, where it changes: ``{"from", "model_id", "name"}``.
    context : Context
    """

    since: date
    at: date
    result: EpochGap
    open_models: list[dict[str, Any]]
    context: Context
    method: str = "lag"

    @property
    def headline(self) -> str:
        """One sentence: the window's mean lag and gap with their intervals."""
        r = self.result
        digits = 1 if self.context.unit == "points" else 3
        censored = (f"; {r.censored_days} day(s) censored (lags are lower bounds)"
                    if r.censored_days else "")
        return (f"From {self.since.isoformat()} to {self.at.isoformat()} ({r.n_days} days), "
                f"the best open model to date trailed the closed SOTA by "
                f"{r.lag_months.value:.1f} months{_fmt_interval(r.lag_months)} and "
                f"{r.vertical_gap.value:.{digits}f} {self.context.unit}"
                f"{_fmt_interval(r.vertical_gap, digits)} on average (Epoch's significance-"
                f"aware lag, day by day{censored}).")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap gap --significance --since … --json``."""
        r = self.result
        return {
            "method": "lag", "significance": True, "window": True,
            "since": self.since.isoformat(), "at": self.at.isoformat(), "n_days": r.n_days,
            "lag_months": r.lag_months.to_dict(), "vertical_gap": r.vertical_gap.to_dict(),
            "censored_days": r.censored_days,
            "interval": "translated double bootstrap over the fit's draws (docs/gap.md)",
            "open_models": self.open_models, "headline": self.headline,
            "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }  # fmt: skip


def window_report(
    closed: Table, opened: Table, since: Any, at: float, context: Context
) -> EpochWindowReport:
    """Return Epoch's window average from ``since`` to ``at`` (days, both included)."""
    try:
        start = float(to_days([since])[0])
    except (ValueError, TypeError):
        start = float("nan")
    if not np.isfinite(start):
        raise BadArgument(f"--since {since!r} is not a date (use YYYY-MM-DD)")
    if start > at:
        raise BadArgument(f"--since {from_days(start).isoformat()} is after --at "
                          f"{from_days(at).isoformat()}")
    first = max(closed.days.min(), opened.days.min())
    if start < first:
        raise BadArgument(f"--since {from_days(start).isoformat()} is before both groups have "
                          f"a model ({from_days(first).isoformat()})")
    days = np.arange(start, np.floor(at) + 1.0)
    cw = closed.draws if closed.draws is not None else closed.values[None, :]
    ow = opened.draws if opened.draws is not None else opened.values[None, :]
    result = epoch_gap(closed.days, closed.values, cw, opened.days, opened.values, ow, days)
    changes: list[dict[str, Any]] = []
    last = -1
    for day, _, _, index, _ in result.daily:
        if index >= 0 and index != last:
            point = opened.point(index)
            if point is not None:
                changes.append({"from": from_days(day).isoformat(), "model_id": point.model_id,
                                "name": point.name})
            last = index
    return EpochWindowReport(from_days(start), from_days(at), result, changes, context)
