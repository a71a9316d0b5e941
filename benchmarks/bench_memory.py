"""Peak memory of importing a large file, as a multiple of the file's size, per import kind.

Writes, in this run, a synthetic input of ``--mb`` megabytes (default 200) for each measured
kind, built from the real files in ../shared/data with unique names:

* ``epoch-open-report``: ``benchmarks_with_model_accessibility.csv``'s rows repeated, each
  ``System`` made unique (so each row is a new model with its scores);
* ``epoch-hub``: ``benchmarks_runs.csv``'s rows repeated, each run ``id`` unique and the
  models drawn from a pool of 2,000 names;
* ``artificial-analysis``: one dated folder whose ``llms.json`` repeats the latest snapshot's
  models, each with a unique ``id``, ``name`` and ``slug``;
* ``swe-bench``: ``leaderboards.json`` whose bash-only board repeats the entries that carry
  ``per_instance_details``, each with a unique ``name`` and ``folder``;
* ``lm-eval``: a ``samples_<task>_<time>.jsonl`` repeating the real Winogrande samples, each
  ``doc_id`` unique;
* ``responses``: a long-format CSV (model, benchmark, item, score) of 200 models x 30
  benchmarks x as many items as the size needs (the store knows none of them: every row is
  read, checked and rejected as naming an unknown model: the reader's memory);
* ``responses-known``: the same file into a store that already has the 200 models and 30
  benchmarks (imported from a small opengap CSV folder before the baseline is taken), so every
  response is stored: the reader's and the store's memory.

Each import runs in a fresh child process (``catalog.import_path``, as ``opengap import``); the
child reports its peak resident memory (``ru_maxrss``) and its resident memory just before the
import (Python, numpy, pandas and DuckDB loaded). Printed, one table: kind, file size, peak,
baseline, ``ratio = (peak - baseline) / file size``, and the target (<= 5), all measured in this
run. Asserts nothing.

Run: ``.venv/bin/python benchmarks/bench_memory.py [--mb 200] [--kind epoch-hub]``. On a
shared machine start small (``--mb 20``): the child needs about ratio x size of memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opengap.store.shadow import input_bytes

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TARGET = 5.0

#: The resident memory of the process now, in kB (the children's code, shared with
#: bench_store_writes.py).
RSS_KB = r"""
def rss_kb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
"""

_CHILD = RSS_KB + r"""
import json, resource, sys
from opengap import catalog
from opengap.store import Store

kind, path, db, prepare = sys.argv[1:5]
with Store(db) as store:
    if prepare:  # the models and benchmarks the file names, before the baseline
        catalog.import_path(store, "csv", prepare)
    base = rss_kb()
    result = catalog.import_path(store, kind, path)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak, "accepted": result.rows_accepted,
                  "rejected": result.rows_rejected}))
"""


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_open_report(target: Path, size: int) -> None:
    """Write an epoch-open-report file of about ``size`` bytes, one new model per row."""
    report = DATA / "epoch-open-models-2024"
    header, rows = _rows(report / "benchmarks_with_model_accessibility.csv")
    system = header.index("System")
    body = [r for r in rows if r[system] != "Random chance"]
    chance = [r for r in rows if r[system] == "Random chance"]
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([header, *chance])
        i = 0
        while handle.tell() < size:
            chunk = io.StringIO()
            w = csv.writer(chunk, lineterminator="\n")
            for row in body:
                copy = list(row)
                copy[system] = f"{row[system]} synthetic {i}"
                w.writerow(copy)
                i += 1
            handle.write(chunk.getvalue())


def write_hub_runs(target: Path, size: int) -> None:
    """Write a ``benchmarks_runs.csv`` of about ``size`` bytes, unique run ids."""
    header, rows = _rows(DATA / "epoch-benchmarking-hub" / "benchmarks_runs.csv")
    run_id, model = header.index("id"), header.index("model")
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        i = 0
        while handle.tell() < size:
            chunk = io.StringIO()
            w = csv.writer(chunk, lineterminator="\n")
            for row in rows:
                copy = list(row)
                copy[run_id] = f"synthetic-{i}"
                copy[model] = f"{row[model]}-synthetic-{i % 2000}"
                w.writerow(copy)
                i += 1
            handle.write(chunk.getvalue())


def _repeated(
    entries: list[dict[str, Any]], size: int,
    renamed: Callable[[dict[str, Any], int], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Return copies of ``entries``, cycled to about ``size`` bytes of JSON, copy ``i``
    updated with ``renamed(entry, i)`` (its unique names)."""
    one = len(json.dumps(entries)) / len(entries)
    copies = []
    for i in range(max(1, int(size / one))):
        entry = dict(entries[i % len(entries)])
        entry.update(renamed(entry, i))
        copies.append(entry)
    return copies


def write_artificial_analysis(target: Path, size: int) -> None:
    """Write ``target/2026-07-10/llms.json`` of about ``size`` bytes, unique models."""
    source = DATA / "artificial-analysis-2026" / "2026-07-10" / "llms.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    models = _repeated(data["models"], size, lambda entry, i: {
        "id": f"synthetic-{i}", "name": f"{entry['name']} synthetic {i}",
        "slug": f"{entry.get('slug') or 'model'}-synthetic-{i}",
    })  # fmt: skip
    folder = target / "2026-07-10"
    folder.mkdir(parents=True)
    (folder / "llms.json").write_text(json.dumps({"meta": data.get("meta"), "models": models}))


