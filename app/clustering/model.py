"""Engagement clustering math (numpy and scikit-learn, no database).

Copies count once: posts with one text (`app.ai.local.text.copy_sources`, as the analyses
count them: a retweet "RT @user: ...", even cut short by X with "…", a post flagged
`is_retweet`, or an identical text) are clustered as one item, the original when it is in
the selection (a post that is not a retweet), else the earliest copy; every copy is then
assigned to that item's cluster. A retweet carries the original's
counts, not engagement of its own: a text known only from retweets is not clustered but
placed where zero engagement falls, so retweets never form a cluster of their own.

Each item becomes four features: likes, comments, shares and views per 1,000 people of
its audience (the author's followers, else the post's reach, else the median audience
of the other posts, so a post without audience figures is neither dropped nor
inflated), each log1p-transformed (engagement is heavy-tailed) and standardised.
K-means (k-means++, 10 starts, fixed seed) runs for k = 2..8 (at most n/3) and the k with
the best silhouette is kept, unless k is given (beyond 10,000 items k is chosen on a
fixed sample and the result refined on every item). Clusters are numbered by size (0 is
the largest) and named by what sets each apart from the others (`cluster_names`).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.ai.local.keywords import content_tokens
from app.ai.local.text import copy_sources, retweet_of
from app.clustering import wording
from app.clustering.wording import Descriptor

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


# A feature whose centroid is this many standard units from the other clusters' mean
# is named; below NAMED_GAP / 2 a cluster is "average" on it.
NAMED_GAP = 0.5
MAX_TERMS = 2
MIN_TERM_ITEMS = 3


@dataclass(frozen=True)
class Copies:
    """Which posts are clustered. `item_of[i]` is the post whose text (and place) post i
    shares: i itself for the posts clustered, its original or first copy for the rest."""

    item_of: NDArray[np.int64]
    retweet: NDArray[np.bool_]

    @property
    def items(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.item_of == np.arange(len(self.item_of)))

    @property
    def n_retweets(self) -> int:
        return int(self.retweet.sum())

    @property
    def n_duplicates(self) -> int:
        """Copies of another post's text that are not retweets."""
        copies = self.item_of != np.arange(len(self.item_of))
        return int((copies & ~self.retweet).sum())


def find_copies(
    texts: Sequence[str], flagged: Sequence[bool], authors: Sequence[str] | None = None
) -> Copies:
    """Group posts by text (`copy_sources`): in each group the first post that is not a
    retweet (else the first retweet) stands for the group; a retweet cut short is matched
    to its original by the `authors` of the posts. Posts come in publication order."""
    n = len(texts)
    retweet = np.array(
        [bool(f) or retweet_of(t) is not None for t, f in zip(texts, flagged, strict=True)],
        dtype=np.bool_,
    ).reshape(n)
    sources = copy_sources(texts, authors, retweet.tolist())
    item_of = np.array(sources, dtype=np.int64).reshape(n)
    return Copies(item_of=item_of, retweet=retweet)


def no_copies(n: int) -> Copies:
    return Copies(item_of=np.arange(n, dtype=np.int64), retweet=np.zeros(n, dtype=np.bool_))


def distinctive_terms(
    texts: Sequence[str], labels: NDArray[np.int64], k: int, lang: str
) -> list[list[str]]:
    """Per cluster, up to MAX_TERMS words far more common in its texts than in the other
    clusters' (in at least MIN_TERM_ITEMS texts and twice the others' share), ranked by
    the difference of shares."""
    df: list[Counter[str]] = [Counter() for _ in range(k)]
    for text, label in zip(texts, labels.tolist(), strict=True):
        df[label].update({t for t in content_tokens(text, lang) if not t.startswith("#")})
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    total: Counter[str] = Counter()
    for counts in df:
        total.update(counts)
    out = []
    for c in range(k):
        rest = max(float(sizes.sum() - sizes[c]), 1.0)
        scored = []
        for term, a in df[c].items():
            if a < MIN_TERM_ITEMS:
                continue
            p, q = a / max(sizes[c], 1.0), (total[term] - a) / rest
            if p >= 2 * q:
                scored.append((p - q, term))
        scored.sort(key=lambda st: (-st[0], st[1]))
        out.append([term for _, term in scored[:MAX_TERMS]])
    return out


def _ranked_features(gaps: FloatArray, varying: NDArray[np.bool_]) -> list[Descriptor]:
    order = sorted(
        (f for f in range(len(FEATURES)) if varying[f]), key=lambda f: (-abs(gaps[f]), f)
    )
    return [("feature", FEATURES[f], 1 if gaps[f] > 0 else -1) for f in order]


