"""Enumerations of the 12345 domain (types, urgency, statuses, reason codes, scales)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

CENTRE: Final = "centre"
"""The owner of a clock, or the recipient of a notice, that is the centre and not a department."""


class Channel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    SMS = "sms"
    MAILBOX = "mailbox"
    OPEN311 = "open311"


class CaseType(StrEnum):
    """诉求类型."""

    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议
    PRAISE = "praise"  # 表扬
    OTHER = "other"  # 其他


class Urgency(StrEnum):
    NORMAL = "normal"  # 一般
    URGENT = "urgent"  # 紧急: risk to life or property
    UTILITY = "utility"  # 加急: water, power, gas, heating outage


class CaseStatus(StrEnum):
    RECEIVED = "received"  # waiting for dispatch
    DISPATCHED = "dispatched"  # waiting for sign-off
    RETURN_REVIEW = "return_review"  # department returned it; centre reviews
    HANDLING = "handling"  # signed; department works on it
    REPLIED = "replied"  # reply waiting for the centre's review
    CALLBACK = "callback"  # reply approved; centre calls the citizen back
    CLOSED = "closed"


class IntakeOutcomeKind(StrEnum):
    DIRECT_ANSWER = "direct_answer"  # 直接答复
    THREE_WAY_CALL = "three_way_call"  # 三方通话
    EMERGENCY_HANDOFF = "emergency_handoff"  # 110/119/120/122
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    DISPATCH = "dispatch"  # 派单
    MERGE = "merge"  # 并单


class EmergencyLine(StrEnum):
    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"
    TRAFFIC = "122"


class NotAcceptedReason(StrEnum):
    LITIGATION = "litigation"  # litigation / arbitration / administrative reconsideration
    DISCIPLINE = "discipline"  # discipline inspection
    INFORMATION_DISCLOSURE = "information_disclosure"
    PETITION_CHANNEL = "petition_channel"  # already in 信访
    SECRETS_OR_PRIVACY = "secrets_or_privacy"
    OUTSIDE_JURISDICTION = "outside_jurisdiction"
    OUTSIDE_GOVERNMENT_DUTIES = "outside_government_duties"
    MALICIOUS = "malicious"  # malicious or no substantive request
    REPEAT = "repeat"  # handled or being handled, no new facts


class ReturnReason(StrEnum):
    WRONG_TERRITORY = "wrong_territory"
    NOT_OUR_DUTY = "not_our_duty"
    OVERLAPPING_DUTIES = "overlapping_duties"
    INSUFFICIENT_INFORMATION = "insufficient_information"


class ReplyResult(StrEnum):
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    EXPLAINED = "explained"  # explained, not resolvable


class Satisfaction(StrEnum):
    """The five-level national scale."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意


class ClosureReason(StrEnum):
    DIRECT_ANSWER = "direct_answer"
    THREE_WAY_CALL = "three_way_call"
    EMERGENCY_HANDOFF = "emergency_handoff"
    NOT_ACCEPTED = "not_accepted"
    MERGED = "merged"
    RESOLVED = "resolved"  # callback reached (or not required) and the case is done
    NO_CALLBACK_REQUIRED = "no_callback_required"
    CALLBACK_UNREACHABLE = "callback_unreachable"
    CLOSED_UNRESOLVED = "closed_unresolved"  # reopen rounds exhausted
    WITHDRAWN = "withdrawn"
    PRAISE_NOTED = "praise_noted"


class Step(StrEnum):
    """A step of the process that carries a time limit (domain §6)."""

    DISPATCH = "dispatch"
    SIGN_OFF = "sign_off"
    RETURN_WINDOW = "return_window"
    RETURN_REVIEW = "return_review"
    HANDLING = "handling"
    ASSIST_INPUT = "assist_input"
    EXTENSION_REVIEW = "extension_review"
    REPLY_REVIEW = "reply_review"
    REDO = "redo"
    CALLBACK = "callback"
    REOPEN = "reopen"
    PRAISE_CLOSE = "praise_close"


class ClockStage(StrEnum):
    """How far a deadline clock has gone along the escalation ladder."""

    RUNNING = "running"
    WARNED = "warned"  # 预警 yellow
    OVERDUE = "overdue"  # 超期 red, level 1
    LEVEL2 = "level2"  # still overdue 5 working days later


class Situation(StrEnum):
    """When a service phrase is used (domain §10); FORBIDDEN lists what must never be said."""

    GREETING = "greeting"
    ADDRESSING = "addressing"
    CONFIRM = "confirm"
    HOLD = "hold"
    SILENT_LINE = "silent_line"
    DISPATCH = "dispatch"
    CALLBACK = "callback"
    CLOSING = "closing"
    FORBIDDEN = "forbidden"


class MaterialType(StrEnum):
    """What kind of material a knowledge article is (domain §8)."""

    SERVICE_GUIDE = "service_guide"  # 办事指南
    LAW_REGULATION = "law_regulation"  # 法律法规
    HOT_QA = "hot_qa"  # 热点问答
    DAILY_CONSULTATION = "daily_consultation"  # 日常咨询
    NOTICE = "notice"  # 通知公告
    BUSINESS_GUIDANCE = "business_guidance"  # 业务指导


class ArticleStatus(StrEnum):
    """Where a knowledge article stands; only PUBLISHED articles are found by search."""

    PENDING = "pending"  # submitted, never published yet: awaiting the centre's review
    PUBLISHED = "published"  # an approved version is in force (an update may be pending)
    REJECTED = "rejected"  # its only submission was rejected; the department may resubmit
    WITHDRAWN = "withdrawn"  # expired or taken back: kept with its versions, not searchable


class VersionState(StrEnum):
    """The centre's decision on one submitted version of an article."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a later version was submitted before this one was decided


class FlagReason(StrEnum):
    """Why an article needs its owner's attention."""

    STALE = "stale"  # past its review-by date (weekly sweep)
    DISSATISFIED = "dissatisfied"  # a citizen was dissatisfied with a direct answer that used it
    EXPIRED = "expired"  # past its expiry date: withdrawn from search
    WITHDRAWN = "withdrawn"  # taken out of search by the centre, with its reason


class SuggestionState(StrEnum):
    """A suggestion to turn a department's consultation reply into knowledge."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
