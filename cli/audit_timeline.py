"""`hotline audit timeline`: a case's timeline built from its history alone, cross-checked.

The history comes from the engine (default; the archive when the engine no longer has the
case), the archive, or a file. The timeline is printed as text, JSON or a printable HTML page,
followed by the cross-check against the SQL transition log and projection.

Exit codes: 0 the cross-check is clean (or skipped); 1 a mismatch, or no history of the case;
2 bad options; 3 Temporal or the database cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from jinja2 import Environment, PackageLoader, StrictUndefined
from temporalio.client import Client

from audit.crosscheck import Mismatch, crosscheck
from audit.sources import HistoryNotFoundError, Source, load_history, needs_engine
from audit.timeline import build_timeline
from audit.timeline_model import Timeline, TimelineError, masked
from audit.timeline_words import local
from cli.actors import check_actor
from cli.options import CaseNo, DatabaseUrl, check_source
from cli.runtime import EXIT_REFUSED, InvalidOptionsError, cli_errors, fail, with_client
from db.engine import (
    SessionFactory,
    database_url,
    make_engine,
    normalise_url,
    session_factory,
)
from models.privacy import PERSONAL_FIELDS
from rules.permissions import Principal, Role
from services.access_log import record_access

EXIT_MISMATCH = 1
NONE = "-"


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"


def timeline(
    case_no: CaseNo,
    source: Annotated[
        Source | None,
        typer.Option(
            "--source",
            help="where the history comes from (default: engine, then the archive when the "
            "engine no longer has the case; file with --file)",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="a history JSON file (ours, or `temporal workflow show --output json`)",
            dir_okay=False,
        ),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="text, json or a printable html page")
    ] = Format.TEXT,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="write the timeline to this file (default: stdout)"),
    ] = None,
    personal: Annotated[
        bool,
        typer.Option(
            "--personal", help="show the caller's name, phones and address (masked otherwise)"
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="with --personal: who reads the personal data (user id)",
            callback=check_actor,
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option("--purpose", help="with --personal: why (kept in the access log)"),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--crosscheck/--no-crosscheck",
            help="compare with the database's transition log and projection",
        ),
    ] = True,
    url: DatabaseUrl = None,
) -> None:
    """Show who did what and when on a case, read from its history alone.

    Deadlines computed, warnings, urgings, escalations and callbacks are listed in order; the
    transitions are then checked against the database, and any mismatch is reported (exit 1).
    The caller's personal data is masked unless --personal is given, which needs --by and
    --purpose: the reading is written to the access log like any other.
    """
    resolved = normalise_url(url) if url else database_url()
    with cli_errors(resolved):
        chosen = check_source(source, file)
        if personal and not (by and by.strip() and purpose and purpose.strip()):
            raise InvalidOptionsError("--personal needs --by USER and --purpose WHY")
        try:
            result = _load_and_build(chosen, case_no, file, resolved)
        except (HistoryNotFoundError, TimelineError) as err:
            raise fail(str(err), EXIT_REFUSED) from None
        if personal:
            assert by is not None and purpose is not None
            record_access(
                session_factory(make_engine(resolved)),
                Principal(user_id=by.strip(), role=Role.AUDITOR),
                result.case_no,
                PERSONAL_FIELDS,
                f"{purpose.strip()} (hotline audit timeline)",
            )
        else:
            result = masked(result)
        mismatches = crosscheck(result, session_factory(make_engine(resolved))) if check else None
    document = render(result, mismatches, output_format)
    if output is None:
        typer.echo(document, nl=not document.endswith("\n"))  # the cross-check is in it
    else:
        output.write_text(document, encoding="utf-8")
        typer.echo(f"case {result.case_no}: timeline of {len(result.entries)} entries in {output}")
        typer.echo("\n".join(crosscheck_lines(result, mismatches)))
    if mismatches:
        raise typer.Exit(EXIT_MISMATCH)


def _load_and_build(source: Source | None, case_no: str, file: Path | None, url: str) -> Timeline:
    def sessions() -> SessionFactory:
        return session_factory(make_engine(url))

    async def load(client: Client | None) -> Timeline:
        loaded = await load_history(case_no, source, file, sessions, client)
        result = await build_timeline(loaded.history)
        result.origin = loaded.origin
        return result

    if needs_engine(source):
        return with_client(lambda client, _settings: load(client))
    return asyncio.run(load(None))


# ---- rendering ---------------------------------------------------------------------------------


def render(result: Timeline, mismatches: list[Mismatch] | None, output_format: Format) -> str:
    """The timeline (personal data as given: mask it first) and the cross-check, as a document."""
    if output_format is Format.JSON:
        return json_document(result, mismatches)
    if output_format is Format.HTML:
        return html_document(result, mismatches)
    return "\n".join(text_lines(result, mismatches)) + "\n"


def json_document(result: Timeline, mismatches: list[Mismatch] | None) -> str:
    crosschecked: dict[str, Any] | None = (
        None
        if mismatches is None
        else {
            "clean": not mismatches,
            "mismatches": [m.model_dump(mode="json") for m in mismatches],
        }
    )
    document = {"timeline": result.model_dump(mode="json"), "crosscheck": crosschecked}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def html_document(result: Timeline, mismatches: list[Mismatch] | None) -> str:
    environment = Environment(
        loader=PackageLoader("audit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    template = environment.get_template("timeline.html.j2")
    return template.render(
        timeline=result,
        intake=result.intake,
        caller=caller_text(result),
        location=location_text(result),
        mismatches=mismatches,
        when=lambda at: local(at, seconds=True),
        generated=local(datetime.now(UTC)),
    )


def caller_text(result: Timeline) -> str:
    intake = result.intake
    if intake is None:
        return NONE
    parts = [intake.caller_name or "(anonymous)", *intake.caller_phones]
    if intake.confidential:
        parts.append("(confidential)")
    if intake.enterprise:
        parts.append("(enterprise)")
    return "  ".join(parts)


def location_text(result: Timeline) -> str:
    intake = result.intake
    if intake is None:
        return NONE
    return " ".join(p for p in (intake.district, intake.street, intake.address) if p)


def _fact(label: str, value: str) -> str:
    return f"  {label:<15} {value}"


def text_lines(result: Timeline, mismatches: list[Mismatch] | None) -> list[str]:
    closure = f" ({result.closure_reason})" if result.closure_reason else ""
    lines = [
        f"case {result.case_no}: {result.status}{closure} — timeline from its history",
        _fact("source", result.origin or NONE),
        _fact("workflow", f"{result.workflow_id} ({result.execution})"),
        _fact("escalation", f"level {result.escalation_level}"),
    ]
    intake = result.intake
    if intake is not None:
        kind = f"{intake.case_type}  {intake.category}  {intake.urgency}"
        lines += [
            _fact("received", f"by {intake.operator_id} via {intake.channel}"),
            _fact("type", kind + ("  complex" if intake.complex else "")),
            _fact("title", intake.title),
            _fact("caller", caller_text(result)),
            _fact("location", location_text(result)),
        ]
    lines.append("timeline (Asia/Shanghai):")
    for item in result.entries:
        seq = f"#{item.seq}" if item.seq is not None else ""
        lines.append(
            f"  {local(item.at, seconds=True)[:19]}  {item.kind.value:<10} {item.actor:<12} "
            f"{seq:>4}  {item.summary}  [event {item.event_id}]"
        )
    if result.notes:
        lines.append("notes on the history:")
        lines += [f"  {note}" for note in result.notes]
    lines += crosscheck_lines(result, mismatches)
    return lines


def crosscheck_lines(result: Timeline, mismatches: list[Mismatch] | None) -> list[str]:
    if mismatches is None:
        return ["cross-check with the database: not done (--no-crosscheck)"]
    if not mismatches:
        return [
            f"cross-check with the database: clean ({len(result.transitions)} transitions "
            "and the projection agree with the history)"
        ]
    return [f"cross-check with the database: {len(mismatches)} mismatch(es)"] + [
        f"  - {m.message}" for m in mismatches
    ]
