"""Gap reports: one typed record per method, computed from a table of models and draws.

The input is a *table* — a DataFrame with one row per model and the columns ``model_id``,
``name``, ``release_date``, ``weights`` (``open``/``closed``), the grouping columns
(``country``, ``organization``, ``params_total_b``, ``license_class``) and ``value`` (a fitted
capability or a transformed benchmark score) — plus optional bootstrap ``draws`` of ``value``
(``n_draws × n_rows``). :mod:`opengap.gap` builds it from a fit or a benchmark's scores;
everything here is pure.

Groups. ``by="weights"`` compares open (trailing) with closed (leading) models. Any other
grouping (country, organisation, size class, licence class) splits models into groups and
compares each group's frontier with a *reference* frontier: with ``versus="closed"`` (the
default) the groups are formed among open models and the reference is the frontier of all
closed models ("how far does the best Chinese open model trail closed models?"); with
``versus="all"`` groups are formed among all models and the reference is the frontier of all
models, the group's own included ("how far is each group from the overall best?" — a group that
holds the overall best is at 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opengap.analysis.catchup import (
    CatchUp,
    catch_up,
    catch_up_lags,
    lag_summary,
    resampled_pairs,
)
from opengap.analysis.frontier import FloatArray, best_index, from_days, month_ends, to_days
from opengap.analysis.groups import UNKNOWN, group_labels, size_labels
from opengap.analysis.intervals import Interval, basic_interval, flat_row
from opengap.analysis.lag import Lag, gap_and_lag, lag_series
from opengap.analysis.trend import Trend, trend_lag
from opengap.errors import BadArgument

METHODS = ("lag", "catch-up", "trend")
VERSUS = ("closed", "all")


@dataclass(frozen=True)
class ModelPoint:
    """A model on a frontier: id, name, value and release date."""

    model_id: str
    name: str
    capability: float
    release_date: date

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"model_id", "name", "capability", "release_date"}``."""
        return {"model_id": self.model_id, "name": self.name, "capability": self.capability,
                "release_date": self.release_date.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What a report was computed on: the fit or benchmark, units, draws."""

    fit_id: str | None = None
    benchmark: str | None = None
    transform: str = "none"
    unit: str = "points"
    n_draws: int = 0
    n_models: int = 0
    notes: tuple[str, ...] = ()
    #: the newest data date in the store (release or eval date), its age in days, and the
    #: sentence stating it ("data as of …", with a warning in words past 90 days)
    data_as_of: str | None = None
    data_age_days: int | None = None
    freshness: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the context as JSON-friendly values."""
        return {"fit_id": self.fit_id, "benchmark": self.benchmark, "transform": self.transform,
                "unit": self.unit, "n_draws": self.n_draws, "n_models": self.n_models,
                "notes": list(self.notes), "data_as_of": self.data_as_of,
                "data_age_days": self.data_age_days, "freshness": self.freshness}  # fmt: skip


@dataclass(frozen=True)
class LagReport:
    """Method ``lag``: gap in points and months at one date, and monthly series."""

    at: date
    best_open: ModelPoint | None
    best_closed: ModelPoint | None
    vertical_gap: Interval
    lag_months: Interval
    series: pd.DataFrame
    context: Context
    significance: bool = False
    censored: bool = False
    probability_behind: float = math.nan
    method: str = "lag"

    @property
    def headline(self) -> str:
        """One sentence stating the result."""
        return lag_headline("Open models", "closed", self.lag_months, self.vertical_gap,
                            self.context, self.at, self.significance, self.censored)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap gap --method lag --json``."""
        return {
            "method": self.method,
            "at": self.at.isoformat(),
            "best_open": self.best_open.to_dict() if self.best_open else None,
            "best_closed": self.best_closed.to_dict() if self.best_closed else None,
            "vertical_gap": self.vertical_gap.to_dict(),
            "lag_months": self.lag_months.to_dict(),
            "significance": self.significance,
            "censored": self.censored,
            "probability_behind": _num(self.probability_behind),
            "series": _records(self.series),
            "headline": self.headline,
            "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }


@dataclass(frozen=True)
class CatchUpReport:
    """Method ``catch-up``: matched pairs, censored records and summary of the lags."""

    result: CatchUp
    intervals: dict[str, Interval]
    context: Context
    method: str = "catch-up"

    @property
    def headline(self) -> str:
        """One sentence stating the result."""
        return catch_up_headline("Open models", "closed", self.result, self.intervals)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap gap --method catch-up --json``."""
        summary = self.result.summary()
        return {
            "method": self.method,
            "tolerance": self.result.tolerance,
            "pairs": [p.to_dict() for p in self.result.pairs],
            "censored": [c.to_dict() for c in self.result.censored],
            **{k: _num(v) for k, v in summary.items()},
            "intervals": {k: v.to_dict() for k, v in self.intervals.items()},
            "headline": self.headline,
            "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }


@dataclass(frozen=True)
class TrendReport:
    """Method ``trend``: offset between trend lines through the frontier models."""

    at: date
    trend: Trend
    context: Context
    method: str = "trend"

    @property
    def headline(self) -> str:
        """One sentence stating the result."""
        return "On trend lines through frontier models, " + lag_headline(
            "open models", "closed", self.trend.lag_months, self.trend.vertical_gap,
            self.context, self.at, False, False,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap gap --method trend --json``."""
        t = self.trend
        return {
            "method": self.method,
            "at": self.at.isoformat(),
            "lag_months": t.lag_months.to_dict(),
            "vertical_gap": t.vertical_gap.to_dict(),
            "separate_slopes": t.separate_slopes,
            "closed_slope_per_year": t.lead_slope_per_year.to_dict(),
            "open_slope_per_year": t.trail_slope_per_year.to_dict(),
            "closed_frontier_models": t.lead_points,
            "open_frontier_models": t.trail_points,
            "headline": self.headline,
            "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }


@dataclass(frozen=True)
class GroupReport:
    """A grouping other than open/closed: each group's frontier against the reference."""

    method: str
    by: str
    versus: str
    at: date
    rows: list[dict[str, Any]]
    context: Context
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """One sentence: the group closest to the reference frontier."""
        reference = "closed models" if self.versus == "closed" else "the overall frontier"
        key = "mean_lag_months" if self.method == "catch-up" else "lag_months"
        ranked = [r for r in self.rows if _finite(_value(r.get(key)))]
        if not ranked:
            return f"No {self.by} group can be compared with {reference} as of {self.at}."
        best = min(ranked, key=lambda r: float(_value(r[key])))
        lag = float(_value(best[key]))
        verb = "trail" if lag >= 0 else "lead"
        if self.by == "domain":
            return (f"Open models are closest to closed models in {best['group']}: they {verb} "
                    f"by {abs(lag):.1f} months as of {self.at.isoformat()} (one refit per "
                    "domain).")
        what = "open models" if self.versus == "closed" else "models"
        return (f"Of {self.by} groups of {what}, {best['group']} is closest to {reference}: it "
                f"{verb}s by {abs(lag):.1f} months as of {self.at.isoformat()}.")

    def table(self) -> pd.DataFrame:
        """Return the rows as a flat table for printing."""
        return pd.DataFrame([flat_row(row) for row in self.rows])

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"method", "by", "versus", "at", "groups": [...], "headline", ...}``."""
        return {
            "method": self.method, "by": self.by, "versus": self.versus,
            "at": self.at.isoformat(), "groups": self.rows, **self.details,
            "headline": self.headline, "fit_id": self.context.fit_id,
            **{k: v for k, v in self.context.to_dict().items() if k != "fit_id"},
        }  # fmt: skip


Report = LagReport | CatchUpReport | TrendReport | GroupReport


# --------------------------------------------------------------------------- headlines
def _fmt_interval(iv: Interval, digits: int = 1) -> str:
    if not (_finite(iv.ci_low) and _finite(iv.ci_high)):
        return ""
    return f" (90% CI {iv.ci_low:.{digits}f}–{iv.ci_high:.{digits}f})"


def _unit_digits(unit: str) -> int:
    return 1 if unit == "points" else 3


def lag_headline(
    subject: str,
    reference: str,
    lag: Interval,
    gap: Interval,
    context: Context,
    at: date,
    significance: bool,
    censored: bool,
) -> str:
    """Return e.g. "Open models trail closed by 4.1 months (90% CI 1.9–6.8), 7.5 points"."""
    where = f" on {context.benchmark}" if context.benchmark else ""
    if not _finite(lag.value):
        return f"{subject} cannot be compared with {reference}{where} as of {at.isoformat()}."
    digits = _unit_digits(context.unit)
    verb = "trail" if lag.value >= 0 else "lead"
    months = abs(lag.value)
    if significance:
        bound = "at least " if censored else ""
        months_text = f"{bound}{months:.1f} months (significance-aware"
        months_text += (f", 90% CI {lag.ci_low:.1f}–{lag.ci_high:.1f})"
                        if _finite(lag.ci_low) else ")")
    else:
        months_text = f"{months:.1f} months{_fmt_interval(lag)}"
    gap_text = f"{abs(gap.value):.{digits}f} {context.unit}{_fmt_interval(gap, digits)}"
    if lag.value != 0 and np.sign(gap.value) not in (0.0, np.sign(lag.value)):
        gap_text += " the other way"
    return (f"{subject} {verb} {reference} by {months_text}, {gap_text}{where} "
            f"as of {at.isoformat()}.")


def catch_up_headline(
    subject: str, reference: str, result: CatchUp, intervals: dict[str, Interval]
) -> str:
    """Return a sentence with the mean and median catch-up lag and the censored count."""
    summary = result.summary()
    censored = (f"; {len(result.censored)} {reference} record(s) not yet matched"
                if result.censored else "")
    if not result.pairs:
        return (f"{subject} never came within the tolerance of any {reference} record "
                f"({len(result.censored)} censored).")
    mean = intervals.get("mean_lag_months")
    mean_ci = _fmt_interval(mean) if mean else ""
    return (f"{subject} matched {reference} records after {summary['mean_lag_months']:.1f} "
            f"months on average{mean_ci} (median {summary['median_lag_months']:.1f}, 5th–95th "
            f"percentile {summary['p5_lag_months']:.1f}–{summary['p95_lag_months']:.1f}) over "
            f"{len(result.pairs)} catch-up(s){censored}.")


# --------------------------------------------------------------------------- computation
@dataclass(frozen=True)
class Table:
    """Models with release days and values (and draws), as the report functions use them."""

    frame: pd.DataFrame
    days: FloatArray
    values: FloatArray
    draws: FloatArray | None

    @classmethod
    def build(cls, frame: pd.DataFrame, draws: npt.ArrayLike | None = None) -> Table:
        """Keep rows with a release date and a finite value; align ``draws`` with them."""
        days = to_days(frame["release_date"]) if len(frame) else np.empty(0)
        values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(days) & np.isfinite(values)
        w = None
        if draws is not None:
            w = np.asarray(draws, dtype=float)
            if w.ndim != 2 or w.shape[1] != len(frame):
                raise ValueError(f"draws must have shape (n_draws, {len(frame)}), not {w.shape}")
            w = w[:, keep]
            if w.shape[0] == 0:
                w = None
        return cls(frame.loc[keep].reset_index(drop=True), days[keep], values[keep], w)

    def subset(self, mask: npt.NDArray[np.bool_]) -> Table:
        """Return the rows where ``mask`` holds."""
        return Table(self.frame.loc[mask].reset_index(drop=True), self.days[mask],
                     self.values[mask], None if self.draws is None else self.draws[:, mask])

    def point(self, index: int | None) -> ModelPoint | None:
        """Return row ``index`` as a :class:`ModelPoint`."""
        if index is None:
            return None
        row = self.frame.iloc[index]
        name = row.get("name")
        return ModelPoint(str(row["model_id"]), str(name) if _present(name) else str(
            row["model_id"]), float(self.values[index]), from_days(float(self.days[index])))

    @property
    def latest(self) -> float:
        """The latest release day (NaN when empty)."""
        return float(self.days.max()) if self.days.size else math.nan


def weights_masks(table: Table) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Return (closed, open) masks from the ``weights`` column (case-insensitive)."""
    weights = table.frame["weights"].astype(object).map(
        lambda v: str(v).lower() if _present(v) else "")
    return (weights == "closed").to_numpy(bool), (weights == "open").to_numpy(bool)


def resolve_at(at: Any, lead: Table, trail: Table) -> float:
    """Return ``at`` as a day, defaulting to the latest release; raise if outside the data.

    The data span from the first day on which both groups have a model to the latest release
    of either.
    """
    if lead.days.size == 0 or trail.days.size == 0:
        raise BadArgument("both groups need at least one model with a release date")
    start = max(lead.days.min(), trail.days.min())
    end = max(lead.days.max(), trail.days.max())
    if at is None:
        return float(end)
    try:
        day = to_days([at])[0]
    except (ValueError, TypeError):
        day = math.nan
    if not np.isfinite(day):
        raise BadArgument(f"--at {at!r} is not a date (use YYYY-MM-DD)")
    if day < start or day > end:
        raise BadArgument(
            f"--at {from_days(day).isoformat()} is outside the data: both groups have models "
            f"from {from_days(start).isoformat()} to {from_days(end).isoformat()}"
        )
    return float(day)


def lag_report(
    lead: Table,
    trail: Table,
    at: float,
    context: Context,
    *,
    significance: bool = False,
    series: bool = True,
) -> LagReport:
    """Return the ``lag`` report of ``trail`` (open) behind ``lead`` (closed) at ``at``."""
    draws = _paired(lead, trail)
    lag: Lag = gap_and_lag(lead.days, lead.values, trail.days, trail.values, at,
                           lead_draws=draws[0], trail_draws=draws[1], significance=significance)
    if significance and np.isfinite(lag.vertical_gap.value):
        lag = _epoch_lag(lag, lead, trail, at)
    frame = pd.DataFrame()
    if series:
        start = max(lead.days.min(), trail.days.min())
        frame = lag_series(lead.days, lead.values, trail.days, trail.values,
                           month_ends(start, at), lead_draws=draws[0], trail_draws=draws[1],
                           significance=significance)  # fmt: skip
        if significance and len(frame):
            frame = _epoch_series(frame, lead, trail)
    return LagReport(
        at=from_days(at), best_open=trail.point(lag.trail_best),
        best_closed=lead.point(lag.lead_best), vertical_gap=lag.vertical_gap,
        lag_months=lag.lag_months, series=frame, context=context, significance=significance,
        censored=lag.censored, probability_behind=lag.probability_behind,
    )  # fmt: skip


def catch_up_report(
    lead: Table, trail: Table, context: Context, *, tolerance: float = 0.0,
    at: float | None = None,
) -> CatchUpReport:
    """Return the ``catch-up`` report; intervals recompute the summary on each draw."""
    if tolerance < 0:
        raise BadArgument(f"--tolerance must be >= 0, not {tolerance:g}")
    end = at if at is not None else max(lead.latest, trail.latest)
    lm, tm = lead.days <= end, trail.days <= end
    lead, trail = lead.subset(lm), trail.subset(tm)
    result = catch_up(lead.frame["model_id"], lead.days, lead.values, trail.frame["model_id"],
                      trail.days, trail.values, tolerance=tolerance, data_end=end)
    intervals: dict[str, Interval] = {}
    lw, tw = _paired(lead, trail)
    summary = result.summary()
    if lw is not None and tw is not None:
        lags = catch_up_lags(lead.days, lw, trail.days, tw, tolerance=tolerance)
    else:
        lags = result.lags[None, :]
    per_draw = lag_summary(resampled_pairs(lags))
    intervals = {k: basic_interval(summary[k], per_draw[k]) for k in summary}
    return CatchUpReport(result, intervals, context)


def trend_report(
    lead: Table, trail: Table, at: float, context: Context, *, separate_slopes: bool = False
) -> TrendReport:
    """Return the ``trend`` report of ``trail`` behind ``lead`` at ``at``."""
    lw, tw = _paired(lead, trail)
    trend = trend_lag(lead.days, lead.values, trail.days, trail.values, at, lead_draws=lw,
                      trail_draws=tw, separate_slopes=separate_slopes)
    if separate_slopes and not _finite(trend.lag_months.value) and (
            trend.lead_points < 2 or trend.trail_points < 2):
        raise BadArgument(
            "--separate-slopes needs at least two frontier models in each group "
            f"(closed: {trend.lead_points}, open: {trend.trail_points})"
        )
    return TrendReport(from_days(at), trend, context)


def group_report(
    table: Table,
    by: str,
    method: str,
    context: Context,
    *,
    at: Any = None,
    versus: str = "closed",
    groups: Sequence[str] | None = None,
    size_edges: Sequence[float] | None = None,
    significance: bool = False,
    tolerance: float = 0.0,
    separate_slopes: bool = False,
) -> GroupReport:
    """Return one row per group: its best model and its gap behind the reference frontier."""
    if versus not in VERSUS:
        raise BadArgument(f"unknown --versus {versus!r} (choose from {', '.join(VERSUS)})")
    closed, opened = weights_masks(table)
    labels = group_labels(table.frame, by, size_edges=size_edges).to_numpy(dtype=object)
    pool = opened if versus == "closed" else np.ones(len(labels), dtype=bool)
    reference = table.subset(closed if versus == "closed" else pool)
    present = sorted({str(v) for v in labels[pool]}, key=lambda s: (s == UNKNOWN, s))
    if by == "size":
        order = size_labels(size_edges) if size_edges else size_labels()
        present = [label for label in order if label in present]
    chosen = list(groups) if groups else present
    unknown = [g for g in chosen if g not in present]
    if unknown:
        what = "open models" if versus == "closed" else "models"
        raise BadArgument(
            f"unknown group {unknown[0]!r} for --by {by} among {what} "
            f"(choose from {', '.join(present) or 'none'})"
        )
    if reference.days.size == 0:
        raise BadArgument("no closed models to compare with" if versus == "closed"
                          else "no models to compare")
    members = [table.subset(pool & (labels == g)) for g in chosen]
    day = resolve_at(at, reference, _concat(members) if members else reference)
    rows = [_group_row(g, m, reference, day, method, context, significance, tolerance,
                       separate_slopes) for g, m in zip(chosen, members, strict=True)]
    ref_best = reference.point(_best(reference, day))
    details = {"reference": {"label": "closed" if versus == "closed" else "all",
                             "best": ref_best.to_dict() if ref_best else None}}
    return GroupReport(method, by, versus, from_days(day), rows, context, details)


def _group_row(
    label: str, group: Table, reference: Table, day: float, method: str, context: Context,
    significance: bool, tolerance: float, separate_slopes: bool,
) -> dict[str, Any]:
    released = group.days <= day
    row: dict[str, Any] = {"group": label, "n_models": int(released.sum())}
    best = group.point(_best(group, day))
    row["best_model"] = best.model_id if best else None
    row["best_name"] = best.name if best else None
    row["capability"] = best.capability if best else None
    row["release_date"] = best.release_date.isoformat() if best else None
    if best is None:
        return row
    if method == "lag":
        lag = lag_report(reference, group, day, context, significance=significance,
                         series=False)
        row["vertical_gap"] = lag.vertical_gap.to_dict()
        row["lag_months"] = lag.lag_months.to_dict()
        if significance:
            row["censored"] = lag.censored
    elif method == "catch-up":
        cu = catch_up_report(reference, group, context, tolerance=tolerance, at=day)
        row.update({k: _num(v) for k, v in cu.result.summary().items()})
        row["pairs"] = len(cu.result.pairs)
        row["censored"] = len(cu.result.censored)
        row["mean_lag_interval"] = cu.intervals["mean_lag_months"].to_dict()
    else:
        tr = trend_lag(reference.days, reference.values, group.days, group.values, day,
                       lead_draws=_paired(reference, group)[0],
                       trail_draws=_paired(reference, group)[1],
                       separate_slopes=separate_slopes)
        row["lag_months"] = tr.lag_months.to_dict()
        row["vertical_gap"] = tr.vertical_gap.to_dict()
        row["frontier_models"] = tr.trail_points
    return row


# --------------------------------------------------------------------------- helpers
def _epoch_lag(lag: Lag, lead: Table, trail: Table, at: float) -> Lag:
    """Return ``lag`` with Epoch's significance-aware lag and its own interval."""
    from dataclasses import replace

    from opengap.analysis.epoch_gap import epoch_gap

    lw, tw = lead.draws, trail.draws
    if lw is None or tw is None:  # no draws: significance is a strict comparison of points
        lw, tw = lead.values[None, :], trail.values[None, :]
    result = epoch_gap(lead.days, lead.values, lw, trail.days, trail.values, tw, [at])
    return replace(lag, lag_months=result.lag_months, censored=result.censored_days > 0)


def _epoch_series(frame: pd.DataFrame, lead: Table, trail: Table) -> pd.DataFrame:
    """Return the monthly series with Epoch's significance-aware lag and interval each month."""
    from opengap.analysis.epoch_gap import epoch_gap

    lw, tw = lead.draws, trail.draws
    if lw is None or tw is None:
        lw, tw = lead.values[None, :], trail.values[None, :]
    frame = frame.copy()
    for i, day in enumerate(to_days(frame["date"])):
        lag = epoch_gap(lead.days, lead.values, lw, trail.days, trail.values, tw, [day],
                        max_outer=50).lag_months
        frame.loc[i, ["lag_months", "lag_low", "lag_high"]] = [lag.value, lag.ci_low,
                                                                lag.ci_high]
    return frame


def _paired(lead: Table, trail: Table) -> tuple[FloatArray | None, FloatArray | None]:
    if lead.draws is None or trail.draws is None:
        return None, None
    return lead.draws, trail.draws


def _best(table: Table, day: float) -> int | None:
    return best_index(table.days, table.values, day)


def _concat(tables: Sequence[Table]) -> Table:
    draws = None
    if all(t.draws is not None for t in tables):
        draws = np.concatenate([t.draws for t in tables if t.draws is not None], axis=1)
    return Table(pd.concat([t.frame for t in tables], ignore_index=True),
                 np.concatenate([t.days for t in tables]),
                 np.concatenate([t.values for t in tables]), draws)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (v.isoformat() if isinstance(v, date) else _num(v))
                    for k, v in row.items()})
    return out


def _num(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(float(value)) else None
    return value


def _finite(value: Any) -> bool:
    return isinstance(value, int | float | np.floating) and math.isfinite(float(value))


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _value(entry: Any) -> Any:
    return entry.get("value") if isinstance(entry, dict) else entry
