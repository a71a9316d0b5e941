"""Records of ``opengap compare``: the gap under each evaluator's method, and the chain between two.

:class:`MethodGap` is one evaluator's method applied to the store (its fit, grouping and lag
definition); :class:`ChainStep` is one step of the decomposition chain, which goes from CAISI's
method to Epoch's changing one choice at a time and measures the gap after each change.
:class:`CompareReport` holds both; :mod:`opengap.gap.compare_chain` computes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from opengap.analysis.intervals import Interval, flat_row


@dataclass(frozen=True)
class MethodGap:
    """One evaluator's method on the store.

    Attributes
    ----------
    method : str
        "CAISI", "Epoch ECI", "Epoch 2024 catch-up" or "AA composite".
    description : str
        What was fitted and measured.
    groups : str
        Who trails whom, e.g. "China behind United States".
    lag_months : Interval
    vertical_gap : Interval
        In ``unit`` (NaN when the method has none).
    unit : str
    interval : str
        What the interval is (draws of a fit, a band, resampled pairs or benchmarks).
    at : str or None
        The date measured at (ISO), or the window.
    fit_id : str or None
    note : str or None
        Why the method could not be applied, or a caveat.
    """

    method: str
    description: str
    groups: str = ""
    lag_months: Interval = field(default_factory=lambda: Interval(math.nan))
    vertical_gap: Interval = field(default_factory=lambda: Interval(math.nan))
    unit: str = "points"
    interval: str = ""
    at: str | None = None
    fit_id: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one row of ``opengap compare --json``'s ``methods``."""
        return {
            "method": self.method, "description": self.description, "groups": self.groups,
            "lag_months": self.lag_months.to_dict(), "vertical_gap": self.vertical_gap.to_dict(),
            "unit": self.unit, "interval": self.interval, "at": self.at, "fit_id": self.fit_id,
            "note": self.note,
        }  # fmt: skip


@dataclass(frozen=True)
class ChainStep:
    """One step of the decomposition chain: one choice changed, the gap after it.

    Attributes
    ----------
    step : int
        0 is the starting method (CAISI's).
    choice : str
        The choice changed at this step ("benchmark suite", "grouping", …).
    change : str
        From what to what.
    fields : tuple of str
        The fit configuration fields changed (empty when only the gap's definition changes).
    result : MethodGap
        The gap measured after the change.
    delta_months : float
        Lag after minus lag before (NaN where either is undefined).
    """

    step: int
    choice: str
    change: str
    fields: tuple[str, ...]
    result: MethodGap
    delta_months: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one row of ``opengap compare --json``'s ``chain``."""
        return {"step": self.step, "choice": self.choice, "change": self.change,
                "fields": list(self.fields), **self.result.to_dict(),
                "delta_months": _num(self.delta_months)}  # fmt: skip


@dataclass(frozen=True)
class CompareReport:
    """The evaluators' methods side by side, and the chain from CAISI's to Epoch's."""

    methods: list[MethodGap]
    chain: list[ChainStep]
    bootstrap: int
    notes: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """One sentence: each method's lag."""
        parts = [f"{m.method} {m.lag_months.value:.1f}" for m in self.methods
                 if math.isfinite(m.lag_months.value)]
        if not parts:
            return "No evaluator's method could be applied to this store."
        return ("Lag in months by each evaluator's method on this store: " + "; ".join(parts)
                + ".")

    def methods_table(self) -> pd.DataFrame:
        """Return the methods as a flat table (value, low, high per interval)."""
        return pd.DataFrame([flat_row(m.to_dict()) for m in self.methods])

    def chain_table(self) -> pd.DataFrame:
        """Return the chain as a flat table, one row per step."""
        return pd.DataFrame([flat_row(s.to_dict()) for s in self.chain])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap compare --json``."""
        return {"methods": [m.to_dict() for m in self.methods],
                "chain": [s.to_dict() for s in self.chain], "bootstrap": self.bootstrap,
                "notes": list(self.notes), "headline": self.headline}  # fmt: skip


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
