"""The harness effect from paired runs: one model, one benchmark, two harnesses.

A harness offset is only identified where the same model is scored under two harnesses on the
same benchmark (or the same items). This module estimates it from exactly those pairs, with no
capability fit in between:

- a **pair** is (model, benchmark) with a score under the *base* harness category (default
  ``simple-loop``: a bare bash loop) and one under the *alternative* (default ``agent-harness``:
  an agent scaffold); where a model has several alternative scores, the best one is used (the
  question is "as if run in its best harness");
- its effect is ``logit(alt) - logit(base)``: in the IRT model E[s] = σ(α_b(C + δ_h − D_b)) this
  is α_b(δ_alt − δ_base), so dividing by the benchmark's slope α_b gives capability logits;
  the difference in percentage points is reported beside it;
- the estimate is the mean effect over pairs; its interval resamples the pairs (models) with
  replacement and redraws each score from a binomial with the benchmark's item count, so it
  carries both between-model spread and each run's sampling noise;
- the **interaction** is the mean effect of open-weight pairs minus that of closed-weight
  pairs, with both groups resampled within themselves.

Functions here are pure: frames and arrays in, records out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opengap.analysis.harness import harness_categories

LEVEL = 0.90
DEFAULT_ITEMS = 500  # the item count assumed for sampling noise when a score gives none


@dataclass
class Effect:
    """One harness effect: mean over pairs with its interval, in logits and in points."""

    n_pairs: int
    logits: float | None
    logits_low: float | None
    logits_high: float | None
    points: float | None
    points_low: float | None
    points_high: float | None
    status: str  # "identified", "one pair" or "not identified: <why>"

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return asdict(self)


@dataclass
class HarnessEffect:
    """The harness effect of ``alternative`` over ``base`` from paired runs.

    ``overall`` pools every pair; ``by_group`` has one effect per weights group (open, closed);
    ``interaction`` is open minus closed. ``pairs`` lists the pairs used, one row each.
    """

    base: str
    alternative: str
    overall: Effect
    by_group: dict[str, Effect]
    interaction: Effect
    pairs: pd.DataFrame
    level: float = LEVEL
    n_boot: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (pairs as records)."""
        return {
            "base": self.base,
            "alternative": self.alternative,
            "level": self.level,
            "n_boot": self.n_boot,
            "overall": self.overall.to_dict(),
            "by_group": {k: v.to_dict() for k, v in self.by_group.items()},
            "interaction": self.interaction.to_dict(),
            "pairs": [
                {str(k): (None if isinstance(v, float) and not np.isfinite(v) else v)
                 for k, v in r.items()}
                for r in self.pairs.to_dict(orient="records")
            ],
            "notes": list(self.notes),
        }


PAIR_COLUMNS = [
    "model_id", "benchmark_id", "weights", "base_harness", "base_value", "alt_harness",
    "alt_value", "n_items",
]  # fmt: skip


def harness_pairs(
    scores: pd.DataFrame, *, base: str = "simple-loop", alternative: str = "agent-harness"
) -> pd.DataFrame:
    """Return one row per (model, benchmark) scored under both harness categories.

    Parameters
    ----------
    scores : DataFrame
        Columns ``model_id``, ``benchmark_id``, ``value`` (a fraction), ``harness`` (free text,
        mapped with :func:`opengap.analysis.harness.harness_categories`), and optionally
        ``weights`` and ``n_items``.
    base, alternative : str
        The two harness categories compared.

    Returns
    -------
    DataFrame
        :data:`PAIR_COLUMNS`: the best base and best alternative score of each pair and the
        harness names they came from.
    """
    if scores.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    frame = scores.copy()
    frame["category"] = harness_categories(frame["harness"])
    if "weights" not in frame:
        frame["weights"] = None
    if "n_items" not in frame:
        frame["n_items"] = np.nan
    frame = frame[np.isfinite(pd.to_numeric(frame["value"], errors="coerce"))]
    keys = ["model_id", "benchmark_id"]

    def best(category: str) -> pd.DataFrame:
        part = frame[frame["category"] == category].sort_values("value", ascending=False)
        best_rows: pd.DataFrame = part.drop_duplicates(keys)[
            [*keys, "weights", "harness", "value", "n_items"]
        ]
        return best_rows

    low, high = best(base), best(alternative)
    pairs = low.merge(high, on=keys, suffixes=("_base", "_alt"))
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    n_items = pd.to_numeric(pairs["n_items_base"], errors="coerce").fillna(
        pd.to_numeric(pairs["n_items_alt"], errors="coerce")
    )
    out = pd.DataFrame(
        {
            "model_id": pairs["model_id"],
            "benchmark_id": pairs["benchmark_id"],
            "weights": pairs["weights_base"].where(pairs["weights_base"].notna(),
                                                   pairs["weights_alt"]),
            "base_harness": pairs["harness_base"],
            "base_value": pairs["value_base"].astype(float),
            "alt_harness": pairs["harness_alt"],
            "alt_value": pairs["value_alt"].astype(float),
            "n_items": n_items,
        }
    )  # fmt: skip
    result: pd.DataFrame = out.sort_values(keys).reset_index(drop=True)
    return result


