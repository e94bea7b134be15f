"""Log lines of the API and worker processes: JSON lines for collectors, text for a terminal.

`configure_logging` installs one stderr handler on the root logger. A JSON line carries time
(ISO-8601, UTC), level, logger, message and service, and when known the case number, workflow
id, activity type and the current trace and span ids. The case number comes from an explicit
`extra={"case_no": ...}` or from the workflow id (`case-<case number>`) that Temporal's
`activity.logger` and `workflow.logger` put in a record. Whatever the format, a redaction filter
masks what looks like a mainland mobile number or a resident ID card number in the message, its
arguments and a traceback: the last line of defence, not a licence to log personal data.

HOTLINE_LOG_FORMAT=json|text chooses the format; unset, a terminal gets text (`make run`) and
anything else (a container, a service manager, a pipe) gets JSON.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, TextIO

from opentelemetry import trace

LOG_FORMAT_ENV: Final = "HOTLINE_LOG_FORMAT"
CASE_WORKFLOW_PREFIX: Final = "case-"

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
PHONE_MASK: Final = "[phone]"
ID_CARD_MASK: Final = "[id-card]"
_MARK: Final = "_hotline_log_handler"  # on the handler configure_logging installed


def mask_personal_data(text: str) -> str:
    """`text` with every mainland mobile number and resident ID card number masked."""
    return _PHONE.sub(PHONE_MASK, _ID_CARD.sub(ID_CARD_MASK, text))


class RedactionFilter(logging.Filter):
    """Masks phone and ID card numbers in a record's message, arguments and traceback.

    The record's message is formatted once here and its arguments dropped, so no handler can
    format the unmasked arguments later."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def _temporal_details(record: logging.LogRecord) -> Mapping[str, Any]:
    for key in ("temporal_activity", "temporal_workflow"):
        details = getattr(record, key, None)
        if isinstance(details, Mapping):
            return details
    return {}


def record_context(record: logging.LogRecord) -> dict[str, str]:
    """What a record says about where it was logged: case, workflow, activity, trace, span."""
    context: dict[str, str] = {}
    details = _temporal_details(record)
    workflow_id = getattr(record, "workflow_id", None) or details.get("workflow_id")
    case_no = getattr(record, "case_no", None)
    is_case = isinstance(workflow_id, str) and workflow_id.startswith(CASE_WORKFLOW_PREFIX)
    if case_no is None and is_case:
        case_no = str(workflow_id).removeprefix(CASE_WORKFLOW_PREFIX)
    if case_no is not None:
        context["case_no"] = str(case_no)
    if workflow_id is not None:
        context["workflow_id"] = str(workflow_id)
    activity = getattr(record, "activity", None) or details.get("activity_type")
    if activity is not None:
        context["activity"] = str(activity)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        context["trace_id"] = trace.format_trace_id(span.trace_id)
        context["span_id"] = trace.format_span_id(span.span_id)
    return context


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            **record_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable line of a terminal, with the case and trace when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = record_context(record)
        tags = [f"{key}={context[key]}" for key in ("case_no", "trace_id") if key in context]
        if not tags:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{' '.join(tags)}]{newline}{rest}"


def wants_json(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """JSON unless HOTLINE_LOG_FORMAT says text, or it is unset and `stream` is a terminal."""
    chosen = (environ if environ is not None else os.environ).get(LOG_FORMAT_ENV, "").lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    if chosen:
        raise ValueError(f"{LOG_FORMAT_ENV} must be json or text, not {chosen!r}")
    isatty = getattr(stream, "isatty", None)
    return not (callable(isatty) and isatty())


def configure_logging(
    service: str,
    level: int | str = logging.INFO,
    json: bool | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send the process's log records to `stream` (default stderr) as JSON or text lines.

    `json` None follows HOTLINE_LOG_FORMAT, else the terminal test of `wants_json`. Calling it
    again replaces the handler it installed before; other handlers are left alone."""
    target = stream if stream is not None else sys.stderr
    as_json = wants_json(target) if json is None else json
    handler = logging.StreamHandler(target)
    handler.setFormatter(JsonFormatter(service) if as_json else TextFormatter())
    handler.addFilter(RedactionFilter())
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
