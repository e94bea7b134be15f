"""Datetimes that enter the hotline: each one carries its UTC offset, or it is refused.

A datetime without an offset (`2026-12-01T10:00:00`) names no instant: it could be Beijing time,
UTC or the sender's own zone. The hotline never guesses; request bodies, query strings, cursors
and command-line options take `OffsetDateTime`, which is pydantic's `AwareDatetime` with a
message that says what to add. A date where a date is meant (a report's first day) stays a date.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Final

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

BEIJING: Final[timezone] = timezone(timedelta(hours=8), "Asia/Shanghai")
"""Beijing time, the hotline's local time: UTC+8 all year round (no daylight saving time),
named by its IANA zone Asia/Shanghai. The one definition of the zone; import it from here."""

OFFSET_RULE = "timezone_aware"
"""The rule a naive datetime breaks, as pydantic names it (the `rule` of a 422 problem)."""
OFFSET_MESSAGE = (
    "needs a UTC offset: add +08:00 for Beijing time or Z for UTC, e.g. 2026-12-01T10:00:00+08:00"
)

# In a query string `+` means a space: `...T10:00:00+08:00` sent unencoded arrives as
# `...T10:00:00 08:00`. A space can never stand there, so it can only be the offset's sign.
_PLUS_AS_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def _offset_required(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    try:
        moment: datetime = handler(value)
    except ValidationError as err:
        if any(error["type"] == OFFSET_RULE for error in err.errors()):
            raise PydanticCustomError(OFFSET_RULE, OFFSET_MESSAGE) from None
        raise
    return moment


def _plus_restored(value: Any) -> Any:
    if isinstance(value, str):
        return _PLUS_AS_SPACE.sub(r"\1+\2", value.strip())
    return value


OffsetDateTime = Annotated[AwareDatetime, WrapValidator(_offset_required)]
"""A datetime with its UTC offset (`…+08:00`, `…Z`); a naive one is refused, never guessed."""

QueryDateTime = Annotated[OffsetDateTime, BeforeValidator(_plus_restored)]
"""`OffsetDateTime` in a query string, where an unencoded `+` of the offset arrives as a space."""

_ADAPTER: TypeAdapter[datetime] = TypeAdapter(OffsetDateTime)


def offset_datetime(value: Any) -> datetime:
    """`value` (an ISO 8601 string or a datetime) as an aware datetime.

    ValueError (a pydantic ValidationError) when it is not a datetime or carries no offset.
    """
    return _ADAPTER.validate_python(value)


def offset_refusal(err: BaseException) -> str | None:
    """The reason `err` gives, if it refused a datetime for lacking its offset; else None."""
    if isinstance(err, ValidationError) and any(e["type"] == OFFSET_RULE for e in err.errors()):
        return OFFSET_MESSAGE
    return None
