"""Fuzz every importer with damaged copies of the real files in ../shared/data.

Each real file an importer reads is mutated at least ``--per-file`` ways (default 50:
truncations, dropped / repeated / swapped columns, repeated and conflicting rows, NaN, inf,
huge and negative numbers, wrong types, bad dates, binary noise, encoding errors, deep
nesting, empty files, ...). Each mutant is imported with the CLI (``opengap import KIND PATH
--db STORE --json``, the typer app run in a worker process) into a copy of an empty store, with
a time limit. The script prints, over all mutants:

* ``tracebacks``: the command raised anything but a clean exit (an exception escaped).
* ``hangs``: the command did not finish within ``--timeout`` seconds (the worker is killed).
* ``wrong exit codes``: an exit code other than 0 or 2, or an exit 2 whose stderr is not
  exactly one ``Error: ...`` line.
* ``store changed on failure``: after an exit 2, a dump of every table differs from before.
* ``bad values stored``: after an exit 0, a stored value breaks an invariant (a non-finite
  number; a score outside [0, ceiling] of a fraction benchmark; a negative size, error or
  count; a date outside 1950..next year; an empty id), or -- for mutants that add no new
  value (truncations, dropped or repeated columns or rows, noise, encoding, line endings) --
  a stored (model, benchmark, value) triple that importing the intact file does not store
  (for lm-eval samples the item scores are compared: their mean is derived, and a file cut at
  a line end is a valid shorter file with another mean).
  A file cut inside the last cell of its last row is indistinguishable from a complete file
  whose last value is shorter (most real files have no final newline); such values are
  counted apart as ``cut in the last cell (undetectable)`` and do not count as bad.

Run: ``.venv/bin/python benchmarks/fuzz_imports.py [--per-file 50] [--only SUBSTRING ...]
[--timeout 120] [--data ../shared/data]``. Exit status 1 when any of the five counts is not 0.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import multiprocessing as mp
import queue
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: (kind, path relative to the data folder, glob) of every real file an importer reads.
TARGETS: list[tuple[str, str]] = [
    ("epoch-hub", "epoch-benchmarking-hub/benchmarks_runs.csv"),
    ("epoch-hub", "epoch-benchmarking-hub/model_versions.csv"),
    ("epoch-hub", "epoch-benchmarking-hub/benchmark_optim.csv"),
    ("epoch-hub", "epoch-benchmarking-hub/external_benchmark_*.csv"),
    ("epoch-models", "epoch-open-models-2024/all_ml_systems_full_view.csv"),
    ("epoch-open-report", "epoch-open-models-2024/benchmarks_with_model_accessibility.csv"),
    ("epoch-open-report", "epoch-open-models-2024/gsm1k_with_model_accessibility.csv"),
    ("open-llm-leaderboard", "open-llm-leaderboard-v1/open-llm-leaderboard.csv"),
    ("lm-eval", "lm-eval-samples/*/samples_*.jsonl"),
    # the two JSON importers that stream their file in parts (ijson)
    ("artificial-analysis", "artificial-analysis-2026/2026-07-10/llms.json"),
    ("swe-bench", "swe-bench-leaderboards/leaderboards.json"),
]

COUNTS = (
    "tracebacks", "hangs", "wrong exit codes", "store changed on failure", "bad values stored",
)  # fmt: skip


# ------------------------------------------------------------------------------ mutations
@dataclass
class Mutant:
    """One damaged copy: its name, its bytes, whether it can add values of its own."""

    name: str
    data: bytes
    adds_values: bool = False  # True: stored values need not appear in the intact import
    cut_at: int | None = None  # for truncations: the byte offset the file ends at


_NUMBER = re.compile(rb"(?<![\w.])-?\d+\.\d+(?![\w.])|(?<![\w.\-])\d{1,6}(?![\w.\-:/])")
_DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")
_BAD_NUMBERS = [
    b"nan", b"NaN", b"inf", b"-inf", b"Infinity", b"1e308", b"1e400", b"-1", b"-0.5",
    b"99999999999999999999", b"2147483648", b"1e-400", b"0x1F", b"1,5", b"abc", b"", b"true",
    b"[1, 2]", b"12%", b"\xe2\x88\x9e",
]  # fmt: skip
_BAD_DATES = [b"0001-01-01", b"9999-12-31", b"1e20", b"2024-13-45", b"1949-12-31", b"20240101"]
_NOISE = bytes([*range(0, 9), *range(14, 32), *range(0x80, 0x100)])  # never a digit or comma


def _replace_nth(data: bytes, pattern: re.Pattern[bytes], rng: random.Random, new: bytes) -> bytes:
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    m = matches[rng.randrange(len(matches))]
    return data[: m.start()] + new + data[m.end() :]


def _csv_rows(data: bytes) -> list[list[str]] | None:
    try:
        text = data.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def mutants(data: bytes, is_csv: bool, count: int, seed: int) -> list[Mutant]:
    """Return ``count`` (or more) deterministic mutants of a file's bytes."""
    rng = random.Random(seed)
    out = [
        Mutant("empty", b""),
        Mutant("one newline", b"\n"),
        Mutant("first line only", data.split(b"\n", 1)[0] + b"\n"),
        Mutant("utf-16", data.decode("utf-8", "replace").encode("utf-16"), adds_values=True),
        Mutant(
            "invalid utf-8 in the middle",
            data[: len(data) // 2] + b"\xff\xfe" + data[len(data) // 2 :],
        ),
        Mutant(
            "latin-1 letters",
            data.decode("utf-8", "replace").encode("latin-1", "replace"),
            adds_values=True,
        ),
        Mutant("double BOM", codecs.BOM_UTF8 * 2 + data),
        Mutant("CRLF line ends", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")),
        Mutant("deep nesting at the start", b"[" * 100_000 + data),
        Mutant(
            "deep nesting as a value",
            _replace_nth(data, _NUMBER, rng, b"[" * 50_000 + b"]" * 50_000),
            adds_values=True,
        ),
        Mutant("a 2 MB cell", _replace_nth(data, _NUMBER, rng, b"9" * 2_000_000), adds_values=True),
        Mutant(
            "unclosed quote",
            data[: len(data) // 3] + b'"' + data[len(data) // 3 :],
            adds_values=True,
        ),
        Mutant("NUL bytes", data.replace(b",", b",\x00", 3)),
    ]
    for fraction in (0.999, 0.9, 0.75, 0.5, 0.25, 0.1, 0.01):
        cut = max(1, int(len(data) * fraction) - rng.randrange(0, 50))
        out.append(Mutant(f"cut at {fraction:.1%}", data[:cut], cut_at=cut))
    for i in range(6):
        cut = rng.randrange(1, max(2, len(data)))
        out.append(Mutant(f"cut at byte {cut} ({i})", data[:cut], cut_at=cut))
    for bad in _BAD_NUMBERS:
        out.append(Mutant(f"number -> {bad[:12]!r}", _replace_nth(data, _NUMBER, rng, bad), True))
    for bad in _BAD_DATES:
        out.append(Mutant(f"date -> {bad!r}", _replace_nth(data, _DATE, rng, bad), True))
    for i in range(4):
        at = rng.randrange(len(data) or 1)
        noise = bytes(rng.choice(_NOISE) for _ in range(16))
        out.append(Mutant(f"binary noise {i}", data[:at] + noise + data[at:]))
    rows = _csv_rows(data) if is_csv else None
    if rows and len(rows) > 2 and rows[0]:
        out += _csv_mutants(rows, rng)
    elif not is_csv:
        out += _json_mutants(data, rng)
    while len(out) < count:
        at = rng.randrange(len(data) or 1)
        out.append(Mutant(f"cut at byte {at} (extra)", data[:at], cut_at=at))
    if len(out) > count:  # a deterministic sample that keeps the order of the list above
        keep = sorted(rng.sample(range(len(out)), count))
        out = [out[i] for i in keep]
    return out


def _csv_mutants(rows: list[list[str]], rng: random.Random) -> list[Mutant]:
    header, body = rows[0], rows[1:]
    width = len(header)
    out = []
    for column in rng.sample(range(width), min(3, width)):
        dropped = [[c for j, c in enumerate(r) if j != column] for r in rows]
        out.append(Mutant(f"drop column {header[column]!r}", _csv_bytes(dropped)))
        doubled = [[*r, r[column] if column < len(r) else ""] for r in rows]
        out.append(Mutant(f"repeat column {header[column]!r}", _csv_bytes(doubled)))
    if width > 1:
        a, b = rng.sample(range(width), 2)
        swapped = list(header)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        out.append(Mutant("swap two header names", _csv_bytes([swapped, *body]), True))
    out.append(Mutant("header in capitals", _csv_bytes([[h.upper() for h in header], *body])))
    i = rng.randrange(len(body))
    out.append(Mutant("repeat a row", _csv_bytes([header, *body, body[i]])))
    changed = list(body[i])
    numeric = [j for j, c in enumerate(changed) if re.fullmatch(r"-?\d+(\.\d+)?%?", c)]
    if numeric:
        j = rng.choice(numeric)
        changed[j] = "0.123" if changed[j] != "0.123" else "0.321"
        out.append(Mutant("conflicting repeat", _csv_bytes([header, *body, changed]), True))
    out.append(Mutant("a short row", _csv_bytes([header, *body[:i], body[i][:-1], *body[i + 1 :]])))
    out.append(
        Mutant("a long row", _csv_bytes([header, *body[:i], [*body[i], "x"], *body[i + 1 :]]))
    )
    shuffled = list(body)
    rng.shuffle(shuffled)
    out.append(Mutant("rows shuffled", _csv_bytes([header, *shuffled])))
    out.append(Mutant("header only", _csv_bytes([header])))
    return out


def _json_mutants(data: bytes, rng: random.Random) -> list[Mutant]:
    lines = data.splitlines(keepends=True)
    out = [Mutant("a line repeated", b"".join([*lines, lines[rng.randrange(len(lines))]]))]
    out.append(
        Mutant("two lines joined", b"".join(lines[:2]).replace(b"\n", b"", 1) + b"".join(lines[2:]))
    )
    out.append(Mutant("a line that is a list", b"[1, 2]\n" + data))
    out.append(Mutant("a line of deep nesting", b"[" * 100_000 + b"]" * 100_000 + b"\n" + data))
    for key, value in ((b'"acc": ', b'"acc": "high", '), (b'"doc_id": ', b'"doc_id": null, ')):
        out.append(
            Mutant(f"{key.decode()} wrong type", data.replace(key, value + b'"_x": ', 1), True)
        )
    for bad in (b"NaN", b"Infinity", b"-1e308", b"1e400", b"2"):
        out.append(
            Mutant(
                f"acc -> {bad!r}", re.sub(rb'"acc": [\d.]+', b'"acc": ' + bad, data, count=3), True
            )
        )
    return out


# ------------------------------------------------------------------------------ worker
def _worker(jobs: mp.Queue[Any], results: mp.Queue[Any], base_store: str) -> None:
    """Run jobs: import a path with the CLI into a copy of ``base_store``; report what happened."""
    import math
    from datetime import date

    from typer.testing import CliRunner

    from opengap.cli import app
    from opengap.names import alias_key
    from opengap.sources.lm_eval import SAMPLES_SOURCE
    from opengap.store import Store
    from opengap.store.schema import TABLES

    runner = CliRunner()
    base_dump: list[Any] | None = None
    latest = date.fromordinal(date.today().toordinal() + 366)

    def dump(db: Path) -> list[Any]:
        with Store(db, read_only=True) as store:
            return [store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES]

    def bad_values(store: Store) -> list[str]:
        problems = []
        checks = {
            "score not finite or out of range": (
                # a benchmark of unknown scale may go below 0 (AA's Omniscience Index: -100..100)
                "SELECT count(*) FROM scores s JOIN benchmarks b USING (benchmark_id) WHERE "
                "isnan(s.value) OR isinf(s.value) OR ((b.is_fraction OR b.ceiling IS NOT NULL) "
                "AND (s.value < 0 OR s.value > coalesce(b.ceiling, 1.0) + 1e-9))"
            ),
            "stderr or n_items bad": (
                "SELECT count(*) FROM scores WHERE isnan(stderr) OR isinf(stderr) OR stderr < 0 "
                "OR n_items < 0"
            ),
            "model size or compute bad": (
                "SELECT count(*) FROM models WHERE isnan(params_total_b) OR isinf(params_total_b) "
                "OR params_total_b < 0 OR isnan(params_active_b) OR isinf(params_active_b) OR "
                "params_active_b < 0 OR isinf(training_compute_flop) OR training_compute_flop < 0"
            ),
            "benchmark chance/ceiling/items bad": (
                "SELECT count(*) FROM benchmarks WHERE isinf(chance) OR isnan(chance) OR "
                "isinf(ceiling) OR isnan(ceiling) OR ceiling <= 0 OR n_items < 0"
            ),
            "response score outside [0, 1]": (
                "SELECT count(*) FROM responses WHERE isnan(score) OR score < 0 OR score > 1"
            ),
        }
        for what, sql in checks.items():
            n = store.con.execute(sql).fetchall()[0][0]
            if n:
                problems.append(f"{n} {what}")
        for table, column in (
            ("models", "release_date"), ("benchmarks", "release_date"), ("scores", "eval_date"),
        ):  # fmt: skip
            n = store.con.execute(
                f"SELECT count(*) FROM {table} WHERE {column} < DATE '1950-01-01' "
                f"OR {column} > DATE '{latest.isoformat()}'"
            ).fetchall()[0][0]
            if n:
                problems.append(f"{n} implausible {table}.{column}")
        for table, column in (("models", "model_id"), ("benchmarks", "benchmark_id")):
            ids = [r[0] for r in store.con.execute(f"SELECT {column} FROM {table}").fetchall()]
            if any(not alias_key(i) for i in ids):
                problems.append(f"an empty {column}")
        return problems

    def triples(store: Store) -> set[tuple[str, str, float]]:
        # The mean of an lm-eval samples file is derived (a file cut at a line end is a valid,
        # shorter file with another mean): its item scores are compared instead.
        rows = store.con.execute(
            "SELECT model_id, benchmark_id, value FROM scores WHERE source IS DISTINCT FROM ? "
            "UNION ALL SELECT model_id, benchmark_id || ':' || item_id, score FROM responses",
            [SAMPLES_SOURCE],
        ).fetchall()
        return {
            (m, b, round(float(v), 9)) for m, b, v in rows if v is not None and math.isfinite(v)
        }

    while True:
        job = jobs.get()
        if job is None:
            return
        kind, path, want_triples = job
        work = Path(tempfile.mkdtemp(prefix="fuzz-store-"))
        db = work / "store.duckdb"
        shutil.copy(base_store, db)
        if base_dump is None:
            base_dump = dump(db)
        result = runner.invoke(app, ["import", kind, path, "--db", str(db), "--json"])
        outcome: dict[str, Any] = {"exit": result.exit_code, "stderr": result.stderr}
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            outcome["traceback"] = f"{type(result.exception).__name__}: {result.exception}"[:300]
        elif result.exit_code == 0:
            with Store(db, read_only=True) as store:
                outcome["bad"] = bad_values(store)
                outcome["triples"] = sorted(triples(store)) if want_triples else None
        elif result.exit_code == 2:
            outcome["changed"] = dump(db) != base_dump
        shutil.rmtree(work, ignore_errors=True)
        results.put(outcome)


class Pool:
    """One worker process; restarted when a job overruns its time limit (a hang)."""

    def __init__(self, base_store: str) -> None:
        self.ctx = mp.get_context("spawn")
        self.base_store = base_store
        self._start()

    def _start(self) -> None:
        self.jobs: mp.Queue[Any] = self.ctx.Queue()
        self.results: mp.Queue[Any] = self.ctx.Queue()
        self.proc = self.ctx.Process(
            target=_worker, args=(self.jobs, self.results, self.base_store), daemon=True
        )
        self.proc.start()

    def run(self, kind: str, path: str, timeout: float, triples: bool) -> dict[str, Any] | None:
        """Return the job's outcome, or None when it hung (the worker is replaced)."""
        self.jobs.put((kind, path, triples))
        try:
            outcome: dict[str, Any] = self.results.get(timeout=timeout)
            return outcome
        except queue.Empty:
            self.proc.kill()
            self.proc.join()
            self._start()
            return None

    def close(self) -> None:
        self.jobs.put(None)
        self.proc.join(timeout=10)


# ------------------------------------------------------------------------------ main
@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    mutants: int = 0
    undetectable: int = 0

    def add(self, what: str, example: str) -> None:
        self.counts[what] += 1
        self.examples.setdefault(what, [])
        if len(self.examples[what]) < 5:
            self.examples[what].append(example)


TALLY = Tally()  # module-level, so an interrupted run still prints what it counted


def _targets(data: Path, only: list[str] | str | None) -> list[tuple[str, Path]]:
    if isinstance(only, str):
        only = [only]
    found = []
    for kind, pattern in TARGETS:
        for path in sorted(data.glob(pattern)):
            if not only or any(part in str(path) for part in only):
                found.append((kind, path))
    return found


def _last_cell_cut(data: bytes, cut: int | None) -> bool:
    """True when a file cut at ``cut`` ends inside the last cell of a row, with no newline."""
    if cut is None:
        return False
    tail = data[:cut].rsplit(b"\n", 1)[-1]
    rest = data[cut:].split(b"\n", 1)[0]
    return bool(tail) and b"," not in rest and b'"' not in rest


def fuzz(
    data: Path,
    per_file: int,
    timeout: float,
    only: list[str] | str | None,
    say: Callable[[str], None],
) -> Tally:
    """Run every mutant of every target file; return the tally (also kept in ``TALLY``)."""
    global TALLY
    tally = TALLY = Tally()
    scratch = Path(tempfile.mkdtemp(prefix="fuzz-"))
    base = scratch / "base.duckdb"
    from opengap.store import Store  # the parent creates the empty store once

    Store(base).close()
    pool = Pool(str(base))
    try:
        for kind, path in _targets(data, only):
            original = path.read_bytes()
            target_dir = scratch / "in" / path.parent.name
            target_dir.mkdir(parents=True, exist_ok=True)
            target = target_dir / path.name
            reference = pool.run(kind, str(path), timeout * 4, True)
            if reference is None or reference.get("exit") != 0:
                say(f"{path.name}: the intact file does not import: {reference}")
                tally.add("tracebacks", f"{path.name}: intact file: {reference}")
                continue
            known = {tuple(t) for t in reference["triples"] or []}
            seed = sum(path.name.encode())
            started = time.perf_counter()
            made = mutants(original, path.suffix == ".csv", per_file, seed)
            for mutant in made:
                target.write_bytes(mutant.data)
                tally.mutants += 1
                label = f"{path.name} / {mutant.name}"
                outcome = pool.run(kind, str(target), timeout, not mutant.adds_values)
                if outcome is None:
                    tally.add("hangs", label)
                    continue
                if "traceback" in outcome:
                    tally.add("tracebacks", f"{label}: {outcome['traceback']}")
                    continue
                code = outcome["exit"]
                if code not in (0, 2):
                    tally.add("wrong exit codes", f"{label}: exit {code}")
                    continue
                if code == 2:
                    lines = outcome["stderr"].splitlines()
                    if len(lines) != 1 or not lines[0].startswith("Error: "):
                        tally.add(
                            "wrong exit codes", f"{label}: stderr {outcome['stderr'][:200]!r}"
                        )
                    if outcome["changed"]:
                        tally.add("store changed on failure", label)
                    continue
                if outcome["bad"]:
                    tally.add("bad values stored", f"{label}: {', '.join(outcome['bad'])}")
                    continue
                new = {tuple(t) for t in outcome["triples"] or []} - known
                if new:
                    if _last_cell_cut(original, mutant.cut_at) and len(new) == 1:
                        tally.undetectable += 1
                    else:
                        tally.add("bad values stored", f"{label}: not in the intact import: "
                                  f"{sorted(new)[:2]}")  # fmt: skip
            found = ", ".join(f"{w} {n}" for w, n in tally.counts.items() if n) or "all 0 so far"
            took = time.perf_counter() - started
            say(f"{path.name}: {len(made)} mutants in {took:.1f} s ({found})")
    finally:
        pool.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--per-file", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--only", action="append", help="only files whose path contains this (repeatable)"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        say = (lambda _: None) if args.quiet else (lambda line: print(line, flush=True))
        tally = fuzz(args.data, args.per_file, args.timeout, args.only, say)
    except KeyboardInterrupt:
        tally = TALLY
        print("interrupted: the counts below cover the mutants run so far")
    print(f"mutants: {tally.mutants} ({time.perf_counter() - started:.0f} s)")
    for what in COUNTS:
        print(f"{what}: {tally.counts[what]}")
        for example in tally.examples.get(what, []):
            print(f"    {example}")
    print(f"cut in the last cell (undetectable, not counted): {tally.undetectable}")
    return 1 if any(tally.counts[w] for w in COUNTS) else 0


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
