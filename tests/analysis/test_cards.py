"""Model cards and the equal-price frontier on a hand-made catalogue with known capabilities."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap import fitting
from opengap.analysis.cards import pareto_front, percentile_rank, rank_of
from opengap.cards import card
from opengap.cli import app
from opengap.costs import frontier
from opengap.errors import UnknownModel
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    PriceRecord,
    ScoreRecord,
)
from opengap.store import Store

DIFFICULTY = {"b1": -1.0, "b2": -0.5, "b3": 0.0, "b4": 0.5, "b5": 1.0}
# model -> (weights, capability in logits, total B, active B, latest blended price, released)
MODELS = {
    "closed-big": ("closed", 2.0, None, None, 10.0, date(2025, 1, 1)),
    "closed-mid": ("closed", 1.0, None, None, 1.0, date(2024, 6, 1)),
    "closed-cheap": ("closed", 0.0, None, None, 0.2, date(2024, 1, 1)),
    "open-large": ("open", 1.5, 600.0, 30.0, 2.0, date(2025, 3, 1)),
    "open-mid": ("open", 0.5, 30.0, 30.0, 0.3, date(2024, 9, 1)),
    "open-small": ("open", -0.5, 8.0, 8.0, 0.05, date(2024, 3, 1)),
    "open-moe-small": ("open", 0.6, 20.0, 3.0, None, date(2025, 6, 1)),
}


def catalogue() -> ImportBatch:
    batch = ImportBatch(kind="csv", path="hand-made", sha256="hand-made")
    for bench in DIFFICULTY:
        batch.benchmarks.append(BenchmarkRecord(bench, name=bench.upper(), domain="knowledge",
                                                chance=0.0, ceiling=1.0, is_fraction=True))
    for model, (weights, cap, total, active, price, released) in MODELS.items():
        batch.models.append(ModelRecord(
            model, name=model.title(), weights=weights, release_date=released,
            params_total_b=total, params_active_b=active,
            organization="OpenLab" if model == "open-large" else None,
            country="China" if model == "open-large" else None,
            license="MIT" if model == "open-large" else None,
            license_class="permissive" if model == "open-large" else None,
        ))  # fmt: skip
        for bench, difficulty in DIFFICULTY.items():
            batch.scores.append(ScoreRecord(model, bench, float(expit(cap - difficulty)),
                                            source="hand", harness="inspect"))
        if price is not None:
            batch.prices.append(PriceRecord(model, date(2025, 6, 1), blended_usd_per_m=price,
                                            source="test"))
    # An older, higher price of open-large: the card shows the latest.
    batch.prices.append(PriceRecord("open-large", date(2025, 1, 1), blended_usd_per_m=3.0,
                                    source="test"))
    # A fine-tune of open-mid scored on two benchmarks only, and a model without scores.
    batch.models.append(ModelRecord("ft-1", weights="open", base_model_id="open-mid"))
    batch.scores += [ScoreRecord("ft-1", b, 0.5, source="hand") for b in ("b1", "b2")]
    batch.models.append(ModelRecord("open-noscores", weights="open"))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture(scope="module")
def fitted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cards") / "cards.duckdb"
    with Store(path) as store:
        store.apply_batch(catalogue(), strict=True)
        fitting.run_fit(store, preset="default", scale="raw", bootstrap=30)
    return path


def test_pure_parts() -> None:
    assert rank_of(np.array([3.0, np.nan, 1.0, 2.0]), 2.0) == 2
    assert percentile_rank(np.array([1.0, 2.0, 3.0, 4.0]), 1.0) == 12.5
    assert pareto_front(np.array([1.0, 0.5, 2.0]), np.array([5.0, 1.0, np.nan])).tolist() == [
        True, True, False]


def test_card_of_an_open_model(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        c = card(store, "Open-Large")
        fitted = fitting.load_fit(store).models.set_index("model_id").loc["open-large"]
    assert c.in_fit and c.not_in_fit_reason is None
    assert (c.rank_overall, c.n_ranked) == (2, 7)  # only closed-big (2.0) is above 1.5
    assert (c.rank_open, c.n_open) == (1, 4)
    assert c.size_class == ">=250B" and c.size_class_n == 1 and c.size_percentile == 50.0
    assert c.on_pareto_front is True  # nothing with <= 30B active is more capable
    assert c.ci_low is not None and c.ci_high is not None
    assert c.ci_low <= c.capability <= c.ci_high  # type: ignore[operator]
    assert (c.capability, c.ci_low, c.ci_high) == (
        fitted["capability"], fitted["ci_low"], fitted["ci_high"])
    assert (c.organization, c.country, c.license, c.license_class) == (
        "OpenLab", "China", "MIT", "permissive")
    assert c.price is not None and c.price.blended_usd_per_m == 2.0
    assert c.price.date == date(2025, 6, 1)
    assert len(c.scores) == 5 and {s["harness"] for s in c.scores} == {"inspect"}
    assert c.tooling is None and c.derivatives_in_catalogue is None


def test_size_class_percentile_and_front(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        mid, moe, small = card(store, "open-mid"), card(store, "open-moe-small"), card(
            store, "open-small")
    # 10-49B holds open-mid (0.5) and open-moe-small (0.6): mid-ranks 25 and 75.
    assert mid.size_class == moe.size_class == "10-49B"
    assert mid.size_percentile == 25.0 and moe.size_percentile == 75.0
    # open-moe-small (3B active, 0.6) dominates open-mid (30B, 0.5) and open-small (8B, -0.5).
    assert (moe.on_pareto_front, mid.on_pareto_front, small.on_pareto_front) == (
        True, False, False)
    assert mid.derivatives_in_catalogue == 1  # ft-1 names it as its base
    assert moe.price is None  # no price source gives it: unknown, not zero


def test_closed_model_has_unknowns(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        c = card(store, "closed-big")
    assert c.rank_overall == 1 and c.rank_open is None
    assert c.size_class is None and c.on_pareto_front is None
    assert c.organization is None and c.license_class is None


def test_models_not_in_the_fit_say_why(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        ft, none = card(store, "ft-1"), card(store, "open-noscores")
    assert not ft.in_fit and ft.capability is None
    assert ft.not_in_fit_reason == (
        "scored on 2 benchmark(s), fewer than the 4 the fit requires (min_benchmarks)")
    assert none.not_in_fit_reason == "no scores in the store"


def test_unknown_model_suggests_names(fitted_db: Path) -> None:
    with Store(fitted_db) as store, pytest.raises(UnknownModel, match="did you mean 'open-large'"):
        card(store, "open-larg")
    result = CliRunner().invoke(app, ["card", "open-larg", "--db", str(fitted_db)])
    assert result.exit_code == 2
    assert "Error: unknown model 'open-larg' (did you mean 'open-large'" in result.stderr


def test_card_cli(fitted_db: Path) -> None:
    result = CliRunner().invoke(app, ["card", "open-moe-small", "--db", str(fitted_db)])
    assert result.exit_code == 0, result.output
    assert "Model card" in result.output
    tooling = next(line for line in result.output.splitlines() if "tooling" in line)
    assert "unknown" in tooling  # no source gives tooling: marked, never filled in
    data = json.loads(CliRunner().invoke(
        app, ["card", "open-small", "--json", "--db", str(fitted_db)]).stdout)
    assert data["organization"] is None and data["price"]["blended_usd_per_m"] == 0.05


def test_equal_price_gap(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        result = frontier(store, by="price", budgets=[0.1, 0.5, 5.0, 20.0])
        caps = fitting.load_fit(store).models.set_index("model_id")["capability"]
    rows = result.gap.set_index("budget")
    # <= 0.1: only open-small is affordable; no closed model, so no gap.
    assert rows.loc[0.1, "best_open"] == "open-small" and pd.isna(rows.loc[0.1, "best_closed"])
    assert np.isnan(rows.loc[0.1, "gap"])
    expected = {0.5: ("open-mid", "closed-cheap"), 5.0: ("open-large", "closed-mid"),
                20.0: ("open-large", "closed-big")}
    for budget, (best_open, best_closed) in expected.items():
        assert (rows.loc[budget, "best_open"], rows.loc[budget, "best_closed"]) == (
            best_open, best_closed)
        assert rows.loc[budget, "gap"] == pytest.approx(caps[best_closed] - caps[best_open])
        low, gap, high = rows.loc[budget, ["gap_low", "gap", "gap_high"]]
        assert low <= gap <= high
    assert rows.loc[5.0, "gap"] < 0 < rows.loc[20.0, "gap"]  # open leads at mid prices only


def test_cheapest_over_time(fitted_db: Path) -> None:
    with Store(fitted_db) as store:
        level = fitting.load_fit(store).models.set_index("model_id")["capability"]["open-mid"]
        result = frontier(store, by="price", levels=[level - 1e-6])
    got = [(r.weights, r.model_id, r.price) for r in result.cheapest.itertuples()]
    # Open: open-mid (0.3) reaches it first; open-large is dearer, open-moe-small has no price.
    # Closed: closed-mid (1.0) in 2024-06; closed-big (10) is dearer.
    assert got == [("open", "open-mid", 0.3), ("closed", "closed-mid", 1.0)]


def test_frontier_by_active_params_cli(fitted_db: Path) -> None:
    result = CliRunner().invoke(app, ["frontier", "--by", "active-params", "--budgets", "5,30",
                                      "--json", "--db", str(fitted_db)])
    assert result.exit_code == 0, result.output
    gap = {row["budget"]: row for row in json.loads(result.stdout)["gap"]}
    assert gap[5.0]["best_open"] == "open-moe-small" and gap[30.0]["best_open"] == "open-large"
    assert gap[30.0]["best_closed"] is None  # no closed model has known active parameters
    bad = CliRunner().invoke(app, ["frontier", "--by", "cost", "--db", str(fitted_db)])
    assert bad.exit_code == 2 and "Error: unknown frontier budget 'cost'" in bad.stderr


def test_budget_frontier_chart(fitted_db: Path) -> None:
    from opengap.charts import budget_frontier_figure

    with Store(fitted_db) as store:
        result = frontier(store, by="price", budgets=[0.5, 5.0, 20.0])
    fig = budget_frontier_figure(result.points, result.gap)
    names = [t.name for t in fig.data]
    assert names == ["closed models", "best closed at budget", "open models",
                     "best open at budget", "gap (closed − open)"]
    assert list(fig.data[-1].y) == pytest.approx(list(result.gap["gap"]))
    empty = budget_frontier_figure(result.points.iloc[0:0], result.gap)
    assert "No fitted model" in empty.layout.annotations[0].text


def test_cheapest_over_time_chart(fitted_db: Path) -> None:
    from opengap.charts import CLOSED_COLOR, OPEN_COLOR, cheapest_figure

    with Store(fitted_db) as store:
        caps = fitting.load_fit(store).models.set_index("model_id")["capability"]
        result = frontier(store, by="price", levels=[caps["open-mid"] - 1e-6])
    fig = cheapest_figure(result.cheapest)
    # one step line per side reaching the level: closed-mid (1.0) from 2024-06, open-mid (0.3)
    assert [t.line.color for t in fig.data] == [CLOSED_COLOR, OPEN_COLOR]
    assert [list(t.y) for t in fig.data] == [[1.0, 1.0], [0.3, 0.3]]
    assert fig.layout.yaxis.type == "log"
    empty = cheapest_figure(result.cheapest.iloc[0:0])
    assert "No priced model" in empty.layout.annotations[0].text


def test_a_group_without_its_own_price_takes_its_versions_median(store: Store) -> None:
    batch = ImportBatch(kind="artificial-analysis", path="hand-made", sha256="versions")
    batch.models += [ModelRecord("grp", name="Group", weights="open"),
                     ModelRecord("grp-high", weights="open", version_of="grp"),
                     ModelRecord("grp-low", weights="open", version_of="grp"),
                     ModelRecord("grp-min", weights="open", version_of="grp")]
    # blended: stated 2.0; 3:1 of (1, 5) = 2.0; 3:1 of (2, 10) = 4.0 -> median 2.0
    batch.prices += [
        PriceRecord("grp-high", date(2026, 1, 1), blended_usd_per_m=2.0, source="aa"),
        PriceRecord("grp-low", date(2026, 2, 1), input_usd_per_m=1.0, output_usd_per_m=5.0,
                    source="aa"),
        PriceRecord("grp-min", date(2026, 1, 1), input_usd_per_m=2.0, output_usd_per_m=10.0,
                    source="aa"),
    ]  # fmt: skip
    store.apply_batch(batch, strict=True)
    group = card(store, "grp")
    assert group.price is not None
    assert (group.price.blended_usd_per_m, group.price.input_usd_per_m,
            group.price.output_usd_per_m) == (2.0, 1.5, 7.5)  # fmt: skip
    assert group.price.date == date(2026, 2, 1) and group.price.source == "aa"
    assert any("median latest price of its 3 priced version(s)" in n for n in group.notes)
    own = card(store, "grp-low")  # a version's own price is its own
    assert own.price is not None and own.price.input_usd_per_m == 1.0
    assert own.price.blended_usd_per_m is None  # as the source gives it
