"""Another department's article, where only its owner may look, is answered as no article at all:
the same 404, byte for byte, as for a number no article has. Its open flags stay with its owner
and the centre."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from knowledge.articles import raise_flag
from models.enums import FlagReason
from tests.api.http import Api
from tests.knowledge.test_kb_api import DEPARTMENT, article_body, published_article

NO_SUCH_ARTICLE = 987_654_321


def same_as_missing(hidden: httpx.Response, missing: httpx.Response, article_id: int) -> None:
    """`hidden` (on `article_id`) is `missing` (on NO_SUCH_ARTICLE) with the number changed."""
    expected = missing.content.replace(str(NO_SUCH_ARTICLE).encode(), str(article_id).encode())
    assert (hidden.status_code, hidden.headers["content-type"]) == (
        missing.status_code,
        missing.headers["content-type"],
    )
    assert hidden.status_code == 404
    assert hidden.content == expected
    assert DEPARTMENT.encode() not in hidden.content


async def test_another_departments_article_is_no_article(api: Api) -> None:
    owner = api.token_for("department", DEPARTMENT)
    other = api.token_for("department", "gy-housing")
    submitted = await api.http.post("/kb/articles", json=article_body(), headers=owner)
    assert submitted.status_code == 202, submitted.text
    pending = submitted.json()["article_id"]
    published = (await published_article(api))["id"]

    async def both(method: str, path: str, **kwargs: Any) -> None:
        for article_id in (pending, published):
            hidden = await api.http.request(
                method, path.format(id=article_id), headers=other, **kwargs
            )
            missing = await api.http.request(
                method, path.format(id=NO_SUCH_ARTICLE), headers=other, **kwargs
            )
            same_as_missing(hidden, missing, article_id)

    changed = article_body() | {"department": "gy-housing"}
    await both("PUT", "/kb/articles/{id}", json=changed)
    await both("GET", "/kb/articles/{id}/versions")
    await both("GET", "/kb/articles/{id}/diff", params={"from": 1, "to": 2})
    # A draft is hidden from anyone but its owner and the centre.
    hidden = await api.http.get(f"/kb/articles/{pending}", headers=other)
    missing = await api.http.get(f"/kb/articles/{NO_SUCH_ARTICLE}", headers=other)
    same_as_missing(hidden, missing, pending)
    operator = api.token_for("operator")
    hidden = await api.http.get(f"/kb/articles/{pending}", headers=operator)
    missing = await api.http.get(f"/kb/articles/{NO_SUCH_ARTICLE}", headers=operator)
    same_as_missing(hidden, missing, pending)
    # The owner still reads and updates its own.
    own = await api.http.get(f"/kb/articles/{pending}/versions", headers=owner)
    assert own.status_code == 200, own.text


async def test_open_flags_stay_with_the_owner_and_the_centre(api: Api) -> None:
    article = await published_article(api)
    with api.sessions.begin() as session:
        raise_flag(
            session,
            article["id"],
            FlagReason.DISSATISFIED,
            datetime.now(UTC),
            case_no="GY20261128-000999",
            detail="市民不满意",
        )
    other = api.token_for("department", "gy-housing")

    seen = await api.http.get(f"/kb/articles/{article['id']}", headers=other)
    listed = await api.http.get(
        "/kb/articles", headers=other, params={"department": DEPARTMENT, "limit": 500}
    )

    assert seen.status_code == 200 and seen.json()["open_flags"] == []
    mine = [a for a in listed.json() if a["id"] == article["id"]]
    assert mine and mine[0]["open_flags"] == []
    assert "GY20261128-000999" not in seen.text + listed.text
    for reader in (
        api.token_for("department", DEPARTMENT),
        api.token_for("supervisor"),
        api.token_for("operator"),
    ):
        flags = (await api.http.get(f"/kb/articles/{article['id']}", headers=reader)).json()
        assert [f["case_no"] for f in flags["open_flags"]] == ["GY20261128-000999"]
