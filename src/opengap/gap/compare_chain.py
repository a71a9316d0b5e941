"""The library verb :func:`compare`: evaluators' methods side by side, and the chain between them.

Methods (each refitted in memory on the store, nothing saved):

- **CAISI**: the ``caisi`` preset (1PL, benchmarks and domains weighted equally, Elo scale,
  CAISI's suite), frontier per country, the trend lag of China behind the United States;
- **Epoch ECI**: the ``eci`` preset, the significance-aware lag of open behind closed models
  (Epoch's window average with ``since``);
- **Epoch 2024 catch-up**: MMLU raw scores as −ln(1 − accuracy), tolerance 0.02 nats, mean
  catch-up lag;
- **AA composite**: :mod:`opengap.analysis.composite`, the plain lag on the composite.

The chain starts from CAISI's method and changes one choice at a time towards Epoch's (the
fields of :data:`CHAIN` in order; any other field where the two presets differ moves with the
benchmark suite), measuring the gap after every step.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import TYPE_CHECKING, Any

from opengap.analysis.caisi_report import caisi_trend_report
from opengap.analysis.compare import ChainStep, CompareReport, MethodGap
from opengap.analysis.composite import AA_INDEX, composite_table
from opengap.analysis.epoch_window import window_report
from opengap.analysis.intervals import Interval
from opengap.analysis.reports import CatchUpReport, Context, Table, lag_report, resolve_at
from opengap.errors import OpengapError
from opengap.gap.progress import Progress, tick
from opengap.gap.tables import open_closed, table_from_fit
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting
    from opengap.fit.config import FitConfig

CHAIN: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("benchmark suite", "CAISI's suite → the catalogue's, with ECI's data filters",
     ("selection", "benchmarks", "exclude_benchmarks", "benchmark_domains", "normalize",
      "group_versions", "release_dated_groups", "clip_eps", "min_benchmarks", "min_models",
      "start_date")),
    ("grouping", "United States vs China → closed vs open", ()),
    ("weighting", "benchmarks and domains equal → every score equal", ("weighting",)),
    ("slope model", "1PL (common slope) → 2PL", ("common_slope", "identification", "ridge",
                                                  "pin_benchmark")),
    ("scale", "Elo (CAISI) → ECI (130/150 anchors)", ("scale", "anchors",
                                                      "task_logits_per_logit")),
    ("lag definition", "trend line (CAISI) → significance-aware lag (Epoch)", ()),
    ("harness correction", "none → one offset per harness category", ("offsets",)),
)  # fmt: skip
"""(choice, change, FitConfig fields) of each step after the start."""

_SAME = ("preset", "explicit", "gap_method", "gap_by", "bootstrap", "seed", "cv_folds",
         "poor_fit_rmse")  # fmt: skip
"""Fields the chain does not move (the gap fields are the chain's own steps)."""


def compare(
    store: Store,
    *,
    at: str | date | None = None,
    since: str | date | None = None,
    bootstrap: int = 100,
    harness: bool = True,
    progress: Progress | None = None,
) -> CompareReport:
    """Return the gap under each evaluator's method and the chain from CAISI's to Epoch's.

    Parameters
    ----------
    store : Store
    at : str or date, optional
        Date to measure at (default: each fit's latest release).
    since : str or date, optional
        Epoch's lag as the window average from ``since`` to ``at``.
    bootstrap : int
        Bootstrap refits of every fit (the same for all, so intervals are comparable).
    harness : bool
        End the chain with a harness-corrected refit (one offset per harness category).
    progress : callable, optional
        ``progress(task, done, total)`` during the refits.

    Returns
    -------
    CompareReport

    Examples
    --------
    >>> report = compare(store, bootstrap=50)  # doctest: +SKIP
    >>> report.chain_table()[["choice", "lag_months", "delta_months"]]  # doctest: +SKIP
    """
    from opengap.fit.config import resolve_config

    start = _plain(resolve_config("caisi"), bootstrap)
    target = _plain(resolve_config("eci"), bootstrap)
    moved = {f for _, _, fields in CHAIN for f in fields}
    others = tuple(f.name for f in dataclasses.fields(start)
                   if f.name not in moved and f.name not in _SAME
                   and getattr(start, f.name) != getattr(target, f.name))
    steps = [s for s in CHAIN if harness or s[0] != "harness correction"]
    total = 1 + sum(1 for s in steps if s[2])
    done = 0
    notes: list[str] = []
    config, method, by = start, "caisi-trend", "country"
    tick(progress, "compare refits", done, total)
    fit, error = _fit(store, config)
    done += 1
    tick(progress, "compare refits", done, total)
    first = _measure(store, fit, error, "CAISI's method", method, by, at, since)
    chain = [ChainStep(0, "start", "CAISI: caisi preset, trend lag by country", (), first)]
    for i, (choice, change, fields) in enumerate(steps, start=1):
        changed = fields + (others if choice == "benchmark suite" else ())
        if fields:
            values: dict[str, Any] = {
                f: "harness" if f == "offsets" else getattr(target, f) for f in changed}
            config = dataclasses.replace(config, **values)
            fit, error = _fit(store, config)
            done += 1
            tick(progress, "compare refits", done, total)
        if choice == "grouping":
            by = "weights"
        if choice == "lag definition":
            method = "significance"
        result = _measure(store, fit, error, change, method, by, at, since)
        if choice == "harness correction" and fit is not None and len(fit.offsets) < 2:
            result = dataclasses.replace(result, note=(
                "one harness category among the fitted scores: nothing to correct"))
        previous = chain[-1].result.lag_months.value
        chain.append(ChainStep(i, choice, change, changed, result,
                               result.lag_months.value - previous))
    if others:
        notes.append("also moved with the benchmark suite: " + ", ".join(others))
    epoch = next(s.result for s in chain if s.choice == "lag definition")
    methods = [
        dataclasses.replace(first, method="CAISI", description=(
            "caisi preset (1PL, benchmarks and domains equal, Elo); frontier per country; "
            "least-squares trend lines; lag to the leader's line")),
        dataclasses.replace(epoch, method="Epoch ECI", description=(
            "eci preset; best open model vs the last day the closed SOTA was not "
            "significantly better" + (" (window average)" if since else ""))),
        _catch_up(store),
        _composite(store, at),
    ]
    return CompareReport(methods, chain, bootstrap, tuple(notes))


def _plain(config: FitConfig, bootstrap: int) -> FitConfig:
    return dataclasses.replace(config, bootstrap=bootstrap, cv_folds=0)


def _fit(store: Store, config: FitConfig) -> tuple[fitting.FitResult | None, str | None]:
    from opengap import fitting

    try:
        return fitting.refit(store, config), None
    except OpengapError as exc:
        return None, str(exc)


def _measure(
    store: Store, fit: fitting.FitResult | None, error: str | None, description: str,
    method: str, by: str, at: Any, since: Any,
) -> MethodGap:
    """Return the gap of ``fit`` by ``method`` (caisi-trend or significance) and ``by``."""
    base = MethodGap(method="", description=description,
                     fit_id=None if fit is None else fit.fit_id)
    if fit is None:
        return dataclasses.replace(base, note=f"fit failed: {error}")
    try:
        table, context = table_from_fit(store, fit)
        if method == "caisi-trend":
            report = caisi_trend_report(table, by, context, at=at)
            t = report.trend
            return dataclasses.replace(
                base, groups=f"{report.trail} behind {report.lead}", lag_months=t.lag_months,
                vertical_gap=t.vertical_gap, unit=context.unit, at=report.at.isoformat(),
                interval="90% over the fit's bootstrap draws (95% Working-Hotelling band: "
                         f"{_band(t.band_months)})")  # fmt: skip
        return _significance(base, table, context, by, at, since)
    except OpengapError as exc:
        return dataclasses.replace(base, note=str(exc))


def _significance(
    base: MethodGap, table: Table, context: Context, by: str, at: Any, since: Any
) -> MethodGap:
    if by != "weights":
        return dataclasses.replace(base, note="the significance-aware lag is open vs closed")
    closed, opened = open_closed(table, context)
    day = resolve_at(at, closed, opened)
    interval = "90%, translated double bootstrap over the fit's draws"
    if since is not None:
        window = window_report(closed, opened, since, day, context)
        return dataclasses.replace(
            base, groups="open behind closed", lag_months=window.result.lag_months,
            vertical_gap=window.result.vertical_gap, unit=context.unit,
            at=f"{window.since.isoformat()} to {window.at.isoformat()}", interval=interval)
    lag = lag_report(closed, opened, day, context, significance=True, series=False)
    return dataclasses.replace(base, groups="open behind closed", lag_months=lag.lag_months,
                               vertical_gap=lag.vertical_gap, unit=context.unit,
                               at=lag.at.isoformat(), interval=interval)


def _catch_up(store: Store) -> MethodGap:
    from opengap.gap.measure import gap

    base = MethodGap("Epoch 2024 catch-up", "MMLU raw scores as -ln(1 - accuracy), tolerance "
                     "0.02 nats; mean months until an open record matched each closed one",
                     groups="open behind closed", unit="months", interval=(
                         "90%: score draws, matched pairs resampled"))
    try:
        report = gap(store, method="catch-up", benchmark="MMLU", transform="neglog1m",
                     tolerance=0.02)
    except OpengapError as exc:
        return dataclasses.replace(base, note=str(exc))
    assert isinstance(report, CatchUpReport)
    return dataclasses.replace(base, lag_months=report.intervals["mean_lag_months"],
                               note=f"{len(report.result.pairs)} pairs, "
                                    f"{len(report.result.censored)} censored")


def _composite(store: Store, at: Any) -> MethodGap:
    ids = [b for _, aliases in AA_INDEX for b in aliases]
    marks = ", ".join("?" * len(ids))
    scores = store.query(
        "SELECT s.model_id, s.benchmark_id, s.value, m.name, m.release_date, m.weights, "
        "m.country, m.organization, m.params_total_b, m.license_class FROM scores s "
        f"JOIN models m USING (model_id) WHERE s.benchmark_id IN ({marks})", ids)
    base = MethodGap("AA composite", "weighted average of AA Intelligence Index v4.0 "
                     "evaluations present in the store; plain lag", groups="open behind closed",
                     unit="score", interval="90%: the present evaluations resampled")
    models, draws, weights = composite_table(scores)
    if len(weights) < 2:
        return dataclasses.replace(base, note="fewer than two of AA's evaluations in the store "
                                              f"({', '.join(weights) or 'none'})")
    base = dataclasses.replace(base, description=base.description + " (" + ", ".join(
        f"{b} {w:.2f}" for b, w in weights.items()) + ")")
    try:
        table = Table.build(models, draws)
        context = Context(benchmark="the AA composite", unit="score", n_models=len(table.frame))
        closed, opened = open_closed(table, context)
        day = resolve_at(at, closed, opened)
        lag = lag_report(closed, opened, day, context, series=False)
    except OpengapError as exc:
        return dataclasses.replace(base, note=str(exc))
    return dataclasses.replace(base, lag_months=lag.lag_months, vertical_gap=lag.vertical_gap,
                               at=lag.at.isoformat())


def _band(band: Interval) -> str:
    if math.isfinite(band.ci_low) and math.isfinite(band.ci_high):
        return f"{band.ci_low:.1f} to {band.ci_high:.1f} months"
    return "does not close"


__all__ = ["CHAIN", "compare"]
