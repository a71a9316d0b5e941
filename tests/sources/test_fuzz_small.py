"""A handful of the fuzz script's mutants, so benchmarks/fuzz_imports.py keeps working."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_imports.py"


def _script() -> ModuleType:
    """Import the script as a module (its worker process imports it by name too)."""
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    return importlib.import_module(SCRIPT.stem)


def test_mutants_are_many_and_distinct() -> None:
    fuzz = _script()
    data = b"Model version,Score,Source\nm-a,50%,Paper\nm-b,61.5%,Paper\nm-c,70%,Paper\n"
    made = fuzz.mutants(data, True, 50, seed=1)
    assert len(made) == 50
    assert len({m.data for m in made}) >= 40  # a few ways coincide on a tiny file


def test_a_few_mutants_of_a_real_file_give_all_zero(shared_data: Path) -> None:
    fuzz = _script()
    tally = fuzz.fuzz(shared_data, 8, 120.0, ["external_benchmark_metr"], lambda _: None)
    assert tally.mutants == 8
    assert {what: tally.counts[what] for what in fuzz.COUNTS} == dict.fromkeys(fuzz.COUNTS, 0), (
        tally.examples
    )
