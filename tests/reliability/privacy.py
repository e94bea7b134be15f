"""Seeded callers with unmistakable personal data, and finding any of it in an answer.

The drills take in cases for these callers through the API, then look for their names, phones
and addresses, as written and as JSON, URL or XML escapes would carry them, in every answer a
role may not see them in.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx


@dataclass(frozen=True)
class SeededCaller:
    name: str
    phone: str
    address: str
    lead: str
    confidential: bool
    case_type: str = "complaint"

    @property
    def personal(self) -> tuple[str, str, str]:
        return (self.name, self.phone, self.address)


CALLERS = (
    # A whistle-blower on a case the fuzzing department holds: it may see "欧*" and
    # "139****0001", never more.
    SeededCaller("欧阳明远", "13911110001", "林城东路88号3单元701室", "gy-market", True),
    # A report (举报) case of the same department, confidential too.
    SeededCaller("上官慧琳", "13911110002", "金阳南路16号2栋", "gy-market", True, "report"),
    # Another department's case: the fuzzing department may see nothing of it.
    SeededCaller("司马静怡", "13911110003", "花果园B区7栋1202", "gy-water", False),
)
CATEGORIES = {"gy-market": "市场监管/消费投诉", "gy-water": "城乡建设/供水"}


def intake(caller: SeededCaller, serial: int) -> dict[str, Any]:
    return {
        "caller": {
            "name": caller.name,
            "phones": [caller.phone],
            "confidential": caller.confidential,
        },
        "location": {
            "district": "观山湖区",
            "street": "金华园街道",
            "community": "金阳社区",
            "address": caller.address,
            "latitude": 26.6,
            "longitude": 106.6,
        },
        "case_type": caller.case_type,
        "category": CATEGORIES[caller.lead],
        "title": f"隐私演练工单{serial}",
        "content": "演练：来电人的个人信息不得泄露。",
        "outcome": {"kind": "dispatch", "lead_department": caller.lead},
    }


async def seed(http: httpx.AsyncClient, operator: dict[str, str]) -> dict[str, SeededCaller]:
    """Take in one case per seeded caller; case number -> caller."""
    cases: dict[str, SeededCaller] = {}
    for serial, caller in enumerate(CALLERS):
        response = await http.post("/cases", json=intake(caller, serial), headers=operator)
        assert response.status_code == 201, response.text
        cases[response.json()["case_no"]] = caller
    return cases


def forms(value: str) -> set[str]:
    """`value` as it would appear raw, JSON-escaped, percent-encoded or as XML references."""
    escaped = json.dumps(value)[1:-1]
    xml_refs = "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in value)
    return {value, escaped, quote(value), html.escape(value), xml_refs}


def leaks(text: str, values: tuple[str, ...]) -> list[str]:
    """The personal values of `values` found in `text` (in any of their forms)."""
    return [value for value in values if any(form in text for form in forms(value))]


def all_personal(callers: dict[str, SeededCaller] | tuple[SeededCaller, ...]) -> tuple[str, ...]:
    people = callers.values() if isinstance(callers, dict) else callers
    return tuple(value for caller in people for value in caller.personal)
