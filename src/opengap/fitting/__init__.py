"""Library verbs for the capability scale: :func:`run_fit`, :func:`fit_observations` and more.

``run_fit`` selects a preset's observations from the store, fits them
(:class:`opengap.fit.CapabilityEstimator`), maps the result to the reported scale, and saves it
keyed by a hash of the data and the resolved configuration. ``fit_observations`` does the same on
an in-memory observation table (no store), so sensitivity refits are cheap. The gap engine, the
report and the dashboard read fits through :func:`load_fit`.

This package's modules, by what they hold:

* :mod:`.catalogue` — fits of a store's catalogue: ``run_fit``, ``refit``, ``Catalogue``,
  ``refit_catalogue``;
* :mod:`.observations` — the in-memory fit ``fit_observations`` and its input preparation;
* :mod:`.anchors` — ``--anchor`` parsing, anchor names, the reported scale of a configuration;
* :mod:`.frames` — the output tables (models, benchmarks, offsets, diagnostics);
* :mod:`.identity` — the fit id and the provenance record;
* :mod:`.result` — :class:`FitResult` and its JSON shape;
* :mod:`.storage` — ``save_fit``, ``load_fit``, ``latest_fit_id``, ``list_fits``.

``opengap.fitting`` re-exports the verbs, so callers keep ``fitting.run_fit(...)``.
"""

from opengap.fitting.anchors import AnchorSpec, parse_anchor
from opengap.fitting.catalogue import (
    Catalogue,
    catalogue_state,
    fit_pairs,
    refit,
    refit_catalogue,
    run_fit,
)
from opengap.fitting.observations import Progress, fit_observations
from opengap.fitting.result import (
    BENCHMARK_COLUMNS,
    FORMAT_VERSION,
    MODEL_COLUMNS,
    FitResult,
    to_json,
)
from opengap.fitting.storage import (
    FIT_LIST_COLUMNS,
    latest_fit_id,
    list_fits,
    load_fit,
    save_fit,
)

__all__ = [
    "BENCHMARK_COLUMNS",
    "FIT_LIST_COLUMNS",
    "FORMAT_VERSION",
    "MODEL_COLUMNS",
    "AnchorSpec",
    "Catalogue",
    "FitResult",
    "Progress",
    "catalogue_state",
    "fit_observations",
    "fit_pairs",
    "latest_fit_id",
    "list_fits",
    "load_fit",
    "parse_anchor",
    "refit",
    "refit_catalogue",
    "run_fit",
    "save_fit",
    "to_json",
]
