"""Request body limits, enforced before anything reads the body.

A request body may be at most `MAX_BODY_BYTES` (1 MiB by default), unless its route
declares a larger limit by decorating its endpoint with `@large_body(kind)`: the imports
take `IMPORT_MAX_BYTES` (`@large_body("import")`), document uploads `DOCUMENT_MAX_BYTES`
(`@large_body("document")`). The middleware runs before routing, FastAPI and
authentication (FastAPI reads and parses a body before it solves the dependencies that
authenticate):

- a declared `Content-Length` over the limit is answered at once, without reading a byte;
- a body sent without one (chunked) is read ahead by the middleware up to the default
  limit, before the application runs: past it, on a route without a larger limit, it is
  refused there (at most the limit plus one network read was held, and nothing of it
  is left for the garbage collector); on a route with one, the application streams the
  rest, counted, and is stopped at the first read past the route's limit;

either way with a 413 problem+json, the one error format. The route's own limit is looked
up (by matching the app's routes) only for a body that passes the default, so ordinary
requests pay nothing for it.

The connection is not left hanging, nor does the server spend its time on a body it
refused. The 413 is written first in either case; then, if at most `DRAIN_MAX` (4 MiB)
of the body is still to come, the server reads it and drops it (holding none of it) and
serves the next request on the same connection (uvicorn does so with both of its HTTP
parsers); otherwise, or if the body's length is unknown and it is still arriving, the
answer says `Connection: close` and the server closes the connection once the 413 is
written. A client still sending then gets a reset for its writes, but the 413 is already
in its receive buffer: clients that read the answer after a failed write show it (curl,
httpx and requests did, with 40 MB bodies sent either way; Python's urllib reports the
broken pipe instead). A client that sent `Expect: 100-continue` is refused before it
sends the body, which it may then never send: that connection is closed too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from starlette.requests import Request
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import PayloadTooLarge, problem_response

LargeBody = Literal["import", "document"]
# Room for a multipart form's boundaries and part headers around a file of the full
# IMPORT_MAX_BYTES or DOCUMENT_MAX_BYTES (the file itself is measured again by its reader).
FORM_MARGIN = 64 * 1024
# How each kind of large body reads its limit from the settings.
LARGE_BODY_LIMITS: dict[str, Callable[[Settings], int]] = {
    "import": lambda settings: settings.import_max_bytes + FORM_MARGIN,
    "document": lambda settings: settings.document_max_bytes + FORM_MARGIN,
}
_ATTRIBUTE = "pixely_large_body"
# A refused body with at most this much still to come is read and dropped by the server,
# which keeps the connection; a longer one, or one of unknown length still arriving, is
# answered with `Connection: close` (the server does not spend its time on it).
DRAIN_MAX = 4 * 1024 * 1024

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def large_body(kind: LargeBody) -> Callable[[Endpoint], Endpoint]:
    """Let an endpoint take bodies up to `kind`'s limit instead of MAX_BODY_BYTES. Put it
    under the route decorator (it marks the function the route is built from)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ATTRIBUTE, kind)
        return endpoint

    return mark


class _Refused(Exception):
    """Raised into the application when the body it reads passes the limit."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, router: Router) -> None:
        self.app = app
        self.settings = settings
        self.router = router  # read at request time: routes are added after this

    def route_limit(self, scope: Scope) -> int:
        """The limit of the route the request goes to (the default if it declares none)."""
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                kind = getattr(getattr(route, "endpoint", None), _ATTRIBUTE, None)
                if kind is not None:
                    return LARGE_BODY_LIMITS[kind](self.settings)
                break
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        chunked = expect_continue = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"expect":
                expect_continue = value.lower() == b"100-continue"
        if declared is None and not chunked and scope.get("http_version", "1.1") < "2":
            await self.app(scope, receive, send)  # HTTP/1 without either header: no body
            return
        limit = self.settings.max_body_bytes
        looked_up = False
        if chunked or declared is None:
            # Length unknown: read up to the default limit before the application runs, so
            # that a body past it (on a route without a larger limit) never reaches it.
            head = await _read_ahead(receive, limit)
            if head is None:
                return  # the client left
            body, more = head
            if len(body) > limit:
                limit, looked_up = self.route_limit(scope), True
                if len(body) > limit:
                    # Close if the body is still arriving: its length is unknown.
                    await self._refuse(scope, send, limit, close=more)
                    return
            receive = _replay(body, more, receive)
        elif declared > limit:
            limit, looked_up = self.route_limit(scope), True
            if declared > limit:
                close = expect_continue or declared > DRAIN_MAX
                await self._refuse(scope, send, limit, close=close)
                return

        # What the application reads is counted too: the rest of a long body on a route
        # that takes one, and (a safety net) a body longer than its Content-Length.
        received = 0
        refused = started = False
        more = True

        async def limited_receive() -> Message:
            nonlocal received, limit, looked_up, refused, more
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                more = message.get("more_body", False)
                if received > limit and not looked_up:
                    limit, looked_up = self.route_limit(scope), True
                if received > limit:
                    refused = True
                    raise _Refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the application's answer to a body cut short: the 413 replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await self._refuse(scope, send, limit, close=more)

    async def _refuse(self, scope: Scope, send: Send, limit: int, *, close: bool) -> None:
        response = problem_response(
            Request(scope),
            PayloadTooLarge.status_code,
            slug=PayloadTooLarge.slug,
            title=PayloadTooLarge.title,
            detail=f"The request body is larger than {limit} bytes, this endpoint's limit",
            headers={"Connection": "close"} if close else None,
        )
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


async def _read_ahead(receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The body's first bytes, until it ends or passes `limit`, and whether more follow;
    None if the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), more


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives `body` first, then the rest of the request from `receive`."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": more}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay
