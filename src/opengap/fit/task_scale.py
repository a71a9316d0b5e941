"""Task-level logits per benchmark-level logit: the unit of an evaluator that fits tasks.

CAISI's Elo is per task: "every 200-point increase on the y-axis equates to a 3x increase in
the odds of solving a given task", from a one-parameter IRT fit on task-level results. opengap
fits benchmark-level success rates. Within a benchmark the tasks' difficulties spread, so the
benchmark's success rate — an average over tasks — rises less steeply with ability than any one
task's odds do: with difficulties spread by τ logits, ``E[σ(θ − b)] ≈ σ((θ − b̄) / k)`` with
``k = √(1 + πτ²/8)`` (the probit approximation of the logistic-normal integral). A 1PL fitted
to success rates therefore places models ``1/k`` as far apart as a 1PL fitted to their tasks,
and ``k`` converts one into the other.

:func:`task_logit_unit` measures ``k`` on item-level responses (models × tasks of one
benchmark): it fits a Rasch model to the tasks and regresses each model's task-level ability on
the logit of its success rate. The slope is ``k``; the approximation from the fitted spread is
returned alongside as a check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import logit

from opengap.errors import UnidentifiedFit
from opengap.fit.items import ItemResponseModel


@dataclass(frozen=True)
class TaskUnit:
    """The measured unit and what it was measured on.

    Attributes
    ----------
    k : float
        Task-level logits per logit of the success rate (slope of θ on logit(accuracy)).
    spread : float
        Standard deviation of the fitted task difficulties (τ, logits).
    k_from_spread : float
        ``√(1 + πτ²/8)``: the unit the spread alone implies.
    n_models, n_items : int
        Models (runs) and tasks used.
    accuracy_range : tuple of float
        Lowest and highest success rate among the models.
    """

    k: float
    spread: float
    k_from_spread: float
    n_models: int
    n_items: int
    accuracy_range: tuple[float, float]


def unit_from_spread(spread: float) -> float:
    """Return ``√(1 + πτ²/8)``, the aggregate's flattening for task difficulties spread by τ.

    Examples
    --------
    >>> round(unit_from_spread(0.0), 3), round(unit_from_spread(2.5), 3)
    (1.0, 1.944)
    """
    return math.sqrt(1.0 + math.pi * spread**2 / 8.0)


def task_logit_unit(
    model: npt.ArrayLike,
    item: npt.ArrayLike,
    score: npt.ArrayLike,
    *,
    difficulty_sd: float = 5.0,
) -> TaskUnit:
    """Return the task-level logits per benchmark-level logit measured on item responses.

    Parameters
    ----------
    model, item : int arrays
        Model (run) and task index of each response.
    score : float array
        Each response's score in [0, 1] (1 = solved).
    difficulty_sd : float
        Prior standard deviation of the task difficulties in the Rasch fit (it keeps tasks
        solved by every model or by none finite; see :class:`ItemResponseModel`). A tighter
        prior shrinks the spread and ``k`` with it (sd 3: about 5 % low on synthetic tasks
        spread by 2.5 logits); sd 5 is within a few per cent of the truth there.

    Raises
    ------
    UnidentifiedFit
        Fewer than three models with a success rate strictly between 0 and 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta, b = rng.normal(0, 1.5, 30), rng.normal(0, 2.5, 400)
    >>> m, i = np.meshgrid(np.arange(30), np.arange(400), indexing="ij")
    >>> y = (rng.random(m.shape) < 1 / (1 + np.exp(-(theta[m] - b[i])))).astype(float)
    >>> unit = task_logit_unit(m.ravel(), i.ravel(), y.ravel())
    >>> 1.5 < unit.k < 2.2
    True
    """
    m = np.asarray(model, dtype=np.intp)
    i = np.asarray(item, dtype=np.intp)
    y = np.asarray(score, dtype=np.float64)
    fit = ItemResponseModel(model="1pl", difficulty_sd=difficulty_sd).fit(m, i, y)
    counts = np.bincount(m, minlength=fit.n_models_)
    acc = np.bincount(m, weights=y, minlength=fit.n_models_) / np.maximum(counts, 1)
    ok = (counts > 0) & (acc > 0) & (acc < 1)
    if ok.sum() < 3:
        raise UnidentifiedFit(
            "the task unit needs at least three models with a success rate between 0 and 1"
        )
    k = float(np.polyfit(logit(acc[ok]), fit.ability_[ok], 1)[0])
    used = np.unique(i)
    spread = float(np.std(fit.difficulty_[used]))
    return TaskUnit(
        k=k, spread=spread, k_from_spread=unit_from_spread(spread),
        n_models=int(ok.sum()), n_items=int(used.size),
        accuracy_range=(float(acc[ok].min()), float(acc[ok].max())),
    )  # fmt: skip
