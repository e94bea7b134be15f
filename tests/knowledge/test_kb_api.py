"""The knowledge base over HTTP, on the real app, Temporal dev server and database: who may do
what, the review from submission to publication, direct answers counting and flagging their
articles, and suggestions from consultation replies."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from db.knowledge_tables import SuggestionRow
from models.commands import ReplyReview, SignOff
from models.enums import CaseStatus, CaseType, ClosureReason
from models.intake import DirectAnswer, ToDispatch
from tests.api.http import Api
from tests.api.test_cases_api import intake_body
from tests.knowledge.articles_data import low_income_fields
from tests.workflows.cases import REPLY, SATISFIED, intake, start, until
from workflows.case import CaseWorkflow

DEPARTMENT = "gy-market"  # seeded by the demo data of the session database


def article_body(**changes: Any) -> dict[str, Any]:
    fields = low_income_fields(department=DEPARTMENT, **changes)
    return fields.model_dump(mode="json") | {"note": "首次提交"}


async def published_article(api: Api, **changes: Any) -> dict[str, Any]:
    department = api.token_for("department", DEPARTMENT)
    supervisor = api.token_for("supervisor")
    submitted = await api.http.post(
        "/kb/articles", json=article_body(**changes), headers=department
    )
    assert submitted.status_code == 202, submitted.text
    article_id = submitted.json()["article_id"]
    decided = await api.http.post(
        f"/kb/articles/{article_id}/versions/1/decision",
        json={"approve": True},
        headers=supervisor,
    )
    assert decided.status_code == 200, decided.text
    article = await api.http.get(f"/kb/articles/{article_id}", headers=department)
    return dict(article.json())


async def test_a_department_submits_its_own_article_and_the_centre_publishes_it(api: Api):
    department = api.token_for("department", DEPARTMENT)
    operator = api.token_for("operator")
    body = article_body()

    submitted = await api.http.post("/kb/articles", json=body, headers=department)

    assert submitted.status_code == 202, submitted.text
    article_id = submitted.json()["article_id"]
    assert submitted.headers["Location"] == f"/kb/articles/{article_id}"
    hidden = await api.http.get(f"/kb/articles/{article_id}", headers=operator)
    assert hidden.status_code == 404  # not published yet: only the owner and the centre see it
    pending = await api.http.get("/kb/reviews", headers=api.token_for("supervisor"))
    assert any(v["article_id"] == article_id for v in pending.json())

    decided = await api.http.post(
        f"/kb/articles/{article_id}/versions/1/decision",
        json={"approve": True},
        headers=api.token_for("supervisor"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved"

    seen = await api.http.get(f"/kb/articles/{article_id}", headers=operator)
    assert seen.status_code == 200
    assert (seen.json()["status"], seen.json()["published_version"]) == ("published", 1)
    found = await api.http.get("/kb/search", params={"q": body["title"][:14]}, headers=operator)
    assert article_id in [hit["article_id"] for hit in found.json()["hits"]]

    again = await api.http.post(
        f"/kb/articles/{article_id}/versions/1/decision",
        json={"approve": False, "reason": "再看看"},
        headers=api.token_for("admin"),
    )
    assert again.status_code == 409, again.text


async def test_roles_and_field_errors_on_submission(api: Api):
    other = api.token_for("department", "gy-housing")
    operator = api.token_for("operator")
    department = api.token_for("department", DEPARTMENT)

    assert (
        await api.http.post("/kb/articles", json=article_body(), headers=other)
    ).status_code == 403
    refused = await api.http.post("/kb/articles", json=article_body(), headers=operator)
    assert refused.status_code == 403
    bad = await api.http.post(
        "/kb/articles",
        json=article_body() | {"keywords": ["一个超过二十个字的关键词一个超过二十个字的关键词"]},
        headers=department,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.keywords.0"
    rude = await api.http.post(
        "/kb/articles",
        json=article_body() | {"content": "这个不归我们管。"},
        headers=department,
    )
    assert rude.status_code == 422, rude.text
    assert rude.json()["errors"][0]["field"] == "content"
    rejection = await api.http.post(
        "/kb/articles/1/versions/1/decision",
        json={"approve": False},
        headers=api.token_for("supervisor"),
    )
    assert rejection.status_code == 422
    assert "needs a reason" in rejection.json()["detail"]
    drafts = await api.http.get("/kb/articles", params={"status": "pending"}, headers=operator)
    assert drafts.status_code == 403


async def test_an_update_keeps_the_published_version_until_approved_and_shows_its_diff(api: Api):
    article = await published_article(api)
    department = api.token_for("department", DEPARTMENT)
    changed = article_body(title=article["title"]) | {
        "content": article["content"] + "咨询电话：12345。",
        "note": "补充咨询电话",
    }

    updated = await api.http.put(f"/kb/articles/{article['id']}", json=changed, headers=department)

    assert updated.status_code == 202, updated.text
    assert updated.json()["version"] == 2
    still = await api.http.get(f"/kb/articles/{article['id']}", headers=api.token_for("operator"))
    assert still.json()["content"] == article["content"]
    diff = await api.http.get(
        f"/kb/articles/{article['id']}/diff", params={"from": 1, "to": 2}, headers=department
    )
    assert diff.status_code == 200, diff.text
    content = next(c for c in diff.json()["changes"] if c["field"] == "content")
    assert {"op": "insert", "text": "咨询电话：12345。"} in content["segments"]
    versions = await api.http.get(f"/kb/articles/{article['id']}/versions", headers=department)
    assert [(v["version"], v["state"], v["note"]) for v in versions.json()] == [
        (1, "approved", "首次提交"),
        (2, "pending", "补充咨询电话"),
    ]


async def test_direct_answers_count_their_articles_and_dissatisfaction_flags_them(
    api: Api, client: Client
):
    article = await published_article(api)
    operator = api.token_for("operator")
    answer = {"kind": "direct_answer", "answer": "请携带户口簿到街道申请。"}

    unknown = await api.http.post(
        "/cases", json=intake_body(outcome=answer | {"articles": ["99999999"]}), headers=operator
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "outcome.articles[0]"

    rude = await api.http.post(
        "/cases",
        json=intake_body(outcome={"kind": "direct_answer", "answer": "这个不归我们管"}),
        headers=operator,
    )
    assert rude.status_code == 422, rude.text
    assert rude.json()["errors"][0]["field"] == "outcome.answer"
    assert "不归我们管" in rude.json()["errors"][0]["message"]

    answered = await api.http.post(
        "/cases",
        json=intake_body(outcome=answer | {"articles": [str(article["id"])]}),
        headers=operator,
    )
    assert answered.status_code == 201, answered.text
    case_no = answered.json()["case_no"]
    again = await api.http.get(f"/kb/articles/{article['id']}", headers=operator)
    assert again.json()["uses"] == 1

    rated = await api.http.post(
        "/kb/evaluations",
        json={"case_no": case_no, "satisfaction": "dissatisfied", "source": "callback"},
        headers=operator,
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["articles_flagged"] == [article["id"]]
    flagged = await api.http.get(f"/kb/articles/{article['id']}", headers=operator)
    assert [(f["reason"], f["case_no"]) for f in flagged.json()["open_flags"]] == [
        ("dissatisfied", case_no)
    ]
    owner = api.token_for("department", DEPARTMENT)
    reminders = await api.http.get("/kb/reminders", headers=owner)
    assert any(article["id"] in r["articles"] for r in reminders.json())
    listed = await api.http.get("/kb/articles", params={"flagged": "true"}, headers=owner)
    assert article["id"] in [a["id"] for a in listed.json()]

    twice = await api.http.post(
        "/kb/evaluations",
        json={"case_no": case_no, "satisfaction": "satisfied", "source": "ivr"},
        headers=operator,
    )
    assert twice.status_code == 409
    dispatched = await api.http.post("/cases", json=intake_body(), headers=operator)
    not_direct = await api.http.post(
        "/kb/evaluations",
        json={
            "case_no": dispatched.json()["case_no"],
            "satisfaction": "dissatisfied",
            "source": "ivr",
        },
        headers=operator,
    )
    assert not_direct.status_code == 409
    assert "not closed by a direct answer" in not_direct.json()["detail"]


async def test_a_closed_consultation_suggests_an_article_from_the_reply(api: Api, client: Client):
    case = intake(
        case_type=CaseType.CONSULTATION,
        category="民政/社会救助/低保",
        title="咨询低保申请需要哪些材料",
        outcome=ToDispatch(lead_department=DEPARTMENT),
    )
    handle = await start(client, case)
    await until(handle, lambda state: state.status is CaseStatus.DISPATCHED)
    await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department=DEPARTMENT))
    await handle.execute_update(
        CaseWorkflow.reply, REPLY.model_copy(update={"department": DEPARTMENT})
    )
    reviewed = await handle.execute_update(
        CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True)
    )
    if reviewed.status is CaseStatus.CALLBACK:  # consultations are called back on a sample
        await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
    view = await handle.result()
    assert view.closure_reason in (ClosureReason.RESOLVED, ClosureReason.NO_CALLBACK_REQUIRED)
    direct_case = intake(outcome=DirectAnswer(answer="已答复"))
    await (await start(client, direct_case)).result()
    department = api.token_for("department", DEPARTMENT)

    listed = await api.http.get("/kb/suggestions", headers=department)

    cases = [s["case_no"] for s in listed.json()]
    assert case.case_no in cases
    assert direct_case.case_no not in cases
    detail = await api.http.get(f"/kb/suggestions/{case.case_no}", headers=department)
    assert detail.status_code == 200, detail.text
    assert detail.json()["reply"]  # the department's reply, read from the case
    foreign = api.token_for("department", "gy-housing")
    assert (
        await api.http.get(f"/kb/suggestions/{case.case_no}", headers=foreign)
    ).status_code == 404

    unknown = await api.http.post(
        f"/kb/suggestions/{case.case_no}/decision",
        json={"accept": True, "article_id": 99999999},
        headers=department,
    )
    assert unknown.status_code == 404, unknown.text
    assert "no article 99999999" in unknown.json()["detail"]
    dismissed = await api.http.post(
        f"/kb/suggestions/{case.case_no}/decision", json={"accept": False}, headers=department
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["state"] == "dismissed"
    after = await api.http.get("/kb/suggestions", headers=department)
    assert case.case_no not in [s["case_no"] for s in after.json()]
    twice = await api.http.post(
        f"/kb/suggestions/{case.case_no}/decision", json={"accept": False}, headers=department
    )
    assert twice.status_code == 409
    with api.sessions() as session:
        decision = session.get(SuggestionRow, case.case_no)
        assert decision is not None
        assert (decision.state, decision.department, decision.article_id) == (
            "dismissed",
            DEPARTMENT,
            None,
        )


async def test_reads_outside_a_role_or_of_unknown_things_are_refused_and_named(api: Api):
    article = await published_article(api)
    operator = api.token_for("operator")
    other = api.token_for("department", "gy-housing")

    reminders = await api.http.get("/kb/reminders", headers=operator)
    assert reminders.status_code == 403
    versions = await api.http.get(f"/kb/articles/{article['id']}/versions", headers=other)
    assert versions.status_code == 404  # as for no article (tests/knowledge/test_kb_hiding.py)
    withdrawal = await api.http.post(
        f"/kb/articles/{article['id']}/withdrawal", json={"reason": "过时"}, headers=other
    )
    assert withdrawal.status_code == 403
    missing = await api.http.get(
        f"/kb/articles/{article['id']}/diff",
        params={"from": 1, "to": 9},
        headers=api.token_for("supervisor"),
    )
    assert missing.status_code == 404
    assert f"no version 9 of article {article['id']}" in missing.json()["detail"]
    unknown_case = await api.http.post(
        "/kb/evaluations",
        json={"case_no": "GY20261128-999999", "satisfaction": "satisfied", "source": "ivr"},
        headers=operator,
    )
    assert unknown_case.status_code == 404
    assert "no case GY20261128-999999" in unknown_case.json()["detail"]
