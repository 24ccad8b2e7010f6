"""Language models behind an OpenAI-compatible chat-completions endpoint.

OpenAI, Azure, the Gemini or Anthropic compatibility endpoints, vLLM and Ollama all speak
`POST {base_url}/chat/completions`. `StructuredClient.ask` sends a system and a user
message and asks for structured output with the JSON schema of a Pydantic model
(`response_format={"type": "json_schema", ...}`), validates the answer with the same
model, and on invalid JSON or a validation error makes exactly one repair call (the
answer goes back with the validation errors); if that fails too, it raises `LLMError`.

Retries of 429/5xx/timeouts (with exponential backoff, honouring `retry-after`) are the
SDK's job (`max_retries`); what is left after them becomes an `LLMError` saying what
happened in a sentence a user can act on, with the usage the failed calls cost. The
endpoint's own error text is logged, never put in the message: an endpoint can be any
server, and its pages must not be reflected to users. `deadline` bounds one answer
across every attempt and the repair call. Token usage and the model that answered are
returned with every answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from app.ai.prompts import LANGUAGE_NAMES

M = TypeVar("M", bound=BaseModel)
logger = logging.getLogger(__name__)

MAX_ERRORS_QUOTED = 8  # validation errors quoted in the repair message
SHORT_ERROR = 300  # characters of an error detail in an exception message
_FENCE_RE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(?P<body>.*)\n\s*```$", re.DOTALL)
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "calls": self.calls,
        }


@dataclass(frozen=True, slots=True)
class Answer(Generic[M]):
    result: M  # validated
    model: str  # the model that answered (as the endpoint names it)
    usage: Usage


class LLMError(Exception):
    """The model's answer could not be used; `usage` is what the failed calls cost."""

    def __init__(self, message: str, *, usage: Usage, model: str) -> None:
        super().__init__(message)
        self.usage = usage
        self.model = model


class LLMDeadlineError(LLMError):
    """No usable answer within the deadline (attempts and the repair call included)."""


def make_client(
    *,
    base_url: str | None,
    api_key: str,
    timeout: float,
    max_retries: int,
    http_client: httpx.AsyncClient | None = None,
) -> AsyncOpenAI:
    """An `AsyncOpenAI` for any compatible endpoint.

    `base_url` None means OpenAI itself (or `OPENAI_BASE_URL` if set); e.g.
    "http://localhost:11434/v1" for Ollama. `timeout` is seconds per HTTP attempt;
    `max_retries` is how many times the SDK retries connection errors, timeouts, 408,
    409, 429 and 5xx with exponential backoff (0.5 s doubling up to 8 s, or the server's
    `retry-after`). Endpoints that need no key (Ollama, vLLM) accept any non-empty one.
    """
    return AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or "unused",
        timeout=timeout,
        max_retries=max_retries,
        # The SDK accepts httpx.AsyncClient as well as its own httpx2 client.
        http_client=cast(Any, http_client),
    )


