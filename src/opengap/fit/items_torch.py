"""The torch engine of the dense item-level fit: the same per-cell work on a CPU or CUDA device.

An optional backend (``pip install 'opengap[torch]'``): :class:`TorchEngine` implements
:class:`opengap.fit.items_jml.SweepEngine` with the matrix moved to the device once (uint8 or
float32, plus the missing mask), blocks of rows processed in float32 there, and only the
per-model and per-item sums brought back. The loop, the item updates and the result are
:mod:`opengap.fit.items_jml`'s, so both engines reach the same estimate to float32 rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opengap.errors import BadArgument
from opengap.fit.items_dense import ResponseMatrix
from opengap.fit.items_jml import N_MOMENTS, SG, SJ, SJ_D, FloatArray

CPU_CHUNK_CELLS = 1 << 20
CUDA_CHUNK_CELLS = 1 << 26


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise BadArgument(
            "the torch backend needs torch (pip install 'opengap[torch]')"
        ) from None
    return torch


def resolve_device(device: str) -> str:
    """Return the torch device for ``device`` ("auto": CUDA when available, else CPU)."""
    torch = _torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BadArgument(f"device {device!r}: torch sees no CUDA device here")
    return device


class TorchEngine:
    """Per-cell work of the dense JML sweeps in torch (see the module docstring)."""

    def __init__(self, matrix: ResponseMatrix, *, device: str = "auto") -> None:
        torch = _torch()
        self.torch = torch
        self.device = resolve_device(device)
        self.n_models, self.n_items = matrix.n_models, matrix.n_items
        self.values = torch.from_numpy(matrix.values).to(self.device)
        self.missing = (None if matrix.missing is None
                        else torch.from_numpy(matrix.missing).to(self.device))  # fmt: skip
        cells = CUDA_CHUNK_CELLS if self.device.startswith("cuda") else CPU_CHUNK_CELLS
        self.rows = max(1, cells // max(self.n_items, 1))
        row_total = self._reduce(lambda s: self.values[s].sum(dim=1, dtype=torch.float64))
        col_total = self._col_total()
        row_count = np.full(self.n_models, float(self.n_items))
        col_count = np.full(self.n_items, float(self.n_models))
        if matrix.missing is not None:
            row_count -= matrix.missing.sum(axis=1)
            col_count -= matrix.missing.sum(axis=0)
        self._totals = (row_total, row_count, col_total, col_count)

    def _reduce(self, f: Any) -> FloatArray:
        parts = [f(slice(r, min(r + self.rows, self.n_models)))
                 for r in range(0, self.n_models, self.rows)]  # fmt: skip
        out: FloatArray = self.torch.cat(parts).cpu().numpy().astype(np.float64)
        return out

    def _col_total(self) -> FloatArray:
        torch = self.torch
        total = torch.zeros(self.n_items, dtype=torch.float64, device=self.device)
        for r in range(0, self.n_models, self.rows):
            total += self.values[r:r + self.rows].sum(dim=0, dtype=torch.float64)
        out: FloatArray = total.cpu().numpy()
        return out

    def totals(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Return the score totals and response counts per model and per item."""
        return self._totals

    def _params(self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray) -> Any:
        t = self.torch

        def dev(x: FloatArray) -> Any:
            return t.as_tensor(np.ascontiguousarray(x, dtype=np.float32), device=self.device)

        return dev(theta), dev(a), dev(a * b), dev(a * a), dev(c), dev(1.0 - c), bool(
            np.any(c > 0.0))

    def _pass(self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, *,
              mode: str, two: bool) -> tuple[FloatArray, FloatArray]:  # fmt: skip
        """One pass over the matrix; mode is sweep, step, moments or final."""
        t = self.torch
        th, aa, ab, a2, cc, omc, floored = self._params(theta, b, a, c)
        per_model = t.zeros(self.n_models, dtype=t.float64, device=self.device)
        n_out = 3 if mode == "final" else N_MOMENTS
        out = t.zeros((n_out, self.n_items), dtype=t.float64, device=self.device)
        for r in range(0, self.n_models, self.rows):
            rows = slice(r, min(r + self.rows, self.n_models))
            z = t.outer(th[rows], aa) - ab
            if self.missing is not None:
                z.masked_fill_(self.missing[rows], -float("inf"))
            s = t.sigmoid(z)
            y = self.values[rows].to(t.float32)
            ds = s * (1.0 - s)
            p, dp = (cc + omc * s, ds * omc) if floored else (s, ds)
            var = (p * (1.0 - p)).clamp_min(1e-9) if floored or mode == "final" else ds
            if mode == "final":
                info = dp * dp / var
                per_model[rows] = (info @ a2).double()
                r2 = (y - p) ** 2
                if self.missing is not None:
                    r2.masked_fill_(self.missing[rows], 0.0)
                    var = var.masked_fill(self.missing[rows], 0.0)
                out[1] += r2.sum(dim=0).double()
                out[2] += var.sum(dim=0).double()
                out[0] += (r2 / var.clamp_min(1e-9)).sum(dim=0).double()
                continue
            g = (y - p) * dp / var if floored else y - p
            j = dp * dp / var if floored else ds
            theta_r = t.as_tensor(theta[rows], device=self.device)
            if mode == "moments":
                delta = t.zeros_like(theta_r)
            else:
                grad = (g @ aa).double() - theta_r
                delta = (grad / ((j @ a2).double() + 1.0)).clamp(-1.0, 1.0)
                per_model[rows] = delta
                if mode == "step":
                    continue
            moved = theta_r + delta
            one = t.ones_like(moved)
            if not two:
                out[SG] += (one.float() @ g).double()
                out[[SJ, SJ_D]] += (t.stack([one, delta]).float() @ j).double()
                continue
            out[SG:SJ] += (t.stack([one, moved]).float() @ g).double()
            vj = t.stack([one, moved, moved * moved, delta, delta * moved]).float()
            out[SJ:] += (vj @ j).double()
        return per_model.cpu().numpy(), out.cpu().numpy()

    def sweep(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> tuple[FloatArray, FloatArray]:
        """Return δ (each ability's clipped Newton step) and the (7, n_items) moments at θ + δ."""
        return self._pass(theta, b, a, c, mode="sweep", two=two)

    def step(self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray) -> FloatArray:
        """Return δ alone."""
        return self._pass(theta, b, a, c, mode="step", two=False)[0]

    def moments(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray, two: bool
    ) -> FloatArray:
        """Return the (7, n_items) moments at θ itself (δ = 0)."""
        return self._pass(theta, b, a, c, mode="moments", two=two)[1]

    def final(
        self, theta: FloatArray, b: FloatArray, a: FloatArray, c: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Return each ability's information Σ J a² and the (3, n_items) fit sums."""
        return self._pass(theta, b, a, c, mode="final", two=True)
