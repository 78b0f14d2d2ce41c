"""The nearest-neighbour search: each distinct text's best candidates, chunk by chunk.

Contract: ``neighbours(X, settings, inverse, stripped, memo)`` returns the
directed edges i -> j of the input rows (j among row i's kept neighbours),
with similarity and rank, by the rules of ``analysis.overlap``'s contract
(top-k, or all above the threshold up to ``max_neighbours``; ties by input
order). The distinct texts are searched once (``full_search``, or
``incremental_search`` from the memo's last search) and expanded to rows.

Why it is built this way: the similarity matrix is never built whole.
Distinct texts are processed in chunks whose dense block (chunk x m,
float32) stays under ``settings.chunk_cells`` cells, and only the upper
triangle is computed (the matrix is symmetric); from each block every text
keeps its best candidates and the rest is dropped. Memory is
O(nnz(X) + chunk_cells + n * max_neighbours). A block is computed as
sparse x dense (``similarity_block``), which takes every similarity's
float32 sum over the shared features in the same order as the sparse
product, so scores and ties are bit for bit those of ``X @ X.T``; a row
whose candidate list is full is offered only the entries at or above its
current worst (``_update``), which can never change its best ``cap``.
With ``n_jobs`` > 1 the chunks are shared among forked workers
(``analysis.engine.parallel``).
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..engine.parallel import forked_pool, shared
from .memo import OverlapMemo
from .settings import OverlapSettings

logger = logging.getLogger(__name__)


def chunk_rows(n: int, chunk_cells: int) -> int:
    """Rows per chunk so that a dense chunk x n block has at most ``chunk_cells`` cells.

    >>> chunk_rows(50_000, 8_000_000)
    160
    >>> chunk_rows(10, 8_000_000)
    10
    """
    return max(1, min(n, chunk_cells // max(n, 1)))


def top_per_row(vals: np.ndarray, idx: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``w`` largest entries of each row of ``vals`` (unordered) and their ``idx``.

    Ties are broken by ``idx``, the smaller first (the documented tie-break):
    where the w-th value is shared with an entry left out, the tied entries
    are chosen again by index. Ties at or below 1e-6 are left alone: such
    candidates are never kept.
    """
    if vals.shape[1] <= w:
        return vals, idx
    part = np.argpartition(vals, vals.shape[1] - w, axis=1)[:, -w:]
    top_v = np.take_along_axis(vals, part, axis=1)
    top_i = np.take_along_axis(idx, part, axis=1)
    if w == 0:
        return top_v, top_i
    kth = top_v.min(axis=1)
    tied = np.flatnonzero(
        (kth > 1e-6) & ((vals == kth[:, None]).sum(axis=1) > (top_v == kth[:, None]).sum(axis=1))
    )
    for r in tied:  # rare: equal similarities at the boundary
        row_v, row_i = vals[r], idx[r]
        above = np.flatnonzero(row_v > kth[r])
        level = np.flatnonzero(row_v == kth[r])
        level = level[np.argsort(row_i[level], kind="stable")[: w - len(above)]]
        chosen = np.concatenate([above, level])
        top_v[r], top_i[r] = row_v[chosen], row_i[chosen]
    return top_v, top_i


