"""The numpy TF-IDF / NMF of the topic model (app.ai.local.nmf)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.ai.local.nmf import (
    CsrMatrix,
    EmptyVocabularyError,
    nmf,
    randomized_svd,
    reconstruction_error,
    tfidf,
)


def _csr(dense: np.ndarray) -> CsrMatrix:
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
    return CsrMatrix(
        dense[rows, cols].astype(np.float32), cols.astype(np.int32), indptr, dense.shape[1]
    )


def _random_sparse(n: int, v: int, density: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, v)) * (rng.random((n, v)) < density)
    dense[3] = 0  # an empty row
    dense[:, 2] = 0  # an empty column
    return dense.astype(np.float32)


# --------------------------------------------------------------------------- TF-IDF


def test_tfidf_matches_hand_computation() -> None:
    docs = [["a", "a", "c"], ["a", "c"], ["c", "b"], ["b", "d"], ["a"]]
    # df: a 3, b 2, c 3, d 1 of n = 5; min_df 2 drops d, max_df 0.6 keeps df <= 3.
    got = tfidf(docs, min_df=2, max_df=0.6)
    assert got.terms == ("a", "b", "c")
    idf_a = idf_c = math.log(6 / 4) + 1
    idf_b = math.log(6 / 3) + 1
    assert got.idf == pytest.approx([idf_a, idf_b, idf_c])

    row0 = np.array([(1 + math.log(2)) * idf_a, 0, idf_c])  # a twice: sublinear tf
    row2 = np.array([0, idf_b, idf_c])
    expected = np.array(
        [
            row0 / np.linalg.norm(row0),
            [1 / math.sqrt(2), 0, 1 / math.sqrt(2)],
            row2 / np.linalg.norm(row2),
            [0, 1, 0],  # d pruned: only b is left
            [1, 0, 0],
        ]
    )
    x = got.matrix
    np.testing.assert_allclose(x.toarray(), expected, rtol=1e-6, atol=1e-7)
    assert x.shape == (5, 3)
    assert x.data.dtype == np.float32
    assert x.indices.dtype == np.int32
    assert x.indptr.dtype == np.int64
    for i in range(x.n_rows):  # sorted column indices within each row
        row = x.indices[x.indptr[i] : x.indptr[i + 1]]
        assert list(row) == sorted(row)


def test_tfidf_max_df_and_max_features() -> None:
    docs = [["a", "a", "c"], ["a", "c"], ["c", "b"], ["b", "d"], ["a"]]
    # max_df 0.5: at most 2.5 documents, so a and c (3 each) go.
    assert tfidf(docs, min_df=2, max_df=0.5).terms == ("b",)
    # Total counts: a 4, c 3, b 2, d 1.
    assert tfidf(docs, max_features=2).terms == ("a", "c")
    # Ties on the total count are broken alphabetically; the kept terms sorted.
    assert tfidf([["z", "y"], ["y", "x", "z"], ["w"]], max_features=2).terms == ("y", "z")


def test_tfidf_empty_inputs() -> None:
    with pytest.raises(EmptyVocabularyError):
        tfidf([])
    with pytest.raises(EmptyVocabularyError):
        tfidf([[], [], []])
    with pytest.raises(EmptyVocabularyError):  # no word in two documents
        tfidf([["a"], ["b"], ["c"]], min_df=2)
    got = tfidf([["a", "x"], [], ["a"], ["y"]], min_df=2)  # empty documents keep their row
    assert got.terms == ("a",)
    np.testing.assert_allclose(got.matrix.toarray(), [[1], [0], [1], [0]])


def test_tfidf_equals_scikit_learn() -> None:
    text = pytest.importorskip("sklearn.feature_extraction.text")
    rng = np.random.default_rng(3)
    words = [f"w{i:03d}" for i in range(300)]
    weights = 1.0 / np.arange(1, 301)
    weights /= weights.sum()
    docs = [list(rng.choice(words, size=rng.integers(0, 12), p=weights)) for _ in range(400)]
    # scikit-learn breaks ties on the total count at the max_features cut arbitrarily:
    # cut where there is none.
    df = {w: sum(w in d for d in docs) for w in words}
    totals = sorted(
        (sum(d.count(w) for d in docs) for w in words if 3 <= df[w] <= 0.6 * len(docs)),
        reverse=True,
    )
    limit = next(i for i in range(40, len(totals)) if totals[i - 1] != totals[i])
    vec = text.TfidfVectorizer(
        analyzer=lambda d: d,
        min_df=3,
        max_df=0.6,
        sublinear_tf=True,
        max_features=limit,
        dtype=np.float32,
    )
    expected = vec.fit_transform(docs).toarray()
    got = tfidf(docs, min_df=3, max_df=0.6, max_features=limit)
    assert list(got.terms) == list(vec.get_feature_names_out())
    np.testing.assert_allclose(got.matrix.toarray(), expected, atol=2e-6)


# --------------------------------------------------------------------------- sparse products


def test_sparse_products_equal_dense_ones() -> None:
    dense = _random_sparse(40, 15, 0.2, seed=1)
    x = _csr(dense)
    np.testing.assert_array_equal(x.toarray(), dense)
    rng = np.random.default_rng(2)
    m = rng.random((15, 4)).astype(np.float32)
    mt = rng.random((40, 4)).astype(np.float32)
    ops = x.products()
    np.testing.assert_allclose(ops.dot(m), dense @ m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.tdot(mt), dense.T @ mt, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.dot(m), dense @ m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.tdot(mt), dense.T @ mt, rtol=1e-5, atol=1e-6)
    # The component-major products in the internal row order.
    np.testing.assert_allclose(ops.from_internal(ops.dot_p(m.T)), dense @ m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ops.tdot_p(ops.to_internal(mt)).T, dense.T @ mt, rtol=1e-5, atol=1e-6
    )
    assert x.squared_norm() == pytest.approx(float((dense.astype(np.float64) ** 2).sum()))
    assert x.mean() == pytest.approx(float(dense.mean()), rel=1e-6)
    np.testing.assert_array_equal(x.column_counts(), (dense > 0).sum(axis=0))
    np.testing.assert_array_equal(x.incidence([5, 0, 2]), dense[:, [5, 0, 2]] > 0)
    rows = [7, 3, 0, 39, 7]
    np.testing.assert_array_equal(x.rows(rows).toarray(), dense[rows])


def test_sparse_products_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Products split into several gathers give the same result."""
    import app.ai.local.nmf as module

    dense = _random_sparse(300, 50, 0.15, seed=4)
    x = _csr(dense)
    m = np.random.default_rng(5).random((50, 3)).astype(np.float32)
    mt = np.random.default_rng(6).random((300, 3)).astype(np.float32)
    monkeypatch.setattr(module, "_CHUNK_ELEMENTS", 50)
    np.testing.assert_allclose(x.dot(m), dense @ m, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.tdot(mt), dense.T @ mt, rtol=1e-5, atol=1e-5)