def _logit(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    eps = 0.5 / n  # a continuity correction so 0 and 1 stay finite
    q = np.clip(p, eps, 1.0 - eps)
    logits: np.ndarray = np.log(q / (1.0 - q))
    return logits


def _draws(
    base: np.ndarray,
    alt: np.ndarray,
    n: np.ndarray,
    slope: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap means (logits, points): pairs resampled, each score redrawn binomially."""
    k = base.size
    pick = rng.integers(0, k, size=(n_boot, k))
    nn = n[pick]
    b = rng.binomial(nn.astype(np.int64), base[pick]) / nn
    a = rng.binomial(nn.astype(np.int64), alt[pick]) / nn
    logits = ((_logit(a, nn) - _logit(b, nn)) / slope[pick]).mean(axis=1)
    points = (100.0 * (a - b)).mean(axis=1)
    return logits, points


def _effect(
    base: np.ndarray,
    alt: np.ndarray,
    n: np.ndarray,
    slope: np.ndarray,
    n_boot: int,
    level: float,
    rng: np.random.Generator,
    why_none: str,
) -> tuple[Effect, np.ndarray | None, np.ndarray | None]:
    k = base.size
    if k == 0:
        return (Effect(0, None, None, None, None, None, None, f"not identified: {why_none}"),
                None, None)  # fmt: skip
    logits = float(((_logit(alt, n) - _logit(base, n)) / slope).mean())
    points = float((100.0 * (alt - base)).mean())
    draws_l, draws_p = _draws(base, alt, n, slope, n_boot, rng)
    tail = 100.0 * (1.0 - level) / 2.0
    lo_l, hi_l = np.percentile(draws_l, [tail, 100.0 - tail])
    lo_p, hi_p = np.percentile(draws_p, [tail, 100.0 - tail])
    status = "identified" if k > 1 else "one pair"
    effect = Effect(k, logits, float(lo_l), float(hi_l), points, float(lo_p), float(hi_p), status)
    return effect, draws_l, draws_p


def harness_effect(
    pairs: pd.DataFrame,
    *,
    base: str = "simple-loop",
    alternative: str = "agent-harness",
    slopes: dict[str, float] | None = None,
    n_boot: int = 2000,
    level: float = LEVEL,
    seed: int = 0,
) -> HarnessEffect:
    """Estimate the harness effect and the open-vs-closed interaction from ``pairs``.

    Parameters
    ----------
    pairs : DataFrame
        As returned by :func:`harness_pairs`.
    slopes : dict, optional
        Benchmark id -> slope α_b of a capability fit, to state the effect in capability
        logits; without it the effect is in the benchmark's own logits (α_b = 1).
    n_boot, level, seed : int, float, int
        Bootstrap draws, interval level and random seed.

    Returns
    -------
    HarnessEffect

    Examples
    --------
    >>> pairs = pd.DataFrame({"model_id": ["a", "b"], "benchmark_id": ["x", "x"],
    ...     "weights": ["open", "closed"], "base_harness": ["loop"] * 2,
    ...     "base_value": [0.4, 0.6], "alt_harness": ["agent"] * 2, "alt_value": [0.5, 0.65],
    ...     "n_items": [500, 500]})
    >>> round(harness_effect(pairs, n_boot=200).overall.points, 1)
    7.5
    """
    rng = np.random.default_rng(seed)
    base_v = pairs["base_value"].to_numpy(float)
    alt_v = pairs["alt_value"].to_numpy(float)
    n = pd.to_numeric(pairs["n_items"], errors="coerce").fillna(DEFAULT_ITEMS).to_numpy(float)
    slope_map = slopes or {}
    slope = np.array([float(slope_map.get(b, 1.0)) for b in pairs["benchmark_id"]], dtype=float)
    slope[~np.isfinite(slope) | (slope <= 0)] = 1.0
    why = f"no model is scored under both {base!r} and {alternative!r} on the same benchmark"
    overall, _, _ = _effect(base_v, alt_v, n, slope, n_boot, level, rng, why)
    weights = pairs["weights"].astype(object).map(lambda w: str(w).lower() if w == w and w
                                                  else "unknown")  # fmt: skip
    groups: dict[str, Effect] = {}
    draws: dict[str, tuple[np.ndarray | None, np.ndarray | None]] = {}
    for group in ("open", "closed"):
        mask = (weights == group).to_numpy()
        groups[group], dl, dp = _effect(
            base_v[mask], alt_v[mask], n[mask], slope[mask], n_boot, level, rng,
            f"no {group}-weight model is scored under both harnesses on the same benchmark",
        )  # fmt: skip
        draws[group] = (dl, dp)
    interaction = _interaction(groups, draws, level)
    notes = []
    unknown = int((weights == "unknown").sum())
    if unknown:
        notes.append(f"{unknown} pair(s) of models with unknown weights count only in the overall")
    return HarnessEffect(base, alternative, overall, groups, interaction, pairs, level, n_boot,
                         notes)  # fmt: skip


def _interaction(
    groups: dict[str, Effect],
    draws: dict[str, tuple[np.ndarray | None, np.ndarray | None]],
    level: float,
) -> Effect:
    open_, closed = groups["open"], groups["closed"]
    (ol, op), (cl, cp) = draws["open"], draws["closed"]
    if ol is None or cl is None or op is None or cp is None:
        missing = "open" if ol is None else "closed"
        return Effect(0, None, None, None, None, None, None,
                      f"not identified: no {missing}-weight pair")  # fmt: skip
    tail = 100.0 * (1.0 - level) / 2.0
    dl, dp = ol - cl, op - cp
    lo_l, hi_l = np.percentile(dl, [tail, 100.0 - tail])
    lo_p, hi_p = np.percentile(dp, [tail, 100.0 - tail])
    assert open_.logits is not None and closed.logits is not None
    assert open_.points is not None and closed.points is not None
    status = "identified" if min(open_.n_pairs, closed.n_pairs) > 1 else "one pair"
    return Effect(
        open_.n_pairs + closed.n_pairs, open_.logits - closed.logits, float(lo_l), float(hi_l),
        open_.points - closed.points, float(lo_p), float(hi_p), status,
    )  # fmt: skip


def item_pairs(responses: pd.DataFrame, *, base: str, alternative: str) -> pd.DataFrame:
    """Return per-model mean scores on the items answered under both harness names.

    ``responses`` has ``model_id``, ``benchmark_id``, ``item_id``, ``harness`` and ``score``.
    The result has :data:`PAIR_COLUMNS` (``n_items`` = the number of common items), so
    :func:`harness_effect` applies unchanged; runs identical item for item (the same run
    listed twice) are dropped, since they carry no harness contrast.
    """
    if responses.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    frame = responses.assign(category=harness_categories(responses["harness"]).to_numpy())
    keys = ["model_id", "benchmark_id", "item_id"]
    low = frame[frame["category"] == base].groupby(keys, as_index=False)["score"].max()
    high = frame[frame["category"] == alternative].groupby(keys, as_index=False)["score"].max()
    both = low.merge(high, on=keys, suffixes=("_base", "_alt"))
    if both.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    agg = both.groupby(["model_id", "benchmark_id"]).agg(
        base_value=("score_base", "mean"), alt_value=("score_alt", "mean"),
        n_items=("item_id", "size"),
        identical=("score_base", lambda s: bool((s == both.loc[s.index, "score_alt"]).all())),
    ).reset_index()  # fmt: skip
    agg = agg[~agg["identical"]].drop(columns="identical")
    agg["weights"] = None
    agg["base_harness"], agg["alt_harness"] = base, alternative
    result: pd.DataFrame = agg[PAIR_COLUMNS].reset_index(drop=True)
    return result


@dataclass
class HarnessReport:
    """Everything ``opengap harness`` shows: the paired effect, per domain, and at item level.

    ``scores`` is the effect from published scores (pairs of one model on one benchmark);
    ``items`` the effect from item-level responses on the same tasks (often not identified:
    say why in its status); ``by_domain`` one effect per benchmark domain with pairs;
    ``restated`` the gap as measured and as if every model ran in its best harness (from the
    harness-offset refit; empty when no fit could be made); ``data`` what the estimate used.
    """

    scores: HarnessEffect
    items: HarnessEffect
    by_domain: dict[str, Effect]
    restated: dict[str, Any]
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "scores": self.scores.to_dict(),
            "items": self.items.to_dict(),
            "by_domain": {k: v.to_dict() for k, v in self.by_domain.items()},
            "restated": self.restated,
            "data": self.data,
        }
