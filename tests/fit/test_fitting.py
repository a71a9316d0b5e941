"""Library verbs: run_fit on a store, scales and anchors, saving and loading, bad configurations."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pytest

from opengap import fitting
from opengap.errors import (
    BadConfiguration,
    NoFit,
    SchemaVersionError,
    UnidentifiedFit,
    UnknownBenchmark,
    UnknownModel,
)
from opengap.fit.config import resolve_config
from opengap.fit.scales import ELO_PER_LOGIT
from opengap.sources.records import ImportBatch, ModelRecord
from opengap.store import Store

DATA = Path(__file__).parent / "data"


class Catalogue(Protocol):
    """The ``catalogue`` fixture (tests/fit/conftest.py)."""

    benchmarks: tuple[str, ...]

    def fill(self, store: Store, **options: object) -> None: ...


ANCHOR_LOW = "claude-3-5-sonnet-20240620"
ANCHOR_HIGH = "gpt-5-2025-08-07_medium"


def test_default_preset_reports_eci_with_the_anchor_models(
    store: Store, catalogue: Catalogue
) -> None:
    catalogue.fill(store)
    seen: list[tuple[int, int]] = []
    result = fitting.run_fit(store, bootstrap=40, progress=lambda d, t: seen.append((d, t)))
    assert result.scale == "eci"
    models = result.models.set_index("model_id")
    assert models.loc[ANCHOR_LOW, "capability"] == pytest.approx(130.0, abs=1e-9)
    assert models.loc[ANCHOR_HIGH, "capability"] == pytest.approx(150.0, abs=1e-9)
    assert models.loc[[ANCHOR_LOW, ANCHOR_HIGH], "is_anchor"].all()
    assert models.loc[[ANCHOR_LOW, ANCHOR_HIGH], ["ci_low", "ci_high"]].isna().all().all()
    others = models.loc[~models["is_anchor"]]
    assert (others["ci_low"] <= others["capability"] + 1e-9).all()
    assert (others["capability"] <= others["ci_high"] + 1e-9).all()
    assert any("get no interval" in n for n in result.notes)
    assert result.draws is not None and result.draws.shape == (40, result.n_models)
    # Draw columns follow the rows of ``models``, which are sorted by capability.
    assert list(result.models["capability"]) == sorted(result.models["capability"], reverse=True)
    np.testing.assert_allclose(result.draws[:, list(models.index).index(ANCHOR_HIGH)], 150.0)
    assert seen[-1] == (40, 40)
    assert result.n_benchmarks == len(catalogue.benchmarks)
    assert result.provenance["imports"][0]["sha256"] == "synthetic-0"


def test_default_preset_without_anchor_models_falls_back_to_raw(
    store: Store, catalogue: Catalogue
) -> None:
    catalogue.fill(store, anchors=False)
    result = fitting.run_fit(store, bootstrap=0, save=False)
    assert result.scale == "raw"
    assert any(n.startswith("eci scale unavailable") for n in result.notes)
    pinned = result.benchmarks.loc[result.benchmarks["is_pinned"]].iloc[0]
    assert pinned["difficulty"] == 0.0 and pinned["slope"] == 1.0
    np.testing.assert_array_equal(result.models["capability"], result.models["capability_raw"])


def test_explicit_anchors_and_elo(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    eci = fitting.run_fit(
        store, anchors=[("model-03", 100.0), ("Model 07", 200.0)], bootstrap=0, save=False
    )
    caps = eci.models.set_index("model_id")["capability"]
    assert (caps["model-03"], caps["model-07"]) == pytest.approx((100.0, 200.0))
    elo = fitting.run_fit(
        store, scale="elo", anchors={"model-03": 1500.0}, bootstrap=0, save=False
    )
    frame = elo.models.set_index("model_id")
    assert frame.loc["model-03", "capability"] == pytest.approx(1500.0)
    raw_gap = frame.loc[ANCHOR_HIGH, "capability_raw"] - frame.loc["model-03", "capability_raw"]
    points = frame.loc[ANCHOR_HIGH, "capability"] - frame.loc["model-03", "capability"]
    assert points == pytest.approx(ELO_PER_LOGIT * raw_gap)
    assert math.exp(200.0 / ELO_PER_LOGIT) == pytest.approx(3.0)


def test_harness_offsets_through_refit(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store, harness=True)
    base = fitting.run_fit(store, bootstrap=0, save=False)
    assert base.offsets.empty
    config = dataclasses.replace(base.config, offsets="harness")
    refit = fitting.refit(store, config)
    offsets = refit.offsets.set_index("harness")
    assert list(refit.offsets.columns) == [
        "harness", "offset", "n_observations", "is_reference", "identified",
    ]  # fmt: skip
    assert offsets["is_reference"].sum() == 1
    reference = offsets.index[offsets["is_reference"]][0]
    other = offsets.index[~offsets["is_reference"]][0]
    assert offsets.loc[reference, "offset"] == 0.0
    # Every score is also present 0.05 lower in "simple-loop": a negative offset.
    sign = -1.0 if other == "simple-loop" else 1.0
    assert sign * offsets.loc[other, "offset"] > 0.05
    assert refit.n_observations == 2 * base.n_observations


def test_benchmark_subset_refit_as_the_gap_engine_does(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    base = fitting.run_fit(store, bootstrap=0)
    keep = tuple(b for b in catalogue.benchmarks if b != "b-hle")
    loo = fitting.refit(store, dataclasses.replace(base.config, benchmarks=keep, bootstrap=0))
    assert set(loo.benchmarks["benchmark_id"]) == set(keep)
    assert loo.fit_id != base.fit_id
    pairs = fitting.fit_pairs(store, loo)
    assert set(pairs["benchmark_id"]) == set(keep)


def test_fit_observations_without_a_store() -> None:
    obs = pd.DataFrame(
        [(f"m{i}", f"b{j}", 1 / (1 + math.exp(-(i - j) / 2))) for i in range(8) for j in range(4)],
        columns=["model_id", "benchmark_id", "score"],
    )
    config = resolve_config("default", bootstrap=0, min_benchmarks=1, cv_folds=0)
    result = fitting.fit_observations(obs, config)
    assert result.scale == "raw"
    assert list(result.models["model_id"][:3]) == ["m7", "m6", "m5"]
    assert result.n_observations == 32


# ------------------------------------------------------------------ storing
def test_save_and_load_round_trip(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    result = fitting.run_fit(store, bootstrap=20)
    assert fitting.latest_fit_id(store) == result.fit_id
    loaded = fitting.load_fit(store)
    assert loaded.fit_id == result.fit_id
    assert loaded.config == result.config
    assert loaded.draws is not None and result.draws is not None
    np.testing.assert_array_equal(loaded.draws, result.draws)
    pd.testing.assert_frame_equal(loaded.models, result.models, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.benchmarks, result.benchmarks, check_dtype=False)
    assert loaded.to_dict() == json.loads(json.dumps(fitting.to_json(result.to_dict())))
    assert fitting.load_fit(store, result.fit_id[:6]).fit_id == result.fit_id
    caps = store.query("SELECT * FROM capabilities WHERE fit_id = ?", [result.fit_id])
    assert len(caps) == result.n_models
    params = store.query("SELECT * FROM benchmark_params WHERE fit_id = ?", [result.fit_id])
    assert len(params) == result.n_benchmarks


def test_fit_id_hashes_data_and_configuration(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    first = fitting.run_fit(store, bootstrap=0)
    again = fitting.run_fit(store, bootstrap=0)
    assert again.fit_id == first.fit_id
    assert again.provenance["run_id"] != first.provenance["run_id"]
    assert store.counts()["fits"] == 1  # the same fit is replaced, not duplicated
    other = fitting.run_fit(store, bootstrap=0, loss="binomial")
    assert other.fit_id != first.fit_id
    assert other.provenance["explicit_options"] == ["bootstrap", "loss"]


def test_no_fit(store: Store) -> None:
    with pytest.raises(NoFit, match=r"^the store holds no fit yet; run `opengap fit` first$"):
        fitting.load_fit(store)
    with pytest.raises(NoFit, match=r"^no stored fit 'abc'$"):
        fitting.load_fit(store, "abc")


def test_stored_format_version_1_still_loads(store: Store) -> None:
    """``data/stored_fit_v1.json`` is a fit saved by format version 1 (8 synthetic models)."""
    row = json.loads((DATA / "stored_fit_v1.json").read_text())
    store.con.execute(
        "INSERT INTO fits VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [row["fit_id"], row["created_at"], row["preset"], row["scale"], row["config"],
         row["provenance"], row["summary"]],
    )  # fmt: skip
    fit = fitting.load_fit(store)
    assert fit.fit_id == row["fit_id"]
    assert fit.n_models == len(fit.models) == 8
    assert fit.models["capability"].is_monotonic_decreasing
    assert fit.draws is None


def test_unknown_stored_format_is_rejected(store: Store) -> None:
    row = json.loads((DATA / "stored_fit_v1.json").read_text())
    summary = json.loads(row["summary"])
    summary["format_version"] = 99
    store.con.execute(
        "INSERT INTO fits VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [row["fit_id"], row["created_at"], row["preset"], row["scale"], row["config"],
         row["provenance"], json.dumps(summary)],
    )  # fmt: skip
    with pytest.raises(SchemaVersionError) as err:
        fitting.load_fit(store)
    assert str(err.value) == (
        f"fit {row['fit_id']}: stored format version 99 is not one this opengap reads (1); "
        "refit it with `opengap fit`"
    )


def test_to_dict_has_the_documented_shape(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    out = fitting.run_fit(store, bootstrap=0, save=False).to_dict()
    required = {"fit_id", "preset", "scale", "n_models", "n_benchmarks", "n_observations", "sse",
                "fit_seconds", "bootstrap_seconds", "models", "benchmarks"}  # fmt: skip
    assert required <= set(out)
    assert {"model_id", "name", "release_date", "weights", "capability", "ci_low", "ci_high",
            "n_benchmarks"} <= set(out["models"][0])  # fmt: skip
    assert {"benchmark_id", "difficulty", "slope"} <= set(out["benchmarks"][0])
    json.dumps(out)  # plain JSON


# ------------------------------------------------------------------ bad configurations
def test_empty_store(store: Store) -> None:
    with pytest.raises(BadConfiguration) as err:
        fitting.run_fit(store)
    assert str(err.value) == "the store holds no scores; import some first (opengap import …)"


def test_unknown_anchor_model(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    with pytest.raises(UnknownModel) as err:
        fitting.run_fit(store, anchors=[("model-99x", 130), (ANCHOR_HIGH, 150)], save=False)
    assert str(err.value).startswith("unknown model 'model-99x'")


def test_anchor_without_scores(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    store.apply_batch(ImportBatch(kind="test", path="extra", sha256="extra",
                                  models=[ModelRecord(model_id="no-scores")]))  # fmt: skip
    with pytest.raises(BadConfiguration) as err:
        fitting.run_fit(store, anchors=[("no-scores", 130), (ANCHOR_HIGH, 150)], save=False)
    assert str(err.value) == "anchor model 'no-scores' has no scores in this fit"


def test_eci_scale_without_its_anchor_models(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store, anchors=False)
    with pytest.raises(BadConfiguration) as err:
        fitting.run_fit(store, scale="eci", save=False)
    assert str(err.value) == (
        "the eci scale needs its anchor models, but 'Claude 3.5 Sonnet', 'GPT-5' has no scores "
        "in this fit; pass --anchor MODEL=VALUE twice"
    )


def test_unidentified_benchmark_set(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store, island=True)
    with pytest.raises(UnidentifiedFit) as err:
        fitting.run_fit(store, min_benchmarks=2, save=False)
    assert str(err.value) == (
        "the scores fall into 2 groups that share no model, so their capabilities cannot be "
        "compared: benchmark(s) 'b-island-1', 'b-island-2' share no model with 'b-mmlu'; "
        "restrict the benchmarks or add models scored on both sides"
    )


def test_bad_options(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    with pytest.raises(BadConfiguration, match=r"^unknown preset 'eci2' \(choose from "):
        fitting.run_fit(store, preset="eci2")
    with pytest.raises(BadConfiguration, match=r"^unknown scale 'logit' \(choose from raw"):
        fitting.run_fit(store, scale="logit")
    with pytest.raises(UnknownBenchmark, match=r"^unknown benchmark 'nope'"):
        fitting.run_fit(store, pin_benchmark="nope")
    with pytest.raises(BadConfiguration, match=r"^the eci scale needs two anchors, got 1$"):
        fitting.run_fit(store, scale="eci", anchors=[(ANCHOR_LOW, 1.0)])
    with pytest.raises(BadConfiguration, match=r"^anchor 'x=y' is not of the form|'y' is not"):
        fitting.parse_anchor("x=y")


def test_caisi_preset_fields_persist_and_load(store: Store, catalogue: Catalogue) -> None:
    catalogue.fill(store)
    result = fitting.run_fit(
        store, preset="caisi", benchmarks=list(catalogue.benchmarks), bootstrap=0
    )
    assert result.scale == "elo"
    assert set(result.benchmarks["slope"]) == {1.0}  # one common slope
    loaded = fitting.load_fit(store, result.fit_id)
    assert loaded.config.gap_method == "caisi-trend" and loaded.config.gap_by == "country"
    assert loaded.config.common_slope and loaded.config.weighting == "benchmark-domain"
    assert loaded.config.benchmark_domains == result.config.benchmark_domains
    # Equal weights change the fit, so they change its id.
    plain = fitting.refit(store, dataclasses.replace(result.config, weighting="none"))
    assert plain.fit_id != result.fit_id


def test_new_fields_leave_the_default_presets_fit_unchanged(
    store: Store, catalogue: Catalogue
) -> None:
    # The id and SSE that opengap gave at commit cb91209, before common_slope, weighting,
    # gap_method/gap_by, release_dated_groups and clip_eps existed: stored fits keep their ids.
    catalogue.fill(store)
    result = fitting.run_fit(store, bootstrap=0, save=False)
    assert result.fit_id == "717d37d3d24f7230"
    assert result.sse == pytest.approx(0.14319, abs=5e-6)


def test_clip_eps_clips_every_score_into_the_open_interval() -> None:
    obs = pd.DataFrame({
        "model_id": ["a", "a", "b", "b", "c", "c"], "benchmark_id": ["x", "y"] * 3,
        "score": [0.0, 0.5, 1.0, 0.9, 0.2, 0.0005],
    })  # fmt: skip
    config = resolve_config("default", bootstrap=0, cv_folds=0, min_benchmarks=1)
    plain = fitting.fit_observations(obs, config)
    assert plain.observations["score"].min() == 0.0  # without clip_eps a 0 stays 0
    clipped = fitting.fit_observations(obs, dataclasses.replace(config, clip_eps=1e-3))
    scores = clipped.observations["score"]
    assert scores.min() == pytest.approx(1e-3) and scores.max() == pytest.approx(1 - 1e-3)
