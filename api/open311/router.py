"""Open311 GeoReport v2 under `/open311/v2`: services, service requests and tokens, XML and JSON.

Every resource takes its format from its extension (`services.xml`, `services.json`). Every
error, in either format, is the specification's error document with the HTTP status as its
code: 404 for an unknown resource (service code, request, token, jurisdiction, path), 403 for
a missing or invalid `api_key`, 400 for anything else (a resource asked with a method it does
not take included); 503 with Retry-After while Temporal or the database cannot be reached.

| Method | Path                                       | What                               |
|--------|--------------------------------------------|------------------------------------|
| GET    | /open311/v2/services.{fmt}                 | one service per catalogue category |
| GET    | /open311/v2/services/{service_code}.{fmt}  | its definition (attributes)        |
| POST   | /open311/v2/requests.{fmt}                 | take in a report: a new case       |
| GET    | /open311/v2/requests.{fmt}                 | cases, from the SQL projection     |
| GET    | /open311/v2/requests/{id}.{fmt}            | one case                           |
| GET    | /open311/v2/tokens/{token}.{fmt}           | the case of an Idempotency-Key     |

POST requests needs an `api_key` in its body (the specification's POST parameter): a bearer
token of the API (`services.tokens`) whose user may take in cases. An `api_key` in the query string
is refused with a 400 on every resource: secrets never go in URLs. Intake is synchronous, so
the answer carries the case number as `service_request_id` (never a token). Idempotency: the
`Idempotency-Key` header (8-56 of `A-Z a-z 0-9 . _ ~ : -`, a UUID is best) names the intake
attempt; the same key again returns the same case (the body of the repeat is not compared), and
`tokens/{key}` then finds that case if it is published. A key first used by another client is
refused. Without the header every POST is a new case.

GET answers only published cases (`rules.publication`, applied in `queries.find_cases` and
`queries.published_case_of_request`): an unpublished case is the same 404 as an unknown one,
in `requests/{id}` and `tokens/{token}` alike, and is silently left out of every list.

The jurisdiction is `guiyang`: `jurisdiction_id` may be left out; any other value is a 404.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.context import ApiContext, get_context
from api.open311 import mapping, queries
from api.open311.formats import (
    Format,
    Open311Error,
    parse_format,
    render_error,
    render_list,
    render_one,
)
from api.open311.models import CreatedRequest, RequestInput, TokenLookup
from api.unavailable import log_outage, outage, with_retry_after
from models.errors import CaseActionError
from models.intake import CASE_NO_PATTERN
from models.timestamps import BEIJING
from rules.permissions import Action, Principal, allowed
from services.cases import open_case
from services.tokens import authenticate

logger = logging.getLogger(__name__)

PREFIX = "/open311/v2"
MAX_BODY_BYTES = 256 * 1024  # 8000 CJK characters take 72 KB form-encoded
MAX_FORM_FIELDS = 200
MAX_RESULTS = 1000
DEFAULT_SPAN = timedelta(days=90)
REQUEST_ID_PREFIX = "open311:"
IDEMPOTENCY_HEADER = "Idempotency-Key"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
API_KEY = "api_key"
ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._~:\-]{8,56}$")
_CASE_NO = re.compile(CASE_NO_PATTERN)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELDS = frozenset(RequestInput.model_fields) - {"attributes"}


class Open311Route(APIRoute):
    """Answers `Open311Error` (and any invalid argument) with the specification's error document
    in the format of the resource's extension (XML when the extension is not a known one); an
    outage of Temporal or the database (`api.unavailable`) with that document, 503 and
    Retry-After."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as err:
                if (kind := outage(err)) is not None:  # an outage behind the refusal
                    return self._unavailable(request, kind)
                return render_error(_format_of(request), err)
            except RequestValidationError as err:
                fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
                error = Open311Error(400, *(f"{field} is not valid" for field in fields))
                return render_error(_format_of(request), error)
            except Exception as err:
                if (kind := outage(err)) is None:
                    raise
                return self._unavailable(request, kind)

        return answer

    @staticmethod
    def _unavailable(request: Request, kind: str) -> Response:
        """Temporal or the database cannot be reached: the error document, 503, Retry-After."""
        log_outage(request, kind)
        error = Open311Error(503, "the service is temporarily unavailable; retry later")
        return with_retry_after(render_error(_format_of(request), error))


