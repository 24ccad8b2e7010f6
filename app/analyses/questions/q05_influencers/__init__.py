"""Q5 influencers: who drives the conversation about the brand."""

from app.analyses.question import Question
from app.analyses.questions.q05_influencers import llm, local
from app.analyses.questions.q05_influencers.result import InfluencersResult

QUESTION = Question(
    key="q5",
    slug="influencers",
    title="Influencers",
    summary="Who drives the conversation: authors other than the brand by reach and "
    "engagement, their stance toward the brand, and the accounts the posts mention.",
    result=InfluencersResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
