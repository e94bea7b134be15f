"""SQL tables of service evaluation (domain §9): the per-case facts the indicators need.

`case_facts` holds, one row per case, what the projection in `cases` does not: counts of
dispatches, returns, replies and approved extensions, whether the lead department let its
sign-off or handling limit pass, whether a callback was required. It is derived from the
transition log only (`evaluation.facts`): the store updates it in the same transaction as each
newly written log row, and migration 0010 built it once from the log that existed before.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import CASE_NO, Base, CaseRow


class CaseFactsRow(Base):
    """What the transition log says about one case, for the indicators of `rules.evaluation`.

    "Since the last dispatch" columns describe the case's current lead department (a dispatch
    after an approved return starts them again); the other counts cover the whole case.
    """

    __tablename__ = "case_facts"

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    # Whole case.
    dispatches: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    returns: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    returns_rejected: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    returns_approved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    extensions_approved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    replies: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    replies_late: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reopens: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    callback_required: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Since the last dispatch (the current lead department's clocks).
    last_dispatch_seq: Mapped[int | None] = mapped_column(Integer)
    sign_off_overdue: Mapped[bool] = mapped_column(Boolean, server_default=false())
    handling_overdue: Mapped[bool] = mapped_column(Boolean, server_default=false())


# Closure-based indicators select cases by `closed_at` in the period (rules.evaluation), then
# group them: without this index every report scans the whole projection.
CASES_CLOSED_AT = Index("ix_cases_closed_at", CaseRow.__table__.c.closed_at)
