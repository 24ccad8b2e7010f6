"""Q10 executive summary, offline: headline KPIs from the posts, and findings, risks and
opportunities from the stored results of the other questions, as fixed templates in the
tenant language filled in with the figures.
"""

from __future__ import annotations

from collections import Counter
from typing import cast

from app.analyses.question import Previous
from app.analyses.questions.parts import Emotion, volume_notes
from app.analyses.questions.q01_emotions import QUESTION as EMOTIONS
from app.analyses.questions.q02_personality import QUESTION as PERSONALITY
from app.analyses.questions.q03_topics import QUESTION as TOPICS
from app.analyses.questions.q04_frames import QUESTION as FRAMES
from app.analyses.questions.q05_influencers import QUESTION as INFLUENCERS
from app.analyses.questions.q06_opportunities import QUESTION as OPPORTUNITIES
from app.analyses.questions.q07_sentiment import QUESTION as SENTIMENT
from app.analyses.questions.q08_temporal import QUESTION as TEMPORAL
from app.analyses.questions.q10_summary.result import SummaryKpis, SummaryResult
from app.analyses.statistics import clamp, mean, r4, shares
from app.analyses.window import Window
from app.analyses.wording import (
    DIMENSION_NAMES,
    EMOTION_NAMES,
    FRAME_NAMES,
    WEEKDAYS,
    fmt_num,
    fmt_pct,
    fmt_pts,
    fmt_ratio,
)

VOICES = ("voice", "media")  # whose criticism is a risk to the brand (not a competitor's)
MIN_STANCE_POSTS = 2  # posts naming the brand before an author's stance is reported

DIMENSION_LABELS = {
    "en": {
        "topic": "topic",
        "content_type": "content type",
        "platform": "platform",
        "time_slot": "time slot",
        "language": "language",
    },
    "es": {
        "topic": "tema",
        "content_type": "tipo de contenido",
        "platform": "plataforma",
        "time_slot": "franja horaria",
        "language": "idioma",
    },
}

T: dict[str, dict[str, str]] = {
    "en": {
        "headline": "{posts} posts ({own} own, {mentions} mentions); net sentiment {net}; "
        "top emotion: {emotion}; top topic: {topic}.",
        "none": "none",
        "sentiment": "{pos} of posts are positive and {neg} negative (net sentiment {net}).",
        "engagement": "Own posts collect {own_share} of the engagement ({own_eng} of "
        "{total}); the mean engagement rate is {rate}.",
        "topic": "The largest topic is '{label}' ({share} of posts, {direction}).",
        "frame": "The most used narrative frame is {frame} ({share} of posts).",
        "personality": "The own posts project mainly {dim} ({score} of own posts).",
        "window": "The best slot for own posts is {label} (engagement rate {rate}, {lift} "
        "the average).",
        "risk_negative": "{neg} of posts are negative.",
        "risk_spike": "Negative spike on {day}: {count} negative posts (z-score {z}).",
        "risk_topic": "The topic '{label}' is {direction} with mean sentiment {sent} "
        "({share} of posts).",
        "risk_critic": "@{handle} ({followers} followers) posts critically about the brand "
        "(mean sentiment {sent} in {posts} posts naming it).",
        "risk_anger": "{share} of posts express anger or disgust.",
        "risk_volume": "Weekly posting volume is falling ({rel} of the mean per week).",
        "risk_engagement": "Weekly engagement per post is falling ({rel} of the mean per week).",
        "opp_segment": "{segment} ({dimension}): {lift} the average engagement rate with only "
        "{volume} of the posts.",
        "opp_ally": "@{handle} ({followers} followers) is a supportive voice in {posts} posts "
        "naming the brand.",
        "opp_topic": "The topic '{label}' is rising ({first} -> {second} of posts) with mean "
        "sentiment {sent}.",
        "directions": "rising|falling|stable",
    },
    "es": {
        "headline": "{posts} publicaciones ({own} propias, {mentions} menciones); sentimiento "
        "neto {net}; emoción principal: {emotion}; tema principal: {topic}.",
        "none": "ninguno",
        "sentiment": "El {pos} de las publicaciones son positivas y el {neg} negativas "
        "(sentimiento neto {net}).",
        "engagement": "Las publicaciones propias reúnen el {own_share} de la interacción "
        "({own_eng} de {total}); la tasa de interacción media es {rate}.",
        "topic": "El tema más grande es «{label}» ({share} de las publicaciones, {direction}).",
        "frame": "El encuadre narrativo más usado es {frame} ({share} de las publicaciones).",
        "personality": "Las publicaciones propias proyectan sobre todo {dim} ({score} de las "
        "propias).",
        "window": "La mejor franja para publicaciones propias es el {label} (tasa de "
        "interacción {rate}, {lift} la media).",
        "risk_negative": "El {neg} de las publicaciones son negativas.",
        "risk_spike": "Pico negativo el {day}: {count} publicaciones negativas (puntuación z {z}).",
        "risk_topic": "El tema «{label}» está {direction} con sentimiento medio {sent} ({share} "
        "de las publicaciones).",
        "risk_critic": "@{handle} ({followers} seguidores) publica en tono crítico sobre la "
        "marca (sentimiento medio {sent} en {posts} publicaciones que la nombran).",
        "risk_anger": "El {share} de las publicaciones expresan ira o asco.",
        "risk_volume": "El volumen semanal de publicaciones baja ({rel} de la media por semana).",
        "risk_engagement": "La interacción semanal por publicación baja ({rel} de la media por "
        "semana).",
        "opp_segment": "{segment} ({dimension}): {lift} la tasa de interacción media con solo "
        "el {volume} de las publicaciones.",
        "opp_ally": "@{handle} ({followers} seguidores) es una voz favorable en {posts} "
        "publicaciones que nombran la marca.",
        "opp_topic": "El tema «{label}» está en aumento ({first} -> {second} de las "
        "publicaciones) con sentimiento medio {sent}.",
        "directions": "en aumento|en descenso|estable",
    },
}


