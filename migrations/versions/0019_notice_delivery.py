"""Notice delivery: each outbox row's status, attempts and hold, every attempt recorded, and
the numbers that opted out of SMS (退订).

`notifications` gains `status` (`models.delivery.NoticeStatus`), `urgent` (an urgent case's SMS
is not held by the quiet hours), `channel_kind`, `attempts`, `held_until`, `delivered_at` and
`last_error`. Rows written before this revision that were never sent start as `pending`; the
delivery process dead-letters a row too old to send rather than texting a citizen about an old
case. `notice_attempts` keeps one row per attempt; `sms_opt_outs` the sha256 of each number that
asked for no more SMS.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("status", sa.String(32), server_default="pending", nullable=False)
        )
        batch.add_column(sa.Column("channel_kind", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.execute("UPDATE notifications SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.create_index(op.f("ix_notifications_status_id"), "notifications", ["status", "id"])
    op.create_index(op.f("ix_notifications_case_no_id"), "notifications", ["case_no", "id"])
    op.create_table(
        "notice_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("notification_id", BIG_ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel_kind", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_attempts")),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notice_attempts_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "notification_id", "attempt", name=op.f("uq_notice_attempts_notification_id_attempt")
        ),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_sms_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_table("notice_attempts")
    op.drop_index(op.f("ix_notifications_case_no_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_status_id"), table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        for column in (
            "last_error",
            "delivered_at",
            "held_until",
            "attempts",
            "channel_kind",
            "status",
            "urgent",
        ):
            batch.drop_column(column)
