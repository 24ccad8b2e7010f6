"""Q6 opportunities: segments that engage above the baseline but are little used."""

from app.analyses.question import Question
from app.analyses.questions.q06_opportunities import llm, local
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult

QUESTION = Question(
    key="q6",
    slug="opportunities",
    title="Opportunities",
    summary="Segments (content type, platform, time slot, language, topic) that engage well "
    "above the baseline but are little used, each with an action.",
    result=OpportunitiesResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
