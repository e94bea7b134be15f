"""Terms of Chinese (and mixed) text for the knowledge base's search, without a dictionary.

In the style of Lucene's CJK analyser: the text is normalised (NFKC, lower case) and split into
runs; a run of Han characters gives its overlapping character bigrams (a lone character gives
itself), a run of ASCII letters and digits gives the whole word. Indexing and querying use the
same functions, so a query term matches exactly the index terms it was built like.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

MAX_TERM = 40
"""Longest term kept (characters): long ASCII words and whole keywords are cut to it."""

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_HAN_RUN = re.compile(rf"^[{_HAN}]+$")
_FRAGMENT_SPLIT = re.compile(
    r"[\s,.;:!?/\\|()\[\]{}<>\"'`~@#$%^&*+=，。、；：！？（）【】《》“”‘’…—·]+"
)


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> Iterator[str]:
    """The Han runs and ASCII word runs of normalised `text`, in order."""
    for match in _RUN.finditer(text):
        yield match.group()


def run_terms(run: str) -> Iterator[str]:
    """The terms of one run: bigrams of a Han run (itself if one character), else the word."""
    if _HAN_RUN.match(run):
        if len(run) == 1:
            yield run
            return
        for start in range(len(run) - 1):
            yield run[start : start + 2]
        return
    yield run[:MAX_TERM]


def terms(text: str) -> list[str]:
    """Every term of `text` in order, repeats kept (the term frequencies come from this)."""
    return [term for run in runs(normalise(text)) for term in run_terms(run)]


def term_counts(text: str) -> Counter[str]:
    return Counter(terms(text))


def fragments(query: str) -> list[str]:
    """The fragments an operator typed: normalised, split at spaces and punctuation, each once,
    in order, keeping only those that give at least one term."""
    kept: list[str] = []
    for piece in _FRAGMENT_SPLIT.split(normalise(query)):
        if piece and piece not in kept and any(True for _ in runs(piece)):
            kept.append(piece)
    return kept


def whole_term(text: str) -> str | None:
    """`text` as one term (a whole keyword, a whole query fragment): normalised, without spaces
    and punctuation; None if nothing is left."""
    joined = "".join(runs(normalise(text)))
    return joined[:MAX_TERM] or None
