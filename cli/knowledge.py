"""`hotline kb …`: the knowledge base (知识库) from the command line.

hotline kb submit ARTICLE.json --by USER [--note]    a new article, pending the centre's review
hotline kb update ID ARTICLE.json --by USER          the next version of an article
hotline kb pending                                   versions awaiting review
hotline kb decide ID VERSION --approve|--reject [--reason] --by USER
hotline kb show ID | list | versions ID | diff ID FROM TO
hotline kb withdraw ID --reason R --by USER          take an article out of search
hotline kb rate CASE --satisfaction S --source ivr|callback --by USER
hotline kb suggestions [--department D]              consultations to turn into articles
hotline kb reminders RECIPIENT                       a department's reminders, or "centre"
hotline kb search / reindex / import / export        (see their --help)

An article file is JSON with the fields of an article (docs/knowledge-import.md lists them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client

from cli import knowledge_search, knowledge_transfer
from cli.admin import admin_errors, emit_json, resolve_url, sessions_for
from cli.options import AsJson, By, DatabaseUrl
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, fail, with_client
from knowledge import articles as kb
from knowledge.diff import render_plain, version_diff
from knowledge.reminders import reminders_for
from knowledge.suggestions import open_suggestions
from knowledge.usage import AnswerEvaluation, record_answer_evaluation
from models.enums import ArticleStatus, Satisfaction
from models.knowledge import ArticleFields, ArticleVersion, Decision
from models.timestamps import BEIJING
from services.knowledge_review import decide_review, submit_for_review
from settings.temporal import TemporalSettings

kb_app = typer.Typer(
    help="The knowledge base: articles under review, versions, search, import and export.",
    no_args_is_help=True,
)
ArticleId = Annotated[int, typer.Argument(help="the article's number", min=1)]
ArticleFile = Annotated[
    Path, typer.Argument(help="JSON file with the article's fields", exists=False)
]
NoteOption = Annotated[str | None, typer.Option("--note", help="what changed and why")]


@contextmanager
def kb_errors(url: str) -> Iterator[None]:
    """`admin_errors`, plus the knowledge base's refusals: a wrong value is bad input (exit 2),
    an unknown article or a step that does not fit its state is refused (exit 1)."""
    with admin_errors(url):
        try:
            yield
        except kb.ArticleRefusedError as err:
            raise fail(str(err), EXIT_USAGE) from None
        except kb.ArticleError as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None


@kb_app.command("submit")
def submit(article: ArticleFile, by: By, note: NoteOption = None, url: DatabaseUrl = None) -> None:
    """Submit a new article; it is published when the centre approves it."""
    _submit(article, by, note, None, url)


@kb_app.command("update")
def update(
    article_id: ArticleId,
    article: ArticleFile,
    by: By,
    note: NoteOption = None,
    url: DatabaseUrl = None,
) -> None:
    """Submit the next version of an article; the published version stays until approved."""
    _submit(article, by, note, article_id, url)


@kb_app.command("pending")
def pending(
    department: Annotated[str | None, typer.Option(help="only this department's")] = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Versions awaiting the centre's review, oldest first."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        versions = kb.pending_versions(sessions_for(resolved), department)
    if as_json:
        emit_json(versions)
        return
    for item in versions:
        due = (
            item.review_due.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
            if item.review_due
            else "-"
        )
        typer.echo(
            f"{item.article_id:>7} v{item.version:<3} due {due}  {item.department:<16} {item.title}"
        )


@kb_app.command("decide")
def decide(
    article_id: ArticleId,
    version: Annotated[int, typer.Argument(help="the version decided on", min=1)],
    approve: Annotated[
        bool, typer.Option("--approve/--reject", help="the decision", show_default=False)
    ],
    by: By,
    reason: Annotated[str | None, typer.Option(help="required when rejecting")] = None,
    url: DatabaseUrl = None,
) -> None:
    """Approve (publish) or reject a pending version."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        decision = Decision(approve=approve, reason=reason, by=by)

        async def run(client: Client, settings: TemporalSettings) -> ArticleVersion:
            return await decide_review(client, article_id, version, decision)

        decided = with_client(run)
    typer.echo(f"article {decided.article_id} version {decided.version}: {decided.state.value}")


