"""The intake's services beside the form: the service phrases of each outcome, the wording check
of a direct answer, and the form's record of each outcome (a duplicate's merge button)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.console.intake import field_errors, intake_record, listed
from db.engine import SessionFactory
from knowledge.phrases import PhraseEdit, set_phrase
from models.enums import Situation
from services.cases import ForbiddenWordingError, IntakeRequest, check_direct_answer
from services.intake_phrases import CASE_NO_MARKER, intake_script

FORM = {
    "request_id": "req-1",
    "case_type": "complaint",
    "category": "城乡建设/供水/停水",
    "title": "停水",
    "content": "小区停水三天",
    "district": "南明区",
    "caller_name": "王五",
    "caller_phone": "13800001234",
}


def test_each_outcome_has_its_phrases_between_the_greeting_and_the_closing(
    sessions: SessionFactory,
) -> None:
    script = intake_script(sessions)
    assert script.greeting == ["您好，12345，很高兴为您服务，请问有什么可以帮您？"]
    assert script.closing == ["请问还有其他需要帮助的吗？感谢您的来电，再见！"]
    dispatch = script.by_outcome["dispatch"]
    assert any("转交相关部门办理" in text and CASE_NO_MARKER in text for text in dispatch)
    assert any("请您稍等" in text for text in script.by_outcome["three_way_call"])
    assert set(script.by_outcome) == {
        "dispatch",
        "merge",
        "direct_answer",
        "three_way_call",
        "emergency_handoff",
        "not_accepted",
    }
    filled = intake_script(sessions, "GY20261201-000007").by_outcome["dispatch"]
    assert any("工单号是GY20261201-000007" in text for text in filled)


def test_an_edited_phrase_shows_on_the_next_form(sessions: SessionFactory) -> None:
    set_phrase(
        sessions,
        PhraseEdit(
            situation=Situation.GREETING, key="greeting", text="您好，12345为您服务。", by="a"
        ),
    )
    assert intake_script(sessions).greeting == ["您好，12345为您服务。"]


def test_a_direct_answer_with_forbidden_wording_is_refused(sessions: SessionFactory) -> None:
    record = intake_record(
        FORM | {"outcome": "direct_answer", "answer": "这个不归我们管", "articles": "12，15 7"},
        "op-1",
    )
    assert record["outcome"]["articles"] == ["12", "15", "7"]
    intake = IntakeRequest.model_validate(record)
    with pytest.raises(ForbiddenWordingError) as refused:
        check_direct_answer(sessions, intake)
    assert "不归我们管" in refused.value.listed
    fine = FORM | {"outcome": "direct_answer", "answer": "可拨打供水热线报修"}
    check_direct_answer(sessions, IntakeRequest.model_validate(intake_record(fine, "op-1")))


def test_a_duplicates_merge_button_makes_the_outcome_a_merge() -> None:
    record = intake_record(FORM | {"outcome": "dispatch", "merge_into": "GY20261201-000003"}, "o")
    assert record["outcome"] == {"kind": "merge", "master_case_no": "GY20261201-000003"}
    typed = intake_record(FORM | {"outcome": "merge", "master_case_no": "GY20261201-000004"}, "o")
    assert typed["outcome"]["master_case_no"] == "GY20261201-000004"
    with pytest.raises(ValidationError) as bad:
        IntakeRequest.model_validate(
            intake_record(FORM | {"outcome": "merge", "master_case_no": "nope"}, "o")
        )
    assert "master_case_no" in field_errors(bad.value)


def test_dispatch_carries_the_assisting_departments() -> None:
    record = intake_record(
        FORM | {"outcome": "dispatch", "lead_department": "gy-hr"}, "o", ["gy-market"]
    )
    assert record["outcome"] == {
        "kind": "dispatch",
        "lead_department": "gy-hr",
        "assisting_departments": ["gy-market"],
    }
    assert listed(" ") == []
