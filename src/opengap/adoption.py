"""Library verb ``adoption``: the Relative Adoption Metric and download shares from the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from opengap.analysis.adoption import (
    ATOM_SIZE_EDGES,
    download_shares,
    relative_adoption,
)
from opengap.analysis.groups import size_labels
from opengap.errors import BadArgument
from opengap.store import Store
from opengap.store.cards import atom_tracked, downloads_table, models_table

TRACK_ATOM = "atom"
TRACK_ALL = "all"


@dataclass
class AdoptionResult:
    """What ``opengap adoption`` shows.

    Attributes
    ----------
    latest : DataFrame
        One row per model, its latest snapshot: model_id, size_class, date, age_days,
        cumulative_downloads, reference_downloads, ram; highest RAM first.
    ram : DataFrame
        Every snapshot (the same columns), for charts of RAM over age.
    shares : dict of str to DataFrame
        ``country`` and ``organization``: date, group, downloads, share.
    size_classes : list of str
        The size class labels used (their edges are ``size_edges``).
    size_edges : list of float
        Lower edges of the size classes, billions of total parameters.
    reference_rank : int
        The class rank RAM divides by.
    tracked : str
        Which models were tracked: ``atom`` (ATOM's tracked-models list), ``all`` or ``list``.
    n_tracked : int or None
        How many catalogue models that set holds (None for ``all``).
    notes : list of str
        What a reader must know (models left out and why).
    """

    latest: pd.DataFrame
    ram: pd.DataFrame
    shares: dict[str, pd.DataFrame]
    size_classes: list[str]
    size_edges: list[float]
    reference_rank: int
    tracked: str = TRACK_ATOM
    n_tracked: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap adoption --json``."""
        return {
            "size_edges": self.size_edges,
            "size_classes": self.size_classes,
            "reference_rank": self.reference_rank,
            "tracked": self.tracked,
            "n_tracked": self.n_tracked,
            "latest": self.latest,
            "ram": self.ram,
            "shares": self.shares,
            "notes": self.notes,
        }


def adoption(
    store: Store,
    *,
    size_edges: Sequence[float] = ATOM_SIZE_EDGES,
    reference_rank: int = 10,
    track: str | Sequence[str] = TRACK_ATOM,
) -> AdoptionResult:
    """Return the Relative Adoption Metric of every model with downloads, and download shares.

    Parameters
    ----------
    store : Store
        A catalogue with ``downloads`` (``opengap import downloads PATH``).
    size_edges : sequence of float
        Size class lower edges in billions (default ATOM's buckets).
    reference_rank : int
        RAM divides by this rank of the size class at the same age (ATOM: 10).
    track : "atom", "all" or sequence of str
        The open models tracked (RAM's size classes and the shares are over them): ``atom``
        (default) the ATOM Project's tracked-models list as the registry holds it (every
        model an ``opengap import atom-models`` import describes); ``all`` every model with
        downloads; or the given models (ids or aliases; an unknown one raises
        :class:`UnknownModel`).

    Examples
    --------
    >>> adoption(store).latest.head()  # doctest: +SKIP
    """
    downloads = downloads_table(store)
    models = models_table(store)
    # Several sources may give one model's count on one day: take the largest.
    downloads = downloads.groupby(["model_id", "date"], as_index=False).agg(
        cumulative_downloads=("cumulative_downloads", "max"))
    notes = []
    if downloads.empty:
        notes.append("the store holds no downloads: import some (opengap import downloads PATH)")
    tracked, ids = _tracked(store, track)
    if ids is not None and not downloads.empty:
        untracked = downloads.loc[~downloads["model_id"].isin(ids), "model_id"].nunique()
        downloads = downloads.loc[downloads["model_id"].isin(ids)].reset_index(drop=True)
        if tracked == TRACK_ATOM and not ids:
            notes.append("the store holds no ATOM tracked-models list, so no model is tracked: "
                         "import it (opengap import atom-models PATH) or track every model "
                         "with downloads (--track all)")  # fmt: skip
        elif untracked:
            what = "ATOM's tracked-models list" if tracked == TRACK_ATOM else "the given list"
            notes.append(f"{untracked} model(s) with downloads are not in {what}, so not "
                         "tracked (--track all tracks them)")  # fmt: skip
    ram = relative_adoption(
        downloads, models, size_edges=size_edges, reference_rank=reference_rank
    )
    left_out = sorted(set(downloads["model_id"]) - set(ram["model_id"]))
    if left_out:
        notes.append(
            f"{len(left_out)} model(s) with downloads have no release date or total parameters, "
            f"so no RAM: {', '.join(left_out[:5])}{' …' if len(left_out) > 5 else ''}"
        )
    latest = (ram.sort_values("age_days").groupby("model_id").tail(1)
              .sort_values("ram", ascending=False, na_position="last").reset_index(drop=True))
    shares = {by: download_shares(downloads, models, by=by) for by in ("country", "organization")}
    return AdoptionResult(
        latest=latest, ram=ram, shares=shares, size_classes=size_labels(size_edges)[:-1],
        size_edges=[float(e) for e in size_edges], reference_rank=reference_rank,
        tracked=tracked, n_tracked=None if ids is None else len(ids), notes=notes,
    )  # fmt: skip


def _tracked(store: Store, track: str | Sequence[str]) -> tuple[str, list[str] | None]:
    """Return the name of the tracked set and its model ids (None: every model)."""
    if isinstance(track, str):
        if track == TRACK_ALL:
            return TRACK_ALL, None
        if track == TRACK_ATOM:
            return TRACK_ATOM, atom_tracked(store)
        raise BadArgument(f"track {track!r}: choose {TRACK_ATOM}, {TRACK_ALL} or a list of "
                          "models")  # fmt: skip
    names = [t for t in track if t.strip()]
    if not names:
        raise BadArgument("track: an empty list of models")
    return "list", sorted({store.resolve_model(t) for t in names})
