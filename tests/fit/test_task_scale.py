"""The task unit: task-level logits per benchmark-level logit, measured on item responses.

Synthetic Rasch data give the truth (each model's task-level ability against the logit of its
expected success rate); the real SWE-bench Verified per-instance results give the value the
caisi preset uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit, logit

from opengap.errors import UnidentifiedFit
from opengap.fit.config import CAISI_TASK_LOGITS, PRESETS
from opengap.fit.task_scale import task_logit_unit, unit_from_spread
from opengap.sources import swe_bench


def _rasch(seed: int, spread: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """25 models × 500 tasks shaped like SWE-bench Verified's runs; returns the true unit too."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0.8, spread, 500)
    theta = rng.uniform(-2.5, 1.8, 25)
    m, i = np.meshgrid(np.arange(25), np.arange(500), indexing="ij")
    y = (rng.random(m.shape) < expit(theta[m] - b[i])).astype(float)
    expected = expit(theta[:, None] - b[None, :]).mean(axis=1)
    truth = float(np.polyfit(logit(expected), theta, 1)[0])
    return m.ravel(), i.ravel(), y.ravel(), truth


@pytest.mark.parametrize(("seed", "spread"), [(0, 0.5), (1, 1.5), (2, 2.5), (3, 3.0)])
def test_unit_recovers_the_true_flattening_of_spread_tasks(seed: int, spread: float) -> None:
    m, i, y, truth = _rasch(seed, spread)
    unit = task_logit_unit(m, i, y)
    assert abs(unit.k / truth - 1) < 0.08, (unit.k, truth)
    # the spread is recovered, and the closed form it implies agrees with the measured slope
    assert abs(unit.spread - spread) < 0.25 + 0.1 * spread
    assert abs(unit.k_from_spread / unit.k - 1) < 0.12


def test_unit_is_one_when_tasks_do_not_spread() -> None:
    assert unit_from_spread(0.0) == 1.0
    m, i, y, truth = _rasch(5, 0.05)
    assert abs(task_logit_unit(m, i, y).k - 1) < 0.08 and abs(truth - 1) < 0.01


def test_unit_needs_three_models_strictly_between_zero_and_one() -> None:
    m = np.array([0, 0, 1, 1, 2, 2])
    i = np.array([0, 1, 0, 1, 0, 1])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    with pytest.raises(UnidentifiedFit, match="at least three models"):
        task_logit_unit(m, i, y)


def test_caisi_unit_is_the_one_measured_on_swe_bench_verified_tasks(shared_data: Path) -> None:
    """CAISI_TASK_LOGITS is what the measurement gives on the file docs/fit.md names."""
    batch = swe_bench.read(shared_data / "swe-bench-leaderboards" / "leaderboards.json")
    rows = [r for r in batch.responses if r.benchmark == "swe-bench-verified"]
    runs = {key: n for n, key in enumerate(sorted({(r.model, r.harness) for r in rows}))}
    tasks = {key: n for n, key in enumerate(sorted({r.item_id for r in rows}))}
    unit = task_logit_unit([runs[(r.model, r.harness)] for r in rows],
                           [tasks[r.item_id] for r in rows], [r.score for r in rows])  # fmt: skip
    assert (unit.n_models, unit.n_items) == (25, 500)
    assert abs(unit.k - CAISI_TASK_LOGITS) < 0.01
    assert 2.0 < unit.spread < 3.5  # tasks' difficulties spread by several logits
    assert PRESETS["caisi"].task_logits_per_logit == CAISI_TASK_LOGITS
    assert PRESETS["default"].task_logits_per_logit == 1.0
