"""The ``caisi-trend`` gap report: two groups' trend lines (CAISI's method), as a typed record.

Groups are formed among all models (open and closed alike), by country by default: the United
States and China when both are present, otherwise the two groups with the most models. With
``by="weights"`` the two groups are closed and open models. See
:mod:`opengap.analysis.caisi_trend` for the method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from opengap.analysis.caisi_trend import CaisiTrend, caisi_trend_lag, frontier_points
from opengap.analysis.frontier import from_days, frontier_at
from opengap.analysis.groups import UNKNOWN, group_labels
from opengap.analysis.reports import Context, Table, lag_headline, resolve_at
from opengap.errors import BadArgument

DEFAULT_PAIRS = {"country": ("United States", "China"), "weights": ("closed", "open")}


@dataclass(frozen=True)
class CaisiTrendReport:
    """Method ``caisi-trend``: the trailing group's lag behind the leading group's trend line.

    Attributes
    ----------
    by : str
        The grouping.
    lead, trail : str
        The leading group (higher frontier at ``at``) and the trailing one.
    at : date
    trend : CaisiTrend
        Lag (interval from the draws), Working–Hotelling band, slopes, lines.
    best_trail : dict or None
        The trailing group's best model by ``at``: id, name, capability, release date.
    frontiers : dict
        Each group's frontier models (id, name, release date, value), for charts.
    context : Context
    """

    by: str
    lead: str
    trail: str
    at: date
    trend: CaisiTrend
    best_trail: dict[str, Any] | None
    frontiers: dict[str, list[dict[str, Any]]]
    context: Context
    method: str = "caisi-trend"

    @property
    def headline(self) -> str:
        """One sentence: the lag with both intervals, and the best trailing model's own lag."""
        t = self.trend
        text = "On CAISI-style trend lines, " + lag_headline(
            f"{self.trail} models", self.lead, t.lag_months, t.vertical_gap, self.context,
            self.at, False, False,
        )  # fmt: skip
        band = t.band_months
        if math.isfinite(band.ci_low) and math.isfinite(band.ci_high):
            text = text[:-1] + (f"; 95% Working–Hotelling band {band.ci_low:.1f}–"
                                f"{band.ci_high:.1f} months.")
        if self.best_trail and math.isfinite(t.model_lag_months):
            text += (f" {self.best_trail['name']} (released {self.best_trail['release_date']}) "
                     f"sits {t.model_lag_months:.1f} months behind the {self.lead} trend.")
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap gap --method caisi-trend --json``."""
        t = self.trend

        def line(which: Any) -> dict[str, Any] | None:
            if which is None:
                return None
            return {"intercept_at": which.intercept, "slope_per_year": which.slope * 365.0,
                    "n": which.n, "residual_sd": _num(which.resid_sd)}

        return {
            "method": self.method, "by": self.by, "lead": self.lead, "trail": self.trail,
            "at": self.at.isoformat(),
            "lag_months": t.lag_months.to_dict(),
            "lag_interval": "90% percentile interval over the fit's bootstrap draws",
            "band_months": t.band_months.to_dict(),
            "band_interval": "95% Working-Hotelling band of the leading line, read horizontally",
            "vertical_gap": t.vertical_gap.to_dict(),
            "lead_slope_per_year": t.lead_slope_per_year.to_dict(),
            "trail_slope_per_year": t.trail_slope_per_year.to_dict(),
            "lead_frontier_models": t.lead_points, "trail_frontier_models": t.trail_points,
            "best_trail": self.best_trail, "model_lag_months": _num(t.model_lag_months),
            "lead_line": line(t.lead_line), "trail_line": line(t.trail_line),
            "frontiers": self.frontiers,
            "headline": self.headline, "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }  # fmt: skip


def caisi_trend_report(
    table: Table,
    by: str,
    context: Context,
    *,
    at: Any = None,
    groups: Sequence[str] | None = None,
    size_edges: Sequence[float] | None = None,
) -> CaisiTrendReport:
    """Return the CAISI trend lag between two groups of ``table`` (see the module docstring).

    Raises
    ------
    BadArgument
        ``groups`` not two groups present, or a group without a model by ``at``.
    """
    labels = group_labels(table.frame, by, size_edges=size_edges).to_numpy(dtype=object)
    present = [str(v) for v in labels if str(v) != UNKNOWN]
    counts = {g: present.count(g) for g in dict.fromkeys(present)}
    if groups:
        chosen = list(groups)
        if len(chosen) != 2:
            raise BadArgument(f"--method caisi-trend compares two groups, not {len(chosen)}")
        missing = [g for g in chosen if g not in counts]
        if missing:
            raise BadArgument(f"unknown group {missing[0]!r} for --by {by} "
                              f"(choose from {', '.join(sorted(counts)) or 'none'})")
    else:
        default = DEFAULT_PAIRS.get(by)
        if default and all(g in counts for g in default):
            chosen = list(default)
        else:
            chosen = sorted(counts, key=lambda g: (-counts[g], g))[:2]
        if len(chosen) < 2:
            raise BadArgument(f"--method caisi-trend needs two {by} groups with models "
                              f"(found {', '.join(chosen) or 'none'})")
    a, b = (table.subset(labels == g) for g in chosen)
    day = resolve_at(at, a, b)
    first = caisi_trend_lag(a.days, a.values, b.days, b.values, day,
                            lead_draws=a.draws, trail_draws=b.draws)
    if float(frontier_at(b.days, b.values, day)[0]) > float(frontier_at(a.days, a.values,
                                                                          day)[0]):
        chosen.reverse()
        a, b = b, a
        first = caisi_trend_lag(a.days, a.values, b.days, b.values, day,
                                lead_draws=a.draws, trail_draws=b.draws)
    best = b.point(first.trail_best)
    return CaisiTrendReport(
        by=by, lead=chosen[0], trail=chosen[1], at=from_days(day), trend=first,
        best_trail=best.to_dict() if best else None,
        frontiers={chosen[0]: _frontier(a, day), chosen[1]: _frontier(b, day)},
        context=context,
    )  # fmt: skip


def _frontier(table: Table, day: float) -> list[dict[str, Any]]:
    released = table.days <= day
    sub = table.subset(released)
    out = []
    for i in frontier_points(sub.days, sub.values):
        point = sub.point(int(i))
        if point is not None:
            out.append(point.to_dict())
    return out


def _num(value: float) -> float | None:
    return float(value) if isinstance(value, float | np.floating) and math.isfinite(value) else None


__all__ = ["CaisiTrendReport", "caisi_trend_report"]
