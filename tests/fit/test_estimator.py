"""The estimator: recovery of known parameters, the same optimum as plain scipy, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr

from opengap.errors import BadConfiguration, UnidentifiedFit
from opengap.fit import CapabilityEstimator, fit_capabilities
from opengap.fit.reference import reference_fit

Make = Callable[..., Any]


@pytest.mark.parametrize("missing", [0.5, 0.7])
def test_recovers_capabilities_with_many_missing_cells(missing: float, synthetic: Make) -> None:
    s = synthetic(80, 15, missing=missing, items=100, seed=3)
    assert 1 - len(s.y) / (s.n_models * s.n_benchmarks) == pytest.approx(missing, abs=0.06)
    est = CapabilityEstimator(pin_benchmark=0).fit(s.model, s.bench, s.y)  # ECI's objective
    assert spearmanr(est.capability_, s.capability).statistic >= 0.98
    assert spearmanr(est.difficulty_, s.difficulty).statistic >= 0.95
    assert est.difficulty_[0] == 0.0 and est.slope_[0] == 1.0
    assert est.converged_


def test_binomial_loss_recovers_capabilities(synthetic: Make) -> None:
    s = synthetic(60, 12, missing=0.6, items=100, seed=4)
    est = CapabilityEstimator(loss="binomial", pin_benchmark=0).fit(
        s.model, s.bench, s.y, n_items=s.n_items
    )
    assert spearmanr(est.capability_, s.capability).statistic >= 0.98


def test_bootstrap_intervals_cover_the_truth_at_about_the_nominal_rate(synthetic: Make) -> None:
    # Three data sets of 80 models x 15 benchmarks, 60% of the cells missing. The unpenalised
    # estimator (the ridge shrinks the raw scale, a documented property of ECI's objective).
    covered = []
    for seed in range(3):
        s = synthetic(80, 15, missing=0.6, items=50, seed=seed)
        est = CapabilityEstimator(
            pin_benchmark=0, identification="pin", ridge=0.0, n_bootstrap=200, seed=seed
        ).fit(s.model, s.bench, s.y)
        assert est.draws_ is not None and est.draws_.shape == (200, s.n_models)
        low, high = np.percentile(est.draws_, [5, 95], axis=0)
        covered.append((low <= s.capability) & (s.capability <= high))
    coverage = float(np.mean(np.concatenate(covered)))
    assert 0.80 <= coverage <= 0.97, coverage


def test_laplace_standard_errors_agree_with_the_bootstrap_spread(synthetic: Make) -> None:
    s = synthetic(60, 12, missing=0.5, items=60, seed=5)
    est = CapabilityEstimator(pin_benchmark=0, n_bootstrap=150, seed=1).fit(s.model, s.bench, s.y)
    assert est.draws_ is not None
    ratio = np.median(est.se_capability_ / est.draws_.std(axis=0))
    assert 0.5 < ratio < 2.0, ratio


def test_same_optimum_as_plain_scipy_with_finite_differences(synthetic: Make) -> None:
    s = synthetic(40, 10, missing=0.55, items=80, seed=6)
    ours = CapabilityEstimator(pin_benchmark=0, seed=42).fit(s.model, s.bench, s.y)
    ref = reference_fit(s.model, s.bench, s.y, s.n_models, s.n_benchmarks, 0, seed=42)
    assert ours.sse_ == pytest.approx(ref.sse, rel=1e-3)
    assert ours.objective_ <= 2 * ref.cost * (1 + 1e-6)  # never worse than scipy's optimum
    np.testing.assert_allclose(ours.capability_, ref.capability, atol=5e-3)
    np.testing.assert_allclose(ours.slope_, ref.slope, atol=2e-2)


@pytest.mark.parametrize("loss", ["lsq", "binomial"])
def test_scipy_solver_reaches_the_same_optimum(loss: str, synthetic: Make) -> None:
    s = synthetic(30, 8, missing=0.5, items=80, seed=7)
    kw = {"pin_benchmark": 0, "loss": loss}
    fast = CapabilityEstimator(**kw).fit(s.model, s.bench, s.y, n_items=s.n_items)
    slow = CapabilityEstimator(solver="scipy", **kw).fit(s.model, s.bench, s.y, n_items=s.n_items)
    assert fast.objective_ == pytest.approx(slow.objective_, rel=1e-6)
    np.testing.assert_allclose(fast.capability_, slow.capability_, atol=2e-3)


def test_shift_and_pin_identification_are_different_optima(synthetic: Make) -> None:
    s = synthetic(30, 8, missing=0.4, seed=8)
    shift = CapabilityEstimator(pin_benchmark=0).fit(s.model, s.bench, s.y)
    pin = CapabilityEstimator(pin_benchmark=0, identification="pin").fit(s.model, s.bench, s.y)
    assert shift.difficulty_[0] == pin.difficulty_[0] == 0.0
    assert shift.n_free_ == s.n_models + 2 * s.n_benchmarks - 1
    assert pin.n_free_ == s.n_models + 2 * s.n_benchmarks - 2
    # The ridge is not shift-invariant, so pinning inside the fit changes the optimum.
    assert np.max(np.abs(shift.capability_ - pin.capability_)) > 1e-4
    # In shift mode the raw optimum's pinned difficulty is not 0; the reported one is.
    m = s.n_models
    assert shift.theta_[m] != 0.0
    np.testing.assert_allclose(shift.capability_, shift.theta_[:m] - shift.theta_[m])


def test_recovers_known_offsets(synthetic: Make) -> None:
    s = synthetic(120, 12, missing=0.4, items=300, seed=9, offsets=(0.6, -0.8))
    est = CapabilityEstimator(pin_benchmark=0, ridge=0.0, identification="pin").fit(
        s.model, s.bench, s.y, offset_group=s.group
    )
    assert est.offset_[0] == 0.0
    np.testing.assert_allclose(est.offset_[1:], s.offset, atol=0.08)
    assert spearmanr(est.capability_, s.capability).statistic >= 0.98


def test_bootstrap_does_not_depend_on_the_number_of_workers(synthetic: Make) -> None:
    s = synthetic(25, 6, missing=0.4, seed=10)
    serial = CapabilityEstimator(pin_benchmark=0, n_bootstrap=12, n_jobs=1, seed=3)
    parallel = CapabilityEstimator(pin_benchmark=0, n_bootstrap=12, n_jobs=2, seed=3)
    seen: list[tuple[int, int]] = []
    parallel.progress = lambda done, total: seen.append((done, total))
    serial.fit(s.model, s.bench, s.y)
    parallel.fit(s.model, s.bench, s.y)
    assert serial.draws_ is not None and parallel.draws_ is not None
    np.testing.assert_allclose(serial.draws_, parallel.draws_)
    assert seen and seen[-1] == (12, 12)


def test_cross_validation_predicts_held_out_scores(synthetic: Make) -> None:
    s = synthetic(40, 10, missing=0.3, items=200, seed=11)
    est = CapabilityEstimator(pin_benchmark=0, cv_folds=5).fit(s.model, s.bench, s.y)
    assert est.cv_predicted_ is not None
    ok = np.isfinite(est.cv_predicted_)
    assert ok.mean() > 0.95
    cv_rmse = np.sqrt(np.mean((est.cv_predicted_[ok] - s.y[ok]) ** 2))
    in_sample = np.sqrt(est.sse_ / len(s.y))
    assert in_sample < cv_rmse < 3 * in_sample


def test_function_twin_matches_the_class(synthetic: Make) -> None:
    s = synthetic(20, 5, missing=0.3, seed=12)
    est = fit_capabilities(s.model, s.bench, s.y, pin_benchmark=0, n_models=s.n_models)
    twin = CapabilityEstimator(pin_benchmark=0).fit(s.model, s.bench, s.y)
    np.testing.assert_array_equal(est.capability_, twin.capability_)


# ------------------------------------------------------------------ bad configurations
def test_disconnected_benchmarks_are_unidentified() -> None:
    model = [0, 0, 1, 1, 2, 2, 3, 3]
    bench = [0, 1, 0, 1, 2, 3, 2, 3]
    y = [0.5, 0.6, 0.4, 0.3, 0.7, 0.2, 0.6, 0.1]
    with pytest.raises(UnidentifiedFit) as err:
        CapabilityEstimator(pin_benchmark=0).fit(
            model, bench, y, benchmark_labels=["mmlu", "gpqa", "hle", "swe"]
        )
    assert str(err.value) == (
        "the scores fall into 2 groups that share no model, so their capabilities cannot be "
        "compared: benchmark(s) 'hle', 'swe' share no model with 'mmlu'; restrict the "
        "benchmarks or add models scored on both sides"
    )


def test_a_benchmark_without_scores_is_unidentified() -> None:
    with pytest.raises(UnidentifiedFit, match=r"^benchmark 'c' has no scores$"):
        CapabilityEstimator().fit(
            [0, 1], [0, 1], [0.5, 0.5], n_benchmarks=3, benchmark_labels=["a", "b", "c"]
        )


def test_offset_group_without_a_shared_model_is_unidentified() -> None:
    model = [0, 0, 1, 1, 2, 2]
    bench = [0, 1, 0, 1, 0, 1]
    group = [0, 0, 0, 0, 1, 1]  # model 2 is only ever scored in group 1
    with pytest.raises(UnidentifiedFit) as err:
        CapabilityEstimator().fit(
            model, bench, [0.5, 0.4, 0.6, 0.3, 0.7, 0.5], offset_group=group,
            group_labels=["inspect", "vendor-reported"],
        )  # fmt: skip
    assert str(err.value) == (
        "offset group(s) 'vendor-reported' are not identified: their scores share no benchmark, "
        "or no model, with the reference group's, so their offsets cannot be told apart from the "
        "difficulties or capabilities"
    )


def test_offset_group_without_a_shared_benchmark_is_unidentified() -> None:
    # Benchmarks 2 and 3 are scored only in group 1: its offset trades off against their
    # difficulties, although every model is scored in both groups.
    model = [0, 0, 1, 1, 0, 0, 1, 1]
    bench = [0, 1, 0, 1, 2, 3, 2, 3]
    group = [0, 0, 0, 0, 1, 1, 1, 1]
    y = [0.5, 0.4, 0.6, 0.3, 0.7, 0.5, 0.6, 0.2]
    with pytest.raises(UnidentifiedFit, match=r"^offset group\(s\) group #1 are not identified"):
        CapabilityEstimator(pin_benchmark=0).fit(model, bench, y, offset_group=group)
    group[4] = 0  # one score of benchmark 2 in the reference group links it
    CapabilityEstimator(pin_benchmark=0).fit(model, bench, y, offset_group=group)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"loss": "hinge"}, "loss must be one of 'lsq', 'binomial', got 'hinge'"),
        ({"ridge": -1.0}, "ridge must be a number >= 0, got -1.0"),
        ({"slope_bounds": (0.0, 10.0)},
         "slope_bounds must be a pair 0 < low < high, got (0.0, 10.0)"),
        ({"cv_folds": 1}, "cv_folds must be 0 or an integer >= 2, got 1"),
        ({"ridge": 0.0}, "identification 'shift' needs ridge > 0; use identification 'pin' "
                         "without a ridge"),
        ({"pin_benchmark": 5}, "pin_benchmark 5 is not a benchmark index (< 2)"),
    ],
)  # fmt: skip
def test_bad_parameters_name_the_problem(params: dict[str, object], message: str) -> None:
    with pytest.raises(BadConfiguration) as err:
        CapabilityEstimator(**params).fit([0, 1], [0, 1], [0.5, 0.5])  # type: ignore[arg-type]
    assert str(err.value) == message


def test_scores_must_be_fractions() -> None:
    with pytest.raises(BadConfiguration, match=r"^scores must be finite fractions in \[0, 1\]$"):
        CapabilityEstimator().fit([0, 1], [0, 1], [0.5, 1.5])
    with pytest.raises(BadConfiguration, match=r"^no observations to fit$"):
        CapabilityEstimator().fit([], [], [])
