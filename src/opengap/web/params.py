"""The dashboard's validated query parameters, declared once for the pages and their JSON twins.

Every choice is a ``Literal`` (FastAPI answers a value outside it with a 422 naming the allowed
ones); free text is bounded in length and only ever reaches SQL as a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query

Weights = Literal["open", "closed"]
LicenseClass = Literal["permissive", "open-restricted", "closed"]
SizeClass = Literal["<10B", "10-49B", "50-199B", ">=200B", "unknown"]
"""The default size classes of :func:`opengap.analysis.groups.size_labels`."""
SortKey = Literal["capability", "release_date", "name", "params_total_b"]
Order = Literal["desc", "asc"]
GapBy = Literal["weights", "country", "organization", "size", "license", "domain"]
GapMethod = Literal["lag", "catch-up", "trend"]
Domain = Literal[
    "math", "code", "knowledge", "reasoning", "agentic", "language", "multimodal",
    "long-context", "other",
]  # fmt: skip

FREE_TEXT = 200
"""Longest accepted free-text filter (organisation, country, search)."""


@dataclass(frozen=True)
class ModelFilters:
    """The model explorer's filters and ordering (``/models`` and ``/api/models``).

    Attributes
    ----------
    weights, organization, country, license_class, size, search
        Keep models matching every given filter (text filters ignore case; ``search`` is a
        substring of the name or id; ``size`` is a size class by total parameters).
    sort, order
        Order by capability (default, best first), release date, name or size; missing values
        last.
    fitted
        Only models with a capability in the current fit.
    limit
        Return at most this many models (default: all).
    """

    weights: Weights | None = None
    organization: str | None = None
    country: str | None = None
    license_class: LicenseClass | None = None
    size: SizeClass | None = None
    search: str | None = None
    sort: SortKey = "capability"
    order: Order = "desc"
    fitted: bool = False
    limit: int | None = None

    def query_string(self) -> dict[str, str]:
        """Return the filters that are set, as query parameters (for links)."""
        out: dict[str, str] = {}
        for key, value in self.__dict__.items():
            if value is None or value is False:
                continue
            if (key, value) in (("sort", "capability"), ("order", "desc")):
                continue
            out[key] = "true" if value is True else str(value)
        return out


def model_filters(
    weights: Annotated[Weights | None, Query(description="open or closed.")] = None,
    organization: Annotated[
        str | None, Query(max_length=FREE_TEXT, description="Organisation (any case).")
    ] = None,
    country: Annotated[
        str | None, Query(max_length=FREE_TEXT, description="Country of origin (any case).")
    ] = None,
    license_class: Annotated[
        LicenseClass | None, Query(description="permissive, open-restricted or closed.")
    ] = None,
    size: Annotated[
        SizeClass | None, Query(description="Size class by total parameters.")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=FREE_TEXT, description="Substring of the name or id.")
    ] = None,
    sort: Annotated[SortKey, Query(description="Order by this column.")] = "capability",
    order: Annotated[Order, Query(description="desc (default) or asc.")] = "desc",
    fitted: Annotated[bool, Query(description="Only models in the current fit.")] = False,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="At most this many models.")
    ] = None,
) -> ModelFilters:
    """FastAPI dependency: the explorer's validated filters (empty strings count as unset)."""
    return ModelFilters(
        weights=weights, organization=organization or None, country=country or None,
        license_class=license_class, size=size, search=search or None, sort=sort, order=order,
        fitted=fitted, limit=limit,
    )  # fmt: skip
