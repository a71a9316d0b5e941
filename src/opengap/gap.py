"""Library verbs for the open-vs-closed gap: :func:`gap`, :func:`breakdowns`, :func:`sensitivity`.

Each reads what it needs from the store (a stored fit, or one benchmark's scores), turns it into
a table of models with values and bootstrap draws, and hands it to the pure functions of
:mod:`opengap.analysis`. The CLI commands ``opengap gap`` and ``opengap sensitivity`` print what
these return. When the store holds no fit, :func:`gap` fits the default preset first.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from opengap.analysis.frontier import from_days
from opengap.analysis.groups import GROUPINGS
from opengap.analysis.harness import harness_categories
from opengap.analysis.intervals import Interval
from opengap.analysis.reports import (
    METHODS,
    CatchUpReport,
    Context,
    GroupReport,
    LagReport,
    Report,
    Table,
    TrendReport,
    catch_up_report,
    group_report,
    lag_report,
    resolve_at,
    trend_report,
    weights_masks,
)
from opengap.analysis.sensitivity import (
    SensitivityReport,
    align_scale,
    influence_table,
    widening_table,
)
from opengap.analysis.transforms import TRANSFORMS, transform
from opengap.errors import BadArgument, NoFit, OpengapError
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting

Progress = Callable[[str, int, int], None]
"""Progress callback: ``(task description, done, total)``."""

TRUST = ("all", "no-suspect", "trusted")
N_SCORE_DRAWS = 1000
_TABLE_COLUMNS = [
    "model_id", "name", "release_date", "weights", "country", "organization",
    "params_total_b", "license_class",
]  # fmt: skip


# --------------------------------------------------------------------------- gap
def gap(
    store: Store,
    *,
    fit_id: str | None = None,
    by: str = "weights",
    method: str = "lag",
    at: str | date | None = None,
    significance: bool = False,
    benchmark: str | None = None,
    transform: str = "none",
    tolerance: float = 0.0,
    separate_slopes: bool = False,
    size_classes: Sequence[float] | None = None,
    groups: Sequence[str] | None = None,
    versus: str = "closed",
    trust: str = "all",
    exclude_finetunes: bool = False,
    exclude: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Return the gap between open and closed models (or between groups) by one method.

    Parameters
    ----------
    store : Store
        The catalogue.
    fit_id : str, optional
        The fit to use (default: the latest; when there is none, the default preset is fitted
        and saved first). Ignored with ``benchmark``.
    by : {"weights", "country", "organization", "size", "license", "domain"}
        ``weights`` compares open with closed models. ``country``, ``organization``, ``size``
        and ``license`` compare each group of open models with the closed frontier (or, with
        ``versus="all"``, each group of all models with the overall frontier). ``domain``
        refits on each domain's benchmarks (same configuration and anchoring) and reports the
        open-vs-closed gap in each.
    method : {"lag", "catch-up", "trend"}
        See :mod:`opengap.analysis`.
    at : str or date, optional
        Date to measure at (default: the latest release in the data).
    significance : bool
        With ``lag``: the significance-aware lag (Epoch 2026).
    benchmark : str, optional
        Work on this benchmark's raw scores (best score per model) instead of a fit.
    transform : {"none", "neglog1m"}
        Transform of raw scores (``neglog1m`` = −ln(1 − accuracy)); only with ``benchmark``.
    tolerance : float
        Catch-up tolerance, in the values' units.
    separate_slopes : bool
        With ``trend``: a slope per group instead of a shared one.
    size_classes : sequence of float, optional
        Edges of the size classes in billions of total parameters (default 10, 50, 200).
    groups : sequence of str, optional
        Only these groups (with ``by`` other than ``weights``).
    versus : {"closed", "all"}
        Reference frontier for groupings other than ``weights``.
    trust : {"all", "no-suspect", "trusted"}
        With ``benchmark``: keep every score, drop scores flagged untrusted (``trusted`` false,
        Epoch's default "non-suspect" curation), or keep only scores flagged trusted.
    exclude_finetunes : bool
        Leave out models that are fine-tunes of another model (``base_model_id`` set).
    exclude : sequence of str, optional
        Leave out models whose id or name matches one of these shell-style patterns
        (case-insensitive), e.g. ``["flan*", "u-palm"]``.
    progress : callable, optional
        Called as ``progress(task, done, total)`` during fits.

    Returns
    -------
    LagReport, CatchUpReport, TrendReport or GroupReport
        Each has ``to_dict()`` (the ``--json`` shape) and ``headline``.

    Raises
    ------
    BadArgument
        Unknown method, grouping or group; a date outside the data; a benchmark with no open
        or no closed scores; options that do not go together.

    Examples
    --------
    >>> report = gap(store, method="catch-up", benchmark="MMLU", transform="neglog1m",
    ...              tolerance=0.02)  # doctest: +SKIP
    >>> report.to_dict()["median_lag_months"]  # doctest: +SKIP
    """
    _check_options(by=by, method=method, benchmark=benchmark, transform=transform,
                   significance=significance, separate_slopes=separate_slopes, groups=groups,
                   trust=trust, versus=versus)  # fmt: skip
    curation = Curation(exclude_finetunes, tuple(exclude or ()))
    if by == "domain":
        return _domain_report(store, fit_id=fit_id, at=at, significance=significance,
                              curation=curation, progress=progress)
    if benchmark is not None:
        table, context = benchmark_table(store, benchmark, transform=transform, trust=trust,
                                         curation=curation)
    else:
        table, context = fit_table(store, fit_id=fit_id, curation=curation, progress=progress)
    if by != "weights":
        return group_report(
            table, by, method, context, at=at, versus=versus, groups=groups,
            size_edges=size_classes, significance=significance, tolerance=tolerance,
            separate_slopes=separate_slopes,
        )  # fmt: skip
    closed, opened = _open_closed(table, context)
    day = resolve_at(at, closed, opened)
    if method == "lag":
        return lag_report(closed, opened, day, context, significance=significance)
    if method == "catch-up":
        return catch_up_report(closed, opened, context, tolerance=tolerance, at=day)
    return trend_report(closed, opened, day, context, separate_slopes=separate_slopes)


