"""Service phrases over HTTP: everyone reads, administrators add versions, anyone checks wording."""

from __future__ import annotations

import itertools
import random

from tests.api.http import Api

_keys = itertools.count(random.randint(1000, 9000))


def new_key() -> str:
    return f"test-{next(_keys)}"


async def test_the_starter_set_is_served_by_situation(api: Api) -> None:
    operator = api.token_for("operator")
    greeting = await api.http.get("/phrases", params={"situation": "greeting"}, headers=operator)
    assert greeting.status_code == 200, greeting.text
    [phrase] = [p for p in greeting.json() if p["key"] == "greeting"]
    assert phrase["text"] == "您好，12345，很高兴为您服务，请问有什么可以帮您？"
    everything = (await api.http.get("/phrases", headers=operator)).json()
    assert {
        "greeting",
        "confirm",
        "hold",
        "silent_line",
        "dispatch",
        "callback",
        "closing",
        "forbidden",
        "addressing",
    } <= {p["situation"] for p in everything}
    anonymous = await api.http.get("/phrases")
    assert anonymous.status_code == 401


async def test_every_edit_is_a_new_version_and_only_administrators_edit(api: Api) -> None:
    admin, operator = api.token_for("admin"), api.token_for("operator")
    key = new_key()
    path = f"/phrases/hold/{key}"
    denied = await api.http.put(path, json={"text": "请稍候。"}, headers=operator)
    assert denied.status_code == 403
    first = await api.http.put(path, json={"text": "请稍候。"}, headers=admin)
    second = await api.http.put(path, json={"text": "请您稍候，我马上为您查询。"}, headers=admin)
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    same = await api.http.put(path, json={"text": "请您稍候，我马上为您查询。"}, headers=admin)
    assert same.status_code == 409 and "already reads so (version 2)" in same.json()["detail"]
    versions = (await api.http.get(f"{path}/versions", headers=operator)).json()
    assert [v["text"] for v in versions] == ["请稍候。", "请您稍候，我马上为您查询。"]
    assert versions[1]["changed_by"].startswith("admin-")
    current = (
        await api.http.get("/phrases", params={"situation": "hold"}, headers=operator)
    ).json()
    assert [p["version"] for p in current if p["key"] == key] == [2]
    missing = await api.http.get("/phrases/hold/no-such-phrase/versions", headers=operator)
    assert missing.status_code == 404


async def test_bad_edits_name_the_field(api: Api) -> None:
    admin = api.token_for("admin")
    for path, body, field in [
        ("/phrases/hold/Bad_Key", {"text": "x"}, "key"),
        ("/phrases/weather/ok", {"text": "x"}, "situation"),
        (f"/phrases/hold/{new_key()}", {"text": ""}, "text"),
        (f"/phrases/hold/{new_key()}", {"text": "a\x00b"}, "text"),
        (f"/phrases/hold/{new_key()}", {"text": "x" * 501}, "text"),
        (f"/phrases/hold/{new_key()}", {"text": "x", "extra": 1}, "extra"),
    ]:
        response = await api.http.put(path, json=body, headers=admin)
        assert response.status_code == 422, (path, body, response.text)
        assert field in response.text


async def test_the_wording_check_follows_the_forbidden_list(api: Api) -> None:
    department, admin = api.token_for("department", "gy-market"), api.token_for("admin")
    report = await api.http.post(
        "/phrases/check",
        json={"text": "喂，这个不归我们管。婴儿喂养另行咨询。"},
        headers=department,
    )
    assert report.status_code == 200, report.text
    assert report.json()["clean"] is False
    assert [(f["expression"], f["start"]) for f in report.json()["findings"]] == [
        ("喂", 0),
        ("不归我们管", 4),
    ]
    expression = f"踢皮球{next(_keys)}"
    text = {"text": f"请不要{expression}。"}
    before = (await api.http.post("/phrases/check", json=text, headers=department)).json()
    assert before["clean"] is True
    added = await api.http.put(
        f"/phrases/forbidden/{new_key()}", json={"text": expression}, headers=admin
    )
    assert added.status_code == 200, added.text
    after = (await api.http.post("/phrases/check", json=text, headers=department)).json()
    assert [f["expression"] for f in after["findings"]] == [expression]
