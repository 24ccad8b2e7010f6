"""Rows already rendered as JSON, kept per worker and keyed by the row's version.

The posts list spends most of its Python time turning 50 rows into JSON: asyncpg decoding
some 1,500 values (UUIDs, times, arrays), one dict per row, orjson. A post changes rarely
and is listed often (dashboards page through the same recent posts), so the list asks
PostgreSQL for its page as (id, version) pairs and renders only rows it has not rendered
before, at that version.

The version is PostgreSQL's own: (`xmin`, `ctid`) of the row's current tuple. Every UPDATE
writes a new tuple: a later transaction gives it another `xmin`, and a second update in
the same transaction puts it at another `ctid` (the version it replaces still occupies its
slot until that transaction ends). So a key names one content of one row, whatever wrote
it (the API, an import's upsert, the analyses' enrichment, a hand-written UPDATE).
Transaction ids wrap around after about four billion transactions; entries expire after
`TTL_SECONDS` so a wrapped-around `xmin` can never meet an old entry. A database restored
to an earlier point in time hands out transaction ids again: restart the workers after
such a restore (within the hour), as for any per-process cache.

Tenant isolation does not depend on the cache: an entry is only read for an id that the
tenant-scoped page query has just returned, at the version it returned.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence

TTL_SECONDS = 3600.0
# What an entry costs beside its bytes (key, tuple, the ordered dict's slot), counted in
# the budget so that it bounds the memory, not only the JSON.
ENTRY_OVERHEAD = 200


class RenderedRows:
    """A least-recently-used map of row version -> rendered JSON, bounded in bytes
    (each entry counts its JSON and `ENTRY_OVERHEAD`)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[bytes, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: Sequence[Hashable]) -> list[bytes | None]:
        """The entries of `keys`, in order, None where missing or expired."""
        entries = self._entries
        oldest = time.monotonic() - TTL_SECONDS
        out: list[bytes | None] = []
        for key in keys:
            entry = entries.get(key)
            if entry is None or entry[1] < oldest:
                out.append(None)
            else:
                entries.move_to_end(key)
                out.append(entry[0])
        return out

    def put(self, key: Hashable, rendered: bytes) -> None:
        cost = len(rendered) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old[0]) + ENTRY_OVERHEAD
        self._entries[key] = (rendered, time.monotonic())
        self.size += cost
        self._shrink()

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def resize(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._shrink()

    def _shrink(self) -> None:
        while self.size > self.max_bytes:
            _, (evicted, _) = self._entries.popitem(last=False)
            self.size -= len(evicted) + ENTRY_OVERHEAD
