"""Q10 executive summary, offline: headline KPIs from the posts, and findings, risks and
opportunities from the stored results of the other questions, as fixed templates in the
tenant language filled in with the figures.
"""

from __future__ import annotations

from collections import Counter
from typing import cast

from app.analyses.question import Previous
from app.analyses.questions.advice import (
    allies,
    brand_risks,
    competitor_topics,
    content_topics,
    critics,
    problem_topics,
    standings,
)
from app.analyses.questions.parts import Emotion, volume_notes
from app.analyses.questions.q01_emotions import QUESTION as EMOTIONS
from app.analyses.questions.q01_emotions.result import EmotionsResult
from app.analyses.questions.q02_personality import QUESTION as PERSONALITY
from app.analyses.questions.q03_topics import QUESTION as TOPICS
from app.analyses.questions.q04_frames import QUESTION as FRAMES
from app.analyses.questions.q05_influencers import QUESTION as INFLUENCERS
from app.analyses.questions.q06_opportunities import QUESTION as OPPORTUNITIES
from app.analyses.questions.q06_opportunities.result import TopicRisk
from app.analyses.questions.q07_sentiment import QUESTION as SENTIMENT
from app.analyses.questions.q08_temporal import QUESTION as TEMPORAL
from app.analyses.questions.q08_temporal.result import Concentration
from app.analyses.questions.q10_summary.result import SummaryCoverage, SummaryKpis, SummaryResult
from app.analyses.questions.q11_benchmark import QUESTION as BENCHMARK
from app.analyses.statistics import clamp, mean, r4, shares
from app.analyses.window import Window
from app.analyses.wording import (
    DIMENSION_NAMES,
    FRAME_NAMES,
    WEEKDAYS,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_pts,
    fmt_ratio,
)

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
        "headline": "{posts} posts {period} ({own} own, {mentions} mentions, "
        "{retweets} retweets); net sentiment {net} with {neutral} neutral; top topic: {topic}.",
        "headline_empty": "No posts in the window.",
        "none": "none",
        "span": "from {first} to {last}",
        "one_day": "on {first}",
        "period": "Data from {first} to {last}: there are posts on {days} of its {span} days.",
        "period_one": "All posts are from one day, {first}.",
        "concentrated": "{share} of the posts fall on {days} of those days ({from_} to {to}): "
        "the data is a collection burst, so no trend over the window is reported.",
        "copies": "{retweets} posts are retweets ({retweet_share}) and {duplicates} repeat an "
        "earlier text: topics, frames, influencers and examples count each text once "
        "({distinct} distinct texts).",
        "no_retweets": "No post is a retweet; {duplicates} repeat an earlier text: topics, "
        "frames, influencers and examples count each text once ({distinct} distinct texts).",
        "no_copies": "No post is a retweet or repeats an earlier text.",
        "neutral": "{neutral} of the posts are neutral (neither positive nor negative).",
        "neutral_emotion": "{neutral} of the posts are neutral (neither positive nor "
        "negative) and {emotionless} show no emotion.",
        "sentiment": "{pos} of posts are positive and {neg} negative (net sentiment {net}).",
        "engagement": "Own posts collect {own_share} of the engagement ({own_eng} of "
        "{total}); the mean engagement rate is {rate}.",
        "topic": "The largest topic is '{label}' ({share} of posts, {direction}).",
        "topic_plain": "The largest topic is '{label}' ({share} of posts).",
        "frame": "The most used narrative frame is {frame} ({share} of posts).",
        "personality": "The own posts project mainly {dim} ({score} of own posts).",
        "window": "The best slot for own posts is {label} (engagement rate {rate}, {lift} "
        "the average).",
        "rival_topics": "Topics about competitors, not the brand (neither its risks nor its "
        "content): {topics}.",
        "voice": "Share of voice among the {total} posts naming the brand or a competitor: "
        "{shares}.",
        "less_negative": "Mentions of the brand are less negative than those of '{rival}' "
        "({brand_neg} against {rival_neg} negative).",
        "risk_negative": "{neg} of posts are negative.",
        "risk_spike": "Negative spike on {day}: {share} of its {posts} posts were negative "
        "(z-score {z}).",
        "risk_topic": "The topic '{label}' has mean sentiment {sent} ({share} of posts).",
        "risk_q6": "'{label}' ({posts} posts, {share}) is {why}: manage it as a risk, not as "
        "content.",
        "why_negative": "clearly negative ({neg} negative against {pos} positive)",
        "why_politics": "about politics ({politics} of its posts)",
        "why_conflict": "about conflict ({conflict} of its posts)",
        "and": " and ",
        "risk_critic": "@{handle} ({followers} followers) posts critically about the brand "
        "(mean sentiment {sent} in {posts} posts naming it).",
        "risk_anger": "{share} of posts express anger or disgust.",
        "risk_volume": "Weekly posting volume is falling ({rel} of the mean per week).",
        "risk_engagement": "Weekly engagement per post is falling ({rel} of the mean per week).",
        "risk_louder": "'{rival}' is named more than the brand ({rival_sov} of the share of "
        "voice against {brand_sov}).",
        "risk_more_negative": "Mentions of the brand are more negative than those of "
        "'{rival}' ({brand_neg} against {rival_neg} negative).",
        "opp_segment": "{segment} ({dimension}): {lift} the average engagement rate with only "
        "{volume} of the posts.",
        "opp_ally": "@{handle} ({followers} followers) is a supportive voice in {posts} posts "
        "naming the brand.",
        "opp_topic": "The topic '{label}' is rising ({first} -> {second} of posts) with mean "
        "sentiment {sent}.",
        "directions": "rising|falling|stable",
    },
    "es": {
        "headline": "{posts} publicaciones {period} ({own} propias, {mentions} "
        "menciones, {retweets} retuits); sentimiento neto {net} con el {neutral} neutras; "
        "tema principal: {topic}.",
        "headline_empty": "No hay publicaciones en la ventana.",
        "none": "ninguno",
        "span": "del {first} al {last}",
        "one_day": "del {first}",
        "period": "Datos del {first} al {last}: hay publicaciones en {days} de sus {span} días.",
        "period_one": "Todas las publicaciones son de un solo día, el {first}.",
        "concentrated": "El {share} de las publicaciones cae en {days} de esos días (del "
        "{from_} al {to}): los datos son un pico de recogida, así que no se informa ninguna "
        "tendencia en la ventana.",
        "copies": "{retweets} publicaciones son retuits ({retweet_share}) y {duplicates} "
        "repiten un texto anterior: temas, encuadres, influenciadores y ejemplos cuentan cada "
        "texto una vez ({distinct} textos distintos).",
        "no_retweets": "Ninguna publicación es un retuit; {duplicates} repiten un texto "
        "anterior: temas, encuadres, influenciadores y ejemplos cuentan cada texto una vez "
        "({distinct} textos distintos).",
        "no_copies": "Ninguna publicación es un retuit ni repite un texto anterior.",
        "neutral": "El {neutral} de las publicaciones son neutras (ni positivas ni negativas).",
        "neutral_emotion": "El {neutral} de las publicaciones son neutras (ni positivas ni "
        "negativas) y el {emotionless} no muestra ninguna emoción.",
        "sentiment": "El {pos} de las publicaciones son positivas y el {neg} negativas "
        "(sentimiento neto {net}).",
        "engagement": "Las publicaciones propias reúnen el {own_share} de la interacción "
        "({own_eng} de {total}); la tasa de interacción media es {rate}.",
        "topic": "El tema más grande es «{label}» ({share} de las publicaciones, {direction}).",
        "topic_plain": "El tema más grande es «{label}» ({share} de las publicaciones).",
        "frame": "El encuadre narrativo más usado es {frame} ({share} de las publicaciones).",
        "personality": "Las publicaciones propias proyectan sobre todo {dim} ({score} de las "
        "propias).",
        "window": "La mejor franja para publicaciones propias es el {label} (tasa de "
        "interacción {rate}, {lift} la media).",
        "rival_topics": "Temas sobre competidores, no sobre la marca (ni riesgos ni contenido "
        "suyos): {topics}.",
        "voice": "Cuota de voz entre las {total} publicaciones que nombran a la marca o a un "
        "competidor: {shares}.",
        "less_negative": "Las menciones de la marca son menos negativas que las de «{rival}» "
        "({brand_neg} frente a {rival_neg} negativas).",
        "risk_negative": "El {neg} de las publicaciones son negativas.",
        "risk_spike": "Pico negativo el {day}: el {share} de sus {posts} publicaciones fueron "
        "negativas (puntuación z {z}).",
        "risk_topic": "El tema «{label}» tiene un sentimiento medio de {sent} ({share} de las "
        "publicaciones).",
        "risk_q6": "«{label}» ({posts} publicaciones, {share}) es {why}: gestionarlo como un "
        "riesgo, no como contenido.",
        "why_negative": "claramente negativo ({neg} negativas frente a {pos} positivas)",
        "why_politics": "de política ({politics} de sus publicaciones)",
        "why_conflict": "de conflicto ({conflict} de sus publicaciones)",
        "and": " y ",
        "risk_critic": "@{handle} ({followers} seguidores) publica en tono crítico sobre la "
        "marca (sentimiento medio {sent} en {posts} publicaciones que la nombran).",
        "risk_anger": "El {share} de las publicaciones expresan ira o asco.",
        "risk_volume": "El volumen semanal de publicaciones baja ({rel} de la media por semana).",
        "risk_engagement": "La interacción semanal por publicación baja ({rel} de la media por "
        "semana).",
        "risk_louder": "«{rival}» se nombra más que la marca ({rival_sov} de la cuota de voz "
        "frente a {brand_sov}).",
        "risk_more_negative": "Las menciones de la marca son más negativas que las de "
        "«{rival}» ({brand_neg} frente a {rival_neg} negativas).",
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


def _quote(label: str, lang: str) -> str:
    return f"«{label}»" if lang == "es" else f"'{label}'"


def _coverage(window: Window, neutral: float, q1: EmotionsResult | None) -> SummaryCoverage:
    n = window.n
    found = window.concentration()
    return SummaryCoverage(
        first_post=min(window.dates) if window.dates else None,
        last_post=max(window.dates) if window.dates else None,
        span_days=len(window.day_range()),
        days_with_posts=len(window.daily),
        concentration=Concentration.model_validate(found, from_attributes=True) if found else None,
        retweets=window.retweets,
        retweet_share=r4(window.retweets / n) if n else 0.0,
        duplicates=window.duplicates,
        distinct_texts=len(window.originals),
        neutral_share=neutral,
        emotion_neutral_share=q1.neutral_share if q1 is not None else None,
    )


def _context(c: SummaryCoverage, lang: str) -> list[str]:
    """What the findings stand on, said first: period and gaps, copies, neutral posts."""
    t = T[lang]
    if c.first_post is None or c.last_post is None:
        return [t["headline_empty"]]
    said = [
        t["period" if c.span_days > 1 else "period_one"].format(
            first=fmt_date(c.first_post, lang),
            last=fmt_date(c.last_post, lang),
            days=fmt_num(c.days_with_posts, lang),
            span=fmt_num(c.span_days, lang),
        )
    ]
    if c.concentration is not None:
        said.append(
            t["concentrated"].format(
                share=fmt_pct(c.concentration.posts_share, lang, 0),
                days=fmt_num(c.concentration.days, lang),
                from_=fmt_date(c.concentration.first_day, lang),
                to=fmt_date(c.concentration.last_day, lang),
            )
        )
    if c.retweets or c.duplicates:
        said.append(
            t["copies" if c.retweets else "no_retweets"].format(
                retweets=fmt_num(c.retweets, lang),
                retweet_share=fmt_pct(c.retweet_share, lang),
                duplicates=fmt_num(c.duplicates, lang),
                distinct=fmt_num(c.distinct_texts, lang),
            )
        )
    else:
        said.append(t["no_copies"])
    neutral = fmt_pct(c.neutral_share, lang)
    if c.emotion_neutral_share is None:
        said.append(t["neutral"].format(neutral=neutral))
    else:
        said.append(
            t["neutral_emotion"].format(
                neutral=neutral, emotionless=fmt_pct(c.emotion_neutral_share, lang)
            )
        )
    return said


def _topic_risk(r: TopicRisk, lang: str) -> str:
    t = T[lang]
    why = {
        "negative": t["why_negative"].format(
            neg=fmt_pct(r.negative_share, lang), pos=fmt_pct(r.positive_share, lang)
        ),
        "politics": t["why_politics"].format(politics=fmt_pct(r.politics_share, lang)),
        "conflict": t["why_conflict"].format(conflict=fmt_pct(r.conflict_share, lang)),
    }
    return t["risk_q6"].format(
        label=r.segment,
        posts=fmt_num(r.posts, lang),
        share=fmt_pct(r.volume_share, lang),
        why=t["and"].join(why[reason] for reason in r.reasons),
    )


def compute(window: Window, previous: Previous) -> SummaryResult:
    lang = window.lang
    t = T[lang]
    posts = window.posts
    n = len(posts)
    prev = previous
    notes = [*window.notes, *volume_notes(n, lang=lang), *prev.notes(lang)]

    own = [p for p in posts if p.is_own]
    total_eng = sum(max(p.engagement, 0) for p in posts)
    own_eng = sum(max(p.engagement, 0) for p in own)
    labels = Counter(p.sentiment_label or "neutral" for p in posts)
    pos, neutral, neg = shares([labels["positive"], labels["neutral"], labels["negative"]])
    net = r4(pos - neg)

    q1 = prev.get(EMOTIONS)
    q3 = prev.get(TOPICS)
    q6 = prev.get(OPPORTUNITIES)
    q8 = prev.get(TEMPORAL)
    coverage = _coverage(window, neutral, q1)
    trends = coverage.concentration is None  # a collection burst has no trend to report

    top_emotion: Emotion | None
    if q1 is not None:
        top_emotion = q1.dominant_non_neutral
    else:
        emotions = Counter(
            p.emotion_label for p in posts if p.emotion_label and p.emotion_label != "neutral"
        )
        top_emotion = cast(Emotion, emotions.most_common(1)[0][0]) if emotions else None
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
    if coverage.first_post is None or coverage.last_post is None:
        headline = t["headline_empty"]
    else:
        first, last = coverage.first_post, coverage.last_post
        period = t["span" if last > first else "one_day"].format(
            first=fmt_date(first, lang), last=fmt_date(last, lang)
        )
        headline = t["headline"].format(
            posts=fmt_num(n, lang),
            period=period,
            own=fmt_num(len(own), lang),
            mentions=fmt_num(n - len(own), lang),
            retweets=fmt_num(window.retweets, lang),
            net=fmt_pts(net, lang),
            neutral=fmt_pct(neutral, lang),
            topic=_quote(top_topic, lang) if top_topic else t["none"],
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
        if trends:
            findings.append(
                t["topic"].format(
                    label=top.label,
                    share=fmt_pct(top.share, lang),
                    direction=_direction(top.trend.direction, lang),
                )
            )
        else:
            findings.append(
                t["topic_plain"].format(label=top.label, share=fmt_pct(top.share, lang))
            )
        rivals = competitor_topics(q3, window.competitors)
        if rivals:
            findings.append(
                t["rival_topics"].format(
                    topics=", ".join(
                        f"{_quote(x.label, lang)} ({fmt_pct(x.share, lang)})" for x in rivals[:3]
                    )
                )
            )
        for x in problem_topics(q3, q6, window.competitors)[:2]:
            risks.append(
                t["risk_topic"].format(
                    label=x.label,
                    sent=fmt_num(x.mean_sentiment, lang, 2),
                    share=fmt_pct(x.share, lang),
                )
            )
        for x in content_topics(q3, q6, window.competitors, trends=trends)[:2]:
            opportunities.append(
                t["opp_topic"].format(
                    label=x.label,
                    first=fmt_pct(x.trend.share_first_half, lang),
                    second=fmt_pct(x.trend.share_second_half, lang),
                    sent=fmt_num(x.mean_sentiment, lang, 2),
                )
            )

    if q6 is not None:
        risks.extend(_topic_risk(r, lang) for r in brand_risks(q6, window.competitors)[:3])
        for o in q6.opportunities[:3]:
            opportunities.append(
                t["opp_segment"].format(
                    segment=o.segment,
                    dimension=DIMENSION_LABELS[lang][o.dimension],
                    lift=fmt_ratio(o.lift, lang),
                    volume=fmt_pct(o.volume_share, lang),
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
        for s in [s for s in q7.spikes if s.kind == "negative_share"][:2]:
            risks.append(
                t["risk_spike"].format(
                    day=fmt_date(s.day, lang),
                    share=fmt_pct(s.value, lang),
                    posts=fmt_num(s.posts, lang),
                    z=fmt_num(s.z_score, lang, 1),
                )
            )

    q5 = prev.get(INFLUENCERS)
    if q5 is not None:
        for a in critics(q5)[:1]:
            risks.append(
                t["risk_critic"].format(
                    handle=a.handle,
                    followers=fmt_num(a.followers, lang),
                    sent=fmt_num(a.brand_mean_sentiment or 0.0, lang, 2),
                    posts=a.brand_mention_posts,
                )
            )
        # A competitor or an outlet is never "a favourable voice" to build on.
        for a in allies(q5)[:1]:
            opportunities.append(
                t["opp_ally"].format(
                    handle=a.handle,
                    followers=fmt_num(a.followers, lang),
                    posts=a.brand_mention_posts,
                )
            )

    q11 = prev.get(BENCHMARK)
    if q11 is not None and len(q11.contenders) > 1 and q11.mentions_total:
        findings.append(
            t["voice"].format(
                total=fmt_num(q11.mentions_total, lang),
                shares=", ".join(
                    f"{c.name} {fmt_pct(c.share_of_voice, lang)}" for c in q11.contenders
                ),
            )
        )
        for st in standings(q11):
            figures = {
                "rival": st.rival.name,
                "brand_neg": fmt_pct(st.brand.negative_share, lang),
                "rival_neg": fmt_pct(st.rival.negative_share, lang),
                "brand_sov": fmt_pct(st.brand.share_of_voice, lang),
                "rival_sov": fmt_pct(st.rival.share_of_voice, lang),
            }
            if st.louder:
                risks.append(t["risk_louder"].format(**figures))
            if st.more_negative:
                risks.append(t["risk_more_negative"].format(**figures))
            if st.less_negative:
                findings.append(t["less_negative"].format(**figures))

    return SummaryResult(
        posts_analyzed=n,
        language=lang,
        headline=headline,
        context=_context(coverage, lang),
        coverage=coverage,
        kpis=kpis,
        findings=findings,
        risks=risks,
        opportunities=opportunities,
        missing_inputs=prev.missing,
        inputs_used=prev.used,
        notes=notes,
    )
