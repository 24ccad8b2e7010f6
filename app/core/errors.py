"""One error format for every 4xx/5xx: RFC 9457 `application/problem+json`.

Services raise `AppError` subclasses that carry their status; the handlers here render
them, FastAPI's validation errors and anything unexpected in the same shape.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import asyncpg
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.routing import allowed_methods

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://pixely.dev/problems/"


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'email']")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details. Its examples are per status, on each documented error
    response (`problem_example`, written by app/core/openapi.py), not on the schema: one
    example here showed as every status's."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str = Field(description="The kind of problem, the same for every one of a status")
    status: int = Field(description="The HTTP status")
    detail: str | None = Field(default=None, description="This occurrence, in a sentence")
    instance: str | None = Field(default=None, description="The path that was requested")
    request_id: str | None = Field(default=None, description="As in the X-Request-ID header")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Each field's problem, when the request was invalid"
    )


class AppError(Exception):
    status_code = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers
        self.errors = errors


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status_code = 401
    slug = "unauthorized"
    title = "Not authenticated"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(AppError):
    status_code = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status_code = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnprocessableEntity(AppError):
    status_code = 422
    slug = "validation-error"
    title = "Validation error"


class TooManyRequests(AppError):
    status_code = 429
    slug = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    status_code = 503
    slug = "service-unavailable"
    title = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached, or the connection to it was lost: 503 with
    Retry-After (`DB_RETRY_AFTER_SECONDS`).

    `retryable`: a connection the request held was lost (not refused), so a read may run
    once more on a fresh one (`RetryReads`, app/core/session.py).
    """

    def __init__(self, detail: str | None = None, *, retryable: bool = False) -> None:
        super().__init__(detail or "The database cannot be reached; try again shortly.")
        self.retryable = retryable


class RetryRequest(Exception):
    """Raised instead of answering 503 for a read that `RetryReads` will run once more."""


# SQLSTATE class 08 (connection exception) and the server shutting down (57P01 by an
# administrator or a restart, 57P02 after a crash): the connection is gone. Starting up
# (57P03) and too many connections (53300): no connection was made.
_CONNECTION_LOST = frozenset({"57P01", "57P02"})
_NOT_CONNECTED = frozenset({"57P03", "53300"})
# Set in a request's scope by RetryReads: the request may run once more.
RETRY_READ = "pixely.retry_read"


class BadGateway(AppError):
    """An outside service (a language model) answered with an error."""

    status_code = 502
    slug = "bad-gateway"
    title = "Bad gateway"


class GatewayTimeout(AppError):
    """An outside service (a language model) did not answer in time."""

    status_code = 504
    slug = "gateway-timeout"
    title = "Gateway timeout"


_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Validation error"),
    429: ("too-many-requests", "Too many requests"),
    502: ("bad-gateway", "Bad gateway"),
    503: ("service-unavailable", "Service unavailable"),
    504: ("gateway-timeout", "Gateway timeout"),
}


# What a problem of each status says, as the API words it (the OpenAPI examples).
_EXAMPLE_DETAILS = {
    400: "The request body is not valid JSON",
    401: "Missing bearer token or X-API-Key",
    403: "This action needs the admin role or higher",
    404: "Not found",
    405: "PUT is not allowed here; use GET, PATCH, DELETE",
    406: "Not acceptable",
    409: "This Idempotency-Key was used with a different request",
    413: "The request body is larger than 1048576 bytes, this endpoint's limit",
    415: (
        "Unsupported content type 'text/plain': send application/json (an array), "
        "text/csv, or multipart/form-data with a 'file' field"
    ),
    422: "body.name: String should have at least 1 character",
    429: "Too many failed logins; try again later",
    502: "The language model answered with an error (HTTP 500); the failed turn is stored.",
    503: "The database cannot be reached; try again shortly.",
    504: (
        "The language model did not answer within the run's deadline. The failed run is "
        "stored: GET /api/v1/analyses/{run_id}; run it again later, or with the local engine."
    ),
}
_EXAMPLE_ERRORS = [
    {
        "loc": ["body", "name"],
        "msg": "String should have at least 1 character",
        "type": "string_too_short",
    }
]
_EXAMPLE_REQUEST_ID = "5f0c2a9e8b7d4c1fa3e6b9d2c4f8a1e7"


def problem_example(status: int, *, instance: str, detail: str | None = None) -> dict[str, Any]:
    """An example problem of `status` (a valid `Problem`) for the OpenAPI document."""
    slug, title = _HTTP_TITLES.get(status, ("error", "Error"))
    example: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail or _EXAMPLE_DETAILS.get(status, title),
        "instance": instance,
        "request_id": _EXAMPLE_REQUEST_ID,
    }
    if status == UnprocessableEntity.status_code:
        example["errors"] = _EXAMPLE_ERRORS
    return example


