"""The store against real databases: idempotent writes, ordering, case numbers, seed, routing."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, StatementError

from activities.notifications import NotificationRenderer, TemplateContextError
from activities.store import (
    RecordOutcome,
    TransitionOutOfOrderError,
    allocate_case_no,
    mark_archived,
    record_transition,
    route_case,
)
from db import schema
from db.engine import SessionFactory, database_url, make_engine, normalise_url, safe_url
from db.seed import DEMO_CATALOGUE, DEMO_DEPARTMENTS, seed_demo
from db.tables import (
    Base,
    CaseNumberRow,
    CaseRow,
    CatalogueRow,
    DepartmentRow,
    NotificationRow,
    TransitionRow,
)
from models.errors import CaseNotFoundError
from models.records import (
    CaseProjection,
    Notification,
    Route,
    RouteRequest,
    Transition,
    TransitionRecord,
)
from rules.dispatch import NoRouteError
from tests.builders import received_projection
from workers.composition import transition_hooks

CASE_NO = "GY20261128-000123"
BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 28, 9, 30, tzinfo=BEIJING)
PHONE = "13800001234"
CALLER = "张三"


def projection(version: int, status: str, **changes: Any) -> CaseProjection:
    values: dict[str, Any] = dict(
        version=version,
        status=status,
        case_type="complaint",
        category="城乡建设/供水/停水",
        street="中华路街道",
        title="小区停水三天",
        content="某小区自周一起停水，至今未恢复。",
        caller_name=CALLER,
        caller_phone=PHONE,
        operator_id="op-7",
        updated_at=T0 + timedelta(minutes=version),
    )
    values.update(changes)
    return received_projection(CASE_NO, T0, **values)


def dispatch_record(version: int = 2, seq: int = 2) -> TransitionRecord:
    due = T0 + timedelta(days=14)
    common = {"title": "小区停水三天", "category": "城乡建设/供水/停水"}
    return TransitionRecord(
        projection=projection(
            version,
            "dispatched",
            lead_department="gy-water",
            assisting_departments=["yunyan-gov"],
            dispatched_at=T0 + timedelta(minutes=20),
            next_deadline=due,
        ),
        transition=Transition(
            case_no=CASE_NO,
            seq=seq,
            at=T0 + timedelta(minutes=20),
            action="dispatch",
            actor="op-7",
            from_status="received",
            to_status="dispatched",
            detail={"lead": "gy-water", "assisting": ["yunyan-gov"]},
        ),
        notifications=[
            Notification(
                case_no=CASE_NO,
                event_key="dispatch_notice:gy-water",
                template="dispatch_notice",
                channel="internal",
                recipient="gy-water",
                # Caller data put in by mistake must never reach a department.
                context=common
                | {
                    "case_type": "complaint",
                    "urgency": "normal",
                    "lead": True,
                    "sign_off_due": T0 + timedelta(days=1),
                    "handling_due": due,
                    "caller_name": CALLER,
                    "caller_phone": PHONE,
                },
            ),
            Notification(
                case_no=CASE_NO,
                event_key="sms_received:citizen",
                template="sms_received",
                channel="sms",
                recipient=PHONE,
                context=common | {"expected_reply": due, "caller_name": CALLER},
            ),
        ],
    )


def intake_record() -> TransitionRecord:
    """The case's first transition (seq 1): the chain of a case starts here."""
    return TransitionRecord(
        projection=projection(1, "received"),
        transition=Transition(
            case_no=CASE_NO,
            seq=1,
            at=T0,
            action="intake",
            actor="op-7",
            from_status=None,
            to_status="received",
        ),
    )


def received(session_factory: SessionFactory) -> NotificationRenderer:
    """Record the intake (seq 1) and return the renderer for the next records."""
    renderer = NotificationRenderer()
    record_transition(session_factory, intake_record(), renderer, hooks=transition_hooks())
    return renderer


def count(session_factory: SessionFactory, entity: type[Base]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(entity)) or 0


def stored_case(session_factory: SessionFactory) -> CaseRow:
    with session_factory() as session:
        row = session.get(CaseRow, CASE_NO)
        assert row is not None
        return row


# ---- record_transition ------------------------------------------------------------------------


