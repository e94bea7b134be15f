"""`make run` points the Temporal UI at the API's codec endpoint; the test server flags stay."""

from __future__ import annotations

from cli.devstack import DevStackConfig, codec_endpoint, server_command, server_flags


def test_the_dev_server_uses_the_api_codec_endpoint(dev_config: DevStackConfig) -> None:
    command = server_command(dev_config, "temporal")
    flag = command.index("--ui-codec-endpoint")
    api = dev_config.api
    assert command[flag + 1] == f"http://{api.host}:{api.port}/codec"
    assert command[-len(server_flags(dev_config)) :] == server_flags(dev_config)
    assert "--ui-codec-endpoint" not in server_flags(dev_config)  # the tests' own servers


def test_a_wildcard_api_host_is_reached_on_loopback(dev_config: DevStackConfig) -> None:
    anywhere = dev_config.model_copy(update={"api": type(dev_config.api)("0.0.0.0", 9000)})
    assert codec_endpoint(anywhere) == "http://127.0.0.1:9000/codec"
