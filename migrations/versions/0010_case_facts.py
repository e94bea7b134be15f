"""Case facts for the evaluation indicators, built from the existing transition log; an index on
cases.closed_at for the closure-based indicators.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in rules.evaluation when this migration was written (a migration never follows later edits).
SIGN_OFF_STEPS = ("sign_off",)
HANDLING_STEPS = ("handling", "redo", "reopen")

LOG = sa.table(
    "case_transitions",
    sa.column("case_no", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("to_status", sa.String()),
    sa.column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
FACTS = sa.table(
    "case_facts",
    *(
        sa.column(name)
        for name in (
            "case_no",
            "dispatches",
            "returns",
            "returns_rejected",
            "returns_approved",
            "extensions_approved",
            "replies",
            "replies_late",
            "reopens",
            "callback_required",
            "last_dispatch_seq",
            "sign_off_overdue",
            "handling_overdue",
        )
    ),
)


def upgrade() -> None:
    op.create_table(
        "case_facts",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("dispatches", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("returns", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("returns_rejected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("returns_approved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("extensions_approved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("replies", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("replies_late", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reopens", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("callback_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_dispatch_seq", sa.Integer(), nullable=True),
        sa.Column("sign_off_overdue", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("handling_overdue", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("case_no", name=op.f("pk_case_facts")),
    )
    # The closure-based indicators and the department ranking select the cases closed in a
    # period; without this index each report reads the whole projection.
    op.create_index(op.f("ix_cases_closed_at"), "cases", ["closed_at"], unique=False)
    _backfill()


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_closed_at"), table_name="cases")
    op.drop_table("case_facts")


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _any(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    return sa.func.coalesce(sa.func.max(sa.case((condition, 1), else_=0)), 0) > 0


def _backfill() -> None:
    """One INSERT … SELECT over the log, grouped by case: the facts `evaluation.facts` folds."""
    last = (
        sa.select(LOG.c.case_no, sa.func.max(LOG.c.seq).label("seq"))
        .where(LOG.c.action == "dispatch")
        .group_by(LOG.c.case_no)
        .subquery("last_dispatch")
    )
    action = LOG.c.action
    step = LOG.c.detail["step"].as_string()
    after_last_dispatch = LOG.c.seq > sa.func.coalesce(last.c.seq, 0)
    overdue = action == "deadline_overdue"
    select = (
        sa.select(
            LOG.c.case_no,
            _count(action == "dispatch"),
            _count(action == "return"),
            _count(action == "return_rejected"),
            _count(action == "return_approved"),
            _count(
                sa.and_(
                    action == "extension_decided",
                    LOG.c.detail["approved"].as_boolean() == sa.true(),
                )
            ),
            _count(action == "reply"),
            _count(sa.and_(action == "reply", LOG.c.detail["on_time"].as_boolean() == sa.false())),
            _count(action == "reopen"),
            _any(LOG.c.to_status == "callback"),
            sa.func.max(last.c.seq),
            _any(sa.and_(overdue, step.in_(SIGN_OFF_STEPS), after_last_dispatch)),
            _any(sa.and_(overdue, step.in_(HANDLING_STEPS), after_last_dispatch)),
        )
        .select_from(LOG.outerjoin(last, last.c.case_no == LOG.c.case_no))
        .group_by(LOG.c.case_no)
    )
    op.execute(FACTS.insert().from_select([c.name for c in FACTS.c], select))
