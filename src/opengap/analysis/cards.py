"""The pure parts of a model card: ranks, percentile within a size class, the Pareto front.

Inputs are plain arrays or a fit's models frame (model_id, capability, weights, ...); missing
values (NaN capability or parameters) never count as anything: a model with unknown
parameters is in no size class and on no front.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rank_of(capability: np.ndarray, value: float) -> int:
    """Return the rank of ``value`` among ``capability`` (1 = highest; ties share the rank).

    Examples
    --------
    >>> rank_of(np.array([3.0, 1.0, 2.0]), 2.0)
    2
    """
    finite = capability[np.isfinite(capability)]
    return int(np.sum(finite > value)) + 1


def percentile_rank(capability: np.ndarray, value: float) -> float:
    """Return the percentile rank of ``value`` in ``capability`` (which includes it), 0–100.

    The share of models below it plus half the share tied with it (itself included), the usual
    mid-rank definition: the best of four models is at 87.5, the worst at 12.5, a lone model at
    50.

    Examples
    --------
    >>> percentile_rank(np.array([1.0, 2.0, 3.0, 4.0]), 4.0)
    87.5
    """
    finite = capability[np.isfinite(capability)]
    if finite.size == 0:
        return float("nan")
    below = np.sum(finite < value)
    ties = np.sum(finite == value)
    return float(100.0 * (below + 0.5 * ties) / finite.size)


def pareto_front(capability: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Return a mask of the points no other point dominates (higher capability, smaller size).

    A point is dominated when another has capability >= and size <= with one of them strict.
    Points with a missing capability or size are never on the front.

    Examples
    --------
    >>> pareto_front(np.array([1.0, 2.0, 1.5]), np.array([1.0, 10.0, 20.0])).tolist()
    [True, True, False]
    """
    cap = np.asarray(capability, dtype=float)
    sz = np.asarray(size, dtype=float)
    ok = np.isfinite(cap) & np.isfinite(sz)
    front = np.zeros(len(cap), dtype=bool)
    for i in np.flatnonzero(ok):
        better = ok & (cap >= cap[i]) & (sz <= sz[i]) & ((cap > cap[i]) | (sz < sz[i]))
        front[i] = not better.any()
    return front


def latest_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Return each model's latest price row (ties on the date: the first source by name).

    ``prices`` has model_id, date, source and input/output/blended USD per 1M tokens.
    """
    if prices.empty:
        return prices.copy()
    ordered = prices.sort_values(["model_id", "date", "source"], ascending=[True, False, True])
    return ordered.groupby("model_id", as_index=False).head(1).reset_index(drop=True)


def per_unit(values: pd.Series, version_of: pd.Series) -> pd.Series:
    """Return a value per fitted unit: its own, else the median over the versions it groups.

    ``values`` is indexed by model id; ``version_of`` maps a version's id to its group's id. A fit
    that groups versions (effort levels, dated releases) fits the group; sources such as
    Artificial Analysis price each version, and versions of one model share per-token prices.
    """
    own = pd.to_numeric(values, errors="coerce").dropna()
    groups = version_of.reindex(own.index)
    pooled = own[groups.notna()].groupby(groups[groups.notna()]).median()
    # a unit's own value wins over its versions'
    combined: pd.Series = pd.concat([own, pooled[~pooled.index.isin(own.index)]])
    return combined


def blended_prices(prices: pd.DataFrame) -> pd.Series:
    """Return each price row's blended USD per 1M tokens: the stated blend, else 3:1.

    Artificial Analysis' blend is 3 input tokens to 1 output token (its field
    ``price_1m_blended_3_to_1``); where a source gives only the two prices, they are blended so.
    """
    stated = pd.to_numeric(prices["blended_usd_per_m"], errors="coerce")
    derived = (3.0 * pd.to_numeric(prices["input_usd_per_m"], errors="coerce")
               + pd.to_numeric(prices["output_usd_per_m"], errors="coerce")) / 4.0  # fmt: skip
    out: pd.Series = stated.fillna(derived)
    return out
