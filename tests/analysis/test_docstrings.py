"""The examples in the analysis modules' docstrings run."""

from __future__ import annotations

import doctest

import pytest

from opengap.analysis import (
    catchup,
    frontier,
    groups,
    harness,
    intervals,
    lag,
    sensitivity,
    transforms,
    trend,
)


@pytest.mark.parametrize(
    "module",
    [catchup, frontier, groups, harness, intervals, lag, sensitivity, transforms, trend],
)
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
