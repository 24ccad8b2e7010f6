"""The ten questions: key, slug, title and dependencies (Q9 and Q10 read Q1-Q8)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import NotFound


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    slug: str
    title: str
    depends_on: tuple[str, ...] = ()


_BASE = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8")

QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question("q1", "emotions", "Emotions"),
        Question("q2", "personality", "Brand personality"),
        Question("q3", "topics", "Topics"),
        Question("q4", "narrative_frames", "Narrative frames"),
        Question("q5", "influencers", "Influencers"),
        Question("q6", "opportunities", "Opportunities"),
        Question("q7", "sentiment", "Sentiment"),
        Question("q8", "temporal", "Temporal patterns"),
        Question("q9", "recommendations", "Recommendations", _BASE),
        Question("q10", "summary", "Executive summary", _BASE),
    )
}
BY_SLUG = {q.slug: q for q in QUESTIONS.values()}
ALL_KEYS = tuple(QUESTIONS)


def resolve(name: str) -> Question:
    """`q3`, `Q3` or `topics` -> the question; 404 for anything else."""
    lowered = name.strip().lower()
    question = QUESTIONS.get(lowered) or BY_SLUG.get(lowered)
    if question is None:
        choices = ", ".join(f"{q.key} ({q.slug})" for q in QUESTIONS.values())
        raise NotFound(f"Unknown question {name!r}; use one of: {choices}")
    return question


def execution_levels(keys: list[str]) -> list[list[str]]:
    """Group the requested questions so each level only needs earlier levels.

    Independent questions (Q1-Q8) form the first level and run concurrently; Q9 and Q10
    follow, reading what the first level stored.
    """
    wanted = sorted(set(keys), key=lambda k: int(k[1:]))
    first = [k for k in wanted if not QUESTIONS[k].depends_on]
    second = [k for k in wanted if QUESTIONS[k].depends_on]
    return [level for level in (first, second) if level]
