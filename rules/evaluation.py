"""Service evaluation (domain §9, after GB/T 33357): every case indicator's formula, which cases it
counts and when, the call indicators' formulas and which calls they count, and the department
score. The one place to read or change them; `evaluation.indicators`, `evaluation.calls` and
`evaluation.ranking` compute exactly what is written here.

Which period a case falls in
----------------------------
A case is placed in a period by one of two timestamps (Beijing days, `Period.start` included,
`Period.end` excluded):

- **received_at** for the intake indicators (direct answer rate, the daily volume of the trend,
  the type mix): what came in during the period and how intake handled it.
- **closed_at** for every indicator about handling and its outcome (sign-off, returns, on-time
  completion, overdue, callback, satisfaction, resolution, reopen) and so for the department
  score. A case counts once, in the period it closed, when all its facts are final: a published
  month does not change afterwards. Open cases are not in these rates; the live view
  (`evaluation.indicators.today_view`) shows them, overdue ones included.

Which department a case counts for
----------------------------------
Its lead department at the time of the figures (after an approved return and a re-dispatch, the
new lead). An approved return is not charged to the department that returned the case (domain §5:
returns count against a department only when rejected), so by department the figure that charges
it is the rejected return rate; a rejected return keeps the case with the same department.

Exclusions
----------
Withdrawn (撤单) and merged (并单) cases are in no department score and in no denominator of the
closure-based rates. Cases that are not valid requests (merged, withdrawn, not accepted 不予受理,
emergency hand-offs to 110/119/120/122, which are not 12345 cases) are not in the direct answer
rate's denominator. A callback that did not reach the citizen (the case closed "callback
unreachable") is in no satisfaction or resolution figure.

Calls and callbacks
-------------------
The call indicators count incoming calls only (呼叫接通率 = 接通的来电 ÷ 来电总量, standard §3.8):
an outbound call the centre placed (a callback, 回访) is never a call offered. An outbound call
linked to a case and placed after the case's last reply, before it closed, is a callback attempt
of that case: the callback rate counts the case as called back when the callback step recorded
an attempt or such a call was placed (the two are records of the same attempts, so they are not
added). Whether the citizen was reached, satisfied and the matter resolved comes from the
callback step alone (`satisfaction`, `resolved`): a call record says a call was placed, not what
the citizen said.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from models.enums import CaseStatus, ClosureReason, Step
from models.errors import ConfigurationError
from models.evaluation import Weights
from rules.telephony import Direction


class Anchor(StrEnum):
    """The timestamp that places a case in a period."""

    RECEIVED = "received_at"
    CLOSED = "closed_at"


@dataclass(frozen=True)
class IndicatorRule:
    """One indicator: its formula in words, the timestamp that places a case, its target."""

    key: str
    name: str  # Chinese name, as in reports
    numerator: str
    denominator: str
    anchor: Anchor | None  # None: not case-based (knowledge base, calls)
    target: float | None = None
    lower_is_better: bool = False

    def meets(self, rate: float | None) -> bool | None:
        if self.target is None or rate is None:
            return None
        return rate <= self.target if self.lower_is_better else rate >= self.target


# ---- the sets the formulas use ----------------------------------------------------------------

INTAKE_CLOSURES = frozenset({ClosureReason.DIRECT_ANSWER, ClosureReason.THREE_WAY_CALL})
"""Closed at intake by the centre itself: the direct answer rate's numerator."""

NOT_VALID_CLOSURES = frozenset(
    {
        ClosureReason.MERGED,
        ClosureReason.WITHDRAWN,
        ClosureReason.NOT_ACCEPTED,
        ClosureReason.EMERGENCY_HANDOFF,
    }
)
"""Cases that are not valid requests: outside the direct answer rate's denominator."""

NOT_SCORED_CLOSURES = frozenset({ClosureReason.WITHDRAWN, ClosureReason.MERGED})
"""Outside every closure-based rate and every department score."""

UNREACHED_CLOSURES = frozenset({ClosureReason.CALLBACK_UNREACHABLE})
"""The case's last callback did not reach the citizen: no satisfaction, no resolution."""

# 满意率 counts the levels of `rules.callback.SATISFIED`, the ones a callback closes a case on.

SIGN_OFF_STEPS = frozenset({Step.SIGN_OFF})
"""A deadline_overdue of these steps (after the last dispatch) makes the sign-off late."""

HANDLING_STEPS = frozenset({Step.HANDLING, Step.REDO, Step.REOPEN})
"""A deadline_overdue of these steps means the lead department's reply limit passed."""

OPEN_STATUSES = tuple(status.value for status in CaseStatus if status is not CaseStatus.CLOSED)
"""What the live view counts as open."""

