"""A composite index in the manner of the Artificial Analysis Intelligence Index.

AA's Intelligence Index v4.0 is a weighted average of ten evaluations in four equally weighted
categories (as AA's methodology page and its summaries describe it): Agents (GDPval-AA,
τ²-Bench Telecom), Coding (Terminal-Bench Hard, SciCode), General (AA-LCR, AA-Omniscience,
IFBench) and Scientific Reasoning (Humanity's Last Exam, GPQA Diamond, CritPt). Within a category
the evaluations are weighted equally here (an assumption).

On a store, only some of those evaluations exist, sometimes under a near relative (Terminal-Bench
for Terminal-Bench Hard). :func:`composite_table` uses the ones present, the category weights
renormalised over them, and keeps a model when it has scores carrying at least ``coverage`` of
that weight (AA itself scores every model on every evaluation). Its draws resample the present
evaluations with replacement (a bootstrap over benchmarks), so the lag gets an interval that
says how much the choice of evaluations moves it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AA_INDEX: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Agents", ("gdpval-aa",)),
    ("Agents", ("tau2-bench-telecom", "tau2-bench")),
    ("Coding", ("terminal-bench-hard", "terminal-bench-2", "terminal-bench")),
    ("Coding", ("scicode",)),
    ("General", ("aa-lcr",)),
    ("General", ("aa-omniscience",)),
    ("General", ("ifbench",)),
    ("Scientific Reasoning", ("hle",)),
    ("Scientific Reasoning", ("gpqa-diamond",)),
    ("Scientific Reasoning", ("critpt",)),
)
"""(category, benchmark ids tried in order): AA's Intelligence Index v4.0 evaluations."""

COVERAGE = 0.75
N_DRAWS = 200


def index_weights(present: set[str]) -> dict[str, float]:
    """Return the weight of each present benchmark: categories equal, evaluations equal within.

    Examples
    --------
    >>> index_weights({"gpqa-diamond", "hle", "terminal-bench"})
    {'terminal-bench': 0.5, 'hle': 0.25, 'gpqa-diamond': 0.25}
    """
    chosen: list[tuple[str, str]] = []
    for category, ids in AA_INDEX:
        found = next((b for b in ids if b in present), None)
        if found is not None:
            chosen.append((category, found))
    categories = sorted({c for c, _ in chosen})
    out: dict[str, float] = {}
    for category, bench in chosen:
        n_in = sum(1 for c, _ in chosen if c == category)
        out[bench] = 1.0 / len(categories) / n_in
    return out


def composite_table(
    scores: pd.DataFrame, *, coverage: float = COVERAGE, n_draws: int = N_DRAWS, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray | None, dict[str, float]]:
    """Return (models with ``value`` = composite, draws, weights used).

    Parameters
    ----------
    scores : DataFrame
        One row per (model, benchmark) score: ``model_id``, ``benchmark_id``, ``value``
        (a fraction) plus any model columns (kept, first row per model).
    coverage : float
        Share of the present weight a model's scores must carry.

    Returns
    -------
    models, draws, weights
        ``draws`` has shape (n_draws, n_models): the composite with the present benchmarks
        resampled with replacement (None with fewer than two benchmarks).
    """
    weights = index_weights(set(scores["benchmark_id"].astype(str)))
    if not weights:
        return scores.iloc[0:0].assign(value=[]), None, weights
    frame = scores.loc[scores["benchmark_id"].isin(list(weights))]
    wide = frame.pivot_table(index="model_id", columns="benchmark_id", values="value",
                             aggfunc="max")
    benches = list(wide.columns)
    w = np.asarray([weights[b] for b in benches])
    values = wide.to_numpy(dtype=float)
    have = np.isfinite(values)
    carried = (have * w).sum(axis=1) / w.sum()
    keep = carried >= coverage - 1e-12
    values, have = values[keep], have[keep]

    def average(weight: np.ndarray) -> np.ndarray:
        total = (have * weight).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.where(have, values, 0.0) @ weight / total, dtype=float)

    point = average(w)
    draws = None
    if len(benches) >= 2:
        rng = np.random.default_rng(seed)
        rows = []
        for _ in range(n_draws):
            counts = np.bincount(rng.integers(0, len(benches), len(benches)),
                                 minlength=len(benches))
            rows.append(average(w * counts))
        draws = np.asarray(rows)
        draws = np.where(np.isfinite(draws), draws, point)  # no resampled score: the point
    ids = wide.index[keep]
    meta = scores.drop(columns=["benchmark_id", "value"], errors="ignore").drop_duplicates(
        "model_id").set_index("model_id")
    models = meta.reindex(ids).reset_index()
    models["value"] = point
    return models, draws, weights
