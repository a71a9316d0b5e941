"""The dense path of item-level IRT: responses as a models × items array, fitted in chunks.

Large, mostly complete response sets (:func:`use_dense`) are held as one uint8 array (binary
scores) or float32 array (partial credit), 0 where a cell is missing, with a boolean mask of
the missing cells (``None`` when nothing is missing): 1 or 2 bytes per cell instead of ~90 per
response for the sparse arrays. :class:`NumpyEngine` does the per-cell work of each sweep of
:func:`opengap.fit.items_jml.jml` over blocks of rows small enough to stay in cache, in
float32, with in-place numpy operations and BLAS matrix-vector products for the sums, on a few
threads (numpy releases the GIL inside its loops). A missing cell's σ is multiplied by 0, so its
probability, score and information are exactly 0 and it drops out of every sum.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from opengap.errors import BadArgument
from opengap.fit.items_jml import N_MOMENTS, SG, SJ, SJ_D, FloatArray
from opengap.fit.threads import single_threaded_blas

Values = npt.NDArray[np.uint8] | npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
CHUNK_BYTES = 1 << 21  # one float32 work buffer per block of rows (3 per thread)
DENSE_MIN_RESPONSES = 50_000
DENSE_MIN_DENSITY = 0.1
FLUSH_ROWS = 256  # rows summed in float32 before the sums move to float64
_EPS32 = np.float32(1e-9)


@dataclass(frozen=True)
class ResponseMatrix:
    """Responses as a models × items array (0 where missing) and the mask of missing cells."""

    values: Values
    missing: Mask | None

    @property
    def n_models(self) -> int:
        """Rows."""
        return int(self.values.shape[0])

    @property
    def n_items(self) -> int:
        """Columns."""
        return int(self.values.shape[1])

    @property
    def n_responses(self) -> int:
        """Observed cells."""
        cells = self.values.size
        return int(cells - (0 if self.missing is None else np.count_nonzero(self.missing)))


def use_dense(n_responses: int, n_models: int, n_items: int) -> bool:
    """Whether the dense path should fit these responses (large enough and dense enough)."""
    cells = n_models * n_items
    return n_responses >= DENSE_MIN_RESPONSES and n_responses >= DENSE_MIN_DENSITY * cells


def as_matrix(values: npt.ArrayLike, observed: npt.ArrayLike | None = None) -> ResponseMatrix:
    """Validate a models × items array of scores in [0, 1] and pack it as a ResponseMatrix.

    Missing cells are marked by ``observed`` (False), by NaN in a float array, or by 255 in an
    integer array. Binary scores are stored as uint8, others as float32.
    """
    v = np.asarray(values)
    if v.ndim != 2:
        raise BadArgument("a response matrix must be 2-D (models × items)")
    missing: Mask | None = None
    if observed is not None:
        obs = np.asarray(observed, dtype=bool)
        if obs.shape != v.shape:
            raise BadArgument("observed must have the response matrix's shape")
        missing = ~obs
    if v.dtype.kind == "b":
        v = v.view(np.uint8)
    if v.dtype.kind in "ui":
        if v.size and (v.max() > 1 or v.min() < 0):  # no temporaries in the common case
            sentinel = v == 255
            if np.any((v > 1) & ~sentinel) or np.any(v < 0):
                raise BadArgument("integer scores must be 0 or 1 (255 marks a missing cell)")
            missing = sentinel if missing is None else missing | sentinel
            del sentinel
        return _pack(v, missing, np.uint8)
    if v.dtype.kind != "f":
        raise BadArgument(f"scores must be numbers, not {v.dtype}")
    nan = np.isnan(v)
    if nan.any():
        missing = nan if missing is None else missing | nan
    del nan
    seen = v if missing is None else np.where(missing, 0.0, v)
    if not (np.all(np.isfinite(seen)) and seen.min() >= 0.0 and seen.max() <= 1.0):
        raise BadArgument("scores must be finite and within [0, 1]")
    binary = bool(np.all((seen == 0.0) | (seen == 1.0)))
    return _pack(seen, missing, np.uint8 if binary else np.float32)


def _pack(v: npt.NDArray[np.generic], missing: Mask | None, dtype: type) -> ResponseMatrix:
    if missing is not None and not missing.any():
        missing = None
    out: Values = np.ascontiguousarray(v, dtype=dtype)
    if missing is not None and np.any(out[missing]):
        out = np.where(missing, 0, out).astype(dtype)
    return ResponseMatrix(out, None if missing is None else np.ascontiguousarray(missing))


def from_responses(
    model: npt.NDArray[np.intp], item: npt.NDArray[np.intp], score: FloatArray,
    n_models: int, n_items: int,
) -> ResponseMatrix | None:  # fmt: skip
    """Scatter validated (model, item, score) responses into a matrix; None if a cell repeats."""
    observed = np.zeros((n_models, n_items), dtype=bool)
    observed[model, item] = True
    if np.count_nonzero(observed) < score.size:
        return None
    binary = bool(np.all((score == 0.0) | (score == 1.0)))
    values = np.zeros((n_models, n_items), dtype=np.uint8 if binary else np.float32)
    values[model, item] = score
    return ResponseMatrix(values, None if observed.all() else ~observed)


def default_threads() -> int:
    """Worker threads for the dense path: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


