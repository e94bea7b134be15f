"""The `hotline` CLI as a user runs it: a subprocess against the test dev server and database.

The worker runs in this process (the `client` fixture); each CLI call runs in a thread, so the
worker keeps serving the case while the CLI waits for it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.cli.runner import Hotline, hotline_runner

PHONE = "13800001234"


@pytest.fixture
def hotline(env: WorkflowEnvironment, client: Client, database_url: str) -> Hotline:
    return hotline_runner(env, database_url)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def data(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result).stdout)


def intake_args(*extra: str) -> list[str]:
    return [
        "case",
        "intake",
        "--type",
        "complaint",
        "--category",
        "市场监管/消费投诉",
        "--district",
        "云岩区",
        "--street",
        "中华北路街道",
        "--address",
        "中华北路1号3单元",
        "--title",
        "商家拒绝退款",
        "--content",
        "在某商场购买的商品有质量问题，商家拒绝退款。",
        "--caller-name",
        "张三",
        "--phone",
        PHONE,
        "--by",
        "op-001",
        *extra,
    ]


async def dispatched_case(hotline: Hotline) -> str:
    view = data(await hotline(*intake_args("--dispatch", "--lead", "gy-market", "--json")))
    assert view["status"] == "dispatched"
    assert view["lead_department"] == "gy-market"
    return str(view["case_no"])


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.2)


async def test_complaint_from_intake_to_closure(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    signed = data(
        await hotline("case", "sign", case_no, "--dept", "gy-market", "--by", "liaison-1", "--json")
    )
    assert signed["status"] == "handling"
    replied = data(
        await hotline(
            *("case", "reply", case_no, "--dept", "gy-market", "--result", "resolved"),
            *("--content", "已约谈商家，商家同意退款。", "--officer", "王科长"),
            *("--by", "liaison-1", "--note", "当面约谈", "--json"),
        )
    )
    assert replied["status"] == "replied"
    reviewed = data(
        await hotline("case", "review-reply", case_no, "--approve", "--by", "rev-1", "--json")
    )
    assert reviewed["status"] == "callback"
    closed = data(
        await hotline(
            *("case", "callback", case_no, "--reached", "--resolved"),
            *("--satisfaction", "satisfied", "--by", "cb-01", "--json"),
        )
    )
    assert closed["status"] == "closed"
    assert closed["closure_reason"] == "resolved"
    assert closed["next_deadline"] is None

    state = data(await hotline("case", "show", case_no, "--json"))
    assert [entry["action"] for entry in state["timeline"]] == [
        "intake",
        "dispatch",
        "sign_off",
        "reply",
        "reply_approved",
        "callback",
    ]
    # A closed case refuses further steps.
    late = await hotline("case", "urge", case_no, "--by", "sup-1")
    assert late.returncode == 1
    assert late.stderr.startswith("refused: ")


async def test_human_output_of_a_step(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    result = ok(await hotline("case", "sign", case_no, "--dept", "gy-market", "--by", "l-1"))
    lines = result.stdout.splitlines()
    assert lines[0] == f"case {case_no}: handling"
    assert any(line.split() == ["lead", "gy-market"] for line in lines)
    assert any(line.split()[:2] == ["next", "deadline"] and "-" in line for line in lines)
    assert any(line.split() == ["escalation", "level", "0"] for line in lines)
    assert any(line.split() == ["overdue", "no"] for line in lines)


async def test_refused_step_exits_1_with_the_reason(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    result = await hotline(
        *("case", "reply", case_no, "--dept", "gy-market", "--result", "resolved"),
        *("--content", "已处理。", "--officer", "王科长", "--by", "liaison-1"),
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "refused: cannot reply: the case is dispatched, not handling"
    assert result.stdout == ""
    state = data(await hotline("case", "show", case_no, "--json"))
    assert state["status"] == "dispatched"

    missing = await hotline("case", "sign", "GY19990101-999999", "--dept", "x", "--by", "u")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "refused: no case GY19990101-999999"


async def test_a_reply_with_forbidden_wording_exits_2_and_the_case_stays(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    ok(await hotline("case", "sign", case_no, "--dept", "gy-market", "--by", "l-1"))
    rude = await hotline(
        *("case", "reply", case_no, "--dept", "gy-market", "--result", "explained"),
        *("--content", "这个不归我们管，请找街道。", "--officer", "王科长", "--by", "l-1"),
    )
    assert rude.returncode == 2
    assert rude.stderr.startswith("content: forbidden wording:")
    assert "不归我们管" in rude.stderr
    state = data(await hotline("case", "show", case_no, "--json"))
    assert state["status"] == "handling"


async def test_bad_options_exit_2_naming_the_field(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    result = await hotline(
        *("case", "extend", case_no, "--dept", "gy-market", "--days", "99"),
        *("--reason", "需要现场核查", "--by", "liaison-1"),
    )
    assert result.returncode == 2
    assert result.stderr.startswith("working_days: ")
    assert "Traceback" not in result.stderr

    phone = await hotline(*intake_args("--dispatch", "--phone", "not-a-phone"))
    assert phone.returncode == 2
    assert phone.stderr.startswith("caller.phones.1: ")
    assert "not-a-phone" not in phone.stderr

    two = await hotline(*intake_args("--dispatch", "--emergency", "120"))
    assert two.returncode == 2
    assert "exactly one outcome" in two.stderr
    none = await hotline(*intake_args())
    assert none.returncode == 2
    assert "exactly one outcome" in none.stderr
    stray = await hotline(*intake_args("--emergency", "110", "--lead", "gy-market"))
    assert stray.returncode == 2
    assert "--lead goes with --dispatch" in stray.stderr


async def test_other_intake_outcomes(hotline: Hotline) -> None:
    unpublished = await hotline(
        *intake_args("--direct-answer", "请拨打商家客服电话。", "--article", "KB-1", "--json")
    )
    assert unpublished.returncode == 2
    assert "outcome.articles[0]: 'KB-1' is not a published article" in unpublished.stderr
    answered = data(
        await hotline(*intake_args("--direct-answer", "请拨打商家客服电话。", "--json"))
    )
    assert answered["closure_reason"] == "direct_answer"
    three_way = await hotline(*intake_args("--three-way", "gy-market", "--json"))
    assert three_way.returncode == 2
    assert "--three-way needs --officer" in three_way.stderr
    refused = data(
        await hotline(
            *intake_args("--not-accepted", "litigation", "--route", "请向法院起诉", "--json")
        )
    )
    assert refused["closure_reason"] == "not_accepted"
    waiting = data(await hotline(*intake_args("--dispatch", "--json")))
    assert waiting["status"] == "received"
    dispatched = data(
        await hotline("case", "dispatch", waiting["case_no"], "--by", "disp-1", "--json")
    )
    assert dispatched["lead_department"] == "gy-market"


async def test_repeated_request_id_returns_the_same_case(hotline: Hotline) -> None:
    request_id = uuid.uuid4().hex
    args = intake_args("--dispatch", "--lead", "gy-market", "--request-id", request_id, "--json")
    first = data(await hotline(*args))
    again = data(await hotline(*args))
    assert again["case_no"] == first["case_no"]
    other = data(await hotline(*intake_args("--dispatch", "--json")))
    assert other["case_no"] != first["case_no"]


async def test_escalate_raises_the_level(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    result = ok(
        await hotline("escalate", case_no, "--level", "2", "--note", "领导督办", "--by", "sup-1")
    )
    assert case_no in result.stdout

    async def level_two() -> bool:
        state = data(await hotline("case", "show", case_no, "--json"))
        return bool(state["escalation_level"] == 2)

    await eventually(level_two)
    bad = await hotline("escalate", case_no, "--level", "4", "--note", "x", "--by", "sup-1")
    assert bad.returncode == 2
    assert bad.stderr.startswith("level: ")


async def test_list_finds_the_case(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    query = "LeadDepartment='gy-market' AND CaseStatus='dispatched' AND District='云岩区'"

    async def listed() -> bool:
        rows = data(await hotline("case", "list", "--query", query, "--limit", "500", "--json"))
        return case_no in [row["case_no"] for row in rows]

    await eventually(listed)
    table = ok(await hotline("case", "list", "--query", f"WorkflowId='case-{case_no}'"))
    assert case_no in table.stdout
    assert "gy-market" in table.stdout
    bad = await hotline("case", "list", "--query", "NoSuchThing='x'")
    assert bad.returncode == 2
    assert bad.stderr.startswith("invalid query")


async def test_show_masks_personal_data(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    shown = ok(await hotline("case", "show", case_no))
    assert "138****1234" in shown.stdout
    assert PHONE not in shown.stdout
    assert "张*" in shown.stdout
    assert "张三" not in shown.stdout
    assert "中华北路1号" not in shown.stdout
    assert shown.stdout.startswith(f"case {case_no}: dispatched")
    assert "timeline:" in shown.stdout
    # --json is masked alike without --by and --purpose (tests/cli/test_case_disclosure.py).
    state = data(await hotline("case", "show", case_no, "--json"))
    assert state["intake"]["caller"]["phones"] == ["138****1234"]


async def test_unreachable_temporal_exits_3(hotline: Hotline) -> None:
    result = await hotline(
        "case", "show", "GY19990101-000001", env_overrides={"TEMPORAL_ADDRESS": "127.0.0.1:9"}
    )
    assert result.returncode == 3
    assert result.stderr.strip() == ("cannot reach Temporal at 127.0.0.1:9: is `make run` running?")
