"""SQL tables of the hotline: case projection, hash-chained transition log and archive, outbox,
departments, catalogue, and access control (users with their console passwords, API tokens,
console sessions, the access log of personal data).

SQLAlchemy 2.0 declarative style, portable across SQLite (the embedded default) and PostgreSQL.
Temporal holds each case's live state; these tables hold what people query and what must outlive
the engine's retention. The schema is created by the Alembic migrations in `migrations/`; keep
the two in step (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    cast,
    false,
    literal_column,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

from models.enums import Situation

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEPARTMENT_KINDS: tuple[str, ...] = ("functional", "district_government", "enterprise")
USER_ROLES: tuple[str, ...] = (
    "operator",
    "dispatcher",
    "department",
    "supervisor",
    "auditor",
    "admin",
)
"""The values of `rules.permissions.Role` (a test keeps the two in step)."""
ACCESS_ACTIONS: tuple[str, ...] = ("view", "export")
PHRASE_SITUATIONS: tuple[str, ...] = tuple(situation.value for situation in Situation)

# Codes and ids, sized once here.
CASE_NO = 32
CODE = 32
DEPARTMENT_ID = 64
NAME = 128
CATEGORY = 255
USER_ID = 64
TOKEN_ID = 32
SECRET_HASH = 255
RETRIEVAL_CODE = 8
HASH = 64  # sha256 in hex
CSRF_TOKEN = 64
CODE_VERSION = 64


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite (which drops the offset) reads back as UTC too.

    Naive datetimes are refused, never guessed at: the hotline's clock is explicit about its
    time zone, and the edges (`models.timestamps`) refuse naive input long before it gets here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(
                f"a UTC datetime column was given {type(value).__name__}, not a datetime"
            )
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to a UTC datetime column: it names "
                "no instant; pass an aware datetime (with its UTC offset)"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""
    return JSON().with_variant(JSONB(), "postgresql")


def big_id() -> TypeEngine[int]:
    """A 64-bit id on PostgreSQL; INTEGER on SQLite, where only that type autoincrements."""
    return BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CaseRow(Base):
    """One row per case, mirroring `models.records.CaseProjection`; newest version wins."""

    __tablename__ = "cases"
    __table_args__ = (
        # The case lists: keyset pages ordered by (received_at DESC, case_no DESC), alone or
        # after an equality filter on the leading column (migration 0003).
        Index(None, "received_at", "case_no"),
        Index(None, "status", "received_at", "case_no"),
        Index(None, "lead_department", "received_at", "case_no"),
        Index(None, "overdue", "received_at", "case_no"),
        Index(None, "district"),
        Index(None, "next_deadline"),
        # The console's lists (migration 0018): a department's cases in deadline order, the
        # board's overdue and due-soon sections with their counts by department and level, and
        # on PostgreSQL a trigram index for the assisting-department match (a LIKE on the JSON),
        # the board's two carrying the assisting departments for index-only counts.
        Index(None, "lead_department", "status", "next_deadline", "case_no"),
        Index(
            None,
            "overdue",
            "status",
            "lead_department",
            "escalation_level",
            postgresql_include=["assisting_departments"],
        ),
        Index(
            "ix_cases_board_due",
            "next_deadline",
            "overdue",
            "status",
            "lead_department",
            "escalation_level",
            postgresql_include=["assisting_departments"],
        ),
        Index(
            "ix_cases_assisting_departments_trgm",
            cast(literal_column("assisting_departments"), String).label("assisting_text"),
            postgresql_using="gin",
            postgresql_ops={"assisting_text": "public.gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(CODE))
    closure_reason: Mapped[str | None] = mapped_column(String(CODE))
    channel: Mapped[str] = mapped_column(String(CODE))
    case_type: Mapped[str] = mapped_column(String(CODE))
    category: Mapped[str] = mapped_column(String(CATEGORY))
    urgency: Mapped[str] = mapped_column(String(CODE))
    complex: Mapped[bool] = mapped_column(Boolean)
    district: Mapped[str] = mapped_column(String(NAME))
    street: Mapped[str | None] = mapped_column(String(NAME))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str | None] = mapped_column(String(NAME))
    caller_phone: Mapped[str | None] = mapped_column(String(CODE))
    confidential: Mapped[bool] = mapped_column(Boolean)
    enterprise: Mapped[bool] = mapped_column(Boolean)
    operator_id: Mapped[str] = mapped_column(String(DEPARTMENT_ID))
    lead_department: Mapped[str | None] = mapped_column(String(DEPARTMENT_ID))
    assisting_departments: Mapped[list[str]] = mapped_column(json_type())
    escalation_level: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[bool] = mapped_column(Boolean)
    ever_overdue: Mapped[bool] = mapped_column(Boolean)
    next_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)  # by the store
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reopen_rounds: Mapped[int] = mapped_column(Integer)
    callback_attempts: Mapped[int] = mapped_column(Integer)
    satisfaction: Mapped[str | None] = mapped_column(String(CODE))
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    merged_into: Mapped[str | None] = mapped_column(String(CASE_NO))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TransitionRow(Base):
    """Append-only log of every transition of every case, in the case's own sequence."""

    __tablename__ = "case_transitions"
    __table_args__ = (UniqueConstraint("case_no", "seq"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(CASE_NO))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(NAME))
    actor: Mapped[str] = mapped_column(String(NAME))
    from_status: Mapped[str | None] = mapped_column(String(CODE))
    to_status: Mapped[str] = mapped_column(String(CODE))
    detail: Mapped[dict[str, Any]] = mapped_column(json_type())
    # The case's hash chain (`db.chain`): the previous row's hash (64 zeros for seq 1) and
    # sha256(prev_hash + canonical content), content being every column but id, seq and these.
    prev_hash: Mapped[str] = mapped_column(String(HASH))
    row_hash: Mapped[str] = mapped_column(String(HASH))


