"""Word lists (app/ai/local/lexicons/*.json) loaded once, lazily, and cached.

A `Lexicon` bundles everything the engine needs for one language: sentiment and
emotion entries, valence shifters, phrases, stopwords and a memoised word resolver
(surface form -> inflection rules -> simplemma lemma).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

from app.ai.local.text import LAUGH, fold
from app.ai.local.types import EMOTIONS

LANGS = ("es", "en")
# Emotion index in EMOTIONS for the seven non-neutral emotions.
EMO_INDEX = {name: i for i, name in enumerate(EMOTIONS) if name != "neutral"}
N_EMO = len(EMOTIONS) - 1  # "neutral" is added at the end, not accumulated from words

# Kinds of "special" tokens and phrases.
NEGATOR = 1
CONTRAST = 2
SHIFTER = 3  # intensifier (>0) or diminisher (<0)
ENTRY = 4
RESOLVER = 5  # settles the next problem word ("resolvieron mi reclamo"); may carry an entry

# (valence, ((emotion_index, weight), ...))
Entry = tuple[float, tuple[tuple[int, float], ...]]
# What the engine needs about one token, memoised per word:
# (kind, shifter value, lexicon entry, longest phrase starting here, keyword lemma or "")
TokenInfo = tuple[int, float, Entry | None, int, str]
BREAK_INFO: TokenInfo = (0, 0.0, None, 0, "")

# Valence given to words that only appear in the emotion lexicon (strong entries only).
_EMOTION_DEFAULT_VALENCE = {
    "anger": -1.5,
    "disgust": -1.5,
    "fear": -1.0,
    "sadness": -1.5,
    "joy": 1.5,
    "trust": 1.0,
    "surprise": 0.0,
}
_LAUGH_VALENCE = {"es": 0.5, "en": 0.8}
_CACHE_LIMIT = 400_000
_UNKNOWN = "\x00"  # memo marker: the lemma dictionary does not know this word


def _read_json(name: str) -> Any:
    path = importlib_resources.files("app.ai.local") / "lexicons" / name
    return json.loads(path.read_text(encoding="utf-8"))


def _key(phrase: str) -> str:
    return " ".join(fold(w) for w in phrase.lower().replace("’", "'").split())


@cache
def _lemma_dict(lang: str) -> Mapping[str, str]:
    """simplemma's word -> lemma dictionary for "es" or "en" (loaded once, ~0.3 s)."""
    # Only simplemma's dictionary is used (a plain lookup), not its slower rule cascade.
    # The stream form keeps the compressed-sorted data and decodes one block per lookup:
    # ~6 MB per language instead of ~90 MB (es) for a dict of 820,000 entries, at ~10 us
    # a lookup; callers memoise per word (`Lexicon._lemmas`, `dictionaries_knowing`).
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    return StreamDictionaryFactory().get_dictionary(lang)


_KNOWN_BY: dict[str, tuple[bool, bool]] = {}
_KNOWN_BY_LIMIT = 200_000


def dictionaries_knowing(word: str) -> tuple[bool, bool]:
    """(the Spanish lemma dictionary knows `word`, the English one does), memoised."""
    got = _KNOWN_BY.get(word)
    if got is None:
        got = (_lemma_dict("es").get(word) is not None, _lemma_dict("en").get(word) is not None)
        if len(_KNOWN_BY) >= _KNOWN_BY_LIMIT:
            _KNOWN_BY.clear()
        _KNOWN_BY[word] = got
    return got


# Modifier words of phrases ("a bit", "kind of") that are not in the stopword lists.
_NOT_KEYWORDS = frozenset({"bit", "kinda", "sorta", "lot", "pelin", "poquito"})


def _keyword_form(word: str, lemma: str, stop: frozenset[str]) -> str:
    """Lemma for keywords, unless lemmatising changes the word itself.

    simplemma maps some forms to another word ("pésimo" -> "malo", "worst" -> "bad",
    "gracias" -> "gracia"); a person reading keywords expects the word they wrote.
    """
    if lemma == word:
        return word
    fl = fold(lemma)
    if fl in stop:
        return ""
    fw = fold(word)
    if fl[:2] != fw[:2] or (fw.endswith("s") and fl == fw[:-1] and fw in _KEEP_PLURAL):
        return word
    return lemma


_KEEP_PLURAL = frozenset({"gracias", "thanks", "news", "felicidades", "vacaciones"})


def _lemma_of(word: str, langs: tuple[str, ...]) -> str:
    for lang in langs:
        found = _lemma_dict(lang).get(word)
        if found is not None:
            return found.lower()
    return word


_POSITIVE_EMOTIONS = frozenset(EMO_INDEX[e] for e in ("joy", "trust"))
_NEGATIVE_EMOTIONS = frozenset(EMO_INDEX[e] for e in ("anger", "disgust", "fear", "sadness"))


