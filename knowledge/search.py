"""Searching the published knowledge articles in Chinese: ranked hits with highlights.

The query is split into fragments at spaces and punctuation, each fragment into terms like the
articles (`knowledge.tokenize`), plus the whole fragment as a term (it matches whole keywords).
Scores are integers computed in SQL from the postings alone, so SQLite and PostgreSQL rank alike:

    score = Σ weight(term, article) × idf(term)  ×  number of the query's terms it has

`weight` comes from the postings (keywords weigh most, then title, category, content; a whole
keyword equal to a fragment adds more); `idf` is an integer computed here from the document
frequencies in `kb_terms` and passed as parameters; multiplying by the number of matched terms
makes every fragment count, and a fragment typed without spaces (公积金提取) also matches the
bigrams across its words only where it occurs as such. Ties go to the lower article id.

Common terms (申请, 办理) have postings for most articles, so a search first scores only the
articles having one of the rarest terms (whose postings add up to at most ESSENTIAL_SHARE of the
articles; at least the rarest one), after the MaxScore idea of text retrieval: their hits stand
if the last one scores more than any article without those terms could (its terms counted at
MAX_WEIGHT). Otherwise every matching article is scored. The best scores are fetched with their
articles, the filters (and the status, for safety) applied to a window of CANDIDATES; only if
too few of them pass does the ranking run joined with the filtered articles. Either way the hits
are exactly those of the full ranking; `total` (the number of matching articles) is given when
it is known on the way.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Table, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from db.engine import SessionFactory
from db.knowledge_tables import ArticleRow
from db.search_tables import ALL_ARTICLES, PostingRow, TermRow
from knowledge.index import MAX_WEIGHT
from knowledge.tokenize import fragments, normalise, terms, whole_term
from models.enums import ArticleStatus, MaterialType
from models.errors import RefusedError
from models.text import CleanText

MAX_QUERY = 200
MAX_LIMIT = 50
MAX_QUERY_TERMS = 64
IDF_SCALE = 10
SNIPPET = 120
SNIPPET_LEAD = 20
ESSENTIAL_SHARE = 0.03
"""The rarest query terms whose postings add up to this share of the articles pick candidates."""
CANDIDATES = 100
CANDIDATES_PER_HIT = 10
"""The first step ranks the best CANDIDATES score bounds, at least CANDIDATES_PER_HIT a hit."""

postings = cast(Table, PostingRow.__table__)


class EmptyQueryError(RefusedError, ValueError):
    """The query has nothing to search for: empty, blank, or only punctuation."""


class SearchQuery(CleanText):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_QUERY, description="e.g. 低保 申请 材料")
    category: str | None = Field(
        default=None, max_length=200, description="category path prefix, e.g. 民政/社会救助"
    )
    department: str | None = Field(default=None, max_length=64, description="owning department")
    material_type: MaterialType | None = None
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)


class SearchHit(BaseModel):
    article_id: int
    title: str
    category_path: str
    department: str
    material_type: MaterialType
    score: int
    title_highlight: str = Field(description="the title, HTML-escaped, matches in <mark>")
    snippet: str = Field(description=f"~{SNIPPET} characters of content around the best match")


class SearchResults(BaseModel):
    hits: list[SearchHit]
    total: int | None = Field(
        default=None, description="how many articles match, when known without extra work"
    )


@dataclass(frozen=True)
class QueryTerms:
    """What a query text searches for."""

    fragments: list[str]
    terms: list[str]
    """Distinct terms of the fragments, then each whole fragment, at most MAX_QUERY_TERMS."""
    fragment_terms: list[list[str]]


def parse_query(text: str) -> QueryTerms:
    """The fragments and terms of `text`; EmptyQueryError if there is nothing to search."""
    found = fragments(text)
    fragment_terms = [list(dict.fromkeys(terms(fragment))) for fragment in found]
    wanted = [term for each in fragment_terms for term in each]
    wanted += [whole for whole in map(whole_term, found) if whole is not None]
    distinct = list(dict.fromkeys(wanted))[:MAX_QUERY_TERMS]
    if not distinct:
        raise EmptyQueryError("the query has no searchable text: type a word or two, e.g. 低保")
    return QueryTerms(fragments=found, terms=distinct, fragment_terms=fragment_terms)


def idf(articles: int, df: int) -> int:
    """The integer inverse document frequency of a term in `df` of `articles` articles."""
    ratio = (articles - df + 0.5) / (df + 0.5)
    return max(1, int(IDF_SCALE * math.log1p(max(ratio, 0.0)) + 0.5))


def search(sessions: SessionFactory, query: SearchQuery) -> SearchResults:
    """The published articles best matching `query`, best first."""
    parsed = parse_query(query.text)
    with sessions() as session:
        stats = _document_frequencies(session, parsed.terms)
        articles = stats.pop(ALL_ARTICLES, 0)
        if not any(df > 0 for df in stats.values()):
            return SearchResults(hits=[], total=0)
        plain_terms = {term for each in parsed.fragment_terms for term in each}
        ranking = _Ranking(session, stats, articles, query, plain_terms)
        rows, total = ranking.run()
        return SearchResults(
            hits=[_hit(row, parsed) for row in rows],
            total=total,
        )


def _document_frequencies(session: Session, wanted: Sequence[str]) -> dict[str, int]:
    found = session.execute(
        select(TermRow.term, TermRow.df).where(TermRow.term.in_([ALL_ARTICLES, *wanted]))
    ).all()
    return {term: df for term, df in found}


class _Ranking:
    """The SQL of one search (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        stats: dict[str, int],
        articles: int,
        query: SearchQuery,
        plain_terms: set[str],
    ) -> None:
        self.session = session
        self.query = query
        self.idfs = {term: idf(articles, df) for term, df in stats.items() if df > 0}
        # Rarest terms first: they pick the candidates, up to ESSENTIAL_SHARE of the articles.
        # A whole fragment (公积金提取) only matches whole keywords: it never picks candidates.
        by_rarity = sorted(self.idfs, key=lambda term: (term not in plain_terms, stats[term], term))
        count, postings_read = 0, 0
        for term in by_rarity:
            if term not in plain_terms or (
                count and postings_read + stats[term] > articles * ESSENTIAL_SHARE
            ):
                break
            count, postings_read = count + 1, postings_read + stats[term]
        self.essential, self.others = by_rarity[:count], by_rarity[count:]
        self.filtered = any(
            value is not None for value in (query.category, query.department, query.material_type)
        )

    def run(self) -> tuple[list[Any], int | None]:
        """The hits, and the number of matching articles when it is known on the way."""
        if self.essential and self.others:
            # An article with none of the essential terms scores at most this:
            outside = sum(MAX_WEIGHT * self.idfs[term] for term in self.others) * len(self.others)
            found = self._attempt(restricted=True)
            if found is not None and found[0][-1].score > outside:
                return found
        found = self._attempt(restricted=False)
        if found is not None:
            return found
        return self._full()

    def _attempt(self, restricted: bool) -> tuple[list[Any], int | None] | None:
        """The hits among the best-scoring candidates (the articles having an essential term if
        `restricted`, else every matching article), or None if fewer than asked for pass the
        filters while more candidates are left."""
        limit = self.query.limit
        window = max(CANDIDATES, CANDIDATES_PER_HIT * limit) if self.filtered else limit
        grouped = self._scores(restricted)
        score = (grouped.c.base * grouped.c.matched).label("score")
        top = self.session.execute(
            select(
                grouped.c.article_id,
                score,
                (literal(None) if restricted else func.count().over()).label("total"),
            )
            .order_by(score.desc(), grouped.c.article_id)
            .limit(window)
        ).all()
        if not top:
            return None if restricted else ([], 0)
        scores = {row.article_id: row.score for row in top}
        rows = sorted(
            (
                _hit_row(row, scores[row.id])
                for row in self.session.execute(
                    select(*_ARTICLE_COLUMNS).where(ArticleRow.id.in_(scores), *self._filters())
                )
            ),
            key=lambda hit: (-hit.score, hit.id),
        )[:limit]
        if len(rows) < limit and len(top) == window:
            return None
        if restricted and len(rows) < limit:
            return None
        total = None if restricted or self.filtered else top[0].total
        return rows, total

    def _full(self) -> tuple[list[Any], int | None]:
        """Every matching article ranked with the filters applied in SQL."""
        grouped = self._scores(restricted=False)
        score = (grouped.c.base * grouped.c.matched).label("score")
        found = self.session.execute(
            select(*_ARTICLE_COLUMNS, score, func.count().over().label("total"))
            .join(grouped, grouped.c.article_id == ArticleRow.id)
            .where(*self._filters())
            .order_by(score.desc(), ArticleRow.id)
            .limit(self.query.limit)
        ).all()
        rows = [_hit_row(row, row.score) for row in found]
        return rows, found[0].total if found else 0

    def _scores(self, restricted: bool) -> Any:
        """Per matching article: Σ weight × idf over the query's terms, and how many it has."""
        wanted = list(self.idfs)
        terms_idf = case(
            {term: literal(self.idfs[term]) for term in wanted},
            value=postings.c.term,
            else_=literal(0),
        )
        query = select(
            postings.c.article_id.label("article_id"),
            func.sum(postings.c.weight * terms_idf).label("base"),
            func.count().label("matched"),
        ).where(postings.c.term.in_(wanted))
        if restricted:
            having = select(postings.c.article_id).where(postings.c.term.in_(self.essential))
            query = query.where(postings.c.article_id.in_(having))
        return query.group_by(postings.c.article_id).subquery()

    def _filters(self) -> list[ColumnElement[bool]]:
        query = self.query
        filters: list[ColumnElement[bool]] = [ArticleRow.status == ArticleStatus.PUBLISHED.value]
        if query.category:
            prefix = "/".join(level.strip() for level in query.category.strip("/ ").split("/"))
            filters.append(
                or_(
                    ArticleRow.category_path == prefix,
                    func.substr(ArticleRow.category_path, 1, len(prefix) + 1) == prefix + "/",
                )
            )
        if query.department:
            filters.append(ArticleRow.department == query.department)
        if query.material_type is not None:
            filters.append(ArticleRow.material_type == query.material_type.value)
        return [and_(*filters)]


