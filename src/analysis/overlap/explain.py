"""Why two texts overlap: their shared terms and their shared spans.

Contract: ``shared_terms(X_tok, terms, a, b, top)`` gives, for each pair of
rows, the shared tokens that contribute most to their token cosine (ties
by term); ``shared_spans(a, b, min_len, max_spans)`` the longest common
substrings of two stripped texts, longest first, not overlapping, never
across ``SEP`` and with the punctuation of ``SPAN_TRIM`` trimmed from their
ends. ``all_spans`` computes ``shared_spans`` for many pairs at once.

Why: every score is an exact cosine, so it can be decomposed into what
produced it and shown to a reader. ``shared_spans`` is the definition, in
plain Python, pair by pair; ``all_spans`` takes the spans of the pairs an
``OverlapMemo`` already holds from it and computes the others on arrays
(``spans.SpanSearch``, tested against ``shared_spans``), in forked workers
(``analysis.engine.parallel``) when there are many.
"""

from __future__ import annotations

import heapq
import logging

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from ..engine.parallel import forked_pool, shared
from .memo import OverlapMemo
from .settings import OverlapSettings
from .spans import SpanSearch
from .stock import SEP

logger = logging.getLogger(__name__)

#: Characters that may not begin or end a reported span (it is shown to a reader).
SPAN_TRIM = " \t\n，。；：、,.;:!?！？（）()“”‘’\"'《》〈〉「」『』" + SEP
#: Fewer distinct pairs of texts than this are explained in one process (a
#: pool costs more); the neighbour search uses workers only when it has
#: several chunks.
PARALLEL_MIN_PAIRS = 10_000


def _gram_index(a: str, min_len: int) -> dict[str, list[int]]:
    """Positions of every ``min_len``-gram of ``a`` that does not contain ``SEP``."""
    pos: dict[str, list[int]] = {}
    for i in range(len(a) - min_len + 1):
        g = a[i : i + min_len]
        if SEP in g:
            continue
        hit = pos.get(g)
        if hit is None:
            pos[g] = [i]
        else:
            hit.append(i)
    return pos


def shared_spans(
    a: str, b: str, min_len: int = 4, max_spans: int = 3, *, index: dict[str, list[int]] | None = None
) -> list[str]:
    """Longest common substrings of ``a`` and ``b``, longest first, not overlapping.

    Every common substring of at least ``min_len`` characters starts with a
    shared ``min_len``-gram, so one pass over b finds each maximal run (a
    run found at (i, j) is extended character by character, and later
    positions of the same diagonal are skipped). Runs are then taken
    greedily, longest first; a run that overlaps one already taken (in a or
    in b) is cut to its free parts. Unlike a diff, this finds shared clauses
    in any order. ``SEP`` is never part of a span; punctuation at either end
    is trimmed. ``index`` is ``_gram_index(a, min_len)`` when the caller
    compares ``a`` with many texts.

    >>> shared_spans("加强执法合作，并开展联合侦查", "开展联合侦查以及执法合作")
    ['开展联合侦查', '执法合作']
    >>> shared_spans("培训法官", "培训检察官")
    []
    """
    la, lb = len(a), len(b)
    if la < min_len or lb < min_len:
        return []
    pos = index if index is not None else _gram_index(a, min_len)
    if not pos:
        return []
    runs: list[tuple[int, int, int]] = []  # (-length, i0, j0)
    covered: dict[int, int] = {}  # diagonal -> last j already inside a run
    get = pos.get
    for j in range(lb - min_len + 1):
        hits = get(b[j : j + min_len])
        if hits is None:
            continue
        for i in hits:
            d = i - j
            if covered.get(d, -1) >= j:
                continue
            end = min_len
            while i + end < la and j + end < lb and a[i + end] == b[j + end] and a[i + end] != SEP:
                end += 1
            runs.append((-end, i, j))
            covered[d] = j + end - min_len
    if not runs:
        return []
    # Longest first; a run that overlaps one already taken is cut to its free
    # parts, which go back in the queue if still long enough.
    heapq.heapify(runs)
    used_a = bytearray(la)
    used_b = bytearray(lb)
    out: list[str] = []
    while runs and len(out) < max_spans:
        neg, i0, j0 = heapq.heappop(runs)
        length = -neg
        if any(used_a[i0 : i0 + length]) or any(used_b[j0 : j0 + length]):
            k = 0
            while k < length:
                if used_a[i0 + k] or used_b[j0 + k]:
                    k += 1
                    continue
                start = k
                while k < length and not used_a[i0 + k] and not used_b[j0 + k]:
                    k += 1
                if k - start >= min_len:
                    heapq.heappush(runs, (-(k - start), i0 + start, j0 + start))
            continue
        used_a[i0 : i0 + length] = b"\x01" * length
        used_b[j0 : j0 + length] = b"\x01" * length
        span = a[i0 : i0 + length].strip(SPAN_TRIM)
        if len(span) >= min_len and span not in out:
            out.append(span)
    return out


def _spans_shared(lo: int, hi: int):
    """The spans of pairs lo..hi as arrays, in a worker of ``compute_spans``'s pool."""
    return shared("spans").offsets(lo, hi)


#: The type of a column of lists of text (the terms and spans of pairs).
TEXT_LISTS = pa.list_(pa.string())


