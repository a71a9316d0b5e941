"""The ``verify`` command: compare a catalogue's values with another source's (opengap.verify)."""

from __future__ import annotations

from typing import Annotated

import typer

from opengap import verify as verify_lib
from opengap.cli.common import JsonOption, console, print_json, print_table, user_errors


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
    json: JsonOption = False,
) -> None:
    """Compare values for the same (model, benchmark) across two sources (best value each side).

    Against an independent evaluator (artificial-analysis, arc-prize) it reports the
    differences by benchmark and harness instead of a verdict.

    Example: opengap verify snapshot --against epoch-hub ../shared/data/epoch-benchmarking-hub

    Example: opengap verify snapshot --against artificial-analysis DIR_OF_LLMS_JSON_SNAPSHOTS
    """
    kind, path = against
    with user_errors():
        result = verify_lib.verify(left, kind, path, tolerance=tolerance)
    if json:
        print_json(result.to_dict())
        return
    if kind in verify_lib.INDEPENDENT_KINDS:
        table = result.by_harness
        print_table(
            table,
            title=f"{left} − {kind}, by benchmark and harness (differences in points)",
            limit=limit,
        )
        console.print(
            f"{int(table['pairs'].sum())} (model, benchmark, harness) pairs; "
            f"within_tolerance is the share within {tolerance * 100:g} points. The sides use "
            "different harnesses: this describes differences, it is not a verdict.",
            markup=False,
        )
        return
    same = result.same_source
    off = result.pairs[~result.pairs["agree"]].copy()
    off = off.reindex(off["difference"].abs().sort_values(ascending=False).index)
    print_table(
        off.drop(columns=["agree", "our_publication"]),
        title=f"{len(off)} disagreements beyond {tolerance * 100:g} points",
        limit=limit,
    )
    console.print(
        f"{result.overlap} overlapping (model, benchmark) values, {result.agree} agree "
        f"within {tolerance * 100:g} points ({result.agreement:.1%}); attributed to the same "
        f"publication on both sides: {len(same)}, {int(same['agree'].sum())} agree",
        markup=False,
    )