def _no_key_in_url(request: Request) -> None:
    """An `api_key` in the query string is refused on every resource: a URL ends up in access
    logs, proxies and browser histories, so a secret never belongs in one."""
    if API_KEY in request.query_params:
        raise Open311Error(
            400,
            f"{API_KEY} must not be sent in the URL: send it in the request body "
            f"({FORM_MEDIA_TYPE}), and replace this key, it may have been logged",
        )


router = APIRouter(
    prefix=PREFIX,
    tags=["open311"],
    route_class=Open311Route,
    dependencies=[Depends(_no_key_in_url)],
)
Context = Annotated[ApiContext, Depends(get_context)]


# ---- services -----------------------------------------------------------------------------------


@router.get("/services.{fmt}", summary="GET Service List")
async def list_services(fmt: str, request: Request, context: Context) -> Response:
    output = _format(fmt)
    _check_jurisdiction(request.query_params.get("jurisdiction_id"))
    categories = await run_in_threadpool(queries.catalogue_categories, context.sessions)
    return render_list(output, "services", mapping.services(categories))


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
async def service_definition(
    service_code: str, fmt: str, request: Request, context: Context
) -> Response:
    output = _format(fmt)
    _check_jurisdiction(request.query_params.get("jurisdiction_id"))
    categories = await run_in_threadpool(queries.catalogue_categories, context.sessions)
    if mapping.category_of(service_code, categories) is None:
        raise Open311Error(404, f"service_code {_shown(service_code)} was not found")
    districts = await run_in_threadpool(queries.districts, context.sessions)
    return render_one(
        output, "service_definition", mapping.definition(service_code.lower(), districts)
    )


# ---- requests -----------------------------------------------------------------------------------


@router.post("/requests.{fmt}", summary="POST Service Request")
async def create_request(fmt: str, request: Request, context: Context) -> Response:
    output = _format(fmt)
    form = _request_input(await _body(request), request.headers.get("content-type", ""))
    _check_jurisdiction(form.jurisdiction_id or request.query_params.get("jurisdiction_id"))
    principal = await _principal(context, form.api_key)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not _IDEMPOTENCY_KEY.match(key.strip()):
        raise Open311Error(
            400, f"{IDEMPOTENCY_HEADER} must be 8 to 56 of the characters A-Z a-z 0-9 . _ ~ : -"
        )
    missing = mapping.missing_arguments(form)
    if missing:
        raise Open311Error(400, *missing)
    code = (form.service_code or "").strip()
    categories = await run_in_threadpool(queries.catalogue_categories, context.sessions)
    category = mapping.category_of(code, categories)
    if category is None:
        raise Open311Error(404, f"service_code {_shown(code)} was not found")
    request_id = REQUEST_ID_PREFIX + (key.strip() if key else uuid.uuid4().hex)
    repeated = False
    if key is not None:
        owner = await run_in_threadpool(queries.operator_of_request, context.sessions, request_id)
        if owner is not None and owner != principal.user_id:
            raise Open311Error(400, f"this {IDEMPOTENCY_HEADER} was used by another client")
        known = await run_in_threadpool(queries.case_of_request, context.sessions, request_id)
        repeated = known is not None
    districts = await run_in_threadpool(queries.districts, context.sessions)
    intake = mapping.intake_request(
        form,
        category=category,
        districts=districts,
        operator_id=principal.user_id,
        request_id=request_id,
    )
    try:
        view = await open_case(context.client, context.sessions, intake, context.task_queue)
    except (CaseActionError, RPCError) as err:
        logger.warning("open311 intake failed for service %s: %s", code, err)
        raise Open311Error(
            400,
            "the request could not be taken in now; retry later"
            + (f" with the same {IDEMPOTENCY_HEADER}" if key else ""),
        ) from err
    logger.info("open311 intake: case %s, service %s", view.case_no, code)
    created = CreatedRequest(
        service_request_id=view.case_no, service_notice=mapping.intake_notice(view)
    )
    return render_list(output, "service_requests", [created], 200 if repeated else 201)


