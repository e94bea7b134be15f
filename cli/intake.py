"""`hotline case intake`: record one contact with exactly one intake outcome and open its case."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import typer
from temporalio.client import Client

from cli.options import AsJson, By, parse_moment
from cli.output import emit_view
from cli.runtime import InvalidOptionsError, cli_errors, with_client
from db.engine import database_url, make_engine, session_factory
from models.enums import CaseType, Channel, EmergencyLine, NotAcceptedReason, Urgency
from models.state import CaseView
from services.cases import IntakeRequest, open_case, show
from settings.temporal import TemporalSettings

OUTCOMES = "--dispatch, --direct-answer, --three-way, --emergency, --not-accepted, --merge-into"


def intake(
    case_type: Annotated[CaseType, typer.Option("--type", help="诉求类型", show_default=False)],
    category: Annotated[
        str, typer.Option("--category", help="catalogue category, e.g. 市场监管/消费投诉")
    ],
    district: Annotated[str, typer.Option("--district", help="district, e.g. 云岩区")],
    title: Annotated[str, typer.Option("--title", help="short title")],
    content: Annotated[str, typer.Option("--content", help="what the caller asks for")],
    by: By,
    street: Annotated[str | None, typer.Option("--street", help="street / township")] = None,
    address: Annotated[str | None, typer.Option("--address", help="detailed address")] = None,
    urgency: Annotated[Urgency, typer.Option("--urgency")] = Urgency.NORMAL,
    complex_: Annotated[
        bool, typer.Option("--complex", help="复杂件: the longer handling limit")
    ] = False,
    channel: Annotated[Channel, typer.Option("--channel")] = Channel.PHONE,
    received_at: Annotated[
        datetime | None,
        typer.Option(
            "--received-at",
            metavar="ISO",
            parser=parse_moment,
            help="when the contact came in, with its UTC offset, e.g. 2026-12-01T10:00+08:00 "
            "(default: now)",
        ),
    ] = None,
    caller_name: Annotated[
        str | None, typer.Option("--caller-name", help="omit for an anonymous caller")
    ] = None,
    phones: Annotated[
        list[str] | None, typer.Option("--phone", help="caller's phone (repeatable, up to 3)")
    ] = None,
    confidential: Annotated[
        bool, typer.Option("--confidential", help="保密: the caller asks for confidentiality")
    ] = False,
    enterprise: Annotated[bool, typer.Option("--enterprise", help="涉企: an enterprise")] = False,
    request_id: Annotated[
        str | None,
        typer.Option(
            "--request-id",
            help="id of this intake (default: a new random id); repeating it returns the same case",
        ),
    ] = None,
    dispatch: Annotated[
        bool, typer.Option("--dispatch", help="outcome: dispatch to departments")
    ] = False,
    lead: Annotated[
        str | None,
        typer.Option("--lead", help="with --dispatch: lead department (default: catalogue)"),
    ] = None,
    assist: Annotated[
        list[str] | None,
        typer.Option("--assist", help="with --dispatch: assisting department (repeatable)"),
    ] = None,
    direct_answer: Annotated[
        str | None, typer.Option("--direct-answer", help="outcome: answered on the call")
    ] = None,
    articles: Annotated[
        list[str] | None,
        typer.Option("--article", help="with --direct-answer: knowledge article id (repeatable)"),
    ] = None,
    three_way: Annotated[
        str | None,
        typer.Option("--three-way", metavar="DEPT", help="outcome: three-way call with DEPT"),
    ] = None,
    officer: Annotated[
        str | None, typer.Option("--officer", help="with --three-way: the officer on the call")
    ] = None,
    emergency: Annotated[
        EmergencyLine | None,
        typer.Option("--emergency", help="outcome: handed to an emergency line"),
    ] = None,
    not_accepted: Annotated[
        NotAcceptedReason | None,
        typer.Option("--not-accepted", help="outcome: not accepted, for this reason"),
    ] = None,
    route: Annotated[
        str | None,
        typer.Option("--route", help="with --not-accepted: the proper route the caller was told"),
    ] = None,
    merge_into: Annotated[
        str | None,
        typer.Option("--merge-into", metavar="CASE_NO", help="outcome: merge into an open case"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Take in one contact (受理) and open its case; choose exactly one outcome.

    The caller's name, phones and address go into the case record only: they are never printed
    in full, logged or used in an id.
    """
    with cli_errors():
        outcome = _outcome(
            dispatch=dispatch,
            lead=lead,
            assist=assist or [],
            direct_answer=direct_answer,
            articles=articles or [],
            three_way=three_way,
            officer=officer,
            emergency=emergency,
            not_accepted=not_accepted,
            route=route,
            merge_into=merge_into,
        )
        request = IntakeRequest.model_validate(
            {
                "request_id": request_id or uuid.uuid4().hex,
                "channel": channel,
                "received_at": received_at,
                "operator_id": by,
                "caller": {
                    "name": caller_name,
                    "phones": phones or [],
                    "confidential": confidential,
                    "enterprise": enterprise,
                },
                "location": {"district": district, "street": street, "address": address},
                "case_type": case_type,
                "category": category,
                "urgency": urgency,
                "complex": complex_,
                "title": title,
                "content": content,
                "outcome": outcome,
            }
        )
        sessions = session_factory(make_engine(database_url()))

        async def take_in(client: Client, settings: TemporalSettings) -> tuple[CaseView, list[str]]:
            view = await open_case(client, sessions, request, settings.task_queue)
            return view, (await show(client, view.case_no)).warnings

        view, warnings = with_client(take_in)
    emit_view(view, as_json)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def _outcome(
    *,
    dispatch: bool,
    lead: str | None,
    assist: list[str],
    direct_answer: str | None,
    articles: list[str],
    three_way: str | None,
    officer: str | None,
    emergency: EmergencyLine | None,
    not_accepted: NotAcceptedReason | None,
    route: str | None,
    merge_into: str | None,
) -> dict[str, Any]:
    """The outcome of exactly one of the outcome options, its companion options checked."""
    chosen = [
        name
        for name, given in (
            ("--dispatch", dispatch),
            ("--direct-answer", direct_answer is not None),
            ("--three-way", three_way is not None),
            ("--emergency", emergency is not None),
            ("--not-accepted", not_accepted is not None),
            ("--merge-into", merge_into is not None),
        )
        if given
    ]
    if len(chosen) != 1:
        both = f" (given: {' '.join(chosen)})" if chosen else ""
        raise InvalidOptionsError(f"choose exactly one outcome of {OUTCOMES}{both}")
    companions = {
        "--lead": (lead is not None, "--dispatch"),
        "--assist": (bool(assist), "--dispatch"),
        "--article": (bool(articles), "--direct-answer"),
        "--officer": (officer is not None, "--three-way"),
        "--route": (route is not None, "--not-accepted"),
    }
    for option, (present, owner) in companions.items():
        if present and chosen[0] != owner:
            raise InvalidOptionsError(f"{option} goes with {owner}")
    if three_way is not None:
        if officer is None:
            raise InvalidOptionsError("--three-way needs --officer NAME")
        return {"kind": "three_way_call", "department": three_way, "officer": officer}
    if not_accepted is not None:
        if route is None:
            raise InvalidOptionsError("--not-accepted needs --route TEXT: what the caller was told")
        return {"kind": "not_accepted", "reason": not_accepted, "proper_route": route}
    if direct_answer is not None:
        return {"kind": "direct_answer", "answer": direct_answer, "articles": articles}
    if emergency is not None:
        return {"kind": "emergency_handoff", "line": emergency}
    if merge_into is not None:
        return {"kind": "merge", "master_case_no": merge_into}
    return {"kind": "dispatch", "lead_department": lead, "assisting_departments": assist}