class ArchiveRow(Base):
    """A closed case's complete Temporal history, written once per case, in a global hash chain.

    `history_json` is the history exactly as exported (payloads encrypted), `history_digest` its
    sha256. `transitions_count`/`transitions_head` are the case's transition chain at archive
    time (so removing the last transitions is detected). `chain_seq` is the position in the
    chain of all archives; `row_hash` = sha256(prev_hash + canonical content), the content
    being every column but id, chain_seq and the hashes, the history by its digest.
    """

    __tablename__ = "case_archives"
    __table_args__ = (
        UniqueConstraint("case_no"),
        UniqueConstraint("chain_seq"),
        Index(None, "closed_at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(CASE_NO))
    workflow_id: Mapped[str] = mapped_column(String(NAME))
    run_id: Mapped[str] = mapped_column(String(NAME))
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime())
    code_version: Mapped[str] = mapped_column(String(CODE_VERSION))
    event_count: Mapped[int] = mapped_column(Integer)
    history_json: Mapped[str] = mapped_column(Text)
    history_digest: Mapped[str] = mapped_column(String(HASH))
    transitions_count: Mapped[int] = mapped_column(Integer)
    transitions_head: Mapped[str] = mapped_column(String(HASH))
    chain_seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(HASH))
    row_hash: Mapped[str] = mapped_column(String(HASH))


