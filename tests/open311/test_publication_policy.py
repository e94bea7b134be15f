"""The publication policy on every Open311 GET route, in both formats.

One set of cases is taken in through the real intake paths (the Open311 POST and the centre's
own intake), of every kind the policy tells apart, and moved through real workflow steps
(merges). Every route and filter is then read: only the published cases appear, an unpublished
one answers exactly like a number that does not exist, no caller's own words appear unless the
centre marked a public wording, and nothing anywhere carries the whistle-blower's data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.open311 import queries
from db.engine import SessionFactory
from db.tables import CaseRow, TransitionRow
from models.commands import MergeCase
from models.enums import Channel
from models.timestamps import BEIJING
from rules.publication import PublicationFacts, publishable
from services.cases import IntakeRequest, act, open_case
from services.publication import mark_public
from tests.conftest import TASK_QUEUE
from tests.open311.conftest import open311_app
from tests.open311.support import (
    BASE,
    NOISE_CODE,
    WATER_CODE,
    WATER_OUTAGE,
    errors,
    flat,
    json_of,
    request_form,
    xml,
)
from workflows.case import CaseWorkflow

FORMATS = ["xml", "json"]
UNKNOWN = "GY20000101-999998"
EPSILON = timedelta(milliseconds=1)

# The whistle-blower: a confidential report taken by phone, naming himself in the title.
WHISTLE_NAME = "赵卫东"
WHISTLE_PHONE = "13712340001"
WHISTLE_STREET = "麦架镇"
WHISTLE_ADDRESS = "沙文工业园北门"
WHISTLE_TITLE = f"{WHISTLE_NAME}实名举报沙文化工厂夜间偷排废水"
WHISTLE_CONTENT = "沙文化工厂每晚十一点后从北门暗管排放废水，我是厂里的质检员。"
# Other callers' own words, never shown without a public wording.
PHONE_NAME, PHONE_PHONE, PHONE_TITLE = "钱多多", "13700000002", "自来水发黄有异味已经一周"
PLAIN_TEXT, PLAIN_STREET = "楼道声控灯坏了两个月无人维修", "宝山北路街道"
PUBLIC_CALLER_TEXT = "宅吉小区停水三天了物业不管"
PUBLIC_TEXT = "黔灵片区供水管网抢修，预计今晚恢复供水"
REPORT_TEXT = "举报隔壁邻居孙某某在楼顶违章搭建"
SECRET_NAME, SECRET_PHONE = "孙保密", "13700000003"
NEVER_SHOWN = (
    WHISTLE_NAME,
    WHISTLE_PHONE,
    WHISTLE_STREET,
    WHISTLE_ADDRESS,
    "沙文化工厂",
    "偷排废水",
    "实名举报",
    "质检员",
    PHONE_NAME,
    PHONE_PHONE,
    PHONE_TITLE,
    PLAIN_TEXT,
    PLAIN_STREET,
    PUBLIC_CALLER_TEXT,
    REPORT_TEXT,
    "孙某某",
    SECRET_NAME,
    SECRET_PHONE,
    "李小明",
    "13900001111",
    "中华北路100号",
)


@dataclass
class World:
    http: httpx.AsyncClient
    sessions: SessionFactory
    since: datetime
    published: dict[str, str]  # label → case number
    unpublished: dict[str, str]
    tokens: dict[str, str]  # label → Idempotency-Key
    seen: list[tuple[str, str]] = field(default_factory=list)  # (URL, body) of every answer

    async def get(self, path: str, params: Any = None) -> httpx.Response:
        response = await self.http.get(f"{BASE}/{path}", params=params)
        self.seen.append((str(response.request.url), response.text))
        return response

    async def listed(self, fmt: str, params: Any = None) -> list[str]:
        response = await self.get(f"requests.{fmt}", params)
        assert response.status_code == 200, response.text
        if fmt == "xml":
            return [flat(request)["service_request_id"] or "" for request in xml(response)]
        return [request["service_request_id"] for request in json_of(response)]

    async def one(self, fmt: str, case_no: str) -> dict[str, Any]:
        response = await self.get(f"requests/{case_no}.{fmt}")
        assert response.status_code == 200, response.text
        if fmt == "json":
            [document] = json_of(response)
            return dict(document)
        [request] = xml(response)
        fields: dict[str, Any] = dict(flat(request))
        notes = request.find("notes")
        fields["notes"] = [flat(note) for note in notes] if notes is not None else []
        return fields

    @property
    def every(self) -> dict[str, str]:
        return self.published | self.unpublished


async def post(http: httpx.AsyncClient, api_key: str, key: str | None, **fields: str) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    response = await http.post(
        f"{BASE}/requests.json", data=request_form(api_key, **fields), headers=headers
    )
    assert response.status_code == 201, response.text
    case_no: str = json_of(response)[0]["service_request_id"]
    return case_no


async def centre_intake(env: WorkflowEnvironment, sessions: SessionFactory, **fields: Any) -> str:
    """A contact taken in by the centre itself (`services.cases.open_case`, as POST /cases)."""
    request = IntakeRequest.model_validate(
        {"request_id": f"test-{uuid.uuid4()}", "operator_id": "op-1", **fields}
    )
    view = await open_case(env.client, sessions, request, TASK_QUEUE)
    return view.case_no


async def logged(sessions: SessionFactory, case_no: str, action: str) -> None:
    """Wait until the projection logs `action` on `case_no` (a signal is applied later)."""
    for _ in range(400):
        with sessions() as session:
            found = session.scalar(
                select(TransitionRow.seq).where(
                    TransitionRow.case_no == case_no, TransitionRow.action == action
                )
            )
        if found is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{case_no} never logged {action}")


@pytest.fixture(scope="module")
async def world(
    env: WorkflowEnvironment, worker: None, sessions: SessionFactory, api_key: str
) -> AsyncIterator[World]:
    with sessions() as session:
        latest = session.scalar(select(func.max(CaseRow.received_at)))
    since = max(datetime.now(UTC), (latest or datetime.min.replace(tzinfo=UTC)) + EPSILON)
    app = open311_app(env.client, sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        tokens = {"plain": str(uuid.uuid4()), "report": str(uuid.uuid4())}
        published: dict[str, str] = {}
        unpublished: dict[str, str] = {}
        published["plain"] = await post(
            http,
            api_key,
            tokens["plain"],
            description=PLAIN_TEXT,
            **{"attribute[street]": PLAIN_STREET},
        )
        published["public"] = await post(
            http, api_key, None, description=PUBLIC_CALLER_TEXT, service_code=NOISE_CODE
        )
        mark_public(sessions, published["public"], PUBLIC_TEXT, "dispatcher-1")
        published["merged"] = await post(http, api_key, None, description="水压很低")
        unpublished["phone"] = await centre_intake(
            env,
            sessions,
            caller={"name": PHONE_NAME, "phones": [PHONE_PHONE]},
            location={"district": "南明区", "street": "花果园街道"},
            case_type="complaint",
            category=WATER_OUTAGE,
            title=PHONE_TITLE,
            content=PHONE_TITLE,
            outcome={"kind": "dispatch", "lead_department": "gy-water"},
        )
        unpublished["open311_report"] = await post(
            http,
            api_key,
            tokens["report"],
            description=REPORT_TEXT,
            **{"attribute[case_type]": "report"},
        )
        unpublished["open311_confidential"] = await centre_intake(
            env,
            sessions,
            channel=Channel.OPEN311,
            caller={"name": SECRET_NAME, "phones": [SECRET_PHONE], "confidential": True},
            location={"district": "云岩区"},
            case_type="help",
            category=WATER_OUTAGE,
            title="停水求助",
            content="停水求助",
            outcome={"kind": "dispatch"},
        )
        # Taken in last, so it is the newest: a filter that counted it would drop another.
        unpublished["whistle"] = await centre_intake(
            env,
            sessions,
            caller={"name": WHISTLE_NAME, "phones": [WHISTLE_PHONE], "confidential": True},
            location={
                "district": "白云区",
                "street": WHISTLE_STREET,
                "address": WHISTLE_ADDRESS,
                "latitude": 26.68,
                "longitude": 106.65,
            },
            case_type="report",
            category=WATER_OUTAGE,
            title=WHISTLE_TITLE,
            content=WHISTLE_CONTENT,
            outcome={"kind": "dispatch", "lead_department": "gy-water"},
        )
        # A published case merged into the report; the phone case merged into a published one.
        await act(
            env.client,
            published["merged"],
            CaseWorkflow.merge,
            MergeCase(by="op-1", master_case_no=unpublished["whistle"]),
        )
        await act(
            env.client,
            unpublished["phone"],
            CaseWorkflow.merge,
            MergeCase(by="op-1", master_case_no=published["plain"]),
        )
        await logged(sessions, published["plain"], "merged_case_linked")
        await logged(sessions, unpublished["whistle"], "merged_case_linked")
        yield World(http, sessions, since, published, unpublished, tokens)


def check_policy(sessions: SessionFactory, numbers: Sequence[str]) -> None:
    """Every listed case is one the policy publishes (whichever test created it)."""
    with sessions() as session:
        rows = session.execute(
            select(CaseRow.channel, CaseRow.case_type, CaseRow.confidential).where(
                CaseRow.case_no.in_(list(numbers))
            )
        ).all()
    assert len(rows) == len(set(numbers))
    assert all(publishable(PublicationFacts(*row)) for row in rows)


def hidden(world: World, numbers: Sequence[str]) -> None:
    assert set(numbers).isdisjoint(world.unpublished.values())
    check_policy(world.sessions, numbers)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_unpublished_case_answers_like_one_that_does_not_exist(
    world: World, fmt: str
) -> None:
    unknown = await world.get(f"requests/{UNKNOWN}.{fmt}")
    assert unknown.status_code == 404
    assert errors(unknown, fmt)[0][0] == 404
    for label, case_no in world.unpublished.items():
        response = await world.get(f"requests/{case_no}.{fmt}")
        assert response.status_code == 404, label
        assert response.headers["content-type"] == unknown.headers["content-type"]
        assert response.text.replace(case_no, UNKNOWN) == unknown.text, label
    for case_no in world.published.values():
        assert (await world.get(f"requests/{case_no}.{fmt}")).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_filter_lists_published_cases_only(world: World, fmt: str) -> None:
    plain, public, merged = (world.published[k] for k in ("plain", "public", "merged"))
    now = datetime.now(UTC)
    end = (now + timedelta(minutes=1)).isoformat()
    window = {"start_date": world.since.isoformat(), "end_date": end}
    # exactly the published cases taken in since the module started: nothing else counted
    assert set(await world.listed(fmt, window)) == {plain, public, merged}

    default = await world.listed(fmt)
    assert {plain, public, merged} <= set(default)
    hidden(world, default)

    by_status = {
        "open": {plain, public},
        "closed": {merged},
        "open,closed": {plain, public, merged},
    }
    for status, expected in by_status.items():
        found = await world.listed(fmt, {"status": status})
        assert expected <= set(found), status
        hidden(world, found)
    for code, expected in ((WATER_CODE, {plain, merged}), (NOISE_CODE, {public})):
        found = await world.listed(fmt, {"service_code": code})
        assert expected <= set(found)
        hidden(world, found)
    today = now.astimezone(BEIJING).date().isoformat()
    for params in (
        {"start_date": today, "end_date": today},
        {"start_date": world.since.isoformat()},
        {"end_date": (now + timedelta(minutes=1)).isoformat()},
        {"start_date": today, "status": "open", "service_code": f"{WATER_CODE},{NOISE_CODE}"},
    ):
        found = await world.listed(fmt, params)
        assert {plain, public} <= set(found), params
        hidden(world, found)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_numbers_asked_for_return_published_cases_only(world: World, fmt: str) -> None:
    every = list(world.every.values())
    comma = await world.listed(fmt, {"service_request_id": ",".join(every)})
    assert sorted(comma) == sorted(world.published.values())
    repeated = await world.listed(fmt, [("service_request_id", n) for n in every + every])
    assert sorted(repeated) == sorted(world.published.values())
    # service_request_id overrides the other arguments: still only published ones
    chosen = await world.listed(
        fmt, {"service_request_id": ",".join(every), "status": "open", "start_date": "2020-01-01"}
    )
    assert sorted(chosen) == sorted(world.published.values())
    alone = await world.listed(fmt, {"service_request_id": world.unpublished["whistle"]})
    assert alone == []


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_long_list_of_sequential_numbers_reveals_nothing(world: World, fmt: str) -> None:
    prefix, _, serial = min(world.every.values()).rpartition("-")
    start = max(1, int(serial) - 300)
    numbers = sorted({f"{prefix}-{n:06d}" for n in range(start, start + 1000)})
    assert set(world.every.values()) <= set(numbers) and len(numbers) == 1000
    # half comma-separated, half as repeated parameters
    params = [("service_request_id", ",".join(numbers[i : i + 100])) for i in range(0, 500, 100)]
    params += [("service_request_id", n) for n in numbers[500:]]
    found = await world.listed(fmt, params)
    assert set(world.published.values()) <= set(found)
    hidden(world, found)
    too_many = await world.get(
        f"requests.{fmt}", {"service_request_id": ",".join([*numbers, UNKNOWN])}
    )
    assert too_many.status_code == 400


def test_unpublished_cases_take_no_place_within_the_limit(world: World) -> None:
    """The newest cases are unpublished: the policy is applied before the limit, in SQL."""
    where = queries.RequestFilter(
        received_from=world.since, received_until=datetime.now(UTC) + timedelta(minutes=1), limit=3
    )
    found = [record.case.case_no for record in queries.find_cases(world.sessions, where)]
    assert sorted(found) == sorted(world.published.values())


@pytest.mark.parametrize("fmt", FORMATS)
async def test_tokens_follow_the_policy(world: World, fmt: str) -> None:
    ok = await world.get(f"tokens/{world.tokens['plain']}.{fmt}")
    assert ok.status_code == 200
    if fmt == "json":
        assert json_of(ok)[0]["service_request_id"] == world.published["plain"]
    else:
        assert flat(xml(ok)[0])["service_request_id"] == world.published["plain"]
    unknown_token = str(uuid.uuid4())
    unknown = await world.get(f"tokens/{unknown_token}.{fmt}")
    report = await world.get(f"tokens/{world.tokens['report']}.{fmt}")
    assert report.status_code == unknown.status_code == 404
    assert report.text.replace(world.tokens["report"], unknown_token) == unknown.text
    assert world.unpublished["open311_report"] not in report.text


@pytest.mark.parametrize("fmt", FORMATS)
async def test_no_caller_text_unless_the_centre_marked_it_public(
    world: World, fmt: str, publisher: dict[str, str]
) -> None:
    plain = await world.one(fmt, world.published["plain"])
    assert plain["description"] == "停水"
    assert plain["address"] == "云岩区"
    public = await world.one(fmt, world.published["public"])
    assert public["description"] == PUBLIC_TEXT
    assert public["address"] == "云岩区"
    assert PUBLIC_CALLER_TEXT not in str(public)

    path = f"/cases/{world.published['plain']}/publication"
    marked = await world.http.put(path, json={"public_text": "楼道照明维修"}, headers=publisher)
    assert marked.status_code == 200, marked.text
    assert (await world.one(fmt, world.published["plain"]))["description"] == "楼道照明维修"
    cleared = await world.http.delete(path, headers=publisher)
    assert cleared.status_code == 204
    assert (await world.one(fmt, world.published["plain"]))["description"] == "停水"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_merges_never_point_at_an_unpublished_case(world: World, fmt: str) -> None:
    merged = await world.one(fmt, world.published["merged"])
    assert merged["status"] == "closed"
    assert merged["status_notes"] == "与其他工单诉求相同，已合并办理"
    summaries = [note["description"] for note in merged["notes"]]
    assert summaries[-1] == "合并至其他工单；与其他工单诉求相同，已合并办理"
    # the phone case merged into this one: neither its number nor the link is shown
    plain = await world.one(fmt, world.published["plain"])
    assert [note["description"] for note in plain["notes"]] == ["热线受理"]
    assert plain["updated_datetime"] == plain["notes"][-1]["datetime"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_no_answer_anywhere_carries_a_callers_data(world: World, fmt: str) -> None:
    """Every route once more, then every answer this module received."""
    every = list(world.every.values())
    for path, params in (
        (f"services.{fmt}", None),
        (f"services/{WATER_CODE}.{fmt}", None),
        (f"requests.{fmt}", None),
        (f"requests.{fmt}", {"status": "open,closed", "service_code": WATER_CODE}),
        (f"requests.{fmt}", {"service_request_id": ",".join(every)}),
        *((f"requests/{case_no}.{fmt}", None) for case_no in every),
        *((f"tokens/{token}.{fmt}", None) for token in world.tokens.values()),
    ):
        await world.get(path, params)
    assert len(world.seen) > 20
    for url, text in world.seen:
        leaked = [value for value in NEVER_SHOWN if value in text]
        assert leaked == [], url
        # an unpublished number appears only where the client itself sent it (its 404)
        for case_no in world.unpublished.values():
            assert case_no not in text or case_no in url, url
