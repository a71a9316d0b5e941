"""The one palette of every chart and page: each colour means one thing everywhere.

The report, the dashboard and :mod:`opengap.charts` take their colours from here, and no colour
is used for two meanings: orange is always open-weight models, blue always closed ones, grey a
group whose weights are unknown. Measured quantities that belong to neither side (a lag, a gap,
a score, an offset) are drawn in :data:`MEASURE`; a change that widens the gap in :data:`WIDENS`
and one that narrows it in :data:`NARROWS`; benchmark domains have hues of their own.
"""

from __future__ import annotations

OPEN = "#e8590c"
"""Open-weight models (markers, frontiers, histograms, text)."""
CLOSED = "#1c7ed6"
"""Closed models."""
UNKNOWN = "#868e96"
"""Models whose weights are unknown (or any group outside open/closed)."""
WEIGHTS = {"open": OPEN, "closed": CLOSED, "unknown": UNKNOWN}
"""Weights group -> colour."""

MEASURE = "#495057"
"""A measured quantity of neither side: lag, vertical gap, score, offset, a chain's totals."""
MEASURE_BAND = "rgba(73, 80, 87, 0.18)"
"""The 90% band around a :data:`MEASURE` line (the same colour, translucent)."""
WIDENS = "#c92a2a"
"""A change that widens the gap (or lengthens the lag)."""
NARROWS = "#2b8a3e"
"""A change that narrows the gap (or shortens the lag)."""
REFERENCE = "#adb5bd"
"""Zero lines, connectors and other guides."""
INK = "#343a40"
"""Whiskers and interval markers drawn over bars."""

DOMAINS = {
    "math": "#7048e8", "code": "#1098ad", "knowledge": "#74b816", "reasoning": "#ae3ec9",
    "agentic": "#d6336c", "language": "#f59f00", "multimodal": "#0ca678",
    "long-context": "#364fc7", "other": "#ced4da",
}  # fmt: skip
"""Benchmark domain -> colour (none of them a weights or change colour)."""


def weights_color(group: str) -> str:
    """Return the colour of a weights group (``open``, ``closed``; anything else is unknown).

    Examples
    --------
    >>> weights_color("open") == OPEN
    True
    >>> weights_color("gated") == UNKNOWN
    True
    """
    return WEIGHTS.get(group, UNKNOWN)


def change_color(value: float) -> str:
    """Return :data:`WIDENS` for a positive change, :data:`NARROWS` otherwise."""
    return WIDENS if value > 0 else NARROWS
