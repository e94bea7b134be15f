"""RFC 9457 problem details (`application/problem+json`) for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import HotlineError

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Step refused",
    413: "Payload too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class Problem(HotlineError):
    """Raise anywhere in a handler to answer with a problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem_response(
    status: int, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://hotline12345.example/problems/{status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """One entry per broken field: where it is and which rule it breaks (never its value)."""
    return [
        {
            "field": ".".join(str(part) for part in issue["loc"]),
            "rule": issue["type"],
            "message": issue["msg"],
        }
        for issue in error.errors()
    ]


def install(app: FastAPI) -> None:
    """Problem documents for `Problem`, invalid input, HTTP errors and outages (503)."""
    # Imported here: api.unavailable builds its answers with this module's problem_response.
    from api import unavailable

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        kind = unavailable.outage(exc)  # a refusal that an outage caused is an outage
        if kind is not None:
            return unavailable.unavailable_response(request, kind)
        return problem_response(exc.status, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(422, summary, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), request.url.path)

    unavailable.install(app)
