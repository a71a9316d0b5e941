"""Transforms of raw benchmark scores before frontiers are taken (e.g. −ln(1 − accuracy))."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from opengap.errors import BadArgument

TRANSFORMS = ("none", "neglog1m")

# −ln(1 − accuracy) is infinite at 1; a perfect score is treated as 1 − 1e-6 (13.8 nats).
_CEILING = 1.0 - 1e-6


def transform(values: npt.ArrayLike, kind: str = "none") -> npt.NDArray[np.float64]:
    """Return ``values`` transformed by ``kind``.

    ``none`` leaves them as they are; ``neglog1m`` is −ln(1 − accuracy) (Epoch's "negative
    log error", in nats), for accuracies in [0, 1]. It stretches the top of the scale, so a
    fixed tolerance means a fixed *relative* difference in error rate (0.02 nats ≈ 2%).

    Raises
    ------
    BadArgument
        For an unknown transform, or ``neglog1m`` on values outside [0, 1].

    Examples
    --------
    >>> transform([0.0, 0.5], "neglog1m").round(4).tolist()
    [0.0, 0.6931]
    """
    arr = np.asarray(values, dtype=float)
    if kind == "none":
        return arr
    if kind == "neglog1m":
        finite = arr[np.isfinite(arr)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise BadArgument(
                "--transform neglog1m needs accuracies in [0, 1]; "
                f"these scores run from {finite.min():g} to {finite.max():g}"
            )
        return np.asarray(-np.log1p(-np.minimum(arr, _CEILING)), dtype=float)
    raise BadArgument(f"unknown transform {kind!r} (choose from {', '.join(TRANSFORMS)})")
