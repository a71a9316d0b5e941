"""The presets' data selection on small hand-made catalogue tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from opengap.fit.config import resolve_config
from opengap.fit.selection import release_dated_units, select

BENCH = pd.DataFrame(
    [
        ("gpqa-diamond", "GPQA", "knowledge", 0.25, 1.0, True, 198),
        ("winogrande", "WinoGrande", "language", 0.5, 1.0, True, 1267),
        ("mmlu", "MMLU", "knowledge", 0.25, 1.0, True, 14042),
        ("lech-mazur-writing", "Writing", "language", None, 10.0, False, None),
        ("balrog", "BALROG", "agentic", None, 1.0, True, None),
        ("metr", "METR", "agentic", None, None, False, None),
        ("boolq", "BoolQ", "language", 0.5, 1.0, True, None),
    ],
    columns=["benchmark_id", "name", "domain", "chance", "ceiling", "is_fraction", "n_items"],
)


def _models(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    cols = ["model_id", "name", "release_date", "weights", "organization", "country",
            "params_total_b", "license_class", "version_of"]  # fmt: skip
    return pd.DataFrame([r + (None,) * (len(cols) - len(r)) for r in rows], columns=cols)


def _scores(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    cols = ["model_id", "benchmark_id", "value", "source", "harness", "import_kind"]
    frame = pd.DataFrame(rows, columns=cols)
    norm = frame.merge(BENCH, on="benchmark_id", how="left")
    chance = norm["chance"].fillna(0.0)
    frame["normalized"] = ((norm["value"] - chance) / (norm["ceiling"] - chance)).clip(0, 1)
    frame.loc[norm["ceiling"].isna(), "normalized"] = None
    frame["n_items"] = None
    frame["import_id"] = 1
    return frame


HUB = "epoch-hub"
S = "Some paper"


def _hub_scores() -> pd.DataFrame:
    rows = []
    for model in ("a", "b", "c", "old"):
        rows += [
            (model, "gpqa-diamond", 0.5, "Epoch AI Benchmarking Hub", "inspect", HUB),
            (model, "winogrande", 0.8, S, None, HUB),
            (model, "mmlu", 0.7, S, None, HUB),
            (model, "lech-mazur-writing", 7.5, S, None, HUB),
        ]
    rows += [
        ("a", "mmlu", 0.75, S, None, HUB),  # a duplicate: merged by the maximum
        ("b", "balrog", 0.3, None, None, HUB),  # BALROG's file has no Source column: kept
        ("c", "winogrande", 0.9, None, None, HUB),  # an external row without Source: dropped
        ("d", "gpqa-diamond", 0.4, "x", None, HUB),  # d has only 3 benchmarks
        ("d", "winogrande", 0.7, S, None, HUB),
        ("d", "mmlu", 0.6, S, None, HUB),
        ("a", "boolq", 0.9, S, None, HUB),  # not a stitching benchmark
        ("a", "metr", 30.0, S, None, HUB),
        ("e", "gpqa-diamond", 0.4, "x", None, "csv"),  # another import kind
    ]
    return _scores(rows)


HUB_MODELS = _models([
    ("a", "A", date(2024, 1, 1)), ("b", "B", date(2023, 5, 1)), ("c", "C", None),
    ("old", "Old", date(2022, 10, 31)), ("d", "D", date(2024, 2, 1)), ("e", "E", date(2024, 2, 1)),
])  # fmt: skip


def test_epoch_stitching_rules() -> None:
    sel = select(_hub_scores(), HUB_MODELS, BENCH, resolve_config("epoch-stitching"))
    obs = sel.observations.set_index(["model_id", "benchmark_id"])["score"]
    # c has no release date and "old" predates 2022-11-01; d has only 3 benchmarks.
    assert sorted(sel.observations["model_id"].unique()) == ["a", "b"]
    assert obs[("a", "mmlu")] == 0.75  # duplicates merged by their maximum
    assert obs[("a", "lech-mazur-writing")] == pytest.approx(0.75)  # value / ceiling
    assert obs[("a", "gpqa-diamond")] == 0.5  # no chance normalisation
    assert ("b", "balrog") in obs.index
    assert "boolq" not in set(sel.observations["benchmark_id"])
    assert sel.counts["with_source"] == sel.counts["stitching_benchmarks"] - 1


def test_scores_are_clipped_only_outside_zero_one() -> None:
    rows = [(m, b, v, S, None, HUB) for m, b, v in [
        ("a", "gpqa-diamond", 0.0), ("a", "winogrande", 1.0), ("a", "mmlu", 1.2),
        ("a", "lech-mazur-writing", -1.0),
        ("b", "gpqa-diamond", 0.5), ("b", "winogrande", 0.6), ("b", "mmlu", 0.7),
        ("b", "lech-mazur-writing", 5.0),
    ]]  # fmt: skip
    sel = select(_scores(rows), HUB_MODELS, BENCH, resolve_config("epoch-stitching"))
    obs = sel.observations.set_index(["model_id", "benchmark_id"])["score"]
    assert obs[("a", "gpqa-diamond")] == 0.0
    assert obs[("a", "winogrande")] == 1.0
    assert obs[("a", "mmlu")] == 0.999
    assert obs[("a", "lech-mazur-writing")] == 0.001


CAT_MODELS = _models([
    ("gpt-x-low", "GPT-X (low)", date(2024, 3, 1), "closed", "OpenAI", None, None, None, "gpt-x"),
    ("gpt-x-high", "GPT-X (high)", date(2024, 5, 1), "closed", "OpenAI", None, None, None,
     "gpt-x"),
    ("open-1", "Open 1", date(2024, 1, 1), "open", "Lab"),
    ("open-2", "Open 2", date(2024, 2, 1), "open", "Lab"),
    ("tiny", "Tiny", date(2024, 2, 1), "open", "Lab"),
])  # fmt: skip


def _catalogue_scores() -> pd.DataFrame:
    rows = []
    values = {"gpt-x-low": 0.6, "open-1": 0.5, "open-2": 0.45, "tiny": 0.3}
    for model, base in values.items():
        for bench, bump in (("gpqa-diamond", 0.0), ("winogrande", 0.3), ("mmlu", 0.2),
                            ("lech-mazur-writing", 0.1)):  # fmt: skip
            if model == "tiny" and bench != "mmlu":
                continue
            value = base + bump if bench != "lech-mazur-writing" else 10 * (base + bump)
            rows.append((model, bench, value, S, None, "csv"))
    rows.append(("gpt-x-high", "gpqa-diamond", 0.9, S, None, "csv"))
    rows.append(("gpt-x-high", "boolq", 0.95, S, None, "csv"))
    rows.append(("open-1", "metr", 40.0, S, None, "csv"))
    return _scores(rows)


def test_catalogue_groups_versions_by_their_best_score() -> None:
    config = resolve_config("default", min_benchmarks=4, min_models=1)
    sel = select(_catalogue_scores(), CAT_MODELS, BENCH, config)
    obs = sel.observations.set_index(["model_id", "benchmark_id"])
    assert "gpt-x" in sel.observations["model_id"].values
    assert obs.loc[("gpt-x", "gpqa-diamond"), "source_model_id"] == "gpt-x-high"
    assert obs.loc[("gpt-x", "gpqa-diamond"), "score"] == pytest.approx((0.9 - 0.25) / 0.75)
    unit = sel.units.set_index("model_id").loc["gpt-x"]
    assert unit["name"] == "GPT-X"
    # The latest release among the versions whose scores are used.
    assert unit["release_date"] == date(2024, 5, 1)
    assert unit["weights"] == "closed"
    assert sel.model_to_unit["gpt-x-low"] == "gpt-x"
    assert "tiny" not in sel.observations["model_id"].values  # fewer than 4 benchmarks
    assert "boolq" not in set(sel.observations["benchmark_id"])  # excluded by the preset
    assert "metr" not in set(sel.observations["benchmark_id"])  # no normalised value


def test_catalogue_keeps_versions_apart_when_asked() -> None:
    config = resolve_config("default", group_versions=False, min_benchmarks=1, min_models=1)
    sel = select(_catalogue_scores(), CAT_MODELS, BENCH, config)
    assert {"gpt-x-low", "gpt-x-high"} <= set(sel.observations["model_id"])


def test_catalogue_filters_repeat_until_both_hold() -> None:
    # With 3 models needed per benchmark and 2 benchmarks per model, dropping a thin benchmark
    # leaves a model with too few benchmarks, which is dropped in the next round.
    rows = [(m, b, 0.6, S, None, "csv") for m, b in [
        ("open-1", "gpqa-diamond"), ("open-2", "gpqa-diamond"), ("tiny", "gpqa-diamond"),
        ("open-1", "mmlu"), ("open-2", "mmlu"), ("tiny", "mmlu"),
        ("open-1", "winogrande"), ("open-2", "winogrande"), ("gpt-x-low", "winogrande"),
        ("gpt-x-low", "boolq"),
    ]]  # fmt: skip
    config = resolve_config("default", min_benchmarks=2, min_models=3, exclude_benchmarks=())
    sel = select(_scores(rows), CAT_MODELS, BENCH, config)
    assert sorted(sel.observations["benchmark_id"].unique()) == ["gpqa-diamond", "mmlu"]
    assert sorted(sel.observations["model_id"].unique()) == ["open-1", "open-2", "tiny"]


def test_harness_offsets_keep_one_score_per_harness() -> None:
    rows = [
        ("open-1", "mmlu", 0.6, S, "lm-eval", "csv"),
        ("open-1", "mmlu", 0.7, S, "vendor-reported", "csv"),
        ("open-1", "gpqa-diamond", 0.4, S, "lm-eval", "csv"),
    ]
    base = resolve_config("default", min_benchmarks=1, min_models=1)
    assert len(select(_scores(rows), CAT_MODELS, BENCH, base).observations) == 2
    offsets = resolve_config("default", min_benchmarks=1, min_models=1, offsets="harness")
    assert len(select(_scores(rows), CAT_MODELS, BENCH, offsets).observations) == 3


def test_a_group_without_its_own_row_is_named_after_its_versions() -> None:
    """Dated versions grouped under an id with no catalogue row of its own get their shared
    name, without a dangling parenthesis: "GPT-4o", not "GPT-4o (2024"."""
    models = _models([
        ("gpt-4o-2024-05-13", "GPT-4o (2024-05-13)", "2024-05-13", "closed", "OpenAI", "US",
         None, "closed", "gpt-4o"),
        ("gpt-4o-2024-08-06", "GPT-4o (2024-08-06)", "2024-08-06", "closed", "OpenAI", "US",
         None, "closed", "gpt-4o"),
    ])  # fmt: skip
    rows = [  # each version holds the group's best score on one benchmark
        ("gpt-4o-2024-05-13", "gpqa-diamond", 0.6, S, None, "csv"),
        ("gpt-4o-2024-05-13", "mmlu", 0.8, S, None, "csv"),
        ("gpt-4o-2024-08-06", "gpqa-diamond", 0.5, S, None, "csv"),
        ("gpt-4o-2024-08-06", "mmlu", 0.9, S, None, "csv"),
    ]
    config = resolve_config("default", min_benchmarks=1, min_models=1)
    sel = select(_scores(rows), models, BENCH, config)
    unit = sel.units.set_index("model_id").loc["gpt-4o"]
    assert unit["name"] == "GPT-4o"
    assert (unit["organization"], unit["weights"]) == ("OpenAI", "closed")
    assert unit["release_date"] == date(2024, 8, 6)


def test_release_dated_groups_split_a_group_by_release_date() -> None:
    meta = pd.DataFrame(
        {"release_date": [date(2025, 1, 20), date(2025, 5, 28), date(2025, 5, 28), None]},
        index=["r1", "r1-0528", "r1-0528-chutes", "r1-undated"],
    )
    unit = pd.Series(["deepseek-r1"] * 4)
    model = pd.Series(["r1", "r1-0528", "r1-0528-chutes", "r1-undated"])
    out = release_dated_units(unit, model, meta).tolist()
    # Same-day versions stay together; the earliest date keeps the group id.
    assert out == ["deepseek-r1", "deepseek-r1@2025-05-28", "deepseek-r1@2025-05-28", "deepseek-r1"]
