"""Keeping the search index (`db.search_tables`) in step with the published articles.

An article's postings are its distinct terms (`knowledge.tokenize`) with one weight each: the sum
over its fields of field weight × term frequency capped per field, keywords weighing most, then
the title, the category path and the content. Each whole keyword is a term of its own too, so a
query fragment equal to a keyword scores it. `kb_terms` keeps each term's document frequency and
the number of indexed articles; every change here adjusts them in the caller's transaction
(terms in sorted order, so concurrent publications lock rows in one order).

Only PUBLISHED articles are indexed: `index_article` of any other article removes it.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from db.engine import SessionFactory, dialect_insert
from db.knowledge_tables import ArticleRow
from db.search_tables import ALL_ARTICLES, PostingRow, TermRow
from knowledge.tokenize import term_counts, whole_term
from models.enums import ArticleStatus

KEYWORD_WEIGHT, KEYWORD_CAP = 10, 2
TITLE_WEIGHT, TITLE_CAP = 6, 2
CATEGORY_WEIGHT, CATEGORY_CAP = 3, 1
CONTENT_WEIGHT, CONTENT_CAP = 1, 4
WHOLE_KEYWORD_WEIGHT = 12
MAX_WEIGHT = (
    KEYWORD_WEIGHT * KEYWORD_CAP
    + TITLE_WEIGHT * TITLE_CAP
    + CATEGORY_WEIGHT * CATEGORY_CAP
    + CONTENT_WEIGHT * CONTENT_CAP
    + WHOLE_KEYWORD_WEIGHT
)
"""The most an article's weight for one term can be (search bounds scores with it)."""
BATCH = 1000
_ID_CHUNK = 500

postings = cast(Table, PostingRow.__table__)
term_stats = cast(Table, TermRow.__table__)


@dataclass(frozen=True)
class IndexedText:
    """The fields of an article that search reads."""

    title: str
    category_path: str
    content: str
    keywords: Sequence[str]


def article_weights(text: IndexedText) -> dict[str, int]:
    """Each distinct term of the article with its weight (see the module docstring)."""
    weights: Counter[str] = Counter()
    keyword_tf: Counter[str] = Counter()
    for keyword in text.keywords:
        keyword_tf.update(term_counts(keyword))
        whole = whole_term(keyword)
        if whole is not None:
            weights[whole] += WHOLE_KEYWORD_WEIGHT
    category_tf: Counter[str] = Counter()
    for level in text.category_path.split("/"):
        category_tf.update(term_counts(level))
    for counts, weight, cap in (
        (keyword_tf, KEYWORD_WEIGHT, KEYWORD_CAP),
        (term_counts(text.title), TITLE_WEIGHT, TITLE_CAP),
        (category_tf, CATEGORY_WEIGHT, CATEGORY_CAP),
        (term_counts(text.content), CONTENT_WEIGHT, CONTENT_CAP),
    ):
        for term, tf in counts.items():
            weights[term] += weight * min(tf, cap)
    return {term: min(weight, MAX_WEIGHT) for term, weight in weights.items()}


def indexed_text(article: ArticleRow) -> IndexedText:
    return IndexedText(
        title=article.title,
        category_path=article.category_path,
        content=article.content,
        keywords=list(article.keywords or []),
    )


def index_article(session: Session, article: ArticleRow) -> None:
    """Replace the article's postings (remove them if it is not published)."""
    index_articles(session, [article])


def index_articles(session: Session, articles: Sequence[ArticleRow]) -> None:
    """`index_article` for many articles at once (bulk import): a few executemany statements."""
    if any(article.id is None for article in articles):
        session.flush()
    ids = sorted({article.id for article in articles})
    df = _remove(session, ids)
    published = {
        article.id: indexed_text(article)
        for article in articles
        if article.status == ArticleStatus.PUBLISHED.value
    }
    df.update(_insert_postings(session, published))
    _apply_df(session, df)


def unindex_article(session: Session, article_id: int) -> None:
    """Remove the article from the index (withdrawn, expired or taken back)."""
    _apply_df(session, _remove(session, [article_id]))


