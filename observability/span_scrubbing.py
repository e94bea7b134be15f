"""The last filter a span passes before it leaves the process: no personal data in an export.

Spans record exceptions (an activity's failure, an error in a request): an exception's message
can quote a database statement's parameters, a caller's name or address among them, which no
pattern can recognise. So an exported span keeps an exception's type and its stack frames, never
its message; a status description keeps the exception type only; and every other string value
has what looks like a mainland mobile number or an ID card number masked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status

from observability.logs import mask_personal_data

REDACTED: Final = "redacted"
EXCEPTION_MESSAGE: Final = "exception.message"
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return tuple(_masked(item) for item in value)
    return value


def masked_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: _masked(value) for key, value in (attributes or {}).items()}


def frames_only(stacktrace: str) -> str:
    """A formatted traceback without the lines that state an exception (type: message)."""
    kept = [line for line in stacktrace.splitlines() if line.startswith(("Traceback", " "))]
    return mask_personal_data("\n".join(kept))


def scrubbed_event(event: Event) -> Event:
    attributes = masked_attributes(event.attributes)
    if EXCEPTION_MESSAGE in attributes:
        attributes[EXCEPTION_MESSAGE] = REDACTED
    stacktrace = (event.attributes or {}).get(EXCEPTION_STACKTRACE)
    if isinstance(stacktrace, str):
        attributes[EXCEPTION_STACKTRACE] = frames_only(stacktrace)
    return Event(event.name, attributes, event.timestamp)


def scrubbed_status(status: Status) -> Status:
    if not status.description:
        return status
    kind, colon, _ = status.description.partition(":")
    return Status(status.status_code, kind if colon else REDACTED)


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` fit to leave the process."""
    return ReadableSpan(
        name=mask_personal_data(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=masked_attributes(span.attributes),
        events=[scrubbed_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=scrubbed_status(span.status),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingSpanExporter(SpanExporter):
    """Exports through `inner` the scrubbed copy of every span."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)
