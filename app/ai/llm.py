"""Language models behind an OpenAI-compatible chat-completions endpoint.

OpenAI, Azure, the Gemini or Anthropic compatibility endpoints, vLLM and Ollama all speak
`POST {base_url}/chat/completions`. `StructuredClient.ask` sends a system and a user
message and asks for structured output with the JSON schema of a Pydantic model
(`response_format={"type": "json_schema", ...}`), validates the answer with the same
model, and on invalid JSON or a validation error makes exactly one repair call (the
answer goes back with the validation errors); if that fails too, it raises `LLMError`.

Retries of 429/5xx/timeouts (with exponential backoff, honouring `retry-after`) are the
SDK's job (`max_retries`); what is left after them becomes an `LLMError` saying what
happened, with the usage the failed calls cost. Token usage and the model that answered
are returned with every answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from app.ai.prompts import LANGUAGE_NAMES

M = TypeVar("M", bound=BaseModel)

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
    ) -> Answer[M]:
        """The model's answer to (system, user) as a valid `schema` instance.

        `name` names the schema for the endpoint and in error messages; `language` ("es"
        or "en") is the language the repair message asks the texts to stay in.
        """
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
        tally = _Tally(self._model)
        sent = dict(headers or {})
        content = await self._call(messages, response_format, sent, tally)
        try:
            result = schema.model_validate_json(_unfence(content))
        except ValidationError as first_error:
            messages += [
                {"role": "assistant", "content": content},
                {"role": "user", "content": _repair_message(first_error, language)},
            ]
            content = await self._call(messages, response_format, sent, tally)
            try:
                result = schema.model_validate_json(_unfence(content))
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
            raise LLMError(
                f"could not reach the model API at {self._client.base_url}"
                f" (after {self._client.max_retries} retries): {_short(exc)}",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMError(
                f"the model API answered HTTP {exc.status_code}"
                f" (after up to {self._client.max_retries} retries): {_short(_api_detail(exc))}",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.OpenAIError as exc:
            raise LLMError(
                f"the model API call failed: {_short(exc)}", usage=tally.usage(), model=tally.model
            ) from exc

        tally.add(completion)
        if not completion.choices:
            raise LLMError(
                "the model API returned no choices", usage=tally.usage(), model=tally.model
            )
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise LLMError(
                f"the model refused to answer: {_short(refusal)}",
                usage=tally.usage(),
                model=tally.model,
            )
        if choice.finish_reason == "length":
            tally.truncated = True
        return choice.message.content or ""


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


def _unfence(content: str) -> str:
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
        return f"the model returned invalid JSON twice{cut}: {_short(detail)}"
    return (
        f"the model's answer did not validate as the {name} result after one repair"
        f" attempt{cut}: {_short(detail)}"
    )


def _api_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message)


def _short(value: object) -> str:
    text = _SPACE_RE.sub(" ", str(value)).strip()
    return text if len(text) <= SHORT_ERROR else text[: SHORT_ERROR - 1] + "…"
