"""Unit tests for the demo data generator (pure Python, no database)."""

from __future__ import annotations

import itertools
import random
import re
import statistics
import string
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from app.demo import generator, vocab
from app.demo.generator import (
    DEMO_CLIENTS,
    AccountSpec,
    ClientSpec,
    DemoClientData,
    GeneratedMetric,
    GeneratedPost,
    client_timezone,
    generate_demo,
    generate_metrics,
    generate_posts,
)

END = datetime(2025, 6, 30, 15, 30, tzinfo=UTC)
DAYS = 180
N_POSTS = 2500


@pytest.fixture(scope="module")
def demo() -> list[DemoClientData]:
    return generate_demo(end=END, seed=7, posts_per_client=N_POSTS, days=DAYS)


@pytest.fixture(scope="module")
def bank(demo: list[DemoClientData]) -> DemoClientData:
    return next(d for d in demo if d.client.industry == "banking")


@pytest.fixture(scope="module")
def sport(demo: list[DemoClientData]) -> DemoClientData:
    return next(d for d in demo if d.client.industry == "sportswear")


def _local_hour(client: ClientSpec, post: GeneratedPost) -> int:
    return post.published_at.astimezone(client_timezone(client)).hour


def _by_account(metrics: list[GeneratedMetric]) -> dict[tuple[str, str], list[GeneratedMetric]]:
    out: dict[tuple[str, str], list[GeneratedMetric]] = defaultdict(list)
    for m in metrics:
        out[(m.platform, m.account_handle)].append(m)
    return out


# --------------------------------------------------------------------------- clients


def test_demo_clients_are_a_peruvian_bank_and_a_bilingual_sportswear_brand() -> None:
    assert len(DEMO_CLIENTS) == 2
    bank, sport = DEMO_CLIENTS
    assert (bank.industry, bank.country, bank.language) == ("banking", "PE", "es")
    assert {a.platform for a in bank.accounts} == {
        "x",
        "instagram",
        "facebook",
        "linkedin",
        "tiktok",
    }
    assert "BCP" in bank.competitors
    assert sport.industry == "sportswear"
    assert sport.country in ("MX", "US")
    assert {a.platform for a in sport.accounts} == {
        "instagram",
        "tiktok",
        "x",
        "youtube",
        "facebook",
    }
    assert len({c.key for c in DEMO_CLIENTS}) == 2


def test_invalid_specs_are_rejected() -> None:
    with pytest.raises(ValueError, match="platform"):
        AccountSpec("myspace", "brand", 100, 0.001)
    unknown = ClientSpec(
        key="acme",
        name="Acme",
        industry="mining",
        country="PE",
        language="es",
        website="https://acme.example",
        description="",
        competitors=[],
        accounts=[AccountSpec("x", "acme", 100, 0.001)],
    )
    with pytest.raises(ValueError, match="industry"):
        generate_posts(unknown, n_posts=10, end=END)
    with pytest.raises(ValueError, match="days"):
        generate_posts(DEMO_CLIENTS[0], n_posts=10, end=END, days=0)


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_output(demo: list[DemoClientData]) -> None:
    again = generate_demo(end=END, seed=7, posts_per_client=N_POSTS, days=DAYS)
    assert again == demo


def test_different_seed_gives_different_output(bank: DemoClientData) -> None:
    other = generate_posts(bank.client, n_posts=N_POSTS, end=END, seed=8)
    assert [p.text for p in other] != [p.text for p in bank.posts]
    other_metrics = generate_metrics(bank.client, end=END, seed=8)
    assert [m.followers for m in other_metrics] != [m.followers for m in bank.metrics]


def test_naive_end_is_treated_as_utc() -> None:
    client = DEMO_CLIENTS[1]
    aware = generate_posts(client, n_posts=200, end=END, days=30)
    naive = generate_posts(client, n_posts=200, end=END.replace(tzinfo=None), days=30)
    assert aware == naive


def test_generate_demo_is_fast() -> None:
    started = time.perf_counter()
    generate_demo(end=END, seed=3, posts_per_client=N_POSTS)
    assert time.perf_counter() - started < 2.0


# --------------------------------------------------------------------------- posts: structure


def test_post_counts(demo: list[DemoClientData]) -> None:
    for data in demo:
        assert len(data.posts) == N_POSTS
    assert generate_posts(DEMO_CLIENTS[0], n_posts=0, end=END) == []
    assert len(generate_posts(DEMO_CLIENTS[0], n_posts=37, end=END, days=10)) == 37


