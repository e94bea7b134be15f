"""The printable formal notices (催办通知书, 督办通知书) attached to a department's e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.notice_documents import chinese_date, formal_document
from activities.notifications import NotificationRenderer
from models.records import Notification

CASE_NO = "GY20261128-000123"
# 2026-12-31 17:30 UTC is already 2027-01-01 in Beijing: the document's date and year follow it.
ISSUED = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)


def _urging() -> tuple[str, str]:
    notification = Notification(
        case_no=CASE_NO,
        event_key="urge:handling:1",
        template="urging_notice",
        channel="internal",
        recipient="D-WATER",
        context={"step": "handling", "due": "2026-12-30T18:00:00+08:00", "days_overdue": 2},
    )
    return NotificationRenderer().render(notification)


def test_an_urging_notice_is_a_printable_document_of_its_case() -> None:
    subject, body = _urging()
    document = formal_document("urging_notice", CASE_NO, "市水务局", subject, body, ISSUED)
    assert document is not None
    assert document.filename == f"催办通知书-{CASE_NO}.html"
    assert document.content_type == "text/html; charset=utf-8"
    html = document.content.decode("utf-8")
    assert "贵阳市12345政务服务便民热线" in html
    assert "<h1>催办通知书</h1>" in html
    assert f"催办〔2027〕{CASE_NO}号" in html
    assert "市水务局：" in html
    assert "现已超期2天。" in html
    assert "2027年1月1日" in html
    assert "（盖章）" in html
    assert "@media print" in html
    assert "size: A4" in html
    # The text's own sign-off line gives way to the document's signature block.
    assert "贵阳市12345公共服务热线" not in html


def test_an_escalation_notice_is_a_督办通知书() -> None:
    document = formal_document(
        "escalation_notice", CASE_NO, "市住建局", "督办通知", "请加快办理。", ISSUED
    )
    assert document is not None
    assert document.filename == f"督办通知书-{CASE_NO}.html"
    html = document.content.decode()
    assert f"督办〔2027〕{CASE_NO}号" in html
    assert "市住建局：" in html


def test_html_in_the_body_and_the_names_is_escaped() -> None:
    document = formal_document(
        "urging_notice",
        CASE_NO,
        "<b>市水务局</b>",
        "<i>subject</i>",
        "请办理<script>alert(1)</script> & 回复",
        ISSUED,
    )
    assert document is not None
    html = document.content.decode()
    assert "<script>" not in html
    assert "请办理&lt;script&gt;alert(1)&lt;/script&gt; &amp; 回复" in html
    assert "&lt;b&gt;市水务局&lt;/b&gt;：" in html
    assert "<i>" not in html


def test_other_notices_have_no_formal_document() -> None:
    for template in ("dispatch_notice", "warning", "sms_received", "closure_sms"):
        assert formal_document(template, CASE_NO, "市水务局", "s", "b", ISSUED) is None


def test_the_date_is_written_the_chinese_way_in_beijing_time() -> None:
    assert chinese_date(datetime(2026, 3, 5, 15, 59, tzinfo=UTC)) == "2026年3月5日"
    assert chinese_date(datetime(2026, 3, 5, 16, 0, tzinfo=UTC)) == "2026年3月6日"
