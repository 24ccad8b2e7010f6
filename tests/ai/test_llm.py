"""`StructuredClient` against a fake OpenAI-compatible endpoint (real SDK, fake HTTP).

The client's own behaviour, with a stand-in schema: the request it sends, validation,
the one repair call, error mapping, usage, timeouts and the SDK's retries. What the
analysis engine adds on top (prompts, payload, the question's result model) is tested in
tests/analyses/test_openai_engine.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

from app.ai.llm import (
    MAX_ERRORS_QUOTED,
    SHORT_ERROR,
    Answer,
    LLMDeadlineError,
    LLMError,
    StructuredClient,
    Usage,
    make_client,
)
from tests.ai.fake_openai import BASE_URL, FakeOpenAI, FakeReply, FakeTimeout


class Item(BaseModel):
    label: str
    share: float = Field(ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)


class Mini(BaseModel):
    """Stand-in schema: any Pydantic model works."""

    summary: str
    items: list[Item]


VALID = json.dumps({"summary": "ok", "items": [{"label": "joy", "share": 0.5, "evidence": ["p1"]}]})
OUT_OF_RANGE = json.dumps({"summary": "ok", "items": [{"label": "joy", "share": 7}]})
SYSTEM = "You are a test. Answer in English."
USER = 'Data: {"x": 1}'


def structured(
    fake: FakeOpenAI, *, max_retries: int = 0, timeout: float = 5.0, **kw: Any
) -> StructuredClient:
    return StructuredClient(
        client=fake.client(timeout=timeout, max_retries=max_retries), model="gpt-test", **kw
    )


async def ask(client: StructuredClient, **kw: Any) -> Answer[Mini]:
    kw.setdefault("language", "en")
    return await client.ask(system=SYSTEM, user=USER, schema=Mini, name="mini", **kw)


# --- the client and its request -------------------------------------------------------


def test_make_client_configures_the_sdk() -> None:
    client = make_client(base_url=BASE_URL, api_key="", timeout=12.5, max_retries=3)
    assert str(client.base_url) == BASE_URL + "/"
    assert client.api_key == "unused"  # keyless endpoints (Ollama, vLLM) still get one
    assert client.timeout == 12.5
    assert client.max_retries == 3
    assert StructuredClient(client=client, model="m").model == "m"


def test_usage_as_dict() -> None:
    assert Usage().as_dict() == {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}
    assert Usage(3, 2, 1).as_dict() == {"prompt_tokens": 3, "completion_tokens": 2, "calls": 1}


async def test_valid_answer_validates_and_records_usage_and_model() -> None:
    fake = FakeOpenAI([VALID], prompt_tokens=321, completion_tokens=45)
    answer = await ask(structured(fake))
    assert isinstance(answer.result, Mini)
    assert answer.result.items[0].label == "joy"
    assert answer.model == "fake-model-2025"  # the model the response names
    assert answer.usage.as_dict() == {"prompt_tokens": 321, "completion_tokens": 45, "calls": 1}
    assert fake.calls == 1
    req = fake.requests[0]
    assert req.method == "POST"
    assert req.path == "/v1/chat/completions"
    assert req.body["model"] == "gpt-test"
    assert req.body["temperature"] == 0.2
    assert req.messages == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER},
    ]
    assert req.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "pixely_mini", "schema": Mini.model_json_schema(), "strict": False},
    }


async def test_model_falls_back_to_configured_name() -> None:
    fake = FakeOpenAI([VALID], model="")
    answer = await ask(structured(fake))
    assert answer.model == "gpt-test"


async def test_temperature_none_is_not_sent() -> None:
    fake = FakeOpenAI([VALID])
    await ask(structured(fake, temperature=None))
    assert "temperature" not in fake.requests[0].body
    await ask(structured(fake, temperature=1.0))
    assert fake.requests[1].body["temperature"] == 1.0


@pytest.mark.parametrize("fence", ["```json\n{}\n```", "```\n{}\n```", "  ```JSON\n{}\n  ```  "])
async def test_code_fenced_json_is_accepted_without_repair(fence: str) -> None:
    fake = FakeOpenAI([fence.replace("{}", VALID)])
    answer = await ask(structured(fake))
    assert isinstance(answer.result, Mini)
    assert fake.calls == 1


async def test_headers_go_with_every_request() -> None:
    fake = FakeOpenAI(["nope", VALID])
    await ask(structured(fake), headers={"X-Pixely-Test": "yes", "X-Other": "2"})
    assert fake.calls == 2  # the repair call carries them too
    for req in fake.requests:
        assert req.headers["x-pixely-test"] == "yes"
        assert req.headers["x-other"] == "2"
        assert req.schema == Mini.model_json_schema()


# --- repair -----------------------------------------------------------------------------


async def test_invalid_json_then_repaired() -> None:
    fake = FakeOpenAI(['{"summary": "ok", "items": [', VALID])
    answer = await ask(structured(fake))
    assert isinstance(answer.result, Mini)
    assert fake.calls == 2
    assert answer.usage.as_dict() == {"prompt_tokens": 200, "completion_tokens": 40, "calls": 2}
    second = fake.requests[1].messages
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[:2] == fake.requests[0].messages
    assert second[2]["content"] == '{"summary": "ok", "items": ['
    repair = second[3]["content"]
    assert "not valid JSON" in repair
    assert "Invalid JSON" in repair  # pydantic's own error text is quoted
    assert "corrected JSON object only" in repair
    # The repair keeps the same structured-output request.
    assert fake.requests[1].body["response_format"] == fake.requests[0].body["response_format"]


async def test_schema_error_then_repaired_quotes_the_validation_error() -> None:
    fake = FakeOpenAI([OUT_OF_RANGE, VALID])
    answer = await ask(structured(fake))
    assert isinstance(answer.result, Mini)
    repair = fake.requests[1].messages[3]["content"]
    assert "does not match the required JSON schema" in repair
    assert "items.0.share: Input should be less than or equal to 1" in repair


async def test_repair_quotes_a_bounded_number_of_errors() -> None:
    many = json.dumps({"summary": "ok", "items": [{"label": "x", "share": 7}] * 12})
    fake = FakeOpenAI([many, VALID])
    await ask(structured(fake))
    repair = fake.requests[1].messages[3]["content"]
    assert repair.count("Input should be less than or equal to 1") == MAX_ERRORS_QUOTED
    assert f"... and {12 - MAX_ERRORS_QUOTED} more errors" in repair


@pytest.mark.parametrize(("language", "name"), [("es", "Spanish (español)"), ("en", "English")])
async def test_repair_message_keeps_the_language(language: str, name: str) -> None:
    fake = FakeOpenAI(["nope", VALID])
    await ask(structured(fake), language=language)
    assert f"human-readable text in {name}." in fake.requests[1].messages[3]["content"]


# --- failures ----------------------------------------------------------------------------


async def test_invalid_json_twice_fails_after_two_calls() -> None:
    fake = FakeOpenAI(["not json at all", "still { not json"])
    with pytest.raises(LLMError, match="invalid JSON twice") as info:
        await ask(structured(fake))
    assert fake.calls == 2
    assert info.value.usage.as_dict() == {
        "prompt_tokens": 200,
        "completion_tokens": 40,
        "calls": 2,
    }
    assert info.value.model == "fake-model-2025"


async def test_schema_mismatch_twice_fails_with_the_errors() -> None:
    fake = FakeOpenAI([OUT_OF_RANGE, json.dumps({"summary": "x"})])
    with pytest.raises(
        LLMError, match=r"did not validate as the mini result after one repair attempt: .*items"
    ):
        await ask(structured(fake))
    assert fake.calls == 2


async def test_truncated_answer_is_reported() -> None:
    cut = FakeReply(content='{"summary": "o', finish_reason="length")
    fake = FakeOpenAI([cut, cut])
    with pytest.raises(LLMError, match=r"invalid JSON twice \(.*output token limit\)"):
        await ask(structured(fake))
    assert fake.calls == 2


async def test_refusal_fails_without_repair() -> None:
    fake = FakeOpenAI([FakeReply(content=None, refusal="I can't help with that")])
    with pytest.raises(LLMError, match="refused to answer: I can't help with that") as info:
        await ask(structured(fake))
    assert fake.calls == 1
    assert info.value.usage.calls == 1  # the refusal was a completed (billed) call


async def test_no_choices_is_an_error() -> None:
    body = {
        "id": "chatcmpl-empty",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model-2025",
        "choices": [],
        "usage": {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7},
    }
    fake = FakeOpenAI([FakeReply(body=body)])
    with pytest.raises(LLMError, match="returned no choices") as info:
        await ask(structured(fake))
    assert info.value.usage.as_dict() == {"prompt_tokens": 7, "completion_tokens": 0, "calls": 1}


async def test_a_failed_repair_call_keeps_the_first_calls_usage() -> None:
    fake = FakeOpenAI(["nope", FakeReply(status=500)])
    with pytest.raises(LLMError, match="HTTP 500") as info:
        await ask(structured(fake))
    assert fake.calls == 2
    assert info.value.usage.calls == 1
    assert info.value.usage.prompt_tokens == 100
    assert info.value.model == "fake-model-2025"


# --- retries belong to the SDK -------------------------------------------------------------


async def test_429_then_success_is_retried_by_the_sdk() -> None:
    limited = FakeReply(status=429, headers={"retry-after-ms": "1"})
    fake = FakeOpenAI([limited, VALID])
    started = time.monotonic()
    answer = await ask(structured(fake, max_retries=2))
    assert isinstance(answer.result, Mini)
    assert fake.calls == 2
    assert answer.usage.calls == 1  # one completed call; the 429 cost nothing
    assert time.monotonic() - started < 2


async def test_5xx_after_retries_becomes_an_error_with_status() -> None:
    fake = FakeOpenAI([FakeReply(status=503, headers={"retry-after-ms": "1"})])
    with pytest.raises(LLMError, match=r"failed \(HTTP 503, after 1 retries\)") as info:
        await ask(structured(fake, max_retries=1))
    assert fake.calls == 2  # first attempt + one retry
    assert info.value.usage == Usage()  # nothing completed
    assert info.value.model == "gpt-test"  # no answer named a model


async def test_4xx_is_not_retried_and_the_endpoint_text_is_not_reflected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An endpoint can be any server (an internal page): its text is logged for the
    operator, never put in the message a user reads."""
    bad = FakeReply(status=400, body={"error": {"message": "response_format not supported"}})
    fake = FakeOpenAI([bad])
    with pytest.raises(LLMError, match=r"rejected the request \(HTTP 400\)") as info:
        await ask(structured(fake, max_retries=3))
    assert fake.calls == 1
    assert "response_format" not in str(info.value)
    assert "response_format not supported" in caplog.text


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (401, "refused the credentials"),
        (403, "refused the credentials"),
        (404, "no such endpoint or model"),
        (429, "rate limiting"),
        (422, "rejected the request"),
    ],
)
async def test_each_status_is_explained(status: int, says: str) -> None:
    secret = "<html>internal admin page: db password hunter2</html>"
    fake = FakeOpenAI([FakeReply(status=status, body={"error": {"message": secret}})])
    with pytest.raises(LLMError) as info:
        await ask(structured(fake, max_retries=0))
    assert says in str(info.value)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        "<html>not json</html>",
        {"choices": [{"message": None, "finish_reason": "stop", "index": 0}]},
        {"unexpected": True},
    ],
)
async def test_an_answer_that_is_not_a_completion_is_said_plainly(body: object) -> None:
    fake = FakeOpenAI([FakeReply(status=200, body=body)])
    with pytest.raises(LLMError) as info:
        await ask(structured(fake, max_retries=0))
    message = str(info.value)
    assert "not a chat completion" in message or "no choices" in message
    assert "Error" not in message  # no exception class names


