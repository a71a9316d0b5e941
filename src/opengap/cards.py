"""Library verb ``card``: one model's card on the factors practitioners weigh.

Performance for its size (capability, rank overall and among open models, percentile in its
size class, the capability-vs-active-parameters Pareto front), origin, licence, tooling,
fine-tunability, price, and the scores behind it. Every fact comes from the store; a fact no
source gives is ``None`` (shown as "—" / null), never filled in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from opengap.analysis.adoption import ATOM_SIZE_EDGES
from opengap.analysis.cards import (
    blended_prices,
    latest_prices,
    pareto_front,
    percentile_rank,
    rank_of,
)
from opengap.analysis.groups import UNKNOWN, size_class
from opengap.errors import NoFit
from opengap.fit.selection import select
from opengap.fitting import FitResult, load_fit
from opengap.store import Store
from opengap.store import fits as fit_store
from opengap.store.cards import derivative_counts, model_scores, models_table, prices_table


@dataclass
class Price:
    """The latest price of a model in USD per 1M tokens, as of ``date``, from ``source``."""

    date: date
    source: str
    input_usd_per_m: float | None
    output_usd_per_m: float | None
    blended_usd_per_m: float | None


@dataclass
class ModelCard:
    """One model's card; every ``None`` means no source in the store gives that fact.

    Attributes
    ----------
    model_id, name : str
        The catalogue id and display name.
    organization, country : str or None
        Origin.
    release_date : date or None
    weights : str or None
        ``open`` or ``closed``.
    license, license_class : str or None
        The licence as a source names it, and its class (permissive | open-restricted | closed).
    params_total_b, params_active_b : float or None
        Parameters in billions (active: per token, for mixture-of-experts models).
    base_model_id : str or None
        The model it was fine-tuned or derived from, where a source names one.
    fit_id : str or None
        The fit the capability facts come from (the latest unless one was chosen).
    in_fit : bool
        Whether the model (or the version group it belongs to, ``fit_unit``) is in that fit.
    not_in_fit_reason : str or None
        Why not, when it is not.
    fit_unit : str or None
        The fitted unit: the model itself, or its version group.
    capability, ci_low, ci_high : float or None
        Capability on the fit's scale and its 90% bootstrap interval.
    scale : str or None
        The fit's reported scale.
    rank_overall, n_ranked, rank_open, n_open : int or None
        Rank (1 = highest) among all fitted models and among open ones.
    size_class : str or None
        The class of its total parameters (edges ``size_edges``, ATOM's by default); known
        without a fit too. In a fit, the class of the fitted unit (a version group takes its
        versions' size where it has none of its own).
    size_percentile, size_class_n : float, int or None
        Percentile rank of its capability among fitted models of that class, and their number.
    on_pareto_front : bool or None
        On the front of capability vs active parameters among fitted models with known active
        parameters (None when its own active parameters are unknown).
    tooling : str or None
        Inference engines supporting it and days from release to support: no importer gives
        them yet, so always None.
    derivatives_in_catalogue : int or None
        Catalogue models naming it as their base model (fine-tunability evidence); None when
        there are none, since absence from the catalogue is no evidence of none.
    price : Price or None
        The latest price, where a price source was imported.
    scores : list of dict
        Every score behind it: benchmark, value, normalized, harness, setting, source, url.
    size_edges : list of float
        Lower edges of the size classes in billions.
    notes : list of str
    """

    model_id: str
    name: str | None
    organization: str | None
    country: str | None
    release_date: date | None
    weights: str | None
    license: str | None
    license_class: str | None
    params_total_b: float | None
    params_active_b: float | None
    base_model_id: str | None = None
    fit_id: str | None = None
    in_fit: bool = False
    not_in_fit_reason: str | None = None
    fit_unit: str | None = None
    capability: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    scale: str | None = None
    rank_overall: int | None = None
    n_ranked: int | None = None
    rank_open: int | None = None
    n_open: int | None = None
    size_class: str | None = None
    size_percentile: float | None = None
    size_class_n: int | None = None
    on_pareto_front: bool | None = None
    tooling: str | None = None
    derivatives_in_catalogue: int | None = None
    price: Price | None = None
    scores: list[dict[str, Any]] = field(default_factory=list)
    size_edges: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap card --json`` (unknown facts are null)."""
        return asdict(self)


def _value(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.generic):
        return v.item()
    return v


def card(
    store: Store,
    model: str,
    *,
    fit_id: str | None = None,
    size_edges: Sequence[float] = ATOM_SIZE_EDGES,
    fit: FitResult | None = None,
) -> ModelCard:
    """Return the card of ``model`` (an id or any alias).

    Parameters
    ----------
    store : Store
    model : str
        The model; an unknown name raises :class:`UnknownModel` with the closest names.
    fit_id : str, optional
        The fit to take capability from (default: the latest; without any fit the card has
        no capability facts and says so).
    size_edges : sequence of float
        Size class lower edges in billions of total parameters (default ATOM's buckets).
    fit : FitResult, optional
        An already loaded fit (instead of ``fit_id``), so several cards read it once.

    Examples
    --------
    >>> card(store, "deepseek-r1").capability  # doctest: +SKIP
    """
    model_id = store.resolve_model(model)
    models = models_table(store)
    row = models.loc[models["model_id"] == model_id].iloc[0]
    facts = {k: _value(row[k]) for k in (
        "name", "organization", "country", "release_date", "weights", "license",
        "license_class", "params_total_b", "params_active_b", "base_model_id")}  # fmt: skip
    result = ModelCard(model_id=model_id, **facts, size_edges=[float(e) for e in size_edges])
    own_class = str(size_class([result.params_total_b], size_edges).iloc[0])
    result.size_class = None if own_class == UNKNOWN else own_class  # the fit may refine it
    result.scores = [
        {str(k): _value(v) for k, v in r.items()}
        for r in model_scores(store, model_id).to_dict(orient="records")
    ]
    derivatives = derivative_counts(store)
    found = derivatives.loc[derivatives["model_id"] == model_id, "n_derivatives"]
    result.derivatives_in_catalogue = int(found.iloc[0]) if len(found) else None
    result.price = _price(result, latest_prices(prices_table(store)), models)
    result.notes.append("tooling (inference engines, days to support): no imported source "
                        "gives it")  # fmt: skip
    if fit is None:
        try:
            fit = load_fit(store, fit_id)
        except NoFit as exc:
            if fit_id is not None:
                raise
            result.not_in_fit_reason = f"no fit in the store ({exc})"
            return result
    _fit_facts(store, result, fit, models, size_edges)
    return result


def _price(result: ModelCard, prices: pd.DataFrame, models: pd.DataFrame) -> Price | None:
    """Return the model's latest price, else the median latest price of its versions.

    A source such as Artificial Analysis prices each effort variant (versions share per-token
    prices), not the model they are versions of; ``opengap frontier`` uses the same rule.
    """
    own = prices.loc[prices["model_id"] == result.model_id]
    if len(own):
        p = own.iloc[0]
        return Price(
            date=_value(p["date"]), source=str(p["source"]),
            input_usd_per_m=_value(p["input_usd_per_m"]),
            output_usd_per_m=_value(p["output_usd_per_m"]),
            blended_usd_per_m=_value(p["blended_usd_per_m"]),
        )  # fmt: skip
    versions = set(models.loc[models["version_of"] == result.model_id, "model_id"])
    theirs = prices.loc[prices["model_id"].isin(versions)]
    if theirs.empty:
        return None
    result.notes.append(f"price: the median latest price of its {len(theirs)} priced "
                        "version(s), which a source prices one by one")  # fmt: skip

    def median(values: pd.Series) -> float | None:
        number = pd.to_numeric(values, errors="coerce").median()
        return None if pd.isna(number) else float(number)

    return Price(
        date=_value(theirs["date"].max()), source=", ".join(sorted(set(theirs["source"]))),
        input_usd_per_m=median(theirs["input_usd_per_m"]),
        output_usd_per_m=median(theirs["output_usd_per_m"]),
        blended_usd_per_m=median(blended_prices(theirs)),
    )  # fmt: skip


def top_open_cards(store: Store, fit: FitResult, *, n: int = 5) -> list[ModelCard]:
    """Return the cards of the ``n`` most capable open models of ``fit`` (the report's appendix)."""
    fitted = fit.models.loc[fit.models["weights"] == "open"].sort_values(
        "capability", ascending=False)
    ids = [m for m in fitted["model_id"].head(n) if store.resolve("model", str(m)) is not None]
    return [card(store, str(m), fit=fit) for m in ids]


def _fit_facts(
    store: Store,
    result: ModelCard,
    fit: FitResult,
    models: pd.DataFrame,
    size_edges: Sequence[float],
) -> None:
    result.fit_id = fit.fit_id
    result.scale = fit.scale
    fitted = fit.models
    unit = _unit_of(store, fit, result.model_id)
    if unit is None or unit not in set(fitted["model_id"]):
        result.not_in_fit_reason = _why_not(store, fit, result.model_id, unit)
        return
    result.in_fit = True
    result.fit_unit = unit
    own = fitted.loc[fitted["model_id"] == unit].iloc[0]
    if unit != result.model_id:
        result.notes.append(f"fitted as the version group {unit!r}")
    cap = float(own["capability"])
    result.capability = cap
    result.ci_low = _value(float(own["ci_low"]))
    result.ci_high = _value(float(own["ci_high"]))
    if bool(own["is_anchor"]):
        result.notes.append("an anchor of the scale: its capability is fixed, so no interval")
    caps = fitted["capability"].to_numpy(dtype=float)
    result.rank_overall, result.n_ranked = rank_of(caps, cap), int(np.isfinite(caps).sum())
    is_open = (fitted["weights"] == "open").to_numpy()
    if own["weights"] == "open":
        result.rank_open = rank_of(caps[is_open], cap)
        result.n_open = int(np.isfinite(caps[is_open]).sum())
    params = models.set_index("model_id")
    total = pd.to_numeric(fitted["model_id"].map(params["params_total_b"]), errors="coerce")
    total = total.fillna(fitted["params_total_b"])
    classes = size_class(total.to_numpy(dtype=float), size_edges).to_numpy()
    own_class = classes[fitted["model_id"].to_numpy() == unit][0]
    result.size_class = None if own_class == UNKNOWN else str(own_class)
    if own_class != UNKNOWN:
        members = classes == own_class
        result.size_class = str(own_class)
        result.size_class_n = int(members.sum())
        result.size_percentile = percentile_rank(caps[members], cap)
    active = pd.to_numeric(fitted["model_id"].map(params["params_active_b"]), errors="coerce")
    active_values = active.to_numpy(dtype=float)
    own_active = active_values[fitted["model_id"].to_numpy() == unit][0]
    if np.isfinite(own_active):
        front = pareto_front(caps, active_values)
        result.on_pareto_front = bool(front[fitted["model_id"].to_numpy() == unit][0])


def _unit_of(store: Store, fit: FitResult, model_id: str) -> str | None:
    """Return the unit the fit's selection puts ``model_id`` in (itself or its group)."""
    if model_id in set(fit.models["model_id"]):
        return model_id
    scores, models, benchmarks = fit_store.catalogue_frames(store)
    if scores.empty:
        return None
    selection = select(scores, models, benchmarks, fit.config)
    return selection.model_to_unit.get(model_id)


def _why_not(store: Store, fit: FitResult, model_id: str, unit: str | None) -> str:
    """Say why a model is not in a fit: no scores, too few benchmarks, or the selection."""
    scores = model_scores(store, model_id)
    n = int(scores["benchmark_id"].nunique()) if len(scores) else 0
    if n == 0:
        return "no scores in the store"
    need = fit.config.min_benchmarks
    if n < need:
        return (f"scored on {n} benchmark(s), fewer than the {need} the fit requires "
                "(min_benchmarks)")  # fmt: skip
    return (
        f"not in the {fit.preset!r} preset's selection (its benchmark set, score sources or "
        f"release-date filter leave this model's {n} benchmark(s) out)"
    )
