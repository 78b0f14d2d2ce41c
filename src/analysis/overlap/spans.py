"""Shared spans of many pairs of texts at once, with numpy.

Contract
--------
``many_shared_spans(texts, a, b, min_len, max_spans, sep, trim, one_pair)``
returns, for every k, the list ``one_pair(texts[a[k]], texts[b[k]], min_len,
max_spans)`` where ``one_pair`` is ``analysis.overlap.shared_spans`` (the
definition, in plain Python, one pair at a time): the same spans, in the
same order, for every pair. ``sep`` is the character no span may contain
and ``trim`` the characters stripped from the ends of a reported span.

Why it is built this way
------------------------
On a corpus whose recommendations differ, the overlap stage explains half
a million pairs of texts; ``shared_spans`` costs about 70 µs a pair in
Python (a dictionary look-up per position), which was most of the stage.
Here the same steps are done on arrays, for all pairs of a batch at once:

1. every text is laid into one buffer of code points, texts separated by
   ``sep`` (which stops a span anyway), each character given a small id and
   each position the id of the ``min_len``-gram starting there (positions
   whose gram holds ``sep`` have none);
2. a sparse matrix (text x gram -> first position) and a chain of later
   positions of the same gram in the same text answer "where in text a is
   the gram at position j of text b" for every position of every b at once
   (scipy looks each up by binary search within the row, in C);
3. a match (i, j) whose preceding characters also match lies inside a run
   that starts earlier on the same diagonal, so the runs are the matches
   whose preceding characters differ, extended by comparing four characters
   at a time: these are exactly the maximal runs ``shared_spans`` finds;
4. the greedy choice (longest run first, ties by position in a then in b; a
   run overlapping one already taken is cut to its free parts, which go back
   into the queue) is played for all pairs in rounds, one pop per pair per
   round. ``shared_spans``'s heap pops stale entries first and re-queues
   their free parts, which amounts to popping, at each step, the smallest
   (-length, i, j) of the free segments: that is what a round does. The
   few pairs still undecided after ``MAX_ROUNDS`` rounds (texts that repeat
   one phrase many times over) are handed to ``one_pair``.

The equivalence is tested on random and real texts against ``one_pair``
(tests/test_overlap.py), and on whole benchmark corpora
(benchmarks/compare_overlap.py).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

#: Rounds of the greedy choice played on arrays; pairs that need more are
#: explained one by one (``one_pair``).
MAX_ROUNDS = 48
#: Look-ups (positions of the b texts) per batch: bounds the batch's arrays.
BATCH_LOOKUPS = 2_000_000


class _Buffer:
    """The texts laid end to end, ``sep`` before, between and after them."""

    def __init__(self, texts: Sequence[str], min_len: int, sep: str, trim: str):
        self.texts = texts
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        self.start = np.ones(len(texts), dtype=np.int64)
        self.start[1:] += np.cumsum(lengths + 1)[:-1]
        self.length = lengths
        pad = min_len + 4
        joined = sep + sep.join(texts) + sep * pad
        self.joined = joined
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.cp = cp
        self.stop = cp == ord(sep)
        uniq, ids = np.unique(cp, return_inverse=True)
        self.ids = ids.astype(np.int32)
        self.k = len(uniq)
        # Distance from each position to the next stop (sep) at or after it.
        n = len(cp)
        stops = np.flatnonzero(self.stop)
        nxt = stops[np.searchsorted(stops, np.arange(n))]
        self.to_stop = (nxt - np.arange(n)).astype(np.int32)
        # Trimming a reported span: next / previous position not in ``trim``.
        keep = ~np.isin(cp, np.array([ord(c) for c in set(trim)], dtype=np.uint32))
        kept = np.concatenate([[-1], np.flatnonzero(keep), [n]])  # with bounds on either side
        pos = np.arange(n)
        self.next_kept = kept[np.searchsorted(kept, pos)].astype(np.int32)
        self.prev_kept = kept[np.searchsorted(kept, pos, side="right") - 1].astype(np.int32)
        del kept, pos, keep, stops, nxt
        # Four characters per word, to extend runs four at a time.
        self.words = None
        if self.k <= 1 << 16:
            ids16 = np.concatenate([self.ids, np.zeros(4, dtype=np.int32)]).astype(np.uint64)
            self.words = (ids16[:n] | (ids16[1:n + 1] << np.uint64(16)) | (ids16[2:n + 2] << np.uint64(32))
                          | (ids16[3:n + 3] << np.uint64(48)))
        self._grams(min_len)

    def _grams(self, w: int) -> None:
        """Gram id at every position (-1: the gram holds a stop), and the look-up matrix."""
        n = len(self.cp)
        last = n - w + 1
        stops_before = np.concatenate([[0], np.cumsum(self.stop)])
        valid = np.zeros(n, dtype=bool)
        valid[:last] = stops_before[w:w + last] == stops_before[:last]
        pos = np.flatnonzero(valid)
        gram = self.ids[pos].astype(np.int64)
        if self.k ** w < 2**62:  # exact packing of w character ids
            for k in range(1, w):
                gram = gram * self.k + self.ids[pos + k]
            gram = _dense(gram)
        else:  # one character more at a time, renumbered each time (exact)
            for k in range(1, w):
                gram = _dense(gram * self.k + self.ids[pos + k])
        n_grams = int(gram.max()) + 1 if len(gram) else 1
        # Text of each valid position; positions grouped by text, ascending.
        text_of = np.searchsorted(self.start, pos, side="right") - 1
        order = np.lexsort((pos, gram, text_of))
        t_s, g_s, p_s = text_of[order], gram[order], pos[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (t_s[1:] != t_s[:-1]) | (g_s[1:] != g_s[:-1])
        # Later positions of the same gram in the same text, in order.
        self.next_same = np.full(n, -1, dtype=np.int32)
        later = np.flatnonzero(~first)
        self.next_same[p_s[later - 1]] = p_s[later]
        # Text x gram -> 1 + first position, negative when the gram comes
        # back later in the text (then ``next_same`` lists the others).
        repeats = np.zeros(len(order), dtype=bool)
        repeats[later - 1] = True
        value = np.where(repeats, -(p_s + 1), p_s + 1)[first].astype(np.int32)
        self.lookup = sp.csr_array((value, (t_s[first], g_s[first])), shape=(len(self.texts), n_grams))
        self.lookup.sort_indices()
        idx = self.lookup.indices.dtype
        # Valid positions of each text (CSR) and their grams.
        self.vpos = pos.astype(np.int32)
        self.vgram = gram.astype(idx)
        self.vptr = np.searchsorted(text_of, np.arange(len(self.texts) + 1))
        # Character ids with the stops told apart on the two sides: a stop never matches.
        self.id_a = np.where(self.stop, -1, self.ids).astype(np.int32)
        self.id_b = np.where(self.stop, -2, self.ids).astype(np.int32)


def _dense(keys: np.ndarray) -> np.ndarray:
    """Keys renumbered 0..d-1 (same key, same number)."""
    _, inv = np.unique(keys, return_inverse=True)
    return inv.astype(np.int64)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, rank): for each of ``counts.sum()`` items, which count it belongs to and its rank there."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, rank


def _runs(buf: _Buffer, a: np.ndarray, b: np.ndarray, w: int):
    """Maximal runs of every pair: (pair, buffer position in a, in b, length)."""
    cnt = buf.vptr[b + 1] - buf.vptr[b]
    total = int(cnt.sum())
    q = np.repeat(np.arange(len(a), dtype=np.int32), cnt)
    # Index into the valid positions: each pair's b, in order.
    at = np.arange(total, dtype=np.int64) + np.repeat(buf.vptr[b] - (np.cumsum(cnt) - cnt), cnt)
    if not total:
        return q, q, q, q
    idx = buf.lookup.indices.dtype
    hit = buf.lookup[np.repeat(a.astype(idx), cnt), buf.vgram[at]]
    found = np.flatnonzero(hit)
    q, y, hit = q[found], buf.vpos[at[found]], hit[found]
    x = np.abs(hit) - 1
    rep = np.flatnonzero(hit < 0)
    if len(rep):  # the other positions of grams that come back in a
        pq, py, px = [q], [y], [x]
        q2, y2, x2 = q[rep], y[rep], x[rep]
        while len(x2):
            x2 = buf.next_same[x2]
            more = x2 >= 0
            q2, y2, x2 = q2[more], y2[more], x2[more]
            pq.append(q2), py.append(y2), px.append(x2)
        q, y, x = np.concatenate(pq), np.concatenate(py), np.concatenate(px)
    # A run starts where the characters before do not match (or are a stop).
    starts = np.flatnonzero(buf.id_a[x - 1] != buf.id_b[y - 1])
    q, x, y = q[starts].astype(np.int64), x[starts].astype(np.int64), y[starts].astype(np.int64)
    return q, x, y, _extend(buf, x, y, w)


def _extend(buf: _Buffer, x: np.ndarray, y: np.ndarray, w: int) -> np.ndarray:
    """Length of the match starting at (x, y), the first ``w`` characters known
    to match, up to the first stop (a stop never matches)."""
    cap = buf.to_stop[x]
    length = np.full(len(x), w, dtype=np.int64)
    act = np.flatnonzero(length < cap)
    if buf.words is not None:
        while len(act):
            k = length[act]
            wx, wy = buf.words[x[act] + k], buf.words[y[act] + k]
            same = wx == wy
            diff = act[~same]
            d = wx[~same] ^ wy[~same]
            m16 = np.uint64(0xFFFF)
            e0 = (d & m16) == 0
            e1 = e0 & (((d >> np.uint64(16)) & m16) == 0)
            e2 = e1 & (((d >> np.uint64(32)) & m16) == 0)
            length[diff] += e0.astype(np.int64) + e1 + e2
            act = act[same]
            length[act] += 4
            act = act[length[act] < cap[act]]
    else:
        while len(act):
            k = length[act]
            same = buf.ids[x[act] + k] == buf.ids[y[act] + k]
            act = act[same]
            length[act] += 1
            act = act[length[act] < cap[act]]
    return np.minimum(length, cap)


class SpanSearch:
    """Pairs ``(a[k], b[k])`` of ``texts``, laid out once for their shared spans.

    ``offsets(lo, hi)`` computes the spans of pairs lo..hi as arrays (cheap
    to send back from a worker process; workers forked after the layout
    share it), ``lists`` turns them into the lists of strings.
    """

    def __init__(self, texts: Sequence[str], a: Sequence[int], b: Sequence[int], min_len: int, max_spans: int,
                 sep: str, trim: str):
        self.texts = texts
        self.a = np.asarray(a, dtype=np.int64)
        self.b = np.asarray(b, dtype=np.int64)
        self.min_len, self.max_spans = min_len, max_spans
        self.buf = None
        if len(self.a) and max_spans > 0:
            # Only the texts the pairs name go into the buffer.
            used, inv = np.unique(np.concatenate([self.a, self.b]), return_inverse=True)
            self.buf = _Buffer([texts[int(t)] for t in used], min_len, sep, trim)
            self.la, self.lb = inv[:len(self.a)], inv[len(self.a):]

    def __len__(self) -> int:
        return len(self.a)

    def offsets(self, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(count, start, length): pair lo + k has ``count[k]`` spans (-1: left to
        the one-pair definition), whose buffer starts and lengths follow each
        other in ``start`` and ``length``."""
        hi = len(self.a) if hi is None else hi
        if self.buf is None or hi <= lo:
            return np.zeros(max(hi - lo, 0), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        buf = self.buf
        la, lb = self.la[lo:hi], self.lb[lo:hi]
        cost = np.cumsum(buf.vptr[lb + 1] - buf.vptr[lb])
        parts = []
        k, n = 0, hi - lo
        while k < n:
            stop = int(np.searchsorted(cost, (cost[k - 1] if k else 0) + BATCH_LOOKUPS, side="right"))
            stop = min(max(stop, k + 1), n)
            parts.append(_batch(buf, la[k:stop], lb[k:stop], self.min_len, self.max_spans))
            k = stop
        return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))  # type: ignore[return-value]

    def lists(self, count: np.ndarray, start: np.ndarray, length: np.ndarray,
              one_pair: Callable[[str, str, int, int], list[str]]) -> list[list[str]]:
        """The spans of all pairs as lists of strings, from ``offsets()``."""
        joined = self.buf.joined if self.buf is not None else ""
        spans = [joined[s:s + n] for s, n in zip(start.tolist(), length.tolist())]
        bounds = np.concatenate([[0], np.cumsum(np.maximum(count, 0))]).tolist()
        out = [spans[bounds[k]:bounds[k + 1]] for k in range(len(count))]
        for k in np.flatnonzero(count < 0).tolist():  # undecided after MAX_ROUNDS rounds
            out[k] = one_pair(self.texts[int(self.a[k])], self.texts[int(self.b[k])], self.min_len, self.max_spans)
        return out

    def arrow(self, count: np.ndarray, start: np.ndarray, length: np.ndarray,
              one_pair: Callable[[str, str, int, int], list[str]]):
        """The spans of all pairs as one Arrow array of lists of strings (the
        ``lists`` as one array), from ``offsets()``. The text of the spans is
        gathered from the buffer's UTF-8 bytes with numpy, a batch at a
        time: no Python string per span and no list per pair (on half a
        million pairs the lists, then their conversion, held 700 MB)."""
        import pyarrow as pa

        count = np.asarray(count, dtype=np.int64)
        joined = self.buf.joined if self.buf is not None else ""
        utf8 = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        # byte offset of every character of the buffer (and of its end)
        cp = self.buf.cp if self.buf is not None else np.zeros(0, dtype=np.uint32)
        char_bytes = 1 + (cp >= 0x80) + (cp >= 0x800) + (cp >= 0x10000)
        at = np.zeros(len(cp) + 1, dtype=np.int64)
        np.cumsum(char_bytes, out=at[1:])
        first = at[start]
        sizes = at[start + length] - first
        bounds = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=bounds[1:])
        if bounds[-1] >= 2**31:  # beyond a string array's offsets: as Python lists
            return pa.array(self.lists(count, start, length, one_pair), type=pa.list_(pa.string()))
        data = np.empty(int(bounds[-1]), dtype=np.uint8)
        k = 0
        while k < len(sizes):  # batches of about 8 MB of text
            stop = min(len(sizes), max(k + 1, int(np.searchsorted(bounds, bounds[k] + (1 << 23), side="right")) - 1))
            n = int(bounds[stop] - bounds[k])
            if n:
                rel = np.repeat(first[k:stop] - (bounds[k:stop] - bounds[k]), sizes[k:stop])
                data[bounds[k]:bounds[stop]] = utf8[rel + np.arange(n)]
            k = stop
        values = pa.StringArray.from_buffers(len(sizes), pa.py_buffer(bounds.astype(np.int32)), pa.py_buffer(data))
        offsets = np.zeros(len(count) + 1, dtype=np.int32)
        np.cumsum(np.maximum(count, 0), out=offsets[1:])
        out = pa.ListArray.from_arrays(pa.array(offsets), values)
        undecided = np.flatnonzero(count < 0)  # undecided after MAX_ROUNDS rounds: the one-pair definition
        if len(undecided):
            found = pa.array([one_pair(self.texts[int(self.a[k])], self.texts[int(self.b[k])], self.min_len,
                                       self.max_spans) for k in undecided.tolist()], type=out.type)
            where = np.arange(len(count), dtype=np.int64)
            where[undecided] = len(count) + np.arange(len(undecided))
            out = pa.concat_arrays([out, found]).take(pa.array(where))
        return out


