"""`hotline audit replay`: replay one case, a history file, or many cases against today's code.

Exit codes: 0 every history replays; 1 at least one diverges or cannot be replayed; 2 bad
options; 3 Temporal or the database cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from temporalio.client import Client

from audit.replay import ReplayOutcome, replay_history
from audit.replay_all import ReplaySummary, replay_all
from audit.sources import (
    HistoryNotFoundError,
    LoadedHistory,
    Source,
    from_archive,
    from_engine,
    load_history,
    needs_engine,
)
from cli.options import DatabaseUrl, check_case_no, check_source, parse_day_or_moment
from cli.runtime import (
    EXIT_REFUSED,
    InvalidOptionsError,
    cli_errors,
    fail,
    mark_temporal_used,
    with_client,
)
from db.archive_store import list_archived
from db.engine import SessionFactory, database_url, make_engine, session_factory
from models.enums import CaseStatus
from settings.temporal import TemporalSettings

EXIT_DIVERGED = 1
T = TypeVar("T")

CaseArgument = Annotated[
    str | None,
    typer.Argument(metavar="[NO]", help="case number, e.g. GY20261128-000123", show_default=False),
]
SourceOption = Annotated[
    Source | None,
    typer.Option(
        "--source",
        help="where the history comes from (default: engine; archive if --file is not given "
        "and the engine no longer has the case)",
        show_default=False,
    ),
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="a history JSON file (ours, or `temporal workflow show --output json`)",
        dir_okay=False,
    ),
]


def replay(
    case_no: CaseArgument = None,
    source: SourceOption = None,
    file: FileOption = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="replay every case matching the filters")
    ] = False,
    since: Annotated[
        datetime | None,
        typer.Option(
            metavar="DAY|ISO",
            parser=parse_day_or_moment,
            help="--all: cases received (engine) / closed (archive) from this Beijing day "
            "(2026-11-01) or time with its UTC offset (2026-11-01T08:00+08:00)",
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            metavar="DAY|ISO",
            parser=parse_day_or_moment,
            help="--all: ... before this day or time (exclusive)",
        ),
    ] = None,
    status: Annotated[
        CaseStatus | None, typer.Option(help="--all: only cases in this status (engine)")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="--all: replay processes")] = min(
        os.cpu_count() or 1, 4
    ),
    url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome(s) as JSON")] = False,
) -> None:
    """Replay histories against the current workflow code; name the first divergence."""
    with cli_errors(url):
        chosen = _check(case_no, source, file, all_cases, status)
        if all_cases:
            summary = _replay_many(chosen, since, until, status, jobs, url)
            _report_many(summary, as_json)
            if not summary.ok:
                raise typer.Exit(EXIT_DIVERGED)
            return
        outcome = _replay_one(chosen, case_no, file, url)
        if as_json:
            typer.echo(json.dumps(_outcome_json(outcome), ensure_ascii=False))
        else:
            typer.echo(outcome.plain())
        if not outcome.ok:
            raise typer.Exit(EXIT_DIVERGED)


def _check(
    case_no: str | None,
    source: Source | None,
    file: Path | None,
    all_cases: bool,
    status: CaseStatus | None,
) -> Source | None:
    """The source to replay from; None: the engine, then the archive."""
    if case_no is not None:
        check_case_no(case_no)
    if file is not None and all_cases:
        raise InvalidOptionsError("--file replays one file; it takes no --all or --source")
    chosen = check_source(source, file)
    if chosen is Source.FILE:
        return chosen
    if all_cases == (case_no is not None):
        raise InvalidOptionsError("give one case number, --file PATH, or --all")
    if status is not None and (not all_cases or chosen is Source.ARCHIVE):
        raise InvalidOptionsError("--status filters --all on the engine (the archive is closed)")
    return chosen


def _replay_one(
    source: Source | None, case_no: str | None, file: Path | None, url: str | None
) -> ReplayOutcome:
    async def replay(client: Client | None) -> ReplayOutcome:
        loaded = await load_history(case_no, source, file, lambda: _sessions(url), client)
        if source is None and loaded.source is Source.ARCHIVE:
            typer.echo(f"(replaying the {loaded.origin})", err=True)
        return await replay_history(loaded.history)

    try:
        if needs_engine(source):
            return with_client(lambda client, _settings: replay(client))
        return _run(replay(None))
    except HistoryNotFoundError as err:
        raise fail(str(err), EXIT_REFUSED) from None


def _replay_many(
    source: Source | None,
    since: datetime | None,
    until: datetime | None,
    status: CaseStatus | None,
    jobs: int,
    url: str | None,
) -> ReplaySummary:
    def progress(total: int) -> Any:
        return typer.progressbar(length=total, label="replaying", file=sys.stderr)

    if source is Source.ARCHIVE:
        sessions = _sessions(url)
        keys = list_archived(sessions, _utc(since), _utc(until))

        async def fetch_archived(key: str) -> LoadedHistory:
            return await asyncio.to_thread(from_archive, sessions, key)

        with progress(len(keys)) as bar:
            return _run(replay_all(keys, fetch_archived, jobs, lambda _: bar.update(1)))

    async def on_engine(client: Client, _settings: TemporalSettings) -> ReplaySummary:
        keys = [
            execution.id.removeprefix("case-")
            async for execution in client.list_workflows(
                _engine_query(_utc(since), _utc(until), status)
            )
        ]

        async def fetch_live(key: str) -> LoadedHistory:
            return await from_engine(client, key)

        with progress(len(keys)) as bar:
            return await replay_all(keys, fetch_live, jobs, lambda _: bar.update(1))

    return with_client(on_engine)


def _engine_query(since: datetime | None, until: datetime | None, status: CaseStatus | None) -> str:
    """The visibility query of --all (times already in UTC)."""
    clauses = ["WorkflowType = 'CaseWorkflow'"]
    if since is not None:
        clauses.append(f"StartTime >= '{since.isoformat()}'")
    if until is not None:
        clauses.append(f"StartTime < '{until.isoformat()}'")
    if status is not None:
        clauses.append(f"CaseStatus = '{status.value}'")
    return " AND ".join(clauses)


def _report_many(summary: ReplaySummary, as_json: bool) -> None:
    if as_json:
        document = {
            "total": summary.total,
            "replayed": summary.replayed,
            "diverged": [_outcome_json(o) for o in summary.diverged],
            "failed": [_outcome_json(o) for o in summary.failed],
            "seconds": round(summary.seconds, 3),
            "histories_per_second": round(summary.rate, 1),
        }
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    for outcome in [*summary.diverged, *summary.failed]:
        typer.echo(outcome.plain())
    typer.echo(summary.plain())


def _outcome_json(outcome: ReplayOutcome) -> dict[str, object]:
    document: dict[str, object] = {
        "workflow_id": outcome.workflow_id,
        "events": outcome.events,
        "ok": outcome.ok,
    }
    if outcome.divergence is not None:
        document["divergence"] = {
            "event_id": outcome.divergence.event_id,
            "history_has": outcome.divergence.history_has,
            "code_did": outcome.divergence.code_did,
            "explanation": outcome.divergence.plain(),
            "engine_message": outcome.divergence.engine_message,
        }
    if outcome.error is not None:
        document["error"] = outcome.error
    return document


def _utc(value: datetime | None) -> datetime | None:
    """A bound from the command line (always aware: `parse_day_or_moment`) in UTC."""
    if value is None:
        return None
    if value.utcoffset() is None:
        raise InvalidOptionsError("--since/--until need a day or a time with its UTC offset")
    return value.astimezone(UTC)


def _sessions(url: str | None) -> SessionFactory:
    return session_factory(make_engine(url or database_url()))


def _run(work: Coroutine[Any, Any, T]) -> T:
    mark_temporal_used()  # the replayer runs the Temporal core
    return asyncio.run(work)
