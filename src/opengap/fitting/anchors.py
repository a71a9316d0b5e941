"""Anchor models and the reported scale of a fit: parsing ``--anchor``, resolving names, the
scale map a configuration asks for (with its fallbacks and notes)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from opengap.errors import BadConfiguration, UnknownModel
from opengap.fit.config import ECI_ANCHORS, ELO_REFERENCE_VALUE, PRESET_ELO_ANCHORS, FitConfig
from opengap.names import alias_key

AnchorSpec = Sequence[tuple[str, float]] | Mapping[str, float] | None


Anchors = tuple[tuple[int, float], ...]


def anchor_pairs(anchors: AnchorSpec) -> tuple[tuple[str, float], ...]:
    """Return anchors given as pairs or a mapping as (reference, value) pairs."""
    if anchors is None:
        return ()
    items = anchors.items() if isinstance(anchors, Mapping) else anchors
    out = []
    for ref, value in items:
        try:
            out.append((str(ref), float(value)))
        except (TypeError, ValueError) as exc:
            raise BadConfiguration(f"anchor {ref!r}: value {value!r} is not a number") from exc
    return tuple(out)


def parse_anchor(text: str) -> tuple[str, float]:
    """Parse ``MODEL=VALUE`` (as given to ``--anchor``) into (model, value)."""
    model, sep, value = text.rpartition("=")
    if not sep or not model.strip():
        raise BadConfiguration(f"anchor {text!r} is not of the form MODEL=VALUE")
    try:
        return model.strip(), float(value)
    except ValueError as exc:
        raise BadConfiguration(f"anchor {text!r}: {value!r} is not a number") from exc


def table_resolver(units: list[str], meta: pd.DataFrame) -> Callable[[str], str | None]:
    """Return a resolver of anchor references to the table's unit ids (ids, then names)."""
    keys: dict[str, str] = {}
    for unit, name in zip(meta["model_id"], meta["name"], strict=True):
        if isinstance(name, str):
            keys.setdefault(alias_key(name), str(unit))
    for unit in units:
        keys[alias_key(unit)] = unit

    def resolve(ref: str) -> str | None:
        return ref if ref in units else keys.get(alias_key(ref))

    return resolve


def resolve_scale(
    config: FitConfig,
    units: list[str],
    meta: pd.DataFrame,
    resolver: Callable[[str], str | None],
    notes: list[str],
) -> tuple[str, tuple[tuple[int, float], ...], list[dict[str, Any]]]:
    """Return the scale kind, anchor (index, value) pairs and anchor records a fit uses."""
    index = {u: i for i, u in enumerate(units)}
    fallback = table_resolver(units, meta)

    @functools.cache
    def locate(ref: str) -> str | None:
        found = resolver(ref)
        if found is None or found not in index:
            alt = fallback(ref)
            found = alt if alt is not None else found
        return found

    def explicit(ref: str) -> int:
        found = locate(ref)
        if found is None:
            raise UnknownModel(f"unknown anchor model {ref!r}")
        if found not in index:
            raise BadConfiguration(f"anchor model {ref!r} has no scores in this fit")
        return index[found]

    def pack(pairs: list[tuple[int, float]]) -> tuple[Anchors, list[dict[str, Any]]]:
        anchors = tuple(pairs)
        return anchors, [{"model_id": units[i], "value": v} for i, v in anchors]

    kind = config.scale
    if config.anchors:
        pairs = [(explicit(ref), value) for ref, value in config.anchors]
        if kind is None:
            kind = "eci" if len(pairs) == 2 else "elo"
        anchors, listed = pack(pairs)
        return kind, anchors, listed
    if kind in ("elo", "elo10") and config.preset in PRESET_ELO_ANCHORS:
        for refs, value in PRESET_ELO_ANCHORS[config.preset]:
            hit = next((locate(r) for r in refs if locate(r) in index), None)
            if hit is not None:
                anchors, listed = pack([(index[hit], value)])
                return kind, anchors, listed
        notes.append(
            f"the {config.preset} preset's anchor model is not in the fit: "
            f"{ELO_REFERENCE_VALUE:g} points = even odds on the pinned benchmark instead"
        )
        return kind, (), []
    if kind in ("raw", "elo", "elo10"):
        if kind != "raw":
            notes.append(
                f"{kind} scale: {ELO_REFERENCE_VALUE:g} points = even odds on the pinned benchmark"
            )
        return kind, (), []
    found: list[tuple[int, float]] = []
    missing: list[str] = []
    for refs, value in ECI_ANCHORS:
        hit = next((locate(r) for r in refs if locate(r) in index), None)
        if hit is None:
            missing.append(refs[-1])
        else:
            found.append((index[hit], value))
    if missing:
        if kind == "eci":
            raise BadConfiguration(
                f"the eci scale needs its anchor models, but {', '.join(map(repr, missing))} "
                "has no scores in this fit; pass --anchor MODEL=VALUE twice"
            )
        notes.append(
            f"eci scale unavailable ({', '.join(missing)} not in the fit): capabilities are "
            "raw logits (pinned benchmark: difficulty 0, slope 1)"
        )
        return "raw", (), []
    anchors, listed = pack(found)
    return "eci", anchors, listed