# ---- the indicators ---------------------------------------------------------------------------

DIRECT_ANSWER_RATE = IndicatorRule(
    key="direct_answer_rate",
    name="直接答复率",
    numerator="valid cases closed at intake by a direct answer or a three-way call",
    denominator="valid cases received (not merged, withdrawn, not accepted or handed to 110/119/…)",
    anchor=Anchor.RECEIVED,
)
ON_TIME_SIGN_OFF_RATE = IndicatorRule(
    key="on_time_sign_off_rate",
    name="按时签收率",
    numerator="dispatched cases whose lead department signed before its sign-off limit passed "
    "(no sign-off overdue since the last dispatch)",
    denominator="closed cases dispatched to a lead department",
    anchor=Anchor.CLOSED,
)
RETURN_RATE = IndicatorRule(
    key="return_rate",
    name="退单率",
    numerator="returns (退单) of the closed cases, approved or rejected",
    denominator="dispatches of the closed cases (re-dispatches after an approved return count)",
    anchor=Anchor.CLOSED,
    lower_is_better=True,
)
REJECTED_RETURN_RATE = IndicatorRule(
    key="rejected_return_rate",
    name="退单驳回率",
    numerator="returns the centre rejected (the ones charged to a department)",
    denominator="dispatches of the closed cases",
    anchor=Anchor.CLOSED,
    lower_is_better=True,
)
ON_TIME_COMPLETION_RATE = IndicatorRule(
    key="on_time_completion_rate",
    name="按时办结率",
    numerator="cases whose every reply came within its limit; the limit includes an approved "
    "extension (and a supervisor's shorter deadline), as the reply recorded it",
    denominator="replies due: closed cases the lead department replied to, or whose reply limit "
    "passed without a reply",
    anchor=Anchor.CLOSED,
)
OVERDUE_RATE = IndicatorRule(
    key="overdue_rate",
    name="超期率",
    numerator="cases with a late reply, or whose reply limit passed without a reply",
    denominator="replies due (as for the on-time completion rate)",
    anchor=Anchor.CLOSED,
    lower_is_better=True,
)
CALLBACK_RATE = IndicatorRule(
    key="callback_rate",
    name="回访率",
    numerator="of those, cases the centre called back (at least one attempt, reached or not: "
    "recorded by the callback step, or an outbound call linked to the case placed after its "
    "last reply and before it closed)",
    denominator="closed cases that required a callback (the reply approved into callback)",
    anchor=Anchor.CLOSED,
)
SATISFACTION_RATE = IndicatorRule(
    key="satisfaction_rate",
    name="满意率",
    numerator="reached callbacks rated 非常满意, 满意 or 基本满意 (the last reached callback)",
    denominator="closed cases whose callback reached the citizen (not closed unreachable)",
    anchor=Anchor.CLOSED,
)
RESOLUTION_RATE = IndicatorRule(
    key="resolution_rate",
    name="解决率",
    numerator="reached callbacks where the citizen said the matter was resolved",
    denominator="closed cases whose callback reached the citizen (not closed unreachable)",
    anchor=Anchor.CLOSED,
)
REOPEN_RATE = IndicatorRule(
    key="reopen_rate",
    name="重办率",
    numerator="of those, cases reopened (重办) at least once after a dissatisfied callback",
    denominator="closed cases that were dispatched to a department",
    anchor=Anchor.CLOSED,
    lower_is_better=True,
)
KB_FRESHNESS = IndicatorRule(
    key="kb_freshness",
    name="知识库时效率",
    numerator="published articles whose review-by date is not before the period's last day",
    denominator="published articles (their current state), by owning department",
    anchor=None,
)
KB_UPDATES_PER_WEEK = IndicatorRule(
    key="kb_updates_per_week",
    name="知识更新量（每周）",
    numerator="article versions approved in the period (new articles and updates), "
    "by the version's department",
    denominator="weeks in the period (days / 7, rounded up); the rate is updates per week",
    anchor=None,
)

INDICATORS: tuple[IndicatorRule, ...] = (
    DIRECT_ANSWER_RATE,
    ON_TIME_SIGN_OFF_RATE,
    RETURN_RATE,
    REJECTED_RETURN_RATE,
    ON_TIME_COMPLETION_RATE,
    OVERDUE_RATE,
    CALLBACK_RATE,
    SATISFACTION_RATE,
    RESOLUTION_RATE,
    REOPEN_RATE,
    KB_FRESHNESS,
    KB_UPDATES_PER_WEEK,
)
KNOWLEDGE_INDICATORS = frozenset({KB_FRESHNESS.key, KB_UPDATES_PER_WEEK.key})
"""Only in the overall set and the department breakdown (articles have no type or channel)."""


