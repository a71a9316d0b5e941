"""Library verbs for item-level IRT: :func:`fit_items`, :func:`plan` and :func:`estimate`.

:func:`fit_items` reads item-level responses from the store, fits a 1PL, 2PL or 3PL model
(:class:`opengap.fit.items.ItemResponseModel`; the 3PL's guessing floor is each benchmark's
chance level), links the abilities to the latest benchmark-level capability scale through the
models both fits share, and stores a versioned record. :func:`plan` proposes the next items to
run for a model from its answers so far; :func:`estimate` gives its ability and predicted
full-benchmark score with 90% intervals, and whether the standard-error stopping rule is met.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opengap import __version__
from opengap.errors import BadArgument, MalformedFile, NoFit, UnidentifiedFit
from opengap.fit.adaptive import Z90, map_ability, next_items, predicted_score
from opengap.fit.items import ItemResponseModel
from opengap.fit.items_bootstrap import BACKENDS, OVER, bootstrap_item_fit
from opengap.store import Store
from opengap.store.item_fits import load_item_fit, save_item_fit

ITEM_MODELS = ("1pl", "2pl", "3pl")
RECORD_VERSION = 1


@dataclass
class ItemFit:
    """A stored item-level fit: abilities per model, parameters per item, and its record.

    ``abilities`` has unit (a model, or "model (harness)" when one model ran under several),
    model_id, ability θ with its SE and 90% interval, the linked capability (on the latest
    benchmark-level fit's scale, None when it cannot be linked) and the response count;
    ``items`` has difficulty, discrimination, floor, infit/outfit and the response count.
    """

    fit_id: str
    model: str
    abilities: pd.DataFrame
    items: pd.DataFrame
    summary: dict[str, Any]
    config: dict[str, Any]
    provenance: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (tables as records)."""
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{str(k): v for k, v in r.items()} for r in clean.to_dict(orient="records")]

        return {
            "version": RECORD_VERSION, "fit_id": self.fit_id, "model": self.model,
            "summary": self.summary, "config": self.config, "provenance": self.provenance,
            "abilities": rows(self.abilities), "items": rows(self.items),
        }  # fmt: skip


def _responses(store: Store, benchmark: str | None, harness: str | None) -> pd.DataFrame:
    clauses, params = [], []
    if benchmark:
        clauses.append("r.benchmark_id = ?")
        params.append(store.resolve_benchmark(benchmark))
    if harness is not None:
        clauses.append("r.harness = ?")
        params.append(harness)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        "SELECT r.model_id, r.benchmark_id, r.item_id, r.harness, r.score, r.import_id, "
        "coalesce(b.chance / nullif(coalesce(b.ceiling, 1.0), 0), 0.0) AS chance "
        f"FROM responses r JOIN benchmarks b USING (benchmark_id) {where} "
        "ORDER BY r.model_id, r.benchmark_id, r.item_id, r.harness",
        params,
    )


