"""Cases ↔ Open311 service requests: service codes, the intake of a POST, the public view of a case.

Service codes
    One service per dispatch-catalogue category. Its `service_code` is the first 10 hex digits
    of the SHA-256 of the canonical category path (UTF-8), e.g. `城乡建设/供水/停水` →
    `77b8cc5067`: URL-safe, stable as long as the category keeps its path, and computable for
    any case's category, in the catalogue or not. Renaming a category changes its code.
    `service_name` is the last path segment, `group` the first, `description` the full path,
    `keywords` the segments.

Intake (POST requests)
    channel `open311`; case type `help` (求助: what a citizen's report of a problem is) unless
    `attribute[case_type]` says otherwise; category = the service's category; district =
    `attribute[district]`, else `DEFAULT_DISTRICT` (云岩区; clients should send the district);
    street = `attribute[street]`; the point (`lat`/`long`) and `address_string` go to the
    location as given (`address_id`, when that is all there is, is kept as the address text);
    title = the first 60 characters of the description (whitespace collapsed), else the
    service name; content = the description (at most 4,000 characters, the specification's
    limit; else the service name), with the `media_url` as a last line; caller =
    `last_name`+`first_name` (or `first_name last_name` in Latin script) and `phone`;
    outcome `ToDispatch()`: a dispatcher routes the case. `email`, `device_id` and
    `account_id` are accepted and not kept.

Public view (GET requests)
    Only published cases, and of them only what `rules.publication` lets out: `description` is
    the centre's public wording of the case, else the service name (never the caller's title or
    content); `address` is the district only (never the street or address the caller gave);
    `lat`/`long` are present and empty (the policy does not publish a point); `status_notes`
    and the `notes` history are fixed texts chosen by status, closure reason and step, never a
    note someone wrote, and leave out the steps that link other cases; a merge names the other
    case only if it is published too.

Notes (the Update History extension of GeoReport v2)
    One entry per shown step: `datetime` (W3C, Beijing offset), `description` (the fixed text
    of the step) and `type`: `opened` for the intake, `closed` for the step that closed the
    case, `activity` for every other step.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from api.open311.formats import Open311Error
from api.open311.models import (
    Attribute,
    AttributeValue,
    Note,
    NoteType,
    RequestInput,
    Service,
    ServiceDefinition,
    ServiceRequest,
)
from api.open311.queries import PublicCase
from db.tables import TransitionRow
from models.actions import Action
from models.enums import CaseStatus, CaseType, Channel, ClosureReason
from models.intake import Caller, Location, ToDispatch
from models.state import CaseView
from models.timestamps import BEIJING
from rules.dispatch import canonical_category, category_path
from rules.publication import (
    HIDDEN_STEPS,
    public_address,
    public_coordinate,
    public_description,
)
from services.cases import IntakeRequest

JURISDICTION_ID = "guiyang"
DEFAULT_DISTRICT = "云岩区"
DEFAULT_CASE_TYPE = CaseType.HELP
SERVICE_CODE_LENGTH = 10
TITLE_LENGTH = 60
MAX_DESCRIPTION = 4000  # the specification: "free form text limited to 4,000 characters"
MAX_CONTENT = 8000  # the case's content: the description and the media_url line
MAX_ADDRESS = 256
MAX_NAME = 64
MAX_STREET = 64
MAX_MEDIA_URL = 2000
INTAKE_STEP = Action.INTAKE

DISTRICT_ATTRIBUTE = "district"
STREET_ATTRIBUTE = "street"
_Model = TypeVar("_Model", bound=BaseModel)
_CALLER_ARGUMENTS = {"name": "first_name and last_name", "phones": "phone"}
_LOCATION_ARGUMENTS = {
    "district": f"attribute[{DISTRICT_ATTRIBUTE}]",
    "street": f"attribute[{STREET_ATTRIBUTE}]",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
}
CASE_TYPE_ATTRIBUTE = "case_type"

CASE_TYPE_NAMES: Mapping[CaseType, str] = {
    CaseType.HELP: "求助",
    CaseType.COMPLAINT: "投诉",
    CaseType.REPORT: "举报",
    CaseType.CONSULTATION: "咨询",
    CaseType.SUGGESTION: "建议",
    CaseType.PRAISE: "表扬",
    CaseType.OTHER: "其他",
}

OPEN_NOTES: Mapping[str, str] = {
    CaseStatus.RECEIVED: "已受理，等待派单",
    CaseStatus.DISPATCHED: "已派单，等待承办单位签收",
    CaseStatus.RETURN_REVIEW: "承办单位申请退单，热线中心审核中",
    CaseStatus.HANDLING: "承办单位办理中",
    CaseStatus.REPLIED: "承办单位已答复，热线中心审核中",
    CaseStatus.CALLBACK: "答复已审核，等待回访",
}
CLOSED_NOTES: Mapping[str, str] = {
    ClosureReason.DIRECT_ANSWER: "已直接答复，办结",
    ClosureReason.THREE_WAY_CALL: "已通过三方通话转相关单位，办结",
    ClosureReason.EMERGENCY_HANDOFF: "已转紧急服务热线处理，办结",
    ClosureReason.NOT_ACCEPTED: "不属于受理范围，已告知办理途径",
    ClosureReason.MERGED: "与其他工单诉求相同，已合并办理",
    ClosureReason.RESOLVED: "已办结",
    ClosureReason.NO_CALLBACK_REQUIRED: "已办结（无需回访）",
    ClosureReason.CALLBACK_UNREACHABLE: "已办结（回访未能联系上诉求人）",
    ClosureReason.CLOSED_UNRESOLVED: "已办结（重新办理后仍未解决）",
    ClosureReason.WITHDRAWN: "诉求人已撤回",
    ClosureReason.PRAISE_NOTED: "表扬已转达承办单位，办结",
}
STEP_SUMMARIES: Mapping[str, str] = {
    Action.INTAKE: "热线受理",
    Action.DISPATCH: "派单",
    Action.SIGN_OFF: "承办单位签收",
    Action.RETURN: "承办单位申请退单",
    Action.RETURN_APPROVED: "退单审核通过，待重新派单",
    Action.RETURN_REJECTED: "退单审核未通过，继续办理",
    Action.EXTENSION_REQUESTED: "承办单位申请延期",
    Action.EXTENSION_DECIDED: "延期申请已审核",
    Action.ASSIST_INPUT: "协办单位提交协办意见",
    Action.REPLY: "承办单位答复",
    Action.REPLY_REJECTED: "答复审核未通过，退回重办",
    Action.REPLY_APPROVED: "答复审核通过",
    Action.CALLBACK: "回访",
    Action.REOPEN: "回访不满意，重新办理",
    Action.WITHDRAW: "诉求人撤回诉求",
    Action.MERGE: "合并至其他工单",
    Action.INTAKE_MERGE: "受理时合并至其他工单",
    Action.MERGE_FAILED: "合并未成功，转入派单",
    Action.MERGED_CASE_LINKED: "关联相同诉求的工单",
    Action.URGE: "催办",
    Action.NOTE: "补充工单信息",
    Action.ESCALATE: "督办",
    Action.ESCALATION_REFUSED: "督办请求未生效",
    Action.DEADLINE_WARNING: "办理时限临近",
    Action.DEADLINE_OVERDUE: "已超过办理时限",
    Action.DEADLINE_LEVEL2: "超期未办结，升级督办",
    Action.PRAISE_CLOSED: "表扬已转达",
}
OTHER_STEP = "工单进展更新"
INTAKE_NOTICE_RECEIVED = "调度员将按诉求类别派往承办单位办理，办结后热线将回访。"
INTAKE_NOTICE_OPEN = "承办单位将在规定时限内办理并答复，办结后热线将回访。"

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_PHONE = re.compile(r"^\+?[0-9\-]{5,20}$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


# ---- services -----------------------------------------------------------------------------------


def service_code(category: str) -> str:
    """The service code of a category: 10 hex digits of SHA-256 of its canonical path."""
    digest = hashlib.sha256(canonical_category(category).encode("utf-8")).hexdigest()
    return digest[:SERVICE_CODE_LENGTH]


def service_name(category: str) -> str:
    path = category_path(category)
    return path[-1] if path else category


def service(category: str) -> Service:
    path = category_path(category)
    return Service(
        service_code=service_code(category),
        service_name=service_name(category),
        description="/".join(path),
        metadata=True,
        type="realtime",
        keywords=", ".join(path),
        group=path[0] if path else "",
    )


def services(categories: Iterable[str]) -> list[Service]:
    """One service per distinct category, in path order."""
    distinct = sorted({canonical_category(c) for c in categories if category_path(c)})
    return [service(category) for category in distinct]


def category_of(code: str, categories: Iterable[str]) -> str | None:
    """The category among `categories` whose service code is `code`."""
    code = code.strip().lower()
    return next((c for c in categories if service_code(c) == code), None)


def definition(code: str, districts: Sequence[str]) -> ServiceDefinition:
    """The same three optional attributes for every service: district, street and case type."""
    return ServiceDefinition(
        service_code=code,
        attributes=[
            Attribute(
                code=DISTRICT_ATTRIBUTE,
                datatype="singlevaluelist",
                required=False,
                datatype_description=f"区县，缺省为{DEFAULT_DISTRICT}",
                order=1,
                description="问题所在的区县 (district)",
                values=[AttributeValue(key=d, name=d) for d in _districts(districts)],
            ),
            Attribute(
                code=STREET_ATTRIBUTE,
                datatype="string",
                required=False,
                datatype_description=f"街道（乡镇）名称，不超过{MAX_STREET}字",
                order=2,
                description="问题所在的街道或乡镇 (street / township)",
            ),
            Attribute(
                code=CASE_TYPE_ATTRIBUTE,
                datatype="singlevaluelist",
                required=False,
                datatype_description=f"诉求类型，缺省为{CASE_TYPE_NAMES[DEFAULT_CASE_TYPE]}",
                order=3,
                description="诉求类型 (type of request)",
                values=[AttributeValue(key=t.value, name=n) for t, n in CASE_TYPE_NAMES.items()],
            ),
        ],
    )


# ---- intake -------------------------------------------------------------------------------------


def attribute_code(key: str) -> tuple[str, bool] | None:
    """`attribute[code]` → (code, False), `attribute[code][]` → (code, True), else None."""
    match = _ATTRIBUTE_KEY.match(key)
    return (match.group(1), match.group(2) is not None) if match else None


def missing_arguments(form: RequestInput) -> list[str]:
    """What a request lacks before its service is looked up: service_code and a location."""
    errors: list[str] = []
    if not _given(form.service_code):
        errors.append("service_code was not provided")
    if not (
        _given(form.lat)
        or _given(form.long)
        or _given(form.address_string)
        or _given(form.address_id)
    ):
        errors.append("a location is required: lat and long, address_string or address_id")
    return errors


def intake_request(
    form: RequestInput,
    *,
    category: str,
    districts: Sequence[str],
    operator_id: str,
    request_id: str,
) -> IntakeRequest:
    """The intake of one POST requests; every problem at once as a 400 `Open311Error`."""
    errors: list[str] = []
    attributes = _attributes(form.attributes, districts, errors)
    location = _location(form, attributes, errors)
    caller = _caller(form, errors)
    description = (form.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(f"description is longer than {MAX_DESCRIPTION} characters")
    media_url = (form.media_url or "").strip()
    if media_url and (len(media_url) > MAX_MEDIA_URL or not _URL.match(media_url)):
        errors.append("media_url is not an http(s) URL")
    name = service_name(category)
    content = description or name
    if media_url:
        content = f"{content}\n附件：{media_url}"
    if not errors and len(content) > MAX_CONTENT:
        errors.append(f"description with media_url is longer than {MAX_CONTENT} characters")
    if errors:
        raise Open311Error(400, *errors)
    fields = {
        "request_id": request_id,
        "channel": Channel.OPEN311,
        "operator_id": operator_id,
        "caller": caller,
        "location": location,
        "case_type": attributes.get(CASE_TYPE_ATTRIBUTE) or DEFAULT_CASE_TYPE,
        "category": canonical_category(category),
        "title": title(description) or name,
        "content": content,
        "outcome": ToDispatch(),
    }
    try:
        return IntakeRequest.model_validate(fields)
    except ValidationError as err:
        raise Open311Error(400, *_field_errors(err)) from err


def title(description: str) -> str:
    """The first 60 characters of the description, its whitespace collapsed."""
    return " ".join(description.split())[:TITLE_LENGTH].rstrip()


def intake_notice(view: CaseView) -> str:
    """The `service_notice` of a new request: its number, and what happens next."""
    notice = f"12345热线已受理您的诉求，工单号 {view.case_no}。"
    if view.status is CaseStatus.CLOSED:
        return notice + _closed_note(view.closure_reason, None)
    if view.status is CaseStatus.RECEIVED:
        if view.next_deadline is not None:
            due = view.next_deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
            notice += f"将于 {due} 前派往承办单位办理，办结后热线将回访。"
            return notice
        return notice + INTAKE_NOTICE_RECEIVED
    return notice + INTAKE_NOTICE_OPEN


# ---- public view --------------------------------------------------------------------------------


def service_request(
    row: PublicCase, departments: Mapping[str, str], steps: Sequence[TransitionRow]
) -> ServiceRequest:
    """The public view of one published case (no personal data, no caller's text) with its
    step history as `notes`."""
    closed = row.status == CaseStatus.CLOSED
    notes = [
        note(step, departments)
        for step in sorted(steps, key=lambda s: s.seq)
        if step.action not in HIDDEN_STEPS
    ]
    name = service_name(row.category)
    return ServiceRequest(
        service_request_id=row.case_no,
        status="closed" if closed else "open",
        status_notes=(
            _closed_note(row.closure_reason, row.merged_into)
            if closed
            else OPEN_NOTES.get(row.status)
        ),
        service_name=name,
        service_code=service_code(row.category),
        description=public_description(row.public_text, name),
        agency_responsible=_department(row.lead_department, departments),
        service_notice=None
        if closed
        else (INTAKE_NOTICE_RECEIVED if row.status == CaseStatus.RECEIVED else INTAKE_NOTICE_OPEN),
        requested_datetime=row.received_at,
        updated_datetime=_updated(row, notes),
        expected_datetime=None if closed else row.next_deadline,
        address=public_address(row.district),
        lat=public_coordinate(row.latitude, row.public_text),
        long=public_coordinate(row.longitude, row.public_text),
        notes=notes,
    )


def note(step: TransitionRow, departments: Mapping[str, str]) -> Note:
    """One logged step as an Update History note: when, a fixed text of what, and its type."""
    detail = step.detail or {}
    description = STEP_SUMMARIES.get(step.action, OTHER_STEP)
    if step.action == Action.DISPATCH:
        lead = _department(_text(detail.get("lead_department")), departments)
        description = f"派单至{lead}" if lead else description
    if step.to_status == CaseStatus.CLOSED:
        closed = _closed_note(_text(detail.get("closure_reason")), None)
        description = closed if description in (OTHER_STEP, closed) else f"{description}；{closed}"
        return Note(datetime=step.at, description=description, type="closed")
    kind: NoteType = "opened" if step.action == INTAKE_STEP else "activity"
    return Note(datetime=step.at, description=description, type=kind)


# ---- private ------------------------------------------------------------------------------------


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _districts(districts: Sequence[str]) -> list[str]:
    return sorted(set(districts) | {DEFAULT_DISTRICT})


def _attributes(
    sent: Mapping[str, list[str]], districts: Sequence[str], errors: list[str]
) -> dict[str, str]:
    """The attributes of the service definition, checked; a value may appear once."""
    known = _districts(districts)
    values: dict[str, str] = {}
    for code, given in sent.items():
        given = [v.strip() for v in given if v.strip()]
        if not given:
            continue
        if code not in (DISTRICT_ATTRIBUTE, STREET_ATTRIBUTE, CASE_TYPE_ATTRIBUTE):
            errors.append(f"attribute[{code}] is not defined for this service")
            continue
        if len(given) > 1:
            errors.append(f"attribute[{code}] takes a single value")
            continue
        value = given[0]
        if code == DISTRICT_ATTRIBUTE and value not in known:
            errors.append(f"attribute[district] must be one of: {', '.join(known)}")
        elif code == CASE_TYPE_ATTRIBUTE and value not in {t.value for t in CaseType}:
            errors.append(
                "attribute[case_type] must be one of: " + ", ".join(t.value for t in CaseType)
            )
        elif code == STREET_ATTRIBUTE and (len(value) > MAX_STREET or "\n" in value):
            errors.append(f"attribute[street] must be one line of at most {MAX_STREET} characters")
        else:
            values[code] = value
    return values


def _location(
    form: RequestInput, attributes: Mapping[str, str], errors: list[str]
) -> Location | None:
    latitude = _coordinate(form.lat, "lat", 90, errors)
    longitude = _coordinate(form.long, "long", 180, errors)
    if (latitude is None) != (longitude is None) and not (
        _given(form.address_string) or _given(form.address_id)
    ):
        errors.append("lat and long must be sent together")
    address = (form.address_string or "").strip()
    if not address and _given(form.address_id):
        address = f"地址编号 {(form.address_id or '').strip()}"
    if len(address) > MAX_ADDRESS:
        errors.append(f"address_string is longer than {MAX_ADDRESS} characters")
        address = ""
    both = latitude is not None and longitude is not None
    fields = {
        "district": attributes.get(DISTRICT_ATTRIBUTE) or DEFAULT_DISTRICT,
        "street": attributes.get(STREET_ATTRIBUTE),
        "address": address or None,
        "latitude": latitude if both else None,
        "longitude": longitude if both else None,
    }
    return _checked(Location, fields, _LOCATION_ARGUMENTS, errors)


def _coordinate(value: str | None, name: str, limit: int, errors: list[str]) -> float | None:
    if not _given(value):
        return None
    try:
        number = float((value or "").strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > limit:
        errors.append(f"{name} must be a WGS84 coordinate between -{limit} and {limit}")
        return None
    return number


def _caller(form: RequestInput, errors: list[str]) -> Caller | None:
    """Name and phone of the person reporting; the error texts never repeat them."""
    first = (form.first_name or "").strip()
    last = (form.last_name or "").strip()
    name = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"
    if len(name) > MAX_NAME:
        errors.append(f"first_name and last_name together exceed {MAX_NAME} characters")
        name = ""
    phone = "".join((form.phone or "").split())
    if phone and not _PHONE.match(phone):
        errors.append("phone is not a valid phone number")
        phone = ""
    fields = {"name": name or None, "phones": [phone] if phone else []}
    return _checked(Caller, fields, _CALLER_ARGUMENTS, errors)


def _checked(
    model: type[_Model],
    fields: Mapping[str, object],
    arguments: Mapping[str, str],
    errors: list[str],
) -> _Model | None:
    """The model built from a form's arguments, or None with each broken argument named in
    `errors` (by its Open311 name, never its value: it may be a caller's name)."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        for issue in err.errors(include_input=False, include_url=False):
            field = str(issue["loc"][0]) if issue["loc"] else ""
            errors.append(f"{arguments.get(field, field)} is not valid: {issue['msg']}")
        return None


def _updated(row: PublicCase, notes: Sequence[Note]) -> datetime:
    """When the case last changed as far as the public sees it: its closure, else its latest
    shown step (the projection's own stamp also moves for steps that are not shown)."""
    if row.status == CaseStatus.CLOSED and row.closed_at is not None:
        return row.closed_at
    return max((n.datetime for n in notes), default=row.received_at)


def _closed_note(reason: str | None, merged_into: str | None) -> str:
    if reason == ClosureReason.MERGED and merged_into:
        return f"与工单 {merged_into} 诉求相同，已合并办理"
    return CLOSED_NOTES.get(reason or "", "已办结")


def _department(department_id: str | None, departments: Mapping[str, str]) -> str | None:
    if not department_id:
        return None
    return departments.get(department_id, department_id)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _field_errors(error: ValidationError) -> list[str]:
    """Which fields are wrong and why, never their values."""
    return [
        f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
        for issue in error.errors(include_input=False, include_url=False)
    ]
