"""The codec key ring file: creation, mode 0600, rotation that keeps old keys, clear errors."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import pytest

from security.keys import (
    DEFAULT_KEYS_FILE,
    KEY_BYTES,
    KeyRing,
    KeyRingError,
    UnknownKeyError,
    init,
    load_key_ring,
    read_key_ring,
    rotate,
)
from settings.environment import KEYS_FILE_ENV, Settings

KEY_ID = re.compile(r"^k-\d{8}-[0-9a-f]{4}$")


def write(path: Path, content: object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_init_writes_one_active_32_byte_key_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "nested" / "keys.json"
    ring = init(path)
    assert KEY_ID.match(ring.active)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = json.loads(path.read_text())
    assert raw["active"] == ring.active
    assert set(raw["keys"]) == {ring.active}
    assert len(base64.b64decode(raw["keys"][ring.active])) == KEY_BYTES
    assert read_key_ring(path) == ring
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]  # no temporary left


def test_init_never_overwrites_a_ring(tmp_path):
    path = tmp_path / "keys.json"
    ring = init(path)
    with pytest.raises(KeyRingError, match="already exists"):
        init(path)
    assert read_key_ring(path) == ring


def test_rotate_adds_an_active_key_and_keeps_every_old_one(tmp_path):
    path = tmp_path / "keys.json"
    first = init(path)
    second = rotate(path)
    third = rotate(path)
    ring = read_key_ring(path)
    assert ring.active == third
    assert set(ring.keys) == {first.active, second, third}
    assert ring.key(first.active) == first.key(first.active)
    assert len({ring.key(k) for k in ring.keys}) == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY_ID.match(second) and KEY_ID.match(third)


def test_rotate_without_a_ring_says_how_to_create_one(tmp_path):
    with pytest.raises(KeyRingError, match="hotline keys init"):
        rotate(tmp_path / "missing.json")


def test_the_configured_file_must_exist(tmp_path, monkeypatch):
    missing = tmp_path / "missing.json"
    monkeypatch.setenv(KEYS_FILE_ENV, str(missing))
    with pytest.raises(KeyRingError) as caught:
        load_key_ring(Settings.from_env().codec_keys_file)
    assert str(missing) in str(caught.value)
    assert "hotline keys init" in str(caught.value)
    assert not missing.exists()


def test_the_default_ring_is_created_on_first_use_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEYS_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    ring = load_key_ring()
    created = tmp_path / DEFAULT_KEYS_FILE
    assert created.is_file()
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    assert load_key_ring() == ring


def test_the_environment_names_the_ring(tmp_path, monkeypatch):
    path = tmp_path / "keys.json"
    ring = init(path)
    monkeypatch.setenv(KEYS_FILE_ENV, str(path))
    assert load_key_ring(Settings.from_env().codec_keys_file) == ring


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ([], "expected an object"),
        ({"keys": {"k-1": b64(bytes(32))}}, '"active" must name a key id'),
        ({"active": "k-1", "keys": {}}, '"keys" must map'),
        ({"active": "k-2", "keys": {"k-1": b64(bytes(32))}}, "'k-2' is not among"),
        ({"active": "k-1", "keys": {"k-1": b64(bytes(16))}}, "16 bytes; an AES-256 key has 32"),
        ({"active": "k-1", "keys": {"k-1": "not base64!"}}, "'k-1' is not valid base64"),
        ({"active": "k-1", "keys": {"k-1": 7}}, "'k-1' must be a base64 string"),
    ],
)
def test_an_invalid_ring_file_is_refused_with_its_reason(tmp_path, content, reason):
    path = write(tmp_path / "keys.json", content)
    with pytest.raises(KeyRingError) as caught:
        load_key_ring(path)
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)


def test_an_unknown_key_id_is_named():
    ring = KeyRing(active="k-a", keys={"k-a": bytes(32)})
    with pytest.raises(UnknownKeyError, match="'k-missing'") as caught:
        ring.key("k-missing")
    assert caught.value.key_id == "k-missing"


def test_the_ring_is_frozen():
    ring = KeyRing(active="k-a", keys={"k-a": bytes(32)})
    with pytest.raises(AttributeError):
        ring.active = "k-b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ring.keys["k-b"] = bytes(32)  # type: ignore[index]


def test_key_material_is_not_in_the_repr():
    key = bytes(range(32))
    ring = KeyRing(active="k-a", keys={"k-a": key})
    assert "k-a" in repr(ring)
    assert repr(key) not in repr(ring)
    assert b64(key) not in repr(ring)
