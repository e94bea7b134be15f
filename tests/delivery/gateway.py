"""A real HTTP SMS gateway on 127.0.0.1 for the delivery tests: it records every POST and
answers each phone number as the test scripted it (default 200).

A script is a list of answers used in order, then 200: an HTTP status, or `HOLD`, which keeps
the request open until the test releases it (a worker can be killed while its send waits).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOLD = "hold"


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.raw.decode("utf-8"))
        return found


@dataclass
class Gateway:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[int | str]] = field(default_factory=dict)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, phone: str, *answers: int | str) -> None:
        with self.lock:
            self.scripts[phone] = list(answers)

    def to(self, phone: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.body.get("to") == phone]

    def answer(self, phone: str) -> int | str:
        with self.lock:
            script = self.scripts.get(phone)
            return script.pop(0) if script else 200


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got = Received({k: v for k, v in self.headers.items()}, raw)
            with gateway.lock:
                gateway.received.append(got)
            answer = gateway.answer(str(got.body.get("to")))
            if answer == HOLD:
                gateway.holding.set()
                gateway.release.wait(60)
                answer = 200
            try:
                payload = json.dumps({"message_id": f"gw-{len(gateway.received)}"}).encode()
                self.send_response(int(answer))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender was killed while it waited

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.release.set()
        server.shutdown()
        server.server_close()
