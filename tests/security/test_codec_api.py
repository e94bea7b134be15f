"""The Temporal UI's codec endpoint over HTTP: decode for authorised roles only, logged as an
access to personal data, proto JSON in and out, problems for bad bodies, CORS for the UI."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import pydantic_data_converter

from connection.client import data_converter
from security.codec import ENCRYPTED, KEY_ID_KEY, EncryptionCodec
from services.access_log import access_entries
from settings.environment import CORS_ORIGINS_ENV
from tests.api.http import Api
from tests.workflows.cases import intake

PROBLEM = "application/problem+json"
PHONE = "13800001234"
UI = "http://localhost:8233"


async def encrypted_body(*values: Any) -> dict[str, Any]:
    """What the UI posts: the proto JSON of the payloads Temporal stored."""
    payloads = await data_converter().encode(list(values))
    return json_format.MessageToDict(Payloads(payloads=payloads))


_tokens: dict[tuple[str, str | None], dict[str, str]] = {}


def token(api: Api, role: str, department: str | None = None) -> dict[str, str]:
    """One token per role for the module (issuing and first verifying one costs argon2)."""
    key = (role, department)
    if key not in _tokens:
        _tokens[key] = api.token_for(role, department)
    return dict(_tokens[key])


def payloads_of(body: dict[str, Any]) -> list[Payload]:
    return list(json_format.ParseDict(body, Payloads()).payloads)


async def test_an_auditor_decodes_what_the_ui_shows_and_the_access_is_logged(api: Api) -> None:
    case = intake()
    body = await encrypted_body(case, f"call {PHONE}")
    assert all(p.metadata["encoding"] == ENCRYPTED for p in payloads_of(body))
    purpose = f"audit {uuid.uuid4().hex[:8]}"
    headers = token(api, "auditor") | {"X-Namespace": "default", "X-Access-Purpose": purpose}

    response = await api.http.post("/codec/decode", json=body, headers=headers)

    assert response.status_code == 200, response.text
    decoded = payloads_of(response.json())
    clear = await pydantic_data_converter.encode([case, f"call {PHONE}"])
    assert decoded == clear
    assert decoded[0].metadata["encoding"] == b"json/plain"
    assert PHONE in base64.b64decode(response.json()["payloads"][1]["data"]).decode()
    [entry] = [
        e
        for e in access_entries(api.sessions, case_no=case.case_no)
        if e.purpose.startswith(purpose)
    ]
    assert entry.role == "auditor"
    assert entry.fields == ["payloads"]
    assert entry.action == "view"
    assert entry.purpose == f"{purpose} (namespace default)"


async def test_supervisors_may_decode(api: Api) -> None:
    role = "supervisor"
    body = await encrypted_body(PHONE)
    response = await api.http.post("/codec/decode", json=body, headers=token(api, role))
    assert response.status_code == 200, response.text
    assert payloads_of(response.json()) == await pydantic_data_converter.encode([PHONE])


@pytest.mark.parametrize(
    ("role", "department"),
    [("department", "gy-market"), ("operator", None), ("dispatcher", None), ("admin", None)],
)
@pytest.mark.parametrize("route", ["decode", "encode"])
async def test_other_roles_are_forbidden(
    api: Api, role: str, department: str | None, route: str
) -> None:
    body = await encrypted_body(PHONE)
    response = await api.http.post(
        f"/codec/{route}", json=body, headers=token(api, role, department)
    )
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    assert PHONE not in response.text


@pytest.mark.parametrize("route", ["decode", "encode"])
async def test_without_a_token_it_is_401(api: Api, route: str) -> None:
    response = await api.http.post(f"/codec/{route}", json=await encrypted_body(PHONE))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.payloads"),
        ({"payloads": "x"}, "body.payloads"),
        ({"payloads": [{"data": "not base64!"}]}, "body.payloads.0.data"),
        ({"payloads": [{"metadata": {"encoding": "%%"}}]}, "body.payloads.0.metadata.encoding"),
        ({"payloads": [{"metadata": {"encoding": 3}}]}, "body.payloads.0.metadata.encoding"),
        ({"payloads": [{"data": "", "colour": "red"}]}, "body.payloads"),
    ],
)
async def test_a_malformed_body_is_a_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = await api.http.post("/codec/decode", json=body, headers=token(api, "auditor"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]]
    assert all(error["message"] for error in problem["errors"])


async def test_a_payload_under_an_unknown_key_is_a_422_naming_the_key(api: Api) -> None:
    body = await encrypted_body(PHONE, "ok")
    body["payloads"][1]["metadata"][KEY_ID_KEY] = base64.b64encode(b"k-19700101-dead").decode()
    response = await api.http.post("/codec/decode", json=body, headers=token(api, "auditor"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body.payloads.1"
    assert "k-19700101-dead" in error["message"]


async def test_unencrypted_payloads_come_back_unchanged(api: Api) -> None:
    clear = await pydantic_data_converter.encode([{"phone": PHONE}, None])
    body = json_format.MessageToDict(Payloads(payloads=clear))
    response = await api.http.post("/codec/decode", json=body, headers=token(api, "auditor"))
    assert response.status_code == 200
    assert payloads_of(response.json()) == clear


async def test_encode_encrypts_under_the_active_key_and_decode_reverses_it(api: Api) -> None:
    auditor = token(api, "auditor")
    clear = await pydantic_data_converter.encode([intake(), PHONE])
    body = json_format.MessageToDict(Payloads(payloads=clear))
    encoded = await api.http.post("/codec/encode", json=body, headers=auditor)
    assert encoded.status_code == 200, encoded.text
    assert PHONE not in encoded.text
    codec = data_converter().payload_codec
    assert isinstance(codec, EncryptionCodec)
    ring = codec.ring
    for payload in payloads_of(encoded.json()):
        assert payload.metadata["encoding"] == ENCRYPTED
        assert payload.metadata[KEY_ID_KEY] == ring.active.encode()
    decoded = await api.http.post("/codec/decode", json=encoded.json(), headers=auditor)
    assert payloads_of(decoded.json()) == clear


async def test_the_ui_origin_may_call_the_codec(api: Api) -> None:
    preflight = await api.http.options(
        "/codec/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization,x-namespace",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == UI
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-namespace"} <= set(
        allowed.replace(" ", "").split(",")
    )

    headers = token(api, "auditor") | {"Origin": UI}
    response = await api.http.post("/codec/decode", json=await encrypted_body(1), headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI
    refused = await api.http.post("/codec/decode", json={}, headers={"Origin": UI})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI  # the UI can read why


async def test_other_origins_and_other_routes_get_no_cors(api: Api) -> None:
    preflight = await api.http.options(
        "/codec/decode",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    cases = await api.http.options(
        "/cases", headers={"Origin": UI, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in cases.headers


async def test_the_allowed_origins_come_from_the_environment(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CORS_ORIGINS_ENV, "https://temporal.example.gov.cn, https://ui.example/")
    api.app.middleware_stack = api.app.build_middleware_stack()  # as at startup
    for origin, allowed in [
        ("https://temporal.example.gov.cn", True),
        ("https://ui.example", True),
        (UI, False),
    ]:
        preflight = await api.http.options(
            "/codec/decode",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert (preflight.headers.get("access-control-allow-origin") == origin) is allowed, origin


def test_decoding_payloads_is_granted_to_supervisors_and_auditors_only() -> None:
    from rules.permissions import (
        READ_ONLY_ACTIONS,
        Action,
        Role,
        allowed,
        permission_table_markdown,
    )

    granted = {role for role in Role if allowed(role, Action.DECODE_PAYLOADS)}
    # Decoded payloads hold personal data, which administrators may not read.
    assert granted == {Role.SUPERVISOR, Role.AUDITOR}
    assert Action.DECODE_PAYLOADS in READ_ONLY_ACTIONS
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert permission_table_markdown() in readme
