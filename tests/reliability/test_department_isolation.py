"""Drill 5: a department probing other departments' ids learns nothing, on every route.

Every operation of the live API's `/openapi.json` that takes an id in its path is called by the
market regulator's token with ids of the water authority (an open and a closed case, a draft
article, a call record) and with ids that do not exist. The two answers must be the same: same
status, same body once `instance` is dropped and the id itself is written as `{id}`, and a 404
unless the role may not use the route at all (then 403 for both, whatever the id). The routes
come from the schema, so a new route is probed without touching this file; a path parameter the
drill does not know fails it until it is given an id kind or an exclusion with its reason.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.knowledge.articles_data import low_income_fields
from tests.reliability.conftest import ApiStack, requires_postgres
from tests.reliability.http_load import REPLY, SIGN_OFF, intake_body

pytestmark = [requires_postgres, pytest.mark.timeout(300)]

OWN = "gy-market"
OTHER = "gy-water"
MISSING = {"case_no": "GY20261128-999999", "article_id": "987654321", "call_id": "no-such-call-0"}
ID_KINDS = {"case_no", "article_id", "call_id"}
FIXED = {"version": "1"}  # goes with an article id; not an id of its own
EXCLUDED = {
    "service_request_id": "Open311 request: public by design, governed by the publication "
    "policy (drill 4 checks what it shows)",
    "service_code": "Open311 service: the public catalogue",
    "token": "Open311 token: names the client's own Idempotency-Key",
    "fmt": "Open311 format extension",
    "department_id": "reference data (administrators), not a department's own record",
    "year": "the official calendar: shared reference data",
    "situation": "service phrases: shared reference data",
    "key": "service phrases: shared reference data",
    "notice_id": "retrying a dead-lettered notice: supervisors and administrators only, a "
    "department is refused (403) before any id is read",
}
CALLS = Path(__file__).resolve().parent.parent / "evaluation" / "samples" / "calls.csv"


def step_bodies() -> dict[str, Any]:
    """Valid bodies of the steps a department may take, so a refusal can only be about the id."""
    article = low_income_fields(department=OWN).model_dump(mode="json")
    return {
        "POST /cases/{case_no}/sign-off": SIGN_OFF,
        "POST /cases/{case_no}/return": {
            "department": OWN,
            "reason": "not_our_duty",
            "legal_basis": "《贵阳市市场监督管理局职能配置》",
        },
        "POST /cases/{case_no}/extension-request": {
            "department": OWN,
            "working_days": 2,
            "reason": "需要现场核查",
        },
        "POST /cases/{case_no}/assist-input": {"department": OWN, "content": "已配合核查"},
        "POST /cases/{case_no}/reply": REPLY,
        "POST /cases/{case_no}/notes": {"note": "核查中"},
        "PUT /kb/articles/{article_id}": article | {"note": "更新"},
        "POST /kb/articles/{article_id}/withdrawal": {"reason": "已过期"},
        "POST /kb/articles/{article_id}/versions/{version}/decision": {"approve": True},
        "POST /kb/suggestions/{case_no}/decision": {"accept": False},
        "POST /calls/{call_id}/case": {"case_no": MISSING["case_no"]},
    }


def normalised(response: httpx.Response, used: str) -> tuple[int, Any]:
    """Status and body with `instance` dropped and the id that was sent written as `{id}`."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(used)}(?![\w-])")
    try:
        body: Any = response.json()
    except ValueError:
        return response.status_code, pattern.sub("{id}", response.text)
    if isinstance(body, dict):
        body.pop("instance", None)
    text = pattern.sub("{id}", json.dumps(body, ensure_ascii=False, sort_keys=True))
    return response.status_code, json.loads(text)


