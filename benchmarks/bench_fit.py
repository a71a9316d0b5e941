"""Fit speed on the Epoch AI Benchmarking Hub: opengap's solver against plain scipy.

Imports ../shared/data/epoch-benchmarking-hub into a temporary store, selects the
``epoch-stitching`` preset's observations (the "Rosetta Stone" data set) and prints, measured in
this one run:

* the optimisation time of opengap's fit and of a plain scipy ``least_squares`` fit with a
  finite-difference Jacobian (trf, bounds, same objective, same start), their ratio, and the SSE,
  objective and largest capability difference of the two optima;
* the time of a 500-draw bootstrap on all cores, and per-refit times of the serial, thread and
  process backends (to show which is faster on this machine);
* the time of the way eci-public (epoch-research/eci-public, ``src/eci/fitting.py``) fits now:
  scipy ``least_squares`` (trf, bounds) with an analytic sparse Jacobian, the anchor benchmark's
  slope left out of the parameter vector, a penalty on every parameter, and a serial
  per-model-resampling bootstrap warm-started from the optimum — written here from that
  approach, on the same data — and opengap's time ratio to it, fit and bootstrap draw;
* the time of ``run_fit`` for each preset.

Prints figures; asserts nothing. Run with ``make bench`` or
``.venv/bin/python benchmarks/bench_fit.py [--repeats N] [--draws N] [--hub PATH]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import least_squares
from scipy.special import expit

from opengap import fitting
from opengap.fit import CapabilityEstimator
from opengap.fit.bootstrap import default_jobs, run_bootstrap
from opengap.fit.config import resolve_config
from opengap.fit.reference import reference_fit
from opengap.fit.selection import select
from opengap.fit.threads import single_threaded_blas
from opengap.sources import read_path
from opengap.store import Store
from opengap.store import fits as fit_store

HUB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epoch-benchmarking-hub"


def _cpu_share() -> float:
    """Share of wall time a busy Python loop gets the CPU (1.0 on an idle, unthrottled core)."""
    wall, cpu = time.perf_counter(), time.process_time()
    x = 0
    for i in range(3_000_000):
        x += i
    return (time.process_time() - cpu) / max(time.perf_counter() - wall, 1e-9)


class EciPublicStyle:
    """eci-public's fit: residuals σ(α_b(C_m − D_b)) − y plus one penalty residual
    √(λ·Σθ²/n), solved by scipy ``least_squares`` (trf, bounds) with the analytic sparse Jacobian.

    θ = [C (M), D (B), α of every benchmark but the anchor (B − 1)]; the penalty covers all of θ.
    """

    def __init__(self, n_models: int, n_benchmarks: int, anchor: int, ridge: float = 0.1):
        self.m, self.b, self.anchor, self.ridge = n_models, n_benchmarks, anchor, ridge
        self.n = n_models + 2 * n_benchmarks - 1
        big = 10.0
        self.lower = np.concatenate([np.full(n_models + n_benchmarks, -big),
                                     np.full(n_benchmarks - 1, 0.1)])  # fmt: skip
        self.upper = np.full(self.n, big)

    def _alpha(self, theta: np.ndarray) -> np.ndarray:
        return np.insert(theta[self.m + self.b :], self.anchor, 1.0)

    def residuals(self, theta: np.ndarray, mi: np.ndarray, bi: np.ndarray,
                  y: np.ndarray) -> np.ndarray:  # fmt: skip
        c, d, a = theta[: self.m], theta[self.m : self.m + self.b], self._alpha(theta)
        r = expit(a[bi] * (c[mi] - d[bi])) - y
        return np.append(r, np.sqrt(self.ridge * float(theta @ theta) / self.n))

    def jacobian(self, theta: np.ndarray, mi: np.ndarray, bi: np.ndarray,
                 y: np.ndarray) -> sp.csr_matrix:  # fmt: skip
        c, d, a = theta[: self.m], theta[self.m : self.m + self.b], self._alpha(theta)
        diff = c[mi] - d[bi]
        p = expit(a[bi] * diff)
        ds = p * (1.0 - p)
        rows = np.arange(len(y))
        free = bi != self.anchor
        a_col = self.m + self.b + np.where(bi < self.anchor, bi, bi - 1)
        penalty = np.sqrt(self.ridge * float(theta @ theta) / self.n)
        pen = self.ridge * theta / (self.n * penalty) if penalty > 0 else np.zeros(self.n)
        rr = np.concatenate([rows, rows, rows[free], np.full(self.n, len(y))])
        cc = np.concatenate([mi, self.m + bi, a_col[free], np.arange(self.n)])
        vv = np.concatenate([ds * a[bi], -ds * a[bi], (ds * diff)[free], pen])
        return sp.csr_matrix((vv, (rr, cc)), shape=(len(y) + 1, self.n))

    def fit(self, x0: np.ndarray, mi: np.ndarray, bi: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = least_squares(self.residuals, x0, jac=self.jacobian, args=(mi, bi, y),
                            bounds=(self.lower, self.upper), method="trf")  # fmt: skip
        return np.asarray(out.x)

    def start(self, seed: int = 42) -> np.ndarray:
        rs = np.random.RandomState(seed)
        return np.concatenate([rs.randn(self.m) * 0.1, rs.randn(self.b) * 0.1,
                               np.ones(self.b - 1)])  # fmt: skip

    def capabilities(self, theta: np.ndarray) -> np.ndarray:
        """Capabilities shifted so the anchor benchmark's difficulty is 0."""
        out: np.ndarray = theta[: self.m] - theta[self.m + self.anchor]
        return out

    def bootstrap(self, x: np.ndarray, mi: np.ndarray, bi: np.ndarray, y: np.ndarray,
                  draws: int, seed: int = 12345) -> float:  # fmt: skip
        """Serial per-model resampling refits, warm-started at ``x``; returns seconds taken."""
        rng = np.random.default_rng(seed)
        rows = [np.flatnonzero(mi == m) for m in range(self.m)]
        t0 = time.perf_counter()
        for _ in range(draws):
            idx = np.concatenate([rng.choice(r, size=r.size, replace=True) for r in rows])
            self.fit(x, mi[idx], bi[idx], y[idx])
        return time.perf_counter() - t0


