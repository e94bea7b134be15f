"""Readers of the telephony system's call records: Asterisk's queue_log, Asterisk's CDR CSV
(Master.csv) and the hotline's generic CSV (the formats: docs/call-records.md).

Pure functions: bytes in, one `CallFacts` per call out, with every malformed line named by its
number and reason; the good lines are kept. What one file says of a call may be partial (a
queue_log is appended to, so a call may enter the queue in one file and be answered in the
next): `merge` combines what two files, or two lines, say of the same call, and a queue_log and
the CDR of the same PBX, which share the call id (the caller channel's uniqueid).

Each call's direction (inbound, or outbound: a callback the centre placed) is decided by the
centre's rules (`rules.telephony`); only inbound calls are in the call indicators.

The caller's number is read into `CallFacts.caller` only to be hashed by the ingest; it is
never part of a reason, a log line or a repr.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from models.errors import BadDataError
from models.intake import CASE_NO_PATTERN
from rules.telephony import DEFAULT_RULES, Direction, TelephonyRules

DEFAULT_TIMEZONE = "Asia/Shanghai"
"""The PBX's local time zone, in which Master.csv writes its timestamps."""
MAX_CALL_ID = 64
MAX_QUEUE = 64
MAX_AGENT = 128

_CASE_NO = re.compile(CASE_NO_PATTERN)
_EVENT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CDR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]+(;\d+)?$")


class CallFormat(StrEnum):
    QUEUE_LOG = "queue_log"
    CDR = "cdr"
    CSV = "csv"


class Outcome(StrEnum):
    ANSWERED = "answered"  # an agent answered
    ABANDONED = "abandoned"  # the caller hung up before an agent answered
    TIMEOUT = "timeout"  # the queue gave up (its timeout)
    OTHER = "other"  # no agent, the caller left with a key, still queued at the file's end...


_PRECISION: Mapping[CallFormat, int] = {
    CallFormat.QUEUE_LOG: 2,
    CallFormat.CSV: 2,
    CallFormat.CDR: 1,
}
"""How exactly a format times a call in the queue: the queue_log and the generic CSV say when
the call entered the queue and when an agent answered; the CDR times the caller's channel
(from its start, an IVR included, to the bridge)."""

_RANK: Mapping[Outcome | None, int] = {
    None: 0,
    Outcome.OTHER: 1,
    Outcome.ABANDONED: 2,
    Outcome.TIMEOUT: 2,
    Outcome.ANSWERED: 3,
}


