"""The centre's reference data: departments and the dispatch catalogue (list, save, add).

The API (`api/routes/admin.py`) and the console's administrator pages both call these, so a
department or a catalogue entry is checked and written one way. A refused write names the field
and the reason (`ReferenceRefused`, the API's 422) or says what is stored already
(`CatalogueConflict`, the API's 409); nothing is written then.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory
from db.tables import CatalogueRow, DepartmentRow
from models.errors import ConflictError, RefusedError
from models.text import CleanText

DEPARTMENT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"
DepartmentId = Annotated[str, Field(pattern=DEPARTMENT_ID_PATTERN)]
DepartmentKind = Literal["functional", "district_government", "enterprise"]


class Department(CleanText):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: DepartmentId
    name: str = Field(min_length=1, max_length=64)
    kind: DepartmentKind
    district: str | None = Field(default=None, max_length=64)
    liaison: str | None = Field(default=None, max_length=64)
    active: bool = True


class CatalogueEntry(CleanText):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: int | None = None
    category: str = Field(min_length=1, max_length=128)
    district: str | None = Field(default=None, max_length=64, description="None: any district")
    lead_department: DepartmentId
    assisting_departments: list[DepartmentId] = Field(default_factory=list, max_length=10)
    priority: int = 0


class ReferenceRefused(RefusedError, ValueError):
    """A write the reference data refuses: `field` names the field, the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class CatalogueConflict(ConflictError, ValueError):
    """The catalogue already has an entry for this category and district."""


def list_departments(sessions: SessionFactory) -> list[Department]:
    """Every department, active or not, by id."""
    with sessions() as session:
        rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.id))
        return [Department.model_validate(row) for row in rows]


def save_department(sessions: SessionFactory, department: Department) -> Department:
    """Create a department or change one (deactivate it with `active=False`)."""
    with sessions.begin() as session:
        row = session.get(DepartmentRow, department.id)
        if row is None:
            row = DepartmentRow(id=department.id)
            session.add(row)
        for name, value in department.model_dump(exclude={"id"}).items():
            setattr(row, name, value)
    return department


def list_catalogue(sessions: SessionFactory) -> list[CatalogueEntry]:
    """Every catalogue entry, by category."""
    with sessions() as session:
        rows = session.scalars(select(CatalogueRow).order_by(CatalogueRow.category))
        return [CatalogueEntry.model_validate(row) for row in rows]


def add_catalogue_entry(sessions: SessionFactory, entry: CatalogueEntry) -> CatalogueEntry:
    """Add an entry: ReferenceRefused for an unknown department (lead or assisting) or a lead
    that also assists, CatalogueConflict if the category already has an entry for that
    district."""
    if entry.lead_department in entry.assisting_departments:
        raise ReferenceRefused(
            "assisting_departments", f"the lead department {entry.lead_department} cannot assist"
        )
    try:
        with sessions.begin() as session:
            known = set(session.scalars(select(DepartmentRow.id)))
            if entry.lead_department not in known:
                raise ReferenceRefused(
                    "lead_department", f"unknown department {entry.lead_department}"
                )
            unknown = [d for d in entry.assisting_departments if d not in known]
            if unknown:
                raise ReferenceRefused("assisting_departments", f"unknown department {unknown[0]}")
            row = CatalogueRow(**entry.model_dump(exclude={"id"}))
            session.add(row)
            session.flush()
            return CatalogueEntry.model_validate(row)
    except IntegrityError as err:
        raise CatalogueConflict(
            f"category {entry.category} already has an entry for this district"
        ) from err
