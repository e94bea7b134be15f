"""`hotline kb …` as a user runs it (subprocesses against the test stack): an article from
submission through review, update and diff to withdrawal, and every refusal with its exit code."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.cli.runner import hotline_runner
from tests.knowledge.articles_data import low_income_fields

DEPARTMENT = "gy-market"


def article_file(path: Path, **changes: object) -> Path:
    fields = low_income_fields(**({"department": DEPARTMENT} | changes))
    path.write_text(json.dumps(fields.model_dump(mode="json"), ensure_ascii=False), "utf-8")
    return path


async def test_an_article_from_submission_to_withdrawal(
    env: WorkflowEnvironment, worker: None, database_url: str, tmp_path: Path
) -> None:
    hotline = hotline_runner(env, database_url)
    first = article_file(tmp_path / "v1.json")
    title = json.loads(first.read_text("utf-8"))["title"]

    submitted = await hotline("kb", "submit", str(first), "--by", "dept-user", "--note", "新条目")
    assert submitted.returncode == 0, submitted.stderr
    article_id = submitted.stdout.split()[1]
    assert submitted.stdout.strip() == f"article {article_id} version 1 submitted for review"

    pending = await hotline("kb", "pending", "--json")
    assert [int(article_id), 1] in [
        [v["article_id"], v["version"]] for v in json.loads(pending.stdout)
    ]
    approved = await hotline("kb", "decide", article_id, "1", "--approve", "--by", "sup-1")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == f"article {article_id} version 1: approved"
    shown = await hotline("kb", "show", article_id)
    assert title in shown.stdout and "[published]" in shown.stdout

    second = article_file(
        tmp_path / "v2.json", title=title, review_by="2027-06-30", keywords=["低保"]
    )
    updated = await hotline("kb", "update", article_id, str(second), "--by", "dept-user")
    assert updated.returncode == 0, updated.stderr
    diff = await hotline("kb", "diff", article_id, "1", "2")
    assert diff.returncode == 0, diff.stderr
    assert "review_by: 2026-12-31 → 2027-06-30" in diff.stdout
    versions = await hotline("kb", "versions", article_id)
    assert [line.split()[:2] for line in versions.stdout.splitlines()] == [
        ["v1", "approved"],
        ["v2", "pending"],
    ]

    again = await hotline("kb", "decide", article_id, "1", "--reject", "--reason", "x", "--by", "s")
    assert again.returncode == 1
    assert "refused: article" in again.stderr and "already approved by sup-1" in again.stderr
    no_reason = await hotline("kb", "decide", article_id, "2", "--reject", "--by", "sup-1")
    assert no_reason.returncode == 2
    assert "a rejection needs a reason" in no_reason.stderr

    withdrawn = await hotline("kb", "withdraw", article_id, "--reason", "政策废止", "--by", "s")
    assert withdrawn.returncode == 0, withdrawn.stderr
    twice = await hotline("kb", "withdraw", article_id, "--reason", "again", "--by", "s")
    assert twice.returncode == 1
    assert "is withdrawn, not published" in twice.stderr


async def test_bad_files_fields_and_cases_are_refused_with_their_reason(
    env: WorkflowEnvironment, worker: None, database_url: str, tmp_path: Path
) -> None:
    hotline = hotline_runner(env, database_url)
    missing = await hotline("kb", "submit", str(tmp_path / "nope.json"), "--by", "u")
    assert missing.returncode == 2
    assert "nope.json: no such file" in missing.stderr

    broken = tmp_path / "broken.json"
    broken.write_text('{"title": ', "utf-8")
    not_json = await hotline("kb", "submit", str(broken), "--by", "u")
    assert not_json.returncode == 2
    assert "not JSON (line 1" in not_json.stderr

    long_title = article_file(tmp_path / "long.json")
    document = json.loads(long_title.read_text("utf-8")) | {"title": "长" * 129}
    long_title.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    refused = await hotline("kb", "submit", str(long_title), "--by", "u")
    assert refused.returncode == 2
    assert "title: String should have at most 128 characters" in refused.stderr

    foreign = article_file(tmp_path / "foreign.json", department="gy-nowhere")
    unknown_department = await hotline("kb", "submit", str(foreign), "--by", "u")
    assert unknown_department.returncode == 2
    assert "department: no department 'gy-nowhere'" in unknown_department.stderr

    unknown_case = await hotline(
        "kb", "rate", "GY20261128-999999", "--satisfaction", "dissatisfied",
        "--source", "ivr", "--by", "op",
    )  # fmt: skip
    assert unknown_case.returncode == 1
    assert "no case GY20261128-999999" in unknown_case.stderr
    unknown_article = await hotline("kb", "show", "424242")
    assert unknown_article.returncode == 1
    assert "no article 424242" in unknown_article.stderr
