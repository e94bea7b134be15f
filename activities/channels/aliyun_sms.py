"""Alibaba Cloud SMS (dysmsapi `SendSms`) as a channel, with its RPC ("POP") request signature.

The request is a GET whose query is every parameter plus `Signature`: the base64
HMAC-SHA1, keyed with `AccessKeySecret + "&"`, of
`"GET&%2F&" + percent_encode(canonical query)`, where the canonical query is the parameters
sorted by name, each name and value percent-encoded the provider's way (RFC 3986: only
`A-Z a-z 0-9 - _ . ~` stay as they are, a space is `%20`, `*` is `%2A`). The signing functions
are pure and checked against the provider's worked examples.

`OutId` carries the notice's idempotency key (the provider keeps it with the message and
returns it in delivery reports); `TemplateParam` carries the case number and the text (without
the 【signature】 prefix, which the provider adds from `SignName`). The template configured as
`template_code` must use the variables `${case_no}` and `${content}`.

The answer's `Code` decides: `OK` is success (`BizId` is the provider's message id);
throttling (`Throttling.*`, `isv.BUSINESS_LIMIT_CONTROL`), a 5xx, a timeout or a refused
connection may pass on a later attempt; any other code will not. The error names the code only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote, urlsplit

from activities.channels.base import ChannelError
from models.delivery import ChannelKind, OutgoingNotice, SendReceipt
from models.errors import ConfigurationError

API_VERSION: Final = "2017-05-25"
REGION: Final = "cn-hangzhou"
DEFAULT_ENDPOINT: Final = "dysmsapi.aliyuncs.com"
DEFAULT_TIMEOUT_S: Final = 10.0
RETRYABLE_CODES: Final = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "ServiceUnavailable"})
_SAFE_CODE: Final = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def percent_encode(value: str) -> str:
    """The provider's encoding: UTF-8, RFC 3986 unreserved characters kept, all else %XY."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The parameters sorted by name, `name=value` encoded and joined by `&`."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params)
    )


def string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def rpc_signature(params: Mapping[str, str], access_key_secret: str, method: str = "GET") -> str:
    """The `Signature` of a request with `params` (which must not hold `Signature` itself)."""
    key = f"{access_key_secret}&".encode()
    digest = hmac.new(key, string_to_sign(params, method).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def signature_nonce(key: str, at: datetime) -> str:
    """Unique per attempt (the provider refuses a nonce it has seen): the notice key and the
    attempt's time to the microsecond, hashed to the shape of a UUID."""
    digest = hashlib.sha256(f"{key}|{at.astimezone(UTC).isoformat()}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def without_signature_prefix(text: str, sign_name: str) -> str:
    """The text without a leading 【sign_name】: the provider puts the signature on itself."""
    prefix = f"【{sign_name}】"
    return text.removeprefix(prefix).lstrip() if text.startswith(prefix) else text


def _code(answer: Mapping[str, object]) -> str:
    code = answer.get("Code")
    return code if isinstance(code, str) and _SAFE_CODE.match(code) else "unknown"


def _retryable(code: str) -> bool:
    return code in RETRYABLE_CODES or code.startswith("Throttling")


class AliyunSms:
    """Sends each notice to its phone number (`notice.to`) with one approved template."""

    kind = ChannelKind.ALIYUN_SMS

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not (access_key_id and access_key_secret and sign_name and template_code):
            raise ConfigurationError(
                "Alibaba Cloud SMS needs an AccessKey id and secret, a sign name and a template"
            )
        base = endpoint if "://" in endpoint else f"https://{endpoint}"
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("the Alibaba Cloud SMS endpoint must be a host or a URL")
        self.endpoint_url = f"{parts.scheme}://{parts.netloc}/"
        self._access_key_id = access_key_id
        self._access_key_secret = access_key_secret
        self._sign_name = sign_name
        self._template_code = template_code
        self._timeout_s = timeout_s
        self._clock = clock

    def request_params(self, notice: OutgoingNotice, at: datetime) -> dict[str, str]:
        """Every parameter of the `SendSms` request for `notice` at `at`, `Signature` included."""
        template_param = {
            "case_no": notice.case_no,
            "content": without_signature_prefix(notice.text, self._sign_name),
        }
        params = {
            "AccessKeyId": self._access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": notice.key,
            "PhoneNumbers": notice.to,
            "RegionId": REGION,
            "SignName": self._sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": signature_nonce(notice.key, at),
            "SignatureVersion": "1.0",
            "TemplateCode": self._template_code,
            "TemplateParam": json.dumps(template_param, ensure_ascii=False),
            "Timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        params["Signature"] = rpc_signature(params, self._access_key_secret)
        return params

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        params = self.request_params(notice, self._clock())
        url = f"{self.endpoint_url}?{canonical_query(params)}"
        request = urllib.request.Request(url, method="GET", headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
            err.close()
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, TimeoutError):
                raise ChannelError("aliyun sms timed out", retryable=True) from None
            kind = type(reason).__name__
            raise ChannelError(f"aliyun sms unreachable ({kind})", retryable=True) from None
        return self._receipt(status, raw)

    def _receipt(self, status: int, raw: bytes) -> SendReceipt:
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ChannelError(f"aliyun sms answered HTTP {status}", retryable=status >= 500)
        code = _code(answer)
        if code == "OK" and 200 <= status < 300:
            biz_id = answer.get("BizId")
            return SendReceipt(provider_id=biz_id if isinstance(biz_id, str) else None)
        raise ChannelError(
            f"aliyun sms answered HTTP {status} Code {code}",
            retryable=status >= 500 or _retryable(code),
        )