def write_swe_bench(target: Path, size: int) -> None:
    """Write a ``leaderboards.json`` of about ``size`` bytes: entries with per-instance details."""
    data = json.loads((DATA / "swe-bench-leaderboards" / "leaderboards.json").read_text())
    boards = data["leaderboards"]
    detailed = [e for b in boards for e in b["results"] if e.get("per_instance_details")]
    results = _repeated(detailed, size, lambda entry, i: {
        "name": f"{entry['name']} synthetic {i}",
        "folder": f"{entry.get('folder', 'run')}-synthetic-{i}",
    })  # fmt: skip
    target.write_text(json.dumps({"leaderboards": [{"name": "bash-only", "results": results}]}))


def write_lm_eval(target: Path, size: int) -> None:
    """Write an lm-eval samples file of about ``size`` bytes, unique ``doc_id``s."""
    folder = DATA / "lm-eval-samples" / "EleutherAI__pythia-14m"
    source = next(folder.glob("samples_metabench_winogrande_*.jsonl"))
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    with target.open("w", encoding="utf-8") as handle:
        i = 0
        while handle.tell() < size:
            chunk = io.StringIO()
            for sample in lines:
                copy = dict(sample)
                copy["doc_id"] = i
                chunk.write(json.dumps(copy) + "\n")
                i += 1
            handle.write(chunk.getvalue())


def write_responses(target: Path, size: int) -> None:
    """Write a long-format responses CSV of about ``size`` bytes, every row a new item."""
    with target.open("w", newline="") as handle:
        handle.write("model,benchmark,item,score\n")
        i = 0
        while handle.tell() < size:
            chunk = io.StringIO()
            for _ in range(10_000):
                chunk.write(f"model-{i % 200},benchmark-{i // 200 % 30},item-{i},{i % 2}\n")
                i += 1
            handle.write(chunk.getvalue())


def write_known(folder: Path) -> None:
    """Write an opengap CSV folder declaring the models and benchmarks of the responses file."""
    folder.mkdir()
    models = "".join(f"model-{i}\n" for i in range(200))
    (folder / "models.csv").write_text("model_id\n" + models, encoding="utf-8")
    benchmarks = "".join(f"benchmark-{i},0,1\n" for i in range(30))
    (folder / "benchmarks.csv").write_text("benchmark_id,chance,ceiling\n" + benchmarks,
                                           encoding="utf-8")  # fmt: skip


WRITERS = {
    "epoch-open-report": write_open_report,
    "epoch-hub": write_hub_runs,
    "artificial-analysis": write_artificial_analysis,
    "swe-bench": write_swe_bench,
    "lm-eval": write_lm_eval,
    "responses": write_responses,
    "responses-known": write_responses,
}
FILE_NAMES = {
    "epoch-open-report": "benchmarks_with_model_accessibility.csv",
    "epoch-hub": "benchmarks_runs.csv",
    "artificial-analysis": "artificial-analysis",
    "swe-bench": "leaderboards.json",
    "lm-eval": "samples_metabench_winogrande_secondary_2024-11-26T10-50-23.349203.jsonl",
    "responses": "responses.csv",
    "responses-known": "responses.csv",
}
KINDS = {"responses-known": "responses"}  # the import kind of a measured kind, where it differs


def measure(kind: str, megabytes: float) -> dict[str, float]:
    """Write the synthetic file, import it in a child process, return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        path = Path(tmp) / FILE_NAMES[kind]
        WRITERS[kind](path, int(megabytes * 1_000_000))
        size = input_bytes(path)  # as the import measures it
        prepare = ""
        if kind == "responses-known":
            write_known(Path(tmp) / "known")
            prepare = str(Path(tmp) / "known")
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, KINDS.get(kind, kind), str(path),
             str(Path(tmp) / "store.duckdb"), prepare],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    extra = (figures["peak_kb"] - figures["base_kb"]) * 1024
    return {
        "size_mb": size / 1e6,
        "peak_mb": figures["peak_kb"] * 1024 / 1e6,
        "base_mb": figures["base_kb"] * 1024 / 1e6,
        "ratio": extra / size,
        "accepted": figures["accepted"],
        "rejected": figures["rejected"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="synthetic file size in MB")
    parser.add_argument("--kind", choices=sorted(WRITERS), action="append")
    args = parser.parse_args(argv)
    print(f"{'kind':<20} {'file MB':>8} {'peak MB':>8} {'base MB':>8} {'ratio':>7} "
          f"{'target':>7} {'verdict':>8} {'accepted':>10} {'rejected':>10}")  # fmt: skip
    for kind in args.kind or sorted(WRITERS):
        f = measure(kind, args.mb)
        verdict = "ok" if f["ratio"] <= TARGET else "over"
        print(
            f"{kind:<20} {f['size_mb']:>8.1f} {f['peak_mb']:>8.0f} {f['base_mb']:>8.0f} "
            f"{f['ratio']:>7.2f} {'<= ' + format(TARGET, 'g'):>7} {verdict:>8} "
            f"{f['accepted']:>10,} {f['rejected']:>10,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
