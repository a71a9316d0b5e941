"""Importer for the Artificial Analysis LLM leaderboard payload (kind ``artificial-analysis``).

Reads ``llms.json`` (``{meta, models[]}``, as the leaderboard page serves it), or a folder of
dated snapshots (``<date>/llms.json``), imported oldest first into one batch: a later snapshot
updates what changed (values, prices, facts it states) and keeps what it does not mention (a
model it dropped, an evaluation it left null). A snapshot's date is ``meta.fetched_at``, else
the name of its folder.

* **Models.** One per entry. Artificial Analysis lists reasoning and effort variants as separate
  entries with their own scores (``GPT-5.1 (high)``, ``Claude Opus 4.5 (Non-reasoning)``), so
  each is its own model, id :func:`model_id` (``gpt-5.1-high``), grouped by ``version_of`` under
  the name without the parenthesis (``gpt-5.1``). Facts: release date, creator (organisation)
  and country (ISO code -> name, :data:`COUNTRIES`), reasoning flag, total/active parameters
  (billions), weights (``open_weights.is_open_weights``), licence and its class
  (:data:`LICENSE_CLASSES`; a closed model is ``closed``). Aliases: AA's slug and name.
* **Scores.** Each evaluation in :data:`EVALUATIONS`, harness ``artificial-analysis`` (AA runs
  every model under its own harness), source "Artificial Analysis", source URL the model's AA
  page, ``eval_date`` the snapshot date. Keys that are the conventional benchmarks map to their
  ids (``gpqa`` -> ``gpqa-diamond``); AA's indices (Intelligence, Coding, Agentic) and the
  second and third metrics of AA-Omniscience are ``composite`` benchmarks, which fits leave out
  by default. An estimated Intelligence Index says so in ``value_text``.
* **Prices.** USD per 1M input / output / blended (3:1) tokens as of the snapshot date, where
  the snapshot gives any of them. All zero with no ``price_class`` is how AA lists a model it
  does not price (21 entries of the 2026-07-10 snapshot, none with a benchmark cost): no price.

An entry without a name or with an unparseable release date is rejected with the reason. A file
that is not this payload, an entry that is not an object, or a value that is not a number or
lies outside its range is a :class:`MalformedFile` naming the file and the entry.

``opengap import`` streams the payload (:func:`read_parts`: one entry at a time, parts of
:data:`PART_ROWS`, all in one transaction), so memory stays bounded whatever the file's size;
:func:`read` reads it whole. Both give the same models, scores, prices, rejections and errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.checks import check_input_path
from opengap.sources.common import json_number, parse_date, read_json
from opengap.sources.json_stream import (
    VALUE,
    Unstreamable,
    changed,
    items,
    scan,
    stamp,
    type_name,
)
from opengap.sources.known_benchmarks import canonical_benchmark
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    PriceRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "artificial-analysis"
FILE_NAME = "llms.json"
SOURCE = "Artificial Analysis"
HARNESS = "artificial-analysis"
MODEL_PAGE = "https://artificialanalysis.ai/models/{slug}"
#: Scores and prices per part when the payload is streamed (:func:`read_parts`).
PART_ROWS = 5_000  # a score is about 1 kB in Python: a part stays about 5 MB


@dataclass(frozen=True)
class Evaluation:
    """How one key of ``evaluations`` becomes a score: benchmark id and value range."""

    benchmark_id: str
    low: float = 0.0
    high: float = 1.0


#: ``evaluations`` key -> benchmark. Fractions unless a range is given.
EVALUATIONS: dict[str, Evaluation] = {
    "gpqa": Evaluation("gpqa-diamond"),
    "hle": Evaluation("hle"),
    "scicode": Evaluation("scicode"),
    "aa_lcr": Evaluation("aa-lcr"),
    "ifbench": Evaluation("ifbench"),
    "critpt": Evaluation("critpt"),
    "mmmu_pro": Evaluation("mmmu-pro"),
    "tau2_bench": Evaluation("tau2-bench-telecom"),
    "terminal_bench_hard": Evaluation("terminal-bench-hard"),
    "aa_omniscience_accuracy": Evaluation("aa-omniscience"),
    "apex_agents": Evaluation("apex-agents"),
    "gdpval_aa_normalized": Evaluation("gdpval-aa"),
    "aa_omniscience": Evaluation("aa-omniscience-index", -100.0, 100.0),
    "aa_omniscience_non_hallucination": Evaluation("aa-omniscience-non-hallucination"),
    "artificial_analysis_intelligence_index": Evaluation("aa-intelligence-index", 0.0, 100.0),
    "artificial_analysis_coding_index": Evaluation("aa-coding-index", 0.0, 100.0),
    "artificial_analysis_agentic_index": Evaluation("aa-agentic-index", 0.0, 100.0),
}
_ESTIMATED = "artificial_analysis_intelligence_index_is_estimated"
_BIT = {spec.benchmark_id: 1 << k for k, spec in enumerate(EVALUATIONS.values())}


def _fraction(
    benchmark_id: str,
    name: str,
    domain: str,
    *,
    chance: float | None = 0.0,
    composite: bool | None = None,
    aliases: tuple[str, ...] = (),
) -> BenchmarkRecord:
    return BenchmarkRecord(
        benchmark_id=benchmark_id, name=name, domain=domain, chance=chance, ceiling=1.0,
        is_fraction=True, composite=composite, aliases=list(aliases),
    )  # fmt: skip


def _index(benchmark_id: str, name: str, *, signed: bool = False) -> BenchmarkRecord:
    """An index on a 0-100 scale; a signed one (-100 to 100) has no ceiling the store checks."""
    return BenchmarkRecord(
        benchmark_id=benchmark_id, name=name, domain="other", is_fraction=False, composite=True,
        ceiling=None if signed else 100.0, chance=None if signed else 0.0,
    )  # fmt: skip


#: The benchmarks of the payload that opengap's known benchmarks do not define. Chance 0 for
#: open-answer tasks; ``None`` (unknown) where a random answer may score.
BENCHMARKS: dict[str, BenchmarkRecord] = {
    b.benchmark_id: b
    for b in [
        _fraction("scicode", "SciCode", "code", aliases=("Sci Code",)),
        _fraction("aa-lcr", "AA-LCR", "long-context",
                  aliases=("Artificial Analysis Long Context Reasoning",)),
        _fraction("ifbench", "IFBench", "language", chance=None),
        _fraction("critpt", "CritPt", "reasoning"),
        _fraction("mmmu-pro", "MMMU-Pro", "multimodal", chance=None),
        _fraction("tau2-bench-telecom", "τ²-Bench Telecom", "agentic",
                  aliases=("tau2-bench telecom", "Tau2 Bench Telecom")),
        _fraction("terminal-bench-hard", "Terminal-Bench Hard", "agentic"),
        _fraction("aa-omniscience", "AA-Omniscience (accuracy)", "knowledge",
                  aliases=("AA-Omniscience accuracy",)),
        _fraction("apex-agents", "APEX-Agents", "agentic"),
        BenchmarkRecord(benchmark_id="gdpval-aa", name="GDPval-AA (normalised Elo)",
                        domain="agentic", is_fraction=False),
        _fraction("aa-omniscience-non-hallucination", "AA-Omniscience non-hallucination rate",
                  "knowledge", chance=None, composite=True),
        _index("aa-omniscience-index", "AA-Omniscience Index", signed=True),
        _index("aa-intelligence-index", "Artificial Analysis Intelligence Index"),
        _index("aa-coding-index", "Artificial Analysis Coding Index"),
        _index("aa-agentic-index", "Artificial Analysis Agentic Index"),
    ]
}  # fmt: skip

#: ``creator.country`` (ISO 3166-1 alpha-2, lower case) -> country name as opengap spells it.
COUNTRIES: dict[str, str] = {
    "us": "United States", "cn": "China", "fr": "France", "kr": "South Korea", "il": "Israel",
    "ca": "Canada", "in": "India", "ch": "Switzerland", "ae": "United Arab Emirates",
    "es": "Spain", "gb": "United Kingdom", "uk": "United Kingdom", "de": "Germany",
    "jp": "Japan", "sg": "Singapore", "tw": "Taiwan", "hk": "Hong Kong", "nl": "Netherlands",
    "se": "Sweden", "fi": "Finland", "it": "Italy", "pl": "Poland", "ru": "Russia",
    "sa": "Saudi Arabia", "au": "Australia", "br": "Brazil", "vn": "Vietnam", "th": "Thailand",
}  # fmt: skip

_PERMISSIVE = "permissive"
_RESTRICTED = "open-restricted"
#: Licence name (lower case, spaces collapsed) -> licence class, for open-weight models. Every
#: name in the 2026 snapshots is listed; any other (and ``Other``) leaves the class unknown.
#: As in the bundled catalogue: Apache, MIT and modified MIT are permissive; licences with
#: use, user-count or commercial restrictions (Llama, Gemma, Qwen, DeepSeek, NVIDIA, non-
#: commercial ones) are open-restricted.
LICENSE_CLASSES: dict[str, str] = {
    "apache 2.0": _PERMISSIVE, "apache-2.0": _PERMISSIVE, "mit": _PERMISSIVE,
    "modified mit license": _PERMISSIVE, "modified mit": _PERMISSIVE, "openmdw": _PERMISSIVE,
    "gemma license": _RESTRICTED,
    "nvidia open model license agreement": _RESTRICTED, "nvidia open model license": _RESTRICTED,
    "nvidia nemotron open model license": _RESTRICTED,
    "lfm 1.0": _RESTRICTED, "deepseek license agreement": _RESTRICTED,
    "jamba open model license agreement": _RESTRICTED,
    "llama 2 community license agreement": _RESTRICTED,
    "meta llama 3 community license agreement": _RESTRICTED,
    "llama 3.1 community license agreement": _RESTRICTED,
    "llama 3.2 community license agreement": _RESTRICTED,
    "llama 3.3 community license agreement": _RESTRICTED,
    "llama 4 community license agreement": _RESTRICTED,
    "llama license agreement": _RESTRICTED,
    "tongyi qianwen license agreement": _RESTRICTED, "qwen license agreement": _RESTRICTED,
    "exaone ai model license agreement 1.2 - nc": _RESTRICTED, "k exaone": _RESTRICTED,
    "mistral research license": _RESTRICTED,
    "cc-by-nc 4.0 license with acceptable use addendum": _RESTRICTED,
    "cc by nc 4.0": _RESTRICTED, "non-commercial license": _RESTRICTED,
    "grok 2 community license agreement": _RESTRICTED, "upstage solar license": _RESTRICTED,
    "falcon mamba 7b tii license version 1.0": _RESTRICTED,
    "databricks open model license": _RESTRICTED,
    "tencent hy community license agreement": _RESTRICTED,
    "minimax community license": _RESTRICTED,
    "hyperclova x seed 32b think model license agreement": _RESTRICTED,
}  # fmt: skip

_PAREN = re.compile(r"\s*\(([^()]*)\)")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read one ``llms.json`` or a folder of dated snapshots of it, each file whole.

    :func:`read_parts` reads the same in bounded memory (``opengap import`` uses it); this
    reads each file with Python's json module at once.

    Parameters
    ----------
    path : Path
        ``llms.json``, a folder holding it, or a folder of dated folders each holding one.
    model, benchmark : str, optional
        Not used.

    Returns
    -------
    ImportBatch
        Models, benchmarks, scores and prices of every snapshot, oldest first.

    Raises
    ------
    MalformedFile
        No ``llms.json`` found, a file that is not the payload, or a value that is not a
        number or is out of range (the message names the file and the entry).

    Examples
    --------
    >>> batch = read(Path("../shared/data/artificial-analysis-2026/2026-07-10"))  # doctest: +SKIP
    >>> len(batch.models), len(batch.prices)  # doctest: +SKIP
    (570, 396)
    """
    del model, benchmark
    snapshots = sorted((_snapshot(f) for f in _files(path)), key=lambda s: (s[0], str(s[1])))
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    batch.benchmarks = _benchmarks()
    merged: dict[str, ModelRecord] = {}
    per_snapshot = _final_ids(
        [_ids([(e.get("name"), e.get("slug")) for e in entries]) for _, _, entries in snapshots],
        [[_uid(e.get("id"), e.get("slug")) for e in entries] for _, _, entries in snapshots],
    )
    for (day, file, entries), ids in zip(snapshots, per_snapshot, strict=True):
        for i, entry in enumerate(entries, 1):
            batch.rows_read += 1
            read_ = _read_entry(batch, merged, ids[i - 1], day, f"{file}: model {i}", entry)
            if read_ is not None:
                batch.scores.extend(read_[1])
                if read_[2] is not None:
                    batch.prices.append(read_[2])
    batch.models = list(merged.values())
    # A later snapshot's value of a score replaces the earlier one (as importing the snapshots
    # one by one would); scores it no longer lists are kept. Same identity as the store's.
    latest = {(s.model, s.benchmark, s.source, s.source_ref, s.setting, s.harness): s
              for s in batch.scores}  # fmt: skip
    batch.scores = list(latest.values())
    return batch


