"""Frontiers, vertical gap and lag on synthetic catalogues with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from opengap.analysis import (
    DAYS_PER_MONTH,
    first_reach,
    from_days,
    frontier_at,
    gap_and_lag,
    lag_series,
    month_ends,
    significance_lag,
    to_days,
)

SLOPE = 0.5  # capability points per month


def shifted_catalogue(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Closed models every month for four years on a line; open = closed shifted by k months."""
    months = np.arange(49, dtype=float)
    closed_days = 18_000 + months * DAYS_PER_MONTH
    closed_values = 100 + SLOPE * months
    end = float(closed_days[-1])
    open_days = closed_days + k * DAYS_PER_MONTH
    keep = open_days <= end + 1e-9
    return closed_days, closed_values, open_days[keep], closed_values[keep], end


@pytest.mark.parametrize("k", [0, 3, 6, 12])
def test_shifted_open_models_lag_by_exactly_k_months(k: int) -> None:
    cd, cv, od, ov, end = shifted_catalogue(k)
    lag = gap_and_lag(cd, cv, od, ov, end)
    assert lag.lag_months.value == pytest.approx(k, abs=1e-9)
    assert lag.vertical_gap.value == pytest.approx(SLOPE * k, abs=1e-9)
    assert lag.lead_best == len(cd) - 1
    assert od[lag.trail_best] == pytest.approx(end)


@pytest.mark.parametrize("k", [0, 3, 6, 12])
def test_significance_lag_without_noise_equals_plain_lag(k: int) -> None:
    cd, cv, od, ov, end = shifted_catalogue(k)
    lag = gap_and_lag(cd, cv, od, ov, end, significance=True)
    assert lag.lag_months.value == pytest.approx(k, abs=1e-9)
    assert not lag.censored


def test_series_at_release_dates_is_k_and_between_releases_within_one_month() -> None:
    k = 6
    cd, cv, od, ov, end = shifted_catalogue(k)
    at_releases = lag_series(cd, cv, od, ov, od)
    assert np.allclose(at_releases["lag_months"], k)
    assert np.allclose(at_releases["vertical_gap"], SLOPE * k)
    monthly = lag_series(cd, cv, od, ov, month_ends(od[0], end))
    assert ((monthly["lag_months"] >= k - 1e-9) & (monthly["lag_months"] < k + 1)).all()
    assert list(monthly.columns) == ["date", "vertical_gap", "vertical_gap_low",
                                     "vertical_gap_high", "lag_months", "lag_low", "lag_high"]


def test_open_ahead_gives_negative_lag_antisymmetric() -> None:
    cd, cv, od, ov, end = shifted_catalogue(3)
    forward = gap_and_lag(cd, cv, od, ov, end)
    backward = gap_and_lag(od, ov, cd, cv, end)
    assert backward.lag_months.value == pytest.approx(-forward.lag_months.value)
    assert backward.vertical_gap.value == pytest.approx(-forward.vertical_gap.value)


def test_single_model_groups() -> None:
    lag = gap_and_lag([0.0], [2.0], [365.0], [2.0], 365.0)
    assert lag.lag_months.value == pytest.approx(12.0)
    assert lag.vertical_gap.value == 0.0
    lag = gap_and_lag([0.0], [2.0], [365.0], [1.0], 365.0)
    assert lag.lag_months.value == pytest.approx(12.0)  # closed reached 1.0 at day 0
    assert lag.vertical_gap.value == 1.0


def test_group_without_a_model_yet_gives_nan() -> None:
    lag = gap_and_lag([0.0], [2.0], [400.0], [1.0], 365.0)
    assert np.isnan(lag.lag_months.value) and np.isnan(lag.vertical_gap.value)
    assert lag.trail_best is None


def test_same_day_release_frontier_takes_the_best() -> None:
    assert frontier_at([5, 5, 9], [1.0, 3.0, 2.0], [5, 9]).tolist() == [3.0, 3.0]
    assert first_reach([5, 5, 9], [1.0, 3.0, 2.0], 2.5) == 5.0
    assert first_reach([5, 5, 9], [1.0, 3.0, 2.0], 4.0) == np.inf


