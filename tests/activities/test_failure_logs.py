"""No log line and no failure message holds a caller's personal data, and failures are sorted.

The sorting (`activities.failures`) is checked on errors the real databases raise, through the
real activity. The log scan captures every record of every logger at DEBUG (root, temporalio,
sqlalchemy, the project's), and this process's stderr (the Temporal core logs there), while a
case of a distinctive caller meets a real bad write, the API answers a bad intake, a refused
step and a failed retry, and the CLI reports a failed retry.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.calendar_source import CalendarSource
from activities.case_activities import CaseActivities
from activities.failures import (
    classify,
    database_reason,
    describe,
    guard_worker_logs,
    is_bad_data,
)
from db.engine import SessionFactory, is_sqlite, make_engine
from db.engine import session_factory as sessions_of
from db.tables import CaseRow, TransitionRow
from models.intake import Caller, Location
from models.records import Transition, TransitionRecord
from models.state import CaseState
from rules.calendar import WorkingCalendar
from tests.api.conftest import api  # noqa: F401 (the API on the session's stack)
from tests.api.http import Api
from tests.builders import received_projection
from tests.cli.runner import hotline_runner
from tests.workflows.bad_data import Refusal, refused_caller
from tests.workflows.cases import intake, start, until
from workers.composition import transition_hooks

NAME = "司马拒录"
PHONE = "+86-137-6660-4321"
DIGITS = re.sub(r"\D", "", PHONE)
ADDRESS = "观山湖区金阳南路拒录巷88号"
AT = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
LOGGERS = ("", "temporalio", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine")


def secrets_in(text: str, name: str = NAME) -> list[str]:
    """The personal data found in `text`: the name, the phone, its digits (any separators)."""
    found = [value for value in (name, PHONE, ADDRESS) if value in text]
    if DIGITS in re.sub(r"[\s\-+()]", "", text):
        found.append("phone digits")
    return found


def record(case_no: str, **projection: object) -> TransitionRecord:
    values: dict[str, object] = {"caller_name": NAME, "caller_phone": PHONE, **projection}
    return TransitionRecord(
        projection=received_projection(case_no, AT, **values),
        transition=Transition(
            case_no=case_no,
            seq=1,
            at=AT,
            action="intake",
            actor="op-1",
            from_status=None,
            to_status="received",
        ),
    )


def activities(sessions: SessionFactory) -> CaseActivities:
    calendar = WorkingCalendar.load()
    return CaseActivities(sessions, CalendarSource(calendar, dict), hooks=transition_hooks())


def failure_of(sessions: SessionFactory, case_record: TransitionRecord) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        activities(sessions).record_transition(case_record)
    failure = raised.value
    assert failure.__cause__ is None and failure.__suppress_context__
    assert secrets_in(failure.message) == [], failure.message
    return failure


# ---- sorting, on the real databases ---------------------------------------------------------


def test_a_refused_row_fails_fast_and_names_the_constraint_not_the_row(
    session_factory: SessionFactory, store_database_url: str
) -> None:
    refusal = Refusal(store_database_url, NAME)
    refusal.install()
    try:
        failure = failure_of(session_factory, record("GY20261128-000801"))
    finally:
        refusal.lift()
    assert failure.non_retryable and failure.type == "IntegrityError"
    assert failure.message.startswith("record_transition failed: IntegrityError")
    if not is_sqlite(store_database_url):
        assert f"constraint {refusal.name}" in failure.message and "23514" in failure.message


def test_a_value_too_long_for_its_column_is_bad_data(
    session_factory: SessionFactory, store_database_url: str
) -> None:
    if is_sqlite(store_database_url):
        pytest.skip("SQLite does not enforce a column's length")
    failure = failure_of(session_factory, record("GY20261128-000802", caller_phone=PHONE * 3))
    assert failure.non_retryable and failure.type == "DataError"
    assert "StringDataRightTruncation" in failure.message


def test_a_naive_datetime_refused_by_its_column_type_is_bad_data(
    session_factory: SessionFactory,
) -> None:
    naive = datetime(2026, 11, 28, 9, 30)
    failure = failure_of(session_factory, record("GY20261128-000803", updated_at=naive))
    assert failure.non_retryable and failure.type == "StatementError"
    assert "wrapping ValueError" in failure.message


def test_a_concurrent_duplicate_of_an_idempotency_key_is_retried_another_is_not(
    session_factory: SessionFactory,
) -> None:
    values = dict(
        case_no="GY20261128-000804",
        seq=1,
        at=AT,
        action="intake",
        actor=NAME,
        from_status=None,
        to_status="received",
        detail={},
        prev_hash="0" * 64,
        row_hash="1" * 64,
    )
    with session_factory.begin() as session:
        session.execute(insert(TransitionRow).values(values))
    with pytest.raises(IntegrityError) as duplicate, session_factory.begin() as session:
        session.execute(insert(TransitionRow).values(values))
    assert not is_bad_data(duplicate.value)
    retried = classify("record_transition", duplicate.value)
    assert not retried.non_retryable and secrets_in(retried.message) == []

    row = received_projection("GY20261128-000805", AT, caller_name=NAME)
    with pytest.raises(IntegrityError) as missing, session_factory.begin() as session:
        session.execute(insert(CaseRow).values(row.model_dump() | {"status": None}))
    assert is_bad_data(missing.value)
    assert "column status" in describe(missing.value)


def test_a_database_that_cannot_be_reached_is_retried() -> None:
    sessions = sessions_of(make_engine("postgresql://postgres@127.0.0.1:1/hotline"))
    with pytest.raises(ApplicationError) as raised:
        activities(sessions).record_transition(record("GY20261128-000806"))
    assert not raised.value.non_retryable and raised.value.type == "OperationalError"
    assert secrets_in(raised.value.message) == []


def test_the_cli_says_why_the_database_failed_without_the_value(
    session_factory: SessionFactory, store_database_url: str, tmp_path: Path
) -> None:
    unmigrated = sessions_of(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(OperationalError) as lost, unmigrated() as session:
        session.execute(text("SELECT case_no FROM cases"))
    assert database_reason(lost.value) == "no such table: cases"
    if is_sqlite(store_database_url):
        return
    with pytest.raises(DataError) as refused, session_factory() as session:
        session.execute(text("SELECT CAST(:value AS integer)"), {"value": NAME})
    assert NAME in str(refused.value)  # the driver quotes the value ...
    reason = database_reason(refused.value)
    assert "InvalidTextRepresentation" in reason and secrets_in(reason) == []  # ... not we


def test_an_invalid_record_names_fields_and_rules_not_values() -> None:
    with pytest.raises(ValueError) as invalid:
        TransitionRecord.model_validate(
            {"projection": {"case_no": "x", "caller_name": NAME, "version": PHONE}}
        )
    failure = classify("record_transition", invalid.value)
    assert failure.non_retryable and failure.type == "ValidationError"
    assert "projection.version: int_parsing" in failure.message
    assert secrets_in(failure.message) == []


def test_the_worker_logs_a_failure_that_quotes_its_input_without_the_input() -> None:
    """The SDK's own failure (an activity input that does not decode) logged as it logs it."""
    guard_worker_logs()
    handler = Everything()
    logger = logging.getLogger("temporalio.activity")
    logger.addHandler(handler)
    try:
        try:
            try:
                TransitionRecord.model_validate({"projection": {"caller_name": NAME, "x": PHONE}})
            except ValueError as err:
                raise ApplicationError("Failed decoding arguments") from err
        except ApplicationError:
            logger.warning("Completing activity as failed", exc_info=True)
    finally:
        logger.removeHandler(handler)
    (line,) = handler.lines
    assert "Failed decoding arguments" in line and "ValidationError (" in line
    assert "Traceback (most recent call last)" in line
    assert secrets_in(line) == [], line


