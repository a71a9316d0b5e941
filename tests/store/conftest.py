"""Fixtures for the store's tests: full-content dumps and a small catalogue to start from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opengap.store import Store
from opengap.store.schema import TABLES

Dump = dict[str, list[tuple[Any, ...]]]


def dump_tables(store: Store) -> Dump:
    """Return every row of every table (and the schema version), in a stable order."""
    out = {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    out["meta"] = store.con.execute("SELECT * FROM meta ORDER BY ALL").fetchall()
    return out


@pytest.fixture
def dump() -> Callable[[Store], Dump]:
    """Return :func:`dump_tables`."""
    return dump_tables


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a directory in opengap's CSV format: two models, one benchmark, two scores."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "models.csv").write_text(
        "model_id,name,weights,aliases\n"
        "gpt-4o-2024-08-06,GPT-4o (2024-08-06),closed,\n"
        "llama-3.1-70b,Llama 3.1 70B,open,Meta-Llama-3.1-70B-Instruct\n"
    )
    (folder / "benchmarks.csv").write_text(
        "benchmark_id,name,domain,chance,ceiling\ngpqa-diamond,GPQA Diamond,knowledge,0.25,1\n"
    )
    (folder / "scores.csv").write_text(
        "model_id,benchmark_id,value,source\n"
        "gpt-4o-2024-08-06,gpqa-diamond,0.51,OpenAI\n"
        "llama-3.1-70b,GPQA diamond,0.46,Meta\n"
    )
    return folder
