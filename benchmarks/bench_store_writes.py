"""Memory per row of the ways an import can write rows to DuckDB in one transaction.

What an import's peak memory is made of, measured apart from any reader: the same score rows
(the ``scores`` table's 18 columns, a 40-character hex key, ~200 bytes of text per row, as an
import of the Epoch report writes them) are written to a fresh store in one transaction, in a
fresh child process per way:

* ``on-conflict``: parts of 20,000 rows, each ``INSERT ... ON CONFLICT (score_key) DO UPDATE``
  (what an import does now, ``opengap.store.core``; the baseline of the ratios);
* ``plain``: the same parts, each a plain ``INSERT`` (no gain: 0.94-0.98 of the baseline);
* ``one-insert``: the parts staged as Parquet files, then one ``INSERT ... SELECT`` over all of
  them (DuckDB then writes whole row groups to the file before the commit);
* ``one-insert, no key``: the same into a table without the primary key.

Printed, one table: way, rows, peak resident memory above the store opened (bytes per row) and
the ratio to ``on-conflict`` measured in this run. Asserts nothing. docs/data.md ("Memory of a
large import") says what the figures mean for the import design.

Run: ``.venv/bin/python benchmarks/bench_store_writes.py [--rows 500000]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_memory import RSS_KB  # the same measure of resident memory

PART_ROWS = 20_000

_CHILD = RSS_KB + r"""
import glob, json, resource, sys
import duckdb
import pyarrow.parquet as pq

way, folder, db = sys.argv[1:4]
files = sorted(glob.glob(folder + "/*.parquet"))
con = duckdb.connect(db)
key = "" if way == "one-insert, no key" else " PRIMARY KEY"
con.execute(
    f"CREATE TABLE scores (score_key VARCHAR{key}, model_id VARCHAR NOT NULL, "
    "benchmark_id VARCHAR NOT NULL, value DOUBLE NOT NULL, value_text VARCHAR, "
    "normalized DOUBLE, stderr DOUBLE, n_items INTEGER, harness VARCHAR, setting VARCHAR, "
    "eval_date DATE, source VARCHAR, source_url VARCHAR, source_ref VARCHAR, trusted BOOLEAN, "
    "model_ref VARCHAR, import_id INTEGER, cost_per_task_usd DOUBLE)"
)
con.execute("CHECKPOINT")
base = rss_kb()
columns = pq.read_schema(files[0]).names
target = f"scores ({', '.join(columns)})"
con.begin()
if way.startswith("one-insert"):
    listed = ", ".join(f"'{f}'" for f in files)
    con.execute(f"INSERT INTO {target} SELECT * FROM read_parquet([{listed}])")
else:
    for f in files:
        con.register("part", pq.read_table(f))
        tail = " ON CONFLICT (score_key) DO UPDATE SET value = excluded.value"
        tail = tail if way == "on-conflict" else ""
        con.execute(f"INSERT INTO {target} SELECT * FROM part" + tail)
        con.unregister("part")
con.commit()
rows = con.execute("SELECT count(*) FROM scores").fetchall()[0][0]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "extra_kb": peak - base}))
"""

WAYS = ("on-conflict", "plain", "one-insert", "one-insert, no key")


def write_parts(folder: Path, rows: int) -> None:
    """Write ``rows`` synthetic score rows as Parquet parts of :data:`PART_ROWS`."""
    import hashlib

    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    for start in range(0, rows, PART_ROWS):
        n = range(start, min(rows, start + PART_ROWS))
        table = pa.table({
            "score_key": [hashlib.sha1(str(i).encode()).hexdigest() for i in n],
            "model_id": [f"model-{i // 3}-synthetic" for i in n],
            "benchmark_id": [("mmlu", "gsm8k", "bbh")[i % 3] for i in n],
            "value": [0.25 + (i % 700) / 1000 for i in n],
            "value_text": [f"{0.25 + (i % 700) / 1000:.4f}" for i in n],
            "source": ["Epoch AI, How far behind are open models? (2024)" for _ in n],
            "source_url": ["https://epoch.ai/blog/open-models-report" for _ in n],
            "source_ref": [f"Model {i // 3} synthetic" for i in n],
            "model_ref": [f"model-{i // 3}-synthetic" for i in n],
            "import_id": [1 for _ in n],
        })  # fmt: skip
        pq.write_table(table, folder / f"part-{start:09d}.parquet")


def measure(way: str, folder: Path, tmp: Path) -> dict[str, float]:
    db = tmp / f"store-{WAYS.index(way)}.duckdb"
    out = subprocess.run([sys.executable, "-c", _CHILD, way, str(folder), str(db)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rows": figures["rows"], "bytes_per_row": figures["extra_kb"] * 1024 / figures["rows"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500_000, help="score rows written")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        folder = Path(tmp) / "parts"
        folder.mkdir()
        write_parts(folder, args.rows)
        print(f"{'way':<20} {'rows':>10} {'peak bytes/row':>15} {'vs on-conflict':>15}")
        baseline = None
        for way in WAYS:
            f = measure(way, folder, Path(tmp))
            baseline = baseline or f["bytes_per_row"]
            print(f"{way:<20} {f['rows']:>10,} {f['bytes_per_row']:>15.0f} "
                  f"{f['bytes_per_row'] / baseline:>15.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
