"""Q3 topics: what the posts talk about, and which topics grow."""

from app.analyses.question import Question
from app.analyses.questions.q03_topics import llm, local
from app.analyses.questions.q03_topics.result import TopicsResult

QUESTION = Question(
    key="q3",
    slug="topics",
    title="Topics",
    summary="What the posts talk about: topics with their keywords, size, sentiment and trend.",
    result=TopicsResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
