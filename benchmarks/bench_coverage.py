"""Coverage of the gap estimators' 90% intervals on synthetic ecosystems with a known lag.

Runs :func:`opengap.analysis.coverage.coverage_table` with more replications than the test
(``tests/analysis/test_coverage.py``) and prints, per estimator (lag, Epoch's significance-aware
lag, trend, catch-up) and shift (3, 6, 9 months): the share of 90% intervals covering the
estimator's target (the shift; for the significance-aware lag its value on the true
capabilities) and covering the shift, the share of point estimates sitting on a bound of their
own interval (the significance-aware lag's points at its floor 0 counted apart, ``at_zero``),
the mean target, the mean estimate and the mean width.

Prints figures; asserts nothing. Run with
``.venv/bin/python benchmarks/bench_coverage.py [--replications N] [--draws N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from opengap.analysis.coverage import coverage_table


def main() -> None:
    """Print the coverage table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    table = coverage_table(replications=args.replications, n_draws=args.draws, seed=args.seed)
    seconds = time.perf_counter() - start
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n{args.replications} ecosystems per shift, {args.draws} draws each, "
          f"seed {args.seed}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
