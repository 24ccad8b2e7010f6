"""Text normalisation shared by sentiment, emotion, keywords and topic extraction.

One regex pass splits a post into words, hashtags, emoji, emoticons and clause
breaks; URLs and @mentions are dropped. Everything here is pure and cheap because
it runs on every post (10,000 posts must be analysed in well under a second).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import emoji as emoji_pkg

# Flags stored per word (bit field keeps the scan allocation-light).
CAPS = 1  # written in capitals ("HORRIBLE")
ELONGATED = 2  # had a letter repeated 3+ times ("graciaaas")
FROM_HASHTAG = 4  # came from splitting a hashtag

LAUGH = "jaja"  # every laugh ("jajaja", "jsjsj", "hahaha", "lol", "xd") becomes this token

_FOLD_TABLE = str.maketrans(
    "áéíóúàèìòùäëïöüâêîôûãõñç",
    "aeiouaeiouaeiouaeiouaonc",
)


def fold(word: str) -> str:
    """Lowercase word -> accent-free key ("pésimo" -> "pesimo"), so accents are optional."""
    return word if word.isascii() else word.translate(_FOLD_TABLE)


# Emoticons are matched before words so "xD" is not read as the word "xd".
_EMOTICONS = [
    ">:-(",
    ">:(",
    ":'(",
    ":’(",
    "='(",
    ":-)",
    ":-(",
    ":-D",
    ":-P",
    ":-/",
    ":-O",
    ":))",
    ":((",
    "</3",
    "<33",
    "<3",
    "^_^",
    "^.^",
    "^^",
    "T_T",
    "u_u",
    "-_-",
    "-.-",
    "o.O",
    "O.o",
    "o_O",
    ":)",
    ":(",
    ":D",
    ":P",
    ":p",
    ":/",
    ":\\",
    ":|",
    ":@",
    ":3",
    ":c",
    ":o",
    ":O",
    ":]",
    ";)",
    ";-)",
    ";D",
    "=)",
    "=(",
    "=D",
    "xD",
    "XD",
    "xd",
]


def _emoji_chars() -> frozenset[str]:
    """Every code point the `emoji` package knows as (part of) an emoji."""
    skip = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}
    chars: set[str] = set()
    for key in emoji_pkg.EMOJI_DATA:
        for ch in key:
            if not ch.isascii() and ch not in skip and not ch.isalnum():
                chars.add(ch)
    return frozenset(chars)


_EMOJI_CHARS = _emoji_chars()


def _emoticon_alternation() -> str:
    parts = []
    for emo in sorted(_EMOTICONS, key=len, reverse=True):
        pat = re.escape(emo)
        if emo[0].isalnum():
            pat = r"(?<!\w)" + pat
        if emo[-1].isalnum():
            pat += r"(?!\w)"
        parts.append(pat)
    return "|".join(parts)


_EMOTICON_SET = frozenset(_EMOTICONS)
_PUNCT_CHARS = frozenset('.,;:!?¡¿()[]"“”…|/\n')
# One capturing group, so findall() returns plain token strings (fast, done in C); the
# kind is then told by a cache hit or the first character. Leading blanks are consumed
# inside the match (far fewer failed attempts), and the emoticon branch is guarded by a
# look-ahead on its possible first characters.
_SCAN_RE = re.compile(
    r"[ \t]*("
    r"https?://\S+|www\.\S+|@\w+"
    r"|#\w+"
    r"|(?=[:;=<>^xXTuoO\-])(?:" + _emoticon_alternation() + r")"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*"
    r"|[.,;:!?¡¿()\[\]\"“”…|/\n]+"
    # Any other symbol; emoji are picked out in Python (a regex class of all emoji
    # code points is slow in `re` because most lie outside the BMP).
    r"|[^\w\s]"
    r")"
)
_ELONG_RE = re.compile(r"([^\W\d_])\1{2,}")
_LAUGH_RE = re.compile(
    r"[aj]*(?:j+[aeiou]+){2,}j*|[ah]*(?:h+[aeiou]+){2,}h*|j+s+[jsak]+|l+o+l+[ol]*|lmf?a+o+|x+d+|jaj",
)
# Splits "NoFunciona" / "DiaDelLibro" / "COVID19Vacuna" into words.
_CAMEL_RE = re.compile(r"[A-ZÁÉÍÓÚÑÜ]?[a-záéíóúñü]+|[A-ZÁÉÍÓÚÑÜ]+(?![a-záéíóúñü])")


@dataclass(slots=True)
class Scan:
    """Tokens of one post. Words are lowercase; "" marks a clause break."""

    words: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    emoji: list[str] = field(default_factory=list)
    emoticons: list[str] = field(default_factory=list)
    exclamations: int = 0
    questions: int = 0
    caps_words: int = 0
    letter_words: int = 0


def _collapse(word: str, known: frozenset[str]) -> str:
    """Undo elongation: "graciaaas" -> "gracias", but "lleeeno" keeps a double letter if known."""
    one = _ELONG_RE.sub(r"\1", word)
    if fold(one) in known:
        return one
    two = _ELONG_RE.sub(r"\1\1", word)
    return two if fold(two) in known else one


_WORD_CACHE_LIMIT = 300_000
_word_caches: dict[frozenset[str], dict[str, tuple[str, str, int]]] = {}


def _word_cache(known: frozenset[str]) -> dict[str, tuple[str, str, int]]:
    """Per-`known`-set memo of raw token -> (word, folded word, flags); tokens repeat a lot."""
    # frozenset caches its hash, so keying by the set itself is cheap.
    cache = _word_caches.get(known)
    if cache is None:
        if len(_word_caches) > 4:
            _word_caches.clear()
        cache = _word_caches[known] = {}
    return cache


def _normalise_word(tok: str, known: frozenset[str]) -> tuple[str, str, int]:
    fl = CAPS if len(tok) > 1 and tok.isupper() else 0
    w = tok.lower()
    if "’" in w:
        w = w.replace("’", "'")
    if _LAUGH_RE.fullmatch(w):
        w = LAUGH
    elif _ELONG_RE.search(w):
        w = _collapse(w, known)
        fl |= ELONGATED
        if _LAUGH_RE.fullmatch(w):
            w = LAUGH
    return w, fold(w), fl


@lru_cache(maxsize=8192)
def split_hashtag(body: str) -> tuple[str, ...]:
    """Split a hashtag body into lowercase words using its camel case ("NoFunciona")."""
    parts = _CAMEL_RE.findall(body)
    if len(parts) > 1:
        return tuple(p.lower() for p in parts)
    return (body.lower(),)


def scan(text: str, known: frozenset[str] = frozenset()) -> Scan:
    """Tokenise a post in one regex pass. `known` helps undo elongations."""
    out = Scan()
    words = out.words
    folded = out.folded
    flags = out.flags
    add_word = words.append
    add_folded = folded.append
    add_flag = flags.append
    cache = _word_cache(known)
    caps = 0
    n_words = 0  # hashtag words are counted in _add_hashtag
    for tok in _SCAN_RE.findall(text):
        hit = cache.get(tok)
        if hit is None:
            c = tok[0]
            if c == "@" or tok.startswith(("http://", "https://", "www.")):
                continue
            if c == "#":
                _add_hashtag(out, tok[1:])
                continue
            if tok in _EMOTICON_SET:
                out.emoticons.append(tok)
                continue
            if not c.isalpha():
                if c in _PUNCT_CHARS:
                    if "!" in tok:
                        out.exclamations += tok.count("!")
                    if "?" in tok:
                        out.questions += tok.count("?")
                    if words and words[-1]:
                        add_word("")
                        add_folded("")
                        add_flag(0)
                elif tok in _EMOJI_CHARS:
                    out.emoji.append(tok)
                continue
            hit = _normalise_word(tok, known)
            if len(cache) > _WORD_CACHE_LIMIT:
                cache.clear()
            cache[tok] = hit
        # A word (the common case is a cache hit on a word seen before).
        w, f, fl = hit
        if fl:
            caps += fl & CAPS
        add_word(w)
        add_folded(f)
        add_flag(fl)
        n_words += 1
    out.caps_words += caps
    out.letter_words += n_words
    return out


def _add_hashtag(out: Scan, body: str) -> None:
    out.hashtags.append("#" + body.lower())
    if body.isdigit():
        return
    words, folded, flags = out.words, out.folded, out.flags
    # Hashtag words are scored as their own clause, so "#NoFunciona" reads "no funciona".
    if words and words[-1]:
        words.append("")
        folded.append("")
        flags.append(0)
    for part in split_hashtag(body):
        if part.isdigit():
            continue
        words.append(part)
        folded.append(fold(part))
        flags.append(FROM_HASHTAG)
        out.letter_words += 1
    words.append("")
    folded.append("")
    flags.append(0)


def tokenize(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Normalised word tokens for topic extraction.

    Lowercase, accents kept, URLs/@mentions/emoji/punctuation/numbers dropped, elongations
    collapsed, laughs unified to "jaja", hashtags kept whole as "#tag" (not split).
    Stopwords are NOT removed here; see `keywords.content_tokens` for that.
    """
    out: list[str] = []
    cache = _word_cache(known)
    for tok in _SCAN_RE.findall(text):
        hit = cache.get(tok)
        if hit is not None:
            out.append(hit[0])
            continue
        c = tok[0]
        if c == "#":
            out.append(tok.lower())
        elif c.isalpha() and tok not in _EMOTICON_SET and not tok.startswith(("http", "www.")):
            hit = _normalise_word(tok, known)
            cache[tok] = hit
            out.append(hit[0])
    return out