def text_lists(items: list[list[str]]) -> pa.ListArray:
    """Lists of text as one Arrow array.

    >>> text_lists([["各国", "合作"], []]).to_pylist()
    [['各国', '合作'], []]
    """
    return pa.array(items, type=TEXT_LISTS)


def all_spans(stripped: list[str], a: np.ndarray, b: np.ndarray, settings: OverlapSettings,
              memo: OverlapMemo | None = None) -> pa.ListArray:
    """shared_spans for every pair, as one Arrow array (those in ``memo`` are
    taken from its array, the others computed); the memo then holds these
    pairs. ``a * len(stripped) + b`` is sorted.

    Arrow, not Python lists: the overlap table carries them so (half a
    million lists of passages on a large corpus, which the writer, the
    cache and the memo would each convert again), and the memo's are
    taken, not copied into Python objects."""
    if memo is None or memo.span_params != (settings.min_span, settings.max_spans):
        return compute_spans(stripped, a, b, settings)
    found, where = memo.spans_of(stripped, a, b)
    todo = np.flatnonzero(~found)
    added = compute_spans(stripped, a[todo], b[todo], settings) if len(todo) else None
    if found.any():
        out = memo.span_lists.take(pa.array(where[found]))
        if added is not None:
            order = np.argsort(np.concatenate([np.flatnonzero(found), todo]), kind="stable")
            out = pa.concat_arrays([out.cast(TEXT_LISTS), added]).take(pa.array(order))
    else:
        out = added if added is not None else text_lists([])
    logger.info("shared spans: %d pairs of texts, %d from the memo", len(a), int(found.sum()))
    memo.span_texts = list(stripped)
    memo.span_keys = np.asarray(a, dtype=np.int64) * len(stripped) + np.asarray(b, dtype=np.int64)
    memo.span_lists = out
    return out


def compute_spans(stripped: list[str], a: np.ndarray, b: np.ndarray, settings: OverlapSettings) -> pa.ListArray:
    """shared_spans for every pair (``spans``), as one Arrow array. With
    workers, the texts are laid out once before the fork and each worker
    sends back arrays."""
    search = SpanSearch(stripped, a, b, settings.min_span, settings.max_spans, SEP, SPAN_TRIM)
    jobs = settings.jobs if len(search) >= PARALLEL_MIN_PAIRS else 1
    with forked_pool(jobs, spans=search) as pool:  # the workers inherit the laid-out texts
        if pool is None:
            offsets = search.offsets()
        else:
            bounds = np.linspace(0, len(search), jobs * 2 + 1).astype(int).tolist()
            parts = pool.starmap(_spans_shared, list(zip(bounds[:-1], bounds[1:])))
            offsets = tuple(np.concatenate([part[i] for part in parts]) for i in range(3))
    return search.arrow(*offsets, one_pair=shared_spans)


def by_row_then_descending(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.lexsort((-values, rows))``: stable, by row, largest value first.

    For non-negative float32 values (the weights here) one stable sort of a
    64-bit key (row, then the value's bits, which order such floats)
    does it: a tenth of lexsort's time on 8M entries of half a million pairs.
    """
    if values.dtype != np.float32 or len(rows) == 0 or rows.max() >= 2**31 or (values < 0).any():
        return np.lexsort((-values, rows))
    key = (rows.astype(np.uint64) << np.uint64(32)) | (np.uint64(0xFFFFFFFF) - values.view(np.uint32).astype(np.uint64))
    return np.argsort(key, kind="stable")


#: Pairs whose shared terms are computed together (a batch's row copies bound the memory).
TERMS_PAIRS = 100_000


def shared_terms(X_tok: sp.csr_matrix, terms: np.ndarray, a: np.ndarray, b: np.ndarray, top: int) -> pa.ListArray:
    """For each pair, the shared tokens with the largest contribution to the
    token cosine, as one Arrow array of lists (see ``all_spans``).

    Ties are broken by the term (the vocabulary is sorted, so by column).
    """
    if X_tok.shape[1] == 0 or len(a) == 0:
        return text_lists([[] for _ in range(len(a))])
    if len(a) > TERMS_PAIRS:  # a batch at a time: the row copies of 500k pairs took 400 MB at once
        return pa.concat_arrays([shared_terms(X_tok, terms, a[lo:lo + TERMS_PAIRS], b[lo:lo + TERMS_PAIRS], top)
                                 for lo in range(0, len(a), TERMS_PAIRS)])
    prod = X_tok[a].multiply(X_tok[b]).tocsr()
    prod.eliminate_zeros()
    prod.sort_indices()
    counts = np.diff(prod.indptr)
    rows = np.repeat(np.arange(prod.shape[0]), counts)
    # By row, then contribution; the sort is stable, so equal contributions
    # keep the column (term) order they have within the row.
    order = by_row_then_descending(rows, prod.data)
    # Position of each entry within its row, once sorted.
    within = np.arange(len(order)) - np.repeat(prod.indptr[:-1], counts)
    keep = order[within < top]
    kept_rows = rows[keep]
    names = pa.array(terms[prod.indices[keep]], type=pa.string())
    bounds = np.searchsorted(kept_rows, np.arange(prod.shape[0] + 1)).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(bounds), names)