class LineError(BaseModel):
    """A line of a call file that was not read (`line` None: the whole file)."""

    line: int | None = Field(description="1-based physical line number; null: the whole file")
    reason: str

    def plain(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class CallFacts:
    """What a file says of one call; any field may be unknown (None) in a partial record."""

    call_id: str
    queue: str | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    outcome: Outcome | None = None
    agent: str | None = None
    case_no: str | None = None
    case_line: int | None = None
    """The line the case number was read from (to name it if the case is unknown)."""
    caller: str | None = field(default=None, repr=False)
    direction: Direction | None = None
    """None: the record does not say (stored as inbound unless another record says outbound)."""
    timing: CallFormat | None = None
    """The format whose record gave the times, wait and outcome (None: not known)."""


@dataclass
class ParsedCalls:
    format: CallFormat
    calls: dict[str, CallFacts]
    """By call id, in the order first seen."""
    errors: list[LineError]
    lines: int = 0
    """Non-blank lines read (a CSV header included)."""
    good_lines: int = 0
    """Lines read without a problem (a header, and lines of no call, included)."""

    @property
    def readable(self) -> bool:
        """Whether any line could be read at all."""
        return self.good_lines > 0

    @property
    def outbound(self) -> int:
        """Calls of the file that are outbound."""
        return sum(1 for facts in self.calls.values() if facts.direction is Direction.OUTBOUND)


def merge(old: CallFacts, new: CallFacts) -> CallFacts:
    """What two records of the same call say together, whichever came first.

    Records of equally exact timing (two queue_log files, several CDR records of one call): the
    outcome of the furthest stage wins (answered over abandoned or timeout over other; between
    equals, `new`), with its wait and agent; the call was offered at the earlier time, answered
    at the earlier, ended at the later.

    A queue_log and a CDR record of the same call: the queue_log's times, wait, outcome and
    agent win (it times the queue, the CDR the caller's channel), unless the CDR's record went
    further (the queue_log file ended while the call was still queued); a time one of them
    lacks is taken from the other.

    Either way the newer case number wins, and a call either record says is outbound is
    outbound.
    """
    exact = _exactness(old, new)
    if exact is not None:
        fine, rough = exact
        lead, other = (
            (fine, rough) if _RANK[fine.outcome] >= _RANK[rough.outcome] else (rough, fine)
        )
    elif _RANK[new.outcome] > _RANK[old.outcome] or (
        _RANK[new.outcome] == _RANK[old.outcome] and new.outcome is not None
    ):
        lead, other = new, old
    else:
        lead, other = old, new
    answered = lead.outcome is Outcome.ANSWERED
    if exact is not None:
        offered = lead.offered_at or other.offered_at
        answered_at = (lead.answered_at or other.answered_at) if answered else None
        ended = lead.ended_at or other.ended_at
        talk = lead.talk_seconds if lead.talk_seconds is not None else other.talk_seconds
    else:
        offered = _earliest(old.offered_at, new.offered_at)
        answered_at = _earliest(old.answered_at, new.answered_at) if answered else None
        ended = _latest(old.ended_at, new.ended_at)
        talk = _largest(old.talk_seconds, new.talk_seconds)
    return CallFacts(
        call_id=old.call_id,
        queue=(lead.queue or other.queue) if answered else (other.queue or lead.queue),
        offered_at=offered,
        answered_at=answered_at,
        ended_at=ended,
        wait_seconds=lead.wait_seconds if lead.wait_seconds is not None else other.wait_seconds,
        talk_seconds=talk,
        outcome=lead.outcome,
        agent=(lead.agent or other.agent) if answered else None,
        case_no=new.case_no or old.case_no,
        case_line=new.case_line if new.case_no else old.case_line,
        caller=old.caller or new.caller,
        direction=_direction(old.direction, new.direction),
        timing=lead.timing or other.timing,
    )


def _exactness(a: CallFacts, b: CallFacts) -> tuple[CallFacts, CallFacts] | None:
    """(the more exactly timed, the other) of two records of unequal timing; None if equal or
    not known."""
    if a.timing is None or b.timing is None or _PRECISION[a.timing] == _PRECISION[b.timing]:
        return None
    return (a, b) if _PRECISION[a.timing] > _PRECISION[b.timing] else (b, a)


def _direction(a: Direction | None, b: Direction | None) -> Direction | None:
    if Direction.OUTBOUND in (a, b):
        return Direction.OUTBOUND
    return a or b


def finished(facts: CallFacts) -> CallFacts:
    """`facts` as stored: a wait worked out from the times when no event gave it, `other` for a
    call of no outcome yet (still queued when the file ended)."""
    wait = facts.wait_seconds
    if wait is None and facts.offered_at is not None:
        until = facts.answered_at or facts.ended_at
        if until is not None:
            wait = max(0, int((until - facts.offered_at).total_seconds()))
    talk = facts.talk_seconds
    if talk is None and facts.answered_at is not None and facts.ended_at is not None:
        talk = max(0, int((facts.ended_at - facts.answered_at).total_seconds()))
    return replace(
        facts,
        wait_seconds=wait,
        talk_seconds=talk,
        outcome=facts.outcome or Outcome.OTHER,
        direction=facts.direction or Direction.INBOUND,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


def _largest(a: int | None, b: int | None) -> int | None:
    return max(a, b) if a is not None and b is not None else (a if a is not None else b)


def time_zone(name: str) -> tzinfo:
    """The zone of an IANA name (Asia/Shanghai); ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name like Asia/Shanghai)") from None


def parse(
    data: bytes,
    format: CallFormat,
    timezone: str = DEFAULT_TIMEZONE,
    rules: TelephonyRules = DEFAULT_RULES,
) -> ParsedCalls:
    """The calls of a file; never raises for bad content (the problems are in the result).

    `timezone` is the PBX's local zone, used for Master.csv (queue_log has epoch seconds and the
    generic CSV explicit offsets). `rules` decide each call's direction. ValueError for an
    unknown zone.
    """
    zone = time_zone(timezone)
    parsed = ParsedCalls(format, {}, [])
    try:
        text = _decode(data)
    except ValueError as err:
        parsed.errors.append(LineError(line=None, reason=str(err)))
        return parsed
    if format is CallFormat.QUEUE_LOG:
        _parse_queue_log(text, parsed, rules)
    elif format is CallFormat.CDR:
        _parse_cdr(text, parsed, zone, rules)
    else:
        _parse_generic(text, parsed, rules)
    if parsed.lines == 0:
        parsed.errors.append(LineError(line=None, reason="the file is empty"))
    return parsed


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValueError("the file is neither UTF-8 nor GB18030 text") from None


def _add(parsed: ParsedCalls, facts: CallFacts) -> None:
    known = parsed.calls.get(facts.call_id)
    parsed.calls[facts.call_id] = facts if known is None else merge(known, facts)


class _BadLine(BadDataError, ValueError):
    pass


# ---- queue_log ----------------------------------------------------------------------------------

_NON_CALL = {"NONE", ""}
_IGNORED_EVENTS = frozenset(
    {
        "RINGNOANSWER",
        "RINGCANCELED",
        "DID",
        "INFO",
        "AGENTDUMP",
        "SYSCOMPAT",
        "PAUSE",
        "UNPAUSE",
        "PAUSEALL",
        "UNPAUSEALL",
        "ADDMEMBER",
        "REMOVEMEMBER",
        "QUEUESTART",
        "CONFIGRELOAD",
    }
)
"""Events of no bearing on a call's outcome (or of no call at all): read, not recorded."""


def _parse_queue_log(text: str, parsed: ParsedCalls, rules: TelephonyRules) -> None:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parsed.lines += 1
        try:
            facts = _queue_log_line(line, rules)
        except _BadLine as err:
            parsed.errors.append(LineError(line=number, reason=str(err)))
            continue
        parsed.good_lines += 1
        if facts is not None:
            _add(parsed, facts)


def _queue_log_line(line: str, rules: TelephonyRules) -> CallFacts | None:
    fields = line.split("|")
    if len(fields) < 5:
        raise _BadLine(
            f"has {len(fields)} field(s); a queue_log line has at least 5 "
            "(epoch|callid|queue|agent|event)"
        )
    stamp, call_id, queue, agent, event, *data = (part.strip() for part in fields)
    at = _epoch(stamp)
    if not _EVENT.match(event):
        raise _BadLine(f"event {event[:40]!r} is not an event name")
    outbound_event = event in rules.queue_log.outbound_events
    if call_id in _NON_CALL or (event in _IGNORED_EVENTS and not outbound_event):
        return None  # a line of the queue or agent (QUEUESTART, CONFIGRELOAD...), or no outcome
    _check_id(call_id, "callid")
    queue_name = _optional_name(queue, MAX_QUEUE, "queue")
    agent_name = _optional_name(agent, MAX_AGENT, "agent")
    outbound = outbound_event or (
        queue_name is not None and queue_name in rules.queue_log.outbound_queues
    )

    def seconds(index: int, name: str) -> int:
        value = data[index] if index < len(data) else ""
        return _seconds(value, f"{event} data{index + 1} ({name})")

    base = CallFacts(
        call_id=call_id,
        queue=queue_name,
        direction=Direction.OUTBOUND if outbound else None,
        timing=CallFormat.QUEUE_LOG,
    )
    if outbound_event:
        return replace(base, offered_at=at)  # the call was placed; the usual events follow
    if event == "ENTERQUEUE":
        caller = data[1] if len(data) > 1 and not outbound else ""
        return replace(base, offered_at=at, caller=caller or None)
    if event == "CONNECT":
        hold = seconds(0, "holdtime")
        return replace(
            base,
            offered_at=at - timedelta(seconds=hold),
            answered_at=at,
            wait_seconds=hold,
            outcome=Outcome.ANSWERED,
            agent=agent_name,
        )
    if event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        waited = seconds(2, "waittime")
        outcome = {"ABANDON": Outcome.ABANDONED, "EXITWITHTIMEOUT": Outcome.TIMEOUT}.get(
            event, Outcome.OTHER
        )
        return _left(base, at, waited, outcome)
    if event == "EXITWITHKEY":
        # key|position|origposition|waittime; older versions stop after the position.
        wait = seconds(3, "waittime") if len(data) > 3 and data[3] else None
        return _left(base, at, wait, Outcome.OTHER)
    if event in ("COMPLETEAGENT", "COMPLETECALLER"):
        return _completed(base, at, seconds(0, "holdtime"), seconds(1, "calltime"), agent_name)
    if event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        hold, talk = seconds(2, "holdtime"), seconds(3, "calltime")
        return _completed(base, at, hold, talk, agent_name)
    return None  # an event this reader does not know: of no bearing on the indicators


def _left(base: CallFacts, at: datetime, wait: int | None, outcome: Outcome) -> CallFacts:
    offered = at - timedelta(seconds=wait) if wait is not None else None
    return replace(base, offered_at=offered, ended_at=at, wait_seconds=wait, outcome=outcome)


def _completed(base: CallFacts, at: datetime, hold: int, talk: int, agent: str | None) -> CallFacts:
    answered = at - timedelta(seconds=talk)
    return replace(
        base,
        offered_at=answered - timedelta(seconds=hold),
        answered_at=answered,
        ended_at=at,
        wait_seconds=hold,
        talk_seconds=talk,
        outcome=Outcome.ANSWERED,
        agent=agent,
    )


def _epoch(value: str) -> datetime:
    try:
        seconds = float(value)
    except ValueError:
        raise _BadLine(f"time {value[:40]!r} is not epoch seconds") from None
    if not 0 < seconds < 32503680000:  # before the year 3000
        raise _BadLine(f"time {value[:40]!r} is out of range")
    return datetime.fromtimestamp(int(seconds), UTC)


def _seconds(value: str, what: str) -> int:
    if not value.isdigit():
        shown = repr(value[:40]) if value else "missing"
        raise _BadLine(f"{what} is {shown}, not a whole number of seconds")
    return int(value)


def _check_id(value: str, what: str) -> str:
    if not value:
        raise _BadLine(f"{what} is empty")
    if len(value) > MAX_CALL_ID:
        raise _BadLine(f"{what} is longer than {MAX_CALL_ID} characters")
    return value


def _optional_name(value: str, limit: int, what: str) -> str | None:
    if value in _NON_CALL:
        return None
    if len(value) > limit:
        raise _BadLine(f"{what} is longer than {limit} characters")
    return value


# ---- CDR (Master.csv) ---------------------------------------------------------------------------

CDR_COLUMNS: tuple[str, ...] = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
)
"""Master.csv's columns (no header), with `loguniqueid` and `loguserfield` on; the last three
only with `newcdrcolumns` on."""
_DISPOSITIONS = frozenset({"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"})


