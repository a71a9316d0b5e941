"""Importer for swebench.com's ``leaderboards.json`` (kind ``swe-bench``).

The file is ``{"leaderboards": [{"name": ..., "results": [entry, ...]}, ...]}``. Each leaderboard
is a benchmark and a harness setting:

- ``bash-only`` -- every model in one fixed minimal bash loop (mini-SWE-agent) on the 500
  SWE-bench Verified tasks: benchmark ``swe-bench-verified``, harness ``mini-swe-agent``
  (category ``simple-loop``);
- ``Verified``, ``Lite``, ``Test``, ``Multimodal`` -- each system's own scaffold: benchmarks
  ``swe-bench-verified``, ``swe-bench-lite``, ``swe-bench-full``, ``swe-bench-multimodal``,
  harness = the scaffold's name (the part of the entry name before `` + ``, else the entry
  name), category ``agent-harness``. Entries of ``Verified`` named ``mini-SWE-agent + ...`` are
  the bash loop too (``simple-loop``); where one is the very run listed under ``bash-only`` (the
  same ``folder``) it is imported once, under ``bash-only``.

An entry is a score of the one model its ``Model: ...`` tags name (a Hugging Face URL or an
``org/`` prefix is dropped, the full reference kept as an alias). Entries naming several models
(ensembles, routers, "best of" systems) or none are rejected with that reason, never merged; so
are entries whose name gives a model size but does not name the tagged model (``Skywork-SWE-32B``
tagged ``Qwen2.5-Coder-32B-Instruct``: a fine-tune built on the tagged model, not that model).
``System: Attempts - 2+`` entries are kept with the setting ``attempts 2+`` (best of several
tries), single-attempt ones ``attempts 1``. ``per_instance_details`` (a dict, or a Python-literal
dict as the site serves it) become item-level responses: task id -> resolved 1/0, with the cost
(USD) and API calls of that task.

A model the leaderboard names joins the store's model of that name when its reference resolves
(an id or alias of the registry; see :attr:`ModelRecord.tentative`), and is created otherwise
(name, organisation from the first ``Org:`` tag that is not a scaffold's). Weights are never
taken from the file: its ``os_model`` flag marks Llama 4 Maverick (open weights) false and
GPT-4o (2024-05-13) true, so open vs closed comes from the registry.

A file that is not this layout, an entry whose resolved rate is not a number in 0-100, or whose
per-instance dict cannot be parsed, raises :class:`MalformedFile` naming the leaderboard and entry.

``opengap import`` streams the file (:func:`read_parts`: one entry at a time, its scores and
per-task responses in parts of :data:`PART_ROWS`, all in one transaction); :func:`read` reads
it whole. Both give the same models, scores, responses, rejections and errors.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.checks import check_input_path, load_json
from opengap.sources.common import parse_date
from opengap.sources.json_stream import VALUE, Unstreamable, changed, items, scan, stamp
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    ResponseRecord,
    ScoreRecord,
    sha256_of,
)

KIND = "swe-bench"
FILE_NAME = "leaderboards.json"
SOURCE_URL = "https://www.swebench.com/"
BASH_LOOP = "mini-swe-agent"
MAX_BYTES = 256 * 1024 * 1024
MAX_DETAILS_CHARS = 20_000_000
#: Scores and per-task responses per part when the file is streamed (:func:`read_parts`).
PART_ROWS = 20_000

#: leaderboard name -> (benchmark id, benchmark name, number of tasks where the file shows it)
BOARDS: dict[str, tuple[str, str]] = {
    "bash-only": ("swe-bench-verified", "SWE-bench Verified"),
    "Verified": ("swe-bench-verified", "SWE-bench Verified"),
    "Lite": ("swe-bench-lite", "SWE-bench Lite"),
    "Test": ("swe-bench-full", "SWE-bench (full test set)"),
    "Multimodal": ("swe-bench-multimodal", "SWE-bench Multimodal"),
}
# Orgs in tags that name the scaffold's maker rather than the model's.
_SCAFFOLD_ORGS = {"swe-agent"}
_HF_URL = re.compile(r"^https?://(www\.)?huggingface\.co/", re.IGNORECASE)
_MINI = re.compile(r"^mini-swe-agent\b", re.IGNORECASE)
_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?b)(?![a-z0-9])")


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read ``leaderboards.json`` (or a directory holding it) into a batch, the file whole.

    :func:`read_parts` reads the same in bounded memory (``opengap import`` uses it).
    ``model`` and ``benchmark`` overrides are not supported by this layout and are ignored.

    Examples
    --------
    >>> batch = read(Path("../shared/data/swe-bench-leaderboards"))  # doctest: +SKIP
    >>> sorted({s.harness for s in batch.scores})[:2]  # doctest: +SKIP
    ['Agentless-1.5', 'AppMap Navie']
    """
    file = _file(path)
    data = load_json(file)  # non-regular files, bad text, deep nesting: one clear error
    boards = data.get("leaderboards") if isinstance(data, dict) else None
    if not isinstance(boards, list) or not boards:
        raise MalformedFile(f"{file}: not a SWE-bench leaderboards file (no 'leaderboards' list)")
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(file))
    benches: dict[str, BenchmarkRecord] = {}
    models: dict[str, ModelRecord] = {}
    bash_folders: set[str] = set()
    # bash-only first, so its runs win over their copies on other boards.
    ordered = sorted(boards, key=lambda b: 0 if _board_name(b, file) == "bash-only" else 1)
    for board in ordered:
        name = _board_name(board, file)
        results = board.get("results")
        if not isinstance(results, list):
            raise MalformedFile(f"{file}: leaderboard {name!r} has no 'results' list")
        if name not in BOARDS:
            for i, _ in enumerate(results):
                batch.rows_read += 1
                batch.reject(f"{file}: {name}[{i}]", f"unknown leaderboard {name!r}")
            continue
        bench_id, bench_name = BOARDS[name]
        benches.setdefault(bench_id, _benchmark(bench_id, bench_name))
        for i, entry in enumerate(results):
            if _skipped(entry, name, f"{file}: {name}[{i}]", bash_folders):
                continue
            batch.rows_read += 1
            label = f"{file}: {name}[{i}] {str(entry.get('name', ''))[:60]!r}"
            _entry(batch, entry, name, bench_id, label, models)
    batch.benchmarks = list(benches.values())
    batch.models = list(models.values())
    return batch


