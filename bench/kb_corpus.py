"""The synthetic knowledge base of `bench.kb_search`, made from the test fixture's 60 articles.

Each article takes a topic (its category, department, keywords), a title from the topic's title
with a place and a qualifier (政策解读, 常见问题, …), and content of 200–400 characters: two to
four sentences of the topic, one about a place, and in half of the articles one sentence of
another topic. The draws are seeded, so the same count gives the same articles; the operator
queries come from the fixture's ``queries.json`` in a seeded mix.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from knowledge.search import SearchQuery
from models.enums import ArticleStatus, MaterialType

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "fixtures"
ISSUER = "基准测试"
SEED = 12345

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


def query_mix(count: int, limit: int) -> list[SearchQuery]:
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
                limit=limit,
            )
        )
    rng.shuffle(mix)
    return mix