# ---- the log scan ---------------------------------------------------------------------------


class Everything(logging.Handler):
    """Every record, formatted as a handler would write it (traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    disabled = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        logging.disable(disabled)


async def test_no_log_line_holds_personal_data(
    env: WorkflowEnvironment,
    client: Client,
    database_url: str,
    api: Api,  # noqa: F811
    every_log: Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    name = f"{NAME}{uuid.uuid4().hex[:4]}"
    caller = Caller(name=name, phones=[PHONE])
    location = Location(district="观山湖区", street="金阳街道", address=ADDRESS)
    operator = api.token_for("operator")
    admin = api.token_for("admin")
    hotline = hotline_runner(env, database_url)
    outputs: list[str] = []
    with refused_caller(database_url, name) as refusal:
        case = intake(caller=caller, location=location)
        handle = await start(client, case)
        state: CaseState = await until(handle, lambda s: bool(s.open_faults))
        case_no = case.case_no

        # The API: a bad intake of the same caller, a refused step, a retry that fails again.
        bad = await api.http.post(
            "/cases",
            headers=operator,
            json={
                "caller": {"name": name, "phones": [PHONE]},
                "location": {"district": "观山湖区", "address": ADDRESS},
                "case_type": "complaint",
                "category": "市场监管/消费投诉",
                "title": "商家拒绝退款",
                "content": f"{name} {PHONE} {ADDRESS}",
                "urgency": "whenever",
                "outcome": {"kind": "dispatch", "lead_department": "gy-market"},
            },
        )
        assert bad.status_code == 422
        refused = await api.post(
            f"/cases/{case_no}/reply-review", api.token_for("dispatcher"), approve=True
        )
        assert refused.status_code == 409
        forbidden = await api.post(f"/cases/{case_no}/retry-faults", operator)
        assert forbidden.status_code == 403
        again = await api.post(f"/cases/{case_no}/retry-faults", admin)
        assert again.status_code == 409 and "failed again" in again.json()["detail"]
        outputs += [bad.text, refused.text, again.text]

        # The CLI: the fault list, the case's faults, a retry that fails again.
        listing = await hotline("case", "faults", "--json")
        assert listing.returncode == 0 and case_no in listing.stdout, listing.stderr
        faults = await hotline("case", "faults", case_no)
        assert faults.returncode == 0 and "record_transition" in faults.stdout, faults.stderr
        retry = await hotline("case", "retry-faults", case_no, "--by", "admin-1")
        assert retry.returncode == 1 and "failed again" in retry.stderr
        for result in (listing, faults, retry):
            outputs += [result.stdout, result.stderr]

        refusal.lift()
    fixed = await api.post(f"/cases/{case_no}/retry-faults", admin)
    assert fixed.status_code == 200, fixed.text
    page = await api.http.get("/cases", headers=operator, params={"district": "观山湖区"})
    assert page.status_code == 200 and case_no in page.text  # rows with the caller were read
    detail = await api.http.get(f"/cases/{case_no}", headers=operator)
    assert detail.status_code == 200 and detail.json()["state"]["faults"][0]["resolved_by"]
    await asyncio.sleep(0.5)  # let the worker's last log lines in

    lines = every_log.lines
    assert any("Completing activity as failed" in line for line in lines)  # the worker logged it
    assert any(state.faults[0].message in line for line in lines)
    assert any("SQL parameters hidden" in line for line in lines)  # the engine logged too
    leaking = [line for line in lines if secrets_in(line, name)]
    assert leaking == [], leaking[:3]
    stderr = capfd.readouterr().err
    assert secrets_in(stderr, name) == []
    for output in outputs:
        assert secrets_in(output, name) == [], output
