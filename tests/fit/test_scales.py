"""Reported scales: anchors land exactly on their values, elo's points mean odds ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opengap.errors import BadConfiguration
from opengap.fit.scales import ELO_PER_LOGIT, make_scale


def test_eci_anchors_hit_their_values_exactly() -> None:
    caps = np.array([-1.3, 0.42, 2.71, 1.0])
    scale = make_scale("eci", caps, ((1, 130.0), (2, 150.0)))
    out = scale.apply(caps)
    assert out[1] == pytest.approx(130.0, abs=1e-12)
    assert out[2] == pytest.approx(150.0, abs=1e-12)
    assert scale.slope == pytest.approx(20.0 / (2.71 - 0.42))


def test_eci_draws_are_reanchored_one_by_one() -> None:
    rng = np.random.default_rng(0)
    caps = rng.normal(size=6)
    draws = caps + rng.normal(0, 0.3, (50, 6))
    scale = make_scale("eci", caps, ((0, 130.0), (3, 150.0)))
    scaled = scale.apply_draws(draws)
    np.testing.assert_allclose(scaled[:, 0], 130.0)
    np.testing.assert_allclose(scaled[:, 3], 150.0)
    assert scaled[:, 1].std() > 0  # the others keep their spread


def test_elo_200_points_are_three_times_the_odds() -> None:
    caps = np.array([0.0, 0.7, -0.4])
    scale = make_scale("elo", caps, ((0, 1200.0),))
    out = scale.apply(caps)
    assert out[0] == 1200.0
    assert pytest.approx(200.0 / math.log(3.0)) == ELO_PER_LOGIT
    # On the pinned benchmark (α = 1, D = 0) the odds of success are exp(C).
    up = (np.array([1400.0]) - scale.intercept) / scale.slope
    assert math.exp(up[0]) / math.exp(caps[0]) == pytest.approx(3.0)
    assert out[1] - out[2] == pytest.approx(ELO_PER_LOGIT * 1.1)


def test_elo_without_an_anchor_model_puts_1000_at_the_pinned_benchmark() -> None:
    scale = make_scale("elo", np.array([0.5, -0.5]))
    assert scale.apply(np.array([0.0]))[0] == 1000.0
    draws = np.array([[0.1, 0.2], [0.3, 0.4]])
    np.testing.assert_allclose(scale.apply_draws(draws), 1000.0 + ELO_PER_LOGIT * draws)


def test_elo_task_unit_stretches_points_and_every_draw_alike() -> None:
    """With k task logits per fitted logit, one fitted logit is k × 182 points; draws follow."""
    caps = np.array([0.0, 1.0, -0.5])
    scale = make_scale("elo", caps, ((0, 999.0),), unit=1.77)
    out = scale.apply(caps)
    assert out[0] == 999.0
    assert out[1] - out[0] == pytest.approx(1.77 * ELO_PER_LOGIT)
    draws = caps + np.array([[0.1, -0.2, 0.3], [0.0, 0.5, 0.0]])
    scaled = scale.apply_draws(draws)
    np.testing.assert_allclose(scaled[:, 0], 999.0)
    np.testing.assert_allclose(scaled[:, 1] - scaled[:, 0],
                               1.77 * ELO_PER_LOGIT * (draws[:, 1] - draws[:, 0]))  # fmt: skip
    free = make_scale("elo", caps, unit=2.0)
    assert free.apply(np.array([1.0]))[0] == pytest.approx(1000.0 + 2.0 * ELO_PER_LOGIT)
    # eci and raw ignore the unit: their anchors (or the fit) set the unit
    assert make_scale("eci", caps, ((0, 130.0), (1, 150.0)), unit=3.0).slope == 20.0
    assert make_scale("raw", caps, unit=3.0).apply(caps).tolist() == caps.tolist()


def test_raw_is_the_identity() -> None:
    caps = np.array([0.3, -2.0])
    np.testing.assert_array_equal(make_scale("raw", caps).apply(caps), caps)


def test_eci_delta_method_gradient_matches_finite_differences() -> None:
    caps = np.array([0.2, 1.1, -0.7, 2.4])
    anchors = ((1, 130.0), (3, 150.0))
    scale = make_scale("eci", caps, anchors)
    for model in range(4):
        grad = scale.gradient(caps, model)
        for j in range(4):
            bumped = caps.copy()
            bumped[j] += 1e-6
            numeric = (make_scale("eci", bumped, anchors).apply(bumped)[model] - scale.apply(
                caps)[model]) / 1e-6
            assert grad.get(j, 0.0) == pytest.approx(numeric, abs=1e-4)


@pytest.mark.parametrize(
    ("kind", "anchors", "message"),
    [
        ("eci", ((0, 130.0),), "the eci scale needs two anchor models, got 1"),
        ("eci", ((0, 130.0), (0, 150.0)), "the two eci anchors are the same model"),
        ("eci", ((0, 130.0), (2, 150.0)), "the two eci anchor models have the same capability"),
        ("elo", ((0, 1.0), (1, 2.0)), "the elo scale takes one anchor model, got 2"),
        ("raw", ((0, 1.0),), "the raw scale takes no anchors"),
        ("logit", (), "unknown scale 'logit' (choose from raw, eci, elo, elo10)"),
    ],
)
def test_bad_scales(kind: str, anchors: tuple[tuple[int, float], ...], message: str) -> None:
    with pytest.raises(BadConfiguration) as err:
        make_scale(kind, np.array([0.5, 1.0, 0.5]), anchors)
    assert str(err.value) == message
