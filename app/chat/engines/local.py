"""The local chat engine (no keys): honest and useful, never pretending to be a model.

- A staged agent fills its stages' fields one at a time (`app.chat.staged`).
- An assistant answers data questions it recognises (`app.chat.intents`) with one typed
  tool (`app.chat.tools`) and the tool's own sentence: the figure, the filter, the period.
  A short follow-up ("¿Y en septiembre?", "and on Instagram?") asks the previous answer's
  tool again with the client, period or platform it names.
- Anything else gets the best retrieved passages of the tenant's documents, shown as
  passages with their documents, or says plainly that it needs a language model.
"""

from __future__ import annotations

import re

from app.agents.spec import AgentSpec
from app.chat import staged
from app.chat.engines.base import Emit, Reply, TurnContext, emit_in_pieces, source_of
from app.chat.intents import follow_up, parse
from app.chat.tools import ToolError, call_tool
from app.core.enums import AgentKind, AgentTool

LOCAL_CHAT_MODEL = "local-chat-1"
SEARCH_TOOL = AgentTool.search_documents.value
MAX_PASSAGES = 3
PASSAGE_CHARS = 600

_GREETING = re.compile(
    r"^\W*(hola|buen[oa]s( d[ií]as| tardes| noches)?|hello|hi|hey|good (morning|afternoon|"
    r"evening))\b[\W\w]{0,20}$",
    re.IGNORECASE,
)

SAID = {
    "es": {
        "hello": "Hola, soy {agent}. Respondo con cifras de los datos de la agencia "
        "(publicaciones, interacción, seguidores, resultados de los análisis, pronósticos) "
        "y con pasajes de sus documentos.",
        "passages": "Esto es lo que encontré en los documentos:",
        "from": "— {filename}{where}",
        "page": ", pág. {page}",
        "cannot": "No puedo responder eso sin un modelo de lenguaje: sin uno, respondo "
        "preguntas sobre los datos (por ejemplo, «¿cuántas publicaciones negativas hubo en "
        "marzo?») y busco pasajes en los documentos, y no encontré ninguno que trate de esto.",
        "not_allowed": "Esa pregunta necesita la herramienta «{tool}», que este agente no "
        "tiene permitida.",
    },
    "en": {
        "hello": "Hello, I am {agent}. I answer with figures from the agency's data (posts, "
        "engagement, followers, analysis results, forecasts) and with passages from its "
        "documents.",
        "passages": "This is what I found in the documents:",
        "from": "— {filename}{where}",
        "page": ", p. {page}",
        "cannot": "I cannot answer that without a language model: without one, I answer "
        "questions about the data (say, 'how many negative posts were there in March?') and "
        "look for passages in the documents, and I found none about this.",
        "not_allowed": "That question needs the '{tool}' tool, which this agent is not "
        "allowed to use.",
    },
}


def _said(agent: AgentSpec) -> dict[str, str]:
    return SAID["es" if agent.language == "es" else "en"]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= PASSAGE_CHARS:
        return text
    cut = text.rfind(" ", 0, PASSAGE_CHARS)
    return text[: cut if cut > 0 else PASSAGE_CHARS] + "…"


class LocalChatEngine:
    name = "local"

    async def reply(self, ctx: TurnContext, emit: Emit) -> Reply:
        agent = ctx.agent
        if agent.kind == AgentKind.staged.value and agent.stages:
            step = staged.step(
                agent.stages,
                ctx.state,
                ctx.outputs,
                ctx.stage_number,
                ctx.message,
                lang=agent.language,
                agent_name=agent.name,
            )
            await emit_in_pieces(step.text, emit)
            return Reply(text=step.text, model=LOCAL_CHAT_MODEL, step=step)
        found = await self._answer(ctx)
        await emit_in_pieces(found.text, emit)
        return found

    async def _answer(self, ctx: TurnContext) -> Reply:
        agent = ctx.agent
        said = _said(agent)
        if _GREETING.match(ctx.message.strip()) and len(ctx.message) <= 40:
            return Reply(text=said["hello"].format(agent=agent.name), model=LOCAL_CHAT_MODEL)
        call = parse(
            ctx.message,
            language=agent.language,
            clients=ctx.clients,
            today=ctx.tools.today,
            default_client=ctx.tools.client_id,
        )
        if call is None and ctx.previous_call is not None:
            call = follow_up(
                ctx.message,
                ctx.previous_call,
                language=agent.language,
                clients=ctx.clients,
                today=ctx.tools.today,
            )
        if call is not None:
            if call.name not in agent.tools:
                text = said["not_allowed"].format(tool=call.name)
                return Reply(text=text, model=LOCAL_CHAT_MODEL)
            try:
                result = await call_tool(ctx.tools, call.name, call.arguments)
            except ToolError as exc:
                entry = {"name": call.name, "arguments": call.arguments, "error": str(exc)}
                return Reply(text=str(exc), model=LOCAL_CHAT_MODEL, tools=[entry])
            entry = {"name": result.name, "arguments": result.arguments, "result": result.data}
            return Reply(text=result.summary, model=LOCAL_CHAT_MODEL, tools=[entry])
        if SEARCH_TOOL in agent.tools:
            passages = [p for p in await ctx.retrieve(ctx.message) if p.text_rank is not None]
            if passages:
                lines = [said["passages"]]
                for p in passages[:MAX_PASSAGES]:
                    where = said["page"].format(page=p.page) if p.page else ""
                    lines.append(f"«{_excerpt(p.text)}»")
                    lines.append(said["from"].format(filename=p.filename, where=where))
                return Reply(
                    text="\n".join(lines),
                    model=LOCAL_CHAT_MODEL,
                    sources=[source_of(p) for p in passages[:MAX_PASSAGES]],
                )
        return Reply(text=said["cannot"], model=LOCAL_CHAT_MODEL)
