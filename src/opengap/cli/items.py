"""Item-level commands: ``opengap fit --level items``, ``opengap plan``, ``opengap estimate``."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from opengap import items as items_lib
from opengap.cli.common import (
    DbOption,
    JsonOption,
    console,
    load_names,
    open_store,
    print_csv,
    print_json,
    print_table,
    user_errors,
)

AnswersOption = Annotated[
    str | None,
    typer.Option(help="CSV of the answers so far: columns item, score (none: start fresh)."),
]


def register(app: typer.Typer) -> None:
    """Add ``opengap plan`` and ``opengap estimate`` to ``app``."""
    app.command("plan")(plan)
    app.command("estimate")(estimate)


def fit_items_command(
    *, db: str | None, json: bool, model: str, benchmark: str | None, bootstrap: int, top: int,
    bootstrap_over: str = "items", ray: bool = False, seed: int = 0, backend: str = "auto",
    csv: bool = False, wide: bool = False,
) -> None:  # fmt: skip
    """Run :func:`opengap.items.fit_items` and print it (called by ``opengap fit``)."""
    with user_errors(), open_store(db) as store:
        result = items_lib.fit_items(store, benchmark=benchmark, model=model, bootstrap=bootstrap,
                                     bootstrap_over=bootstrap_over, seed=seed,
                                     executor="ray" if ray else "local",
                                     backend=backend)  # fmt: skip
        names = load_names(store)
    if json:
        print_json(result.to_dict())
        return
    if csv:
        print_csv(result.abilities)
        return
    s = result.summary
    console.print(
        f"Item fit {result.fit_id} ({result.model}): {s['n_models']} models, {s['n_items']} "
        f"items, {s['n_responses']} responses in {s['fit_seconds']:.2f} s "
        f"({'converged' if s['converged'] else 'NOT converged'} after {s['n_iter']} sweeps); "
        f"intervals: {s['interval']}.",
        markup=False, highlight=False,
    )  # fmt: skip
    link = s["link"]
    if link.get("slope") is not None:
        console.print(f"Linked to benchmark-level fit {link['fit_id']} through {link['n_common']} "
                      f"common models (r = {link['r']:.2f}).", markup=False)  # fmt: skip
    else:
        console.print(f"Not linked to the capability scale: {link['reason']}.", markup=False)
    shown = result.abilities.sort_values("ability", ascending=False).head(top)
    shown = shown.assign(model=[  # "model (harness)" where one model ran under several
        f"{name}{unit[len(mid):]}" if isinstance(unit, str) and unit.startswith(mid) else unit
        for unit, mid, name in zip(shown["unit"], shown["model_id"],
                                   names.model(shown["model_id"]), strict=True)])  # fmt: skip
    print_table(shown, title="Abilities (θ: mean 0, SD 1 over these models)", wide=wide,
                columns={"model": "model", "ability": "θ", "ability_se": "± se",
                         "ci_low": "90% low", "ci_high": "90% high", "capability": "capability",
                         "n_responses": "responses"},
                formats={"ability": ".2f", "ability_se": ".2f", "ci_low": ".2f",
                         "ci_high": ".2f", "capability": ".1f", "n_responses": "d"})  # fmt: skip


def _answers(path: str | None) -> pd.DataFrame:
    if path is None:
        return pd.DataFrame({"item": pd.Series([], dtype=str), "score": pd.Series([], dtype=float)})
    return items_lib.read_answers(path)


def plan(
    benchmark: Annotated[str, typer.Argument(help="A calibrated benchmark (id or alias).")],
    answers: AnswersOption = None,
    n: Annotated[int, typer.Option(help="Items to propose.")] = 10,
    top_k: Annotated[int, typer.Option(
        help="Exposure control: each pick is random among this many most informative.")] = 5,
    seed: Annotated[int | None, typer.Option(help="Seed for the exposure control.")] = None,
    fit_id: Annotated[str | None, typer.Option(help="Item fit to use (default: latest).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Propose the next items to run for a model: most informative at its current ability.

    Example: opengap plan swe-bench-verified --answers answers.csv --n 20
    """
    with user_errors(), open_store(db) as store:
        est = items_lib.estimate(store, benchmark, _answers(answers), fit_id=fit_id, n_next=n,
                                 top_k=top_k, seed=seed)  # fmt: skip
    if json:
        print_json({"benchmark_id": est.benchmark_id, "fit_id": est.fit_id,
                    "ability": est.ability, "ability_se": est.ability_se,
                    "next_items": est.next_items})  # fmt: skip
        return
    console.print(f"{est.benchmark_id}: ability {est.ability:+.2f} (SE {est.ability_se:.2f}) "
                  f"after {est.n_answered} item(s); run next:", markup=False)  # fmt: skip
    for item in est.next_items:
        console.print(f"  {item}", markup=False, highlight=False)


def estimate(
    benchmark: Annotated[str, typer.Argument(help="A calibrated benchmark (id or alias).")],
    answers: AnswersOption = None,
    target_se: Annotated[float, typer.Option(
        help="Stopping rule: done when the ability's SE is below this.")] = 0.3,
    fit_id: Annotated[str | None, typer.Option(help="Item fit to use (default: latest).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Ability and predicted full-benchmark score from the answers so far, with 90% intervals.

    Example: opengap estimate swe-bench-verified --answers answers.csv --target-se 0.25
    """
    with user_errors(), open_store(db) as store:
        est = items_lib.estimate(store, benchmark, _answers(answers), fit_id=fit_id,
                                 target_se=target_se)  # fmt: skip
    if json:
        print_json(est.to_dict())
        return
    state = "done (SE below target)" if est.done else "continue"
    console.print(
        f"{est.benchmark_id}: {est.n_answered} of {est.n_items} items answered; ability "
        f"{est.ability:+.2f} (SE {est.ability_se:.2f}); predicted full-benchmark score "
        f"{100 * est.predicted:.1f}% (90% CI {100 * est.predicted_low:.1f}–"
        f"{100 * est.predicted_high:.1f}); {state}.",
        markup=False, highlight=False,
    )  # fmt: skip
