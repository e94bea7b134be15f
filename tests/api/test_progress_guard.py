"""The citizen's progress lookup against guessing from many addresses (api.rate_limit.LookupGuard).

Five wrong codes from five addresses lock the number: the right code is refused too until the
lock period has passed on the lookup's clock (moved by the test, never slept). An unknown number
gets exactly the answers a known number with a wrong code gets. The answer itself holds status,
expected reply and public steps only.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx

from activities.store import retrieval_code
from api.rate_limit import LOCK_PERIOD, MAX_FAILURES
from api.routes.public import lookup_clock
from tests.api.http import Api
from tests.api.test_cases_api import open_case

_hosts = itertools.count(1)
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def from_address(api: Api) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address of its own (the per-address limiter never trips)."""
    n = next(_hosts)
    transport = httpx.ASGITransport(app=api.app, client=(f"10.77.{n // 250}.{n % 250 + 1}", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield client


async def lookup(api: Api, case_no: str, code: str) -> httpx.Response:
    async with from_address(api) as client:
        return await client.post(
            "/public/progress", json={"case_no": case_no, "retrieval_code": code}
        )


def moved_clock(api: Api) -> Clock:
    clock = Clock()
    override: Callable[[], datetime] = clock
    api.app.dependency_overrides[lookup_clock] = override
    return clock


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_five_wrong_codes_from_five_addresses_lock_the_number(api: Api) -> None:
    clock = moved_clock(api)
    case_no = await open_case(api, api.token_for("operator"))
    code = retrieval_code(api.sessions, case_no)
    assert code is not None

    answers = [await lookup(api, case_no, wrong(code)) for _ in range(MAX_FAILURES)]
    assert [a.status_code for a in answers] == [404] * MAX_FAILURES

    clock.now = T0 + timedelta(minutes=10)
    refused = await lookup(api, case_no, code)
    assert refused.status_code == 429, refused.text
    assert refused.json()["retry_after"] == int((LOCK_PERIOD - timedelta(minutes=10)).seconds)

    clock.now = T0 + LOCK_PERIOD - timedelta(seconds=1)
    assert (await lookup(api, case_no, code)).status_code == 429
    clock.now = T0 + LOCK_PERIOD
    found = await lookup(api, case_no, code)
    assert found.status_code == 200, found.text


async def test_an_unknown_number_is_answered_as_a_known_number_with_a_wrong_code(api: Api) -> None:
    clock = moved_clock(api)
    known = await open_case(api, api.token_for("operator"))
    code = retrieval_code(api.sessions, known)
    assert code is not None
    unknown = f"GY19991231-{uuid.uuid4().int % 10**6:06d}"  # no case has a 1999 number

    def same(a: httpx.Response, b: httpx.Response) -> bool:
        return (a.status_code, a.headers["content-type"], a.content) == (
            b.status_code,
            b.headers["content-type"],
            b.content,
        )

    for minute in range(MAX_FAILURES + 2):
        clock.now = T0 + timedelta(minutes=minute)
        on_known = await lookup(api, known, wrong(code))
        on_unknown = await lookup(api, unknown, wrong(code))
        assert same(on_known, on_unknown), (minute, on_known.text, on_unknown.text)
    assert on_known.status_code == 429


async def test_concurrent_guesses_are_all_counted(api: Api) -> None:
    clock = moved_clock(api)
    case_no = await open_case(api, api.token_for("operator"))
    code = retrieval_code(api.sessions, case_no)
    assert code is not None

    burst = await asyncio.gather(
        *(lookup(api, case_no, f"{n:06d}") for n in range(MAX_FAILURES) if f"{n:06d}" != code)
    )
    assert all(r.status_code == 404 for r in burst)
    if len(burst) < MAX_FAILURES:  # the right code was one of the burst's: one more guess
        assert (await lookup(api, case_no, wrong(code))).status_code == 404
    clock.now = T0 + timedelta(seconds=1)
    assert (await lookup(api, case_no, code)).status_code == 429


async def test_the_right_code_clears_the_count(api: Api) -> None:
    moved_clock(api)
    case_no = await open_case(api, api.token_for("operator"))
    code = retrieval_code(api.sessions, case_no)
    assert code is not None
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert (await lookup(api, case_no, wrong(code))).status_code == 404
        assert (await lookup(api, case_no, code)).status_code == 200


async def test_the_answer_holds_status_expected_reply_and_public_steps_only(api: Api) -> None:
    moved_clock(api)
    operator = api.token_for("operator")
    market = api.token_for("department", "gy-market")
    case_no = await open_case(api, operator)
    await api.post(f"/cases/{case_no}/sign-off", market, department="gy-market")
    replied = await api.post(
        f"/cases/{case_no}/reply",
        market,
        department="gy-market",
        result="resolved",
        content="经核实已督促商家退款，商家同意三日内办理。",
        officer="钱科长",
    )
    assert replied.status_code == 200, replied.text
    code = retrieval_code(api.sessions, case_no)
    assert code is not None

    found = await lookup(api, case_no, code)

    assert found.status_code == 200, found.text
    body = found.json()
    assert set(body) == {
        "case_no",
        "status",
        "status_label",
        "expected_reply",
        "closed_at",
        "notes",
    }
    assert all(set(note) == {"at", "step"} for note in body["notes"])
    assert [n["step"] for n in body["notes"]] == ["受理", "派单", "签收", "答复"]
    for private in (
        "钱科长",
        "督促商家",
        "gy-market",
        "李四",
        "13912345678",
        "中华北路",
        "operator-",
    ):
        assert private not in found.text, private
