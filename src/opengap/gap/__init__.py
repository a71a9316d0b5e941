"""Library verbs for the open-vs-closed gap: :func:`gap`, :func:`breakdowns`, :func:`sensitivity`.

Each reads what it needs from the store (a stored fit, or one benchmark's scores), turns it into
a table of models with values and bootstrap draws, and hands it to the pure functions of
:mod:`opengap.analysis`. The CLI commands ``opengap gap`` and ``opengap sensitivity`` print what
these return. When the store holds no fit, :func:`gap` fits the default preset first.

Where things are:

- :mod:`.measure` — :func:`gap`, the verb;
- :mod:`.tables` — the tables it measures (a fit's models, a benchmark's best scores), curation;
- :mod:`.domains` — the gap in each domain (refits on a domain's benchmarks);
- :mod:`.breakdown_tables` — :func:`breakdowns` (domain, country, size);
- :mod:`.stress_test` — :func:`sensitivity` (leave-one-out, subsets, widening);
- :mod:`.harness` — the harness step of the sensitivity (offsets per harness, gap restated);
- :mod:`.compare_chain` — :func:`compare`: evaluators' methods side by side, and the chain;
- :mod:`.refits` — refits in memory (memoised, forked workers) and the lag of a refit;
- :mod:`.progress` — progress callbacks.
"""

from __future__ import annotations

from opengap.analysis.reports import CatchUpReport, GroupReport, LagReport, TrendReport
from opengap.analysis.sensitivity import SensitivityReport
from opengap.gap.breakdown_tables import breakdowns
from opengap.gap.compare_chain import compare
from opengap.gap.harness import harness_report
from opengap.gap.measure import gap
from opengap.gap.progress import Progress
from opengap.gap.refits import refit_fit
from opengap.gap.stress_test import sensitivity
from opengap.gap.tables import TRUST, Curation, benchmark_table, fit_table, load_or_fit

__all__ = [
    "TRUST",
    "CatchUpReport",
    "Curation",
    "GroupReport",
    "LagReport",
    "Progress",
    "SensitivityReport",
    "TrendReport",
    "benchmark_table",
    "breakdowns",
    "compare",
    "fit_table",
    "gap",
    "harness_report",
    "load_or_fit",
    "refit_fit",
    "sensitivity",
]
