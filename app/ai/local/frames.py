"""Narrative-frame detection (es + en) and the lexicon matcher it shares with Q2.

Frames follow Semetko & Valkenburg's news frames (conflict, human interest, economic
consequences, morality, responsibility) plus "brand": the brand's own promotional and
product framing ("lanzamos", "ya disponible", "free shipping"). A frame is detected when
at least one of its terms occurs in the post; money amounts ("S/ 480", "$1,599") also mark
the economic frame. Word lists: lexicons/frames.json.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

from app.ai.local import tokenize
from app.ai.local.resources import lexicon
from app.ai.local.text import fold

FRAMES = ("conflict", "human_interest", "economic", "morality", "responsibility", "brand")

_MONEY = re.compile(r"(?:US\$|S/\.?|\$|€|£|\bMXN|\bUSD|\bPEN|\bEUR)\s?\d")
_LANGS = ("es", "en")
_MEMO_LIMIT = 200_000


def read_lexicon(name: str) -> Any:
    path = importlib_resources.files("app.ai.local") / "lexicons" / name
    return json.loads(path.read_text(encoding="utf-8"))


Match = tuple[str, str]  # (label, term as written in the lexicon)


class TermMatcher:
    """Finds the terms of labelled word lists in a post, per language.

    `groups` maps label -> language ("es"/"en") -> terms. A term is a word (matched on
    the accent-folded word, its lemma or its singular), several words (matched in sequence on the
    folded words, after the same tokenisation as posts, so "high-end" = "high end"), or
    a prefix ending in "*". Hashtags match as "#tag" and as the word "tag".
    """

    def __init__(self, groups: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        self.labels = tuple(groups)
        self._words: dict[str, dict[str, list[Match]]] = {lang: {} for lang in _LANGS}
        self._prefixes: dict[str, list[tuple[str, Match]]] = {lang: [] for lang in _LANGS}
        self._phrases: dict[str, dict[str, list[tuple[tuple[str, ...], Match]]]] = {
            lang: {} for lang in _LANGS
        }
        for label, by_lang in groups.items():
            for lang, terms in by_lang.items():
                for term in terms:
                    self._add(lang, label, term)
        self._memo: dict[tuple[str, str], tuple[Match, ...]] = {}
        self._lock = threading.Lock()

    def _add(self, lang: str, label: str, term: str) -> None:
        match = (label, term)
        if term.endswith("*"):
            self._prefixes[lang].append((fold(term[:-1].lower()), match))
            return
        parts = tuple(fold(t) for t in tokenize(term))
        if not parts:
            return
        if len(parts) == 1:
            known = self._words[lang].setdefault(parts[0], [])
            if all(m[0] != label for m in known):
                known.append(match)
        else:
            starts = self._phrases[lang].setdefault(parts[0], [])
            if all(p != parts or m[0] != label for p, m in starts):
                starts.append((parts, match))

    def _langs(self, language: str | None) -> tuple[str, ...]:
        return (language,) if language in _LANGS else _LANGS

    def _word_matches(self, token: str, lang: str) -> tuple[Match, ...]:
        key = (lang, token)
        got = self._memo.get(key)
        if got is not None:
            return got
        words = self._words[lang]
        body = token[1:] if token.startswith("#") else token
        folded = fold(body)
        found: list[Match] = []
        candidates = [fold(token), folded]
        if body and not token.startswith("#"):
            candidates.append(fold(lexicon(lang).lemma(body)))
            if len(folded) > 4 and folded.endswith("s"):
                # Plurals the lemma dictionary maps elsewhere ("resistentes" -> "resistir").
                candidates.append(folded[:-1])
                if folded.endswith("es"):
                    candidates.append(folded[:-2])
        for cand in candidates:
            for m in words.get(cand, ()):
                if m not in found:
                    found.append(m)
        for prefix, m in self._prefixes[lang]:
            if folded.startswith(prefix) and m not in found:
                found.append(m)
        result = tuple(found)
        with self._lock:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = result
        return result

    def match_tokens(self, tokens: Sequence[str], language: str | None) -> list[Match]:
        """Every (label, term) found in already tokenised text, in order of appearance.

        A token counts once per label (its surface form before its lemma), and a word
        inside a phrase of the same label ("comunidad" in "hola comunidad") is not
        counted again.
        """
        folded = [fold(t) for t in tokens]
        n = len(folded)
        words: dict[tuple[int, str], str] = {}
        phrases: list[tuple[int, int, Match]] = []
        for lang in self._langs(language):
            starts = self._phrases[lang]
            for i, tok in enumerate(tokens):
                for label, term in self._word_matches(tok, lang):
                    words.setdefault((i, label), term)
                for parts, m in starts.get(folded[i], ()):
                    size = len(parts)
                    if (
                        i + size <= n
                        and tuple(folded[i : i + size]) == parts
                        and (i, i + size, m) not in phrases
                    ):
                        phrases.append((i, i + size, m))
        covered = {(k, m[0]) for a, b, m in phrases for k in range(a, b)}
        found = [(i, (label, term)) for (i, label), term in words.items()
                 if (i, label) not in covered]  # fmt: skip
        found += [(a, m) for a, _, m in phrases]
        found.sort(key=lambda im: im[0])
        return [m for _, m in found]

    def match(self, text: str, language: str | None) -> list[Match]:
        return self.match_tokens(tokenize(text), language)


@cache
def frame_matcher() -> TermMatcher:
    data = read_lexicon("frames.json")["frames"]
    return TermMatcher({frame: data[frame] for frame in FRAMES})


def frames_from_tokens(text: str, tokens: Sequence[str], language: str | None) -> tuple[str, ...]:
    """`detect_frames` for a post already tokenised with `tokenize` (saves a pass)."""
    found = {label for label, _ in frame_matcher().match_tokens(tokens, language)}
    if "economic" not in found and _MONEY.search(text):
        found.add("economic")
    return tuple(f for f in FRAMES if f in found)


def detect_frames(text: str, language: str | None) -> tuple[str, ...]:
    """Narrative frames of one post, in FRAMES order ("es", "en"; else both lists)."""
    return frames_from_tokens(text, tokenize(text), language)


@cache
def politics_matcher() -> TermMatcher:
    return TermMatcher({"politics": read_lexicon("politics.json")["politics"]})


def mentions_politics(text: str, language: str | None) -> bool:
    """Whether a post speaks of government, parties, elections or public office
    (lexicons/politics.json, "es" and "en"): its topic is a risk, not an opportunity."""
    return bool(politics_matcher().match(text, language))
