"""Tamper evidence: a hash chain per case on the transition log, the archive and its chain head.

`case_transitions` gains `prev_hash` and `row_hash` (`db.chain`). The chains of the rows
already there are computed here, per case in seq order, in batches, so `hotline audit verify`
passes on an upgraded database; then both columns become NOT NULL (a table copy on SQLite).

`case_archives` holds each closed case's complete history once, in a global chain whose head is
`audit_chain_heads` row `archive` (length 0, 64 zeros, started now: cases archived before have
no archive row, and verify does not expect one).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-16
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.chain import GENESIS, transition_hash

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
HASH = 64


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


_transitions = sa.table(
    "case_transitions",
    sa.column("id", sa.BigInteger()),
    sa.column("case_no", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("at", _ts()),
    sa.column("action", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("from_status", sa.String()),
    sa.column("to_status", sa.String()),
    sa.column("detail", _json()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def _chain_existing_transitions() -> None:
    """Compute prev_hash/row_hash of every row, per case by seq, a batch of rows at a time."""
    if op.get_context().as_sql:
        return  # offline SQL (`--sql`) cannot read rows: correct for an empty table only
    connection = op.get_bind()
    t = _transitions
    columns = [t.c[name] for name in ("id", "case_no", "seq", "at", "action", "actor")]
    columns += [t.c.from_status, t.c.to_status, t.c.detail]
    update = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("prev"), row_hash=sa.bindparam("hash"))
    )
    last: tuple[str, int] | None = None
    prev = GENESIS
    while True:
        query = sa.select(*columns).order_by(t.c.case_no, t.c.seq).limit(BATCH)
        if last is not None:
            query = query.where(sa.tuple_(t.c.case_no, t.c.seq) > sa.tuple_(*last))
        rows = connection.execute(query).mappings().all()
        if not rows:
            return
        changes = []
        for row in rows:
            if last is None or row["case_no"] != last[0]:
                prev = GENESIS
            row_hash = transition_hash(prev, row)
            changes.append({"row_id": row["id"], "prev": prev, "hash": row_hash})
            prev = row_hash
            last = (row["case_no"], row["seq"])
        connection.execute(update, changes)


def upgrade() -> None:
    with op.batch_alter_table("case_transitions") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(HASH), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(HASH), nullable=True))
    _chain_existing_transitions()
    with op.batch_alter_table("case_transitions") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(HASH), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(HASH), nullable=False)

    op.create_table(
        "case_archives",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("workflow_id", sa.String(128), nullable=False),
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("closed_at", _ts(), nullable=False),
        sa.Column("archived_at", _ts(), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("history_json", sa.Text(), nullable=False),
        sa.Column("history_digest", sa.String(HASH), nullable=False),
        sa.Column("transitions_count", sa.Integer(), nullable=False),
        sa.Column("transitions_head", sa.String(HASH), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(HASH), nullable=False),
        sa.Column("row_hash", sa.String(HASH), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_archives"),
        sa.UniqueConstraint("case_no", name="uq_case_archives_case_no"),
        sa.UniqueConstraint("chain_seq", name="uq_case_archives_chain_seq"),
    )
    op.create_index("ix_case_archives_closed_at", "case_archives", ["closed_at"])

    heads = op.create_table(
        "audit_chain_heads",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(HASH), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_audit_chain_heads"),
    )
    op.bulk_insert(
        heads,
        [{"name": "archive", "length": 0, "head_hash": GENESIS, "started_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table("audit_chain_heads")
    op.drop_index("ix_case_archives_closed_at", table_name="case_archives")
    op.drop_table("case_archives")
    with op.batch_alter_table("case_transitions") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
