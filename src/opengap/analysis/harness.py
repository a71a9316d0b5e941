"""Harness categories: the free-text harness of each score mapped to a few categories.

The harness effect (:func:`opengap.gap.sensitivity`) fits one offset δ_h per *category*, not
per free-text name: sources name hundreds of scaffolds ("OpenHands", "Claude Code",
"Terminus 2" …), most with one or two scores, whose offsets would only absorb noise. The
mapping is deliberately simple and documented in ``docs/gap.md``:

- a harness already named as one of :data:`CATEGORIES` or ``unspecified`` (any case) keeps
  it, so the mapping is idempotent;
- a score with no harness is ``unspecified`` (in practice vendor- or leaderboard-reported);
- an independent evaluator's own harness, named by its slug (:data:`INDEPENDENT`:
  ``artificial-analysis``, ``caisi``, ``epoch``, ``arc-prize``), is ``independent``;
- any other name is an agent scaffold named by the source (the Epoch hub's ``Agent`` and
  ``Scaffold`` columns), so ``agent-harness``, except the minimal loops in
  :data:`SIMPLE_LOOPS`, which are ``simple-loop``.
"""

from __future__ import annotations

import pandas as pd

CATEGORIES = (
    "vendor-reported", "simple-loop", "agent-harness", "lm-eval", "inspect", "helm", "independent",
)  # fmt: skip
# Independent evaluators that run models in a harness of their own, named by their slug.
INDEPENDENT = ("artificial-analysis", "caisi", "epoch", "arc-prize")
UNSPECIFIED = "unspecified"
# Minimal "bash loop" scaffolds: the model gets a shell and a loop, nothing else.
SIMPLE_LOOPS = ("mini swe-agent", "mini-swe-agent", "bash loop", "bash-only")


def harness_category(harness: object) -> str:
    """Return the category of one harness name.

    Examples
    --------
    >>> [harness_category(h) for h in (None, "Inspect", "OpenHands", "Mini SWE-Agent", "CAISI")]
    ['unspecified', 'inspect', 'agent-harness', 'simple-loop', 'independent']
    """
    if harness is None or harness is pd.NA or (isinstance(harness, float) and harness != harness):
        return UNSPECIFIED
    text = str(harness).strip().lower()
    if not text:
        return UNSPECIFIED
    if text in CATEGORIES or text == UNSPECIFIED:
        return text
    if text in SIMPLE_LOOPS:
        return "simple-loop"
    if text in INDEPENDENT:
        return "independent"
    return "agent-harness"


def harness_categories(harness: pd.Series) -> pd.Series:
    """Return the category of every entry of ``harness`` (same index)."""
    return harness.astype(object).map(harness_category)
