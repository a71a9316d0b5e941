"""What a report shows, computed once: :class:`ReportData` and :func:`collect`.

``collect`` calls the library (fit, gap, breakdowns, sensitivity, catalogue) and keeps the
results in the shapes those functions return; the HTML report and the dashboard render the same
record. A section whose analysis cannot be computed on the data (too few models in a domain, no
harness categories…) keeps the library's one-line reason instead of failing the whole report.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opengap import __version__, catalog, costs, fitting
from opengap import gap as gap_lib
from opengap.cards import ModelCard, top_open_cards
from opengap.costs import FrontierResult
from opengap.errors import BadConfiguration, NoFit, OpengapError
from opengap.fitting.frames import POOR_FIT_NOTE
from opengap.store import Store

Progress = Callable[[str, int, int], None]
"""Progress callback: ``(task description, done, total)``."""

REPORT_BOOTSTRAP = 200
"""Draws of the report's own fit: the 5th/95th percentiles of its headline need ~10 draws
beyond each, so 200 (50 left 2.5 per tail)."""
COMPARE_BOOTSTRAP = 100
"""Draws of each refit of the comparison section (eight refits)."""
"""Bootstrap refits of the fit the report makes when the store holds none (90% intervals)."""

POOR_FIT_COLUMNS = ["model_id", "name", "weights", "n_benchmarks", "rmse", "capability"]
"""Columns of :attr:`ReportData.poor_fits`."""

IMPORT_COLUMNS = [
    "import_id", "kind", "path", "sha256", "options", "rows_read", "rows_accepted",
    "rows_rejected", "imported_at",
]  # fmt: skip

# FitConfig field -> `opengap fit` option, for the reproduce command.
_FIT_OPTIONS = {
    "bootstrap": "--bootstrap", "scale": "--scale", "loss": "--loss",
    "pin_benchmark": "--pin-benchmark",
}  # fmt: skip


@dataclass
class ReportData:
    """Everything one report (or dashboard page) shows, as the library returned it.

    Attributes
    ----------
    fit : FitResult
        The fit the report shows (the store's latest, or one made for the report).
    gap : dict
        :func:`opengap.gap.gap` (open vs closed, method ``lag``) as ``to_dict()``.
    breakdowns : dict of str to DataFrame
        :func:`opengap.gap.breakdowns`: ``domain``, ``country`` and ``size`` tables.
    sensitivity : dict or None
        :func:`opengap.gap.sensitivity` as ``to_dict()``; None when it could not be computed.
    imports : DataFrame
        The store's ``imports`` table (sources, counts, hashes).
    counts : dict of str to int
        Rows per store table.
    generated_at : str
        UTC time the data were collected (ISO 8601).
    problems : dict of str to str
        Section name -> one-line reason, for sections that could not be computed.
    fitted_now : bool
        Whether ``collect`` made the fit (the store held none).
    cards : list of ModelCard
        :func:`opengap.cards.top_open_cards`: the most capable open models' cards (appendix).
    compare : dict or None
        :func:`opengap.gap.compare` as ``to_dict()``; None when not computed.
    frontiers : dict of str to FrontierResult
        :func:`opengap.costs.frontier` ``by`` ``price`` and ``active-params`` (the cost and
        size frontiers); a failed one is in ``problems`` as ``frontier-<by>``.
    """

    fit: fitting.FitResult
    gap: dict[str, Any]
    breakdowns: dict[str, pd.DataFrame]
    sensitivity: dict[str, Any] | None
    imports: pd.DataFrame
    counts: dict[str, int]
    generated_at: str
    problems: dict[str, str] = field(default_factory=dict)
    fitted_now: bool = False
    cards: list[ModelCard] = field(default_factory=list)
    compare: dict[str, Any] | None = None
    frontiers: dict[str, FrontierResult] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """The gap in one sentence (the gap report's headline)."""
        return str(self.gap.get("headline") or "")

    @property
    def poor_fits(self) -> pd.DataFrame:
        """The fit's poorly fitted models (residual RMSE over the fit's threshold), worst first.

        Columns: model_id, name, weights, n_benchmarks, rmse, capability. The report lists them
        in its frontier section (``#poor-fit``), where its note about them points.
        """
        models = self.fit.models
        if "poor_fit" not in models.columns:
            return pd.DataFrame(columns=POOR_FIT_COLUMNS)
        flagged = models.loc[models["poor_fit"].fillna(False).astype(bool)]
        frame = flagged.reindex(columns=POOR_FIT_COLUMNS)
        return frame.sort_values("rmse", ascending=False).reset_index(drop=True)

    @property
    def poor_fit_rmse(self) -> float:
        """The residual RMSE above which the fit flags a model as poorly fitted."""
        return float(self.fit.config.poor_fit_rmse)

    @property
    def fit_notes(self) -> list[str]:
        """The fit's notes, less the one on poorly fitted models (the report lists those)."""
        return [n for n in self.fit.notes if POOR_FIT_NOTE not in n]

    @property
    def unit(self) -> str:
        """Unit of capability values: ``points`` or ``logits``."""
        return "logits" if self.fit.scale == "raw" else "points"

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-friendly values (the dashboard's JSON twin of the report)."""
        return {
            "fit_id": self.fit.fit_id,
            "generated_at": self.generated_at,
            "headline": self.headline,
            "gap": self.gap,
            "breakdowns": {k: _rows(v) for k, v in self.breakdowns.items()},
            "sensitivity": self.sensitivity,
            "benchmarks": _rows(benchmark_table(self.fit)),
            "provenance": provenance(self),
            "compare": self.compare,
            "problems": self.problems,
            "poor_fits": _rows(self.poor_fits),
            "cards": [c.to_dict() for c in self.cards],
            "frontiers": {by: frontier_dict(r) for by, r in self.frontiers.items()},
        }


def collect(
    store: Store,
    *,
    fit_id: str | None = None,
    sensitivity: bool = True,
    compare: bool = True,
    progress: Progress | None = None,
) -> ReportData:
    """Compute everything a report shows.

    An empty store is first filled with the bundled snapshot; a store without a fit gets one
    (the default preset with :data:`REPORT_BOOTSTRAP` bootstrap refits, saved).

    Parameters
    ----------
    store : Store
        The catalogue (opened writable when it may need the snapshot or a fit).
    fit_id : str, optional
        Show this stored fit instead of the latest.
    sensitivity : bool
        Run the sensitivity refits (the slowest part); without them the section says so.
    compare : bool
        Run :func:`opengap.gap.compare` (eight refits) for the section on evaluators' methods.
    progress : callable, optional
        ``progress(task, done, total)`` while fitting and refitting.

    Returns
    -------
    ReportData

    Raises
    ------
    BadConfiguration
        The store is empty and this installation ships no snapshot.
    NoFit
        ``fit_id`` names no stored fit.
    """
    fit, fitted_now = _fit(store, fit_id, progress)
    gap = gap_lib.gap(store, fit_id=fit.fit_id, by="weights", method="lag",
                      progress=progress).to_dict()
    problems: dict[str, str] = {}
    try:
        parts = gap_lib.breakdowns(store, fit_id=fit.fit_id, progress=progress)
    except OpengapError as exc:
        parts, problems["breakdowns"] = {}, str(exc)
    sens: dict[str, Any] | None = None
    if not sensitivity:
        problems["sensitivity"] = "not computed for this page"
    else:
        try:
            sens = gap_lib.sensitivity(store, fit_id=fit.fit_id, progress=progress).to_dict()
        except OpengapError as exc:
            problems["sensitivity"] = str(exc)
    chain: dict[str, Any] | None = None
    if not compare:
        problems["compare"] = "not computed for this page"
    else:
        try:
            chain = gap_lib.compare(store, bootstrap=COMPARE_BOOTSTRAP,
                                    progress=progress).to_dict()
        except OpengapError as exc:
            problems["compare"] = str(exc)
    imports = store.query(f"SELECT {', '.join(IMPORT_COLUMNS)} FROM imports ORDER BY import_id")
    frontiers = cost_frontiers(store, fit.fit_id, problems)
    return ReportData(
        fit=fit, gap=gap, breakdowns=parts, sensitivity=sens, imports=imports,
        counts=store.counts(), generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        problems=problems, fitted_now=fitted_now, compare=chain,
        cards=top_open_cards(store, fit), frontiers=frontiers,
    )  # fmt: skip


FRONTIER_BY = ("price", "active-params")


def cost_frontiers(
    store: Store, fit_id: str, problems: dict[str, str]
) -> dict[str, FrontierResult]:
    """Return :func:`opengap.costs.frontier` by price and by active parameters on ``fit_id``.

    One that cannot be computed is left out, its reason kept in ``problems`` under
    ``frontier-<by>``; an empty one (no prices stored) is kept and says why itself.
    """
    out: dict[str, FrontierResult] = {}
    for by in FRONTIER_BY:
        try:
            out[by] = costs.frontier(store, by=by, fit_id=fit_id)
        except OpengapError as exc:
            problems[f"frontier-{by}"] = str(exc)
    return out


def frontier_dict(result: FrontierResult) -> dict[str, Any]:
    """Return ``result.to_dict()`` with its tables as lists of rows."""
    out = result.to_dict()
    for key in ("gap", "cheapest", "points"):
        out[key] = _rows(out[key])
    return out


def _fit(
    store: Store, fit_id: str | None, progress: Progress | None
) -> tuple[fitting.FitResult, bool]:
    if store.is_empty():
        catalog.init_store(store)
        if store.is_empty():
            raise BadConfiguration(
                "the store is empty and this installation ships no bundled snapshot; "
                "import data first (e.g. opengap import epoch-hub PATH)"
            )
    try:
        return fitting.load_fit(store, fit_id), False
    except NoFit:
        if fit_id is not None:
            raise

    def bootstrap_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("fit (bootstrap)", done, total)

    fit = fitting.run_fit(store, preset="default", bootstrap=REPORT_BOOTSTRAP,
                          progress=bootstrap_progress)  # fmt: skip
    return fit, True


# --------------------------------------------------------------------------- derived tables
def benchmark_table(fit: fitting.FitResult) -> pd.DataFrame:
    """Return the fit's benchmarks by difficulty, with the frontier models' expected scores.

    ``p_best_closed`` and ``p_best_open`` are σ(α (C − D)) for the best closed and the best open
    model of the fit (the fraction of the way from chance to ceiling each is expected to
    score); ``discriminates`` is true when the best closed model's expected score is between 0.1
    and 0.9, i.e. the benchmark still separates models at the frontier.
    """
    frame = fit.benchmarks.copy()
    best: dict[str, float] = {}
    models = fit.models
    raw = pd.to_numeric(models["capability_raw"], errors="coerce")
    for weights in ("closed", "open"):
        values = raw[models["weights"].astype(object) == weights].dropna()
        best[weights] = float(values.max()) if len(values) else math.nan
    slope = pd.to_numeric(frame["slope"], errors="coerce").to_numpy(dtype=float)
    difficulty = pd.to_numeric(frame["difficulty_raw"], errors="coerce").to_numpy(dtype=float)
    for weights in ("closed", "open"):
        frame[f"p_best_{weights}"] = 1.0 / (1.0 + np.exp(-slope * (best[weights] - difficulty)))
    p = frame["p_best_closed"].to_numpy(dtype=float)
    frame["discriminates"] = (p > 0.1) & (p < 0.9)
    keep = ["benchmark_id", "name", "domain", "difficulty", "slope", "n_observations",
            "p_best_closed", "p_best_open", "discriminates"]  # fmt: skip
    return frame[keep].sort_values("difficulty", na_position="last").reset_index(drop=True)


def provenance(data: ReportData) -> dict[str, Any]:
    """Return where the report's numbers come from and how to reproduce them."""
    fit = data.fit
    return {
        "fit_id": fit.fit_id,
        "preset": fit.preset,
        "scale": fit.scale,
        "config": resolved_config(fit),
        "config_origin": config_origins(fit),
        "fit_provenance": fit.provenance,
        "imports": _rows(data.imports),
        "counts": data.counts,
        "opengap_version": __version__,
        "generated_at": data.generated_at,
        "reproduce": reproduce_command(data.imports, fit),
    }


GAP_SHOWN = {"gap_method": "lag", "gap_by": "weights"}
"""How the report measures its headline gap (``collect`` calls ``gap`` with these)."""


def resolved_config(fit: fitting.FitResult) -> dict[str, Any]:
    """Return every parameter the fit used, the preset expanded and each choice made resolved.

    The stored configuration leaves some choices to fit time: no scale (the preset's default
    scale is used), no pin benchmark (the most observed one is pinned), no anchors (the scale's
    default anchors). Here those are what the fit actually used, read from the fit record
    (its scale, its pinned benchmark, its anchors); a preset without a gap method or grouping
    gets the report's (``lag`` by ``weights``).
    """
    config = fit.config.to_dict()
    config.pop("explicit", None)
    config["scale"] = fit.scale
    config["anchors"] = [[a.get("model_id"), a.get("value")] for a in fit.anchors]
    bench = fit.benchmarks
    if "is_pinned" in bench.columns:
        pinned = bench.loc[bench["is_pinned"].fillna(False).astype(bool), "benchmark_id"]
        if len(pinned):
            config["pin_benchmark"] = str(pinned.iloc[0])
    for key, value in GAP_SHOWN.items():
        if config.get(key) is None:
            config[key] = value
    return {key: _plain(value) for key, value in config.items()}


def config_origins(fit: fitting.FitResult) -> dict[str, str]:
    """Return, per parameter of :func:`resolved_config`, where its value came from.

    ``passed explicitly``, ``preset <name>`` (the preset's value, unchanged), or ``chosen by the
    fit`` / ``the report's`` for the choices :func:`resolved_config` resolved.
    """
    stored = fit.config.to_dict()
    resolved = resolved_config(fit)
    explicit = set(fit.config.explicit)
    out = {}
    for key, value in resolved.items():
        if key in explicit:
            out[key] = "passed explicitly"
        elif key in GAP_SHOWN and stored.get(key) is None:
            out[key] = "the report's"
        elif _plain(stored.get(key)) != value:
            out[key] = "chosen by the fit"
        else:
            out[key] = f"preset {fit.preset}"
    return out


def reproduce_command(imports: pd.DataFrame, fit: fitting.FitResult) -> str:
    """Return one shell line that rebuilds this report from the recorded sources.

    It imports every recorded source into a new store (the bundled snapshot with
    ``opengap init``), fits with the options the fit was made with, and writes the report. The
    fit id of the new report equals this one when the files are unchanged (same sha256).
    """
    steps = ["export OPENGAP_DB=opengap-reproduce.duckdb"]
    snapshot = str(catalog.SNAPSHOT_DIR.resolve())
    for row in _rows(imports):
        path = str(row.get("path") or "")
        if row.get("kind") == "csv" and _same_path(path, snapshot):
            steps.append("opengap init")
            continue
        step = f"opengap import {shlex.quote(str(row.get('kind')))} {shlex.quote(path)}"
        for option in str(row.get("options") or "").split(";"):
            if "=" in option:
                key, value = option.split("=", 1)
                step += f" --{key} {shlex.quote(value)}"
        steps.append(step)
    fit_step = f"opengap fit --preset {shlex.quote(fit.preset)}"
    config = fit.config.to_dict()
    for name in fit.config.explicit:
        if name in _FIT_OPTIONS and config.get(name) is not None:
            fit_step += f" {_FIT_OPTIONS[name]} {shlex.quote(str(config[name]))}"
        elif name == "anchors":
            for model, value in config.get("anchors") or []:
                fit_step += f" --anchor {shlex.quote(f'{model}={value:g}')}"
    steps += [fit_step, "opengap report -o report.html"]
    return " && ".join(steps)


def _same_path(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b)
    except OSError:
        return False


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