def read_parts(
    path: Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield what :func:`read` reads, streamed: its models, scores and prices in parts of
    about :data:`PART_ROWS`, for :meth:`opengap.store.Store.apply_batches` (one transaction).

    Each file is read three times, one entry at a time (:mod:`opengap.sources.json_stream`):
    a scan of its parse events checks the syntax, layout and depth of the whole file and
    notes each entry's name, slug and id (an entry's model id depends on the names of the
    whole snapshot, and on the latest snapshot naming the same AA id); the second pass reads
    every entry as :func:`read` does (its errors, in its order; the rejected entries and row
    counts, the first part), merges each model across snapshots (the later one's facts
    winning) and notes which entry gives the latest value of each score; the third yields
    each model once, with its first scores, and the scores and prices. A file the streaming
    parser refuses but Python's json reads (``NaN``, integers beyond 64 bits) is read whole by
    :func:`read`, as one part.
    """
    del model, benchmark
    try:
        outlines = sorted((_outline(f) for f in _files(path)), key=lambda o: (o.day, str(o.file)))
    except Unstreamable:
        yield read(path)
        return
    per_snapshot = _final_ids([_ids(list(zip(o.names, o.slugs, strict=True))) for o in outlines],
                              [o.uids for o in outlines])  # fmt: skip
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(path))
    batch.benchmarks = _benchmarks()
    merged: dict[str, ModelRecord] = {}
    # (model id, AA id) -> (entry number, evaluations given as bits) of each entry naming it
    givers: dict[tuple[str, str], list[tuple[int, int]]] = {}
    kept: set[int] = set()
    for n, (outline, i, model_id, entry) in enumerate(_stream(outlines, per_snapshot)):
        batch.rows_read += 1
        where = f"{outline.file}: model {i}"
        read_ = _read_entry(batch, merged, model_id, outline.day, where, entry)
        if read_ is not None:
            kept.add(n)
            bits = sum(_BIT[s.benchmark] for s in read_[1])
            givers.setdefault((read_[0], _ref_uid(entry)), []).append((n, bits))
    yield batch
    part = _empty_part(batch)
    for n, (outline, i, model_id, entry) in enumerate(_stream(outlines, per_snapshot)):
        if n not in kept or model_id is None:
            continue
        record = merged.pop(model_id, None)  # each model once, in the part of its first scores
        if record is not None:
            part.models.append(record)
        where = f"{outline.file}: model {i} ({entry['name']})"
        given = givers[(model_id, _ref_uid(entry))]
        for score in _scores(entry, model_id, outline.day, _url(entry), where):
            bit = _BIT[score.benchmark]
            if max(m for m, bits in given if bits & bit) == n:  # the latest value of it
                part.scores.append(score)
        price = _price(entry, model_id, outline.day, where)
        if price is not None:
            part.prices.append(price)
        if len(part.scores) + len(part.prices) + len(part.models) >= PART_ROWS:
            yield part
            part = _empty_part(batch)
    yield part


@dataclass
class _Outline:
    """What the scan of one ``llms.json`` learns: its date and each entry's identity."""

    file: Path
    stamp: tuple[int, int]  # size and mtime when scanned
    day: date
    skip: int  # values at ``models.item`` before the last ``models`` key (json keeps the last)
    names: list[Any]  # per entry: its name, slug (a string or None) and AA identity
    slugs: list[Any]
    uids: list[str | None]


