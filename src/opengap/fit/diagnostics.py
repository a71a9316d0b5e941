"""Fit diagnostics: residual summaries per model and per benchmark, and k-fold cross-validation."""

from __future__ import annotations

import numpy as np

from opengap.fit.problem import FloatArray, IntArray


def group_rmse(index: IntArray, residual: FloatArray, n: int) -> FloatArray:
    """Return the root-mean-square residual of each of ``n`` groups (NaN for empty groups)."""
    ok = np.isfinite(residual)
    counts = np.bincount(index[ok], minlength=n)
    sums = np.bincount(index[ok], residual[ok] ** 2, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.sqrt(sums / counts)
    return out


def group_bias(index: IntArray, residual: FloatArray, n: int) -> FloatArray:
    """Return the mean residual (predicted − observed) of each of ``n`` groups."""
    ok = np.isfinite(residual)
    counts = np.bincount(index[ok], minlength=n)
    sums = np.bincount(index[ok], residual[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = sums / counts
    return out


def kfold_assignment(model: IntArray, n_models: int, k: int, seed: int) -> IntArray:
    """Return a fold (0..k-1) per observation, spreading each model's results over the folds.

    Within each model the results are shuffled and dealt round-robin, so a model with at least
    two results keeps at least one in every training set.
    """
    rng = np.random.default_rng(seed)
    shuffle = rng.permutation(len(model))
    order = shuffle[np.argsort(model[shuffle], kind="stable")]
    counts = np.bincount(model, minlength=n_models)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(model)) - starts[model[order]]
    offset = rng.integers(0, k, size=n_models)  # so small models do not all start in fold 0
    fold = np.empty(len(model), dtype=np.intp)
    fold[order] = (rank + offset[model[order]]) % k
    return fold


def predictable(
    model: IntArray, bench: IntArray, train: np.ndarray, n_models: int, n_benchmarks: int
) -> np.ndarray:
    """Return which held-out observations have their model and benchmark in the training set."""
    m_ok = np.bincount(model[train], minlength=n_models) > 0
    b_ok = np.bincount(bench[train], minlength=n_benchmarks) > 0
    out: np.ndarray = m_ok[model] & b_ok[bench]
    return out
