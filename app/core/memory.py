"""Give memory back to the operating system after large, short-lived work.

CPython frees objects to its own arenas and to the C allocator, which keeps freed pages
for reuse; after a job on 100,000 posts or a large import, that can leave a worker tens
of MB above what it needs. `release_memory` collects garbage and asks glibc to return
free pages (`malloc_trim`); elsewhere it only collects garbage. Call it once the large
objects are dropped (an analysis window, an import's batches).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 (glibc only: absent on musl and macOS)
    except (OSError, AttributeError):
        return None
    return libc


def release_memory() -> None:
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