def _direction(name: str, lang: str) -> str:
    rising, falling, stable = T[lang]["directions"].split("|")
    return {"rising": rising, "falling": falling}.get(name, stable)


def compute(window: Window, previous: Previous) -> SummaryResult:
    lang = window.lang
    t = T[lang]
    posts = window.posts
    n = len(posts)
    prev = previous
    notes = [*window.notes, *volume_notes(n), *prev.notes]

    own = [p for p in posts if p.is_own]
    total_eng = sum(max(p.engagement, 0) for p in posts)
    own_eng = sum(max(p.engagement, 0) for p in own)
    labels = Counter(p.sentiment_label or "neutral" for p in posts)
    pos, neg = shares([labels["positive"], labels["neutral"], labels["negative"]])[::2]
    net = r4(pos - neg)

    q1 = prev.get(EMOTIONS)
    top_emotion: Emotion | None
    if q1 is not None:
        top_emotion = q1.dominant_non_neutral
    else:
        emotions = Counter(
            p.emotion_label for p in posts if p.emotion_label and p.emotion_label != "neutral"
        )
        top_emotion = cast(Emotion, emotions.most_common(1)[0][0]) if emotions else None
    q3 = prev.get(TOPICS)
    if q3 is not None:
        top_topic = q3.topics[0].label if q3.topics else None
    else:
        model = window.topics
        top_topic = model.topics[0].label if posts and model.topics else None

    kpis = SummaryKpis(
        posts=n,
        own_posts=len(own),
        mentions=n - len(own),
        total_engagement=total_eng,
        own_engagement=own_eng,
        mentions_engagement=total_eng - own_eng,
        mean_engagement_rate=r4(mean(window.rates)),
        positive_share=pos,
        negative_share=neg,
        net_sentiment=clamp(net, -1.0, 1.0),
        top_emotion=top_emotion,
        top_topic=top_topic,
    )
    headline = t["headline"].format(
        posts=fmt_num(n, lang),
        own=fmt_num(len(own), lang),
        mentions=fmt_num(n - len(own), lang),
        net=fmt_pts(net, lang),
        emotion=EMOTION_NAMES[lang][top_emotion] if top_emotion else t["none"],
        topic=(f"«{top_topic}»" if lang == "es" else f"'{top_topic}'") if top_topic else t["none"],
    )

    findings: list[str] = []
    risks: list[str] = []
    opportunities: list[str] = []
    if n:
        findings.append(
            t["sentiment"].format(
                pos=fmt_pct(pos, lang), neg=fmt_pct(neg, lang), net=fmt_pts(net, lang)
            )
        )
        findings.append(
            t["engagement"].format(
                own_share=fmt_pct(own_eng / total_eng if total_eng else 0.0, lang),
                own_eng=fmt_num(own_eng, lang),
                total=fmt_num(total_eng, lang),
                rate=fmt_pct(mean(window.rates), lang, 2),
            )
        )
        if neg >= 0.15:
            risks.append(t["risk_negative"].format(neg=fmt_pct(neg, lang)))

    if q1 is not None and q1.dominant_non_neutral:
        # Q1's own sentence: the leading emotion among the posts that show one, with the
        # neutral share beside it (never "the most frequent emotion" of a mostly neutral set).
        findings.append(q1.headline)
        angry = sum(d.share for d in q1.distribution if d.emotion in ("anger", "disgust"))
        if angry >= 0.10:
            risks.append(t["risk_anger"].format(share=fmt_pct(angry, lang)))

    if q3 is not None and q3.topics:
        top = q3.topics[0]
        findings.append(
            t["topic"].format(
                label=top.label,
                share=fmt_pct(top.share, lang),
                direction=_direction(top.trend.direction, lang),
            )
        )
        for x in q3.topics:
            if x.mean_sentiment <= -0.2 and x.trend.direction != "falling" and x.share >= 0.05:
                risks.append(
                    t["risk_topic"].format(
                        label=x.label,
                        direction=_direction(x.trend.direction, lang),
                        sent=fmt_num(x.mean_sentiment, lang, 2),
                        share=fmt_pct(x.share, lang),
                    )
                )
        rising = [x for x in q3.topics if x.trend.direction == "rising" and x.mean_sentiment > 0]
        for x in sorted(rising, key=lambda x: -x.trend.change)[:2]:
            opportunities.append(
                t["opp_topic"].format(
                    label=x.label,
                    first=fmt_pct(x.trend.share_first_half, lang),
                    second=fmt_pct(x.trend.share_second_half, lang),
                    sent=fmt_num(x.mean_sentiment, lang, 2),
                )
            )

    q4 = prev.get(FRAMES)
    if q4 is not None and q4.dominant_frame:
        frame = next(f for f in q4.frames if f.frame == q4.dominant_frame)
        findings.append(
            t["frame"].format(
                frame=FRAME_NAMES[lang][frame.frame], share=fmt_pct(frame.share, lang)
            )
        )

    q2 = prev.get(PERSONALITY)
    if q2 is not None and q2.dominant_dimension and q2.dimensions:
        top_dim = q2.dimensions[0]
        findings.append(
            t["personality"].format(
                dim=DIMENSION_NAMES[lang][top_dim.dimension], score=fmt_pct(top_dim.score, lang)
            )
        )

    q8 = prev.get(TEMPORAL)
    if q8 is not None:
        if q8.best_windows:
            w = q8.best_windows[0]
            findings.append(
                t["window"].format(
                    label=f"{WEEKDAYS[lang][w.weekday]} {w.hour:02d}:00",
                    rate=fmt_pct(w.mean_engagement_rate, lang, 2),
                    lift=fmt_ratio(w.lift, lang),
                )
            )
        if q8.volume_trend is not None and q8.volume_trend.direction == "falling":
            risks.append(t["risk_volume"].format(rel=fmt_pct(q8.volume_trend.relative_slope, lang)))
        if q8.engagement_trend is not None and q8.engagement_trend.direction == "falling":
            risks.append(
                t["risk_engagement"].format(rel=fmt_pct(q8.engagement_trend.relative_slope, lang))
            )

    q7 = prev.get(SENTIMENT)
    if q7 is not None:
        for s in q7.spikes[:2]:  # spikes of the negative share (statistics.negative_spikes)
            risks.append(
                t["risk_spike"].format(
                    day=s.day.isoformat(), count=s.negative_posts, z=fmt_num(s.z_score, lang, 1)
                )
            )

    q5 = prev.get(INFLUENCERS)
    if q5 is not None:
        critics = [
            a
            for a in q5.authors
            if a.stance == "critical"
            and a.role in VOICES
            and a.brand_mention_posts >= MIN_STANCE_POSTS
        ]
        for a in critics[:1]:
            risks.append(
                t["risk_critic"].format(
                    handle=a.handle,
                    followers=fmt_num(a.followers, lang),
                    sent=fmt_num(a.brand_mean_sentiment or 0.0, lang, 2),
                    posts=a.brand_mention_posts,
                )
            )
        # A competitor or an outlet is never "a favourable voice" to build on.
        allies = [
            a
            for a in q5.authors
            if a.stance == "supportive"
            and a.role == "voice"
            and a.brand_mention_posts >= MIN_STANCE_POSTS
        ]
        for a in allies[:1]:
            opportunities.append(
                t["opp_ally"].format(
                    handle=a.handle,
                    followers=fmt_num(a.followers, lang),
                    posts=a.brand_mention_posts,
                )
            )

    q6 = prev.get(OPPORTUNITIES)
    if q6 is not None:
        for o in q6.opportunities[:3]:
            opportunities.append(
                t["opp_segment"].format(
                    segment=o.segment,
                    dimension=DIMENSION_LABELS[lang][o.dimension],
                    lift=fmt_ratio(o.lift, lang),
                    volume=fmt_pct(o.volume_share, lang),
                )
            )

    return SummaryResult(
        posts_analyzed=n,
        language=lang,
        headline=headline,
        kpis=kpis,
        findings=findings,
        risks=risks,
        opportunities=opportunities,
        missing_inputs=prev.missing,
        notes=notes,
    )