def _check_options(
    *, by: str, method: str, benchmark: str | None, transform: str, significance: bool,
    separate_slopes: bool, groups: Sequence[str] | None, trust: str, versus: str,
) -> None:
    checks: list[tuple[bool, str]] = [
        (method in METHODS, f"unknown method {method!r} (choose from {', '.join(METHODS)})"),
        (by in (*GROUPINGS, "domain"),
         f"unknown grouping {by!r} (choose from {', '.join([*GROUPINGS, 'domain'])})"),
        (transform in TRANSFORMS,
         f"unknown transform {transform!r} (choose from {', '.join(TRANSFORMS)})"),
        (trust in TRUST, f"unknown trust policy {trust!r} (choose from {', '.join(TRUST)})"),
        (versus in ("closed", "all"), f"unknown --versus {versus!r} (choose from closed, all)"),
        (benchmark is not None or transform == "none", "--transform needs --benchmark"),
        (benchmark is not None or trust == "all", "--trust needs --benchmark"),
        (not significance or method == "lag", "--significance goes with --method lag"),
        (not separate_slopes or method == "trend", "--separate-slopes goes with --method trend"),
        (not groups or by not in ("weights", "domain"),
         "--group goes with --by country, organization, size or license"),
        (by != "domain" or (benchmark is None and method == "lag"),
         "--by domain refits per domain: it takes --method lag and no --benchmark"),
    ]
    for ok, message in checks:
        if not ok:
            raise BadArgument(message)


def _open_closed(table: Table, context: Context) -> tuple[Table, Table]:
    closed, opened = weights_masks(table)
    where = f"on {context.benchmark}" if context.benchmark else "in the fit"
    if not opened.any():
        raise BadArgument(f"no open-weights models with a release date {where}")
    if not closed.any():
        raise BadArgument(f"no closed models with a release date {where}")
    return table.subset(closed), table.subset(opened)


