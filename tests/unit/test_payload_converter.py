"""The payload converter every data converter uses: pydantic's, with one cache per process."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.converter import JSONPlainPayloadConverter

from connection.client import data_converter
from connection.payload_converter import SharedPydanticPayloadConverter
from models.intake import CaseIntake
from tests.workflows.cases import intake


def test_every_data_converter_uses_the_shared_converter() -> None:
    assert data_converter().payload_converter_class is SharedPydanticPayloadConverter


def test_instances_share_one_json_converter_and_its_type_adapters() -> None:
    first, second = SharedPydanticPayloadConverter(), SharedPydanticPayloadConverter()
    json_first = first.converters[b"json/plain"]
    assert json_first is second.converters[b"json/plain"]
    assert not isinstance(json_first, JSONPlainPayloadConverter)  # pydantic's, not the stdlib's
    case = intake()
    [payload] = first.to_payloads([case])
    assert second.from_payloads([payload], [CaseIntake]) == [case]


def test_values_round_trip_as_with_pydantics_own_converter() -> None:
    converter = SharedPydanticPayloadConverter()
    values = [intake(), None, b"raw", datetime(2026, 12, 3, 8, tzinfo=UTC), {"a": [1, 2]}, "张三"]
    payloads = converter.to_payloads(values)
    types: list[type] = [CaseIntake, type(None), bytes, datetime, dict, str]
    assert converter.from_payloads(payloads, types) == values
    encodings = [p.metadata["encoding"] for p in payloads]
    assert encodings[:3] == [b"json/plain", b"binary/null", b"binary/plain"]