def _rows(text: str, parsed: ParsedCalls) -> Iterator[tuple[int, list[str]]]:
    """The non-blank CSV rows of `text`, one a line, with their line numbers; an unreadable line
    is an error and reading goes on at the next. (A cell may not hold a line break: call
    records have none, and a stray quote then spoils one line, not the rest of the file.)"""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed.lines += 1
        try:
            rows = list(csv.reader([line], strict=True))
        except csv.Error as err:
            reason = 'a quote (") is never closed' if "end of data" in str(err) else str(err)
            parsed.errors.append(LineError(line=number, reason=f"not readable as CSV: {reason}"))
            continue
        yield number, rows[0]


def _parse_cdr(text: str, parsed: ParsedCalls, zone: tzinfo, rules: TelephonyRules) -> None:
    for number, row in _rows(text, parsed):
        try:
            facts = _cdr_row(row, zone, number, rules)
        except _BadLine as err:
            parsed.errors.append(LineError(line=number, reason=str(err)))
            continue
        parsed.good_lines += 1
        _add(parsed, facts)


def _cdr_row(row: list[str], zone: tzinfo, number: int, rules: TelephonyRules) -> CallFacts:
    if len(row) < 17:
        raise _BadLine(
            f"has {len(row)} column(s); a Master.csv record has 18 "
            "(accountcode ... disposition, amaflags, uniqueid, userfield)"
        )
    cells = dict.fromkeys(CDR_COLUMNS, "")
    cells.update(zip(CDR_COLUMNS, (cell.strip() for cell in row), strict=False))
    unique_id = _check_id(cells["uniqueid"], "uniqueid")
    # With newcdrcolumns, linkedid names the call a record is a leg of: the uniqueid of the
    # call's first channel, which the queue_log calls the callid.
    call_id = _check_id(cells["linkedid"], "linkedid") if cells["linkedid"] else unique_id
    start = _local_time(cells["start"], "start", zone)
    answer = _local_time(cells["answer"], "answer", zone) if cells["answer"] else None
    end = _local_time(cells["end"], "end", zone) if cells["end"] else None
    duration = _seconds(cells["duration"], "duration")
    billsec = _seconds(cells["billsec"], "billsec")
    disposition = cells["disposition"].upper()
    if disposition not in _DISPOSITIONS:
        raise _BadLine(
            f"disposition {cells['disposition'][:40]!r} is not ANSWERED, NO ANSWER, BUSY or FAILED"
        )
    if end is not None and end < start:
        raise _BadLine("end is before start")
    agent_channel = cells["dstchannel"]
    queue = cells["lastdata"].split(",")[0].strip() if cells["lastapp"] == "Queue" else None
    if queue is not None and len(queue) > MAX_QUEUE:
        raise _BadLine(f"queue is longer than {MAX_QUEUE} characters")
    case_no = next(
        (value for value in (cells["userfield"], cells["accountcode"]) if _CASE_NO.match(value)),
        None,
    )
    if call_id != unique_id:
        # A peer leg (an agent's channel after a transfer...): the call it belongs to lasted at
        # least as long and may be named a case; its times and outcome are not the caller's.
        return CallFacts(
            call_id=call_id, ended_at=end, case_no=case_no, case_line=number if case_no else None
        )
    direction = rules.cdr.direction(cells["accountcode"], cells["dcontext"], cells["lastapp"])
    outbound = direction is Direction.OUTBOUND
    base = CallFacts(
        call_id=call_id,
        queue=queue or None,
        offered_at=start,
        ended_at=end,
        case_no=case_no,
        case_line=number if case_no else None,
        # The citizen's number: the caller of an incoming call, the number dialled of a callback.
        caller=(cells["dst"] if outbound else cells["src"]) or None,
        direction=direction,
        timing=CallFormat.CDR,
    )
    if outbound:
        # Placed by an agent (its channel) to the citizen (the trunk, dstchannel): answered when
        # the citizen answered, else not reached (no answer, busy, failed).
        if disposition == "ANSWERED" and agent_channel:
            return replace(
                base,
                answered_at=answer or start,
                wait_seconds=max(0, duration - billsec),
                talk_seconds=billsec,
                outcome=Outcome.ANSWERED,
                agent=_CHANNEL_SUFFIX.sub("", cells["channel"])[:MAX_AGENT] or None,
            )
        return replace(base, wait_seconds=duration, outcome=Outcome.OTHER)
    if disposition == "ANSWERED" and agent_channel:
        answered = answer or start
        return replace(
            base,
            answered_at=answered,
            wait_seconds=max(0, duration - billsec),
            talk_seconds=billsec,
            outcome=Outcome.ANSWERED,
            agent=_CHANNEL_SUFFIX.sub("", agent_channel)[:MAX_AGENT],
        )
    # Answered by the queue or an IVR but never bridged to an agent, or no answer at all.
    outcome = Outcome.ABANDONED if disposition in ("ANSWERED", "NO ANSWER") else Outcome.OTHER
    return replace(base, wait_seconds=duration, outcome=outcome)


