"""`hotline phrases …`: the service phrase library (服务用语) and the wording check.

hotline phrases list [--situation S]          current wording by situation
hotline phrases set SITUATION KEY TEXT --by   a new version of a phrase (or a new phrase)
hotline phrases history SITUATION KEY         every version, oldest first
hotline phrases check TEXT                    forbidden wording in a text (exit 1 if any)
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.admin import admin_errors, emit_json, resolve_url, sessions_for
from cli.options import AsJson, By, DatabaseUrl
from cli.runtime import EXIT_REFUSED, fail
from knowledge.phrases import (
    PhraseEdit,
    PhraseUnchangedError,
    current_phrases,
    phrase_history,
)
from models.enums import Situation
from services.phrase_edits import PhraseWordingRefused, edit_phrase
from services.phrases import check_wording

phrases_app = typer.Typer(
    help="Service phrases by situation, every edit a new version; the wording check.",
    no_args_is_help=True,
)
SituationArgument = Annotated[Situation, typer.Argument(help="when the phrase is used")]
KeyArgument = Annotated[str, typer.Argument(help="the phrase's id, e.g. greeting")]


@phrases_app.command("list")
def phrases_list(
    situation: Annotated[Situation | None, typer.Option(help="only this situation")] = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """The current wording of every phrase."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        phrases = current_phrases(sessions_for(resolved), situation)
    if as_json:
        emit_json(phrases)
        return
    for phrase in phrases:
        typer.echo(
            f"{phrase.situation.value:<12} {phrase.key:<18} v{phrase.version:<3} {phrase.text}"
        )


@phrases_app.command("set")
def phrases_set(
    situation: SituationArgument,
    key: KeyArgument,
    text: Annotated[str, typer.Argument(help="the new wording")],
    by: By,
    url: DatabaseUrl = None,
) -> None:
    """Give a phrase new wording: its next version (the earlier ones stay)."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        edit = PhraseEdit(situation=situation, key=key, text=text, by=by)
        try:
            phrase = edit_phrase(sessions_for(resolved), edit)
        except (PhraseUnchangedError, PhraseWordingRefused) as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None
    typer.echo(f"{phrase.situation.value}/{phrase.key} is now version {phrase.version}")


@phrases_app.command("history")
def phrases_history(
    situation: SituationArgument,
    key: KeyArgument,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Every version of one phrase, oldest first."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        versions = phrase_history(sessions_for(resolved), situation, key)
    if not versions:
        raise fail(f"no phrase {situation.value}/{key}", EXIT_REFUSED)
    if as_json:
        emit_json(versions)
        return
    for phrase in versions:
        at = phrase.changed_at.isoformat(timespec="seconds")
        typer.echo(f"v{phrase.version:<3} {at} {phrase.changed_by:<12} {phrase.text}")


@phrases_app.command("check")
def phrases_check(
    text: Annotated[str, typer.Argument(help="a reply, note or article text")],
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Flag forbidden wording in a text; exit 1 when there is any."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        findings = check_wording(sessions_for(resolved), text)
    if as_json:
        document = [
            {"expression": f.expression, "key": f.key, "start": f.start, "end": f.end}
            for f in findings
        ]
        typer.echo(json.dumps({"clean": not findings, "findings": document}, ensure_ascii=False))
    elif not findings:
        typer.echo("clean: no forbidden wording")
    else:
        for finding in findings:
            typer.echo(finding.plain())
    if findings:
        raise typer.Exit(EXIT_REFUSED)
