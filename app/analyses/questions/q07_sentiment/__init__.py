"""Q7 sentiment: how positive or negative the posts are, where and when."""

from app.analyses.question import Question
from app.analyses.questions.q07_sentiment import llm, local
from app.analyses.questions.q07_sentiment.result import SentimentResult

QUESTION = Question(
    key="q7",
    slug="sentiment",
    title="Sentiment",
    summary="How positive or negative the posts are: shares, net score, per platform and "
    "over time, negative spikes and example posts.",
    result=SentimentResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
)