def _local_time(value: str, what: str, zone: tzinfo) -> datetime:
    if not _CDR_TIME.match(value):
        shown = repr(value[:40]) if value else "missing"
        raise _BadLine(f"{what} is {shown}, not YYYY-MM-DD HH:MM:SS")
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise _BadLine(f"{what} {value!r} is not a date and time") from None


# ---- the generic CSV ----------------------------------------------------------------------------

GENERIC_COLUMNS: tuple[str, ...] = (
    "call_id",
    "offered_at",
    "answered_at",
    "ended_at",
    "queue",
    "agent",
    "case_no",
    "outcome",
    "direction",
)
GENERIC_REQUIRED: tuple[str, ...] = ("call_id", "offered_at", "answered_at", "ended_at")
_UNANSWERED = {
    "": Outcome.ABANDONED,
    "abandoned": Outcome.ABANDONED,
    "timeout": Outcome.TIMEOUT,
    "other": Outcome.OTHER,
}


def _parse_generic(text: str, parsed: ParsedCalls, rules: TelephonyRules) -> None:
    columns: list[str] | None = None
    for number, row in _rows(text, parsed):
        if columns is None:
            names = [cell.strip().lower() for cell in row]
            missing = [name for name in GENERIC_REQUIRED if name not in names]
            if missing:
                parsed.errors.append(
                    LineError(
                        line=number,
                        reason=f"the header lacks column(s) {', '.join(missing)} "
                        f"(expected {', '.join(GENERIC_COLUMNS)})",
                    )
                )
                return
            parsed.good_lines += 1
            columns = names
            continue
        try:
            cells = dict(zip(columns, row, strict=False))
            facts = _generic_row(cells, len(row), columns, number, rules)
        except _BadLine as err:
            parsed.errors.append(LineError(line=number, reason=str(err)))
            continue
        parsed.good_lines += 1
        _add(parsed, facts)