def _merge(best_v: np.ndarray, best_i: np.ndarray, v: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = best_v.shape[1]
    return top_per_row(np.hstack([best_v, v]), np.hstack([best_i, i]), w)



def _packed_order(r: np.ndarray, v: np.ndarray, i: np.ndarray, n: int):
    """``(r, v, i)`` in the order of ``np.lexsort((i, -v, r))``, by one sort
    of 64-bit keys (row, then the value's bits reversed, then the index),
    or None where the three do not fit: more than 2**16 rows, or a value
    below zero (only the empty slots' -1, which full lists never hold).

    A non-negative float32's bits order it, so the keys order (row, -value,
    index) exactly; no two entries share all three (a candidate enters a
    list once), so the sort needs no tie-break. On the distinct benchmark
    corpus this is a quarter of lexsort's time.

    >>> r, v, i = np.array([1, 0, 1, 1]), np.array([0.5, 0.25, 0.5, 0.75], np.float32), np.array([7, 3, 2, 9])
    >>> [a.tolist() for a in _packed_order(r, v, i, 2)]
    [[0, 1, 1, 1], [0.25, 0.75, 0.5, 0.5], [3, 9, 2, 7]]
    """
    if n > 1 << 16 or not len(r) or v.dtype != np.float32 or v.min() < 0 or i.min() < 0:
        return None
    bits = np.uint64(0xFFFFFFFF) - v.view(np.uint32).astype(np.uint64)
    key = (r.astype(np.uint64) << np.uint64(48)) | (bits << np.uint64(16)) | i.astype(np.uint64)
    key.sort()
    out_r = (key >> np.uint64(48)).astype(r.dtype)
    out_v = (np.uint64(0xFFFFFFFF) - ((key >> np.uint64(16)) & np.uint64(0xFFFFFFFF))).astype(np.uint32).view(np.float32)
    out_i = (key & np.uint64(0xFFFF)).astype(i.dtype)
    return out_r, out_v, out_i


def _offer(best_v: np.ndarray, best_i: np.ndarray, rows: np.ndarray, vals: np.ndarray, idx: np.ndarray) -> None:
    """Merge candidates (row, value, index) into the full lists ``best_v``/``best_i``
    (in place): each row keeps its best ``cap`` by (-value, index)."""
    if not len(rows):
        return
    cap = best_v.shape[1]
    touched = np.unique(rows)
    all_r = np.concatenate([np.repeat(touched, cap), rows])
    all_v = np.concatenate([best_v[touched].ravel(), vals])
    all_i = np.concatenate([best_i[touched].ravel(), idx])
    packed = _packed_order(all_r, all_v, all_i, best_v.shape[0])
    if packed is not None:
        all_r, all_v, all_i = packed
    else:
        o = np.lexsort((all_i, -all_v, all_r))
        all_r, all_v, all_i = all_r[o], all_v[o], all_i[o]
    pos = np.arange(len(all_r)) - np.searchsorted(all_r, all_r, side="left")
    keep = pos < cap
    best_v[all_r[keep], pos[keep]] = all_v[keep]
    best_i[all_r[keep], pos[keep]] = all_i[keep]


def _update(best_v: np.ndarray, best_i: np.ndarray, rows: np.ndarray, vals: np.ndarray, idx0: int) -> None:
    """Offer row ``rows[k]`` the candidates ``vals[k]`` (indices ``idx0 + column``).

    Only entries at or above a row's current ``cap``-th best can enter its
    list (ties are then decided by index), so a row whose list is full is
    offered those alone: on a large corpus, a few of the thousands of
    columns. A row whose list is not full yet (the first chunk), or that
    many entries would enter, takes the whole row through ``top_per_row``. Both
    keep each row's best ``cap`` by (-similarity, index), as the search
    always did.
    """
    cap = best_v.shape[1]
    width = vals.shape[1]
    lb = best_v[rows].min(axis=1)
    full = best_i[rows].min(axis=1) >= 0
    enter = vals >= lb[:, None]
    counts = enter.sum(axis=1)
    dense = ~full | (counts > max(4 * cap, width // 8))
    d = np.flatnonzero(dense)
    if len(d):
        cols = np.broadcast_to(np.arange(idx0, idx0 + width, dtype=np.int64), (len(d), width))
        v, i = top_per_row(vals[d], cols, cap)
        best_v[rows[d]], best_i[rows[d]] = _merge(best_v[rows[d]], best_i[rows[d]], v, i)
    if len(d) < len(rows):
        enter[d] = False
        r, c = np.nonzero(enter)
        _offer(best_v, best_i, rows[r], vals[r, c], idx0 + c.astype(np.int64))


def _scan(
    X: sp.csr_matrix,
    settings: OverlapSettings,
    starts: Sequence[int],
    step: int,
    cap: int,
    mult: np.ndarray | None = None,
):
    """Best ``cap`` candidates and above-threshold counts of every row, from the chunks at ``starts``.

    With ``mult`` (recommendations per row), a candidate above the threshold
    counts for its multiplicity.
    """
    n = X.shape[0]
    best_v = np.full((n, cap), -1.0, dtype=np.float32)  # -1: empty slot
    best_i = np.full((n, cap), -1, dtype=np.int64)
    above = np.zeros(n, dtype=np.int64)
    # float32 counts are exact up to 2**24 recommendations per sum.
    w = None if mult is None else mult.astype(np.float32)
    for s in starts:
        e = min(n, s + step)
        m = e - s
        # (n - s) x m: row r is recommendation s + r, column c is s + c.
        block = similarity_block(X, s, e, settings.chunk_cells)
        block[np.arange(m), np.arange(m)] = -1.0  # never one's own neighbour
        hit = block >= settings.threshold
        if w is None:
            above[s:e] += hit.sum(axis=0)
        else:
            above[s:e] += np.rint(w[s:] @ hit.astype(np.float32)).astype(np.int64)
        # Rows of the chunk: every row from s on (rows before s come from
        # earlier chunks, through their rows).
        _update(best_v, best_i, np.arange(s, e), np.ascontiguousarray(block.T), s)
        if e < n:
            # Later rows see this chunk's rows as candidates.
            if w is None:
                above[e:] += hit[m:].sum(axis=1)
            else:
                above[e:] += np.rint(hit[m:].astype(np.float32) @ w[s:e]).astype(np.int64)
            _update(best_v, best_i, np.arange(e, n), block[m:], s)
        del block, hit
    return best_v, best_i, above


#: Columns of the dense operand multiplied at a time: 64 float32 columns of a
#: few thousand features stay in a core's cache (18% faster than 333 at once
#: on the distinct benchmark corpus; 32 and 128 were slower).
_PRODUCT_COLUMNS = 64


def similarity_block(X: sp.csr_matrix, s: int, e: int, cells: int) -> np.ndarray:
    """``(X[s:] @ X[s:e].T).toarray()``, computed as sparse x dense.

    The chunk's rows are laid out dense over the features they use (every
    other feature meets a row of zeros), and scipy multiplies X[s:] by that
    array: each entry is the same float32 sum, taken in the same order, as
    in the sparse product (the added terms are exact zeros), without the
    sparse product's counting pass and the conversion of its result. On
    the distinct benchmark corpus this took the search from 21 to 15 s.
    The dense operand is kept under ``cells`` cells: chunks whose rows use
    many features are multiplied a few rows at a time. Where most entries
    of X[s:] are of features the chunk lacks (texts that differ), they are
    left out of the product: they only add zeros.
    """
    n = X.shape[0]
    out = np.empty((n - s, e - s), dtype=np.float32)
    lo = X.indptr[s]
    c0 = s
    while c0 < e:
        c1 = e
        while True:
            sub = X[c0:c1]
            used = np.unique(sub.indices)
            if (len(used) + 1) * (c1 - c0) <= cells or c1 - c0 == 1:
                break
            c1 = c0 + max(1, (c1 - c0) // 2)
        remap = np.full(X.shape[1], len(used), dtype=np.int32)  # features the rows lack -> the zero row
        remap[used] = np.arange(len(used), dtype=np.int32)
        dense = np.zeros((len(used) + 1, c1 - c0), dtype=np.float32)
        dense[remap[sub.indices], np.repeat(np.arange(c1 - c0), np.diff(sub.indptr))] = sub.data
        cols = remap[X.indices[lo:]]
        inside = cols < len(used)
        if inside.mean() < 0.8:  # drop the entries that meet the zero row (exact zeros)
            kept = np.concatenate([[0], np.cumsum(inside)])
            rest = sp.csr_matrix((X.data[lo:][inside], cols[inside], kept[X.indptr[s:] - lo]),
                                 shape=(n - s, len(used) + 1))
        else:
            rest = sp.csr_matrix((X.data[lo:], cols, X.indptr[s:] - lo), shape=(n - s, len(used) + 1))
        for k in range(0, c1 - c0, _PRODUCT_COLUMNS):  # a slice of the dense operand stays in cache
            part = np.ascontiguousarray(dense[:, k:k + _PRODUCT_COLUMNS])
            out[:, c0 - s + k:c0 - s + k + part.shape[1]] = rest @ part
        c0 = c1
    return out


def _scan_shared(starts: Sequence[int], step: int, cap: int):
    """``_scan`` in a worker of ``full_search``'s pool, on the data the pool shares."""
    return _scan(shared("X"), shared("settings"), starts, step, cap, shared("mult"))


def full_search(X: sp.csr_matrix, settings: OverlapSettings, cap: int, mult: np.ndarray | None):
    """Each row's best ``cap`` other rows of ``X`` by (-similarity, index), and its count above the threshold.

    The similarity matrix is symmetric, so only its upper triangle is
    computed: chunk [s, e) is multiplied with rows [s, m) only. Each block
    updates the candidates of its own rows and, through its columns, those
    of the later rows; every row keeps at most ``cap`` candidates (the best
    so far) and a count of its entries above the threshold (each weighted by
    ``mult``). With workers, each takes every ``jobs``-th chunk (chunks shrink
    along the triangle) and their candidates are merged; workers are used
    only when there are several chunks, i.e. when the search is large.
    """
    m = X.shape[0]
    step = chunk_rows(m, settings.chunk_cells)
    starts = list(range(0, m, step))
    jobs = min(settings.jobs, len(starts))
    # The workers inherit the matrix by the fork (it is not pickled).
    with forked_pool(jobs, X=X, settings=settings, mult=mult) as pool:
        if pool is None:
            parts = None
            best_v, best_i, above = _scan(X, settings, starts, step, cap, mult)
        else:
            parts = pool.starmap(_scan_shared, [(starts[k::jobs], step, cap) for k in range(jobs)])
    if parts is not None:
        best_v, best_i = top_per_row(np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts]), cap)
        above = sum(p[2] for p in parts)
    # Sort each row by similarity desc, then by index for stable ties.
    order = np.lexsort((best_i, -best_v), axis=1)
    return np.take_along_axis(best_v, order, axis=1), np.take_along_axis(best_i, order, axis=1), above


def _candidates(
    best_v: np.ndarray,
    best_i: np.ndarray,
    self_sim: np.ndarray,
    inverse: np.ndarray,
    mult: np.ndarray,
    cap: int,
    budget: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct text u, its best ``cap + 1`` candidate rows, sorted by (-similarity, row).

    The candidates of u are its own rows (at u's self-similarity) and the rows
    of its nearest distinct texts (``best_i``, at their similarity). Only the
    first ``cap + 1`` rows of u and the first ``cap`` rows of a neighbour
    can make u's list: rows of one text are equally similar, so the earlier
    ones come first. A row i of text u then has u's list without i, cut to
    ``cap``. Texts are taken in batches of at most ``budget`` candidate rows.
    Candidates at similarity 0 are left out (they are never kept).

    Texts equally similar to u but left out of ``best_i`` cannot matter: the
    search breaks ties by distinct index, which is the order of first rows,
    so each of the ``cap`` texts it kept has a row before any row of a
    left-out one.
    """
    m = len(mult)
    rows_by_text = np.argsort(inverse, kind="stable")  # grouped by text, in input order
    first = np.zeros(m, dtype=np.int64)
    first[1:] = np.cumsum(mult)[:-1]
    # Groups of candidates (u, v, similarity, how many of v's rows).
    ok = (best_i >= 0) & (best_v > 1e-6)
    uu, kk = np.nonzero(ok)
    vv = best_i[uu, kk]
    gu = np.concatenate([np.arange(m, dtype=np.int64), uu.astype(np.int64)])
    gv = np.concatenate([np.arange(m, dtype=np.int64), vv])
    gs = np.concatenate([self_sim.astype(np.float32), best_v[uu, kk].astype(np.float32)])
    gt = np.concatenate([np.where(self_sim > 1e-6, np.minimum(mult, cap + 1), 0), np.minimum(mult[vv], cap)])
    o = np.argsort(gu, kind="stable")
    gu, gv, gs, gt = gu[o], gv[o], gs[o], gt[o]
    u_bound = np.searchsorted(gu, np.arange(m + 1))  # groups of text u: u_bound[u]:u_bound[u + 1]
    cum = np.concatenate([[0], np.cumsum(gt)])[u_bound]  # candidate rows before text u

    cand_rows = np.full((m, cap + 1), -1, dtype=np.int64)
    cand_sims = np.full((m, cap + 1), -1.0, dtype=np.float32)
    u0 = 0
    while u0 < m:
        u1 = max(u0 + 1, int(np.searchsorted(cum, cum[u0] + budget, side="right")) - 1)
        u1 = min(u1, m)
        g = slice(u_bound[u0], u_bound[u1])
        t = gt[g]
        total = int(t.sum())
        if total:
            rep = np.repeat(np.arange(len(t)), t)
            offset = np.arange(total) - np.repeat(np.cumsum(t) - t, t)
            rows = rows_by_text[first[gv[g]][rep] + offset]
            sims = gs[g][rep]
            us = gu[g][rep]
            srt = np.lexsort((rows, -sims, us))
            rows, sims, us = rows[srt], sims[srt], us[srt]
            pos = np.arange(total) - np.searchsorted(us, us, side="left")
            keep = pos <= cap
            cand_rows[us[keep], pos[keep]] = rows[keep]
            cand_sims[us[keep], pos[keep]] = sims[keep]
        u0 = u1
    return cand_rows, cand_sims


def neighbours(X: sp.csr_matrix, settings: OverlapSettings, inverse: np.ndarray | None = None,
               stripped: list[str] | None = None, memo: OverlapMemo | None = None) -> pd.DataFrame:
    """Directed edges i -> j (j among row i's kept neighbours) with similarity and rank.

    ``X`` holds the distinct texts and ``inverse`` maps each input row to its
    text (None: every row is its own text). The nearest distinct texts are
    searched once (``full_search``), then expanded to rows (``_candidates``): a
    row's candidates are the other rows of its text and the rows of its
    text's neighbours, ordered by (-similarity, row). Row i keeps its first
    ``top_k`` candidates, or all those above the threshold up to ``cap``.
    """
    m = X.shape[0]
    inverse = np.arange(m, dtype=np.int64) if inverse is None else np.asarray(inverse, dtype=np.int64)
    n = len(inverse)
    mult = np.bincount(inverse, minlength=m).astype(np.int64)
    cap = min(max(settings.top_k, settings.max_neighbours), n - 1)
    empty = pd.DataFrame({"i": [], "j": [], "sim": [], "rank": []})
    if cap <= 0:
        return empty
    cap_u = min(cap, m - 1)
    if cap_u > 0:
        found = incremental_search(X, settings, cap_u, mult, stripped, memo) if stripped is not None else None
        if found is None:
            best_v, best_i, above_u = full_search(X, settings, cap_u, None if (mult == 1).all() else mult)
            share = 0.0
        else:
            best_v, best_i, above_u, share = found
        if memo is not None and stripped is not None:
            memo.search = {"texts": list(stripped), "best": best_i, "above": above_u, "cap": cap_u, "new": share}
    else:  # one distinct text: its rows are each other's only candidates
        best_v = np.zeros((m, 0), dtype=np.float32)
        best_i = np.zeros((m, 0), dtype=np.int64)
        above_u = np.zeros(m, dtype=np.int64)
    # A text's similarity with itself: 1 for a unit row, less when a feature
    # family is empty (the rows are weighted halves), 0 without features.
    self_sim = np.asarray(X.multiply(X).sum(axis=1, dtype=np.float64)).ravel().astype(np.float32)
    cand_rows, cand_sims = _candidates(
        best_v, best_i, self_sim, inverse, mult, cap, budget=max(settings.chunk_cells // 8, 4 * (cap + 1) ** 2)
    )
    # Rows above the threshold: those of the other texts, and the other rows of one's own.
    above_t = above_u + (mult - 1) * (self_sim >= settings.threshold)
    n_capped = int(mult[above_t > cap].sum())
    if n_capped:
        logger.warning(
            "%d recommendations have more than %d neighbours above the threshold; kept the %d nearest",
            n_capped,
            cap,
            cap,
        )
    parts = []
    step = max(1, settings.chunk_cells // (4 * (cap + 1)))
    for r0 in range(0, n, step):
        rows = np.arange(r0, min(n, r0 + step), dtype=np.int64)
        u = inverse[rows]
        R, S = cand_rows[u], cand_sims[u]
        # Drop the row itself from its text's list, or the last candidate when it is not there.
        drop = R == rows[:, None]
        drop[~drop.any(axis=1), -1] = True
        R = R[~drop].reshape(len(rows), cap)
        S = S[~drop].reshape(len(rows), cap)
        want = np.minimum(np.maximum(above_t[u], settings.top_k), cap)
        keep = (np.arange(cap)[None, :] < want[:, None]) & (S > 1e-6) & (R >= 0)
        r, c = np.nonzero(keep)
        if len(r):
            parts.append((rows[r], R[r, c], S[r, c].astype(np.float64), (c + 1).astype(np.int64)))
    if not parts:
        return empty
    return pd.DataFrame(
        {
            "i": np.concatenate([p[0] for p in parts]),
            "j": np.concatenate([p[1] for p in parts]),
            "sim": np.concatenate([p[2] for p in parts]),
            "rank": np.concatenate([p[3] for p in parts]),
        }
    )


#: The incremental neighbour search is used from this many distinct texts on
#: (below, the full search takes seconds and is exact) ...
INCREMENTAL_MIN_TEXTS = 2000
#: ... and while the texts added since the last full search are at most this
#: share of the corpus; beyond, the full search runs again.
INCREMENTAL_MAX_NEW = 0.05


def _rowwise_dots(X: sp.csr_matrix, us: np.ndarray, vs: np.ndarray, chunk: int = 50_000) -> np.ndarray:
    """X[us[k]] . X[vs[k]] for every k, a chunk of pairs at a time: the same
    float32 sums as the full search's products (each pair's float32 products
    added one after the other in feature order), so a re-scored pair has
    the score a cold run gives it. The products' row sums are taken by a
    product with a vector of ones, which adds in that order; ``sum(axis=1)``
    adds by ``np.add.reduceat``, pairwise, and gave other last bits to 88%
    of the distinct benchmark corpus's scores (877 of them other rounded
    values)."""
    out = np.zeros(len(us), dtype=np.float32)
    ones = np.ones(X.shape[1], dtype=np.float32)
    for lo in range(0, len(us), chunk):
        a, b = us[lo:lo + chunk], vs[lo:lo + chunk]
        out[lo:lo + chunk] = X[a].multiply(X[b]).tocsr() @ ones
    return out


def incremental_search(X: sp.csr_matrix, settings: OverlapSettings, cap: int, mult: np.ndarray,
                       stripped: list[str], memo: OverlapMemo | None):
    """The neighbour search of ``full_search``, updated from the last run's; None
    when it must run in full (no usable memo, a small corpus, too many new
    texts since the last full search).

    New texts are compared with every text (exact). An old text's candidates
    are its previous nearest texts, re-scored with today's weights, and the
    new texts; it keeps the best ``cap`` of them. Only this is approximate:
    adding texts shifts every feature's document frequency a little, which
    could in principle lift a text that was just outside an old text's list
    into it; the full search (``--no-cache``, or once the new texts pass
    ``INCREMENTAL_MAX_NEW`` of the corpus) settles that.
    """
    prev = memo.search if memo is not None else None
    m = X.shape[0]
    if prev is None or m < INCREMENTAL_MIN_TEXTS or prev["cap"] != cap:
        return None
    at_prev = {t: i for i, t in enumerate(prev["texts"])}
    prev_of = np.array([at_prev.get(t, -1) for t in stripped], dtype=np.int64)  # current -> previous
    cur_of = np.full(len(prev["texts"]) + 1, -1, dtype=np.int64)  # previous -> current (-1: gone)
    cur_of[prev_of[prev_of >= 0]] = np.flatnonzero(prev_of >= 0)
    new = np.flatnonzero(prev_of < 0)
    old = np.flatnonzero(prev_of >= 0)
    share = prev["new"] + len(new) / m
    if share > INCREMENTAL_MAX_NEW:
        return None
    thr = settings.threshold
    best_v = np.full((m, cap), -1.0, dtype=np.float32)
    best_i = np.full((m, cap), -1, dtype=np.int64)
    above = np.zeros(m, dtype=np.int64)
    S = np.zeros((len(new), m), dtype=np.float32)
    if len(new):
        S = (X[new] @ X.T).toarray().astype(np.float32)
        S[np.arange(len(new)), new] = -1.0  # never one's own neighbour
        best_v[new], best_i[new] = top_per_row(S, np.broadcast_to(np.arange(m, dtype=np.int64), S.shape), cap)
        above[new] = (S >= thr).astype(np.int64) @ mult
    if len(old):
        cand = cur_of[np.where(prev["best"][prev_of[old]] >= 0, prev["best"][prev_of[old]], len(cur_of) - 1)]
        ok = cand >= 0
        sims = np.full(cand.shape, -1.0, dtype=np.float32)
        rows = np.broadcast_to(old[:, None], cand.shape)
        sims[ok] = _rowwise_dots(X, rows[ok], cand[ok])
        if len(new):
            sims = np.hstack([sims, S[:, old].T])
            cand = np.hstack([cand, np.broadcast_to(new, (len(old), len(new)))])
        best_v[old], best_i[old] = top_per_row(sims, cand, cap)
        # Above-threshold counts: a text that had fewer than cap had them all
        # in its list, so they are counted again there; one that had more
        # keeps its count, plus the new texts above the threshold.
        prev_above = prev["above"][prev_of[old]]
        listed = np.where(cand >= 0, mult[np.maximum(cand, 0)], 0) * (sims >= thr)
        recount = listed.sum(axis=1)
        more = prev_above + ((S[:, old] >= thr).T.astype(np.int64) @ mult[new] if len(new) else 0)
        above[old] = np.where(prev_above >= cap, more, recount)
    order = np.lexsort((best_i, -best_v), axis=1)
    logger.info("overlap: %d new distinct texts searched against %d; %d old texts' lists re-scored",
                len(new), m, len(old))
    return (np.take_along_axis(best_v, order, axis=1), np.take_along_axis(best_i, order, axis=1), above,
            share)
