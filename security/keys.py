"""The key ring of the payload codec: which AES-256 keys exist and which one encrypts.

The ring is a JSON file, readable by its owner only (mode 0600):

    {"active": "k-20261128-1a2b", "keys": {"k-20261128-1a2b": "<base64 of 32 random bytes>"}}

The active key encrypts every new payload; every key of the ring still decrypts, so rotating
(`hotline keys rotate`) adds a key and never removes one: histories written under an old key
stay readable and replayable. `HOTLINE_CODEC_KEYS_FILE` names the file (it must exist; create
it with `hotline keys init`); without it the default `.hotline/codec-keys.json` (relative to
the current directory, like the SQLite default `.hotline/hotline.db`) is created on first use.
Every change is written to a temporary file and renamed over the ring, so a reader never sees
half a file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from models.errors import ConfigurationError

DEFAULT_KEYS_FILE = Path(".hotline/codec-keys.json")
KEY_BYTES = 32
FILE_MODE = 0o600


class KeyRingError(ConfigurationError):
    """The key ring file is missing, unreadable or invalid; the message says which and why."""


class UnknownKeyError(KeyRingError):
    """A payload names a key the ring does not hold."""

    def __init__(self, key_id: str, known: Iterable[str] = ()) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"unknown encryption key id {key_id!r} (the key ring holds: {names})")
        self.key_id = key_id


@dataclass(frozen=True)
class KeyRing:
    """The active key id and every key by id (32 bytes each)."""

    active: str
    keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)  # never logged

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise KeyRingError(
                    f"key {key_id!r} has {len(key)} bytes; an AES-256 key has {KEY_BYTES}"
                )
        if self.active not in self.keys:
            raise KeyRingError(f"the active key {self.active!r} is not among the ring's keys")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    def key(self, key_id: str) -> bytes:
        """The key named `key_id`; UnknownKeyError if the ring does not hold it."""
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(key_id, list(self.keys)) from None

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    def ids(self) -> list[str]:
        """The key ids, oldest first (ids start with their creation date)."""
        return sorted(self.keys)

    def with_new_key(self) -> KeyRing:
        """This ring plus a fresh key, which becomes the active one."""
        key_id = new_key_id()
        while key_id in self.keys:
            key_id = new_key_id()
        return KeyRing(active=key_id, keys={**self.keys, key_id: secrets.token_bytes(KEY_BYTES)})

    def to_json(self) -> str:
        keys = {key_id: base64.b64encode(key).decode("ascii") for key_id, key in self.keys.items()}
        return json.dumps({"active": self.active, "keys": keys}, indent=2, sort_keys=True) + "\n"


def new_key_id(now: datetime | None = None) -> str:
    """`k-<yyyymmdd>-<4 hex digits>`: the creation date (UTC) and a random suffix."""
    return f"k-{(now or datetime.now(UTC)):%Y%m%d}-{secrets.token_hex(2)}"


def generate() -> KeyRing:
    """A new ring with one random key, active."""
    key_id = new_key_id()
    return KeyRing(active=key_id, keys={key_id: secrets.token_bytes(KEY_BYTES)})


def parse(text: str, source: str = "key ring") -> KeyRing:
    """The ring of a file's JSON text; KeyRingError naming `source` and the reason."""
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as err:
        raise KeyRingError(f"{source}: not valid JSON ({err})") from None
    if not isinstance(raw, dict):
        raise KeyRingError(f'{source}: expected an object {{"active": ..., "keys": {{...}}}}')
    active, keys = raw.get("active"), raw.get("keys")
    if not isinstance(active, str) or not active:
        raise KeyRingError(f'{source}: "active" must name a key id')
    if not isinstance(keys, dict) or not keys:
        raise KeyRingError(f'{source}: "keys" must map key ids to base64 keys')
    decoded: dict[str, bytes] = {}
    for key_id, encoded in keys.items():
        if not isinstance(encoded, str):
            raise KeyRingError(f"{source}: key {key_id!r} must be a base64 string")
        try:
            decoded[key_id] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"{source}: key {key_id!r} is not valid base64") from None
    try:
        return KeyRing(active=active, keys=decoded)
    except KeyRingError as err:
        raise KeyRingError(f"{source}: {err}") from None


def keys_file(path: Path | None = None) -> Path:
    """The ring's file: `path` (the settings' $HOTLINE_CODEC_KEYS_FILE), else the default
    .hotline/codec-keys.json."""
    return path if path is not None else DEFAULT_KEYS_FILE


def read_key_ring(path: Path) -> KeyRing:
    """The ring stored at `path`; KeyRingError if it is missing or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyRingError(
            f"codec key ring {path} does not exist: create it with "
            f"`hotline keys init --file {path}`"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise KeyRingError(f"codec key ring {path} cannot be read: {err}") from None
    return parse(text, f"codec key ring {path}")


def load_key_ring(path: Path | None = None) -> KeyRing:
    """The ring to encrypt and decrypt with.

    An explicit `path` ($HOTLINE_CODEC_KEYS_FILE) must exist (KeyRingError saying how to create
    it); the default .hotline/codec-keys.json is created with a fresh key on first use.
    """
    explicit = path is not None
    target = keys_file(path)
    if not explicit and not target.exists():
        with contextlib.suppress(FileExistsError):  # another process created it first
            _create(target, generate())
    return read_key_ring(target)


def init(path: Path | None = None) -> KeyRing:
    """Create a new ring with one active key; KeyRingError if the file already exists."""
    target = keys_file(path)
    ring = generate()
    try:
        _create(target, ring)
    except FileExistsError:
        raise KeyRingError(
            f"codec key ring {target} already exists (nothing changed; "
            "`hotline keys rotate` adds a new key)"
        ) from None
    return ring


def rotate(path: Path | None = None) -> str:
    """Add a fresh key and make it the active one, keeping every old key; the new key id."""
    target = keys_file(path)
    with _locked(target):
        ring = read_key_ring(target).with_new_key()
        _replace(target, ring)
    return ring.active


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Serialise changes to one ring (two rotations at once must not lose a key)."""
    lock = target.with_name(target.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock, os.O_CREAT | os.O_RDWR, FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _temporary(target: Path, ring: KeyRing) -> Path:
    """The ring written to a 0600 temporary file next to `target`, flushed to disk."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(ring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _create(target: Path, ring: KeyRing) -> None:
    """Write a new ring atomically; FileExistsError (and nothing written) if there is one."""
    temporary = _temporary(target, ring)
    try:
        os.link(temporary, target)  # atomic, and never replaces an existing ring
    finally:
        temporary.unlink(missing_ok=True)


def _replace(target: Path, ring: KeyRing) -> None:
    """Write the ring atomically over the existing one."""
    temporary = _temporary(target, ring)
    try:
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
