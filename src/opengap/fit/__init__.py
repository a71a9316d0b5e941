"""Pure numerics of the capability scale: arrays in, parameters out, no I/O.

The benchmark-level IRT model E[s_mb] = σ(α_b (C_m + δ_h − D_b)) (:mod:`.problem`), its fast
structured solver (:mod:`.solver`), the estimator (:mod:`.estimator`), identification checks
(:mod:`.identify`), reported scales (:mod:`.scales`), bootstrap (:mod:`.bootstrap`), diagnostics
(:mod:`.diagnostics`), a plain scipy reference implementation (:mod:`.reference`) and the fit
configurations and presets (:mod:`.config`). Data selection from a catalogue is in
:mod:`.selection`; the store-facing verbs are in :mod:`opengap.fitting`.
"""

from opengap.fit.config import PRESETS, FitConfig, resolve_config
from opengap.fit.estimator import CapabilityEstimator, fit_capabilities
from opengap.fit.scales import ELO_PER_LOGIT, ScaleMap, make_scale

__all__ = [
    "ELO_PER_LOGIT",
    "PRESETS",
    "CapabilityEstimator",
    "FitConfig",
    "ScaleMap",
    "fit_capabilities",
    "make_scale",
    "resolve_config",
]
