"""Model cards, cost and size frontiers, adoption: ``opengap card``, ``frontier``, ``adoption``."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer

from opengap.cli.common import (
    DbOption,
    JsonOption,
    console,
    open_store,
    print_json,
    print_table,
    user_errors,
)
from opengap.errors import BadArgument

FitIdOption = Annotated[
    str | None, typer.Option("--fit-id", help="Use this stored fit (default: the latest).")
]
SizeEdgesOption = Annotated[
    str | None,
    typer.Option(
        "--size-classes",
        help="Size class lower edges in billions of total parameters, comma-separated "
        "(default ATOM's: 1,5,10,50,100,250).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``card``, ``frontier`` and ``adoption`` to ``app``."""
    app.command("card")(card)
    app.command("frontier")(frontier)
    app.command("adoption")(adoption)


def _edges(text: str | None) -> tuple[float, ...] | None:
    values = _floats(text, "--size-classes")
    return None if values is None else tuple(values)


def _floats(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BadArgument(
            f"{option}: expected numbers separated by commas, not {text!r}"
        ) from None


UNKNOWN = "unknown"
"""How the card prints a fact no source gives (null in --json)."""


def _show(value: Any, digits: int = 1) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _params(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:g}B"


def card(
    model: Annotated[str, typer.Argument(help="Model id or any alias.")],
    fit_id: FitIdOption = None,
    size_classes: SizeEdgesOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Print one model's card: capability for its size, origin, licence, price, scores.

    Unknown facts are shown as "unknown" (null in --json), never filled in; "—" marks what does
    not apply (a rank for a model outside the fit).

    Example: opengap card deepseek-r1
    """
    from opengap.analysis.adoption import ATOM_SIZE_EDGES
    from opengap.cards import card as make_card

    with user_errors(), open_store(db) as store:
        result = make_card(store, model, fit_id=fit_id,
                           size_edges=_edges(size_classes) or ATOM_SIZE_EDGES)  # fmt: skip
    if json:
        print_json(result.to_dict())
        return
    c = result
    interval = (f" (90% CI {_show(c.ci_low)}–{_show(c.ci_high)})"
                if c.ci_low is not None and c.ci_high is not None else "")  # fmt: skip
    if c.in_fit:
        capability = f"{_show(c.capability)}{interval} on the {c.scale} scale, fit {c.fit_id}"
        rank = f"{c.rank_overall} of {c.n_ranked}"
        rank_open = f"{c.rank_open} of {c.n_open}" if c.rank_open is not None else "—"
    else:
        capability = f"— (not in the fit: {c.not_in_fit_reason})"
        rank = rank_open = "—"
    price = UNKNOWN
    if c.price is not None:
        price = (f"blended {_show(c.price.blended_usd_per_m, 2)}, input "
                 f"{_show(c.price.input_usd_per_m, 2)}, output {_show(c.price.output_usd_per_m, 2)}"
                 f" USD per 1M tokens ({c.price.source}, {c.price.date})")  # fmt: skip
    pareto = UNKNOWN if c.on_pareto_front is None else ("yes" if c.on_pareto_front else "no")
    percentile = (f"{_show(c.size_percentile)} (among {c.size_class_n} fitted models)"
                  if c.size_percentile is not None else UNKNOWN)  # fmt: skip
    if not c.in_fit:  # a position among fitted models does not apply
        pareto = percentile = "—"
    lines = [
        ("model", f"{c.name or c.model_id} ({c.model_id})"),
        ("capability", capability),
        ("rank overall", rank),
        ("rank among open", rank_open),
        ("size class", _show(c.size_class)),
        ("percentile in size class", percentile),
        ("on capability-vs-active-parameters front", pareto),
        ("parameters (total / active)", f"{_params(c.params_total_b)} / "
         f"{_params(c.params_active_b)}"),
        ("weights", _show(c.weights)),
        ("organisation", _show(c.organization)),
        ("country", _show(c.country)),
        ("release date", _show(c.release_date)),
        ("licence", f"{_show(c.license)} (class: {_show(c.license_class)})"),
        ("tooling", _show(c.tooling)),
        ("fine-tunes in catalogue", _show(c.derivatives_in_catalogue)),
        ("price", price),
    ]  # fmt: skip
    table = pd.DataFrame(lines, columns=["", c.model_id])
    print_table(table, title=f"Model card: {c.name or c.model_id}")
    if c.scores:
        scores = pd.DataFrame(c.scores)[["benchmark_id", "value", "harness", "setting", "source"]]
        print_table(scores, title=f"{len(scores)} scores behind it")
    for note in c.notes:
        console.print(f"note: {note}", markup=False)


def frontier(
    by: Annotated[str, typer.Option("--by", help="price or active-params.")] = "price",
    budgets: Annotated[
        str | None, typer.Option("--budgets", help="Budgets to compare at, comma-separated.")
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option("--levels", help="Capability levels for the cheapest-over-time table."),
    ] = None,
    fit_id: FitIdOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The gap at equal price (or active parameters): best open vs best closed at each budget.

    With --by price also the cheapest model of each side reaching each capability level over
    time. Intervals are 90%, from the fit's bootstrap draws.

    Example: opengap frontier --by price --budgets 0.5,2,10
    """
    from opengap.costs import frontier as make_frontier

    with user_errors(), open_store(db) as store:
        result = make_frontier(store, by=by, fit_id=fit_id,
                               budgets=_floats(budgets, "--budgets"),
                               levels=_floats(levels, "--levels"))  # fmt: skip
    if json:
        print_json(result.to_dict())
        return
    gap = result.gap
    table = pd.DataFrame({
        "budget": gap["budget"], "best open": gap["best_open"], "open": gap["open_capability"],
        "best closed": gap["best_closed"], "closed": gap["closed_capability"],
        "gap": gap["gap"],
        "90% CI": [f"{lo:.1f} – {hi:.1f}" if pd.notna(lo) and pd.notna(hi) else "—"
                   for lo, hi in zip(gap["gap_low"], gap["gap_high"], strict=True)],
    })  # fmt: skip
    print_table(table, title=f"Best open vs best closed at a budget ({result.unit}); "
                f"gap = closed − open, {result.scale} scale, fit {result.fit_id}")  # fmt: skip
    if not result.cheapest.empty:
        print_table(result.cheapest, title="Cheapest model reaching each capability level")
    for note in result.notes:
        console.print(f"note: {note}", markup=False)


def adoption(
    size_classes: SizeEdgesOption = None,
    rank: Annotated[
        int, typer.Option("--rank", help="The class rank RAM divides by (ATOM: 10).")
    ] = 10,
    limit: Annotated[int | None, typer.Option(help="Show at most this many models.")] = 30,
    track: Annotated[
        str,
        typer.Option(
            "--track",
            help="The open models tracked: atom (ATOM's tracked-models list, from opengap "
            "import atom-models), all (every model with downloads) or models, comma-separated.",
        ),
    ] = "atom",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Relative Adoption Metric (ATOM) of each model, and download shares by country.

    RAM = cumulative downloads at age t ÷ those of the size class's 10th model at age t.
    By default the models tracked are ATOM's tracked-models list (--track all: every model).

    Example: opengap adoption --size-classes 1,5,10,50,100,250 --track all
    """
    from opengap.adoption import adoption as make_adoption
    from opengap.analysis.adoption import ATOM_SIZE_EDGES

    with user_errors(), open_store(db) as store:
        chosen: str | list[str] = (track if track in ("atom", "all")
                                   else [t.strip() for t in track.split(",")])  # fmt: skip
        result = make_adoption(store, size_edges=_edges(size_classes) or ATOM_SIZE_EDGES,
                               reference_rank=rank, track=chosen)  # fmt: skip
    if json:
        print_json(result.to_dict())
        return
    print_table(result.latest, title="Relative Adoption Metric at each model's latest snapshot",
                limit=limit)  # fmt: skip
    shares = result.shares["country"]
    if not shares.empty:
        last = shares.loc[shares["date"] == shares["date"].max()]
        print_table(last, title=f"Download shares by country on {last['date'].iloc[0]}")
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
