"""`hotline notices …` as a user runs it (a subprocess), on a real case and the test stack.

Each command is checked for what it prints, its exit code, and that no phone number ever
appears in full.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from services.principals import add_user
from services.sms_opt_out import is_opted_out
from tests.cli.runner import hotline_runner
from tests.notices_surfaces.support import (
    ASSISTING,
    LEAD,
    MASKED,
    OTHER,
    PHONE,
    dead,
    dispatched_case,
    outbox,
    row_id,
    settled_counts,
)


def user(sessions: SessionFactory, role: str, department: str | None = None) -> str:
    user_id = f"cli-{role[:4]}-{uuid.uuid4().hex[:8]}"
    add_user(sessions, user_id, f"测试 {role}", role, department)
    return user_id


async def test_a_cases_notices_as_each_reader_sees_them(
    env: WorkflowEnvironment, client: Client, sessions: SessionFactory, database_url: str
) -> None:
    hotline = hotline_runner(env, database_url)
    case_no = await dispatched_case(client, sessions)

    anonymous = await hotline("notices", "case", case_no)
    assert anonymous.returncode == 0, anonymous.stderr
    lines = anonymous.stdout.splitlines()
    assert lines[0] == f"case {case_no}: 3 notices"
    assert any("sms_received" in line and "citizen" in line for line in lines)
    assert PHONE not in anonymous.stdout and MASKED not in anonymous.stdout

    operator = await hotline("notices", "case", case_no, "--by", user(sessions, "operator"))
    assert operator.returncode == 0, operator.stderr
    assert MASKED in operator.stdout and PHONE not in operator.stdout

    liaison = user(sessions, "department", ASSISTING)
    own = await hotline("notices", "case", case_no, "--by", liaison, "--json")
    assert own.returncode == 0, own.stderr
    notices = json.loads(own.stdout)
    assert [(n["recipient"], n["template"]) for n in notices] == [(ASSISTING, "dispatch_notice")]
    assert PHONE not in own.stdout and MASKED not in own.stdout

    outsider = user(sessions, "department", OTHER)
    stranger = await hotline("notices", "case", case_no, "--by", outsider)
    assert stranger.returncode == 2
    assert stranger.stderr.strip() == f"no case {case_no}"
    unknown = await hotline("notices", "case", case_no, "--by", "nobody-at-all")
    assert unknown.returncode == 2 and "no active user" in unknown.stderr


async def test_summary_and_retry(
    env: WorkflowEnvironment, client: Client, sessions: SessionFactory, database_url: str
) -> None:
    hotline = hotline_runner(env, database_url)
    case_no = await dispatched_case(client, sessions)
    rows = await outbox(sessions, case_no, {"sms_received"}, at_least=3)
    notice_id = row_id(rows, "dispatch_notice", LEAD)
    dead(sessions, notice_id, datetime.now(UTC))

    counts = await settled_counts(sessions)
    summary = await hotline("notices", "summary", "--json")
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout) == counts.model_dump()
    text = await hotline("notices", "summary")
    assert f"dead            {counts.dead:,}" in text.stdout

    operator = await hotline("notices", "retry", str(notice_id), "--by", user(sessions, "operator"))
    assert operator.returncode == 2 and "may not manage_notices" in operator.stderr
    supervisor = user(sessions, "supervisor")
    retried = await hotline("notices", "retry", str(notice_id), "--by", supervisor)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == f"notice {notice_id} of case {case_no}: back to pending"
    again = await hotline("notices", "retry", str(notice_id), "--by", supervisor)
    assert again.returncode == 1
    assert again.stderr.startswith(f"refused: notice {notice_id} is ")
    missing = await hotline("notices", "retry", "999999999", "--by", supervisor)
    assert missing.returncode == 2 and "no notice 999999999" in missing.stderr


async def test_opt_out_and_in_never_echo_the_number(
    env: WorkflowEnvironment, worker: None, sessions: SessionFactory, database_url: str
) -> None:
    hotline = hotline_runner(env, database_url)
    phone = "13600002468"
    shown = "136****2468"
    admin = user(sessions, "admin")
    outputs = []
    for args, code, said in (
        (("opt-out", phone), 0, f"{shown}: opted out of SMS"),
        (("opt-out", "+86 136 0000 2468"), 0, f"{shown}: had already opted out"),
        (("opt-in", phone), 0, f"{shown}: receives SMS again"),
        (("opt-in", phone), 0, f"{shown}: had not opted out"),
    ):
        result = await hotline("notices", *args, "--by", admin)
        assert (result.returncode, result.stdout.strip()) == (code, said), result.stderr
        outputs.append(result.stdout + result.stderr)
    assert not is_opted_out(sessions, phone)

    bad = await hotline("notices", "opt-out", "12ab", "--by", admin)
    assert bad.returncode == 2 and bad.stderr.startswith("PHONE: not a phone number")
    outputs.append(bad.stdout + bad.stderr)
    department = await hotline(
        "notices", "opt-out", phone, "--by", user(sessions, "department", LEAD)
    )
    assert department.returncode == 2 and "may not manage_notices" in department.stderr
    outputs.append(department.stdout + department.stderr)
    assert not is_opted_out(sessions, phone)
    assert all(phone not in output and "0000 2468" not in output for output in outputs)
