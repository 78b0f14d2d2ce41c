"""Overlap: which recommendations ask for the same action, and why we think so.

Contract
--------
``overlap_pairs(recs, settings) -> DataFrame`` takes the recommendations table
(``rec_id``, ``resolution``, ``text``; any other column is ignored) and returns
the ``overlap`` table, one row per unordered pair:

``rec_id_a, rec_id_b, similarity, same_resolution, shared_terms, shared_spans,
rank_a`` (+ ``rank_b``)

* ``rec_id_a`` comes before ``rec_id_b`` in the input order;
* ``similarity`` is in [0, 1]: ``w_tok * cos(tokens) + w_ngram * cos(char n-grams)``
  with the weights of ``settings.weights`` (normalised to sum to 1);
* a pair is kept when one of the two is among the other's ``top_k`` nearest
  neighbours, or when its similarity is at least ``threshold``; pairs with no
  shared feature at all (similarity 0) are never kept;
* ``rank_a`` is the rank (1 = nearest) of b among a's neighbours, ``rank_b``
  that of a among b's; <NA> when beyond a's top-k and below the threshold;
* ties: a row's candidates are ordered by similarity, then by input order
  (the earlier row first); this decides which of equally similar rows fill
  the last of the ``top_k`` / ``max_neighbours`` places and their ranks;
* recommendations whose stripped texts coincide (verbatim repeats, or texts
  that differ only in a stripped chapeau) are pairs like any other, with
  the similarity of a text with itself (1 unless it has no feature at all:
  then it pairs with nothing);
* ``shared_terms`` are the shared tokens that contribute most to the token
  cosine; ``shared_spans`` the longest common substrings (at least
  ``min_span`` characters) of the two texts once stock phrases are stripped,
  longest first, not overlapping each other. Both are Arrow list columns
  (``pd.ArrowDtype(list<string>)``; a cell reads as a Python list): half a
  million rows of them are written, cached and kept in the memo without
  making a Python object per row. Read back from the Parquet file they are
  lists, as every list column is.

``overlap_clusters(recs, pairs, settings) -> DataFrame`` groups the pairs at or
above ``cluster_threshold`` into clusters (``cluster_id, rec_id, cluster_label,
size`` + ``n_resolutions``), only clusters of two or more.

Why it is built this way
------------------------
Almost every recommendation opens with an actor and a modal (各国应考虑,
毒品和犯罪问题办公室不妨) and names the Convention; two items sharing only that
must not look alike. Two defences: the stock phrases of
``lexicon/stock_phrases.yaml`` are stripped (cut, not deleted, so no n-gram
or span bridges the gap), and every feature is weighted by inverse document
frequency with the most common ones pruned (``max_df``), which also catches
stock wording the file does not list. Tokens (from ``analysis.tokenise``) see
words whatever their order; character n-grams see paraphrases the tokeniser
segments differently and need no dictionary. Both are exact cosine scores, so
every score can be decomposed into the terms and spans that produced it.

Scale: corpora repeat recommendations verbatim from session to session, and
once stock phrases are stripped many more coincide. Everything the stage
computes depends on the stripped text only (features, similarities, shared
terms and spans), except document frequencies, which count recommendations.
So the stage works on the m distinct stripped texts: each is tokenised once,
its features are weighted with document frequencies that count every row
(a text's multiplicity), its nearest distinct texts are searched once, and
the rows are expanded from there; terms and spans are computed once per
distinct pair of texts. The output is the same as a row-by-row computation.

The similarity matrix is never built whole. Distinct texts are processed in
chunks whose dense block (chunk x m, float32) stays under
``settings.chunk_cells`` cells, and only the upper triangle is computed (the
matrix is symmetric); from each block every text keeps its best candidates
(top-k, or all above the threshold up to ``max_neighbours``) and the rest is
dropped. Memory is O(nnz(X) + chunk_cells + n * max_neighbours).

Speed, and why the results do not change: a block is computed as sparse x
dense (``search.similarity_block``), which takes every similarity's
float32 sum over the shared features in the same order as the sparse
product, so scores and ties are bit for bit those of ``X @ X.T``; a row
whose candidate list is full is offered only the entries at or above its
current worst (``search._update``), which can never change its best
``cap``. Shared spans are computed for all pairs at once on arrays
(``spans``), with ``shared_spans`` as the definition they are tested
against, pair by pair; ``benchmarks/compare_overlap.py`` compares whole
tables of two versions on the benchmark corpora.

Reruns: an ``OverlapMemo`` (kept by the pipeline between runs) supplies the
shared spans of pairs already explained and the last neighbour search; when
a few resolutions are added to a large corpus, only the new texts are
compared with all, and the old texts' lists are re-scored (see
``search.incremental_search`` for the one approximation this makes).
The memo is state, not a file: ``OverlapMemo.state()`` /
``OverlapMemo.from_state(state, settings)``; the pipeline stores it.

Parts
-----
Each submodule imports only those above it in this list:

* ``settings``: ``OverlapSettings``;
* ``stock``: the stock-phrase file and stripping (``SEP``);
* ``memo``: ``OverlapMemo``;
* ``features``: tokens, character n-grams, weights, distinct stripped texts;
* ``search``: the chunked nearest-neighbour search, full and incremental;
* ``spans`` and ``explain``: shared spans (on arrays, and the one-pair
  definition) and shared terms;
* ``pairs``: ``overlap_pairs``; ``clusters``: ``overlap_clusters``.

This package re-exports the public names; tuning constants
(``explain.PARALLEL_MIN_PAIRS``, ``search.INCREMENTAL_MIN_TEXTS`` …) live,
and are changed, in their submodule.
"""

from __future__ import annotations

from .clusters import CLUSTER_COLUMNS, as_list_cell, overlap_clusters
from .explain import shared_spans
from .features import TokenFn, char_ngrams, default_tokens, segment_tokens
from .memo import OverlapMemo
from .pairs import OVERLAP_COLUMNS, empty_overlap, overlap_pairs
from .search import chunk_rows
from .settings import OverlapSettings
from .stock import SEP, STOCK_PHRASES_FILE, StockPhrases, load_stock_phrases, strip_stock_phrases

__all__ = [
    "CLUSTER_COLUMNS",
    "OVERLAP_COLUMNS",
    "SEP",
    "STOCK_PHRASES_FILE",
    "OverlapMemo",
    "OverlapSettings",
    "StockPhrases",
    "TokenFn",
    "as_list_cell",
    "char_ngrams",
    "chunk_rows",
    "default_tokens",
    "empty_overlap",
    "load_stock_phrases",
    "overlap_clusters",
    "overlap_pairs",
    "segment_tokens",
    "shared_spans",
    "strip_stock_phrases",
]
