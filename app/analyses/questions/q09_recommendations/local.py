"""Q9 recommendations, offline: prioritised actions from the stored results of the other
questions.

Fixed rules read the figures (negative share and spikes, angry or fearful posts, topics
to tackle or to build on, risks, frames, critics and allies, opportunities, best slots,
trends, personality, the competitors); each fires a text template in the tenant's
language filled in with the figures, and cites the question and figure it rests on.
What may be advised at all is decided in `questions/advice.py`, shared with Q10: content
only on topics Q6 cleared, partners only among voices, no trend from a collection burst.
Missing inputs are listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from app.analyses.question import Previous, Question
from app.analyses.questions.advice import (
    allies,
    brand_risks,
    content_topics,
    critics,
    problem_topics,
    standings,
)
from app.analyses.questions.q01_emotions import QUESTION as EMOTIONS
from app.analyses.questions.q02_personality import QUESTION as PERSONALITY
from app.analyses.questions.q03_topics import QUESTION as TOPICS
from app.analyses.questions.q04_frames import QUESTION as FRAMES
from app.analyses.questions.q05_influencers import QUESTION as INFLUENCERS
from app.analyses.questions.q06_opportunities import QUESTION as OPPORTUNITIES
from app.analyses.questions.q07_sentiment import QUESTION as SENTIMENT
from app.analyses.questions.q08_temporal import QUESTION as TEMPORAL
from app.analyses.questions.q09_recommendations.result import (
    Citation,
    Recommendation,
    RecommendationsResult,
)
from app.analyses.questions.q11_benchmark import QUESTION as BENCHMARK
from app.analyses.window import Window
from app.analyses.wording import (
    DIMENSION_NAMES,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_pts,
    fmt_ratio,
)

Level = Literal["high", "medium", "low"]
Area = Literal["reputation", "content", "community", "timing", "influencers", "positioning"]
_LEVEL_ORDER = {"high": 0, "medium": 1, "low": 2}
MAX_RECOMMENDATIONS = 10

T: dict[str, dict[str, str]] = {
    "en": {
        "negative_high": "Set up a daily routine to answer complaints within hours and close "
        "each case publicly: {neg} of posts are negative (net sentiment {net}).",
        "negative_mid": "Review complaints every week and fix their most frequent cause: "
        "{neg} of posts are negative (net sentiment {net}).",
        "spike": "Find out what happened on {day} and prepare a response protocol for "
        "similar events: {share} of that day's {posts} posts were negative (z-score {z}).",
        "anger": "Prioritise the cases that make customers angry or disgusted and answer "
        "them first: {share} of posts express anger or disgust.",
        "fear": "Publish reassurance content (security tips, how to report a problem): "
        "{share} of posts express fear.",
        "topic_negative": "Tackle the problem behind the topic '{label}': {share} of posts "
        "with mean sentiment {sent}.",
        "risk": "{action}",
        "louder": "Win visibility against '{rival}', named more than the brand ({rival_sov} "
        "of the share of voice against {brand_sov}): its mentions speak of {themes}; "
        "answer those needs in the brand's own content.",
        "more_negative": "Find what makes the brand's mentions more negative than those of "
        "'{rival}' ({brand_neg} against {rival_neg} negative) and fix the most frequent "
        "cause first.",
        "topic_rising": "Build content around the rising topic '{label}' "
        "({first} -> {second} of posts, mean sentiment {sent}).",
        "conflict": "Prepare answers for confrontational conversations: the conflict frame "
        "appears in {share} of posts with mean sentiment {sent}.",
        "human": "Tell more human stories (customers, employees, community): human-interest "
        "posts reach an engagement rate of {hi} against {br} for promotional ones.",
        "critic": "Reach out privately to @{handle} ({followers} followers), who posts "
        "critically about the brand (mean sentiment {sent} in {posts} posts naming it).",
        "ally": "Invite @{handle} ({followers} followers, supportive in {posts} posts naming "
        "the brand) to collaborate on content or a campaign.",
        "opportunity": "{action}",
        "best_window": "Schedule the key posts on {label}: that slot reaches an engagement "
        "rate of {rate}, {lift} the average.",
        "volume_falling": "Posting volume is falling ({rel} of the mean per week); keep a "
        "steady publishing calendar.",
        "engagement_falling": "Engagement per post is falling ({rel} of the mean per week); "
        "test new formats and review what worked in the best weeks.",
        "personality": "The own posts project mainly {top} ({top_score} of own posts) and "
        "hardly any {low} ({low_score}); decide whether that fits the brand and adjust the "
        "editorial line.",
    },
    "es": {
        "negative_high": "Establecer una rutina diaria para responder quejas en pocas horas "
        "y cerrar cada caso en público: el {neg} de las publicaciones son negativas "
        "(sentimiento neto {net}).",
        "negative_mid": "Revisar las quejas cada semana y corregir su causa más frecuente: "
        "el {neg} de las publicaciones son negativas (sentimiento neto {net}).",
        "spike": "Averiguar qué pasó el {day} y preparar un protocolo de respuesta para "
        "eventos similares: el {share} de las {posts} publicaciones de ese día fueron "
        "negativas (puntuación z {z}).",
        "anger": "Priorizar los casos que generan enojo o asco y responderlos primero: el "
        "{share} de las publicaciones expresan ira o asco.",
        "fear": "Publicar contenido que dé tranquilidad (consejos de seguridad, cómo reportar "
        "un problema): el {share} de las publicaciones expresan miedo.",
        "topic_negative": "Atacar el problema detrás del tema «{label}»: {share} de las "
        "publicaciones con sentimiento medio {sent}.",
        "risk": "{action}",
        "louder": "Ganar visibilidad frente a «{rival}», que se nombra más que la marca "
        "({rival_sov} de la cuota de voz frente a {brand_sov}): sus menciones hablan de "
        "{themes}; responder a esas necesidades en el contenido propio de la marca.",
        "more_negative": "Averiguar por qué las menciones de la marca son más negativas que "
        "las de «{rival}» ({brand_neg} frente a {rival_neg} negativas) y corregir primero "
        "la causa más frecuente.",
        "topic_rising": "Crear contenido sobre el tema en aumento «{label}» "
        "({first} -> {second} de las publicaciones, sentimiento medio {sent}).",
        "conflict": "Preparar respuestas para conversaciones de confrontación: el encuadre de "
        "conflicto aparece en el {share} de las publicaciones con sentimiento medio {sent}.",
        "human": "Contar más historias humanas (clientes, empleados, comunidad): las "
        "publicaciones de interés humano logran una tasa de interacción de {hi} frente a {br} "
        "de las promocionales.",
        "critic": "Contactar en privado a @{handle} ({followers} seguidores), que publica en "
        "tono crítico sobre la marca (sentimiento medio {sent} en {posts} publicaciones que "
        "la nombran).",
        "ally": "Invitar a @{handle} ({followers} seguidores, favorable en {posts} "
        "publicaciones que nombran la marca) a colaborar en contenidos o en una campaña.",
        "opportunity": "{action}",
        "best_window": "Programar las publicaciones clave el {label}: esa franja logra una "
        "tasa de interacción de {rate}, {lift} la media.",
        "volume_falling": "El volumen de publicaciones baja ({rel} de la media por semana); "
        "mantener un calendario de publicación estable.",
        "engagement_falling": "La interacción por publicación baja ({rel} de la media por "
        "semana); probar formatos nuevos y revisar qué funcionó en las mejores semanas.",
        "personality": "Las publicaciones propias proyectan sobre todo {top} ({top_score} de "
        "las propias) y casi nada de {low} ({low_score}); decidir si eso encaja con la marca "
        "y ajustar la línea editorial.",
    },
}
F: dict[str, dict[str, str]] = {
    "en": {
        "negative_share": "negative share {neg}",
        "spike": "negative share {share} on {day} ({posts} posts, z {z})",
        "anger": "anger + disgust share {share}",
        "fear": "fear share {share}",
        "topic": "topic '{label}': share {share}, mean sentiment {sent}",
        "topic_trend": "topic '{label}' share {first} -> {second}",
        "conflict": "conflict frame share {share}",
        "human": "engagement rate human interest {hi} vs brand {br}",
        "author": "@{handle}: {followers} followers, mean sentiment {sent} naming the brand",
        "ally": "@{handle}: {followers} followers, influence score {score}, supportive",
        "opportunity": "{segment}: lift {lift}, {volume} of posts, gap score {gap}",
        "window": "{label}: engagement rate {rate}, {posts} posts",
        "volume_trend": "weekly volume trend {rel} per week",
        "engagement_trend": "weekly engagement trend {rel} per week",
        "personality": "{top} {top_score} vs {low} {low_score} of own posts",
        "risk": "risk '{label}': {posts} posts, negative {neg} vs positive {pos}, politics "
        "{politics}, conflict {conflict}",
        "voice": "share of voice {brand} {brand_sov}, {rival} {rival_sov}",
        "negative_mentions": "negative mentions {brand} {brand_neg} ({brand_n}), {rival} "
        "{rival_neg} ({rival_n})",
    },
    "es": {
        "negative_share": "proporción negativa {neg}",
        "spike": "proporción negativa {share} el {day} ({posts} publicaciones, z {z})",
        "anger": "proporción de ira + asco {share}",
        "fear": "proporción de miedo {share}",
        "topic": "tema «{label}»: {share} de las publicaciones, sentimiento medio {sent}",
        "topic_trend": "tema «{label}»: {first} -> {second} de las publicaciones",
        "conflict": "encuadre de conflicto en el {share} de las publicaciones",
        "human": "tasa de interacción interés humano {hi} frente a marca {br}",
        "author": "@{handle}: {followers} seguidores, sentimiento medio {sent} al nombrar la marca",
        "ally": "@{handle}: {followers} seguidores, influencia {score}, favorable",
        "opportunity": "{segment}: {lift} la media, {volume} de las publicaciones, brecha {gap}",
        "window": "{label}: tasa de interacción {rate}, {posts} publicaciones",
        "volume_trend": "tendencia del volumen semanal {rel} por semana",
        "engagement_trend": "tendencia de la interacción semanal {rel} por semana",
        "personality": "{top} {top_score} frente a {low} {low_score} de las propias",
        "risk": "riesgo «{label}»: {posts} publicaciones, negativas {neg} frente a positivas "
        "{pos}, política {politics}, conflicto {conflict}",
        "voice": "cuota de voz {brand} {brand_sov}, {rival} {rival_sov}",
        "negative_mentions": "menciones negativas {brand} {brand_neg} ({brand_n}), {rival} "
        "{rival_neg} ({rival_n})",
    },
}


@dataclass
class _Draft:
    level: Level
    area: Area
    action: str
    evidence: list[Citation]


@dataclass(frozen=True)
class _Say:
    """The texts of one language, and a figure cited from a question."""

    lang: str

    def action(self, name: str, **figures: Any) -> str:
        return T[self.lang][name].format(**figures)

    def cite(self, source: Question[Any], name: str, **figures: Any) -> list[Citation]:
        return [Citation(source=source.key, figure=F[self.lang][name].format(**figures))]

    def draft(
        self,
        level: Level,
        area: Area,
        name: str,
        source: Question[Any],
        figure: str,
        **figures: Any,
    ) -> _Draft:
        """A draft whose action (template `name`) and cited figure (template `figure` of
        `source`) are filled in with the same figures."""
        return _Draft(
            level, area, self.action(name, **figures), self.cite(source, figure, **figures)
        )

    def pct(self, x: float, digits: int = 1) -> str:
        return fmt_pct(x, self.lang, digits)

    def num(self, x: float, digits: int = 0) -> str:
        return fmt_num(x, self.lang, digits)


def _signed_pct(x: float, lang: str) -> str:
    return ("+" if x > 0 else "") + fmt_pct(x, lang)


def _sentiment(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q7 = prev.get(SENTIMENT)
    if q7 is None or not q7.posts_analyzed:
        return []
    out: list[_Draft] = []
    neg = say.pct(q7.negative_share, 0)
    fig = say.cite(SENTIMENT, "negative_share", neg=neg)
    net = fmt_pts(q7.net_score, say.lang)
    if q7.negative_share >= 0.25:
        out.append(_Draft("high", "reputation", say.action("negative_high", neg=neg, net=net), fig))
    elif q7.negative_share >= 0.15:
        out.append(
            _Draft("medium", "reputation", say.action("negative_mid", neg=neg, net=net), fig)
        )
    # Spikes are of the day's negative share against the other days' (item 3).
    for s in [s for s in q7.spikes if s.kind == "negative_share"][:1]:
        figures = {
            "day": fmt_date(s.day, say.lang),
            "share": say.pct(s.value),
            "posts": say.num(s.posts),
            "z": say.num(s.z_score, 1),
        }
        out.append(say.draft("high", "reputation", "spike", SENTIMENT, "spike", **figures))
    return out


def _emotions(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q1 = prev.get(EMOTIONS)
    if q1 is None or not q1.posts_analyzed:
        return []
    out: list[_Draft] = []
    by = {d.emotion: d.share for d in q1.distribution}
    angry = by.get("anger", 0.0) + by.get("disgust", 0.0)
    if angry >= 0.10:
        share = say.pct(angry, 0)
        level: Level = "high" if angry >= 0.2 else "medium"
        out.append(say.draft(level, "reputation", "anger", EMOTIONS, "anger", share=share))
    fear = by.get("fear", 0.0)
    if fear >= 0.05:
        share = say.pct(fear, 0)
        out.append(say.draft("medium", "content", "fear", EMOTIONS, "fear", share=share))
    return out


def _topics(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    """Problems behind negative topics; content only on rising topics Q6 cleared."""
    q3 = prev.get(TOPICS)
    if q3 is None or not q3.topics:
        return []
    q6 = prev.get(OPPORTUNITIES)
    out: list[_Draft] = []
    for x in problem_topics(q3, q6, window.competitors)[:2]:
        figures = {
            "label": x.label,
            "share": say.pct(x.share),
            "sent": say.num(x.mean_sentiment, 2),
        }
        out.append(say.draft("medium", "reputation", "topic_negative", TOPICS, "topic", **figures))
    trends = window.concentration() is None
    for x in content_topics(q3, q6, window.competitors, trends=trends)[:1]:
        figures = {
            "label": x.label,
            "first": say.pct(x.trend.share_first_half),
            "second": say.pct(x.trend.share_second_half),
            "sent": say.num(x.mean_sentiment, 2),
        }
        out.append(say.draft("medium", "content", "topic_rising", TOPICS, "topic_trend", **figures))
    return out


def _risks(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    """Q6's risks: topics to manage (politics, conflict, clearly negative), never content."""
    out: list[_Draft] = []
    for r in brand_risks(prev.get(OPPORTUNITIES), window.competitors)[:2]:
        level: Level = "high" if "negative" in r.reasons and r.volume_share >= 0.05 else "medium"
        out.append(
            say.draft(
                level,
                "reputation",
                "risk",
                OPPORTUNITIES,
                "risk",
                action=r.action,
                label=r.segment,
                posts=say.num(r.posts),
                neg=say.pct(r.negative_share),
                pos=say.pct(r.positive_share),
                politics=say.pct(r.politics_share),
                conflict=say.pct(r.conflict_share),
            )
        )
    return out


