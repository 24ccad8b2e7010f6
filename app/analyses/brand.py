"""The brand in a window: its handles and names, and which posts name it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.ai.local.text import fold
from app.analyses.records import PostRecord


class BrandMatcher:
    """Which posts name the brand, and which handles are the brand's own.

    The brand's handles are its accounts' handles, the authors of its own posts and the
    client's configured handles (lowercase, without "@"). A post names the brand when it
    @mentions one of them, carries one as a hashtag, or writes the client's name
    (accents and case folded; also without spaces: "Banco Andino" or "bancoandino").
    """

    def __init__(self, handles: Iterable[str], name: str) -> None:
        self.handles = frozenset(h for h in (x.lower().lstrip("@") for x in handles) if h)
        folded = fold(name.lower().strip())
        names = [folded] if len(folded) >= 3 else []
        compact = folded.replace(" ", "")
        if compact != folded and len(compact) >= 3:
            names.append(compact)
        self.names = tuple(names)

    @classmethod
    def of(cls, posts: Sequence[PostRecord], handles: Iterable[str], name: str) -> BrandMatcher:
        """The matcher of a window: `posts`' own handles plus the client's."""
        seen = {p.account_handle for p in posts}
        seen |= {p.author_handle for p in posts if p.is_own}
        return cls([*seen, *handles], name)

    def is_brand(self, handle: str) -> bool:
        """`handle` (with or without "@", any case) is one of the brand's own."""
        return handle.lower().lstrip("@") in self.handles

    def mentions(self, post: PostRecord) -> bool:
        """The post names the brand (see the class)."""
        if any(m.lower().lstrip("@") in self.handles for m in post.mentions):
            return True
        if any(h.lower().lstrip("#") in self.handles for h in post.hashtags):
            return True
        if self.names:
            folded = fold(post.text.lower())
            return any(name in folded for name in self.names)
        return False