def test_record_transition_writes_projection_transition_and_notifications(session_factory):
    renderer = received(session_factory)
    outcome = record_transition(
        session_factory, dispatch_record(), renderer, hooks=transition_hooks()
    )

    assert outcome == RecordOutcome(
        projection_updated=True, transitions_written=1, notifications_written=2
    )
    row = stored_case(session_factory)
    assert (row.version, row.status, row.lead_department) == (2, "dispatched", "gy-water")
    assert row.assisting_departments == ["yunyan-gov"]
    assert row.next_deadline == T0 + timedelta(days=14)
    assert row.next_deadline is not None and row.next_deadline.tzinfo is not None
    assert row.archived_at is None
    with session_factory() as session:
        transition = session.scalars(select(TransitionRow).where(TransitionRow.seq == 2)).one()
    assert (transition.seq, transition.action) == (2, "dispatch")
    assert (transition.from_status, transition.to_status) == ("received", "dispatched")
    assert transition.detail == {"lead": "gy-water", "assisting": ["yunyan-gov"]}


def test_record_transition_twice_writes_everything_once(session_factory):
    renderer = received(session_factory)
    record_transition(session_factory, dispatch_record(), renderer, hooks=transition_hooks())

    again = record_transition(
        session_factory, dispatch_record(), renderer, hooks=transition_hooks()
    )

    assert again == RecordOutcome(
        projection_updated=False, transitions_written=0, notifications_written=0
    )
    assert count(session_factory, CaseRow) == 1
    assert count(session_factory, TransitionRow) == 2
    assert count(session_factory, NotificationRow) == 2


def test_an_older_version_never_overwrites_a_newer_projection(session_factory):
    renderer = received(session_factory)
    record_transition(
        session_factory, dispatch_record(version=2, seq=2), renderer, hooks=transition_hooks()
    )

    late = record_transition(
        session_factory, intake_record(), renderer, hooks=transition_hooks()
    )  # a late retry

    assert late == RecordOutcome(
        projection_updated=False, transitions_written=0, notifications_written=0
    )
    row = stored_case(session_factory)
    assert (row.version, row.status) == (2, "dispatched")
    with session_factory() as session:
        seqs = list(session.scalars(select(TransitionRow.seq).order_by(TransitionRow.seq)))
    assert seqs == [1, 2]


def test_a_transition_before_its_predecessor_is_refused_for_a_retry(session_factory):
    with pytest.raises(TransitionOutOfOrderError, match="transition 1"):
        record_transition(
            session_factory,
            dispatch_record(seq=2),
            NotificationRenderer(),
            hooks=transition_hooks(),
        )
    assert count(session_factory, TransitionRow) == 0
    assert count(session_factory, CaseRow) == 0


def test_the_same_version_is_a_no_op_and_a_newer_one_replaces(session_factory):
    renderer = received(session_factory)
    record_transition(
        session_factory, dispatch_record(version=2), renderer, hooks=transition_hooks()
    )
    same = dispatch_record(version=2)
    same.projection.status = "handling"
    assert not record_transition(
        session_factory, same, renderer, hooks=transition_hooks()
    ).projection_updated
    assert stored_case(session_factory).status == "dispatched"

    newer = dispatch_record(version=3, seq=3)
    newer.projection.status = "handling"
    newer.projection.escalation_level = 1
    assert record_transition(
        session_factory, newer, renderer, hooks=transition_hooks()
    ).projection_updated
    row = stored_case(session_factory)
    assert (row.version, row.status, row.escalation_level) == (3, "handling", 1)


def test_notifications_are_rendered_with_the_case_number_and_no_caller_data(session_factory):
    record_transition(
        session_factory, dispatch_record(), received(session_factory), hooks=transition_hooks()
    )

    with session_factory() as session:
        rows = {row.template: row for row in session.scalars(select(NotificationRow))}
    notice, sms = rows["dispatch_notice"], rows["sms_received"]
    assert CASE_NO in notice.subject and CASE_NO in notice.body
    assert "小区停水三天" in notice.body
    assert (notice.channel, notice.recipient, notice.sent_at) == ("internal", "gy-water", None)
    assert PHONE not in notice.subject + notice.body
    assert CALLER not in notice.subject + notice.body
    assert f"工单号是{CASE_NO}" in sms.body
    assert "2026年12月12日 09:30前答复" in sms.body
    assert "请您保持电话畅通" in sms.body
    assert CALLER not in sms.subject + sms.body
    assert (sms.channel, sms.recipient) == ("sms", PHONE)


