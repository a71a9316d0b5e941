"""Which scores a fit uses: the presets' data selection, on DataFrames (no database access).

Input frames (as :mod:`opengap.store.fits` reads them):

* ``scores``: model_id, benchmark_id, value, normalized, n_items, harness, source, import_id,
  import_kind, and optionally model_ref (the model's name as the source published it);
* ``models``: model_id, name, release_date, weights, organization, country, params_total_b,
  license_class, version_of;
* ``benchmarks``: benchmark_id, name, domain, chance, ceiling, is_fraction, n_items, and
  optionally composite (an index over other benchmarks: left out unless named in
  ``config.benchmarks``, so a fit never counts the same evidence twice).

The output is one observation per (unit, benchmark) — or per (unit, benchmark, harness) when
harness offsets are fitted — where a unit is a model, or a model group when versions are grouped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from opengap.fit.config import STITCHING_EXTERNAL, STITCHING_RUN_TASKS, FitConfig

CLIP = (0.001, 0.999)
UNIT_COLUMNS = [
    "model_id", "name", "release_date", "weights", "organization", "country",
    "params_total_b", "license_class",
]  # fmt: skip
OBS_COLUMNS = ["model_id", "benchmark_id", "score", "n_items", "harness"]
# External hub files whose Epoch loader does not read the Source column (so rows without one stay).
_NO_SOURCE_COLUMN = ("balrog",)


@dataclass
class Selection:
    """The observations a fit uses, the metadata of its units, and what the filters did."""

    observations: pd.DataFrame
    units: pd.DataFrame
    model_to_unit: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    import_ids: list[int] = field(default_factory=list)


def select(
    scores: pd.DataFrame, models: pd.DataFrame, benchmarks: pd.DataFrame, config: FitConfig
) -> Selection:
    """Return the observations ``config`` selects from a catalogue's scores.

    Parameters
    ----------
    scores, models, benchmarks : DataFrame
        The catalogue tables (columns in the module docstring).
    config : FitConfig
        The resolved configuration.

    Returns
    -------
    Selection
    """
    counts: dict[str, int] = {"scores": len(scores)}
    scores = _without_composites(scores, benchmarks, config, counts)
    frame = scores.merge(
        benchmarks[["benchmark_id", "chance", "ceiling", "is_fraction"]],
        on="benchmark_id",
        how="left",
    )
    bench_items = benchmarks.set_index("benchmark_id")["n_items"]
    items = frame["n_items"].astype("Float64")
    frame["n_items"] = items.fillna(frame["benchmark_id"].map(bench_items).astype("Float64"))
    if config.selection == "epoch-stitching":
        frame, notes = _stitching_rows(frame, config, counts)
    else:
        frame, notes = _catalogue_rows(frame, config, counts)
    frame = frame.loc[frame["score"].notna()].copy()
    frame["score"] = _clip_outside(frame["score"].to_numpy(dtype=np.float64))
    meta = models.set_index("model_id")
    if config.group_versions and "version_of" in models.columns:
        group = meta["version_of"].where(meta["version_of"].notna(), meta.index.to_series())
        frame["unit"] = frame["model_id"].map(group).fillna(frame["model_id"])
        if config.release_dated_groups:
            frame["unit"] = release_dated_units(frame["unit"], frame["model_id"], meta)
    else:
        frame["unit"] = frame["model_id"]
    if config.selection == "epoch-stitching":
        frame = _stitching_filters(frame, meta, config, counts)
        frame["unit"] = _version_units(frame)
    keys = ["unit", "benchmark_id"] + (["harness_key"] if config.offsets == "harness" else [])
    frame["harness_key"] = frame["harness"].fillna("unknown").astype(str)
    if config.prefer_sources:  # an evaluator's own runs win over others' of the same cell
        frame["preferred"] = _preferred(frame, config.prefer_sources)
        order = frame.sort_values(["preferred", "score"], ascending=False, kind="stable")
        best = order.drop_duplicates(keys).drop(columns="preferred")
    else:
        best = frame.sort_values("score", ascending=False, kind="stable").drop_duplicates(keys)
    counts["merged"] = len(best)
    if config.selection != "epoch-stitching":
        best = _catalogue_filters(best, meta, config, counts)
    best = best.sort_values(["unit", "benchmark_id", "harness_key"], kind="stable")
    units = _unit_table(best, meta)
    if config.group_versions and config.release_dated_groups:
        units["name"] = [_dated_name(u, n) for u, n in zip(units["model_id"], units["name"],
                                                               strict=True)]  # fmt: skip
    obs = pd.DataFrame(
        {
            "model_id": best["unit"].astype(str).to_numpy(),
            "benchmark_id": best["benchmark_id"].astype(str).to_numpy(),
            "score": best["score"].to_numpy(dtype=np.float64),
            "n_items": pd.to_numeric(best["n_items"], errors="coerce").to_numpy(dtype=np.float64),
            "harness": [None if _missing(h) else str(h) for h in best["harness"]],
            "source_model_id": best["model_id"].astype(str).to_numpy(),
        }
    )
    counts["observations"] = len(obs)
    counts["models"] = int(obs["model_id"].nunique())
    counts["benchmarks"] = int(obs["benchmark_id"].nunique())
    used = frame.loc[frame["unit"].isin(units["model_id"])]
    mapping = dict(zip(used["model_id"].astype(str), used["unit"].astype(str), strict=True))
    import_ids = sorted(int(i) for i in best["import_id"].dropna().unique())
    return Selection(obs, units, mapping, counts, notes, import_ids)


def _without_composites(
    scores: pd.DataFrame, benchmarks: pd.DataFrame, config: FitConfig, counts: dict[str, int]
) -> pd.DataFrame:
    """Drop the scores of composite benchmarks unless ``config.benchmarks`` names them."""
    if "composite" not in benchmarks.columns:
        return scores
    flagged = benchmarks["composite"].astype(object).map(lambda v: not _missing(v) and bool(v))
    composite = set(benchmarks.loc[flagged, "benchmark_id"]) - set(config.benchmarks or ())
    if not composite:
        return scores
    keep = ~scores["benchmark_id"].isin(composite)
    counts["composite_excluded"] = int((~keep).sum())
    return scores.loc[keep]


def _preferred(frame: pd.DataFrame, sources: tuple[str, ...]) -> pd.Series:
    """True where a score's source contains one of ``sources`` (ignoring case)."""
    text = frame["source"].astype(object).where(frame["source"].notna(), "").astype(str)
    lowered = text.str.lower()
    out = pd.Series(False, index=frame.index)
    for wanted in sources:
        out |= lowered.str.contains(wanted.lower(), regex=False)
    return out