def test_empty_matrix_products() -> None:
    x = CsrMatrix(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(4, np.int64), n_cols=3)
    assert x.dot(np.ones((3, 2))).tolist() == [[0, 0]] * 3
    assert x.tdot(np.ones((3, 2))).tolist() == [[0, 0]] * 3


def test_randomized_svd_finds_the_top_singular_values() -> None:
    dense = _random_sparse(200, 60, 0.1, seed=7)
    u, s, vt = randomized_svd(_csr(dense), 5)
    exact = np.linalg.svd(dense.astype(np.float64), compute_uv=False)[:5]
    np.testing.assert_allclose(s, exact, rtol=1e-3)
    assert u.shape == (200, 5)
    assert vt.shape == (5, 60)
    np.testing.assert_allclose(u.T @ u, np.eye(5), atol=1e-4)
    # As good a rank-5 approximation as the exact SVD's.
    best = math.sqrt(
        float((np.linalg.svd(dense.astype(np.float64), compute_uv=False)[5:] ** 2).sum())
    )
    assert float(np.linalg.norm(dense - (u * s) @ vt)) == pytest.approx(best, rel=1e-2)
    for row in vt:  # deterministic signs
        assert row[np.argmax(np.abs(row))] > 0


# --------------------------------------------------------------------------- NMF