class ChainHeadRow(Base):
    """The head of a global hash chain (`archive`): its length and last hash.

    Writers update it first in their transaction, which serialises them (a row lock on
    PostgreSQL, the write lock on SQLite). `started_at` is when the chain began: cases archived
    before it have no archive row, by design.
    """

    __tablename__ = "audit_chain_heads"

    name: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(HASH))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotificationRow(Base):
    """The outbox: a rendered message, written once per (case_no, event_key), then delivered
    (migration 0019): `status` is a `models.delivery.NoticeStatus`, `channel_kind` the channel
    it went to (`models.delivery.ChannelKind`; `channel` stays the kind of recipient the case
    chose: "sms" or "internal"). The idempotency key is derived from (case_no, event_key)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("case_no", "event_key"),
        Index(None, "sent_at"),
        Index(None, "status", "id"),
        Index(None, "case_no", "id"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(CASE_NO))
    event_key: Mapped[str] = mapped_column(String(CATEGORY))
    template: Mapped[str] = mapped_column(String(NAME))
    channel: Mapped[str] = mapped_column(String(CODE))
    recipient: Mapped[str] = mapped_column(String(NAME))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(CODE), default="pending", server_default="pending")
    channel_kind: Mapped[str | None] = mapped_column(String(CODE))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    held_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)  # the channel's status, no personal data


class NoticeAttemptRow(Base):
    """One attempt to deliver an outbox row: when, by which channel, and how it ended."""

    __tablename__ = "notice_attempts"
    __table_args__ = (UniqueConstraint("notification_id", "attempt"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        big_id(), ForeignKey("notifications.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    channel_kind: Mapped[str] = mapped_column(String(CODE))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ok: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")


class SmsOptOutRow(Base):
    """A phone number that asked for no more SMS (退订): only its sha256 is kept."""

    __tablename__ = "sms_opt_outs"

    phone_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(CODE))  # "sms_reply", "operator", "api"


class DepartmentRow(Base):
    """A handling unit: functional department, district government (兜底) or enterprise."""

    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in DEPARTMENT_KINDS) + ")", name="kind"
        ),
    )

    id: Mapped[str] = mapped_column(String(DEPARTMENT_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(CODE))
    district: Mapped[str | None] = mapped_column(String(NAME))
    liaison: Mapped[str | None] = mapped_column(String(NAME))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class CatalogueRow(Base):
    """The dispatch catalogue: category (+ district, NULL = any) → lead and assisting units."""

    __tablename__ = "dispatch_catalogue"
    __table_args__ = (
        UniqueConstraint("category", "district"),
        # NULLs are distinct in a UNIQUE constraint: one "any district" row per category.
        Index(
            "uq_dispatch_catalogue_category_any_district",
            "category",
            unique=True,
            sqlite_where=text("district IS NULL"),
            postgresql_where=text("district IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(CATEGORY))
    district: Mapped[str | None] = mapped_column(String(NAME))
    lead_department: Mapped[str] = mapped_column(
        String(DEPARTMENT_ID), ForeignKey("departments.id")
    )
    assisting_departments: Mapped[list[str]] = mapped_column(json_type())
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class CaseNumberRow(Base):
    """Case numbers allocated per intake request id: `GY20261128-000123`, serial per local day."""

    __tablename__ = "case_numbers"
    __table_args__ = (UniqueConstraint("day", "serial"),)

    request_id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    case_no: Mapped[str] = mapped_column(String(CASE_NO), unique=True)
    day: Mapped[str] = mapped_column(String(8))
    serial: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The citizen's progress lookup code (6 random digits); NULL for numbers allocated earlier.
    retrieval_code: Mapped[str | None] = mapped_column(String(RETRIEVAL_CODE))


class ProgressLookupGuardRow(Base):
    """Wrong retrieval codes tried on one case number (known or not), and its lookup's lock.

    `api.rate_limit.LookupGuard` keeps it: a case number whose lookup failed too often is
    locked for a while, across every client address.
    """

    __tablename__ = "progress_lookup_guards"
    __table_args__ = (Index(None, "last_failure_at"),)

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class UserRow(Base):
    """A person who uses the API or the console: one role, and a department for (only) the
    department role."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint(
            "(role = 'department' AND department IS NOT NULL)"
            " OR (role <> 'department' AND department IS NULL)",
            name="department",
        ),
        Index(None, "department"),
    )

    id: Mapped[str] = mapped_column(String(USER_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    role: Mapped[str] = mapped_column(String(CODE))
    department: Mapped[str | None] = mapped_column(
        String(DEPARTMENT_ID), ForeignKey("departments.id")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The web console's password (`services.console_auth`): argon2id, NULL until one is set.
    password_hash: Mapped[str | None] = mapped_column(String(SECRET_HASH))
    password_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    password_set_by: Mapped[str | None] = mapped_column(String(USER_ID))
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Consecutive failed sign-ins since the last success or lock; the lock's end, if locked.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConsoleSessionRow(Base):
    """A signed-in web console session: only the sha256 of its cookie token is kept.

    `csrf_token` is the session's own secret that every console form carries back. A session
    ends at `expires_at` (idle expiry, moved on by each use), at sign-out, or when its user's
    password is set again.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))

    token_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID), ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(CSRF_TOKEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SignInGuardRow(Base):
    """Failed console sign-ins under a user id that has no user, counted as a user's are.

    Keyed by the sha256 of the id typed, so nothing typed into the user field is stored in
    clear; `services.console_auth` locks such an id exactly as it locks a user, so the sign-in
    answers do not tell which ids exist.
    """

    __tablename__ = "sign_in_guards"

    key_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    """A bearer token `hl_<id>_<secret>`: the id is public, the secret is kept as argon2id only."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[str] = mapped_column(String(TOKEN_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID), ForeignKey("users.id"))
    secret_hash: Mapped[str] = mapped_column(String(SECRET_HASH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AccessLogRow(Base):
    """Append-only: who read or exported which personal-data fields of which case, and why.

    Field names only, never their values. `user_id` is not a foreign key: the log outlives
    any change to the users table.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        CheckConstraint(_in("action", ACCESS_ACTIONS), name="action"),
        Index(None, "case_no", "at"),
        Index(None, "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_id: Mapped[str] = mapped_column(String(USER_ID))
    role: Mapped[str] = mapped_column(String(CODE))
    case_no: Mapped[str] = mapped_column(String(CASE_NO))
    fields: Mapped[list[str]] = mapped_column(json_type())
    purpose: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(CODE))
    masked: Mapped[bool] = mapped_column(Boolean)


class CalendarYearRow(Base):
    """An administrator's official schedule for one year (holidays and make-up workdays).

    Overrides the shipped data files and the chinese-calendar package for that year; the
    deadline activity picks a change up within a minute, without a restart.
    """

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(json_type())
    workdays: Mapped[list[str]] = mapped_column(json_type())
    updated_by: Mapped[str] = mapped_column(String(NAME))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PhraseRow(Base):
    """One version of one service phrase (domain §10); every edit adds a version, none is lost.

    The current wording of (situation, key) is its highest version.
    """

    __tablename__ = "service_phrases"
    __table_args__ = (
        UniqueConstraint("situation", "key", "version"),
        CheckConstraint(_in("situation", PHRASE_SITUATIONS), name="situation"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    situation: Mapped[str] = mapped_column(String(CODE))
    key: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(USER_ID))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CasePublicationRow(Base):
    """The centre's public wording of one case: the only case text Open311 may publish.

    A caller's own words (title, content, address) never leave through Open311; a dispatcher or
    supervisor writes this wording (`rules.publication` decides which cases may appear at all).
    """

    __tablename__ = "case_publications"

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    public_text: Mapped[str] = mapped_column(Text)
    marked_by: Mapped[str] = mapped_column(String(USER_ID))
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RateWindowRow(Base):
    """Requests of one client (a keyed sha256 of its address, never the address) to one
    rate-limited scope within one time bucket.

    `api.rate_limit.RateLimiter` adds to it with one atomic upsert, so every API process counts
    against the same budget; buckets older than the limit's period are deleted.
    """

    __tablename__ = "rate_windows"
    __table_args__ = (Index(None, "window_start"),)

    scope: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer, default=0)