def read_parts(
    path: Path, *, model: str | None = None, benchmark: str | None = None
) -> Iterator[ImportBatch]:
    """Yield what :func:`read` reads, streamed: its scores and per-task responses in parts of
    :data:`PART_ROWS`, for :meth:`opengap.store.Store.apply_batches` (one transaction).

    The file is read three times, one entry at a time (:mod:`opengap.sources.json_stream`):
    a scan of its parse events checks the syntax, layout and depth of the whole file and
    finds each leaderboard's name and entries; the second pass gives the first part: the
    models (each named once, with the aliases of every entry naming it), benchmarks,
    rejected entries and row counts, every entry checked as :func:`read` checks it (its
    per-task results included), in :func:`read`'s order (bash-only first); the third yields
    the scores and responses. A file the streaming parser refuses but Python's json reads
    (``NaN``, integers beyond 64 bits) is read whole by :func:`read`, as one part.
    """
    del model, benchmark
    file = _file(path)
    try:
        layout = _layout(file)
    except Unstreamable:
        yield read(path)
        return
    outline = _Pass(ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(file)), outline=True)
    for _ in _walk(file, layout, outline):
        pass
    outline.batch.benchmarks = list(outline.benches.values())
    outline.batch.models = list(outline.models.values())
    yield outline.batch
    records = _Pass(_empty_part(outline.batch), outline=False)
    for _ in _walk(file, layout, records):
        if len(records.batch.scores) + len(records.batch.responses) >= PART_ROWS:
            yield records.batch
            records.batch = _empty_part(outline.batch)
    yield records.batch


def _file(path: Path) -> Path:
    file = path / FILE_NAME if path.is_dir() else path
    if not file.is_file():
        raise MalformedFile(f"{file}: no such file (expected swebench.com's {FILE_NAME})")
    if file.stat().st_size > MAX_BYTES:
        raise MalformedFile(f"{file}: larger than {MAX_BYTES >> 20} MiB, not a leaderboard file")
    return file


