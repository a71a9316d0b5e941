"""Rows handed to DuckDB as Arrow tables: the staging step of every bulk insert.

DuckDB scans a registered Arrow table without converting it, and keeps no reference to Python
objects once the table is unregistered (a registered pandas frame of ``object`` columns keeps
its Python strings alive until the transaction ends, which made an import's memory grow with
its file). ``NaN`` becomes NULL, as it did in the pandas frames this replaces.

The arrays are allocated from the C library's allocator, not Arrow's default pool (jemalloc or
mimalloc), which keeps freed memory for reuse: with one table per part of a streamed import,
that retained memory added ~12% to an import's peak (benchmarks/bench_memory.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Return ``rows`` (tuples in the order of ``columns``) as an Arrow table.

    Each column's type is inferred from its values (None is null, NaN is null); a column whose
    values mix types Arrow cannot unify (text and numbers) is passed as text, for the SQL that
    reads it to cast.
    """
    values: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for column, value in zip(values, row, strict=True):
            column.append(value)
    arrays = []
    pool = pa.system_memory_pool()
    for column in values:
        try:
            arrays.append(pa.array(column, from_pandas=True, memory_pool=pool))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = [None if v is None else str(v) for v in column]
            arrays.append(pa.array(text, pa.string(), memory_pool=pool))
    return pa.Table.from_arrays(arrays, names=list(columns))


@contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, name: str, data: pa.Table
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Make ``data`` queryable as ``name`` on ``con`` for the block, then drop it."""
    con.register(name, data)
    try:
        yield con
    except BaseException:
        # an aborted transaction refuses the unregister; the error that aborted it is the one
        # to report (DuckDB's out-of-memory, say), not that refusal
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)
