"""Topics of a batch of texts: NMF over TF-IDF of lemmas and word pairs.

- Each text counts once: retweets and copies (`copy_key`) are one document; every post
  then takes its text's topic.
- Terms: content lemmas (es+en stopwords out, hashtags kept), pairs of adjacent content
  lemmas ("tarjeta débito"), minus words that are part of the brand's handles and the
  name after a greeting. Greetings, thanks and customer-service phrases
  (lexicons/boilerplate.json) weigh a tenth of other terms, and a text made only of
  them (or of words no other text shares) has no topic.
- TF-IDF (sublinear, terms in >= 2 texts and <= 60% of texts); k grows with the number
  of texts with a theme (`auto_k`), or is the one asked for (at most what the words
  allow); one NMF fit on those texts.
- A post belongs to one topic: its text's strongest one (`dominant`; `memberships` and
  `labels_of` give that same topic), so counting posts by topic and filtering posts by
  topic agree.
- Labels: the two strongest non-boilerplate terms of a topic, a pair standing for its
  own words ("tarjeta de débito / fraude"), shown as people write them (the commonest
  written form of a lemma, the words between a pair, the capitals of a name).
Deterministic.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from app.ai.local.keywords import (
    WordMemo,
    boilerplate,
    tokenize,
    topic_terms,
    words_without_names,
)
from app.ai.local.nmf import CsrMatrix, EmptyVocabularyError, nmf, tfidf
from app.ai.local.resources import all_stopwords, lexicon
from app.ai.local.text import copy_key, fold

# Fitting runs with one BLAS/OpenMP thread (10x faster than 2 threads fighting over 2
# cores on small matrices); the limit is process-wide, so fits are serialised.
_FIT_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class TopicInfo:
    index: int
    label: str  # the 2 strongest distinctive terms (a pair counts as one) joined by " / "
    keywords: tuple[tuple[str, float], ...]  # (term, weight relative to the top term)


@dataclass(frozen=True, slots=True)
class TopicCandidateInfo:
    k: int
    coherence: float  # mean NPMI of the top-5 terms per topic
    diversity: float  # unique top-10 terms / (10 k)
    reconstruction_error: float
    score: float  # diversity x (1 + coherence) / 2


@dataclass(frozen=True, slots=True)
class TopicModel:
    """Topics of one batch of posts; per-post fields are aligned with the input order."""

    topics: tuple[TopicInfo, ...]  # largest (most distinct texts) first
    dominant: tuple[int, ...]  # the post's topic (its text's strongest), -1 when none
    weight: tuple[float, ...]  # that topic's NMF weight (how typical the post is)
    memberships: tuple[tuple[int, ...], ...]  # (dominant,), or () when none
    candidates: tuple[TopicCandidateInfo, ...]
    method: str
    reason: str | None  # why there are no topics (None when there are)
    requested: int | None = None  # the k asked for (None: chosen from the size)
    templated: int = 0  # input texts that are templated replies (no topic)
    catch_all: int = 0  # input texts that fell in a catch-all (no topic)

    def labels_of(self, i: int) -> tuple[str, ...]:
        return tuple(self.topics[t].label for t in self.memberships[i])


MIN_TOPIC_DOCS = 10
MIN_TOPICS = 2  # bounds of a requested number of topics
MAX_REQUESTED_TOPICS = 20
MAX_AUTO_TOPICS = 20
THEME_MIN_SHARE = 0.4  # a text whose words are 60% greetings or service phrases has no theme
BOILERPLATE_WEIGHT = 0.1  # a greeting or service phrase weighs a tenth of another term
IDF_POWER = 2.0  # idf squared: words every other text uses ("banco") weigh less
MIN_COHERENCE = 0.0  # a topic whose top words co-occur less than chance is a catch-all
QUALITY_SAMPLE = 3000  # texts the coherence of the topics is measured on
TEMPLATE_NGRAM = 4  # a reply is templated when half its 4-word sequences or more ...
TEMPLATE_SHARE = 0.5
TEMPLATE_MIN_ADDRESSEES = 5  # ... open replies to 5 or more different accounts
_ADDRESSEE = re.compile(r"\s*@(\w+)")
_KEYWORDS = 10


def auto_k(n_texts: int) -> int:
    """Topics for `n_texts` distinct texts with a theme: a third of their square root
    (2 up to ~50 texts, 10 at 900, 20 from ~3,400 on)."""
    return max(MIN_TOPICS, min(MAX_AUTO_TOPICS, round(math.sqrt(max(n_texts, 0)) / 3)))


def _templated_replies(
    texts: Sequence[str], tokens: Callable[[str], list[str]], distinct: Sequence[int]
) -> set[int]:
    """The texts (first posts of each distinct text) that are templated replies: replies
    ("@ana ...") at least half of whose 4-word sequences (names after greetings aside) open
    replies to `TEMPLATE_MIN_ADDRESSEES` or more different accounts ("@ana Hola Ana,
    envíanos un DM..."). A customer-service account's answers, not a theme: customers'
    own phrases go to a few brands, a template to everyone who wrote. `tokens`: the
    tokenizer (only replies are tokenised here)."""
    replies: list[tuple[int, list[str]]] = []
    reach: dict[str, set[str]] = {}
    folded: dict[str, str] = {}
    for i in distinct:
        addressee = _ADDRESSEE.match(texts[i])
        if addressee is None:
            continue
        words = [
            folded.get(w) or folded.setdefault(w, fold(w))
            for w in words_without_names(tokens(texts[i]))
        ]
        grams = [
            " ".join(words[j : j + TEMPLATE_NGRAM]) for j in range(len(words) - TEMPLATE_NGRAM + 1)
        ]
        if not grams:
            continue
        replies.append((i, grams))
        to = addressee.group(1).lower()
        for gram in grams:
            reach.setdefault(gram, set()).add(to)
    shared = {g for g, to in reach.items() if len(to) >= TEMPLATE_MIN_ADDRESSEES}
    return {
        i
        for i, grams in replies
        if sum(1 for g in grams if g in shared) >= TEMPLATE_SHARE * len(grams)
    }


def _says_something(terms: Sequence[str], common: Callable[[str], bool]) -> bool:
    """True when at least `THEME_MIN_SHARE` of a text's words (hashtags included, pairs
    aside) are not greetings or service phrases (`common`)."""
    words = [t for t in terms if " " not in t]
    distinctive = sum(1 for t in words if not common(t))
    return distinctive > 0 and distinctive >= THEME_MIN_SHARE * len(words)


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


def _empty_model(n: int, reason: str, requested: int | None, templated: int) -> TopicModel:
    return TopicModel(
        topics=(),
        dominant=(-1,) * n,
        weight=(0.0,) * n,
        memberships=((),) * n,
        candidates=(),
        method="nmf-tfidf",
        reason=reason,
        requested=requested,
        templated=templated,
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


def _quality(x: CsrMatrix, h: Any, k: int, error: float) -> tuple[TopicCandidateInfo, list[float]]:
    """Coherence (NPMI of the top 5 terms, on up to `QUALITY_SAMPLE` texts; the mean and
    each topic's) and diversity (unique top-10 terms) of a fit."""
    n = x.n_rows
    if n > QUALITY_SAMPLE:
        xs = x.rows(np.sort(np.random.default_rng(0).choice(n, QUALITY_SAMPLE, replace=False)))
    else:
        xs = x
    df = xs.column_counts()
    tops = [np.argsort(-h[t], kind="stable")[:_KEYWORDS] for t in range(k)]
    each = [_npmi(xs.incidence(tp[:5]), df[tp[:5]], xs.n_rows) for tp in tops]
    coherence = float(np.mean(each))
    diversity = len({int(j) for tp in tops for j in tp}) / float(sum(len(tp) for tp in tops))
    info = TopicCandidateInfo(
        k=k,
        coherence=round(coherence, 4),
        diversity=round(diversity, 4),
        reconstruction_error=round(error, 4),
        score=round(diversity * (1.0 + coherence) / 2.0, 4),
    )
    return info, each


@dataclass(frozen=True, slots=True)
class _Fit:
    w: Any  # themed texts x k
    h: Any  # k x terms
    terms: list[str]
    themed: list[int]  # rows of the documents that have a theme
    quality: TopicCandidateInfo
    coherence: list[float]  # per topic


def _fit(docs: list[list[str]], requested: int | None) -> _Fit | str:
    """The NMF of the documents that have a theme, or the reason there is none."""
    n = len(docs)
    common = boilerplate().covers
    try:
        vec = tfidf(
            docs,
            min_df=max(2, math.ceil(0.001 * n)),
            max_df=0.6,
            max_features=5000,
            term_weight=lambda t: BOILERPLATE_WEIGHT if common(t) else 1.0,
            idf_power=IDF_POWER,
        )
    except EmptyVocabularyError:
        return "no word occurs in at least two posts"
    docs.clear()  # the caller's list: the terms are in the matrix now (peak memory)
    terms = list(vec.terms)
    distinctive = np.array([not common(t) for t in terms])
    x = vec.matrix
    # A document has a theme when it keeps a distinctive term of the vocabulary.
    has_theme = np.bincount(x.row_ids()[distinctive[x.indices]], minlength=n) > 0
    themed = [int(i) for i in np.flatnonzero(has_theme)]
    if len(themed) < MIN_TOPIC_DOCS:
        return f"only {len(themed)} posts say something beyond greetings and service phrases"
    n_distinctive = int(distinctive.sum())
    k_max = min(max(MIN_TOPICS, len(themed) // 8), n_distinctive // 2)
    if n_distinctive < 4 or k_max < MIN_TOPICS:
        return "too few distinct words shared by several posts"
    k = min(requested if requested is not None else auto_k(len(themed)), k_max)
    xt = x.rows(themed) if len(themed) < n else x
    del vec, x  # the unthemed rows' matrix is not needed for the fit (peak memory)
    with _FIT_LOCK, threadpool_limits(1):
        model = nmf(xt, k, max_iter=300, tol=1e-3, seed=0)
    quality, each = _quality(xt, model.h, k, model.reconstruction_error)
    return _Fit(w=model.w, h=model.h, terms=terms, themed=themed, quality=quality, coherence=each)


# --------------------------------------------------------------------------- labels

DISPLAY_PER_TOPIC = 150  # texts of each topic read to show its terms as people write them
_CAPITALISED = re.compile(r"[#@]?[A-ZÁÉÍÓÚÑÜ][\wÁÉÍÓÚÑÜáéíóúñü]*")
# Words a pair is shown with when people put them between its two ("tarjeta de crédito").
_CONNECTORS = frozenset(
    {"de", "del", "la", "el", "los", "las", "al", "a", "y", "en", "con", "por", "para", "sin"}
    | {"un", "una", "the", "of", "and", "to", "in", "for", "on", "with", "at"}
)
_NAME_SHARE = 0.6  # a word written capitalised this often (or more) is shown so


def _display_forms(
    wanted: set[str],
    texts: Sequence[str],
    tokens: Sequence[list[str]],
    languages: Sequence[str],
) -> dict[str, str]:
    """How to show each term: a lemma as people write it (itself when they do, else their
    commonest form: "gracias", not "gracia"), a pair with the words people put between
    ("tarjeta de débito"), and names with their capitals ("Santander", "AMLO")."""
    stop = all_stopwords()
    unigram_forms: dict[str, dict[str, int]] = {}
    pair_forms: dict[str, dict[str, int]] = {}
    capitals: dict[str, dict[str, int]] = {}
    uses: Counter[str] = Counter()
    for text, toks, lang in zip(texts, tokens, languages, strict=True):
        uses.update(toks)
        lex = lexicon(lang if lang in ("es", "en") else "und")
        last: tuple[str, int] | None = None  # (lemma, position) of the last content word
        for pos, tok in enumerate(toks):
            if tok.startswith("#"):
                last = None
                continue
            f = fold(tok)
            if len(f) < 3 or f in stop:
                continue
            lemma = lex.lemma(tok)
            if lemma in wanted:
                forms = unigram_forms.setdefault(lemma, {})
                forms[tok] = forms.get(tok, 0) + 1
            if last is not None and pos - last[1] <= 3:
                pair = f"{last[0]} {lemma}"
                if pair in wanted:
                    between = toks[last[1] + 1 : pos]
                    kept = [w for w in between if w in _CONNECTORS]
                    phrase = (
                        " ".join([toks[last[1]], *kept, tok])
                        if len(kept) == len(between)
                        else f"{toks[last[1]]} {tok}"
                    )
                    forms = pair_forms.setdefault(pair, {})
                    forms[phrase] = forms.get(phrase, 0) + 1
            last = (lemma, pos)
        for word in _CAPITALISED.findall(text):
            if word[0] not in "#@" and len(word) > 1:
                seen = capitals.setdefault(word.lower(), {})
                seen[word] = seen.get(word, 0) + 1

    def commonest(forms: dict[str, int]) -> str:
        return min(forms, key=lambda f: (-forms[f], f))

    def cased(word: str) -> str:
        caps = capitals.get(word)
        if caps and sum(caps.values()) >= _NAME_SHARE * uses[word]:
            return commonest(caps)
        return word

    out: dict[str, str] = {}
    for lemma, forms in unigram_forms.items():
        out[lemma] = cased(lemma if lemma in forms else commonest(forms))
    for pair, forms in pair_forms.items():
        out[pair] = " ".join(cased(w) for w in commonest(forms).split(" "))
    return out


def _labels(
    h: Any, terms: list[str], order: list[int], display: Callable[[set[str]], dict[str, str]]
) -> list[TopicInfo]:
    common = boilerplate().covers
    tops: list[tuple[list[int], Any]] = []
    for t in order:
        row = h[t]
        ranked = [int(j) for j in np.argsort(-row, kind="stable")[:40] if row[j] > 0]
        distinctive = [j for j in ranked if not common(terms[j])]
        tops.append(((distinctive or ranked)[:_KEYWORDS], row))
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
        parts = _label_parts([terms[j] for j in top], [float(row[j]) / peak for j in top])
        names = [shown.get(terms[j], terms[j]) for j in top]
        label = " / ".join(names[i] for i in parts) or f"topic {new_index + 1}"
        extra = [i for i in range(len(top)) if i not in parts]
        while label in used and extra:
            label = f"{label} / {names[extra.pop(0)]}"
        if label in used:
            label = f"{label} ({new_index + 1})"
        used.add(label)
        out.append(TopicInfo(index=new_index, label=label, keywords=keywords))
    return out


_PAIR_MIN = 0.35  # a pair stands for its words when it weighs this much of the top term
_SECOND_MIN = 0.25  # a second part joins the label when it weighs this much


def _label_parts(terms: list[str], weights: list[float]) -> list[int]:
    """Positions (in `terms`, strongest first) of the label's parts: the top term, or a
    strong pair containing it; then the strongest term that is not one of its words."""
    if not terms:
        return []

    def words(i: int) -> set[str]:
        return set(terms[i].split(" "))

    first = 0
    if " " not in terms[0]:
        pair = next(
            (
                i
                for i, t in enumerate(terms)
                if " " in t and terms[0] in words(i) and weights[i] >= _PAIR_MIN
            ),
            None,
        )
        if pair is not None:
            first = pair
    taken = words(first)
    for i in range(len(terms)):
        if i != first and weights[i] >= _SECOND_MIN and not (words(i) & taken):
            return [first, i]
    return [first]


# --------------------------------------------------------------------------- the model


def topic_model(
    texts: Sequence[str],
    languages: Sequence[str],
    handles: frozenset[str],
    *,
    k: int | None = None,
) -> TopicModel:
    """The topics of `texts` (each in its detected language), leaving out the words that
    are part of the brand's `handles` (lowercase, no "@"). `k`: how many topics (None:
    `auto_k` of the texts with a theme)."""
    n = len(texts)
    requested = None if k is None else max(MIN_TOPICS, min(MAX_REQUESTED_TOPICS, k))
    first_of: dict[str, int] = {}
    copy_of = [first_of.setdefault(copy_key(t), i) for i, t in enumerate(texts)]
    # Tokens are made text by text where they are read, never held for the whole window
    # (100,000 token lists weigh some 50 MB).
    templated = _templated_replies(texts, tokenize, list(first_of.values()))
    # The first post of each distinct text that is not a templated reply.
    distinct = [i for i in first_of.values() if i not in templated]
    del first_of
    n_templated = sum(1 for first in copy_of if first in templated)
    is_brand = _brand_filter(handles)
    pool: dict[str, str] = {}
    interned = pool.setdefault  # one string object per distinct term, not per use
    memo: dict[str, WordMemo] = {}
    docs = [
        [interned(t, t) for t in topic_terms(tokenize(texts[i]), languages[i], is_brand, memo)]
        for i in distinct
    ]
    del pool, memo
    covered: dict[str, bool] = {}
    covers = boilerplate().covers

    def common(term: str) -> bool:
        got = covered.get(term)
        if got is None:
            got = covered[term] = covers(term)
        return got

    with_terms = [r for r, d in enumerate(docs) if _says_something(d, common)]
    if len(with_terms) < MIN_TOPIC_DOCS:
        return _empty_model(
            n,
            f"only {len(with_terms)} posts say something beyond greetings and service phrases",
            requested,
            n_templated,
        )
    fit_docs = [docs[r] for r in with_terms]
    del docs
    fitted = _fit(fit_docs, requested)  # empties fit_docs once its TF-IDF is built
    del fit_docs
    if isinstance(fitted, str):
        return _empty_model(n, fitted, requested, n_templated)
    themed_posts = [distinct[with_terms[row]] for row in fitted.themed]
    # The texts read to show the terms: the first `DISPLAY_PER_TOPIC` of each topic.
    taken = np.zeros(fitted.w.shape[1], dtype=np.int64)
    sample: list[int] = []
    for row, t in enumerate(fitted.w.argmax(axis=1)):
        if taken[t] < DISPLAY_PER_TOPIC:
            taken[t] += 1
            sample.append(themed_posts[row])
    shown_tokens = {i: tokenize(texts[i]) for i in sample}
    w = fitted.w
    k_fit = w.shape[1]
    peak = w.max(axis=1)
    strongest = w.argmax(axis=1)
    # A catch-all (top words that co-occur less than chance) is no topic: its texts have none.
    coherent = np.array([c >= MIN_COHERENCE for c in fitted.coherence])
    alive = (peak > 1e-9) & coherent[strongest]
    counts = np.bincount(strongest[alive], minlength=k_fit)
    order = [t for t in sorted(range(k_fit), key=lambda t: (-int(counts[t]), t)) if counts[t]]
    rank = {t: r for r, t in enumerate(order)}
    topics = _labels(
        fitted.h,
        fitted.terms,
        order,
        lambda wanted: _display_forms(
            wanted,
            [texts[i] for i in sample],
            [shown_tokens[i] for i in sample],
            [languages[i] for i in sample],
        ),
    )

    text_topic: dict[int, tuple[int, float]] = {}  # first post of a text -> (topic, weight)
    for row, i in enumerate(themed_posts):
        if alive[row]:
            text_topic[i] = (rank[int(strongest[row])], round(float(peak[row]), 6))
        elif peak[row] > 1e-9:
            text_topic[i] = (-1, 0.0)  # in a catch-all
    dominant = [-1] * n
    weight = [0.0] * n
    n_catch_all = 0
    for i, first in enumerate(copy_of):
        got = text_topic.get(first)
        if got is not None:
            dominant[i], weight[i] = got
            n_catch_all += got[0] < 0
    return TopicModel(
        topics=tuple(topics),
        dominant=tuple(dominant),
        weight=tuple(weight),
        memberships=tuple((t,) if t >= 0 else () for t in dominant),
        candidates=(fitted.quality,),
        method="nmf-tfidf",
        reason=None,
        requested=requested,
        templated=n_templated,
        catch_all=n_catch_all,
    )