def _skipped(entry: Any, board: str, where: str, bash_folders: set[str]) -> bool:
    """True for an entry that repeats a bash-only run on another board (noting bash-only
    runs as they come); MalformedFile for an entry that is not an object."""
    if not isinstance(entry, dict):
        raise MalformedFile(f"{where}: an entry is not a JSON object")
    folder = str(entry.get("folder") or "")
    if board == "bash-only" and folder:
        bash_folders.add(folder)
        return False
    return bool(folder) and folder in bash_folders  # listed again on this board


@dataclass
class _Board:
    """One leaderboard as the scan found it."""

    is_map: bool
    name: str | None = None  # None: no name, or one that is not a string
    results: str | None = None  # "list", "other" (not a list) or None (no results)
    span: list[int] | None = None  # [first value number, count] of its results list


@dataclass
class _Layout:
    """The scan's view of the file: its leaderboards, and where their entries lie among the
    values at ``leaderboards.item.results.item`` (what :func:`items` yields, in order)."""

    stamp: tuple[int, int]  # size and mtime when scanned
    boards: list[_Board] = field(default_factory=list)


@dataclass
class _Pass:
    """One reading of the entries: the outline (models, rejections, counts) or the records
    (scores and responses)."""

    batch: ImportBatch
    outline: bool
    benches: dict[str, BenchmarkRecord] = field(default_factory=dict)
    models: dict[str, ModelRecord] = field(default_factory=dict)


def _layout(file: Path) -> _Layout:
    """Scan ``file``: its syntax, depth and layout, checked in :func:`read`'s order."""
    check_input_path(file, "file")
    state: dict[str, Any] = {"map": None, "key": None, "list": False, "values": 0}
    layout = _Layout(stamp(file))

    def root(event: str, value: Any) -> None:
        if event in VALUE and state["map"] is None:
            state["map"] = event == "start_map"
        elif event == "map_key":
            state["key"] = value
            if value == "leaderboards":  # json keeps the last of a repeated key
                layout.boards, state["list"] = [], False

    def boards(event: str, value: Any) -> None:
        if event in VALUE:
            state["list"] = event == "start_array"

    def board(event: str, value: Any) -> None:
        if event in VALUE:
            layout.boards.append(_Board(is_map=event == "start_map"))

    def name(event: str, value: Any) -> None:
        if event in VALUE and layout.boards:
            layout.boards[-1].name = value if event == "string" else None

    def results(event: str, value: Any) -> None:
        if event in VALUE and layout.boards:
            current = layout.boards[-1]
            current.results = "list" if event == "start_array" else "other"
            current.span = [state["values"], 0] if event == "start_array" else None

    def result(event: str, value: Any) -> None:
        if event in VALUE:
            state["values"] += 1
            current = layout.boards[-1] if layout.boards else None
            if current is not None and current.span is not None:
                current.span[1] += 1

    def where() -> str:
        if state["key"] != "leaderboards" or not layout.boards:
            return f"at {state['key']!r}" if state["key"] else ""
        current = layout.boards[-1]
        entry = f", entry {current.span[1]}" if current.span and current.span[1] else ""
        shown = f" ({current.name!r})" if current.name else ""
        return f"at leaderboard {len(layout.boards)}{shown}{entry}"

    watched = {"": root, "leaderboards": boards, "leaderboards.item": board,
               "leaderboards.item.name": name, "leaderboards.item.results": results,
               "leaderboards.item.results.item": result}  # fmt: skip
    scan(file, watched, where, bom=False)
    if not state["map"] or not state["list"] or not layout.boards:
        raise MalformedFile(f"{file}: not a SWE-bench leaderboards file (no 'leaderboards' list)")
    for b in layout.boards:
        if not b.is_map or b.name is None:
            raise MalformedFile(f"{file}: a leaderboard without a name")
    return layout