def _outline(file: Path) -> _Outline:
    """Scan ``file``: the checks of :func:`_snapshot`, in its order, and each entry's names."""
    check_input_path(file, "file")
    scanned = stamp(file)
    state: dict[str, Any] = {"map": None, "key": None, "list": False, "fetched": None,
                             "bad": None, "skip": 0, "count": 0}  # fmt: skip
    entries: list[list[Any]] = []

    def root(event: str, value: Any) -> None:
        if event in VALUE and state["map"] is None:
            state["map"] = event == "start_map"
        elif event == "map_key":
            state["key"] = value
            if value == "models":  # json keeps the last of a repeated key
                state.update(skip=state["skip"] + state["count"], count=0, list=False, bad=None)
                entries.clear()
            elif value == "meta":
                state["fetched"] = None

    def models(event: str, value: Any) -> None:
        if event in VALUE:
            state["list"] = event == "start_array"

    def entry(event: str, value: Any) -> None:
        if event not in VALUE:
            return
        state["count"] += 1
        entries.append([None, None, None])
        if event != "start_map" and state["bad"] is None:
            state["bad"] = f"model {len(entries)}: not an object but {type_name(event, value)}"

    def field(k: int) -> Any:
        def keep(event: str, value: Any) -> None:
            if event in VALUE and entries:
                entries[-1][k] = value if event == "string" else None

        return keep

    def fetched(event: str, value: Any) -> None:
        if event in VALUE:
            state["fetched"] = value if event == "string" else None

    def where() -> str:
        if state["key"] == "models" and entries:
            return f"at model {len(entries)}"
        return f"at {state['key']!r}" if state["key"] else ""

    watched = {"": root, "models": models, "models.item": entry, "models.item.name": field(0),
               "models.item.slug": field(1), "models.item.id": field(2),
               "meta.fetched_at": fetched}  # fmt: skip
    scan(file, watched, where, bom=True)
    if not state["map"] or not state["list"]:
        raise MalformedFile(
            f"{file}: not an Artificial Analysis llms.json payload (no 'models' list)"
        )
    if state["bad"]:
        raise MalformedFile(f"{file}: {state['bad']}")
    return _Outline(
        file=file, stamp=scanned, day=_day(state["fetched"], file), skip=state["skip"],
        names=[e[0] for e in entries], slugs=[e[1] for e in entries],
        uids=[_uid(e[2], e[1]) for e in entries],
    )  # fmt: skip