def _polarity(emos: tuple[tuple[int, float], ...]) -> int:
    """+1 when the emotions are only warm ones, -1 only cold ones, 0 mixed or none."""
    idx = {i for i, _ in emos}
    if idx & _POSITIVE_EMOTIONS and not idx & _NEGATIVE_EMOTIONS:
        return 1
    if idx & _NEGATIVE_EMOTIONS and not idx & _POSITIVE_EMOTIONS:
        return -1
    return 0


def _words_of(
    key: str, words: Mapping[str, Entry], modifiers: Mapping[str, Any]
) -> tuple[float, dict[int, float]]:
    """(sum of the valences of a phrase's words, an intensifier boosting the next one; the
    strongest weight of each emotion its words carry)."""
    boosts = {_key(w): float(v) for w, v in modifiers["intensifiers"].items()}
    total = 0.0
    boost = 1.0
    found: dict[int, float] = {}
    for part in key.split(" "):
        if part in boosts:
            boost = 1.0 + boosts[part]
            continue
        word = words.get(part)
        if word is not None:
            total += word[0] * boost
            for i, w in word[1]:
                found[i] = max(found.get(i, 0.0), w)
        boost = 1.0
    return round(total, 4), found


def _composed(
    key: str,
    entry: Entry,
    has_valence: bool,
    has_emotions: bool,
    words: Mapping[str, Entry],
    modifiers: Mapping[str, Any],
) -> Entry:
    """A phrase's entry with what only its words say filled in: the valence of its words
    when it has none and they agree with its emotions, and their emotions when it has none
    and they agree with its valence ("gracias por nada" does not get joy). Phrases with a
    negator or a contrast word are idioms and stay as listed."""
    blocked = {_key(w) for w in (*modifiers["negators"], *modifiers["contrast"])}
    if blocked.intersection(key.split(" ")):
        return entry
    valence, emos = entry
    total, found = _words_of(key, words, modifiers)
    if not has_valence and _polarity(emos) * total > 0 and abs(total) > abs(valence):
        valence = total  # stronger than the default an emotion alone gives
    if not has_emotions and valence:
        agree = _POSITIVE_EMOTIONS if valence > 0 else _NEGATIVE_EMOTIONS
        emos = tuple(sorted((i, w) for i, w in found.items() if i in agree))
    return valence, emos


