"""The SMS gateway's inbound webhook: a signed 退订 reply opts the number out, nothing else does.

The requests are signed as the gateway signs them (`security.webhook_signature.sign`, the
scheme of `X-Hotline-Timestamp` / `X-Hotline-Signature`); the opt-out is read back through
`services.sms_opt_out` and the table is checked to hold no number.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from db.engine import SessionFactory
from db.tables import SmsOptOutRow
from security.webhook_signature import sign
from services.sms_opt_out import is_opted_out, phone_hash
from tests.api.http import Api
from tests.conftest import TASK_QUEUE
from tests.notices_surfaces.conftest import SECRET

PATH = "/sms/inbound"


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "Content-Type": "application/json",
        "X-Hotline-Timestamp": str(timestamp),
        "X-Hotline-Signature": sign(secret, timestamp, body),
    }


def reply(sender: str, text: str) -> bytes:
    return json.dumps({"from": sender, "text": text}, ensure_ascii=False).encode("utf-8")


async def post(api: Api, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await api.http.post(PATH, content=body, headers=headers)


async def test_a_signed_opt_out_reply_opts_the_number_out(
    api: Api, sessions: SessionFactory
) -> None:
    phone = "13700004321"
    assert not is_opted_out(sessions, phone)
    body = reply(phone, " 退订 ")
    answered = await post(api, body, signed(body))
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"action": "opted_out"}
    assert is_opted_out(sessions, phone)
    assert is_opted_out(sessions, "+86 137-0000-4321")  # the same number, written otherwise

    again = reply(phone, "td")
    repeat = await post(api, again, signed(again))
    assert repeat.json() == {"action": "already_opted_out"}

    with sessions() as session:
        stored = session.scalar(
            select(SmsOptOutRow).where(SmsOptOutRow.phone_hash == phone_hash(phone))
        )
    assert stored is not None and stored.source == "sms_reply"
    assert phone not in stored.phone_hash and len(stored.phone_hash) == 64


async def test_full_width_td_and_t_opt_out_other_words_do_not(
    api: Api, sessions: SessionFactory
) -> None:
    for phone, text in (("13700005555", "ＴＤ"), ("13700006666", "t")):
        body = reply(phone, text)
        answered = await post(api, body, signed(body))
        assert answered.json() == {"action": "opted_out"}, text
        assert is_opted_out(sessions, phone)
    for text in ("谢谢", "退订了吗", "TDD", ""):
        body = reply("13700007777", text)
        answered = await post(api, body, signed(body))
        assert answered.status_code == 200
        assert answered.json() == {"action": "ignored"}, text
    assert not is_opted_out(sessions, "13700007777")


async def test_a_bad_missing_or_stale_signature_is_401(api: Api, sessions: SessionFactory) -> None:
    phone = "13700008888"
    body = reply(phone, "退订")
    now = int(time.time())
    attempts = {
        "wrong secret": signed(body, secret="not-the-secret"),
        "stale": signed(body, at=now - 301),
        "from the future": signed(body, at=now + 400),  # well past the 300 s, however slow
        "no signature": {"X-Hotline-Timestamp": str(now)},
        "no timestamp": {"X-Hotline-Signature": signed(body)["X-Hotline-Signature"]},
        "nothing": {},
        "other body": signed(reply("13700009999", "退订")),
    }
    for why, headers in attempts.items():
        answered = await post(api, body, headers)
        assert answered.status_code == 401, why
        assert answered.headers["content-type"] == "application/problem+json", why
        assert phone not in answered.text
    assert not is_opted_out(sessions, phone)
    fresh = signed(body, at=now - 60)  # within five minutes
    assert (await post(api, body, fresh)).status_code == 200
    assert is_opted_out(sessions, phone)


async def test_a_bad_body_is_422_naming_the_field(api: Api) -> None:
    cases = {
        b'{"text": "TD"}': "body.from",
        b'{"from": "13700001212"}': "body.text",
        b'{"from": "not a phone", "text": "TD"}': "body.from",
        b'{"from": 13700001212, "text": "TD"}': "body.from",
        b"not json at all": "body",
        b"[1, 2]": "body",
    }
    for body, field in cases.items():
        answered = await post(api, body, signed(body))
        assert answered.status_code == 422, (body, answered.text)
        problem = answered.json()
        assert answered.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in problem["errors"]}, (body, problem)
        assert "13700001212" not in answered.text


async def test_without_a_secret_every_request_is_refused(
    client: Client, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_SMS_WEBHOOK_SECRET", raising=False)
    app = create_app(ApiContext(client=client, sessions=sessions, task_queue=TASK_QUEUE))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
        body = reply("13700003434", "退订")
        answered = await http.post(PATH, content=body, headers=signed(body, secret=""))
    assert answered.status_code == 401
    assert "HOTLINE_SMS_WEBHOOK_SECRET" in answered.json()["detail"]
    assert not is_opted_out(sessions, "13700003434")