def release_dated_units(unit: pd.Series, model_id: pd.Series, meta: pd.DataFrame) -> pd.Series:
    """Split each group by release date, as Epoch's release-dated model aggregations do.

    Versions of one group released the same day (effort levels, providers) stay one unit; a
    group's versions of a later date become the unit ``group@YYYY-MM-DD`` (the earliest date keeps
    the group id). Versions without a date stay in the group.
    """
    released = pd.to_datetime(model_id.map(meta["release_date"]), errors="coerce")
    first = released.groupby(unit).transform("min")
    later = released.notna() & (released > first)
    suffix = released.dt.strftime("@%Y-%m-%d")
    out: pd.Series = unit.where(~later, unit.astype(str) + suffix)
    return out


def _dated_name(unit: str, name: Any) -> Any:
    """``DeepSeek-R1 (May 2025)`` for the unit ``deepseek-r1@2025-05-28``."""
    if "@" not in unit or not isinstance(name, str):
        return name
    try:
        day = date.fromisoformat(unit.rsplit("@", 1)[1])
    except ValueError:
        return name
    if str(day.year) in name:  # the version's own name says when already
        return name
    return f"{name} ({day.strftime('%b %Y')})"


def _clip_outside(score: np.ndarray) -> np.ndarray:
    """Clip scores to [0.001, 0.999] only where they lie outside [0, 1]."""
    out = score.copy()
    out[score < 0.0] = CLIP[0]
    out[score > 1.0] = CLIP[1]
    return out


