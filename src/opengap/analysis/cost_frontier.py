"""Cost and size frontiers: capability at a budget (price or active parameters), open vs closed.

Pure functions over a fit's models joined with one budget value per model (``x``: the latest
blended price in USD per 1M tokens, or active parameters in billions); models whose budget is
unknown are left out, never given one.

* :func:`equal_budget_gap` — for each budget ``p`` of a grid, the best open model with
  ``x <= p`` and the best closed one, and the gap (closed − open, scale points) with a 90%
  interval from the fit's bootstrap draws (in each draw the best model of each side is taken
  afresh, so the interval includes which model is best).
* :func:`cheapest_over_time` — for capability levels, the cheapest model of each side that
  reaches the level among models released by each date (a step series).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

GAP_COLUMNS = [
    "budget", "best_open", "open_capability", "open_budget", "best_closed",
    "closed_capability", "closed_budget", "gap", "gap_low", "gap_high",
]  # fmt: skip
CHEAPEST_COLUMNS = ["level", "weights", "date", "model_id", "capability", "price"]


def budget_grid(values: np.ndarray, n: int = 8) -> np.ndarray:
    """Return ``n`` log-spaced budgets over the known positive values (2 significant digits)."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size == 0:
        return np.array([])
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        return np.array([low])
    return np.unique([float(f"{v:.2g}") for v in np.geomspace(low, high, n)])


def _best(caps: np.ndarray, mask: np.ndarray) -> int | None:
    if not mask.any():
        return None
    idx = np.flatnonzero(mask)
    return int(idx[np.nanargmax(caps[idx])]) if np.isfinite(caps[idx]).any() else None


def equal_budget_gap(
    frame: pd.DataFrame,
    draws: np.ndarray | None,
    grid: Sequence[float],
    *,
    level: float = 0.90,
) -> pd.DataFrame:
    """Return the gap between the best closed and best open model at each budget.

    Parameters
    ----------
    frame : DataFrame
        One row per fitted model: model_id, weights, capability, x (the budget value); rows
        aligned with the columns of ``draws``.
    draws : ndarray or None
        Bootstrap draws of capability, shape (n_draws, len(frame)); None: no intervals.
    grid : sequence of float
        Budgets ``p`` (models with ``x <= p`` are affordable).
    level : float
        Interval coverage (default 90%: the 5th–95th percentiles of the draws).

    Returns
    -------
    DataFrame
        :data:`GAP_COLUMNS`; a side with no affordable model gives None / NaN.
    """
    caps = frame["capability"].to_numpy(dtype=float)
    xs = frame["x"].to_numpy(dtype=float)
    weights = frame["weights"].to_numpy()
    ids = frame["model_id"].to_numpy()
    known = np.isfinite(xs)
    tail = 100.0 * (1.0 - level) / 2.0
    rows = []
    for p in grid:
        ok = known & (xs <= p)
        sides = {w: ok & (weights == w) for w in ("open", "closed")}
        best = {w: _best(caps, m) for w, m in sides.items()}
        gap = low = high = float("nan")
        bo, bc = best["open"], best["closed"]
        if bo is not None and bc is not None:
            gap = caps[bc] - caps[bo]
            if draws is not None and len(draws):
                with warnings.catch_warnings():  # a draw that failed is all NaN: skipped
                    warnings.simplefilter("ignore", RuntimeWarning)
                    gaps = (np.nanmax(draws[:, sides["closed"]], axis=1)
                            - np.nanmax(draws[:, sides["open"]], axis=1))  # fmt: skip
                gaps = gaps[np.isfinite(gaps)]
                if gaps.size:
                    low, high = (float(v) for v in np.percentile(gaps, [tail, 100.0 - tail]))
        rows.append({
            "budget": float(p),
            "best_open": None if bo is None else str(ids[bo]),
            "open_capability": np.nan if bo is None else caps[bo],
            "open_budget": np.nan if bo is None else xs[bo],
            "best_closed": None if bc is None else str(ids[bc]),
            "closed_capability": np.nan if bc is None else caps[bc],
            "closed_budget": np.nan if bc is None else xs[bc],
            "gap": gap, "gap_low": low, "gap_high": high,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def cheapest_over_time(frame: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    """Return, for each capability level and side, the cheapest model reaching it over time.

    ``frame`` has model_id, weights, capability, release_date and x (price). A row is written
    each time a side's cheapest model reaching the level changes (a newer, cheaper model, or
    the first to reach it); prices are the models' latest prices, not those at release.

    Returns
    -------
    DataFrame
        :data:`CHEAPEST_COLUMNS`.
    """
    usable = frame.loc[frame["x"].notna() & frame["release_date"].notna()
                       & frame["capability"].notna()].copy()  # fmt: skip
    usable["release_date"] = pd.to_datetime(usable["release_date"])
    usable = usable.sort_values(["release_date", "x"])
    rows = []
    for level in levels:
        for side in ("open", "closed"):
            reach = usable.loc[(usable["weights"] == side) & (usable["capability"] >= level)]
            cheapest = np.inf
            for model_id, released, cap, price in zip(
                reach["model_id"].astype(str), reach["release_date"].dt.date,
                reach["capability"].to_numpy(dtype=float), reach["x"].to_numpy(dtype=float),
                strict=True,
            ):  # fmt: skip
                if price < cheapest:
                    cheapest = price
                    rows.append({
                        "level": float(level), "weights": side, "date": released,
                        "model_id": model_id, "capability": cap, "price": price,
                    })  # fmt: skip
    return pd.DataFrame(rows, columns=CHEAPEST_COLUMNS)
