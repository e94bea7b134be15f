"""The payload converter of every data converter we make: pydantic's, built once per process.

The SDK makes a new `DataConverter` for every workflow activation (to attach the workflow's
serialisation context), and each one constructs its payload converter anew. Pydantic's JSON
converter keeps a cache of type adapters per instance, so every activation started with an
empty cache and built a `TypeAdapter` for each payload type it met again.
`SharedPydanticPayloadConverter` is the same converter with one JSON converter, and so one
cache, shared by every instance: constructing it costs a dictionary of the encoding converters.
The encoding converters hold no state but that thread-safe cache (an LRU of type adapters,
keyed by the types of `models/`, which every sandbox shares).
"""

from __future__ import annotations

import functools

from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)


@functools.cache
def _encoding_converters() -> tuple[EncodingPayloadConverter, ...]:
    json_converter = PydanticJSONPlainPayloadConverter()
    return tuple(
        json_converter if isinstance(converter, JSONPlainPayloadConverter) else converter
        for converter in DefaultPayloadConverter.default_encoding_payload_converters
    )


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """Pydantic's payload converter over one process-wide set of encoding converters."""

    def __init__(self) -> None:
        CompositePayloadConverter.__init__(self, *_encoding_converters())
