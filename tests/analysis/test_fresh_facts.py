"""A gap after new facts arrive uses them and says so; every gap states how old its data are."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from opengap import catalog, fitting
from opengap.analysis.reports import LagReport
from opengap.gap import gap
from opengap.sources.records import BenchmarkRecord, ImportBatch, ModelRecord, ScoreRecord
from opengap.store import Store

START = date(2022, 1, 1)
DIFFICULTIES = (-1.5, -0.5, 0.0, 0.5, 1.5)


def _catalogue() -> ImportBatch:
    """Closed models every 60 days (+0.25 logits each); open ones the same, 180 days later."""
    rng = np.random.default_rng(3)
    batch = ImportBatch(kind="csv", path="synthetic", sha256="synthetic")
    for j, _ in enumerate(DIFFICULTIES):
        batch.benchmarks.append(BenchmarkRecord(f"b{j}", chance=0.0, ceiling=1.0,
                                                is_fraction=True, n_items=500))
    for i in range(10):
        for weights, shift in (("closed", 0), ("open", 180)):
            model = f"{weights}-{i}"
            batch.models.append(ModelRecord(
                model, weights=weights, release_date=START + timedelta(days=60 * i + shift)))
            for j, difficulty in enumerate(DIFFICULTIES):
                p = expit(-1.0 + 0.25 * i - difficulty) + rng.normal(0, 0.005)
                batch.scores.append(ScoreRecord(model, f"b{j}", float(np.clip(p, 0, 1)),
                                                source="synthetic"))
    batch.rows_read = len(batch.scores)
    return batch


@pytest.fixture
def fitted(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.duckdb")
    store.apply_batch(_catalogue(), strict=True)
    fitting.run_fit(store, preset="default", bootstrap=0)
    return store


def test_a_gap_after_new_facts_uses_them_and_says_so(fitted: Store) -> None:
    before = gap(fitted)
    assert isinstance(before, LagReport) and before.best_open is not None
    assert before.best_open.model_id == "open-9"
    assert not any("changed since fit" in n for n in before.context.notes)
    correction = ImportBatch(kind="csv", path="correction", sha256="correction", rows_read=1,
                             models=[ModelRecord("open-9", weights="closed")])
    fitted.apply_batch(correction, strict=True)
    after = gap(fitted)  # the stored fit predates the correction
    assert isinstance(after, LagReport) and after.best_open is not None
    assert after.best_open.model_id == "open-8"
    notes = [n for n in after.context.notes if "changed since fit" in n]
    assert len(notes) == 1 and "weights of 1 model(s)" in notes[0] and "open-9" in notes[0]


def test_every_gap_says_how_old_its_data_are(fitted: Store) -> None:
    newest = START + timedelta(days=60 * 9 + 180)
    report = gap(fitted)
    assert report.context.data_as_of == newest.isoformat()
    assert report.context.freshness is not None
    assert report.context.freshness.startswith(f"data as of {newest.isoformat()}")
    assert "days old" in report.context.freshness  # synthetic data from 2022-2023
    assert report.to_dict()["data_as_of"] == newest.isoformat()


def test_freshness_warns_in_words_past_90_days(fitted: Store) -> None:
    newest = START + timedelta(days=60 * 9 + 180)
    fresh = catalog.data_freshness(fitted, today=newest + timedelta(days=90))
    assert (fresh.as_of, fresh.age_days, fresh.stale) == (newest, 90, False)
    assert fresh.headline() == f"data as of {newest.isoformat()}"
    stale = catalog.data_freshness(fitted, today=newest + timedelta(days=91))
    assert stale.stale and "91 days old" in stale.headline()


def test_a_store_without_scores_has_no_data_date(tmp_path: Path) -> None:
    with Store(tmp_path / "e.duckdb") as store:
        catalog.init_store(store, empty=True)  # curated models, no scores
        fresh = catalog.data_freshness(store)
        assert fresh.as_of is None and not fresh.stale and "unknown" in fresh.headline()


def test_a_group_of_versions_keeps_its_fitted_date_and_takes_facts_its_versions_agree_on(
    tmp_path: Path,
) -> None:
    """A unit standing for several versions is not the store's row of the same id."""
    batch = _catalogue()
    preview = ModelRecord("closed-9-preview", weights="closed", version_of="closed-9",
                          release_date=START + timedelta(days=60 * 9 - 90))  # fmt: skip
    batch.models.append(preview)
    for j, difficulty in enumerate(DIFFICULTIES):  # better than closed-9: its scores are used
        p = float(expit(-1.0 + 0.25 * 9.5 - difficulty))
        batch.scores.append(ScoreRecord("closed-9-preview", f"b{j}", p, source="synthetic"))
    store = Store(tmp_path / "g.duckdb")
    store.apply_batch(batch, strict=True)
    fit = fitting.run_fit(store, preset="default", bootstrap=0)
    fitted_date = fit.models.set_index("model_id").loc["closed-9", "release_date"]
    assert str(fitted_date)[:10] == preview.release_date.isoformat()  # type: ignore[union-attr]
    report = gap(store)
    assert not any("changed since fit" in n for n in report.context.notes)
    assert isinstance(report, LagReport) and report.best_closed is not None
    assert report.best_closed.model_id == "closed-9"
    assert report.best_closed.release_date == preview.release_date
    both_open = ImportBatch(kind="csv", path="fix", sha256="fix", rows_read=2, models=[
        ModelRecord("closed-9", weights="open"), ModelRecord("closed-9-preview", weights="open")])
    store.apply_batch(both_open, strict=True)
    notes = [n for n in gap(store).context.notes if "changed since fit" in n]
    assert len(notes) == 1 and "weights of 1 model(s)" in notes[0] and "closed-9" in notes[0]
