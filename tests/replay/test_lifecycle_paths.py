"""Every lifecycle path of tests/histories/paths.py, run end to end, and its history replayed.

Each run drives one path on the test dev server to closure and replays the fresh history with
today's code. With HOTLINE_RECORD_HISTORIES=1 (`make histories`) it also overwrites the golden
history tests/histories/<path>.json; the golden ones are encrypted under the test-only key ring
tests/histories/codec-keys.json, so recording insists on that ring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from audit.replay import replay_history
from tests.histories import HISTORIES_DIR
from tests.histories.paths import PATHS

RECORDING = os.environ.get("HOTLINE_RECORD_HISTORIES") == "1"
GOLDEN_KEYS = HISTORIES_DIR / "codec-keys.json"


@pytest.mark.parametrize("name", list(PATHS))
async def test_lifecycle_path(name: str, env: WorkflowEnvironment, client: Client) -> None:
    handle = await PATHS[name](env, client)
    await handle.result()
    history = await handle.fetch_history()
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    outcome = await replay_history(history)
    assert outcome.ok, outcome.plain()
    if RECORDING:
        ring = Path(os.environ.get("HOTLINE_CODEC_KEYS_FILE", "")).resolve()
        assert ring == GOLDEN_KEYS.resolve(), "record with HOTLINE_CODEC_KEYS_FILE=" + str(
            GOLDEN_KEYS
        )
        text = json.dumps(json.loads(history.to_json()), indent=1, ensure_ascii=False)
        (HISTORIES_DIR / f"{name}.json").write_text(text + "\n", encoding="utf-8")
