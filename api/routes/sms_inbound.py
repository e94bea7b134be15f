"""The SMS gateway's inbound webhook: a citizen's reply to our SMS (退订 opts the number out).

POST /sms/inbound   {"from": "<phone>", "text": "<the reply>"}

No bearer token: the gateway signs each request with the shared secret
`HOTLINE_SMS_WEBHOOK_SECRET`: `X-Hotline-Timestamp: <unix seconds>` and
`X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>`
(`security.webhook_signature`). A missing, wrong or stale (over 5 minutes) signature is 401,
and so is every request while no secret is configured; the body is read only once the
signature holds (422 naming the field otherwise). The sender's number is never logged.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext, get_context
from api.problems import Problem
from security.webhook_signature import verify
from services.sms_opt_out import InboundAction, PhoneNumberError, inbound_sms
from settings.notices import SMS_SECRET_ENV, NoticeSettings

logger = logging.getLogger(__name__)

router = APIRouter(tags=["sms"])
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
PHONE = r"^\+?[0-9 \-]{5,24}$"


class InboundSms(BaseModel):
    """One SMS a citizen sent to the centre's number, as the gateway reports it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: str = Field(alias="from", pattern=PHONE, description="the sender's number")
    text: str = Field(max_length=1000, description="what the citizen wrote")


class InboundAnswer(BaseModel):
    action: InboundAction


def install(app: FastAPI, settings: NoticeSettings | None = None) -> None:
    """The route, with the webhook's secret of `settings` (default: the environment's, read
    once when the app is created; an empty value counts as unset)."""
    chosen = (settings or NoticeSettings.from_env()).sms_webhook_secret
    app.state.sms_webhook_secret = chosen.encode("utf-8") if chosen else None
    app.include_router(router)


def _secret(request: Request) -> bytes | None:
    secret: bytes | None = getattr(request.app.state, "sms_webhook_secret", None)
    return secret


@router.post("/sms/inbound", response_model=InboundAnswer, summary="Inbound SMS (gateway)")
async def inbound(
    request: Request, context: Annotated[ApiContext, Depends(get_context)]
) -> InboundAnswer:
    """A citizen's SMS from the gateway; a reply of 退订 / TD / T opts the sender out."""
    secret = _secret(request)
    if secret is None:
        logger.warning("an inbound SMS was refused: %s is not set", SMS_SECRET_ENV)
        raise Problem(401, f"inbound SMS is not configured ({SMS_SECRET_ENV} is not set)")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        raise Problem(401, f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    body = await request.body()
    if not verify(secret, timestamp, body, signature, datetime.now(UTC)):
        raise Problem(401, "bad or stale signature")
    message = _message(body)
    try:
        action = await run_in_threadpool(
            inbound_sms, context.sessions, message.sender, message.text, datetime.now(UTC)
        )
    except PhoneNumberError as err:
        raise Problem(422, f"body.from: {err}", errors=[_error("body.from", "phone", err)]) from err
    return InboundAnswer(action=action)


def _message(body: bytes) -> InboundSms:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise Problem(
            422, "body: not a JSON document", errors=[_error("body", "json_invalid", err)]
        ) from err
    try:
        return InboundSms.model_validate(data)
    except ValidationError as err:
        errors = [
            {
                "field": ".".join(["body", *(str(part) for part in issue["loc"])]),
                "rule": issue["type"],
                "message": issue["msg"],
            }
            for issue in err.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Problem(422, summary, errors=errors) from err


def _error(field: str, rule: str, err: Exception) -> dict[str, str]:
    message = "not a JSON document" if rule == "json_invalid" else str(err)
    return {"field": field, "rule": rule, "message": message}
