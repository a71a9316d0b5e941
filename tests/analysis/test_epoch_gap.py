"""Epoch's significance-aware lag and window average, on catalogues with a known lag."""

from __future__ import annotations

import numpy as np
import pytest

from opengap.analysis.epoch_gap import epoch_gap
from opengap.analysis.frontier import DAYS_PER_MONTH

SLOPE = 0.5  # points per month


def shifted(k: float, below: float = 0.01) -> tuple[np.ndarray, ...]:
    """Closed: a model a month on a line; open: the same, k months later and ``below`` lower."""
    months = np.arange(49, dtype=float)
    closed_days = 18_000 + np.round(months * DAYS_PER_MONTH)
    closed_values = 100 + SLOPE * months
    end = float(closed_days[-1])
    open_days = closed_days + round(k * DAYS_PER_MONTH)
    keep = open_days <= end
    return closed_days, closed_values, open_days[keep], closed_values[keep] - below, end


@pytest.mark.parametrize("k", [3, 6, 9])
def test_without_noise_the_lag_runs_from_the_day_before_the_matching_record(k: int) -> None:
    """The closed record the open model matches is the last one not significantly better."""
    cd, cv, od, ov, end = shifted(k)
    result = epoch_gap(cd, cv, cv[None, :], od, ov, ov[None, :], [end])
    expected_days = round(k * DAYS_PER_MONTH) + 1  # counted from the day before that record
    assert result.lag_months.value * DAYS_PER_MONTH == pytest.approx(expected_days)
    assert result.vertical_gap.value == pytest.approx(SLOPE * k + 0.01)
    assert result.censored_days == 0


def test_window_average_is_the_mean_of_the_daily_lags() -> None:
    cd, cv, od, ov, end = shifted(6)
    days = np.arange(end - 99, end + 1)
    result = epoch_gap(cd, cv, cv[None, :], od, ov, ov[None, :], days)
    daily = [epoch_gap(cd, cv, cv[None, :], od, ov, ov[None, :], [d]).lag_months.value
             for d in days[::11]]
    sub = epoch_gap(cd, cv, cv[None, :], od, ov, ov[None, :], days[::11])
    assert sub.lag_months.value == pytest.approx(np.mean(daily))
    assert result.n_days == 100
    # between open releases the lag grows a day a day, so the mean exceeds the lag on release
    assert 6.0 < result.lag_months.value < 7.1


def test_not_significantly_behind_gives_zero_and_always_behind_is_censored() -> None:
    lead = np.array([[2.0], [1.0], [2.0], [1.0]])
    trail = np.array([[1.5], [1.5], [1.5], [1.5]])
    close = epoch_gap([0.0], [1.5], lead, [10.0], [1.5], trail, [10.0])
    assert close.lag_months.value == 0.0
    far = epoch_gap([0.0, 50.0], [5.0, 6.0], [[5.0, 6.0]], [100.0], [1.0], [[1.0]], [100.0])
    assert far.censored_days == 1
    assert far.lag_months.value * DAYS_PER_MONTH == pytest.approx(101.0)


def test_noise_gives_an_interval_that_holds_the_point_and_is_not_pinned_to_it() -> None:
    rng = np.random.default_rng(4)
    cd, cv, od, ov, end = shifted(6)
    cw = cv + rng.normal(0, 1.0, (300, cv.size))
    ow = ov + rng.normal(0, 1.0, (300, ov.size))
    result = epoch_gap(cd, cv, cw, od, ov, ow, [end])
    lag = result.lag_months
    assert lag.ci_low < lag.value < lag.ci_high
    assert lag.ci_high - lag.ci_low > 1.0
    # significance counts noisy near-ties as caught up: below the plain 6-month lag
    assert lag.value < 6.0