# --- shares and copies ---------------------------------------------------------------
# A retweet as X writes it: "RT @user: the original text" (also "RT @user the text").
_RETWEET_RE = re.compile(r"^\s*RT\s+@([A-Za-z0-9_]{1,30})\b:?\s*", re.IGNORECASE)
_URL_RE = re.compile(r"https?://\S+")
_SPACE_RE = re.compile(r"\s+")


def retweet_of(text: str) -> tuple[str, str] | None:
    """("user", "the original text") when `text` is a retweet ("RT @user: ..."), else
    None. The handle is lowercase, without "@"."""
    match = _RETWEET_RE.match(text)
    if match is None:
        return None
    return match.group(1).lower(), text[match.end() :]


def copy_key(text: str) -> str:
    """One key for every copy of a text: a retweet's original, case, accents, links
    (shorteners differ per copy) and spacing aside. Two posts with the same key say the
    same thing."""
    shared = retweet_of(text)
    body = shared[1] if shared else text
    body = _URL_RE.sub(" ", body.lower())
    body = body.replace("…", " ").replace("...", " ")
    return fold(_SPACE_RE.sub(" ", body).strip())


MIN_CUT_KEY = 20  # a retweet cut short is matched to its original from this many characters


def cut_short(text: str) -> bool:
    """X cuts a long retweet at 140 characters with "…" (or "..."), a link included."""
    tail = text.rstrip()
    return tail.endswith(("…", "...")) or tail.rsplit(" ", 1)[-1].startswith("http")


