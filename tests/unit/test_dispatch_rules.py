"""The dispatch rule: exact beats any-district, longest prefix, district fallback, no route."""

from __future__ import annotations

import pytest

from models.records import Route
from rules.dispatch import (
    CatalogueEntry,
    DistrictGovernment,
    NoRouteError,
    canonical_category,
    category_prefixes,
    route,
)

ENTRIES = [
    CatalogueEntry("城乡建设/供水", None, "gy-water"),
    CatalogueEntry("城乡建设/供水/停水", None, "gy-water-ops"),
    CatalogueEntry("城乡建设", "南明区", "nanming-housing"),
    CatalogueEntry("生态环境/噪声污染", None, "gy-ecology"),
    CatalogueEntry("生态环境/噪声污染", "云岩区", "yunyan-gov", ("gy-ecology",)),
    CatalogueEntry("劳动保障/欠薪", None, "gy-hr", ("gy-market", "gy-hr", "gy-market")),
]
GOVERNMENTS = [
    DistrictGovernment("yunyan-gov", "云岩区"),
    DistrictGovernment("nanming-gov", "南明区"),
]


def go(category: str, district: str) -> Route:
    return route(category, district, ENTRIES, GOVERNMENTS)


def test_exact_district_entry_beats_the_any_district_entry() -> None:
    assert go("生态环境/噪声污染", "云岩区") == Route(
        lead_department="yunyan-gov", assisting_departments=["gy-ecology"], fallback=False
    )


def test_any_district_entry_serves_other_districts() -> None:
    assert go("生态环境/噪声污染", "南明区") == Route(lead_department="gy-ecology")


def test_longest_prefix_wins() -> None:
    assert go("城乡建设/供水/停水/二次供水", "观山湖区").lead_department == "gy-water-ops"
    assert go("城乡建设/供水/水质", "观山湖区").lead_department == "gy-water"


def test_longer_any_district_prefix_beats_shorter_district_prefix() -> None:
    assert go("城乡建设/供水/水质", "南明区").lead_department == "gy-water"
    assert go("城乡建设/燃气", "南明区").lead_department == "nanming-housing"


def test_prefix_is_by_whole_segments() -> None:
    # "城乡建设/供水站" is not under "城乡建设/供水"; it falls to the district entry.
    assert go("城乡建设/供水站", "南明区").lead_department == "nanming-housing"


def test_blanks_around_segments_do_not_matter() -> None:
    assert go(" 生态环境 / 噪声污染 ", " 云岩区 ").lead_department == "yunyan-gov"


def test_assisting_departments_are_deduplicated_and_never_the_lead() -> None:
    assert go("劳动保障/欠薪", "南明区").assisting_departments == ["gy-market"]


def test_no_catalogue_match_falls_back_to_the_district_government() -> None:
    assert go("公共安全/占道经营", "云岩区") == Route(
        lead_department="yunyan-gov", assisting_departments=[], fallback=True
    )


def test_no_match_and_no_district_government_raises_naming_both() -> None:
    with pytest.raises(NoRouteError, match="公共安全/占道经营") as raised:
        go("公共安全/占道经营", "花溪区")
    assert "花溪区" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_empty_catalogue_and_empty_district_raise() -> None:
    with pytest.raises(NoRouteError):
        route("城乡建设/供水", "", [], GOVERNMENTS)


def test_priority_breaks_ties_between_duplicate_entries() -> None:
    entries = [
        CatalogueEntry("市场监管/消费投诉", None, "gy-market-a", priority=1),
        CatalogueEntry("市场监管/消费投诉", None, "gy-market-b", priority=5),
    ]
    assert route("市场监管/消费投诉", "云岩区", entries, []).lead_department == "gy-market-b"


def test_route_is_deterministic_whatever_the_entry_order() -> None:
    for entries in (ENTRIES, list(reversed(ENTRIES))):
        assert route("生态环境/噪声污染", "云岩区", entries, GOVERNMENTS).lead_department == (
            "yunyan-gov"
        )


def test_category_helpers() -> None:
    assert canonical_category(" 城乡建设 /供水/ ") == "城乡建设/供水"
    prefixes = ["城乡建设/供水/停水", "城乡建设/供水", "城乡建设"]
    assert category_prefixes("城乡建设/供水/停水") == prefixes
    assert category_prefixes("  ") == []
