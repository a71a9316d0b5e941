"""The 90% intervals of the lag, trend and catch-up estimators cover a known lag 80–97% of the time.

Synthetic ecosystems (:mod:`opengap.analysis.coverage`): 60 closed models over three years with
scatter, the open group the same models 3, 6 or 9 months later, noisy estimates (larger noise
for a third of the models, as for models missing benchmarks) and bootstrap-like draws. Coverage
is pooled over the three shifts (90 ecosystems per estimator) to keep the test to a few seconds;
``benchmarks/bench_coverage.py`` prints the table per shift with more replications.
"""

from __future__ import annotations

import pytest

from opengap.analysis.coverage import ESTIMATORS, coverage_table


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return coverage_table(replications=30, n_draws=50, seed=1)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_ninety_percent_intervals_cover_the_known_lag(table, estimator: str) -> None:  # type: ignore[no-untyped-def]
    rows = table.loc[table["estimator"] == estimator]
    assert (rows["defined"] == rows["replications"]).all()
    pooled = (rows["coverage"] * rows["defined"]).sum() / rows["defined"].sum()
    assert 0.80 <= pooled <= 0.97, rows.to_string()


def test_trend_and_catch_up_points_are_not_pinned_to_their_intervals(table) -> None:  # type: ignore[no-untyped-def]
    rows = table.loc[table["estimator"].isin(["trend", "catch-up"])]
    assert (rows["on_a_bound"] <= 0.05).all(), rows.to_string()
