"""Lexicon- and rule-based sentiment and emotion scoring (VADER-style, es + en).

Per word: lexicon valence, boosted by intensifiers ("muy", "so"), capitals and
elongation; flipped and dampened by a negator up to 3 tokens before it in the same
clause; a negator that negates no lexicon word still counts a little negative ("nadie
me contesta"); a resolver ("resolvieron", "fixed") settles the mild problem word up to 3
tokens after it ("resolvieron mi reclamo" is not a complaint); clauses before
"pero"/"but" weigh less than the ones after. Emoji, emoticons and exclamation marks add
on top. The sum is squashed to -1..1 and a neutral band decides the label. Emotions
accumulate the same way from the emotion lexicon, with a constant "neutral" mass so
posts without emotional cues stay neutral. A phrase takes from its words what its own
entry leaves out (resources.py): "gracias por" keeps the joy of "gracias".
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.ai.local.keywords import text_keywords
from app.ai.local.language import detect_from_words
from app.ai.local.resources import (
    BREAK_INFO,
    CONTRAST,
    EMO_INDEX,
    N_EMO,
    NEGATOR,
    RESOLVER,
    SHIFTER,
    Entry,
    Lexicon,
    TokenInfo,
    emoji_table,
    known_words,
    lexicon,
)
from app.ai.local.text import CAPS, ELONGATED, Scan, scan
from app.ai.local.types import EMOTIONS, TextAnalysis


@dataclass(frozen=True, slots=True)
class Tuning:
    """Thresholds and weights.

    "es" was tuned on the TASS 2020 train files and checked on their dev files. English
    has no labelled sentiment train split in our data, so "en" uses the same shape with
    coarse values checked on us_airline_dev. Positive needs more evidence than negative
    on purpose: in social posts one mild positive word ("bien", "good") is usually not a
    positive post, while mild negativity usually is a complaint.
    """

    pos_threshold: float
    neg_threshold: float
    neutral_mass: float  # emotion mass of "neutral" before normalising
    sentiment_to_emotion: float  # how much a clearly polar post leans to joy/sadness/anger
    negation_residue: float  # valence of a negator that negates no lexicon word ("nadie vino")


TUNING: dict[str, Tuning] = {
    "es": Tuning(
        pos_threshold=0.50,
        neg_threshold=0.20,
        neutral_mass=1.6,
        sentiment_to_emotion=0.8,
        negation_residue=-1.0,
    ),
    "en": Tuning(
        pos_threshold=0.50,
        neg_threshold=0.10,
        neutral_mass=1.6,
        sentiment_to_emotion=0.8,
        negation_residue=-1.0,
    ),
    "und": Tuning(
        pos_threshold=0.50,
        neg_threshold=0.20,
        neutral_mass=1.6,
        sentiment_to_emotion=0.8,
        negation_residue=-1.0,
    ),
}

NEGATION_SCALAR = -0.74  # VADER's value: "not good" is weaker than "bad"
NEGATION_SCOPE = 3
RESOLVER_SCOPE = 3
# A resolver settles mild problem words only ("reclamo", "problema": -1): "lo resolvieron
# fatal" stays bad.
SETTLED_VALENCE = -1.0
SHIFTER_SCOPE = 2
CAPS_BOOST = 1.3  # a capitalised word in a mixed-case post
CAPS_ALL_BOOST = 1.15  # the whole post shouts
ELONGATION_BOOST = 1.25
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
EXCLAMATION_STEP = 0.292  # per "!" up to 4, in the direction of the sum
ALPHA = 15.0  # squash s -> s / sqrt(s^2 + ALPHA)
EMOJI_EMOTION_WEIGHT = 1.2
EMOJI_ONLY_NEUTRAL = 0.4  # share of the neutral mass left when a post has no words

_JOY = EMO_INDEX["joy"]
_SADNESS = EMO_INDEX["sadness"]
_ANGER = EMO_INDEX["anger"]
_NEUTRAL_LABEL = "neutral"
_NO_EMOTION = [0.0] * N_EMO  # shared, never mutated
_NO_ENTRY: Entry = (0.0, ())  # a resolver with no valence of its own


def _score(
    s: Scan, infos: list[TokenInfo], lex: Lexicon, residue: float
) -> tuple[float, list[float]]:
    """Return (compound sentiment in -1..1, raw emotion masses for the 7 emotions)."""
    folded = s.folded
    flags = s.flags
    n = len(folded)
    phrases = lex.phrases
    shouting = s.caps_words >= 3 and s.caps_words >= 0.6 * s.letter_words

    # (valence after shifters, emotions or () when negated, intensity multiplier)
    items: list[tuple[float, tuple[tuple[int, float], ...], float]] = []
    contrast_at = -1
    negators = 0
    negated = 0
    neg_left = 0
    shift = 0.0
    shift_left = 0
    settle_left = 0
    i = 0
    while i < n:
        kind, value, entry, longest, _ = infos[i]
        if not folded[i]:
            neg_left = 0
            shift_left = 0
            settle_left = 0
            i += 1
            continue
        span = 1
        if longest:
            for size in range(min(longest, n - i), 1, -1):
                hit = phrases.get(" ".join(folded[i : i + size]))
                if hit is not None:
                    kind, value, entry = hit
                    span = size
                    break
        if not kind:
            pass
        elif kind == NEGATOR:
            neg_left = NEGATION_SCOPE + 1
            negators += 1
        elif kind == CONTRAST:
            contrast_at = len(items)
            neg_left = 0
        elif kind == SHIFTER:
            shift = value
            shift_left = SHIFTER_SCOPE + 1
        elif entry is not None or kind == RESOLVER:
            valence, emos = entry or _NO_ENTRY
            mult = 1.0
            if shift_left > 0:
                mult *= 1.0 + shift
                shift_left = 0
            fl = flags[i]
            if fl & CAPS:
                mult *= CAPS_ALL_BOOST if shouting else CAPS_BOOST
            if fl & ELONGATED:
                mult *= ELONGATION_BOOST
            v = valence * mult
            if neg_left > 0:
                v *= NEGATION_SCALAR
                emos = ()  # "no tengo miedo" is not fear
                negated += 1
                neg_left = 0  # one negator flips one word
            elif kind == RESOLVER:
                settle_left = RESOLVER_SCOPE + 1
            elif settle_left > 0 and SETTLED_VALENCE <= valence < 0:
                v, emos = 0.0, ()  # "resolvieron mi reclamo": the complaint is settled
                settle_left = 0
            items.append((v, emos, mult))
        i += span
        if neg_left:
            neg_left = max(neg_left - span, 0)
        if shift_left:
            shift_left = max(shift_left - span, 0)
        if settle_left:
            settle_left = max(settle_left - span, 0)
    if negators > negated:
        # A bare negation still leans negative in social posts ("nadie me contesta").
        items.append((residue * (negators - negated), (), 1.0))
    if not items and not s.emoji and not s.emoticons:
        return 0.0, _NO_EMOTION

    total = 0.0
    emo = [0.0] * N_EMO
    for k, (v, emos, mult) in enumerate(items):
        weight = 1.0
        if contrast_at >= 0:
            weight = BEFORE_CONTRAST if k < contrast_at else AFTER_CONTRAST
        total += v * weight
        for idx, w in emos:
            emo[idx] += w * mult * weight

    if s.emoji or s.emoticons:
        emoji_tab, emoticon_tab = emoji_table()
        counts: dict[tuple[float, int], int] = {}
        for table, symbols in ((emoji_tab, s.emoji), (emoticon_tab, s.emoticons)):
            for sym in symbols:
                scored = table.get(sym)
                if scored is not None:
                    counts[scored] = counts.get(scored, 0) + 1
        for (valence, idx), c in counts.items():
            damp = math.sqrt(min(c, 4))  # "😂😂😂😂😂" is not five times "😂"
            total += valence * damp
            if idx >= 0:
                emo[idx] += EMOJI_EMOTION_WEIGHT * damp

    if total and s.exclamations:
        total += math.copysign(EXCLAMATION_STEP * min(s.exclamations, 4), total)
    compound = total / math.sqrt(total * total + ALPHA)
    return compound, emo


def _label(compound: float, tuning: Tuning) -> str:
    if compound >= tuning.pos_threshold:
        return "positive"
    if compound <= -tuning.neg_threshold:
        return "negative"
    return "neutral"


def _emotions(
    compound: float, emo: list[float], tuning: Tuning, has_words: bool
) -> tuple[str, dict[str, float]]:
    lean = tuning.sentiment_to_emotion
    masses = list(emo)
    # Polar posts without explicit emotion words still lean to the usual emotion.
    if compound >= tuning.pos_threshold:
        masses[_JOY] += lean * compound
    elif compound <= -tuning.neg_threshold:
        masses[_SADNESS] += 0.5 * lean * -compound
        masses[_ANGER] += 0.5 * lean * -compound
    # With no words at all (emoji-only posts) the emoji are all the evidence there is.
    neutral = tuning.neutral_mass if has_words else EMOJI_ONLY_NEUTRAL * tuning.neutral_mass
    masses.append(neutral)
    total = sum(masses)
    if total == neutral:
        return _NEUTRAL_LABEL, dict(_ALL_NEUTRAL)
    values = [round(m / total, 4) for m in masses]
    # Rounding can leave the sum a hair off 1; the remainder goes to the largest score.
    top = max(values)
    best = len(values) - 1 if values[-1] == top else values.index(top)
    values[best] = round(values[best] + 1.0 - sum(values), 4)
    return EMOTIONS[best], dict(zip(EMOTIONS, values, strict=True))


_ALL_NEUTRAL = {name: (1.0 if name == _NEUTRAL_LABEL else 0.0) for name in EMOTIONS}
_VALID_LANGS = ("es", "en", "und")


def _check_language(language: str | None) -> str | None:
    if language is None or language == "auto":
        return None
    if language not in _VALID_LANGS:
        raise ValueError(f"unsupported language {language!r}; use 'es', 'en', 'und' or None")
    return language


def _analyze(text: str, language: str | None, known: frozenset[str]) -> TextAnalysis:
    s = scan(text, known)
    lang = language or detect_from_words(s.words, s.folded)
    lex = lexicon(lang)
    tuning = TUNING[lang]
    info = lex.info
    infos = [info(w, f) if f else BREAK_INFO for w, f in zip(s.words, s.folded, strict=True)]
    compound, emo = _score(s, infos, lex, tuning.negation_residue)
    label, scores = _emotions(compound, emo, tuning, s.letter_words > 0)
    return TextAnalysis(
        language=lang,
        sentiment_label=_label(compound, tuning),
        sentiment_score=round(compound, 4),
        emotion_label=label,
        emotion_scores=scores,
        keywords=text_keywords(s, infos),
    )


def analyze_text(text: str, language: str | None = None) -> TextAnalysis:
    """Analyse one post. `language` forces "es"/"en"/"und"; None detects it."""
    return _analyze(text, _check_language(language), known_words())


def analyze_texts(texts: Sequence[str], language: str | None = None) -> list[TextAnalysis]:
    """Analyse many posts; same results as mapping `analyze_text`, but cheaper per post.

    Shared resources are resolved once and repeated texts (retweets) are analysed once.
    """
    lang = _check_language(language)
    known = known_words()
    # The analysis creates no reference cycles, so the cyclic GC only burns time here
    # (up to ~30% of a 10k batch, traversing the large word caches); pause it, restore.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze_batch(texts, lang, known)
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze_batch(
    texts: Sequence[str], lang: str | None, known: frozenset[str]
) -> list[TextAnalysis]:
    seen: dict[str, TextAnalysis] = {}
    out: list[TextAnalysis] = []
    for text in texts:
        hit = seen.get(text)
        if hit is None:
            hit = _analyze(text, lang, known)
            seen[text] = hit
            out.append(hit)
        else:
            # Copies, so a caller mutating one result's dict/list cannot touch another's.
            out.append(
                TextAnalysis(
                    language=hit.language,
                    sentiment_label=hit.sentiment_label,
                    sentiment_score=hit.sentiment_score,
                    emotion_label=hit.emotion_label,
                    emotion_scores=dict(hit.emotion_scores),
                    keywords=list(hit.keywords),
                )
            )
    return out
