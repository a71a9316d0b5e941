"""Smoothed twins of the step-function lags, and the intervals built from them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opengap.analysis.epoch_gap import epoch_gap
from opengap.analysis.frontier import DAYS_PER_MONTH, first_reach
from opengap.analysis.intervals import recentred_interval
from opengap.analysis.lag import gap_and_lag
from opengap.analysis.smoothing import interpolated_reach, interpolated_significance_day

DAYS = np.array([0.0, 100.0, 150.0, 300.0])
VALUES = np.array([10.0, 8.0, 14.0, 20.0])  # records: day 0 (10), day 150 (14), day 300 (20)


@pytest.mark.parametrize(("level", "day"), [
    (5.0, 0.0),      # at or below the first model: reached on the first day
    (10.0, 0.0),
    (12.0, 75.0),    # halfway from (0, 10) to (150, 14); day 100's model is not a record
    (14.0, 150.0),   # a record's own value: the step's day
    (17.0, 225.0),   # halfway from (150, 14) to (300, 20)
    (20.0, 300.0),
])  # fmt: skip
def test_interpolated_reach_ramps_between_record_setters(level: float, day: float) -> None:
    assert float(interpolated_reach(DAYS, VALUES, level)) == pytest.approx(day)


def test_interpolated_reach_is_never_later_than_the_step_and_never_reaches_above_the_top() -> None:
    levels = np.linspace(9.0, 20.0, 111)
    ramp = np.asarray([float(interpolated_reach(DAYS, VALUES, v)) for v in levels])
    step = np.asarray([float(first_reach(DAYS, VALUES, v)) for v in levels])
    assert (ramp <= step).all() and (np.diff(ramp) >= 0).all()
    assert np.max(np.abs(np.diff(ramp))) < 20.0  # continuous: no jump of a release spacing
    assert math.isinf(float(interpolated_reach(DAYS, VALUES, 20.5)))


def test_interpolated_reach_per_draw_and_unsorted_days() -> None:
    order = np.array([2, 0, 3, 1])
    draws = np.vstack([VALUES, VALUES + 2.0])[:, order]
    out = interpolated_reach(DAYS[order], draws, np.array([12.0, 12.0]))
    assert out.tolist() == pytest.approx([75.0, 0.0])


def test_significance_day_between_the_last_not_significant_record_and_the_next() -> None:
    days = np.array([0.0, 100.0, 200.0])
    # record 1 is the last not significantly better (0.75 < 0.95), record 2 is (1.0):
    # 0.95 lies (0.95 - 0.75) / (1.0 - 0.75) = 0.8 of the way, day 100 + 0.8 * 100
    assert interpolated_significance_day(days, np.array([0.99, 0.75, 1.0]), 0.95) == \
        pytest.approx(180.0)
    assert math.isnan(interpolated_significance_day(days, np.array([1.0, 1.0, 0.5]), 0.95))
    assert math.isnan(interpolated_significance_day(days, np.array([1.0, 1.0, 1.0]), 0.95))


def test_plain_lag_interval_is_not_pinned_where_every_draw_crosses_at_the_same_record() -> None:
    """Closed records a year apart; the open frontier a little below one of them: almost every
    draw's first reach is that record's day, so the step lag's draws pile on the point."""
    closed_days, closed_values = np.array([0.0, 365.0, 730.0]), np.array([0.0, 10.0, 20.0])
    open_days, open_values = np.array([900.0]), np.array([9.0])
    rng = np.random.default_rng(0)
    cw = closed_values + rng.normal(0, 0.3, (400, 3))
    ow = open_values + rng.normal(0, 0.3, (400, 1))
    step = (900.0 - first_reach(closed_days, cw, ow[:, 0])) / DAYS_PER_MONTH
    point = (900.0 - 365.0) / DAYS_PER_MONTH
    assert np.mean(step == point) > 0.95
    assert recentred_interval(point, step).ci_high == pytest.approx(point)  # the old interval
    lag = gap_and_lag(closed_days, closed_values, open_days, open_values, 900.0,
                      lead_draws=cw, trail_draws=ow).lag_months
    assert lag.value == pytest.approx(point)
    assert lag.ci_low < lag.value < lag.ci_high
    # the spread is what 0.3 points of noise mean on a ramp of 10 points a year: about a month
    assert 0.5 < lag.ci_high - lag.ci_low < 3.0


def test_significance_interval_not_pinned_on_a_step_and_at_zero_where_it_cannot_move() -> None:
    closed_days, closed_values = np.array([0.0, 365.0, 730.0]), np.array([0.0, 10.0, 20.0])
    rng = np.random.default_rng(1)
    cw = closed_values + rng.normal(0, 1.0, (300, 3))
    ow = np.array([9.0]) + rng.normal(0, 1.0, (300, 1))
    lag = epoch_gap(closed_days, closed_values, cw, [900.0], [9.0], ow, [900.0]).lag_months
    # record 10 is not significantly above 9 (sd 1.4), record 20 is: counted from day 729
    assert lag.value * DAYS_PER_MONTH == pytest.approx(900.0 - 729.0)
    assert lag.ci_low < lag.value < lag.ci_high
    level = epoch_gap(closed_days, closed_values, cw, [900.0], [25.0], ow + 16.0, [900.0])
    assert level.lag_months.value == 0.0 and level.lag_months.ci_low == 0.0
