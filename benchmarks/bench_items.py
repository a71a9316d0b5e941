"""Item-level IRT: fit speed and memory, recovery, a girth baseline, and adaptive-testing curves.

Run: ``.venv/bin/python benchmarks/bench_items.py [--models 5000 --items 20000] [--skip-girth]``.
girth (``pip install girth``) is the baseline, timed in the same run on the same matrix at a size
it finishes. Prints:

1. a synthetic 2PL matrix (default 5,000 × 20,000 = 100M responses; dense and 30% missing),
   each fitted in a fresh child process that generates it in blocks of rows (uint8, so the
   generator never holds more than the matrix and one block) and then fits it with
   ``fit_matrix``: wall and CPU seconds of the fit, sweeps, r(θ), r(b), the fit's peak traced
   memory (tracemalloc) and the child's peak resident memory (ru_maxrss, everything included);
   with torch installed, the torch backend on CPU too, and on a CUDA machine the same matrix and
   a 1B-response one on the GPU (skipped with one line elsewhere);
2. girth's 2PL JML and opengap's on one smaller matrix: seconds each and the ratio;
3. adaptive evaluation: RMSE of the predicted full-benchmark accuracy vs number of items, for
   Fisher-information selection, a random subset of the same size, and a fixed anchor set
   (items at evenly spaced difficulty quantiles, tinyBenchmarks-style), on a simulated matrix
   and on the real SWE-bench Verified per-task results (leave-one-model-out calibration).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
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


def synthetic_matrix(n_models: int, n_items: int, missing: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:  # fmt: skip
    """A 2PL uint8 matrix made in blocks of rows (255 marks a missing cell), θ and b."""
    rng = np.random.default_rng(seed)
    theta, b = rng.normal(size=n_models), rng.normal(size=n_items)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    y = np.empty((n_models, n_items), dtype=np.uint8)
    seen = np.empty((n_models, n_items), dtype=bool) if missing else None
    block = max(1, 2**22 // n_items)
    for r in range(0, n_models, block):
        rows = slice(r, min(r + block, n_models))
        p = expit((a * (theta[rows, None] - b)).astype(np.float32))
        np.less(rng.random(p.shape, dtype=np.float32), p, out=y[rows].view(bool))
        if seen is not None:
            np.greater_equal(rng.random(p.shape, dtype=np.float32), missing, out=seen[rows])
    return y, seen, theta, b


def child_fit(n_models: int, n_items: int, missing: float, backend: str, device: str) -> None:
    """In a child process: make the matrix, fit it, print one JSON line of figures."""
    y, seen, theta, b = synthetic_matrix(n_models, n_items, missing)
    if backend == "torch":  # imported before the clock starts; one CPU thread (see docs/items.md)
        import torch

        if device == "cpu":
            torch.set_num_threads(1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    fit = ItemResponseModel(model="2pl", backend=backend, device=device).fit_matrix(y, seen)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1]
    print(json.dumps({
        "responses": int(y.size if seen is None else seen.sum()), "wall_s": wall, "cpu_s": cpu,
        "sweeps": fit.n_iter_, "converged": bool(fit.converged_),
        "r_theta": float(np.corrcoef(fit.ability_, theta)[0, 1]),
        "r_b": float(np.corrcoef(fit.difficulty_, b)[0, 1]),
        "traced_mib": traced / 2**20, "rss_before_mib": before / 1024,
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matrix_mib": (y.nbytes + (0 if seen is None else seen.nbytes)) / 2**20,
    }))  # fmt: skip


def run_child(n_models: int, n_items: int, missing: float, backend: str = "dense",
              device: str = "cpu") -> dict[str, float] | None:  # fmt: skip
    cmd = [sys.executable, __file__, "--child", str(n_models), str(n_items), str(missing),
           backend, device]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(f"   child failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def print_figures(label: str, f: dict[str, float]) -> None:
    print(f"   {label}: {f['responses']:,.0f} responses, fit {f['wall_s']:.2f} s wall "
          f"({f['cpu_s']:.2f} s CPU), {f['sweeps']:.0f} sweeps, r(theta) {f['r_theta']:.4f}, "
          f"r(b) {f['r_b']:.4f}; fit traced peak {f['traced_mib']:.0f} MiB; process peak RSS "
          f"{f['rss_peak_mib']:.0f} MiB (matrix {f['matrix_mib']:.0f} MiB, "
          f"{f['rss_before_mib']:.0f} MiB before the fit)")  # fmt: skip


def bench_fit(n_models: int, n_items: int, backends: tuple[str, ...]) -> None:
    load = os.getloadavg()[0]
    print(f"1. synthetic 2PL, {n_models:,} models x {n_items:,} items "
          f"({os.cpu_count()} CPUs, load average {load:.1f} at start)")  # fmt: skip
    for backend in backends:
        for missing in (0.0, 0.3):
            f = run_child(n_models, n_items, missing, backend)
            if f is not None:
                label = "torch (cpu, 1 thread)" if backend == "torch" else "dense numpy (cpu)"
                print_figures(f"{label}, missing {missing:.0%}", f)
    bench_cuda(n_models, n_items)


def bench_cuda(n_models: int, n_items: int) -> None:
    try:
        import torch
    except ImportError:
        print("   torch not installed (pip install 'opengap[torch]'): torch backend skipped")
        return
    if not torch.cuda.is_available():
        print("   no CUDA device: the GPU figures (100M and 1B responses) are skipped")
        return
    for models, items in ((n_models, n_items), (50_000, 20_000)):
        f = run_child(models, items, 0.0, "torch", "cuda")
        if f is not None:
            print_figures(f"torch on {torch.cuda.get_device_name()}, {models:,} x {items:,}", f)


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
    r_g = np.corrcoef(np.asarray(out["Difficulty"], dtype=float), b)[0, 1]
    print(f"   girth {girth_s:.2f} s (r(b) {r_g:.4f})")
    for backend in ("sparse", "dense"):
        start = time.perf_counter()
        fit = ItemResponseModel(model="2pl", backend=backend).fit(m, i, y)
        ours = time.perf_counter() - start
        print(f"   opengap {backend} {ours:.2f} s (r(b) "
              f"{np.corrcoef(fit.difficulty_, b)[0, 1]:.4f}): {girth_s / ours:.1f}x faster")


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
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--skip-adaptive", action="store_true")
    parser.add_argument("--girth-models", type=int, default=500)
    parser.add_argument("--girth-items", type=int, default=1000)
    parser.add_argument("--skip-girth", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        models, items, missing, backend, device = args.child
        child_fit(int(models), int(items), float(missing), backend, device)
        return
    try:
        import torch  # noqa: F401

        backends: tuple[str, ...] = ("dense", "torch")
    except ImportError:
        backends = ("dense",)
    bench_fit(args.models, args.items, backends)
    if not args.skip_girth:
        bench_girth(args.girth_models, args.girth_items)
    if not args.skip_adaptive:
        swe = (Path(__file__).resolve().parents[1].parent / "shared" / "data"
               / "swe-bench-leaderboards")  # fmt: skip
        bench_adaptive(swe)


if __name__ == "__main__":
    main()
