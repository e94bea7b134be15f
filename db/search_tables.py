"""SQL tables of the knowledge base's Chinese full-text search index (see `knowledge.index`).

`kb_postings` is the inverted index: one row per (term, published article) with the article's
weight for that term, the sum over its fields (keywords, title, category path, content) of
field weight × capped term frequency, fixed when the article is indexed. The primary key starts
with the term, so the postings of a query's terms are one range scan each (index-only: the table
is the index on SQLite, the weight is an included column on PostgreSQL). `kb_terms` counts the
articles each term occurs in (its document frequency), and under the empty term the number of
indexed articles, so a query's idf needs no count over the postings.

The index is derived data: `knowledge.index.reindex_all` rebuilds it from `kb_articles`, which
is why it carries no foreign key (bulk indexing writes millions of rows).
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import Base, big_id

TERM = 40
"""Longest term (characters); `knowledge.tokenize.MAX_TERM` cuts to it."""
ALL_ARTICLES = ""
"""The `kb_terms` row whose `df` is the number of indexed articles."""


class PostingRow(Base):
    """One term of one published article, with the article's weight for it."""

    __tablename__ = "kb_postings"
    __table_args__ = (
        PrimaryKeyConstraint("term", "article_id", postgresql_include=["weight"]),
        Index(None, "article_id"),
        {"sqlite_with_rowid": False},
    )

    term: Mapped[str] = mapped_column(String(TERM))
    article_id: Mapped[int] = mapped_column(big_id())
    weight: Mapped[int] = mapped_column(SmallInteger)


class TermRow(Base):
    """How many indexed articles a term occurs in (`ALL_ARTICLES`: how many are indexed)."""

    __tablename__ = "kb_terms"
    __table_args__ = ({"sqlite_with_rowid": False},)

    term: Mapped[str] = mapped_column(String(TERM), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)