def _generic_row(
    cells: dict[str, str], width: int, columns: list[str], number: int, rules: TelephonyRules
) -> CallFacts:
    if width != len(columns):
        raise _BadLine(f"has {width} cell(s) but the header has {len(columns)} columns")
    value = {name: cell.strip() for name, cell in cells.items()}
    call_id = _check_id(value["call_id"], "call_id")
    offered = _iso(value["offered_at"], "offered_at", required=True)
    assert offered is not None
    answered = _iso(value["answered_at"], "answered_at")
    ended = _iso(value["ended_at"], "ended_at")
    for name, moment in (("answered_at", answered), ("ended_at", ended)):
        if moment is not None and moment < offered:
            raise _BadLine(f"{name} is before offered_at")
    if answered is not None and ended is not None and ended < answered:
        raise _BadLine("ended_at is before answered_at")
    case_no = value.get("case_no", "")
    if case_no and not _CASE_NO.match(case_no):
        raise _BadLine(f"case_no {case_no[:40]!r} is not a case number (like GY20261128-000123)")
    stated_direction = value.get("direction", "").lower()
    if stated_direction and stated_direction not in set(Direction):
        raise _BadLine(f"direction {stated_direction[:40]!r} is not inbound or outbound")
    direction = Direction(stated_direction) if stated_direction else rules.csv.default
    stated = value.get("outcome", "").lower()
    if answered is not None:
        if stated not in ("", "answered"):
            raise _BadLine(f"outcome {stated!r} but answered_at is given")
        outcome = Outcome.ANSWERED
    elif stated == "" and direction is Direction.OUTBOUND:
        outcome = Outcome.OTHER  # a callback the citizen did not take is no abandoned call
    elif stated in _UNANSWERED:
        outcome = _UNANSWERED[stated]
    else:
        raise _BadLine(
            f"outcome {stated[:40]!r} is not answered, abandoned, timeout or other"
            if stated != "answered"
            else "outcome 'answered' but answered_at is empty"
        )
    return CallFacts(
        call_id=call_id,
        queue=_optional_name(value.get("queue", ""), MAX_QUEUE, "queue"),
        offered_at=offered,
        answered_at=answered,
        ended_at=ended,
        outcome=outcome,
        agent=_optional_name(value.get("agent", ""), MAX_AGENT, "agent")
        if answered is not None
        else None,
        case_no=case_no or None,
        case_line=number if case_no else None,
        direction=direction,
        timing=CallFormat.CSV,
    )


def _iso(value: str, what: str, *, required: bool = False) -> datetime | None:
    if not value:
        if required:
            raise _BadLine(f"{what} is empty")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadLine(f"{what} {value[:40]!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _BadLine(f"{what} {value[:40]!r} has no UTC offset (like +08:00)")
    return moment.astimezone(UTC).replace(microsecond=0)
