"""Call records from the telephony system (one row per call) and the files they came from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMATS = ("queue_log", "cdr", "csv")
OUTCOMES = ("answered", "abandoned", "timeout", "other")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "call_files",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column(
            "error_lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(_in("format", FORMATS), name=op.f("ck_call_files_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_call_files_sha256")),
    )
    op.create_table(
        "call_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("case_no", sa.String(length=32), nullable=True),
        sa.Column("case_linked_by", sa.String(length=64), nullable=True),
        sa.Column("case_linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caller_hash", sa.String(length=64), nullable=True),
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name=op.f("ck_call_records_outcome")),
        sa.CheckConstraint(
            "wait_seconds IS NULL OR wait_seconds >= 0",
            name=op.f("ck_call_records_wait_seconds"),
        ),
        sa.CheckConstraint(
            "talk_seconds IS NULL OR talk_seconds >= 0",
            name=op.f("ck_call_records_talk_seconds"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["call_files.id"], name=op.f("fk_call_records_file_id_call_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
        sa.UniqueConstraint("source", "call_id", name=op.f("uq_call_records_source_call_id")),
    )
    op.create_index(
        op.f("ix_call_records_offered_at_answered_at"),
        "call_records",
        ["offered_at", "answered_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_call_records_queue_offered_at_answered_at"),
        "call_records",
        ["queue", "offered_at", "answered_at"],
        unique=False,
    )
    op.create_index(op.f("ix_call_records_case_no"), "call_records", ["case_no"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_call_records_case_no"), table_name="call_records")
    op.drop_index(op.f("ix_call_records_queue_offered_at_answered_at"), table_name="call_records")
    op.drop_index(op.f("ix_call_records_offered_at_answered_at"), table_name="call_records")
    op.drop_table("call_records")
    op.drop_table("call_files")