def test_frontier_on_draws_is_per_draw_running_max() -> None:
    draws = np.array([[1.0, 2.0, 0.0], [3.0, 1.0, 4.0]])
    assert frontier_at([0, 1, 2], draws, [1, 2]).tolist() == [[2.0, 2.0], [3.0, 4.0]]
    assert first_reach([0, 1, 2], draws, np.array([1.5, 3.5])).tolist() == [1.0, 2.0]


def test_interval_from_draws_covers_and_is_computed_per_draw() -> None:
    rng = np.random.default_rng(0)
    cd, cv, od, ov, end = shifted_catalogue(6)
    n = 400
    cw = cv + rng.normal(0, 0.5, (n, cv.size))
    ow = ov + rng.normal(0, 0.5, (n, ov.size))
    lag = gap_and_lag(cd, cv, od, ov, end, lead_draws=cw, trail_draws=ow)
    assert lag.lag_months.ci_low < 6 < lag.lag_months.ci_high
    assert lag.vertical_gap.ci_low < 3 < lag.vertical_gap.ci_high
    per_draw = [gap_and_lag(cd, cw[j], od, ow[j], end).vertical_gap.value for j in range(n)]
    assert lag.vertical_gap.ci_low == pytest.approx(np.percentile(per_draw, 5))
    assert lag.vertical_gap.ci_high == pytest.approx(np.percentile(per_draw, 95))
    assert 0.9 < lag.probability_behind <= 1.0


def test_interval_coverage_of_the_vertical_gap() -> None:
    """Parametric bootstrap around noisy estimates covers the true gap most of the time."""
    rng = np.random.default_rng(1)
    cd, cv, od, ov, end = shifted_catalogue(6)
    truth = gap_and_lag(cd, cv, od, ov, end).vertical_gap.value
    covered = 0
    reps = 100
    for _ in range(reps):
        ce, oe = cv + rng.normal(0, 0.3, cv.size), ov + rng.normal(0, 0.3, ov.size)
        cw = ce + rng.normal(0, 0.3, (200, cv.size))
        ow = oe + rng.normal(0, 0.3, (200, ov.size))
        lag = gap_and_lag(cd, ce, od, oe, end, lead_draws=cw, trail_draws=ow)
        covered += lag.vertical_gap.ci_low <= truth <= lag.vertical_gap.ci_high
    assert covered >= 70


def test_significance_lag_is_shorter_than_the_plain_lag_and_inside_its_own_interval() -> None:
    """Noisy near-ties count as caught up, so Epoch's lag is shorter than the plain one."""
    rng = np.random.default_rng(2)
    cd, cv, od, ov, end = shifted_catalogue(6)
    cw = cv + rng.normal(0, 1.0, (500, cv.size))
    ow = ov + rng.normal(0, 1.0, (500, ov.size))
    plain = gap_and_lag(cd, cv, od, ov, end, lead_draws=cw, trail_draws=ow)
    sig = gap_and_lag(cd, cv, od, ov, end, lead_draws=cw, trail_draws=ow, significance=True)
    assert sig.lag_months.value < plain.lag_months.value
    assert sig.lag_months.ci_low <= sig.lag_months.value <= sig.lag_months.ci_high


def test_significance_lag_zero_when_not_significantly_behind() -> None:
    draws_lead = np.array([[2.0], [1.0], [2.0], [1.0]])
    draws_trail = np.array([[1.5], [1.5], [1.5], [1.5]])
    assert significance_lag([0.0], draws_lead, [10.0], draws_trail, 10.0) == (0.0, False)


def test_significance_lag_censored_when_always_significantly_behind() -> None:
    days, censored = significance_lag([0.0, 50.0], [[5.0, 6.0]], [100.0], [[1.0]], 100.0)
    assert days == 100.0 and censored


def test_dates_round_trip() -> None:
    days = to_days(["2024-02-29", None])
    assert from_days(days[0]).isoformat() == "2024-02-29"
    assert np.isnan(days[1])
    assert [d.isoformat() for d in map(from_days, month_ends(days[0], days[0] + 40))] == [
        "2024-02-29", "2024-03-31", "2024-04-09"]
