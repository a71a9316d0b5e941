"""The item-fit bootstrap: coverage of known parameters, per-draw seeds, and Ray = local."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from typer.testing import CliRunner

from opengap.cli import app
from opengap.errors import BadArgument
from opengap.fit.items import ItemResponseModel
from opengap.fit.items_bootstrap import bootstrap_item_fit

runner = CliRunner()


def _rasch(seed: int, n_models: int, n_items: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    theta, b = rng.normal(size=n_models), rng.normal(size=n_items)
    m, i = (g.ravel() for g in np.meshgrid(np.arange(n_models), np.arange(n_items),
                                           indexing="ij"))  # fmt: skip
    y = (rng.random(m.size) < expit(theta[m] - b[i])).astype(float)
    return m, i, y, theta, b


def test_item_resampling_intervals_cover_true_abilities() -> None:
    m, i, y, theta, _ = _rasch(11, 120, 80)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    boot = bootstrap_item_fit(fit, m, i, y, n_boot=50, seed=3, over="items")
    low, high = boot.interval(0.90)
    truth = theta - theta.mean()  # the 1PL's scale: abilities at mean 0
    covered = np.mean((low <= truth) & (truth <= high))
    assert 0.75 <= covered <= 0.99
    assert boot.ability.shape == (50, 120) and not np.isnan(boot.ability).any()


def test_model_resampling_intervals_cover_true_difficulties() -> None:
    m, i, y, theta, b = _rasch(12, 150, 60)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    boot = bootstrap_item_fit(fit, m, i, y, n_boot=50, seed=4, over="models")
    low, high = np.nanpercentile(boot.difficulty, [5, 95], axis=0)
    truth = b - theta.mean()
    covered = np.mean((low <= truth) & (truth <= high))
    assert 0.70 <= covered <= 1.0
    # a model left out of a draw has no ability in it; about 1/e of them each draw
    left_out = np.isnan(boot.ability).mean()
    assert 0.30 <= left_out <= 0.44


def test_each_draw_has_its_own_seed() -> None:
    m, i, y, _, _ = _rasch(13, 40, 30)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    short = bootstrap_item_fit(fit, m, i, y, n_boot=3, seed=9)
    long = bootstrap_item_fit(fit, m, i, y, n_boot=6, seed=9)
    other = bootstrap_item_fit(fit, m, i, y, n_boot=3, seed=10)
    np.testing.assert_array_equal(short.ability, long.ability[:3])
    assert not np.allclose(short.ability, other.ability)


def test_bad_options_are_refused() -> None:
    m, i, y, _, _ = _rasch(14, 20, 10)
    fit = ItemResponseModel(model="1pl").fit(m, i, y)
    with pytest.raises(BadArgument, match="choose items or models"):
        bootstrap_item_fit(fit, m, i, y, over="cells")
    with pytest.raises(BadArgument, match="choose local or ray"):
        bootstrap_item_fit(fit, m, i, y, backend="dask")


def test_ray_draws_equal_local_draws() -> None:
    ray = pytest.importorskip("ray")
    m, i, y, _, _ = _rasch(15, 50, 40)
    fit = ItemResponseModel(model="2pl").fit(m, i, y)
    local = bootstrap_item_fit(fit, m, i, y, n_boot=6, seed=21)
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20,
             log_to_driver=False)  # fmt: skip
    try:
        remote = bootstrap_item_fit(fit, m, i, y, n_boot=6, seed=21, backend="ray")
    finally:
        ray.shutdown()
    np.testing.assert_allclose(remote.ability, local.ability, rtol=0, atol=1e-12)
    np.testing.assert_allclose(remote.difficulty, local.difficulty, rtol=0, atol=1e-12)


def test_cli_bootstrap_records_its_draws(tmp_path: Path) -> None:
    m, i, y, _, _ = _rasch(16, 30, 25)
    rows = ["model,benchmark,item,score", *(f"m{a},quiz,q{b},{int(s)}"
                                             for a, b, s in zip(m, i, y, strict=True))]
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "models.csv").write_text(
        "model_id,name\n" + "".join(f"m{k},M{k}\n" for k in range(30)))
    (tmp_path / "cat" / "benchmarks.csv").write_text("benchmark_id,name\nquiz,Quiz\n")
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    db = str(tmp_path / "s.duckdb")
    for args in (["init", "--empty"], ["import", "csv", str(tmp_path / "cat")],
                 ["import", "responses", str(tmp_path / "r.csv")]):  # fmt: skip
        assert runner.invoke(app, [*args, "--db", db]).exit_code == 0
    out = runner.invoke(app, ["fit", "--level", "items", "--bootstrap", "8", "--bootstrap-over",
                              "models", "--json", "--db", db])  # fmt: skip
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)["summary"]
    assert summary["interval"].startswith("models-resampling bootstrap (8 draws)")
    assert summary["bootstrap_backend"] == "local" and summary["bootstrap_seconds"] > 0
    bad = runner.invoke(app, ["fit", "--level", "items", "--bootstrap", "8", "--bootstrap-over",
                              "cells", "--db", db])  # fmt: skip
    assert bad.exit_code == 2
    assert bad.output.strip() == "Error: --bootstrap-over 'cells': choose items or models"