def test_a_template_error_writes_nothing(session_factory):
    record = dispatch_record()
    del record.notifications[1].context["expected_reply"]

    with pytest.raises(TemplateContextError, match="expected_reply"):
        record_transition(session_factory, record, NotificationRenderer(), hooks=transition_hooks())

    assert count(session_factory, CaseRow) == 0
    assert count(session_factory, TransitionRow) == 0
    assert count(session_factory, NotificationRow) == 0


def test_a_record_mixing_case_numbers_is_refused(session_factory):
    record = dispatch_record()
    record.transition.case_no = "GY20261128-000999"

    with pytest.raises(ValueError, match="mixes case numbers"):
        record_transition(session_factory, record, NotificationRenderer(), hooks=transition_hooks())
    assert count(session_factory, TransitionRow) == 0


def test_naive_datetimes_are_refused(session_factory):
    record = dispatch_record()
    record.projection.updated_at = datetime(2026, 11, 28, 10, 0)

    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        record_transition(session_factory, record, NotificationRenderer(), hooks=transition_hooks())
    assert count(session_factory, CaseRow) == 0


# ---- mark_archived ----------------------------------------------------------------------------


def test_mark_archived_is_idempotent_and_survives_later_projections(session_factory):
    renderer = received(session_factory)
    record_transition(session_factory, dispatch_record(), renderer, hooks=transition_hooks())
    first = T0 + timedelta(days=30)

    mark_archived(session_factory, CASE_NO, first)
    mark_archived(session_factory, CASE_NO, first + timedelta(hours=1))
    record_transition(
        session_factory, dispatch_record(version=3, seq=3), renderer, hooks=transition_hooks()
    )

    assert stored_case(session_factory).archived_at == first


def test_mark_archived_of_an_unknown_case_raises(session_factory):
    with pytest.raises(CaseNotFoundError, match="GY20990101-000001"):
        mark_archived(session_factory, "GY20990101-000001", T0)


# ---- allocate_case_no -------------------------------------------------------------------------


def test_case_numbers_are_formatted_and_idempotent_per_request(session_factory):
    first = allocate_case_no(session_factory, "req-a", T0)
    second = allocate_case_no(session_factory, "req-b", T0 + timedelta(minutes=1))

    assert first == "GY20261128-000001"
    assert second == "GY20261128-000002"
    assert re.fullmatch(r"GY\d{8}-\d{6}", second)
    assert allocate_case_no(session_factory, "req-a", T0 + timedelta(days=3)) == first
    assert count(session_factory, CaseNumberRow) == 2


def test_case_number_days_are_beijing_days_with_their_own_serials(session_factory):
    late_utc = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00:30 on the 29th in Beijing
    early_utc = datetime(2026, 11, 28, 15, 59, tzinfo=UTC)  # 23:59 on the 28th in Beijing

    assert allocate_case_no(session_factory, "req-1", late_utc) == "GY20261129-000001"
    assert allocate_case_no(session_factory, "req-2", early_utc) == "GY20261128-000001"
    assert allocate_case_no(session_factory, "req-3", late_utc, prefix="ZY") == (
        "ZY20261129-000002"
    )


def test_case_numbers_need_an_aware_time(session_factory):
    with pytest.raises(ValueError, match="aware"):
        allocate_case_no(session_factory, "req-x", datetime(2026, 11, 28, 9, 0))


def test_concurrent_callers_get_distinct_consecutive_serials(session_factory):
    request_ids = [f"req-{n % 24}" for n in range(48)]  # every request id asked twice
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda r: allocate_case_no(session_factory, r, T0), request_ids))

    by_request: dict[str, set[str]] = {}
    for request_id, number in zip(request_ids, numbers, strict=True):
        by_request.setdefault(request_id, set()).add(number)
    assert all(len(found) == 1 for found in by_request.values())
    with session_factory() as session:
        serials = sorted(session.scalars(select(CaseNumberRow.serial)))
    assert serials == list(range(1, 25))


# ---- seed and routing -------------------------------------------------------------------------


