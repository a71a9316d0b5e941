"""Item-level IRT: Rasch/1PL, 2PL and 2PL with a guessing floor, on sparse responses.

The model: P(correct) = c_i + (1 − c_i) σ(a_i (θ_m − b_i)), for model m and item i, with a known
floor c_i (the chance level of a multiple-choice item; 0 by default). Scores may be fractions in
[0, 1] (partial credit enters the likelihood as a fractional success).

Estimation is penalised joint maximum likelihood over the observed cells only (three arrays:
model index, item index, score), by alternating Fisher-scoring steps on the abilities and on
the items, each vectorised over observations with ``np.bincount``:

- abilities θ get a N(0, 1) prior (penalty θ²/2), which keeps all-correct and all-wrong models
  finite; the scale's origin (and for the 2PL its unit) is fixed after every sweep at the
  abilities' mean 0 and standard deviation 1, items transformed with it;
- difficulties b a weak N(0, ``difficulty_sd``²) prior, log-discriminations a N(0,
  ``log_slope_sd``²) prior (2PL only), so items every model solves (or none) stay finite too;
- the 1PL fixes a_i = 1.

Standard errors of abilities are the inverse square roots of their penalised information at the
estimate (conditional on the items); :func:`bootstrap_abilities` resamples items for intervals
that also carry the items' uncertainty.

Backends: ``sparse`` (this module: per-observation arrays, any shape), ``dense`` (a models ×
items uint8/float32 array in cache-sized float32 chunks, :mod:`opengap.fit.items_dense`) and
``torch`` (the same on a torch device, :mod:`opengap.fit.items_torch`, an optional extra).
``auto`` picks dense for large, mostly complete responses and sparse otherwise; all reach the
same estimate to the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from opengap.errors import BadArgument, UnidentifiedFit
from opengap.fit.items_dense import (
    NumpyEngine,
    ResponseMatrix,
    as_matrix,
    from_responses,
    use_dense,
)
from opengap.fit.items_jml import JmlResult, SweepEngine, jml, start_values

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
MODELS = ("1pl", "2pl")
BACKENDS = ("auto", "sparse", "dense", "torch")
_EPS = 1e-9


@dataclass(frozen=True)
class ItemData:
    """Responses as three aligned arrays (model index, item index, score) and the two sizes."""

    model: IntArray
    item: IntArray
    score: FloatArray
    n_models: int
    n_items: int


def as_item_data(
    model: npt.ArrayLike, item: npt.ArrayLike, score: npt.ArrayLike,
    n_models: int | None = None, n_items: int | None = None,
) -> ItemData:  # fmt: skip
    """Validate and pack responses; scores must lie in [0, 1]."""
    m = np.asarray(model, dtype=np.intp)
    i = np.asarray(item, dtype=np.intp)
    y = np.asarray(score, dtype=np.float64)
    if not (m.shape == i.shape == y.shape) or m.ndim != 1:
        raise BadArgument("model, item and score must be 1-D arrays of one length")
    if y.size == 0:
        raise UnidentifiedFit("no responses to fit")
    if not np.all(np.isfinite(y)) or y.min() < 0.0 or y.max() > 1.0:
        raise BadArgument("scores must be finite and within [0, 1]")
    nm = int(m.max()) + 1 if n_models is None else n_models
    ni = int(i.max()) + 1 if n_items is None else n_items
    if m.min() < 0 or i.min() < 0 or m.max() >= nm or i.max() >= ni:
        raise BadArgument("model or item index out of range")
    return ItemData(m, i, y, nm, ni)


class ItemResponseModel:
    """Penalised joint maximum-likelihood IRT fit (scikit-learn style: ``fit`` returns self).

    Parameters
    ----------
    model : {"1pl", "2pl"}
        Rasch (all slopes 1) or two-parameter logistic.
    floor : float or array, optional
        Known guessing floor c_i per item (0 = none); a scalar applies to every item.
    difficulty_sd, log_slope_sd : float
        Prior standard deviations of b and of log a.
    max_iter : int
        Alternating sweeps at most.
    tol : float
        Stop when no parameter moves by more than this in a sweep.
    backend : {"auto", "sparse", "dense", "torch"}
        Where the sweeps run (see the module docstring); ``auto``: dense when
        :func:`opengap.fit.items_dense.use_dense` says so, else sparse.
    device : str
        The torch device ("auto": CUDA when available, else CPU); other backends ignore it.

    Attributes
    ----------
    ability_, ability_se_ : ndarray
        θ per model and its standard error.
    difficulty_, discrimination_, floor_ : ndarray
        b, a and c per item.
    n_iter_, converged_ : int, bool
    backend_ : str
        The backend that ran.
    infit_, outfit_ : ndarray
        Item mean-square fit statistics (about 1 when the model fits; > 1.3 misfit).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta, b = rng.normal(size=300), rng.normal(size=40)
    >>> m, i = np.meshgrid(np.arange(300), np.arange(40), indexing="ij")
    >>> y = rng.random(m.shape) < expit(theta[m] - b[i])
    >>> fit = ItemResponseModel(model="1pl").fit(m.ravel(), i.ravel(), y.ravel())
    >>> bool(np.corrcoef(fit.ability_, theta)[0, 1] > 0.9)
    True
    """

    def __init__(
        self,
        *,
        model: str = "2pl",
        floor: float | npt.ArrayLike = 0.0,
        difficulty_sd: float = 3.0,
        log_slope_sd: float = 0.5,
        max_iter: int = 200,
        tol: float = 1e-4,
        backend: str = "auto",
        device: str = "auto",
    ) -> None:
        self.model = model
        self.floor = floor
        self.difficulty_sd = difficulty_sd
        self.log_slope_sd = log_slope_sd
        self.max_iter = max_iter
        self.tol = tol
        self.backend = backend
        self.device = device

    def fit(
        self,
        model_index: npt.ArrayLike,
        item_index: npt.ArrayLike,
        score: npt.ArrayLike,
        *,
        n_models: int | None = None,
        n_items: int | None = None,
        init: ItemResponseModel | None = None,
    ) -> ItemResponseModel:
        """Fit on responses (three aligned arrays); ``init`` warm-starts from another fit."""
        self._check_settings()
        data = as_item_data(model_index, item_index, score, n_models, n_items)
        _check_identified(data)
        c = self._floors(data.n_items)
        backend = self.backend
        if backend == "auto":
            dense = use_dense(data.score.size, data.n_models, data.n_items)
            backend = "dense" if dense else "sparse"
        if backend != "sparse":
            matrix = from_responses(data.model, data.item, data.score, data.n_models, data.n_items)
            if matrix is not None:
                return self._fit_matrix(matrix, c, init, backend)
            if self.backend != "auto":
                raise BadArgument(f"the {backend} backend needs one response per (model, item); "
                                  "some model answered an item twice")  # fmt: skip
            backend = "sparse"
        start = _start(data, c, init)
        result = _fit_sparse(data, c, start, two=self.model == "2pl",
                             lam_b=1.0 / self.difficulty_sd**2, lam_u=1.0 / self.log_slope_sd**2,
                             max_iter=self.max_iter, tol=self.tol)  # fmt: skip
        return self._learned(result, c, data.n_models, data.n_items, "sparse")

    def fit_matrix(
        self, values: npt.ArrayLike, observed: npt.ArrayLike | None = None, *,
        init: ItemResponseModel | None = None,
    ) -> ItemResponseModel:  # fmt: skip
        """Fit on a models × items array of scores in [0, 1] (the large-data entry point).

        Missing cells are False in ``observed``, NaN in a float array, or 255 in an integer
        (uint8) array; binary scores are held as uint8 (1 byte a cell). ``backend`` "auto"
        runs the dense path here.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> theta, b = rng.normal(size=300), rng.normal(size=40)
        >>> y = (rng.random((300, 40)) < expit(theta[:, None] - b)).astype(np.uint8)
        >>> fit = ItemResponseModel(model="1pl").fit_matrix(y)
        >>> bool(np.corrcoef(fit.ability_, theta)[0, 1] > 0.9), fit.backend_
        (True, 'dense')
        """
        self._check_settings()
        matrix = as_matrix(values, observed)
        c = self._floors(matrix.n_items)
        if self.backend == "sparse":
            seen = np.ones(matrix.values.shape, dtype=bool) if matrix.missing is None \
                else ~matrix.missing  # fmt: skip
            m, i = np.nonzero(seen)
            return self.fit(m, i, matrix.values[m, i].astype(float), n_models=matrix.n_models,
                            n_items=matrix.n_items, init=init)  # fmt: skip
        backend = "dense" if self.backend == "auto" else self.backend
        return self._fit_matrix(matrix, c, init, backend)

    def _check_settings(self) -> None:
        if self.model not in MODELS:
            choices = ", ".join(MODELS)
            raise BadArgument(f"unknown item model {self.model!r} (choose from {choices})")
        if self.backend not in BACKENDS:
            choices = ", ".join(BACKENDS)
            raise BadArgument(f"unknown backend {self.backend!r} (choose from {choices})")

    def _floors(self, n_items: int) -> FloatArray:
        c = np.broadcast_to(np.asarray(self.floor, dtype=float), (n_items,)).copy()
        if np.any((c < 0) | (c >= 1)):
            raise BadArgument("guessing floors must lie in [0, 1)")
        return c

    def _fit_matrix(
        self, matrix: ResponseMatrix, c: FloatArray, init: ItemResponseModel | None, backend: str
    ) -> ItemResponseModel:
        engine: SweepEngine
        if backend == "torch":
            from opengap.fit.items_torch import TorchEngine

            engine = TorchEngine(matrix, device=self.device)
        else:
            engine = NumpyEngine(matrix)
        row_total, row_count, _, _ = engine.totals()
        _check_identified_totals(matrix.n_models, matrix.n_items, float(row_total.sum()),
                                 int(row_count.sum()))  # fmt: skip
        if init is not None and init.ability_.size == matrix.n_models:
            start = (init.ability_, init.difficulty_, np.log(init.discrimination_))
        else:
            start = start_values(*engine.totals(), c)
        result = jml(engine, c, start, two=self.model == "2pl",
                     lam_b=1.0 / self.difficulty_sd**2, lam_u=1.0 / self.log_slope_sd**2,
                     max_iter=self.max_iter, tol=self.tol)  # fmt: skip
        return self._learned(result, c, matrix.n_models, matrix.n_items, backend)

    def _learned(
        self, result: JmlResult, c: FloatArray, n_models: int, n_items: int, backend: str
    ) -> ItemResponseModel:
        self.ability_ = result.theta
        self.ability_se_ = 1.0 / np.sqrt(result.theta_info + 1.0)
        self.difficulty_ = result.b
        self.discrimination_ = np.exp(result.u)
        self.floor_ = c
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.infit_, self.outfit_ = result.infit, result.outfit
        self.n_models_, self.n_items_ = n_models, n_items
        self.backend_ = backend
        return self

    def predict(self, model_index: npt.ArrayLike, item_index: npt.ArrayLike) -> FloatArray:
        """Return P(correct) for (model, item) pairs."""
        m = np.asarray(model_index, dtype=np.intp)
        i = np.asarray(item_index, dtype=np.intp)
        return prob(self.ability_[m], self.difficulty_[i], self.discrimination_[i], self.floor_[i])

    def params(self) -> dict[str, Any]:
        """Return the learned parameters as plain lists (for storage)."""
        return {
            "ability": self.ability_.tolist(), "ability_se": self.ability_se_.tolist(),
            "difficulty": self.difficulty_.tolist(),
            "discrimination": self.discrimination_.tolist(), "floor": self.floor_.tolist(),
        }  # fmt: skip


def prob(theta: npt.ArrayLike, b: npt.ArrayLike, a: npt.ArrayLike, c: npt.ArrayLike) -> FloatArray:
    """Return c + (1 − c) σ(a (θ − b)) elementwise."""
    t, bb, aa, cc = (np.asarray(v, dtype=float) for v in (theta, b, a, c))
    out: FloatArray = cc + (1.0 - cc) * expit(aa * (t - bb))
    return out


def _check_identified(data: ItemData) -> None:
    _check_identified_totals(data.n_models, data.n_items, float(data.score.sum()), data.score.size)


def _check_identified_totals(n_models: int, n_items: int, total: float, n: int) -> None:
    if n_models < 2:
        raise UnidentifiedFit(
            "an item-level fit needs at least two models: with responses from one, its ability "
            "and the items' difficulties cannot be told apart (import other models' responses "
            "on the same items)"
        )
    if n_items < 2:
        raise UnidentifiedFit("an item-level fit needs at least two items")
    if n == 0:
        raise UnidentifiedFit("no responses to fit")
    if total in (0.0, float(n)):
        word = "correct" if total else "wrong"
        raise UnidentifiedFit(f"every response is {word}: no item or model can be told apart")


def _start(
    data: ItemData, c: FloatArray, init: ItemResponseModel | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if init is not None and init.ability_.size == data.n_models:
        return (init.ability_.copy(), init.difficulty_.copy(),
                np.log(init.discrimination_).copy())  # fmt: skip
    def sums(index: IntArray, n: int) -> tuple[FloatArray, FloatArray]:
        total: FloatArray = np.bincount(index, weights=data.score, minlength=n).astype(np.float64)
        return total, np.bincount(index, minlength=n).astype(np.float64)

    return start_values(*sums(data.model, data.n_models), *sums(data.item, data.n_items), c)


def _fit_sparse(
    data: ItemData, c: FloatArray, start: tuple[FloatArray, FloatArray, FloatArray], *,
    two: bool, lam_b: float, lam_u: float, max_iter: int, tol: float,
) -> JmlResult:  # fmt: skip
    """Alternating Fisher-scoring sweeps over the observations (the sparse path)."""
    theta, b, u = start
    converged, sweeps = False, 0
    for sweeps in range(1, max_iter + 1):  # noqa: B007 (the count is kept)
        before = (theta.copy(), b.copy(), u.copy())
        theta = theta + _theta_step(data, theta, b, np.exp(u), c)
        # Fix the scale's origin (and, for the 2PL, its unit) at the abilities' mean and SD
        # every sweep: the likelihood is flat along that ridge, and walking it is slow.
        mu = theta.mean()
        sd = theta.std() if two else 1.0
        if sd > _EPS:
            theta = (theta - mu) / sd
            b = (b - mu) / sd
            u = u + np.log(sd)
        db, du = _item_step(data, theta, b, u, c, lam_b, lam_u, two)
        b, u = b + db, u + du
        move = max(float(np.abs(new - old).max())
                   for new, old in zip((theta, b, u), before, strict=True))  # fmt: skip
        if move < tol:
            converged = True
            break
    a = np.exp(u)
    infit, outfit = _item_fit(data, theta, b, a, c)
    return JmlResult(theta, b, u, _theta_info(data, theta, b, a, c), infit, outfit, sweeps,
                     converged)  # fmt: skip


def _parts(
    data: ItemData, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per observation: z, the score of z (dℓ/dz), its Fisher information J, and a."""
    ai = a[data.item]
    z = ai * (theta[data.model] - b[data.item])
    s = expit(z)
    ci = c[data.item]
    p = ci + (1.0 - ci) * s
    dp = (1.0 - ci) * s * (1.0 - s)
    pq = np.maximum(p * (1.0 - p), _EPS)
    grad = (data.score - p) * dp / pq
    info = dp * dp / pq
    return z, grad, info, ai