_ARTICLE_COLUMNS = (
    ArticleRow.id,
    ArticleRow.title,
    ArticleRow.category_path,
    ArticleRow.department,
    ArticleRow.material_type,
    ArticleRow.content,
)


def _hit_row(row: Any, score: int) -> _Hit:
    return _Hit(
        row.id, row.title, row.category_path, row.department, row.material_type, row.content, score
    )


@dataclass(frozen=True)
class _Hit:
    id: int
    title: str
    category_path: str
    department: str
    material_type: str
    content: str
    score: int


# ---- highlights -------------------------------------------------------------------------------


def _hit(row: Any, parsed: QueryTerms) -> SearchHit:
    return SearchHit(
        article_id=row.id,
        title=row.title,
        category_path=row.category_path,
        department=row.department,
        material_type=MaterialType(row.material_type),
        score=int(row.score),
        title_highlight=highlight(row.title, parsed.terms),
        snippet=snippet(row.content, parsed.terms),
    )


def _marks(text: str, wanted: Sequence[str]) -> list[bool]:
    """Which characters of `text` belong to an occurrence of one of the terms."""
    normalised: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in normalise(char):
            normalised.append(piece)
            origin.append(index)
    flat = "".join(normalised)
    marked = [False] * len(text)
    for term in wanted:
        word = term.isascii()
        start = flat.find(term)
        while start >= 0:
            end = start + len(term)
            if not word or (
                (start == 0 or not flat[start - 1].isalnum())
                and (end == len(flat) or not flat[end].isalnum())
            ):
                for position in range(start, end):
                    marked[origin[position]] = True
            start = flat.find(term, start + 1)
    return marked


