"""`hotline keys init | rotate | list` as an operator runs them: a subprocess on its own file."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from pathlib import Path

from security.keys import read_key_ring
from settings.environment import KEYS_FILE_ENV
from tests.cli.runner import run_cli


def hotline(*args: str, keys: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args, environ={KEYS_FILE_ENV: str(keys)} if keys is not None else None)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_init_rotate_list_without_ever_printing_a_key(tmp_path: Path) -> None:
    path = tmp_path / "ring" / "codec-keys.json"
    created = hotline("keys", "init", keys=path)
    assert created.returncode == 0, created.stderr
    first = read_key_ring(path).active
    assert first in created.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    rotated = hotline("keys", "rotate", "--file", str(path))
    assert rotated.returncode == 0, rotated.stderr
    ring = read_key_ring(path)
    assert ring.active != first and ring.active in rotated.stdout
    assert "2 keys" in rotated.stdout

    listed = hotline("keys", "list", keys=path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{key_id}  active" if key_id == ring.active else key_id for key_id in ring.ids()
    ]
    as_json = json.loads(hotline("keys", "list", "--json", keys=path).stdout)
    assert as_json == {"file": str(path), "active": ring.active, "keys": ring.ids()}
    everything = created.stdout + rotated.stdout + listed.stdout
    for key in ring.keys.values():
        assert base64.b64encode(key).decode() not in everything


def test_init_refuses_to_overwrite_a_ring(tmp_path: Path) -> None:
    path = tmp_path / "codec-keys.json"
    assert hotline("keys", "init", "--file", str(path)).returncode == 0
    before = path.read_text()
    again = hotline("keys", "init", "--file", str(path))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert path.read_text() == before


def test_a_missing_or_broken_ring_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    for command in (["keys", "list"], ["keys", "rotate"]):
        result = hotline(*command, keys=missing)
        assert result.returncode == 2
        assert str(missing) in result.stderr and "hotline keys init" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"active": "k-1", "keys": {"k-1": "c2hvcnQ="}}')
    result = hotline("keys", "list", "--file", str(broken))
    assert result.returncode == 2
    assert "5 bytes; an AES-256 key has 32" in result.stderr


def test_the_main_help_lists_the_keys_commands() -> None:
    result = hotline("--help")
    assert result.returncode == 0
    assert "keys" in result.stdout


def test_a_missing_key_ring_is_named_and_exits_3(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "codec-keys.json"
    result = hotline("case", "show", "GY20261128-000001", keys=missing)
    assert result.returncode == 3, result.stderr
    assert f"codec key ring {missing} does not exist" in result.stderr
    assert "hotline keys init" in result.stderr
