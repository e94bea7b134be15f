"""Citizen progress lookup, reference data administration and the access log over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from activities.store import retrieval_code
from api.routes.public import lookups
from db.tables import CatalogueRow, DepartmentRow
from tests.api.http import Api
from tests.api.test_cases_api import open_case


async def test_citizen_sees_progress_with_the_retrieval_code_only(api: Api) -> None:
    lookups.forget(api.sessions)
    case_no = await open_case(api, api.token_for("operator"))
    code = retrieval_code(api.sessions, case_no)
    assert code is not None and len(code) == 6
    found = await api.http.post(
        "/public/progress", json={"case_no": case_no, "retrieval_code": code}
    )
    assert found.status_code == 200
    body = found.json()
    assert body["status"] == "dispatched" and body["expected_reply"]
    assert [n["step"] for n in body["notes"]] == ["受理", "派单"]
    assert "13912345678" not in found.text and "李四" not in found.text
    wrong = "000000" if code != "000000" else "111111"
    denied = await api.http.post(
        "/public/progress", json={"case_no": case_no, "retrieval_code": wrong}
    )
    assert denied.status_code == 404


async def test_progress_lookups_are_rate_limited(api: Api) -> None:
    lookups.forget(api.sessions)
    # A number of its own each time: the per-number lock (tests/api/test_progress_guard.py)
    # stays out of the way of the per-address limit.
    statuses = [
        (
            await api.http.post(
                "/public/progress",
                json={
                    "case_no": f"GY20200101-{uuid.uuid4().int % 10**6:06d}",
                    "retrieval_code": "123456",
                },
            )
        ).status_code
        for _ in range(lookups.limit + 1)
    ]
    assert statuses[:-1] == [404] * lookups.limit
    assert statuses[-1] == 429
    lookups.forget(api.sessions)


@pytest.fixture
def culture_department(api: Api) -> Iterator[None]:
    """Leaves the shared database's reference data as the other tests expect it."""
    yield
    with api.sessions.begin() as session:
        session.execute(delete(CatalogueRow).where(CatalogueRow.lead_department == "gy-culture"))
        session.execute(delete(DepartmentRow).where(DepartmentRow.id == "gy-culture"))


async def test_admin_manages_departments_and_catalogue(api: Api, culture_department) -> None:
    admin = api.token_for("admin")
    operator = api.token_for("operator")
    department = {"id": "gy-culture", "name": "贵阳市文化和旅游局", "kind": "functional"}
    assert (
        await api.http.put("/departments/gy-culture", json=department, headers=operator)
    ).status_code == 403
    saved = await api.http.put("/departments/gy-culture", json=department, headers=admin)
    assert saved.status_code == 200
    listed = (await api.http.get("/departments", headers=operator)).json()
    assert "gy-culture" in [d["id"] for d in listed]

    entry = {"category": "文化旅游/景区投诉", "lead_department": "gy-culture"}
    created = await api.http.post("/dispatch-catalogue", json=entry, headers=admin)
    assert created.status_code == 201, created.text
    again = await api.http.post("/dispatch-catalogue", json=entry, headers=admin)
    assert again.status_code == 409
    unknown = await api.http.post(
        "/dispatch-catalogue",
        json={"category": "文化旅游/演出", "lead_department": "no-such"},
        headers=admin,
    )
    assert unknown.status_code == 422


async def test_auditor_reads_the_access_log(api: Api) -> None:
    operator = api.token_for("operator")
    case_no = await open_case(api, operator)
    await api.http.get(f"/cases/{case_no}", headers=operator)
    auditor = api.token_for("auditor")
    log = await api.http.get("/access-log", params={"case_no": case_no}, headers=auditor)
    assert log.status_code == 200
    assert len(log.json()) == 1 and log.json()[0]["case_no"] == case_no
    denied = await api.http.get("/access-log", headers=operator)
    assert denied.status_code == 403


async def test_admin_adds_users_and_others_cannot(api: Api) -> None:
    admin = api.token_for("admin")
    user = {
        "id": f"liaison-{uuid.uuid4().hex[:6]}",
        "name": "联络员",
        "role": "department",
        "department": "gy-water",
    }
    created = await api.http.post("/users", json=user, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["department"] == "gy-water"
    listed = (await api.http.get("/users", headers=admin)).json()
    assert user["id"] in [u["id"] for u in listed]
    no_department = user | {"id": user["id"] + "x", "department": None}
    refused = await api.http.post("/users", json=no_department, headers=admin)
    assert refused.status_code == 422
    supervisor = api.token_for("supervisor")
    assert (await api.http.get("/users", headers=supervisor)).status_code == 403
