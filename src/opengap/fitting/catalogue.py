"""Fits of a store's catalogue: :func:`run_fit` (a preset and overrides), :func:`refit` (a
complete configuration), the :class:`Catalogue` read once for refits in worker processes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from opengap.errors import BadConfiguration
from opengap.fit.config import ECI_ANCHORS, FitConfig, resolve_config
from opengap.fit.selection import select
from opengap.fitting.anchors import AnchorSpec, anchor_pairs
from opengap.fitting.observations import Progress, fit_observations
from opengap.fitting.result import FitResult
from opengap.fitting.storage import save_fit
from opengap.store import Store
from opengap.store import fits as fit_store


def run_fit(
    store: Store,
    *,
    preset: str = "default",
    scale: str | None = None,
    anchors: AnchorSpec = None,
    bootstrap: int | None = None,
    pin_benchmark: str | None = None,
    loss: str | None = None,
    benchmarks: Sequence[str] | None = None,
    min_benchmarks: int | None = None,
    seed: int | None = None,
    weighting: str | None = None,
    common_slope: bool | None = None,
    impute_partial: bool = False,
    item_fit_id: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the capability scale on the store's scores with a preset and optional overrides.

    Parameters
    ----------
    store : Store
        The catalogue.
    preset : {"default", "eci", "epoch-stitching", "caisi"}
        Starting configuration (see ``docs/fit.md``).
    scale : {"raw", "eci", "elo", "elo10"}, optional
        Reported scale; default the preset's (``default``: eci when its anchors are present).
    anchors : sequence of (model, value) or mapping, optional
        Anchor models (ids or aliases): two for eci, one for elo.
    bootstrap : int, optional
        Bootstrap refits (0 = none); default the preset's.
    pin_benchmark : str, optional
        Benchmark (id or alias) pinned at D = 0, α = 1; default the preset's.
    loss : {"lsq", "binomial"}, optional
        The loss; default the preset's.
    benchmarks : sequence of str, optional
        Restrict to these benchmarks (ids or aliases).
    min_benchmarks : int, optional
        Least number of benchmarks a model needs.
    seed : int, optional
        Seed of the start values and the bootstrap; default the preset's.
    weighting : {"none", "benchmark", "benchmark-domain"}, optional
        Equal total weight per benchmark (and domain); default the preset's.
    common_slope : bool, optional
        One slope shared by every benchmark (1PL); default the preset's.
    impute_partial : bool
        Add imputed full-benchmark scores for models with item responses but no score
        (:mod:`opengap.fitting.imputation`), flagged imputed in the record.
    item_fit_id : str, optional
        The item fit that imputes (default: the latest).
    save : bool
        Store the fit (keyed by its fit id).
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.

    Returns
    -------
    FitResult

    Raises
    ------
    BadConfiguration, UnknownModel, UnknownBenchmark, UnidentifiedFit
        A configuration that cannot be honoured, with a one-line reason.

    Examples
    --------
    >>> result = run_fit(store, preset="epoch-stitching")  # doctest: +SKIP
    >>> result.models[["model_id", "capability"]].head()  # doctest: +SKIP
    """
    options: dict[str, Any] = {"scale": scale, "bootstrap": bootstrap, "loss": loss}
    options.update(
        min_benchmarks=min_benchmarks, seed=seed, weighting=weighting, common_slope=common_slope
    )
    if anchors is not None:
        options["anchors"] = anchor_pairs(anchors)
    if pin_benchmark is not None:
        options["pin_benchmark"] = store.resolve_benchmark(pin_benchmark)
    if benchmarks is not None:
        options["benchmarks"] = tuple(store.resolve_benchmark(b) for b in benchmarks)
    config = resolve_config(preset, **options)
    return refit(store, config, save=save, progress=progress, impute_partial=impute_partial,
                 item_fit_id=item_fit_id)  # fmt: skip


