"""Alibaba Cloud SMS: the RPC signature against the provider's published examples, and the
`SendSms` request a send builds, sent to a local HTTP server standing in for the endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from activities.channels.aliyun_sms import (
    AliyunSms,
    canonical_query,
    percent_encode,
    rpc_signature,
    string_to_sign,
)
from activities.channels.base import ChannelError
from models.delivery import OutgoingNotice
from tests.delivery.channel_servers import Received, http_server, refusing_port, silent_port

PHONE = "13912345678"
SECRET = "local-secret"
AT = datetime(2026, 12, 2, 1, 30, 5, 123456, tzinfo=UTC)

# The provider's worked example of the SendSms signature: help.aliyun.com, 短信服务 API 参考
# "请求签名" (document_detail/101343): AccessKeyId testId, AccessKeySecret testSecret, these
# parameters, Signature zJDF+Lrzhj/ThnlvIToysFRq6t4=.
SENDSMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}

# The RPC signature's general example (Alibaba Cloud "签名机制" of the RPC API style, the
# DescribeRegions request): AccessKeyId testid, AccessKeySecret testsecret, HMAC key
# "testsecret&", Signature CT9X0VtwR86fNWSnsc6v8YGOjuE=.
DESCRIBE_REGIONS_EXAMPLE = {
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "Version": "2014-05-26",
    "SignatureVersion": "1.0",
}


def test_the_signature_of_the_providers_sendsms_example() -> None:
    assert rpc_signature(SENDSMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_signature_of_the_providers_rpc_example() -> None:
    assert string_to_sign(DESCRIBE_REGIONS_EXAMPLE) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )
    assert rpc_signature(DESCRIBE_REGIONS_EXAMPLE, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_percent_encoding_follows_the_providers_rules() -> None:
    assert percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert percent_encode("阿") == "%E9%98%BF"
    assert canonical_query({"b": "2", "a": "x y"}) == "a=x%20y&b=2"


def _notice(
    key: str = "a" * 32, text: str = "【贵阳12345】您的诉求已受理，工单号GY20261128-000123。"
):
    return OutgoingNotice(
        notice_id=7,
        key=key,
        case_no="GY20261128-000123",
        template="sms_received",
        recipient="citizen",
        to=PHONE,
        subject="受理回执",
        text=text,
    )


def _channel(endpoint: str, **options) -> AliyunSms:
    return AliyunSms("local-id", SECRET, "贵阳12345", "SMS_000001", endpoint, **options)


def _ok(got: Received) -> tuple[int, bytes]:
    answer = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R1"}
    return 200, json.dumps(answer).encode()


def test_a_send_is_a_signed_sendsms_request_carrying_the_key_and_the_text() -> None:
    clock = iter([AT, AT + timedelta(seconds=30)])
    with http_server(_ok) as server:
        channel = _channel(server.url, clock=lambda: next(clock))
        receipt = channel.send(_notice())
        channel.send(_notice())
    assert receipt.provider_id == "900619746936498440^0"
    first, repeat = server.received
    assert (first.method, first.path) == ("GET", "/")
    params = first.params()
    signature = params.pop("Signature")
    # What the provider checks: the signature recomputed over everything else it received.
    assert signature == rpc_signature(params, SECRET)
    assert params["Action"] == "SendSms"
    assert params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == PHONE
    assert params["OutId"] == "a" * 32
    assert params["SignName"] == "贵阳12345"
    assert params["TemplateCode"] == "SMS_000001"
    assert params["Timestamp"] == "2026-12-02T01:30:05Z"
    assert json.loads(params["TemplateParam"]) == {
        "case_no": "GY20261128-000123",
        "content": "您的诉求已受理，工单号GY20261128-000123。",  # the provider adds 【贵阳12345】
    }
    again = repeat.params()
    assert again["OutId"] == params["OutId"]
    assert again["SignatureNonce"] != params["SignatureNonce"]


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", True),
        (400, "Throttling.User", True),
        (503, "ServiceUnavailable", True),
        (200, "isv.MOBILE_NUMBER_ILLEGAL", False),
        (400, "SignatureDoesNotMatch", False),
        (200, "isv.SMS_TEMPLATE_ILLEGAL", False),
    ],
)
def test_the_providers_code_decides_whether_to_retry(status: int, code: str, retryable: bool):
    def answer(got: Received) -> tuple[int, bytes]:
        body = {"Code": code, "Message": f"refused {PHONE}", "RequestId": "R2"}
        return status, json.dumps(body).encode()

    with http_server(answer) as server, pytest.raises(ChannelError) as refused:
        _channel(server.url).send(_notice())
    assert refused.value.retryable is retryable
    assert code in str(refused.value)
    assert PHONE not in str(refused.value)  # not even when the provider's message holds it
    assert "受理" not in str(refused.value)


def test_a_server_error_without_json_is_retryable() -> None:
    bad_gateway = http_server(lambda got: (502, b"<html>bad gateway</html>"))
    with bad_gateway as server, pytest.raises(ChannelError) as failed:
        _channel(server.url).send(_notice())
    assert failed.value.retryable is True
    assert "502" in str(failed.value)


def test_a_refused_connection_and_a_timeout_are_retryable() -> None:
    with refusing_port() as port, pytest.raises(ChannelError) as refused:
        _channel(f"http://127.0.0.1:{port}").send(_notice())
    assert refused.value.retryable is True
    with silent_port() as port, pytest.raises(ChannelError) as timed_out:
        _channel(f"http://127.0.0.1:{port}", timeout_s=0.3).send(_notice())
    assert timed_out.value.retryable is True
    assert "timed out" in str(timed_out.value)


def test_the_default_endpoint_is_the_providers_https_host() -> None:
    channel = AliyunSms("id", "secret", "贵阳12345", "SMS_1")
    assert channel.endpoint_url == "https://dysmsapi.aliyuncs.com/"
