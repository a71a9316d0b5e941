"""Pure analysis over fitted capabilities or raw scores: frontiers, lags, catch-up, trends.

Nothing here touches the store or files: functions take arrays and DataFrames and return
arrays, DataFrames and small dataclasses. Time is measured in days since 1970-01-01 (floats)
and converted to months as ``days / 365 * 12`` everywhere (:data:`DAYS_PER_MONTH`).
"""

from opengap.analysis.catchup import CatchUp, CatchUpPair, catch_up, record_setters
from opengap.analysis.frontier import (
    DAYS_PER_MONTH,
    first_reach,
    from_days,
    frontier_at,
    month_ends,
    to_days,
)
from opengap.analysis.groups import DEFAULT_SIZE_EDGES, GROUPINGS, group_labels, size_class
from opengap.analysis.intervals import Interval, interval
from opengap.analysis.lag import Lag, gap_and_lag, lag_series, significance_lag
from opengap.analysis.transforms import TRANSFORMS, transform
from opengap.analysis.trend import Trend, trend_lag

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_SIZE_EDGES",
    "GROUPINGS",
    "TRANSFORMS",
    "CatchUp",
    "CatchUpPair",
    "Interval",
    "Lag",
    "Trend",
    "catch_up",
    "first_reach",
    "from_days",
    "frontier_at",
    "gap_and_lag",
    "group_labels",
    "interval",
    "lag_series",
    "month_ends",
    "record_setters",
    "significance_lag",
    "size_class",
    "to_days",
    "transform",
    "trend_lag",
]