def _theta_info(
    data: ItemData, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
) -> FloatArray:
    _, _, info, ai = _parts(data, theta, b, a, c)
    out: FloatArray = np.bincount(
        data.model, weights=info * ai * ai, minlength=data.n_models
    ).astype(np.float64)
    return out


def _theta_step(
    data: ItemData, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
) -> FloatArray:
    _, grad, info, ai = _parts(data, theta, b, a, c)
    g = np.bincount(data.model, weights=grad * ai, minlength=data.n_models) - theta
    h = np.bincount(data.model, weights=info * ai * ai, minlength=data.n_models) + 1.0
    step: FloatArray = np.clip(g / h, -1.0, 1.0)
    return step


def _item_step(
    data: ItemData, theta: FloatArray, b: FloatArray, u: FloatArray, c: FloatArray,
    lam_b: float, lam_u: float, two: bool,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    a = np.exp(u)
    z, grad, info, ai = _parts(data, theta, b, a, c)
    n = data.n_items
    gb = -np.bincount(data.item, weights=grad * ai, minlength=n) - lam_b * b
    hbb = np.bincount(data.item, weights=info * ai * ai, minlength=n) + lam_b
    if not two:
        return np.clip(gb / hbb, -1.0, 1.0), np.zeros(n)
    gu = np.bincount(data.item, weights=grad * z, minlength=n) - lam_u * u
    huu = np.bincount(data.item, weights=info * z * z, minlength=n) + lam_u
    hbu = -np.bincount(data.item, weights=info * z * ai, minlength=n)
    det = np.maximum(hbb * huu - hbu * hbu, _EPS)
    db = (huu * gb - hbu * gu) / det
    du = (hbb * gu - hbu * gb) / det
    return np.clip(db, -1.0, 1.0), np.clip(du, -0.5, 0.5)


def _item_fit(
    data: ItemData, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray]:
    p = prob(theta[data.model], b[data.item], a[data.item], c[data.item])
    var = np.maximum(p * (1.0 - p), _EPS)
    resid2 = (data.score - p) ** 2
    n = np.maximum(np.bincount(data.item, minlength=data.n_items), 1)
    outfit: FloatArray = np.bincount(data.item, weights=resid2 / var, minlength=data.n_items) / n
    infit: FloatArray = np.bincount(data.item, weights=resid2, minlength=data.n_items) / np.maximum(
        np.bincount(data.item, weights=var, minlength=data.n_items), _EPS
    )
    return infit, outfit


def bootstrap_abilities(
    fitted: ItemResponseModel,
    model_index: npt.ArrayLike,
    item_index: npt.ArrayLike,
    score: npt.ArrayLike,
    *,
    n_boot: int = 100,
    seed: int = 0,
    max_iter: int = 30,
) -> FloatArray:
    """Return an (n_boot, n_models) array of abilities refitted on items resampled with replacement.

    Each draw refits from scratch with ``fitted``'s settings; a resampled item appears as often
    as it was drawn (its floor follows it).
    """
    data = as_item_data(model_index, item_index, score, fitted.n_models_, fitted.n_items_)
    rng = np.random.default_rng(seed)
    order = np.argsort(data.item, kind="stable")
    starts = np.searchsorted(data.item[order], np.arange(data.n_items + 1))
    draws = np.empty((n_boot, data.n_models))
    for k in range(n_boot):
        picked = rng.integers(0, data.n_items, data.n_items)
        rows = np.concatenate([order[starts[j]:starts[j + 1]] for j in picked])
        new_item = np.repeat(np.arange(data.n_items), np.diff(starts)[picked])
        refit = ItemResponseModel(
            model=fitted.model, floor=fitted.floor_[picked], difficulty_sd=fitted.difficulty_sd,
            log_slope_sd=fitted.log_slope_sd, max_iter=max_iter, tol=fitted.tol,
            backend=fitted.backend, device=fitted.device,
        )  # fmt: skip
        refit.fit(data.model[rows], new_item, data.score[rows], n_models=data.n_models,
                  n_items=data.n_items)  # fmt: skip
        draws[k] = refit.ability_
    return draws
