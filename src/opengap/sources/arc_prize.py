"""Importer for the ARC Prize leaderboard data (kind ``arc-prize``).

Reads a folder with ``models.json`` and ``evaluations.json`` (both required) and, where present,
``providers.json`` (provider display names) and ``datasets.json``, as arcprize.org serves them.

* **Benchmarks.** ARC-AGI-1, -2 and -3 are the benchmarks ``arc-agi-1``/``-2``/``-3``; the
  evaluation set is the score's ``setting`` (:data:`DATASETS`). The headline of each is the
  **semi-private set**: the set ARC Prize's leaderboard shows under the plain name ("ARC-AGI-2"
  is ``v2_Semi_Private`` in ``datasets.json``) and on which it verifies every model it lists.
  The public evaluation set, the private set and ARC-AGI-3's public demo are benchmarks of their
  own (``arc-agi-2-public-eval``, ``arc-agi-2-private``, ``arc-agi-3-public-demo`` …): as settings
  of one benchmark, the fit's best-score policy took the easier public set's score for 182 of 269
  entries. The public sets are left out of catalogue-wide fits (``CATALOGUE_EXCLUDED``), as the
  public splits of FrontierMath are.
* **Scores.** A fraction in [0, 1], harness ``arc-prize``, source "ARC Prize", source URL the
  entry's results page or the leaderboard. ``costPerTask`` (USD) goes to the score's
  ``cost_per_task_usd``; ARC-AGI-3 entries give ``cost`` instead (not stated as per task), kept
  in ``value_text``.
* **Models.** One per ARC entry (effort variants are separate entries with their own scores),
  id :func:`opengap.names.make_id` of ARC's id, grouped by ``version_of`` under the display
  name without its parenthesis (``o3 (High)`` -> ``o3``) for plain model runs (``CoT`` and
  ``Base LLM``); systems built on models (refinement loops, Kaggle entries, bespoke models)
  stay ungrouped. Release date, organisation (the provider), reasoning (``CoT`` -> yes,
  ``Base LLM`` -> no), ARC's notes. Weights are not stated.

Human baselines (provider ``Human``) are not models: they and their scores are rejected with
that reason, as is an evaluation of an unknown set or model, or a second, different value for
one (model, set); an exact repeat of an entry is read once. A file that is not this format, or
a score that is not a number in [0, 1], is a :class:`MalformedFile` naming the file and entry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.common import json_number, parse_date, read_json
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "arc-prize"
REQUIRED = ("models.json", "evaluations.json")
OPTIONAL = ("providers.json", "datasets.json")
SOURCE = "ARC Prize"
HARNESS = "arc-prize"
LEADERBOARD = "https://arcprize.org/leaderboard"
HEADLINE = "semi-private set"

#: ARC's dataset id -> (benchmark id, setting).
DATASETS: dict[str, tuple[str, str]] = {
    "v1_Semi_Private": ("arc-agi-1", HEADLINE),
    "v1_Public_Eval": ("arc-agi-1-public-eval", "public evaluation set"),
    "v1_Private_Eval": ("arc-agi-1-private", "private set"),
    "v2_Semi_Private": ("arc-agi-2", HEADLINE),
    "v2_Public_Eval": ("arc-agi-2-public-eval", "public evaluation set"),
    "v2_Private_Eval": ("arc-agi-2-private", "private set"),
    "v3_Semi_Private": ("arc-agi-3", HEADLINE),
    "v3_Public_Demo": ("arc-agi-3-public-demo", "public demo set"),
}
_SET_NAMES = {"public-eval": "public evaluation set", "private": "private set",
              "public-demo": "public demo set"}  # fmt: skip
BENCHMARKS = [
    BenchmarkRecord(
        benchmark_id=bench_id,
        name=(f"ARC-AGI-{bench_id[8]}" if bench_id.count("-") == 2
              else f"ARC-AGI-{bench_id[8]} ({_SET_NAMES[bench_id[10:]]})"),
        domain="reasoning", chance=0.0, ceiling=1.0, is_fraction=True,
        url=f"https://arcprize.org/arc-agi/{bench_id[8]}/",
        aliases=[f"ARC-AGI {bench_id[8]}"] if bench_id.count("-") == 2 else [],
        public=None if bench_id.count("-") == 2 else not bench_id.endswith("-private"),
    )
    for bench_id in dict.fromkeys(b for b, _ in DATASETS.values())
]  # fmt: skip
_REASONING = {"CoT": True, "Base LLM": False}
_HUMAN = "Human"
_PAREN = re.compile(r"\s*\([^()]*\)")
_FOOTNOTES = " *¹²³⁴†‡"  # marks after some display names ("o3 (Preview, High)*")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read the ARC Prize leaderboard folder.

    Parameters
    ----------
    path : Path
        The folder holding ``models.json`` and ``evaluations.json``.
    model, benchmark : str, optional
        Not used.

    Returns
    -------
    ImportBatch
        Models, the three ARC-AGI benchmarks and one score per (model, evaluation set).

    Raises
    ------
    MalformedFile
        A required file missing, a file that is not this format, or a score that is not a
        number in [0, 1].

    Examples
    --------
    >>> batch = read(Path("../shared/data/arc-prize-leaderboard"))  # doctest: +SKIP
    >>> len(batch.models), len(batch.scores)  # doctest: +SKIP
    (178, 582)
    """
    del model, benchmark
    if not path.is_dir():
        raise MalformedFile(f"{path}: expected the ARC Prize folder ({', '.join(REQUIRED)})")
    for name in REQUIRED:
        if not (path / name).is_file():
            raise MalformedFile(f"{path}: missing {name}")
    models = _objects(path / "models.json", ("id",))
    evaluations = _objects(path / "evaluations.json", ("datasetId", "modelId", "score"))
    providers = _names(path / "providers.json")
    batch = ImportBatch(
        kind=KIND, path=str(path), sha256=sha256_of(path),
        rows_read=len(models) + len(evaluations), benchmarks=[*BENCHMARKS],
    )  # fmt: skip
    ids = _models(batch, models, providers)
    _scores(batch, evaluations, ids)
    return batch