def _frames(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q4 = prev.get(FRAMES)
    if q4 is None or not q4.posts_analyzed:
        return []
    out: list[_Draft] = []
    frames = {f.frame: f for f in q4.frames}
    conflict = frames.get("conflict")
    if conflict is not None and conflict.share >= 0.2:
        share = say.pct(conflict.share, 0)
        out.append(
            say.draft(
                "medium",
                "reputation",
                "conflict",
                FRAMES,
                "conflict",
                share=share,
                sent=say.num(conflict.mean_sentiment, 2),
            )
        )
    human = frames.get("human_interest")
    brand = frames.get("brand")
    if (
        human is not None
        and brand is not None
        and human.posts >= 5
        and brand.posts >= 5
        and human.mean_engagement_rate > 1.2 * brand.mean_engagement_rate
    ):
        hi = say.pct(human.mean_engagement_rate, 2)
        br = say.pct(brand.mean_engagement_rate, 2)
        out.append(say.draft("medium", "content", "human", FRAMES, "human", hi=hi, br=br))
    return out


def _influencers(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    """Competitors are never contacted nor invited, media never invited; a stance exists
    only for authors whose posts name the brand (item 1)."""
    q5 = prev.get(INFLUENCERS)
    if q5 is None or not q5.authors:
        return []
    out: list[_Draft] = []
    for a in [a for a in critics(q5) if a.influence_score >= 0.5][:1]:
        figures = {
            "handle": a.handle,
            "followers": say.num(a.followers),
            "sent": say.num(a.brand_mean_sentiment or 0.0, 2),
            "posts": a.brand_mention_posts,
        }
        out.append(say.draft("high", "influencers", "critic", INFLUENCERS, "author", **figures))
    for a in allies(q5)[:1]:
        out.append(
            say.draft(
                "medium",
                "influencers",
                "ally",
                INFLUENCERS,
                "ally",
                handle=a.handle,
                followers=say.num(a.followers),
                posts=a.brand_mention_posts,
                score=say.num(a.influence_score, 2),
            )
        )
    return out


def _opportunities(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q6 = prev.get(OPPORTUNITIES)
    if q6 is None:
        return []
    out: list[_Draft] = []
    for o in q6.opportunities[:2]:
        area: Area = "timing" if o.dimension == "time_slot" else "content"
        out.append(
            say.draft(
                "medium",
                area,
                "opportunity",
                OPPORTUNITIES,
                "opportunity",
                action=o.action,
                segment=o.segment,
                lift=fmt_ratio(o.lift, say.lang),
                volume=say.pct(o.volume_share),
                gap=say.num(o.gap_score, 2),
            )
        )
    return out


def _timing(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q8 = prev.get(TEMPORAL)
    if q8 is None or not q8.posts_analyzed:
        return []
    out: list[_Draft] = []
    for w in q8.best_windows[:1]:
        rate = say.pct(w.mean_engagement_rate, 2)
        out.append(
            say.draft(
                "low",
                "timing",
                "best_window",
                TEMPORAL,
                "window",
                label=w.label,
                rate=rate,
                lift=fmt_ratio(w.lift, say.lang),
                posts=w.posts,
            )
        )
    # Q8 reports no trend over a window concentrated in a few days.
    if q8.volume_trend is not None and q8.volume_trend.direction == "falling":
        rel = _signed_pct(q8.volume_trend.relative_slope, say.lang)
        out.append(
            say.draft("medium", "content", "volume_falling", TEMPORAL, "volume_trend", rel=rel)
        )
    if q8.engagement_trend is not None and q8.engagement_trend.direction == "falling":
        rel = _signed_pct(q8.engagement_trend.relative_slope, say.lang)
        out.append(
            say.draft(
                "medium", "content", "engagement_falling", TEMPORAL, "engagement_trend", rel=rel
            )
        )
    return out


def _personality(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    q2 = prev.get(PERSONALITY)
    if q2 is None or not (q2.dominant_dimension and q2.weakest_dimension and q2.dimensions):
        return []
    top, low = q2.dimensions[0], q2.dimensions[-1]
    names = DIMENSION_NAMES[say.lang]
    figures = {
        "top": names[top.dimension],
        "top_score": say.pct(top.score, 0),
        "low": names[low.dimension],
        "low_score": say.pct(low.score, 0),
    }
    return [say.draft("low", "positioning", "personality", PERSONALITY, "personality", **figures)]


def _competitors(say: _Say, prev: Previous, window: Window) -> list[_Draft]:
    """Where a competitor is ahead (Q11): more share of voice, or less negative mentions
    beyond noise. A competitor is never proposed as a partner."""
    out: list[_Draft] = []
    quote = "«{}»" if say.lang == "es" else "'{}'"
    for st in standings(prev.get(BENCHMARK)):
        brand, rival = st.brand, st.rival
        if st.louder:
            themes = ", ".join(quote.format(t.topic) for t in rival.top_themes[:2])
            out.append(
                say.draft(
                    "medium",
                    "positioning",
                    "louder",
                    BENCHMARK,
                    "voice",
                    brand=brand.name,
                    brand_sov=say.pct(brand.share_of_voice),
                    rival=rival.name,
                    rival_sov=say.pct(rival.share_of_voice),
                    themes=themes or "—",
                )
            )
        if st.more_negative:
            figures = {
                "brand": brand.name,
                "brand_neg": say.pct(brand.negative_share),
                "brand_n": say.num(brand.mentions),
                "rival": rival.name,
                "rival_neg": say.pct(rival.negative_share),
                "rival_n": say.num(rival.mentions),
            }
            out.append(
                say.draft(
                    "medium",
                    "reputation",
                    "more_negative",
                    BENCHMARK,
                    "negative_mentions",
                    **figures,
                )
            )
    return out


# Each rule reads the stored results of one question (in the order drafts are listed
# before ranking by level): reputation first, then content, people, timing, positioning.
RULES: tuple[Callable[[_Say, Previous, Window], list[_Draft]], ...] = (
    _sentiment,
    _emotions,
    _risks,
    _topics,
    _frames,
    _influencers,
    _opportunities,
    _timing,
    _competitors,
    _personality,
)

_NOTES = {
    "en": {"no_rule": "No rule fired: the stored results show no figure that calls for action."},
    "es": {
        "no_rule": "No se activó ninguna regla: los resultados guardados no muestran ninguna "
        "cifra que pida actuar."
    },
}


def compute(window: Window, previous: Previous) -> RecommendationsResult:
    say = _Say(window.lang)
    drafts = [d for rule in RULES for d in rule(say, previous, window)]
    ordered = sorted(enumerate(drafts), key=lambda kv: (_LEVEL_ORDER[kv[1].level], kv[0]))
    recommendations = [
        Recommendation(
            priority=rank,
            level=d.level,
            area=d.area,
            action=d.action,
            evidence=d.evidence,
        )
        for rank, (_, d) in enumerate(ordered[:MAX_RECOMMENDATIONS], start=1)
    ]
    notes = [*window.notes, *previous.notes(window.lang)]
    if previous.results and not recommendations:
        notes.append(_NOTES[window.lang]["no_rule"])
    return RecommendationsResult(
        posts_analyzed=window.n,
        language=window.lang,
        recommendations=recommendations,
        inputs_used=previous.used,
        missing_inputs=previous.missing,
        notes=notes,
    )
