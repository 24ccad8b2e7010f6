"""The local analysis engine: per-post enrichment, the shared topic model, and Q1..Q10.

`enrich` fills what the per-post engine (`analyze_texts`) and the frame lexicon know
about each post, plus the topics it belongs to in the batch's topic model. `topic_model`
is that model (NMF over TF-IDF of lemmatised content tokens); Q3, Q6 and Q10 use it too,
so a post's stored topics and the Q3 topics agree when computed over the same batch.
`LocalEngine` answers the ten questions with deterministic statistics in a worker thread.

Both `enrich` and `topic_model` are memoised on the content of their input (a small LRU),
because concurrent questions of one run ask for the same batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ValidationError

from app.ai.base import (
    QUESTION_KEYS,
    AnalysisEngineError,
    AnalysisInput,
    EngineResult,
    PostRecord,
    SharedValues,
)
from app.ai.local import analyze_texts, content_tokens, tokenize
from app.ai.local.frames import frames_from_tokens
from app.ai.local.nmf import EmptyVocabularyError, nmf, tfidf
from app.ai.local.resources import lexicon
from app.ai.local.text import fold
from app.ai.local.types import TextAnalysis

MODEL_NAME = "local-1"
PROMPT_VERSION = "local"

T = TypeVar("T")


# --------------------------------------------------------------------------- memo


class _Memo:
    """Tiny thread-safe LRU; concurrent callers with the same key compute once."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[bytes, Any] = OrderedDict()
        self._locks: dict[bytes, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                hit: T = self._data[key]
                return hit
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    again: T = self._data[key]
                    return again
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._locks.pop(key, None)
                raise
            with self._lock:
                self._data[key] = value
                while len(self._data) > self._size:
                    self._data.popitem(last=False)
                self._locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _digest(parts: Sequence[str]) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.digest()


_ENRICH_MEMO = _Memo(3)
_TOPIC_MEMO = _Memo(4)
# Fitting runs with one BLAS/OpenMP thread (10x faster than 2 threads fighting over 2
# cores on small matrices); the limit is process-wide, so fits are serialised.
_FIT_LOCK = threading.Lock()


# The last enriched batches by identity of their (immutable) posts: the questions of one
# run share the same PostRecord objects, so they also share the enriched ones.
_BUILT: list[tuple[tuple[PostRecord, ...], tuple[PostRecord, ...]]] = []
_BUILT_LOCK = threading.Lock()


def clear_caches() -> None:
    """Drop memoised enrichments, topic models and per-post values (tests; the end of a
    job, so a large window is not kept alive)."""
    from app.ai.local.questions.common import clear_per_post

    clear_per_post()
    _ENRICH_MEMO.clear()
    _TOPIC_MEMO.clear()
    with _BUILT_LOCK:
        _BUILT.clear()


# --------------------------------------------------------------------------- topic model


@dataclass(frozen=True, slots=True)
class TopicInfo:
    index: int
    label: str  # top 2-3 terms joined by " / "
    keywords: tuple[tuple[str, float], ...]  # (term, weight relative to the top term)


@dataclass(frozen=True, slots=True)
class TopicCandidateInfo:
    k: int
    coherence: float  # mean NPMI of the top-5 terms per topic
    diversity: float  # unique top-10 terms / (10 k)
    reconstruction_error: float
    score: float  # diversity x (1 + coherence) / 2: the selection criterion


@dataclass(frozen=True, slots=True)
class TopicModel:
    """Topics of one batch of posts; per-post fields are aligned with the input order."""

    topics: tuple[TopicInfo, ...]  # largest (most dominant posts) first
    dominant: tuple[int, ...]  # strongest topic index per post, -1 when none
    weight: tuple[float, ...]  # that topic's NMF weight (how typical the post is)
    memberships: tuple[tuple[int, ...], ...]  # topics with >= 50% of the strongest weight
    candidates: tuple[TopicCandidateInfo, ...]
    method: str
    reason: str | None  # why there are no topics (None when there are)

    def labels_of(self, i: int) -> tuple[str, ...]:
        return tuple(self.topics[t].label for t in self.memberships[i])


MIN_TOPIC_DOCS = 10
MAX_TOPICS = 8
SELECTION_SAMPLE = 3000
_LABEL_MIN_THIRD = 0.3  # the third term joins the label when >= 30% of the top term


def brand_handles(posts: Sequence[PostRecord]) -> frozenset[str]:
    """The brand's handles seen in the batch: every account the posts were collected
    under, and the authors of own posts (lowercase, no '@')."""
    out = {p.account_handle.lower().lstrip("@") for p in posts if p.account_handle}
    out |= {p.author_handle.lower().lstrip("@") for p in posts if p.is_own and p.author_handle}
    return frozenset(h for h in out if h)


def _brand_filter(handles: frozenset[str]) -> Callable[[str], bool]:
    """True for tokens that are (part of) a brand handle ("andino" in "bancoandino")."""
    folded = tuple(fold(h) for h in handles)
    memo: dict[str, bool] = {}

    def is_brand(tok: str) -> bool:
        got = memo.get(tok)
        if got is None:
            body = fold(tok.lstrip("#"))
            got = len(body) >= 4 and any(body in h for h in folded)
            memo[tok] = got
        return got

    return is_brand


def _empty_model(
    n: int, reason: str, candidates: tuple[TopicCandidateInfo, ...] = ()
) -> TopicModel:
    return TopicModel(
        topics=(),
        dominant=(-1,) * n,
        weight=(0.0,) * n,
        memberships=((),) * n,
        candidates=candidates,
        method="nmf-tfidf",
        reason=reason,
    )


def _npmi(incidence: NDArray[np.bool_], df: NDArray[np.int64], n_docs: int) -> float:
    """Mean normalised PMI of the term pairs whose document incidence (n_docs x terms,
    boolean) and document frequencies are given (co-occurrence = B.T @ B)."""
    b = np.asarray(incidence, dtype=np.float32)
    co = b.T @ b
    p = np.asarray(df, dtype=np.float64) / n_docs
    vals: list[float] = []
    for i in range(b.shape[1]):
        for j in range(i + 1, b.shape[1]):
            pij = float(co[i, j]) / n_docs
            if pij <= 0:
                vals.append(-1.0)
            elif pij >= 1:
                vals.append(1.0)
            else:
                vals.append(float(np.log(pij / (p[i] * p[j])) / -np.log(pij)))
    return float(np.mean(vals)) if vals else 0.0


def _fit_topics(
    docs: list[list[str]], k_range: tuple[int, int]
) -> tuple[Any, Any, list[str], tuple[TopicCandidateInfo, ...], int] | str:
    """(W, H, terms, candidates, chosen k) or the reason there is no model."""
    from threadpoolctl import threadpool_limits

    n = len(docs)
    try:
        vec = tfidf(docs, min_df=max(2, math.ceil(0.001 * n)), max_df=0.6, max_features=5000)
    except EmptyVocabularyError:
        return "no word occurs in at least two posts"
    x = vec.matrix
    terms = list(vec.terms)
    vocab = len(terms)
    k_lo, k_hi = k_range
    k_hi = min(k_hi, max(2, n // 8), vocab // 2)
    if vocab < 4 or k_hi < 2:
        return "too few distinct words shared by several posts"
    k_lo = min(max(2, k_lo), k_hi)

    if n > SELECTION_SAMPLE:
        rows = np.sort(np.random.default_rng(0).choice(n, SELECTION_SAMPLE, replace=False))
        xs = x.rows(rows)
    else:
        xs = x
    df = xs.column_counts()  # TF-IDF values are > 0: stored entries are occurrences
    n_sel = xs.n_rows

    candidates: list[TopicCandidateInfo] = []
    fitted: dict[int, tuple[Any, Any]] = {}
    with _FIT_LOCK, threadpool_limits(1):
        for k in range(k_lo, k_hi + 1):
            model = nmf(xs, k, max_iter=300, tol=1e-3, seed=0)
            w, h = model.w, model.h
            tops5 = [np.argsort(-h[t], kind="stable")[:5] for t in range(k)]
            tops10 = [np.argsort(-h[t], kind="stable")[:10] for t in range(k)]
            coherence = float(np.mean([_npmi(xs.incidence(tp), df[tp], n_sel) for tp in tops5]))
            unique = len({int(j) for tp in tops10 for j in tp})
            diversity = unique / float(sum(len(tp) for tp in tops10))
            score = diversity * (1.0 + coherence) / 2.0
            candidates.append(
                TopicCandidateInfo(
                    k=k,
                    coherence=round(coherence, 4),
                    diversity=round(diversity, 4),
                    reconstruction_error=round(model.reconstruction_error, 4),
                    score=round(score, 4),
                )
            )
            fitted[k] = (w, h)
        best = max(candidates, key=lambda c: (c.score, -c.k))
        if xs is x:
            w, h = fitted[best.k]
        else:
            fitted.clear()
            model = nmf(x, best.k, max_iter=300, tol=1e-3, seed=0)
            w, h = model.w, model.h
    return w, h, terms, tuple(candidates), best.k


DISPLAY_SAMPLE = 3000


def _display_forms(
    wanted: set[str], texts: Sequence[str], languages: Sequence[str], rows: Sequence[int]
) -> dict[str, str]:
    """How to show each lemma: itself when people write it, else their commonest form.

    Lemmas are right for grouping but can read oddly ("gracias" -> "gracia", a product
    name "Aero" -> "aerar"); a verb lemma nobody writes shows its commonest form instead.
    """
    surfaces: dict[str, dict[str, int]] = {}
    for i in rows[:DISPLAY_SAMPLE]:
        lang = languages[i]
        lex = lexicon(lang if lang in ("es", "en") else "und")
        for tok in tokenize(texts[i]):
            if tok.startswith("#"):
                continue
            lemma = lex.lemma(tok)
            if lemma in wanted:
                forms = surfaces.setdefault(lemma, {})
                forms[tok] = forms.get(tok, 0) + 1
    out: dict[str, str] = {}
    for lemma, forms in surfaces.items():
        if lemma not in forms:
            out[lemma] = min(forms, key=lambda f: (-forms[f], f))
    return out


def _labels(
    h: Any, terms: list[str], order: list[int], display: Callable[[set[str]], dict[str, str]]
) -> list[TopicInfo]:
    tops: list[tuple[list[int], Any]] = []
    for t in order:
        row = h[t]
        tops.append(([int(j) for j in np.argsort(-row, kind="stable")[:10] if row[j] > 0], row))
    shown = display({terms[j] for top, _ in tops for j in top})
    out: list[TopicInfo] = []
    used: set[str] = set()
    for new_index, (top, row) in enumerate(tops):
        peak = float(row[top[0]]) if top else 1.0
        keywords: tuple[tuple[str, float], ...] = ()
        for j in top:
            term = shown.get(terms[j], terms[j])
            if all(term != k for k, _ in keywords):
                keywords += ((term, round(float(row[j]) / peak, 4)),)
        n_label = 3 if len(keywords) >= 3 and keywords[2][1] >= _LABEL_MIN_THIRD else 2
        label = " / ".join(term for term, _ in keywords[:n_label]) or f"topic {new_index + 1}"
        extra = n_label
        while label in used and extra < len(keywords):
            label = f"{label} / {keywords[extra][0]}"
            extra += 1
        if label in used:
            label = f"{label} ({new_index + 1})"
        used.add(label)
        out.append(TopicInfo(index=new_index, label=label, keywords=keywords))
    return out


def _compute_topic_model(
    texts: Sequence[str], languages: Sequence[str], handles: frozenset[str]
) -> TopicModel:
    n = len(texts)
    is_brand = _brand_filter(handles)
    pool: dict[str, str] = {}
    interned = pool.setdefault  # one string object per distinct token, not per use
    docs = [
        [interned(t, t) for t in content_tokens(text, lang) if not is_brand(t)]
        for text, lang in zip(texts, languages, strict=True)
    ]
    del pool
    with_tokens = [i for i, d in enumerate(docs) if d]
    if len(with_tokens) < MIN_TOPIC_DOCS:
        return _empty_model(n, f"only {len(with_tokens)} posts with content words")
    fitted = _fit_topics([docs[i] for i in with_tokens], (2, MAX_TOPICS))
    if isinstance(fitted, str):
        return _empty_model(n, fitted)
    w, h, terms, candidates, k = fitted
    peak = w.max(axis=1)
    strongest = w.argmax(axis=1)
    counts = np.bincount(strongest[peak > 1e-9], minlength=k)
    order = sorted(range(k), key=lambda t: (-int(counts[t]), t))
    rank = {t: r for r, t in enumerate(order)}
    topics = _labels(
        h,
        terms,
        order,
        lambda wanted: _display_forms(wanted, texts, languages, with_tokens),
    )

    dominant = [-1] * n
    weight = [0.0] * n
    members: list[tuple[int, ...]] = [()] * n
    for row, i in enumerate(with_tokens):
        top = float(peak[row])
        if top <= 1e-9:
            continue
        dominant[i] = rank[int(strongest[row])]
        weight[i] = round(top, 6)
        ranked = sorted(
            (rank[t] for t in range(k) if w[row, t] >= 0.5 * top),
            key=lambda r: -float(w[row, order[r]]),
        )
        members[i] = tuple(ranked[:2])
    return TopicModel(
        topics=tuple(topics),
        dominant=tuple(dominant),
        weight=tuple(weight),
        memberships=tuple(members),
        candidates=candidates,
        method="nmf-tfidf",
        reason=None,
    )


def _topic_model_for(
    ids: Sequence[str], texts: Sequence[str], languages: Sequence[str], handles: frozenset[str]
) -> TopicModel:
    key = _digest(["topics", *sorted(handles), "|", *ids, "|", *texts, "|", *languages])
    return _TOPIC_MEMO.get(key, lambda: _compute_topic_model(texts, languages, handles))


def topic_model(posts: Sequence[PostRecord]) -> TopicModel:
    """NMF topics of a batch of posts (deterministic; memoised on the batch content).

    Tokens: `content_tokens` (lemmas without es+en stopwords, hashtags kept) minus words
    that are part of the brand's handles. TF-IDF (sublinear, terms in >= 2 posts and
    <= 60% of posts); k from 2 to 8 (fewer for small batches) chosen by
    diversity x (1 + NPMI coherence) / 2 on up to 3,000 posts, then refitted on all.
    Posts belong to the topics weighing >= 50% of their strongest one (at most 2). Terms
    are shown as written when people never write the lemma ("gracias", not "gracia").
    """
    return _topic_model_for(
        [p.id for p in posts],
        [p.text for p in posts],
        [p.language or "und" for p in posts],
        brand_handles(posts),
    )


# --------------------------------------------------------------------------- enrichment

# (language, sentiment label, score, emotion label, emotion scores, topics, frames)
_Payload = tuple[
    str | None,
    str | None,
    float | None,
    str | None,
    Mapping[str, float] | None,
    tuple[str, ...],
    tuple[str, ...],
]


ANALYSIS_CHUNK = 5000  # posts analysed per call, so per-text results never pile up


def _enrich_payloads(posts: Sequence[PostRecord]) -> list[_Payload]:
    base: list[
        tuple[str | None, str | None, float | None, str | None, Mapping[str, float] | None]
    ] = []
    frames: list[tuple[str, ...]] = []
    same = SharedValues()
    for start in range(0, len(posts), ANALYSIS_CHUNK):
        chunk = posts[start : start + ANALYSIS_CHUNK]
        todo = [i for i, p in enumerate(chunk) if p.sentiment_label is None]
        fresh: dict[int, TextAnalysis] = dict(
            zip(todo, analyze_texts([chunk[i].text for i in todo]), strict=True)
        )
        for i, p in enumerate(chunk):
            a = fresh.get(i)
            lang: str | None
            if a is not None:
                base.append(
                    (
                        a.language,
                        a.sentiment_label,
                        same(a.sentiment_score),
                        a.emotion_label,
                        same.emotions(a.emotion_scores),
                    )
                )
                lang = a.language
            else:
                base.append(
                    (
                        p.language,
                        p.sentiment_label,
                        p.sentiment_score,
                        p.emotion_label,
                        same.emotions(p.emotion_scores),
                    )
                )
                lang = p.language
            if a is not None or not p.frames:
                frames.append(same(frames_from_tokens(p.text, tokenize(p.text), lang)))
            else:
                frames.append(same(tuple(p.frames)))
        del fresh
    model = _topic_model_for(
        [p.id for p in posts],
        [p.text for p in posts],
        [b[0] or "und" for b in base],
        brand_handles(posts),
    )
    return [
        (*b, same(model.labels_of(i)), f) for i, (b, f) in enumerate(zip(base, frames, strict=True))
    ]


def _enrichment(post: PostRecord) -> tuple[Any, ...]:
    """What of a post's enrichment is stored and compared (not the emotion scores, which
    follow the emotion label)."""
    return (
        post.language,
        post.sentiment_label,
        post.sentiment_score,
        post.emotion_label,
        post.topics,
        post.frames,
    )


def enrich_in_place(posts: list[PostRecord]) -> list[int]:
    """Enrich `posts` like `enrich`, replacing each post in the list (no memo, so a large
    window is never held twice); returns the indexes whose enrichment changed."""
    payloads = _enrich_payloads(posts)
    changed: list[int] = []
    for i, payload in enumerate(payloads):
        old = posts[i]
        new = _with(old, payload)
        if _enrichment(old) != _enrichment(new):
            changed.append(i)
        posts[i] = new
    return changed


def enrich(posts: Sequence[PostRecord]) -> list[PostRecord]:
    """Posts with language, sentiment, emotion, topics and frames filled in.

    Posts that already carry `sentiment_label` keep their language, sentiment and emotion
    (they are not re-analysed); frames are detected for analysed posts and posts without
    frames; topics always come from `topic_model` over this batch, so call it on the whole
    window (not only on the posts that lack enrichment) for topics that agree with Q3.
    """
    posts = list(posts)
    if not posts:
        return []
    with _BUILT_LOCK:
        for inputs, built in _BUILT:
            if _same_objects(inputs, posts):
                return list(built)
    key = _digest(
        [
            "enrich",
            *(
                f"{p.id}\x1e{p.text}\x1e{p.language}\x1e{p.sentiment_label}\x1e"
                f"{p.account_handle}\x1e{p.author_handle}\x1e{p.is_own}\x1e{','.join(p.frames)}"
                for p in posts
            ),
        ]
    )
    inputs = tuple(posts)
    payloads, first_inputs, first_built = _ENRICH_MEMO.get(key, lambda: _enrich_batch(inputs))
    if first_inputs is inputs or _same_objects(first_inputs, inputs):
        built = first_built
    else:
        built = _build(inputs, payloads)
    with _BUILT_LOCK:
        if all(entry[0] is not inputs for entry in _BUILT):
            _BUILT.insert(0, (inputs, built))
            del _BUILT[2:]
    return list(built)


def _same_objects(a: Sequence[PostRecord], b: Sequence[PostRecord]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _enrich_batch(
    posts: tuple[PostRecord, ...],
) -> tuple[list[_Payload], tuple[PostRecord, ...], tuple[PostRecord, ...]]:
    payloads = _enrich_payloads(posts)
    return payloads, posts, _build(posts, payloads)


def _with(post: PostRecord, payload: _Payload) -> PostRecord:
    """`post` with an enrichment payload applied."""
    lang, s_label, s_score, e_label, e_scores, topics, frames = payload
    return replace(
        post,
        language=lang,
        sentiment_label=s_label,
        sentiment_score=s_score,
        emotion_label=e_label,
        emotion_scores=e_scores,
        topics=topics,
        frames=frames,
    )


def _build(posts: Sequence[PostRecord], payloads: Sequence[_Payload]) -> tuple[PostRecord, ...]:
    return tuple(_with(p, payload) for p, payload in zip(posts, payloads, strict=True))


# --------------------------------------------------------------------------- engine


def warm_up() -> None:
    """Pay the one-off costs now (lexicons, lemma dictionaries) instead of in the first
    analysis."""
    from app.ai.local import warm_up as warm_up_text
    from app.ai.local.frames import frame_matcher
    from app.ai.local.questions.q02_personality import personality_matcher

    warm_up_text()
    frame_matcher()
    personality_matcher()


def compute(question: str, data: AnalysisInput) -> BaseModel:
    """Answer one question synchronously (CPU-bound; `LocalEngine.run` threads it)."""
    from app.ai.local.questions import COMPUTE

    fn = COMPUTE.get(question)
    if fn is None:
        raise AnalysisEngineError(
            f"Unknown question {question!r}; expected one of {', '.join(QUESTION_KEYS)}"
        )
    return fn(data)


class LocalEngine:
    """Offline, deterministic engine: statistics and lexicons, no model calls."""

    name = "local"

    async def run(
        self, question: str, data: AnalysisInput, result_model: type[BaseModel]
    ) -> EngineResult:
        result = await asyncio.to_thread(compute, question, data)
        if not isinstance(result, result_model):
            try:
                result = result_model.model_validate(result.model_dump())
            except ValidationError as exc:
                raise AnalysisEngineError(
                    f"The local result of {question} does not fit {result_model.__name__}: {exc}"
                ) from exc
        return EngineResult(result=result, model=MODEL_NAME, prompt_version=PROMPT_VERSION)
