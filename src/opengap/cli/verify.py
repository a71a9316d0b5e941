"""The ``verify`` command: compare a catalogue's values with another source's (opengap.verify)."""

from __future__ import annotations

from typing import Annotated

import typer

from opengap import verify as verify_lib
from opengap.cli.common import (
    CsvOption,
    JsonOption,
    WideOption,
    console,
    emit,
    fail,
    print_json,
    user_errors,
)

PAIR_TABLE = {"model": "model", "benchmark": "benchmark", "ours": "ours", "theirs": "theirs",
              "difference": "difference", "their_publication": "their publication"}  # fmt: skip
"""The compact table of disagreements (``--wide``: every column, with ids)."""
HARNESS_TABLE = {
    "benchmark": "benchmark", "our_harness": "our harness", "their_harness": "theirs",
    "pairs": "pairs", "median_difference": "median", "mean_difference": "mean",
    "within_tolerance": "within",
}  # fmt: skip
POINTS = {"ours": ".1f", "theirs": ".1f", "difference": "+.1f", "median_difference": "+.1f",
          "mean_difference": "+.1f", "within_tolerance": ".0%", "pairs": "d"}  # fmt: skip
"""One format per unit: scores and differences in points (0-100), shares in percent."""


def register(app: typer.Typer) -> None:
    """Add the verify command to ``app``."""
    app.command("verify")(verify)


def verify(
    left: Annotated[
        str,
        typer.Argument(
            metavar="SNAPSHOT_OR_STORE",
            help="'snapshot' (the bundled snapshot), a directory or file in opengap's CSV format, "
            "or a store file.",
        ),
    ],
    against: Annotated[
        tuple[str, str],
        typer.Option(
            "--against",
            metavar="KIND PATH",
            help="The source to compare with: an import kind and the path to read as it.",
        ),
    ],
    tolerance: Annotated[
        float,
        typer.Option(help="Largest difference that still agrees, as a fraction (0.02 = 2 points)."),
    ] = verify_lib.DEFAULT_TOLERANCE,
    limit: Annotated[int | None, typer.Option(help="Show at most this many disagreements.")] = None,
    wide: WideOption = False,
    json: JsonOption = False,
    csv: CsvOption = False,
) -> None:
    """Compare values for the same (model, benchmark) across two sources (best value each side).

    Against an independent evaluator (artificial-analysis, arc-prize) it reports the
    differences by benchmark and harness instead of a verdict.

    Example: opengap verify snapshot --against epoch-hub ../shared/data/epoch-benchmarking-hub

    Example: opengap verify snapshot --against artificial-analysis DIR_OF_LLMS_JSON_SNAPSHOTS
    """
    kind, path = against
    if json and csv:
        fail("--json and --csv: choose one")
    with user_errors():
        result = verify_lib.verify(left, kind, path, tolerance=tolerance)
    if json:
        print_json(result.to_dict())
        return
    if kind in verify_lib.INDEPENDENT_KINDS:
        table = result.by_harness
        emit(table, json=False, csv=csv, title=f"{left} − {kind} by benchmark and harness: "
             "median and mean differences in points", limit=limit, columns=HARNESS_TABLE,
             formats=POINTS, wide=wide)  # fmt: skip
        if csv:
            return
        console.print(
            f"{int(table['pairs'].sum())} (model, benchmark, harness) pairs; "
            f"within: the share within {tolerance * 100:g} points. The sides use "
            "different harnesses: this describes differences, it is not a verdict.",
            markup=False,
        )
        return
    same = result.same_source
    off = result.pairs[~result.pairs["agree"].astype(bool)].copy()
    off = off.reindex(off["difference"].abs().sort_values(ascending=False).index)
    if not csv:  # the table in points, like the title and the tolerance
        off[["ours", "theirs", "difference"]] = off[["ours", "theirs", "difference"]] * 100.0
    emit(off.drop(columns=["agree"]), json=False, csv=csv,
         title=f"{len(off)} disagreements beyond {tolerance * 100:g} points (values in points)",
         limit=limit, columns=PAIR_TABLE, formats=POINTS, wide=wide)  # fmt: skip
    if csv:
        return
    console.print(
        f"{result.overlap} overlapping (model, benchmark) values, {result.agree} agree "
        f"within {tolerance * 100:g} points ({result.agreement:.1%}); attributed to the same "
        f"publication on both sides: {len(same)}, {int(same['agree'].sum())} agree",
        markup=False,
    )
