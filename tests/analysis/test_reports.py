"""Gap reports over a table of models: JSON shapes, groupings, headlines and bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from opengap.analysis import DAYS_PER_MONTH, from_days
from opengap.analysis.reports import (
    Context,
    Table,
    catch_up_report,
    group_report,
    lag_report,
    resolve_at,
    trend_report,
    weights_masks,
)
from opengap.analysis.sensitivity import influence_table, widening_table
from opengap.errors import BadArgument


def catalogue(k: float = 6, noise: float = 0.0, n_draws: int = 0) -> tuple[pd.DataFrame, object]:
    """Closed models monthly on a line; open models the same shifted k months, two countries."""
    months = np.arange(37, dtype=float)
    start = 19_000.0
    rows = []
    for i, m in enumerate(months):
        rows.append({"model_id": f"closed-{i}", "name": f"Closed {i}", "weights": "closed",
                     "release_date": from_days(start + m * DAYS_PER_MONTH), "value": 100 + m,
                     "country": "United States", "params_total_b": None,
                     "license_class": "closed", "organization": "Lab C"})
        day = start + (m + k) * DAYS_PER_MONTH
        if day <= start + months[-1] * DAYS_PER_MONTH + 1e-6:
            rows.append({"model_id": f"open-{i}", "name": f"Open {i}", "weights": "open",
                         "release_date": from_days(day), "value": 100 + m,
                         "country": "China" if i % 2 else "United States",
                         "params_total_b": 7.0 if i % 3 else 70.0,
                         "license_class": "permissive", "organization": "Lab O"})
    frame = pd.DataFrame(rows)
    draws = None
    if n_draws:
        rng = np.random.default_rng(0)
        draws = frame["value"].to_numpy() + rng.normal(0, noise, (n_draws, len(frame)))
    return frame, draws


def split(frame: pd.DataFrame, draws: object = None) -> tuple[Table, Table]:
    table = Table.build(frame, draws)  # type: ignore[arg-type]
    closed, opened = weights_masks(table)
    return table.subset(closed), table.subset(opened)


def test_lag_report_json_shape_and_headline() -> None:
    frame, draws = catalogue(6, noise=0.5, n_draws=200)
    closed, opened = split(frame, draws)
    report = lag_report(closed, opened, resolve_at(None, closed, opened), Context(fit_id="f1"))
    data = report.to_dict()
    assert {"method", "at", "best_open", "best_closed", "vertical_gap", "lag_months", "series",
            "headline", "fit_id"} <= set(data)
    assert set(data["best_open"]) >= {"model_id", "capability", "release_date"}
    assert set(data["vertical_gap"]) == {"value", "ci_low", "ci_high"}
    assert set(data["series"][0]) == {"date", "vertical_gap", "vertical_gap_low",
                                      "vertical_gap_high", "lag_months", "lag_low", "lag_high"}
    assert data["lag_months"]["value"] == pytest.approx(6.0, abs=0.034)
    assert data["vertical_gap"]["value"] == pytest.approx(6.0, abs=0.034)
    assert data["best_closed"]["model_id"] == "closed-36"
    assert data["fit_id"] == "f1"
    json.dumps(data)  # JSON-ready as is
    assert report.headline.startswith("Open models trail closed by 6.0 months (90% CI ")
    assert "6.0 points (90% CI" in report.headline


def test_lag_headline_without_draws_has_no_interval() -> None:
    frame, _ = catalogue(3)
    closed, opened = split(frame)
    report = lag_report(closed, opened, resolve_at(None, closed, opened), Context())
    assert report.headline == (
        f"Open models trail closed by 3.0 months, 3.0 points as of {report.at.isoformat()}.")


def test_at_outside_the_data_is_a_bad_argument() -> None:
    frame, _ = catalogue(6)
    closed, opened = split(frame)
    with pytest.raises(BadArgument, match=r"--at 2099-01-01 is outside the data: both groups"):
        resolve_at("2099-01-01", closed, opened)
    with pytest.raises(BadArgument, match="is outside the data"):
        resolve_at(from_days(closed.days.min()), closed, opened)  # before any open model
    with pytest.raises(BadArgument, match="is not a date"):
        resolve_at("soon", closed, opened)
    day = resolve_at(from_days(opened.days.max() - 40), closed, opened)
    assert day == pytest.approx(np.floor(opened.days.max() - 40))


def test_catch_up_report_shape() -> None:
    frame, draws = catalogue(6, noise=0.2, n_draws=50)
    closed, opened = split(frame, draws)
    report = catch_up_report(closed, opened, Context(), tolerance=0.5)
    data = report.to_dict()
    assert {"method", "pairs", "censored", "mean_lag_months", "median_lag_months",
            "p5_lag_months", "p95_lag_months"} <= set(data)
    assert set(data["pairs"][0]) >= {"closed_model", "closed_date", "open_model", "open_date",
                                     "lag_months"}
    assert data["median_lag_months"] == pytest.approx(6.0, abs=0.05)
    assert len(data["censored"]) == 6  # the last six closed records are not matched yet
    lo, hi = data["intervals"]["mean_lag_months"]["ci_low"], data["intervals"][
        "mean_lag_months"]["ci_high"]
    assert lo <= data["mean_lag_months"] <= hi
    assert "6 closed record(s) not yet matched" in report.headline


def test_trend_report() -> None:
    frame, _ = catalogue(6)
    closed, opened = split(frame)
    report = trend_report(closed, opened, resolve_at(None, closed, opened), Context())
    assert report.to_dict()["lag_months"]["value"] == pytest.approx(6.0, abs=0.034)
    with pytest.raises(BadArgument, match="at least two frontier models"):
        trend_report(closed, opened.subset(np.arange(opened.days.size) == 0),
                     resolve_at(None, closed, opened), Context(), separate_slopes=True)


def test_group_report_by_country_against_closed() -> None:
    frame, _ = catalogue(6)
    table = Table.build(frame)
    report = group_report(table, "country", "lag", Context())
    rows = {r["group"]: r for r in report.rows}
    assert set(rows) == {"China", "United States"}
    # the latest open model (index 30, shifted to the last month) is even -> United States
    assert rows["United States"]["lag_months"]["value"] == pytest.approx(6.0, abs=0.034)
    assert rows["China"]["lag_months"]["value"] == pytest.approx(7.0, abs=0.034)
    assert "United States is closest to closed models" in report.headline
    assert {"group", "n_models", "best_model", "lag_months_low"} <= set(report.table().columns)


def test_group_report_by_size_keeps_class_order_and_versus_all() -> None:
    frame, _ = catalogue(6)
    table = Table.build(frame)
    report = group_report(table, "size", "lag", Context())
    assert [r["group"] for r in report.rows] == ["<10B", "50-199B"]
    overall = group_report(table, "license", "lag", Context(), versus="all")
    rows = {r["group"]: r for r in overall.rows}
    assert rows["closed"]["lag_months"]["value"] == 0.0
    assert rows["permissive"]["lag_months"]["value"] == pytest.approx(6.0, abs=0.034)


def test_unknown_group_is_a_bad_argument() -> None:
    table = Table.build(catalogue(6)[0])
    with pytest.raises(BadArgument, match=r"unknown group 'France' for --by country among open "
                                          r"models \(choose from China, United States\)"):
        group_report(table, "country", "lag", Context(), groups=["France"])
    with pytest.raises(BadArgument, match="unknown grouping 'colour'"):
        group_report(table, "colour", "lag", Context())


def test_group_report_catch_up_and_trend() -> None:
    table = Table.build(catalogue(6)[0])
    cu = group_report(table, "country", "catch-up", Context(), tolerance=0.5)
    assert all("mean_lag_months" in r for r in cu.rows)
    tr = group_report(table, "country", "trend", Context())
    assert all("lag_months" in r for r in tr.rows)


def test_influence_table_sorted_by_the_larger_relative_effect() -> None:
    # Influence: the larger of |Δ lag| / 5 and |Δ points| / 2. c moves the gap by its whole
    # size (1.0), b the lag by 60% (0.6), a the lag by 10%; d has no refit.
    table = influence_table(5.0, 2.0, [
        {"benchmark_id": "a", "lag_months": 5.5, "vertical_gap": 2.0},
        {"benchmark_id": "b", "lag_months": 2.0, "vertical_gap": 1.0},
        {"benchmark_id": "c", "lag_months": 5.5, "vertical_gap": 4.0},
        {"benchmark_id": "d", "lag_months": float("nan"), "vertical_gap": float("nan")},
    ])
    assert table["benchmark_id"].tolist() == ["c", "b", "a", "d"]
    assert table["delta_lag_months"].tolist()[:3] == [0.5, -3.0, 0.5]
    assert table["influence"].tolist()[:3] == pytest.approx([1.0, 0.6, 0.1])


def test_widening_table() -> None:
    base = pd.DataFrame({"model_id": ["m1", "m2"], "name": ["M1", "M2"],
                         "weights": ["open", "closed"], "n_benchmarks": [2, 3],
                         "se_laplace": [1.0, 2.0], "ci_low": [0.0, 0.0], "ci_high": [1.0, 4.0]})
    refit = {"a": {"m1": 1.5, "m2": 2.0}, "b": {"m2": 3.0}, "c": {"m1": 1.1, "m2": 2.2}}
    table = widening_table(base, refit, {"m1": ["a", "b"], "m2": ["a", "b", "c"]})
    rows = table.set_index("model_id")
    assert rows.loc["m1", "max_widening"] == pytest.approx(1.5)
    assert rows.loc["m1", "drops_out_without"] == "b"
    assert rows.loc["m2", "widest_without"] == "b"
    assert rows.loc["m2", "mean_widening"] == pytest.approx((1.0 + 1.5 + 1.1) / 3)
