"""The formal notices (催办通知书, 督办通知书) as printable documents, attached to their e-mail.

`formal_document` renders an urging or escalation notice's subject and body, as the outbox
holds them, into one A4 HTML page (`templates/documents/formal_notice.html.j2`, autoescaped,
with a print style sheet): the centre's red heading, the document number made from the case
number (催办〔2026〕GY20261128-000123号), the title, the department addressed, the body, the
centre's name with the date in Chinese and a place for the seal. Any other template has no
formal document (`None`). Nothing in it comes from the caller: the body is the department
notice the outbox already holds, which never carries personal data.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from models.delivery import Attachment
from models.timestamps import BEIJING

ISSUER: Final = "贵阳市12345政务服务便民热线"
CONTENT_TYPE: Final = "text/html; charset=utf-8"
TEMPLATE: Final = "formal_notice.html.j2"

FORMAL_NOTICES: Final[dict[str, tuple[str, str]]] = {
    "urging_notice": ("催办通知书", "催办"),
    "escalation_notice": ("督办通知书", "督办"),
}
"""Outbox template → (document title, number prefix)."""

# The notice texts end with the centre's name as a sign-off; the document signs below instead.
_SIGN_OFF: Final = re.compile(r"^贵阳市?12345.*热线$")


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("activities", "templates/documents"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def document_number(prefix: str, case_no: str, issued_at: datetime) -> str:
    """催办〔2026〕GY20261128-000123号: the year issued (Beijing) and the case number."""
    return f"{prefix}〔{issued_at.astimezone(BEIJING).year}〕{case_no}号"


def chinese_date(at: datetime) -> str:
    """The date as a Chinese official document writes it: 2026年12月2日 (Beijing)."""
    day = at.astimezone(BEIJING)
    return f"{day.year}年{day.month}月{day.day}日"


def paragraphs(body: str) -> list[str]:
    """The body's non-empty lines, without a closing sign-off line of the centre's name."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if lines and _SIGN_OFF.match(lines[-1]):
        lines.pop()
    return lines


def formal_document(
    template: str,
    case_no: str,
    recipient_name: str,
    subject: str,
    body: str,
    issued_at: datetime,
    *,
    issuer: str = ISSUER,
) -> Attachment | None:
    """The printable document of an urging or escalation notice; `None` for any other."""
    kind = FORMAL_NOTICES.get(template)
    if kind is None:
        return None
    title, prefix = kind
    html = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            title=title,
            issuer=issuer,
            number=document_number(prefix, case_no, issued_at),
            addressee=recipient_name,
            subject=subject,
            paragraphs=paragraphs(body),
            issued_on=chinese_date(issued_at),
        )
    )
    return Attachment(
        filename=f"{title}-{case_no}.html", content_type=CONTENT_TYPE, content=html.encode()
    )
