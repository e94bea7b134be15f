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
import json
import math
import random
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, case, delete, func, insert, literal, or_, select, text

from activities.store import seed_demo
from db.engine import is_sqlite, make_engine, normalise_url, safe_url, session_factory
from db.knowledge_tables import ArticleRow
from db.search_tables import PostingRow, TermRow
from db.tables import DepartmentRow
from knowledge.index import reindex_all
from knowledge.search import SearchQuery, search
from knowledge.tokenize import fragments
from migrations.runner import upgrade
from models.enums import ArticleStatus, MaterialType

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "fixtures"
ISSUER = "基准测试"
SEED = 12345
LIMIT = 10
BATCH = 2000

PLACES = (
    "云岩区",
    "南明区",
    "观山湖区",
    "花溪区",
    "乌当区",
    "白云区",
    "清镇市",
    "修文县",
    "开阳县",
    "息烽县",
    "花果园",
    "金阳新区",
    "小河片区",
    "新添寨",
)
QUALIFIERS = (
    "政策解读",
    "常见问题解答",
    "办事指南",
    "热点问答",
    "办理须知",
    "咨询口径",
    "最新规定",
    "操作说明",
    "注意事项",
    "答复口径",
)
PLACE_SENTENCES = (
    "{place}政务服务中心设有综合受理窗口，工作日上午9时至下午5时办理。",
    "{place}群众可拨打12345热线咨询，也可在贵州政务服务网{place}站点查询办事进度。",
    "{place}各街道便民服务中心提供帮办代办服务，老年人、残疾人可预约上门办理。",
    "涉及{place}辖区的具体事项，请以{place}相关部门最新公告为准。",
    "{place}已将该事项纳入一网通办，网上申请后可选择邮寄送达。",
)


@dataclass(frozen=True)
class Topic:
    title: str
    category_path: str
    department: str
    keywords: list[str]
    sentences: list[str]


def load_topics() -> tuple[list[Topic], list[tuple[str, str]], list[list[str]]]:
    document = json.loads((FIXTURES / "articles.json").read_text("utf-8"))
    topics = [
        Topic(
            title=article["title"],
            category_path=article["category_path"],
            department=article["department"],
            keywords=list(article["keywords"]),
            sentences=[s + "。" for s in article["content"].split("。") if s.strip()],
        )
        for article in document["articles"]
    ]
    queries = [(q, title) for q, title in json.loads((FIXTURES / "queries.json").read_text())]
    return topics, queries, document["departments"]


def synthetic_articles(count: int, topics: Sequence[Topic]) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    materials = [material.value for material in MaterialType]
    now = datetime(2026, 11, 28, tzinfo=UTC)
    for serial in range(1, count + 1):
        topic = topics[rng.randrange(len(topics))]
        place = rng.choice(PLACES)
        parts = rng.sample(topic.sentences, min(len(topic.sentences), rng.randint(2, 4)))
        parts.append(rng.choice(PLACE_SENTENCES).format(place=place))
        if rng.random() < 0.5:  # a related matter mentioned in passing
            parts.append(rng.choice(rng.choice(topics).sentences))
        rng.shuffle(parts)
        content = "".join(parts)
        while len(content) < 200:
            content += rng.choice(PLACE_SENTENCES).format(place=rng.choice(PLACES))
        content = content[: rng.randint(max(200, min(len(content), 260)), 400)]
        keywords = [*rng.sample(topic.keywords, rng.randint(1, len(topic.keywords))), place]
        yield {
            "title": f"{place}{topic.title}{rng.choice(QUALIFIERS)}（BM{serial:06d}）",
            "category_path": topic.category_path,
            "content": content,
            "issuing_unit": ISSUER,
            "material_type": rng.choice(materials),
            "keywords": keywords,
            "department": topic.department,
            "effective_from": date(2026, 1, 1),
            "review_by": date(2027, 1, 1),
            "expires_on": None,
            "status": ArticleStatus.PUBLISHED.value,
            "published_version": 1,
            "latest_version": 1,
            "created_at": now,
            "updated_at": now,
        }


# ---- building ---------------------------------------------------------------------------------


def prepare(
    engine: Engine, count: int, rebuild: bool, say: Callable[[str], None]
) -> dict[str, float]:
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


def query_mix(count: int) -> list[SearchQuery]:
    topics, queries, _ = load_topics()
    by_title = {topic.title: topic for topic in topics}
    rng = random.Random(SEED + 1)
    mix: list[SearchQuery] = []
    for index in range(count):
        text_, title = queries[index % len(queries)]
        topic = by_title[title]
        draw = rng.random()
        mix.append(
            SearchQuery(
                text=text_,
                department=topic.department if draw < 0.2 else None,
                category=topic.category_path.split("/")[0] if 0.2 <= draw < 0.3 else None,
                limit=LIMIT,
            )
        )
    rng.shuffle(mix)
    return mix


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


def percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(run: Callable[[SearchQuery], object], queries: Sequence[SearchQuery]) -> list[float]:
    samples = []
    for query in queries:
        started = perf_counter()
        run(query)
        samples.append((perf_counter() - started) * 1000)
    return samples


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield normalise_url(url)
        return
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'hotline.db'}"


def run(args: argparse.Namespace, say: Callable[[str], None]) -> float:
    with database(args.database_url) as url:
        say("migrating to head")
        upgrade(url)
        engine = make_engine(url)
        try:
            build = prepare(engine, args.articles, args.rebuild, say)
            header = describe(engine)
            sessions = session_factory(engine)
            queries = query_mix(args.queries)
            say(f"{args.warmup} warm-up + {len(queries)} searches")
            timed(lambda q: search(sessions, q), queries[: args.warmup])
            indexed = timed(lambda q: search(sessions, q), queries)
            say(f"{args.warmup} warm-up + {len(queries)} naive LIKE scans")
            timed(lambda q: naive(engine, q), queries[: args.warmup])
            scanned = timed(lambda q: naive(engine, q), queries)
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


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.kb_search",
        description="Knowledge base search on N synthetic articles: index against LIKE scan.",
    )
    parser.add_argument("--articles", type=int, default=100_000, help="articles (100000)")
    parser.add_argument(
        "--database-url", default=None, help="database (default: a temporary SQLite file)"
    )
    parser.add_argument("--queries", type=int, default=300, help="timed searches (300)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up searches (20)")
    parser.add_argument("--rebuild", action="store_true", help="replace the bench's articles")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.queries < 1 or args.warmup < 0:
        parser.error("--articles and --queries must be ≥ 1, --warmup ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else _progress
    ratio = run(args, say)
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