def _stitching_rows(
    frame: pd.DataFrame, config: FitConfig, counts: dict[str, int]
) -> tuple[pd.DataFrame, list[str]]:
    """Rows of the Rosetta-Stone data set: hub scores of its benchmarks, value/ceiling scores."""
    frame = frame.loc[frame["import_kind"] == "epoch-hub"]
    counts["epoch_hub_scores"] = len(frame)
    wanted = set(STITCHING_RUN_TASKS) | set(STITCHING_EXTERNAL)
    wanted = _restrict(wanted, config)
    frame = frame.loc[frame["benchmark_id"].isin(wanted)]
    counts["stitching_benchmarks"] = len(frame)
    external = ~frame["benchmark_id"].isin(STITCHING_RUN_TASKS)
    no_source = frame["source"].isna() | (frame["source"].astype(str).str.strip() == "")
    drop = external & no_source & ~frame["benchmark_id"].isin(_NO_SOURCE_COLUMN)
    frame = frame.loc[~drop].copy()
    counts["with_source"] = len(frame)
    frame["score"] = _scaled_value(frame)
    return frame, []


def _catalogue_rows(
    frame: pd.DataFrame, config: FitConfig, counts: dict[str, int]
) -> tuple[pd.DataFrame, list[str]]:
    """Every score of a benchmark that is not excluded, normalised by chance and ceiling."""
    wanted = set(frame["benchmark_id"].unique()) - set(config.exclude_benchmarks)
    wanted = _restrict(wanted, config)
    frame = frame.loc[frame["benchmark_id"].isin(wanted)].copy()
    frame["score"] = frame["normalized"] if config.normalize else _scaled_value(frame)
    counts["usable"] = int(frame["score"].notna().sum())
    return frame, []


def _restrict(wanted: set[str], config: FitConfig) -> set[str]:
    if config.benchmarks is not None:
        wanted &= set(config.benchmarks)
    return wanted - set(config.exclude_benchmarks)


def _scaled_value(frame: pd.DataFrame) -> pd.Series:
    """Return value/ceiling for non-fraction benchmarks with a ceiling, else value (no chance)."""
    value = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    ceiling = pd.to_numeric(frame["ceiling"], errors="coerce").astype(float)
    fraction = frame["is_fraction"].astype(object).map(lambda v: v is not False)
    scaled = value / ceiling.where(ceiling > 0)
    out = value.where(fraction | ceiling.isna(), scaled)
    out = out.where(fraction | ceiling.notna())  # a non-fraction without a ceiling is unusable
    return out


def _stitching_filters(
    frame: pd.DataFrame, meta: pd.DataFrame, config: FitConfig, counts: dict[str, int]
) -> pd.DataFrame:
    """More than 3 distinct benchmarks (counted before the date filter), then the date filter.

    Versions are told apart by their name as published (``model_ref``) where the scores carry
    it, as Epoch's loader does: it compares version ids exactly, case included.
    """
    frame = frame.copy()
    if "model_ref" in frame.columns:
        frame["version"] = frame["model_ref"].where(frame["model_ref"].notna(), frame["unit"])
    else:
        frame["version"] = frame["unit"]
    per_model = frame.groupby("version")["benchmark_id"].nunique()
    keep = per_model.index[per_model >= config.min_benchmarks]
    frame = frame.loc[frame["version"].isin(keep)]
    counts["enough_benchmarks"] = len(frame)
    if config.start_date is not None:
        released = pd.to_datetime(frame["unit"].map(meta["release_date"]), errors="coerce")
        frame = frame.loc[released >= pd.Timestamp(config.start_date)]
        counts["released_after_start"] = len(frame)
    return frame


def _version_units(frame: pd.DataFrame) -> pd.Series:
    """Unit per row: the model id, or the published name where two names of one id survive."""
    pairs = frame[["unit", "version"]].drop_duplicates()
    first = pairs.groupby("unit")["version"].first()
    clash = frame["version"] != frame["unit"].map(first)
    return frame["unit"].where(~clash, frame["version"].astype(str))


