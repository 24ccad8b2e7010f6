"""Nothing keeps an analysis window alive once its run is over, and `release_memory`
hands freed pages back to the operating system where it can."""

from __future__ import annotations

import asyncio
import gc
import weakref

from app.analyses.engines import LocalEngine
from app.analyses.question import Previous
from app.analyses.records import PostRecord
from app.analyses.registry import QUESTIONS, execution_levels
from app.core import memory
from tests.analyses.builders import demo_window


async def _answer_all(window_ref: weakref.ref) -> None:  # type: ignore[type-arg]
    engine = LocalEngine()
    results: dict[str, object] = {}
    for level in execution_levels([q.key for q in QUESTIONS]):
        window = window_ref()
        assert window is not None
        outs = await asyncio.gather(
            *(engine.run(q, window, Previous.load(q.depends_on, results)) for q in level)
        )
        del window
        for question, out in zip(level, outs, strict=True):
            results[question.key] = out.result.model_dump(mode="json")


def _records() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, PostRecord))


def test_a_window_is_freed_when_its_run_drops_it() -> None:
    gc.collect()
    before = _records()
    window = demo_window(400)
    assert _records() >= before + 400
    ref = weakref.ref(window)
    asyncio.run(_answer_all(ref))
    del window
    gc.collect()
    assert ref() is None  # no module-level cache holds the window...
    assert _records() <= before  # ...nor its posts


def test_release_memory_trims_the_heap() -> None:
    memory.release_memory()
    assert memory._libc() is not None  # glibc here: malloc_trim is called
