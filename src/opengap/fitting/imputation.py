"""Partial benchmarks in the benchmark-level fit: imputed scores from a calibrated item fit.

Where a model has item responses on a benchmark that an item fit calibrated, but no score for
that benchmark (a partial run: a ``--limit`` Inspect log, a subset of SWE-bench tasks, the
items an adaptive evaluation chose), :func:`imputed_scores` predicts its full-benchmark score
from the items it answered — the posterior-mode ability on the calibrated items and the answered
items as scored plus P_i(θ) for the rest (:func:`opengap.fit.adaptive.predicted_score`), with its
90% interval and an SE of (high − low) / (2 · 1.645). CAISI extrapolates partial runs "via IRT"
the same way.

Opt-in (``opengap fit --impute-partial``): published presets fit published scores only. The
imputed rows enter the fit like any score (same filters, same best-score policy) and are
flagged: ``imputed`` is True in the fit's observations, every imputed value with its interval
and item count is listed in the record's provenance (``imputed_scores``), and a note names them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opengap.errors import BadConfiguration, NoFit
from opengap.fit.adaptive import Z90, map_ability, predicted_score
from opengap.fitting.result import FitResult
from opengap.store import Store
from opengap.store.item_fits import load_item_fit, responses_on_items

SOURCE = "opengap item-fit imputation"
COLUMNS = [
    "model_id", "benchmark_id", "value", "normalized", "n_items", "harness", "source",
    "import_id", "import_kind", "model_ref", "imputed_low", "imputed_high", "imputed_se",
    "n_answered", "n_calibrated", "item_fit_id",
]  # fmt: skip


def imputed_scores(
    store: Store, scores: pd.DataFrame, *, item_fit_id: str | None = None
) -> pd.DataFrame:
    """Return one imputed score per (model, benchmark, harness) with responses but no score.

    Parameters
    ----------
    store : Store
        Holds the item fit and the responses.
    scores : DataFrame
        The catalogue's scores (model_id, benchmark_id, …): a model with any score of a
        benchmark gets no imputed one for it.
    item_fit_id : str, optional
        The item fit whose item parameters predict the scores (default: the latest).

    Returns
    -------
    DataFrame
        Rows shaped like the catalogue's scores (:data:`COLUMNS`; value on the benchmark's own
        scale, ``source`` :data:`SOURCE`) plus the interval, the SE and the item counts.
    """
    try:
        record, _, items = load_item_fit(store, item_fit_id)
    except NoFit as exc:
        raise BadConfiguration(f"--impute-partial needs an item-level fit: {exc}") from None
    fit_id = str(record["fit_id"])
    answers = responses_on_items(store, fit_id)
    scored = set(zip(scores["model_id"].astype(str), scores["benchmark_id"].astype(str),
                     strict=True))  # fmt: skip
    rows: list[dict[str, Any]] = []
    for bench_id, calibrated in items.groupby("benchmark_id", sort=True):
        calibrated = calibrated.reset_index(drop=True)
        position = pd.Series(np.arange(len(calibrated)), index=calibrated["item_id"].astype(str))
        b, a, c = (calibrated[k].to_numpy(float) for k in ("difficulty", "discrimination",
                                                           "floor"))  # fmt: skip
        mine = answers[answers["benchmark_id"] == bench_id]
        for (model_id, harness), group in mine.groupby(["model_id", "harness"], sort=True,
                                                      dropna=False):
            if (str(model_id), str(bench_id)) in scored:
                continue
            idx = position.reindex(group["item_id"].astype(str)).to_numpy(np.intp)
            y = group["score"].to_numpy(float)
            theta, se = map_ability(b, a, c, idx, y)
            mid, low, high = predicted_score(b, a, c, theta, se, idx, y)
            rows.append(_row(str(model_id), str(bench_id), str(harness), group, mid, low, high,
                             len(calibrated), fit_id))  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(model_id: str, bench_id: str, harness: str, group: pd.DataFrame, mid: float,
         low: float, high: float, n_calibrated: int, fit_id: str) -> dict[str, Any]:  # fmt: skip
    first = group.iloc[0]
    ceiling = _number(first["ceiling"], 1.0)
    chance = _number(first["chance"], 0.0)
    fraction = first["is_fraction"] is not False
    scale = 1.0 if fraction else ceiling
    value = mid * scale
    span = ceiling - chance if not fraction else 1.0 - chance
    normalized = float(np.clip((value - chance) / span, 0.0, 1.0)) if span > 0 else None
    return {
        "model_id": model_id, "benchmark_id": bench_id, "value": value,
        "normalized": normalized, "n_items": len(group), "harness": harness or None,
        "source": SOURCE, "import_id": None, "import_kind": "imputed", "model_ref": None,
        "imputed_low": low * scale, "imputed_high": high * scale,
        "imputed_se": (high - low) * scale / (2.0 * Z90), "n_answered": len(group),
        "n_calibrated": n_calibrated, "item_fit_id": fit_id,
    }  # fmt: skip


def _number(value: object, default: float) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return out if np.isfinite(out) else default


def flag_observations(observations: pd.DataFrame, source_rows: pd.DataFrame,
                      imputed: pd.DataFrame) -> pd.Series:  # fmt: skip
    """Return, per fitted observation, whether its score is an imputed one.

    ``source_rows`` is the selection's observation table (unit, benchmark, harness and the
    model whose score was chosen, ``source_model_id``).
    """
    keys = set(zip(imputed["model_id"], imputed["benchmark_id"], strict=True))
    chosen = source_rows.assign(
        imputed=[(m, b) in keys for m, b in zip(source_rows["source_model_id"],
                                                 source_rows["benchmark_id"], strict=True)]
    )  # fmt: skip
    chosen["harness_key"] = chosen["harness"].fillna("\x00").astype(str)
    chosen = chosen.drop_duplicates(["model_id", "benchmark_id", "harness_key"])
    left = observations.assign(harness_key=observations["harness"].fillna("\x00").astype(str))
    merged = left[["model_id", "benchmark_id", "harness_key"]].merge(
        chosen[["model_id", "benchmark_id", "harness_key", "imputed"]],
        on=["model_id", "benchmark_id", "harness_key"], how="left",
    )  # fmt: skip
    return merged["imputed"].fillna(False).astype(bool).set_axis(observations.index)


IMPUTED_COLUMNS = [
    "model_id", "unit", "benchmark_id", "value", "low", "high", "se", "n_answered",
    "n_calibrated", "item_fit_id", "fit_id",
]  # fmt: skip


def list_imputed(
    store: Store, *, fit_id: str | None = None, model: str | None = None,
    benchmark: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Return the imputed scores a benchmark-level fit used (default: the latest fit).

    One row per imputed score (:data:`IMPUTED_COLUMNS`): the model and the unit it was fitted
    as, the benchmark, the value with its 90% interval and SE, the items answered of those
    calibrated, the item fit that imputed it, and the fit. Empty for a fit made without
    ``--impute-partial``.
    """
    from opengap.fitting.storage import load_fit

    fit = load_fit(store, fit_id)
    frame = pd.DataFrame(fit.provenance.get("imputed_scores") or [],
                         columns=IMPUTED_COLUMNS[:-1])  # fmt: skip
    frame["fit_id"] = fit.fit_id
    if model is not None:
        frame = frame[frame["model_id"] == store.resolve_model(model)]
    if benchmark is not None:
        frame = frame[frame["benchmark_id"] == store.resolve_benchmark(benchmark)]
    return frame.reset_index(drop=True)[IMPUTED_COLUMNS]


