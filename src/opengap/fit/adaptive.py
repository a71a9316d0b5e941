"""Adaptive evaluation on calibrated items: ability from a few answers, the next items to run,
the predicted full-benchmark score, and a simulation loop to measure all of it.

Pure functions over item parameters (difficulty b, discrimination a, floor c) as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opengap.fit.items import FloatArray, IntArray, prob

Z90 = 1.6448536269514722


def map_ability(
    b: FloatArray, a: FloatArray, c: FloatArray, answered: IntArray, scores: FloatArray,
    *, prior_sd: float = 1.0, iterations: int = 50,
) -> tuple[float, float]:  # fmt: skip
    """Return the posterior mode of θ from ``scores`` on items ``answered`` and its standard error.

    The prior is N(0, ``prior_sd``²) on the calibration's scale (mean 0, SD 1), so no answers give
    θ = 0 with SE = ``prior_sd``; the SE is the inverse square root of the posterior information.
    """
    theta = 0.0
    bb, aa, cc, y = b[answered], a[answered], c[answered], np.asarray(scores, dtype=float)
    info = 1.0 / prior_sd**2
    for _ in range(iterations):
        s = 1.0 / (1.0 + np.exp(-aa * (theta - bb)))
        p = cc + (1.0 - cc) * s
        dp = (1.0 - cc) * s * (1.0 - s) * aa
        pq = np.maximum(p * (1.0 - p), 1e-12)
        grad = float(np.sum((y - p) * dp / pq)) - theta / prior_sd**2
        info = float(np.sum(dp * dp / pq)) + 1.0 / prior_sd**2
        step = float(np.clip(grad / info, -1.0, 1.0))
        theta += step
        if abs(step) < 1e-6:
            break
    return theta, 1.0 / np.sqrt(info)


def information(b: FloatArray, a: FloatArray, c: FloatArray, theta: float) -> FloatArray:
    """Return each item's Fisher information at ``theta``."""
    s = 1.0 / (1.0 + np.exp(-a * (theta - b)))
    p = c + (1.0 - c) * s
    dp = (1.0 - c) * s * (1.0 - s) * a
    out: FloatArray = dp * dp / np.maximum(p * (1.0 - p), 1e-12)
    return out


def next_items(
    b: FloatArray, a: FloatArray, c: FloatArray, theta: float, answered: npt.ArrayLike,
    *, n: int = 1, top_k: int = 5, rng: np.random.Generator | None = None,
) -> IntArray:  # fmt: skip
    """Return ``n`` unanswered items to run next: most informative at ``theta``.

    Exposure control ("randomesque"): each pick is drawn at random from the ``top_k`` most
    informative remaining items, so the same few items are not given to every model; with
    ``rng`` None the choice is deterministic (the most informative).
    """
    info = information(b, a, c, theta)
    info[np.asarray(answered, dtype=np.intp)] = -np.inf
    picked: list[int] = []
    for _ in range(min(n, int(np.isfinite(info).sum()))):
        best = np.argsort(-info)[: max(1, top_k) if rng is not None else 1]
        best = best[np.isfinite(info[best])]
        choice = int(rng.choice(best)) if rng is not None else int(best[0])
        picked.append(choice)
        info[choice] = -np.inf
    return np.asarray(picked, dtype=np.intp)


def predicted_score(
    b: FloatArray, a: FloatArray, c: FloatArray, theta: float, se: float,
    answered: IntArray, scores: FloatArray,
) -> tuple[float, float, float]:  # fmt: skip
    """Return the predicted full-benchmark mean score with a 90% interval.

    Answered items count as scored; the rest contribute P_i(θ). The interval takes θ at its
    5th and 95th percentiles (the score is monotone in θ), and adds the binomial spread of the
    unanswered items at those ends.
    """
    n = b.size
    rest = np.ones(n, dtype=bool)
    rest[answered] = False
    done = float(np.sum(scores))

    def mean_at(t: float) -> tuple[float, float]:
        p = prob(t, b[rest], a[rest], c[rest])
        return (done + float(p.sum())) / n, float(np.sum(p * (1.0 - p))) / n**2

    mid, _ = mean_at(theta)
    low, var_low = mean_at(theta - Z90 * se)
    high, var_high = mean_at(theta + Z90 * se)
    return mid, max(0.0, low - Z90 * np.sqrt(var_low)), min(1.0, high + Z90 * np.sqrt(var_high))


@dataclass
class AdaptiveRun:
    """One simulated adaptive evaluation: the items given and the estimate after each."""

    items: IntArray
    theta: FloatArray
    se: FloatArray
    predicted: FloatArray


def run_adaptive(
    b: FloatArray, a: FloatArray, c: FloatArray, answer: npt.ArrayLike,
    *, budget: int, target_se: float | None = None, top_k: int = 5, seed: int = 0,
) -> AdaptiveRun:  # fmt: skip
    """Simulate adaptive testing of one model whose answers to every item are ``answer``.

    Stops after ``budget`` items, or earlier once the ability's SE falls below ``target_se``.
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(answer, dtype=float)
    given: list[int] = []
    thetas, ses, preds = [], [], []
    theta, se = 0.0, 1.0
    for _ in range(min(budget, b.size)):
        item = int(next_items(b, a, c, theta, given, n=1, top_k=top_k, rng=rng)[0])
        given.append(item)
        idx = np.asarray(given, dtype=np.intp)
        theta, se = map_ability(b, a, c, idx, y[idx])
        thetas.append(theta)
        ses.append(se)
        preds.append(predicted_score(b, a, c, theta, se, idx, y[idx])[0])
        if target_se is not None and se < target_se:
            break
    return AdaptiveRun(np.asarray(given, dtype=np.intp), np.asarray(thetas), np.asarray(ses),
                       np.asarray(preds))  # fmt: skip
