"""Drill 3: PostgreSQL unreachable for 60 s under load.

The API (`python -m api`) and the worker (`hotline worker`) reach PostgreSQL only through the
drill's TCP proxy. With 60 cases under way over HTTP, the proxy is cut for 60 s: every open
connection closed, new ones refused. Meanwhile every read and step must be answered 503
problem+json with Retry-After (never a 500), an intake 503 or 409, so the client can retry with
the same Idempotency-Key. After the proxy comes back every retried call succeeds once, and the
three checks hold: no case lost or half-written, nothing doubled, projections converged.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from db.engine import make_engine, session_factory
from db.tables import CaseNumberRow
from tests.reliability.checks import missing_notices, verify, workflow_states
from tests.reliability.conftest import requires_postgres, role_headers
from tests.reliability.http_load import SIGN_OFF, Answer, HttpLoad, intake_body, statuses
from tests.reliability.load import LEAD
from tests.reliability.processes import (
    HOST,
    DevServer,
    api_service,
    free_port,
    wait_for_api,
    worker_service,
)
from tests.tcp_proxy import TcpProxy

pytestmark = [requires_postgres, pytest.mark.timeout(480)]

CASES = 60
CUT_AT = 20
CONCURRENCY = 12
CUT_S = 60.0
PROBE_EVERY_S = 4.0
SETTLE_S = 1.0  # answers to requests sent this long after the cut count as "during the cut"
QUEUE = "drill-database-outage"
NOTE = {"note": "数据库中断演练"}


def through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host=HOST, port=proxy.port).render_as_string(hide_password=False)


async def probe_round(probes: HttpLoad, load: HttpLoad, round_: int, probe_case: str) -> str:
    """One of each read and step against the cut database, at once; returns the intake key."""
    case_no = next(iter(load.acknowledged.values()))
    operator, department = load.operator, load.department
    sign = department | {"Idempotency-Key": f"{probe_case}-sign-off"}
    note = operator | {"Idempotency-Key": f"{probe_case}-note-{round_}"}
    key = f"{probes.prefix}-intake-{round_}"
    intake = operator | {"Idempotency-Key": key}
    await asyncio.gather(
        probes.send("read: list", "GET", "/cases", operator),
        probes.send("read: case (operator)", "GET", f"/cases/{case_no}", operator),
        probes.send("read: case (department)", "GET", f"/cases/{case_no}", department),
        probes.send("read: department list", "GET", "/cases", department),
        probes.send("read: knowledge", "GET", "/kb/articles", operator),
        probes.send("step: sign-off", "POST", f"/cases/{probe_case}/sign-off", sign, SIGN_OFF),
        probes.send("step: note", "POST", f"/cases/{probe_case}/notes", note, NOTE),
        probes.send("intake", "POST", "/cases", intake, intake_body(90_000 + round_)),
    )
    return key


def violations(answers: list[Answer], cut_at: float, restored_at: float) -> list[str]:
    """Answers given while the database was cut that break the promise."""
    wrong: list[str] = []
    for a in answers:
        if not (a.started >= cut_at + SETTLE_S and a.ended <= restored_at):
            continue
        allowed = {503, 409} if a.kind == "intake" else {503}
        if a.status not in allowed:
            wrong.append(f"{a.kind}: {a.status} {a.content_type} {a.detail[:120]!r}")
        elif a.status == 503 and (not a.problem or not a.retry_after):
            wrong.append(f"{a.kind}: 503 without problem+json/Retry-After ({a.content_type})")
    return wrong


async def test_database_cut_for_a_minute_answers_503_and_loses_nothing(
    dev_server: DevServer, drill_database: str, tmp_path: Path
) -> None:
    sessions = session_factory(make_engine(drill_database))
    target = make_url(drill_database)
    proxy = TcpProxy(target.host or HOST, target.port or 5432)
    proxy.start()
    proxied = through(drill_database, proxy)
    port = free_port()
    url = f"http://{HOST}:{port}"
    worker = worker_service(dev_server, QUEUE, proxied, tmp_path / "worker.log")
    api = api_service(dev_server, QUEUE, proxied, port, tmp_path / "api.log")
    operator = role_headers(sessions, "operator")
    department = role_headers(sessions, "department", LEAD)
    prefix = f"outage-{os.getpid()}"
    try:
        worker.start()
        api.start()
        await wait_for_api(url)
        client = await dev_server.client()
        async with httpx.AsyncClient(base_url=url) as http:
            load = HttpLoad(http, operator, department, prefix, CASES, CONCURRENCY)
            probes = HttpLoad(http, operator, department, f"{prefix}-probe", 0, 1)
            created = await load.until_done(
                "intake",
                "POST",
                "/cases",
                operator | {"Idempotency-Key": f"{prefix}-probe-case"},
                intake_body(99_999),
            )
            probe_case = created.json()["case_no"]
            driving = asyncio.create_task(load.run())
            await load.until_acknowledged(CUT_AT)
            proxy.cut()
            cut_at = time.monotonic()
            await asyncio.sleep(SETTLE_S)
            intake_keys: list[str] = []
            round_ = 0
            while time.monotonic() - cut_at < CUT_S - PROBE_EVERY_S:
                started = time.monotonic()
                intake_keys.append(await probe_round(probes, load, round_, probe_case))
                round_ += 1
                await asyncio.sleep(max(0.0, PROBE_EVERY_S - (time.monotonic() - started)))
            await asyncio.sleep(max(0.0, CUT_S - (time.monotonic() - cut_at)))
            restored_at = time.monotonic()
            proxy.restore()
            sign = department | {"Idempotency-Key": f"{probe_case}-sign-off"}
            await probes.until_done(
                "step: sign-off", "POST", f"/cases/{probe_case}/sign-off", sign, SIGN_OFF
            )
            probe_intakes: dict[str, str] = {}
            for number, key in enumerate(intake_keys):
                answer = await probes.until_done(
                    "intake",
                    "POST",
                    "/cases",
                    operator | {"Idempotency-Key": key},
                    intake_body(90_000 + number),
                )
                probe_intakes[key] = answer.json()["case_no"]
            await asyncio.wait_for(driving, timeout=300)
        numbers = [*load.acknowledged.values(), *probe_intakes.values(), probe_case]
        verdict = await verify(client, sessions, numbers, timeout=150)
        states = await workflow_states(client, numbers)
        lost_notices = await asyncio.to_thread(missing_notices, states, sessions)
    finally:
        api.stop()
        worker.stop()
        proxy.stop()
    answers = load.answers + probes.answers
    wrong = violations(answers, cut_at, restored_at)
    server_errors = [a for a in answers if a.status >= 500 and a.status != 503]
    during = [a for a in answers if a.started >= cut_at + SETTLE_S and a.ended <= restored_at]
    with sessions() as session:
        numbered = dict(
            session.execute(
                select(CaseNumberRow.request_id, CaseNumberRow.case_no).where(
                    CaseNumberRow.request_id.like(f"{prefix}%")
                )
            ).all()
        )
    half_written = sorted(set(numbered.values()) - set(numbers))
    sign_offs = [e for e in states[probe_case].timeline if e.action == "sign_off"]
    print(
        f"\n[drill 3: PostgreSQL cut {CUT_S:.0f}s] {CASES} cases, {CUT_AT} acknowledged at the "
        f"cut; {len(answers)} requests, {len(during)} answered during the cut "
        f"({dict(statuses(during))}); 5xx other than 503: {len(server_errors)}; promise broken "
        f"{len(wrong)}; probe intakes retried {len(probe_intakes)}; half-written "
        f"{len(half_written)}; {verdict.figures()}; notices lost {len(lost_notices)}; "
        f"proxy connections {proxy.connections}"
    )
    for line in wrong[:10]:
        print(f"  during the cut: {line}")
    assert wrong == [], f"{len(wrong)} answers broke the 503 promise, e.g. {wrong[:3]}"
    assert server_errors == [], [f"{a.kind} {a.status} {a.detail[:120]}" for a in server_errors]
    assert len(set(load.acknowledged.values())) == CASES
    assert len(set(probe_intakes.values())) == len(intake_keys)
    assert half_written == []
    assert len(sign_offs) == 1
    assert verdict.ok, verdict
    assert lost_notices == []
