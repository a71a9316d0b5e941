"""Observation weights that give every benchmark, or every domain, the same total weight.

Without weighting each score counts once, so a benchmark with many scores pulls the fit more
than one with few. ``benchmark`` weighting divides each score's weight by its benchmark's count,
``benchmark-domain`` also divides a domain's share equally among its benchmarks (CAISI's
"benchmarks and domains weighted equally"). Weights are scaled to sum to the number of
observations, so the ridge term keeps its strength relative to the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from opengap.errors import BadConfiguration
from opengap.fit.problem import FloatArray, IntArray

WEIGHTINGS = ("none", "benchmark", "benchmark-domain")


def observation_weights(
    weighting: str,
    bench: IntArray,
    n_benchmarks: int,
    domains: Sequence[str | None] | None = None,
) -> FloatArray | None:
    """Return one weight per observation for ``weighting`` (None for ``none``).

    Parameters
    ----------
    weighting : {"none", "benchmark", "benchmark-domain"}
        The scheme.
    bench : int array of shape (n,)
        Benchmark index of each observation.
    n_benchmarks : int
        Number of benchmarks.
    domains : sequence of str or None, optional
        Domain of each benchmark (``benchmark-domain`` only); benchmarks without a domain
        form one domain together.

    Examples
    --------
    >>> import numpy as np
    >>> observation_weights("benchmark", np.array([0, 0, 0, 1]), 2).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    if weighting not in WEIGHTINGS:
        raise BadConfiguration(
            f"unknown weighting {weighting!r} (choose from {', '.join(WEIGHTINGS)})"
        )
    if weighting == "none":
        return None
    b = np.asarray(bench, dtype=np.intp)
    counts = np.bincount(b, minlength=n_benchmarks).astype(np.float64)
    present = counts > 0
    share = np.zeros(n_benchmarks)  # each benchmark's total weight, before scaling
    if weighting == "benchmark":
        share[present] = 1.0
    else:
        if domains is None or len(domains) != n_benchmarks:
            raise BadConfiguration("benchmark-domain weighting needs one domain per benchmark")
        # One label per benchmark; no domain is its own group. Compared in Python: numpy drops
        # trailing NUL characters from a str scalar, so a sentinel like "\x00" never matched.
        labels = [None if d is None else str(d) for d in domains]
        for kind in {lab for lab, p in zip(labels, present, strict=True) if p}:
            members = present & np.array([lab == kind for lab in labels])
            share[members] = 1.0 / members.sum()
    per_obs = share[b] / counts[b]
    out: FloatArray = per_obs * (len(b) / per_obs.sum())
    return out
