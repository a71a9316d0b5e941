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
        # Domains as integer codes (None is a domain of its own). Not a sentinel string: numpy
        # compares an object array with "\x00" as with "" (it drops trailing NULs), so the
        # benchmarks without a domain matched nothing, got weight 0 and left the fit, and
        # 1 / 0 raised a divide-by-zero warning.
        codes_of: dict[str | None, int] = {}
        codes = np.array([codes_of.setdefault(None if d is None else str(d), len(codes_of))
                          for d in domains], dtype=np.intp)  # fmt: skip
        for code in np.unique(codes[present]):
            members = present & (codes == code)
            share[members] = 1.0 / float(members.sum())
    if len(b) == 0:
        return np.ones(0)
    per_obs = share[b] / counts[b]
    out: FloatArray = per_obs * (len(b) / per_obs.sum())
    return out