def _stream(
    outlines: list[_Outline], per_snapshot: list[list[str | None]]
) -> Iterator[tuple[_Outline, int, str | None, dict[str, Any]]]:
    """Yield (outline, entry number, model id, entry) for every entry, oldest snapshot first."""
    for outline, ids in zip(outlines, per_snapshot, strict=True):
        values = items(outline.file, "models.item", bom=True, scanned=outline.stamp)
        for _ in range(outline.skip):
            next(values, None)
        for i, model_id in enumerate(ids, 1):
            entry = next(values, None)
            if not isinstance(entry, dict):  # the scan found an object here
                raise changed(outline.file)
            yield outline, i, model_id, entry
        values.close()


def _empty_part(batch: ImportBatch) -> ImportBatch:
    return ImportBatch(kind=batch.kind, path=batch.path, sha256=batch.sha256)


def _files(path: Path) -> list[Path]:
    """Return the ``llms.json`` files ``path`` names: itself, its own, or its subfolders'."""
    if path.is_file():
        return [path]
    if (path / FILE_NAME).is_file():
        return [path / FILE_NAME]
    found = sorted(p / FILE_NAME for p in path.iterdir() if (p / FILE_NAME).is_file())
    if not found:
        raise MalformedFile(f"{path}: no {FILE_NAME} in this directory or its dated folders")
    return found


