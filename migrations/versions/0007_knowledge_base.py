"""Knowledge base: articles with every version, flags, reminders, usage by cases, evaluations of
direct answers and suggestions from consultation replies.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MATERIAL_TYPES = (
    "service_guide",
    "law_regulation",
    "hot_qa",
    "daily_consultation",
    "notice",
    "business_guidance",
)
SATISFACTIONS = (
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "very_dissatisfied",
)
MATERIAL_TYPE_CHECK = "material_type IN (" + ", ".join(f"'{v}'" for v in MATERIAL_TYPES) + ")"
SATISFACTION_CHECK = "satisfaction IN (" + ", ".join(f"'{v}'" for v in SATISFACTIONS) + ")"


def upgrade() -> None:
    op.create_table(
        "answer_evaluations",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("satisfaction", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            SATISFACTION_CHECK,
            name=op.f("ck_answer_evaluations_satisfaction"),
        ),
        sa.CheckConstraint(
            "source IN ('ivr', 'callback')", name=op.f("ck_answer_evaluations_source")
        ),
        sa.PrimaryKeyConstraint("case_no", name=op.f("pk_answer_evaluations")),
    )
    op.create_table(
        "kb_reminders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "articles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_reminders")),
        sa.UniqueConstraint("event_key", name=op.f("uq_kb_reminders_event_key")),
    )
    op.create_index(op.f("ix_kb_reminders_sent_at"), "kb_reminders", ["sent_at"], unique=False)
    op.create_table(
        "kb_articles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("category_path", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("issuing_unit", sa.String(length=128), nullable=False),
        sa.Column("material_type", sa.String(length=32), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            MATERIAL_TYPE_CHECK,
            name=op.f("ck_kb_articles_material_type"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'rejected', 'withdrawn')",
            name=op.f("ck_kb_articles_status"),
        ),
        sa.ForeignKeyConstraint(
            ["department"], ["departments.id"], name=op.f("fk_kb_articles_department_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("title", name=op.f("uq_kb_articles_title")),
    )
    op.create_index(
        op.f("ix_kb_articles_category_path"), "kb_articles", ["category_path"], unique=False
    )
    op.create_index(
        op.f("ix_kb_articles_department_status"),
        "kb_articles",
        ["department", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_kb_articles_status_review_by"),
        "kb_articles",
        ["status", "review_by"],
        unique=False,
    )
    op.create_table(
        "kb_suggestions",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "state IN ('open', 'accepted', 'dismissed')", name=op.f("ck_kb_suggestions_state")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_suggestions_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("case_no", name=op.f("pk_kb_suggestions")),
    )
    op.create_index(
        op.f("ix_kb_suggestions_department_state"),
        "kb_suggestions",
        ["department", "state"],
        unique=False,
    )
    op.create_table(
        "kb_article_flags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("case_no", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "reason IN ('stale', 'dissatisfied', 'expired', 'withdrawn')",
            name=op.f("ck_kb_article_flags_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_flags_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_flags")),
    )
    op.create_index(
        op.f("ix_kb_article_flags_article_id_cleared_at"),
        "kb_article_flags",
        ["article_id", "cleared_at"],
        unique=False,
    )
    op.create_table(
        "kb_article_uses",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_uses_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("case_no", "article_id", name=op.f("pk_kb_article_uses")),
    )
    op.create_index(
        op.f("ix_kb_article_uses_article_id"), "kb_article_uses", ["article_id"], unique=False
    )
    op.create_table(
        "kb_article_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("category_path", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("issuing_unit", sa.String(length=128), nullable=False),
        sa.Column("material_type", sa.String(length=32), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            MATERIAL_TYPE_CHECK,
            name=op.f("ck_kb_article_versions_material_type"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'superseded')",
            name=op.f("ck_kb_article_versions_state"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_versions_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_versions")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_kb_article_versions_article_id_version")
        ),
    )
    op.create_index(
        op.f("ix_kb_article_versions_state_submitted_at"),
        "kb_article_versions",
        ["state", "submitted_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_suggestions_department_state"), table_name="kb_suggestions")
    op.drop_table("kb_suggestions")
    op.drop_index(
        op.f("ix_kb_article_versions_state_submitted_at"), table_name="kb_article_versions"
    )
    op.drop_table("kb_article_versions")
    op.drop_index(op.f("ix_kb_article_uses_article_id"), table_name="kb_article_uses")
    op.drop_table("kb_article_uses")
    op.drop_index(op.f("ix_kb_article_flags_article_id_cleared_at"), table_name="kb_article_flags")
    op.drop_table("kb_article_flags")
    op.drop_index(op.f("ix_kb_articles_status_review_by"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_department_status"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_category_path"), table_name="kb_articles")
    op.drop_table("kb_articles")
    op.drop_index(op.f("ix_kb_reminders_sent_at"), table_name="kb_reminders")
    op.drop_table("kb_reminders")
    op.drop_table("answer_evaluations")