# --------------------------------------------------------------------------- tables
@dataclasses.dataclass(frozen=True)
class Curation:
    """Which models to leave out of the frontiers: fine-tunes, and models matching patterns."""

    exclude_finetunes: bool = False
    exclude: tuple[str, ...] = ()

    def keep(self, store: Store, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Return a mask of the rows of ``frame`` to keep and notes on what was left out."""
        keep = np.ones(len(frame), dtype=bool)
        notes: list[str] = []
        if self.exclude_finetunes:
            finetune = _is_finetune(store, frame["model_id"]).to_numpy(bool)
            notes.append(f"fine-tunes left out: {int((finetune & keep).sum())}")
            keep &= ~finetune
        if self.exclude:
            ids = frame["model_id"].astype(str).str.lower()
            names = frame.get("name", frame["model_id"]).astype(object).map(
                lambda v: str(v).lower() if v is not None else "")
            hit = np.zeros(len(frame), dtype=bool)
            for pattern in self.exclude:
                p = pattern.lower()
                hit |= np.asarray([fnmatch.fnmatchcase(a, p) or fnmatch.fnmatchcase(b, p)
                                   for a, b in zip(ids, names, strict=True)], dtype=bool)
            notes.append(f"models matching {', '.join(self.exclude)} left out: "
                         f"{int((hit & keep).sum())}")
            keep &= ~hit
        return keep, notes


def fit_table(
    store: Store,
    *,
    fit_id: str | None = None,
    curation: Curation | None = None,
    progress: Progress | None = None,
) -> tuple[Table, Context]:
    """Return the table of a stored fit's models (value = capability, draws = bootstrap draws).

    With no fit in the store and no ``fit_id``, fits the default preset and saves it.
    """
    fit = load_or_fit(store, fit_id=fit_id, progress=progress)
    return _table_from_fit(store, fit, curation=curation)


def load_or_fit(
    store: Store, *, fit_id: str | None = None, progress: Progress | None = None
) -> fitting.FitResult:
    """Return the fit ``fit_id`` (default the latest); with none stored, fit the default preset."""
    from opengap import fitting

    try:
        return fitting.load_fit(store, fit_id)
    except NoFit:
        if fit_id is not None:
            raise
    return fitting.run_fit(store, preset="default", progress=_fit_progress(progress, "fit"))


def _table_from_fit(
    store: Store | None,
    fit: fitting.FitResult,
    *,
    curation: Curation | None = None,
    align_to: fitting.FitResult | None = None,
) -> tuple[Table, Context]:
    models = fit.models.copy()
    for column in _TABLE_COLUMNS:
        if column not in models.columns:
            models[column] = None
    fact_notes: list[str] = []
    if store is not None:
        models, fact_notes = _current_facts(store, models, fit.fit_id)
    intercept, slope = _alignment(fit, align_to)
    models["value"] = intercept + slope * models["capability"].astype(float)
    draws = None if fit.draws is None else intercept + slope * np.asarray(fit.draws)
    notes: list[str] = []
    if curation is not None:
        if store is None:
            raise TypeError("curation needs the store")
        keep, notes = curation.keep(store, models)
        models = models.loc[keep].reset_index(drop=True)
        draws = None if draws is None else np.asarray(draws)[:, keep]
    table = Table.build(models, draws)
    context = Context(
        fit_id=fit.fit_id, unit=_unit(fit.scale), n_models=len(table.frame),
        n_draws=0 if table.draws is None else int(table.draws.shape[0]),
        notes=tuple(fact_notes + notes), **_freshness(store),
    )  # fmt: skip
    return table, context


def _current_facts(
    store: Store, models: pd.DataFrame, fit_id: str
) -> tuple[pd.DataFrame, list[str]]:
    """Return the fit's models with the store's current facts, and a note on what changed.

    A fit stores the facts of its models as they were when it ran; facts that arrived later
    (a registry import, the curated catalogue) do not change capabilities, only how models are
    grouped and dated, so the gap uses the current ones and says which changed.
    """
    current = store.query(f"SELECT {', '.join(_TABLE_COLUMNS)} FROM models").set_index("model_id")
    known = models["model_id"].astype(str).isin(current.index)
    if not known.any():
        return models, []
    out = models.copy()
    ids = out.loc[known, "model_id"].astype(str).tolist()
    changed: dict[str, list[str]] = {}
    for column in _TABLE_COLUMNS[1:]:
        new = current[column].reindex(ids).to_numpy()
        old = out.loc[known, column].to_numpy()
        if column in ("weights", "release_date"):
            differs = [
                str(m) for m, a, b in zip(ids, old, new, strict=True) if _fact(a) != _fact(b)
            ]
            if differs:
                changed[column] = differs
        out[column] = out[column].astype(object)
        out.loc[known, column] = new
    notes = []
    for column, names in changed.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        notes.append(
            f"the store's {column.replace('_', ' ')} of {len(names)} model(s) changed since fit "
            f"{fit_id} ({shown}); the gap uses the current ones"
        )
    return out, notes


def _fact(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, date | pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def _freshness(store: Store | None) -> dict[str, Any]:
    """Return the Context fields saying how recent the store's data are."""
    if store is None:
        return {}
    from opengap import catalog

    fresh = catalog.data_freshness(store)
    return {
        "data_as_of": None if fresh.as_of is None else fresh.as_of.isoformat(),
        "data_age_days": fresh.age_days, "freshness": fresh.headline(),
    }  # fmt: skip


def _alignment(
    fit: fitting.FitResult, reference: fitting.FitResult | None
) -> tuple[float, float]:
    """Return (a, b) mapping ``fit``'s values onto ``reference``'s units (identity for eci)."""
    if reference is None or (fit.scale == "eci" and reference.scale == "eci"):
        return 0.0, 1.0
    shared = fit.models[["model_id", "capability"]].merge(
        reference.models[["model_id", "capability"]], on="model_id", suffixes=("", "_ref"))
    return align_scale(shared["capability"], shared["capability_ref"])


def _unit(scale: str | None) -> str:
    return "logits" if scale == "raw" else "points"


def _is_finetune(store: Store, model_ids: pd.Series) -> pd.Series:
    frame = store.query("SELECT model_id FROM models WHERE base_model_id IS NOT NULL")
    finetunes = set(frame["model_id"].astype(str))
    return model_ids.astype(str).isin(finetunes)


def benchmark_table(
    store: Store,
    benchmark: str,
    *,
    transform: str = "none",
    trust: str = "all",
    curation: Curation | None = None,
    seed: int = 0,
) -> tuple[Table, Context]:
    """Return the table of one benchmark's raw scores: each model's best score, transformed.

    Draws come from each score's sampling error: its ``stderr`` when published, otherwise the
    binomial √(p(1−p)/n) with the score's (or the benchmark's) item count; a score with neither
    has no spread. ``N_SCORE_DRAWS`` normal draws, clipped to [0, 1] for fraction benchmarks,
    then transformed.
    """
    benchmark_id = store.resolve_benchmark(benchmark)
    frame = store.query(
        "SELECT s.model_id, s.value, s.stderr, coalesce(s.n_items, b.n_items) AS n_items, "
        "s.trusted, b.is_fraction, m.name, m.release_date, m.weights, m.country, "
        "m.organization, m.params_total_b, m.license_class, m.base_model_id "
        "FROM scores s JOIN models m USING (model_id) JOIN benchmarks b USING (benchmark_id) "
        "WHERE s.benchmark_id = ?",
        [benchmark_id],
    )
    notes: list[str] = []
    flag = frame["trusted"].astype("boolean")
    if trust == "no-suspect":
        suspect = flag.eq(False).fillna(False).to_numpy(bool)
        notes.append(f"untrusted scores dropped: {int(suspect.sum())}")
        frame = frame.loc[~suspect]
    elif trust == "trusted":
        trusted = flag.eq(True).fillna(False).to_numpy(bool)
        notes.append(f"scores not flagged trusted dropped: {int((~trusted).sum())}")
        frame = frame.loc[trusted]
    if curation is not None:
        models = frame.drop_duplicates("model_id")
        keep, more = curation.keep(store, models)
        notes += more
        frame = frame.loc[frame["model_id"].isin(models.loc[keep, "model_id"])]
    best = (frame.sort_values(["model_id", "value"], ascending=[True, False])
            .drop_duplicates("model_id").reset_index(drop=True))
    raw = best["value"].to_numpy(dtype=float)
    best["value"] = _transform(raw, transform, benchmark)
    draws = _score_draws(best.assign(value=raw), transform, seed)
    table = Table.build(best, draws)
    dropped = len(best) - len(table.frame)
    if dropped:
        notes.append(f"models without a release date left out: {dropped}")
    unit = {"none": "score", "neglog1m": "nats"}[transform]
    context = Context(
        benchmark=benchmark_id, transform=transform, unit=unit, n_models=len(table.frame),
        n_draws=0 if table.draws is None else int(table.draws.shape[0]), notes=tuple(notes),
        **_freshness(store),
    )  # fmt: skip
    if len(table.frame) == 0:
        raise BadArgument(f"benchmark {benchmark_id!r} has no scores of dated models")
    return table, context


def _transform(values: np.ndarray, kind: str, benchmark: str) -> np.ndarray:
    try:
        return transform(values, kind)
    except BadArgument as exc:
        raise BadArgument(f"{benchmark}: {exc}") from None


def _score_draws(frame: pd.DataFrame, kind: str, seed: int) -> np.ndarray | None:
    p = frame["value"].to_numpy(dtype=float)
    fraction = frame["is_fraction"].astype(object).map(lambda v: v is not False).to_numpy(bool)
    stderr = pd.to_numeric(frame["stderr"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(frame["n_items"], errors="coerce").to_numpy(dtype=float)
    binomial = np.where(fraction & (n > 0) & (p >= 0) & (p <= 1),
                        np.sqrt(np.clip(p * (1 - p), 0, None) / np.where(n > 0, n, 1)), np.nan)
    se = np.where(np.isfinite(stderr), stderr, binomial)
    se = np.where(np.isfinite(se), se, 0.0)
    if not (se > 0).any():
        return None
    rng = np.random.default_rng(seed)
    draws = p + rng.standard_normal((N_SCORE_DRAWS, p.size)) * se
    draws = np.where(fraction, np.clip(draws, 0.0, 1.0), draws)
    return transform(draws, kind)


# --------------------------------------------------------------------------- domains
def _domain_report(
    store: Store,
    *,
    fit_id: str | None,
    at: str | date | None,
    significance: bool,
    curation: Curation | None,
    progress: Progress | None,
) -> GroupReport:
    base = load_or_fit(store, fit_id=fit_id, progress=progress)
    domains = _benchmark_domains(base)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    base_table, context = _table_from_fit(store, base, curation=curation)
    closed, opened = _open_closed(base_table, context)
    day = resolve_at(at, closed, opened)
    refit_many(store, base, [
        {"benchmarks": benches, "min_benchmarks": _subset_min(base, len(benches))}
        for benches in domains.values()
    ], progress, task="domain refits")  # fmt: skip
    for i, (domain, benches) in enumerate(sorted(domains.items())):
        _tick(progress, "domain refits", i, len(domains))
        row: dict[str, Any] = {"group": domain, "n_benchmarks": len(benches),
                               "min_benchmarks": _subset_min(base, len(benches))}
        try:
            refit = refit_fit(store, base, benchmarks=benches, bootstrap=None,
                              min_benchmarks=_subset_min(base, len(benches)))
            table, ctx = _table_from_fit(store, refit, curation=curation, align_to=base)
            c, o = _open_closed(table, ctx)
            report = lag_report(c, o, _clip_day(day, c, o), ctx, significance=significance,
                                series=False)
        except OpengapError as exc:
            notes.append(f"{domain}: {exc}")
            row["note"] = str(exc)
            rows.append(row)
            continue
        best = report.best_open
        row.update({
            "n_models": len(table.frame),
            "best_model": best.model_id if best else None,
            "best_name": best.name if best else None,
            "capability": best.capability if best else None,
            "release_date": best.release_date.isoformat() if best else None,
            "best_closed": report.best_closed.model_id if report.best_closed else None,
            "vertical_gap": report.vertical_gap.to_dict(),
            "lag_months": report.lag_months.to_dict(),
            "fit_id": refit.fit_id,
        })  # fmt: skip
        rows.append(row)
    _tick(progress, "domain refits", len(domains), len(domains))
    return GroupReport("lag", "domain", "closed", from_days(day), rows, context,
                       {"notes_by_domain": notes})


def _subset_min(fit: fitting.FitResult, n_benchmarks: int) -> int:
    """Return the benchmarks a model needs in a refit on ``n_benchmarks`` benchmarks.

    The full fit's minimum, lowered for small subsets to a third of the subset (at least 2):
    requiring four of a domain's five benchmarks would leave almost no model in it.
    """
    return min(int(fit.config.min_benchmarks), max(2, n_benchmarks // 3))


def _clip_day(day: float, closed: Table, opened: Table) -> float:
    """Return ``day`` limited to the span where both groups of a refit have models."""
    start = max(closed.days.min(), opened.days.min())
    return float(max(day, start))


def _benchmark_domains(fit: fitting.FitResult) -> dict[str, list[str]]:
    frame = fit.benchmarks
    out: dict[str, list[str]] = {}
    for bench, domain in zip(frame["benchmark_id"], frame.get("domain", pd.Series(
            [None] * len(frame))), strict=True):
        label = str(domain) if isinstance(domain, str) and domain else "other"
        out.setdefault(label, []).append(str(bench))
    return out


# --------------------------------------------------------------------------- breakdowns
def breakdowns(
    store: Store,
    *,
    fit_id: str | None = None,
    size_classes: Sequence[float] | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the gap broken down by domain, country and size class, one table each.

    ``domain``: the fit refitted on each domain's benchmarks (same configuration, so the same
    anchoring when the anchor models are scored in the domain), open vs closed in each.
    ``country`` and ``size``: each group of open models against the closed frontier.
    """
    fit_table(store, fit_id=fit_id, progress=progress)  # fit once if the store has none
    out: dict[str, pd.DataFrame] = {}
    out["domain"] = _domain_report(store, fit_id=fit_id, at=None, significance=False,
                                   curation=None, progress=progress).table()
    for by in ("country", "size"):
        report = gap(store, fit_id=fit_id, by=by, size_classes=size_classes)
        assert isinstance(report, GroupReport)
        out[by] = report.table()
    return out


# --------------------------------------------------------------------------- sensitivity
def sensitivity(
    store: Store,
    *,
    fit_id: str | None = None,
    subset: str | None = None,
    harness: bool = True,
    progress: Progress | None = None,
) -> SensitivityReport:
    """Return what moves the gap: each benchmark, named subsets, the harness, missing data.

    Parameters
    ----------
    store : Store
    fit_id : str, optional
        The full fit to compare with (default the latest; fitted when none).
    subset : str, optional
        ``public``, ``private``, a domain, or a file of benchmark ids (one per line, ``#``
        comments): refit on that subset only. Default: public, private and every domain.
    harness : bool
        Also fit one offset per harness category and restate the gap.
    progress : callable, optional
        ``progress(task, done, total)`` during the refits.

    Returns
    -------
    SensitivityReport

    Notes
    -----
    Every gap is measured at the full fit's latest release date. Leave-one-benchmark-out refits
    run without bootstrap (their Δ are point estimates); subset and harness refits use the
    full fit's bootstrap setting, so they carry intervals.
    """
    base = load_or_fit(store, fit_id=fit_id, progress=progress)
    table, context = _table_from_fit(store, base)
    closed, opened = _open_closed(table, context)
    day = resolve_at(None, closed, opened)
    baseline = lag_report(closed, opened, day, context, series=False)
    benches = base.benchmarks
    names = dict(zip(benches["benchmark_id"], benches.get("name", benches["benchmark_id"]),
                     strict=True))
    domains = dict(zip(benches["benchmark_id"], benches.get("domain", pd.Series(
        [None] * len(benches))), strict=True))
    all_ids = [str(b) for b in benches["benchmark_id"]]
    notes: list[str] = []

    refits: list[dict[str, Any]] = []
    refit_se: dict[str, dict[str, float]] = {}
    for bench, lag, error, se in leave_one_out(store, base, all_ids, day, progress):
        row: dict[str, Any] = {"benchmark_id": bench, "name": names.get(bench),
                               "domain": domains.get(bench)}
        if error is not None:
            notes.append(f"without {bench}: {error}")
        else:
            row.update(lag)
            refit_se[bench] = se
        refits.append(row)
    influence = influence_table(baseline.lag_months.value, baseline.vertical_gap.value, refits)

    subsets = _subsets(store, base, all_ids, subset)
    refit_many(store, base, [
        {"benchmarks": ids, "min_benchmarks": _subset_min(base, len(ids))}
        for ids in subsets.values()
    ], progress, task="subset refits")  # fmt: skip
    subset_rows = []
    for i, (label, ids) in enumerate(subsets.items()):
        _tick(progress, "subset refits", i, len(subsets))
        row = {"subset": label, "n_benchmarks": len(ids),
               "min_benchmarks": _subset_min(base, len(ids))}
        try:
            refit = refit_fit(store, base, benchmarks=ids, bootstrap=None,
                              min_benchmarks=_subset_min(base, len(ids)))
            row.update(_gap_of(store, refit, day, base, intervals=True))
            row["delta_lag_months"] = row["lag_months"] - baseline.lag_months.value
            row["delta_points"] = row["vertical_gap"] - baseline.vertical_gap.value
        except OpengapError as exc:
            row["note"] = str(exc)
        subset_rows.append(row)
    _tick(progress, "subset refits", len(subsets), len(subsets))

    harness_part = (_harness(store, base, day, baseline, progress) if harness
                    else {"skipped": "not asked"})
    widening = widening_table(_base_models(base), refit_se, _model_benchmarks(store, base))
    return SensitivityReport(
        fit_id=base.fit_id, at=from_days(day),
        baseline={"lag_months": baseline.lag_months, "vertical_gap": baseline.vertical_gap},
        benchmarks=influence, subsets=pd.DataFrame(subset_rows), harness=harness_part,
        widening=widening, unit=context.unit, notes=notes,
    )  # fmt: skip


def _gap_of(
    store: Store | None,
    fit: fitting.FitResult,
    day: float,
    base: fitting.FitResult,
    *,
    intervals: bool = False,
) -> dict[str, Any]:
    table, context = _table_from_fit(store, fit, align_to=base)
    closed, opened = _open_closed(table, context)
    report = lag_report(closed, opened, _clip_day(day, closed, opened), context, series=False)
    out: dict[str, Any] = {
        "n_models": len(table.frame),
        "lag_months": report.lag_months.value,
        "vertical_gap": report.vertical_gap.value,
        "best_open": report.best_open.model_id if report.best_open else None,
        "best_closed": report.best_closed.model_id if report.best_closed else None,
    }
    if intervals:
        out.update(lag_low=report.lag_months.ci_low, lag_high=report.lag_months.ci_high,
                   vertical_gap_low=report.vertical_gap.ci_low,
                   vertical_gap_high=report.vertical_gap.ci_high)
    return out


def _subsets(
    store: Store, fit: fitting.FitResult, all_ids: list[str], subset: str | None
) -> dict[str, list[str]]:
    meta = store.query("SELECT benchmark_id, public, domain FROM benchmarks")
    meta = meta.loc[meta["benchmark_id"].isin(all_ids)]
    public = meta.loc[meta["public"].astype(object).map(lambda v: v is True), "benchmark_id"]
    private = meta.loc[meta["public"].astype(object).map(lambda v: v is False), "benchmark_id"]
    named: dict[str, list[str]] = {"public": list(public), "private": list(private)}
    for domain, ids in sorted(_benchmark_domains(fit).items()):
        named.setdefault(domain, ids)
    if subset is None:
        return {k: v for k, v in named.items() if v}
    if subset in named:
        if not named[subset]:
            raise BadArgument(f"subset {subset!r} has no benchmarks in fit {fit.fit_id}")
        return {subset: named[subset]}
    path = Path(subset)
    if not path.is_file():
        raise BadArgument(
            f"unknown subset {subset!r}: not public, private, a domain of the fit "
            f"({', '.join(sorted(_benchmark_domains(fit)))}) or a file"
        )
    wanted = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    ids = [store.resolve_benchmark(w) for w in wanted if w]
    missing = [b for b in ids if b not in all_ids]
    if missing:
        raise BadArgument(f"{subset}: benchmark {missing[0]!r} is not in fit {fit.fit_id}")
    if not ids:
        raise BadArgument(f"{subset}: no benchmark ids in the file")
    return {path.name: ids}


def _harness(
    store: Store,
    fit: fitting.FitResult,
    day: float,
    baseline: LagReport,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Refit the full fit's observations with one offset per harness category."""
    from opengap import fitting

    obs = fit.observations[["model_id", "benchmark_id", "score", "n_items", "harness"]].copy()
    obs["harness"] = harness_categories(obs["harness"])
    counts = obs["harness"].value_counts()
    if len(counts) < 2:
        return {"skipped": f"every fitted score is in one harness category ({counts.index[0]})"}
    config = dataclasses.replace(fit.config, offsets="harness", cv_folds=0)
    try:
        refit = fitting.fit_observations(obs, config, models_meta=fit.models,
                                         benchmarks_meta=fit.benchmarks)
    except OpengapError as exc:
        return {"skipped": f"harness fit failed: {exc}"}
    offsets = pd.DataFrame(refit.offsets)
    per_logit = _points_per_logit(refit)
    if not {"ci_low", "ci_high"} <= set(offsets.columns):  # a fit without bootstrap draws
        offsets["ci_low"], offsets["ci_high"] = np.nan, np.nan
    rows = []
    for rec in offsets.to_dict(orient="records"):
        row = {str(k): _plain(v) for k, v in rec.items()}
        for key in ("offset", "ci_low", "ci_high"):
            value = row.get(key)
            row[f"{key}_points"] = value * per_logit if _finite(value) else None
        rows.append(row)
    best = max(rows, key=lambda r: float(r["offset"]) if _finite(r.get("offset")) else -math.inf)
    restated = _gap_of(store, refit, day, fit, intervals=True)
    return {
        "offsets": rows,
        "best_harness": best.get("harness"),
        "notes": [n for n in refit.notes if "harness" in n],
        "points_per_logit": per_logit,
        "fit_id": refit.fit_id,
        "baseline": {"lag_months": baseline.lag_months.to_dict(),
                     "vertical_gap": baseline.vertical_gap.to_dict()},
        "restated": {
            "lag_months": Interval(restated["lag_months"], restated["lag_low"],
                                   restated["lag_high"]).to_dict(),
            "vertical_gap": Interval(restated["vertical_gap"], restated["vertical_gap_low"],
                                     restated["vertical_gap_high"]).to_dict(),
        },
        "note": ("offsets are relative to the most common category (δ = 0); the harness fit's "
                 "capabilities are what each model would score in that reference harness, and "
                 "running every model in the best harness adds the same offset to all, so the "
                 "restated gap is the harness fit's gap"),
    }


def _points_per_logit(fit: fitting.FitResult) -> float:
    raw = pd.to_numeric(fit.models["capability_raw"], errors="coerce").to_numpy(dtype=float)
    cap = pd.to_numeric(fit.models["capability"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(raw) & np.isfinite(cap)
    if ok.sum() < 2 or np.ptp(raw[ok]) == 0:
        return 1.0
    return float(np.polyfit(raw[ok], cap[ok], 1)[0])


def _base_models(fit: fitting.FitResult) -> pd.DataFrame:
    models = fit.models.copy()
    for column in ("name", "weights", "n_benchmarks", "se_laplace", "ci_low", "ci_high"):
        if column not in models.columns:
            models[column] = None
    return models


def _model_benchmarks(store: Store, fit: fitting.FitResult) -> dict[str, list[str]]:
    from opengap import fitting

    pairs = fitting.fit_pairs(store, fit)
    out: dict[str, list[str]] = {}
    for model_id, bench in zip(pairs["model_id"], pairs["benchmark_id"], strict=True):
        out.setdefault(str(model_id), []).append(str(bench))
    return out


# --------------------------------------------------------------------------- refits
LeftOut = tuple[str, dict[str, Any], str | None, dict[str, float]]
"""One leave-one-out refit: benchmark, its gap (``_gap_of``), error or None, scaled s.e."""

_LOO: dict[str, Any] = {}
"""What worker processes need for leave-one-out refits, set before they are forked."""


def leave_one_out(
    store: Store,
    base: fitting.FitResult,
    benchmark_ids: Sequence[str],
    day: float,
    progress: Progress | None = None,
    *,
    n_jobs: int | None = None,
) -> list[LeftOut]:
    """Refit ``base`` without each benchmark in turn (no bootstrap); return one row each.

    The catalogue is read once; the refits then touch no database, so they run in forked
    worker processes (one per usable core, as the bootstrap does), in benchmark order.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from opengap import fitting
    from opengap.fit.bootstrap import default_jobs

    task = "leave-one-benchmark-out refits"
    catalogue = fitting.Catalogue.read(store, base.config)
    _LOO.update(catalogue=catalogue, base=base, ids=list(benchmark_ids), day=day)
    jobs = default_jobs() if n_jobs is None else max(1, n_jobs)
    total = len(benchmark_ids)
    out: list[LeftOut] = []
    try:
        if jobs == 1 or total < 4 or "fork" not in multiprocessing.get_all_start_methods():
            for i in range(total):
                _tick(progress, task, i, total)
                out.append(_leave_out(i))
        else:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                for i, row in enumerate(pool.map(_leave_out, range(total))):
                    _tick(progress, task, i, total)
                    out.append(row)
    finally:
        _LOO.clear()
    _tick(progress, task, total, total)
    return out


def _leave_out(index: int) -> LeftOut:
    from opengap import fitting

    base: fitting.FitResult = _LOO["base"]
    ids: list[str] = _LOO["ids"]
    bench = ids[index]
    config = dataclasses.replace(base.config, benchmarks=tuple(b for b in ids if b != bench),
                                 bootstrap=0, cv_folds=0)  # fmt: skip
    try:
        refit = fitting.refit_catalogue(_LOO["catalogue"], config)
        lag = _gap_of(None, refit, _LOO["day"], base)
    except OpengapError as exc:
        return bench, {}, str(exc), {}
    slope = abs(_alignment(refit, base)[1])
    se = dict(zip(refit.models["model_id"].astype(str),
                  slope * refit.models["se_laplace"].astype(float), strict=True))  # fmt: skip
    return bench, lag, None, se


def refit_fit(
    store: Store, fit: fitting.FitResult, *, bootstrap: int | None = None, **changes: Any
) -> fitting.FitResult:
    """Return ``fit`` refitted in memory with some configuration fields changed.

    ``bootstrap=None`` keeps the fit's own bootstrap setting; cross-validation is skipped
    (``cv_folds=0``) unless asked for. Nothing is saved. Refits are memoised per store state:
    the report asks for the same domain refits in its breakdowns and its sensitivity.
    """
    from opengap import fitting

    config = _variant(fit, bootstrap=bootstrap, **changes)
    memo = _REFITS.setdefault(store, {})
    state = fitting.catalogue_state(store)
    if memo.get(config, (None, None))[0] != state:
        try:
            memo[config] = (state, fitting.refit(store, config))
        except OpengapError as exc:
            memo[config] = (state, exc)
    found = memo[config][1]
    if isinstance(found, OpengapError):
        raise found
    result: fitting.FitResult = found
    return result


def refit_many(
    store: Store,
    fit: fitting.FitResult,
    variants: Sequence[dict[str, Any]],
    progress: Progress | None = None,
    *,
    task: str = "refits",
) -> None:
    """Compute the refits ``refit_fit(store, fit, **variant)`` asks for, in worker processes.

    Each refit runs in a forked process with a serial bootstrap (one refit per core rather
    than one bootstrap spread over the cores, which costs a process pool per refit); the
    results land in ``refit_fit``'s memo, where the caller then finds them.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from opengap import fitting
    from opengap.fit.bootstrap import default_jobs

    memo = _REFITS.setdefault(store, {})
    state = fitting.catalogue_state(store)
    configs = []
    for variant in variants:
        try:
            configs.append(_variant(fit, **variant))
        except OpengapError:
            continue  # refit_fit raises it again where the caller reports it
    configs = list(dict.fromkeys(configs))
    todo = [c for c in configs if memo.get(c, (None, None))[0] != state]
    jobs = default_jobs()
    if len(todo) < 2 or jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return  # refit_fit computes them one by one, each with a parallel bootstrap
    _REFIT_WORK.update(catalogue=fitting.Catalogue.read(store, *todo), configs=todo)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for i, result in enumerate(pool.map(_refit_one, range(len(todo)))):
                _tick(progress, task, i, len(todo))
                memo[todo[i]] = (state, result)
    finally:
        _REFIT_WORK.clear()
    _tick(progress, task, len(todo), len(todo))


def _refit_one(index: int) -> fitting.FitResult | OpengapError:
    from opengap import fitting

    try:
        return fitting.refit_catalogue(
            _REFIT_WORK["catalogue"], _REFIT_WORK["configs"][index], n_jobs=1
        )
    except OpengapError as exc:
        return exc


def _variant(fit: fitting.FitResult, *, bootstrap: int | None = None, **changes: Any) -> Any:
    """Return ``fit``'s configuration with ``changes`` (no cross-validation unless asked)."""
    changes.setdefault("cv_folds", 0)
    if bootstrap is not None:
        changes["bootstrap"] = bootstrap
    if "benchmarks" in changes and changes["benchmarks"] is not None:
        changes["benchmarks"] = tuple(changes["benchmarks"])
    return dataclasses.replace(fit.config, **changes).validate()


_REFITS: WeakKeyDictionary[Store, dict[Any, tuple[Any, Any]]] = WeakKeyDictionary()
_REFIT_WORK: dict[str, Any] = {}
"""What ``refit_many``'s worker processes need, set before they are forked."""


# --------------------------------------------------------------------------- helpers
def _fit_progress(progress: Progress | None, task: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    callback = progress

    def report(done: int, total: int) -> None:
        callback(task, done, total)

    return report


def _tick(progress: Progress | None, task: str, done: int, total: int) -> None:
    if progress is not None:
        progress(task, done, total)


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = [
    "TRUST",
    "CatchUpReport",
    "Curation",
    "GroupReport",
    "LagReport",
    "SensitivityReport",
    "TrendReport",
    "benchmark_table",
    "breakdowns",
    "fit_table",
    "gap",
    "load_or_fit",
    "refit_fit",
    "sensitivity",
]