async def seed(http: httpx.AsyncClient, stack: ApiStack) -> dict[str, list[str]]:
    """The water authority's ids: an open case, a closed one, a draft article, a call."""
    operator = stack.headers("operator")
    dispatcher = stack.headers("dispatcher")
    water = stack.headers("department", OTHER)
    admin = stack.headers("admin")
    cases: list[str] = []
    for serial in range(2):
        body = intake_body(80_000 + serial) | {
            "case_type": "consultation",
            "category": "城乡建设/供水",
            "outcome": {"kind": "dispatch", "lead_department": OTHER},
        }
        created = await http.post("/cases", json=body, headers=operator)
        assert created.status_code == 201, created.text
        cases.append(created.json()["case_no"])
    closed = cases[1]
    steps: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("sign-off", water, {"department": OTHER}),
        ("reply", water, REPLY | {"department": OTHER}),
        ("reply-review", dispatcher, {"approve": True}),
    ]
    for step, headers, body in steps:
        answer = await http.post(f"/cases/{closed}/{step}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
    if answer.json()["status"] != "closed":
        callback = {"reached": True, "resolved": True, "satisfaction": "satisfied"}
        answer = await http.post(f"/cases/{closed}/callback", json=callback, headers=operator)
        assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "closed", answer.text
    draft = low_income_fields(department=OTHER).model_dump(mode="json")
    submitted = await http.post("/kb/articles", json=draft, headers=water)
    assert submitted.status_code == 202, submitted.text
    ingested = await http.post(
        "/calls/ingest",
        params={"format": "csv", "source": "csv"},
        content=CALLS.read_bytes(),
        headers=admin | {"Content-Type": "text/csv"},
    )
    assert ingested.status_code == 200, ingested.text
    call_id = CALLS.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    return {
        "case_no": cases,
        "article_id": [str(submitted.json()["article_id"])],
        "call_id": [call_id],
    }


async def probe(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    kind: str,
    value: str,
    query: dict[str, str],
    body: Any,
    headers: dict[str, str],
) -> tuple[int, Any]:
    """One call of the route with `value` as its id, normalised."""
    url = path.format(**(FIXED | {kind: value}))
    response = await http.request(method, url, params=query, json=body, headers=headers)
    return normalised(response, value)


def shown(answer: tuple[int, Any]) -> str:
    return f"{answer[0]} {json.dumps(answer[1], ensure_ascii=False)[:200]}"


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def required_query(operation: dict[str, Any]) -> dict[str, str]:
    values = {"integer": "1", "number": "1", "boolean": "false"}
    return {
        p["name"]: values.get(p.get("schema", {}).get("type", ""), "x")
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


async def test_other_departments_ids_answer_exactly_like_missing_ones(api_stack: ApiStack) -> None:
    async with httpx.AsyncClient(base_url=api_stack.url, timeout=30) as http:
        ids = await seed(http, api_stack)
        own_case = await http.post(
            "/cases", json=intake_body(80_009), headers=api_stack.headers("operator")
        )
        assert own_case.status_code == 201, own_case.text
        market = api_stack.headers("department", OWN)
        # The probe is not blind: the department does see its own case.
        seen = await http.get(f"/cases/{own_case.json()['case_no']}", headers=market)
        assert seen.status_code == 200, seen.text
        schema = (await http.get("/openapi.json")).json()
        bodies = step_bodies()
        excluded: dict[str, str] = {}
        unknown: list[str] = []
        mismatches: list[str] = []
        refused_by_role: set[str] = set()
        not_404: list[str] = []
        outcomes: Counter[str] = Counter()
        probes = 0
        covered = 0
        for method, path, operation in operations(schema):
            route = f"{method} {path}"
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            if not names:
                continue
            reasons = [EXCLUDED[n] for n in names if n in EXCLUDED]
            if reasons:
                excluded[route] = reasons[0]
                continue
            unknown += [f"{route}: {n}" for n in names if n not in ID_KINDS and n not in FIXED]
            kinds = [n for n in names if n in ID_KINDS]
            if not kinds or len(kinds) > 1:
                continue
            kind = kinds[0]
            covered += 1
            body = bodies.get(route)
            query = required_query(operation)
            missing = await probe(http, method, path, kind, MISSING[kind], query, body, market)
            for value in ids[kind]:
                probes += 2
                other = await probe(http, method, path, kind, value, query, body, market)
                outcomes[f"{other[0]}"] += 1
                if other != missing:
                    mismatches.append(
                        f"{route} {kind}={value}: {shown(other)} | missing id: {shown(missing)}"
                    )
                elif other[0] == 403:
                    refused_by_role.add(route)
                elif other[0] != 404:
                    not_404.append(f"{route}: {shown(other)} for both")
    print(
        f"\n[drill 5: department isolation] {covered} routes with an id probed, {probes} "
        f"requests; answers to other departments' ids {dict(outcomes)}; mismatches "
        f"{len(mismatches)}; 403 for both (role may not) {len(refused_by_role)}: "
        f"{sorted(refused_by_role)}; excluded {len(excluded)}:"
    )
    for route, reason in sorted(excluded.items()):
        print(f"  excluded {route}: {reason}")
    for line in mismatches + not_404:
        print(f"  {line}")
    assert unknown == [], f"path parameters with no id kind or exclusion: {unknown}"
    assert mismatches == [], mismatches
    assert not_404 == [], not_404
