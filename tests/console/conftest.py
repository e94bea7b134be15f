"""Fixtures of the browser tests: the console served by uvicorn, Chromium driven by Playwright.

The app runs on the session's Temporal dev server, worker and database, served by uvicorn on a
free port in the tests' own event loop, so the browser reaches a real HTTP server. The browser
is Debian's `chromium` (Playwright's own download is not used); without it every browser test
is skipped and the terminal summary says so loudly.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from db.engine import make_engine
from db.engine import session_factory as make_sessions
from tests.conftest import TASK_QUEUE

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = "no Chromium (install Debian's chromium package): the browser tests did not run"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CHROMIUM is None:
        terminalreporter.write_sep("!", f"WARNING: {NO_CHROMIUM}", red=True, bold=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
async def console_url(
    env: WorkflowEnvironment, worker: None, database_url: str
) -> AsyncIterator[str]:
    """The console (and the API) served over HTTP on a free local port."""
    sessions = make_sessions(make_engine(database_url))
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
