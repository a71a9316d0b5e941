"""Catch-up events (Epoch 2024) on hand-made series with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opengap.analysis import DAYS_PER_MONTH, catch_up, record_setters, to_days


def d(*dates: str) -> np.ndarray:
    return to_days(list(dates))


def test_hand_computed_series() -> None:
    closed = (["c1", "c2", "c3", "c4", "c5"],
              d("2020-01-01", "2020-07-01", "2021-01-01", "2021-06-01", "2022-01-01"),
              [0.50, 0.60, 0.70, 0.72, 0.90])
    opened = (["o1", "o2", "o3", "o4", "o5"],
              d("2020-06-01", "2020-10-01", "2021-03-01", "2021-09-01", "2021-12-01"),
              [0.40, 0.55, 0.62, 0.71, 0.69])
    result = catch_up(*closed, *opened, tolerance=0.02)
    # c1 (0.50) -> first open > 0.48 is o2 (274 days); last matched 0.55
    # c2 (0.60 > 0.57) -> first open > 0.58 is o3 (243 days); last matched 0.62
    # c3 (0.70 > 0.64) -> first open > 0.68 is o4 (243 days); last matched 0.71
    # c4 (0.72 <= 0.73) -> skipped; c5 (0.90) -> no open > 0.88 -> censored
    assert [(p.closed_model, p.open_model) for p in result.pairs] == [
        ("c1", "o2"), ("c2", "o3"), ("c3", "o4")]
    assert [p.lag_months for p in result.pairs] == pytest.approx(
        [274 * 12 / 365, 243 * 12 / 365, 243 * 12 / 365])
    assert [c.closed_model for c in result.censored] == ["c5"]
    assert result.censored[0].months_elapsed == pytest.approx(0.0)
    summary = result.summary()
    assert summary["mean_lag_months"] == pytest.approx((274 + 243 + 243) * 12 / 365 / 3)
    assert summary["median_lag_months"] == pytest.approx(243 * 12 / 365)
    assert summary["p5_lag_months"] == pytest.approx(243 * 12 / 365)
    assert summary["p95_lag_months"] == pytest.approx((243 + 0.9 * 31) * 12 / 365)
    pair = result.pairs[0].to_dict()
    assert pair["closed_date"] == "2020-01-01" and pair["open_date"] == "2020-10-01"


def test_without_tolerance_every_higher_closed_record_needs_a_strictly_better_open_one() -> None:
    result = catch_up(["c"], [0.0], [0.5], ["o1", "o2"], [10.0, 20.0], [0.5, 0.51])
    assert [p.open_model for p in result.pairs] == ["o2"]


def test_open_group_that_never_catches_up_is_censored_not_a_number() -> None:
    closed_days = np.arange(0, 720, 30.0)
    result = catch_up([f"c{i}" for i in range(closed_days.size)], closed_days,
                      0.5 + closed_days / 1000, ["o"], [700.0], [0.3], tolerance=0.02)
    assert result.pairs == []
    assert len(result.censored) == closed_days.size
    assert result.censored[0].months_elapsed == pytest.approx(700 / DAYS_PER_MONTH)
    assert all(math.isnan(v) for v in result.summary().values())


def test_same_day_ties_keep_only_the_best() -> None:
    records = record_setters(["a", "b", "c", "d"], [0, 0, 0, 3], [0.2, 0.6, 0.4, 0.5])
    assert records["model_id"].tolist() == ["b"]
    # equal scores on the same day: the first model id wins
    records = record_setters(["z", "y"], [0, 0], [0.6, 0.6])
    assert records["model_id"].tolist() == ["y"]
    result = catch_up(["c1", "c2"], [0, 0], [0.3, 0.7], ["o1", "o2"], [30, 30], [0.69, 0.5],
                      tolerance=0.02)
    assert [(p.closed_model, p.open_model) for p in result.pairs] == [("c2", "o1")]


def test_records_need_to_beat_the_previous_best_strictly() -> None:
    records = record_setters(["a", "b", "c", "d"], [0, 1, 2, 3], [0.5, 0.5, 0.4, 0.7])
    assert records["model_id"].tolist() == ["a", "d"]


def test_single_model_groups_and_negative_lag_when_open_led() -> None:
    result = catch_up(["c"], [365.0], [0.5], ["o"], [0.0], [0.6])
    assert [p.lag_months for p in result.pairs] == pytest.approx([-12.0])


def test_negative_tolerance_rejected() -> None:
    with pytest.raises(ValueError):
        catch_up(["c"], [0.0], [0.5], ["o"], [1.0], [0.6], tolerance=-0.1)


def test_fast_per_draw_lags_agree_with_catch_up() -> None:
    from opengap.analysis.catchup import catch_up_lags, lag_summary

    rng = np.random.default_rng(4)
    cd, od = np.sort(rng.uniform(0, 1000, 30)), np.sort(rng.uniform(100, 1100, 30))
    cw, ow = rng.uniform(0, 1, (20, 30)), rng.uniform(0, 1, (20, 30))
    lags = catch_up_lags(cd, cw, od, ow, tolerance=0.02)
    summaries = lag_summary(lags)
    for k in range(20):
        ids_c, ids_o = [f"c{i:02d}" for i in range(30)], [f"o{i:02d}" for i in range(30)]
        slow = catch_up(ids_c, cd, cw[k], ids_o, od, ow[k], tolerance=0.02)
        assert lags[k][np.isfinite(lags[k])].tolist() == pytest.approx(slow.lags.tolist())
        for key, value in slow.summary().items():
            assert summaries[key][k] == pytest.approx(value, nan_ok=True)


def test_mean_interval_reflects_the_spread_of_the_pairs() -> None:
    """Exact values, five pairs from 12 to 24 months: the mean's interval spans the spread.

    A bootstrap over five pairs with standard deviation s gives a 90% interval of roughly
    mean ± 1.645 s / √5 (a bit narrower: the plug-in spread of a resample is biased low).
    """
    from opengap.analysis.catchup import lag_summary, resampled_pairs

    lags = np.array([[12.0, 15.0, 18.0, 21.0, 24.0]])
    per_draw = lag_summary(resampled_pairs(lags, n_draws=4000))
    low, high = np.percentile(per_draw["mean_lag_months"], [5, 95])
    half = 1.645 * np.std(lags, ddof=1) / np.sqrt(5)
    assert 0.7 * half < 18.0 - low < 1.1 * half
    assert 0.7 * half < high - 18.0 < 1.1 * half
