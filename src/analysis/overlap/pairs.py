"""The ``overlap`` table: pairs of recommendations, their similarity, ranks and explanations.

Contract: ``overlap_pairs(recs, settings, tokens=, memo=)`` is the stage's
first half, as ``analysis.overlap``'s docstring states it: features of the
distinct stripped texts (``features``), their nearest neighbours expanded
to rows (``search``), then one row per unordered pair with the shared
terms and spans of its two texts (``explain``).

Why here: this is where the parts meet; each of them works on distinct
texts, and this module turns their results into rows, computing terms and
spans once per distinct pair of texts and broadcasting them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from .explain import all_spans, shared_terms
from .features import TokenFn, text_features
from .memo import OverlapMemo
from .search import neighbours
from .settings import OverlapSettings
from .. import tables

logger = logging.getLogger(__name__)

OVERLAP_COLUMNS = tables.OVERLAP.names  # the contract is analysis.tables'


def check_recs(recs: pd.DataFrame) -> None:
    """Refuse a recommendations table without ``rec_id``, ``resolution`` and
    ``text``, or with a ``rec_id`` twice (ValueError)."""
    missing = [c for c in ("rec_id", "resolution", "text") if c not in recs.columns]
    if missing:
        raise ValueError(f"overlap: recommendations table lacks column(s) {', '.join(missing)}")
    if recs["rec_id"].duplicated().any():
        dup = recs.loc[recs["rec_id"].duplicated(), "rec_id"].iloc[0]
        raise ValueError(f"overlap: rec_id {dup!r} occurs more than once")


def empty_overlap() -> pd.DataFrame:
    """The ``overlap`` table with no row: its columns, with their dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in OVERLAP_COLUMNS})
    df["similarity"] = df["similarity"].astype(float)
    df["same_resolution"] = df["same_resolution"].astype(bool)
    df["rank_a"] = df["rank_a"].astype("Int64")
    df["rank_b"] = df["rank_b"].astype("Int64")
    return df


def overlap_pairs(
    recs: pd.DataFrame,
    settings: OverlapSettings | None = None,
    *,
    tokens: TokenFn | None = None,
    memo: OverlapMemo | None = None,
) -> pd.DataFrame:
    """The ``overlap`` table for ``recs`` (see ``analysis.overlap``'s docstring).

    ``tokens`` maps a text to its content tokens; by default
    ``analysis.tokenise.get_tokeniser(backend=...).tokens`` with the backend
    of ``settings.tokeniser_backend``. ``memo`` (an ``OverlapMemo``) supplies
    what an earlier run computed (shared spans, the neighbour search) and
    takes this run's.
    """
    settings = settings or OverlapSettings()
    check_recs(recs)
    n = len(recs)
    if n < 2:
        logger.info("overlap: %d recommendation(s), no pair to compare", n)
        return empty_overlap()
    rec_ids = recs["rec_id"].astype(str).to_numpy()
    resolutions = recs["resolution"].astype(str).to_numpy()
    feats = text_features(recs["text"].fillna("").astype(str).tolist(), settings, tokens, memo)

    edges = neighbours(feats.X, settings, feats.inverse, feats.stripped, memo)
    if edges.empty:
        logger.info("overlap: no pair of %d recommendations shares a feature", n)
        return empty_overlap()
    # Unordered pairs (a is the earlier of the two in the input order), each
    # with the rank it has in a's list and in b's (<NA> when not listed there).
    i, j = edges["i"].to_numpy(np.int64), edges["j"].to_numpy(np.int64)
    a_all, b_all = np.minimum(i, j), np.maximum(i, j)
    keys, at = np.unique(a_all * n + b_all, return_inverse=True)
    a, b = keys // n, keys % n
    fwd = i == a_all
    rank = edges["rank"].to_numpy(np.int64)
    rank_a = np.zeros(len(keys), dtype=np.int64)
    rank_b = np.zeros(len(keys), dtype=np.int64)
    listed_a = np.zeros(len(keys), dtype=bool)
    listed_b = np.zeros(len(keys), dtype=bool)
    rank_a[at[fwd]], listed_a[at[fwd]] = rank[fwd], True
    rank_b[at[~fwd]], listed_b[at[~fwd]] = rank[~fwd], True
    # Both directions carry the same value (each pair is computed once).
    sim = np.empty(len(keys), dtype=np.float64)
    sim[at[~fwd]] = edges["sim"].to_numpy(np.float64)[~fwd]
    sim[at[fwd]] = edges["sim"].to_numpy(np.float64)[fwd]
    sim = np.clip(sim, 0.0, 1.0).round(4)
    # Terms and spans depend on the two stripped texts only: computed once per
    # distinct (text of a, text of b), in that direction, then broadcast.
    m = len(feats.stripped)
    text_keys, key_of_pair = np.unique(feats.inverse[a] * m + feats.inverse[b], return_inverse=True)
    ka, kb = text_keys // m, text_keys % m
    terms = shared_terms(feats.X_tok, feats.terms, ka, kb, settings.max_terms)
    spans = all_spans(feats.stripped, ka, kb, settings, memo)
    logger.info("overlap: %d pairs explained from %d distinct pairs of texts", len(a), len(text_keys))

    # Most similar first, then by rec_id_a and rec_id_b as text; sorted on
    # integers (each rec_id's place among the sorted rec_ids).
    _, id_rank = np.unique(rec_ids, return_inverse=True)
    order = np.lexsort((id_rank[b], id_rank[a], -sim))
    a, b, key_of_pair = a[order], b[order], key_of_pair[order]
    ids = pa.array(rec_ids, type=pa.string())
    out = pd.DataFrame(
        {
            "rec_id_a": pd.array(ids.take(a), dtype="str"),
            "rec_id_b": pd.array(ids.take(b), dtype="str"),
            "similarity": sim[order],
            "same_resolution": resolutions[a] == resolutions[b],
            # Arrow lists (a cell reads as a Python list): the writer, the
            # stage's cache and the memo take them without converting half a
            # million Python lists, each in its own process.
            "shared_terms": pd.arrays.ArrowExtensionArray(terms.take(pa.array(key_of_pair))),
            "shared_spans": pd.arrays.ArrowExtensionArray(spans.take(pa.array(key_of_pair))),
            "rank_a": pd.arrays.IntegerArray(rank_a[order], ~listed_a[order]),
            "rank_b": pd.arrays.IntegerArray(rank_b[order], ~listed_b[order]),
        }
    )
    if memo is not None and memo.span_params == (settings.min_span, settings.max_spans):
        # The memo takes its spans from the table's column (one row per pair
        # of texts) when it is saved, instead of keeping a second copy.
        first = np.empty(len(text_keys), dtype=np.int64)
        first[key_of_pair[::-1]] = np.arange(len(key_of_pair) - 1, -1, -1)
        memo.take_spans_from(pa.array(out["shared_spans"]), first)
    n_above = int((out["similarity"] >= settings.threshold).sum())
    logger.info(
        "overlap: %d pairs kept for %d recommendations (%d at or above threshold %.2f, %d across resolutions)",
        len(out),
        n,
        n_above,
        settings.threshold,
        int((~out["same_resolution"]).sum()),
    )
    return out
