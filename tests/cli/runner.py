"""Running `hotline …` as a user does: a subprocess, with the environment the test chooses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.conftest import TASK_QUEUE

ROOT = Path(__file__).resolve().parents[2]
Hotline = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


def run_cli(
    *args: str, environ: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hotline *args` in the project root, with `environ` over this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=os.environ | {"COLUMNS": "200", "NO_COLOR": "1"} | dict(environ or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def stack_environ(env: WorkflowEnvironment, database_url: str) -> dict[str, str]:
    """The test dev server, task queue, database and codec key ring, and nothing else of ours."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "HOTLINE_", "DATABASE_URL"))
    }
    return environ | {
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "HOTLINE_TASK_QUEUE": TASK_QUEUE,
        "DATABASE_URL": database_url,
        "HOTLINE_CODEC_KEYS_FILE": os.environ.get("HOTLINE_CODEC_KEYS_FILE", ""),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }


def hotline_runner(env: WorkflowEnvironment, database_url: str) -> Hotline:
    """An async `hotline …` against the test stack; the worker keeps serving meanwhile."""
    environ = stack_environ(env, database_url)

    async def run(
        *args: str, env_overrides: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "cli.main", *args],
            cwd=ROOT,
            env=environ | (env_overrides or {}),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
