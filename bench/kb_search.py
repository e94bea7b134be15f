"""Knowledge base search on 100,000 articles: the inverted index against a naive LIKE scan.

    python -m bench.kb_search [--articles 100000] [--database-url URL] [--queries 300]
                              [--warmup 20] [--rebuild] [--quiet]

Database: a fresh SQLite file in a temporary directory (removed afterwards), or
``--database-url`` (e.g. ``postgresql://postgres@127.0.0.1:5432/hotline_bench``), migrated to head.
The synthetic articles are issued by ``基准测试`` and their titles end in ``（BM<serial>）``; the
bench refuses a ``kb_articles`` table holding any other article, and reuses one that already
holds exactly ``--articles`` of them unless ``--rebuild`` (then they and the index are replaced).

Articles are generated from the test fixture's 60 Guiyang 12345 articles (seeded, so the same
``--articles`` gives the same data): each takes a topic (its category, department, keywords),
a title from the topic's title with a place and a qualifier (政策解读, 常见问题, …), and content of
200–400 characters: two to four sentences of the topic, one about a place, and in half of the
articles one sentence of another topic, so the common words (申请, 办理, 材料) are in most
articles and a topic's words in a few percent of them (60 topics for 100,000 articles: each
topic has ~1,700 near-duplicate articles, many more than a real knowledge base).
The articles are inserted with executemany, then ``knowledge.index.reindex_all`` builds the
index (the code path of ``hotline kb reindex``); both times are reported, and the index's size.

Queries: the fixture's operator queries (``tests/knowledge/fixtures/queries.json``) in a seeded
mix, a fifth of them with the department filter of their topic and a tenth with its top-level
category; each is timed through ``knowledge.search.search`` (SQL, ranking and highlights, limit
10), after ``--warmup`` untimed ones. The baseline runs the same queries as one naive statement:
the same filters, each fragment as ``title LIKE '%fragment%'`` (2 points) or ``content LIKE``
(1 point), ordered by points then id, which reads every published article. p50/p99 are
nearest-rank percentiles of wall time. The last line is always ``ratio: <baseline p50 ÷ index
p50>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, case, delete, func, insert, literal, or_, select, text

from bench.harness import options
from bench.harness.database import database_url
from bench.harness.options import Say
from bench.harness.timing import percentile, timed_each
from bench.kb_corpus import ISSUER, load_topics, query_mix, synthetic_articles
from db.engine import is_sqlite, make_engine, safe_url, session_factory
from db.knowledge_tables import ArticleRow
from db.search_tables import PostingRow, TermRow
from db.seed import seed_demo
from db.tables import DepartmentRow
from knowledge.index import reindex_all
from knowledge.search import SearchQuery, search
from knowledge.tokenize import fragments
from migrations.runner import upgrade
from models.enums import ArticleStatus

LIMIT = 10
BATCH = 2000


# ---- building ---------------------------------------------------------------------------------


def prepare(engine: Engine, count: int, rebuild: bool, say: Say) -> dict[str, float]:
    """Fill `kb_articles` and the index unless they hold exactly `count` bench articles."""
    topics, _, departments = load_topics()
    sessions = session_factory(engine)
    with engine.connect() as connection:
        foreign = connection.scalar(select(func.count()).where(ArticleRow.issuing_unit != ISSUER))
        ours = connection.scalar(select(func.count()).where(ArticleRow.issuing_unit == ISSUER))
    if foreign:
        raise SystemExit(f"kb_articles holds {foreign} articles not made by this bench: refused")
    if ours == count and not rebuild:
        say(f"reusing the {count} articles and their index")
        return {}
    seed_demo(sessions)
    with engine.begin() as connection:
        connection.execute(delete(PostingRow))
        connection.execute(delete(TermRow))
        connection.execute(delete(ArticleRow))
        known = set(connection.scalars(select(DepartmentRow.id)))
        for id_, name, kind in departments:
            if id_ not in known:
                connection.execute(
                    insert(DepartmentRow).values(id=id_, name=name, kind=kind, active=True)
                )
    say(f"inserting {count} articles")
    started = perf_counter()
    with engine.begin() as connection:
        batch: list[dict[str, Any]] = []
        for article in synthetic_articles(count, topics):
            batch.append(article)
            if len(batch) == BATCH:
                connection.execute(insert(ArticleRow), batch)
                batch = []
        if batch:
            connection.execute(insert(ArticleRow), batch)
    loaded = perf_counter() - started
    say("indexing (reindex_all)")
    started = perf_counter()
    indexed = reindex_all(sessions)
    built = perf_counter() - started
    assert indexed == count, (indexed, count)
    say("analysing")
    with engine.connect() as connection:
        if is_sqlite(str(engine.url)):
            connection.exec_driver_sql("ANALYZE")
        else:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM ANALYZE kb_articles")
            connection.exec_driver_sql("VACUUM ANALYZE kb_postings")
            connection.exec_driver_sql("VACUUM ANALYZE kb_terms")
    return {"insert s": loaded, "index s": built}


def describe(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        postings = connection.scalar(select(func.count()).select_from(PostingRow.__table__))
        terms = connection.scalar(select(func.count()).select_from(TermRow.__table__))
        articles = connection.scalar(select(func.count()).select_from(ArticleRow.__table__))
        if is_sqlite(str(engine.url)):
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
            sizes = f"database file {pages * size / 2**20:.0f} MB"
        else:
            index_mb, articles_mb = connection.execute(
                text(
                    "SELECT pg_total_relation_size('kb_postings') / 1048576.0,"
                    " pg_total_relation_size('kb_articles') / 1048576.0"
                )
            ).one()
            sizes = f"kb_postings {index_mb:.0f} MB, kb_articles {articles_mb:.0f} MB"
    per_article = (postings or 0) / max(articles or 1, 1)
    return [
        f"{articles} articles, {postings} postings ({per_article:.0f} per article), "
        f"{terms} distinct terms; {sizes}"
    ]


# ---- querying ---------------------------------------------------------------------------------


def naive(engine: Engine, query: SearchQuery) -> list[int]:
    """The baseline: every fragment as a LIKE on title and content, same filters."""
    points: Any = literal(0)
    matched = []
    for fragment in fragments(query.text):
        pattern = "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        in_title = ArticleRow.title.like(pattern, escape="\\")
        in_content = ArticleRow.content.like(pattern, escape="\\")
        points = points + case((in_title, 2), else_=0) + case((in_content, 1), else_=0)
        matched.extend([in_title, in_content])
    score = points.label("points")
    statement = select(ArticleRow.id, ArticleRow.title, ArticleRow.content, score).where(
        ArticleRow.status == ArticleStatus.PUBLISHED.value, or_(*matched)
    )
    if query.department:
        statement = statement.where(ArticleRow.department == query.department)
    if query.category:
        statement = statement.where(
            or_(
                ArticleRow.category_path == query.category,
                ArticleRow.category_path.like(query.category + "/%"),
            )
        )
    statement = statement.order_by(score.desc(), ArticleRow.id).limit(query.limit)
    with engine.connect() as connection:
        return [row.id for row in connection.execute(statement)]


def run(args: argparse.Namespace, say: Say) -> float:
    with database_url(args.database_url, prefix="kb-bench-") as url:
        say("migrating to head")
        upgrade(url)
        engine = make_engine(url)
        try:
            build = prepare(engine, args.articles, args.rebuild, say)
            header = describe(engine)
            sessions = session_factory(engine)
            queries = query_mix(args.queries, LIMIT)
            say(f"{args.warmup} warm-up + {len(queries)} searches")
            timed_each(lambda q: search(sessions, q), queries[: args.warmup])
            indexed = timed_each(lambda q: search(sessions, q), queries)
            say(f"{args.warmup} warm-up + {len(queries)} naive LIKE scans")
            timed_each(lambda q: naive(engine, q), queries[: args.warmup])
            scanned = timed_each(lambda q: naive(engine, q), queries)
            found = sum(bool(search(sessions, q).hits) for q in queries)
        finally:
            engine.dispose()
    print(f"database: {safe_url(url)}; {args.queries} queries, limit {LIMIT}")
    for line in header:
        print(line)
    if build:
        print("build: " + ", ".join(f"{name} {value:.1f}" for name, value in build.items()))
    print(f"queries with hits: {found} of {len(queries)}")
    for name, samples in (("index", indexed), ("naive LIKE", scanned)):
        print(
            f"{name:<11} p50 {percentile(samples, 50):8.2f} ms   "
            f"p99 {percentile(samples, 99):8.2f} ms   max {max(samples):8.2f} ms"
        )
    return percentile(scanned, 50) / percentile(indexed, 50)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.kb_search",
        "Knowledge base search on N synthetic articles: index against LIKE scan.",
    )
    parser.add_argument("--articles", type=int, default=100_000, help="articles (100000)")
    options.add_database_url(parser, "database (default: a temporary SQLite file)")
    parser.add_argument("--queries", type=int, default=300, help="timed searches (300)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up searches (20)")
    parser.add_argument("--rebuild", action="store_true", help="replace the bench's articles")
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.articles < 1 or args.queries < 1 or args.warmup < 0:
        parser.error("--articles and --queries must be ≥ 1, --warmup ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    ratio = run(args, options.progress(args.quiet))
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
