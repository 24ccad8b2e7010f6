"""Keywords: per post (cheap, batch-independent) and over a set of posts (TF-IDF)."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources as importlib_resources

from app.ai.local import text as _text
from app.ai.local.resources import LANGS, TokenInfo, all_stopwords, known_words, lexicon
from app.ai.local.text import FROM_HASHTAG, LAUGH, Scan, fold

MAX_TEXT_KEYWORDS = 5
_MIN_LEN = 3


def _is_content(folded: str, stop: frozenset[str]) -> bool:
    return len(folded) >= _MIN_LEN and folded not in stop and folded != LAUGH


def text_keywords(s: Scan, infos: Sequence[TokenInfo], k: int = MAX_TEXT_KEYWORDS) -> list[str]:
    """Up to k keywords of one post: its hashtags first, then frequent content lemmas."""
    out: list[str] = []
    for tag in s.hashtags:
        if tag not in out and len(tag) > 2:
            out.append(tag)
            if len(out) >= k:
                return out
    counts: dict[str, int] = {}
    for info, fl in zip(infos, s.flags, strict=True):
        kw = info[4]
        if kw and not fl & FROM_HASHTAG:
            counts[kw] = counts.get(kw, 0) + 1
    if not counts:
        return out
    # Stable sort keeps first-seen order among equal counts (deterministic).
    for lemma in sorted(counts, key=counts.__getitem__, reverse=True):
        if lemma not in out:
            out.append(lemma)
            if len(out) >= k:
                break
    return out


def tokenize(text: str) -> list[str]:
    """Normalised tokens of a post, shared with topic extraction.

    Lowercase with accents kept; URLs, @mentions, emoji, punctuation and numbers dropped;
    elongations collapsed ("graciaaas" -> "gracias"); laughs unified to "jaja";
    hashtags kept whole as "#tag". Stopwords are kept: use `content_tokens` to drop them.
    """
    return _text.tokenize(text, known_words())


def content_tokens(text: str, language: str) -> list[str]:
    """Lemmatised tokens without es+en stopwords, laughs or very short words; hashtags kept."""
    lex = lexicon(language if language in ("es", "en") else "und")
    stop = all_stopwords()
    out: list[str] = []
    for tok in tokenize(text):
        if tok.startswith("#"):
            if len(tok) > 2:
                out.append(tok)
            continue
        f = fold(tok)
        if not _is_content(f, stop):
            continue
        lemma = lex.lemma(tok)
        if fold(lemma) in stop:
            continue
        out.append(lemma)
    return out


def extract_keywords(
    texts: Sequence[str], language: str, top_k: int = 20
) -> list[tuple[str, float]]:
    """Corpus-level keywords of a set of posts as (term, score in 0..1), best first.

    Summed per-post TF-IDF (sublinear tf, smoothed idf, l2-normalised per post) over
    lemmatised unigrams, hashtags and adjacent-word bigrams; stopwords in es+en removed.
    Bigrams need at least 2 posts, so one odd phrase does not crowd out real themes.
    """
    if top_k <= 0 or not texts:
        return []
    docs: list[Counter[str]] = []
    df: Counter[str] = Counter()
    for t in texts:
        toks = content_tokens(t, language)
        tf: Counter[str] = Counter(toks)
        words = [x for x in toks if not x.startswith("#")]
        for a, b in itertools.pairwise(words):
            if a != b:
                tf[f"{a} {b}"] += 1
        if tf:
            docs.append(tf)
            df.update(tf.keys())
    if not docs:
        return []
    n = len(docs)
    idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}
    scores: dict[str, float] = {}
    for tf in docs:
        weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in tf.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for t, w in weights.items():
            if " " in t and df[t] < 2:
                continue
            scores[t] = scores.get(t, 0.0) + w / norm
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    if not ranked:
        return []
    top = ranked[0][1]
    return [(term, round(score / top, 4)) for term, score in ranked]


# --------------------------------------------------------------------------- topic terms

_MAX_PAIR_GAP = 1  # stopwords allowed between the two words of a pair ("tarjeta de débito")


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """Greetings, thanks and customer-service phrases (lexicons/boilerplate.json), es+en,
    accent-folded: words (and their lemmas), word pairs, and the words after which the
    next word is a name ("Hola Carlos")."""

    words: frozenset[str]
    pairs: frozenset[str]
    before_names: frozenset[str]

    def covers(self, term: str) -> bool:
        """True for a boilerplate term: a listed word or lemma, a listed pair, or a pair
        with a listed word ("hola compra")."""
        folded = fold(term)
        if " " not in folded:
            return folded in self.words
        return folded in self.pairs or any(w in self.words for w in folded.split(" "))


@cache
def boilerplate() -> Boilerplate:
    path = importlib_resources.files("app.ai.local") / "lexicons" / "boilerplate.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    words: set[str] = set()
    pairs: set[str] = set()
    for lang in LANGS:
        lex = lexicon(lang)
        for entry in data[lang]:
            if " " in entry:
                pairs.add(" ".join(fold(lex.lemma(w)) for w in entry.split()))
            else:
                words.update((fold(entry), fold(lex.lemma(entry))))
    return Boilerplate(
        words=frozenset(words),
        pairs=frozenset(pairs),
        before_names=frozenset(fold(w) for w in data["after"]),
    )


# A token read for topics: (accent-folded form, lemma or "" when it is no content word).
WordMemo = dict[str, tuple[str, str]]


def topic_terms(
    tokens: Sequence[str],
    language: str,
    skip: Callable[[str], bool],
    memo: dict[str, WordMemo] | None = None,
) -> list[str]:
    """The terms a topic model reads in a post's `tokenize` tokens: its content lemmas
    (as `content_tokens`), hashtags, and pairs of content lemmas that follow each other
    with at most one stopword between ("tarjeta de débito" -> "tarjeta débito"). Tokens
    for which `skip` is true (brand handles) and the word after a greeting ("Hola Carlos")
    are left out. `memo` (per language, shared across calls) saves reading a word twice."""
    lang = language if language in ("es", "en") else "und"
    words = (memo if memo is not None else {}).setdefault(lang, {})
    lex = lexicon(lang)
    stop = all_stopwords()
    names_after = boilerplate().before_names
    out: list[str] = []
    previous = ""  # the last content lemma a pair can start from
    gap = 0
    after_greeting = False
    for tok in tokens:
        if tok[0] == "#":
            if len(tok) > 2 and not skip(tok):
                out.append(tok)
            previous, after_greeting = "", False
            continue
        read = words.get(tok)
        if read is None:
            f = fold(tok)
            lemma = "" if not _is_content(f, stop) or skip(tok) else lex.lemma(tok)
            if lemma and fold(lemma) in stop:
                lemma = ""
            read = words[tok] = (f, lemma)
        f, lemma = read
        if after_greeting and f not in stop and f not in names_after:
            after_greeting = False
            continue
        after_greeting = f in names_after
        if not lemma:
            gap += 1
            if gap > _MAX_PAIR_GAP:
                previous = ""
            continue
        out.append(lemma)
        if previous and previous != lemma:
            out.append(f"{previous} {lemma}")
        previous, gap = lemma, 0
    return out


def words_without_names(tokens: Sequence[str]) -> list[str]:
    """`tokenize` tokens without the name after a greeting ("hola carlos" -> "hola"): the
    words a reply template keeps whoever it is sent to."""
    stop = all_stopwords()
    names_after = boilerplate().before_names
    out: list[str] = []
    after_greeting = False
    for tok in tokens:
        f = fold(tok)
        if after_greeting and f not in stop and f not in names_after and tok[0] != "#":
            after_greeting = False
            continue
        after_greeting = f in names_after
        out.append(tok)
    return out
