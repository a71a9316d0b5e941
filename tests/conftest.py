"""Shared fixtures: the real public data beside the project and fresh stores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from scipy.special import expit

from opengap import fitting
from opengap.sources.records import (
    BenchmarkRecord,
    ImportBatch,
    ModelRecord,
    PriceRecord,
    ScoreRecord,
)
from opengap.store import Store

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ../shared/data (the real files importers are tested on)."""
    if not SHARED_DATA.exists():
        pytest.fail(f"{SHARED_DATA} is missing: the real data sets must sit beside the project")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Return a new, empty store in a temporary file."""
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


# --------------------------------------------------------------------------- priced catalogue
PRICED_DIFFICULTY = {"b1": -1.0, "b2": -0.5, "b3": 0.0, "b4": 0.5, "b5": 1.0}
# model -> (weights, capability in logits, total B, active B, blended price, released)
PRICED_MODELS = {
    "closed-big": ("closed", 2.0, None, None, 10.0, date(2025, 1, 1)),
    "closed-mid": ("closed", 1.0, None, None, 1.0, date(2024, 6, 1)),
    "open-large": ("open", 1.5, 600.0, 30.0, 2.0, date(2025, 3, 1)),
    "open-mid": ("open", 0.5, 30.0, 30.0, 0.3, date(2024, 9, 1)),
    "open-moe-small": ("open", 0.6, 20.0, 3.0, None, date(2025, 6, 1)),
}


def priced_catalogue() -> ImportBatch:
    """Return the priced hand-made catalogue: :data:`PRICED_MODELS` scored on five benchmarks
    of known difficulty, plus a fine-tune (two scores) and a model without scores."""
    batch = ImportBatch(kind="csv", path="hand-made", sha256="hand-made-web-cards")
    for bench in PRICED_DIFFICULTY:
        batch.benchmarks.append(BenchmarkRecord(bench, name=bench.upper(), domain="knowledge",
                                                chance=0.0, ceiling=1.0, is_fraction=True))
    for model, (weights, cap, total, active, price, released) in PRICED_MODELS.items():
        large = model == "open-large"
        batch.models.append(ModelRecord(
            model, name=model.title(), weights=weights, release_date=released,
            params_total_b=total, params_active_b=active,
            organization="OpenLab" if large else None, country="China" if large else None,
            license="MIT" if large else None, license_class="permissive" if large else None,
        ))  # fmt: skip
        for bench, difficulty in PRICED_DIFFICULTY.items():
            batch.scores.append(ScoreRecord(model, bench, float(expit(cap - difficulty)),
                                            source="hand", harness="inspect"))
        if price is not None:
            batch.prices.append(PriceRecord(model, date(2025, 6, 1), blended_usd_per_m=price,
                                            input_usd_per_m=price / 2, source="test-prices"))
    batch.models.append(ModelRecord("ft-1", name="Fine Tune", weights="open",
                                    base_model_id="open-mid"))
    batch.scores += [ScoreRecord("ft-1", b, 0.5, source="hand") for b in ("b1", "b2")]
    batch.models.append(ModelRecord("open-noscores", name="No Scores", weights="open"))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture(scope="session")
def priced_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a store with :func:`priced_catalogue` and no fit."""
    path = tmp_path_factory.mktemp("priced") / "unfitted.duckdb"
    with Store(path) as store:
        store.apply_batch(priced_catalogue(), strict=True)
    return path


@pytest.fixture(scope="session")
def priced_fitted_db(priced_db: Path) -> Path:
    """Return a copy of :func:`priced_db` fitted (default preset, raw scale, 20 draws)."""
    path = priced_db.with_name("fitted.duckdb")
    shutil.copy(priced_db, path)
    with Store(path) as store:
        fitting.run_fit(store, preset="default", scale="raw", bootstrap=20)
    return path