class NumpyEngine:
    """Per-cell work of the dense JML sweeps in numpy (see the module docstring).

    Parameters
    ----------
    matrix : ResponseMatrix
    threads : int, optional
        Worker threads, each over its own block of rows (default :func:`default_threads`).
    """

    def __init__(self, matrix: ResponseMatrix, *, threads: int | None = None) -> None:
        self.matrix = matrix
        self.n_models, self.n_items = matrix.n_models, matrix.n_items
        self.threads = max(1, min(threads or default_threads(), self.n_models))
        self.rows = max(1, CHUNK_BYTES // (4 * self.n_items))
        # multiplying by the observed mask is ~15x cheaper than a masked copy (copyto where=)
        self.observed = None if matrix.missing is None else ~matrix.missing

    @cached_property
    def _totals(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        v: Values = self.matrix.values
        miss = self.matrix.missing
        kind = np.int64 if v.dtype == np.uint8 else np.float64
        row_total = v.sum(axis=1, dtype=kind).astype(np.float64)
        col_total = v.sum(axis=0, dtype=kind).astype(np.float64)
        row_count = np.full(self.n_models, float(self.n_items))
        col_count = np.full(self.n_items, float(self.n_models))
        if miss is not None:
            row_count -= miss.sum(axis=1)
            col_count -= miss.sum(axis=0)
        return row_total, row_count, col_total, col_count

    def totals(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Return the score totals and response counts per model and per item."""
        return self._totals

    def _blocks(self) -> list[tuple[int, int]]:
        edges = np.linspace(0, self.n_models, self.threads + 1).round().astype(int)
        return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(edges)]

    def _parallel(self, work: _Work) -> list[FloatArray]:
        with single_threaded_blas(), np.errstate(over="ignore"):
            blocks = self._blocks()
            if len(blocks) == 1:
                return [work.run(*blocks[0])]
            with ThreadPoolExecutor(len(blocks)) as pool:
                return list(pool.map(lambda lohi: work.run(*lohi), blocks))

    def sweep(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> tuple[FloatArray, FloatArray]:
        """Return δ (each ability's clipped Newton step) and the (7, n_items) moments at θ + δ."""
        work = _Work(self, theta, b, a, c, two=two)
        parts = self._parallel(work)
        return work.delta, np.sum(parts, axis=0)

    def step(self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray) -> FloatArray:
        """Return δ alone (no item sums)."""
        work = _Work(self, theta, b, a, c, two=False, mode="step")
        self._parallel(work)
        return work.delta

    def moments(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> FloatArray:
        """Return the (7, n_items) moments at θ itself (δ = 0)."""
        work = _Work(self, theta, b, a, c, two=two, mode="moments")
        out: FloatArray = np.sum(self._parallel(work), axis=0)
        return out

    def final(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Return each ability's information Σ J a² and the (3, n_items) fit sums."""
        work = _Work(self, theta, b, a, c, two=True, mode="final")
        parts = self._parallel(work)
        return work.info, np.sum(parts, axis=0)


class _Work:
    """One pass over the matrix at fixed parameters; :meth:`run` does one block of rows."""

    def __init__(
        self, engine: NumpyEngine, theta: FloatArray, b: FloatArray, a: FloatArray,
        c: FloatArray, *, two: bool, mode: str = "sweep",
    ) -> None:  # fmt: skip
        self.engine, self.two, self.mode = engine, two, mode
        self.final = mode == "final"
        f32 = np.float32
        self.theta = theta
        self.neg_theta = (-theta).astype(f32)
        self.a, self.ab, self.a2 = a.astype(f32), (a * b).astype(f32), (a * a).astype(f32)
        self.floored = bool(np.any(c > 0.0))
        self.c, self.omc = c.astype(f32), (1.0 - c).astype(f32)
        self.delta = np.zeros(engine.n_models)
        self.info = np.zeros(engine.n_models)

    def run(self, lo: int, hi: int) -> FloatArray:
        """Process rows lo..hi in chunks; return this block's per-item sums.

        The sums gather in float32 over up to ``FLUSH_ROWS`` rows, then in float64.
        """
        k, n = self.engine.rows, self.engine.n_items
        bufs = [np.empty((min(k, hi - lo), n), dtype=np.float32) for _ in range(3)]
        total = np.zeros((3 if self.final else N_MOMENTS, n))
        out = np.zeros(total.shape, dtype=np.float32)
        for count, start in enumerate(range(lo, hi, k), start=1):
            rows = slice(start, min(start + k, hi))
            p, j, w = (buf[: rows.stop - rows.start] for buf in bufs)
            self._probabilities(rows, p)
            if self.final:
                self._fit_sums(rows, p, j, w, out)
            else:
                self._scores(rows, p, j, w)
                self._sums(rows, p, j, out)
            if count * k % FLUSH_ROWS < k or rows.stop == hi:
                total += out
                out[:] = 0.0
        return total

    def _probabilities(self, rows: slice, p: npt.NDArray[np.float32]) -> None:
        """p ← σ(a (θ − b)) for these rows, 0 at missing cells."""
        np.multiply(self.neg_theta[rows, None], self.a, out=p)
        p += self.ab
        np.exp(p, out=p)
        p += 1.0
        np.reciprocal(p, out=p)
        observed = self.engine.observed
        if observed is not None:
            np.multiply(p, observed[rows], out=p)

    def _scores(self, rows: slice, p: npt.NDArray[np.float32], j: npt.NDArray[np.float32],
                w: npt.NDArray[np.float32]) -> None:  # fmt: skip
        """p ← G = dℓ/dz and j ← J, its information, from p = σ(z)."""
        y = self.engine.matrix.values[rows]
        np.multiply(p, p, out=j)
        np.subtract(p, j, out=j)  # σ(1 − σ)
        if not self.floored:
            np.subtract(y, p, out=p)
            return
        j *= self.omc  # dP/dz
        p *= self.omc
        p += self.c  # P
        np.multiply(p, p, out=w)
        np.subtract(p, w, out=w)
        np.maximum(w, _EPS32, out=w)  # P(1 − P)
        np.subtract(y, p, out=p)
        p *= j
        p /= w
        j *= j
        j /= w

    def _sums(self, rows: slice, g: npt.NDArray[np.float32], j: npt.NDArray[np.float32],
              out: npt.NDArray[np.float32]) -> None:  # fmt: skip
        """Each row's Newton step, then the item moments at the moved abilities."""
        theta = self.theta[rows]
        if self.mode == "moments":
            delta = np.zeros(theta.size)
        else:
            grad = (g @ self.a).astype(np.float64) - theta
            hess = (j @ self.a2).astype(np.float64) + 1.0
            delta = np.clip(grad / hess, -1.0, 1.0)
            self.delta[rows] = delta
            if self.mode == "step":
                return
        one = np.ones(delta.size, dtype=np.float32)
        if not self.two:
            out[SG] += one @ g
            out[[SJ, SJ_D]] += np.stack([one, delta.astype(np.float32)]) @ j
            return
        moved = theta + delta
        out[SG:SJ] += np.stack([one, moved.astype(np.float32)]) @ g
        vj = np.stack([np.ones_like(moved), moved, moved * moved, delta, delta * moved])
        out[SJ:] += vj.astype(np.float32) @ j

    def _fit_sums(self, rows: slice, s: npt.NDArray[np.float32], j: npt.NDArray[np.float32],
                  w: npt.NDArray[np.float32], out: npt.NDArray[np.float32]) -> None:  # fmt: skip
        """Ability information and Σ r²/var, Σ r², Σ var per item at the final estimate."""
        np.multiply(s, s, out=j)
        np.subtract(s, j, out=j)  # σ(1 − σ)
        if self.floored:
            j *= self.omc  # dP/dz
            s *= self.omc
            s += self.c  # P
        np.multiply(s, s, out=w)
        np.subtract(s, w, out=w)
        np.maximum(w, _EPS32, out=w)  # var = P(1 − P)
        np.multiply(j, j, out=j)
        j /= w  # J
        self.info[rows] = (j @ self.a2).astype(np.float64)
        np.subtract(self.engine.matrix.values[rows], s, out=s)  # residual
        s *= s
        observed = self.engine.observed
        if observed is not None:
            np.multiply(s, observed[rows], out=s)
            np.multiply(w, observed[rows], out=w)
        one = np.ones(s.shape[0], dtype=np.float32)
        out[1] += one @ s
        out[2] += one @ w
        s /= np.maximum(w, _EPS32)
        out[0] += one @ s