def _snapshot(file: Path) -> tuple[date, Path, list[dict[str, Any]]]:
    """Return a payload's snapshot date, its file and its model entries."""
    data = read_json(file)
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise MalformedFile(
            f"{file}: not an Artificial Analysis llms.json payload (no 'models' list)"
        )
    models: list[dict[str, Any]] = data["models"]
    for i, entry in enumerate(models, 1):
        if not isinstance(entry, dict):
            raise MalformedFile(f"{file}: model {i}: not an object but {type(entry).__name__}")
    meta = data.get("meta")
    return _day(meta.get("fetched_at") if isinstance(meta, dict) else None, file), file, models


def _day(fetched: Any, file: Path) -> date:
    """Return a snapshot's date: ``meta.fetched_at``, else the name of its folder."""
    for text in (fetched, file.parent.name):
        try:
            day = parse_date(text) if isinstance(text, str) else None
        except ValueError:
            day = None
        if day is not None:
            return day
    raise MalformedFile(f"{file}: no snapshot date (neither meta.fetched_at nor a dated folder)")


def _read_entry(
    batch: ImportBatch,
    merged: dict[str, ModelRecord],
    model_id: str | None,
    day: date,
    where: str,
    entry: dict[str, Any],
) -> tuple[str, list[ScoreRecord], PriceRecord | None] | None:
    """Fold an entry's model into ``merged``; return its model id, scores and price, or None
    when the entry is rejected (``model_id`` is None exactly when it has no name)."""
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or model_id is None:
        batch.reject(where, "no model name")
        return None
    where = f"{where} ({name})"
    try:
        record = _model(entry, model_id, where)
    except ValueError as exc:
        batch.reject(where, str(exc))
        return None
    _merge(merged, record)
    scores = _scores(entry, record.model_id, day, _url(entry), where)
    return record.model_id, scores, _price(entry, record.model_id, day, where)