@router.get("/requests.{fmt}", summary="GET Service Requests")
async def list_requests(fmt: str, request: Request, context: Context) -> Response:
    output = _format(fmt)
    params = request.query_params
    _check_jurisdiction(params.get("jurisdiction_id"))
    numbers = _comma_list(params.getlist("service_request_id"))
    if numbers:
        if len(numbers) > MAX_RESULTS:
            raise Open311Error(400, f"at most {MAX_RESULTS} service_request_id may be asked for")
        # A malformed number names no case; it must not reach the database as text.
        where = queries.RequestFilter(case_nos=[n for n in numbers if _CASE_NO.fullmatch(n)])
    else:
        where = await _request_filter(
            context, params.getlist("service_code"), params.getlist("status"), params
        )
    return await _requests(context, output, where)


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
async def get_request(
    service_request_id: str, fmt: str, request: Request, context: Context
) -> Response:
    output = _format(fmt)
    _check_jurisdiction(request.query_params.get("jurisdiction_id"))
    if not _CASE_NO.fullmatch(service_request_id):
        raise Open311Error(404, f"service request {_shown(service_request_id)} was not found")
    where = queries.RequestFilter(case_nos=[service_request_id])
    return await _requests(context, output, where, missing=service_request_id)


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
async def token_request(token: str, fmt: str, request: Request, context: Context) -> Response:
    output = _format(fmt)
    _check_jurisdiction(request.query_params.get("jurisdiction_id"))
    case_no = None
    if _IDEMPOTENCY_KEY.fullmatch(token):
        case_no = await run_in_threadpool(
            queries.published_case_of_request, context.sessions, REQUEST_ID_PREFIX + token
        )
    if case_no is None:
        raise Open311Error(404, f"token {_shown(token)} was not found")
    lookup = TokenLookup(service_request_id=case_no, token=token)
    return render_list(output, "service_requests", [lookup])


@router.api_route("/{path:path}", methods=list(ANY_METHOD), include_in_schema=False)
async def unknown_resource(path: str, request: Request) -> Response:
    """Whatever no route above takes: 400 for a resource asked with a method it does not take
    (the resource exists), 404 for a path that is no resource; both the error document."""
    methods = _methods_of(request)
    if methods:
        raise Open311Error(
            400, f"{request.method} is not supported on {_shown(path, 80)}: use {methods}"
        )
    raise Open311Error(404, f"{request.method} {_shown(path, 80)} is not a resource of this API")


def _methods_of(request: Request) -> str:
    """The methods of the Open311 resource at the request's path ('' if there is none)."""
    found: set[str] = set()
    for route in router.routes:
        if (
            isinstance(route, APIRoute)
            and route.endpoint is not unknown_resource
            and route.path_regex.match(request.url.path)
        ):
            found |= route.methods or set()
    return " or ".join(sorted(found))


# ---- private: arguments -------------------------------------------------------------------------


def _format(extension: str) -> Format:
    output = parse_format(extension)
    if output is None:
        raise Open311Error(404, f"format {_shown(extension)} is not supported: use xml or json")
    return output


def _format_of(request: Request) -> Format:
    extension = request.path_params.get("fmt")
    if not isinstance(extension, str):
        extension = request.url.path.rpartition(".")[2]
    return parse_format(extension) or Format.XML


def _check_jurisdiction(jurisdiction_id: str | None) -> None:
    """Left out or empty: this endpoint's one jurisdiction; another one: 404."""
    given = (jurisdiction_id or "").strip()
    if given and given != mapping.JURISDICTION_ID:
        raise Open311Error(
            404,
            f"jurisdiction_id {_shown(given)} was not found: "
            f"this endpoint serves {mapping.JURISDICTION_ID}",
        )