def mark_imputed(result: FitResult, chosen: pd.DataFrame, imputed: pd.DataFrame) -> None:
    """Flag the fit's imputed observations, list them in its provenance, and note them."""
    flags = flag_observations(result.observations, chosen, imputed)
    result.observations["imputed"] = flags
    used = result.observations.loc[flags, ["model_id", "benchmark_id", "harness"]]
    keys = set(zip(chosen["model_id"], chosen["benchmark_id"], chosen["source_model_id"],
                   strict=True))  # fmt: skip
    sources = {(u, b): m for u, b, m in keys}
    listed = []
    for unit, bench in zip(used["model_id"], used["benchmark_id"], strict=True):
        row = imputed[(imputed["model_id"] == sources.get((unit, bench), unit))
                      & (imputed["benchmark_id"] == bench)]  # fmt: skip
        if row.empty:
            continue
        r = row.sort_values("value", ascending=False).iloc[0]
        listed.append({
            "model_id": str(r["model_id"]), "unit": str(unit), "benchmark_id": str(bench),
            "value": float(r["value"]), "low": float(r["imputed_low"]),
            "high": float(r["imputed_high"]), "se": float(r["imputed_se"]),
            "n_answered": int(r["n_answered"]), "n_calibrated": int(r["n_calibrated"]),
            "item_fit_id": str(r["item_fit_id"]),
        })  # fmt: skip
    result.provenance["imputed_scores"] = listed
    result.provenance["impute_partial"] = True
    if listed:
        shown = ", ".join(f"{d['unit']} on {d['benchmark_id']}" for d in listed[:5])
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        result.notes.append(
            f"{len(listed)} score(s) imputed from item fit {listed[0]['item_fit_id']} "
            f"(partial runs predicted through the item model): {shown}{more}"
        )
    else:
        result.notes.append("--impute-partial: no model had item responses without a score")