async def test_the_deadline_bounds_every_attempt_together() -> None:
    """A model that never answers in time: one deadline across attempts and retries."""
    fake = FakeOpenAI([VALID], delay=5.0)
    started = time.perf_counter()
    with pytest.raises(LLMDeadlineError, match=r"did not answer within 0\.5 s") as info:
        await ask(structured(fake, max_retries=3, timeout=2.0), deadline=0.5)
    assert time.perf_counter() - started < 1.5
    assert info.value.usage == Usage()


async def test_the_deadline_keeps_the_usage_spent_before_it() -> None:
    """The first answer is invalid (tokens spent), the repair call hangs: the error
    carries the first call's usage."""

    def reply(request: Any) -> str:
        fake.delay = 5.0  # every later call hangs
        return OUT_OF_RANGE

    fake = FakeOpenAI([reply])
    with pytest.raises(LLMDeadlineError) as info:
        await ask(structured(fake, max_retries=0, timeout=10.0), deadline=0.5)
    assert info.value.usage.calls == 1
    assert info.value.usage.prompt_tokens > 0


async def test_long_api_messages_are_shortened_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = FakeReply(status=400, body={"error": {"message": "word\n  " * 500}})
    fake = FakeOpenAI([bad])
    with pytest.raises(LLMError) as info:
        await ask(structured(fake))
    assert "word" not in str(info.value)
    logged = next(r.getMessage() for r in caplog.records if "HTTP 400" in r.getMessage())
    detail = logged.split(": ", 1)[1]
    assert len(detail) == SHORT_ERROR
    assert detail.endswith("…")
    assert "\n" not in logged


async def test_unreachable_endpoint_is_an_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = make_client(
        base_url=BASE_URL,
        api_key="sk-test",
        timeout=5,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    )
    with pytest.raises(LLMError, match=f"could not reach the model API at {BASE_URL}/"):
        await ask(StructuredClient(client=client, model="gpt-test"))


# --- timeouts -----------------------------------------------------------------------------


async def test_transport_timeout_becomes_an_error() -> None:
    fake = FakeOpenAI([FakeTimeout()])
    with pytest.raises(LLMError, match="timed out"):
        await ask(structured(fake))
    assert fake.calls == 1


async def test_slow_server_hits_the_client_timeout() -> None:
    fake = FakeOpenAI([VALID], delay=1.0)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"timed out \(after 0.05 s per attempt and 0 retries\)"):
        await ask(structured(fake, timeout=0.05))
    assert time.monotonic() - started < 0.9
