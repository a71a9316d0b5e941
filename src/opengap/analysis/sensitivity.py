"""Sensitivity: influence of each benchmark, subsets, harness offsets and interval widening.

Pure functions over the outcomes of refits (done by :mod:`opengap.gap`):

- *influence*: for each benchmark left out, the gap (lag in months, points) of the refit minus
  the gap of the full fit, and its ``influence``: the larger of the two effects, each as a share
  of the full fit's value (|Δ lag| / |lag|, |Δ points| / |gap|); rows sorted by it, so the
  headline's "moves it most", the tables and the tornado chart rank benchmarks alike;
- *alignment*: unless the scale is pinned by two anchor models (``eci``), a refit's values are
  mapped onto the full fit's units by least squares over the models they share
  (:func:`align_scale`), so Δ points compare like with like; lags in months do not depend on
  the units;
- *widening*: for each model, how much its capability's standard error grows when one of its
  benchmarks is missing (ratio of the Laplace standard errors of the leave-one-out refit and of
  the full fit, mean and maximum over the model's benchmarks), and which benchmark's absence
  widens it most; a model that falls under the minimum number of benchmarks without one of
  them "drops out" and is counted separately.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opengap.analysis.intervals import Interval

INFLUENCE_COLUMNS = [
    "benchmark_id", "name", "domain", "n_models", "lag_months", "vertical_gap",
    "delta_lag_months", "delta_points", "influence", "best_open", "best_closed",
]  # fmt: skip
WIDENING_COLUMNS = [
    "model_id", "name", "weights", "n_benchmarks", "ci_width", "se", "mean_widening",
    "max_widening", "widest_without", "drops_out_without",
]  # fmt: skip


def align_scale(values: npt.ArrayLike, reference: npt.ArrayLike) -> tuple[float, float]:
    """Return (a, b) of the least-squares map ``reference ≈ a + b · values``.

    Used to put a refit's capabilities in the units of the full fit when the scale is not
    pinned by two anchor models (on the raw logit scale the unit is the pinned benchmark's
    slope, which changes when that benchmark is left out). Pairs with a NaN are ignored; with
    fewer than two pairs, or no spread, the identity ``(0, 1)`` is returned.

    Examples
    --------
    >>> align_scale([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    (1.0, 2.0)
    """
    x = np.asarray(values, dtype=float)
    y = np.asarray(reference, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        return 0.0, 1.0
    b, a = np.polyfit(x[ok], y[ok], 1)
    return round(float(a), 12), round(float(b), 12)


def influence_table(
    base_lag: float, base_points: float, refits: Sequence[Mapping[str, Any]]
) -> pd.DataFrame:
    """Return one row per left-out benchmark with its Δ lag and Δ points, most influential first.

    Parameters
    ----------
    base_lag, base_points : float
        The full fit's lag (months) and vertical gap (points).
    refits : sequence of mappings
        One per benchmark left out, with ``benchmark_id`` and the refit's ``lag_months`` and
        ``vertical_gap`` (and optionally ``name``, ``domain``, ``n_models``, ``best_open``,
        ``best_closed``).

    Examples
    --------
    >>> t = influence_table(5.0, 2.0, [{"benchmark_id": "a", "lag_months": 4.0,
    ...     "vertical_gap": 2.5}, {"benchmark_id": "b", "lag_months": 8.0, "vertical_gap": 1.0}])
    >>> t[["benchmark_id", "delta_lag_months", "delta_points"]].values.tolist()
    [['b', 3.0, -1.0], ['a', -1.0, 0.5]]
    """
    frame = pd.DataFrame([dict(r) for r in refits])
    for column in INFLUENCE_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame["lag_months"] = pd.to_numeric(frame["lag_months"], errors="coerce")
    frame["vertical_gap"] = pd.to_numeric(frame["vertical_gap"], errors="coerce")
    frame["delta_lag_months"] = frame["lag_months"] - base_lag
    frame["delta_points"] = frame["vertical_gap"] - base_points
    frame["influence"] = influence_of(frame["delta_lag_months"], frame["delta_points"],
                                      base_lag, base_points)  # fmt: skip
    order = np.lexsort((
        -frame["delta_points"].abs().fillna(-1).to_numpy(),
        -frame["delta_lag_months"].abs().fillna(-1).to_numpy(),
        -frame["influence"].fillna(-1).to_numpy(),
    ))  # fmt: skip
    return frame.iloc[order][INFLUENCE_COLUMNS].reset_index(drop=True)


def influence_of(
    delta_lag: pd.Series, delta_points: pd.Series, base_lag: float, base_points: float
) -> pd.Series:
    """Return each row's influence: the larger of its lag and gap effects, made comparable.

    Each effect is divided by the full fit's value (|Δ lag| / |lag|, |Δ points| / |gap|), so
    0.5 means "moves the lag, or the gap, by half of itself". A baseline that is zero or
    unknown gives no scale; that effect is then divided by the largest such effect instead.
    NaN where neither effect is known.

    Examples
    --------
    >>> influence_of(pd.Series([1.0, -0.2]), pd.Series([0.1, 0.5]), 4.0, 1.0).tolist()
    [0.25, 0.5]
    """
    shares = []
    for delta, base in ((delta_lag, base_lag), (delta_points, base_points)):
        size = pd.to_numeric(delta, errors="coerce").abs()
        scale = abs(base) if math.isfinite(base) and base != 0 else float(size.max())
        shares.append(size / scale if math.isfinite(scale) and scale > 0 else size * 0.0)
    return pd.concat(shares, axis=1).max(axis=1, skipna=True)


def widening_table(
    base: pd.DataFrame,
    refit_se: Mapping[str, Mapping[str, float]],
    model_benchmarks: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Return, per model, how much its standard error grows when one of its benchmarks is missing.

    Parameters
    ----------
    base : DataFrame
        The full fit's models: ``model_id``, ``name``, ``weights``, ``n_benchmarks``,
        ``se_laplace``, ``ci_low``, ``ci_high``.
    refit_se : mapping
        Benchmark left out → (model id → Laplace standard error in that refit); a model absent
        from a refit dropped out of it.
    model_benchmarks : mapping
        Model id → the benchmarks it was scored on in the full fit.

    Returns
    -------
    DataFrame
        Columns :data:`WIDENING_COLUMNS`; widening factors are ratios (1.0 = unchanged), sorted
        by ``max_widening`` descending.
    """
    rows = []
    for model in base.itertuples(index=False):
        model_id = str(model.model_id)
        se = float(getattr(model, "se_laplace", math.nan))
        ratios: dict[str, float] = {}
        dropped: list[str] = []
        for bench in model_benchmarks.get(model_id, ()):
            if bench not in refit_se:
                continue
            refit = refit_se[bench]
            if model_id not in refit:
                dropped.append(bench)
            elif se > 0 and math.isfinite(refit[model_id]):
                ratios[bench] = float(refit[model_id]) / se
        widest = max(ratios, key=lambda b: ratios[b]) if ratios else None
        rows.append({
            "model_id": model_id,
            "name": getattr(model, "name", model_id),
            "weights": getattr(model, "weights", None),
            "n_benchmarks": getattr(model, "n_benchmarks", None),
            "ci_width": float(getattr(model, "ci_high", math.nan))
            - float(getattr(model, "ci_low", math.nan)),
            "se": se,
            "mean_widening": float(np.mean(list(ratios.values()))) if ratios else math.nan,
            "max_widening": ratios[widest] if widest else math.nan,
            "widest_without": widest,
            "drops_out_without": ", ".join(dropped),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=WIDENING_COLUMNS)
    return frame.sort_values("max_widening", ascending=False, na_position="last").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class SensitivityReport:
    """What moves the gap: each benchmark left out, named subsets, harness, missing benchmarks.

    Attributes
    ----------
    fit_id : str
        The full fit everything is compared with.
    at : date
        The date at which every gap is measured (the latest release in the full fit).
    baseline : dict
        The full fit's ``lag_months`` and ``vertical_gap`` (:class:`Interval`).
    benchmarks : DataFrame
        One row per benchmark left out (:func:`opengap.analysis.sensitivity.influence_table`).
    subsets : DataFrame
        One row per named subset: ``subset``, ``n_benchmarks``, ``n_models``, ``lag_months``
        (with ``lag_low``/``lag_high``), ``vertical_gap`` (with bounds), deltas to the baseline.
    harness : dict
        ``offsets`` (one row per harness category: offset with interval, observations),
        ``baseline`` and ``restated`` gaps, or ``{"skipped": reason}``.
    widening : DataFrame
        Per model (:func:`opengap.analysis.sensitivity.widening_table`).
    unit : str
        Units of the vertical gaps.
    """

    fit_id: str
    at: date
    baseline: dict[str, Interval]
    benchmarks: pd.DataFrame
    subsets: pd.DataFrame
    harness: dict[str, Any]
    widening: pd.DataFrame
    unit: str = "points"
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """One sentence: the baseline and the most influential benchmark."""
        lag, gap = self.baseline["lag_months"], self.baseline["vertical_gap"]
        digits = 1 if self.unit == "points" else 3
        text = (f"Baseline: open models trail closed by {lag.value:.1f} months, "
                f"{gap.value:.{digits}f} {self.unit} as of {self.at.isoformat()}")
        rows = self.benchmarks.dropna(subset=["delta_lag_months", "delta_points"], how="all")
        if len(rows):
            top = rows.iloc[0]  # the table is in influence order
            name = top.get("name") if isinstance(top.get("name"), str) else None
            text += (f"; leaving out {name or top['benchmark_id']} moves it most "
                     f"({_signed(top['delta_lag_months'], 1)} months, "
                     f"{_signed(top['delta_points'], digits)} {self.unit})")
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap sensitivity --json``."""
        return {
            "fit_id": self.fit_id,
            "at": self.at.isoformat(),
            "unit": self.unit,
            "baseline": {k: v.to_dict() for k, v in self.baseline.items()},
            "benchmarks": _rows(self.benchmarks),
            "subsets": _rows(self.subsets),
            "harness": self.harness,
            "widening": _rows(self.widening),
            "notes": self.notes,
            "headline": self.headline,
        }


def _signed(value: Any, digits: int) -> str:
    number = float(value) if value is not None else math.nan
    return f"{number:+.{digits}f}" if math.isfinite(number) else "unknown"


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): _clean(v) for k, v in row.items()})
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    if isinstance(value, date):
        return value.isoformat()
    return value
