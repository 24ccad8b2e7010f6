"""Q10 executive summary: the headline figures, findings, risks and opportunities."""

from app.analyses.question import PostSample, Question
from app.analyses.questions.advice import INPUTS
from app.analyses.questions.q10_summary import llm, local
from app.analyses.questions.q10_summary.result import SummaryResult

QUESTION = Question(
    key="q10",
    slug="summary",
    title="Executive summary",
    summary="An executive summary: headline KPIs, findings, risks and opportunities, from "
    "the posts and the stored results of the other questions.",
    result=SummaryResult,
    local=local.compute,
    llm=llm.section,
    package=__name__,
    depends_on=INPUTS,
    sample=PostSample(limit=40),
)