def fit_items(
    store: Store,
    *,
    benchmark: str | None = None,
    model: str = "2pl",
    harness: str | None = None,
    bootstrap: int = 0,
    bootstrap_over: str = "items",
    executor: str = "local",
    seed: int = 0,
    save: bool = True,
    backend: str = "auto",
) -> ItemFit:
    """Fit an item-level model on the store's responses and (by default) store it.

    Parameters
    ----------
    benchmark : str, optional
        Only this benchmark's items (default: every benchmark's, one ability per model).
    model : {"1pl", "2pl", "3pl"}
        Rasch, two-parameter, or two-parameter with each benchmark's chance as guessing floor.
    harness : str, optional
        Only responses run under this harness.
    bootstrap : int
        Bootstrap refits for the abilities' 90% intervals (0: θ ± 1.645 SE).
    bootstrap_over : {"items", "models"}
        What the bootstrap resamples (:mod:`opengap.fit.items_bootstrap`).
    executor : {"local", "ray"}
        Where the bootstrap draws run: this process, or a Ray cluster (same numbers for the
        same seed).
    backend : {"auto", "sparse", "dense", "torch"}
        Where the sweeps run (:class:`~opengap.fit.items.ItemResponseModel`); the estimate is
        the same to the tolerance, so it is kept in the summary, not in the fit id.

    Returns
    -------
    ItemFit

    Examples
    --------
    >>> with Store("s.duckdb") as store:  # doctest: +SKIP
    ...     result = fit_items(store, benchmark="SWE-bench Verified")
    """
    if model not in ITEM_MODELS:
        raise BadArgument(f"unknown item model {model!r} (choose from {', '.join(ITEM_MODELS)})")
    if bootstrap_over not in OVER:
        raise BadArgument(f"--bootstrap-over {bootstrap_over!r}: choose {' or '.join(OVER)}")
    if executor not in BACKENDS:
        raise BadArgument(f"bootstrap executor {executor!r}: choose {' or '.join(BACKENDS)}")
    if bootstrap < 0:
        raise BadArgument(f"--bootstrap must be 0 or more, not {bootstrap}")
    frame = _responses(store, benchmark, harness)
    if frame.empty:
        raise UnidentifiedFit(
            "no item-level responses to fit (import lm-eval, swe-bench or responses first)"
        )
    several = frame.groupby("model_id")["harness"].transform("nunique") > 1
    frame["unit"] = np.where(several, frame["model_id"] + " (" + frame["harness"] + ")",
                             frame["model_id"])  # fmt: skip
    frame["item_key"] = frame["benchmark_id"] + "\x1f" + frame["item_id"]
    units, m_idx = np.unique(frame["unit"].to_numpy(str), return_inverse=True)
    keys, i_idx = np.unique(frame["item_key"].to_numpy(str), return_inverse=True)
    _check_connected(units, keys, m_idx, i_idx)
    floors = frame.groupby("item_key")["chance"].first().reindex(keys).to_numpy(float)
    config = {"model": model, "benchmark": benchmark, "harness": harness,
              "bootstrap": bootstrap, "seed": seed}  # fmt: skip
    if bootstrap:
        config["bootstrap_over"] = bootstrap_over
    estimator = ItemResponseModel(
        model="1pl" if model == "1pl" else "2pl",
        floor=np.clip(floors, 0.0, 0.95) if model == "3pl" else 0.0, backend=backend,
    )
    started = time.perf_counter()
    estimator.fit(m_idx, i_idx, frame["score"].to_numpy(float), n_models=units.size,
                  n_items=keys.size)  # fmt: skip
    fit_seconds = time.perf_counter() - started
    theta, se = estimator.ability_, estimator.ability_se_
    boot_info: dict[str, Any] = {}
    if bootstrap > 0:
        boot = bootstrap_item_fit(estimator, m_idx, i_idx, frame["score"].to_numpy(float),
                                  n_boot=bootstrap, seed=seed, over=bootstrap_over,
                                  backend=executor)  # fmt: skip
        low, high = boot.interval(0.90)
        interval = f"{bootstrap_over}-resampling bootstrap ({bootstrap} draws), 5th–95th percentile"
        boot_info = {"bootstrap_seconds": round(boot.seconds, 4), "bootstrap_backend": executor}
    else:
        low, high = theta - Z90 * se, theta + Z90 * se
        interval = "θ ± 1.645 SE (conditional on the items)"
    counts = np.bincount(m_idx, minlength=units.size)
    unit_model = frame.drop_duplicates("unit").set_index("unit")["model_id"]
    abilities = pd.DataFrame({
        "unit": units, "model_id": unit_model.reindex(units).to_numpy(),
        "ability": theta, "ability_se": se, "ci_low": low, "ci_high": high,
        "capability": np.nan, "n_responses": counts,
    })  # fmt: skip
    link = _link(store, abilities)
    if link.get("slope") is not None:
        abilities["capability"] = link["intercept"] + link["slope"] * abilities["ability"]
    bench_ids = [k.split("\x1f", 1)[0] for k in keys]
    items = pd.DataFrame({
        "benchmark_id": bench_ids, "item_id": [k.split("\x1f", 1)[1] for k in keys],
        "difficulty": estimator.difficulty_, "discrimination": estimator.discrimination_,
        "floor": estimator.floor_, "infit": estimator.infit_, "outfit": estimator.outfit_,
        "n_responses": np.bincount(i_idx, minlength=keys.size),
    })  # fmt: skip
    import_ids = sorted({int(i) for i in frame["import_id"].dropna()})
    data_hash = hashlib.sha256(
        pd.util.hash_pandas_object(frame[["unit", "item_key", "score"]], index=False).to_numpy()
        .tobytes()
    ).hexdigest()  # fmt: skip
    fit_id = "items-" + hashlib.sha256(
        json.dumps([config, data_hash], sort_keys=True).encode()
    ).hexdigest()[:12]
    summary = {
        "n_models": int(units.size), "n_items": int(keys.size), "n_responses": len(frame),
        "benchmarks": sorted(set(bench_ids)), "converged": bool(estimator.converged_),
        "n_iter": int(estimator.n_iter_), "fit_seconds": round(fit_seconds, 4),
        "backend": estimator.backend_,
        "interval": interval, "link": link,
        "misfit_items": int(np.sum(estimator.outfit_ > 1.3)), **boot_info,
    }  # fmt: skip
    provenance = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "opengap_version": __version__, "import_ids": import_ids, "data_sha256": data_hash,
    }  # fmt: skip
    result = ItemFit(fit_id, model, abilities, items, summary, config, provenance)
    if save:
        save_item_fit(store, fit_id, model, config, provenance, summary, abilities, items)
    return result


