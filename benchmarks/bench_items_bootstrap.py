"""Item-fit bootstrap timing: seconds per draw, and the extrapolated 500-draw, 10M-response cost.

Run: ``.venv/bin/python benchmarks/bench_items_bootstrap.py [--models 500 --items 2000
--draws 4] [--ray]``. Fits a synthetic 2PL matrix, times ``--draws`` bootstrap refits locally
(and on a local Ray cluster with ``--ray``, every core), and states the time a 500-draw
bootstrap of a 10M-response fit would take by scaling the measured seconds per draw linearly
in the number of responses (each sweep is a few passes over the responses) — an
extrapolation, printed as one, not a measurement at 10M.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy.special import expit

from opengap.fit.items import ItemResponseModel
from opengap.fit.items_bootstrap import bootstrap_item_fit

TARGET_RESPONSES = 10_000_000
TARGET_DRAWS = 500


def synthetic(n_models: int, n_items: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    theta, b = rng.normal(size=n_models), rng.normal(size=n_items)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    m = np.repeat(np.arange(n_models), n_items)
    i = np.tile(np.arange(n_items), n_models)
    y = (rng.random(m.size) < expit(a[i] * (theta[m] - b[i]))).astype(np.float64)
    return m, i, y


def report(label: str, seconds: float, draws: int, n: int, workers: int) -> None:
    per_draw = seconds / draws
    scaled = per_draw * TARGET_RESPONSES / n * TARGET_DRAWS
    print(f"   {label}: {draws} draws in {seconds:.1f} s ({per_draw:.2f} s per draw, "
          f"{workers} worker(s)); extrapolated 500 draws at 10M responses: "
          f"{scaled / 60:.0f} min ({scaled / 3600:.1f} h)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=4)
    parser.add_argument("--ray", action="store_true", help="also time a local Ray cluster")
    args = parser.parse_args()
    m, i, y = synthetic(args.models, args.items)
    n = y.size
    print(f"item-fit bootstrap, synthetic 2PL {args.models} x {args.items} ({n:,} responses)")
    start = time.perf_counter()
    fit = ItemResponseModel(model="2pl").fit(m, i, y)
    print(f"   the fit itself: {time.perf_counter() - start:.1f} s, {fit.n_iter_} sweeps")
    local = bootstrap_item_fit(fit, m, i, y, n_boot=args.draws, seed=1)
    report("local", local.seconds, args.draws, n, 1)
    if args.ray:
        import ray

        cpus = os.cpu_count() or 1
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        try:
            remote = bootstrap_item_fit(fit, m, i, y, n_boot=args.draws, seed=1, backend="ray")
        finally:
            ray.shutdown()
        report("ray (local cluster)", remote.seconds, args.draws, n, cpus)
        same = np.array_equal(remote.ability, local.ability)
        print(f"   ray draws equal the local ones: {same}")


if __name__ == "__main__":
    main()
