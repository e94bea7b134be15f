"""Where a case history comes from: the live engine, the archive in the database, or a file.

Every source gives a `temporalio.client.WorkflowHistory` with its payloads exactly as the engine
stored them (encrypted), so replay and timelines decode them with the one data converter.
A file may be our own export (`WorkflowHistory.to_json`) or the stock CLI's
`temporal workflow show --output json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from db.archive_store import load_archive
from db.engine import SessionFactory
from models.errors import NotFoundError
from workflows.case import workflow_id


class Source(StrEnum):
    ENGINE = "engine"
    ARCHIVE = "archive"
    FILE = "file"


class HistoryNotFoundError(NotFoundError, LookupError):
    """The source holds no history for the case (or the file is not a history)."""


@dataclass(frozen=True)
class LoadedHistory:
    """A history and where it came from, in words an auditor can quote."""

    history: WorkflowHistory
    source: Source
    origin: str  # "engine", "archive (code 0.1.0+ab12cd, digest 3f…)", or the file path
    code_version: str | None = None


async def from_engine(client: Client, case_no: str) -> LoadedHistory:
    handle = client.get_workflow_handle(workflow_id(case_no))
    try:
        history = await handle.fetch_history()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise HistoryNotFoundError(
                f"the engine holds no history for case {case_no} "
                "(past retention? replay it from the archive)"
            ) from err
        raise
    return LoadedHistory(history, Source.ENGINE, "engine")


def from_archive(sessions: SessionFactory, case_no: str) -> LoadedHistory:
    archived = load_archive(sessions, case_no)
    if archived is None:
        raise HistoryNotFoundError(f"the archive holds no history for case {case_no}")
    history = WorkflowHistory.from_json(archived.workflow_id, archived.history_json)
    origin = f"archive (code {archived.code_version}, digest {archived.history_digest[:12]})"
    return LoadedHistory(history, Source.ARCHIVE, origin, archived.code_version)


def from_file(path: Path, case_no: str | None = None) -> LoadedHistory:
    """Read a history file; the workflow id is the case's, or the file name's `case-…` stem."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise HistoryNotFoundError(f"{path}: no such file") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HistoryNotFoundError(f"{path}: not a JSON history ({err})") from err
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise HistoryNotFoundError(f'{path}: not a workflow history (no "events" list)')
    if case_no is not None:
        wid = workflow_id(case_no)
    elif path.stem.startswith("case-"):
        wid = path.stem
    else:
        wid = f"case-{path.stem}"
    try:
        history = WorkflowHistory.from_json(wid, document)
    except Exception as err:  # the proto parser's own error types vary by version
        raise HistoryNotFoundError(f"{path}: not a readable workflow history ({err})") from err
    if not history.events:
        raise HistoryNotFoundError(f"{path}: the history has no events")
    return LoadedHistory(history, Source.FILE, str(path))


def needs_engine(source: Source | None) -> bool:
    """Whether loading from `source` talks to Temporal (None: the engine, then the archive)."""
    return source is None or source is Source.ENGINE


async def load_history(
    case_no: str | None,
    source: Source | None,
    file: Path | None,
    sessions: Callable[[], SessionFactory],
    client: Client | None,
) -> LoadedHistory:
    """The history of a case (or of `file`) from `source`; None: the engine, else the archive.

    `client` is needed only when `needs_engine(source)`; `sessions` is called only when the
    archive is read.
    """
    if source is Source.FILE:
        assert file is not None
        return from_file(file, case_no)
    assert case_no is not None
    if source is Source.ARCHIVE:
        return from_archive(sessions(), case_no)
    assert client is not None
    try:
        return await from_engine(client, case_no)
    except HistoryNotFoundError:
        if source is Source.ENGINE:
            raise
    try:
        archived = from_archive(sessions(), case_no)
    except HistoryNotFoundError:
        raise HistoryNotFoundError(
            f"no history of case {case_no}: neither the engine nor the archive has it"
        ) from None
    return replace(archived, origin=f"{archived.origin} (the engine no longer has the case)")