def _url(entry: dict[str, Any]) -> str | None:
    slug = entry.get("slug")
    return MODEL_PAGE.format(slug=slug) if isinstance(slug, str) and slug else None


def _ref_uid(entry: dict[str, Any]) -> str:
    """Return what names an entry in its scores' ``source_ref``: AA's id, else its slug."""
    uid = entry.get("id") if isinstance(entry.get("id"), str) else entry.get("slug")
    return f"{uid}"


def _section(entry: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedFile(f"{where}: {key!r} is not an object")
    return value


def _number(section: dict[str, Any], key: str, where: str) -> float | None:
    try:
        return json_number(section.get(key))
    except ValueError as exc:
        raise MalformedFile(f"{where}: {key}: {exc}") from None


def _model(entry: dict[str, Any], model_id: str, where: str) -> ModelRecord:
    """Return the model an entry describes; ValueError for an unparseable release date."""
    name = str(entry["name"]).strip()
    creator = _section(entry, "creator", where)
    caps = _section(entry, "capabilities", where)
    weights_info = _section(entry, "open_weights", where)
    released = entry.get("release_date")
    release_date = parse_date(released) if isinstance(released, str) else None
    is_open = weights_info.get("is_open_weights")
    weights = {True: "open", False: "closed"}.get(is_open) if isinstance(is_open, bool) else None
    license_name = weights_info.get("license_name")
    license_ = license_name.strip() if isinstance(license_name, str) and weights == "open" else None
    if weights == "closed":
        license_class: str | None = "closed"
    else:
        license_class = LICENSE_CLASSES.get(" ".join((license_ or "").lower().split()))
    reasoning = entry.get("reasoning_model")
    country = creator.get("country")
    organization = creator.get("name")
    params_total = _number(caps, "total_parameters", where)
    params_active = _number(caps, "active_parameters", where)
    for label, value in (("total_parameters", params_total), ("active_parameters", params_active)):
        if value is not None and value < 0:
            raise MalformedFile(f"{where}: {label}: negative ({value:g})")
    base = make_id(_collapse(_PAREN.sub("", name.replace("+", " plus "))))
    slug = entry.get("slug")
    return ModelRecord(
        model_id=model_id,
        name=name,
        organization=organization.strip() if isinstance(organization, str) else None,
        country=COUNTRIES.get(country.lower()) if isinstance(country, str) else None,
        release_date=release_date,
        weights=weights,
        license=license_,
        license_class=license_class,
        params_total_b=params_total,
        params_active_b=params_active,
        reasoning=reasoning if isinstance(reasoning, bool) else None,
        version_of=base if base and base != model_id else None,
        aliases=[a for a in (slug, name) if isinstance(a, str) and a],
    )


def _merge(merged: dict[str, ModelRecord], record: ModelRecord) -> None:
    """Fold a later snapshot's record into the earlier one: its stated facts win."""
    earlier = merged.get(record.model_id)
    if earlier is None:
        merged[record.model_id] = record
        return
    for f in fields(ModelRecord):
        value = getattr(record, f.name)
        if f.name == "aliases":
            earlier.aliases.extend(a for a in value if a not in earlier.aliases)
        elif value is not None or f.name == "version_of":  # the group follows the latest name
            setattr(earlier, f.name, value)


def _scores(
    entry: dict[str, Any], model_id: str, day: date, url: str | None, where: str
) -> list[ScoreRecord]:
    evaluations = _section(entry, "evaluations", where)
    estimated = evaluations.get(_ESTIMATED) is True
    uid = _ref_uid(entry)
    out = []
    for key, spec in EVALUATIONS.items():
        value = _number(evaluations, key, where)
        if value is None:
            continue
        if not spec.low <= value <= spec.high:
            raise MalformedFile(f"{where}: {key}: {value:g} outside [{spec.low:g}, {spec.high:g}]")
        text = f"{evaluations[key]}"
        if key == "artificial_analysis_intelligence_index" and estimated:
            text += " (estimated by Artificial Analysis)"
        out.append(
            ScoreRecord(
                model=model_id, benchmark=spec.benchmark_id, value=value, value_text=text,
                harness=HARNESS, eval_date=day, source=SOURCE, source_url=url,
                source_ref=f"{uid}:{key}", row=f"{where}: {key}", model_ref=str(entry["name"]),
            )
        )  # fmt: skip
    return out


def _price(entry: dict[str, Any], model_id: str, day: date, where: str) -> PriceRecord | None:
    pricing = _section(entry, "pricing", where)
    values = {
        key: _number(pricing, key, where)
        for key in ("price_1m_input_tokens", "price_1m_output_tokens", "price_1m_blended_3_to_1")
    }
    for key, value in values.items():
        if value is not None and value < 0:
            raise MalformedFile(f"{where}: {key}: negative price ({value:g})")
    if all(v is None for v in values.values()):
        return None
    if all(not v for v in values.values()) and pricing.get("price_class") is None:
        # AA lists the models it does not price as 0 / 0 with no price class: unknown, not free
        return None
    return PriceRecord(
        model=model_id, date=day, input_usd_per_m=values["price_1m_input_tokens"],
        output_usd_per_m=values["price_1m_output_tokens"],
        blended_usd_per_m=values["price_1m_blended_3_to_1"], source=SOURCE,
    )  # fmt: skip


def model_id(name: str) -> str:
    """Return the model id of an AA entry name: its kebab case, parentheses folded in.

    >>> model_id("DeepSeek V4 Pro (Reasoning, High Effort)")
    'deepseek-v4-pro-reasoning-high-effort'
    >>> model_id("Claude 3.5 Sonnet (Oct '24)")
    'claude-3.5-sonnet-oct-24'
    >>> model_id("Command A+")  # not the id of "Command A" up to punctuation
    'command-a-plus'
    """
    name = name.replace("+", " plus ")
    variants = [v.strip() for v in _PAREN.findall(name)]
    base = _PAREN.sub("", name)
    return make_id(_collapse(" ".join([base, *variants]).replace(",", " ")))


def _collapse(text: str) -> str:
    """Return ``text`` with runs of spaces and dashes between words folded to one dash."""
    return re.sub(r"[\s-]*-[\s-]*|\s+", lambda m: "-" if "-" in m.group() else " ", text.strip())


def _ids(keys: list[tuple[Any, Any]]) -> list[str | None]:
    """Return each entry's model id from its (name, slug), None without a name; AA's slug
    breaks a tie between entries of one snapshot whose names give the same id."""
    by_id: dict[str, list[int]] = {}
    for i, (name, _) in enumerate(keys):
        if isinstance(name, str) and name.strip():
            by_id.setdefault(model_id(name), []).append(i)
    out: list[str | None] = [None] * len(keys)
    for ident, group in by_id.items():
        for i in group:
            slug = keys[i][1]
            clash = len(group) > 1 and isinstance(slug, str)
            out[i] = make_id(f"{ident}-{slug}") if clash else ident
    return out


def _final_ids(
    per_snapshot: list[list[str | None]], uids: list[list[str | None]]
) -> list[list[str | None]]:
    """Give every entry of an AA identity (its ``id``, else slug) the model id of the latest
    snapshot naming it, so a model renamed between snapshots ("Gemini 3.1 Flash-Lite
    Preview" -> "Gemini 3.1 Flash-Lite") is one model under its latest name."""
    latest = {
        uid: ident
        for ids, snapshot_uids in zip(per_snapshot, uids, strict=True)
        for ident, uid in zip(ids, snapshot_uids, strict=True)
        if ident is not None and uid is not None
    }
    return [
        [latest[uid] if ident is not None and uid is not None else ident
         for ident, uid in zip(ids, snapshot_uids, strict=True)]
        for ids, snapshot_uids in zip(per_snapshot, uids, strict=True)
    ]  # fmt: skip


def _uid(ident: Any, slug: Any) -> str | None:
    """Return AA's stable identity of an entry: its ``id``, else its ``slug`` (None if neither)."""
    for key, value in (("id", ident), ("slug", slug)):
        if isinstance(value, str) and value.strip():
            return f"{key}:{value.strip()}"
    return None


def _benchmarks() -> list[BenchmarkRecord]:
    """Return the record of every benchmark the evaluations map to."""
    out = []
    for spec in EVALUATIONS.values():
        known = BENCHMARKS.get(spec.benchmark_id) or canonical_benchmark(spec.benchmark_id)
        if known is None:  # pragma: no cover - every id is listed above or known
            raise AssertionError(spec.benchmark_id)
        out.append(known)
    return out