# ---- the call indicators (from the telephony system's call records) -------------------------

CALL_INDICATOR_DIRECTION = Direction.INBOUND
"""The call indicators count these calls only: incoming calls (来电), never outbound callbacks."""
CALLBACK_CALL_DIRECTION = Direction.OUTBOUND
"""Calls of this direction linked to a case are callback attempts of that case."""
ANSWER_SECONDS = 15
"""Answered "within 15 s": an agent answered after at most this many seconds of waiting."""

CONNECTION_RATE = IndicatorRule(
    key="connection_rate",
    name="呼叫接通率",
    numerator="incoming calls answered by an agent (接通的来电)",
    denominator="incoming calls offered to the queues (来电总量); outbound calls are not counted",
    anchor=None,
    target=0.95,
)
"""Domain §9: at least 95 % of incoming calls are answered, judged over any 24 hours."""
ANSWER_15S_RATE = IndicatorRule(
    key="answer_15s_rate",
    name="15秒接通率",
    numerator="incoming calls answered by an agent after at most 15 s of waiting",
    denominator="incoming calls offered to the queues; outbound calls are not counted",
    anchor=None,
)
ABANDONED_CALLS = IndicatorRule(
    key="abandoned",
    name="放弃呼叫",
    numerator="incoming calls whose caller hung up before an agent answered (not timeouts)",
    denominator="none: a count",
    anchor=None,
)
CALL_INDICATORS: tuple[IndicatorRule, ...] = (CONNECTION_RATE, ANSWER_15S_RATE, ABANDONED_CALLS)


def rule(key: str) -> IndicatorRule:
    for item in INDICATORS:
        if item.key == key:
            return item
    raise KeyError(key)


def weeks(days: int) -> int:
    return max(1, math.ceil(days / 7))


# ---- the department score (考核) ---------------------------------------------------------------

RESPONSE_RATE = IndicatorRule(
    key="response_rate",
    name="响应率",
    numerator="as the on-time sign-off rate: the lead department signed within its limit",
    denominator="closed cases dispatched to the department",
    anchor=Anchor.CLOSED,
)
"""响应率 is taken as on-time sign-off: the department's acknowledgement within its limit."""

SCORE_COMPONENTS: tuple[tuple[str, IndicatorRule], ...] = (
    ("response", RESPONSE_RATE),
    ("resolution", RESOLUTION_RATE),
    ("satisfaction", SATISFACTION_RATE),
)
"""Score = 100 × (w_response × 响应率 + w_resolution × 解决率 + w_satisfaction × 满意率)."""

DEFAULT_WEIGHTS = Weights(response=0.30, resolution=0.35, satisfaction=0.35)
"""Beijing's three rates: response 30%, resolution 35%, satisfaction 35%."""

WEIGHT_TOLERANCE = 1e-9
SCORE_DECIMALS = 2
"""Scores are rounded to this many decimals; equal rounded scores share a rank (1, 1, 3)."""

DEFAULT_CLASSES: Mapping[str, str] = {
    "functional": "functional",
    "district_government": "district_government",
    "enterprise": "enterprise",
}
"""Department class by `departments.kind`: unlike units are not ranked together."""
UNCLASSIFIED = "unclassified"
"""The class of a department found in cases but not in the departments table."""


class WeightsError(ConfigurationError, ValueError):
    """Score weights that are negative or do not sum to 1."""


def check_weights(weights: Weights) -> Weights:
    values = {"response": weights.response, "resolution": weights.resolution}
    values["satisfaction"] = weights.satisfaction
    negative = [name for name, value in values.items() if value < 0 or not math.isfinite(value)]
    if negative:
        raise WeightsError(f"score weights must be finite and not negative: {', '.join(negative)}")
    total = sum(values.values())
    if abs(total - 1) > WEIGHT_TOLERANCE:
        shown = " + ".join(f"{name} {value:g}" for name, value in values.items())
        raise WeightsError(f"score weights must sum to 1, got {shown} = {total:g}")
    return weights


def score(rates: Mapping[str, float | None], weights: Weights) -> float | None:
    """The department score from its component rates (`SCORE_COMPONENTS` names).

    A component without a denominator (rate None) is left out and the weights of the others are
    re-normalised to sum to 1; with no component at all the score is None (no rank).
    """
    weighted: list[tuple[float, float]] = [
        (float(getattr(weights, name)), rate)
        for name, _ in SCORE_COMPONENTS
        if (rate := rates.get(name)) is not None
    ]
    total = sum(weight for weight, _ in weighted)
    if not weighted or total <= 0:
        return None
    return round(100 * sum(weight * rate for weight, rate in weighted) / total, SCORE_DECIMALS)
