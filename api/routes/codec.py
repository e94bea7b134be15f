"""The remote codec endpoint of the Temporal UI: decode (and encode) payloads for authorised users.

The Temporal UI (started by `make run` with `--ui-codec-endpoint http://<api>/codec`) posts the
payloads it shows to `POST /codec/decode` as the proto JSON of `temporal.api.common.v1.Payloads`
(`{"payloads": [{"metadata": {"<k>": "<base64>"}, "data": "<base64>"}]}`) and gets them back in
the same shape, decrypted with the engine's payload codec (security/codec.py). A decoded payload
shows a caller's personal data, so only roles granted `decode_payloads` may call it, and every
decode is written to the access log: one entry per case whose number the decoded payloads hold
(a case's input, state and commands all carry it), or one entry for case "-" when they hold
none. The UI sends no workflow id with the payloads (only `X-Namespace`), so the decoded data
itself is the only place that says which case is shown.

`CodecCorsMiddleware` lets the UI's origin ($HOTLINE_CODEC_CORS_ORIGINS, comma-separated;
default http://127.0.0.1:8233 and http://localhost:8233) call these two routes, and only these.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import Problem
from api.routes.cases import access_purpose
from models.intake import CASE_NO_PATTERN
from rules.permissions import Action, Principal
from security.codec import ENCODING_KEY, ENCRYPTED, PayloadDecryptionError
from services.access_log import record_access
from settings.environment import Settings

PREFIX = "/codec"
DEFAULT_CORS_ORIGINS = ("http://127.0.0.1:8233", "http://localhost:8233")
NO_CASE = "-"
ACCESSED_FIELDS = ("payloads",)
DEFAULT_PURPOSE = "Temporal UI: decoding workflow payloads"
MAX_PAYLOADS = 1000
# A case number anywhere in a payload's bytes (not inside a longer run of letters or digits).
_CASE_NO_IN_DATA = re.compile(
    rb"(?<![A-Za-z0-9])" + CASE_NO_PATTERN.strip("^$").encode() + rb"(?![0-9])"
)

router = APIRouter(prefix=PREFIX, tags=["codec"])


def _base64(value: str) -> str:
    """Standard or URL-safe base64, padded or not (as proto JSON allows)."""
    normalised = value.replace("-", "+").replace("_", "/")
    try:
        base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    return value


Base64 = Annotated[str, AfterValidator(_base64)]


class PayloadJson(BaseModel):
    """One `temporal.api.common.v1.Payload` in proto JSON: bytes are base64 strings."""

    model_config = ConfigDict(extra="allow")  # other Payload fields are checked by protobuf

    metadata: dict[str, Base64] = Field(default_factory=dict)
    data: Base64 = ""


class PayloadsJson(BaseModel):
    """`temporal.api.common.v1.Payloads` in proto JSON."""

    payloads: list[PayloadJson] = Field(max_length=MAX_PAYLOADS)


def _payloads(body: PayloadsJson) -> Payloads:
    try:
        return json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as err:
        reason = str(err)
        raise Problem(
            422,
            f"body.payloads: {reason}",
            errors=[{"field": "body.payloads", "rule": "proto_json", "message": reason}],
        ) from None


def cases_of(sent: Iterable[Payload], decoded: Iterable[Payload]) -> list[str]:
    """The case numbers held by the payloads decrypted here, sorted, each once. A payload sent
    unencrypted comes back as it was sent: it shows nothing of the system's and names no case."""
    found = {
        match.decode()
        for original, plain in zip(sent, decoded, strict=True)
        if original.metadata.get(ENCODING_KEY) == ENCRYPTED
        for match in _CASE_NO_IN_DATA.findall(plain.data)
    }
    return sorted(found)


def _record_decode(
    context: ApiContext, principal: Principal, case_nos: Sequence[str], reason: str
) -> None:
    for case_no in case_nos or [NO_CASE]:
        record_access(
            context.sessions, principal, case_no, list(ACCESSED_FIELDS), reason, "view", False
        )


def _answer(payloads: Sequence[Payload]) -> JSONResponse:
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))


@router.post(
    "/decode",
    response_model=PayloadsJson,
    summary="Decode payloads for the Temporal UI (logged as personal-data access)",
)
async def decode(
    body: PayloadsJson,
    principal: Annotated[Principal, Depends(require(Action.DECODE_PAYLOADS))],
    context: Annotated[ApiContext, Depends(get_context)],
    namespace: Annotated[str | None, Header(alias="X-Namespace", max_length=200)] = None,
    purpose: Annotated[
        str,
        Header(alias="X-Access-Purpose", max_length=600, description="why (for the access log)"),
    ] = DEFAULT_PURPOSE,
) -> JSONResponse:
    payloads = _payloads(body).payloads
    reason = access_purpose(purpose)
    if namespace:
        reason = access_purpose(f"{reason} (namespace {namespace})")
    codec = context.client.data_converter.payload_codec
    decoded: list[Payload] = []
    for index, payload in enumerate(payloads):
        try:
            decoded += await codec.decode([payload]) if codec else [payload]
        except PayloadDecryptionError as err:
            field = f"body.payloads.{index}"
            raise Problem(
                422,
                f"{field}: {err}",
                errors=[{"field": field, "rule": "decryptable", "message": str(err)}],
            ) from None
    case_nos = cases_of(payloads, decoded)
    await run_in_threadpool(_record_decode, context, principal, case_nos, reason)
    return _answer(decoded)


@router.post("/encode", response_model=PayloadsJson, summary="Encode payloads for the Temporal UI")
async def encode(
    body: PayloadsJson,
    principal: Annotated[Principal, Depends(require(Action.DECODE_PAYLOADS))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> JSONResponse:
    payloads = list(_payloads(body).payloads)
    codec = context.client.data_converter.payload_codec
    return _answer(await codec.encode(payloads) if codec else payloads)


def cors_origins() -> list[str]:
    """$HOTLINE_CODEC_CORS_ORIGINS (comma-separated), else the UI of `make run`."""
    configured = Settings.from_env().codec_cors_origins
    return list(DEFAULT_CORS_ORIGINS if configured is None else configured)


class CodecCorsMiddleware(CORSMiddleware):
    """CORS for the codec routes only: the Temporal UI's origin may POST to /codec/*."""

    def __init__(self, app: ASGIApp, origins: Sequence[str] | None = None) -> None:
        super().__init__(
            app,
            allow_origins=list(origins) if origins is not None else cors_origins(),
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["content-type", "authorization", "x-namespace"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: Any = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or str(path).startswith(PREFIX + "/")):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)
