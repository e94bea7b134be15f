"""The demo seed: the Guiyang handling units and dispatch catalogue that `hotline db seed`,
`make run` and the tests start from.

Idempotent: rows already there stay, so seeding twice (or over an edited catalogue) writes
only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from db.engine import SessionFactory, dialect_insert
from db.tables import CatalogueRow, DepartmentRow
from rules.dispatch import canonical_category

DEMO_DEPARTMENTS: Sequence[tuple[str, str, str, str | None]] = (
    ("gy-water", "贵阳市水务管理局", "functional", None),
    ("gy-housing", "贵阳市住房和城乡建设局", "functional", None),
    ("gy-market", "贵阳市市场监督管理局", "functional", None),
    ("gy-transport", "贵阳市交通委员会", "functional", None),
    ("gy-ecology", "贵阳市生态环境局", "functional", None),
    ("gy-civil", "贵阳市民政局", "functional", None),
    ("gy-hr", "贵阳市人力资源和社会保障局", "functional", None),
    ("gy-power", "贵阳供电局", "enterprise", None),
    ("yunyan-gov", "云岩区人民政府", "district_government", "云岩区"),
    ("nanming-gov", "南明区人民政府", "district_government", "南明区"),
    ("guanshanhu-gov", "观山湖区人民政府", "district_government", "观山湖区"),
)
"""(id, name, kind, district) of the demo handling units."""

DEMO_CATALOGUE: Sequence[tuple[str, str | None, str, tuple[str, ...], int]] = (
    ("城乡建设/供水", None, "gy-water", (), 0),
    ("城乡建设/供水/停水", None, "gy-water", (), 0),
    ("城乡建设/物业管理", None, "gy-housing", (), 0),
    ("城乡建设/房屋安全", None, "gy-housing", (), 0),
    ("市场监管/消费投诉", None, "gy-market", (), 0),
    ("市场监管/食品安全", None, "gy-market", (), 0),
    ("交通运输/出租车", None, "gy-transport", (), 0),
    ("交通运输/公交线路", None, "gy-transport", (), 0),
    ("生态环境/噪声污染", None, "gy-ecology", (), 0),
    ("生态环境/噪声污染", "云岩区", "yunyan-gov", ("gy-ecology",), 0),
    ("民政/社会救助/低保", None, "gy-civil", (), 0),
    ("劳动保障/欠薪", None, "gy-hr", ("gy-market",), 0),
    ("能源/供电/停电", None, "gy-power", (), 0),
)
"""(category, district or None for any, lead, assisting, priority) of the demo catalogue."""


@dataclass(frozen=True)
class SeedOutcome:
    departments_written: int
    catalogue_written: int


def seed_demo(session_factory: SessionFactory) -> SeedOutcome:
    """Insert the Guiyang demo departments and dispatch catalogue; rows already there stay."""
    catalogue = [
        dict(
            category=canonical_category(category),
            district=district,
            lead_department=lead,
            assisting_departments=list(assisting),
            priority=priority,
        )
        for category, district, lead, assisting, priority in DEMO_CATALOGUE
    ]
    departments = [
        dict(id=id_, name=name, kind=kind, district=district, liaison=None, active=True)
        for id_, name, kind, district in DEMO_DEPARTMENTS
    ]
    with session_factory.begin() as session:
        dialect = session.get_bind().dialect.name
        written_departments = session.execute(
            dialect_insert(dialect, DepartmentRow)
            .values(departments)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(DepartmentRow.id)
        ).all()
        # No conflict target: covers UNIQUE(category, district) and the any-district index.
        written_catalogue = session.execute(
            dialect_insert(dialect, CatalogueRow)
            .values(catalogue)
            .on_conflict_do_nothing()
            .returning(CatalogueRow.id)
        ).all()
    return SeedOutcome(len(written_departments), len(written_catalogue))
