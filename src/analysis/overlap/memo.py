"""What the overlap stage keeps from one run to the next (``OverlapMemo``).

Contract: ``OverlapMemo(settings)`` is empty; ``overlap_pairs(..., memo=m)``
reads what it holds and leaves this run's in it. ``m.state()`` is a plain
picklable dict and ``OverlapMemo.from_state(state, settings)`` the memo
again (empty for None or a state that does not read; parts made with
other settings are left out). The memo neither pickles nor opens files:
the caller stores the state (the pipeline, in its cache, with
``analysis.engine.cache``).

Why: when a few resolutions are added to a large corpus, most of what the
stage computes is what the last run computed (see the class docstring).
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pyarrow as pa

from .settings import OverlapSettings

logger = logging.getLogger(__name__)


def _search_key(settings: OverlapSettings) -> tuple:
    """The settings a neighbour search depends on."""
    return (settings.top_k, settings.max_neighbours, settings.threshold, settings.ngram_range,
            tuple(settings.weights), settings.max_df, settings.min_docs_for_max_df, settings.stock_phrases,
            settings.tokeniser_backend)


class OverlapMemo:
    """What the overlap stage keeps from one run to the next.

    The memo neither pickles nor opens files: ``state()`` is a plain
    picklable dict, which the caller stores (the pipeline, in its cache),
    and ``OverlapMemo.from_state(state, settings)`` the memo again.

    * Shared spans of pairs of stripped texts: they depend on the two texts
      alone (and on ``min_span``/``max_spans``), so pairs explained before
      are not explained again (in a corpus of distinct texts that was most
      of the stage's time). Only the pairs of the last call are kept, by
      the numbers of their texts in ``span_texts`` (``span_keys``: sorted
      ``a * len(span_texts) + b``) with their spans as one Arrow list
      array: half a million pairs load and save in a fraction of a second,
      where a dictionary of string pairs and lists took seconds.
    * The last neighbour search (each distinct text's nearest texts), so
      that a run adding a few resolutions to a large corpus searches the
      new texts against all and re-scores the old texts' lists, instead of
      comparing every text with every other (see ``incremental_search``).
    * The default tokeniser's tokens of the last run's stripped texts: a
      rerun loads the tokeniser only for new texts; and each raw text's
      stripped text, so a rerun strips only new texts.
    """

    def __init__(self, settings: OverlapSettings):
        self.span_params = (settings.min_span, settings.max_spans)
        self.search_params = _search_key(settings)
        self.token_params = (settings.tokeniser_backend,)
        self.tokens: dict[str, list[str]] = {}
        #: Raw text -> stripped text, for the stock phrases of ``strip_key``.
        self.strip_key: tuple | None = None
        self.stripped: dict[str, str] = {}
        self.span_texts: list[str] = []
        self.span_keys = np.zeros(0, dtype=np.int64)
        #: The spans of those pairs: an Arrow list array, the lists of the
        #: last call (converted by ``state()``, which the pipeline calls in
        #: the background), or ``(column, rows)``: the pairs' spans are
        #: ``column.take(rows)`` (``take_spans_from``).
        self.span_lists: pa.ListArray | list | tuple | None = None
        self.search: dict | None = None  # texts, best (indices into texts), above, cap, new

    def _span_array(self) -> pa.ListArray | None:
        if isinstance(self.span_lists, list):
            self.span_lists = pa.array(self.span_lists, type=pa.list_(pa.string()))
        elif isinstance(self.span_lists, tuple):
            column, rows = self.span_lists
            self.span_lists = column.take(pa.array(rows))
        return self.span_lists

    def take_spans_from(self, column, rows: np.ndarray) -> None:
        """Keep the spans of this call's pairs as rows of ``column`` (an Arrow
        array holding them, the overlap table's): pair k's are
        ``column[rows[k]]``. The memo's own array is made only when it is
        saved (in the background), so that a large corpus does not hold
        its half a million lists of spans twice."""
        assert len(rows) == len(self.span_keys)
        self.span_lists = (column, np.asarray(rows, dtype=np.int64))

    def spans_of(self, stripped: Sequence[str], a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, where): which pairs (stripped[a[k]], stripped[b[k]]) the memo
        holds, and their rows in ``span_lists``."""
        found = np.zeros(len(a), dtype=bool)
        where = np.zeros(len(a), dtype=np.int64)
        if self._span_array() is None or not len(self.span_keys) or not len(a):
            return found, where
        at = {t: i for i, t in enumerate(self.span_texts)}
        old = np.fromiter((at.get(t, -1) for t in stripped), dtype=np.int64, count=len(stripped))
        oa, ob = old[a], old[b]
        keys = oa * len(self.span_texts) + ob
        where = np.minimum(np.searchsorted(self.span_keys, keys), len(self.span_keys) - 1)
        found = (oa >= 0) & (ob >= 0) & (self.span_keys[where] == keys)
        return found, where

    def state(self) -> dict:
        """The memo as one plain, picklable dict, for the caller to store
        (the pipeline pickles it into its cache); ``from_state`` reads it back."""
        # One list of texts for the three parts: the spans' first (their keys
        # number them so), then any other the search or the tokens name.
        texts = list(self.span_texts)
        at = {t: i for i, t in enumerate(texts)}
        for t in [*(self.search["texts"] if self.search else ()), *self.tokens]:
            if t not in at:
                at[t] = len(texts)
                texts.append(t)
        data = {"span_params": self.span_params, "texts": texts, "span_keys": self.span_keys,
                "spans": self._span_array(), "search": None,
                "token_params": self.token_params, "tok_ix": [at[t] for t in self.tokens],
                "tokens": list(self.tokens.values()), "strip_key": self.strip_key,
                "raw": list(self.stripped), "raw_stripped": list(self.stripped.values())}
        if self.search is not None:
            data["search"] = {**self.search, "texts": [at[t] for t in self.search["texts"]],
                              "params": self.search_params}
        return data

    @classmethod
    def from_state(cls, state: dict | None, settings: OverlapSettings) -> "OverlapMemo":
        """The memo of an earlier run's ``state()``, or an empty one (None, or a
        state that does not read as one); parts made with other settings are
        left out."""
        memo = cls(settings)
        if state is None:
            return memo
        try:
            data = state
            texts = data["texts"]
            if tuple(data["span_params"]) == memo.span_params and data["spans"] is not None:
                memo.span_texts = texts
                memo.span_keys = np.asarray(data["span_keys"], dtype=np.int64)
                memo.span_lists = data["spans"]
            search = data.get("search")
            if search is not None and tuple(search["params"]) == memo.search_params:
                memo.search = {**search, "texts": [texts[i] for i in search["texts"]]}
            if tuple(data.get("token_params", ())) == memo.token_params:
                memo.tokens = {texts[i]: toks for i, toks in zip(data["tok_ix"], data["tokens"])}
            if data.get("strip_key") is not None:
                memo.strip_key = data["strip_key"]
                memo.stripped = dict(zip(data["raw"], data["raw_stripped"]))
        except Exception as exc:  # a damaged memo is rebuilt, not fatal
            logger.warning("overlap memo unusable (%s); it is rebuilt", exc)
            memo = cls(settings)
        return memo
