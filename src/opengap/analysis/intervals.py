"""Point estimates with 90% intervals taken from bootstrap draws (5th–95th percentile)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

LEVEL = 0.9


@dataclass(frozen=True)
class Interval:
    """A statistic computed on the point fit, with a percentile interval over draws.

    Attributes
    ----------
    value : float
        The statistic on the point estimate (NaN when undefined).
    ci_low, ci_high : float
        The 5th and 95th percentiles of the statistic computed on each bootstrap draw
        (NaN when there are no draws).
    """

    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"value", "ci_low", "ci_high"}`` with NaN as None."""
        return {k: _none(v) for k, v in
                (("value", self.value), ("ci_low", self.ci_low), ("ci_high", self.ci_high))}

    def shifted(self, by: float) -> Interval:
        """Return the interval with ``by`` added to every bound."""
        return Interval(self.value + by, self.ci_low + by, self.ci_high + by)

    def scaled(self, by: float) -> Interval:
        """Return the interval with every bound multiplied by ``by`` (``by`` > 0)."""
        return Interval(self.value * by, self.ci_low * by, self.ci_high * by)


def interval(
    value: float, samples: npt.ArrayLike | None = None, level: float = LEVEL
) -> Interval:
    """Return ``value`` with the central ``level`` percentile interval of ``samples``.

    NaN samples (draws on which the statistic is undefined) are ignored; with no finite
    samples the bounds are NaN.

    Examples
    --------
    >>> interval(1.0, [0.0, 1.0, 2.0]).ci_high
    1.9
    """
    if samples is None:
        return Interval(float(value))
    arr = np.asarray(samples, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return Interval(float(value))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(arr, [tail, 100.0 - tail])
    return Interval(float(value), float(low), float(high))


def recentred_interval(
    value: float, samples: npt.ArrayLike | None = None, level: float = LEVEL
) -> Interval:
    """Return ``value`` with the spread of ``samples`` about their median placed around it.

    ``[value − (median − q_low), value + (q_high − median)]``. For a statistic whose draws are
    all shifted one way from the point estimate (a lag read off maxima of noisy values: the
    draws' open frontier is higher, their lag shorter), the percentile interval ends at the
    point; this keeps the draws' spread and shape but centres it on the point.

    Examples
    --------
    >>> round(recentred_interval(10.0, [4.0, 8.0, 10.0]).ci_high, 6)
    11.8
    """
    plain = interval(value, samples, level)
    if samples is None or not (math.isfinite(plain.ci_low) and math.isfinite(plain.ci_high)):
        return plain
    arr = np.asarray(samples, dtype=float)
    median = float(np.median(arr[np.isfinite(arr)]))
    return Interval(float(value), float(value - (median - plain.ci_low)),
                    float(value + (plain.ci_high - median)))


def basic_interval(
    value: float, samples: npt.ArrayLike | None = None, level: float = LEVEL
) -> Interval:
    """Return ``value`` with the basic (reverse-percentile) bootstrap interval of ``samples``.

    ``[2·value − q_high, 2·value − q_low]``: where the statistic on the draws is biased the same
    way as the point estimate is (a mean over records picked as maxima of noisy values), this
    corrects the bias the plain percentile interval inherits. Bounds are never allowed to
    exclude ``value`` itself.

    Examples
    --------
    >>> round(basic_interval(1.0, [1.0, 2.0, 3.0]).ci_low, 6)
    -0.9
    """
    plain = interval(value, samples, level)
    if not (math.isfinite(plain.ci_low) and math.isfinite(plain.ci_high)):
        return plain
    low, high = 2 * value - plain.ci_high, 2 * value - plain.ci_low
    return Interval(float(value), float(min(low, value)), float(max(high, value)))


def _none(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return a result row for a table: each ``{value, ci_low, ci_high}`` as three columns
    (``key``, ``key_low``, ``key_high``), nested lists and dicts left out."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and {"value", "ci_low", "ci_high"} <= set(value):
            out[key] = value["value"]
            out[f"{key}_low"] = value["ci_low"]
            out[f"{key}_high"] = value["ci_high"]
        elif not isinstance(value, list | dict):
            out[key] = value
    return out