def _render(text: str, marked: Sequence[bool]) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        end = index
        while end < len(text) and marked[end] == marked[index]:
            end += 1
        piece = html.escape(text[index:end], quote=True)
        out.append(f"<mark>{piece}</mark>" if marked[index] else piece)
        index = end
    return "".join(out)


def highlight(text: str, wanted: Sequence[str]) -> str:
    """`text` HTML-escaped, with the runs matching a term wrapped in <mark>…</mark>."""
    return _render(text, _marks(text, wanted))


def snippet(content: str, wanted: Sequence[str], size: int = SNIPPET) -> str:
    """About `size` characters of `content` where the terms are densest, highlighted, with …
    where it was cut."""
    text = " ".join(content.split())
    marked = _marks(text, wanted)
    if len(text) <= size:
        return _render(text, marked)
    best, best_count, count = 0, -1, 0
    for end in range(len(text)):
        count += marked[end]
        if end >= size:
            count -= marked[end - size]
        start = end - size + 1
        if start >= 0 and count > best_count:
            best, best_count = start, count
    if best_count > 0:
        first = next(i for i in range(best, best + size) if marked[i])
        best = max(0, min(first - SNIPPET_LEAD, len(text) - size))
    end = best + size
    prefix = "…" if best > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + _render(text[best:end], marked[best:end]) + suffix


def plain(highlighted: str) -> str:
    """A highlighted text for a terminal: 【…】 instead of <mark>…</mark>, unescaped."""
    return html.unescape(highlighted.replace("<mark>", "【").replace("</mark>", "】"))
