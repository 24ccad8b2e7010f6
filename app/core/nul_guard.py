"""Reject NUL characters in query strings before they reach PostgreSQL (which cannot
store them in text and would answer with an error: a 500 instead of a clear 4xx).
Request bodies are guarded by StrictModel."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class RejectNulQueryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope.get("query_string", b""):
            body = json.dumps(
                {
                    "type": "https://pixely.dev/problems/bad-request",
                    "title": "Bad request",
                    "status": 400,
                    "detail": "Query parameters must not contain NUL characters",
                    "instance": scope.get("path"),
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
