"""Request bodies are bounded before anything reads them: size per route, and JSON nesting depth.

`BodyLimitMiddleware` is a pure ASGI middleware in front of every route, so it runs before any
parsing and before authentication:

- a `Content-Length` above the route's limit is answered 413 at once, the body unread;
- a streamed (chunked) body is counted as it arrives and answered 413 as soon as it passes the
  limit;
- a JSON body (`application/json`, `…+json`, or no content type, which FastAPI reads as JSON)
  is scanned as it arrives and answered 422 as soon as it nests arrays and objects deeper than
  `MAX_JSON_DEPTH`, before a parser could recurse into it.

The limit of a route is its row of `LIMITS` (the upload routes, which take files), else
`DEFAULT_MAX_BYTES` (1 MiB, plenty for any JSON command). Open311 routes answer with the
specification's error document instead of a problem document (413, and 400 for the depth, as
that API answers every other bad argument).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.open311.formats import Format, Open311Error, parse_format, render_error
from api.open311.router import MAX_BODY_BYTES as OPEN311_MAX_BYTES
from api.open311.router import PREFIX as OPEN311_PREFIX
from api.problems import problem_response
from api.routes.calls import MAX_INGEST_BYTES
from api.routes.knowledge_transfer import MAX_IMPORT_BYTES
from models.errors import RefusedError

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 1 * MIB
CODEC_MAX_BYTES = 8 * MIB  # up to 1,000 payloads of a case's history shown in the Temporal UI
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class BodyLimit:
    """The largest body `method` may send to the paths `path` matches in full."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


LIMITS: tuple[BodyLimit, ...] = (
    BodyLimit("POST", re.compile(r"/kb/import"), MAX_IMPORT_BYTES),
    BodyLimit("POST", re.compile(r"/calls/ingest"), MAX_INGEST_BYTES),
    BodyLimit(
        "POST", re.compile(re.escape(OPEN311_PREFIX) + r"/requests\.[^/]*"), OPEN311_MAX_BYTES
    ),
    BodyLimit("POST", re.compile(r"/codec/(?:decode|encode)"), CODEC_MAX_BYTES),
)


def max_bytes(method: str, path: str, limits: tuple[BodyLimit, ...] = LIMITS) -> int:
    """The body limit of a request: its route's row of `limits`, else `DEFAULT_MAX_BYTES`."""
    for limit in limits:
        if limit.method == method and limit.path.fullmatch(path):
            return limit.max_bytes
    return DEFAULT_MAX_BYTES


def is_json(content_type: str | None) -> bool:
    """Whether a body of this content type is parsed as JSON (FastAPI: also when it is absent)."""
    if content_type is None or not content_type.strip():
        return True
    media_type = content_type.split(";")[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class JsonDepthScanner:
    """The nesting depth of a JSON text fed in chunks, without parsing it.

    Counts `[` and `{` against `]` and `}` outside strings (a string's `\\"` does not end it), so
    the cost is one regular-expression step per bracket or quote, and a chunk may end anywhere,
    even inside an escape.
    """

    _OUTSIDE = re.compile(rb'[\[\]{}"]')
    _INSIDE = re.compile(rb'["\\]')

    def __init__(self, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.max_depth = max_depth
        self.depth = 0
        self._in_string = False
        self._escaped = False

    def feed(self, chunk: bytes) -> bool:
        """Scan the next chunk: False as soon as the text nests deeper than `max_depth`."""
        position, end = 0, len(chunk)
        if self._escaped and end:
            position, self._escaped = 1, False  # the character after a chunk's final backslash
        while position < end:
            if self._in_string:
                found = self._INSIDE.search(chunk, position)
                if found is None:
                    return True
                if chunk[found.start()] == ord('"'):
                    self._in_string = False
                    position = found.end()
                elif found.end() == end:
                    self._escaped = True
                    return True
                else:
                    position = found.end() + 1
                continue
            found = self._OUTSIDE.search(chunk, position)
            if found is None:
                return True
            char = chunk[found.start()]
            if char == ord('"'):
                self._in_string = True
            elif char in (ord("["), ord("{")):
                self.depth += 1
                if self.depth > self.max_depth:
                    return False
            elif self.depth:
                self.depth -= 1
            position = found.end()
        return True


class _Refused(HTTPException, RefusedError):
    """Raised to the app from `receive` once the middleware has answered the request itself.

    An HTTPException, so FastAPI's body reader passes it on unchanged; what the app answers
    after it is dropped.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status_code=status, detail="request body refused")


class BodyLimitMiddleware:
    """Bound every request body (see the module docstring); any other traffic passes as is."""

    def __init__(
        self,
        app: ASGIApp,
        limits: tuple[BodyLimit, ...] = LIMITS,
        max_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.limits = limits
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = max_bytes(str(scope.get("method", "")), path, self.limits)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            await _too_large(path, limit)(scope, receive, send)
            return
        scanner = JsonDepthScanner(self.max_depth) if is_json(headers.get("content-type")) else None
        received = 0
        started = False
        answered = False

        async def refuse(response: Response) -> None:
            nonlocal answered
            if not started:
                await response(scope, receive, send)
                answered = True
            raise _Refused(response.status_code)

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await refuse(_too_large(path, limit))
                if scanner is not None and not scanner.feed(chunk):
                    await refuse(_too_deep(path, self.max_depth))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the request was answered by the middleware already
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            if not answered:
                raise
            # Answered 413 or 422: what the app did with the aborted body does not matter.


def _open311_format(path: str) -> Format | None:
    """The format of an Open311 resource path (XML when its extension is unknown), else None."""
    if path != OPEN311_PREFIX and not path.startswith(OPEN311_PREFIX + "/"):
        return None
    return parse_format(path.rpartition(".")[2]) or Format.XML


def _too_large(path: str, limit: int) -> Response:
    shown = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit // 1024} KiB"
    detail = f"the request body is larger than {shown}"
    output = _open311_format(path)
    if output is not None:
        return render_error(output, Open311Error(413, detail))
    return problem_response(
        413,
        detail,
        path,
        errors=[{"field": "body", "rule": "max_bytes", "message": detail}],
        max_bytes=limit,
    )


def _too_deep(path: str, depth: int) -> Response:
    detail = f"the JSON body nests arrays or objects deeper than {depth} levels"
    output = _open311_format(path)
    if output is not None:
        return render_error(output, Open311Error(400, detail))
    return problem_response(
        422,
        f"body: {detail}",
        path,
        errors=[{"field": "body", "rule": "max_depth", "message": detail}],
        max_depth=depth,
    )
