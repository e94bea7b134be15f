"""Reading Open311 answers in tests: XML parsed with defusedxml, the specification's field lists."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree  # type: ignore[import-untyped]

from api.open311.mapping import service_code

BASE = "/open311/v2"
WATER_OUTAGE = "城乡建设/供水/停水"
WATER_CODE = service_code(WATER_OUTAGE)
NOISE_CODE = service_code("生态环境/噪声污染")
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
CASE_NO = re.compile(r"^GY\d{8}-\d{6}$")

SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "notes",
]
NOTE_FIELDS = ["datetime", "description", "type"]


def xml(response: httpx.Response) -> Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root: Element = ElementTree.fromstring(response.content)
    return root


def json_of(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def tags(element: Element) -> list[str]:
    return [child.tag for child in element]


def flat(element: Element) -> dict[str, str | None]:
    """The children of an element as tag → text (None when empty)."""
    return {child.tag: child.text for child in element}


def errors(response: httpx.Response, fmt: str) -> list[tuple[int, str]]:
    """(code, description) of each error of an error document, checked against the spec."""
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        assert all(tags(error) == ["code", "description"] for error in root)
        return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root]
    body = json_of(response)
    assert isinstance(body, list)
    assert all(list(error) == ["code", "description"] for error in body)
    return [(error["code"], error["description"]) for error in body]


def request_form(api_key: str | None, **fields: str) -> dict[str, str]:
    """A POST requests form for a water outage in 云岩区 with a reporter's name and phone."""
    form = {
        "service_code": WATER_CODE,
        "lat": "26.5783",
        "long": "106.7135",
        "address_string": "中华北路100号",
        "email": "reporter@example.com",
        "device_id": "device-42",
        "account_id": "acct-42",
        "first_name": "小明",
        "last_name": "李",
        "phone": "13900001111",
        "description": "小区从今天早上开始停水，至今没有恢复，也没有看到停水通知。",
    }
    if api_key is not None:
        form["api_key"] = api_key
    form.update(fields)
    return form
