"""The 90% intervals of the gap estimators cover a known target 80–97% of the time.

Synthetic ecosystems (:mod:`opengap.analysis.coverage`): 60 closed models over three years with
scatter, the open group the same models 3, 6 or 9 months later, noisy estimates (larger noise
for a third of the models, as for models missing benchmarks) and bootstrap-like draws. The lag,
trend and catch-up target the shift; Epoch's significance-aware lag its own value on the true
capabilities. Coverage is pooled over the three shifts (90 ecosystems per estimator) to keep the
test to a few seconds; ``benchmarks/bench_coverage.py`` prints the table per shift with more
replications.
"""

from __future__ import annotations

import numpy as np
import pytest

from opengap.analysis.coverage import ESTIMATORS, coverage_table, ecosystem, target


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return coverage_table(replications=30, n_draws=50, seed=1)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_ninety_percent_intervals_cover_the_known_target(table, estimator: str) -> None:  # type: ignore[no-untyped-def]
    rows = table.loc[table["estimator"] == estimator]
    assert (rows["defined"] == rows["replications"]).all()
    pooled = (rows["coverage"] * rows["defined"]).sum() / rows["defined"].sum()
    assert 0.80 <= pooled <= 0.97, rows.to_string()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_points_are_not_pinned_to_their_intervals(table, estimator: str) -> None:  # type: ignore[no-untyped-def]
    """A step statistic (the lags) is not on a bound of its interval more than 1 time in 20."""
    rows = table.loc[table["estimator"] == estimator]
    assert (rows["on_a_bound"] <= 0.05).all(), rows.to_string()


def test_the_significance_target_is_shorter_than_the_shift_and_grows_with_it() -> None:
    """Near-ties count as caught up, so the significance-aware lag's target is below the
    shift; it is a lag all the same, so it grows with the shift."""
    rng = np.random.default_rng(3)
    means = [np.mean([target(ecosystem(s, rng, n_draws=50), "significance")
                      for _ in range(15)]) for s in (3.0, 9.0)]
    assert 0.0 <= means[0] < 3.0 and means[0] < means[1] < 9.0
