"""Q10 executive summary: the headline figures, findings, risks and opportunities."""

from app.analyses.question import PostSample, Question
from app.analyses.questions.q01_emotions import QUESTION as EMOTIONS
from app.analyses.questions.q02_personality import QUESTION as PERSONALITY
from app.analyses.questions.q03_topics import QUESTION as TOPICS
from app.analyses.questions.q04_frames import QUESTION as FRAMES
from app.analyses.questions.q05_influencers import QUESTION as INFLUENCERS
from app.analyses.questions.q06_opportunities import QUESTION as OPPORTUNITIES
from app.analyses.questions.q07_sentiment import QUESTION as SENTIMENT
from app.analyses.questions.q08_temporal import QUESTION as TEMPORAL
from app.analyses.questions.q10_summary import llm, local
from app.analyses.questions.q10_summary.result import SummaryResult

QUESTION = Question(
    key="q10",
    slug="summary",
    title="Executive summary",
    summary="An executive summary: headline KPIs, findings, risks and opportunities, from "
    "the posts and the stored results of the questions above.",
    result=SummaryResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
    depends_on=(
        EMOTIONS,
        PERSONALITY,
        TOPICS,
        FRAMES,
        INFLUENCERS,
        OPPORTUNITIES,
        SENTIMENT,
        TEMPORAL,
    ),
    sample=PostSample(limit=40),
)