def _walk(file: Path, layout: _Layout, reading: _Pass) -> Iterator[None]:
    """Read the entries as :func:`read` does, streamed; yield after each entry read."""
    bash_folders: set[str] = set()
    names = [str(b.name) for b in layout.boards]
    ordered = sorted(range(len(names)), key=lambda j: 0 if names[j] == "bash-only" else 1)
    for segment in _segments(ordered):  # boards in file order: one pass over the file each
        wanted = [j for j in segment if names[j] in BOARDS and layout.boards[j].results == "list"]
        entries = _entries(file, layout, wanted)
        for j in segment:
            name, board = names[j], layout.boards[j]
            if board.results != "list" or board.span is None:
                raise MalformedFile(f"{file}: leaderboard {name!r} has no 'results' list")
            if name not in BOARDS:
                for i in range(board.span[1]):
                    if reading.outline:
                        reading.batch.rows_read += 1
                        reading.batch.reject(
                            f"{file}: {name}[{i}]", f"unknown leaderboard {name!r}"
                        )
                continue
            bench_id, bench_name = BOARDS[name]
            reading.benches.setdefault(bench_id, _benchmark(bench_id, bench_name))
            for i in range(board.span[1]):
                entry = next(entries)
                if _skipped(entry, name, f"{file}: {name}[{i}]", bash_folders):
                    continue
                if reading.outline:
                    reading.batch.rows_read += 1
                label = f"{file}: {name}[{i}] {str(entry.get('name', ''))[:60]!r}"
                _entry(reading.batch, entry, name, bench_id, label, reading.models,
                       outline=reading.outline, records=not reading.outline)  # fmt: skip
                yield
        entries.close()


def _segments(ordered: list[int]) -> list[list[int]]:
    """Split the boards' reading order into runs that follow the file's order."""
    runs: list[list[int]] = []
    for j in ordered:
        if runs and j > runs[-1][-1]:
            runs[-1].append(j)
        else:
            runs.append([j])
    return runs


def _entries(file: Path, layout: _Layout, wanted: list[int]) -> Generator[Any, None, None]:
    """Yield the entries of the ``wanted`` boards (in file order), one at a time."""
    spans = sorted(tuple(span) for j in wanted if (span := layout.boards[j].span) is not None)
    values = items(file, "leaderboards.item.results.item", bom=False, scanned=layout.stamp)
    done = 0
    for start, count in spans:
        for _ in range(start + count - done):
            value = next(values, _END)
            if value is _END:
                raise changed(file)
            done += 1
            if done > start:
                yield value
    values.close()


_END = object()


def _empty_part(batch: ImportBatch) -> ImportBatch:
    return ImportBatch(kind=batch.kind, path=batch.path, sha256=batch.sha256)


def _board_name(board: Any, file: Path) -> str:
    if not isinstance(board, dict) or not isinstance(board.get("name"), str):
        raise MalformedFile(f"{file}: a leaderboard without a name")
    return str(board["name"])


def _benchmark(bench_id: str, name: str) -> BenchmarkRecord:
    return BenchmarkRecord(
        benchmark_id=bench_id, name=name, domain="code", chance=0.0, ceiling=1.0, public=True,
        url=SOURCE_URL, is_fraction=True,
        n_items=500 if bench_id == "swe-bench-verified" else None,
    )  # fmt: skip


def _entry(
    batch: ImportBatch,
    entry: dict[str, Any],
    board: str,
    bench_id: str,
    label: str,
    models: dict[str, ModelRecord],
    *,
    outline: bool = True,
    records: bool = True,
) -> None:
    """Read one entry, every value checked; ``outline``: record its model and a rejection,
    ``records``: its score and per-task responses."""
    tags = [str(t) for t in entry.get("tags") or [] if isinstance(t, str)]
    refs = sorted({t.split(":", 1)[1].strip() for t in tags if t.startswith("Model:")} - {""})
    if len(refs) != 1:
        what = "names no model" if not refs else f"names {len(refs)} models ({', '.join(refs)})"
        if outline:
            batch.reject(label, f"{what}: a system, not one model's score")
        return
    value = _resolved(entry, label)
    ref = refs[0]
    system = str(entry.get("name") or "").strip()
    if _SIZE.search(system.lower()) and not _names_model(system, ref):
        if outline:
            batch.reject(
                label,
                f"the system {system!r} names a model size but not its model {ref!r}: a "
                "fine-tune or a system of several models built on it, not that model's score",
            )
        return
    model_id = _model(ref, tags, models) if outline else _model_id(ref)
    harness = _harness(board, system)
    attempts = next((t.split("-", 1)[1].strip() for t in tags if t.startswith("System: Attempts")),
                    "1")  # fmt: skip
    score = ScoreRecord(
        model=model_id, benchmark=bench_id, value=value / 100.0, value_text=f"{value}",
        harness=harness, setting=f"attempts {attempts}; {board} leaderboard; {system}",
        eval_date=_date(entry.get("date"), label),
        source=f"SWE-bench leaderboard ({board})", source_url=SOURCE_URL,
        source_ref=f"{board}:{entry.get('folder') or system}", model_ref=ref,
        n_items=500 if bench_id == "swe-bench-verified" else None,
    )  # fmt: skip
    if records:
        batch.scores.append(score)
    details = entry.get("per_instance_details")
    if not details:
        return
    tasks = _details(details, label)  # checked in the outline too: the same error first
    if records:
        for item_id, result in tasks.items():
            batch.responses.append(
                ResponseRecord(
                    model=model_id, benchmark=bench_id, item_id=item_id,
                    score=1.0 if result["resolved"] else 0.0, harness=harness,
                    cost=result.get("cost"), api_calls=result.get("api_calls"),
                )
            )  # fmt: skip


