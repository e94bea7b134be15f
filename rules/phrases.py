"""Service phrases (服务用语, domain §10): the starter set, and the wording check.

The phrases themselves are editable, versioned data (the `service_phrases` table, seeded with
`STARTER_PHRASES` by migration 0006); this module keeps what is rule: the situations, the
starter wording, and how a forbidden expression is found in a reply, note or article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.enums import Situation

MAX_PHRASE = 500

STARTER_PHRASES: tuple[tuple[Situation, str, str], ...] = (
    (Situation.GREETING, "greeting", "您好，12345，很高兴为您服务，请问有什么可以帮您？"),
    (Situation.ADDRESSING, "surname", "{surname}先生/女士"),
    (Situation.CONFIRM, "repeat", "您反映的问题我已记录，我复述一遍，请您核对……"),
    (Situation.HOLD, "lookup", "请您稍等，我为您查询一下。"),
    (Situation.HOLD, "thanks", "感谢您的耐心等待。"),
    (Situation.SILENT_LINE, "first", "您好，请问有什么可以帮您？"),
    (
        Situation.SILENT_LINE,
        "last",
        "对不起，听不到您的声音，请您换一部电话再打来，再见！",
    ),
    (
        Situation.DISPATCH,
        "handover",
        "您反映的问题我们将转交相关部门办理，工单号是{case_no}，请您保持电话畅通。",
    ),
    (
        Situation.CALLBACK,
        "opening",
        "您好，这里是12345回访，关于您反映的{title}，请问问题是否已经解决？您对办理结果是否满意？",
    ),
    (Situation.CLOSING, "closing", "请问还有其他需要帮助的吗？感谢您的来电，再见！"),
    (Situation.FORBIDDEN, "wei", "喂"),
    (Situation.FORBIDDEN, "dont-know", "不知道"),
    (Situation.FORBIDDEN, "not-our-business", "不归我们管"),
    (Situation.FORBIDDEN, "ask-yourself", "你自己去问"),
    (Situation.FORBIDDEN, "nothing-to-do", "没办法"),
    (Situation.FORBIDDEN, "told-you", "我不是跟你说过了吗"),
)

_CJK = r"\u3400-\u9fff\uf900-\ufaff"


@dataclass(frozen=True)
class WordingFinding:
    """A forbidden expression found in a text: where, and which entry of the list."""

    expression: str
    key: str
    start: int
    end: int

    def plain(self) -> str:
        return f"forbidden wording {self.expression!r} at {self.start}-{self.end} ({self.key})"


def find_forbidden(text: str, forbidden: list[tuple[str, str]]) -> list[WordingFinding]:
    """Every occurrence of each (key, expression) in `text`, in order of position.

    A one-character expression (喂) counts only on its own, not inside a word (喂养, 喂奶):
    no Chinese character right before or after it. Longer ones count wherever they stand.
    """
    findings = []
    for key, expression in forbidden:
        if not expression:
            continue
        escaped = re.escape(expression)
        pattern = f"(?<![{_CJK}]){escaped}(?![{_CJK}])" if len(expression) == 1 else escaped
        for match in re.finditer(pattern, text):
            findings.append(WordingFinding(expression, key, match.start(), match.end()))
    return sorted(findings, key=lambda f: (f.start, f.end))
