"""Library verb ``frontier``: capability at a price or active-parameter budget, open vs closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opengap.analysis.cards import blended_prices, latest_prices, per_unit
from opengap.analysis.cost_frontier import budget_grid, cheapest_over_time, equal_budget_gap
from opengap.errors import BadArgument
from opengap.fitting import load_fit
from opengap.store import Store
from opengap.store.cards import models_table, prices_table

BY = {"price": "blended USD per 1M tokens", "active-params": "billions of active parameters"}
MISSING = {
    "price": "the store holds no prices, so there is no price frontier: import a source that "
             "gives them, e.g. opengap import artificial-analysis PATH (its llms.json carries "
             "USD per 1M tokens)",
    "active-params": "no fitted model has known active parameters, so there is no size "
                     "frontier: import a source that gives them, e.g. opengap import "
                     "atom-models PATH or opengap import artificial-analysis PATH",
}  # fmt: skip
"""Why a frontier is empty, and the command that fills it."""


@dataclass
class FrontierResult:
    """What ``opengap frontier --by price|active-params`` shows.

    Attributes
    ----------
    by : str
        ``price`` or ``active-params``.
    unit : str
        The budget's unit.
    fit_id, scale : str
        The fit the capabilities come from and its scale.
    gap : DataFrame
        Per budget: best open and closed model affordable, their capabilities, the gap
        (closed − open) and its 90% interval from the bootstrap draws.
    cheapest : DataFrame
        ``price`` only: the cheapest model of each side reaching each capability level, over
        release dates (empty for ``active-params``).
    points : DataFrame
        Every fitted model with a known budget: model_id, name, weights, capability, x.
    notes : list of str
    missing : str or None
        When no fitted model has a known budget: why, and the command that imports one.
    """

    by: str
    unit: str
    fit_id: str
    scale: str
    gap: pd.DataFrame
    cheapest: pd.DataFrame
    points: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    missing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap frontier --json``."""
        return {
            "by": self.by, "unit": self.unit, "fit_id": self.fit_id, "scale": self.scale,
            "gap": self.gap, "cheapest": self.cheapest, "points": self.points,
            "notes": self.notes, "missing": self.missing,
        }  # fmt: skip


def frontier(
    store: Store,
    *,
    by: str = "price",
    fit_id: str | None = None,
    budgets: Sequence[float] | None = None,
    levels: Sequence[float] | None = None,
) -> FrontierResult:
    """Return the equal-budget gap (and, by price, the cheapest model reaching each level).

    Parameters
    ----------
    store : Store
    by : {"price", "active-params"}
        The budget: the latest blended price per 1M tokens, or active parameters.
    fit_id : str, optional
        The fit (default: the latest).
    budgets : sequence of float, optional
        The grid of budgets (default: 8 log-spaced values over the known range).
    levels : sequence of float, optional
        Capability levels for the cheapest-over-time table (default: the 50th, 75th and 90th
        percentiles of fitted capability, rounded).

    Examples
    --------
    >>> frontier(store, by="price").gap  # doctest: +SKIP
    """
    if by not in BY:
        raise BadArgument(f"unknown frontier budget {by!r} (choose from {', '.join(BY)})")
    fit = load_fit(store, fit_id)
    frame = fit.models[["model_id", "name", "weights", "release_date", "capability"]].copy()
    notes = []
    catalogue = models_table(store).set_index("model_id")
    version_of = catalogue["version_of"]
    prices = pd.DataFrame()
    if by == "price":
        prices = latest_prices(prices_table(store)).set_index("model_id")
        blended = pd.Series(dtype=float)
        if len(prices):
            stated = pd.to_numeric(prices["blended_usd_per_m"], errors="coerce")
            blended = blended_prices(prices)
            if int(stated.isna().sum() - blended.isna().sum()):
                notes.append(f"{int(stated.isna().sum() - blended.isna().sum())} price(s) blended "
                             "3:1 from input and output prices (the source gave no blend)")
        frame["x"] = (frame["model_id"].map(per_unit(blended, version_of))
                      if len(prices) else np.nan)  # fmt: skip
        if len(prices):
            notes.append("a fitted group without a price of its own takes the median latest "
                         "price of its versions (effort variants share per-token prices)")
    else:
        params = per_unit(catalogue["params_active_b"], version_of)
        frame["x"] = pd.to_numeric(frame["model_id"].map(params), errors="coerce")
    frame["x"] = pd.to_numeric(frame["x"], errors="coerce").astype(float)
    known = frame["x"].notna()
    for side in ("open", "closed"):
        n = int((known & (frame["weights"] == side)).sum())
        notes.append(f"{n} {side} model(s) of the fit have a known budget ({BY[by]})")
    grid = list(budgets) if budgets is not None else budget_grid(frame["x"].to_numpy()).tolist()
    if any(b <= 0 for b in grid):
        raise BadArgument(f"budgets must be positive, not {list(grid)}")
    gap = equal_budget_gap(frame, fit.draws, grid)
    if fit.draws is None:
        notes.append("the fit has no bootstrap draws, so no intervals (fit with --bootstrap N)")
    cheapest = pd.DataFrame()
    if by == "price":
        caps = frame["capability"].dropna().to_numpy(dtype=float)
        chosen = (list(levels) if levels is not None
                  else [round(float(q), 1) for q in np.percentile(caps, [50, 75, 90])]
                  if caps.size else [])  # fmt: skip
        cheapest = cheapest_over_time(frame, chosen)
    points = frame.loc[known, ["model_id", "name", "weights", "capability", "x"]]
    missing = None if known.any() else MISSING[by]
    if missing is not None and by == "price" and len(prices):
        missing = (f"none of the {len(prices)} priced models in the store is in the fit, so "
                   "there is no price frontier")  # fmt: skip
    if missing is not None:
        notes.insert(0, missing)
    return FrontierResult(
        by=by, unit=BY[by], fit_id=fit.fit_id, scale=fit.scale, gap=gap, cheapest=cheapest,
        points=points.sort_values("x").reset_index(drop=True), notes=notes, missing=missing,
    )  # fmt: skip
