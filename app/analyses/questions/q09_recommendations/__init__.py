"""Q9 recommendations: prioritised actions built from the other questions' results."""

from app.analyses.question import PostSample, Question
from app.analyses.questions.advice import INPUTS
from app.analyses.questions.q09_recommendations import llm, local
from app.analyses.questions.q09_recommendations.result import RecommendationsResult

QUESTION = Question(
    key="q9",
    slug="recommendations",
    title="Recommendations",
    summary="Prioritised actions for the brand, each citing the figures it rests on, built "
    "from the stored results of the other questions.",
    result=RecommendationsResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
    depends_on=INPUTS,
    sample=PostSample(limit=40),
)