def _two_topics() -> tuple[np.ndarray, np.ndarray, set[int], set[int]]:
    """60 documents x 12 terms built as W0 @ H0 with a fifth of the entries zeroed:
    terms 0-4 are topic A, 5-9 topic B, 10-11 shared noise. (X, W0 @ H0, A, B)"""
    rng = np.random.default_rng(0)
    h0 = np.zeros((2, 12))
    h0[0, :5] = [5, 4, 3, 2, 2]
    h0[1, 5:10] = [5, 4, 3, 2, 2]
    h0[:, 10:] = 0.3
    w0 = np.zeros((60, 2))
    w0[:30, 0] = rng.uniform(0.5, 1.5, 30)
    w0[30:, 1] = rng.uniform(0.5, 1.5, 30)
    w0[::7] += rng.uniform(0, 0.2, (9, 2))  # a few mixed documents
    truth = w0 @ h0
    x = truth.copy()
    x[rng.random(x.shape) < 0.2] = 0  # sparse like documents
    return x.astype(np.float32), truth, set(range(5)), set(range(5, 10))


def test_nmf_recovers_two_separated_topics() -> None:
    dense, truth, topic_a, topic_b = _two_topics()
    x = _csr(dense)
    got = nmf(x, 2)
    assert got.w.shape == (60, 2)
    assert got.h.shape == (2, 12)
    assert (got.w >= 0).all()
    assert (got.h >= 0).all()
    tops = [set(np.argsort(-got.h[t], kind="stable")[:5].tolist()) for t in range(2)]
    assert sorted(tops, key=min) == [topic_a, topic_b]
    # Each document's strongest component is its topic's.
    a = 0 if tops[0] == topic_a else 1
    assert (got.w[:30].argmax(axis=1) == a).mean() > 0.9
    assert (got.w[30:].argmax(axis=1) == 1 - a).mean() > 0.9
    # Coordinate descent improves on the NNDSVDA start, and the error is the real one.
    assert got.reconstruction_error < got.initial_error
    direct = float(np.linalg.norm(dense - got.w @ got.h))
    assert got.reconstruction_error == pytest.approx(direct, rel=1e-3, abs=1e-3)
    assert reconstruction_error(x, got.w, got.h) == pytest.approx(direct, rel=1e-3, abs=1e-3)
    # At least as close to X as the rank-2 matrix it was made from.
    assert got.reconstruction_error <= float(np.linalg.norm(dense - truth))
    assert 1 <= got.n_iter <= 300


def test_nmf_is_deterministic() -> None:
    dense = _random_sparse(120, 30, 0.2, seed=8)
    first = nmf(_csr(dense), 4)
    second = nmf(_csr(dense), 4)
    np.testing.assert_array_equal(first.w, second.w)
    np.testing.assert_array_equal(first.h, second.h)
    assert first.reconstruction_error == second.reconstruction_error
    assert first.n_iter == second.n_iter


def test_nmf_degenerate_inputs() -> None:
    # One term: k = 1 reproduces it exactly.
    one = _csr(np.array([[1.0], [0.0], [2.0]], dtype=np.float32))
    got = nmf(one, 1)
    np.testing.assert_allclose(got.w @ got.h, [[1.0], [0.0], [2.0]], atol=1e-4)
    assert got.reconstruction_error == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(ValueError, match="k=2"):
        nmf(one, 2)
    # An all-zero matrix: zero factors, no NaN.
    zero = CsrMatrix(
        np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(5, np.int64), n_cols=3
    )
    got = nmf(zero, 2)
    assert np.isfinite(got.w).all()
    assert np.isfinite(got.h).all()
    assert got.reconstruction_error == 0.0
    # Empty documents get zero weights; rank below k stays finite.
    dense = np.zeros((6, 4), dtype=np.float32)
    dense[[0, 2, 4], 0] = 1.0
    dense[[0, 2, 4], 1] = 0.5
    got = nmf(_csr(dense), 3)
    assert np.isfinite(got.w).all()
    assert np.isfinite(got.h).all()
    assert (got.w[[1, 3, 5]] == 0).all()
    assert got.reconstruction_error == pytest.approx(0.0, abs=1e-3)


def test_npmi_of_the_topic_model() -> None:
    from app.ai.local.topics import _npmi

    b = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=bool)
    df = b.sum(axis=0)
    # (0, 1) always together: 1; (0, 2) and (1, 2) never: -1.
    assert _npmi(b[:, [0, 1]], df[[0, 1]], 4) == pytest.approx(1.0)
    assert _npmi(b, df, 4) == pytest.approx((1.0 - 1.0 - 1.0) / 3)
    assert _npmi(b[:, [0]], df[[0]], 4) == 0.0
