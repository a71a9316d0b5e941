"""The paired harness-effect estimator: recovery, coverage, interaction, unidentified cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opengap.analysis.harness_pairs import harness_effect, harness_pairs, item_pairs


def _ecosystem(
    rng: np.random.Generator,
    delta: dict[str, float],
    *,
    per_group: int = 10,
    spread: float = 0.25,
    n_items: int = 500,
) -> pd.DataFrame:
    """Pairs of (bash loop, agent scaffold) scores with known per-group logit offsets."""
    rows = []
    for group, mean in delta.items():
        for i in range(per_group):
            logit_base = rng.normal(0.0, 1.0)
            effect = mean + rng.normal(0.0, spread)
            p_base = 1.0 / (1.0 + np.exp(-logit_base))
            p_alt = 1.0 / (1.0 + np.exp(-(logit_base + effect)))
            rows.append({
                "model_id": f"{group}-{i}", "benchmark_id": "swe", "weights": group,
                "base_harness": "mini-swe-agent", "alt_harness": "OpenHands",
                "base_value": rng.binomial(n_items, p_base) / n_items,
                "alt_value": rng.binomial(n_items, p_alt) / n_items, "n_items": n_items,
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_recovers_known_offsets_and_interaction() -> None:
    rng = np.random.default_rng(0)
    pairs = _ecosystem(rng, {"open": 0.8, "closed": 0.2}, per_group=60, spread=0.1)
    result = harness_effect(pairs, n_boot=500, seed=2)
    assert result.by_group["open"].logits == pytest.approx(0.8, abs=0.08)
    assert result.by_group["closed"].logits == pytest.approx(0.2, abs=0.08)
    assert result.interaction.logits == pytest.approx(0.6, abs=0.1)
    assert result.interaction.logits_low < 0.6 < result.interaction.logits_high
    assert result.overall.status == "identified"


def test_90_percent_intervals_cover_the_truth() -> None:
    rng = np.random.default_rng(7)
    truth = {"open": 0.6, "closed": 0.25}
    hits = {"open": 0, "closed": 0, "interaction": 0}
    reps = 150
    for rep in range(reps):
        result = harness_effect(_ecosystem(rng, truth), n_boot=300, seed=rep)
        for group in ("open", "closed"):
            e = result.by_group[group]
            hits[group] += e.logits_low <= truth[group] <= e.logits_high
        e = result.interaction
        hits["interaction"] += e.logits_low <= truth["open"] - truth["closed"] <= e.logits_high
    for name, hit in hits.items():
        assert 0.80 <= hit / reps <= 0.97, (name, hit / reps)


def test_slopes_restate_the_effect_in_capability_logits() -> None:
    pairs = _ecosystem(np.random.default_rng(3), {"open": 1.0, "closed": 1.0}, per_group=30,
                       spread=0.0)  # fmt: skip
    plain = harness_effect(pairs, n_boot=100)
    halved = harness_effect(pairs, slopes={"swe": 2.0}, n_boot=100)
    assert halved.overall.logits == pytest.approx(plain.overall.logits / 2.0)
    assert halved.overall.points == pytest.approx(plain.overall.points)


def test_no_pair_is_reported_as_not_identified() -> None:
    scores = pd.DataFrame({
        "model_id": ["a", "b"], "benchmark_id": ["swe", "swe"], "value": [0.5, 0.6],
        "harness": ["mini-swe-agent", "OpenHands"], "weights": ["open", "closed"],
    })  # fmt: skip
    pairs = harness_pairs(scores)
    assert pairs.empty
    result = harness_effect(pairs)
    assert result.overall.status == (
        "not identified: no model is scored under both 'simple-loop' and 'agent-harness' on "
        "the same benchmark"
    )
    assert result.overall.logits is None
    assert result.interaction.status.startswith("not identified")


def test_one_group_only_leaves_the_interaction_unidentified() -> None:
    pairs = _ecosystem(np.random.default_rng(4), {"closed": 0.3}, per_group=5)
    result = harness_effect(pairs, n_boot=100)
    assert result.by_group["closed"].status == "identified"
    assert result.by_group["open"].status.startswith("not identified: no open-weight model")
    assert result.interaction.status == "not identified: no open-weight pair"


def test_pairs_take_each_models_best_scaffold() -> None:
    scores = pd.DataFrame({
        "model_id": ["m", "m", "m", "n"], "benchmark_id": ["swe"] * 4,
        "value": [0.5, 0.6, 0.7, 0.4],
        "harness": ["mini-swe-agent", "OpenHands", "SWE-agent", "mini-swe-agent"],
        "weights": ["open"] * 4, "n_items": [500] * 4,
    })  # fmt: skip
    pairs = harness_pairs(scores)
    assert pairs[["model_id", "base_value", "alt_harness", "alt_value"]].values.tolist() == [
        ["m", 0.5, "SWE-agent", 0.7]
    ]


def test_item_pairs_drop_identical_runs_and_pair_real_ones() -> None:
    items = [f"t{i}" for i in range(4)]
    same = [{"model_id": "a", "benchmark_id": "swe", "item_id": t, "harness": h, "score": s}
            for t, s in zip(items, [1, 0, 1, 0], strict=True)
            for h in ("mini-swe-agent", "OpenHands")]  # fmt: skip
    real = [{"model_id": "b", "benchmark_id": "swe", "item_id": t, "harness": h, "score": s}
            for t in items for h, s in (("mini-swe-agent", 0.0), ("OpenHands", 1.0))]
    pairs = item_pairs(pd.DataFrame(same + real), base="simple-loop", alternative="agent-harness")
    assert pairs[["model_id", "base_value", "alt_value", "n_items"]].values.tolist() == [
        ["b", 0.0, 1.0, 4]
    ]
