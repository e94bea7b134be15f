"""`GET /kb/search` over HTTP: ranked hits for any role that reads the knowledge base, problem
documents naming the field for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from api.routes import knowledge_search
from db.engine import SessionFactory, make_engine, session_factory
from migrations.runner import upgrade
from rules import permissions
from rules.permissions import Action, Role
from tests.api.http import Api
from tests.knowledge.kb_fixture import load_articles


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> SessionFactory:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb-api') / 'hotline.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    load_articles(sessions)
    return sessions


@pytest.fixture
async def api(sessions: SessionFactory) -> AsyncIterator[Api]:
    # No Temporal: the search route never uses the client.
    app = create_app(ApiContext(client=cast(Client, None), sessions=sessions, task_queue="kb"))
    if not any(getattr(route, "path", None) == "/kb/search" for route in app.routes):
        app.include_router(knowledge_search.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
        yield Api(app=app, sessions=sessions, http=http)


async def test_operators_find_the_article(api: Api) -> None:
    operator = api.token_for("operator")
    response = await api.http.get(
        "/kb/search", params={"q": "异地就医 备案", "limit": 3}, headers=operator
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hits"][0]["title"] == "异地就医备案办理方式"
    assert body["hits"][0]["title_highlight"] == "<mark>异地就医备案</mark>办理方式"
    assert "<mark>备案</mark>" in body["hits"][0]["snippet"]
    assert len(body["hits"]) == 3 and body["total"] in (None, *range(3, 61))
    assert isinstance(body["hits"][0]["score"], int)
    filtered = await api.http.get(
        "/kb/search",
        params={"q": "申请", "category": "住房", "material_type": "service_guide", "limit": 50},
        headers=api.token_for("department", "gy-hpf"),
    )
    assert filtered.status_code == 200, filtered.text
    hits = filtered.json()["hits"]
    assert hits and all(h["category_path"].startswith("住房/") for h in hits)
    assert {h["material_type"] for h in hits} == {"service_guide"}


async def test_reading_the_knowledge_base_needs_the_permission(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await api.http.get("/kb/search", params={"q": "低保"})).status_code == 401
    operator = api.token_for("operator")
    monkeypatch.setattr(
        permissions,
        "PERMISSIONS",
        {**permissions.PERMISSIONS, Role.OPERATOR: frozenset({Action.LIST_CASES})},
    )
    denied = await api.http.get("/kb/search", params={"q": "低保"}, headers=operator)
    assert denied.status_code == 403 and "read_knowledge" in denied.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": ""}, "query.q"),
        ({"q": "低保" * 101}, "query.q"),
        ({"q": "   "}, "query.q"),
        ({"q": "，。！"}, "query.q"),
        ({"q": "低保\x01"}, "query.q"),
        ({"q": "低保", "limit": 0}, "query.limit"),
        ({"q": "低保", "limit": 51}, "query.limit"),
        ({"q": "低保", "material_type": "poem"}, "query.material_type"),
        ({"q": "低保", "department": "x" * 65}, "query.department"),
    ],
)
async def test_bad_queries_name_the_field(
    api: Api, params: dict[str, str | int], field: str
) -> None:
    response = await api.http.get("/kb/search", params=params, headers=api.token_for("operator"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