def test_posts_belong_to_client_accounts_with_valid_fields(demo: list[DemoClientData]) -> None:
    for data in demo:
        accounts = {(a.platform, a.handle) for a in data.client.accounts}
        for p in data.posts:
            assert (p.platform, p.account_handle) in accounts
            assert p.content_type in generator.CONTENT_TYPES
            assert p.tone in ("positive", "negative", "neutral")
            assert p.language in ("es", "en")
            assert p.text == p.text.strip()
            assert "  " not in p.text
            assert re.fullmatch(r"[a-z0-9_]{1,15}", p.author_handle)


def test_external_ids_unique_per_account(demo: list[DemoClientData]) -> None:
    for data in demo:
        seen: dict[tuple[str, str], set[str]] = defaultdict(set)
        for p in data.posts:
            key = (p.platform, p.account_handle)
            assert p.external_id not in seen[key]
            seen[key].add(p.external_id)


def test_urls_look_like_the_platform(demo: list[DemoClientData]) -> None:
    patterns = {
        "x": r"https://x\.com/\w+/status/\d+",
        "instagram": r"https://www\.instagram\.com/(p|reel|stories/\w+)/[\w-]+/",
        "facebook": r"https://www\.facebook\.com/\w+/posts/\d+",
        "tiktok": r"https://www\.tiktok\.com/@\w+/(video|photo)/\d+",
        "linkedin": r"https://www\.linkedin\.com/feed/update/urn:li:activity:\d+/",
        "youtube": r"https://www\.youtube\.com/(watch\?v=[\w-]{11}(&lc=[\w-]+)?|shorts/[\w-]{11})",
    }
    with_url = 0
    for data in demo:
        for p in data.posts:
            if p.url is None:
                continue
            with_url += 1
            assert re.fullmatch(patterns[p.platform], p.url), p.url
            if p.platform in ("x", "tiktok", "linkedin"):
                assert p.external_id in p.url
            if p.platform in ("x", "tiktok"):
                assert p.author_handle in p.url
    assert with_url > 0.9 * 2 * N_POSTS


def test_hashtags_and_mentions_are_present_in_text(demo: list[DemoClientData]) -> None:
    tagged = mentioned = 0
    for data in demo:
        for p in data.posts:
            for tag in p.hashtags:
                assert tag == tag.lower()
                assert not tag.startswith("#")
                assert f"#{tag}" in p.text
            for handle in p.mentions:
                assert not handle.startswith("@")
                assert f"@{handle}" in p.text
            # Nothing in the text escaped the lists.
            assert {t.lower() for t in re.findall(r"#(\w+)", p.text)} == set(p.hashtags)
            assert set(re.findall(r"@(\w+)", p.text)) == set(p.mentions)
            tagged += bool(p.hashtags)
            mentioned += bool(p.mentions)
    assert tagged > 0.2 * 2 * N_POSTS
    assert mentioned > 0.3 * 2 * N_POSTS


def test_mentions_reference_brand_and_competitors(bank: DemoClientData) -> None:
    mentions = Counter(m for p in bank.posts for m in p.mentions)
    assert mentions["bancoandino"] > 300
    competitor_handles = {vocab.COMPETITOR_HANDLES[c] for c in bank.client.competitors}
    assert sum(mentions[h] for h in competitor_handles) >= 10


def test_published_at_within_window_tz_aware_and_sorted(demo: list[DemoClientData]) -> None:
    start = END - timedelta(days=DAYS)
    for data in demo:
        for p in data.posts:
            assert p.published_at.tzinfo is not None
            assert p.published_at.utcoffset() == timedelta(0)
            assert start < p.published_at <= END
        times = [p.published_at for p in data.posts]
        assert times == sorted(times)
        assert times[0] - start < timedelta(days=2)
        assert END - times[-1] < timedelta(days=2)


# --------------------------------------------------------------------------- posts: content


def test_duplicate_text_share_below_five_percent(demo: list[DemoClientData]) -> None:
    for data in demo:
        texts = [p.text for p in data.posts]
        assert 1 - len(set(texts)) / len(texts) < 0.05


def test_languages(bank: DemoClientData, sport: DemoClientData) -> None:
    assert {p.language for p in bank.posts} == {"es"}
    share_es = sum(p.language == "es" for p in sport.posts) / len(sport.posts)
    assert 0.5 < share_es < 0.7
    english = [p.text for p in sport.posts if p.language == "en"]
    spanish = [p.text for p in sport.posts if p.language == "es"]
    assert sum(" the " in t for t in english) > 0.2 * len(english)
    assert sum(" the " in t for t in spanish) < 0.02 * len(spanish)


