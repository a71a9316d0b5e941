"""The harness step of :func:`~opengap.gap.sensitivity`: offsets per harness, gap restated."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from opengap.analysis.frontier import to_days
from opengap.analysis.harness import CATEGORIES, UNSPECIFIED, harness_categories
from opengap.analysis.harness_pairs import HarnessReport, harness_effect, harness_pairs, item_pairs
from opengap.analysis.intervals import Interval
from opengap.analysis.reports import LagReport
from opengap.errors import BadArgument, OpengapError
from opengap.gap.progress import Progress
from opengap.gap.refits import gap_of
from opengap.store import Store

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    from opengap import fitting


def harness_effect_fit(
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
        only = f" ({counts.index[0]})" if len(counts) else ""
        return {"skipped": f"every fitted score is in one harness category{only}: no offset "
                           "can be identified"}
    config = dataclasses.replace(fit.config, offsets="harness", cv_folds=0)
    try:
        refit = fitting.fit_observations(obs, config, models_meta=fit.models,
                                         benchmarks_meta=fit.benchmarks)
    except OpengapError as exc:
        return {"skipped": f"harness fit failed: {exc}"}
    offsets = pd.DataFrame(refit.offsets)
    if offsets.empty:
        why = "; ".join(n for n in refit.notes if "harness" in n) or "no offset is identified"
        return {"skipped": f"no harness offset is identified ({why})"}
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
    restated = gap_of(store, refit, day, fit, intervals=True)
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


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# Runs that are the best of several attempts measure retries, not the harness: left out.
MULTI_ATTEMPT = re.compile(r"attempts\s*(?:[2-9]|\d{2,})|best[- ]of|pass@(?:[2-9]|\d{2,})", re.I)


def _check_categories(base: str, alternative: str) -> None:
    """Refuse a harness category opengap does not form, or the same one on both sides."""
    allowed = (*CATEGORIES, UNSPECIFIED)
    for option, value in (("--base", base), ("--alternative", alternative)):
        if value not in allowed:
            raise BadArgument(f"{option} {value!r} is not a harness category; "
                              f"choose from {', '.join(allowed)}")  # fmt: skip
    if base == alternative:
        raise BadArgument(f"--base and --alternative are both {base!r}: compare two categories")


def harness_report(
    store: Store,
    *,
    benchmark: str | None = None,
    base: str = "simple-loop",
    alternative: str = "agent-harness",
    fit_id: str | None = None,
    restate: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
    progress: Progress | None = None,
) -> HarnessReport:
    """Measure the harness effect of ``alternative`` over ``base`` on paired runs.

    Pairs are (model, benchmark) with scores under both harness categories (single-attempt runs
    only); item-level pairs are tasks a model ran under both. With ``restate``, the stored fit
    (``fit_id``, default the latest; fitted with the default preset when the store has none) is
    refitted with one offset per harness category to restate the gap.

    Examples
    --------
    >>> with Store("h.duckdb") as store:  # doctest: +SKIP
    ...     report = harness_report(store, benchmark="SWE-bench Verified")
    >>> report.scores.overall.points  # doctest: +SKIP
    """
    _check_categories(base, alternative)
    bench_id = store.resolve_benchmark(benchmark) if benchmark else None
    where, params = ("WHERE s.benchmark_id = ?", [bench_id]) if bench_id else ("", [])
    scores = store.query(
        "SELECT s.model_id, s.benchmark_id, s.normalized AS value, s.harness, s.setting, "
        "s.n_items, m.weights, b.domain FROM scores s JOIN models m USING (model_id) "
        f"JOIN benchmarks b USING (benchmark_id) {where}",
        params,
    )
    multi = scores["setting"].astype(str).str.contains(MULTI_ATTEMPT)
    single = scores[~multi & scores["value"].notna()]
    fit = _latest_fit(store, fit_id) if (restate or fit_id) else None
    slopes = _slopes(fit)
    pairs = harness_pairs(single, base=base, alternative=alternative)
    effect = harness_effect(pairs, base=base, alternative=alternative, slopes=slopes,
                            n_boot=n_boot, seed=seed)  # fmt: skip
    if slopes:
        effect.notes.append("logits are capability logits (each benchmark's fitted slope)")
    else:
        effect.notes.append("logits are the benchmark's own logits (no fit: slope 1)")
    responses = store.query(
        "SELECT r.model_id, r.benchmark_id, r.item_id, r.harness, r.score, m.weights "
        f"FROM responses r JOIN models m USING (model_id) {where.replace('s.', 'r.')}",
        params,
    )
    ipairs = item_pairs(responses, base=base, alternative=alternative)
    if not ipairs.empty:
        weights = responses.drop_duplicates("model_id").set_index("model_id")["weights"]
        ipairs["weights"] = ipairs["model_id"].map(weights)
    items = harness_effect(ipairs, base=base, alternative=alternative, slopes=slopes,
                           n_boot=n_boot, seed=seed)  # fmt: skip
    if ipairs.empty:
        cats = set(harness_categories(responses["harness"])) if len(responses) else set()
        why = (f"item-level responses are all under {sorted(cats)}" if cats
               else "no item-level responses")  # fmt: skip
        items.overall.status = f"not identified: {why}"
    domains = scores.drop_duplicates("benchmark_id").set_index("benchmark_id")["domain"]
    by_domain = {}
    for domain, part in pairs.groupby(pairs["benchmark_id"].map(domains).fillna("other")):
        by_domain[str(domain)] = harness_effect(
            part, base=base, alternative=alternative, slopes=slopes, n_boot=n_boot, seed=seed
        ).overall
    restated: dict[str, Any] = {}
    if restate and fit is not None:
        from opengap.gap.measure import gap as measure_gap

        baseline = measure_gap(store, fit_id=fit.fit_id)
        if isinstance(baseline, LagReport):
            day = float(to_days([baseline.at])[0])
            restated = harness_effect_fit(store, fit, day, baseline, progress)
    data = {
        "benchmark": bench_id,
        "scores": len(scores),
        "multi_attempt_left_out": int(multi.sum()),
        "responses": len(responses),
        "fit_id": fit.fit_id if fit is not None else None,
        "points_per_logit": _points_per_logit(fit) if fit is not None and slopes else None,
        "imports": store.query("SELECT import_id, kind, sha256 FROM imports ORDER BY import_id")
        .to_dict(orient="records"),
    }
    return HarnessReport(effect, items, by_domain, restated, data)


def _latest_fit(store: Store, fit_id: str | None) -> fitting.FitResult | None:
    from opengap.gap.tables import load_or_fit

    return load_or_fit(store, fit_id=fit_id)


def _slopes(fit: fitting.FitResult | None) -> dict[str, float]:
    if fit is None or fit.benchmarks.empty or "slope" not in fit.benchmarks:
        return {}
    frame = fit.benchmarks
    return {
        str(b): float(s)
        for b, s in zip(frame["benchmark_id"], frame["slope"], strict=True)
        if _finite(s) and s > 0
    }
