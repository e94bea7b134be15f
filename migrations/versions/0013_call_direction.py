"""Call direction (inbound / outbound callbacks) and the format that timed each call.

Existing rows are backfilled as `inbound`: before this revision every ingested call was counted
as an incoming call, and what told a callback apart (the CDR's context and accountcode) was not
kept. `timing` is backfilled with the format of the file that last wrote the row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIRECTIONS = ("inbound", "outbound")
FORMATS = ("queue_log", "cdr", "csv")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(
            sa.Column(
                "direction",
                sa.String(length=8),
                server_default=sa.text("'inbound'"),
                nullable=False,
            )
        )
        batch.add_column(sa.Column("timing", sa.String(length=16), nullable=True))
        batch.create_check_constraint(
            op.f("ck_call_records_direction"), _in("direction", DIRECTIONS)
        )
        batch.create_check_constraint(
            op.f("ck_call_records_timing"), f"timing IS NULL OR {_in('timing', FORMATS)}"
        )
        batch.drop_index("ix_call_records_offered_at_answered_at")
        batch.drop_index("ix_call_records_queue_offered_at_answered_at")
        batch.drop_index("ix_call_records_case_no")
        batch.create_index(
            "ix_call_records_direction_offered_at_answered_at",
            ["direction", "offered_at", "answered_at"],
        )
        batch.create_index(
            "ix_call_records_direction_queue_offered_at_answered_at",
            ["direction", "queue", "offered_at", "answered_at"],
        )
        batch.create_index(
            "ix_call_records_case_no_direction_offered_at", ["case_no", "direction", "offered_at"]
        )
    op.execute(
        "UPDATE call_records SET timing = "
        "(SELECT call_files.format FROM call_files WHERE call_files.id = call_records.file_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.drop_index("ix_call_records_case_no_direction_offered_at")
        batch.drop_index("ix_call_records_direction_queue_offered_at_answered_at")
        batch.drop_index("ix_call_records_direction_offered_at_answered_at")
        batch.create_index("ix_call_records_case_no", ["case_no"])
        batch.create_index(
            "ix_call_records_queue_offered_at_answered_at", ["queue", "offered_at", "answered_at"]
        )
        batch.create_index("ix_call_records_offered_at_answered_at", ["offered_at", "answered_at"])
        batch.drop_constraint(op.f("ck_call_records_timing"), type_="check")
        batch.drop_constraint(op.f("ck_call_records_direction"), type_="check")
        batch.drop_column("timing")
        batch.drop_column("direction")
