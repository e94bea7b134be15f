"""XML and JSON rendering of Open311 documents, and the specification's error document.

The format is the resource's extension (`services.xml`, `requests/GY20261128-000001.json`). XML
is built with `xml.etree.ElementTree`, which escapes every text node; characters XML 1.0 cannot
carry at all (most C0 control characters) are dropped. JSON follows the specification's Spark
convention: the XML document with its root list as a JSON array, None as null.

Datetimes are W3C datetimes with the Beijing offset: `2026-11-28T09:00:00+08:00`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from api.open311.models import Error
from models.errors import HotlineError
from models.timestamps import BEIJING

XML_MEDIA_TYPE = "text/xml; charset=utf-8"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

LIST_ITEMS: Mapping[str, str] = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "notes": "note",
    "errors": "error",
}
"""The element of each item of a list, by the list's element."""

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


class Open311Error(HotlineError):
    """Raise in a handler to answer with the specification's error document.

    `status` is the HTTP status (404 unknown resource, 403 api_key, 400 anything else); every
    description becomes one `<error>` whose `code` is that status. Descriptions never carry
    personal data.
    """

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("error",)


def parse_format(extension: str) -> Format | None:
    try:
        return Format(extension.lower())
    except ValueError:
        return None


def w3c(moment: datetime) -> str:
    """`2026-11-28T09:00:00+08:00`: seconds precision, Beijing offset."""
    if moment.tzinfo is None:
        raise ValueError("a W3C datetime needs an aware datetime")
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def render_list(
    fmt: Format, root: str, items: Sequence[BaseModel], status_code: int = 200
) -> Response:
    """A root list element (`services`, `service_requests`, `errors`) of one child per item."""
    return _respond(fmt, root, [_plain(item) for item in items], status_code)


def render_one(fmt: Format, root: str, item: BaseModel, status_code: int = 200) -> Response:
    """A root element holding one document's fields (`service_definition`)."""
    return _respond(fmt, root, _plain(item), status_code)


def render_error(fmt: Format, error: Open311Error) -> Response:
    errors = [Error(code=error.status, description=d) for d in error.descriptions]
    return render_list(fmt, "errors", errors, error.status)


def to_xml(root: str, document: Any) -> str:
    """The XML text of a plain document (dicts, lists, scalars) under element `root`."""
    return XML_DECLARATION + ET.tostring(_element(root, document), encoding="unicode")


# ---- private ------------------------------------------------------------------------------------


def _respond(fmt: Format, root: str, document: Any, status_code: int) -> Response:
    if fmt is Format.JSON:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return Response(body.encode(), status_code=status_code, media_type=JSON_MEDIA_TYPE)
    return Response(
        to_xml(root, document).encode(), status_code=status_code, media_type=XML_MEDIA_TYPE
    )


def _plain(value: Any) -> Any:
    """Models and containers as dicts and lists of str, int, float, bool and None."""
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        child = LIST_ITEMS.get(tag, "item")
        for item in value:
            element.append(_element(child, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))
    return element
