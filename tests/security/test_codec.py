"""The AES-256-GCM payload codec: round trips of every payload the converter makes, no clear
text in what is stored, decoding under old keys, and clear errors for what cannot decrypt."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from connection.client import data_converter
from models.intake import CaseIntake
from security.codec import (
    COMPRESSED,
    COMPRESSION_KEY,
    ENCRYPTED,
    KEY_ID_KEY,
    NONCE_BYTES,
    ZLIB,
    EncryptionCodec,
    PayloadDecryptionError,
)
from security.keys import KeyRing, generate, init, read_key_ring, rotate
from security.payload_dictionary import NEWEST
from settings.environment import KEYS_FILE_ENV
from tests.workflows.cases import intake

PHONE = "13800001234"
NAME = "张三"
ADDRESS = "中华北路1号"


@pytest.fixture
def ring() -> KeyRing:
    return generate()


def stored(payloads: list[Payload]) -> bytes:
    """Everything Temporal would store of these payloads."""
    return b"".join(payload.SerializeToString() for payload in payloads)


async def test_every_kind_of_value_round_trips(ring):
    converter = data_converter(ring)
    case = intake()
    values = [case, "张三 13800001234", None, ["a", 1, None], {"phone": PHONE}, 42, True]
    payloads = await converter.encode(values)
    assert len(payloads) == len(values)
    for payload in payloads:
        assert payload.metadata["encoding"] == ENCRYPTED
        assert payload.metadata[KEY_ID_KEY] == ring.active.encode()
        assert set(payload.metadata) == {"encoding", KEY_ID_KEY}
    types: list[type] = [CaseIntake, str, type(None), list, dict, int, bool]
    assert await converter.decode(payloads, types) == values


async def test_the_stored_bytes_hold_no_personal_data(ring):
    converter = data_converter(ring)
    case = intake()
    payloads = await converter.encode([case, f"{NAME} {PHONE}"])
    clear = await DataConverter.default.encode([case.model_dump(mode="json")])
    assert PHONE.encode() in stored(clear)  # the unencrypted form would show it
    raw = stored(payloads)
    for secret in (PHONE, NAME, ADDRESS, case.title, "json/plain", "CaseIntake"):
        assert secret.encode() not in raw, secret


async def test_each_encryption_uses_a_fresh_nonce(ring):
    codec = EncryptionCodec(ring)
    [plain] = await DataConverter.default.encode([PHONE])
    first, second = await codec.encode([plain, plain])
    assert first.data != second.data
    assert (await codec.decode([first, second])) == [plain, plain]


async def test_a_rotated_ring_decodes_what_the_old_key_wrote(tmp_path):
    path = tmp_path / "keys.json"
    old = init(path)
    payloads = await data_converter(old).encode([intake(), PHONE])
    new_id = rotate(path)
    rotated = read_key_ring(path)
    assert rotated.active == new_id != old.active
    converter = data_converter(rotated)
    decoded = await converter.decode(payloads, [CaseIntake, str])
    assert decoded[1] == PHONE
    [fresh] = await converter.encode([PHONE])
    assert fresh.metadata[KEY_ID_KEY] == new_id.encode()


async def test_an_unknown_key_id_is_a_clear_error(ring):
    [payload] = await EncryptionCodec(ring).encode([Payload(data=b"x")])
    other = generate()
    with pytest.raises(PayloadDecryptionError) as caught:
        await EncryptionCodec(other).decode([payload])
    assert ring.active in str(caught.value)
    assert caught.value.key_id == ring.active


async def test_a_different_key_under_the_same_id_is_a_clear_error(ring):
    [payload] = await EncryptionCodec(ring).encode([Payload(data=b"x")])
    impostor = KeyRing(active=ring.active, keys={ring.active: bytes(32)})
    with pytest.raises(PayloadDecryptionError, match=ring.active):
        await EncryptionCodec(impostor).decode([payload])


@pytest.mark.parametrize("position", [0, 12, 20, -1])
async def test_a_changed_ciphertext_is_refused(ring, position):
    codec = EncryptionCodec(ring)
    [payload] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    data = bytearray(payload.data)
    data[position] ^= 0x01
    tampered = Payload(metadata=payload.metadata, data=bytes(data))
    with pytest.raises(PayloadDecryptionError, match="ciphertext was changed"):
        await codec.decode([tampered])


async def test_a_changed_key_id_is_refused():
    first = generate()
    both = KeyRing(active=first.active, keys={**first.keys, "k-other": bytes(range(32))})
    codec = EncryptionCodec(both)
    [payload] = await codec.encode([Payload(data=b"x")])
    relabelled = Payload(metadata={**payload.metadata, KEY_ID_KEY: b"k-other"}, data=payload.data)
    with pytest.raises(PayloadDecryptionError, match="k-other"):
        await codec.decode([relabelled])


async def test_truncated_or_unlabelled_payloads_are_refused(ring):
    codec = EncryptionCodec(ring)
    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await codec.decode(
            [Payload(metadata={"encoding": ENCRYPTED, KEY_ID_KEY: b"k"}, data=b"short")]
        )
    with pytest.raises(PayloadDecryptionError, match=KEY_ID_KEY):
        await codec.decode([Payload(metadata={"encoding": ENCRYPTED}, data=bytes(40))])


async def test_unencrypted_payloads_pass_through(ring):
    converter = data_converter(ring)
    clear = await DataConverter.default.encode([{"phone": PHONE}, None, "text"])
    assert await EncryptionCodec(ring).decode(clear) == clear
    assert await converter.decode(clear, [dict, type(None), str]) == [
        {"phone": PHONE},
        None,
        "text",
    ]


def opened(ring: KeyRing, payload: Payload) -> bytes:
    """The plaintext inside an encrypted payload of the current format."""
    key_id = payload.metadata[KEY_ID_KEY]
    nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
    return AESGCM(ring.key(key_id.decode())).decrypt(nonce, sealed, key_id)


def sealed_as(ring: KeyRing, plain: bytes, compression: bytes | None = None) -> Payload:
    """An encrypted payload holding `plain`, as the codec writes one (or wrote, with a word)."""
    key_id = ring.active.encode()
    metadata = {"encoding": ENCRYPTED, KEY_ID_KEY: key_id}
    associated = key_id
    if compression is not None:
        metadata[COMPRESSION_KEY] = compression
        associated = key_id + b";" + compression
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(ring.active)).encrypt(nonce, plain, associated)
    return Payload(metadata=metadata, data=nonce + sealed)


async def test_a_payload_is_deflated_with_the_dictionary_before_it_is_encrypted(ring):
    converter = data_converter(ring)
    case = intake()
    [payload] = await converter.encode([case])
    [clear] = await DataConverter.default.encode([case.model_dump(mode="json")])
    plain = opened(ring, payload)
    assert plain[:2] == bytes([COMPRESSED, NEWEST])
    # The dictionary pays: smaller than deflate without it, and far smaller than the JSON.
    assert len(plain) < len(zlib.compress(clear.SerializeToString(), 9)) - 2
    assert len(payload.data) < 0.7 * len(clear.SerializeToString())
    assert await converter.decode([payload], [CaseIntake]) == [case]


async def test_a_small_step_shrinks_too(ring):
    converter = data_converter(ring)
    sign_off = {"by": "liaison-1", "note": None, "department": "gy-market"}
    [payload] = await converter.encode([sign_off])
    [clear] = await DataConverter.default.encode([sign_off])
    assert len(opened(ring, payload)) < len(clear.SerializeToString())
    assert await converter.decode([payload], [dict]) == [sign_off]


async def test_a_payload_that_does_not_shrink_is_encrypted_as_it_is(ring):
    original = Payload(data=b"x")
    [payload] = await EncryptionCodec(ring).encode([original])
    assert opened(ring, payload) == original.SerializeToString()
    assert await EncryptionCodec(ring).decode([payload]) == [original]


async def test_an_unknown_dictionary_or_a_broken_stream_is_named(ring):
    codec = EncryptionCodec(ring)
    unknown = sealed_as(ring, bytes([COMPRESSED, 9]) + b"\x03\x00")
    with pytest.raises(PayloadDecryptionError, match="unknown compression dictionary 9"):
        await codec.decode([unknown])
    broken = sealed_as(ring, bytes([COMPRESSED, NEWEST]) + b"\xff\xff\xff")
    with pytest.raises(PayloadDecryptionError, match="does not inflate"):
        await codec.decode([broken])


async def test_a_zlib_payload_from_before_the_dictionary_still_decrypts(ring):
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"a" * 500 + b'"')
    old = sealed_as(ring, zlib.compress(original.SerializeToString()), ZLIB)
    assert await EncryptionCodec(ring).decode([old]) == [original]


async def test_adding_or_removing_the_old_compression_word_is_refused(ring):
    codec = EncryptionCodec(ring)
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"a" * 500 + b'"')
    compressed = sealed_as(ring, zlib.compress(original.SerializeToString()), ZLIB)
    [plain] = await codec.encode([Payload(data=b"x")])
    stripped = Payload(
        metadata={k: v for k, v in compressed.metadata.items() if k != COMPRESSION_KEY},
        data=compressed.data,
    )
    added = Payload(metadata={**plain.metadata, COMPRESSION_KEY: ZLIB}, data=plain.data)
    for tampered in (stripped, added):
        with pytest.raises(PayloadDecryptionError, match="ciphertext was changed"):
            await codec.decode([tampered])
    unknown = Payload(
        metadata={**compressed.metadata, COMPRESSION_KEY: b"lz4"}, data=compressed.data
    )
    with pytest.raises(PayloadDecryptionError, match="unknown compression 'lz4'"):
        await codec.decode([unknown])


async def test_a_payload_from_before_compression_still_decrypts(ring):
    """Encrypted as the codec did before it deflated anything: key id alone authenticated."""
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"a" * 500 + b'"')
    nonce = os.urandom(NONCE_BYTES)
    key_id = ring.active.encode()
    sealed = AESGCM(ring.key(ring.active)).encrypt(nonce, original.SerializeToString(), key_id)
    old = Payload(metadata={"encoding": ENCRYPTED, KEY_ID_KEY: key_id}, data=nonce + sealed)
    assert await EncryptionCodec(ring).decode([old]) == [original]


async def test_a_key_rotated_in_by_another_process_is_picked_up_once(tmp_path):
    path = tmp_path / "keys.json"
    mine = init(path)
    reads: list[KeyRing] = []

    def refresh() -> KeyRing:
        reads.append(read_key_ring(path))
        return reads[-1]

    codec = EncryptionCodec(mine, refresh=refresh)
    rotate(path)
    theirs = read_key_ring(path)
    [payload] = await EncryptionCodec(theirs).encode([Payload(data=b"from another process")])
    assert await codec.decode([payload, payload]) == [Payload(data=b"from another process")] * 2
    assert len(reads) == 1
    assert codec.active_key_id == theirs.active


def test_the_default_converter_uses_the_session_ring():
    converter = data_converter()
    codec = converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    # the throw-away ring of tests/conftest.py, never .hotline/codec-keys.json
    assert codec.ring == read_key_ring(Path(os.environ[KEYS_FILE_ENV]))
    assert data_converter().payload_codec.ring is codec.ring  # read once, cached


async def test_a_payload_larger_than_the_window_round_trips(ring):
    codec = EncryptionCodec(ring)
    big = Payload(
        metadata={"encoding": b"json/plain"},
        data=b"[" + b",".join(b'{"seq":%d,"status":"handling"}' % i for i in range(5000)) + b"]",
    )
    [sealed] = await codec.encode([big])
    assert len(sealed.data) < len(big.data) // 5
    assert await codec.decode([sealed]) == [big]
