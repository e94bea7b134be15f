"""`POST /codec/decode` writes one access-log entry per case whose payloads it decrypted.

The Temporal UI sends only the payloads and `X-Namespace`, so the case numbers are read from
the decrypted data: a case's input and state carry their own number (and a merge the number of
the case merged into). Payloads that name no case are logged under case "-"; payloads sent
unencrypted reveal nothing of the system's and name no case.
"""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.contrib.pydantic import pydantic_data_converter

from connection.client import data_converter
from models.commands import MergeCase
from services.access_log import AccessEntry, access_entries
from tests.api.http import Api
from tests.conftest import next_case_no
from tests.workflows.cases import intake


async def encrypted(*values: Any) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=await data_converter().encode(list(values))))


async def plain(*values: Any) -> dict[str, Any]:
    payloads = await pydantic_data_converter.encode(list(values))
    return json_format.MessageToDict(Payloads(payloads=payloads))


async def decode(api: Api, body: dict[str, Any], headers: dict[str, str]) -> list[AccessEntry]:
    """Decode `body` with a fresh purpose; the access-log entries of that decode."""
    purpose = f"audit {uuid.uuid4().hex}"
    response = await api.http.post(
        "/codec/decode", json=body, headers=headers | {"X-Access-Purpose": purpose}
    )
    assert response.status_code == 200, response.text
    return [e for e in access_entries(api.sessions, limit=1000) if e.purpose.startswith(purpose)]


async def test_each_case_in_the_decoded_payloads_gets_its_own_entry(api: Api) -> None:
    auditor = api.token_for("auditor")
    case = intake(request_id=f"req-{uuid.uuid4().hex}")
    master = next_case_no()
    merge = MergeCase(by="op-001", master_case_no=master, note="同一诉求")
    entries = await decode(api, await encrypted(case, merge, "13800001234", case), auditor)
    assert sorted(e.case_no for e in entries) == sorted([case.case_no, master])
    for entry in entries:
        assert (entry.fields, entry.action, entry.role) == (["payloads"], "view", "auditor")
        assert entry.user_id.startswith("auditor-")


async def test_payloads_that_name_no_case_are_logged_under_case_dash(api: Api) -> None:
    supervisor = api.token_for("supervisor")
    entries = await decode(api, await encrypted("13800001234", {"deadline": None}), supervisor)
    assert [e.case_no for e in entries] == ["-"]


async def test_an_unencrypted_payload_names_no_case(api: Api) -> None:
    auditor = api.token_for("auditor")
    stranger = next_case_no()
    entries = await decode(api, await plain({"case_no": stranger}), auditor)
    assert [e.case_no for e in entries] == ["-"]
    assert access_entries(api.sessions, case_no=stranger) == []