def reindex_all(sessions: SessionFactory) -> int:
    """Rebuild the whole index from the published articles in one transaction; their count.

    The postings are gathered in memory by term (about 16 bytes each) and written in term order,
    so the index is built by appending: COPY on PostgreSQL, executemany elsewhere.
    """
    columns = (
        ArticleRow.id,
        ArticleRow.title,
        ArticleRow.category_path,
        ArticleRow.content,
        ArticleRow.keywords,
    )
    query = (
        select(*columns)
        .where(ArticleRow.status == ArticleStatus.PUBLISHED.value)
        .order_by(ArticleRow.id)
        .execution_options(yield_per=BATCH)
    )
    by_term: dict[str, array[int]] = {}
    articles = 0
    with sessions.begin() as session:
        session.execute(delete(postings))
        session.execute(delete(term_stats))
        for batch in session.execute(query).partitions():
            for row in batch:
                text = IndexedText(row.title, row.category_path, row.content, row.keywords or [])
                for term, weight in article_weights(text).items():
                    pairs = by_term.get(term)
                    if pairs is None:
                        pairs = by_term[term] = array("q")
                    pairs.append(row.id)
                    pairs.append(weight)
                articles += 1
        terms = sorted(by_term)
        _bulk_postings(session, terms, by_term)
        stats = [{"term": ALL_ARTICLES, "df": articles}] if articles else []
        stats += [{"term": term, "df": len(by_term[term]) // 2} for term in terms]
        for start in range(0, len(stats), BATCH * 10):
            session.execute(insert(term_stats), stats[start : start + BATCH * 10])
    return articles


def _bulk_postings(session: Session, terms: Sequence[str], by_term: dict[str, array[int]]) -> None:
    """Write the gathered postings in (term, article) order."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with (
            driver.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy("COPY kb_postings (term, article_id, weight) FROM STDIN") as copy,
        ):
            for term in terms:
                pairs = by_term[term]
                for index in range(0, len(pairs), 2):
                    copy.write_row((term, pairs[index], pairs[index + 1]))
        return
    # SQLite: the table is the (term, article_id) key, filled by appending; the article index is
    # built once afterwards instead of row by row in random order.
    by_article = next(iter(postings.indexes))
    by_article.drop(connection)
    rows: list[dict[str, Any]] = []
    for term in terms:
        pairs = by_term[term]
        rows.extend(
            {"term": term, "article_id": pairs[index], "weight": pairs[index + 1]}
            for index in range(0, len(pairs), 2)
        )
        if len(rows) >= BATCH * 50:
            session.execute(insert(postings), rows)
            rows = []
    if rows:
        session.execute(insert(postings), rows)
    by_article.create(connection)


def _insert_postings(session: Session, texts: Mapping[int, IndexedText]) -> Counter[str]:
    """Write the postings of `texts` (articles with none now); the document frequencies."""
    rows: list[dict[str, Any]] = []
    df: Counter[str] = Counter()
    for article_id, text in texts.items():
        weights = article_weights(text)
        df.update(weights.keys())
        rows.extend(
            {"term": term, "article_id": article_id, "weight": weight}
            for term, weight in weights.items()
        )
    df[ALL_ARTICLES] += len(texts)
    rows.sort(key=lambda row: (row["term"], row["article_id"]))
    for start in range(0, len(rows), BATCH * 50):
        session.execute(insert(postings), rows[start : start + BATCH * 50])
    return df


def _remove(session: Session, article_ids: Sequence[int]) -> Counter[str]:
    """Delete the postings of these articles; the (negative) changes of document frequency."""
    df: Counter[str] = Counter()
    for chunk in _chunks(article_ids):
        found = session.execute(
            select(postings.c.article_id, postings.c.term).where(postings.c.article_id.in_(chunk))
        ).all()
        if not found:
            continue
        df.subtract(term for _, term in found)
        df[ALL_ARTICLES] -= len({article_id for article_id, _ in found})
        session.execute(delete(postings).where(postings.c.article_id.in_(chunk)))
    return df


def _apply_df(session: Session, changes: Mapping[str, int]) -> None:
    """Add the changes to `kb_terms`; drop the terms no article has any more."""
    rows: list[dict[str, Any]] = [
        {"term": term, "df": change} for term, change in sorted(changes.items()) if change
    ]
    if not rows:
        return
    upsert = dialect_insert(session.get_bind().dialect.name, term_stats)
    upsert = upsert.on_conflict_do_update(
        index_elements=[term_stats.c.term], set_={"df": term_stats.c.df + upsert.excluded.df}
    )
    session.execute(upsert, rows)
    gone = [{"gone": row["term"]} for row in rows if row["df"] < 0 and row["term"]]
    if gone:
        session.execute(
            delete(term_stats).where(term_stats.c.term == bindparam("gone"), term_stats.c.df <= 0),
            gone,
        )


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield values[start : start + _ID_CHUNK]
