"""Item-level IRT: fit speed and memory, recovery, a girth baseline, and adaptive-testing curves.

Run: ``.venv/bin/python benchmarks/bench_items.py [--models 2000 --items 5000] [--skip-girth]``.
girth (``pip install girth``) is the baseline, timed in the same run on the same matrix at a size
it finishes. Prints:

1. a synthetic 2PL matrix (dense and 30% missing): fit seconds, peak traced memory, r(θ), r(b);
2. girth's 2PL JML and opengap's on one smaller matrix: seconds each and the ratio;
3. adaptive evaluation: RMSE of the predicted full-benchmark accuracy vs number of items, for
   Fisher-information selection, a random subset of the same size, and a fixed anchor set
   (items at evenly spaced difficulty quantiles, tinyBenchmarks-style), on a simulated matrix
   and on the real SWE-bench Verified per-task results (leave-one-model-out calibration).
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy.special import expit

from opengap.fit.adaptive import map_ability, predicted_score, run_adaptive
from opengap.fit.items import ItemResponseModel

BUDGETS = (10, 25, 50, 100, 200)


def synthetic(n_models: int, n_items: int, missing: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    theta, b = rng.normal(size=n_models), rng.normal(size=n_items)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    m = np.repeat(np.arange(n_models, dtype=np.int32), n_items)
    i = np.tile(np.arange(n_items, dtype=np.int32), n_models)
    if missing:
        keep = rng.random(m.size) >= missing
        m, i = m[keep], i[keep]
    y = (rng.random(m.size, dtype=np.float32) < expit(a[i] * (theta[m] - b[i]))).astype(np.float64)
    return m, i, y, theta, b, a


def bench_fit(n_models: int, n_items: int) -> None:
    print(f"1. synthetic 2PL, {n_models} models x {n_items} items")
    for missing in (0.0, 0.3):
        m, i, y, theta, b, _ = synthetic(n_models, n_items, missing)
        tracemalloc.start()
        start = time.perf_counter()
        fit = ItemResponseModel(model="2pl").fit(m, i, y, n_models=n_models, n_items=n_items)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"   missing {missing:.0%}: {y.size:,} responses, {seconds:.2f} s, peak "
              f"{peak / 2**20:.0f} MiB traced ({peak / y.nbytes:.1f}x the score array), "
              f"{fit.n_iter_} sweeps, r(theta) {np.corrcoef(fit.ability_, theta)[0, 1]:.4f}, "
              f"r(b) {np.corrcoef(fit.difficulty_, b)[0, 1]:.4f}")


def bench_girth(n_models: int, n_items: int) -> None:
    print(f"2. girth baseline, {n_models} models x {n_items} items (2PL JML)")
    try:
        import girth
    except ImportError:
        print("   girth not installed (pip install girth): baseline skipped")
        return
    m, i, y, _, b, _ = synthetic(n_models, n_items, 0.0, seed=1)
    matrix = y.reshape(n_models, n_items).T.astype(int)  # girth: items x participants
    start = time.perf_counter()
    out = girth.twopl_jml(matrix)
    girth_s = time.perf_counter() - start
    start = time.perf_counter()
    fit = ItemResponseModel(model="2pl").fit(m, i, y)
    ours = time.perf_counter() - start
    r_g = np.corrcoef(np.asarray(out["Difficulty"], dtype=float), b)[0, 1]
    print(f"   girth {girth_s:.2f} s (r(b) {r_g:.4f}); opengap {ours:.2f} s "
          f"(r(b) {np.corrcoef(fit.difficulty_, b)[0, 1]:.4f}); "
          f"opengap is {girth_s / ours:.1f}x faster")


def anchor_set(b: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(b)
    return order[np.linspace(0, b.size - 1, k).round().astype(int)]


def curves(b: np.ndarray, a: np.ndarray, c: np.ndarray, answers: np.ndarray, seed: int = 0
           ) -> dict[str, list[float]]:  # fmt: skip
    """RMSE (accuracy points) of the predicted full score per budget for the three designs."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"adaptive": [], "random": [], "anchor": []}
    truth = answers.mean(axis=1)
    for budget in (k for k in BUDGETS if k < b.size):
        errs: dict[str, list[float]] = {k: [] for k in out}
        for row, y in enumerate(answers):
            run = run_adaptive(b, a, c, y, budget=budget, seed=seed + row)
            errs["adaptive"].append(run.predicted[-1] - truth[row])
            for name, pick in (("random", rng.choice(b.size, budget, replace=False)),
                               ("anchor", anchor_set(b, budget))):  # fmt: skip
                theta, se = map_ability(b, a, c, pick, y[pick])
                errs[name].append(predicted_score(b, a, c, theta, se, pick, y[pick])[0]
                                  - truth[row])  # fmt: skip
        for name, e in errs.items():
            out[name].append(100 * float(np.sqrt(np.mean(np.square(e)))))
    return out


