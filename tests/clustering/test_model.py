"""The clustering math alone (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from app.clustering import model as m
from app.demo.generator import generate_demo


def test_audience_is_followers_else_reach_else_the_median() -> None:
    followers = np.array([1000.0, 0.0, 0.0, 3000.0])
    reach = np.array([50.0, 2000.0, 0.0, 0.0])
    assert m.audiences(followers, reach).tolist() == [1000.0, 2000.0, 2000.0, 3000.0]
    assert m.audiences(np.zeros(2), np.zeros(2)).tolist() == [1.0, 1.0]


ALL = np.ones(4, dtype=bool)


def test_clusters_are_named_by_what_sets_them_apart() -> None:
    centers = np.array([[1.1, -0.3, 1.2, 0.9], [-0.7, 1.3, -0.2, 0.0], [-1.2, -1.3, -1.0, -1.6]])
    assert m.cluster_names(centers, ALL) == [
        "high likes, high shares",
        "high comments, low likes",
        "low engagement",
    ]
    assert m.cluster_names(centers, ALL, "es")[2] == "baja interacción"
    # A feature that does not vary in the set (no comments nor views on X) is never named.
    flat = np.array([True, False, True, False])
    names = m.cluster_names(np.array([[2.0, 0.0, -1.0, 0.0], [-2.0, 0.0, 1.0, 0.0]]), flat)
    assert names == ["high likes, low shares", "high shares, low likes"]


def test_two_clusters_with_the_same_top_feature_get_distinct_names() -> None:
    # Both far above the rest in likes, nothing else clearly apart: the old names were
    # "high likes" and "high likes (2)".
    centers = np.array([[1.6, 0.1, 0.0, 0.1], [1.0, 0.0, 0.1, 0.0], [-1.2, -0.1, 0.0, 0.0]])
    names = m.cluster_names(centers, ALL)
    assert names == ["very high likes", "high likes", "low likes"]
    # Alike in the top feature, apart in the next: that one is added.
    centers = np.array([[1.5, 0.3, 0.0, 0.0], [1.4, -0.3, 0.0, 0.0], [-1.5, 0.0, 0.0, 0.0]])
    names = m.cluster_names(centers, ALL, "es")
    assert names == [
        "muchos me gusta, muchos comentarios",
        "muchos me gusta, pocos comentarios",
        "pocos me gusta",
    ]


def test_names_are_distinct_for_any_centroids() -> None:
    rng = np.random.default_rng(3)
    for k in range(2, 13):
        for _ in range(30):
            centers = np.round(rng.normal(size=(k, 4)), 1)
            if len(np.unique(centers, axis=0)) < k:
                continue
            for lang in ("en", "es"):
                names = m.cluster_names(centers, ALL, lang)
                assert len(set(names)) == k, names
                assert not any("(" in n for n in names)


def test_copies_of_one_text_are_one_item_the_original_first() -> None:
    texts = [
        "RT @bbva_peru: Nueva app: abre tu cuenta https://t.co/a",  # before the original
        "Nueva app: abre tu cuenta https://t.co/b",
        "nueva app:   abre tu cuenta",
        "RT @fan: Hola",
        "RT @fan: hola",
        "Otro texto",
        "Texto marcado",
    ]
    copies = m.find_copies(texts, [False] * 6 + [True])
    assert copies.item_of.tolist() == [1, 1, 1, 3, 3, 5, 6]
    assert copies.items.tolist() == [1, 3, 5, 6]
    assert copies.retweet.tolist() == [True, False, False, True, True, False, True]
    assert (copies.n_retweets, copies.n_duplicates) == (4, 1)


def test_a_retweet_cut_short_is_a_copy_of_its_original() -> None:
    """X cuts a long retweet ("RT @user: the first words…" or "..."): still a copy of
    `user`'s original, as the analyses' Window counts it (text.copy_sources)."""
    original = (
        "Nueva app BBVA: abre tu cuenta en cinco minutos desde tu celular, sin ir a la "
        "agencia y con transferencias gratis https://t.co/a"
    )
    texts = [
        original,
        f"RT @bbva_peru: {original[:70]}…",
        f"RT @BBVA_Peru: {original[:90]}...",
        f"RT @otra_cuenta: {original[:80]}…",  # another author's: not this text
        "RT @bbva_peru: Nueva app…",  # too short to tell
    ]
    authors = ["bbva_peru", "fan1", "fan2", "fan3", "fan4"]
    copies = m.find_copies(texts, [False] * 5, authors)
    assert copies.item_of.tolist() == [0, 0, 0, 3, 4]
    assert (copies.n_retweets, copies.n_duplicates) == (4, 0)
    # Clustered once and placed with their original, with no engagement of their own.
    counts, followers = _profiles()  # 10 viral, 8 quiet
    n = len(counts)
    counts = np.vstack([counts, np.tile([50.0, 5.0, 400.0, 5000.0], (6, 1))])
    followers = np.concatenate([followers, np.full(6, 1000.0)])
    texts = [f"post {i}" for i in range(n - 1)] + [original]
    texts += [f"RT @bbva_peru: {original[: 60 + i]}…" for i in range(6)]
    authors = [f"autor{i}" for i in range(n - 1)] + ["bbva_peru"] + [f"fan{i}" for i in range(6)]
    fit = m.fit_clusters(counts, followers, np.zeros(len(counts)), texts=texts, authors=authors)
    assert (fit.model.n_posts, fit.model.n_clustered, fit.model.retweets) == (24, 18, 6)
    assert set(fit.labels[n:].tolist()) == {fit.labels[n - 1]}
    assert fit.distances[n:].tolist() == [fit.distances[n - 1]] * 6


def test_candidate_ks_need_three_posts_per_cluster() -> None:
    assert m.candidate_ks(6, None) == [2]
    assert m.candidate_ks(100, None) == list(range(2, 9))
    assert m.candidate_ks(36, 12) == [12]
    with pytest.raises(m.NotEnoughData, match="at least 6 posts"):
        m.candidate_ks(5, None)
    with pytest.raises(m.NotEnoughData, match="k=4 needs at least 12"):
        m.candidate_ks(11, 4)


def test_identical_posts_cannot_be_clustered() -> None:
    counts = np.tile([10.0, 1.0, 1.0, 100.0], (9, 1))
    with pytest.raises(m.NotEnoughData, match="1 distinct"):
        m.fit_clusters(counts, np.full(9, 1000.0), np.zeros(9))


def _profiles() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    rows, followers = [], []
    for rates, size in (((50, 5, 400, 5000), 10), ((2, 0.2, 0.1, 100), 8)):
        for _ in range(size):
            audience = 1000 * rng.uniform(0.5, 2.0)
            rows.append(np.array(rates) * rng.uniform(0.9, 1.1, 4) * audience / 1000)
            followers.append(audience)
    return np.round(np.array(rows)), np.array(followers)


def test_fit_is_deterministic_and_round_trips_through_json() -> None:
    counts, followers = _profiles()
    a = m.fit_clusters(counts, followers, np.zeros(len(counts)))
    b = m.fit_clusters(counts, followers, np.zeros(len(counts)))
    assert a.labels.tolist() == b.labels.tolist()
    assert a.model.k == 2
    assert [c.size for c in a.clusters] == [10, 8]  # numbered by size
    assert a.labels[:10].tolist() == [0] * 10
    stored = m.ClusterModel.from_dict(json.loads(json.dumps(a.model.to_dict())))
    placed = m.assign(stored, [100, 10, 800, 10000], followers=2000, reach=0)
    assert placed.cluster == 0
    assert placed.distances[0] < placed.distances[1]
    # Normalised by audience: the same rates at 100x the audience land in the same place.
    big = m.assign(stored, [10000, 1000, 80000, 1000000], followers=200000, reach=0)
    assert big.cluster == 0
    assert big.distances == pytest.approx(placed.distances)


def test_retweets_get_no_engagement_credit_and_follow_their_item() -> None:
    counts, followers = _profiles()  # 10 viral, 8 quiet
    texts = [f"post {i}" for i in range(len(counts))]
    # 12 retweets of one text whose original is not in the set, each carrying the
    # original's 5,000 shares: once their own, they would make a cluster of their own.
    counts = np.vstack([counts, np.tile([0.0, 0.0, 5000.0, 0.0], (12, 1))])
    followers = np.concatenate([followers, np.full(12, 300.0)])
    texts += ["RT @famosa: Gran sorteo de viajes"] * 12
    fit = m.fit_clusters(counts, followers, np.zeros(len(counts)), texts=texts, lang="en")
    assert (fit.model.n_posts, fit.model.n_clustered, fit.model.retweets) == (30, 18, 12)
    assert fit.model.k == 2
    retweet_clusters = set(fit.labels[18:].tolist())
    assert retweet_clusters == {fit.labels[10]}  # with the quiet posts, not apart
    quiet = fit.clusters[fit.labels[10]]
    assert (quiet.size, quiet.distinct, quiet.retweets) == (20, 9, 12)
    assert quiet.mean_counts["shares"] < 1.0
    assert len(set(fit.distances[18:].tolist())) == 1


@pytest.mark.parametrize("k", [None, 12])
def test_names_are_distinct_on_the_demo_data(k: int | None) -> None:
    end = datetime(2025, 6, 30, 15, 30, tzinfo=UTC)
    for demo in generate_demo(end=end, seed=7, posts_per_client=300, days=60):
        posts = sorted(demo.posts, key=lambda p: p.published_at)
        counts = np.array([[p.likes, p.comments, p.shares, p.views] for p in posts], float)
        fit = m.fit_clusters(
            counts,
            np.array([p.author_followers for p in posts], float),
            np.array([p.reach for p in posts], float),
            k,
            texts=[p.text for p in posts],
            lang=demo.client.language,
        )
        names = [c.name for c in fit.clusters]
        assert len(set(names)) == len(names), names
        assert not any("(" in n for n in names)
