"""Notification texts: jinja2 templates (`activities/templates/*.j2`) rendered for the outbox.

Each template's first line is the subject, the rest the body. `Notification.template` names a
template without its `.j2` suffix. `case_no` is always provided from `Notification.case_no`;
every other key comes from `Notification.context`. Only the keys a template declares in
`TEMPLATE_CONTEXT_KEYS` / `TEMPLATE_OPTIONAL_KEYS` reach it, so personal data put into a
context by mistake can never be rendered; a missing required key raises. A department notice
is sent alike for confidential and other cases, so it never gets a key that
`rules.disclosure.DEPARTMENT_WITHHELD_KEYS` names (caller, address, street, community,
coordinates), even if a template declared one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, UndefinedError

from models.errors import BadDataError
from models.labels import (
    CASE_TYPE_LABELS,
    REPLY_RESULT_LABELS,
    RETURN_REASON_LABELS,
    STEP_LABELS,
    URGENCY_LABELS,
)
from models.records import Notification
from models.timestamps import BEIJING
from rules.disclosure import DEPARTMENT_WITHHELD_KEYS
from rules.escalation import LEVEL_NAMES

PROVIDED_KEYS: frozenset[str] = frozenset({"case_no"})

TEMPLATE_CONTEXT_KEYS: dict[str, frozenset[str]] = {
    "sms_received": frozenset({"expected_reply"}),
    "dispatch_notice": frozenset(
        {"title", "category", "case_type", "urgency", "lead", "sign_off_due", "handling_due"}
    ),
    "warning": frozenset({"step", "due"}),
    "urging_notice": frozenset({"step", "due", "days_overdue"}),
    "escalation_notice": frozenset({"level", "note", "by"}),
    "callback_script": frozenset({"title"}),
    "closure_sms": frozenset(),
    "return_notice": frozenset({"reason"}),
    "reply_rejected": frozenset({"note", "due"}),
    "extension_decision": frozenset({"approved", "new_due"}),
}
"""Context keys each template requires (besides `case_no`)."""

TEMPLATE_OPTIONAL_KEYS: dict[str, frozenset[str]] = {
    "sms_received": frozenset({"retrieval_code"}),
    "warning": frozenset({"title"}),
    "urging_notice": frozenset({"title", "note"}),
    "escalation_notice": frozenset({"new_deadline", "title"}),
    "callback_script": frozenset({"department", "reply", "reply_result"}),
    "return_notice": frozenset({"department", "legal_basis", "approved", "note", "handling_due"}),
    "extension_decision": frozenset({"working_days", "note"}),
}
"""Context keys each template uses when present."""

CITIZEN_TEMPLATES: frozenset[str] = frozenset({"sms_received", "closure_sms"})
CENTRE_TEMPLATES: frozenset[str] = frozenset({"callback_script"})
DEPARTMENT_TEMPLATES: frozenset[str] = (
    frozenset(TEMPLATE_CONTEXT_KEYS) - CITIZEN_TEMPLATES - CENTRE_TEMPLATES
)


class TemplateContextError(BadDataError, ValueError):
    """Unknown template, or a context without a key the template requires."""


def template_name(name: str) -> str:
    """The template's key in `TEMPLATE_CONTEXT_KEYS`: `warning.j2` → `warning`."""
    return name.removesuffix(".j2")


def missing_context_keys(template: str, context: Mapping[str, Any]) -> frozenset[str]:
    """The required keys of `template` that `context` lacks (`case_no` is always provided)."""
    name = template_name(template)
    if name not in TEMPLATE_CONTEXT_KEYS:
        raise TemplateContextError(f"unknown notification template {template!r}")
    return TEMPLATE_CONTEXT_KEYS[name] - context.keys()


def format_when(value: object) -> str:
    """A datetime as Beijing time `2026年11月28日 18:00`; a date as `2026年11月28日`.

    ISO strings (what a datetime becomes after a trip through JSON) are parsed first; other
    strings pass through unchanged. A value without an offset is taken as Beijing time.
    """
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, datetime):
        naive = value.tzinfo is None or value.utcoffset() is None
        local = value.replace(tzinfo=BEIJING) if naive else value.astimezone(BEIJING)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _parse_iso(value: str) -> object:
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return value


def _label(labels: Mapping[str, str]) -> Callable[[object], str]:
    def label(value: object) -> str:
        return labels.get(str(value), str(value))

    return label


def _level_label(value: object) -> str:
    try:
        return LEVEL_NAMES.get(int(str(value)), str(value))
    except ValueError:
        return str(value)


def make_environment() -> Environment:
    """The jinja2 environment of the templates: plain text, strict about undefined names."""
    environment = Environment(
        loader=PackageLoader("activities", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters.update(
        when=format_when,
        step_label=_label(STEP_LABELS),
        urgency_label=_label(URGENCY_LABELS),
        case_type_label=_label(CASE_TYPE_LABELS),
        level_label=_level_label,
        return_reason_label=_label(RETURN_REASON_LABELS),
        reply_result_label=_label(REPLY_RESULT_LABELS),
    )
    return environment


class NotificationRenderer:
    """Renders a `Notification` into (subject, body)."""

    def __init__(self, environment: Environment | None = None) -> None:
        self._environment = environment or make_environment()

    def render(self, n: Notification) -> tuple[str, str]:
        name = template_name(n.template)
        missing = missing_context_keys(name, n.context)
        if missing:
            raise TemplateContextError(
                f"template {name!r} of case {n.case_no} (event {n.event_key!r}) lacks "
                f"context keys: {', '.join(sorted(missing))}"
            )
        allowed = TEMPLATE_CONTEXT_KEYS[name] | TEMPLATE_OPTIONAL_KEYS.get(name, frozenset())
        if name in DEPARTMENT_TEMPLATES:
            allowed -= DEPARTMENT_WITHHELD_KEYS
        context = {key: value for key, value in n.context.items() if key in allowed}
        context["case_no"] = n.case_no
        try:
            text = self._environment.get_template(f"{name}.j2").render(context)
        except UndefinedError as error:
            raise TemplateContextError(f"template {name!r}: {error.message}") from error
        subject, _, body = text.strip().partition("\n")
        return subject.strip(), body.strip()
