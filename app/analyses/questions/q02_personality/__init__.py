"""Q2 brand personality: the personality the brand's own posts project (Aaker)."""

from app.analyses.question import PostSample, Question
from app.analyses.questions.q02_personality import llm, local
from app.analyses.questions.q02_personality.result import PersonalityResult

QUESTION = Question(
    key="q2",
    slug="personality",
    title="Brand personality",
    summary="The personality the brand's own posts project, on Aaker's five dimensions.",
    result=PersonalityResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
    sample=PostSample(own_first=True),
)
