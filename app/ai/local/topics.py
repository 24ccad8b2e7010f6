"""Topics of a batch of texts: NMF over TF-IDF of lemmatised content tokens.

Tokens: `content_tokens` (lemmas without es+en stopwords, hashtags kept) minus words that
are part of the brand's handles. TF-IDF (sublinear, terms in >= 2 texts and <= 60% of
texts); k from 2 to 8 (fewer for small batches) chosen by diversity x (1 + NPMI
coherence) / 2 on up to 3,000 texts, then refitted on all. A text belongs to the topics
weighing >= 50% of its strongest one (at most 2). Terms are shown as written when people
never write the lemma ("gracias", not "gracia"). Deterministic.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from app.ai.local.keywords import content_tokens, tokenize
from app.ai.local.nmf import EmptyVocabularyError, nmf, tfidf
from app.ai.local.resources import lexicon
from app.ai.local.text import fold

# Fitting runs with one BLAS/OpenMP thread (10x faster than 2 threads fighting over 2
# cores on small matrices); the limit is process-wide, so fits are serialised.
_FIT_LOCK = threading.Lock()


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
MIN_TOPICS = 2  # bounds of a requested number of topics
MAX_REQUESTED_TOPICS = 20
SELECTION_SAMPLE = 3000
_LABEL_MIN_THIRD = 0.3  # the third term joins the label when >= 30% of the top term


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


def topic_model(
    texts: Sequence[str], languages: Sequence[str], handles: frozenset[str]
) -> TopicModel:
    """The topics of `texts` (each in its detected language), leaving out the words that
    are part of the brand's `handles` (lowercase, no "@")."""
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
