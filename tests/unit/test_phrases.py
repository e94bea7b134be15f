"""The wording check: forbidden expressions found where they are words, not inside other words."""

from __future__ import annotations

from models.enums import Situation
from rules.phrases import STARTER_PHRASES, find_forbidden

FORBIDDEN = [
    (key, text) for situation, key, text in STARTER_PHRASES if situation is Situation.FORBIDDEN
]


def found(text: str) -> list[tuple[str, int]]:
    return [(f.expression, f.start) for f in find_forbidden(text, FORBIDDEN)]


def test_the_starter_set_covers_every_situation_of_the_standard() -> None:
    assert {situation for situation, _, _ in STARTER_PHRASES} == set(Situation)
    greeting = [t for s, _, t in STARTER_PHRASES if s is Situation.GREETING]
    assert greeting == ["您好，12345，很高兴为您服务，请问有什么可以帮您？"]


def test_forbidden_expressions_are_found_in_order_with_positions() -> None:
    assert found("喂，这个我不知道，你自己去问吧") == [("喂", 0), ("不知道", 5), ("你自己去问", 9)]
    assert found("这事不归我们管。") == [("不归我们管", 2)]


def test_a_single_character_counts_only_on_its_own() -> None:
    assert found("婴儿喂养补贴怎么申请？") == []
    assert found("喂奶室在几楼") == []
    assert found("喂？喂！") == [("喂", 0), ("喂", 2)]
    assert found("hello 喂 there") == [("喂", 6)]


def test_clean_text_and_an_empty_list() -> None:
    assert found("您好，您反映的问题我已记录。") == []
    assert find_forbidden("不知道", []) == []
    assert find_forbidden("不知道", [("empty", "")]) == []
