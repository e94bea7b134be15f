"""Builders of knowledge-base test data: departments and the fields of realistic articles."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from typing import Any

from db.engine import SessionFactory
from db.tables import DepartmentRow
from knowledge.phrases import PhraseEdit, PhraseUnchangedError, set_phrase
from models.enums import MaterialType, Situation
from models.knowledge import ArticleFields

DEPARTMENT = "gy-civil-affairs"


def add_department(sessions: SessionFactory, department: str = DEPARTMENT) -> str:
    """The department, created if the database does not have it yet."""
    with sessions.begin() as session:
        if session.get(DepartmentRow, department) is None:
            session.add(
                DepartmentRow(
                    id=department, name=f"{department} 部门", kind="functional", active=True
                )
            )
    return department


def low_income_fields(**changes: Any) -> ArticleFields:
    """A 低保 service guide; a unique title unless one is given."""
    values: dict[str, Any] = dict(
        category_path="民政/社会救助/低保",
        title=f"城乡居民最低生活保障申请指南 {uuid.uuid4().hex[:8]}",
        content=(
            "申请低保需提交：户口簿、身份证、家庭收入证明、家庭财产申报表。"
            "向户籍所在地乡镇（街道）社会救助窗口提出申请，审核审批时限为30个工作日。"
        ),
        issuing_unit="贵阳市民政局",
        material_type=MaterialType.SERVICE_GUIDE,
        keywords=["低保", "最低生活保障", "社会救助"],
        department=DEPARTMENT,
        effective_from=date(2026, 1, 1),
        review_by=date(2026, 12, 31),
    )
    values.update(changes)
    return ArticleFields.model_validate(values)


def forbid(sessions: SessionFactory, key: str, expression: str) -> None:
    """Put `expression` on the forbidden list (an emptied test database has no starter set)."""
    edit = PhraseEdit(situation=Situation.FORBIDDEN, key=key, text=expression, by="test")
    with contextlib.suppress(PhraseUnchangedError):
        set_phrase(sessions, edit)
