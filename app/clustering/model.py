"""Engagement clustering math (numpy and scikit-learn, no database).

Each post becomes four features: likes, comments, shares and views per 1,000 people of
its audience (the author's followers, else the post's reach, else the median audience
of the other posts, so a post without audience figures is neither dropped nor
inflated), each log1p-transformed (engagement is heavy-tailed) and standardised.
K-means (k-means++, 10 starts, fixed seed) runs for k = 2..8 (at most n/3) and the k with
the best silhouette is kept, unless k is given (beyond 10,000 posts k is chosen on a
fixed sample and the result refined on every post). Clusters are numbered by size (0 is the
largest) and named from their centroid in standard units, i.e. relative to the mean
post of the set ("viral shares", "high comments / low likes", "low engagement").
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

FEATURES = ("likes", "comments", "shares", "views")
PER_AUDIENCE = 1000.0
MIN_POSTS_PER_CLUSTER = 3
AUTO_K = (2, 8)
MAX_K = 12
SEED = 0
# Silhouette is O(n²): beyond this many posts it is estimated on a fixed random sample.
SILHOUETTE_SAMPLE = 5000
SELECTION_SAMPLE = 10_000
HIGH, LOW = 0.5, -0.5


class NotEnoughData(ValueError):
    """Too few (or too similar) posts for the requested clustering."""


def audiences(
    followers: FloatArray, reach: FloatArray, fallback: float | None = None
) -> FloatArray:
    """Author followers, else reach, else the fallback (median of the known audiences)."""
    audience = np.where(followers > 0, followers, reach).astype(np.float64)
    known = audience[audience > 0]
    if fallback is None:
        fallback = float(np.median(known)) if known.size else 1.0
    return np.where(audience > 0, audience, fallback)


def engagement_features(counts: FloatArray, audience: FloatArray) -> FloatArray:
    """log1p of each count per 1,000 audience; `counts` has one column per FEATURES."""
    return np.log1p(np.maximum(counts, 0.0) / audience[:, None] * PER_AUDIENCE)


def profile_name(z: FloatArray) -> str:
    """A name from a centroid in standard units (0 = the mean post of the set)."""
    values = dict(zip(FEATURES, (float(v) for v in z), strict=True))
    top = max(values, key=lambda f: values[f])
    mean = sum(values.values()) / len(values)
    if values[top] < 0.25 and mean <= LOW:
        return "low engagement"
    if min(values.values()) >= HIGH:
        return "high engagement"
    if top == "shares" and values[top] >= 1.0:
        return "viral shares"
    highs = sorted((f for f in FEATURES if values[f] >= HIGH), key=lambda f: -values[f])
    lows = sorted((f for f in FEATURES if values[f] <= LOW), key=lambda f: values[f])
    parts = [f"high {f}" for f in highs[:2]] + [f"low {f}" for f in lows[:2]]
    return " / ".join(parts) if parts else "average engagement"


def _unique_names(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


@dataclass(frozen=True)
class ClusterModel:
    """What is stored (as JSON) and what `assign` needs."""

    means: list[float]
    stds: list[float]
    centroids: list[list[float]]  # standard units
    names: list[str]
    audience_fallback: float
    k: int
    k_selection: str
    silhouette: float
    silhouette_by_k: dict[int, float]
    n_posts: int

    def standardise(self, counts: FloatArray, audience: FloatArray) -> FloatArray:
        x = engagement_features(counts, audience)
        return (x - np.array(self.means)) / np.array(self.stds)

    def distances(self, z: FloatArray) -> FloatArray:
        """Euclidean distance (standard units) of each row of z to each centroid."""
        c = np.array(self.centroids)
        return np.asarray(np.sqrt(((z[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)))

    def centroid_rates(self, index: int) -> dict[str, float]:
        """A centroid in original units: engagement per 1,000 audience."""
        z = np.array(self.centroids[index])
        x = z * np.array(self.stds) + np.array(self.means)
        return dict(zip(FEATURES, np.expm1(x).tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "transform": "log1p(count / audience * 1000), then (x - mean) / std",
            "audience": "author_followers, else reach, else audience_fallback",
            "per_audience": PER_AUDIENCE,
            "audience_fallback": self.audience_fallback,
            "scaler_mean": self.means,
            "scaler_std": self.stds,
            "centroids": self.centroids,
            "names": self.names,
            "k": self.k,
            "k_selection": self.k_selection,
            "silhouette": self.silhouette,
            "silhouette_by_k": {str(k): s for k, s in self.silhouette_by_k.items()},
            "n_posts": self.n_posts,
            "algorithm": f"k-means (k-means++, n_init=10, random_state={SEED})",
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterModel:
        return cls(
            means=[float(v) for v in data["scaler_mean"]],
            stds=[float(v) for v in data["scaler_std"]],
            centroids=[[float(v) for v in row] for row in data["centroids"]],
            names=[str(n) for n in data["names"]],
            audience_fallback=float(data["audience_fallback"]),
            k=int(data["k"]),
            k_selection=str(data["k_selection"]),
            silhouette=float(data["silhouette"]),
            silhouette_by_k={int(k): float(v) for k, v in data["silhouette_by_k"].items()},
            n_posts=int(data["n_posts"]),
        )


@dataclass(frozen=True)
class ClusterSummary:
    index: int
    name: str
    size: int
    share: float
    profile: dict[str, float]  # centroid in standard units
    centroid_per_1k: dict[str, float]
    mean_counts: dict[str, float]
    median_audience: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "size": self.size,
            "share": self.share,
            "profile": self.profile,
            "centroid_per_1k": self.centroid_per_1k,
            "mean_counts": self.mean_counts,
            "median_audience": self.median_audience,
        }


@dataclass(frozen=True)
class ClusterFit:
    model: ClusterModel
    labels: NDArray[np.int64]
    distances: FloatArray  # of each post to its own centroid
    clusters: list[ClusterSummary]


def candidate_ks(n: int, k: int | None) -> list[int]:
    if k is not None:
        if n < MIN_POSTS_PER_CLUSTER * k:
            raise NotEnoughData(
                f"k={k} needs at least {MIN_POSTS_PER_CLUSTER * k} posts "
                f"({MIN_POSTS_PER_CLUSTER} per cluster); the selection has {n}."
            )
        return [k]
    top = min(AUTO_K[1], n // MIN_POSTS_PER_CLUSTER)
    if top < AUTO_K[0]:
        raise NotEnoughData(
            f"Clustering needs at least {MIN_POSTS_PER_CLUSTER * AUTO_K[0]} posts "
            f"({MIN_POSTS_PER_CLUSTER} per cluster); the selection has {n}."
        )
    return list(range(AUTO_K[0], top + 1))


def _kmeans(
    z: FloatArray, k: int, init: FloatArray | None = None
) -> tuple[NDArray[np.int64], FloatArray]:
    """k-means++ with 10 starts, or one run from given centroids."""
    # scikit-learn is imported where it is used: it costs ~100 MB per API worker.
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if init is None:
            km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(z)
        else:
            km = KMeans(n_clusters=k, init=init, n_init=1, random_state=SEED).fit(z)
    return km.labels_.astype(np.int64), km.cluster_centers_.astype(np.float64)


def _silhouette(z: FloatArray, labels: NDArray[np.int64]) -> float:
    if len(set(labels.tolist())) < 2:
        return -1.0
    from sklearn.metrics import silhouette_score

    sample = SILHOUETTE_SAMPLE if len(z) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(z, labels, sample_size=sample, random_state=SEED))


def fit_clusters(
    counts: FloatArray, followers: FloatArray, reach: FloatArray, k: int | None = None
) -> ClusterFit:
    """Cluster posts; `counts` is (n, 4) in FEATURES order."""
    n = len(counts)
    ks = candidate_ks(n, k)
    audience = audiences(followers, reach)
    fallback = float(np.median(audience)) if n else 1.0
    x = engagement_features(counts, audience)
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    distinct = len(np.unique(np.round(z, 9), axis=0))
    ks = [c for c in ks if c <= distinct]
    if not ks:
        raise NotEnoughData(
            f"The posts have only {distinct} distinct engagement profiles: "
            "too few to form the requested clusters."
        )

    # k is chosen on a fixed sample of a large selection (k-means for seven values of k
    # on 100k posts took ~30 s on two cores); the kept clustering is then refined on every
    # post, starting from the sample's centroids.
    sample = z
    if n > SELECTION_SAMPLE:
        rows = np.random.default_rng(SEED).choice(n, SELECTION_SAMPLE, replace=False)
        sample = z[np.sort(rows)]
    fits = {c: _kmeans(sample, c) for c in ks}
    by_k = {c: _silhouette(sample, labels) for c, (labels, _) in fits.items()}
    best_k = max(ks, key=lambda c: (by_k[c], -c))  # ties: fewer clusters
    labels, centers = fits[best_k] if sample is z else _kmeans(z, best_k, fits[best_k][1])

    # Number clusters by size (largest first), then by profile, so versions read alike.
    sizes = np.bincount(labels, minlength=best_k)
    order = sorted(range(best_k), key=lambda c: (-sizes[c], tuple(centers[c])))
    remap = np.empty(best_k, dtype=np.int64)
    remap[order] = np.arange(best_k)
    labels = remap[labels]
    centers = centers[order]

    names = _unique_names([profile_name(c) for c in centers])
    model = ClusterModel(
        means=scaler.mean_.tolist(),
        stds=scaler.scale_.tolist(),
        centroids=centers.tolist(),
        names=names,
        audience_fallback=fallback,
        k=best_k,
        k_selection="given" if k is not None else "silhouette",
        silhouette=by_k[best_k],
        silhouette_by_k=by_k,
        n_posts=n,
    )
    own = np.sqrt(((z - centers[labels]) ** 2).sum(axis=1))
    return ClusterFit(
        model=model,
        labels=labels,
        distances=own,
        clusters=_summaries(model, labels, counts, audience),
    )


def _summaries(
    model: ClusterModel, labels: NDArray[np.int64], counts: FloatArray, audience: FloatArray
) -> list[ClusterSummary]:
    out = []
    n = len(labels)
    for c in range(model.k):
        members = labels == c
        size = int(members.sum())
        out.append(
            ClusterSummary(
                index=c,
                name=model.names[c],
                size=size,
                share=size / n if n else 0.0,
                profile=dict(zip(FEATURES, model.centroids[c], strict=True)),
                centroid_per_1k=model.centroid_rates(c),
                mean_counts=dict(zip(FEATURES, counts[members].mean(axis=0).tolist(), strict=True)),
                median_audience=float(np.median(audience[members])),
            )
        )
    return out


@dataclass(frozen=True)
class Assignment:
    cluster: int
    distances: list[float]
    per_1k: dict[str, float]


def assign(model: ClusterModel, counts: list[float], followers: float, reach: float) -> Assignment:
    """The cluster a new post falls in: the nearest centroid in standard units."""
    c = np.array([counts], dtype=np.float64)
    audience = audiences(
        np.array([followers], dtype=np.float64),
        np.array([reach], dtype=np.float64),
        fallback=model.audience_fallback,
    )
    z = model.standardise(c, audience)
    d = model.distances(z)[0]
    rates = (np.maximum(c[0], 0.0) / audience[0] * PER_AUDIENCE).tolist()
    return Assignment(
        cluster=int(np.argmin(d)),
        distances=d.tolist(),
        per_1k=dict(zip(FEATURES, rates, strict=True)),
    )
