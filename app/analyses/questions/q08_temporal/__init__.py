"""Q8 temporal patterns: when posts are published and when they engage."""

from app.analyses.question import Question
from app.analyses.questions.q08_temporal import llm, local
from app.analyses.questions.q08_temporal.result import TemporalResult

QUESTION = Question(
    key="q8",
    slug="temporal",
    title="Temporal patterns",
    summary="When posts are published and when they engage: weekday x hour heat map, best "
    "time windows, weekly series and trends.",
    result=TemporalResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
