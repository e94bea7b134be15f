"""An `api_key` travels in the POST body only: in a URL (access logs, proxies) it is refused."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from db.engine import SessionFactory
from db.tables import CaseRow
from tests.open311.support import BASE, WATER_CODE, errors, request_form


def case_count(sessions: SessionFactory) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(CaseRow)) or 0


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_api_key_in_the_query_string_is_refused_and_takes_in_nothing(
    http: httpx.AsyncClient, api_key: str, sessions: SessionFactory, fmt: str
) -> None:
    before = case_count(sessions)
    # the key only in the URL: before, this took the case in
    response = await http.post(
        f"{BASE}/requests.{fmt}", params={"api_key": api_key}, data=request_form(None)
    )
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400
    assert "api_key" in description and "request body" in description
    assert api_key not in response.text
    # in both places: refused as well, the key in the URL is the fault
    both = await http.post(
        f"{BASE}/requests.{fmt}", params={"api_key": api_key}, data=request_form(api_key)
    )
    assert both.status_code == 400
    assert case_count(sessions) == before

    in_body = await http.post(f"{BASE}/requests.{fmt}", data=request_form(api_key))
    assert in_body.status_code == 201
    assert case_count(sessions) == before + 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_api_key_in_the_url_of_a_get_is_refused_too(
    http: httpx.AsyncClient, api_key: str, fmt: str
) -> None:
    for path in (f"services.{fmt}", f"services/{WATER_CODE}.{fmt}", f"requests.{fmt}"):
        response = await http.get(f"{BASE}/{path}", params={"api_key": api_key})
        assert response.status_code == 400, path
        [(code, description)] = errors(response, fmt)
        assert code == 400 and "request body" in description
        assert (await http.get(f"{BASE}/{path}")).status_code == 200
