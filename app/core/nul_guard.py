"""Reject NUL characters in query strings before they reach PostgreSQL (which cannot
store them in text and would answer with an error: a 500 instead of a clear 4xx).
Request bodies are guarded by StrictModel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import problem_response


class RejectNulQueryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope.get("query_string", b""):
            response = problem_response(
                Request(scope),
                400,
                slug="bad-request",
                title="Bad request",
                detail="Query parameters must not contain NUL characters",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