def problem_title(status: int) -> str:
    """The title of a status's problems (its OpenAPI description)."""
    return _HTTP_TITLES.get(status, ("error", "Error"))[1]


def problem_response(
    request: Request,
    status: int,
    *,
    slug: str,
    title: str,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": correlation_id.get(),
    }
    if errors is not None:
        body["errors"] = errors
    if body["request_id"]:
        # The 500 handler runs outside the request-id middleware: echo the header here.
        headers = {**(headers or {}), "X-Request-ID": body["request_id"]}
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _clean_validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for err in raw:
        loc = [p if isinstance(p, (str, int)) else str(p) for p in err.get("loc", ())]
        cleaned.append(
            {
                "loc": loc,
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return cleaned


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        exc.status_code,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _clean_validation_errors(list(exc.errors()))
    first = errors[0] if errors else None
    detail = (
        f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else "Invalid request"
    )
    return problem_response(
        request,
        422,
        slug="validation-error",
        title="Validation error",
        detail=detail,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("error", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        # Starlette names the methods of the first route it tried; the resource takes those
        # of every route at its path (RFC 9110: a 405 lists them all in Allow).
        methods = allowed_methods(request.app.router.routes, request.scope["path"])
        headers = {**(headers or {}), "Allow": ", ".join(methods)}
        detail = f"{request.method} is not allowed here; use {', '.join(methods)}"
    return problem_response(
        request, exc.status_code, slug=slug, title=title, detail=detail, headers=headers
    )


async def _deleted_meanwhile(request: Request, exc: Exception) -> JSONResponse:
    """A row this request read was deleted by another before this one's UPDATE reached it
    (SQLAlchemy's StaleDataError: 0 rows matched): it is gone, so 404, not a 500."""
    return problem_response(
        request,
        NotFound.status_code,
        slug=NotFound.slug,
        title=NotFound.title,
        detail="Not found: it was deleted by another request meanwhile",
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        500,
        slug="internal-error",
        title="Internal server error",
        detail="An unexpected error occurred; it has been logged.",
    )


def database_unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """A `DatabaseUnavailable` if `exc` says the database could not be reached or the
    connection was lost, else None. Told by type and SQLSTATE (asyncpg's errors, and
    SQLAlchemy's wrappers of them: their cause), never by the message's text."""
    current: BaseException | None = exc
    for _ in range(8):  # a chain of causes, never a long one
        if current is None or isinstance(current, DatabaseUnavailable):
            return current
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:  # SQLAlchemy found the connection closed
                return DatabaseUnavailable(retryable=True)
            current = current.orig or current.__cause__
            continue
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            if state in _NOT_CONNECTED:
                return DatabaseUnavailable()
            if state.startswith("08") or state in _CONNECTION_LOST:
                return DatabaseUnavailable(retryable=True)
        current = current.__cause__
    return None


class _OutageLog:
    """One warning per interval while the database is unavailable, not one per request."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self.last = float("-inf")
        self.count = 0

    def note(self, request: Request, exc: Exception) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.interval:
            cause = exc.__cause__ or exc
            logger.warning(
                "database unavailable (%s): %d request(s) answered 503, the last %s %s",
                type(cause).__name__,
                self.count,
                request.method,
                request.url.path,
            )
            self.last, self.count = now, 0


_outage_log = _OutageLog()


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After for an outage (by `database_unavailable`); any other driver
    error goes on to the 500 handler. Answered here, by the handlers Starlette runs inside
    the app, so the response is sent and the connection kept (the 500 handler's error
    would also be re-raised to the server, which then closes the connection)."""
    problem = database_unavailable(exc)
    if problem is None:
        raise exc
    if problem.retryable and request.scope.pop(RETRY_READ, False):
        raise RetryRequest from exc
    _outage_log.note(request, exc)
    retry_after = request.app.state.settings.db_retry_after_seconds
    return problem_response(
        request,
        problem.status_code,
        slug=problem.slug,
        title=problem.title,
        detail=problem.detail,
        headers={"Retry-After": str(retry_after)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(asyncpg.PostgresError, _database_unavailable)
    app.add_exception_handler(StaleDataError, _deleted_meanwhile)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json errors (app/core/openapi.py
    writes them as `application/problem+json` with the Problem schema, and adds the
    statuses every operation can answer: 400, 413, 503)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": Problem, "description": problem_title(status)}
    return out
