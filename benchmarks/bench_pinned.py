"""Months of the bundled catalogue's lag series whose point sits on a bound of its interval.

Loads the bundled snapshot into a temporary store (or uses ``--db``), fits the default preset
with 200 bootstrap draws (the report's own fit; ``--db`` reuses the store's latest fit) and
prints, for the monthly series of ``opengap gap`` (the report's lag over time) and of ``opengap
gap --significance``, how many months have their point on a bound of the 90% interval, before
and after the smoothing of :mod:`opengap.analysis.smoothing`, measured in this one run:

* plain lag, before: the step lag's draws about their median placed around the point (the
  recentred interval on the unsmoothed draws); after: ``lag_series`` as shipped;
* significance-aware lag, before: the percentile interval of the unsmoothed statistic over
  the double bootstrap's worlds (``EpochGap.lag_draws``); after: ``epoch_gap`` as shipped.

A month whose point stays on a bound is classed: ``no spread`` (every draw gives the same
smoothed value: the draws cannot move it), ``floor`` (a significance-aware lag of 0, its
smallest possible value), ``censored`` (a significance-aware lag counted from the closed
group's first model because every record is significantly better: its largest possible value),
``first model`` (the plain lag counted from the closed group's first model, likewise) or
``other``. Also prints the headline (at the latest release) both ways.

Prints figures; asserts nothing. Run with
``.venv/bin/python benchmarks/bench_pinned.py [--db STORE] [--bootstrap N]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from opengap import fitting
from opengap.analysis.epoch_gap import epoch_gap
from opengap.analysis.frontier import (
    DAYS_PER_MONTH,
    first_reach,
    from_days,
    frontier_at,
    month_ends,
)
from opengap.analysis.intervals import Interval, interval, recentred_interval
from opengap.analysis.lag import gap_and_lag
from opengap.analysis.reports import Table
from opengap.catalog import init_store
from opengap.gap.tables import open_closed, table_from_fit
from opengap.store import Store


def _on_bound(iv: Interval) -> bool:
    return math.isclose(iv.value, iv.ci_low, abs_tol=1e-9) or math.isclose(
        iv.value, iv.ci_high, abs_tol=1e-9)


def _step_lag_draws(closed: Table, opened: Table, t: float) -> np.ndarray:
    """The unsmoothed lag (months) on each draw, as the interval used it before."""
    assert closed.draws is not None and opened.draws is not None
    f_lead = frontier_at(closed.days, closed.draws, t)[:, 0]
    f_trail = frontier_at(opened.days, opened.draws, t)[:, 0]
    behind = t - first_reach(closed.days, closed.draws, f_trail)
    ahead = -(t - first_reach(opened.days, opened.draws, f_lead))
    return np.where(f_lead >= f_trail, behind, ahead) / DAYS_PER_MONTH


def _plain(closed: Table, opened: Table, t: float) -> tuple[Interval, Interval, str]:
    after = gap_and_lag(closed.days, closed.values, opened.days, opened.values, t,
                        lead_draws=closed.draws, trail_draws=opened.draws).lag_months
    before = recentred_interval(after.value, _step_lag_draws(closed, opened, t))
    kind = "other"
    if after.ci_low == after.ci_high:
        kind = "no spread"
    elif math.isclose(after.value, (t - closed.days.min()) / DAYS_PER_MONTH):
        kind = "first model"
    return before, after, kind


def _significance(closed: Table, opened: Table, t: float, outer: int) -> tuple[
        Interval, Interval, str]:
    assert closed.draws is not None and opened.draws is not None
    result = epoch_gap(closed.days, closed.values, closed.draws, opened.days, opened.values,
                       opened.draws, [t], max_outer=outer)
    after = result.lag_months
    before = interval(after.value, result.lag_draws)
    kind = ("floor" if after.value == 0 else "censored" if result.censored_days
            else "no spread" if after.ci_low == after.ci_high else "other")
    return before, after, kind


def main() -> None:
    """Print the before/after counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing store (default: a fresh one)")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--outer", type=int, default=50,
                        help="worlds of the significance series' double bootstrap (as the "
                             "monthly series uses)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bundled.duckdb"
        with Store(path) as store:
            start = time.perf_counter()
            if args.db is None:
                init_store(store)
                fit = fitting.run_fit(store, preset="default", bootstrap=args.bootstrap)
            else:
                fit = fitting.load_fit(store, None)
            table, context = table_from_fit(store, fit)
            closed, opened = open_closed(table, context)
            first = max(closed.days.min(), opened.days.min())
            end = max(closed.days.max(), opened.days.max())
            months = month_ends(first, end)
            print(f"fit {fit.fit_id} ({context.n_draws} draws), {months.size} months "
                  f"to {from_days(float(months[-1])).isoformat()}")
            for name, fn in (("lag", lambda t: _plain(closed, opened, t)),
                             ("significance", lambda t: _significance(closed, opened, t,
                                                                       args.outer))):
                rows = [fn(float(t)) for t in months]
                n_before = sum(_on_bound(b) for b, _, _ in rows)
                kinds: dict[str, int] = {}
                for _, a, kind in rows:
                    if _on_bound(a):
                        kinds[kind] = kinds.get(kind, 0) + 1
                classes = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))
                print(f"{name}: point on a bound in {n_before} of {len(rows)} months before, "
                      f"{sum(kinds.values())} after ({classes or 'none'})")
                b, a, _ = rows[-1]
                print(f"  headline: {a.value:.1f} months, before {b.ci_low:.1f}–{b.ci_high:.1f}, "
                      f"after {a.ci_low:.1f}–{a.ci_high:.1f}")
            print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