def test_seed_demo_is_idempotent(session_factory):
    first = seed_demo(session_factory)
    again = seed_demo(session_factory)

    assert (first.departments_written, first.catalogue_written) == (
        len(DEMO_DEPARTMENTS),
        len(DEMO_CATALOGUE),
    )
    assert (again.departments_written, again.catalogue_written) == (0, 0)
    assert count(session_factory, DepartmentRow) == len(DEMO_DEPARTMENTS)
    assert count(session_factory, CatalogueRow) == len(DEMO_CATALOGUE)
    with session_factory() as session:
        water = session.get(DepartmentRow, "gy-water")
        yunyan = session.get(DepartmentRow, "yunyan-gov")
    assert water is not None and water.name == "贵阳市水务管理局" and water.active
    assert yunyan is not None
    assert (yunyan.kind, yunyan.district) == ("district_government", "云岩区")


def test_one_any_district_catalogue_row_per_category(session_factory):
    seed_demo(session_factory)
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(
            CatalogueRow(
                category="市场监管/消费投诉",
                district=None,
                lead_department="gy-hr",
                assisting_departments=[],
                priority=0,
            )
        )


@pytest.mark.parametrize(
    ("category", "district", "expected"),
    [
        ("城乡建设/供水/停水/二次供水", "南明区", Route(lead_department="gy-water")),
        (
            "生态环境/噪声污染",
            "云岩区",
            Route(lead_department="yunyan-gov", assisting_departments=["gy-ecology"]),
        ),
        ("生态环境/噪声污染/夜间施工", "南明区", Route(lead_department="gy-ecology")),
        (
            "劳动保障/欠薪",
            "观山湖区",
            Route(lead_department="gy-hr", assisting_departments=["gy-market"]),
        ),
        ("民政/社会救助/低保", "云岩区", Route(lead_department="gy-civil")),
        ("城市管理/占道经营", "观山湖区", Route(lead_department="guanshanhu-gov", fallback=True)),
    ],
)
def test_route_case_uses_the_seeded_catalogue(session_factory, category, district, expected):
    seed_demo(session_factory)

    assert route_case(session_factory, RouteRequest(category=category, district=district)) == (
        expected
    )


def test_route_case_skips_inactive_departments(session_factory):
    seed_demo(session_factory)
    with session_factory.begin() as session:
        session.execute(
            update(DepartmentRow).where(DepartmentRow.id == "gy-market").values(active=False)
        )
    assert route_case(
        session_factory, RouteRequest(category="劳动保障/欠薪", district="南明区")
    ) == Route(lead_department="gy-hr")
    assert route_case(
        session_factory, RouteRequest(category="市场监管/消费投诉", district="南明区")
    ) == Route(lead_department="nanming-gov", fallback=True)


def test_route_case_without_any_owner_raises(session_factory):
    seed_demo(session_factory)
    with pytest.raises(NoRouteError, match="花溪区"):
        route_case(session_factory, RouteRequest(category="城市管理/占道经营", district="花溪区"))


# ---- schema -----------------------------------------------------------------------------------


def test_the_migration_matches_the_models(session_factory):
    engine = session_factory.kw["bind"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []


# ---- connection -------------------------------------------------------------------------------


def test_database_url_defaults_to_sqlite_and_normalises_postgres(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///.hotline/hotline.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:secret@db:5432/hotline")
    assert database_url() == "postgresql+psycopg://u:secret@db:5432/hotline"
    assert normalise_url("postgresql://db/x") == "postgresql+psycopg://db/x"
    assert normalise_url("postgresql+psycopg://db/x") == "postgresql+psycopg://db/x"
    assert "secret" not in safe_url("postgresql://u:secret@db/hotline")


def test_sqlite_engines_create_their_directory_and_set_pragmas(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'app.db'}"
    engine = make_engine(url, sqlite_pragmas={"journal_mode": "WAL", "synchronous": "NORMAL"})
    try:
        assert make_engine(
            url, sqlite_pragmas={"synchronous": "NORMAL", "journal_mode": "WAL"}
        ) is (engine)
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 1,
            "foreign_keys": 1,
            "busy_timeout": 30_000,
        }
        assert (tmp_path / "nested" / "dir" / "app.db").exists()
    finally:
        engine.dispose()


def test_default_pragmas_and_invalid_ones(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 0
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="invalid SQLite pragma"):
        make_engine(f"sqlite:///{tmp_path / 'b.db'}", sqlite_pragmas={"synchronous": "OFF; --"})
