"""Terms of Chinese and mixed text: bigrams of Han runs, whole ASCII words, NFKC and lower case."""

from __future__ import annotations

from knowledge.tokenize import MAX_TERM, fragments, normalise, terms, whole_term


def test_han_runs_give_overlapping_bigrams_and_a_lone_character_itself() -> None:
    assert terms("公积金提取") == ["公积", "积金", "金提", "提取"]
    assert terms("水") == ["水"]
    assert terms("停水，水") == ["停水", "水"]


def test_ascii_words_are_whole_lower_case_and_full_width_is_folded() -> None:
    assert normalise("ＡＰＰ１２３") == "app123"
    assert terms("交管12123APP 办理") == ["交管", "12123app", "办理"]
    assert terms("Ｗｉ-Ｆｉ") == ["wi", "fi"]
    assert terms("x" * 100) == ["x" * MAX_TERM]


def test_punctuation_and_symbols_split_runs_and_give_no_terms() -> None:
    assert terms("低保（申请）") == ["低保", "申请"]
    assert terms("，。！？ …… ——") == []
    assert terms("") == []


def test_repeats_are_kept_for_term_frequencies() -> None:
    assert terms("停水停水") == ["停水", "水停", "停水"]


def test_fragments_split_at_spaces_and_punctuation_once_each() -> None:
    assert fragments("低保 申请，材料  低保！") == ["低保", "申请", "材料"]
    assert fragments("  ，。 ") == []
    assert fragments("公积金提取") == ["公积金提取"]


def test_whole_term_joins_the_runs() -> None:
    assert whole_term("异地 就医") == "异地就医"
    assert whole_term("１２３４５热线") == "12345热线"
    assert whole_term("！？") is None