def test_own_posts_share_author_and_tone(demo: list[DemoClientData]) -> None:
    for data in demo:
        own = [p for p in data.posts if p.is_own]
        assert 0.15 <= len(own) / len(data.posts) <= 0.25
        for p in own:
            assert p.author_handle == p.account_handle
            assert p.tone in ("positive", "neutral")
        assert sum(p.tone == "positive" for p in own) > 0.5 * len(own)


def test_own_post_followers_match_metrics(demo: list[DemoClientData]) -> None:
    for data in demo:
        followers = {
            (m.platform, m.account_handle, m.captured_at.date()): m.followers for m in data.metrics
        }
        first_day = min(m.captured_at.date() for m in data.metrics)
        for p in data.posts:
            if p.is_own:
                day = max(p.published_at.date(), first_day)
                assert p.author_followers == followers[(p.platform, p.account_handle, day)]


def test_mentions_mix_tones_and_emotional_markers(demo: list[DemoClientData]) -> None:
    for data in demo:
        mentions = [p for p in data.posts if not p.is_own]
        tones = Counter(p.tone for p in mentions)
        for tone in ("positive", "negative", "neutral"):
            assert tones[tone] > 0.15 * len(mentions)
        text = " ".join(p.text for p in mentions)
        for emoji in ("😡", "😍", "🙏", "😢", "😱", "🔥", "👏"):
            assert emoji in text
        # Elongated words ("graciaaaas", "sooo") and negations.
        assert len(re.findall(r"([aeiouáéíóú])\1{2,}", text)) > 50
        assert " no " in text.lower() or " not " in text.lower()


def test_negative_mentions_use_negative_words(bank: DemoClientData) -> None:
    negative_words = (
        "pésim",
        "no ",
        "miedo",
        "asco",
        "indign",
        "triste",
        "fraude",
        "rabia",
        "abuso",
    )
    negatives = [p.text.lower() for p in bank.posts if p.tone == "negative"]
    hits = sum(any(w in t for w in negative_words) for t in negatives)
    assert hits > 0.6 * len(negatives)


def test_author_pool_is_heavy_tailed_and_recurring(demo: list[DemoClientData]) -> None:
    for data in demo:
        mentions = [p for p in data.posts if not p.is_own]
        followers = {p.author_handle: p.author_followers for p in mentions}
        assert 150 <= len(followers) <= 400
        median = statistics.median(followers.values())
        assert 50 <= median <= 2000
        influencers = {h for h, f in followers.items() if f >= 50_000}
        assert 3 <= len(influencers) <= 20
        counts = Counter(p.author_handle for p in mentions)
        assert statistics.median(counts[h] for h in influencers) >= 5  # they post repeatedly
        # A handle keeps its follower count everywhere.
        assert all(p.author_followers == followers[p.author_handle] for p in mentions)


def test_x_posts_fit_in_280_characters(demo: list[DemoClientData]) -> None:
    for data in demo:
        assert all(len(p.text) <= 280 for p in data.posts if p.platform == "x")


def test_all_templates_render_without_hash_or_at() -> None:
    rng = random.Random(1)
    for client in DEMO_CLIENTS:
        ctx = generator._Context(client, END, 30, 1)
        for lang, bank in vocab.TEMPLATES[client.industry].items():
            for category, templates in bank.items():
                assert category in vocab.CATEGORY_INFO
                for template in templates:
                    assert "#" not in template
                    assert "@" not in template
                    filler = generator._SlotFiller(rng, ctx, lang, client.accounts[0])
                    rendered = template.format_map(filler)
                    assert "{" not in rendered
                    assert "}" not in rendered


# --------------------------------------------------------------------------- posts: timing


def test_diurnal_pattern_in_local_time(demo: list[DemoClientData]) -> None:
    for data in demo:
        hours = Counter(_local_hour(data.client, p) for p in data.posts)
        night = sum(hours[h] for h in range(2, 6))
        evening = sum(hours[h] for h in range(19, 22))
        lunch = sum(hours[h] for h in range(12, 15))
        assert night * 4 < evening
        assert night * 4 < lunch


def test_own_posts_are_mostly_on_weekdays(demo: list[DemoClientData]) -> None:
    tz_days = {d.client.key: client_timezone(d.client) for d in demo}
    for data in demo:
        tz = tz_days[data.client.key]
        own = Counter(p.published_at.astimezone(tz).weekday() for p in data.posts if p.is_own)
        per_weekday = sum(own[d] for d in range(5)) / 5
        per_weekend_day = (own[5] + own[6]) / 2
        assert per_weekday > 1.5 * per_weekend_day


