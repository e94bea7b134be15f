"""Call direction: which call records are incoming calls (来电) and which are outbound calls the
centre placed (回访 callbacks), per source format, as data a centre can override.

Only incoming calls are in the call indicators (呼叫接通率 = 接通的来电 ÷ 来电总量, the 15-second
answer rate, abandoned calls); an outbound call linked to a case counts as a callback attempt of
that case. How each format is decided (docs/call-records.md):

- **Asterisk CDR (Master.csv)**: the first rule that matches, in this order: the record's
  `accountcode` (outbound, then inbound list), its destination context `dcontext` (outbound,
  then inbound), its last application `lastapp` (outbound, then inbound); else `default`.
- **Asterisk queue_log**: a call is outbound when any of its lines is an outbound event (the
  `CALLOUTBOUND` of outbound-campaign queue_logs) or names an outbound queue; else inbound.
- **Generic CSV**: the `direction` column (`inbound` or `outbound`); an empty cell, or no such
  column, is `default`.

The shipped defaults suit a centre whose trunks enter the dial plan in `from-pstn` or
`from-trunk` and whose agents dial callbacks from the `hotline-callback` context with the
accountcode `callback`. A centre overrides any of them with a YAML (or JSON) file named by
`HOTLINE_TELEPHONY_RULES`; a key given there replaces the default of that key, a key left out
keeps it. A file that cannot be read, an unknown key, an empty name or a name listed as both
inbound and outbound is refused with `TelephonyRulesError` naming the file and the key.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from models.errors import ConfigurationError
from settings.environment import TELEPHONY_RULES_ENV

MAX_NAME: Final[int] = 80


class Direction(StrEnum):
    INBOUND = "inbound"  # a call to the hotline: offered to its queues, in the call indicators
    OUTBOUND = "outbound"  # a call the centre placed: a callback (回访), never in them


class TelephonyRulesError(ConfigurationError, ValueError):
    """The centre's direction rules cannot be used: the message names the file and the key."""


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
EventName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=MAX_NAME)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _both(kind: str, outbound: tuple[str, ...], inbound: tuple[str, ...], fold: bool) -> None:
    key = str.casefold if fold else str
    common = sorted({key(name) for name in outbound} & {key(name) for name in inbound})
    if common:
        raise ValueError(f"{kind} {', '.join(map(repr, common))} listed as inbound and outbound")


class CdrRules(_Section):
    """Master.csv: accountcodes, then destination contexts, then applications, then default."""

    outbound_accountcodes: tuple[Name, ...] = Field(
        default=("callback",), description="accountcode of calls the centre placed"
    )
    inbound_accountcodes: tuple[Name, ...] = Field(default=())
    outbound_contexts: tuple[Name, ...] = Field(
        default=("hotline-callback",), description="dcontext of calls agents dial out"
    )
    inbound_contexts: tuple[Name, ...] = Field(
        default=("from-pstn", "from-trunk"), description="dcontext where trunk calls arrive"
    )
    outbound_applications: tuple[Name, ...] = Field(
        default=(), description="lastapp of outbound calls (names compared case-insensitively)"
    )
    inbound_applications: tuple[Name, ...] = Field(default=("Queue",))
    default: Direction = Direction.INBOUND

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        _both("accountcode", self.outbound_accountcodes, self.inbound_accountcodes, False)
        _both("context", self.outbound_contexts, self.inbound_contexts, False)
        _both("application", self.outbound_applications, self.inbound_applications, True)
        return self

    def direction(self, accountcode: str, context: str, application: str) -> Direction:
        """The direction of one CDR record, by the first rule that matches."""
        if accountcode in self.outbound_accountcodes:
            return Direction.OUTBOUND
        if accountcode in self.inbound_accountcodes:
            return Direction.INBOUND
        if context in self.outbound_contexts:
            return Direction.OUTBOUND
        if context in self.inbound_contexts:
            return Direction.INBOUND
        app = application.casefold()
        if app in {name.casefold() for name in self.outbound_applications}:
            return Direction.OUTBOUND
        if app in {name.casefold() for name in self.inbound_applications}:
            return Direction.INBOUND
        return self.default


class QueueLogRules(_Section):
    """queue_log: a call of an outbound event or an outbound queue is outbound, others inbound."""

    outbound_events: tuple[EventName, ...] = Field(
        default=("CALLOUTBOUND",),
        description="events that start an outbound call (offered at the line's time)",
    )
    outbound_queues: tuple[Name, ...] = Field(
        default=(), description="queues of outbound campaigns: every call in them is outbound"
    )


class CsvRules(_Section):
    """The generic CSV: the `direction` column, this when it is empty or missing."""

    default: Direction = Direction.INBOUND


class TelephonyRules(_Section):
    """The centre's direction rules, by source format."""

    cdr: CdrRules = CdrRules()
    queue_log: QueueLogRules = QueueLogRules()
    csv: CsvRules = CsvRules()


DEFAULT_RULES: Final[TelephonyRules] = TelephonyRules()


def parse_rules(data: Any, origin: str = "telephony rules") -> TelephonyRules:
    """The rules of a mapping read from a file (None or empty: the defaults).
    TelephonyRulesError names `origin` and every key that is wrong."""
    if data is None:
        return DEFAULT_RULES
    if not isinstance(data, dict):
        raise TelephonyRulesError(f"{origin}: expected a mapping of cdr, queue_log and csv")
    try:
        return TelephonyRules.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(top)'}: {issue['msg']}"
            for issue in err.errors()
        )
        raise TelephonyRulesError(f"{origin}: {problems}") from None


def load_rules(path: Path | None = None) -> TelephonyRules:
    """The rules of `path` (the file in HOTLINE_TELEPHONY_RULES, from the settings), or the
    defaults when there is none.

    A file named but missing is an error, not the defaults: it would silently count callbacks
    as incoming calls."""
    if path is None:
        return DEFAULT_RULES
    origin = f"{TELEPHONY_RULES_ENV} file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise TelephonyRulesError(f"{origin}: cannot be read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise TelephonyRulesError(f"{origin}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise TelephonyRulesError(f"{origin}: not YAML or JSON{where}") from None
    return parse_rules(data, origin)
