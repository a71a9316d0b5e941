"""The one-parameter variant, equal benchmark/domain weights and the elo10 scale.

Each test recovers a property set by construction: known C and D of one-slope data, a score
whose benchmark has ten times the observations not deciding a capability alone, 400 points
being ten times the odds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from opengap.errors import BadConfiguration
from opengap.fit import CapabilityEstimator, make_scale
from opengap.fit.config import PRESETS, resolve_config
from opengap.fit.weighting import observation_weights


def _one_slope_data(
    slope: float, seed: int = 0, n_models: int = 60, n_benchmarks: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = rng.normal(0.0, 1.3, n_models)
    d = rng.normal(0.0, 1.0, n_benchmarks)
    d[0] = 0.0
    keep = rng.random((n_models, n_benchmarks)) < 0.6
    keep[:, 0] = True
    model, bench = np.nonzero(keep)
    p = expit(slope * (c[model] - d[bench]))
    y = rng.binomial(400, p) / 400
    return model, bench, y, c, d


@pytest.mark.parametrize("slope", [1.0, 1.7])
def test_common_slope_recovers_known_capabilities_and_difficulties(slope: float) -> None:
    model, bench, y, c, d = _one_slope_data(slope, seed=1)
    est = CapabilityEstimator(
        common_slope=True, identification="pin", ridge=0.0, pin_benchmark=0
    ).fit(model, bench, y)
    # One shared slope, held at the pinned benchmark's 1: the logit unit absorbs the true α.
    assert np.all(est.slope_ == 1.0)
    c_err = est.capability_ - slope * c
    d_err = est.difficulty_ - slope * d
    # Errors are in units of the true logit: sampling noise grows with the slope.
    assert np.sqrt(np.mean(c_err**2)) < 0.06 * slope and np.max(np.abs(c_err)) < 0.2 * slope
    assert np.sqrt(np.mean(d_err**2)) < 0.04 * slope and np.max(np.abs(d_err)) < 0.1 * slope


def test_free_slopes_are_not_all_one_on_the_same_data() -> None:
    # The check above is not vacuous: without common_slope the slopes move off 1.
    model, bench, y, _, _ = _one_slope_data(1.7, seed=1)
    est = CapabilityEstimator(identification="pin", ridge=0.0, pin_benchmark=0).fit(
        model, bench, y
    )
    assert np.ptp(est.slope_) > 0.05


def _conflict_data(copies: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A hundred consistent models on benchmarks 0 and 1 (both D = 0), and one target model whose
    score on benchmark 0 says C = +1, on benchmark 1 C = −1; benchmark 0 has ``copies`` times
    the observations (every one of its scores repeated)."""
    caps = np.linspace(-2.0, 2.0, 100)
    rows = [(m, b, float(expit(caps[m]))) for m in range(100) for b in (0, 1)]
    target = 100
    rows += [(target, 0, float(expit(1.0))), (target, 1, float(expit(-1.0)))]
    reps = [r for r in rows if r[1] == 0] * (copies - 1)
    rows += reps
    arr = np.array(rows)
    return arr[:, 0].astype(np.intp), arr[:, 1].astype(np.intp), arr[:, 2], target


def test_a_benchmark_with_ten_times_the_scores_does_not_dominate() -> None:
    model, bench, y, target = _conflict_data(copies=10)
    assert np.bincount(bench).tolist() == [1010, 101]
    kw = {"common_slope": True, "identification": "pin", "ridge": 0.0, "pin_benchmark": 0}
    plain = CapabilityEstimator(**kw).fit(model, bench, y)
    weights = observation_weights("benchmark", bench, 2)
    equal = CapabilityEstimator(**kw).fit(model, bench, y, weights=weights)
    assert plain.capability_[target] > 0.6  # unweighted: benchmark 0's ten copies win
    assert abs(equal.capability_[target]) < 0.05  # equal weights: halfway between +1 and −1


