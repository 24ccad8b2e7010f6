"""The clustering math alone (no database)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.clustering import model as m


def test_audience_is_followers_else_reach_else_the_median() -> None:
    followers = np.array([1000.0, 0.0, 0.0, 3000.0])
    reach = np.array([50.0, 2000.0, 0.0, 0.0])
    assert m.audiences(followers, reach).tolist() == [1000.0, 2000.0, 2000.0, 3000.0]
    assert m.audiences(np.zeros(2), np.zeros(2)).tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ((1.1, -0.3, 1.2, 0.9), "viral shares"),
        ((-0.7, 1.3, -0.2, 0.0), "high comments / low likes"),
        ((-1.2, -1.3, -1.0, -1.6), "low engagement"),
        ((0.8, 0.9, 0.6, 0.7), "high engagement"),
        ((0.1, -0.2, 0.3, 0.0), "average engagement"),
        ((0.2, 0.1, 0.0, 1.4), "high views"),
    ],
)
def test_clusters_are_named_from_their_profile(
    profile: tuple[float, float, float, float], name: str
) -> None:
    assert m.profile_name(np.array(profile)) == name


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
