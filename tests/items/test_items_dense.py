"""The dense backend: same estimate as the sparse path, recovery, missing cells, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from opengap.errors import BadArgument, UnidentifiedFit
from opengap.fit.items import ItemResponseModel
from opengap.fit.items_dense import as_matrix


def _cells(rng: np.random.Generator, n_models: int, n_items: int, *, missing: float = 0.0,
           floor: float = 0.0, partial: bool = False) -> tuple[np.ndarray, ...]:  # fmt: skip
    theta, b = rng.normal(size=n_models), rng.normal(size=n_items)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    p = floor + (1 - floor) * expit(a * (theta[:, None] - b))
    y = rng.binomial(4, p) / 4 if partial else (rng.random(p.shape) < p).astype(float)
    observed = rng.random(p.shape) >= missing
    m, i = np.nonzero(observed)
    return m, i, y[m, i], theta, b, a


CASES = {
    "2pl": {"model": "2pl"},
    "2pl, 30% missing": {"model": "2pl", "missing": 0.3},
    "1pl": {"model": "1pl"},
    "2pl with floor 0.25, 20% missing": {"model": "2pl", "floor": 0.25, "missing": 0.2},
    "partial credit": {"model": "2pl", "partial": True},
}


@pytest.mark.parametrize("case", list(CASES))
def test_dense_reaches_the_sparse_estimate(case: str) -> None:
    opts = dict(CASES[case])
    model, floor = str(opts.pop("model")), float(opts.get("floor", 0.0))
    m, i, y, _, _, _ = _cells(np.random.default_rng(7), 300, 120, **opts)  # type: ignore[arg-type]
    fits = {
        backend: ItemResponseModel(model=model, floor=floor, tol=1e-6, max_iter=2000,
                                   backend=backend).fit(m, i, y)
        for backend in ("sparse", "dense")
    }
    sparse, dense = fits["sparse"], fits["dense"]
    assert sparse.converged_ and dense.converged_ and dense.backend_ == "dense"
    for name in ("ability_", "ability_se_", "difficulty_", "discrimination_", "infit_",
                 "outfit_"):  # fmt: skip
        assert np.allclose(getattr(dense, name), getattr(sparse, name), atol=1e-4), name


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_dense_matrix_recovers_known_parameters(missing: float) -> None:
    rng = np.random.default_rng(1)
    theta, b = rng.normal(size=800), rng.normal(size=400)
    a = np.exp(rng.normal(0.0, 0.3, 400))
    y = (rng.random((800, 400)) < expit(a * (theta[:, None] - b))).astype(np.uint8)
    y[rng.random(y.shape) < missing] = 255  # the uint8 sentinel for a missing cell
    fit = ItemResponseModel().fit_matrix(y)
    assert fit.backend_ == "dense" and fit.converged_
    assert np.corrcoef(fit.ability_, theta)[0, 1] > 0.98
    assert np.corrcoef(fit.difficulty_, b)[0, 1] > 0.98
    assert np.corrcoef(fit.discrimination_, a)[0, 1] > 0.85


def test_missing_cells_marked_three_ways_give_one_fit() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random((200, 60)) < 0.6).astype(np.uint8)
    seen = rng.random(y.shape) > 0.25
    as_nan = np.where(seen, y, np.nan)
    as_255 = np.where(seen, y, 255).astype(np.uint8)
    fits = [ItemResponseModel().fit_matrix(y, seen), ItemResponseModel().fit_matrix(as_nan),
            ItemResponseModel().fit_matrix(as_255)]  # fmt: skip
    for other in fits[1:]:
        assert np.array_equal(other.ability_, fits[0].ability_)
    # a missing cell is not a wrong answer: flipping the hidden values changes nothing
    flipped = ItemResponseModel().fit_matrix(np.where(seen, y, 1 - y), seen)
    assert np.array_equal(flipped.difficulty_, fits[0].difficulty_)


def test_threads_do_not_change_the_estimate() -> None:
    from opengap.fit.items_dense import NumpyEngine
    from opengap.fit.items_jml import jml, start_values

    rng = np.random.default_rng(3)
    y = as_matrix((rng.random((301, 50)) < 0.5).astype(np.uint8))
    c = np.zeros(50)
    out = []
    for threads in (1, 3):
        engine = NumpyEngine(y, threads=threads)
        out.append(jml(engine, c, start_values(*engine.totals(), c), two=True, lam_b=1 / 9,
                       lam_u=4.0, max_iter=50, tol=1e-6))  # fmt: skip
    assert np.allclose(out[0].theta, out[1].theta, atol=1e-5)


def test_auto_picks_dense_for_large_dense_data_and_sparse_otherwise() -> None:
    rng = np.random.default_rng(4)
    big = _cells(rng, 400, 200)[:3]
    small = _cells(rng, 40, 20)[:3]
    assert ItemResponseModel().fit(*big).backend_ == "dense"
    assert ItemResponseModel().fit(*small).backend_ == "sparse"
    m, i, y = big
    twice = (np.r_[m, m[:1]], np.r_[i, i[:1]], np.r_[y, y[:1]])  # one cell answered twice
    assert ItemResponseModel().fit(*twice).backend_ == "sparse"
    with pytest.raises(BadArgument, match="one response per"):
        ItemResponseModel(backend="dense").fit(*twice)


def test_perfect_rows_and_columns_stay_finite_on_the_dense_path() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random((60, 40)) < 0.5).astype(np.uint8)
    y[0], y[1], y[:, 0] = 1, 0, 1
    fit = ItemResponseModel(backend="dense").fit_matrix(y)
    assert np.all(np.isfinite(fit.ability_)) and np.all(np.isfinite(fit.difficulty_))
    assert fit.ability_[0] == fit.ability_.max() and fit.ability_[1] == fit.ability_.min()


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        (np.ones((5, 4)), UnidentifiedFit, "every response is correct"),
        (np.full((5, 4), 0.5)[None], BadArgument, "must be 2-D"),
        (np.full((5, 4), 1.5), BadArgument, r"within \[0, 1\]"),
        (np.full((5, 4), 2, dtype=np.uint8), BadArgument, "must be 0 or 1"),
        (np.zeros((1, 4)), UnidentifiedFit, "at least two models"),
    ],
)
def test_bad_or_unidentified_matrix(values: np.ndarray, error: type[Exception],
                                    message: str) -> None:  # fmt: skip
    with pytest.raises(error, match=message):
        ItemResponseModel().fit_matrix(values)


def test_unknown_backend_is_named() -> None:
    with pytest.raises(BadArgument, match="unknown backend 'gpu'"):
        ItemResponseModel(backend="gpu").fit_matrix(np.eye(3))


@pytest.mark.parametrize("case", ["2pl, 30% missing", "2pl with floor 0.25, 20% missing", "1pl"])
def test_torch_backend_matches_numpy(case: str) -> None:
    pytest.importorskip("torch", reason="torch not installed (the optional [torch] extra)")
    opts = dict(CASES[case])
    model, floor = str(opts.pop("model")), float(opts.get("floor", 0.0))
    m, i, y, _, _, _ = _cells(np.random.default_rng(8), 250, 100, **opts)  # type: ignore[arg-type]
    fits = [ItemResponseModel(model=model, floor=floor, tol=1e-6, max_iter=2000, backend=backend,
                              device="cpu").fit(m, i, y) for backend in ("dense", "torch")]
    assert fits[1].backend_ == "torch" and fits[1].converged_
    for name in ("ability_", "ability_se_", "difficulty_", "discrimination_", "outfit_"):
        assert np.allclose(getattr(fits[0], name), getattr(fits[1], name), atol=1e-4), name