def _resolved(entry: dict[str, Any], label: str) -> float:
    raw = entry.get("resolved")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedFile(f"{label}: resolved rate {raw!r} is not a number") from None
    if not math.isfinite(value) or not 0.0 <= value <= 100.0:
        raise MalformedFile(f"{label}: resolved rate {raw!r} is outside 0-100")
    return value


def _date(raw: Any, label: str) -> Any:
    try:
        return parse_date(str(raw)) if raw else None
    except ValueError:
        raise MalformedFile(f"{label}: unparseable date {raw!r}") from None


_TOKEN = re.compile(r"[a-z0-9]+")
_GENERIC = {"instruct", "preview", "chat", "it", "hf"}


def _names_model(system: str, ref: str) -> bool:
    """True when every distinctive token of the model's name appears in the system's name."""
    wanted = {t for t in _TOKEN.findall(_clean_ref(ref).lower())
              if t not in _GENERIC and not re.fullmatch(r"\d{6,8}", t)}  # fmt: skip
    return wanted <= set(_TOKEN.findall(system.lower()))


def _clean_ref(ref: str) -> str:
    bare = _HF_URL.sub("", ref).strip("/")
    return bare.split("/", 1)[1] if "/" in bare else bare


def _model_id(ref: str) -> str:
    return make_id(_clean_ref(ref)) or make_id(ref)


def _model(ref: str, tags: list[str], models: dict[str, ModelRecord]) -> str:
    name = _clean_ref(ref)
    model_id = _model_id(ref)
    orgs = [t.split(":", 1)[1].strip() for t in tags if t.startswith("Org:")]
    org = next((o for o in orgs if o.lower() not in _SCAFFOLD_ORGS), None)
    record = models.get(model_id)
    if record is None:
        record = models[model_id] = ModelRecord(
            model_id=model_id, name=name, organization=org, tentative=True
        )
    for alias in (ref, name):
        if alias not in record.aliases and alias != model_id:
            record.aliases.append(alias)
    return model_id


def _harness(board: str, system: str) -> str:
    if board == "bash-only" or _MINI.match(system):
        return BASH_LOOP
    depth = 0
    for i, char in enumerate(system):  # the scaffold is what stands before a top-level " + "
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and system.startswith(" + ", i):
            return system[:i].strip()
    return system


def _details(details: Any, label: str) -> dict[str, dict[str, Any]]:
    parsed = details
    if isinstance(details, str):
        if len(details) > MAX_DETAILS_CHARS:
            raise MalformedFile(f"{label}: per_instance_details is too large to parse")
        try:
            parsed = ast.literal_eval(details)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            raise MalformedFile(f"{label}: per_instance_details is not a parseable dict") from None
    if not isinstance(parsed, dict):
        raise MalformedFile(f"{label}: per_instance_details is not a dict")
    out: dict[str, dict[str, Any]] = {}
    for item_id, result in parsed.items():
        if not isinstance(result, dict) or not isinstance(result.get("resolved"), bool):
            raise MalformedFile(f"{label}: task {item_id!r} has no true/false 'resolved'")
        cost, calls = result.get("cost"), result.get("api_calls")
        out[str(item_id)] = {
            "resolved": result["resolved"],
            "cost": float(cost) if isinstance(cost, int | float) and math.isfinite(cost) else None,
            "api_calls": int(calls) if isinstance(calls, int) and calls >= 0 else None,
        }
    return out
