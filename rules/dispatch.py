"""The dispatch rule (派单): category + location → lead and assisting departments.

Pure and deterministic; the catalogue itself is data (table `dispatch_catalogue`). Order of
preference, first match wins:

1. the catalogue category equal to the requested one, the entry for the case's district before
   the entry for any district;
2. otherwise the longest catalogue category that is a `/`-prefix of the requested one
   (`城乡建设/供水` covers `城乡建设/供水/停水/二次供水`), again district entry first;
3. otherwise the district government of the location takes the case as fallback owner (兜底).

Among entries equal in all of the above (only possible when the caller passes duplicates), the
higher `priority` wins, then the smaller lead department id. Matters of functional departments
are never pushed down to street level, so the street plays no part here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.errors import RefusedError
from models.records import Route


class NoRouteError(RefusedError, ValueError):
    """No catalogue entry covers the category and the district has no government to fall back on."""


class AssistingWithoutLeadError(RefusedError, ValueError):
    """Assisting departments named without a lead: with no lead the catalogue routes the case
    alone, so the assisting departments chosen would be dropped."""

    field = "assisting_departments"

    def __init__(self) -> None:
        super().__init__("assisting_departments: name a lead department with them")


def check_assisting_has_lead(lead: str | None, assisting: Sequence[str]) -> None:
    """AssistingWithoutLeadError if `assisting` departments come without a `lead`."""
    if assisting and not lead:
        raise AssistingWithoutLeadError


@dataclass(frozen=True)
class CatalogueEntry:
    category: str
    district: str | None  # None: any district
    lead_department: str
    assisting_departments: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class DistrictGovernment:
    department_id: str
    district: str


def category_path(category: str) -> tuple[str, ...]:
    """The segments of a category path, blanks trimmed: ` 城乡建设 / 供水 ` → (城乡建设, 供水)."""
    return tuple(part.strip() for part in category.split("/") if part.strip())


def canonical_category(category: str) -> str:
    """The stored form of a category path: segments trimmed, joined by `/`."""
    return "/".join(category_path(category))


def category_prefixes(category: str) -> list[str]:
    """Every catalogue category that could cover `category`, the longest first."""
    path = category_path(category)
    return ["/".join(path[:n]) for n in range(len(path), 0, -1)]


def route(
    category: str,
    district: str,
    entries: Iterable[CatalogueEntry],
    district_governments: Iterable[DistrictGovernment],
) -> Route:
    """The route of a case in `category` located in `district` (see the module docstring)."""
    path = category_path(category)
    place = district.strip()
    candidates = [
        entry
        for entry in entries
        if _covers(category_path(entry.category), path)
        and (entry.district is None or entry.district.strip() == place)
    ]
    if candidates:
        best = min(candidates, key=lambda entry: _preference(entry, place))
        return Route(
            lead_department=best.lead_department,
            assisting_departments=_assisting(best),
            fallback=False,
        )
    governments = sorted(
        government.department_id
        for government in district_governments
        if place and government.district.strip() == place
    )
    if governments:
        return Route(lead_department=governments[0], assisting_departments=[], fallback=True)
    raise NoRouteError(
        f"no dispatch route for category {category!r} in district {district!r}: no catalogue "
        "entry covers the category and the district has no district government to fall back on"
    )


def _covers(entry_path: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return bool(entry_path) and path[: len(entry_path)] == entry_path


def _preference(entry: CatalogueEntry, place: str) -> tuple[int, int, int, str]:
    """Smaller is better: longer category, then own district, then priority, then id."""
    specific = entry.district is not None and entry.district.strip() == place
    return (
        -len(category_path(entry.category)),
        0 if specific else 1,
        -entry.priority,
        entry.lead_department,
    )


def _assisting(entry: CatalogueEntry) -> list[str]:
    """Assisting departments in catalogue order, without duplicates or the lead itself."""
    seen = {entry.lead_department}
    result: list[str] = []
    for department in entry.assisting_departments:
        if department not in seen:
            seen.add(department)
            result.append(department)
    return result
