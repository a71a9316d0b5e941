"""Model cards, cost and size frontiers, adoption: ``opengap card``, ``frontier``, ``adoption``."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer

from opengap.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    Shown,
    WideOption,
    check_output,
    console,
    load_names,
    open_store,
    print_json,
    print_table,
    show,
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


VALUE = ".4g"  # a benchmark's own scale (fraction or percent), as `opengap scores` prints it
SHARE = ".3f"  # normalised scores in [0, 1]
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
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """Print one model's card: capability for its size, origin, licence, price, scores.

    Unknown facts are shown as "unknown" (null in --json), never filled in; "—" marks what does
    not apply (a rank for a model outside the fit). --csv prints the scores behind it.

    Example: opengap card deepseek-r1
    """
    from opengap.analysis.adoption import ATOM_SIZE_EDGES
    from opengap.cards import card as make_card

    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store:
        result = make_card(store, model, fit_id=fit_id,
                           size_edges=_edges(size_classes) or ATOM_SIZE_EDGES)  # fmt: skip
    if json:
        print_json(result.to_dict())
        return
    scores = Shown(pd.DataFrame(result.scores), f"{len(result.scores)} scores behind it",
                   columns={"benchmark": "benchmark", "value": "value", "harness": "harness",
                            "setting": "setting", "source": "source"},
                   formats={"value": VALUE, "normalized": SHARE})  # fmt: skip
    if csv:
        show([scores], csv=True)
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
    table = pd.DataFrame(lines, columns=["", "fact"])
    print_table(table, title=f"Model card: {c.name or c.model_id}", wide=wide)
    if c.scores:
        show([scores], wide=wide)
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
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """The gap at equal price (or active parameters): best open vs best closed at each budget.

    With --by price also the cheapest model of each side reaching each capability level over
    time. Intervals are 90%, from the fit's bootstrap draws.

    --csv prints the budget table (--json: the cheapest-over-time table too).

    Example: opengap frontier --by price --budgets 0.5,2,10
    """
    from opengap.costs import frontier as make_frontier

    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store:
        result = make_frontier(store, by=by, fit_id=fit_id,
                               budgets=_floats(budgets, "--budgets"),
                               levels=_floats(levels, "--levels"))  # fmt: skip
        names = load_names(store)
    if json:
        print_json(result.to_dict())
        return
    gap = result.gap
    spec = ".3f" if result.scale == "raw" else ".1f"  # logits or points: one format each
    table = gap.assign(**{
        "open_name": names.model(gap["best_open"]), "closed_name": names.model(gap["best_closed"]),
        "90% CI": [f"{lo:{spec}}–{hi:{spec}}" if pd.notna(lo) and pd.notna(hi) else "—"
                   for lo, hi in zip(gap["gap_low"], gap["gap_high"], strict=True)],
    })  # fmt: skip
    points = {c: spec for c in ("open_capability", "closed_capability", "gap", "gap_low",
                                "gap_high")}  # fmt: skip
    tables = [Shown(table, f"Best open vs best closed at a budget ({result.unit}); gap = closed "
                    f"− open, {result.scale} scale, fit {result.fit_id}", columns={
                        "budget": "budget", "open_name": "best open", "open_capability": "open",
                        "closed_name": "best closed", "closed_capability": "closed",
                        "gap": "gap", "90% CI": "90% CI"},
                    formats={**points, "budget": ".3g", "open_budget": ".3g",
                             "closed_budget": ".3g"}, data=gap)]  # fmt: skip
    if not result.cheapest.empty:
        cheap = result.cheapest
        tables.append(Shown(cheap.assign(model=names.model(cheap["model_id"])),
                            "Cheapest model reaching each capability level",
                            columns={"level": "level", "weights": "weights", "date": "from",
                                     "model": "model", "capability": "capability",
                                     "price": "price"},
                            formats={"level": spec, "capability": spec,
                                     "price": ".3g"}))  # fmt: skip
    if csv:
        show(tables, csv=True)
        return
    show(tables, wide=wide)
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
    csv: CsvOption = False,
    wide: WideOption = False,
) -> None:
    """Relative Adoption Metric (ATOM) of each model, and download shares by country.

    RAM = cumulative downloads at age t ÷ those of the size class's 10th model at age t.
    By default the models tracked are ATOM's tracked-models list (--track all: every model).
    --csv prints the RAM table.

    Example: opengap adoption --size-classes 1,5,10,50,100,250 --track all
    """
    from opengap.adoption import adoption as make_adoption
    from opengap.analysis.adoption import ATOM_SIZE_EDGES

    with user_errors():
        check_output(json, csv)
    with user_errors(), open_store(db) as store:
        chosen: str | list[str] = (track if track in ("atom", "all")
                                   else [t.strip() for t in track.split(",")])  # fmt: skip
        result = make_adoption(store, size_edges=_edges(size_classes) or ATOM_SIZE_EDGES,
                               reference_rank=rank, track=chosen)  # fmt: skip
        names = load_names(store)
    if json:
        print_json(result.to_dict())
        return
    latest = result.latest
    tables = [Shown(latest.assign(model=names.model(latest["model_id"])),
                    "Relative Adoption Metric at each model's latest snapshot", limit=limit,
                    columns={"model": "model", "size_class": "size class", "date": "date",
                             "age_days": "age (days)", "cumulative_downloads": "downloads",
                             "reference_downloads": "class's 10th", "ram": "RAM"},
                    formats={"age_days": ".0f", "cumulative_downloads": ",.0f",
                             "reference_downloads": ",.0f", "ram": ".2f"},
                    data=latest)]  # fmt: skip
    shares = result.shares["country"]
    if not shares.empty:
        last = shares.loc[shares["date"] == shares["date"].max()]
        tables.append(Shown(last, f"Download shares by country on {last['date'].iloc[0]}",
                            formats={"downloads": ",.0f", "share": ".1%"}))  # fmt: skip
    if csv:
        show(tables, csv=True)
        return
    show(tables, wide=wide)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
