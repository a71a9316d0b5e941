"""The store rejects a score outside its benchmark's known value range, whatever the importer."""

from __future__ import annotations

import uuid

import pytest

from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store


def _batch(*scores: ScoreRecord, benchmarks: list[BenchmarkRecord] | None = None) -> ImportBatch:
    batch = ImportBatch(kind="test", path="made-up", sha256=uuid.uuid4().hex)
    batch.models = [ModelRecord(model_id="m")]
    batch.benchmarks = benchmarks or []
    batch.scores = list(scores)
    batch.rows_read = len(scores)
    return batch


BENCHMARKS = [
    BenchmarkRecord(benchmark_id="frac", is_fraction=True, ceiling=1.0),
    BenchmarkRecord(benchmark_id="frac-no-ceiling", is_fraction=True),
    BenchmarkRecord(benchmark_id="ten", is_fraction=False, ceiling=10.0),
    BenchmarkRecord(benchmark_id="elo", is_fraction=False),
    BenchmarkRecord(benchmark_id="unknown-scale"),
]


@pytest.mark.parametrize(
    ("benchmark", "value", "reason"),
    [
        ("frac", 1.0, None),
        ("frac", 1.0 + 1e-12, None),
        ("frac", 1.01, "value 1.01 outside [0, 1] of 'frac'"),
        ("frac", -0.01, "value -0.01 outside [0, 1] of 'frac'"),
        ("frac-no-ceiling", 1.5, "value 1.5 outside [0, 1] of 'frac-no-ceiling'"),
        ("ten", 9.5, None),
        ("ten", 10.5, "value 10.5 outside [0, 10] of 'ten'"),
        ("elo", 1350.0, None),
        ("unknown-scale", 42.0, None),
    ],
)
def test_range_check(store: Store, benchmark: str, value: float, reason: str | None) -> None:
    store.apply_batch(_batch(benchmarks=BENCHMARKS))
    result = store.apply_batch(_batch(ScoreRecord(model="m", benchmark=benchmark, value=value)))
    assert [r.reason for r in result.rejected] == ([reason] if reason else [])
    assert store.counts()["scores"] == (0 if reason else 1)


def test_range_of_a_benchmark_in_the_same_batch(store: Store) -> None:
    result = store.apply_batch(
        _batch(
            ScoreRecord(model="m", benchmark="ten", value=11.0, row="f:2"),
            ScoreRecord(model="m", benchmark="ten", value=3.0, row="f:3"),
            benchmarks=BENCHMARKS,
        )
    )
    assert [(r.row, r.reason) for r in result.rejected] == [
        ("f:2", "value 11 outside [0, 10] of 'ten'"),
    ]
    assert (result.rows_accepted, result.rows_rejected) == (1, 1)
