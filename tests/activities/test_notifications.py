"""Notification templates: declared keys render, missing keys raise, no personal data leaks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError, meta

from activities.notifications import (
    CENTRE_TEMPLATES,
    CITIZEN_TEMPLATES,
    DEPARTMENT_TEMPLATES,
    PROVIDED_KEYS,
    TEMPLATE_CONTEXT_KEYS,
    TEMPLATE_OPTIONAL_KEYS,
    NotificationRenderer,
    TemplateContextError,
    format_when,
    make_environment,
    missing_context_keys,
)
from models.records import Notification

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "activities" / "templates"
CASE_NO = "GY20261128-000123"
DUE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 18:00 in Beijing
SAMPLE: dict[str, Any] = {
    "expected_reply": DUE,
    "retrieval_code": "K7Q2",
    "title": "小区停水三天",
    "category": "城乡建设/供水/停水",
    "case_type": "complaint",
    "urgency": "utility",
    "lead": True,
    "sign_off_due": DUE,
    "handling_due": DUE,
    "step": "handling",
    "due": DUE,
    "days_overdue": 2,
    "level": 2,
    "note": "请于今日内反馈办理情况",
    "by": "市12345热线中心",
    "new_deadline": DUE,
    "department": "贵阳市水务管理局",
    "reply": "已于当日恢复供水",
    "reply_result": "resolved",
    "approved": True,
    "reason": "not_our_duty",
    "legal_basis": "《贵阳市供水条例》",
    "working_days": 5,
    "new_due": DUE,
}
PERSONAL = {"caller_name": "张三", "caller_phone": "13800001234", "address": "中华北路1号"}


def notice(template: str, context: dict[str, Any], channel: str = "internal") -> Notification:
    return Notification(
        case_no=CASE_NO,
        event_key=f"{template}:x",
        template=template,
        channel=channel,
        recipient="gy-water",
        context=context,
    )


def sample(keys: frozenset[str]) -> dict[str, Any]:
    return {key: SAMPLE[key] for key in keys}


def optional(name: str) -> frozenset[str]:
    return TEMPLATE_OPTIONAL_KEYS.get(name, frozenset())


def test_every_template_file_has_declared_keys_and_the_other_way_round():
    files = {path.stem for path in TEMPLATES_DIR.glob("*.j2")}
    assert files == set(TEMPLATE_CONTEXT_KEYS)
    assert set(TEMPLATE_OPTIONAL_KEYS) <= files
    assert files == DEPARTMENT_TEMPLATES | CITIZEN_TEMPLATES | CENTRE_TEMPLATES


@pytest.mark.parametrize("name", sorted(TEMPLATE_CONTEXT_KEYS))
def test_declared_keys_are_exactly_the_names_the_template_uses(name):
    environment = make_environment()
    source = (TEMPLATES_DIR / f"{name}.j2").read_text(encoding="utf-8")
    used = meta.find_undeclared_variables(environment.parse(source))
    assert used == TEMPLATE_CONTEXT_KEYS[name] | optional(name) | (PROVIDED_KEYS & used)


@pytest.mark.parametrize("name", sorted(TEMPLATE_CONTEXT_KEYS))
def test_the_header_comment_documents_every_key(name):
    source = (TEMPLATES_DIR / f"{name}.j2").read_text(encoding="utf-8")
    header = re.match(r"\{#(.*?)#\}", source, re.S)
    assert header is not None, f"{name}.j2 must start with a {{# ... #}} comment"
    for key in TEMPLATE_CONTEXT_KEYS[name] | optional(name) | PROVIDED_KEYS:
        assert re.search(rf"\b{key}\b", header.group(1)), f"{name}.j2 does not document {key}"


@pytest.mark.parametrize("name", sorted(TEMPLATE_CONTEXT_KEYS))
@pytest.mark.parametrize("with_optional", [False, True])
def test_every_template_renders_with_its_declared_keys(name, with_optional):
    keys = TEMPLATE_CONTEXT_KEYS[name] | (optional(name) if with_optional else frozenset())

    subject, body = NotificationRenderer().render(notice(name, sample(keys)))

    assert subject and body
    assert "\n" not in subject
    assert CASE_NO in subject + body
    assert "None" not in subject + body
    assert "{" not in subject + body and "#}" not in body


@pytest.mark.parametrize(
    ("name", "key"),
    [(name, key) for name, keys in sorted(TEMPLATE_CONTEXT_KEYS.items()) for key in sorted(keys)],
)
def test_a_missing_required_key_raises(name, key):
    context = sample(TEMPLATE_CONTEXT_KEYS[name] - {key})

    assert missing_context_keys(name, context) == {key}
    with pytest.raises(TemplateContextError, match=key):
        NotificationRenderer().render(notice(name, context))


def test_templates_are_strict_about_undefined_names():
    template = make_environment().get_template("warning.j2")
    with pytest.raises(UndefinedError):
        template.render(case_no=CASE_NO, step="handling")


def test_an_unknown_template_raises():
    with pytest.raises(TemplateContextError, match="no_such_template"):
        NotificationRenderer().render(notice("no_such_template", {}))


def test_a_template_may_be_named_with_its_suffix():
    subject, _ = NotificationRenderer().render(notice("closure_sms.j2", {}))
    assert subject == "【贵阳12345】工单办结通知"


def test_department_templates_declare_no_personal_data():
    for name in DEPARTMENT_TEMPLATES:
        for key in TEMPLATE_CONTEXT_KEYS[name] | optional(name):
            assert not key.startswith("caller_"), (name, key)
            assert "phone" not in key and "address" not in key, (name, key)


@pytest.mark.parametrize("name", sorted(DEPARTMENT_TEMPLATES | CITIZEN_TEMPLATES))
def test_personal_data_put_in_by_mistake_is_never_rendered(name):
    keys = TEMPLATE_CONTEXT_KEYS[name] | optional(name)

    subject, body = NotificationRenderer().render(notice(name, sample(keys) | PERSONAL))

    for value in PERSONAL.values():
        assert value not in subject + body


def test_the_service_phrases_are_used():
    renderer = NotificationRenderer()
    _, sms = renderer.render(notice("sms_received", {"expected_reply": DUE}, channel="sms"))
    assert sms.startswith(
        f"您好！您反映的问题我们已受理并转交相关部门办理，工单号是{CASE_NO}，"
        "预计2026年12月1日 18:00前答复，请您保持电话畅通。"
    )
    _, script = renderer.render(notice("callback_script", {"title": "小区停水三天"}))
    assert script.startswith(
        "您好，这里是12345回访，关于您反映的小区停水三天，请问问题是否已经解决？"
        "您对办理结果是否满意？"
    )


def test_escalation_levels_and_labels_are_in_chinese():
    renderer = NotificationRenderer()
    for level, label in [(1, "中心督办"), (2, "领导督办"), (3, "政府督查")]:
        subject, _ = renderer.render(
            notice("escalation_notice", {"level": level, "note": "n", "by": "督查室"})
        )
        assert label in subject
    subject, body = renderer.render(
        notice("urging_notice", {"step": "sign_off", "due": DUE, "days_overdue": 3})
    )
    assert "签收已超期" in subject and "现已超期3天" in body


def test_return_notice_reads_as_a_request_or_as_a_decision():
    renderer = NotificationRenderer()
    request_subject, request_body = renderer.render(
        notice("return_notice", {"reason": "wrong_territory", "department": "gy-water"})
    )
    assert "待审核" in request_subject and "非本辖区事项" in request_body
    _, rejected = renderer.render(
        notice("return_notice", {"reason": "not_our_duty", "approved": False, "handling_due": DUE})
    )
    assert "不予同意" in rejected and "2026年12月1日 18:00" in rejected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (DUE, "2026年12月1日 18:00"),
        ("2026-12-01T10:00:00+00:00", "2026年12月1日 18:00"),
        ("2026-12-01 18:00", "2026年12月1日 18:00"),  # no offset: Beijing time
        (datetime(2026, 12, 1, 18, 0), "2026年12月1日 18:00"),
        (date(2026, 12, 1), "2026年12月1日"),
        ("2026-12-01", "2026年12月1日"),
        ("3个工作日内", "3个工作日内"),
    ],
)
def test_format_when(value, text):
    assert format_when(value) == text