def many_shared_spans(
    texts: Sequence[str],
    a: Sequence[int],
    b: Sequence[int],
    min_len: int,
    max_spans: int,
    sep: str,
    trim: str,
    one_pair: Callable[[str, str, int, int], list[str]],
) -> list[list[str]]:
    """``[one_pair(texts[i], texts[j], min_len, max_spans) for i, j in zip(a, b)]``, on arrays."""
    search = SpanSearch(texts, a, b, min_len, max_spans, sep, trim)
    return search.lists(*search.offsets(), one_pair=one_pair)


def _batch(buf: _Buffer, a: np.ndarray, b: np.ndarray, w: int, max_spans: int):
    """(count, start, length) of the spans of one batch of pairs (see ``SpanSearch.offsets``)."""
    n = len(a)
    q, x, y, length = _runs(buf, a, b, w)
    xa, yb = buf.start[a], buf.start[b]
    ri, rj = x - xa[q], y - yb[q]  # positions within a and within b
    bits = max(int(buf.length.max()).bit_length(), 1) + 1
    if 3 * bits > 62:  # texts of half a million characters: keys would not fit
        return np.full(n, -1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    big = np.int64(1) << np.int64(bits)
    key = ((big - length) << np.int64(2 * bits)) | (ri << np.int64(bits)) | rj  # order of (-length, i, j)
    order = np.lexsort((key, q))
    q, key, length, ri, rj = q[order], key[order], length[order], ri[order], rj[order]
    ptr = np.searchsorted(q, np.arange(n))
    end = np.searchsorted(q, np.arange(n), side="right")

    n_out = np.zeros(n, dtype=np.int64)
    out_s = np.zeros((n, max_spans), dtype=np.int64)  # buffer start of each kept span
    out_l = np.zeros((n, max_spans), dtype=np.int64)
    width = 4
    n_taken = np.zeros(n, dtype=np.int64)
    t_i = np.zeros((n, width), dtype=np.int64)
    t_j = np.zeros((n, width), dtype=np.int64)
    t_l = np.zeros((n, width), dtype=np.int64)
    # Free parts of cut runs, waiting in the queue.
    pp = np.zeros(0, dtype=np.int64)
    pk = pl = pi = pj = pp
    inf = np.iinfo(np.int64).max
    rounds = 0
    while True:
        if len(pp):  # parts of pairs that have all their spans are dropped
            live = n_out[pp] < max_spans
            pp, pk, pl, pi, pj = pp[live], pk[live], pl[live], pi[live], pj[live]
        has_part = np.zeros(n, dtype=bool)
        has_part[pp] = True
        act = np.flatnonzero(((ptr < end) | has_part) & (n_out < max_spans))
        if not len(act):
            break
        if rounds == MAX_ROUNDS:  # left to the one-pair definition
            n_out[act] = -1
            break
        rounds += 1
        # The smallest key of each active pair: its next run, or a waiting part.
        k_run = np.where(ptr[act] < end[act], key[np.minimum(ptr[act], len(key) - 1)] if len(key) else inf, inf)
        k_part = np.full(len(act), inf, dtype=np.int64)
        part_at = np.full(len(act), -1, dtype=np.int64)
        if len(pp):
            o = np.lexsort((pk, pp))
            first = o[np.concatenate([[True], pp[o][1:] != pp[o][:-1]])]
            slot = np.searchsorted(act, pp[first])  # a pair with a part is active
            k_part[slot] = pk[first]
            part_at[slot] = first
        from_part = k_part < k_run
        c_l = np.empty(len(act), dtype=np.int64)
        c_i = np.empty(len(act), dtype=np.int64)
        c_j = np.empty(len(act), dtype=np.int64)
        fr = np.flatnonzero(~from_part)
        at = ptr[act[fr]]
        c_l[fr], c_i[fr], c_j[fr] = length[at], ri[at], rj[at]
        ptr[act[fr]] += 1
        fp = np.flatnonzero(from_part)
        at = part_at[fp]
        c_l[fp], c_i[fp], c_j[fp] = pl[at], pi[at], pj[at]
        if len(fp):
            keep = np.ones(len(pp), dtype=bool)
            keep[at] = False
            pp, pk, pl, pi, pj = pp[keep], pk[keep], pl[keep], pi[keep], pj[keep]
        # Does the candidate overlap a run already taken, in a or in b?
        nt = n_taken[act]
        wmax = int(nt.max()) if len(nt) else 0
        valid = np.arange(wmax)[None, :] < nt[:, None]
        ti, tj, tl = t_i[act, :wmax], t_j[act, :wmax], t_l[act, :wmax]
        over_a = valid & (ti < (c_i + c_l)[:, None]) & (c_i[:, None] < ti + tl)
        over_b = valid & (tj < (c_j + c_l)[:, None]) & (c_j[:, None] < tj + tl)
        clash = (over_a | over_b).any(axis=1)
        # Free candidates are taken ...
        take = np.flatnonzero(~clash)
        if len(take):
            p = act[take]
            if int(n_taken[p].max()) >= width:
                grow = width
                t_i, t_j, t_l = (np.hstack([t, np.zeros((n, grow), dtype=np.int64)]) for t in (t_i, t_j, t_l))
                width += grow
            col = n_taken[p]
            t_i[p, col], t_j[p, col], t_l[p, col] = c_i[take], c_j[take], c_l[take]
            n_taken[p] += 1
            first_char = xa[p] + c_i[take]
            last_char = first_char + c_l[take] - 1
            s = buf.next_kept[first_char]
            e = buf.prev_kept[last_char] + 1
            slen = np.where(s <= last_char, e - s, 0)
            ok = slen >= w
            # ... and reported unless trimmed too short or already reported
            # (texts are compared only when the lengths are equal).
            same_len = ((out_l[p] == slen[:, None]) & (np.arange(max_spans)[None, :] < n_out[p][:, None])).any(axis=1)
            for k in np.flatnonzero(ok & same_len):
                pk_ = int(p[k])
                text = buf.joined[s[k]:s[k] + slen[k]]
                if any(out_l[pk_, m] == slen[k] and buf.joined[out_s[pk_, m]:out_s[pk_, m] + slen[k]] == text
                       for m in range(n_out[pk_])):
                    ok[k] = False
            p, s, slen = p[ok], s[ok], slen[ok]
            out_s[p, n_out[p]] = s
            out_l[p, n_out[p]] = slen
            n_out[p] += 1
        # ... the others are cut to their free parts, which wait in the queue.
        cut = np.flatnonzero(clash)
        if len(cut):
            parts = _free_parts(c_l[cut], c_i[cut], c_j[cut], ti[cut], tj[cut], tl[cut], valid[cut], w)
            owner, g_lo, g_len = parts
            if len(owner):
                p = act[cut][owner]
                n_i, n_j = c_i[cut][owner] + g_lo, c_j[cut][owner] + g_lo
                n_k = ((big - g_len) << np.int64(2 * bits)) | (n_i << np.int64(bits)) | n_j
                pp, pk, pl = np.concatenate([pp, p]), np.concatenate([pk, n_k]), np.concatenate([pl, g_len])
                pi, pj = np.concatenate([pi, n_i]), np.concatenate([pj, n_j])
    kept = np.arange(max_spans)[None, :] < n_out[:, None]
    return n_out, out_s[kept], out_l[kept]


def _free_parts(c_l, c_i, c_j, ti, tj, tl, valid, w):
    """Free parts (at least ``w`` long) of each cut candidate: (candidate, offset, length)."""
    n, wmax = ti.shape
    # Blocked offsets of candidate c: [t - c, t + l - c) for each taken run, in a and in b.
    lo = np.concatenate([ti - c_i[:, None], tj - c_j[:, None]], axis=1)
    hi = lo + np.concatenate([tl, tl], axis=1)
    ok = np.concatenate([valid, valid], axis=1)
    lo = np.clip(lo, 0, c_l[:, None])
    hi = np.clip(hi, 0, c_l[:, None])
    ok &= lo < hi
    owner, col = np.nonzero(ok)
    blo, bhi = lo[owner, col], hi[owner, col]
    o = np.lexsort((blo, owner))
    owner, blo, bhi = owner[o], blo[o], bhi[o]
    span = np.int64(int(c_l.max()) + 2)
    cover = np.maximum.accumulate(bhi + owner * span) - owner * span  # covered up to, within the candidate
    new_owner = np.concatenate([[True], owner[1:] != owner[:-1]])
    prev = np.where(new_owner, 0, np.concatenate([[0], cover[:-1]]))
    gaps_owner = [owner, owner[np.concatenate([new_owner[1:], [True]])]]
    gaps_lo = [prev, cover[np.concatenate([new_owner[1:], [True]])]]
    gaps_hi = [blo, c_l[gaps_owner[1]]]
    g_owner = np.concatenate(gaps_owner)
    g_lo = np.concatenate(gaps_lo)
    g_len = np.concatenate(gaps_hi) - g_lo
    keep = g_len >= w
    g_owner, g_lo, g_len = g_owner[keep], g_lo[keep], g_len[keep]
    o = np.lexsort((g_lo, g_owner))
    return g_owner[o], g_lo[o], g_len[o]
