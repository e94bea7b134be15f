"""Where the worker serves its endpoint: a port, off, or a clear refusal of anything else; and
a port another process holds leaves the worker running without its endpoint."""

from __future__ import annotations

import logging
import socket

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine, session_factory
from observability.worker_metrics import worker_endpoint
from settings.observability import DEFAULT_PORT, WorkerHttpSettings


@pytest.mark.parametrize(
    ("raw", "port"), [("", DEFAULT_PORT), ("9200", 9200), ("0", None), ("off", None)]
)
def test_the_port_is_a_number_or_off(monkeypatch: pytest.MonkeyPatch, raw: str, port: int) -> None:
    monkeypatch.setenv("HOTLINE_WORKER_HTTP_PORT", raw)
    assert WorkerHttpSettings.from_env().port == port


@pytest.mark.parametrize("raw", ["nine", "70000", "-1", "91 00"])
def test_another_port_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("HOTLINE_WORKER_HTTP_PORT", raw)
    with pytest.raises(ValueError, match="HOTLINE_WORKER_HTTP_PORT must be a port number"):
        WorkerHttpSettings.from_env()


async def test_a_taken_port_leaves_the_worker_without_its_endpoint(
    env: WorkflowEnvironment, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = session_factory(make_engine(database_url))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = int(holder.getsockname()[1])
        endpoint = await worker_endpoint(
            env.client, sessions, WorkerHttpSettings(host="127.0.0.1", port=taken)
        )
        with caplog.at_level(logging.ERROR):
            async with endpoint:
                assert endpoint.http.port == 0  # not serving
    assert f"port {taken} cannot be bound" in caplog.text
    assert "HOTLINE_WORKER_HTTP_PORT" in caplog.text