def copy_sources(
    texts: Sequence[str], authors: Sequence[str] | None, retweets: Sequence[bool]
) -> array[int]:
    """Per text, the index of the text it repeats (itself for an original), texts in
    publication order: the one notion of copies of the analyses and the clustering.

    The original of a text (`copy_key`) is its first post that is not a retweet
    (`retweets[i]`); a retweet of a text whose original is there points to it, even cut
    short by X ("RT @user: the first words…": matched on its first `MIN_CUT_KEY`
    characters or more among `user`'s originals, so `authors` are needed for it); a text
    known only from retweets has its first retweet as original. Texts without words
    (links only) are each their own.
    """
    copy_of = array("l", range(len(texts)))
    by_key: dict[str, int] = {}
    by_author: dict[str, list[tuple[str, int]]] = {}
    later: list[int] = []
    for i, text in enumerate(texts):
        if retweets[i]:
            later.append(i)
            continue
        key = copy_key(text)
        if not key:
            continue
        first = by_key.setdefault(key, i)
        if first != i:
            copy_of[i] = first
        elif authors is not None:
            by_author.setdefault(authors[i].lower().lstrip("@"), []).append((key, i))
    for i in later:
        text = texts[i]
        key = copy_key(text)
        if not key:
            continue
        source = by_key.get(key)
        if source is None:
            shared = retweet_of(text)
            if shared is not None and len(key) >= MIN_CUT_KEY and cut_short(text):
                source = next(
                    (j for k, j in by_author.get(shared[0], ()) if k.startswith(key)), None
                )
            by_key[key] = i if source is None else source
        if source is not None:
            copy_of[i] = source
    return copy_of
