"""The GeoReport v2 field tables as data, and a checker of XML and JSON documents against them.

Each `Shape` is one element of the specification's response tables (`service`, `attribute`,
`request`, ...) with its fields in the table's order, each with its kind: what the value must
look like in XML (text) and in JSON (a typed value). `problems` lists every way a document
departs from its `Document`: a missing or foreign field, a field out of order, a value of the
wrong kind, a datetime that is not a W3C datetime with its zone. The specification's own
example documents (`spec_examples/`) pass it; so must this API's answers.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree  # type: ignore[import-untyped]

EXAMPLES = Path(__file__).resolve().parent / "spec_examples"

# The W3C note's complete date plus hours and minutes, with optional seconds and fraction; the
# zone (Z or +hh:mm / -hh:mm) is required by the specification.
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_INTEGER = re.compile(r"^-?\d+$")
# The examples' `"service_code":001`: a number with a leading zero is not JSON.
_LEADING_ZERO = re.compile(r"(?<=:)(0\d+)(?=\s*[,}\]\n])")


class Kind(StrEnum):
    TEXT = "text"  # a string
    ID = "id"  # an identifier: a string, or a number in the specification's examples
    BOOLEAN = "boolean"  # true / false
    INTEGER = "integer"
    NUMBER = "number"  # a WGS84 coordinate
    DATETIME = "datetime"  # a W3C datetime with its zone
    LIST = "list"  # a wrapper of repeated items (XML) / an array (JSON)


@dataclass(frozen=True)
class Spec:
    """One field: its kind, whether it may be empty (XML) / null (JSON), its allowed values."""

    kind: Kind
    nullable: bool = False
    options: frozenset[str] = frozenset()
    item: Shape | None = None  # the items of a LIST


@dataclass(frozen=True)
class Shape:
    """One element of a response table: its XML name and its fields in the table's order."""

    name: str
    fields: dict[str, Spec] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A response: its root element, and either a list of `item` (`many`) or one `item`."""

    root: str
    item: Shape
    many: bool = True


def text(nullable: bool = False) -> Spec:
    return Spec(Kind.TEXT, nullable)


def one_of(*options: str) -> Spec:
    return Spec(Kind.TEXT, options=frozenset(options))


ID = Spec(Kind.ID)
OPTIONAL_ID = Spec(Kind.ID, nullable=True)
BOOLEAN = Spec(Kind.BOOLEAN)
DATETIME = Spec(Kind.DATETIME)

SERVICE = Shape(
    "service",
    {
        "service_code": ID,
        "service_name": text(),
        "description": text(),
        "metadata": BOOLEAN,
        "type": one_of("realtime", "batch", "blackbox"),
        "keywords": text(),
        "group": text(),
    },
)
VALUE = Shape("value", {"key": ID, "name": text()})
ATTRIBUTE = Shape(
    "attribute",
    {
        "variable": BOOLEAN,
        "code": ID,
        "datatype": one_of(
            "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
        ),
        "required": BOOLEAN,
        "datatype_description": text(nullable=True),
        "order": Spec(Kind.INTEGER),
        "description": text(),
        "values": Spec(Kind.LIST, item=VALUE),
    },
)
DEFINITION = Shape(
    "service_definition",
    {"service_code": ID, "attributes": Spec(Kind.LIST, item=ATTRIBUTE)},
)
CREATED = Shape(
    "request",
    {"service_request_id": ID, "service_notice": text(nullable=True), "account_id": OPTIONAL_ID},
)
TOKEN = Shape("request", {"service_request_id": ID, "token": ID})
REQUEST = Shape(
    "request",
    {
        "service_request_id": ID,
        "status": one_of("open", "closed"),
        "status_notes": text(nullable=True),
        "service_name": text(),
        "service_code": ID,
        "description": text(nullable=True),
        "agency_responsible": text(nullable=True),
        "service_notice": text(nullable=True),
        "requested_datetime": DATETIME,
        "updated_datetime": DATETIME,
        "expected_datetime": Spec(Kind.DATETIME, nullable=True),
        "address": text(nullable=True),
        "address_id": OPTIONAL_ID,
        "zipcode": OPTIONAL_ID,
        "lat": Spec(Kind.NUMBER, nullable=True),
        "long": Spec(Kind.NUMBER, nullable=True),
        "media_url": text(nullable=True),
    },
)
NOTE = Shape("note", {"datetime": DATETIME, "description": text(), "type": text()})
"""An entry of `notes`, the Update History extension (GeoReport_v2/Extensions.md)."""
REQUEST_WITH_NOTES = Shape("request", REQUEST.fields | {"notes": Spec(Kind.LIST, item=NOTE)})
ERROR = Shape("error", {"code": Spec(Kind.INTEGER), "description": text()})

SERVICE_LIST = Document("services", SERVICE)
SERVICE_DEFINITION = Document("service_definition", DEFINITION, many=False)
POST_ANSWER = Document("service_requests", CREATED)
TOKEN_ANSWER = Document("service_requests", TOKEN)
REQUESTS = Document("service_requests", REQUEST)
REQUESTS_WITH_NOTES = Document("service_requests", REQUEST_WITH_NOTES)
ERRORS = Document("errors", ERROR)


# ---- reading the examples ----------------------------------------------------------------------


def example_xml(name: str) -> Element:
    root: Element = ElementTree.fromstring((EXAMPLES / f"{name}.xml").read_bytes())
    return root


def example_json(name: str) -> Any:
    """An example JSON document; `001` is read as the string `"001"` it stands for."""
    source = (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(_LEADING_ZERO.sub(r'"\1"', source))


# ---- checking ----------------------------------------------------------------------------------


def problems(document: Any, spec: Document, fmt: str, ordered: bool = True) -> list[str]:
    """Every way `document` (an XML root element, or parsed JSON) departs from `spec`."""
    found: list[str] = []
    if fmt == "xml":
        assert isinstance(document, Element)
        if document.tag != spec.root:
            found.append(f"root is <{document.tag}>, not <{spec.root}>")
        if not spec.many:
            _xml_item(document, spec.item, spec.root, ordered, found)
            return found
        for index, child in enumerate(document):
            where = f"{spec.root}[{index}]"
            if child.tag != spec.item.name:
                found.append(f"{where} is <{child.tag}>, not <{spec.item.name}>")
            _xml_item(child, spec.item, where, ordered, found)
        return found
    if not spec.many:
        _json_item(document, spec.item, spec.root, ordered, found)
        return found
    if not isinstance(document, list):
        return [f"{spec.root} is {type(document).__name__}, not an array"]
    for index, item in enumerate(document):
        _json_item(item, spec.item, f"{spec.root}[{index}]", ordered, found)
    return found


def _names(shape: Shape, present: list[str], where: str, ordered: bool) -> list[str]:
    found = []
    missing = [name for name in shape.fields if name not in present]
    foreign = [name for name in present if name not in shape.fields]
    if missing:
        found.append(f"{where}: missing {missing}")
    if foreign:
        found.append(f"{where}: not in the specification {foreign}")
    if len(set(present)) != len(present):
        found.append(f"{where}: a field repeated in {present}")
    known = [name for name in present if name in shape.fields]
    if ordered and known != [name for name in shape.fields if name in known]:
        found.append(f"{where}: order {known}, the specification's {list(shape.fields)}")
    return found


def _xml_item(element: Element, shape: Shape, where: str, ordered: bool, found: list[str]) -> None:
    found += _names(shape, [child.tag for child in element], where, ordered)
    for child in element:
        spec = shape.fields.get(child.tag)
        if spec is None:
            continue
        at = f"{where}.{child.tag}"
        if spec.kind is Kind.LIST:
            if spec.item is None:
                continue
            if (child.text or "").strip():
                found.append(f"{at}: a list holds elements, not text")
            for index, item in enumerate(child):
                if item.tag != spec.item.name:
                    found.append(f"{at}[{index}] is <{item.tag}>, not <{spec.item.name}>")
                _xml_item(item, spec.item, f"{at}[{index}]", ordered, found)
            continue
        if len(child):
            found.append(f"{at}: holds elements, not a value")
        value = (child.text or "").strip()
        if not value:
            if not spec.nullable:
                found.append(f"{at}: empty")
            continue
        if not _xml_value(value, spec):
            found.append(f"{at}: {value!r} is not {spec.kind.value}")


def _xml_value(value: str, spec: Spec) -> bool:
    if spec.options:
        return value in spec.options
    if spec.kind is Kind.BOOLEAN:
        return value in ("true", "false")
    if spec.kind is Kind.INTEGER:
        return bool(_INTEGER.match(value))
    if spec.kind is Kind.NUMBER:
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    if spec.kind is Kind.DATETIME:
        return bool(W3C_DATETIME.match(value))
    return True


def _json_item(item: Any, shape: Shape, where: str, ordered: bool, found: list[str]) -> None:
    if not isinstance(item, dict):
        found.append(f"{where} is {type(item).__name__}, not an object")
        return
    found += _names(shape, list(item), where, ordered)
    for name, value in item.items():
        spec = shape.fields.get(name)
        if spec is None:
            continue
        at = f"{where}.{name}"
        if value is None:
            if not spec.nullable:
                found.append(f"{at}: null")
            continue
        if spec.kind is Kind.LIST:
            if not isinstance(value, list):
                found.append(f"{at}: {type(value).__name__}, not an array")
            elif spec.item is not None:
                for index, entry in enumerate(value):
                    _json_item(entry, spec.item, f"{at}[{index}]", ordered, found)
            continue
        if not _json_value(value, spec):
            found.append(f"{at}: {value!r} is not {spec.kind.value}")


def _json_value(value: Any, spec: Spec) -> bool:
    if isinstance(value, bool):
        return spec.kind is Kind.BOOLEAN
    if spec.kind is Kind.BOOLEAN:
        return False
    if spec.kind is Kind.INTEGER:
        return isinstance(value, int)
    if spec.kind is Kind.NUMBER:
        return isinstance(value, int | float) and math.isfinite(value)
    if spec.kind is Kind.ID:
        return isinstance(value, str | int) and str(value) != ""
    if not isinstance(value, str):
        return False
    if spec.options:
        return value in spec.options
    if spec.kind is Kind.DATETIME:
        return bool(W3C_DATETIME.match(value))
    return spec.nullable or value != ""