class Lexicon:
    """All word-level resources of one language ("es", "en" or the merged "und")."""

    def __init__(
        self,
        lang: str,
        sentiment: dict[str, float],
        emotions: dict[str, dict[str, float]],
        modifiers: dict[str, Any],
        stopwords: frozenset[str],
        lemma_langs: tuple[str, ...],
        keyword_stopwords: frozenset[str],
    ) -> None:
        self.lang = lang
        self.lemma_langs = lemma_langs
        self.stopwords = stopwords
        emo_map: dict[str, list[tuple[int, float]]] = {}
        for emo, words in emotions.items():
            idx = EMO_INDEX[emo]
            for word, weight in words.items():
                emo_map.setdefault(word, []).append((idx, weight))
        entries: dict[str, Entry] = {}
        for word in set(sentiment) | set(emo_map):
            emos = tuple(sorted(emo_map.get(word, ())))
            if word in sentiment:
                valence = sentiment[word]
            elif " " not in word and fold(_lemma_of(word, lemma_langs)) in sentiment:
                # "buena" (joy) takes the valence of "bueno" instead of shadowing it.
                valence = sentiment[fold(_lemma_of(word, lemma_langs))]
            else:
                strong = [(w, EMOTIONS[i]) for i, w in emos if w >= 2.0]
                valence = max(
                    (_EMOTION_DEFAULT_VALENCE[e] for _, e in strong), key=abs, default=0.0
                )
            entries[word] = (valence, emos)
        # A phrase listed in one word list only would hide what its words carry in the
        # other ("muy mal" as sadness only read as valence 0, "gracias por" as valence
        # only lost the joy of "gracias"): it takes it from its words instead.
        for key, entry in list(entries.items()):
            if " " in key:
                entries[key] = _composed(
                    key, entry, key in sentiment, key in emo_map, entries, modifiers
                )
        # Reply formulas ("gracias por escribirnos", "un saludo") are politeness, not
        # emotion: their words' valence, no emotion.
        for phrase in modifiers["courtesy"]:
            key = _key(phrase)
            listed = sentiment.get(key)
            entries[key] = (_words_of(key, entries, modifiers)[0] if listed is None else listed, ())
        # Every laugh is normalised to LAUGH; its valence is set here, not in the word lists.
        laugh_emos = entries.get(LAUGH, (0.0, ((EMO_INDEX["joy"], 1.0),)))[1]
        entries[LAUGH] = (_LAUGH_VALENCE.get(lang, 0.5), laugh_emos)
        special: dict[str, tuple[int, float]] = {}
        for w in modifiers["negators"]:
            special[_key(w)] = (NEGATOR, 0.0)
        for w in modifiers["contrast"]:
            special[_key(w)] = (CONTRAST, 0.0)
        for w, v in modifiers["intensifiers"].items():
            special[_key(w)] = (SHIFTER, float(v))
        for w in modifiers.get("resolvers", ()):
            special[_key(w)] = (RESOLVER, 0.0)
        # Multi-word keys go to the phrase table; single words stay in the flat dicts.
        self.phrases: dict[str, tuple[int, float, Entry | None]] = {}
        self.phrase_first: dict[str, int] = {}
        self.entries: dict[str, Entry] = {}
        self.special: dict[str, tuple[int, float]] = {}
        for key, entry in entries.items():
            if " " in key:
                self._add_phrase(key, (ENTRY, 0.0, entry))
            else:
                self.entries[key] = entry
        for key, (kind, value) in special.items():
            if " " in key:
                self._add_phrase(key, (kind, value, None))
            else:
                self.special[key] = (kind, value)
        self.keyword_stop = frozenset(fold(w) for w in keyword_stopwords)
        self._resolved: dict[str, Entry | None] = {}
        self._lemmas: dict[str, str] = {}
        self._info: dict[str, TokenInfo] = {}

    def _add_phrase(self, key: str, value: tuple[int, float, Entry | None]) -> None:
        parts = key.split(" ")
        self.phrases[key] = value
        self.phrase_first[parts[0]] = max(self.phrase_first.get(parts[0], 0), len(parts))

    def known(self) -> set[str]:
        return set(self.entries) | set(self.special) | {fold(w) for w in self.stopwords}

    def lemma(self, word: str) -> str:
        """simplemma dictionary lemma of a lowercase word (itself when unknown)."""
        return self._lemma_or_empty(word) or word

    def _lemma_or_empty(self, word: str) -> str:
        """Lemma, or "" when the dictionary does not know the word (memoised as such)."""
        got = self._lemmas.get(word)
        if got is not None:
            return "" if got == _UNKNOWN else got
        lemma = ""
        for lang in self.lemma_langs:
            found = _lemma_dict(lang).get(word)
            if found is not None:
                lemma = found.lower()
                break
        if len(self._lemmas) > _CACHE_LIMIT:
            self._lemmas.clear()
        self._lemmas[word] = lemma or _UNKNOWN
        return lemma

    def info(self, word: str, folded: str) -> TokenInfo:
        """Everything the engine needs about a lowercase word, in one memoised lookup."""
        got = self._info.get(word)
        if got is not None:
            return got
        longest = self.phrase_first.get(folded, 0)
        sp = self.special.get(folded)
        if sp is not None:
            kind, value = sp
            # A resolver keeps its own valence ("resolvieron" is good news in itself).
            entry = self.resolve(word, folded) if kind == RESOLVER else None
        else:
            value = 0.0
            entry = self.resolve(word, folded)
            kind = ENTRY if entry is not None else 0
        keyword = ""
        if (
            (sp is None or kind == RESOLVER)
            and len(folded) >= 3
            and folded != LAUGH
            and folded not in self.keyword_stop
            and folded not in _NOT_KEYWORDS
        ):
            keyword = _keyword_form(word, self.lemma(word), self.keyword_stop)
        got = (kind, value, entry, longest, keyword)
        if len(self._info) > _CACHE_LIMIT:
            self._info.clear()
        self._info[word] = got
        return got

    def resolve(self, word: str, folded: str) -> Entry | None:
        """Lexicon entry for a lowercase word, trying inflection rules and the lemma."""
        try:
            return self._resolved[word]
        except KeyError:
            pass
        entry = self.entries.get(folded)
        if entry is None and len(folded) > 3:
            lemma = self._lemma_or_empty(word)
            if lemma:
                if lemma != word:
                    entry = self.entries.get(fold(lemma))
            else:
                # Suffix rules only for words the dictionary does not know (slang, missing
                # accents, diminutives): on known words they invent links ("tema" -> "temo").
                entry = self._inflected(folded)
        if len(self._resolved) > _CACHE_LIMIT:
            self._resolved.clear()
        self._resolved[word] = entry
        return entry

    def _inflected(self, f: str) -> Entry | None:
        get = self.entries.get
        if self.lang != "en":
            # Superlatives keep their extra intensity: "buenísimas" -> bueno x1.3.
            for suf in ("isimos", "isimas", "isimo", "isima"):
                if f.endswith(suf):
                    stem = f[: -len(suf)]
                    for base in (
                        stem + "o",
                        stem + "e",
                        stem,
                        stem[:-1] + "z" if stem.endswith("c") else "",
                    ):
                        e = get(base) if base else None
                        if e is not None:
                            return (e[0] * 1.3, e[1])
                    return None
            # Diminutives and number/gender: "tristecitos", "feas", "malos", "fatales".
            for suf, reps in (
                ("citos", ("",)),
                ("citas", ("",)),
                ("itos", ("o",)),
                ("itas", ("a", "o")),
                ("ito", ("o",)),
                ("ita", ("a", "o")),
                ("es", ("",)),
                ("os", ("o",)),
                ("as", ("a", "o")),
                ("s", ("",)),
                ("a", ("o",)),
            ):
                if f.endswith(suf):
                    stem = f[: -len(suf)]
                    for rep in reps:
                        e = get(stem + rep)
                        if e is not None:
                            return e
        if self.lang != "es":
            for suf, reps in (("ily", ("y",)), ("ly", ("", "le")), ("s", ("",)), ("ed", ("", "e"))):
                if f.endswith(suf):
                    stem = f[: -len(suf)]
                    for rep in reps:
                        e = get(stem + rep)
                        if e is not None:
                            return e
        return None