def print_curves(title: str, table: dict[str, list[float]], n_items: int) -> None:
    budgets = [k for k in BUDGETS if k < n_items]
    print(f"   {title}: RMSE of predicted full-benchmark accuracy (points)")
    print("   items     " + "".join(f"{k:>8}" for k in budgets))
    for name, values in table.items():
        print(f"   {name:<10}" + "".join(f"{v:8.2f}" for v in values))


def bench_adaptive(swe: Path | None) -> None:
    print("3. adaptive evaluation")
    rng = np.random.default_rng(2)
    n_cal, n_test, n_items = 300, 40, 600
    theta = rng.normal(size=n_cal + n_test)
    b, a = rng.normal(0, 1.3, n_items), np.exp(rng.normal(0, 0.3, n_items))
    y = (rng.random((theta.size, n_items)) < expit(a * (theta[:, None] - b))).astype(float)
    m, i = np.nonzero(np.ones((n_cal, n_items)))
    cal = ItemResponseModel(model="2pl").fit(m, i, y[:n_cal].ravel())
    print_curves(f"simulated 2PL ({n_cal} calibration models, {n_test} new, {n_items} items)",
                 curves(cal.difficulty_, cal.discrimination_, cal.floor_, y[n_cal:]), n_items)
    if swe is None or not swe.exists():
        print("   real SWE-bench matrix skipped (../shared/data not found)")
        return
    data = json.loads((swe / "leaderboards.json").read_text())
    runs = [e["per_instance_details"] for lb in data["leaderboards"] if lb["name"] == "bash-only"
            for e in lb["results"] if e.get("per_instance_details")]  # fmt: skip
    tasks = sorted(runs[0])
    matrix = np.array([[1.0 if r[t]["resolved"] else 0.0 for t in tasks] for r in runs])
    table: dict[str, list[float]] = {"adaptive": [], "random": [], "anchor": []}
    parts: list[dict[str, list[float]]] = []
    for held in range(matrix.shape[0]):  # calibrate on the others, test the held-out model
        rest = np.delete(matrix, held, axis=0)
        mm, ii = np.nonzero(np.ones(rest.shape))
        fit = ItemResponseModel(model="2pl").fit(mm, ii, rest.ravel())
        parts.append(curves(fit.difficulty_, fit.discrimination_, fit.floor_,
                            matrix[held:held + 1], seed=held))  # fmt: skip
    for name in table:
        table[name] = [float(np.sqrt(np.mean([p[name][k] ** 2 for p in parts])))
                       for k in range(len(parts[0][name]))]  # fmt: skip
    print_curves(f"SWE-bench Verified bash-only ({matrix.shape[0]} models x {len(tasks)} tasks, "
                 "leave-one-model-out)", table, len(tasks))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--girth-models", type=int, default=500)
    parser.add_argument("--girth-items", type=int, default=1000)
    parser.add_argument("--skip-girth", action="store_true")
    args = parser.parse_args()
    bench_fit(args.models, args.items)
    if not args.skip_girth:
        bench_girth(args.girth_models, args.girth_items)
    swe = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "swe-bench-leaderboards"
    bench_adaptive(swe)


if __name__ == "__main__":
    main()