def _first_descriptors(
    gaps: FloatArray, varying: NDArray[np.bool_]
) -> tuple[list[Descriptor], list[Descriptor]]:
    """A cluster's name at first (its one or two most distinctive features, or its
    engagement as a whole) and the features that may be added to tell it from a cluster
    named alike (those at least NAMED_GAP / 2 apart from the others, most apart first)."""
    ranked = _ranked_features(gaps, varying)

    def gap(d: Descriptor) -> float:
        return abs(float(gaps[FEATURES.index(d[1])]))

    strong = [d for d in ranked if gap(d) >= NAMED_GAP]
    if not ranked or (not strong and gap(ranked[0]) < NAMED_GAP / 2):
        return [("average",)], []
    if len(strong) == len(ranked) >= 2 and len({d[2] for d in strong}) == 1:
        return [("engagement", strong[0][2])], []
    first = strong[:2] or ranked[:1]
    rest = [d for d in ranked if d not in first and gap(d) >= NAMED_GAP / 2]
    return sorted(first, key=lambda d: -d[2]), rest  # "high ..." before "low ..."


def _split(names: list[list[Descriptor]], group: list[int], z: FloatArray, f: int) -> None:
    """Tell apart clusters named alike by feature f, where they differ most: the ones at
    the named end get "very high/low f" when f is in the name, else all get "more/fewer f"."""
    feature = FEATURES[f]
    middle = (z[:, f].max() + z[:, f].min()) / 2
    for c, value in zip(group, z[:, f], strict=True):
        side = 1 if value > middle else -1
        named = ("feature", feature, side)
        if named in names[c]:
            names[c][names[c].index(named)] = ("very", feature, side)
        elif ("feature", feature, -side) not in names[c]:
            names[c].append(("more", feature, side))


def cluster_names(centers: FloatArray, varying: NDArray[np.bool_], lang: str = "en") -> list[str]:
    """One distinct name per cluster, from what sets it apart from the other clusters.

    `centers` are centroids in standard units. A feature's gap is the cluster's centroid
    minus the mean of the other clusters' centroids; features that do not vary in the
    set (`varying` False) are never named. A name starts from the largest gaps; while two
    clusters read alike, each gets its next most distinctive feature, then "very" or
    "more"/"fewer" of the feature that separates them most."""
    k = len(centers)
    names: list[list[Descriptor]] = []
    extra: list[list[Descriptor]] = []
    for c in range(k):
        others = np.delete(centers, c, axis=0)
        gaps = centers[c] - (others.mean(axis=0) if len(others) else 0.0)
        first, more = _first_descriptors(gaps, varying)
        names.append(first)
        extra.append(more)
    for _ in range(2 * k * len(FEATURES)):  # every round adds to a name or splits a group
        groups: dict[frozenset[Descriptor], list[int]] = {}
        for c in range(k):
            groups.setdefault(frozenset(names[c]), []).append(c)
        alike = [g for g in groups.values() if len(g) > 1]
        if not alike:
            break
        for group in alike:
            if any(extra[c] for c in group):
                for c in group:
                    if extra[c]:
                        names[c].append(extra[c].pop(0))
                continue
            z = centers[group]
            spread = np.where(varying, z.max(axis=0) - z.min(axis=0), 0.0)
            if spread.max() > 0:
                _split(names, group, z, int(np.argmax(spread)))
    return [wording.name_text(name, lang) for name in names]


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
    n_posts: int  # every post of the selection (each has an assignment)
    n_clustered: int  # distinct original texts clustered (copies follow their original)
    retweets: int | None = None  # None: trained before copies were counted
    duplicates: int | None = None
    language: str = "en"

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
            "n_clustered": self.n_clustered,
            "retweets": self.retweets,
            "duplicates": self.duplicates,
            "copies": "posts with one text (a retweet, a post flagged is_retweet, an identical"
            " text) are clustered once, as the original (else the first copy), and assigned"
            " to its cluster; a text known only from retweets is placed with zero engagement",
            "language": self.language,
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
            n_clustered=int(data.get("n_clustered", data["n_posts"])),
            retweets=data.get("retweets"),
            duplicates=data.get("duplicates"),
            language=str(data.get("language", "en")),
        )