@kb_app.command("show")
def show(article_id: ArticleId, as_json: AsJson = False, url: DatabaseUrl = None) -> None:
    """One article as readers see it, with its status, uses and open flags."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        article = kb.get_article(sessions_for(resolved), article_id)
    if as_json:
        typer.echo(article.model_dump_json(indent=2))
        return
    typer.echo(f"{article.id} {article.title}  [{article.status.value}]")
    typer.echo(f"  {article.category_path} · {article.material_type.value} · {article.department}")
    typer.echo(f"  keywords: {'、'.join(article.keywords) or '-'}")
    typer.echo(f"  effective {article.effective_from}, review by {article.review_by}")
    typer.echo(f"  version {article.published_version} published, {article.uses} uses")
    for flag in article.open_flags:
        typer.echo(f"  flag: {flag.reason.value} {flag.case_no or ''} {flag.detail or ''}".rstrip())
    typer.echo("")
    typer.echo(article.content)


@kb_app.command("list")
def list_articles(
    status: Annotated[ArticleStatus, typer.Option(help="articles in this status")] = (
        ArticleStatus.PUBLISHED
    ),
    department: Annotated[str | None, typer.Option(help="only this department's")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="only with an open flag")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Articles by number."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        found = kb.list_articles(sessions_for(resolved), status, department, flagged, limit)
    if as_json:
        emit_json(found)
        return
    for article in found:
        flags = ",".join(flag.reason.value for flag in article.open_flags)
        typer.echo(
            f"{article.id:>7} {article.department:<16} {article.uses:>5} uses "
            f"{flags or '':<12} {article.title}"
        )


@kb_app.command("versions")
def versions(article_id: ArticleId, as_json: AsJson = False, url: DatabaseUrl = None) -> None:
    """Every version of an article, oldest first: who submitted, who decided."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        found = kb.article_versions(sessions_for(resolved), article_id)
    if as_json:
        emit_json(found)
        return
    for item in found:
        decided = f"{item.decided_by} {item.reason or ''}".strip() if item.decided_by else ""
        typer.echo(
            f"v{item.version:<3} {item.state.value:<10} "
            f"{item.submitted_at.isoformat(timespec='seconds')} {item.submitted_by:<12} {decided}"
        )


@kb_app.command("diff")
def diff(
    article_id: ArticleId,
    from_version: Annotated[int, typer.Argument(min=1)],
    to_version: Annotated[int, typer.Argument(min=1)],
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """What changed between two versions ([-deleted-] {+inserted+})."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        changes = version_diff(sessions_for(resolved), article_id, from_version, to_version)
    if as_json:
        typer.echo(changes.model_dump_json(indent=2))
        return
    for line in render_plain(changes):
        typer.echo(line)


@kb_app.command("withdraw")
def withdraw(
    article_id: ArticleId,
    reason: Annotated[str, typer.Option(help="why it leaves search", show_default=False)],
    by: By,
    url: DatabaseUrl = None,
) -> None:
    """Take a published article out of search; its versions stay."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        kb.withdraw(sessions_for(resolved), article_id, by, reason)
    typer.echo(f"article {article_id} withdrawn")


@kb_app.command("rate")
def rate(
    case_no: Annotated[str, typer.Argument(help="a case closed by a direct answer")],
    satisfaction: Annotated[Satisfaction, typer.Option(show_default=False)],
    source: Annotated[str, typer.Option(help="ivr or callback", show_default=False)],
    by: By,
    url: DatabaseUrl = None,
) -> None:
    """The citizen's satisfaction with a direct answer; dissatisfied flags the articles used."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        if source not in ("ivr", "callback"):
            raise fail(f"--source: {source!r} is neither ivr nor callback", EXIT_USAGE)
        evaluation = AnswerEvaluation.model_validate(
            {"case_no": case_no, "satisfaction": satisfaction, "source": source, "by": by}
        )
        outcome = record_answer_evaluation(sessions_for(resolved), evaluation)
    flagged = ", ".join(str(a) for a in outcome.articles_flagged) or "none"
    typer.echo(f"case {outcome.case_no}: {outcome.satisfaction.value}; articles flagged: {flagged}")


@kb_app.command("suggestions")
def suggestions(
    department: Annotated[str | None, typer.Option(help="only this department's")] = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Consultations closed on a department's reply, to turn into articles."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        found = open_suggestions(sessions_for(resolved), department)
    if as_json:
        emit_json(found)
        return
    for item in found:
        typer.echo(f"{item.case_no} {item.department:<16} {item.category} · {item.title}")


@kb_app.command("reminders")
def reminders(
    recipient: Annotated[str, typer.Argument(help='a department id, or "centre"')],
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """The newest reminders about articles to a department or to the centre."""
    resolved = resolve_url(url)
    with kb_errors(resolved):
        found = reminders_for(sessions_for(resolved), recipient)
    if as_json:
        emit_json(found)
        return
    for item in found:
        typer.echo(f"{item.created_at.isoformat(timespec='minutes')} {item.subject}")


def _submit(path: Path, by: str, note: str | None, article_id: int | None, url: str | None) -> None:
    resolved = resolve_url(url)
    with kb_errors(resolved):
        fields = ArticleFields.model_validate(_read_article(path))
        sessions = sessions_for(resolved)

        async def run(client: Client, settings: TemporalSettings) -> kb.Submission:
            return await submit_for_review(
                client, sessions, settings.task_queue, fields, by, note=note, article_id=article_id
            )

        submission = with_client(run)
    superseded = (
        f" (version {submission.superseded_version} superseded)"
        if submission.superseded_version
        else ""
    )
    typer.echo(
        f"article {submission.article_id} version {submission.version} submitted for review"
        f"{superseded}"
    )


def _read_article(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise fail(f"{path}: no such file", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as err:
        raise fail(f"{path}: cannot read it as UTF-8 text ({err})", EXIT_USAGE) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise fail(f"{path}: not JSON (line {err.lineno}: {err.msg})", EXIT_USAGE) from None


knowledge_search.register(kb_app)
knowledge_transfer.register(kb_app)