def refit(
    store: Store, config: FitConfig, *, save: bool = False, progress: Progress | None = None,
    impute_partial: bool = False, item_fit_id: str | None = None,
) -> FitResult:  # fmt: skip
    """Fit the store's scores with a complete configuration (by default without saving).

    The gap engine's sensitivity analyses call this with a stored fit's ``config`` changed by
    ``dataclasses.replace`` (another benchmark subset, harness offsets, no bootstrap).
    """
    config = config.validate()
    catalogue = Catalogue.read(store, config)
    if impute_partial:
        from dataclasses import replace

        from opengap.fitting.imputation import imputed_scores

        catalogue = replace(catalogue, imputed=imputed_scores(store, catalogue.scores,
                                                              item_fit_id=item_fit_id))
    result = refit_catalogue(catalogue, config, progress=progress)
    if save:
        save_fit(store, result)
    return result


@dataclass(frozen=True)
class Catalogue:
    """What a refit reads from the store, read once: tables, imports and resolved anchor names.

    Refits from a ``Catalogue`` touch no database, so the gap engine can run them in worker
    processes.
    """

    scores: pd.DataFrame
    models: pd.DataFrame
    benchmarks: pd.DataFrame
    imports: pd.DataFrame
    names: Mapping[str, str | None]
    """Model name -> model id (or None) for every anchor name a fit may look up."""
    imputed: pd.DataFrame | None = None
    """Imputed scores (:func:`opengap.fitting.imputation.imputed_scores`) fitted as scores."""

    @classmethod
    def read(cls, store: Store, *configs: FitConfig) -> Catalogue:
        """Read the catalogue tables and resolve the anchor names ``configs`` may use."""
        for config in configs:
            for ref, _ in config.anchors:
                store.resolve_model(ref)  # an unknown name fails here, with suggestions
        refs = {ref for config in configs for ref, _ in config.anchors}
        refs |= {ref for group, _ in ECI_ANCHORS for ref in group}
        scores, models, benches = fit_store.catalogue_frames(store)
        return cls(
            scores=scores, models=models, benchmarks=benches,
            imports=fit_store.imports_table(store, None),
            names={ref: store.resolve("model", ref) for ref in sorted(refs)},
        )  # fmt: skip


def refit_catalogue(
    catalogue: Catalogue,
    config: FitConfig,
    *,
    progress: Progress | None = None,
    n_jobs: int | None = None,
) -> FitResult:
    """Fit a :class:`Catalogue` with ``config`` (validated); no database is touched.

    ``n_jobs`` is the number of bootstrap worker processes (default: every usable core).
    """
    config = config.validate()
    if catalogue.scores.empty:
        raise BadConfiguration("the store holds no scores; import some first (opengap import …)")
    scores = catalogue.scores.copy()
    imputed = catalogue.imputed
    if imputed is not None and not imputed.empty:
        scores = pd.concat([scores, imputed[[c for c in scores.columns if c in imputed]]],
                           ignore_index=True)  # fmt: skip
    selection = select(scores, catalogue.models.copy(), catalogue.benchmarks.copy(), config)
    if selection.observations.empty:
        raise BadConfiguration(
            f"no scores are left after the {config.preset!r} preset's filters "
            f"({count_note(selection.counts)})"
        )

    def resolver(ref: str) -> str | None:
        found = catalogue.names.get(ref)
        if found is None:
            return None
        return selection.model_to_unit.get(found, found)

    imports = catalogue.imports
    result = fit_observations(
        selection.observations,
        config,
        models_meta=selection.units,
        benchmarks_meta=catalogue.benchmarks,
        resolve_model=resolver,
        progress=progress,
        n_jobs=n_jobs,
        _selection=selection,
        _imports=imports.loc[imports["import_id"].isin(selection.import_ids)].reset_index(
            drop=True
        ),
    )
    if imputed is not None:
        from opengap.fitting.imputation import mark_imputed

        mark_imputed(result, selection.observations, imputed)
    return result


def catalogue_state(store: Store) -> tuple[Any, ...]:
    """Return a key that changes whenever the store's catalogue changes (for caching refits)."""
    return fit_store.catalogue_state(store)


def fit_pairs(store: Store, fit: FitResult) -> pd.DataFrame:
    """Return the (model_id, benchmark_id) pairs a fit was fitted on."""
    del store
    return fit.observations[["model_id", "benchmark_id"]].drop_duplicates().reset_index(drop=True)


def count_note(counts: dict[str, int]) -> str:
    """Return filter counts as ``name: n`` text."""
    return ", ".join(f"{k}: {v}" for k, v in counts.items())
