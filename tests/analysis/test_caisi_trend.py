"""The CAISI trend lag: known shifts recovered, the Working–Hotelling band and its coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from opengap.analysis.caisi_report import caisi_trend_report
from opengap.analysis.caisi_trend import band_crossings, caisi_trend_lag, fit_line
from opengap.analysis.frontier import DAYS_PER_MONTH
from opengap.analysis.reports import Context, Table
from opengap.errors import BadArgument

SLOPE = 0.5  # points per month


def shifted(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Leader: a model a month on a line; trailer: the same models released k months later."""
    months = np.arange(36, dtype=float)
    lead_days = 19_000 + months * DAYS_PER_MONTH
    values = 100 + SLOPE * months
    end = float(lead_days[-1])
    trail_days = lead_days + k * DAYS_PER_MONTH
    keep = trail_days <= end + 1e-9
    return lead_days, values, trail_days[keep], values[keep], end


@pytest.mark.parametrize("k", [3.0, 6.0, 9.0])
def test_a_group_shifted_by_k_months_trails_by_k(k: float) -> None:
    ld, lv, td, tv, end = shifted(k)
    result = caisi_trend_lag(ld, lv, td, tv, end)
    assert result.lag_months.value == pytest.approx(k, abs=1e-6)
    assert result.model_lag_months == pytest.approx(k, abs=1e-6)
    assert result.vertical_gap.value == pytest.approx(SLOPE * k, abs=1e-6)
    assert result.lead_slope_per_year.value == pytest.approx(SLOPE * 12, rel=1e-6)


def test_only_frontier_models_enter_the_line() -> None:
    """A model below its group's earlier best does not move the leader's line."""
    ld, lv, td, tv, end = shifted(6.0)
    weak_days = np.r_[ld, ld[10] + 5.0]
    weak_values = np.r_[lv, lv[10] - 20.0]
    with_weak = caisi_trend_lag(weak_days, weak_values, td, tv, end)
    assert with_weak.lag_months.value == pytest.approx(6.0, abs=1e-6)
    assert with_weak.lead_points == ld.size


def test_band_edges_are_where_the_band_meets_the_horizontal_line() -> None:
    rng = np.random.default_rng(3)
    days = np.linspace(0, 700, 15)
    values = 50 + 0.05 * days + rng.normal(0, 1.0, days.size)
    line = fit_line(days, values, 700.0)
    assert line is not None
    y = 70.0
    early, late = band_crossings(line, y)
    assert early < line.reached(y) < late
    for day, sign in ((early, +1), (late, -1)):
        edge = float(line.value(day)) + sign * float(line.half_width(day))
        assert edge == pytest.approx(y, abs=1e-8)


def test_band_covers_the_true_crossing_at_least_95_percent_of_the_time() -> None:
    """Working–Hotelling is simultaneous, so a horizontal reading covers at >= 95%."""
    rng = np.random.default_rng(11)
    days = np.linspace(0, 700, 12)
    truth = 600.0  # the true line 50 + 0.05 t reaches 80 on day 600
    covered = 0
    trials = 400
    for _ in range(trials):
        values = 50 + 0.05 * days + rng.normal(0, 2.0, days.size)
        line = fit_line(days, values, 700.0)
        assert line is not None
        early, late = band_crossings(line, 80.0)
        covered += bool(early <= truth <= late) if math.isfinite(early) else 0
    assert covered / trials >= 0.93


def test_working_hotelling_multiplier_matches_the_f_quantile() -> None:
    days = np.arange(10.0)
    line = fit_line(days, 2 * days + np.tile([0.5, -0.5], 5), 9.0)
    assert line is not None
    w = math.sqrt(2 * stats.f.ppf(0.95, 2, 8))
    se = line.resid_sd * math.sqrt(1 / 10 + (9.0 - 4.5) ** 2 / 82.5)
    assert float(line.half_width(9.0)) == pytest.approx(w * se)


def test_draws_give_an_interval_around_the_lag() -> None:
    rng = np.random.default_rng(5)
    ld, lv, td, tv, end = shifted(6.0)
    lw = lv + rng.normal(0, 1.0, (200, lv.size))
    tw = tv + rng.normal(0, 1.0, (200, tv.size))
    result = caisi_trend_lag(ld, lv, td, tv, end, lead_draws=lw, trail_draws=tw)
    lag = result.lag_months
    assert lag.ci_low < lag.value < lag.ci_high
    assert lag.ci_high - lag.ci_low > 0.5


def _table(days: np.ndarray, values: np.ndarray, countries: list[str]) -> Table:
    import pandas as pd

    frame = pd.DataFrame({
        "model_id": [f"m{i}" for i in range(days.size)],
        "name": [f"M{i}" for i in range(days.size)],
        "release_date": pd.to_datetime(days, unit="D").date,
        "weights": ["open"] * days.size, "country": countries, "value": values,
    })  # fmt: skip
    return Table.build(frame)


def test_report_by_country_picks_the_leader_and_names_both_intervals() -> None:
    ld, lv, td, tv, _ = shifted(6.0)
    table = _table(np.r_[ld, td], np.r_[lv, tv], ["United States"] * ld.size
                   + ["China"] * td.size)
    report = caisi_trend_report(table, "country", Context(unit="points"))
    assert (report.lead, report.trail) == ("United States", "China")
    assert report.trend.lag_months.value == pytest.approx(6.0, abs=0.05)  # whole days
    data = report.to_dict()
    assert data["method"] == "caisi-trend" and "Working-Hotelling" in data["band_interval"]
    assert "China models trail United States by 6.0 months" in report.headline
    swapped = caisi_trend_report(table, "country", Context(), groups=["China", "United States"])
    assert swapped.lead == "United States"


def test_report_refuses_a_group_that_is_not_there() -> None:
    ld, lv, _, _, _ = shifted(6.0)
    table = _table(ld, lv, ["United States"] * ld.size)
    with pytest.raises(BadArgument, match="needs two country groups"):
        caisi_trend_report(table, "country", Context())
    with pytest.raises(BadArgument, match="unknown group 'France' for --by country"):
        caisi_trend_report(table, "country", Context(), groups=["United States", "France"])
