"""Q11 competitive benchmark: the brand beside each competitor in the same window."""

from app.analyses.question import Question
from app.analyses.questions.q11_benchmark import llm, local
from app.analyses.questions.q11_benchmark.result import BenchmarkResult

QUESTION = Question(
    key="q11",
    slug="benchmark",
    title="Competitive benchmark",
    summary="The brand beside each competitor over the same window: share of voice, "
    "sentiment and engagement of the posts that name each, their top themes, and the "
    "posts that name the brand and a competitor together.",
    result=BenchmarkResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
