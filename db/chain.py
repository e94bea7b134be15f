"""Hash chains of tamper evidence: the canonical form of a record and its chained hash.

A record's hash is `sha256(prev + canonical(content))`, where `prev` is the 32 bytes of the
previous record's hash (`GENESIS`, 64 zeros, for the first record of a chain) and `canonical` is
the record's content as compact JSON with sorted keys. Changing a record changes its hash;
removing or reordering records breaks the links, since each record names its predecessor.

Two chains use this: per case, the transition log (`case_transitions`, linked by seq), and
across all cases, the archive of closed cases' histories (`case_archives`, linked by chain
position). The content of a transition is every column except id, seq and the hashes; seq is
left out on purpose, so a record moved to another position is still intact in itself and
`audit.verify` can say "reordered" rather than "altered".

Values are normalised so the hash survives a database round trip: datetimes become UTC
ISO-8601 with microseconds (SQLite gives them back naive, PostgreSQL aware), and integral floats
become integers (PostgreSQL's JSONB may give back `1e20` as an integer).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

GENESIS: Final = "0" * 64
"""The `prev_hash` of the first record of every chain."""
HASH_LENGTH: Final = 64
"""A sha256 digest in hex."""

TRANSITION_FIELDS: Final = (
    "case_no",
    "at",
    "action",
    "actor",
    "from_status",
    "to_status",
    "detail",
)
"""The hashed columns of `case_transitions` (all but id, seq, prev_hash and row_hash)."""

ARCHIVE_FIELDS: Final = (
    "case_no",
    "workflow_id",
    "run_id",
    "closed_at",
    "archived_at",
    "code_version",
    "event_count",
    "history_digest",
    "transitions_count",
    "transitions_head",
)
"""The hashed columns of `case_archives`: all but id, chain_seq and the hashes; the history
itself is represented by its digest (which `audit.verify` checks against the history)."""


def utc_iso(value: datetime) -> str:
    """`2026-11-28T01:30:00.000000+00:00`: UTC, always with microseconds; naive means UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def normalise(value: Any) -> Any:
    """`value` as the JSON-native structure it has after a round trip through the database."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    raise TypeError(f"cannot hash a {type(value).__name__} value")


def canonical(content: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a record's content: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        normalise(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def link(prev_hash: str, canonical_content: bytes) -> str:
    """`sha256(bytes.fromhex(prev_hash) + canonical_content)` in hex."""
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(canonical_content)
    return digest.hexdigest()


def chain_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of a record with `content` following `prev_hash`."""
    return link(prev_hash, canonical(content))


def transition_content(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The hashed part of a transition row (a mapping with at least `TRANSITION_FIELDS`)."""
    return {name: values[name] for name in TRANSITION_FIELDS}


def transition_hash(prev_hash: str, values: Mapping[Any, Any]) -> str:
    """The `row_hash` of a transition following `prev_hash`."""
    return chain_hash(prev_hash, transition_content(values))


def archive_content(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The hashed part of an archive row (a mapping with at least `ARCHIVE_FIELDS`)."""
    return {name: values[name] for name in ARCHIVE_FIELDS}


def archive_hash(prev_hash: str, values: Mapping[Any, Any]) -> str:
    """The `row_hash` of an archive following `prev_hash` in the global archive chain."""
    return chain_hash(prev_hash, archive_content(values))


def history_digest(history_json: str) -> str:
    """sha256 in hex of the history JSON's UTF-8 bytes, exactly as stored."""
    return hashlib.sha256(history_json.encode("utf-8")).hexdigest()
