"""What changed between two versions of an article: each changed field, and for the long text
fields the inserted and deleted passages (character level: Chinese text has no spaces to split on).
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, Literal

from pydantic import BaseModel

from db.engine import SessionFactory
from knowledge.articles import FIELD_NAMES, article_version
from models.knowledge import ArticleVersion

TEXT_FIELDS = ("title", "content")
CONTEXT = 20  # characters of unchanged text kept around each change


class Segment(BaseModel):
    """A run of the new text relative to the old: kept (abridged), inserted or deleted."""

    op: Literal["equal", "insert", "delete"]
    text: str


class FieldChange(BaseModel):
    field: str
    old: Any
    new: Any
    segments: list[Segment] | None = None  # for title and content


class VersionDiff(BaseModel):
    article_id: int
    from_version: int
    to_version: int
    changes: list[FieldChange]


def version_diff(
    sessions: SessionFactory, article_id: int, from_version: int, to_version: int
) -> VersionDiff:
    """The changes from one version of an article to another (either order)."""
    old = article_version(sessions, article_id, from_version)
    new = article_version(sessions, article_id, to_version)
    return diff_versions(old, new)


def diff_versions(old: ArticleVersion, new: ArticleVersion) -> VersionDiff:
    changes: list[FieldChange] = []
    for field in FIELD_NAMES:
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue
        segments = text_segments(before, after) if field in TEXT_FIELDS else None
        changes.append(
            FieldChange(field=field, old=_plain(before), new=_plain(after), segments=segments)
        )
    return VersionDiff(
        article_id=new.article_id,
        from_version=old.version,
        to_version=new.version,
        changes=changes,
    )


def text_segments(old: str, new: str) -> list[Segment]:
    """Character-level changes from `old` to `new`; long unchanged runs abridged with '…'."""
    segments: list[Segment] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            kept = old[i1:i2]
            if len(kept) > 2 * CONTEXT + 1:
                kept = kept[:CONTEXT] + "…" + kept[-CONTEXT:]
            segments.append(Segment(op="equal", text=kept))
            continue
        if i2 > i1:
            segments.append(Segment(op="delete", text=old[i1:i2]))
        if j2 > j1:
            segments.append(Segment(op="insert", text=new[j1:j2]))
    return segments


def render_plain(diff: VersionDiff) -> list[str]:
    """The diff as lines for a terminal: [-deleted-] and {+inserted+} inside the text fields."""
    lines = [f"article {diff.article_id}: version {diff.from_version} → {diff.to_version}"]
    if not diff.changes:
        lines.append("  no field changed")
    for change in diff.changes:
        if change.segments is None:
            lines.append(f"  {change.field}: {change.old} → {change.new}")
            continue
        marked = "".join(
            segment.text
            if segment.op == "equal"
            else (f"[-{segment.text}-]" if segment.op == "delete" else f"{{+{segment.text}+}}")
            for segment in change.segments
        )
        lines.append(f"  {change.field}: {marked}")
    return lines


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value