def _shown(value: str, limit: int = 64) -> str:
    """A client's value fit to quote in an error: one line, bounded."""
    flat = " ".join(value.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


async def _principal(context: ApiContext, api_key: str | None) -> Principal:
    if not api_key or not api_key.strip():
        raise Open311Error(403, "api_key was not provided")
    principal = await run_in_threadpool(authenticate, context.sessions, api_key.strip())
    if principal is None:
        raise Open311Error(403, "invalid api_key: can't proceed with create_request")
    if not allowed(principal.role, Action.INTAKE):
        raise Open311Error(403, "this api_key may not create service requests")
    return principal


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Open311Error(400, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Open311Error(400, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _request_input(body: bytes, content_type: str) -> RequestInput:
    """The arguments of POST requests: form-encoded (the specification) or a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Open311Error(400, "the request body is not UTF-8") from err
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        pairs = _json_pairs(text)
    elif media_type not in ("", FORM_MEDIA_TYPE):
        raise Open311Error(400, f"send the arguments as {FORM_MEDIA_TYPE} (or application/json)")
    else:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError as err:
            raise Open311Error(400, "the request body is not a valid form") from err
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in pairs:
        attribute = mapping.attribute_code(name)
        if attribute is not None:
            attributes.setdefault(attribute[0], []).append(value)
        elif name in _FIELDS and name not in fields:
            fields[name] = value
    try:
        return RequestInput.model_validate(fields | {"attributes": attributes})
    except ValidationError as err:
        raise Open311Error(400, "the request arguments are not valid") from err


def _json_pairs(text: str) -> list[tuple[str, str]]:
    """A JSON object as form pairs; `{"attribute": {"street": "x"}}` is `attribute[street]=x`."""
    try:
        document = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise Open311Error(400, "the request body is not valid JSON") from err
    if not isinstance(document, dict):
        raise Open311Error(400, "the request body must be a JSON object")
    pairs: list[tuple[str, str]] = []
    for name, value in document.items():
        if name == "attribute" and isinstance(value, dict):
            for code, given in value.items():
                many = given if isinstance(given, list) else [given]
                suffix = "[]" if isinstance(given, list) else ""
                pairs += [(f"attribute[{code}]{suffix}", _json_scalar(name, v)) for v in many]
        elif isinstance(value, list) and mapping.attribute_code(name) is not None:
            pairs += [(name, _json_scalar(name, v)) for v in value]
        elif value is not None:
            pairs.append((name, _json_scalar(name, value)))
    if len(pairs) > MAX_FORM_FIELDS:
        raise Open311Error(400, f"the request has more than {MAX_FORM_FIELDS} fields")
    return pairs


def _json_scalar(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise Open311Error(400, f"{_shown(name)} must be a string or a number")


def _comma_list(values: Iterable[str]) -> list[str]:
    """`a,b` and repeated parameters alike, blanks dropped, order kept, duplicates removed."""
    items = (item.strip() for value in values for item in value.split(","))
    return list(dict.fromkeys(item for item in items if item))


async def _request_filter(
    context: ApiContext, codes: list[str], status: list[str], params: Mapping[str, str]
) -> queries.RequestFilter:
    """`service_code` and `status` may each be repeated and comma delimited (the spec)."""
    categories: list[str] | None = None
    service_codes = {code.lower() for code in _comma_list(codes)}
    if service_codes:
        known = await run_in_threadpool(queries.known_categories, context.sessions)
        categories = [c for c in known if mapping.service_code(c) in service_codes]
    statuses = frozenset(s.lower() for s in _comma_list(status))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both, comma separated")
    start = _datetime(params.get("start_date"), "start_date")
    end = _datetime(params.get("end_date"), "end_date", end_of_day=True)
    if start is None and end is None:
        start = datetime.now(UTC) - DEFAULT_SPAN
    elif start is None and end is not None:
        start = end - DEFAULT_SPAN
    elif end is None and start is not None:
        end = start + DEFAULT_SPAN
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > DEFAULT_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return queries.RequestFilter(
        categories=categories,
        statuses=statuses,
        received_from=start,
        received_until=end,
        limit=MAX_RESULTS,
    )


def _datetime(value: str | None, name: str, end_of_day: bool = False) -> datetime | None:
    """A W3C datetime with its offset (`2026-11-28T09:00:00+08:00`, `…Z`), or a day in Beijing
    time: its start, or with `end_of_day` the start of the next day."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(), BEIJING)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as err:
        raise Open311Error(
            400, f"{name} must be a W3C datetime such as 2026-11-28T09:00:00+08:00"
        ) from err
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Open311Error(400, f"{name} needs a time zone: Z or an offset such as +08:00")
    return moment


# ---- private: answers ---------------------------------------------------------------------------


async def _requests(
    context: ApiContext, output: Format, where: queries.RequestFilter, missing: str | None = None
) -> Response:
    records = await run_in_threadpool(queries.find_cases, context.sessions, where)
    if missing is not None and not records:
        raise Open311Error(404, f"service_request_id {_shown(missing)} was not found")
    departments = await run_in_threadpool(queries.department_names, context.sessions)
    documents = [mapping.service_request(r.case, departments, r.steps) for r in records]
    return render_list(output, "service_requests", documents)
