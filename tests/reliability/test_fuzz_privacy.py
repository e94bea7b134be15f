"""Drill 4: fuzz the whole API with every role's token and none; no 5xx, no personal data out.

schemathesis runs over the live `/openapi.json` of `python -m api` once per role (operator,
dispatcher, department, supervisor, auditor, admin) and once without a token; path case numbers
are drawn half of the time from the seeded cases, so the fuzzing reaches real, confidential
cases. Every exchange is kept (HAR) and read back: no 5xx, and none of the seeded callers' names,
phones or addresses in an answer the role may not see (no token, the administrator, the
department on its confidential cases and on other departments' cases, and any public answer:
Open311 and the citizens' progress lookup, whoever asks). Then hypothesis fuzzes what the schema
does not describe: the Open311 POST form and the knowledge and call-record import files.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.open311.mapping import service_code
from tests.open311.support import request_form
from tests.reliability.conftest import ApiStack, requires_postgres
from tests.reliability.privacy import SeededCaller, all_personal, leaks, seed

pytestmark = [requires_postgres, pytest.mark.timeout(600)]

ROLES: tuple[tuple[str | None, str | None], ...] = (
    (None, None),
    ("department", "gy-market"),
    ("admin", None),
    ("operator", None),
    ("dispatcher", None),
    ("supervisor", None),
    ("auditor", None),
)
MAY_NOT_SEE = {None, "department", "admin"}
PUBLIC = ("/open311/", "/public/")
MAX_EXAMPLES = os.environ.get("HOTLINE_DRILL_EXAMPLES", "3")
SEED = os.environ.get("HOTLINE_FUZZ_SEED", "20261128")
FORM_EXAMPLES = 80
FILE_EXAMPLES = 25
# A connection per request: an answer that breaks its connection cannot fail the next one.
ONE_REQUEST = {"Connection": "close"}


@pytest.fixture(scope="module")
async def seeded(api_stack: ApiStack) -> dict[str, SeededCaller]:
    async with httpx.AsyncClient(base_url=api_stack.url, timeout=30) as http:
        return await seed(http, api_stack.headers("operator"))


def config_file(folder: Path, cases: list[str]) -> Path:
    """schemathesis.toml: case-number path parameters drawn from the seeded cases half the time."""
    values = ", ".join(json.dumps(c) for c in cases)
    path = folder / "schemathesis.toml"
    path.write_text(
        f"[dictionaries.cases]\nvalues = [{values}]\n\n"
        "[parameters]\n"
        '"path.case_no" = { dictionary = "cases", probability = 0.5 }\n'
        '"path.service_request_id" = { dictionary = "cases", probability = 0.5 }\n',
        encoding="utf-8",
    )
    return path


def run_schemathesis(url: str, folder: Path, config: Path, headers: dict[str, str]) -> Path:
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is a dev dependency"
    har = folder / "exchanges.har"
    command = [cli, "--config-file", str(config), "run", f"{url}/openapi.json"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command += [
        "--checks",
        "not_a_server_error",
        "--max-examples",
        MAX_EXAMPLES,
        "--phases",
        "examples,fuzzing",
        "--request-timeout",
        "20",
        "--workers",
        "2",
        "--no-shrink",
        "--seed",
        SEED,
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--no-color",
    ]
    completed = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=400, check=False
    )
    assert har.is_file(), completed.stdout[-3000:] + completed.stderr[-2000:]
    return har


def exchanges(har: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    return entries


def forbidden_for(role: str | None, cases: dict[str, SeededCaller], url: str) -> tuple[str, ...]:
    """The personal values `role` may not see in the answer to `url`."""
    if role in MAY_NOT_SEE or any(part in url for part in PUBLIC):
        return all_personal(cases)
    return ()


@pytest.mark.parametrize(
    ("role", "department"), ROLES, ids=[role or "no-token" for role, _ in ROLES]
)
async def test_schemathesis_no_5xx_no_personal_data(
    api_stack: ApiStack,
    seeded: dict[str, SeededCaller],
    tmp_path: Path,
    role: str | None,
    department: str | None,
) -> None:
    label = role or "no token"
    headers = api_stack.headers(role, department) if role else {}
    config = config_file(tmp_path, sorted(seeded))
    har = await asyncio.to_thread(run_schemathesis, api_stack.url, tmp_path, config, headers)
    entries = exchanges(har)
    server_errors: list[str] = []
    leaked: list[str] = []
    for entry in entries:
        request, response = entry["request"], entry["response"]
        where = f"{request['method']} {request['url'][:160]}"
        if response["status"] >= 500:
            server_errors.append(f"{where} -> {response['status']}")
        text = response.get("content", {}).get("text") or ""
        found = leaks(text, forbidden_for(role, seeded, request["url"]))
        if found:
            leaked.append(f"{where} -> {response['status']} shows {found}")
    hits = sum(any(c in entry["request"]["url"] for c in seeded) for entry in entries)
    operations = {(e["request"]["method"], e["request"]["url"].split("?")[0]) for e in entries}
    print(
        f"\n[drill 4: schemathesis, {label}] {len(entries)} requests "
        f"({len(operations)} distinct method+URL, {hits} on seeded cases), "
        f"5xx {len(server_errors)}, personal data shown {len(leaked)}"
    )
    for line in (server_errors + leaked)[:10]:
        print(f"  {line}")
    assert entries, "schemathesis sent nothing"
    assert server_errors == [], server_errors[:10]
    assert leaked == [], leaked[:10]


# ---- hypothesis: what the schema does not describe -------------------------------------------

MARK = "泄露标记"
PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone", "device_id", "account_id")
words = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
printable = st.text(alphabet=st.characters(categories=("L", "N")), min_size=2, max_size=12)
marked = st.builds(lambda w: f"{MARK}{w}", printable)
phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
FUZZ: dict[str, st.SearchStrategy[str]] = {
    "service_code": st.one_of(st.just(service_code("市场监管/消费投诉")), words),
    "lat": st.one_of(st.floats(allow_nan=True).map(str), words),
    "long": st.one_of(st.floats(allow_nan=True).map(str), words),
    "phone": st.one_of(phones, marked, words),
    "email": st.one_of(marked.map(lambda m: f"{m}@example.com"), words),
}


def open311_forms(api_key: str) -> st.SearchStrategy[dict[str, str]]:
    """A valid form of the Open311 tests, each field kept, fuzzed or left out; personal fields
    fuzzed with marked values that must never come back."""
    base = request_form(api_key, **{"attribute[district]": "云岩区", "jurisdiction_id": "guiyang"})

    def field(name: str, value: str) -> st.SearchStrategy[str | None]:
        fuzz = (
            FUZZ[name]
            if name in FUZZ
            else st.one_of(marked, words)
            if name in PERSONAL_FIELDS
            else words
        )
        return st.one_of(st.just(value), st.just(value), fuzz, st.none())

    forms = st.fixed_dictionaries({name: field(name, value) for name, value in base.items()})
    return forms.map(lambda form: {k: v for k, v in form.items() if v is not None})


def shown(form: dict[str, str]) -> str:
    """The form for a failure message, without its api_key (a bearer token)."""
    return repr({k: "<api_key>" if k == "api_key" else v for k, v in form.items()})


def _submitted_personal(form: dict[str, str]) -> tuple[str, ...]:
    return tuple(v for k, v in form.items() if k in PERSONAL_FIELDS and len(v) >= 6)


def fuzz_open311(
    url: str, api_key: str, cases: dict[str, SeededCaller]
) -> tuple[Counter[str], list[str]]:
    statuses: Counter[str] = Counter()
    failures: list[str] = []

    @settings(
        max_examples=FORM_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(form=open311_forms(api_key), fmt=st.sampled_from(["json", "xml"]))
    @example(form=request_form(api_key, last_name=f"{MARK}\x0b"), fmt="json")
    @example(form=request_form(api_key, first_name=f"{MARK}\x00"), fmt="xml")
    @example(form=request_form(api_key, description="停水\x1b[2J"), fmt="json")
    @example(form=request_form(api_key, address_string="中华北路\u200b\u202e1号"), fmt="json")
    def post(form: dict[str, str], fmt: str) -> None:
        try:
            response = http.post(f"/open311/v2/requests.{fmt}", data=form)
        except httpx.TransportError as err:
            statuses["no answer"] += 1
            failures.append(f"POST requests.{fmt} {shown(form)} -> no answer ({err!r})")
            return
        statuses[str(response.status_code)] += 1
        forbidden = (*all_personal(cases), *_submitted_personal(form))
        if response.status_code >= 500 or leaks(response.text, forbidden):
            failures.append(
                f"POST requests.{fmt} {shown(form)} -> {response.status_code} {response.text[:200]}"
            )

    with httpx.Client(base_url=url, timeout=30, headers=ONE_REQUEST) as http:
        post()
    return statuses, failures


KB_FIXTURES = Path(__file__).resolve().parent.parent / "knowledge" / "transfer_fixtures"
CALL_SAMPLES = Path(__file__).resolve().parent.parent / "evaluation" / "samples"


def mutated(seed_bytes: bytes) -> st.SearchStrategy[bytes]:
    """A real file cut, spliced with random bytes, or random bytes alone."""

    def splice(cut: int, junk: bytes) -> bytes:
        point = cut % (len(seed_bytes) + 1)
        return seed_bytes[:point] + junk + seed_bytes[point:]

    return st.one_of(
        st.builds(splice, st.integers(min_value=0), st.binary(max_size=64)),
        st.integers(min_value=0).map(lambda n: seed_bytes[: n % (len(seed_bytes) + 1)]),
        st.binary(max_size=512),
        st.builds(lambda w: w.encode(), words),
    )


def fuzz_files(
    url: str, admin: dict[str, str], cases: dict[str, SeededCaller]
) -> tuple[Counter[str], list[str]]:
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    uploads = [
        ("/kb/import?dry_run=true", "text/csv", (KB_FIXTURES / "articles.csv").read_bytes()),
        (
            "/kb/import?dry_run=true",
            "application/json",
            (KB_FIXTURES / "articles.json").read_bytes(),
        ),
        (
            "/calls/ingest?format=csv&source=csv",
            "text/csv",
            (CALL_SAMPLES / "calls.csv").read_bytes(),
        ),
        ("/calls/ingest?format=cdr", "text/csv", (CALL_SAMPLES / "Master.csv").read_bytes()),
        (
            "/calls/ingest?format=queue_log",
            "text/plain",
            (CALL_SAMPLES / "queue_log.1").read_bytes(),
        ),
    ]
    strategy = st.one_of(*(st.tuples(st.just(p), st.just(t), mutated(b)) for p, t, b in uploads))

    @settings(
        max_examples=FILE_EXAMPLES * len(uploads),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(upload=strategy)
    def send(upload: tuple[str, str, bytes]) -> None:
        path, media_type, body = upload
        try:
            response = http.post(path, content=body, headers=admin | {"Content-Type": media_type})
        except httpx.TransportError as err:
            statuses["no answer"] += 1
            failures.append(f"POST {path} {body[:80]!r} -> no answer ({err!r})")
            return
        statuses[f"{path.split('?')[0]} {response.status_code}"] += 1
        if response.status_code >= 500 or leaks(response.text, all_personal(cases)):
            failures.append(
                f"POST {path} ({len(body)} bytes) -> {response.status_code} {response.text[:200]}"
            )

    with httpx.Client(base_url=url, timeout=60, headers=ONE_REQUEST) as http:
        send()
    return statuses, failures


async def test_hypothesis_open311_form_and_import_files(
    api_stack: ApiStack, seeded: dict[str, SeededCaller]
) -> None:
    operator_key = api_stack.headers("operator")["Authorization"].removeprefix("Bearer ")
    admin = api_stack.headers("admin")
    forms_seen, form_failures = await asyncio.to_thread(
        fuzz_open311, api_stack.url, operator_key, seeded
    )
    files_seen, file_failures = await asyncio.to_thread(fuzz_files, api_stack.url, admin, seeded)
    print(
        f"\n[drill 4: hypothesis] Open311 POST form: {sum(forms_seen.values())} requests "
        f"{dict(forms_seen)}, failures {len(form_failures)}; import files: "
        f"{sum(files_seen.values())} requests {dict(files_seen)}, failures {len(file_failures)}"
    )
    for line in (form_failures + file_failures)[:10]:
        print(f"  {line[:600]}")
    assert form_failures == [], form_failures[:3]
    assert file_failures == [], file_failures[:3]
    assert sum(forms_seen.values()) > 0 and sum(files_seen.values()) > 0
    assert any(status.startswith("2") for status in forms_seen), "no form was ever taken in"
