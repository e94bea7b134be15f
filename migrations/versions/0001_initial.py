"""Initial schema: cases, transition log, outbox, departments, dispatch catalogue, case numbers.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("district", sa.String(128), nullable=True),
        sa.Column("liaison", sa.String(128), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
        sa.CheckConstraint(
            "kind IN ('functional', 'district_government', 'enterprise')",
            name="ck_departments_kind",
        ),
    )

    op.create_table(
        "dispatch_catalogue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("district", sa.String(128), nullable=True),
        sa.Column("lead_department", sa.String(64), nullable=False),
        sa.Column("assisting_departments", _json(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dispatch_catalogue"),
        sa.UniqueConstraint("category", "district", name="uq_dispatch_catalogue_category_district"),
        sa.ForeignKeyConstraint(
            ["lead_department"],
            ["departments.id"],
            name="fk_dispatch_catalogue_lead_department_departments",
        ),
    )
    # NULLs are distinct in a UNIQUE constraint: at most one "any district" row per category.
    op.create_index(
        "uq_dispatch_catalogue_category_any_district",
        "dispatch_catalogue",
        ["category"],
        unique=True,
        sqlite_where=sa.text("district IS NULL"),
        postgresql_where=sa.text("district IS NULL"),
    )

    op.create_table(
        "cases",
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("closure_reason", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("case_type", sa.String(32), nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("urgency", sa.String(32), nullable=False),
        sa.Column("complex", sa.Boolean(), nullable=False),
        sa.Column("district", sa.String(128), nullable=False),
        sa.Column("street", sa.String(128), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.String(128), nullable=True),
        sa.Column("caller_phone", sa.String(32), nullable=True),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("enterprise", sa.Boolean(), nullable=False),
        sa.Column("operator_id", sa.String(64), nullable=False),
        sa.Column("lead_department", sa.String(64), nullable=True),
        sa.Column("assisting_departments", _json(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("ever_overdue", sa.Boolean(), nullable=False),
        sa.Column("next_deadline", _ts(), nullable=True),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("dispatched_at", _ts(), nullable=True),
        sa.Column("signed_at", _ts(), nullable=True),
        sa.Column("replied_at", _ts(), nullable=True),
        sa.Column("closed_at", _ts(), nullable=True),
        sa.Column("reopen_rounds", sa.Integer(), nullable=False),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(32), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("merged_into", sa.String(32), nullable=True),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("archived_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("case_no", name="pk_cases"),
    )
    for column in ("status", "lead_department", "district", "overdue", "next_deadline"):
        op.create_index(f"ix_cases_{column}", "cases", [column])

    op.create_table(
        "case_transitions",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_transitions"),
        sa.UniqueConstraint("case_no", "seq", name="uq_case_transitions_case_no_seq"),
    )

    op.create_table(
        "notifications",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(255), nullable=False),
        sa.Column("template", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("case_no", "event_key", name="uq_notifications_case_no_event_key"),
    )
    op.create_index("ix_notifications_sent_at", "notifications", ["sent_at"])

    op.create_table(
        "case_numbers",
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_case_numbers"),
        sa.UniqueConstraint("case_no", name="uq_case_numbers_case_no"),
        sa.UniqueConstraint("day", "serial", name="uq_case_numbers_day_serial"),
    )


def downgrade() -> None:
    op.drop_table("case_numbers")
    op.drop_index("ix_notifications_sent_at", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("case_transitions")
    for column in ("status", "lead_department", "district", "overdue", "next_deadline"):
        op.drop_index(f"ix_cases_{column}", table_name="cases")
    op.drop_table("cases")
    op.drop_index("uq_dispatch_catalogue_category_any_district", table_name="dispatch_catalogue")
    op.drop_table("dispatch_catalogue")
    op.drop_table("departments")