def _objects(file: Path, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return a JSON list of objects each holding ``keys``, or raise naming file and entry."""
    data = read_json(file)
    if not isinstance(data, list):
        raise MalformedFile(f"{file}: not an ARC Prize list of entries")
    for i, entry in enumerate(data, 1):
        if not isinstance(entry, dict):
            raise MalformedFile(f"{file}: entry {i}: not an object but {type(entry).__name__}")
        missing = [k for k in keys if k not in entry]
        if missing:
            raise MalformedFile(f"{file}: entry {i}: missing {', '.join(missing)}")
    return data


def _names(file: Path) -> dict[str, str]:
    """Return provider id -> display name from ``providers.json``, empty where it is absent."""
    if not file.is_file():
        return {}
    return {str(p["id"]): str(p.get("displayName") or p["id"]) for p in _objects(file, ("id",))}


def _models(
    batch: ImportBatch, entries: list[dict[str, Any]], providers: dict[str, str]
) -> dict[str, str | None]:
    """Add a model per entry; return ARC id -> model id (None for a rejected entry)."""
    ids_of_name: dict[str, set[str]] = {}
    for entry in entries:
        ids_of_name.setdefault(str(entry.get("displayName") or ""), set()).add(str(entry["id"]))
    ids: dict[str, str | None] = {}
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, entry in enumerate(entries, 1):
        arc_id = str(entry["id"]).strip()
        where = f"models.json entry {i} ({arc_id})"
        if not arc_id:
            batch.reject(where, "empty id")
            continue
        if arc_id in first:  # a repeated entry: the first is kept
            if first[arc_id][1] != entry:
                batch.reject(
                    where,
                    f"repeats the id of entry {first[arc_id][0]} with other "
                    "facts; the first is kept",
                )
            continue
        first[arc_id] = (i, entry)
        if entry.get("providerId") == _HUMAN:
            ids[arc_id] = None
            batch.reject(where, "a human baseline, not a model")
            continue
        try:
            name = str(entry.get("displayName") or "")
            record = _model(entry, providers, unique_name=len(ids_of_name[name]) == 1)
        except ValueError as exc:
            ids[arc_id] = None
            batch.reject(where, str(exc))
            continue
        ids[arc_id] = record.model_id
        batch.models.append(record)
    return ids


def _model(entry: dict[str, Any], providers: dict[str, str], *, unique_name: bool) -> ModelRecord:
    """Return the model of an entry; ValueError for an unparseable release date."""
    arc_id = str(entry["id"]).strip()
    model_id = make_id(arc_id.replace("_", "-"))
    name = str(entry.get("displayName") or arc_id).strip()
    released = entry.get("modelReleaseDate")
    model_type = entry.get("modelType") or None
    provider = entry.get("providerId")
    base = make_id(_PAREN.sub("", name).rstrip(_FOOTNOTES))
    grouped = model_type in _REASONING and base and base != model_id
    notes = [f"ARC Prize model type: {model_type}"] if model_type else []
    if isinstance(entry.get("notes"), str) and entry["notes"].strip():
        notes.append(entry["notes"].strip())
    return ModelRecord(
        model_id=model_id,
        name=name,
        organization=providers.get(str(provider), str(provider)) if provider else None,
        release_date=parse_date(released) if isinstance(released, str) else None,
        reasoning=_REASONING.get(str(model_type)),
        version_of=base if grouped else None,
        notes="; ".join(notes) or None,
        aliases=[arc_id, *([name] if unique_name else [])],
    )


def _scores(batch: ImportBatch, entries: list[dict[str, Any]], ids: dict[str, str | None]) -> None:
    seen: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for i, entry in enumerate(entries, 1):
        arc_id, dataset = str(entry["modelId"]), str(entry["datasetId"])
        where = f"evaluations.json entry {i} ({arc_id}, {dataset})"
        value = _score(entry, where)
        cost = _cost(entry, "costPerTask", where)
        total = _cost(entry, "cost", where)
        if dataset not in DATASETS:
            batch.reject(where, f"unknown evaluation set {dataset!r}")
            continue
        if arc_id not in ids:
            batch.reject(where, f"unknown model {arc_id!r} (not in models.json)")
            continue
        model_id = ids[arc_id]
        if model_id is None:
            batch.reject(where, f"{arc_id!r} is not an imported model (see models.json)")
            continue
        earlier = seen.get((arc_id, dataset))
        if earlier is not None:
            if earlier[1] != entry:
                batch.reject(where, f"a second, different entry for this set (entry {earlier[0]})")
            continue
        seen[(arc_id, dataset)] = (i, entry)
        bench_id, setting = DATASETS[dataset]
        url = entry.get("resultsUrl")
        text = f"{entry['score']}" + ("" if total is None else f" (cost {total:g} USD)")
        batch.scores.append(
            ScoreRecord(
                model=model_id, benchmark=bench_id, value=value, value_text=text,
                harness=HARNESS, setting=setting, source=SOURCE,
                source_url=url if isinstance(url, str) and url.strip() else LEADERBOARD,
                source_ref=f"{arc_id}:{dataset}", row=where, model_ref=arc_id,
                cost_per_task_usd=cost,
            )
        )  # fmt: skip


def _score(entry: dict[str, Any], where: str) -> float:
    try:
        value = json_number(entry["score"])
    except ValueError as exc:
        raise MalformedFile(f"{where}: score {exc}") from None
    if value is None or not 0.0 <= value <= 1.0:
        raise MalformedFile(f"{where}: score {entry['score']!r} is not a fraction in [0, 1]")
    return value


def _cost(entry: dict[str, Any], key: str, where: str) -> float | None:
    try:
        value = json_number(entry.get(key))
    except ValueError as exc:
        raise MalformedFile(f"{where}: {key} {exc}") from None
    if value is not None and value < 0:
        raise MalformedFile(f"{where}: {key} is negative ({value:g})")
    return value
