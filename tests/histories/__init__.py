"""Golden case histories: one closed CaseWorkflow history per lifecycle path.

`paths.py` drives each path on the test dev server; `tests/replay/test_lifecycle_paths.py` runs
them all in CI and (re-)records `<path>.json` here with `make histories`, under the test-only
key ring `codec-keys.json`; `tests/replay/test_golden_histories.py` replays every file against
the current workflow code.

`individual_patches/` holds cases recorded before `workflows/case/patches.ENGINE_PATCH`, with one
patch marker per change; `tests/replay/test_engine_patch.py` replays them. They are never
re-recorded: today's code would record the one engine marker instead.
"""

from __future__ import annotations

from pathlib import Path

HISTORIES_DIR = Path(__file__).resolve().parent
