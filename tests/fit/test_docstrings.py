"""The examples in the fit modules' docstrings run."""

from __future__ import annotations

import doctest

import pytest

from opengap.fit import estimator, scales, weighting


@pytest.mark.parametrize("module", [estimator, scales, weighting])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