class StructuredClient:
    """Structured answers from one model of an OpenAI-compatible endpoint."""

    def __init__(self, *, client: AsyncOpenAI, model: str, temperature: float | None = 0.2) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature  # None: not sent (models that only accept 1)

    @property
    def model(self) -> str:
        return self._model

    async def ask(
        self,
        *,
        system: str,
        user: str,
        schema: type[M],
        name: str,
        language: str,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> Answer[M]:
        """The model's answer to (system, user) as a valid `schema` instance.

        `name` names the schema for the endpoint and in error messages; `language` ("es"
        or "en") is the language the repair message asks the texts to stay in;
        `deadline` (seconds) bounds the whole answer, retries and repair included.
        """
        tally = _Tally(self._model)
        try:
            async with asyncio.timeout(deadline):
                return await self._ask(system, user, schema, name, language, headers, tally)
        except TimeoutError:
            raise LLMDeadlineError(
                f"the model did not answer within {deadline:g} s",
                usage=tally.usage(),
                model=tally.model,
            ) from None

    async def _ask(
        self,
        system: str,
        user: str,
        schema: type[M],
        name: str,
        language: str,
        headers: Mapping[str, str] | None,
        tally: _Tally,
    ) -> Answer[M]:
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": f"pixely_{name}",
                "schema": schema.model_json_schema(),
                "strict": False,
            },
        }
        sent = dict(headers or {})
        content = await self._call(messages, response_format, sent, tally)
        try:
            result = schema.model_validate_json(unfence(content))
        except ValidationError as first_error:
            messages += [
                {"role": "assistant", "content": content},
                {"role": "user", "content": _repair_message(first_error, language)},
            ]
            content = await self._call(messages, response_format, sent, tally)
            try:
                result = schema.model_validate_json(unfence(content))
            except ValidationError as second_error:
                raise LLMError(
                    _failure_message(name, first_error, second_error, tally.truncated),
                    usage=tally.usage(),
                    model=tally.model,
                ) from second_error
        return Answer(result=result, model=tally.model, usage=tally.usage())

    async def _call(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any],
        headers: dict[str, str],
        tally: _Tally,
    ) -> str:
        extra: dict[str, Any] = {}
        if self._temperature is not None:
            extra["temperature"] = self._temperature
        try:
            completion = await self._client.chat.completions.create(
                model=self._model,
                messages=cast(Any, messages),
                response_format=cast(Any, response_format),
                extra_headers=headers,
                **extra,
            )
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"the model API timed out (after {self._client.timeout} s per attempt and"
                f" {self._client.max_retries} retries)",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.APIConnectionError as exc:
            logger.warning(
                "model API unreachable at %s: %s", self._client.base_url, short_text(exc)
            )
            raise LLMError(
                f"could not reach the model API at {self._client.base_url}"
                f" (after {self._client.max_retries} retries)",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.APIStatusError as exc:
            logger.warning(
                "model API answered HTTP %s: %s", exc.status_code, short_text(_api_detail(exc))
            )
            raise LLMError(
                status_message(exc.status_code, self._client.max_retries),
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            logger.warning("model API call failed: %s", short_text(repr(exc)))
            raise LLMError(
                "the model API's answer is not a chat completion (is the base URL an "
                "OpenAI-compatible endpoint?)",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        tally.add(completion)
        try:
            choices = list(completion.choices or ())
            if not choices:
                raise LLMError(
                    "the model API returned no choices", usage=tally.usage(), model=tally.model
                )
            choice = choices[0]
            refusal = getattr(choice.message, "refusal", None)
            if refusal:
                raise LLMError(
                    f"the model refused to answer: {short_text(refusal)}",
                    usage=tally.usage(),
                    model=tally.model,
                )
            if choice.finish_reason == "length":
                tally.truncated = True
            return str(choice.message.content or "")
        except (AttributeError, TypeError, IndexError) as exc:  # a body shaped otherwise
            raise LLMError(
                "the model API's answer is not a chat completion (is the base URL an "
                "OpenAI-compatible endpoint?)",
                usage=tally.usage(),
                model=tally.model,
            ) from exc


class _Tally:
    """Usage and model name summed over the calls of one run."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.calls = 0
        self.truncated = False

    def add(self, completion: Any) -> None:
        self.calls += 1
        if getattr(completion, "model", None):
            self.model = str(completion.model)
        usage = getattr(completion, "usage", None)
        if usage is not None:
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def usage(self) -> Usage:
        return Usage(self.prompt_tokens, self.completion_tokens, self.calls)


# --- answers -----------------------------------------------------------------------------


def unfence(content: str) -> str:
    """The JSON inside a ```json fence some compatible servers add; else the text."""
    text = content.strip()
    match = _FENCE_RE.match(text)
    return match.group("body") if match else text


def _is_json_error(error: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" for e in error.errors())


def _error_lines(error: ValidationError) -> list[str]:
    lines = []
    errors = error.errors(include_url=False, include_input=False)
    for e in errors[:MAX_ERRORS_QUOTED]:
        loc = ".".join(str(part) for part in e["loc"]) or "(root)"
        lines.append(f"{loc}: {e['msg']}")
    if len(errors) > MAX_ERRORS_QUOTED:
        lines.append(f"... and {len(errors) - MAX_ERRORS_QUOTED} more errors")
    return lines


def _repair_message(error: ValidationError, language: str) -> str:
    what = (
        "is not valid JSON" if _is_json_error(error) else "does not match the required JSON schema"
    )
    errors = "\n".join(f"- {line}" for line in _error_lines(error))
    lang = LANGUAGE_NAMES.get(language, language)
    return (
        f"Your previous answer {what}. Validation errors:\n{errors}\n\n"
        "Reply again with the corrected JSON object only: no prose, no code fences. "
        "Keep every figure grounded in the payload, and keep human-readable text in "
        f"{lang}."
    )


def _failure_message(
    name: str, first: ValidationError, second: ValidationError, truncated: bool
) -> str:
    detail = "; ".join(_error_lines(second))
    cut = " (the answer was cut off at the model's output token limit)" if truncated else ""
    if _is_json_error(first) and _is_json_error(second):
        return f"the model returned invalid JSON twice{cut}: {short_text(detail)}"
    return (
        f"the model's answer did not validate as the {name} result after one repair"
        f" attempt{cut}: {short_text(detail)}"
    )


class EndpointRefused(ValueError):
    """A model endpoint the server will not call (its address is not public)."""


async def check_endpoint(base_url: str, allowed_hosts: Collection[str] = ()) -> None:
    """Refuse an endpoint whose host resolves to an address that is not public
    (loopback, private, link-local, shared, reserved...), unless the host is in
    `allowed_hosts` (lowercase names, e.g. an Ollama on the office network).

    The addresses are resolved, not judged by the name ("localtest.me" is 127.0.0.1).
    The HTTP client resolves again when it connects, so a name whose answer changes in
    between (DNS rebinding) is not caught here; `allowed_hosts` plus an egress firewall
    is the complete answer for a server that must never reach inside.
    """
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError):
        raise EndpointRefused("the base URL is not a valid URL") from None
    host = (url.host or "").lower()
    if url.scheme not in ("http", "https") or not host:
        raise EndpointRefused("the base URL must be an http or https URL with a host")
    if host in allowed_hosts:
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port)
    except (OSError, ValueError):  # UnicodeError: a label longer than DNS allows
        raise EndpointRefused(f"the host {host[:100]!r} cannot be resolved") from None
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global:
            raise EndpointRefused(
                f"the host {host!r} resolves to a non-public address ({address}); the "
                "server only calls public model endpoints unless its settings allow "
                "the host (AI_ENDPOINT_ALLOWED_HOSTS)"
            )


def status_message(status: int, retries: int) -> str:
    """What an HTTP error of the endpoint means for the user (its body is only logged)."""
    if status in (401, 403):
        return f"the model API refused the credentials (HTTP {status}): check the API key"
    if status == 404:
        return (
            "the model API has no such endpoint or model (HTTP 404): check the base URL "
            "and the model name"
        )
    if status == 429:
        return f"the model API is rate limiting (HTTP 429, after {retries} retries); try later"
    if status >= 500:
        return f"the model API failed (HTTP {status}, after {retries} retries); try later"
    return f"the model API rejected the request (HTTP {status})"


def _api_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message)


def short_text(value: object) -> str:
    text = _SPACE_RE.sub(" ", str(value)).strip()
    return text if len(text) <= SHORT_ERROR else text[: SHORT_ERROR - 1] + "…"
