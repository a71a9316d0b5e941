"""Time and size of the HTML report on the full Epoch AI Benchmarking Hub.

Imports ../shared/data/epoch-benchmarking-hub into a temporary store and writes the report
twice, printing, measured in this one run:

* ``cold``: the store holds no fit, so the report fits first (default preset, the report's
  bootstrap), then computes the gap, breakdowns and sensitivity and writes the file;
* ``warm``: the same store again, the fit now stored;
* for each, the time of every phase the library reports progress for (fit, domain refits,
  leave-one-benchmark-out refits, subset refits, harness refits) and of rendering and writing;
* the file's size, against the targets (< 10 s, < 8 MB).

Prints figures; asserts nothing. Run with
``.venv/bin/python benchmarks/bench_report.py [--hub PATH] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from opengap import catalog
from opengap.report import collect, render
from opengap.report.data import REPORT_BOOTSTRAP
from opengap.store import Store

HUB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epoch-benchmarking-hub"
TARGET_SECONDS = 10.0
TARGET_BYTES = 8_000_000


class Phases:
    """A progress callback that records when each task was first and last reported."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.spans: dict[str, list[float]] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        now = time.perf_counter() - self.start
        span = self.spans.setdefault(task, [now, now])
        span[1] = now

    def lines(self) -> list[str]:
        """Return one line per task: its share of the run."""
        return [f"    {task:<36} {end - begin:6.2f} s" for task, (begin, end) in
                self.spans.items()]  # fmt: skip


def write(store: Store, output: Path, label: str) -> float:
    """Write the report, print its phases and size; return the total seconds."""
    phases = Phases()
    began = time.perf_counter()
    data = collect(store, progress=phases)
    computed = time.perf_counter()
    output.write_text(render(data), encoding="utf-8")
    total = time.perf_counter() - began
    size = output.stat().st_size
    print(f"{label}: {total:.2f} s in all (target < {TARGET_SECONDS:g} s: "
          f"{'met' if total < TARGET_SECONDS else 'NOT met'}); "
          f"{size / 1e6:.2f} MB (target < {TARGET_BYTES / 1e6:g} MB: "
          f"{'met' if size < TARGET_BYTES else 'NOT met'})")  # fmt: skip
    print(f"  computing (library): {computed - began:.2f} s; fitted now: {data.fitted_now}")
    for line in phases.lines():
        print(line)
    print(f"  charts, rendering and writing: {total - (computed - began):.2f} s")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", type=Path, default=HUB, help="Hub export directory.")
    parser.add_argument("--out", type=Path, default=None, help="Keep the report here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        output = args.out or Path(tmp) / "report.html"
        with Store(Path(tmp) / "hub.duckdb") as store:
            began = time.perf_counter()
            result = catalog.import_path(store, "epoch-hub", args.hub)
            print(f"import: {time.perf_counter() - began:.2f} s, {result.rows_accepted} rows "
                  f"(report bootstrap: {REPORT_BOOTSTRAP} refits)")  # fmt: skip
            write(store, output, "cold (fit + report)")
        # Reopened, as a second `opengap report` would: nothing cached but the stored fit.
        with Store(Path(tmp) / "hub.duckdb") as store:
            write(store, output, "warm (stored fit)")
        print(f"report: {output}" if args.out else "report written to a temporary file")


if __name__ == "__main__":
    main()