def _check_connected(units: np.ndarray, keys: np.ndarray, m_idx: np.ndarray,
                     i_idx: np.ndarray) -> None:  # fmt: skip
    """Refuse responses that fall into groups sharing no model or item: their abilities would
    sit on unrelated scales, placed only by the priors."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_m, n_i = units.size, keys.size
    graph = coo_matrix((np.ones(m_idx.size), (m_idx, n_m + i_idx)), shape=(n_m + n_i,) * 2)
    n_groups, label = connected_components(graph, directed=False)
    if n_groups < 2:
        return
    sizes = np.bincount(label[:n_m], minlength=n_groups)
    small = int(np.argmin(np.where(sizes > 0, sizes, np.iinfo(np.int64).max)))
    members = [str(u) for u in units[label[:n_m] == small]]
    benches = sorted({str(k).split("\x1f", 1)[0] for k in keys[label[n_m:] == small]})
    raise UnidentifiedFit(
        f"the responses fall into {n_groups} groups that share no model or item (e.g. "
        f"{', '.join(members[:3])} on {', '.join(benches[:3])}): fit them apart with --benchmark"
    )


def _link(store: Store, abilities: pd.DataFrame) -> dict[str, Any]:
    """Least-squares map θ → capability through models in both fits (the latest benchmark fit)."""
    from opengap import fitting

    try:
        fit = fitting.load_fit(store)
    except NoFit:
        return {"slope": None, "reason": "no benchmark-level fit in the store"}
    caps = fit.models.set_index("model_id")["capability"]
    shared = abilities[abilities["unit"] == abilities["model_id"]]
    shared = shared[shared["model_id"].isin(caps.index)]
    y = pd.to_numeric(caps.reindex(shared["model_id"]), errors="coerce").to_numpy(float)
    x = shared["ability"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0:
        return {"slope": None, "fit_id": fit.fit_id, "n_common": int(ok.sum()),
                "reason": "fewer than 3 models in both fits"}  # fmt: skip
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    r = float(np.corrcoef(x[ok], y[ok])[0, 1])
    return {"slope": float(slope), "intercept": float(intercept), "r": r,
            "n_common": int(ok.sum()), "fit_id": fit.fit_id}  # fmt: skip


# --------------------------------------------------------------------------- adaptive
@dataclass
class Estimate:
    """A model's standing on a calibrated benchmark from the items it answered so far."""

    benchmark_id: str
    fit_id: str
    n_answered: int
    n_items: int
    ability: float
    ability_se: float
    predicted: float
    predicted_low: float
    predicted_high: float
    target_se: float
    done: bool
    next_items: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return dict(self.__dict__)


def read_answers(path: str | Path) -> pd.DataFrame:
    """Read an answers file: CSV with columns ``item`` and ``score`` (in [0, 1])."""
    file = Path(path)
    if not file.is_file():
        raise MalformedFile(f"{file}: no such file (expected a CSV with columns item, score)")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise MalformedFile(f"{file}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if not {"item", "score"} <= set(frame.columns):
        raise MalformedFile(f"{file}: expected columns item, score")
    scores = pd.to_numeric(frame["score"], errors="coerce")
    bad = frame.index[~scores.between(0.0, 1.0)]
    if len(bad):
        raise MalformedFile(f"{file}: row {int(bad[0]) + 2}: score {frame['score'][bad[0]]!r} "
                            "is not a number in [0, 1]")  # fmt: skip
    dup = frame["item"].duplicated(keep=False)
    if dup.any():
        clash = frame[dup].groupby("item")["score"].nunique()
        if (clash > 1).any():
            raise MalformedFile(f"{file}: item {clash[clash > 1].index[0]!r} answered twice "
                                "with different scores")  # fmt: skip
    return pd.DataFrame({"item": frame["item"], "score": scores}).drop_duplicates("item")


def estimate(
    store: Store,
    benchmark: str,
    answers: pd.DataFrame,
    *,
    fit_id: str | None = None,
    target_se: float = 0.3,
    n_next: int = 5,
    top_k: int = 5,
    seed: int | None = None,
) -> Estimate:
    """Estimate ability and full-benchmark score from ``answers`` (columns item, score).

    ``done`` is the stopping rule: the ability's SE is below ``target_se``. ``next_items`` are
    the most informative unanswered items at the estimate (randomesque among the ``top_k``
    best when ``seed`` is given).
    """
    bench_id = store.resolve_benchmark(benchmark)
    record, _, items = load_item_fit(store, fit_id, benchmark=bench_id)
    items = items[items["benchmark_id"] == bench_id].reset_index(drop=True)
    if items.empty:
        raise NoFit(f"item fit {record['fit_id']!r} did not calibrate {bench_id!r}")
    position = {str(k): i for i, k in enumerate(items["item_id"])}
    unknown = [str(i) for i in answers["item"] if str(i) not in position]
    if unknown:
        raise BadArgument(f"item {unknown[0]!r} is not a calibrated item of {bench_id!r}")
    idx = np.asarray([position[str(i)] for i in answers["item"]], dtype=np.intp)
    y = answers["score"].to_numpy(float)
    b, a, c = (items[k].to_numpy(float) for k in ("difficulty", "discrimination", "floor"))
    theta, se = map_ability(b, a, c, idx, y)
    mid, low, high = predicted_score(b, a, c, theta, se, idx, y)
    rng = np.random.default_rng(seed) if seed is not None else None
    nxt = next_items(b, a, c, theta, idx, n=n_next, top_k=top_k, rng=rng)
    return Estimate(
        bench_id, str(record["fit_id"]), int(idx.size), len(items), theta, se, mid, low,
        high, target_se, bool(se < target_se), [str(items["item_id"][i]) for i in nxt],
    )  # fmt: skip
