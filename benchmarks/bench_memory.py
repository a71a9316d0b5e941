"""Peak memory of importing a large file, as a multiple of the file's size.

Writes, in this run, a synthetic file of ``--mb`` megabytes (default 200) for each measured
kind, built from the real rows in ../shared/data with unique model names:

* ``epoch-open-report``: ``benchmarks_with_model_accessibility.csv``'s rows repeated, each
  ``System`` made unique (so each row is a new model with its scores);
* ``epoch-hub``: ``benchmarks_runs.csv``'s rows repeated, each run ``id`` unique and the
  models drawn from a pool of 2,000 names.

Each import runs in a fresh child process (``opengap import KIND FILE --db STORE``); the
child reports its peak resident memory (``ru_maxrss``) and its resident memory just before the
import (Python, numpy, pandas and DuckDB loaded). Printed per kind: file size, peak, baseline,
``ratio = (peak - baseline) / file size``, and the target (<= 5). Asserts nothing.

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
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TARGET = 5.0

_CHILD = r"""
import json, resource, sys
from opengap import catalog
from opengap.store import Store

def rss_kb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

kind, path, db = sys.argv[1:4]
with Store(db) as store:
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


WRITERS = {"epoch-open-report": write_open_report, "epoch-hub": write_hub_runs}
FILE_NAMES = {
    "epoch-open-report": "benchmarks_with_model_accessibility.csv",
    "epoch-hub": "benchmarks_runs.csv",
}


def measure(kind: str, megabytes: float) -> dict[str, float]:
    """Write the synthetic file, import it in a child process, return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        path = Path(tmp) / FILE_NAMES[kind]
        WRITERS[kind](path, int(megabytes * 1_000_000))
        size = path.stat().st_size
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, kind, str(path), str(Path(tmp) / "store.duckdb")],
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
    for kind in args.kind or sorted(WRITERS):
        f = measure(kind, args.mb)
        verdict = "ok" if f["ratio"] <= TARGET else "over"
        print(
            f"{kind}: file {f['size_mb']:.1f} MB, peak {f['peak_mb']:.0f} MB, baseline "
            f"{f['base_mb']:.0f} MB, ratio (peak - baseline) / file = {f['ratio']:.2f} "
            f"(target <= {TARGET:g}: {verdict}); rows accepted {f['accepted']:,}, "
            f"rejected {f['rejected']:,}"
        )


if __name__ == "__main__":
    main()
