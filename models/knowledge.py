"""The fields of a knowledge article (domain §8) and their rules, shared by API, CLI and import.

A department submits `ArticleFields` (a new article or the next version of one); the centre
reviews it; only approved versions are published. Every rule here gives a message that names the
field and the reason, because a city's import file or a department's form must be fixable from it.

Below the fields: the messages of the review and sweep workflows and their activities (their
payloads: a name or field changed here changes what the engine stores).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.enums import MaterialType, VersionState
from models.text import CleanText

MAX_TITLE = 128
MAX_KEYWORD = 20
MAX_KEYWORDS = 20
MAX_CONTENT = 20_000
MAX_CATEGORY_PATH = 200
MAX_CATEGORY_LEVELS = 6
MAX_CATEGORY_SEGMENT = 32
MAX_ISSUING_UNIT = 128
KEYWORD_SEPARATORS = ";；、"
DEPARTMENT_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"

Keyword = Annotated[str, Field(min_length=1, max_length=MAX_KEYWORD)]


class ArticleFields(CleanText):
    """One version of an article as its department writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category_path: str = Field(
        min_length=1,
        max_length=MAX_CATEGORY_PATH,
        description="levels separated by '/', e.g. 民政/社会救助/低保",
    )
    title: str = Field(min_length=1, max_length=MAX_TITLE, description="unique among articles")
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    issuing_unit: str = Field(min_length=1, max_length=MAX_ISSUING_UNIT, description="发文单位")
    material_type: MaterialType
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    department: str = Field(pattern=DEPARTMENT_PATTERN, description="owning department's id")
    effective_from: date
    review_by: date = Field(description="the owner reviews the article by this date")
    expires_on: date | None = Field(
        default=None, description="the policy's end of validity: withdrawn from search after it"
    )

    @field_validator("category_path")
    @classmethod
    def _category_levels(cls, value: str) -> str:
        levels = [level.strip() for level in value.split("/")]
        if any(not level for level in levels):
            raise ValueError("has an empty level: write levels like 民政/社会救助/低保")
        if len(levels) > MAX_CATEGORY_LEVELS:
            raise ValueError(f"has {len(levels)} levels; at most {MAX_CATEGORY_LEVELS}")
        long = [level for level in levels if len(level) > MAX_CATEGORY_SEGMENT]
        if long:
            raise ValueError(f"level {long[0]!r} is longer than {MAX_CATEGORY_SEGMENT} characters")
        return "/".join(levels)

    @field_validator("keywords")
    @classmethod
    def _distinct_keywords(cls, value: list[str]) -> list[str]:
        stripped = [keyword.strip() for keyword in value]
        if any(not keyword for keyword in stripped):
            raise ValueError("a keyword is empty")
        for keyword in stripped:
            separator = next((c for c in KEYWORD_SEPARATORS if c in keyword), None)
            if separator is not None:
                raise ValueError(
                    f"keyword {keyword!r} contains {separator!r}, which separates keywords in a "
                    "file: give each keyword separately"
                )
        seen: set[str] = set()
        for keyword in stripped:
            if keyword in seen:
                raise ValueError(f"keyword {keyword!r} is given twice")
            seen.add(keyword)
        return stripped

    @model_validator(mode="after")
    def _keywords_and_dates(self) -> Self:
        if self.title in self.keywords:
            raise ValueError(f"keywords: {self.title!r} equals the title; a keyword must add to it")
        if self.review_by < self.effective_from:
            raise ValueError(
                f"review_by: {self.review_by} is before effective_from {self.effective_from}"
            )
        if self.expires_on is not None and self.expires_on <= self.effective_from:
            raise ValueError(
                f"expires_on: {self.expires_on} is not after effective_from {self.effective_from}"
            )
        return self


class Decision(CleanText):
    """The centre's review decision on one submitted version."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str | None = Field(
        default=None, max_length=1000, description="required when rejecting: what to fix"
    )
    by: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _reason_when_rejecting(self) -> Self:
        if not self.approve and not (self.reason and self.reason.strip()):
            raise ValueError("reason: a rejection needs a reason the department can act on")
        return self


class ArticleVersion(ArticleFields):
    """One submitted version with the decision on it."""

    article_id: int
    version: int
    state: VersionState
    note: str | None
    submitted_by: str
    submitted_at: datetime
    review_due: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


# ---- the review workflow's messages -----------------------------------------------------------


class ReviewRequest(BaseModel):
    """The version to review, as submitted."""

    article_id: int
    version: int
    department: str
    title: str
    submitted_at: datetime


class ReviewPlan(BaseModel):
    """The review's times, computed once on the working-day calendar, and the version's state
    when they were recorded (not pending: decided or superseded before its review started)."""

    state: VersionState = VersionState.PENDING
    due: datetime
    warn_at: datetime | None
    overdue_at: list[datetime]
    calendar_warnings: list[str] = Field(default_factory=list)


class AppliedDecision(BaseModel):
    """The decision activity's input: which version, what decision, when."""

    article_id: int
    version: int
    decision: Decision
    at: datetime


class ReviewStatus(BaseModel):
    """Where the review stands (the `status` Query, and the workflow's result)."""

    article_id: int
    version: int
    department: str
    title: str
    state: VersionState
    plan: ReviewPlan | None
    deciding: bool
    decided_by: str | None
    reason: str | None
    reminders: list[str]  # event keys of the reminders this review wrote


class NewReminder(BaseModel):
    """One reminder to a department (its id) or to the centre ("centre")."""

    event_key: str = Field(min_length=1, max_length=255)
    recipient: str = Field(min_length=1)
    subject: str
    body: str
    articles: list[int] = Field(default_factory=list)
    at: datetime


# ---- the weekly sweep's messages --------------------------------------------------------------


class SweepRequest(BaseModel):
    """What to sweep; the Schedule passes the defaults."""

    today: date | None = None  # None: the local date the sweep runs on
    departments: list[str] | None = None  # None: every department


class SweepScope(BaseModel):
    """One sweep step's input: the local date it works for, its time, its departments."""

    today: date
    at: datetime
    departments: list[str] | None = None  # None: every department


class ExpirySweep(BaseModel):
    withdrawn: list[int] = Field(default_factory=list)
    reminders: int = 0


class StaleSweep(BaseModel):
    stale: list[int] = Field(default_factory=list)
    flagged: int = 0  # new STALE flags (an article still flagged from last week counts once)
    reminders: int = 0


class SweepResult(BaseModel):
    today: date
    withdrawn: int  # expired articles taken out of search
    expiry_reminders: int
    stale: int  # published articles past their review-by date
    flagged: int  # of them, newly flagged this run
    stale_reminders: int
    withdrawn_articles: list[int]
    stale_articles: list[int]
    rearmed_reviews: list[int] = Field(default_factory=list)  # articles whose review restarted
