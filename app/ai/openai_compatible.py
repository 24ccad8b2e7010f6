"""The `openai` analysis engine: any OpenAI-compatible chat-completions endpoint.

OpenAI, Azure, the Gemini or Anthropic compatibility endpoints, vLLM and Ollama all speak
`POST {base_url}/chat/completions`. For one question the engine:

1. builds a compact JSON payload from the `AnalysisInput` (`build_payload`): the client,
   the window, totals and simple aggregates computed here over *all* posts, and a bounded
   sample of posts (by engagement and recency, own posts and mentions both represented);
2. renders the question's stored prompt (`app.ai.prompts`) with that payload and the
   tenant's language;
3. asks for structured output with the JSON schema of the question's result model
   (`response_format={"type": "json_schema", ...}`) and validates the answer with the
   same Pydantic model the API returns;
4. on invalid JSON or a validation error, makes exactly one repair call (the answer goes
   back with the validation errors); if that fails too, raises `OpenAIEngineError`.

Retries of 429/5xx/timeouts (with exponential backoff, honouring `retry-after`) are the
SDK's job (`max_retries`); what is left after them becomes an `AnalysisEngineError` with
the status code. The prompt version travels as the `X-Pixely-Prompt-Version` header of
every request and is returned in the `EngineResult`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from app.ai.base import (
    QUESTION_KEYS,
    AnalysisEngineError,
    AnalysisInput,
    EngineResult,
    PostRecord,
    Usage,
)
from app.ai.prompts import LANGUAGE_NAMES, PromptSet

__all__ = [
    "OpenAIEngine",
    "OpenAIEngineError",
    "build_payload",
    "engagement_rate",
    "make_client",
    "payload_json",
    "select_posts",
]

PROMPT_VERSION_HEADER = "X-Pixely-Prompt-Version"
QUESTION_HEADER = "X-Pixely-Question"

TEXT_LIMIT = 280  # characters of one post's text in the payload
SUMMARY_POSTS = 40  # posts sent for q9/q10, which build on the previous results
TOP_HASHTAGS = 15
TOP_MENTIONED = 10
TOP_AUTHORS = 20
TOP_TOPICS = 15
TOP_SEGMENTS = 10  # per dimension in the q6 segment tables
MIN_SEGMENT_POSTS = 3  # q6 segments with fewer posts are left out
OWN_BASIS_MIN = 30  # q6: compare own posts when there are at least this many
DAILY_MAX_DAYS = 31  # q7 series: days up to this window length, weeks beyond
MAX_WEEKS = 106  # weekly series cap (two years)
MAX_ERRORS_QUOTED = 8  # validation errors quoted in the repair message
SHORT_ERROR = 300  # characters of an error detail in an exception message

# Sections beyond the common ones, per question.
_EXTRAS: dict[str, frozenset[str]] = {
    "q1": frozenset({"emotion_weeks"}),
    "q2": frozenset({"own_first"}),
    "q5": frozenset({"authors"}),
    "q6": frozenset({"segments"}),
    "q7": frozenset({"sentiment_series"}),
    "q8": frozenset({"activity"}),
    "q9": frozenset({"previous"}),
    "q10": frozenset({"previous"}),
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SENTIMENTS = ("positive", "neutral", "negative")
_FENCE_RE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(?P<body>.*)\n\s*```$", re.DOTALL)
_SPACE_RE = re.compile(r"\s+")


class OpenAIEngineError(AnalysisEngineError):
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


class OpenAIEngine:
    """`AnalysisEngine` over an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(
        self,
        *,
        client: AsyncOpenAI,
        model: str,
        prompts: PromptSet,
        max_posts: int = 200,
        temperature: float | None = 0.2,
    ) -> None:
        if max_posts < 0:
            raise ValueError("max_posts must be >= 0")
        self._client = client
        self._model = model
        self._prompts = prompts
        self._max_posts = max_posts
        self._temperature = temperature  # None: not sent (models that only accept 1)

    @property
    def model(self) -> str:
        return self._model

    async def run(
        self, question: str, data: AnalysisInput, result_model: type[BaseModel]
    ) -> EngineResult:
        if question not in QUESTION_KEYS:
            raise AnalysisEngineError(f"unknown question {question!r}")
        prompt = self._prompts[question]
        try:
            system, user = prompt.render(
                payload=payload_json(build_payload(question, data, max_posts=self._max_posts)),
                language=data.tenant_language,
            )
        except ValueError as exc:
            raise AnalysisEngineError(str(exc)) from exc
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": f"pixely_{question}",
                "schema": result_model.model_json_schema(),
                "strict": False,
            },
        }
        headers = {PROMPT_VERSION_HEADER: prompt.version, QUESTION_HEADER: question}
        tally = _Tally(self._model)

        content = await self._call(messages, response_format, headers, tally)
        try:
            result = result_model.model_validate_json(_unfence(content))
        except ValidationError as first_error:
            messages += [
                {"role": "assistant", "content": content},
                {"role": "user", "content": _repair_message(first_error, data.tenant_language)},
            ]
            content = await self._call(messages, response_format, headers, tally)
            try:
                result = result_model.model_validate_json(_unfence(content))
            except ValidationError as second_error:
                raise OpenAIEngineError(
                    _failure_message(question, first_error, second_error, tally.truncated),
                    usage=tally.usage(),
                    model=tally.model,
                ) from second_error
        return EngineResult(
            result=result, model=tally.model, prompt_version=prompt.version, usage=tally.usage()
        )

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
            raise OpenAIEngineError(
                f"the model API timed out (after {self._client.timeout} s per attempt and"
                f" {self._client.max_retries} retries)",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.APIConnectionError as exc:
            raise OpenAIEngineError(
                f"could not reach the model API at {self._client.base_url}"
                f" (after {self._client.max_retries} retries): {_short(exc)}",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.APIStatusError as exc:
            raise OpenAIEngineError(
                f"the model API answered HTTP {exc.status_code}"
                f" (after up to {self._client.max_retries} retries): {_short(_api_detail(exc))}",
                usage=tally.usage(),
                model=tally.model,
            ) from exc
        except openai.OpenAIError as exc:
            raise OpenAIEngineError(
                f"the model API call failed: {_short(exc)}", usage=tally.usage(), model=tally.model
            ) from exc

        tally.add(completion)
        if not completion.choices:
            raise OpenAIEngineError(
                "the model API returned no choices", usage=tally.usage(), model=tally.model
            )
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise OpenAIEngineError(
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
    question: str, first: ValidationError, second: ValidationError, truncated: bool
) -> str:
    detail = "; ".join(_error_lines(second))
    cut = " (the answer was cut off at the model's output token limit)" if truncated else ""
    if _is_json_error(first) and _is_json_error(second):
        return f"the model returned invalid JSON twice{cut}: {_short(detail)}"
    return (
        f"the model's answer did not validate as the {question} result after one repair"
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


# --- payload -----------------------------------------------------------------------------
#
# Figures follow the field descriptions of the result models (app/analyses/results.py):
# engagement = likes + comments + shares; engagement rate = engagement / max(author
# followers, 100), capped at 1; weekdays 0 = Monday; weeks start on Monday; all in the
# tenant's time zone. Every list is capped, so the payload is bounded by the sample.


def payload_json(payload: Mapping[str, Any]) -> str:
    """Compact JSON (no spaces, UTF-8 kept) of a payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


def engagement_rate(post: PostRecord) -> float:
    return min(1.0, post.engagement / max(post.author_followers, 100))


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = _SPACE_RE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _window_days(data: AnalysisInput) -> int:
    seconds = (data.window_end - data.window_start).total_seconds()
    return max(1, math.ceil(seconds / 86400))


def _ratio(part: float, whole: float, digits: int = 4) -> float:
    return round(part / whole, digits) if whole else 0.0


def _tag(value: str, prefix: str) -> str:
    value = value.strip().lower()
    return value if value.startswith(prefix) else prefix + value


class _Acc:
    """Counts and means of a group of posts."""

    __slots__ = (
        "emotions",
        "engagement",
        "own",
        "own_engagement",
        "own_rate_sum",
        "posts",
        "rate_sum",
        "sent_n",
        "sent_sum",
        "sentiments",
    )

    def __init__(self) -> None:
        self.posts = 0
        self.own = 0
        self.engagement = 0
        self.own_engagement = 0
        self.rate_sum = 0.0
        self.own_rate_sum = 0.0
        self.sent_sum = 0.0
        self.sent_n = 0
        self.sentiments: Counter[str] = Counter()
        self.emotions: Counter[str] = Counter()

    def add(self, post: PostRecord) -> _Acc:
        rate = engagement_rate(post)
        self.posts += 1
        self.engagement += post.engagement
        self.rate_sum += rate
        if post.is_own:
            self.own += 1
            self.own_engagement += post.engagement
            self.own_rate_sum += rate
        if post.sentiment_score is not None:
            self.sent_sum += post.sentiment_score
            self.sent_n += 1
        if post.sentiment_label:
            self.sentiments[post.sentiment_label] += 1
        if post.emotion_label:
            self.emotions[post.emotion_label] += 1
        return self

    @property
    def mean_rate(self) -> float:
        return self.rate_sum / self.posts if self.posts else 0.0

    def stats(self, *, emotions: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "posts": self.posts,
            "own": self.own,
            "mentions": self.posts - self.own,
            "engagement": self.engagement,
            "mean_engagement": _ratio(self.engagement, self.posts, 1),
            "mean_engagement_rate": round(self.mean_rate, 4),
        }
        out.update(self.sentiment_stats())
        if emotions and self.emotions:
            out["emotions"] = self.emotion_counts()
        return out

    def sentiment_stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sent_n:
            out["mean_sentiment"] = round(self.sent_sum / self.sent_n, 3)
        labelled = sum(self.sentiments[s] for s in _SENTIMENTS)
        if labelled:
            out["sentiment"] = {s: self.sentiments[s] for s in _SENTIMENTS}
            for s in _SENTIMENTS:
                out[f"{s}_share"] = _ratio(self.sentiments[s], labelled, 3)
            out["net_sentiment"] = _ratio(
                self.sentiments["positive"] - self.sentiments["negative"], labelled, 3
            )
        return out

    def emotion_counts(self) -> dict[str, int]:
        return dict(sorted(self.emotions.items(), key=lambda kv: (-kv[1], kv[0])))


def _groups(pairs: Iterable[tuple[str, PostRecord]]) -> dict[str, _Acc]:
    groups: dict[str, _Acc] = {}
    for key, post in pairs:
        groups.setdefault(key, _Acc()).add(post)
    return groups


def _table(
    groups: Mapping[str, _Acc], key: str, *, total: int = 0, limit: int = 0, emotions: bool = True
) -> list[dict[str, Any]]:
    """Rows `{key: name, **stats}`, most posts first; `share` of `total` when given."""
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1].posts, kv[0]))
    if limit:
        ranked = ranked[:limit]
    rows = []
    for name, acc in ranked:
        row: dict[str, Any] = {key: name}
        if total:
            row["share"] = _ratio(acc.posts, total, 3)
        row.update(acc.stats(emotions=emotions))
        rows.append(row)
    return rows


def _top(counter: Counter[str], n: int, key: str) -> list[dict[str, Any]]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{key: name, "posts": count} for name, count in ranked]


def select_posts(
    posts: Sequence[PostRecord], limit: int, *, own_first: bool = False
) -> list[PostRecord]:
    """Up to `limit` posts, newest first, chosen by engagement and by recency.

    The budget is split between own posts and mentions in proportion to their counts
    (each side keeps at least a quarter of the budget when it has that many posts), or
    goes to own posts first with `own_first`; inside each side half goes to the most
    engaging posts, the rest to the most recent ones not chosen yet.
    """
    if limit <= 0 or not posts:
        return []
    if len(posts) <= limit:
        return sorted(posts, key=lambda p: (p.published_at, p.id), reverse=True)
    own = [p for p in posts if p.is_own]
    others = [p for p in posts if not p.is_own]
    if own_first:
        own_budget = min(len(own), limit)
    else:
        floor = limit // 4
        own_budget = round(limit * len(own) / len(posts))
        own_budget = max(own_budget, min(floor, len(own)))
        own_budget = min(own_budget, len(own), limit - min(floor, len(others)))
    other_budget = min(limit - own_budget, len(others))
    own_budget = min(limit - other_budget, len(own))  # give back what one side cannot use
    chosen = _pick(own, own_budget) + _pick(others, other_budget)
    return sorted(chosen, key=lambda p: (p.published_at, p.id), reverse=True)


def _pick(posts: Sequence[PostRecord], budget: int) -> list[PostRecord]:
    if budget <= 0:
        return []
    by_engagement = sorted(posts, key=lambda p: (p.engagement, p.published_at), reverse=True)
    chosen = by_engagement[: math.ceil(budget / 2)]
    seen = {p.id for p in chosen}
    for post in sorted(posts, key=lambda p: p.published_at, reverse=True):
        if len(chosen) >= budget:
            break
        if post.id not in seen:
            chosen.append(post)
            seen.add(post.id)
    return chosen


def _post_entry(post: PostRecord, zone: tzinfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": post.id,
        "platform": post.platform,
        "author": post.author_handle,
        "followers": post.author_followers,
        "own": post.is_own,
        "date": _local(post.published_at, zone).isoformat(timespec="minutes"),
        "type": post.content_type,
        "text": _truncate(post.text),
        "engagement": post.engagement,
        "engagement_rate": round(engagement_rate(post), 4),
    }
    if post.views:
        entry["views"] = post.views
    if post.language:
        entry["lang"] = post.language
    if post.sentiment_label:
        entry["sentiment"] = post.sentiment_label
    if post.sentiment_score is not None:
        entry["sentiment_score"] = round(post.sentiment_score, 2)
    if post.emotion_label:
        entry["emotion"] = post.emotion_label
        if post.emotion_scores and post.emotion_label in post.emotion_scores:
            entry["emotion_score"] = round(post.emotion_scores[post.emotion_label], 2)
    if post.topics:
        entry["topics"] = list(post.topics)
    if post.frames:
        entry["frames"] = list(post.frames)
    return entry


def _totals(posts: Sequence[PostRecord]) -> dict[str, Any]:
    acc = _Acc()
    for post in posts:
        acc.add(post)
    out = acc.stats(emotions=False)
    out.update(
        own_engagement=acc.own_engagement,
        mentions_engagement=acc.engagement - acc.own_engagement,
        likes=sum(p.likes for p in posts),
        comments=sum(p.comments for p in posts),
        shares=sum(p.shares for p in posts),
        views=sum(p.views for p in posts),
        reach=sum(p.reach for p in posts),
    )
    return out


def _enrichment(posts: Sequence[PostRecord]) -> dict[str, Any] | None:
    """What the per-post enrichment says over all posts (None when nothing is enriched)."""
    enriched = [p for p in posts if p.sentiment_label or p.emotion_label or p.topics or p.frames]
    if not enriched:
        return None
    acc = _Acc()
    for post in posts:
        acc.add(post)
    out: dict[str, Any] = {"posts_enriched": len(enriched)}
    out.update(acc.sentiment_stats())
    labelled = sum(acc.emotions.values())
    if labelled:
        out["emotions"] = [
            {"emotion": e, "posts": n, "share": _ratio(n, labelled, 3)}
            for e, n in acc.emotion_counts().items()
        ]
    n = len(posts)
    topics = _groups((t, p) for p in posts for t in dict.fromkeys(p.topics))
    if topics:
        out["topics"] = _table(topics, "topic", total=n, limit=TOP_TOPICS, emotions=False)
    frames = _groups((f, p) for p in posts for f in dict.fromkeys(p.frames))
    if frames:
        out["frames"] = _table(frames, "frame", total=n, emotions=False)
        out["posts_without_frame"] = sum(1 for p in enriched if not p.frames)
    return out


def _brand_terms(client: Any) -> tuple[set[str], str]:
    handles = {h.strip().lstrip("@").lower() for h in client.handles if h.strip()}
    return handles, client.name.strip().lower()


def _names_brand(post: PostRecord, handles: set[str], name: str) -> bool:
    if any(m.strip().lstrip("@").lower() in handles for m in post.mentions):
        return True
    squashed = name.replace(" ", "")
    for tag in post.hashtags:
        tag = tag.strip().lstrip("#").lower()
        if (squashed and squashed in tag) or any(h and h in tag for h in handles):
            return True
    text = post.text.lower()
    return bool((name and name in text) or any(f"@{h}" in text for h in handles))


def _authors(posts: Sequence[PostRecord], data: AnalysisInput) -> dict[str, Any]:
    """Q5: authors other than the brand with the figures the influencer table needs."""
    handles, name = _brand_terms(data.client)
    stats: dict[str, dict[str, Any]] = {}
    for post in posts:
        handle = post.author_handle.strip().lstrip("@")
        if post.is_own or handle.lower() in handles:
            continue
        entry = stats.setdefault(
            handle,
            {"acc": _Acc(), "followers": 0, "platforms": set(), "brand": _Acc()},
        )
        entry["acc"].add(post)
        entry["followers"] = max(entry["followers"], post.author_followers)
        entry["platforms"].add(post.platform)
        if _names_brand(post, handles, name):
            entry["brand"].add(post)
    max_followers = max((e["followers"] for e in stats.values()), default=0)
    max_engagement = max((e["acc"].engagement for e in stats.values()), default=0)

    def influence(e: dict[str, Any]) -> float:
        reach = math.log1p(e["followers"]) / math.log1p(max_followers) if max_followers else 0.0
        eng = math.log1p(e["acc"].engagement) / math.log1p(max_engagement) if max_engagement else 0
        return 0.5 * reach + 0.5 * eng

    rows = []
    for handle, e in stats.items():
        acc, brand = e["acc"], e["brand"]
        row: dict[str, Any] = {
            "handle": handle,
            "platforms": sorted(e["platforms"]),
            "followers": e["followers"],
            "posts": acc.posts,
            "total_engagement": acc.engagement,
            "mean_engagement_rate": round(acc.mean_rate, 4),
            "brand_mention_posts": brand.posts,
            "influence_score": round(influence(e), 3),
        }
        if acc.sent_n:
            row["mean_sentiment"] = round(acc.sent_sum / acc.sent_n, 3)
        if brand.sent_n:
            row["brand_posts_mean_sentiment"] = round(brand.sent_sum / brand.sent_n, 3)
        rows.append(row)
    rows.sort(key=lambda r: (-r["influence_score"], r["handle"]))
    mentioned = _groups(
        (m.strip().lstrip("@").lower(), p)
        for p in posts
        for m in dict.fromkeys(x.strip().lstrip("@").lower() for x in p.mentions)
        if m and m not in handles
    )
    accounts = []
    for handle, acc in sorted(mentioned.items(), key=lambda kv: (-kv[1].posts, kv[0])):
        account: dict[str, Any] = {
            "handle": handle,
            "mentions": acc.posts,
            "total_engagement": acc.engagement,
        }
        if acc.sent_n:
            account["mean_sentiment"] = round(acc.sent_sum / acc.sent_n, 3)
        accounts.append(account)
    return {
        "posts_by_others": sum(e["acc"].posts for e in stats.values()),
        "authors": rows[:TOP_AUTHORS],
        "authors_total": len(rows),
        "mentioned_accounts": accounts[:TOP_MENTIONED],
    }


def _slot(local: datetime) -> str:
    start = local.hour // 3 * 3
    return f"{_WEEKDAYS[local.weekday()]} {start:02d}:00-{start + 2:02d}:59"


def _segments(posts: Sequence[PostRecord], zone: tzinfo) -> dict[str, Any]:
    """Q6: segment tables with volume share, engagement rate, lift and gap score."""
    own = [p for p in posts if p.is_own]
    basis = "own" if len(own) >= OWN_BASIS_MIN else "all"
    compared = own if basis == "own" else list(posts)
    baseline = _Acc()
    for post in compared:
        baseline.add(post)

    def rows(groups: Mapping[str, _Acc], base: _Acc) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for segment, acc in groups.items():
            if acc.posts < MIN_SEGMENT_POSTS:
                continue
            volume = _ratio(acc.posts, base.posts)
            lift = _ratio(acc.mean_rate, base.mean_rate, 3)
            out.append(
                {
                    "segment": segment,
                    "posts": acc.posts,
                    "volume_share": volume,
                    "mean_engagement_rate": round(acc.mean_rate, 4),
                    "lift": lift,
                    "gap_score": round(max(0.0, lift - 1) * (1 - volume), 3),
                }
            )
        out.sort(key=lambda r: (-r["gap_score"], -r["lift"], r["segment"]))
        return out[:TOP_SEGMENTS]

    dimensions: dict[str, list[dict[str, Any]]] = {
        "content_type": rows(_groups((p.content_type, p) for p in compared), baseline),
        "platform": rows(_groups((p.platform, p) for p in compared), baseline),
        "time_slot": rows(
            _groups((_slot(_local(p.published_at, zone)), p) for p in compared), baseline
        ),
    }
    if any(p.language for p in compared):
        dimensions["language"] = rows(_groups((p.language or "und", p) for p in compared), baseline)
    everything = _Acc()
    for post in posts:
        everything.add(post)
    topics = _groups((t, p) for p in posts for t in dict.fromkeys(p.topics))
    if topics:
        dimensions["topic"] = rows(topics, everything)
    return {
        "basis": basis,
        "posts_compared": len(compared),
        "baseline_engagement_rate": round(baseline.mean_rate, 4),
        "topic_baseline_engagement_rate": round(everything.mean_rate, 4),
        "min_segment_posts": MIN_SEGMENT_POSTS,
        "dimensions": dimensions,
    }


def _weeks(data: AnalysisInput, zone: tzinfo) -> list[date]:
    first = _week_start(_local(data.window_start, zone).date())
    last = _week_start(_local(data.window_end, zone).date())
    count = min(max(0, (last - first).days // 7) + 1, MAX_WEEKS)
    return [last - timedelta(weeks=i) for i in reversed(range(count))]


def _trend(values: Sequence[float]) -> dict[str, Any] | None:
    """Least-squares slope per week; None with fewer than 3 weeks."""
    n = len(values)
    if n < 3:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    den = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(values)) / den
    relative = slope / mean_y if mean_y else 0.0
    direction = "rising" if relative >= 0.02 else "falling" if relative <= -0.02 else "stable"
    return {
        "slope_per_week": round(slope, 3),
        "relative_slope": round(relative, 4),
        "direction": direction,
    }


def _weekly(
    posts: Sequence[PostRecord], data: AnalysisInput, zone: tzinfo
) -> list[tuple[date, _Acc]]:
    weeks = {week: _Acc() for week in _weeks(data, zone)}
    for post in posts:
        acc = weeks.get(_week_start(_local(post.published_at, zone).date()))
        if acc is not None:
            acc.add(post)
    return sorted(weeks.items())


def _emotion_weeks(
    posts: Sequence[PostRecord], data: AnalysisInput, zone: tzinfo
) -> list[dict[str, Any]]:
    """Q1: emotion counts per week (weeks with posts)."""
    return [
        {"week_start": week.isoformat(), "posts": acc.posts, "emotions": acc.emotion_counts()}
        for week, acc in _weekly(posts, data, zone)
        if acc.posts
    ]


def _sentiment_series(
    posts: Sequence[PostRecord], data: AnalysisInput, zone: tzinfo
) -> dict[str, Any]:
    """Q7: sentiment per day (windows up to 31 days) or week, and daily negative spikes."""
    daily = _groups((_local(p.published_at, zone).date().isoformat(), p) for p in posts)
    if _window_days(data) <= DAILY_MAX_DAYS:
        granularity, periods = "day", sorted(daily.items())
    else:
        granularity = "week"
        periods = [(w.isoformat(), acc) for w, acc in _weekly(posts, data, zone) if acc.posts]
    series = []
    for start, acc in periods:
        row: dict[str, Any] = {"period_start": start, "posts": acc.posts}
        row.update({s: acc.sentiments[s] for s in _SENTIMENTS})
        row["net_sentiment"] = _ratio(
            acc.sentiments["positive"] - acc.sentiments["negative"],
            sum(acc.sentiments[s] for s in _SENTIMENTS),
            3,
        )
        series.append(row)
    return {"granularity": granularity, "series": series, "spikes": _spikes(daily)}


def _spikes(daily: Mapping[str, _Acc]) -> list[dict[str, Any]]:
    days = sorted((d, acc) for d, acc in daily.items() if sum(acc.sentiments.values()))
    if len(days) < 3:
        return []
    found: list[dict[str, Any]] = []
    for kind in ("negative_share", "negative_volume"):
        values = []
        for _, acc in days:
            negative = acc.sentiments["negative"]
            labelled = sum(acc.sentiments[s] for s in _SENTIMENTS)
            values.append(
                negative / labelled if kind == "negative_share" and labelled else negative
            )
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        if std == 0:
            continue
        for (day, acc), value in zip(days, values, strict=True):
            z = (value - mean) / std
            if z > 2:
                found.append(
                    {
                        "day": day,
                        "kind": kind,
                        "z_score": round(z, 2),
                        "value": round(value, 3),
                        "negative_posts": acc.sentiments["negative"],
                        "posts": acc.posts,
                    }
                )
    return sorted(found, key=lambda s: (-s["z_score"], s["day"]))[:10]


def _activity(posts: Sequence[PostRecord], data: AnalysisInput, zone: tzinfo) -> dict[str, Any]:
    """Q8: weekday x hour cells (non-empty), weekdays, hours, weeks and trends."""
    cells: dict[tuple[int, int], _Acc] = {}
    weekdays = [_Acc() for _ in range(7)]
    hours = [_Acc() for _ in range(24)]
    for post in posts:
        local = _local(post.published_at, zone)
        cells.setdefault((local.weekday(), local.hour), _Acc()).add(post)
        weekdays[local.weekday()].add(post)
        hours[local.hour].add(post)
    cell_rows = []
    for (weekday, hour), acc in sorted(cells.items()):
        row: dict[str, Any] = {
            "weekday": weekday,
            "hour": hour,
            "posts": acc.posts,
            "own_posts": acc.own,
            "mean_engagement": _ratio(acc.engagement, acc.posts, 1),
            "mean_engagement_rate": round(acc.mean_rate, 4),
        }
        if acc.own:
            row["own_mean_engagement_rate"] = round(acc.own_rate_sum / acc.own, 4)
        cell_rows.append(row)
    weekly = _weekly(posts, data, zone)
    return {
        "timezone": str(zone),
        "cells_note": "non-empty weekday x hour cells only; every other cell has 0 posts",
        "cells": cell_rows,
        "by_weekday": [
            {
                "weekday": i,
                "name": _WEEKDAYS[i],
                "posts": a.posts,
                "own_posts": a.own,
                "mean_engagement_rate": round(a.mean_rate, 4),
            }
            for i, a in enumerate(weekdays)
        ],
        "by_hour": [
            {
                "hour": h,
                "posts": a.posts,
                "own_posts": a.own,
                "mean_engagement_rate": round(a.mean_rate, 4),
            }
            for h, a in enumerate(hours)
            if a.posts
        ],
        "weekly": [
            {
                "week_start": w.isoformat(),
                "posts": a.posts,
                "mean_engagement": _ratio(a.engagement, a.posts, 1),
            }
            for w, a in weekly
        ],
        "volume_trend": _trend([a.posts for _, a in weekly]),
        "engagement_trend": _trend([_ratio(a.engagement, a.posts, 1) for _, a in weekly]),
    }


def build_payload(question: str, data: AnalysisInput, *, max_posts: int = 200) -> dict[str, Any]:
    """The JSON-ready payload for one question: aggregates over all posts, bounded sample.

    Bounded by `max_posts` posts of at most `TEXT_LIMIT` characters each (q9/q10: at most
    `SUMMARY_POSTS`); every aggregate list is capped (hashtags, mentions, authors, topics,
    segments, weeks); q8's cells are at most 168.
    """
    extras = _EXTRAS.get(question, frozenset())
    posts = data.posts
    zone = _zone(data.timezone)
    client = data.client
    handles, _ = _brand_terms(client)
    limit = min(max_posts, SUMMARY_POSTS) if "previous" in extras else max_posts
    sample = select_posts(posts, limit, own_first="own_first" in extras)
    payload: dict[str, Any] = {
        "question": question,
        "client": {
            "name": client.name,
            "industry": client.industry,
            "country": client.country,
            "language": client.language,
            "own_handles": list(client.handles),
            "competitors": list(client.competitors),
        },
        "window": {
            "start": _local(data.window_start, zone).date().isoformat(),
            "end": _local(data.window_end, zone).date().isoformat(),
            "days": _window_days(data),
            "timezone": str(zone),
        },
        "totals": _totals(posts),
        "by_platform": _table(_groups((p.platform, p) for p in posts), "platform"),
        "by_content_type": _table(
            _groups((p.content_type, p) for p in posts), "content_type", emotions=False
        ),
        "top_hashtags": _top(
            Counter(_tag(h, "#") for p in posts for h in set(p.hashtags)), TOP_HASHTAGS, "hashtag"
        ),
        "top_mentioned": _top(
            Counter(
                m
                for p in posts
                for m in {_tag(x, "@") for x in p.mentions}
                if m.lstrip("@") not in handles
            ),
            TOP_MENTIONED,
            "handle",
        ),
        "posts_mentioning_own_handles": sum(
            1 for p in posts if any(x.strip().lstrip("@").lower() in handles for x in p.mentions)
        ),
    }
    enrichment = _enrichment(posts)
    if enrichment is not None:
        payload["enrichment"] = enrichment
    if "emotion_weeks" in extras and enrichment is not None:
        payload["emotions_by_week"] = _emotion_weeks(posts, data, zone)
    if "authors" in extras:
        payload["influencers"] = _authors(posts, data)
    if "segments" in extras:
        payload["segments"] = _segments(posts, zone)
    if "sentiment_series" in extras and enrichment is not None:
        payload["sentiment_over_time"] = _sentiment_series(posts, data, zone)
    if "activity" in extras:
        payload["activity"] = _activity(posts, data, zone)
    if "previous" in extras:
        payload["previous_results"] = {k: data.previous[k] for k in sorted(data.previous)}
    payload["sample"] = {
        "posts_included": len(sample),
        "posts_total": len(posts),
        "selection": (
            "own posts first, then mentions"
            if "own_first" in extras
            else "own posts and mentions in proportion"
        )
        + "; most engaging and most recent; newest first; texts cut at 280 characters",
    }
    payload["posts"] = [_post_entry(p, zone) for p in sample]
    return payload
