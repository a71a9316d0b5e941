"""The equal-budget gap's interval on hand-made draws, and the budget grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opengap.analysis.cost_frontier import budget_grid, equal_budget_gap

FRAME = pd.DataFrame({
    "model_id": ["open-a", "open-b", "closed-c"],
    "weights": ["open", "open", "closed"],
    "capability": [1.0, 0.9, 1.5],
    "x": [1.0, 2.0, 1.0],
})  # fmt: skip


def test_gap_interval_takes_the_best_model_in_each_draw() -> None:
    # 20 draws: open-a and open-b trade places; closed-c constant at 1.5.
    # Draw i: open-a = 1.0 - 0.05 i, open-b = 0.9 + 0.01 i -> best open = max of the two.
    i = np.arange(20, dtype=float)
    draws = np.column_stack([1.0 - 0.05 * i, 0.9 + 0.01 * i, np.full(20, 1.5)])
    rows = equal_budget_gap(FRAME, draws, [1.0, 2.0]).set_index("budget")
    # Budget 1: only open-a is affordable: gaps 0.5 + 0.05 i, i = 0..19, the 5th / 95th
    # percentiles (linear interpolation) at i = 0.95 and 18.05: 0.5475 and 1.4025.
    assert rows.loc[1.0, "best_open"] == "open-a"
    assert rows.loc[1.0, ["gap_low", "gap_high"]].tolist() == pytest.approx([0.5475, 1.4025])
    # Budget 2: best open per draw is max(1 - 0.05 i, 0.9 + 0.01 i): open-a up to i = 1, then
    # open-b; gaps are 0.5, 0.55, then 0.6 - 0.01 i for i = 2..19 (0.58 down to 0.41).
    best_open = np.maximum(1.0 - 0.05 * i, 0.9 + 0.01 * i)
    expected = np.percentile(1.5 - best_open, [5, 95])
    assert rows.loc[2.0, ["gap_low", "gap_high"]].tolist() == pytest.approx(expected.tolist())
    assert rows.loc[2.0, "gap"] == pytest.approx(0.5)  # point estimate: open-a (1.0)


def test_without_draws_no_interval() -> None:
    rows = equal_budget_gap(FRAME, None, [1.0])
    assert rows["gap"].iloc[0] == pytest.approx(0.5) and np.isnan(rows["gap_low"].iloc[0])


def test_budget_grid() -> None:
    assert budget_grid(np.array([np.nan, 0.1, 10.0]), n=3).tolist() == [0.1, 1.0, 10.0]
    assert budget_grid(np.array([np.nan])).size == 0
