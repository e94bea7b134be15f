"""GET services and GET a service definition, in XML and JSON, with the spec's field names."""

from __future__ import annotations

import httpx
import pytest

from api.open311.mapping import service_code
from db.seed import DEMO_CATALOGUE
from tests.open311.support import (
    ATTRIBUTE_FIELDS,
    BASE,
    SERVICE_FIELDS,
    WATER_CODE,
    errors,
    flat,
    json_of,
    tags,
    xml,
)

CATEGORIES = sorted({category for category, *_ in DEMO_CATALOGUE})


async def test_services_xml_one_per_category(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/services.xml")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    services = {s["service_code"]: s for s in map(flat, root)}
    assert all(tags(service) == SERVICE_FIELDS for service in root)
    assert set(services) == {service_code(c) for c in CATEGORIES}
    outage = services[WATER_CODE]
    assert outage == {
        "service_code": WATER_CODE,
        "service_name": "停水",
        "description": "城乡建设/供水/停水",
        "metadata": "true",
        "type": "realtime",
        "keywords": "城乡建设, 供水, 停水",
        "group": "城乡建设",
    }


async def test_services_json_matches_xml(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/services.json", params={"jurisdiction_id": "guiyang"})
    assert response.status_code == 200
    services = json_of(response)
    assert isinstance(services, list)
    assert all(list(service) == SERVICE_FIELDS for service in services)
    assert len(services) == len(CATEGORIES)
    outage = next(s for s in services if s["service_code"] == WATER_CODE)
    assert outage["metadata"] is True
    assert outage["type"] == "realtime"
    assert outage["service_name"] == "停水"
    assert outage["group"] == "城乡建设"
    in_xml = [flat(s) for s in xml(await http.get(f"{BASE}/services.xml"))]
    assert [s["service_code"] for s in in_xml] == [s["service_code"] for s in services]


def test_service_codes_are_stable_and_url_safe() -> None:
    assert WATER_CODE == "77b8cc5067"  # the example in api.open311.mapping's docstring
    assert service_code(" 城乡建设 / 供水 /停水 ") == WATER_CODE
    assert all(len(service_code(c)) == 10 for c in CATEGORIES)
    assert all(service_code(c).isalnum() and service_code(c).islower() for c in CATEGORIES)
    assert len({service_code(c) for c in CATEGORIES}) == len(CATEGORIES)


async def test_definition_xml(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/services/{WATER_CODE}.xml")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_definition"
    assert tags(root) == ["service_code", "attributes"]
    assert root.findtext("service_code") == WATER_CODE
    attributes = root.find("attributes")
    assert attributes is not None
    assert tags(attributes) == ["attribute", "attribute", "attribute"]
    assert all(tags(attribute) == ATTRIBUTE_FIELDS for attribute in attributes)
    district = next(a for a in attributes if a.findtext("code") == "district")
    assert flat(district) | {"values": None} == {
        "variable": "true",
        "code": "district",
        "datatype": "singlevaluelist",
        "required": "false",
        "datatype_description": "区县，缺省为云岩区",
        "order": "1",
        "description": "问题所在的区县 (district)",
        "values": None,
    }
    values = district.find("values")
    assert values is not None
    assert all(tags(value) == ["key", "name"] for value in values)
    assert {v.findtext("key") for v in values} == {"云岩区", "南明区", "观山湖区"}
    street = next(a for a in attributes if a.findtext("code") == "street")
    assert street.findtext("datatype") == "string"
    values = street.find("values")
    assert values is not None and list(values) == []


async def test_definition_json(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/services/{WATER_CODE}.json")
    assert response.status_code == 200
    definition = json_of(response)
    assert list(definition) == ["service_code", "attributes"]
    assert definition["service_code"] == WATER_CODE
    assert [a["code"] for a in definition["attributes"]] == ["district", "street", "case_type"]
    assert all(list(a) == ATTRIBUTE_FIELDS for a in definition["attributes"])
    case_type = definition["attributes"][2]
    assert case_type["required"] is False and case_type["variable"] is True
    assert case_type["order"] == 3
    assert {"key": "help", "name": "求助"} in case_type["values"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_unknown_service_code_is_404(http: httpx.AsyncClient, fmt: str) -> None:
    response = await http.get(f"{BASE}/services/0000000000.{fmt}")
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404
    assert "service_code" in description


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_other_jurisdiction_is_404(http: httpx.AsyncClient, fmt: str) -> None:
    response = await http.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404
    assert "jurisdiction_id" in description
    empty = await http.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": ""})
    assert empty.status_code == 200


async def test_unknown_format_and_resource_are_404_in_xml(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BASE}/services.html")
    assert response.status_code == 404
    assert errors(response, "xml")[0][0] == 404
    response = await http.get(f"{BASE}/discovery.json")
    assert response.status_code == 404
    assert errors(response, "json")[0][0] == 404