def test_sportswear_mentions_peak_on_weekends(sport: DemoClientData) -> None:
    tz = client_timezone(sport.client)
    days = Counter(p.published_at.astimezone(tz).weekday() for p in sport.posts if not p.is_own)
    assert (days[5] + days[6]) / 2 > 1.2 * sum(days[d] for d in range(5)) / 5


def _rolling_week(posts: list[GeneratedPost]) -> list[int]:
    """Post counts in every 7-day window of the demo period."""
    daily = Counter((p.published_at - (END - timedelta(days=DAYS))).days for p in posts)
    counts = [daily[d] for d in range(DAYS)]
    return [sum(counts[i : i + 7]) for i in range(DAYS - 6)]


def test_bank_complaint_spike_week(bank: DemoClientData) -> None:
    negatives = [p for p in bank.posts if not p.is_own and p.tone == "negative"]
    weekly = _rolling_week(negatives)
    assert max(weekly) > 2.5 * statistics.median(weekly)
    peak_start = END - timedelta(days=DAYS) + timedelta(days=weekly.index(max(weekly)))
    outage_tags = set(vocab.BRAND_HASHTAGS["banco-andino"]["app_outage"])
    tagged = sorted(p.published_at for p in bank.posts if outage_tags & set(p.hashtags))
    assert len(tagged) >= 10
    assert peak_start <= tagged[len(tagged) // 2] <= peak_start + timedelta(days=7)


def test_sportswear_launch_burst(sport: DemoClientData) -> None:
    weekly = _rolling_week(sport.posts)
    assert max(weekly) > 1.6 * statistics.median(weekly)
    launch_tags = set(vocab.BRAND_HASHTAGS["vertice-sport"]["product_launch"])
    launch_posts = [p for p in sport.posts if launch_tags & set(p.hashtags)]
    assert len(launch_posts) >= 30
    spread = max(p.published_at for p in launch_posts) - min(p.published_at for p in launch_posts)
    assert spread < timedelta(days=21)


# --------------------------------------------------------------------------- engagement


def test_engagement_invariants(demo: list[DemoClientData]) -> None:
    for data in demo:
        for p in data.posts:
            assert p.views >= p.reach >= p.likes >= 0
            assert p.comments >= 0
            assert p.shares >= 0
            assert p.author_followers >= 0


def test_engagement_is_heavy_tailed(demo: list[DemoClientData]) -> None:
    for data in demo:
        likes = sorted(p.likes for p in data.posts)
        top = sum(likes[-len(likes) // 100 :])
        assert top > 0.2 * sum(likes)  # top 1% of posts hold a big share of the likes


def _normalized_engagement(data: DemoClientData, hours: range) -> float:
    """Median own-post likes/followers in ``hours`` (local), relative to each platform."""
    own = [p for p in data.posts if p.is_own]
    rates: dict[str, list[float]] = defaultdict(list)
    for p in own:
        rates[p.platform].append(p.likes / max(1, p.author_followers))
    medians = {k: statistics.median(v) for k, v in rates.items()}
    return statistics.median(
        p.likes / max(1, p.author_followers) / medians[p.platform]
        for p in own
        if _local_hour(data.client, p) in hours
    )


def test_evening_is_the_best_time_to_post(demo: list[DemoClientData]) -> None:
    for data in demo:
        evening = _normalized_engagement(data, range(19, 23))
        assert evening > 1.3 * _normalized_engagement(data, range(8, 12))
        assert evening > _normalized_engagement(data, range(12, 15))


def test_video_content_gets_more_views(demo: list[DemoClientData]) -> None:
    for data in demo:
        video = [p.views / p.reach for p in data.posts if p.content_type in ("video", "reel")]
        other = [p.views / p.reach for p in data.posts if p.content_type not in ("video", "reel")]
        assert statistics.median(video) > 1.5 * statistics.median(other)


def test_complaints_get_more_comments_per_like(demo: list[DemoClientData]) -> None:
    checked = 0
    for data in demo:
        for platform in {p.platform for p in data.posts}:
            # Per-post ratios (not sums) so one viral post cannot decide the outcome.
            ratios: dict[str, list[float]] = defaultdict(list)
            for p in data.posts:
                if not p.is_own and p.platform == platform and p.likes >= 20:
                    ratios[p.tone].append(p.comments / p.likes)
            if len(ratios["negative"]) < 20 or len(ratios["positive"]) < 20:
                continue
            neg = statistics.median(ratios["negative"])
            assert neg > 1.5 * statistics.median(ratios["positive"]), platform
            checked += 1
    assert checked >= 4


def test_own_posts_scale_with_followers(bank: DemoClientData) -> None:
    own = [p for p in bank.posts if p.is_own]
    mentions = [p for p in bank.posts if not p.is_own]
    assert statistics.median(p.reach for p in own) > 20 * statistics.median(
        p.reach for p in mentions
    )


# --------------------------------------------------------------------------- metrics


def test_one_metric_per_day_per_account(demo: list[DemoClientData]) -> None:
    for data in demo:
        assert len(data.metrics) == DAYS * len(data.client.accounts)
        for rows in _by_account(data.metrics).values():
            days = [m.captured_at for m in rows]
            assert len(days) == DAYS
            assert days[-1] == datetime(END.year, END.month, END.day, tzinfo=UTC)
            for a, b in itertools.pairwise(days):
                assert b - a == timedelta(days=1)
            assert all(d.hour == d.minute == 0 and d.utcoffset() == timedelta(0) for d in days)


def test_followers_start_and_trend_upward(demo: list[DemoClientData]) -> None:
    for data in demo:
        start = {(a.platform, a.handle): a.followers_start for a in data.client.accounts}
        for key, rows in _by_account(data.metrics).items():
            followers = [m.followers for m in rows]
            assert followers[0] == start[key]
            assert followers[-1] > followers[0]
            first_month = statistics.mean(followers[:30])
            last_month = statistics.mean(followers[-30:])
            assert last_month > first_month


def test_followers_weekly_seasonality(demo: list[DemoClientData]) -> None:
    for data in demo:
        for rows in _by_account(data.metrics).values():
            growth: dict[bool, list[float]] = {True: [], False: []}
            for today, tomorrow in itertools.pairwise(rows):
                weekend = today.captured_at.weekday() >= 5  # growth during that day
                growth[weekend].append((tomorrow.followers - today.followers) / today.followers)
            assert statistics.median(growth[True]) > 1.1 * statistics.median(growth[False])


def test_campaign_leaves_a_follower_step(sport: DemoClientData) -> None:
    for rows in _by_account(sport.metrics).values():
        f = [m.followers for m in rows]
        weekly = [(f[i + 7] - f[i]) / f[i] for i in range(len(f) - 7)]
        assert max(weekly) > 2 * statistics.median(weekly)


def test_metric_ranges(demo: list[DemoClientData]) -> None:
    for data in demo:
        per_platform: dict[str, list[float]] = defaultdict(list)
        for m in data.metrics:
            assert 0.005 <= m.engagement_rate <= 0.06
            assert m.impressions >= m.reach > 0
            assert m.following >= 0
            per_platform[m.platform].append(m.engagement_rate)
        means = {k: statistics.mean(v) for k, v in per_platform.items()}
        assert means["tiktok"] > 2 * means["x"]
        for rows in _by_account(data.metrics).values():
            following = [m.following for m in rows]
            assert max(following) - min(following) <= 0.25 * following[0] + 30


def test_posts_total_follows_own_posts(demo: list[DemoClientData]) -> None:
    for data in demo:
        for (platform, handle), rows in _by_account(data.metrics).items():
            totals = [m.posts_total for m in rows]
            assert totals == sorted(totals)
            own = [
                p
                for p in data.posts
                if p.is_own and (p.platform, p.account_handle) == (platform, handle)
            ]
            between = [
                p for p in own if rows[0].captured_at <= p.published_at < rows[-1].captured_at
            ]
            assert totals[-1] - totals[0] == len(between)


def test_metrics_without_posts_still_grow_posts_total() -> None:
    metrics = generate_metrics(DEMO_CLIENTS[1], end=END, days=60)
    for rows in _by_account(metrics).values():
        totals = [m.posts_total for m in rows]
        assert totals == sorted(totals)
    assert (
        sum(rows[-1].posts_total - rows[0].posts_total for rows in _by_account(metrics).values())
        > 0
    )
    # Followers do not depend on whether posts were passed in.
    with_posts = generate_metrics(
        DEMO_CLIENTS[1],
        end=END,
        days=60,
        posts=generate_posts(DEMO_CLIENTS[1], n_posts=300, end=END, days=60),
    )
    assert [m.followers for m in with_posts] == [m.followers for m in metrics]


def test_ids_alphabet_is_url_safe(demo: list[DemoClientData]) -> None:
    allowed = set(string.ascii_letters + string.digits + "-_:")
    for data in demo:
        assert all(set(p.external_id) <= allowed for p in data.posts)
