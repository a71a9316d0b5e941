"""Item-level responses keep their harness; prices are stored per (model, date, source)."""

from __future__ import annotations

from datetime import date

from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    PriceRecord,
    ResponseRecord,
)
from opengap.store import Store


def _batch(**parts: list[object]) -> ImportBatch:
    batch = ImportBatch(kind="test", path="mem", sha256=str(hash(repr(parts))), **parts)  # type: ignore[arg-type]
    batch.rows_read = sum(len(v) for v in parts.values())
    return batch


def test_one_item_under_two_harnesses_is_two_responses(store: Store) -> None:
    store.apply_batch(
        _batch(
            models=[ModelRecord("m", name="M")],
            benchmarks=[BenchmarkRecord("b", name="B", ceiling=1.0)],
            responses=[
                ResponseRecord("m", "b", "task-1", 1.0, harness="agent-harness", cost=0.2,
                               api_calls=31),
                ResponseRecord("m", "b", "task-1", 0.0, harness="simple-loop"),
            ],
        )
    )
    rows = store.con.execute(
        "SELECT harness, score, cost, api_calls FROM responses ORDER BY harness"
    ).fetchall()
    assert rows == [("agent-harness", 1.0, 0.2, 31), ("simple-loop", 0.0, None, None)]


def test_prices_resolve_models_and_reject_unknown_ones(store: Store) -> None:
    result = store.apply_batch(
        _batch(
            models=[ModelRecord("m", name="Model M")],
            prices=[
                PriceRecord("Model M", date(2026, 5, 29), 0.5, 2.0, 0.875, source="AA"),
                PriceRecord("nobody", date(2026, 5, 29), 1.0, 1.0, 1.0, source="AA"),
            ],
        )
    )
    rows = store.con.execute(
        "SELECT model_id, date, source, input_usd_per_m, output_usd_per_m, blended_usd_per_m "
        "FROM prices"
    ).fetchall()
    assert rows == [("m", date(2026, 5, 29), "AA", 0.5, 2.0, 0.875)]
    assert [r.reason for r in result.rejected] == ["unknown model 'nobody'"]
