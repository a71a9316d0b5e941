"""The library verb :func:`gap`: the open-vs-closed gap (or a grouping's) by one method."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from opengap.analysis.caisi_report import CaisiTrendReport, caisi_trend_report
from opengap.analysis.epoch_window import EpochWindowReport, window_report
from opengap.analysis.groups import GROUPINGS
from opengap.analysis.reports import (
    METHODS,
    Report,
    catch_up_report,
    group_report,
    lag_report,
    resolve_at,
    trend_report,
)
from opengap.analysis.transforms import TRANSFORMS
from opengap.errors import BadArgument
from opengap.gap.domains import domain_report
from opengap.gap.progress import Progress
from opengap.gap.tables import (
    TRUST,
    Curation,
    benchmark_table,
    fit_table,
    load_or_fit,
    open_closed,
)
from opengap.store import Store

GAP_METHODS = (*METHODS, "caisi-trend")


def gap(
    store: Store,
    *,
    fit_id: str | None = None,
    by: str | None = None,
    method: str | None = None,
    at: str | date | None = None,
    significance: bool = False,
    since: str | date | None = None,
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
) -> Report | CaisiTrendReport | EpochWindowReport:
    """Return the gap between open and closed models (or between groups) by one method.

    Parameters
    ----------
    store : Store
        The catalogue.
    fit_id : str, optional
        The fit to use (default: the latest; when there is none, the default preset is fitted
        and saved first). Ignored with ``benchmark``.
    by : {"weights", "country", "organization", "size", "license", "domain"}, optional
        Default: the fit's stored grouping (``gap_by`` of its preset; ``country`` for
        ``caisi``), else ``weights``.
        ``weights`` compares open with closed models. ``country``, ``organization``, ``size``
        and ``license`` compare each group of open models with the closed frontier (or, with
        ``versus="all"``, each group of all models with the overall frontier). ``domain``
        refits on each domain's benchmarks (same configuration and anchoring) and reports the
        open-vs-closed gap in each.
    method : {"lag", "catch-up", "trend", "caisi-trend"}, optional
        See :mod:`opengap.analysis`; ``caisi-trend`` is CAISI's (least-squares lines through
        each group's frontier, lag to the leader's line, :mod:`opengap.analysis.caisi_trend`).
        Default: the fit's stored gap method (``gap_method`` of its preset; ``significance``
        means ``lag`` with ``significance=True``), else ``lag``.
    at : str or date, optional
        Date to measure at (default: the latest release in the data).
    significance : bool
        With ``lag``: the significance-aware lag (Epoch 2026).
    since : str or date, optional
        With ``significance``: Epoch's window average — every day from ``since`` to ``at``,
        the significance-aware lag and gap of the best open model to date, averaged
        (:mod:`opengap.analysis.epoch_gap`). Returns an ``EpochWindowReport``.
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
    # what was asked is checked before a fit is loaded, and again with the fit's defaults
    _check_options(by=by or ("country" if groups else "weights"), method=method or "lag",
                   benchmark=benchmark, transform=transform, significance=significance,
                   separate_slopes=separate_slopes, groups=groups,
                   trust=trust, versus=versus)  # fmt: skip
    method, by, significance = _stored_method(store, fit_id, method, by, significance,
                                              benchmark, progress)
    _check_options(by=by, method=method, benchmark=benchmark, transform=transform,
                   significance=significance, separate_slopes=separate_slopes, groups=groups,
                   trust=trust, versus=versus)  # fmt: skip
    if since is not None and not (significance and method == "lag" and by == "weights"):
        raise BadArgument("--since goes with --significance (method lag, open vs closed)")
    curation = Curation(exclude_finetunes, tuple(exclude or ()))
    if by == "domain":
        return domain_report(store, fit_id=fit_id, at=at, significance=significance,
                              curation=curation, progress=progress)
    if benchmark is not None:
        table, context = benchmark_table(store, benchmark, transform=transform, trust=trust,
                                         curation=curation)
    else:
        table, context = fit_table(store, fit_id=fit_id, curation=curation, progress=progress)
    if method == "caisi-trend":
        return caisi_trend_report(table, by, context, at=at, groups=groups,
                                  size_edges=size_classes)
    if by != "weights":
        return group_report(
            table, by, method, context, at=at, versus=versus, groups=groups,
            size_edges=size_classes, significance=significance, tolerance=tolerance,
            separate_slopes=separate_slopes,
        )  # fmt: skip
    closed, opened = open_closed(table, context)
    day = resolve_at(at, closed, opened)
    if since is not None:
        return window_report(closed, opened, since, day, context)
    if method == "lag":
        return lag_report(closed, opened, day, context, significance=significance)
    if method == "catch-up":
        return catch_up_report(closed, opened, context, tolerance=tolerance, at=day)
    return trend_report(closed, opened, day, context, separate_slopes=separate_slopes)


def _stored_method(
    store: Store, fit_id: str | None, method: str | None, by: str | None, significance: bool,
    benchmark: str | None, progress: Progress | None,
) -> tuple[str, str, bool]:
    """Return (method, grouping, significance): those asked for, else the fit's stored ones."""
    if benchmark is None and (method is None or by is None):
        config = load_or_fit(store, fit_id=fit_id, progress=progress).config
        method = method or config.gap_method
        by = by or config.gap_by
    method, by = method or "lag", by or "weights"
    if method == "significance":  # a preset's shorthand: Epoch's significance-aware lag
        method, significance = "lag", True
    return method, by, significance


def _check_options(
    *, by: str, method: str, benchmark: str | None, transform: str, significance: bool,
    separate_slopes: bool, groups: Sequence[str] | None, trust: str, versus: str,
) -> None:
    checks: list[tuple[bool, str]] = [
        (method in GAP_METHODS,
         f"unknown method {method!r} (choose from {', '.join(GAP_METHODS)})"),
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
