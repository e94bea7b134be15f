"""Access control: users, API tokens, the access log, and case numbers' retrieval codes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("operator", "dispatcher", "department", "supervisor", "auditor", "admin")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.ForeignKeyConstraint(
            ["department"], ["departments.id"], name="fk_users_department_departments"
        ),
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{role}'" for role in ROLES) + ")", name="ck_users_role"
        ),
        sa.CheckConstraint(
            "(role = 'department' AND department IS NOT NULL)"
            " OR (role <> 'department' AND department IS NULL)",
            name="ck_users_department",
        ),
    )
    op.create_index("ix_users_department", "users", ["department"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("revoked_at", _ts(), nullable=True),
        sa.Column("last_used_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "access_log",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("fields", _json(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
        sa.CheckConstraint("action IN ('view', 'export')", name="ck_access_log_action"),
    )
    op.create_index("ix_access_log_case_no_at", "access_log", ["case_no", "at"])
    op.create_index("ix_access_log_user_id_at", "access_log", ["user_id", "at"])

    with op.batch_alter_table("case_numbers") as batch:
        batch.add_column(sa.Column("retrieval_code", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_numbers") as batch:
        batch.drop_column("retrieval_code")
    op.drop_index("ix_access_log_user_id_at", table_name="access_log")
    op.drop_index("ix_access_log_case_no_at", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_users_department", table_name="users")
    op.drop_table("users")
