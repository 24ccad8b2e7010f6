"""A fake OpenAI-compatible `/chat/completions` endpoint at the HTTP boundary.

The real `openai` SDK runs against it (request building, retries, timeouts, parsing):
only the transport is fake.

    fake = FakeOpenAI(['{"label": "ok"}'])                 # answers in sequence
    client = fake.client(max_retries=0)                    # AsyncOpenAI over MockTransport
    ...
    fake.calls, fake.requests[0].body["messages"], fake.requests[0].headers

Replies are a JSON string (the assistant's content), a `FakeReply` (status, headers,
raw body), a `FakeTimeout` (the transport raises `httpx.ReadTimeout`) or a callable
`(FakeRequest) -> reply` for answers that depend on the request (e.g. concurrent runs
of different questions: see `question_of`). Past the end of the sequence the last reply
repeats. `delay` (seconds, per call) sleeps before answering; when it exceeds the
client's read timeout the call sleeps the timeout and raises `httpx.ReadTimeout`, like a
real slow server. `max_concurrent` records the highest number of calls in flight.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from openai import AsyncOpenAI

from app.ai.llm import make_client
from app.analyses.engines import QUESTION_HEADER

BASE_URL = "http://fake-openai.test/v1"


@dataclass(frozen=True)
class FakeReply:
    """A raw HTTP answer (errors, odd bodies); `content` builds a normal completion."""

    status: int = 200
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # JSON body; defaults to a completion (200) or an OpenAI error
    finish_reason: str = "stop"
    refusal: str | None = None


@dataclass(frozen=True)
class FakeTimeout:
    """The transport raises httpx.ReadTimeout for this call."""


Reply = str | FakeReply | FakeTimeout | Callable[["FakeRequest"], "str | FakeReply | FakeTimeout"]


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]
    started: float  # time.monotonic() when the call arrived

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def schema(self) -> Any:
        return self.body["response_format"]["json_schema"]["schema"]


def question_of(request: FakeRequest) -> str | None:
    """The question key of an engine request (from its header), for per-question replies."""
    return request.headers.get(QUESTION_HEADER.lower())


class FakeOpenAI:
    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        delay: float = 0.0,
        model: str = "fake-model-2025",
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
    ) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.requests: list[FakeRequest] = []
        self.in_flight = 0
        self.max_concurrent = 0

    @property
    def calls(self) -> int:
        return len(self.requests)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport())

    def client(self, *, timeout: float = 5.0, max_retries: int = 0) -> AsyncOpenAI:
        return make_client(
            base_url=BASE_URL,
            api_key="sk-test",
            timeout=timeout,
            max_retries=max_retries,
            http_client=self.http_client(),
        )

    async def handler(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        recorded = FakeRequest(
            method=request.method,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=json.loads(raw) if raw else {},
            started=time.monotonic(),
        )
        index = len(self.requests)
        self.requests.append(recorded)
        self.in_flight += 1
        self.max_concurrent = max(self.max_concurrent, self.in_flight)
        try:
            if not request.url.path.endswith("/chat/completions"):
                return httpx.Response(404, json={"error": {"message": "not found"}})
            if self.delay:
                read_timeout = (request.extensions.get("timeout") or {}).get("read")
                if read_timeout is not None and self.delay > read_timeout:
                    await asyncio.sleep(read_timeout)
                    raise httpx.ReadTimeout("fake server too slow", request=request)
                await asyncio.sleep(self.delay)
            reply = self._reply(index, recorded)
            if isinstance(reply, FakeTimeout):
                raise httpx.ReadTimeout("fake read timeout", request=request)
            if isinstance(reply, str):
                reply = FakeReply(content=reply)
            return self._response(reply, recorded)
        finally:
            self.in_flight -= 1

    def _reply(self, index: int, request: FakeRequest) -> str | FakeReply | FakeTimeout:
        if not self.replies:
            raise AssertionError("FakeOpenAI has no reply configured")
        reply = self.replies[min(index, len(self.replies) - 1)]
        return reply(request) if callable(reply) else reply

    def _response(self, reply: FakeReply, request: FakeRequest) -> httpx.Response:
        headers = {"content-type": "application/json", **reply.headers}
        if reply.body is not None:
            return httpx.Response(reply.status, headers=headers, json=reply.body)
        if reply.status >= 400:
            body = {"error": {"message": f"fake error {reply.status}", "type": "fake"}}
            return httpx.Response(reply.status, headers=headers, json=body)
        return httpx.Response(reply.status, headers=headers, json=self.completion(reply, request))

    def completion(self, reply: FakeReply, request: FakeRequest) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": reply.content,
                        "refusal": reply.refusal,
                    },
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            },
        }