@dataclass(frozen=True)
class ClusterSummary:
    index: int
    name: str
    size: int  # posts, copies included
    share: float
    profile: dict[str, float]  # centroid in standard units
    centroid_per_1k: dict[str, float]
    mean_counts: dict[str, float]  # over the clustered items (a retweet counts zero)
    median_audience: float
    distinct: int  # distinct texts clustered
    retweets: int  # posts of the cluster that are retweets
    terms: list[str]

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
            "distinct": self.distinct,
            "retweets": self.retweets,
            "terms": self.terms,
        }


@dataclass(frozen=True)
class ClusterFit:
    model: ClusterModel
    labels: NDArray[np.int64]  # of every post, copies included
    distances: FloatArray  # of each post (a copy: its original) to its own centroid
    clusters: list[ClusterSummary]


def candidate_ks(n: int, k: int | None) -> list[int]:
    if k is not None:
        if n < MIN_POSTS_PER_CLUSTER * k:
            raise NotEnoughData(
                f"k={k} needs at least {MIN_POSTS_PER_CLUSTER * k} posts "
                f"({MIN_POSTS_PER_CLUSTER} per cluster); the selection has {n} "
                "(copies of one text count once)."
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
    counts: FloatArray,
    followers: FloatArray,
    reach: FloatArray,
    k: int | None = None,
    *,
    texts: Sequence[str] | None = None,
    retweets: Sequence[bool] | None = None,
    authors: Sequence[str] | None = None,
    lang: str = "en",
) -> ClusterFit:
    """Cluster posts; `counts` is (n, 4) in FEATURES order, rows in publication order.
    With `texts` (and the posts' `retweets` flags and `authors`), copies of one text
    count once."""
    n = len(counts)
    if texts is None:
        copies = no_copies(n)
    else:
        flags = retweets if retweets is not None else [False] * n
        copies = find_copies(texts, flags, authors)
    items = copies.items
    # A retweet carries the original's counts: texts known only from retweets are not
    # clustered (no engagement of their own), they are placed where zero engagement falls.
    shared = copies.retweet[items]
    fitted = items[~shared]
    m = len(fitted)
    ks = candidate_ks(m, k)
    audience = audiences(followers[fitted], reach[fitted])
    fallback = float(np.median(audience)) if m else 1.0
    x = engagement_features(counts[fitted], audience)
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
    if m > SELECTION_SAMPLE:
        rows = np.random.default_rng(SEED).choice(m, SELECTION_SAMPLE, replace=False)
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

    terms = None
    if texts is not None:
        terms = distinctive_terms([texts[i] for i in fitted], labels, best_k, lang)
    varying = np.asarray(scaler.var_ > 0, dtype=np.bool_)
    model = ClusterModel(
        means=scaler.mean_.tolist(),
        stds=scaler.scale_.tolist(),
        centroids=centers.tolist(),
        names=cluster_names(centers, varying, lang),
        audience_fallback=fallback,
        k=best_k,
        k_selection="given" if k is not None else "silhouette",
        silhouette=by_k[best_k],
        silhouette_by_k=by_k,
        n_posts=n,
        n_clustered=m,
        retweets=copies.n_retweets if texts is not None else None,
        duplicates=copies.n_duplicates if texts is not None else None,
        language=lang,
    )
    # Every item (fitted, or placed with zero engagement) and then every post, which
    # takes its item's cluster and distance (items are sorted post indices).
    item_counts = np.where(shared[:, None], 0.0, counts[items])
    item_audience = audiences(followers[items], reach[items], fallback)
    d = model.distances(model.standardise(item_counts, item_audience))
    item_labels = np.argmin(d, axis=1).astype(np.int64)
    item_labels[~shared] = labels
    own = d[np.arange(len(items)), item_labels]
    position = np.searchsorted(items, copies.item_of)
    post_labels = item_labels[position]
    summaries = _summaries(
        model, item_labels, item_counts, item_audience, post_labels, copies, terms
    )
    return ClusterFit(model=model, labels=post_labels, distances=own[position], clusters=summaries)


def _summaries(
    model: ClusterModel,
    labels: NDArray[np.int64],
    counts: FloatArray,
    audience: FloatArray,
    post_labels: NDArray[np.int64],
    copies: Copies,
    terms: list[list[str]] | None,
) -> list[ClusterSummary]:
    """Figures of each cluster: sizes over every post, the rest over the clustered items."""
    out = []
    n = len(post_labels)
    for c in range(model.k):
        members = labels == c
        size = int((post_labels == c).sum())
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
                distinct=int(members.sum()),
                retweets=int((copies.retweet & (post_labels == c)).sum()),
                terms=list(terms[c]) if terms is not None else [],
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
