"""Q1 emotions: which emotions the posts express, by platform and over time."""

from app.analyses.question import PostSample, Question
from app.analyses.questions.q01_emotions import llm, local
from app.analyses.questions.q01_emotions.result import EmotionsResult

QUESTION = Question(
    key="q1",
    slug="emotions",
    title="Emotions",
    summary="Which emotions the posts express (anger, joy, trust...), by platform and week.",
    result=EmotionsResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
    sample=PostSample(),
)
