"""The payload codec: every payload the engine stores is encrypted with AES-256-GCM.

Case payloads hold personal data (caller names, phones, addresses), so the whole serialised
Payload (its metadata and data) is encrypted under the key ring's active key, with a random
12-byte nonce in front of the ciphertext. The encrypted payload says only
`encoding: binary/encrypted` and `encryption-key-id: <id>`; the key id is also authenticated
(GCM associated data), so neither the ciphertext nor the id can be changed unnoticed.

Decoding uses the key the payload names, any key of the ring, so histories written before a
rotation still decode and replay. Payloads that are not encrypted (histories from before the
codec) pass through unchanged.

A serialised payload is deflated before it is encrypted whenever that makes it smaller, with a
preset dictionary of the vocabulary all case payloads share (`security/payload_dictionary.py`):
a transition, a delta or an Update's arguments is a few hundred bytes of JSON that deflate
alone can barely shrink. The compressed plaintext is `0x00`, the dictionary's number, then the
raw deflate stream; a serialised Payload never begins with `0x00` (protobuf has no field 0), so
the first byte tells the two apart and the envelope's metadata needs no word for it. The marker
is inside the ciphertext, so GCM authenticates it with the rest.

Payloads written before the dictionary (December 2026) say `encryption-compression: zlib` and
hold a zlib stream, with that word authenticated with the key id; payloads from before any
compression carry neither. Both still decrypt as they always did.

Search attributes never pass through a codec: they stay clear text, and hold no personal data
(see models/search_attributes.py).
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from models.errors import BadDataError
from security.keys import KeyRing, UnknownKeyError
from security.payload_dictionary import DICTIONARIES, NEWEST

ENCODING_KEY = "encoding"
ENCRYPTED = b"binary/encrypted"
KEY_ID_KEY = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16
COMPRESSION_KEY = "encryption-compression"  # payloads from before the dictionary only
ZLIB = b"zlib"
COMPRESSED = 0x00  # first plaintext byte of a compressed payload; then the dictionary number
RAW_DEFLATE = -15  # zlib window bits: a bare deflate stream, no zlib header or checksum
# The compressor's window and hash table: room for the dictionary and a payload's own repeats.
# Smaller than zlib's defaults, so a payload costs a third of the time to set up, with the same
# output on case payloads; the inflater's 32 KiB window reads any of them.
DEFLATE_WINDOW = -14
DEFLATE_MEMORY_LEVEL = 6
REFRESH_INTERVAL = 5.0  # seconds between two re-reads of the ring for an unknown key


class PayloadDecryptionError(BadDataError):
    """An encrypted payload cannot be decrypted: its key id is missing or unknown, or the key
    does not open it (wrong key, or a changed ciphertext)."""

    def __init__(self, message: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.key_id = key_id


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with the key ring's active key; decodes with whichever key a payload names.

    `refresh` (optional) re-reads the ring when a payload names a key this ring does not hold
    (a key rotated in by another process since this one started); it is called at most once
    every few seconds, never per payload.
    """

    def __init__(self, ring: KeyRing, *, refresh: Callable[[], KeyRing] | None = None) -> None:
        self._ring = ring
        self._refresh = refresh
        self._ciphers: dict[str, AESGCM] = {}
        self._refreshed_at = -REFRESH_INTERVAL
        self._lock = threading.Lock()

    @property
    def ring(self) -> KeyRing:
        return self._ring

    @property
    def active_key_id(self) -> str:
        return self._ring.active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """The payload, serialised whole and encrypted under the active key."""
        key_id = self._ring.active
        raw_id = key_id.encode("utf-8")
        plain = payload.SerializeToString()
        metadata = {ENCODING_KEY: ENCRYPTED, KEY_ID_KEY: raw_id}
        deflated = _deflate(plain)
        if len(deflated) < len(plain):
            plain = deflated
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(key_id).encrypt(nonce, plain, _associated_data(raw_id, metadata))
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload of an encrypted one; any other payload unchanged."""
        if payload.metadata.get(ENCODING_KEY) != ENCRYPTED:
            return payload
        raw_id = payload.metadata.get(KEY_ID_KEY)
        if not raw_id:
            raise PayloadDecryptionError(f"encrypted payload without {KEY_ID_KEY} metadata")
        key_id = raw_id.decode("utf-8", errors="replace")
        if len(payload.data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(
                f"encrypted payload under key {key_id!r} is truncated ({len(payload.data)} bytes)",
                key_id,
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            cipher = self._cipher(key_id)
        except UnknownKeyError as err:
            raise PayloadDecryptionError(
                f"cannot decrypt a payload: {err}; was it written with another key ring?", key_id
            ) from None
        compression = payload.metadata.get(COMPRESSION_KEY)
        if compression is not None and compression != ZLIB:
            raise PayloadDecryptionError(
                f"encrypted payload under key {key_id!r} names an unknown compression "
                f"{compression.decode('utf-8', errors='replace')!r}",
                key_id,
            )
        try:
            plain = cipher.decrypt(nonce, sealed, _associated_data(raw_id, payload.metadata))
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload encrypted under key {key_id!r} fails authentication: this ring's key "
                f"{key_id!r} is not the one that encrypted it, or the ciphertext was changed",
                key_id,
            ) from None
        if compression is not None:
            plain = zlib.decompress(plain)
        elif plain[:1] == bytes([COMPRESSED]):
            plain = _inflate(plain, key_id)
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is not None:
            return cipher
        with self._lock:
            try:
                key = self._ring.key(key_id)
            except UnknownKeyError:
                now = time.monotonic()
                if self._refresh is None or now - self._refreshed_at < REFRESH_INTERVAL:
                    raise
                self._refreshed_at = now
                self._ring = self._refresh()
                key = self._ring.key(key_id)
            cipher = self._ciphers[key_id] = AESGCM(key)
        return cipher


def _deflate(plain: bytes) -> bytes:
    """`plain` deflated with the newest dictionary, behind its two-byte marker."""
    compressor = zlib.compressobj(
        zlib.Z_BEST_COMPRESSION,
        zlib.DEFLATED,
        DEFLATE_WINDOW,
        DEFLATE_MEMORY_LEVEL,
        zdict=DICTIONARIES[NEWEST],
    )
    return bytes([COMPRESSED, NEWEST]) + compressor.compress(plain) + compressor.flush()


def _inflate(plain: bytes, key_id: str) -> bytes:
    """The serialised payload of a compressed plaintext (marker, dictionary number, deflate)."""
    number = plain[1] if len(plain) > 1 else None
    dictionary = DICTIONARIES.get(number) if number is not None else None
    if dictionary is None:
        raise PayloadDecryptionError(
            f"encrypted payload under key {key_id!r} names an unknown compression dictionary "
            f"{number!r}",
            key_id,
        )
    decompressor = zlib.decompressobj(RAW_DEFLATE, zdict=dictionary)
    try:
        return decompressor.decompress(plain[2:]) + decompressor.flush()
    except zlib.error as err:
        raise PayloadDecryptionError(
            f"encrypted payload under key {key_id!r} does not inflate: {err}", key_id
        ) from None


def _associated_data(raw_id: bytes, metadata: Mapping[str, bytes]) -> bytes:
    """What GCM authenticates besides the ciphertext: the key id, and the compression if any
    (a payload from before compression authenticates its key id alone)."""
    compression = metadata.get(COMPRESSION_KEY)
    return raw_id if compression is None else raw_id + b";" + compression
