"""Request bodies are bounded before parsing and before authentication: size per route (413)
and JSON nesting depth (422), for declared and for streamed (chunked) bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from api.body_limits import (
    CODEC_MAX_BYTES,
    DEFAULT_MAX_BYTES,
    MAX_JSON_DEPTH,
    JsonDepthScanner,
    is_json,
    max_bytes,
)
from api.open311.router import MAX_BODY_BYTES as OPEN311_MAX_BYTES
from api.routes.calls import MAX_INGEST_BYTES
from api.routes.knowledge_transfer import MAX_IMPORT_BYTES
from tests.api.http import Api
from tests.api.test_cases_api import intake_body
from tests.knowledge.test_transfer import article, csv_file

PROBLEM = "application/problem+json"
MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def big_json(size: int) -> bytes:
    """A JSON object of about `size` bytes: a valid intake with a huge title."""
    return json.dumps(intake_body(title="长" * (size // 3)), ensure_ascii=False).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def chunks(body: bytes, size: int, sent: list[int]) -> AsyncIterator[bytes]:
    """`body` streamed in chunks of `size` (no Content-Length: chunked); counts what was read."""
    for start in range(0, len(body), size):
        sent.append(size)
        yield body[start : start + size]


def assert_too_large(response_status: int, content_type: str, problem: dict[str, object]) -> None:
    assert response_status == 413
    assert content_type == PROBLEM
    assert problem["status"] == 413
    assert problem["max_bytes"] == DEFAULT_MAX_BYTES
    assert problem["detail"] == "the request body is larger than 1 MiB"


# ---- size ---------------------------------------------------------------------------------------


async def test_a_2_mib_json_body_is_a_413_before_authentication(api: Api) -> None:
    response = await api.http.post("/cases", content=big_json(2 * MIB), headers=JSON)
    assert_too_large(response.status_code, response.headers["content-type"], response.json())
    assert "WWW-Authenticate" not in response.headers  # not a 401: the token was never looked at


async def test_a_streamed_2_mib_body_is_counted_and_cut_off_at_the_limit(api: Api) -> None:
    sent: list[int] = []
    body = chunks(big_json(2 * MIB), 64 * 1024, sent)
    response = await api.http.post("/cases", content=body, headers=JSON)
    assert "content-length" not in response.request.headers
    assert_too_large(response.status_code, response.headers["content-type"], response.json())
    assert sum(sent) <= DEFAULT_MAX_BYTES + 64 * 1024  # the rest was never read


async def test_a_body_within_the_limit_reaches_authentication_and_the_route(api: Api) -> None:
    body = big_json(DEFAULT_MAX_BYTES // 2)
    assert (await api.http.post("/cases", content=body, headers=JSON)).status_code == 401
    sent: list[int] = []
    streamed = chunks(body, 64 * 1024, sent)
    assert (await api.http.post("/cases", content=streamed, headers=JSON)).status_code == 401
    operator = api.token_for("operator")
    response = await api.http.post("/cases", content=body, headers=JSON | operator)
    assert response.status_code == 422  # the title is too long: the route's own rule
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]


def test_each_upload_route_has_its_own_limit_from_one_table() -> None:
    assert max_bytes("POST", "/kb/import") == MAX_IMPORT_BYTES == 64 * MIB
    assert max_bytes("POST", "/calls/ingest") == MAX_INGEST_BYTES == 512 * MIB
    assert max_bytes("POST", "/open311/v2/requests.json") == OPEN311_MAX_BYTES == 256 * 1024
    assert max_bytes("POST", "/open311/v2/requests.xml") == OPEN311_MAX_BYTES
    assert max_bytes("POST", "/codec/decode") == CODEC_MAX_BYTES
    for method, path in [
        ("POST", "/cases"),
        ("POST", "/kb/import/more"),
        ("PUT", "/kb/import"),
        ("POST", "/cases/GY20261128-000001/reply"),
        ("POST", "/open311/v2/requests/GY20261128-000001.json"),
    ]:
        assert max_bytes(method, path) == DEFAULT_MAX_BYTES, path


async def test_the_knowledge_import_still_takes_a_file_larger_than_1_mib(api: Api) -> None:
    paragraph = "申请低保需提交户口簿、身份证、家庭收入证明，并由社区初审后报街道审核。"
    content = paragraph * (19_000 // len(paragraph))
    records = [article(content=content) for _ in range(60)]
    file = csv_file(records)
    assert 2 * MIB < len(file) < MAX_IMPORT_BYTES
    admin = api.token_for("admin")
    response = await api.http.post(
        "/kb/import",
        params={"dry_run": "true"},
        content=file,
        headers=admin | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["articles"] == 60


async def test_the_call_record_ingest_still_takes_a_file_larger_than_1_mib(api: Api) -> None:
    """Unreadable lines, 2 MiB of them: the ingest reads them all and answers with its own 422."""
    file = b"not a queue_log line\n" * (2 * MIB // 21 + 1)
    admin = api.token_for("admin")
    response = await api.http.post(
        "/calls/ingest",
        params={"format": "queue_log"},
        content=file,
        headers=admin | {"Content-Type": "text/plain"},
    )
    assert response.status_code == 422, response.text[:500]


async def test_open311_takes_256_kib_and_answers_a_larger_post_with_its_error_document(
    api: Api,
) -> None:
    form = b"description=" + b"a" * (OPEN311_MAX_BYTES + 1)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await api.http.post("/open311/v2/requests.json", content=form, headers=headers)
    assert response.status_code == 413
    assert response.json() == [
        {"code": 413, "description": "the request body is larger than 256 KiB"}
    ]
    within = b"description=" + b"a" * (OPEN311_MAX_BYTES - 100)
    response = await api.http.post("/open311/v2/requests.json", content=within, headers=headers)
    assert response.status_code == 403  # read in full; refused for its missing api_key


# ---- depth --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/cases", "/public/progress", "/codec/decode", "/phrases/check", "/users"]
)
async def test_json_nested_100000_deep_is_a_422_naming_the_body_and_the_limit(
    api: Api, path: str
) -> None:
    response = await api.http.post(path, content=nested(100_000), headers=JSON)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["detail"] == (
        f"body: the JSON body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"
    )
    assert problem["errors"] == [
        {
            "field": "body",
            "rule": "max_depth",
            "message": f"the JSON body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels",
        }
    ]


async def test_deep_json_streamed_or_without_a_content_type_is_refused_too(api: Api) -> None:
    sent: list[int] = []
    response = await api.http.post("/cases", content=chunks(nested(100_000), 7, sent))
    assert "content-type" not in response.request.headers
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "max_depth"
    assert sum(sent) <= 70  # refused at the 65th bracket


async def test_open311_answers_deep_json_with_its_error_document(api: Api) -> None:
    response = await api.http.post(
        "/open311/v2/requests.json", content=nested(100_000), headers=JSON
    )
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": (
                f"the JSON body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"
            ),
        }
    ]


async def test_json_at_the_depth_limit_is_parsed_and_checked_as_usual(api: Api) -> None:
    operator = api.token_for("operator")
    body = intake_body(extra=json.loads(nested(MAX_JSON_DEPTH - 1)))
    response = await api.http.post("/cases", json=body, headers=operator)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.extra"]


def test_the_depth_scanner_ignores_brackets_in_strings_at_any_chunk_boundary() -> None:
    text = json.dumps({"a": ['[[[{{{"\\"[[[', {"b": [1, "]]]}}}"]}], "c": "\\\\"}).encode()
    text = b"[" * (MAX_JSON_DEPTH - 4) + text + b"]" * (MAX_JSON_DEPTH - 4)  # at the limit
    too_deep = text.replace(b'{"b": [1', b'{"b": [[1]', 1)
    for cut in range(len(text)):
        scanner = JsonDepthScanner()
        assert scanner.feed(text[:cut]) and scanner.feed(text[cut:]), cut
        assert scanner.depth == 0
        deep = JsonDepthScanner()
        assert not (deep.feed(too_deep[:cut]) and deep.feed(too_deep[cut:])), cut


def test_json_content_types() -> None:
    assert is_json(None) and is_json("") and is_json("application/json; charset=utf-8")
    assert is_json("application/problem+json") and is_json("Application/JSON")
    assert not is_json("text/csv") and not is_json("application/x-www-form-urlencoded")
