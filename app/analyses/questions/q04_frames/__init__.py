"""Q4 narrative frames: how the posts tell their story (conflict, economic, human...)."""

from app.analyses.question import Question
from app.analyses.questions.q04_frames import llm, local
from app.analyses.questions.q04_frames.result import FramesResult

QUESTION = Question(
    key="q4",
    slug="narrative_frames",
    title="Narrative frames",
    summary="How the posts frame their story (conflict, economic, human interest, "
    "responsibility, morality, promotional), with engagement and sentiment per frame.",
    result=FramesResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
