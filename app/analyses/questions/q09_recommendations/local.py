"""Q9 recommendations, offline: prioritised actions from the stored results of Q1..Q8.

Fixed rules read the figures (negative share, spikes, angry/fearful posts, rising and
negative topics, frames, critical and supportive influencers, opportunities, best slots,
trends, personality); each fires a text template in the tenant language filled in with
the figures, and cites the question and figure it rests on. Missing inputs are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.analyses.question import Previous, Question
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
from app.analyses.window import Window
from app.analyses.wording import DIMENSION_NAMES, fmt_num, fmt_pct, fmt_pts, fmt_ratio

Level = Literal["high", "medium", "low"]
Area = Literal["reputation", "content", "community", "timing", "influencers", "positioning"]
_LEVEL_ORDER = {"high": 0, "medium": 1, "low": 2}
MAX_RECOMMENDATIONS = 10
PARTNERS = ("voice",)  # the only role proposed for a collaboration
CONTACTABLE = ("voice", "media")  # critics worth a private answer (never a competitor)
MIN_STANCE_POSTS = 2  # posts naming the brand before an author's stance calls for action

T: dict[str, dict[str, str]] = {
    "en": {
        "negative_high": "Set up a daily routine to answer complaints within hours and close "
        "each case publicly: {neg} of posts are negative (net sentiment {net}).",
        "negative_mid": "Review complaints every week and fix their most frequent cause: "
        "{neg} of posts are negative (net sentiment {net}).",
        "spike": "Find out what happened on {day} and prepare a response protocol for "
        "similar events: {count} negative posts that day (z-score {z}).",
        "anger": "Prioritise the cases that make customers angry or disgusted and answer "
        "them first: {share} of posts express anger or disgust.",
        "fear": "Publish reassurance content (security tips, how to report a problem): "
        "{share} of posts express fear.",
        "topic_negative": "Tackle the problem behind the topic '{label}': it is {direction} "
        "({first} -> {second} of posts) with mean sentiment {sent}.",
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
        "eventos similares: {count} publicaciones negativas ese día (puntuación z {z}).",
        "anger": "Priorizar los casos que generan enojo o asco y responderlos primero: el "
        "{share} de las publicaciones expresan ira o asco.",
        "fear": "Publicar contenido que dé tranquilidad (consejos de seguridad, cómo reportar "
        "un problema): el {share} de las publicaciones expresan miedo.",
        "topic_negative": "Atacar el problema detrás del tema «{label}»: está {direction} "
        "({first} -> {second} de las publicaciones) con sentimiento medio {sent}.",
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
        "spike": "{count} negative posts on {day} (z {z})",
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
    },
    "es": {
        "negative_share": "proporción negativa {neg}",
        "spike": "{count} publicaciones negativas el {day} (z {z})",
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
    },
}
DIRECTIONS = {
    "en": {"rising": "rising", "falling": "falling", "stable": "stable"},
    "es": {"rising": "en aumento", "falling": "en descenso", "stable": "estable"},
}


@dataclass
class _Draft:
    level: Level
    area: Area
    action: str
    evidence: list[Citation]


def _cite(source: Question[Any], figure: str) -> Citation:
    return Citation(source=source.key, figure=figure)


def _signed_pct(x: float, lang: str) -> str:
    return ("+" if x > 0 else "") + fmt_pct(x, lang)


def compute(window: Window, previous: Previous) -> RecommendationsResult:
    lang = window.lang
    t = T[lang]
    f_ = F[lang]
    prev = previous
    drafts: list[_Draft] = []

    q7 = prev.get(SENTIMENT)
    if q7 is not None and q7.posts_analyzed:
        neg = fmt_pct(q7.negative_share, lang, 0)
        fig = _cite(SENTIMENT, f_["negative_share"].format(neg=neg))
        if q7.negative_share >= 0.25:
            text = t["negative_high"].format(neg=neg, net=fmt_pts(q7.net_score, lang))
            drafts.append(_Draft("high", "reputation", text, [fig]))
        elif q7.negative_share >= 0.15:
            text = t["negative_mid"].format(neg=neg, net=fmt_pts(q7.net_score, lang))
            drafts.append(_Draft("medium", "reputation", text, [fig]))
        volume_spikes = [s for s in q7.spikes if s.kind == "negative_volume"] or q7.spikes
        if volume_spikes:
            s = volume_spikes[0]
            z = fmt_num(s.z_score, lang, 1)
            drafts.append(
                _Draft(
                    "high",
                    "reputation",
                    t["spike"].format(day=s.day.isoformat(), count=s.negative_posts, z=z),
                    [_cite(SENTIMENT, f_["spike"].format(count=s.negative_posts, day=s.day, z=z))],
                )
            )

    q1 = prev.get(EMOTIONS)
    if q1 is not None and q1.posts_analyzed:
        by = {d.emotion: d.share for d in q1.distribution}
        angry = by.get("anger", 0.0) + by.get("disgust", 0.0)
        if angry >= 0.10:
            drafts.append(
                _Draft(
                    "high" if angry >= 0.2 else "medium",
                    "reputation",
                    t["anger"].format(share=fmt_pct(angry, lang, 0)),
                    [_cite(EMOTIONS, f_["anger"].format(share=fmt_pct(angry, lang, 0)))],
                )
            )
        fear = by.get("fear", 0.0)
        if fear >= 0.05:
            drafts.append(
                _Draft(
                    "medium",
                    "content",
                    t["fear"].format(share=fmt_pct(fear, lang, 0)),
                    [_cite(EMOTIONS, f_["fear"].format(share=fmt_pct(fear, lang, 0)))],
                )
            )

    q3 = prev.get(TOPICS)
    if q3 is not None and q3.topics:
        negative = [
            x
            for x in q3.topics
            if x.mean_sentiment <= -0.2 and (x.share >= 0.05 or x.trend.direction == "rising")
        ]
        negative.sort(key=lambda x: (x.trend.direction != "rising", x.mean_sentiment))
        for x in negative[:2]:
            drafts.append(
                _Draft(
                    "high" if x.trend.direction == "rising" else "medium",
                    "reputation",
                    t["topic_negative"].format(
                        label=x.label,
                        direction=DIRECTIONS[lang][x.trend.direction],
                        first=fmt_pct(x.trend.share_first_half, lang),
                        second=fmt_pct(x.trend.share_second_half, lang),
                        sent=fmt_num(x.mean_sentiment, lang, 2),
                    ),
                    [
                        _cite(
                            TOPICS,
                            f_["topic"].format(
                                label=x.label,
                                share=fmt_pct(x.share, lang),
                                sent=fmt_num(x.mean_sentiment, lang, 2),
                            ),
                        )
                    ],
                )
            )
        rising = [x for x in q3.topics if x.trend.direction == "rising" and x.mean_sentiment > -0.2]
        rising.sort(key=lambda x: -x.trend.change)
        for x in rising[:1]:
            drafts.append(
                _Draft(
                    "medium",
                    "content",
                    t["topic_rising"].format(
                        label=x.label,
                        first=fmt_pct(x.trend.share_first_half, lang),
                        second=fmt_pct(x.trend.share_second_half, lang),
                        sent=fmt_num(x.mean_sentiment, lang, 2),
                    ),
                    [
                        _cite(
                            TOPICS,
                            f_["topic_trend"].format(
                                label=x.label,
                                first=fmt_pct(x.trend.share_first_half, lang),
                                second=fmt_pct(x.trend.share_second_half, lang),
                            ),
                        )
                    ],
                )
            )

    q4 = prev.get(FRAMES)
    if q4 is not None and q4.posts_analyzed:
        frames = {f.frame: f for f in q4.frames}
        conflict = frames.get("conflict")
        if conflict is not None and conflict.share >= 0.2:
            drafts.append(
                _Draft(
                    "medium",
                    "reputation",
                    t["conflict"].format(
                        share=fmt_pct(conflict.share, lang, 0),
                        sent=fmt_num(conflict.mean_sentiment, lang, 2),
                    ),
                    [_cite(FRAMES, f_["conflict"].format(share=fmt_pct(conflict.share, lang, 0)))],
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
            hi = fmt_pct(human.mean_engagement_rate, lang, 2)
            br = fmt_pct(brand.mean_engagement_rate, lang, 2)
            drafts.append(
                _Draft(
                    "medium",
                    "content",
                    t["human"].format(hi=hi, br=br),
                    [_cite(FRAMES, f_["human"].format(hi=hi, br=br))],
                )
            )

    q5 = prev.get(INFLUENCERS)
    if q5 is not None and q5.authors:
        # Competitors are never contacted nor invited, media never invited: item 1 of the
        # rules (a stance exists only for authors whose texts name the brand).
        critics = [
            a
            for a in q5.authors
            if a.stance == "critical"
            and a.influence_score >= 0.5
            and a.role in CONTACTABLE
            and a.brand_mention_posts >= MIN_STANCE_POSTS
        ]
        for a in critics[:1]:
            drafts.append(
                _Draft(
                    "high",
                    "influencers",
                    t["critic"].format(
                        handle=a.handle,
                        followers=fmt_num(a.followers, lang),
                        sent=fmt_num(a.brand_mean_sentiment or 0.0, lang, 2),
                        posts=a.brand_mention_posts,
                    ),
                    [
                        _cite(
                            INFLUENCERS,
                            f_["author"].format(
                                handle=a.handle,
                                followers=fmt_num(a.followers, lang),
                                sent=fmt_num(a.brand_mean_sentiment or 0.0, lang, 2),
                            ),
                        )
                    ],
                )
            )
        allies = [
            a
            for a in q5.authors
            if a.stance == "supportive"
            and a.role in PARTNERS
            and a.brand_mention_posts >= MIN_STANCE_POSTS
        ]
        for a in allies[:1]:
            drafts.append(
                _Draft(
                    "medium",
                    "influencers",
                    t["ally"].format(
                        handle=a.handle,
                        followers=fmt_num(a.followers, lang),
                        posts=a.brand_mention_posts,
                    ),
                    [
                        _cite(
                            INFLUENCERS,
                            f_["ally"].format(
                                handle=a.handle,
                                followers=fmt_num(a.followers, lang),
                                score=fmt_num(a.influence_score, lang, 2),
                            ),
                        )
                    ],
                )
            )

    q6 = prev.get(OPPORTUNITIES)
    if q6 is not None:
        for o in q6.opportunities[:2]:
            area: Area = "timing" if o.dimension == "time_slot" else "content"
            drafts.append(
                _Draft(
                    "medium",
                    area,
                    t["opportunity"].format(action=o.action),
                    [
                        _cite(
                            OPPORTUNITIES,
                            f_["opportunity"].format(
                                segment=o.segment,
                                lift=fmt_ratio(o.lift, lang),
                                volume=fmt_pct(o.volume_share, lang),
                                gap=fmt_num(o.gap_score, lang, 2),
                            ),
                        )
                    ],
                )
            )

    q8 = prev.get(TEMPORAL)
    if q8 is not None and q8.posts_analyzed:
        if q8.best_windows:
            w = q8.best_windows[0]
            rate = fmt_pct(w.mean_engagement_rate, lang, 2)
            drafts.append(
                _Draft(
                    "low",
                    "timing",
                    t["best_window"].format(label=w.label, rate=rate, lift=fmt_ratio(w.lift, lang)),
                    [_cite(TEMPORAL, f_["window"].format(label=w.label, rate=rate, posts=w.posts))],
                )
            )
        if q8.volume_trend is not None and q8.volume_trend.direction == "falling":
            rel = _signed_pct(q8.volume_trend.relative_slope, lang)
            drafts.append(
                _Draft(
                    "medium",
                    "content",
                    t["volume_falling"].format(rel=rel),
                    [_cite(TEMPORAL, f_["volume_trend"].format(rel=rel))],
                )
            )
        if q8.engagement_trend is not None and q8.engagement_trend.direction == "falling":
            rel = _signed_pct(q8.engagement_trend.relative_slope, lang)
            drafts.append(
                _Draft(
                    "medium",
                    "content",
                    t["engagement_falling"].format(rel=rel),
                    [_cite(TEMPORAL, f_["engagement_trend"].format(rel=rel))],
                )
            )

    q2 = prev.get(PERSONALITY)
    if q2 is not None and q2.dominant_dimension and q2.weakest_dimension and q2.dimensions:
        top, low = q2.dimensions[0], q2.dimensions[-1]
        names = DIMENSION_NAMES[lang]
        drafts.append(
            _Draft(
                "low",
                "positioning",
                t["personality"].format(
                    top=names[top.dimension],
                    top_score=fmt_pct(top.score, lang, 0),
                    low=names[low.dimension],
                    low_score=fmt_pct(low.score, lang, 0),
                ),
                [
                    _cite(
                        PERSONALITY,
                        f_["personality"].format(
                            top=names[top.dimension],
                            top_score=fmt_pct(top.score, lang, 0),
                            low=names[low.dimension],
                            low_score=fmt_pct(low.score, lang, 0),
                        ),
                    )
                ],
            )
        )

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
    notes = [*window.notes, *prev.notes]
    if not prev.results:
        notes.append(
            "No stored results of " + ", ".join(prev.inputs) + " to build on; run them first."
        )
    elif not recommendations:
        notes.append("No rule fired: the stored results show no figure that calls for action.")
    return RecommendationsResult(
        posts_analyzed=window.n,
        language=lang,
        recommendations=recommendations,
        inputs_used=prev.used,
        missing_inputs=prev.missing,
        notes=notes,
    )
