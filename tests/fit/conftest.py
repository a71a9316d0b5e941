"""Fixtures for the fit tests: synthetic data with known parameters, a synthetic catalogue in a
store, and Epoch's own reading of the hub files.

The helpers are handed to tests as fixtures (pytest runs in importlib mode, so test modules do
not import each other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

from opengap.names import make_id
from opengap.sources.epoch_hub import HEADLINE, NOT_FRACTION, SCALE
from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store


@dataclass
class Synthetic:
    """Observations drawn from E[s] = σ(α_b (C_m + δ_h − D_b)) with binomial sampling noise."""

    model: NDArray[np.intp]
    bench: NDArray[np.intp]
    y: NDArray[np.float64]
    n_items: NDArray[np.float64]
    group: NDArray[np.intp]
    capability: NDArray[np.float64]
    difficulty: NDArray[np.float64]
    slope: NDArray[np.float64]
    offset: NDArray[np.float64]
    pin: int

    @property
    def n_models(self) -> int:
        return len(self.capability)

    @property
    def n_benchmarks(self) -> int:
        return len(self.difficulty)


def make_synthetic(
    n_models: int = 60,
    n_benchmarks: int = 12,
    *,
    missing: float = 0.6,
    items: int = 200,
    seed: int = 0,
    offsets: tuple[float, ...] = (),
    min_per_model: int = 3,
) -> Synthetic:
    """Draw a data set; ``missing`` is the share of (model, benchmark) cells left empty.

    Benchmark 0 is the pinned one (difficulty 0, slope 1), so the identified truth is the truth.
    Every model keeps at least ``min_per_model`` benchmarks, so the graph stays connected.
    With ``offsets``, each observation gets a random offset group (group 0 = reference, δ = 0).
    """
    rng = np.random.default_rng(seed)
    capability = rng.normal(0.0, 1.5, n_models)
    difficulty = rng.normal(0.0, 1.2, n_benchmarks)
    slope = rng.uniform(0.6, 2.0, n_benchmarks)
    difficulty[0], slope[0] = 0.0, 1.0
    keep = rng.random((n_models, n_benchmarks)) >= missing
    for m in range(n_models):  # every model gets some benchmarks, benchmark 0 often
        if keep[m].sum() < min_per_model:
            keep[m, rng.choice(n_benchmarks, min_per_model, replace=False)] = True
    for b in range(n_benchmarks):
        if keep[:, b].sum() < 3:
            keep[rng.choice(n_models, 3, replace=False), b] = True
    model, bench = np.nonzero(keep)
    delta = np.array((0.0, *offsets)) if offsets else np.zeros(0)
    group = (
        rng.integers(0, len(delta), len(model)) if offsets else np.full(len(model), -1)
    ).astype(np.intp)
    shift = delta[group] if offsets else 0.0
    z = slope[bench] * (capability[model] + shift - difficulty[bench])
    p = 1.0 / (1.0 + np.exp(-z))
    y = rng.binomial(items, p) / items
    return Synthetic(
        model=model.astype(np.intp),
        bench=bench.astype(np.intp),
        y=y.astype(np.float64),
        n_items=np.full(len(y), float(items)),
        group=group,
        capability=capability,
        difficulty=difficulty,
        slope=slope,
        offset=delta[1:] if offsets else np.zeros(0),
        pin=0,
    )


# ------------------------------------------------------------------ catalogue
ANCHOR_LOW = "claude-3-5-sonnet-20240620"
ANCHOR_HIGH = "gpt-5-2025-08-07_medium"
BENCHMARKS = ["b-winogrande", "b-mmlu", "b-gpqa", "b-math", "b-swe", "b-hle"]


def fill_store(
    store: Store,
    *,
    n_models: int = 30,
    anchors: bool = True,
    seed: int = 0,
    harness: bool = False,
    island: bool = False,
) -> None:
    """Import a synthetic catalogue: ``n_models`` models on six benchmarks, 30% cells missing.

    With ``anchors`` the two strongest models carry the ECI anchor ids. With ``harness`` every
    score is duplicated in a second harness 0.05 lower. With ``island`` two extra benchmarks are
    scored only by three extra models that have nothing else (a disconnected part).
    """
    s = make_synthetic(
        n_models, len(BENCHMARKS), missing=0.3, items=200, seed=seed, min_per_model=4
    )
    order = np.argsort(s.capability)
    ids = [f"model-{i:02d}" for i in range(n_models)]
    if anchors:
        ids[order[-1]] = ANCHOR_HIGH
        ids[order[n_models // 2]] = ANCHOR_LOW
    batch = ImportBatch(kind="test", path=f"synthetic-{seed}", sha256=f"synthetic-{seed}")
    start = date(2023, 1, 1)
    for i, model_id in enumerate(ids):
        batch.models.append(
            ModelRecord(
                model_id=model_id,
                name=model_id.replace("-", " ").title(),
                release_date=start + timedelta(days=int(20 * np.argsort(order)[i])),
                weights="open" if i % 2 else "closed",
                organization="Lab A" if i % 3 else "Lab B",
            )
        )
    benches = BENCHMARKS + (["b-island-1", "b-island-2"] if island else [])
    for bench in benches:
        batch.benchmarks.append(
            BenchmarkRecord(benchmark_id=bench, name=bench.upper(), domain="other",
                            chance=0.0, ceiling=1.0, is_fraction=True, n_items=200)
        )  # fmt: skip
    for m, b, y in zip(s.model, s.bench, s.y, strict=True):
        batch.scores.append(
            ScoreRecord(model=ids[m], benchmark=BENCHMARKS[b], value=float(y), source="synthetic",
                        harness="lm-eval" if harness else None, n_items=200)
        )  # fmt: skip
        if harness:
            batch.scores.append(
                ScoreRecord(model=ids[m], benchmark=BENCHMARKS[b], value=max(0.0, float(y) - 0.05),
                            source="synthetic", harness="simple-loop", n_items=200)
            )  # fmt: skip
    if island:
        for k in range(3):
            batch.models.append(ModelRecord(model_id=f"island-{k}", release_date=start))
            for j, bench in enumerate(("b-island-1", "b-island-2")):
                batch.scores.append(
                    ScoreRecord(model=f"island-{k}", benchmark=bench, value=0.2 + 0.1 * k + 0.1 * j,
                                source="synthetic")
                )  # fmt: skip
    store.apply_batch(batch)


# ------------------------------------------------------------------ hub
RUN_TASKS = [
    "GPQA diamond", "FrontierMath-2025-02-28-Private", "MATH level 5", "OTIS Mock AIME 2024-2025",
    "SWE-Bench verified", "FrontierMath-Tier-4-2025-07-01-Private",
]  # fmt: skip


def _fraction(text: str, scale: float) -> float:
    text = str(text).strip()
    return float(text[:-1]) / 100.0 if text.endswith("%") else float(text) / scale


def hub_frames(hub: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (scores, models, benchmarks) tables with case-sensitive version ids."""
    rows = []
    runs = pd.read_csv(hub / "benchmarks_runs.csv", encoding="utf-8-sig")
    runs = runs.loc[runs["task"].isin(RUN_TASKS)]
    for task, model, value in zip(runs["task"], runs["model"], runs["Best score (across scorers)"],
                                  strict=True):  # fmt: skip
        rows.append((model, make_id(task), float(value), "Epoch AI Benchmarking Hub"))
    for path in sorted(hub.glob("external_benchmark_*.csv")):
        stem = path.stem.removeprefix("external_benchmark_")
        if stem in NOT_FRACTION:
            continue
        # Epoch's loader keeps rows whose model, score and Source are all present (BALROG's
        # Source column is not read).
        frame = pd.read_csv(path, encoding="utf-8-sig")
        wanted = ["Model version", HEADLINE[stem]] + (["Source"] if stem != "balrog" else [])
        frame = frame[wanted].dropna()
        for model, value in zip(frame["Model version"], frame[HEADLINE[stem]], strict=True):
            rows.append((model, stem.replace("_", "-"), _fraction(value, SCALE.get(stem, 100.0)),
                         "file"))  # fmt: skip
    scores = pd.DataFrame(rows, columns=["model_id", "benchmark_id", "value", "source"])
    scores = scores.assign(normalized=None, n_items=None, harness=None, import_id=1,
                           import_kind="epoch-hub")  # fmt: skip
    versions = pd.read_csv(hub / "model_versions.csv", encoding="utf-8-sig")
    models = pd.DataFrame({
        "model_id": versions["id"],
        "name": versions["id"],
        "release_date": pd.to_datetime(versions["Version release date"], errors="coerce").dt.date,
    })  # fmt: skip
    for col in ("weights", "organization", "country", "params_total_b", "license_class",
                "version_of"):  # fmt: skip
        models[col] = None
    benches = sorted(scores["benchmark_id"].unique())
    benchmarks = pd.DataFrame({
        "benchmark_id": benches, "name": benches, "domain": None, "chance": None,
        "ceiling": 1.0, "is_fraction": True, "n_items": None,
    })  # fmt: skip
    return scores, models, benchmarks


@dataclass(frozen=True)
class Catalogue:
    """What the ``catalogue`` fixture hands out: the filler and its constants."""

    fill: Callable[..., None]
    anchor_low: str = ANCHOR_LOW
    anchor_high: str = ANCHOR_HIGH
    benchmarks: tuple[str, ...] = tuple(BENCHMARKS)


@pytest.fixture
def synthetic() -> Callable[..., Synthetic]:
    """Return :func:`make_synthetic`."""
    return make_synthetic


@pytest.fixture
def catalogue() -> Catalogue:
    """Return the synthetic-catalogue filler (``catalogue.fill(store, ...)``) and its constants."""
    return Catalogue(fill_store)


@pytest.fixture(scope="session")
def epoch_frames() -> Callable[[Path], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Return :func:`hub_frames`."""
    return hub_frames
