"""Interval constructions: percentile, recentred (lags) and basic (catch-up summaries)."""

from __future__ import annotations

import numpy as np
import pytest

from opengap.analysis.intervals import basic_interval, interval, recentred_interval


def test_recentred_interval_straddles_a_point_its_draws_all_fall_below() -> None:
    """Draws shifted below the point (a lag off noisier maxima): percentile misses, this holds."""
    draws = np.linspace(4.0, 10.0, 601)
    assert interval(10.0, draws).ci_high < 10.0
    recentred = recentred_interval(10.0, draws)
    assert recentred.ci_low == pytest.approx(10.0 - (7.0 - 4.3))
    assert recentred.ci_high == pytest.approx(10.0 + (9.7 - 7.0))


def test_basic_interval_reflects_a_biased_statistic_back_over_the_point() -> None:
    draws = np.linspace(11.0, 13.0, 201)  # the draws run 1-3 above the point
    basic = basic_interval(10.0, draws)
    assert basic.ci_low == pytest.approx(2 * 10.0 - 12.9)
    assert basic.ci_high == pytest.approx(10.0)  # never excludes the point itself