def _weights(groups: dict[str, list[str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for weight, words in groups.items():
        for w in words:
            key = _key(w)
            prev = out.get(key)
            if prev is None or abs(float(weight)) > abs(prev):
                out[key] = float(weight)
    return out


@cache
def _raw(lang: str) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, Any]]:
    sentiment = _weights(_read_json(f"sentiment_{lang}.json")["weights"])
    emo_file = _read_json(f"emotion_{lang}.json")
    emotions = {emo: _weights(groups) for emo, groups in emo_file["emotions"].items()}
    modifiers = {**_read_json("modifiers.json")[lang], "courtesy": emo_file["courtesy"]}
    return sentiment, emotions, modifiers


@cache
def stopwords() -> dict[str, frozenset[str]]:
    """Stopwords per language, accent-folded."""
    data = _read_json("stopwords.json")
    return {lang: frozenset(fold(w) for w in data[lang]) for lang in LANGS}


@cache
def all_stopwords() -> frozenset[str]:
    sw = stopwords()
    return sw["es"] | sw["en"]


_lexicon_lock = threading.Lock()


@cache
def _build_lexicon(lang: str) -> Lexicon:
    if lang in LANGS:
        sentiment, emotions, modifiers = _raw(lang)
        lemma_langs: tuple[str, ...] = (lang,)
        return Lexicon(
            lang, sentiment, emotions, modifiers, stopwords()[lang], lemma_langs, all_stopwords()
        )
    # "und": union of both languages, Spanish first (most of our users' posts).
    es_s, es_e, es_m = _raw("es")
    en_s, en_e, en_m = _raw("en")
    sentiment = {**en_s, **es_s}
    emotions = {emo: {**en_e.get(emo, {}), **es_e.get(emo, {})} for emo in EMO_INDEX}
    modifiers = {
        "negators": sorted(set(es_m["negators"]) | set(en_m["negators"])),
        "contrast": sorted(set(es_m["contrast"]) | set(en_m["contrast"])),
        "intensifiers": {**en_m["intensifiers"], **es_m["intensifiers"]},
        "resolvers": sorted(set(es_m["resolvers"]) | set(en_m["resolvers"])),
        "courtesy": sorted(set(es_m["courtesy"]) | set(en_m["courtesy"])),
    }
    return Lexicon(
        "und", sentiment, emotions, modifiers, all_stopwords(), ("es", "en"), all_stopwords()
    )


def lexicon(lang: str) -> Lexicon:
    """The cached lexicon for "es", "en" or "und" (thread-safe first build)."""
    with _lexicon_lock:
        return _build_lexicon(lang)


@cache
def known_words() -> frozenset[str]:
    """Every folded word any lexicon knows; used to undo elongations well."""
    out: set[str] = set()
    for lang in LANGS:
        out |= lexicon(lang).known()
    return frozenset(out)


@cache
def emoji_table() -> tuple[dict[str, tuple[float, int]], dict[str, tuple[float, int]]]:
    """(emoji, emoticons): symbol -> (valence, emotion index or -1 for neutral)."""
    data = _read_json("emoji.json")

    def conv(table: dict[str, list[Any]]) -> dict[str, tuple[float, int]]:
        out: dict[str, tuple[float, int]] = {}
        for sym, (valence, emo) in table.items():
            out[sym.replace("\ufe0f", "")] = (float(valence), EMO_INDEX.get(emo, -1))
        return out

    return conv(data["emoji"]), conv(data["emoticons"])


def warm_up() -> None:
    """Load every word list and lemma dictionary now (about 1 s) instead of on first use."""
    for lang in (*LANGS, "und"):
        lexicon(lang)
    for lang in LANGS:
        _lemma_dict(lang).get("a")
    known_words()
    emoji_table()
