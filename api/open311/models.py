"""The shapes of Open311 GeoReport v2 documents, field names exactly as the specification has them.

Each model is one XML element whose children are its fields (`api.open311.formats` renders both
XML and JSON from the same model). A field that is None is rendered empty in XML and null in
JSON; a list field is rendered as a wrapper element holding one child per item.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
NoteType = Literal["opened", "activity", "closed"]
"""The `type` of an Update History note: the step that took the case in, one that closed it,
anything in between (the values Chicago, Boston and San Francisco use)."""
RequestStatus = Literal["open", "closed"]


class Document(BaseModel):
    """A part of a response: immutable, and nothing but the fields it declares."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Service(Document):
    """One entry of GET services: a service request type (a dispatch-catalogue category)."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str
    group: str


class AttributeValue(Document):
    """One option of a `singlevaluelist` or `multivaluelist` attribute."""

    key: str
    name: str


class Attribute(Document):
    """One extra input of a service definition, sent back as `attribute[code]=value`."""

    variable: bool = True
    code: str
    datatype: Datatype
    required: bool
    datatype_description: str | None = None
    order: int = Field(ge=1)
    description: str
    values: list[AttributeValue] = Field(default_factory=list)


class ServiceDefinition(Document):
    """GET services/{service_code}: the attributes a request of this service may carry."""

    service_code: str
    attributes: list[Attribute] = Field(default_factory=list)


class CreatedRequest(Document):
    """The answer to POST requests: the case number straight away (intake is synchronous)."""

    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None


class Note(Document):
    """One step of a request's history: an entry of `notes`, the Update History extension of
    GeoReport v2 (its fields and their order as in the extension's example). A fixed text, no
    personal data, nothing someone wrote."""

    datetime: dt.datetime
    description: str
    type: NoteType


class ServiceRequest(Document):
    """One entry of GET requests: the specification's fields in its order, then `notes`.

    `lat` and `long` are always present; the publication policy leaves them empty
    (`rules.publication`), like `address_id`, `zipcode` and `media_url`."""

    service_request_id: str
    status: RequestStatus
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str | None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    notes: list[Note] = Field(default_factory=list)


class TokenLookup(Document):
    """GET tokens/{token}: the service request a token stands for."""

    service_request_id: str
    token: str


class Error(Document):
    """One entry of an error document; `code` is the HTTP status of the response."""

    code: int
    description: str


class RequestInput(Document):
    """The arguments of POST requests as sent, before any check (all optional here).

    Personal data (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`): never
    logged, never put into an error message, never returned.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    jurisdiction_id: str | None = None
    api_key: str | None = None
    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    attributes: dict[str, list[str]] = Field(default_factory=dict)
