"""`hotline case show` and `list` follow the API's rule (rules.disclosure), text and --json.

Without --by and --purpose the caller is masked and the place goes no finer than the district
on a confidential case (the street too on other cases); with them, the case is shown as that
user's role sees it and the reading is in the access log. No output holds the retrieval code.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory, make_engine, session_factory
from db.tables import CaseRow
from models.intake import Caller, Location
from services.access_log import access_entries
from services.principals import add_user
from tests.cli.runner import Hotline, hotline_runner
from tests.workflows.cases import intake, start

NAME = "孙七"
PHONE = "13700005678"
STREET = "喷水池街道"
COMMUNITY = "省府路社区"
ADDRESS = "省府路12号4单元"
LATITUDE = 26.5783
PLACE_TEXTS = (STREET, COMMUNITY, ADDRESS, str(LATITUDE))
CODE = "482915"


@pytest.fixture
def hotline(env: WorkflowEnvironment, client: Client, database_url: str) -> Hotline:
    return hotline_runner(env, database_url)


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    return session_factory(make_engine(database_url))


def user(sessions: SessionFactory, role: str, department: str | None = None) -> str:
    user_id = f"{role}-{uuid.uuid4().hex[:8]}"
    add_user(sessions, user_id, f"user {user_id}", role, department)
    return user_id


async def dispatched(client: Client, sessions: SessionFactory, confidential: bool) -> str:
    case = intake(
        caller=Caller(name=NAME, phones=[PHONE], confidential=confidential),
        location=Location(
            district="云岩区",
            street=STREET,
            community=COMMUNITY,
            address=ADDRESS,
            latitude=LATITUDE,
            longitude=106.7135,
        ),
        retrieval_code=CODE,
    )
    await start(client, case)
    for _ in range(200):
        with sessions() as session:
            lead = session.scalar(
                select(CaseRow.lead_department).where(CaseRow.case_no == case.case_no)
            )
        if lead == "gy-market":
            return case.case_no
        await asyncio.sleep(0.1)
    raise AssertionError("the case was never dispatched")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result.stdout


def intake_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return dict(json.loads(ok(result))["intake"])


async def test_show_without_a_reader_is_masked_in_text_and_json(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=True)

    text = ok(await hotline("case", "show", case_no))
    shown = intake_of(await hotline("case", "show", case_no, "--json"))

    assert "孙*" in text and "137****5678" in text
    for private in (NAME, PHONE, CODE, *PLACE_TEXTS):
        assert private not in text, private
    assert shown["caller"]["name"] == "孙*" and shown["caller"]["phones"] == ["137****5678"]
    assert shown["retrieval_code"] is None
    assert shown["location"] == {
        "district": "云岩区",
        "street": None,
        "community": None,
        "address": None,
        "latitude": None,
        "longitude": None,
    }
    assert access_entries(sessions, case_no=case_no) == []


async def test_show_for_a_named_reader_follows_their_role_and_is_logged(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=True)
    operator = user(sessions, "operator")
    liaison = user(sessions, "department", "gy-market")
    admin = user(sessions, "admin")

    def reading(reader: str, *extra: str) -> list[str]:
        return ["case", "show", case_no, "--by", reader, "--purpose", "回访核实", *extra]

    full = intake_of(await hotline(*reading(operator, "--json")))
    assert full["caller"]["name"] == NAME and full["caller"]["phones"] == [PHONE]
    assert full["location"]["address"] == ADDRESS and full["location"]["street"] == STREET
    assert full["retrieval_code"] is None
    full_text = ok(await hotline(*reading(operator)))
    assert NAME in full_text and PHONE in full_text and ADDRESS in full_text
    assert CODE not in full_text

    department = intake_of(await hotline(*reading(liaison, "--json")))
    assert department["caller"]["name"] == "孙*"
    assert department["location"]["street"] is None
    department_text = ok(await hotline(*reading(liaison)))
    for private in (NAME, PHONE, CODE, *PLACE_TEXTS):
        assert private not in department_text, private

    nothing = intake_of(await hotline(*reading(admin, "--json")))
    assert nothing["caller"]["name"] is None and nothing["caller"]["phones"] == []

    entries = access_entries(sessions, case_no=case_no)
    assert {(e.user_id, e.masked) for e in entries} == {
        (operator, False),
        (liaison, True),
    }
    assert all(e.purpose == "回访核实 (hotline case show)" for e in entries)
    assert len(entries) == 4  # operator and department, text and --json; none for the admin


async def test_a_department_reads_only_its_own_cases(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=False)
    water = user(sessions, "department", "gy-water")

    other = await hotline("case", "show", case_no, "--by", water, "--purpose", "查看", "--json")

    assert other.returncode == 1
    assert other.stderr.strip() == f"refused: no case {case_no}"
    assert other.stdout == ""
    assert access_entries(sessions, case_no=case_no) == []


async def test_reader_options_are_checked(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=False)

    alone = await hotline("case", "show", case_no, "--by", user(sessions, "operator"))
    unknown = await hotline("case", "show", case_no, "--by", "nobody-x", "--purpose", "查看")

    assert (alone.returncode, alone.stderr.strip()) == (
        2,
        "--by USER and --purpose WHY go together",
    )
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "--by: no active user 'nobody-x'")


async def test_show_of_a_case_that_is_not_confidential_keeps_the_area(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=False)

    shown = intake_of(await hotline("case", "show", case_no, "--json"))

    assert (shown["location"]["street"], shown["location"]["community"]) == (STREET, COMMUNITY)
    assert shown["location"]["address"] is None and shown["location"]["latitude"] is None


async def test_list_text_and_json_hold_no_caller_place_or_code(
    hotline: Hotline, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched(client, sessions, confidential=True)
    query = f"WorkflowId='case-{case_no}'"

    for _ in range(100):
        rows = json.loads(ok(await hotline("case", "list", "--query", query, "--json")))
        if rows:
            break
        await asyncio.sleep(0.2)
    text = ok(await hotline("case", "list", "--query", query))

    assert [row["case_no"] for row in rows] == [case_no]
    for output in (json.dumps(rows, ensure_ascii=False), text):
        for private in (NAME, PHONE, CODE, *PLACE_TEXTS):
            assert private not in output, private
