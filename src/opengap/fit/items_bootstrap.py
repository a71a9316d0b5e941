"""Bootstrap of item-level fits: B refits on items or models resampled with replacement.

Each draw ``k`` has its own random stream, ``numpy.random.default_rng([seed, k])``, so a draw
does not depend on which worker runs it or in which order: the local backend (this process) and
the Ray backend (draws as tasks on a Ray cluster; ``pip install 'opengap[ray]'``) give the same
numbers for the same seed.

- ``over="items"``: the items are resampled (an item drawn twice counts twice, its floor with
  it); every model is in every draw. The abilities' intervals then carry the items'
  uncertainty, the usual choice when items are a sample of a larger pool.
- ``over="models"``: the models are resampled; every item is in every draw, so the items'
  parameters get intervals that carry the models' sampling. A model left out of a draw has no
  ability in it (NaN), as an item left out has no difficulty under ``over="items"``.

Each refit is a fresh :class:`~opengap.fit.items.ItemResponseModel` with the fitted one's
settings (its scale fixed at mean 0, SD 1 of the draw's abilities, as every fit's is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from opengap.errors import BadArgument
from opengap.fit.items import FloatArray, IntArray, ItemResponseModel, as_item_data

OVER = ("items", "models")
BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class Settings:
    """What a refit needs besides the data: the fitted model's settings, picklable for Ray."""

    model: str
    floor: FloatArray
    difficulty_sd: float
    log_slope_sd: float
    tol: float
    max_iter: int


@dataclass(frozen=True)
class ItemBootstrap:
    """B bootstrap draws of an item fit.

    ``ability`` is (B, n_models) and ``difficulty`` and ``discrimination`` (B, n_items), each
    NaN where the draw left that model or item out; ``seconds`` is the wall time of the draws.
    """

    ability: FloatArray
    difficulty: FloatArray
    discrimination: FloatArray
    over: str
    backend: str
    seed: int
    seconds: float

    def interval(self, level: float = 0.90) -> tuple[FloatArray, FloatArray]:
        """Return the abilities' percentile interval (5th–95th for 0.90), ignoring NaN draws."""
        tail = 50.0 * (1.0 - level)
        low, high = np.nanpercentile(self.ability, [tail, 100.0 - tail], axis=0)
        return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def settings_of(fitted: ItemResponseModel, *, max_iter: int = 30) -> Settings:
    """Return the refit settings of a fitted model (``max_iter`` sweeps per draw)."""
    return Settings(
        model=fitted.model, floor=np.asarray(fitted.floor_, dtype=np.float64),
        difficulty_sd=float(fitted.difficulty_sd), log_slope_sd=float(fitted.log_slope_sd),
        tol=float(fitted.tol), max_iter=max_iter,
    )  # fmt: skip


def bootstrap_item_fit(
    fitted: ItemResponseModel,
    model_index: npt.ArrayLike,
    item_index: npt.ArrayLike,
    score: npt.ArrayLike,
    *,
    n_boot: int = 100,
    seed: int = 0,
    over: str = "items",
    backend: str = "local",
    max_iter: int = 30,
    ray_address: str | None = None,
) -> ItemBootstrap:
    """Return ``n_boot`` refits of ``fitted`` on resampled items or models.

    Parameters
    ----------
    fitted : ItemResponseModel
        A fitted model: its settings (model, floors, priors) are reused by every refit.
    model_index, item_index, score : array_like
        The responses ``fitted`` was fitted on.
    n_boot : int
        Number of draws.
    seed : int
        Draw ``k`` uses ``default_rng([seed, k])``, whichever backend runs it.
    over : {"items", "models"}
        What is resampled.
    backend : {"local", "ray"}
        ``local`` runs the draws in this process; ``ray`` runs them as tasks on a Ray cluster
        (``ray_address``, else ``RAY_ADDRESS``, else a local cluster started for the call and
        stopped after it).
    max_iter : int
        Sweeps per refit at most.

    Returns
    -------
    ItemBootstrap

    Examples
    --------
    >>> boot = bootstrap_item_fit(fit, m, i, y, n_boot=200, seed=1)  # doctest: +SKIP
    >>> low, high = boot.interval()  # doctest: +SKIP
    """
    import time

    if over not in OVER:
        raise BadArgument(f"bootstrap over {over!r}: choose {' or '.join(OVER)}")
    if backend not in BACKENDS:
        raise BadArgument(f"bootstrap backend {backend!r}: choose {' or '.join(BACKENDS)}")
    if n_boot < 1:
        raise BadArgument(f"bootstrap draws must be at least 1, not {n_boot}")
    data = as_item_data(model_index, item_index, score, fitted.n_models_, fitted.n_items_)
    settings = settings_of(fitted, max_iter=max_iter)
    arrays = (data.model, data.item, data.score, data.n_models, data.n_items)
    started = time.perf_counter()
    if backend == "ray":
        rows = _run_ray(arrays, settings, over, seed, n_boot, ray_address)
    else:
        rows = [one_draw(arrays, settings, over, seed, k) for k in range(n_boot)]
    seconds = time.perf_counter() - started
    return ItemBootstrap(
        ability=np.stack([r[0] for r in rows]), difficulty=np.stack([r[1] for r in rows]),
        discrimination=np.stack([r[2] for r in rows]), over=over, backend=backend, seed=seed,
        seconds=seconds,
    )  # fmt: skip


