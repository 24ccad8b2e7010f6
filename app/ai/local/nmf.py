"""TF-IDF and NMF on sparse matrices with numpy only (no scipy, no scikit-learn).

The topic model needs a TF-IDF matrix and a Frobenius NMF of it. scikit-learn does both,
but importing it (and the scipy modules it pulls in) costs about 95 MB of RSS, which the
analysis path cannot afford. This module reproduces what the topic model used:

- `tfidf`: scikit-learn's `TfidfVectorizer(min_df, max_df, max_features,
  sublinear_tf=True)` on pre-tokenised documents: terms kept when their document
  frequency is within [min_df, max_df x n], the `max_features` with the largest total
  count (ties alphabetical), sorted alphabetically; tf -> 1 + ln(tf),
  idf = ln((1 + n) / (1 + df)) + 1, rows L2-normalised.
- `nmf`: `NMF(init="nndsvda", solver="cd", max_iter=300, tol=1e-3)`: an NNDSVD start
  from a randomized truncated SVD (zeros filled with the mean of X), then the same
  cyclic coordinate descent as scikit-learn's `_update_cdnmf_fast`, vectorised over
  rows (the rows of W, or of H.T, are updated independently of each other).

Matrices are CSR arrays (`CsrMatrix`); `SparseProducts` precomputes the layouts that make
X @ M and X.T @ M fast in numpy: a jagged-diagonal order of the rows (slot j holds the
j-th entry of every row longer than j, rows by decreasing length, so a product is one
gather-multiply-add per slot instead of a segmented sum over short rows) and a CSC
permutation for the transpose (long column segments, summed with `np.add.reduceat`).
Work arrays are float32 like scikit-learn's; scalars are accumulated in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
Index = NDArray[np.intp]

# Elements of a gathered temporary per product chunk (1 MB of float32): small enough to
# stay in a core's L2 cache between the gather, the multiply and the sum (about 30%
# faster than 4 MB chunks on 100,000 posts), and it bounds a product's scratch memory.
_CHUNK_ELEMENTS = 1 << 18
# Values of the NNDSVD start below this are zero (then filled with the mean of X).
_NNDSVD_EPS = 1e-6
# Cholesky QR is used when the block is well-conditioned (the smallest diagonal entry of
# the Cholesky factor of its float64 Gram matrix at least 1e-3 of the largest, i.e. a
# condition number up to about 1e3): the loss of orthogonality then stays ~1e-5.
_CHOLESKY_QR_MIN_RATIO = 1e-3
_GRAM_BLOCK = 1 << 14  # rows per float64 block of that Gram matrix


class EmptyVocabularyError(ValueError):
    """No term is left after the document-frequency pruning."""


# --------------------------------------------------------------------------- matrices


@dataclass(frozen=True, slots=True)
class CsrMatrix:
    """A sparse n_rows x n_cols float32 matrix in CSR form (column indices sorted within
    each row, no explicit duplicates)."""

    data: F32
    indices: I32
    indptr: I64
    n_cols: int

    def __post_init__(self) -> None:
        if self.data.dtype != np.float32 or self.indices.dtype != np.int32:
            raise TypeError("data must be float32 and indices int32")
        if self.indptr.dtype != np.int64 or self.indptr.ndim != 1 or len(self.indptr) < 1:
            raise TypeError("indptr must be a non-empty int64 vector")
        if len(self.data) != len(self.indices) or int(self.indptr[-1]) != len(self.data):
            raise ValueError("data, indices and indptr disagree")

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.n_cols)

    @property
    def nnz(self) -> int:
        return len(self.data)

    def row_lengths(self) -> I64:
        """Stored entries per row."""
        return np.diff(self.indptr)

    def row_ids(self) -> I32:
        """The row of each stored entry (CSR order)."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int32), self.row_lengths())

    def rows(self, selection: Sequence[int] | Index | I64) -> CsrMatrix:
        """The matrix made of the given rows, in the given order."""
        sel = np.asarray(selection, dtype=np.int64)
        lengths = self.row_lengths()[sel]
        indptr = np.zeros(len(sel) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        # Position in self of each entry of the result: its row's start + offset in row.
        pos = np.repeat(self.indptr[:-1][sel] - indptr[:-1], lengths) + np.arange(
            int(indptr[-1]), dtype=np.int64
        )
        return CsrMatrix(self.data[pos], self.indices[pos], indptr, self.n_cols)

    def squared_norm(self) -> float:
        """Squared Frobenius norm."""
        return float(np.dot(self.data.astype(np.float64), self.data.astype(np.float64)))

    def mean(self) -> float:
        """Mean over all n_rows x n_cols entries (zeros included)."""
        size = self.n_rows * self.n_cols
        return float(self.data.sum(dtype=np.float64)) / size if size else 0.0

    def column_counts(self) -> I64:
        """Stored entries per column (the document frequency of a TF-IDF matrix)."""
        return np.bincount(self.indices, minlength=self.n_cols).astype(np.int64)

    def incidence(self, columns: Sequence[int] | Index) -> NDArray[np.bool_]:
        """Dense n_rows x len(columns) boolean matrix: does the row store the column?"""
        cols = np.asarray(columns, dtype=np.int64)
        out = np.zeros((self.n_rows, len(cols)), dtype=np.bool_)
        if len(cols) == 0 or self.nnz == 0:
            return out
        slot = np.full(self.n_cols, -1, dtype=np.int64)
        slot[cols] = np.arange(len(cols))
        hit = slot[self.indices]
        mask = hit >= 0
        out[self.row_ids()[mask], hit[mask]] = True
        return out

    def toarray(self) -> F32:
        """Dense copy (tests and tiny matrices only)."""
        out = np.zeros(self.shape, dtype=np.float32)
        np.add.at(out, (self.row_ids(), self.indices), self.data)
        return out

    def products(self) -> SparseProducts:
        """Precompute the layouts for repeated X @ M and X.T @ M."""
        return SparseProducts.of(self)

    def dot(self, m: NDArray[np.floating]) -> F32:
        """X @ m for a dense (n_cols, c) m (builds the layouts; use `products` to repeat)."""
        return self.products().dot(m)

    def tdot(self, m: NDArray[np.floating]) -> F32:
        """X.T @ m for a dense (n_rows, c) m."""
        return self.products().tdot(m)


@dataclass(frozen=True, slots=True)
class SparseProducts:
    """X @ M and X.T @ M for one CSR matrix, with layouts computed once.

    Dense operands are "component-major" (c x n: one contiguous vector per component, the
    layout the NMF keeps its factors in), and rows are in an internal order, `order`
    (longest rows first: internal position p is row order[p]). `dot_p(mt)` is
    (X @ mt.T).T with its rows in that order; `tdot_p(mt)` is (X.T @ mt.T).T for an mt whose
    rows are in that order. The NMF works in the internal order throughout and permutes W
    once at the end. `dot` / `tdot` are the plain X @ m and X.T @ m.
    """

    n_rows: int
    n_cols: int
    order: I64
    # Jagged diagonals: slot j holds the j-th entry of each of the internal rows longer
    # than j (a prefix of the internal order), at slot_ptr[j]:slot_ptr[j + 1].
    slot_ptr: I64
    slot_indices: I32
    slot_data: F32
    # CSC over internal rows; col_bounds: starts of the non-empty columns, then nnz.
    filled_cols: I64
    col_bounds: I64
    col_rows: I32
    col_data: F32

    @staticmethod
    def of(x: CsrMatrix) -> SparseProducts:
        lengths = x.row_lengths()
        order = np.argsort(-lengths, kind="stable").astype(np.int64)
        sorted_lengths = lengths[order]
        longest = int(sorted_lengths[0]) if len(sorted_lengths) else 0
        # Rows longer than j, for each slot j.
        sizes = x.n_rows - np.cumsum(np.bincount(lengths, minlength=longest + 1))[:longest]
        slot_ptr = np.zeros(longest + 1, dtype=np.int64)
        np.cumsum(sizes, out=slot_ptr[1:])
        starts = x.indptr[:-1][order]
        pos = np.empty(int(slot_ptr[-1]), dtype=np.int64)
        for j in range(longest):
            pos[slot_ptr[j] : slot_ptr[j + 1]] = starts[: sizes[j]] + j
        slot_indices, slot_data = x.indices[pos], x.data[pos]
        del pos, starts

        # CSC by (column, internal row): each column's gather sweeps its operand forwards.
        position = np.empty(x.n_rows, dtype=np.int32)
        position[order] = np.arange(x.n_rows, dtype=np.int32)
        internal_rows = position[x.row_ids()]
        key = x.indices.astype(np.int64) * max(x.n_rows, 1)
        key += internal_rows
        by_col = np.argsort(key)  # keys are unique: deterministic
        del key
        col_rows = internal_rows[by_col]
        del internal_rows
        col_data = x.data[by_col]
        del by_col
        counts = np.bincount(x.indices, minlength=x.n_cols)
        filled = np.flatnonzero(counts).astype(np.int64)
        col_bounds = np.zeros(len(filled) + 1, dtype=np.int64)
        np.cumsum(counts[filled], out=col_bounds[1:])
        return SparseProducts(
            n_rows=x.n_rows,
            n_cols=x.n_cols,
            order=order,
            slot_ptr=slot_ptr,
            slot_indices=slot_indices,
            slot_data=slot_data,
            filled_cols=filled,
            col_bounds=col_bounds,
            col_rows=col_rows,
            col_data=col_data,
        )

    def _operand(self, mt: NDArray[np.floating], width: int) -> F32:
        out = np.ascontiguousarray(mt, dtype=np.float32)
        if out.ndim != 2 or out.shape[1] != width:
            raise ValueError(f"expected a (c, {width}) array, got {out.shape}")
        return out

    def dot_p(self, mt: NDArray[np.floating]) -> F32:
        """(X @ mt.T).T for a (c, n_cols) mt: (c, n_rows), rows in the internal order."""
        mt = self._operand(mt, self.n_cols)
        c = mt.shape[0]
        acc = np.zeros((c, self.n_rows), dtype=np.float32)
        ptr = self.slot_ptr.tolist()
        n_slots = len(ptr) - 1
        budget = max(1, _CHUNK_ELEMENTS // max(c, 1))
        j = 0
        while j < n_slots:
            a = ptr[j]
            end = int(np.searchsorted(self.slot_ptr, a + budget, side="right")) - 1
            if end <= j:  # one slot wider than the budget: in pieces
                b = ptr[j + 1]
                for s in range(a, b, budget):
                    e = min(b, s + budget)
                    g = np.take(mt, self.slot_indices[s:e], axis=1)
                    g *= self.slot_data[s:e]
                    acc[:, s - a : e - a] += g
                j += 1
                continue
            # Slots j..end-1 in one gather, then one add per slot.
            b = ptr[end]
            g = np.take(mt, self.slot_indices[a:b], axis=1)
            g *= self.slot_data[a:b]
            for s in range(j, end):
                lo, hi = ptr[s] - a, ptr[s + 1] - a
                acc[:, : hi - lo] += g[:, lo:hi]
            j = end
        return acc

    def tdot_p(self, mt: NDArray[np.floating]) -> F32:
        """(X.T @ mt.T).T for a (c, n_rows) mt with rows in the internal order: (c, n_cols)."""
        mt = self._operand(mt, self.n_rows)
        c = mt.shape[0]
        out = np.zeros((c, self.n_cols), dtype=np.float32)
        bounds = self.col_bounds
        n_filled = len(self.filled_cols)
        every_column = n_filled == self.n_cols
        budget = max(1, _CHUNK_ELEMENTS // max(c, 1))
        p = 0
        while p < n_filled:
            # Whole columns, at least one, about `budget` entries.
            a = int(bounds[p])
            q = int(np.searchsorted(bounds, a + budget, side="right")) - 1
            q = min(max(q, p + 1), n_filled)
            b = int(bounds[q])
            g = np.take(mt, self.col_rows[a:b], axis=1)
            g *= self.col_data[a:b]
            if every_column:
                np.add.reduceat(g, bounds[p:q] - a, axis=1, out=out[:, p:q])
            else:
                out[:, self.filled_cols[p:q]] = np.add.reduceat(g, bounds[p:q] - a, axis=1)
            p = q
        return out

    def to_internal(self, m: NDArray[np.floating]) -> F32:
        """A plain (n_rows, c) array as component-major with rows in the internal order."""
        return np.ascontiguousarray(np.asarray(m, dtype=np.float32)[self.order].T)

    def from_internal(self, mt: NDArray[np.floating]) -> F32:
        """The inverse of `to_internal`: (c, n_rows) internal -> plain (n_rows, c)."""
        out = np.empty((self.n_rows, mt.shape[0]), dtype=np.float32)
        out[self.order] = mt.T
        return out

    def dot(self, m: NDArray[np.floating]) -> F32:
        """X @ m for a (n_cols, c) m: a (n_rows, c) float32 array."""
        return self.from_internal(self.dot_p(np.asarray(m).T))

    def tdot(self, m: NDArray[np.floating]) -> F32:
        """X.T @ m for a (n_rows, c) m: a (n_cols, c) float32 array."""
        return np.ascontiguousarray(self.tdot_p(self.to_internal(m)).T)


# --------------------------------------------------------------------------- TF-IDF


@dataclass(frozen=True, slots=True)
class Tfidf:
    matrix: CsrMatrix  # documents x terms, rows L2-normalised
    terms: tuple[str, ...]  # column j's term (alphabetical)
    idf: F64  # per column


def tfidf(
    docs: Sequence[Sequence[str]],
    *,
    min_df: int = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
    term_weight: Callable[[str], float] | None = None,
    idf_power: float = 1.0,
) -> Tfidf:
    """TF-IDF of pre-tokenised documents, as `TfidfVectorizer(sublinear_tf=True)`.

    `min_df` is an absolute document count, `max_df` a proportion of the documents. Raises
    `EmptyVocabularyError` when no term is left (also when the documents have no tokens).
    `term_weight` (a kept term -> its factor, e.g. 0.1 for boilerplate) scales a term's
    values before the rows are normalised, so the other terms of a row weigh more.
    """
    n = len(docs)
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n)
    names = sorted(dict.fromkeys(chain.from_iterable(docs)))  # the vocabulary, alphabetical
    if not names:
        raise EmptyVocabularyError("empty vocabulary")
    n_names = len(names)
    vocab = {t: i for i, t in enumerate(names)}
    ids = np.fromiter(
        map(vocab.__getitem__, chain.from_iterable(docs)), dtype=np.int64, count=int(lengths.sum())
    )
    del vocab
    # One entry per (document, term) with its count, sorted by document then term.
    ids += np.repeat(np.arange(n, dtype=np.int64) * n_names, lengths)
    key, tally = np.unique(ids, return_counts=True)
    del ids
    row = (key // n_names).astype(np.int32)
    col = (key % n_names).astype(np.int32)
    del key

    df = np.bincount(col, minlength=n_names)
    keep = np.flatnonzero((df >= min_df) & (df <= max_df * n))
    if max_features is not None and len(keep) > max_features:
        totals = np.bincount(col, weights=tally, minlength=n_names)
        # Largest total count first, ties alphabetical (= by index), then alphabetical.
        keep = np.sort(keep[np.lexsort((keep, -totals[keep]))[:max_features]])
    if len(keep) == 0:
        raise EmptyVocabularyError("no term left after pruning")
    new_index = np.full(n_names, -1, dtype=np.int32)
    new_index[keep] = np.arange(len(keep), dtype=np.int32)
    mapped = new_index[col]  # increasing with col: rows stay sorted by term
    del col
    present = mapped >= 0
    row, mapped = row[present], mapped[present]
    values = np.log(tally[present].astype(np.float32))  # sublinear tf: 1 + ln(tf)
    del tally, present
    values += 1
    idf = np.log((1.0 + n) / (1.0 + df[keep].astype(np.float64))) + 1.0
    factor = idf if idf_power == 1.0 else idf**idf_power
    if term_weight is not None:
        factor = factor * np.array([term_weight(names[j]) for j in keep.tolist()])
    values *= factor.astype(np.float32)[mapped]
    norms = np.sqrt(np.bincount(row, weights=np.square(values, dtype=np.float64), minlength=n))
    values /= norms.astype(np.float32)[row]  # stored entries are > 0, so their row norms too
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    matrix = CsrMatrix(values, mapped, indptr, n_cols=len(keep))
    return Tfidf(matrix=matrix, terms=tuple(names[j] for j in keep.tolist()), idf=idf)


# --------------------------------------------------------------------------- NMF


@dataclass(frozen=True, slots=True)
class NmfResult:
    w: F32  # n_rows x k: each document's weight on each component
    h: F32  # k x n_cols: the components
    reconstruction_error: float  # ||X - W H||_F
    initial_error: float  # the same for the NNDSVDA start
    n_iter: int


def _randomized_svd_p(
    ops: SparseProducts, k: int, oversamples: int, n_iter: int | None, seed: int
) -> tuple[F32, F64, F32]:
    """`randomized_svd` with U.T's columns (the rows of X) in the internal order."""
    n, v = ops.n_rows, ops.n_cols
    size = min(k + oversamples, n, v)
    if n_iter is None:
        n_iter = 7 if k < 0.1 * min(n, v) else 4
    rng = np.random.default_rng(seed)
    qt: F32 = rng.standard_normal((size, v), dtype=np.float32)  # Q.T, Q being v x size

    def orthonormal_t(at: F32) -> F32:
        """Orthonormal basis of the columns of at.T, transposed back: Cholesky QR (A R^-1
        with R.T R = A.T A; ten times faster than Householder QR on a tall float32
        matrix), or QR when A is too ill-conditioned for it (its Gram matrix squares the
        condition number)."""
        gram = np.zeros((at.shape[0], at.shape[0]))
        for a in range(0, at.shape[1], _GRAM_BLOCK):  # float64 without a full copy
            block = at[:, a : a + _GRAM_BLOCK].astype(np.float64)
            gram += block @ block.T
        try:
            low = np.linalg.cholesky(gram)
        except np.linalg.LinAlgError:
            low = None
        if low is not None:
            diag = np.diag(low)
            if diag.min() > _CHOLESKY_QR_MIN_RATIO * diag.max():
                return np.linalg.inv(low).astype(np.float32) @ at
        q = np.linalg.qr(at.T)[0]
        return np.ascontiguousarray(q.T, dtype=np.float32)

    for _ in range(n_iter):
        qt = orthonormal_t(ops.dot_p(qt))  # basis of X Q: size x n
        qt = orthonormal_t(ops.tdot_p(qt))  # basis of X.T Q: size x v
    qt = orthonormal_t(ops.dot_p(qt))  # size x n
    b = ops.tdot_p(qt).astype(np.float64)  # Q.T X: size x v
    u_hat, s, vt = np.linalg.svd(b, full_matrices=False)
    u_hat, s, vt = u_hat[:, :k], s[:k], vt[:k]
    # Deterministic signs: the largest entry of each right singular vector is positive.
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    signs[signs == 0] = 1.0
    u_hat = u_hat * signs
    vt = vt * signs[:, None]
    ut = u_hat.T.astype(np.float32) @ qt  # (Q U_hat).T: k x n
    return ut, s, vt.astype(np.float32)


def randomized_svd(
    x: CsrMatrix, k: int, *, oversamples: int = 10, n_iter: int | None = None, seed: int = 0
) -> tuple[F32, F64, F32]:
    """Truncated SVD (Halko et al. 2011) of X: (U as n_rows x k, S, Vt as k x n_cols).

    Gaussian test matrix from `np.random.default_rng(seed)` with `oversamples` extra
    columns; `n_iter` power iterations (by default 7 when k < 10% of the smaller dimension,
    else 4, as scikit-learn), each re-orthonormalised (Cholesky QR, or Householder QR for
    ill-conditioned blocks); then the SVD of the small projected matrix. Signs make the
    largest entry of each row of Vt positive.
    """
    ops = x.products()
    ut, s, vt = _randomized_svd_p(ops, k, oversamples, n_iter, seed)
    return ops.from_internal(ut), s, vt


def _nndsvda_p(ops: SparseProducts, k: int, mean: float, seed: int) -> tuple[F32, F32]:
    """NNDSVD start (Boutsidis & Gallopoulos 2008) with zeros set to the mean of X, as
    scikit-learn's init="nndsvda": (W.T as k x n_rows in the internal order, H as
    k x n_cols), float32 and C-contiguous."""
    ut, s, vt = _randomized_svd_p(ops, k, 10, None, seed)
    wt = np.zeros((k, ops.n_rows), dtype=np.float32)
    h = np.zeros((k, ops.n_cols), dtype=np.float32)
    # The leading singular pair of a non-negative matrix is non-negative (up to sign).
    wt[0] = np.sqrt(s[0]) * np.abs(ut[0])
    h[0] = np.sqrt(s[0]) * np.abs(vt[0])
    for j in range(1, min(k, len(s))):
        xv, yv = ut[j], vt[j]
        xp, yp = np.maximum(xv, 0), np.maximum(yv, 0)
        xn, yn = np.abs(np.minimum(xv, 0)), np.abs(np.minimum(yv, 0))
        xp_norm, yp_norm = float(np.linalg.norm(xp)), float(np.linalg.norm(yp))
        xn_norm, yn_norm = float(np.linalg.norm(xn)), float(np.linalg.norm(yn))
        m_p, m_n = xp_norm * yp_norm, xn_norm * yn_norm
        # The positive or the negative parts, whichever carries more of the pair.
        if m_p > m_n:
            u, vv, x_norm, y_norm, sigma = xp, yp, xp_norm, yp_norm, m_p
        else:
            u, vv, x_norm, y_norm, sigma = xn, yn, xn_norm, yn_norm, m_n
        if sigma <= 0:  # no usable part (a null direction): left to the mean below
            continue
        lbd = np.sqrt(float(s[j]) * sigma)
        wt[j] = (lbd / x_norm) * u
        h[j] = (lbd / y_norm) * vv
    wt[wt < _NNDSVD_EPS] = 0
    h[h < _NNDSVD_EPS] = 0
    wt[wt == 0] = mean
    h[h == 0] = mean
    return wt, h


def _cd_pass(f: F32, gram: F32, cross: F32) -> float:
    """One cyclic coordinate-descent sweep over the components of `f` (k x m), as
    scikit-learn's `_update_cdnmf_fast` but over all m rows at once (they are independent):
    minimises ||X - F.T G||^2 in F >= 0 given gram = G G.T and cross = (X G.T).T.
    Returns the sum of absolute projected gradients before each update (the violation)."""
    violation = 0.0
    for t in range(f.shape[0]):
        ft = f[t]
        grad = gram[t] @ f
        grad -= cross[t]
        # Projected gradient: a zero coordinate with a positive gradient is optimal.
        pg = np.where(ft > 0, grad, np.minimum(grad, 0))
        violation += float(np.abs(pg).sum(dtype=np.float64))
        hess = gram[t, t]
        if hess != 0:
            grad /= hess
            ft -= grad
            np.maximum(ft, 0, out=ft)
    return violation


def _reconstruction_error(ops: SparseProducts, x_sq_norm: float, wt: F32, h: F32) -> float:
    """||X - W H||_F = sqrt(||X||^2 - 2 tr(W.T X H.T) + tr(W.T W H H.T)), clipped at 0
    (wt internal)."""
    cross = float(np.vdot(ops.dot_p(h).astype(np.float64), wt.astype(np.float64)))
    wtw = wt.astype(np.float64) @ wt.T.astype(np.float64)
    hht = h.astype(np.float64) @ h.T.astype(np.float64)
    res = x_sq_norm - 2.0 * cross + float(np.vdot(wtw, hht))
    return float(np.sqrt(max(res, 0.0)))


def reconstruction_error(x: CsrMatrix, w: NDArray[np.floating], h: NDArray[np.floating]) -> float:
    """||X - W H||_F for W (n_rows x k) and H (k x n_cols)."""
    ops = x.products()
    wt = ops.to_internal(w)
    return _reconstruction_error(ops, x.squared_norm(), wt, np.asarray(h, dtype=np.float32))


def nmf(
    x: CsrMatrix, k: int, *, max_iter: int = 300, tol: float = 1e-3, seed: int = 0
) -> NmfResult:
    """Frobenius NMF X ~ W H (W, H >= 0), as scikit-learn's
    `NMF(n_components=k, init="nndsvda", solver="cd", random_state=seed)`.

    Stops when the projected-gradient violation of an iteration falls to `tol` times that
    of the first one, or after `max_iter` iterations. Deterministic for a given `seed`
    (with a fixed number of BLAS threads).
    """
    n, v = x.shape
    if k < 1 or k > min(n, v):
        raise ValueError(f"k={k} must be between 1 and min(n_rows, n_cols)={min(n, v)}")
    ops = x.products()
    wt, h = _nndsvda_p(ops, k, x.mean(), seed)
    initial_error = _reconstruction_error(ops, x.squared_norm(), wt, h)
    violation_init = 0.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        violation = _cd_pass(wt, h @ h.T, ops.dot_p(h))
        violation += _cd_pass(h, wt @ wt.T, ops.tdot_p(wt))
        if n_iter == 1:
            violation_init = violation
        if violation_init == 0 or violation / violation_init <= tol:
            break
    return NmfResult(
        w=ops.from_internal(wt),
        h=h,
        reconstruction_error=_reconstruction_error(ops, x.squared_norm(), wt, h),
        initial_error=initial_error,
        n_iter=n_iter,
    )