def compare_eci_public(store: Store, draws: int, repeats: int) -> None:
    """Time eci-public's way against opengap's on the eci preset's data (same run)."""
    scores, models, benches = fit_store.catalogue_frames(store)
    obs = select(scores, models, benches, resolve_config("eci")).observations
    units = sorted(obs["model_id"].unique())
    bench_ids = sorted(obs["benchmark_id"].unique())
    mi = np.searchsorted(units, obs["model_id"])
    bi = np.searchsorted(bench_ids, obs["benchmark_id"])
    y = np.clip(obs["score"].to_numpy(), 1e-3, 1 - 1e-3)
    pin = bench_ids.index("winogrande")
    print(f"\neci-public's way vs opengap, eci preset data: {len(units)} models, "
          f"{len(bench_ids)} benchmarks, {len(y)} observations")  # fmt: skip
    theirs = EciPublicStyle(len(units), len(bench_ids), pin)
    t_theirs, x = [], theirs.start()
    for _ in range(repeats):
        t0 = time.perf_counter()
        x = theirs.fit(theirs.start(), mi, bi, y)
        t_theirs.append(time.perf_counter() - t0)
    est = CapabilityEstimator(pin_benchmark=pin, seed=42)
    t_ours = []
    for _ in range(repeats):
        est.fit(mi, bi, y, n_models=len(units), n_benchmarks=len(bench_ids))
        t_ours.append(est.fit_seconds_)
    a, b = statistics.median(t_theirs), statistics.median(t_ours)
    print(f"  fit        eci-public way {a * 1000:8.1f} ms   opengap {b * 1000:8.1f} ms   "
          f"opengap {a / b:.1f} x faster (median of {repeats})")  # fmt: skip
    gap = np.max(np.abs(theirs.capabilities(x) - est.capability_))
    print(f"  same optimum: largest |ΔC| {gap:.2e} logits")
    boot_theirs = theirs.bootstrap(x, mi, bi, y, draws) / draws
    boot = CapabilityEstimator(pin_benchmark=pin, seed=42, n_bootstrap=draws, n_jobs=1)
    boot.fit(mi, bi, y, n_models=len(units), n_benchmarks=len(bench_ids))
    boot_ours = boot.bootstrap_seconds_ / draws
    print(f"  bootstrap  eci-public way {boot_theirs * 1000:8.1f} ms   opengap "
          f"{boot_ours * 1000:8.1f} ms a draw, both serial ({draws} draws): opengap "
          f"{boot_theirs / boot_ours:.1f} x faster")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", type=Path, default=HUB, help="Hub export directory.")
    parser.add_argument("--repeats", type=int, default=20, help="Timed repeats of our fit.")
    parser.add_argument("--baseline-repeats", type=int, default=3, help="Repeats of scipy's.")
    parser.add_argument("--draws", type=int, default=500, help="Bootstrap draws.")
    parser.add_argument("--backend-draws", type=int, default=60, help="Draws per backend test.")
    parser.add_argument("--eci-draws", type=int, default=20, help="Draws timed eci-public's way.")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, {default_jobs()} usable; busy-loop CPU share "
          f"{_cpu_share():.2f} (below 1 = a shared or throttled CPU)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as store:
        t0 = time.perf_counter()
        store.apply_batch(read_path("epoch-hub", args.hub))
        print(f"import epoch-hub: {time.perf_counter() - t0:.2f} s")
        scores, models, benches = fit_store.catalogue_frames(store)
        config = resolve_config("epoch-stitching")
        obs = select(scores, models, benches, config).observations
        units = sorted(obs["model_id"].unique())
        bench_ids = sorted(obs["benchmark_id"].unique())
        m_idx = np.searchsorted(units, obs["model_id"])
        b_idx = np.searchsorted(bench_ids, obs["benchmark_id"])
        y = obs["score"].to_numpy()
        pin = bench_ids.index("winogrande")
        print(f"epoch-stitching data: {len(units)} models, {len(bench_ids)} benchmarks, "
              f"{len(y)} observations")  # fmt: skip

        ours = []
        est = CapabilityEstimator(pin_benchmark=pin, seed=42)
        for _ in range(args.repeats):
            est.fit(m_idx, b_idx, y, n_models=len(units), n_benchmarks=len(bench_ids))
            ours.append(est.fit_seconds_)
        base = []
        ref = None
        for _ in range(args.baseline_repeats):
            t0 = time.perf_counter()
            ref = reference_fit(m_idx, b_idx, y, len(units), len(bench_ids), pin, seed=42)
            base.append(time.perf_counter() - t0)
        assert ref is not None
        ours_med, base_med = statistics.median(ours), statistics.median(base)
        print("\nfit (optimisation only), median of repeats:")
        print(f"  opengap   {ours_med * 1000:8.1f} ms  (min {min(ours) * 1000:.1f} ms, "
              f"{est.n_iter_} Newton iterations)")  # fmt: skip
        print(f"  scipy FD  {base_med * 1000:8.1f} ms  (min {min(base) * 1000:.1f} ms, "
              f"{ref.nfev} residual evaluations besides its FD Jacobians)")  # fmt: skip
        print(f"  ratio     {base_med / ours_med:8.1f} x faster (min/min "
              f"{min(base) / min(ours):.1f} x)")  # fmt: skip
        print(f"  SSE       opengap {est.sse_:.6f}   scipy {ref.sse:.6f}   "
              f"relative difference {abs(est.sse_ - ref.sse) / ref.sse:.2e}")  # fmt: skip
        print(f"  objective opengap {est.objective_:.9f}   scipy {2 * ref.cost:.9f}")
        print(f"  largest |ΔC| {np.max(np.abs(est.capability_ - ref.capability)):.2e} logits")

        print(f"\nbootstrap, {args.draws} draws on {default_jobs()} worker processes:")
        boot = CapabilityEstimator(pin_benchmark=pin, seed=42, n_bootstrap=args.draws)
        boot.fit(m_idx, b_idx, y)
        assert boot.draws_converged_ is not None
        per_draw = boot.bootstrap_seconds_ / args.draws * 1000
        print(f"  {boot.bootstrap_seconds_:.2f} s ({per_draw:.1f} ms a draw), "
              f"{int(boot.draws_converged_.sum())}/{args.draws} converged")  # fmt: skip
        task = boot._task(boot.problem_, boot.free_, boot.lower_, boot.upper_)
        print(f"  backends, {args.backend_draws} draws each:")
        for backend, jobs in (("serial", 1), ("thread", default_jobs()),
                              ("process", default_jobs())):  # fmt: skip
            t0 = time.perf_counter()
            with single_threaded_blas():
                run_bootstrap(task, args.backend_draws, 0, n_jobs=jobs, backend=backend)
            took = time.perf_counter() - t0
            print(f"    {backend:8s} x{jobs:<3d} {took:6.2f} s  "
                  f"({took / args.backend_draws * 1000:.1f} ms a draw)")  # fmt: skip

        compare_eci_public(store, args.eci_draws, max(3, args.baseline_repeats))

        print("\nrun_fit (selection, fit, Laplace, 5-fold CV, scale; no bootstrap):")
        for preset in ("epoch-stitching", "eci", "default"):
            t0 = time.perf_counter()
            result = fitting.run_fit(store, preset=preset, bootstrap=0, save=False)
            print(f"  {preset:16s} {time.perf_counter() - t0:6.2f} s  {result.n_models} models, "
                  f"{result.n_benchmarks} benchmarks, {result.n_observations} observations, "
                  f"fit {result.fit_seconds * 1000:.1f} ms, SSE {result.sse:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