def test_each_domain_gets_the_same_total_weight() -> None:
    # Benchmarks 0 and 1 in one domain say C = +1 for the target, benchmark 2 alone says −1.
    caps = np.linspace(-2.0, 2.0, 100)
    rows = [(m, b, float(expit(caps[m]))) for m in range(100) for b in (0, 1, 2)]
    rows += [(100, 0, float(expit(1.0))), (100, 1, float(expit(1.0)))]
    rows += [(100, 2, float(expit(-1.0)))]
    arr = np.array(rows)
    model, bench, y = arr[:, 0].astype(np.intp), arr[:, 1].astype(np.intp), arr[:, 2]
    domains = ["x", "x", "y"]
    kw = {"common_slope": True, "identification": "pin", "ridge": 0.0, "pin_benchmark": 0}
    by_bench = CapabilityEstimator(**kw).fit(
        model, bench, y, weights=observation_weights("benchmark", bench, 3)
    )
    by_domain = CapabilityEstimator(**kw).fit(
        model, bench, y, weights=observation_weights("benchmark-domain", bench, 3, domains)
    )
    assert by_bench.capability_[100] > 0.25
    assert abs(by_domain.capability_[100]) < 0.05
    w = observation_weights("benchmark-domain", bench, 3, domains)
    assert w is not None
    totals = np.bincount(bench, w)
    assert totals[0] + totals[1] == pytest.approx(totals[2])
    assert w.sum() == pytest.approx(len(bench))


def test_benchmarks_without_a_domain_share_one_domain_of_their_own() -> None:
    """None is a domain like the others: its benchmarks get a share, not weight zero."""
    bench = np.array([0, 0, 1, 2, 2, 3])
    w = observation_weights("benchmark-domain", bench, 4, ["x", None, "x", None])
    assert w is not None and np.all(np.isfinite(w)) and np.all(w > 0)
    totals = np.bincount(bench, w)
    assert totals[0] + totals[2] == pytest.approx(totals[1] + totals[3])
    assert totals[1] == pytest.approx(totals[3])
    assert w.sum() == pytest.approx(len(bench))


def test_weights_are_none_without_weighting_and_unknown_schemes_are_refused() -> None:
    assert observation_weights("none", np.array([0, 1]), 2) is None
    with pytest.raises(BadConfiguration, match="weighting"):
        observation_weights("per-item", np.array([0, 1]), 2)
    with pytest.raises(BadConfiguration, match="weighting"):
        resolve_config("default", weighting="per-item")


def test_elo10_maps_400_points_to_ten_times_the_odds() -> None:
    caps = np.array([-0.4, 0.0, 1.3])
    scale = make_scale("elo10", caps, ((1, 1000.0),))
    points = scale.apply(caps)
    # A model 400 points above another has 10x its odds on any benchmark with slope 1.
    odds = np.exp(caps)  # odds of success at D = 0, α = 1: p/(1−p) = e^C
    for i in range(3):
        for j in range(3):
            assert odds[i] / odds[j] == pytest.approx(10 ** ((points[i] - points[j]) / 400))
    assert scale.slope == pytest.approx(400 / math.log(10))
    elo = make_scale("elo", caps, ((1, 1000.0),))
    assert elo.slope * math.log(3) == pytest.approx(200.0)  # CAISI's stated 200 points = 3x


def test_new_fields_default_to_the_old_behaviour_and_the_caisi_preset_sets_them() -> None:
    for name in ("default", "eci", "epoch-stitching"):
        config = PRESETS[name]
        assert not config.common_slope and config.weighting == "none"
        assert config.gap_method is None and config.gap_by is None
    caisi = PRESETS["caisi"]
    assert caisi.common_slope and caisi.weighting == "benchmark-domain"
    assert (caisi.gap_method, caisi.gap_by) == ("caisi-trend", "country")
    with pytest.raises(BadConfiguration, match="gap method"):
        resolve_config("caisi", gap_method="median")
    with pytest.raises(BadConfiguration, match="gap grouping"):
        resolve_config("caisi", gap_by="planet")


def test_benchmarks_without_a_domain_form_one_domain_and_keep_their_weight() -> None:
    # Two benchmarks without a domain and one math benchmark: each domain gets half the total.
    # (A NUL sentinel for "no domain" used to match nothing: those scores got weight 0 and a
    # divide-by-zero warning showed during fits with benchmark-domain weights.)
    import warnings

    bench = np.array([0, 0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = observation_weights("benchmark-domain", bench, 3, [None, None, "math"])
    assert w is not None
    assert w.tolist() == pytest.approx([0.5, 0.5, 1.0, 2.0])
    assert w[bench < 2].sum() == pytest.approx(w[bench == 2].sum())


def test_no_observations_give_no_weights_and_no_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scheme in ("benchmark", "benchmark-domain"):
            w = observation_weights(scheme, np.array([], dtype=int), 2, ["math", None])
            assert w is not None and w.shape == (0,)
