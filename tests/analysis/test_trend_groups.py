"""Trend lag recovery, groupings, size classes and transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opengap.analysis import DAYS_PER_MONTH, group_labels, size_class, transform, trend_lag
from opengap.analysis.groups import size_labels
from opengap.errors import BadArgument


def line(days: np.ndarray, per_year: float, offset_days: float = 0.0) -> np.ndarray:
    return 50 + per_year * (days - offset_days) / 365


@pytest.mark.parametrize("k", [0, 3, 6, 12])
def test_trend_offset_recovered_with_shared_slope(k: int) -> None:
    days = np.arange(0, 1460, 20.0)
    trend = trend_lag(days, line(days, 8.0), days, line(days, 8.0, k * DAYS_PER_MONTH), 1460.0)
    assert trend.lag_months.value == pytest.approx(k, abs=1e-6)
    assert trend.vertical_gap.value == pytest.approx(8.0 * k / 12, abs=1e-6)
    assert trend.lead_slope_per_year.value == pytest.approx(8.0)


def test_trend_with_noise_and_bootstrap_interval_covers_the_offset() -> None:
    rng = np.random.default_rng(3)
    days = np.sort(rng.uniform(0, 1460, 60))
    lead = line(days, 8.0) + rng.normal(0, 0.3, days.size)
    trail = line(days, 8.0, 6 * DAYS_PER_MONTH) + rng.normal(0, 0.3, days.size)
    lead_draws = lead + rng.normal(0, 0.3, (200, days.size))
    trail_draws = trail + rng.normal(0, 0.3, (200, days.size))
    trend = trend_lag(days, lead, days, trail, 1460.0, lead_draws=lead_draws,
                      trail_draws=trail_draws)
    assert trend.lag_months.value == pytest.approx(6, abs=1.5)
    assert trend.lag_months.ci_low < trend.lag_months.value < trend.lag_months.ci_high


def test_separate_slopes_measure_the_lag_at_the_date() -> None:
    days = np.arange(0, 1460, 30.0)
    # trailing line is flatter: at day 1460 it is at 50 + 6*4 = 74; leader (8/yr) hit 74 at 3 yr
    trend = trend_lag(days, line(days, 8.0), days, line(days, 6.0), 1460.0, separate_slopes=True)
    assert trend.lag_months.value == pytest.approx(12.0, abs=1e-6)
    assert trend.trail_slope_per_year.value == pytest.approx(6.0)
    shared = trend_lag(days, line(days, 8.0), days, line(days, 6.0), 1460.0)
    assert shared.lag_months.value != pytest.approx(12.0, abs=0.5)


def test_single_model_trailing_group() -> None:
    days = np.arange(0, 730, 30.0)
    trend = trend_lag(days, line(days, 12.0), [700.0], [line(np.array([700.0 - 91.25]), 12.0)[0]],
                      730.0)
    assert trend.lag_months.value == pytest.approx(3.0, abs=1e-6)
    separate = trend_lag(days, line(days, 12.0), [700.0], [60.0], 730.0, separate_slopes=True)
    assert np.isnan(separate.lag_months.value)


def test_size_classes_default_and_custom() -> None:
    assert size_class([3, 10, 49.9, 50, 199, 200, None, float("nan")]).tolist() == [
        "<10B", "10-49B", "10-49B", "50-199B", "50-199B", ">=200B", "unknown", "unknown"]
    assert size_labels([7, 70]) == ["<7B", "7-69B", ">=70B", "unknown"]
    assert size_labels([1.5, 3]) == ["<1.5B", "1.5-<3B", ">=3B", "unknown"]
    with pytest.raises(BadArgument, match="increasing positive"):
        size_labels([50, 10])


def test_group_labels() -> None:
    models = pd.DataFrame({"weights": ["open", "closed", None], "country": ["China", "", None],
                           "params_total_b": [7, 70, None]})
    assert group_labels(models, "country").tolist() == ["China", "unknown", "unknown"]
    assert group_labels(models, "size").tolist() == ["<10B", "50-199B", "unknown"]
    assert group_labels(models, "license").tolist() == ["unknown"] * 3
    with pytest.raises(BadArgument, match="unknown grouping 'colour'"):
        group_labels(models, "colour")


def test_transforms() -> None:
    assert transform([0.0, 1 - np.exp(-1)], "neglog1m") == pytest.approx([0.0, 1.0])
    assert transform([2.0], "none").tolist() == [2.0]
    with pytest.raises(BadArgument, match=r"accuracies in \[0, 1\]"):
        transform([0.5, 85.0], "neglog1m")
    with pytest.raises(BadArgument, match="unknown transform"):
        transform([0.5], "log")
