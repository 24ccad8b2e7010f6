"""The brand and its competitors in a window: their handles and names, which posts name
them, and which authors speak for them, for institutions or for the media.

Names are matched on word boundaries, accents and case folded ("BBVA" names the brand
in "el bbva de siempre", not in "bbvaxyz"; "Banco de Crédito" also as "banco de
credito"), a name of several words also written together ("bancoandino",
"#BancoAndino"). A handle names its owner as an @mention, a hashtag or a word of the
text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Literal

from app.ai.local.text import fold
from app.analyses.records import PostRecord
from app.clients.service import CompetitorProfile

Role = Literal["brand", "competitor", "media", "voice"]
MIN_NAME_CHARS = 3  # shorter names ("BA") are not searched in texts
_EDGE = "a-z0-9"  # a name must not touch these ("_" separates: "bbva_peru" names BBVA)
_SEPARATORS = re.compile(r"[\s_.\-]+")


def _handle(handle: str) -> str:
    return handle.strip().lower().lstrip("@#")


def _folded(text: str) -> str:
    return fold(text.lower())


def _name_pattern(name: str) -> str | None:
    """A name's words, separated by spaces, "_", "-", "." or nothing."""
    words = [w for w in _SEPARATORS.split(_folded(name).strip()) if w]
    if len("".join(words)) < MIN_NAME_CHARS:
        return None
    return r"[\s_.\-]*".join(re.escape(w) for w in words)


class BrandMatcher:
    """Which posts name a brand (the client's or a competitor), and which handles are
    its own.

    Its own handles are the configured ones (lowercase, without "@") and, for the
    client, the accounts of the window and the authors of its own posts; a handle that
    starts with one of its names is its own too ("santandermx" and "santander_ar" for
    "Santander", "bancoandino_pe" for "Banco Andino"; not "odio_santander"), which may
    take a person named so for one of its accounts: never a partner either. A post names
    it when it @mentions one of its handles, carries one as a hashtag, or writes one of
    its names or handles as words.
    """

    def __init__(self, name: str, handles: Iterable[str] = (), aliases: Iterable[str] = ()):
        self.name = name.strip()
        self.handles = frozenset(h for h in (_handle(x) for x in handles) if h)
        names = [p for p in (_name_pattern(x) for x in (name, *aliases)) if p]
        self.names = tuple(dict.fromkeys(names))
        words = [*self.names, *(re.escape(h) for h in sorted(self.handles) if len(h) >= 2)]
        self._text = (
            re.compile(rf"(?<![{_EDGE}])(?:{'|'.join(words)})(?![{_EDGE}])") if words else None
        )
        # Accounts are named after their owner plus a country or a purpose, often glued
        # ("santandermx", "bbvaprovincial"): a handle that starts with a name is its own.
        self._prefix = re.compile(f"(?:{'|'.join(self.names)})") if self.names else None

    @classmethod
    def of(
        cls,
        posts: Sequence[PostRecord],
        handles: Iterable[str],
        name: str,
        aliases: Iterable[str] = (),
    ) -> BrandMatcher:
        """The client's matcher in a window: `posts`' own handles plus the client's."""
        seen = {p.account_handle for p in posts}
        seen |= {p.author_handle for p in posts if p.is_own}
        return cls(name, [*seen, *handles], aliases)

    def is_own(self, handle: str) -> bool:
        """`handle` (with or without "@", any case) is one of its own (see the class)."""
        h = _handle(handle)
        if h in self.handles:
            return True
        return bool(h and self._prefix is not None and self._prefix.match(fold(h)))

    is_brand = is_own  # the name the analyses first used for the client's handles

    def mentions(self, post: PostRecord) -> bool:
        """The post names it (see the class); its author does not count."""
        if any(_handle(m) in self.handles for m in post.mentions):
            return True
        if any(_handle(h) in self.handles for h in post.hashtags):
            return True
        tags = " ".join(post.hashtags) + " " + " ".join(post.mentions)
        return self.named_in(f"{post.text} {tags}")

    def named_in(self, text: str) -> bool:
        """`text` writes one of its names or handles as words (a topic label, say)."""
        return self._text is not None and self._text.search(_folded(text)) is not None


def competitors_of(profiles: Iterable[CompetitorProfile]) -> tuple[BrandMatcher, ...]:
    """A matcher per competitor of the client."""
    return tuple(BrandMatcher(c.name, c.handles, c.aliases) for c in profiles)


# --------------------------------------------------------------------------- media


@cache
def _media() -> tuple[frozenset[str], re.Pattern[str], re.Pattern[str]]:
    """(exact handles, words of a handle, parts anywhere in a handle) from media.json."""
    path = resources.files("app.analyses") / "media.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    handles = frozenset(_handle(h) for h in data["handles"])
    words = "|".join(re.escape(w) for w in data["words"])
    parts = "|".join(re.escape(w) for w in data["parts"])
    return (
        handles,
        re.compile(rf"(?<![a-z])(?:{words})(?![a-z])"),
        re.compile(rf"(?:{parts})"),
    )


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def is_media(handle: str) -> bool:
    """`handle` looks like an outlet's or an institution's account: a known handle
    (media.json "handles", e.g. "marca", "rppnoticias"), a word of it that names one
    ("words": "tv", "radio", "gob"...; words split at "_", digits and capitals), or a
    part that does anywhere in it ("parts": "noticias", "diario", "ministerio"...)."""
    known, words, parts = _media()
    h = _handle(handle)
    if not h:
        return False
    if h in known:
        return True
    spaced = fold(_CAMEL.sub(" ", handle.strip().lstrip("@")).lower())
    return bool(words.search(spaced) or parts.search(fold(h)))


def role_of(handle: str, brand: BrandMatcher, competitors: Iterable[BrandMatcher]) -> Role:
    """Whose voice an author is: the brand's, a competitor's, an outlet's or an
    institution's ("media"), or anyone else's ("voice")."""
    if brand.is_own(handle):
        return "brand"
    if any(c.is_own(handle) for c in competitors):
        return "competitor"
    if is_media(handle):
        return "media"
    return "voice"