Arrays = tuple[IntArray, IntArray, FloatArray, int, int]


def one_draw(
    arrays: Arrays, settings: Settings, over: str, seed: int, k: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Refit draw ``k``: (abilities, difficulties, discriminations), NaN where left out."""
    model, item, score, n_models, n_items = arrays
    rng = np.random.default_rng([seed, k])
    by, n_by = (item, n_items) if over == "items" else (model, n_models)
    picked = rng.integers(0, n_by, n_by)
    order = np.argsort(by, kind="stable")
    starts = np.searchsorted(by[order], np.arange(n_by + 1))
    sizes = np.diff(starts)[picked]
    rows = np.concatenate([order[starts[j]:starts[j + 1]] for j in picked])
    relabel = np.repeat(np.arange(n_by), sizes)
    floor = settings.floor[picked] if over == "items" else settings.floor
    refit = ItemResponseModel(
        model=settings.model, floor=floor, difficulty_sd=settings.difficulty_sd,
        log_slope_sd=settings.log_slope_sd, max_iter=settings.max_iter, tol=settings.tol,
    )  # fmt: skip
    if over == "items":
        refit.fit(model[rows], relabel, score[rows], n_models=n_models, n_items=n_items)
        return (refit.ability_.copy(), _back(refit.difficulty_, picked, n_items),
                _back(refit.discrimination_, picked, n_items))  # fmt: skip
    refit.fit(relabel, item[rows], score[rows], n_models=n_models, n_items=n_items)
    return (_back(refit.ability_, picked, n_models), refit.difficulty_.copy(),
            refit.discrimination_.copy())  # fmt: skip


def _back(values: FloatArray, picked: IntArray, n: int) -> FloatArray:
    """Map values of resampled copies back to the originals: the mean of each one's copies."""
    total = np.bincount(picked, weights=values, minlength=n)
    count = np.bincount(picked, minlength=n)
    out = np.full(n, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _run_ray(
    arrays: Arrays, settings: Settings, over: str, seed: int, n_boot: int, address: str | None
) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
    try:
        import ray
    except ImportError:
        raise BadArgument("the ray backend needs Ray: pip install 'opengap[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        target = address or os.environ.get("RAY_ADDRESS")
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        ray.init(address=target, **options)
    try:
        remote = ray.remote(_draws_task)
        shared = ray.put(arrays)
        chunks = np.array_split(np.arange(n_boot), max(1, min(n_boot, 4 * _cpus(ray))))
        futures = [remote.remote(shared, settings, over, seed, [int(k) for k in chunk])
                   for chunk in chunks if chunk.size]  # fmt: skip
        rows: list[tuple[FloatArray, FloatArray, FloatArray]] = []
        for part in ray.get(futures):
            rows.extend(part)
        return rows
    finally:
        if started_here:
            ray.shutdown()


def _cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _draws_task(
    arrays: Arrays, settings: Settings, over: str, seed: int, ks: list[int]
) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
    """A Ray task: the draws ``ks`` (several per task, so scheduling costs little)."""
    return [one_draw(arrays, settings, over, seed, k) for k in ks]
