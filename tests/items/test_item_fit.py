"""Item-level IRT: recovery of known parameters, intervals, identification, floors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from opengap.errors import BadArgument, UnidentifiedFit
from opengap.fit.items import ItemResponseModel, bootstrap_abilities


def _matrix(rng: np.random.Generator, n_models: int, n_items: int, *, missing: float = 0.0,
            two: bool = True, floor: float = 0.0) -> tuple[np.ndarray, ...]:  # fmt: skip
    theta = rng.normal(size=n_models)
    b = rng.normal(size=n_items)
    a = np.exp(rng.normal(0.0, 0.3, n_items)) if two else np.ones(n_items)
    m, i = (x.ravel() for x in np.meshgrid(np.arange(n_models), np.arange(n_items),
                                            indexing="ij"))  # fmt: skip
    keep = rng.random(m.size) >= missing
    m, i = m[keep], i[keep]
    p = floor + (1 - floor) * expit(a[i] * (theta[m] - b[i]))
    y = (rng.random(m.size) < p).astype(float)
    return m, i, y, theta, b, a


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_2pl_recovers_abilities_difficulties_and_slopes(missing: float) -> None:
    m, i, y, theta, b, a = _matrix(np.random.default_rng(0), 600, 300, missing=missing)
    fit = ItemResponseModel(model="2pl").fit(m, i, y)
    assert fit.converged_
    assert np.corrcoef(fit.ability_, theta)[0, 1] > 0.98
    assert np.corrcoef(fit.difficulty_, b)[0, 1] > 0.98
    assert np.corrcoef(fit.discrimination_, a)[0, 1] > 0.85
    assert abs(np.median(fit.outfit_) - 1.0) < 0.1  # the generating model fits


def test_1pl_recovers_rasch_difficulties_on_the_true_scale() -> None:
    m, i, y, _, b, _ = _matrix(np.random.default_rng(1), 800, 60, two=False)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    shift = np.mean(fit.difficulty_ - b)  # the origin is the abilities' mean
    assert np.allclose(fit.difficulty_ - shift, b, atol=0.25)
    assert np.all(fit.discrimination_ == 1.0)


def test_standard_errors_match_the_spread_of_the_estimates() -> None:
    m, i, y, theta, _, _ = _matrix(np.random.default_rng(2), 400, 200, two=False)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    z = (fit.ability_ - (theta - theta.mean())) / fit.ability_se_
    covered = np.mean(np.abs(z) < 1.645)
    assert 0.82 <= covered <= 0.97


def test_floor_model_recovers_abilities_when_guessing_is_present() -> None:
    m, i, y, theta, _, _ = _matrix(np.random.default_rng(3), 500, 200, floor=0.25)
    floored = ItemResponseModel(model="2pl", floor=0.25).fit(m, i, y)
    plain = ItemResponseModel(model="2pl").fit(m, i, y)
    assert np.corrcoef(floored.ability_, theta)[0, 1] > 0.97
    assert floored.floor_.tolist() == [0.25] * 200
    # ignoring the floor compresses low abilities: the floored fit tracks them better
    low = theta < -1
    assert (np.corrcoef(floored.ability_[low], theta[low])[0, 1]
            >= np.corrcoef(plain.ability_[low], theta[low])[0, 1] - 0.02)  # fmt: skip


def test_perfect_and_zero_rows_stay_finite() -> None:
    m, i, y, _, _, _ = _matrix(np.random.default_rng(4), 50, 40)
    y[m == 0] = 1.0
    y[m == 1] = 0.0
    y[i == 0] = 1.0
    fit = ItemResponseModel().fit(m, i, y)
    assert np.all(np.isfinite(fit.ability_)) and np.all(np.isfinite(fit.difficulty_))
    assert fit.ability_[0] == fit.ability_.max() and fit.ability_[1] == fit.ability_.min()


def test_bootstrap_intervals_cover_true_abilities() -> None:
    m, i, y, theta, _, _ = _matrix(np.random.default_rng(5), 120, 80, two=False)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    draws = bootstrap_abilities(fit, m, i, y, n_boot=60, seed=1)
    low, high = np.percentile(draws, [5, 95], axis=0)
    truth = theta - theta.mean()
    covered = np.mean((low <= truth) & (truth <= high))
    assert 0.75 <= covered <= 0.99


@pytest.mark.parametrize(
    ("m", "i", "y", "error", "message"),
    [
        ([0, 0], [0, 1], [1.0, 0.0], UnidentifiedFit, "at least two models"),
        ([0, 1, 0, 1], [0, 0, 1, 1], [1.0] * 4, UnidentifiedFit, "every response is correct"),
        ([0, 1], [0, 1], [1.5, 0.0], BadArgument, "within [0, 1]"),
    ],
)
def test_bad_or_unidentified_input(m: list[int], i: list[int], y: list[float],
                                   error: type[Exception], message: str) -> None:  # fmt: skip
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        ItemResponseModel().fit(m, i, y)