def _catalogue_filters(
    best: pd.DataFrame, meta: pd.DataFrame, config: FitConfig, counts: dict[str, int]
) -> pd.DataFrame:
    """Date filter, then models with enough benchmarks and benchmarks with enough models."""
    if config.start_date is not None:
        released = pd.to_datetime(_unit_dates(best, meta), errors="coerce")
        best = best.loc[best["unit"].map(released) >= pd.Timestamp(config.start_date)]
        counts["released_after_start"] = len(best)
    while True:
        size = len(best)
        per_unit = best.groupby("unit")["benchmark_id"].nunique()
        best = best.loc[best["unit"].map(per_unit) >= config.min_benchmarks]
        if config.min_models > 1:
            per_bench = best.groupby("benchmark_id")["unit"].nunique()
            best = best.loc[best["benchmark_id"].map(per_bench) >= config.min_models]
        if len(best) == size or config.min_models <= 1:
            break
    counts["enough_benchmarks"] = len(best)
    return best


def _unit_dates(best: pd.DataFrame, meta: pd.DataFrame) -> pd.Series:
    """A unit's release date: the latest date among the versions whose scores it uses."""
    dates = pd.to_datetime(best["model_id"].map(meta["release_date"]), errors="coerce")
    return dates.groupby(best["unit"]).max()


def _unit_table(best: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Metadata per unit: a model's own row, or for a group a summary of its versions."""
    dates = _unit_dates(best, meta)
    members = best[["unit", "model_id"]].drop_duplicates()
    members = members.loc[members["model_id"].isin(meta.index)]
    per_unit: dict[str, list[str]] = {}
    for unit, model_id in zip(members["unit"].astype(str), members["model_id"], strict=True):
        per_unit.setdefault(unit, []).append(model_id)
    # Plain Python over the few rows involved: refits call this dozens of times per analysis.
    facts = meta.reindex(pd.unique(members["model_id"]))
    columns = [c for c in UNIT_COLUMNS[1:] if c in facts.columns]
    records = {
        model_id: {c: _plain(v) for c, v in zip(columns, values, strict=True)}
        for model_id, values in zip(
            facts.index, facts[columns].astype(object).itertuples(index=False), strict=True
        )
    }
    own_names = meta["name"].to_dict() if "name" in meta.columns else {}
    rows = []
    for unit in sorted(best["unit"].astype(str).unique()):
        listed = per_unit.get(unit, [])
        row: dict[str, Any] = dict.fromkeys(UNIT_COLUMNS) | {"model_id": unit}
        if listed == [unit]:  # a model that is its own unit keeps its catalogue row
            row.update(records[unit])
        else:  # a group of versions keeps each fact its versions agree on
            versions = [records[m] for m in listed]
            names = [v["name"] for v in versions if isinstance(v.get("name"), str)]
            row["name"] = _group_name(unit, own_names.get(unit), names)
            for col in columns[1:]:
                row[col] = agreed([v[col] for v in versions])
        released = dates.get(unit)
        row["release_date"] = None if pd.isna(released) else pd.Timestamp(released).date()
        rows.append(row)
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def _group_name(unit: str, own_name: Any, names: list[str]) -> str:
    if isinstance(own_name, str):
        return own_name
    if names:
        prefix = _common_prefix(names)
        if prefix.count("(") > prefix.count(")"):  # "GPT-4o (2024-05-13)", "GPT-4o (2024-08-06)"
            prefix = prefix[: prefix.rindex("(")]
        prefix = prefix.rstrip(" (-_[:/")
        if len(prefix) >= 3:
            return prefix
    return unit


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def agreed(values: list[Any]) -> Any:
    """Return the value all versions share, else None (unknown, never guessed)."""
    present = [v for v in values if not _missing(v)]
    distinct = {str(v) for v in present}
    return _plain(present[0]) if len(distinct) == 1 else None


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _plain(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):
        return value
    return value
