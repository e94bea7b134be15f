"""Knowledge articles: submit, decide, publish, withdraw, read; every version kept.

A department submits `ArticleFields`, a new article or the next version of one, and the centre
decides on it (the review workflow calls `decide`). Approving a version publishes it: the
article row takes its fields and the search index is updated in the same transaction. Nothing
in `kb_article_versions` is ever changed but a version's decision, so who changed what and when
stays readable (`article_versions`, `knowledge.diff`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import SessionFactory
from db.knowledge_tables import (
    ArticleFlagRow,
    ArticleRow,
    ArticleUseRow,
    ArticleVersionRow,
)
from db.tables import DepartmentRow
from knowledge import index as search_index
from knowledge.phrases import forbidden_expressions
from models.enums import ArticleStatus, FlagReason, MaterialType, VersionState
from models.errors import ConflictError, HotlineError, NotFoundError, RefusedError
from models.knowledge import ArticleFields, ArticleVersion, Decision
from rules.phrases import find_forbidden

FIELD_NAMES: tuple[str, ...] = tuple(ArticleFields.model_fields)
IMPORTED_NOTE = "imported"


class ArticleError(HotlineError, ValueError):
    """A refused knowledge-base operation; `status_hint` is the HTTP status that fits it."""

    status_hint = 422


class ArticleNotFoundError(ArticleError, NotFoundError):
    status_hint = 404


def no_article(article_id: int) -> ArticleNotFoundError:
    """The one answer for an article that does not exist and for one the reader may not see
    (another department's draft or history): nothing tells the two apart."""
    return ArticleNotFoundError(f"no article {article_id}")


def flags_visible(view: ArticleView, sees_flags: bool) -> ArticleView:
    """The article with its open flags only for a reader who may see them (the owning
    department and the centre); others get an empty list."""
    return view if sees_flags else view.model_copy(update={"open_flags": []})


class ArticleConflictError(ArticleError, ConflictError):
    """The operation does not fit the article's current state (title taken, already decided)."""

    status_hint = 409


class ArticleRefusedError(ArticleError, RefusedError):
    """A field's value is refused by a rule that needs the database (or the phrase list)."""

    status_hint = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    article_id: int
    version: int
    title: str
    department: str
    submitted_at: datetime
    superseded_version: int | None


class Flag(BaseModel):
    id: int
    reason: FlagReason
    case_no: str | None
    detail: str | None
    raised_at: datetime


class ArticleView(BaseModel):
    """An article as readers see it: the published fields (or, before publication, the pending
    ones), its status, usage and open flags."""

    id: int
    title: str
    category_path: str
    content: str
    issuing_unit: str
    material_type: MaterialType
    keywords: list[str]
    department: str
    effective_from: date
    review_by: date
    expires_on: date | None
    status: ArticleStatus
    published_version: int | None
    latest_version: int
    uses: int
    open_flags: list[Flag]
    updated_at: datetime


# ---- writing ----------------------------------------------------------------------------------


def submit_article(
    sessions: SessionFactory,
    fields: ArticleFields,
    by: str,
    note: str | None = None,
    article_id: int | None = None,
    now: datetime | None = None,
) -> Submission:
    """A new article (`article_id` None) or the next version of one, pending the centre's review.

    An earlier version still pending is superseded by this one. Refused, with nothing written:
    an unknown department, a title another article has, forbidden wording, an unknown article.
    """
    now = now or datetime.now(UTC)
    _refuse_forbidden_wording(sessions, fields)
    with sessions.begin() as session:
        _require_department(session, fields.department)
        if article_id is None:
            article = _new_article(session, fields, now)
            superseded = None
        else:
            article = _article_for_update(session, article_id)
            superseded = _supersede_pending(session, article.id)
        taken = titles_taken(session, [fields.title], excluding=article.id)
        if taken:
            raise ArticleConflictError(f"title: another article is titled {fields.title!r}")
        version = article.latest_version + 1
        article.latest_version = version
        article.updated_at = now
        if article.status in (ArticleStatus.PENDING.value, ArticleStatus.REJECTED.value):
            # Never published: what readers of the draft see is the newest submission.
            copy_fields(article, fields)
            article.status = ArticleStatus.PENDING.value
        session.add(_version_row(article.id, version, VersionState.PENDING, fields, by, now, note))
        _flush_or_conflict(session, fields.title)
        return Submission(article.id, version, fields.title, fields.department, now, superseded)


def decide(
    sessions: SessionFactory,
    article_id: int,
    version: int,
    decision: Decision,
    now: datetime | None = None,
) -> ArticleVersion:
    """The centre's decision on a pending version: approving publishes it (and clears the
    article's open flags); rejecting keeps the reason for the department."""
    now = now or datetime.now(UTC)
    with sessions.begin() as session:
        # The article row first, as a submission does: a decision and a superseding submission
        # of the same article take turns instead of both succeeding.
        _article_for_update(
            session, article_id, missing=f"no version {version} of article {article_id}"
        )
        row = _version(session, article_id, version)
        if row.state != VersionState.PENDING.value:
            raise ArticleConflictError(
                f"article {article_id} version {version} is {row.state}, not pending: "
                "it cannot be decided again"
            )
        article = _article(session, article_id)
        row.decided_by = decision.by
        row.decided_at = now
        row.reason = decision.reason
        if decision.approve:
            row.state = VersionState.APPROVED.value
            _publish(session, article, _fields_of(row), version, now)
            clear_flags(session, article.id, decision.by, now)
        else:
            row.state = VersionState.REJECTED.value
            if article.status == ArticleStatus.PENDING.value:
                article.status = ArticleStatus.REJECTED.value
            article.updated_at = now
        _flush_or_conflict(session, row.title)
        return _version_model(row)


def publish_imported(session: Session, fields: ArticleFields, by: str, now: datetime) -> ArticleRow:
    """A new, published article from a city's existing knowledge base (bulk import), inside the
    caller's transaction: version 1, approved by the importer. The caller indexes the batch."""
    article = _new_article(session, fields, now)
    article.latest_version = 1
    article.status = ArticleStatus.PUBLISHED.value
    article.published_version = 1
    version = _version_row(article.id, 1, VersionState.APPROVED, fields, by, now, IMPORTED_NOTE)
    version.decided_by = by
    version.decided_at = now
    session.add(version)
    return article


def set_review_due(sessions: SessionFactory, article_id: int, version: int, due: datetime) -> None:
    """Record when the centre's review of a version is due (set by the review workflow)."""
    with sessions.begin() as session:
        _version(session, article_id, version).review_due = due


def withdraw_article(
    session: Session, article_id: int, by: str, reason: str, now: datetime
) -> bool:
    """Take a published article out of search (its versions stay); False if it was not published."""
    article = _article(session, article_id)
    if article.status != ArticleStatus.PUBLISHED.value:
        return False
    article.status = ArticleStatus.WITHDRAWN.value
    article.updated_at = now
    search_index.unindex_article(session, article_id)
    return True


def raise_flag(
    session: Session,
    article_id: int,
    reason: FlagReason,
    now: datetime,
    case_no: str | None = None,
    detail: str | None = None,
) -> bool:
    """Flag an article for its owner's review; False if the same flag is already open."""
    open_flag = session.scalars(
        select(ArticleFlagRow.id).where(
            ArticleFlagRow.article_id == article_id,
            ArticleFlagRow.reason == reason.value,
            ArticleFlagRow.cleared_at.is_(None),
            ArticleFlagRow.case_no.is_(None)
            if case_no is None
            else ArticleFlagRow.case_no == case_no,
        )
    ).first()
    if open_flag is not None:
        return False
    session.add(
        ArticleFlagRow(
            article_id=article_id,
            reason=reason.value,
            case_no=case_no,
            detail=detail,
            raised_at=now,
        )
    )
    return True


def clear_flags(session: Session, article_id: int, by: str, now: datetime) -> int:
    """Clear the article's open flags (a new version was approved); how many were open."""
    result = session.execute(
        update(ArticleFlagRow)
        .where(ArticleFlagRow.article_id == article_id, ArticleFlagRow.cleared_at.is_(None))
        .values(cleared_at=now, cleared_by=by)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- reading ----------------------------------------------------------------------------------


def get_article(sessions: SessionFactory, article_id: int) -> ArticleView:
    with sessions() as session:
        return _view(session, _article(session, article_id))


def list_articles(
    sessions: SessionFactory,
    status: ArticleStatus | None = None,
    department: str | None = None,
    flagged: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[ArticleView]:
    """Articles by id; `flagged` keeps those with an open flag."""
    query = select(ArticleRow).order_by(ArticleRow.id).limit(limit).offset(offset)
    if status is not None:
        query = query.where(ArticleRow.status == status.value)
    if department is not None:
        query = query.where(ArticleRow.department == department)
    if flagged:
        query = query.where(
            select(ArticleFlagRow.id)
            .where(ArticleFlagRow.article_id == ArticleRow.id, ArticleFlagRow.cleared_at.is_(None))
            .exists()
        )
    with sessions() as session:
        return _views(session, session.scalars(query).all())


def article_versions(sessions: SessionFactory, article_id: int) -> list[ArticleVersion]:
    """Every version of an article, oldest first."""
    with sessions() as session:
        _article(session, article_id)
        rows = session.scalars(
            select(ArticleVersionRow)
            .where(ArticleVersionRow.article_id == article_id)
            .order_by(ArticleVersionRow.version)
        )
        return [_version_model(row) for row in rows]


def article_version(sessions: SessionFactory, article_id: int, version: int) -> ArticleVersion:
    with sessions() as session:
        return _version_model(_version(session, article_id, version))


def pending_versions(
    sessions: SessionFactory, department: str | None = None
) -> list[ArticleVersion]:
    """The versions awaiting the centre's review, oldest submission first."""
    query = (
        select(ArticleVersionRow)
        .where(ArticleVersionRow.state == VersionState.PENDING.value)
        .order_by(ArticleVersionRow.submitted_at, ArticleVersionRow.id)
    )
    if department is not None:
        query = query.where(ArticleVersionRow.department == department)
    with sessions() as session:
        return [_version_model(row) for row in session.scalars(query)]


def departments_known(session: Session, ids: Iterable[str]) -> set[str]:
    """Which of these department ids exist."""
    wanted = set(ids)
    if not wanted:
        return set()
    return set(session.scalars(select(DepartmentRow.id).where(DepartmentRow.id.in_(wanted))))


def titles_taken(session: Session, titles: Iterable[str], excluding: int | None = None) -> set[str]:
    """Which of these titles an article already has, published or pending (other than the
    article `excluding`)."""
    wanted = set(titles)
    if not wanted:
        return set()
    articles = select(ArticleRow.title).where(ArticleRow.title.in_(wanted))
    pending = select(ArticleVersionRow.title).where(
        ArticleVersionRow.title.in_(wanted),
        ArticleVersionRow.state == VersionState.PENDING.value,
    )
    if excluding is not None:
        articles = articles.where(ArticleRow.id != excluding)
        pending = pending.where(ArticleVersionRow.article_id != excluding)
    return set(session.scalars(articles)) | set(session.scalars(pending))


def use_counts(session: Session, article_ids: Iterable[int]) -> dict[int, int]:
    wanted = set(article_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(ArticleUseRow.article_id, func.count())
        .where(ArticleUseRow.article_id.in_(wanted))
        .group_by(ArticleUseRow.article_id)
    )
    return {int(article_id): int(count) for article_id, count in rows}


# ---- private ----------------------------------------------------------------------------------


def _refuse_forbidden_wording(sessions: SessionFactory, fields: ArticleFields) -> None:
    forbidden = forbidden_expressions(sessions)
    for field in ("title", "content"):
        findings = find_forbidden(getattr(fields, field), forbidden)
        if findings:
            listed = "; ".join(finding.plain() for finding in findings)
            raise ArticleRefusedError(field, f"forbidden wording: {listed}")


def _require_department(session: Session, department: str) -> None:
    if not departments_known(session, [department]):
        raise ArticleRefusedError("department", f"no department {department!r}")


def _new_article(session: Session, fields: ArticleFields, now: datetime) -> ArticleRow:
    article = ArticleRow(
        status=ArticleStatus.PENDING.value,
        published_version=None,
        latest_version=0,
        created_at=now,
        updated_at=now,
    )
    copy_fields(article, fields)
    session.add(article)
    _flush_or_conflict(session, fields.title)
    return article


def _article_for_update(
    session: Session, article_id: int, missing: str | None = None
) -> ArticleRow:
    article = session.get(ArticleRow, article_id, with_for_update=True)
    if article is None:
        raise ArticleNotFoundError(missing) if missing else no_article(article_id)
    return article


def _supersede_pending(session: Session, article_id: int) -> int | None:
    pending = session.scalars(
        select(ArticleVersionRow).where(
            ArticleVersionRow.article_id == article_id,
            ArticleVersionRow.state == VersionState.PENDING.value,
        )
    ).all()
    for row in pending:
        row.state = VersionState.SUPERSEDED.value
    return max((row.version for row in pending), default=None)


def _publish(
    session: Session, article: ArticleRow, fields: ArticleFields, version: int, now: datetime
) -> None:
    copy_fields(article, fields)
    article.status = ArticleStatus.PUBLISHED.value
    article.published_version = version
    article.updated_at = now
    _flush_or_conflict(session, fields.title)
    search_index.index_article(session, article)


def _flush_or_conflict(session: Session, title: str) -> None:
    try:
        session.flush()
    except IntegrityError as err:  # the unique title, taken by a concurrent submission
        raise ArticleConflictError(f"title: another article is titled {title!r}") from err


def copy_fields(article: ArticleRow, fields: ArticleFields) -> None:
    """Put the fields of a version on the article row (what readers and search see)."""
    article.title = fields.title
    article.category_path = fields.category_path
    article.content = fields.content
    article.issuing_unit = fields.issuing_unit
    article.material_type = fields.material_type.value
    article.keywords = list(fields.keywords)
    article.department = fields.department
    article.effective_from = fields.effective_from
    article.review_by = fields.review_by
    article.expires_on = fields.expires_on


def _version_row(
    article_id: int,
    version: int,
    state: VersionState,
    fields: ArticleFields,
    by: str,
    now: datetime,
    note: str | None,
) -> ArticleVersionRow:
    return ArticleVersionRow(
        article_id=article_id,
        version=version,
        state=state.value,
        title=fields.title,
        category_path=fields.category_path,
        content=fields.content,
        issuing_unit=fields.issuing_unit,
        material_type=fields.material_type.value,
        keywords=list(fields.keywords),
        department=fields.department,
        effective_from=fields.effective_from,
        review_by=fields.review_by,
        expires_on=fields.expires_on,
        note=note,
        submitted_by=by,
        submitted_at=now,
    )


def _article(session: Session, article_id: int) -> ArticleRow:
    article = session.get(ArticleRow, article_id)
    if article is None:
        raise no_article(article_id)
    return article


def _version(session: Session, article_id: int, version: int) -> ArticleVersionRow:
    row = session.scalars(
        select(ArticleVersionRow).where(
            ArticleVersionRow.article_id == article_id, ArticleVersionRow.version == version
        )
    ).first()
    if row is None:
        raise ArticleNotFoundError(f"no version {version} of article {article_id}")
    return row


def _fields_of(row: ArticleVersionRow | ArticleRow) -> ArticleFields:
    return ArticleFields.model_validate({name: getattr(row, name) for name in FIELD_NAMES})


def _version_model(row: ArticleVersionRow) -> ArticleVersion:
    values = {name: getattr(row, name) for name in FIELD_NAMES}
    values["material_type"] = MaterialType(row.material_type)
    return ArticleVersion.model_construct(
        **values,
        article_id=row.article_id,
        version=row.version,
        state=VersionState(row.state),
        note=row.note,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        review_due=row.review_due,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
    )


def _view(session: Session, row: ArticleRow) -> ArticleView:
    return _views(session, [row])[0]


def _views(session: Session, rows: Sequence[ArticleRow]) -> list[ArticleView]:
    """The views of `rows`, their uses and open flags read in one query each."""
    ids = [row.id for row in rows]
    uses = use_counts(session, ids)
    flags: dict[int, list[Flag]] = {article_id: [] for article_id in ids}
    if ids:
        for flag in session.scalars(
            select(ArticleFlagRow)
            .where(ArticleFlagRow.article_id.in_(ids), ArticleFlagRow.cleared_at.is_(None))
            .order_by(ArticleFlagRow.id)
        ):
            flags[flag.article_id].append(
                Flag(
                    id=flag.id,
                    reason=FlagReason(flag.reason),
                    case_no=flag.case_no,
                    detail=flag.detail,
                    raised_at=flag.raised_at,
                )
            )
    return [
        ArticleView(
            id=row.id,
            title=row.title,
            category_path=row.category_path,
            content=row.content,
            issuing_unit=row.issuing_unit,
            material_type=MaterialType(row.material_type),
            keywords=list(row.keywords),
            department=row.department,
            effective_from=row.effective_from,
            review_by=row.review_by,
            expires_on=row.expires_on,
            status=ArticleStatus(row.status),
            published_version=row.published_version,
            latest_version=row.latest_version,
            uses=uses.get(row.id, 0),
            open_flags=flags[row.id],
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def article_id_of(reference: object) -> int | None:
    """The article a direct answer's reference names (an article's number), or None."""
    text = str(reference)
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


def unpublished_references(sessions: SessionFactory, references: Sequence[str]) -> list[str]:
    """The references (as a direct answer names them) that are not a published article's id."""
    ids = {aid for ref in references if (aid := article_id_of(ref)) is not None}
    published: set[int] = set()
    if ids:
        with sessions() as session:
            published = set(
                session.scalars(
                    select(ArticleRow.id).where(
                        ArticleRow.id.in_(ids), ArticleRow.status == ArticleStatus.PUBLISHED.value
                    )
                )
            )
    return [ref for ref in references if article_id_of(ref) not in published]


def withdraw(sessions: SessionFactory, article_id: int, by: str, reason: str) -> ArticleView:
    """The centre takes a published article out of search; ArticleConflictError if it is not
    published. The reason is kept as a flag for the owner."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        if not withdraw_article(session, article_id, by, reason, now):
            status = _article(session, article_id).status
            raise ArticleConflictError(f"article {article_id} is {status}, not published")
        raise_flag(session, article_id, FlagReason.WITHDRAWN, now, detail=f"{by}: {reason}")
        return _view(session, _article(session, article_id))
