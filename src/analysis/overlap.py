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
  longest first, not overlapping each other.

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
dense (``_block``), which takes every similarity's float32 sum over the
shared features in the same order as the sparse product, so scores and
ties are bit for bit those of ``X @ X.T``; a row whose candidate list is
full is offered only the entries at or above its current worst
(``_update``), which can never change its best ``cap``. Shared spans are
computed for all pairs at once on arrays (``analysis.spans``), with
``shared_spans`` below as the definition they are tested against, pair by
pair; ``benchmarks/compare_overlap.py`` compares whole tables of two
versions on the benchmark corpora.

Reruns: an ``OverlapMemo`` (kept by the pipeline between runs) supplies the
shared spans of pairs already explained and the last neighbour search; when
a few resolutions are added to a large corpus, only the new texts are
compared with all, and the old texts' lists are re-scored (see
``_incremental_search`` for the one approximation this makes).
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pandas as pd
import scipy.sparse as sp

from .engine.parallel import forked_pool, shared
from .rules import RuleError, read_yaml
from .spans import SpanSearch

logger = logging.getLogger(__name__)

TokenFn = Callable[[str], list[str]]

#: Default stock-phrase file, shipped with the package.
STOCK_PHRASES_FILE = Path(__file__).with_name("lexicon") / "stock_phrases.yaml"

#: What a stripped stock phrase is replaced with: a character no n-gram, token
#: or shared span may cross.
SEP = "\u2016"  # ‖

OVERLAP_COLUMNS = [
    "rec_id_a",
    "rec_id_b",
    "similarity",
    "same_resolution",
    "shared_terms",
    "shared_spans",
    "rank_a",
    "rank_b",
]
CLUSTER_COLUMNS = ["cluster_id", "rec_id", "cluster_label", "size", "n_resolutions"]

# Characters that may not begin or end a reported span (it is shown to a reader).
_SPAN_TRIM = " \t\n，。；：、,.;:!?！？（）()“”‘’\"'《》〈〉「」『』" + SEP
# Runs of characters an n-gram may be taken from: CJK ideographs, digits, Latin.
_RUN = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OverlapSettings:
    """Parameters of the overlap stage; the defaults are what ``cop-analysis run`` uses.

    ``weights`` are (tokens, character n-grams) and are normalised to sum to 1,
    so that ``similarity`` stays in [0, 1]. ``threshold`` is calibrated on the
    seed and the written paraphrase fixtures (tests/fixtures/paraphrases.yaml):
    paraphrases of one request score 0.43–0.80, items sharing only a chapeau
    and the Convention's title 0.12–0.17, and the seed's 28 recommendations,
    which ask for different things, at most 0.25 apart from its two "核可"
    paragraphs (0.77). ``cluster_threshold`` is stricter: a cluster claims
    "the same action".
    """

    top_k: int = 5
    threshold: float = 0.35
    cluster_threshold: float = 0.45
    ngram_range: tuple[int, int] = (2, 3)
    weights: tuple[float, float] = (0.5, 0.5)
    #: Features present in more than this share of the recommendations are
    #: dropped (applied from ``min_docs_for_max_df`` recommendations on: in a
    #: handful of texts document frequency says nothing).
    max_df: float = 0.5
    min_docs_for_max_df: int = 20
    #: Longest common substrings shorter than this are not reported.
    min_span: int = 4
    max_terms: int = 5
    max_spans: int = 3
    #: Cap on the above-threshold neighbours kept per row (a corpus of near
    #: copies would otherwise yield n^2 pairs); capped rows are logged.
    max_neighbours: int = 20
    #: Upper bound on the cells of one dense similarity block (float32).
    chunk_cells: int = 8_000_000
    #: Components larger than this are first cut at a stricter threshold
    #: (dense average linkage needs m^2 / 2 distances).
    max_linkage_size: int = 2000
    label_terms: int = 3
    #: Stock-phrase file; None means the packaged lexicon/stock_phrases.yaml.
    stock_phrases: str | None = None
    #: Backend of the default tokeniser: "jieba", "rjieba", or "auto" (rjieba
    #: when installed: same tokens, about 20 times faster; see analysis.tokenise).
    tokeniser_backend: str = "auto"
    #: Worker processes for the neighbour search and the shared spans (1: none;
    #: -1: one per core). Workers are forked, so this applies on Linux/macOS.
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.top_k < 0:
            raise ValueError(f"OverlapSettings.top_k must be >= 0, got {self.top_k}")
        for name in ("threshold", "cluster_threshold", "max_df"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"OverlapSettings.{name} must be in (0, 1], got {v}")
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"OverlapSettings.ngram_range must be 1 <= lo <= hi, got {self.ngram_range}")
        if len(self.weights) != 2 or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"OverlapSettings.weights must be two non-negative numbers, got {self.weights}")
        if self.tokeniser_backend not in ("auto", "jieba", "rjieba"):
            raise ValueError(f"OverlapSettings.tokeniser_backend must be auto, jieba or rjieba, got {self.tokeniser_backend!r}")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(f"OverlapSettings.n_jobs must be -1 or >= 1, got {self.n_jobs}")
        if self.min_span < 2:
            raise ValueError("OverlapSettings.min_span must be >= 2")

    @property
    def jobs(self) -> int:
        return (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    @property
    def token_weight(self) -> float:
        return self.weights[0] / sum(self.weights)

    @property
    def ngram_weight(self) -> float:
        return self.weights[1] / sum(self.weights)


# --------------------------------------------------------------------------
# Stock phrases (data file, validated on load)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StockPhrases:
    """Compiled stock phrases: ``strip`` cuts them out of a text."""

    source: str
    version: str
    passes: tuple[re.Pattern, ...]
    n_entries: int

    def strip(self, text: str) -> str:
        """Replace every stock phrase by ``SEP``; the rest of the text is kept as is."""
        for rx in self.passes:
            text = rx.sub(SEP, text)
        return text


def _alternation(items: Iterable[str]) -> str:
    # Longest first: a regex alternation takes the first alternative that
    # matches, so this makes it the longest match.
    return "|".join(re.escape(s) for s in sorted(set(items), key=lambda s: (-len(s), s)))


def _str_list(data: dict, key: str, path: str, where: str, *, required: bool = True) -> list[str]:
    """The list of strings at ``data[key]``; problems name the entry ``where.key``."""
    value = data.get(key)
    if value is None:
        if required:
            raise RuleError(path, where, f"missing list {key!r}")
        return []
    if not isinstance(value, list) or not value:
        raise RuleError(path, f"{where}.{key}", "must be a non-empty list of strings")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RuleError(path, f"{where}.{key}[{i}]", f"is empty or not a string: {item!r}")
        item = item.strip()
        if item in seen:
            raise RuleError(path, f"{where}.{key}[{i}]", f"{item!r} is listed twice")
        seen.add(item)
        out.append(item)
    return out


def load_stock_phrases(path: str | Path | None = None) -> StockPhrases:
    """Load and validate a stock-phrase file (default: the packaged one).

    Raises ``analysis.rules.RuleError`` naming the file and the entry at fault.
    """
    path = Path(path) if path is not None else STOCK_PHRASES_FILE
    return _load_stock_phrases(str(path.resolve()))


@lru_cache(maxsize=8)
def _load_stock_phrases(path: str) -> StockPhrases:
    data = read_yaml(path)
    unknown = set(data) - {"version", "chapeau", "patterns", "phrases"}
    if unknown:
        raise RuleError(path, ", ".join(sorted(map(str, unknown))),
                        "unknown section(s); the sections are version, chapeau, patterns and phrases")

    passes: list[re.Pattern] = []
    n = 0
    chapeau = data.get("chapeau")
    if chapeau is not None:
        if not isinstance(chapeau, dict):
            raise RuleError(path, "chapeau", "must be a mapping")
        actors = _str_list(chapeau, "actors", path, "chapeau")
        modals = _str_list(chapeau, "modals", path, "chapeau")
        exhort = _str_list(chapeau, "exhortations", path, "chapeau", required=False)
        not_after = _str_list(chapeau, "modal_not_followed_by", path, "chapeau", required=False)
        actor_rx = f"(?:{_alternation(actors)})(?:（[^（）]{{1,20}}）)?"
        modal_rx = f"(?:{_alternation(modals)})"
        if not_after:
            modal_rx += f"(?!{_alternation(not_after)})"
        alts = [f"{actor_rx}{modal_rx}"]
        if exhort:
            alts.append(f"(?:{_alternation(exhort)}){actor_rx}(?:考虑)?")
        passes.append(re.compile("|".join(alts)))
        n += len(actors) + len(modals) + len(exhort)

    patterns = data.get("patterns") or {}
    if not isinstance(patterns, dict):
        raise RuleError(path, "patterns", "must be a mapping name: regex")
    for name, rx in patterns.items():
        if not isinstance(rx, str) or not rx:
            raise RuleError(path, f"patterns.{name}", "must be a non-empty regex string")
        try:
            compiled = re.compile(rx)
        except re.error as exc:
            raise RuleError(path, f"patterns.{name}", f"invalid regex: {exc}") from None
        if compiled.match(""):
            raise RuleError(path, f"patterns.{name}", "matches the empty string")
        passes.append(compiled)
        n += 1

    phrases = data.get("phrases") or {}
    if not isinstance(phrases, dict):
        raise RuleError(path, "phrases", "must be a mapping category: [strings]")
    owner: dict[str, str] = {}
    literal: list[str] = []
    for cat in phrases:
        for item in _str_list(phrases, cat, path, "phrases"):
            if item in owner:
                raise RuleError(path, f"phrases.{cat}", f"{item!r} is already listed under phrases.{owner[item]}")
            owner[item] = cat
            literal.append(item)
    if literal:
        passes.append(re.compile(_alternation(literal)))
        n += len(literal)
    if not passes:
        raise RuleError(path, "file", "no stock phrase defined")
    logger.debug("stock phrases: %d entries from %s", n, path)
    return StockPhrases(source=path, version=str(data.get("version", "")), passes=tuple(passes), n_entries=n)


def strip_stock_phrases(text: str, phrases: StockPhrases | None = None) -> str:
    """Cut the stock phrases out of ``text``, leaving ``SEP`` where they were.

    >>> strip_stock_phrases("各国应考虑为《联合国打击跨国有组织犯罪公约》提供培训").replace(SEP, "|")
    '|为|提供培训'
    >>> strip_stock_phrases("鼓励各国考虑制定国家政策").replace(SEP, "|")
    '|制定国家政策'
    >>> strip_stock_phrases("国家可持续发展")  # 可持续 is not the modal 可
    '国家可持续发展'
    """
    return (phrases or load_stock_phrases()).strip(text)


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------


def char_ngrams(text: str, ngram_range: tuple[int, int] = (2, 3)) -> list[str]:
    """Character n-grams taken inside runs of ideographs, digits or Latin letters.

    Punctuation and ``SEP`` end a run, so no n-gram spans two clauses or a
    stripped phrase.

    >>> char_ngrams("司法协助、引渡", (2, 3))
    ['司法', '法协', '协助', '司法协', '法协助', '引渡']
    """
    lo, hi = ngram_range
    out: list[str] = []
    for run in _RUN.findall(text):
        size = len(run)
        for n in range(lo, hi + 1):
            out.extend(run[i : i + n] for i in range(size - n + 1))
    return out


def _default_tokens(backend: str = "auto") -> TokenFn:
    # Imported lazily: the tokeniser loads its dictionaries on first use.
    from analysis.tokenise import get_tokeniser

    return get_tokeniser(backend=backend).tokens  # "auto": rjieba when installed


def _segment_tokens(stripped: str, tokens: TokenFn) -> list[str]:
    out: list[str] = []
    for part in stripped.split(SEP):
        if part.strip():
            out.extend(tokens(part))
    return out


def _weight(counts: sp.csr_matrix, settings: OverlapSettings, mult: np.ndarray | None = None) -> sp.csr_matrix:
    """Counts -> sublinear TF-IDF with L2-normalised rows (float32).

    idf = ln((1 + n) / (1 + df)) + 1 (scikit-learn's smoothed idf), and
    features in more than ``max_df`` of the texts get weight 0: they are the
    corpus's own stock wording, and dropping them also keeps the similarity
    blocks sparse.

    ``mult`` (one count per row) says how many recommendations each row
    stands for: n is their sum and a feature's df the sum over the rows that
    contain it, so each row gets exactly the weights it would have if it
    were repeated ``mult`` times.
    """
    counts = counts.tocsr().astype(np.float32)
    counts.sum_duplicates()
    if mult is None:
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
    else:
        mult = np.asarray(mult, dtype=np.int64)
        if mult.shape != (counts.shape[0],) or (mult < 1).any():
            raise ValueError("_weight: mult must hold one positive count per row")
        n = int(mult.sum())
        # Integer-valued float sums: exact, so idf and max_df match the row count.
        per_entry = np.repeat(mult, np.diff(counts.indptr)).astype(np.float64)
        df = np.rint(np.bincount(counts.indices, weights=per_entry, minlength=counts.shape[1])).astype(np.int64)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    if n >= settings.min_docs_for_max_df:
        common = df > settings.max_df * n
        if common.any():
            logger.info(
                "dropped %d features present in more than %.0f%% of texts", int(common.sum()), 100 * settings.max_df
            )
        idf[common] = 0.0
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    counts.eliminate_zeros()
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    counts.data /= np.repeat(norms, np.diff(counts.indptr)).astype(np.float32)
    return counts


def _counts(rows: np.ndarray, keys, n_rows: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Feature occurrences (row, key) -> (counts matrix over the distinct keys,
    the keys in column order: sorted).

    scipy and numpy only: scikit-learn's vectorisers cost a second or two of
    import at every run.
    """
    if not len(keys):
        return sp.csr_matrix((n_rows, 0), dtype=np.float32), np.array([], dtype=object)
    # np.unique(keys, return_inverse=True), by hashing then sorting only the
    # distinct keys: a third of the time on millions of n-grams.
    codes, distinct = pd.factorize(np.asarray(keys))
    order = np.argsort(distinct, kind="stable")
    col = np.empty(len(order), dtype=np.int64)
    col[order] = np.arange(len(order))
    col = col[codes]
    used = np.asarray(distinct)[order]
    counts = sp.csr_matrix((np.ones(len(col), dtype=np.float32), (np.asarray(rows), col.ravel())),
                           shape=(n_rows, len(used)))
    counts.sum_duplicates()
    return counts, used


def _token_matrix(
    token_lists: list[list[str]], settings: OverlapSettings, mult: np.ndarray | None = None
) -> tuple[sp.csr_matrix, np.ndarray]:
    rows = np.repeat(np.arange(len(token_lists)), [len(t) for t in token_lists])
    counts, terms = _counts(rows, [t for toks in token_lists for t in toks], len(token_lists))
    if counts.shape[1] == 0:  # empty vocabulary: every text empty after stripping
        return counts, terms
    return _weight(counts, settings, mult), terms.astype(object)


#: Code-point ranges of the characters an n-gram may be taken from (``_RUN``).
_RUN_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _ngram_keys(stripped: Sequence[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(row, key) of every character n-gram of ``char_ngrams``, for all texts at once.

    An n-gram of up to three characters is its code points packed into one
    integer (21 bits each): exact, so no two n-grams share a key, and
    computed with numpy over the concatenated texts. Longer n-grams are
    keyed by the CRC-32 of their UTF-8 bytes.
    """
    lo, hi = ngram_range
    if hi > 3:
        import zlib

        per_row = [[zlib.crc32(g.encode("utf-8")) for g in char_ngrams(t, ngram_range)] for t in stripped]
        rows = np.repeat(np.arange(len(per_row)), [len(k) for k in per_row])
        return rows, np.fromiter((k for ks in per_row for k in ks), dtype=np.int64, count=len(rows))
    # The texts joined by a character outside every run, so no n-gram spans
    # two texts; rows are told by the texts' lengths, whatever they contain.
    joined = "\n".join(stripped)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    in_run = np.zeros(len(cp), dtype=bool)
    for a, b in _RUN_RANGES:
        in_run |= (cp >= a) & (cp <= b)
    row_of = np.repeat(np.arange(len(stripped)), [len(t) + 1 for t in stripped])[: len(cp)]
    rows, keys = [], []
    for n in range(lo, hi + 1):
        if len(cp) < n:
            continue
        start = np.arange(len(cp) - n + 1)
        ok = np.ones(len(start), dtype=bool)
        key = np.zeros(len(start), dtype=np.int64)
        for k in range(n):
            ok &= in_run[k:len(cp) - n + 1 + k]
            key = (key << 21) | cp[k:len(cp) - n + 1 + k]
        rows.append(row_of[start[ok]])
        keys.append(key[ok])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(keys)


def _ngram_matrix(stripped: list[str], settings: OverlapSettings, mult: np.ndarray | None = None) -> sp.csr_matrix:
    # Character n-grams are never shown to a reader (spans explain them
    # better), so they are kept as integer keys, not strings: a large corpus
    # has millions of distinct trigrams.
    counts, _ = _counts(*_ngram_keys(stripped, settings.ngram_range), len(stripped))
    if counts.shape[1] == 0:
        return counts
    return _weight(counts, settings, mult)


@dataclass
class _Features:
    """Features of the distinct stripped texts; row i of the input is text ``inverse[i]``."""

    stripped: list[str]  # the m distinct stripped texts, in order of first occurrence
    inverse: np.ndarray  # (n,) input row -> distinct text
    mult: np.ndarray  # (m,) rows per distinct text
    X: sp.csr_matrix  # combined, weighted: X @ X.T is the similarity
    X_tok: sp.csr_matrix  # token TF-IDF (unit rows), for shared terms
    terms: np.ndarray


@lru_cache(maxsize=1 << 17)
def _stripped(phrases: StockPhrases, text: str) -> str:
    """``phrases.strip(text)``, remembered: the pairs and the clusters of a
    run strip the same texts (a second on a large corpus)."""
    return phrases.strip(text)


#: The last call of ``_distinct_stripped`` (the pairs and the clusters of a run ask for the same texts).
_LAST_DISTINCT: list = []


def _distinct_stripped(texts: Sequence[str], phrases: StockPhrases, known: dict[str, str] | None = None,
                       ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(uniq, inverse, mult): the distinct stripped texts in order of first occurrence.

    Each distinct raw text is stripped once; texts that differ only in a
    stripped phrase then coincide. Numbering by first occurrence makes the
    order of distinct texts that of their earliest rows, which the
    neighbour expansion relies on for the tie-break. ``known`` maps raw
    texts to their stripped text (the memo's, from the last run); it is
    updated with this call's.
    """
    texts = tuple(texts)
    if _LAST_DISTINCT and _LAST_DISTINCT[0] is phrases and _LAST_DISTINCT[1] == texts:
        result, mapping = _LAST_DISTINCT[2], _LAST_DISTINCT[3]
        if known is not None and known is not mapping:
            known.clear()
            known.update(mapping)
        return list(result[0]), result[1].copy(), result[2].copy()
    raw_inv, raw_uniq = pd.factorize(pd.Series(texts, dtype=object).fillna(""), sort=False)
    raw = [str(t) for t in raw_uniq]
    if known is None:
        stripped_raw = [_stripped(phrases, t) for t in raw]
    else:
        stripped_raw = [known.get(t) or _stripped(phrases, t) for t in raw]
        known.clear()
        known.update(zip(raw, stripped_raw))
    codes, uniq = pd.factorize(pd.Series(stripped_raw, dtype=object), sort=False)
    inverse = codes[raw_inv].astype(np.int64)
    mult = np.bincount(inverse, minlength=len(uniq)).astype(np.int64)
    result = ([str(u) for u in uniq], inverse, mult)
    _LAST_DISTINCT[:] = [phrases, texts, result, dict(zip(raw, stripped_raw))]
    return list(result[0]), inverse.copy(), mult.copy()


def _features(texts: Sequence[str], settings: OverlapSettings, tokens: TokenFn | None,
              memo: OverlapMemo | None = None) -> _Features:
    phrases = load_stock_phrases(settings.stock_phrases)
    strip_key = (phrases.version, tuple(rx.pattern for rx in phrases.passes))
    known = None
    if memo is not None:
        if memo.strip_key != strip_key:
            memo.strip_key, memo.stripped = strip_key, {}
        known = memo.stripped
    stripped, inverse, mult = _distinct_stripped(texts, phrases, known)
    # The default tokeniser's cuts of texts seen in the last run are kept in
    # the memo; the tokeniser is loaded only when a text is new.
    cached = memo is not None and tokens is None and memo.token_params == (settings.tokeniser_backend,)
    known = memo.tokens if cached else {}
    tok_fn = tokens
    token_lists = []
    for text in stripped:
        toks = known.get(text)
        if toks is None:
            if tok_fn is None:
                tok_fn = _default_tokens(settings.tokeniser_backend)
            toks = _segment_tokens(text, tok_fn)
        token_lists.append(toks)
    if cached:
        memo.tokens = dict(zip(stripped, token_lists))
    X_tok, terms = _token_matrix(token_lists, settings, mult)
    X_chr = _ngram_matrix(stripped, settings, mult)
    logger.info(
        "overlap features: %d texts (%d distinct once stock phrases are stripped), "
        "%d token features, %d distinct hashed n-grams",
        len(texts),
        len(stripped),
        X_tok.shape[1],
        X_chr.shape[1],
    )
    X = sp.hstack(
        [X_tok * np.float32(math.sqrt(settings.token_weight)), X_chr * np.float32(math.sqrt(settings.ngram_weight))],
        format="csr",
        dtype=np.float32,
    )
    return _Features(stripped=stripped, inverse=inverse, mult=mult, X=X, X_tok=X_tok, terms=terms)


# --------------------------------------------------------------------------
# Nearest neighbours, chunk by chunk
# --------------------------------------------------------------------------


def chunk_rows(n: int, chunk_cells: int) -> int:
    """Rows per chunk so that a dense chunk x n block has at most ``chunk_cells`` cells.

    >>> chunk_rows(50_000, 8_000_000)
    160
    >>> chunk_rows(10, 8_000_000)
    10
    """
    return max(1, min(n, chunk_cells // max(n, 1)))


def _top(vals: np.ndarray, idx: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
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
    return _top(np.hstack([best_v, v]), np.hstack([best_i, i]), w)


#: Fewer distinct pairs of texts than this are explained in one process (a
#: pool costs more); the neighbour search uses workers only when it has
#: several chunks.
PARALLEL_MIN_PAIRS = 10_000


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
    many entries would enter, takes the whole row through ``_top``. Both
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
        v, i = _top(vals[d], cols, cap)
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
        block = _block(X, s, e, settings.chunk_cells)
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


def _block(X: sp.csr_matrix, s: int, e: int, cells: int) -> np.ndarray:
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
    """``_scan`` in a worker of ``_search``'s pool, on the data the pool shares."""
    return _scan(shared("X"), shared("settings"), starts, step, cap, shared("mult"))


def _search(X: sp.csr_matrix, settings: OverlapSettings, cap: int, mult: np.ndarray | None):
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
        best_v, best_i = _top(np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts]), cap)
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


def _neighbours(X: sp.csr_matrix, settings: OverlapSettings, inverse: np.ndarray | None = None,
                stripped: list[str] | None = None, memo: OverlapMemo | None = None) -> pd.DataFrame:
    """Directed edges i -> j (j among row i's kept neighbours) with similarity and rank.

    ``X`` holds the distinct texts and ``inverse`` maps each input row to its
    text (None: every row is its own text). The nearest distinct texts are
    searched once (``_search``), then expanded to rows (``_candidates``): a
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
        found = _incremental_search(X, settings, cap_u, mult, stripped, memo) if stripped is not None else None
        if found is None:
            best_v, best_i, above_u = _search(X, settings, cap_u, None if (mult == 1).all() else mult)
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


# --------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------


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
        span = a[i0 : i0 + length].strip(_SPAN_TRIM)
        if len(span) >= min_len and span not in out:
            out.append(span)
    return out


def _spans_shared(lo: int, hi: int):
    """The spans of pairs lo..hi as arrays, in a worker of ``_compute_spans``'s pool."""
    return shared("spans").offsets(lo, hi)


#: The incremental neighbour search is used from this many distinct texts on
#: (below, the full search takes seconds and is exact) ...
INCREMENTAL_MIN_TEXTS = 2000
#: ... and while the texts added since the last full search are at most this
#: share of the corpus; beyond, the full search runs again.
INCREMENTAL_MAX_NEW = 0.05


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
      comparing every text with every other (see ``_incremental_search``).
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
        #: The spans of those pairs: an Arrow list array, or the lists of the
        #: last call (converted by ``state()``, which the pipeline calls in the background).
        self.span_lists: pa.ListArray | list | None = None
        self.search: dict | None = None  # texts, best (indices into texts), above, cap, new

    def _span_array(self) -> pa.ListArray | None:
        if isinstance(self.span_lists, list):
            self.span_lists = pa.array(self.span_lists, type=pa.list_(pa.string()))
        return self.span_lists

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


def _rowwise_dots(X: sp.csr_matrix, us: np.ndarray, vs: np.ndarray, chunk: int = 50_000) -> np.ndarray:
    """X[us[k]] . X[vs[k]] for every k, a chunk of pairs at a time."""
    out = np.zeros(len(us), dtype=np.float32)
    for lo in range(0, len(us), chunk):
        a, b = us[lo:lo + chunk], vs[lo:lo + chunk]
        out[lo:lo + chunk] = np.asarray(X[a].multiply(X[b]).sum(axis=1)).ravel()
    return out


def _incremental_search(X: sp.csr_matrix, settings: OverlapSettings, cap: int, mult: np.ndarray,
                        stripped: list[str], memo: OverlapMemo | None):
    """The neighbour search of ``_search``, updated from the last run's; None
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
        best_v[new], best_i[new] = _top(S, np.broadcast_to(np.arange(m, dtype=np.int64), S.shape), cap)
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
        best_v[old], best_i[old] = _top(sims, cand, cap)
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


def _all_spans(stripped: list[str], a: np.ndarray, b: np.ndarray, settings: OverlapSettings,
               memo: OverlapMemo | None = None) -> list[list[str]]:
    """shared_spans for every pair (those in ``memo`` are taken from it); the
    memo then holds these pairs. ``a * len(stripped) + b`` is sorted."""
    if memo is None or memo.span_params != (settings.min_span, settings.max_spans):
        return _compute_spans(stripped, a, b, settings)
    found, where = memo.spans_of(stripped, a, b)
    out = np.empty(len(a), dtype=object)
    if found.any():
        out[found] = _object_array(memo.span_lists.take(where[found]).to_pylist())
    todo = np.flatnonzero(~found)
    if len(todo):
        out[todo] = _object_array(_compute_spans(stripped, a[todo], b[todo], settings))
    out = out.tolist()
    logger.info("shared spans: %d pairs of texts, %d from the memo", len(a), int(found.sum()))
    memo.span_texts = list(stripped)
    memo.span_keys = np.asarray(a, dtype=np.int64) * len(stripped) + np.asarray(b, dtype=np.int64)
    memo.span_lists = out
    return out


def _compute_spans(stripped: list[str], a: np.ndarray, b: np.ndarray, settings: OverlapSettings) -> list[list[str]]:
    """shared_spans for every pair (``analysis.spans``). With workers, the texts
    are laid out once before the fork and each worker sends back arrays."""
    search = SpanSearch(stripped, a, b, settings.min_span, settings.max_spans, SEP, _SPAN_TRIM)
    jobs = settings.jobs if len(search) >= PARALLEL_MIN_PAIRS else 1
    with forked_pool(jobs, spans=search) as pool:  # the workers inherit the laid-out texts
        if pool is None:
            offsets = search.offsets()
        else:
            bounds = np.linspace(0, len(search), jobs * 2 + 1).astype(int).tolist()
            parts = pool.starmap(_spans_shared, list(zip(bounds[:-1], bounds[1:])))
            offsets = tuple(np.concatenate([part[i] for part in parts]) for i in range(3))
    return search.lists(*offsets, one_pair=shared_spans)


def _by_row_then_descending(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.lexsort((-values, rows))``: stable, by row, largest value first.

    For non-negative float32 values (the weights here) one stable sort of a
    64-bit key (row, then the value's bits, which order such floats)
    does it: a tenth of lexsort's time on 8M entries of half a million pairs.
    """
    if values.dtype != np.float32 or len(rows) == 0 or rows.max() >= 2**31 or (values < 0).any():
        return np.lexsort((-values, rows))
    key = (rows.astype(np.uint64) << np.uint64(32)) | (np.uint64(0xFFFFFFFF) - values.view(np.uint32).astype(np.uint64))
    return np.argsort(key, kind="stable")


#: Pairs whose shared terms are computed together.
_TERMS_PAIRS = 100_000


def _shared_terms(X_tok: sp.csr_matrix, terms: np.ndarray, a: np.ndarray, b: np.ndarray, top: int) -> list[list[str]]:
    """For each pair, the shared tokens with the largest contribution to the token cosine.

    Ties are broken by the term (the vocabulary is sorted, so by column).
    """
    if X_tok.shape[1] == 0 or len(a) == 0:
        return [[] for _ in range(len(a))]
    if len(a) > _TERMS_PAIRS:  # a batch at a time: the row copies of 500k pairs took 400 MB at once
        return [t for lo in range(0, len(a), _TERMS_PAIRS)
                for t in _shared_terms(X_tok, terms, a[lo:lo + _TERMS_PAIRS], b[lo:lo + _TERMS_PAIRS], top)]
    prod = X_tok[a].multiply(X_tok[b]).tocsr()
    prod.eliminate_zeros()
    prod.sort_indices()
    counts = np.diff(prod.indptr)
    rows = np.repeat(np.arange(prod.shape[0]), counts)
    # By row, then contribution; the sort is stable, so equal contributions
    # keep the column (term) order they have within the row.
    order = _by_row_then_descending(rows, prod.data)
    # Position of each entry within its row, once sorted.
    within = np.arange(len(order)) - np.repeat(prod.indptr[:-1], counts)
    keep = order[within < top]
    kept_rows = rows[keep]
    names = terms[prod.indices[keep]].tolist()  # one conversion, then slices of a Python list
    bounds = np.searchsorted(kept_rows, np.arange(prod.shape[0] + 1)).tolist()
    return [names[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _object_array(items: list) -> np.ndarray:
    """A 1-d object array holding ``items`` (lists stay list objects)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _check_recs(recs: pd.DataFrame) -> None:
    missing = [c for c in ("rec_id", "resolution", "text") if c not in recs.columns]
    if missing:
        raise ValueError(f"overlap: recommendations table lacks column(s) {', '.join(missing)}")
    if recs["rec_id"].duplicated().any():
        dup = recs.loc[recs["rec_id"].duplicated(), "rec_id"].iloc[0]
        raise ValueError(f"overlap: rec_id {dup!r} occurs more than once")


def empty_overlap() -> pd.DataFrame:
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
    """The ``overlap`` table for ``recs`` (see the module docstring).

    ``tokens`` maps a text to its content tokens; by default
    ``analysis.tokenise.get_tokeniser(backend=...).tokens`` with the backend
    of ``settings.tokeniser_backend``. ``memo`` (an ``OverlapMemo``) supplies
    what an earlier run computed (shared spans, the neighbour search) and
    takes this run's.
    """
    settings = settings or OverlapSettings()
    _check_recs(recs)
    n = len(recs)
    if n < 2:
        logger.info("overlap: %d recommendation(s), no pair to compare", n)
        return empty_overlap()
    rec_ids = recs["rec_id"].astype(str).to_numpy()
    resolutions = recs["resolution"].astype(str).to_numpy()
    feats = _features(recs["text"].fillna("").astype(str).tolist(), settings, tokens, memo)

    edges = _neighbours(feats.X, settings, feats.inverse, feats.stripped, memo)
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
    terms = _shared_terms(feats.X_tok, feats.terms, ka, kb, settings.max_terms)
    spans = _all_spans(feats.stripped, ka, kb, settings, memo)
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
            # Pairs of rows with the same two texts share one list object
            # (read-only, like every cell): copying 500k lists cost a second.
            "shared_terms": _object_array(terms)[key_of_pair],
            "shared_spans": _object_array(spans)[key_of_pair],
            "rank_a": pd.arrays.IntegerArray(rank_a[order], ~listed_a[order]),
            "rank_b": pd.arrays.IntegerArray(rank_b[order], ~listed_b[order]),
        }
    )
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


def _average_linkage(members: np.ndarray, la: np.ndarray, lb: np.ndarray, sim: np.ndarray, threshold: float):
    """Split one component by average linkage at distance 1 - threshold.

    ``la``/``lb`` index ``members``. A connected component can chain A~B~C
    with A and C unrelated; average linkage keeps together only items that
    are, on average, as close as the threshold. Pairs not in the overlap
    table count as similarity 0.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    m = len(members)
    k1 = np.minimum(la, lb).astype(np.int64)
    k2 = np.maximum(la, lb).astype(np.int64)
    dist = np.ones(m * (m - 1) // 2)
    dist[m * k1 - k1 * (k1 + 1) // 2 + (k2 - k1 - 1)] = 1.0 - sim
    labels = fcluster(linkage(dist, method="average"), t=1.0 - threshold + 1e-9, criterion="distance")
    return [members[labels == lab] for lab in np.unique(labels)]


def _cluster_edges(ia: np.ndarray, ib: np.ndarray, sim: np.ndarray, settings: OverlapSettings) -> list[np.ndarray]:
    """Clusters (arrays of row positions) from edges at or above ``cluster_threshold``.

    Connected components, each split by average linkage. A component too
    large for a dense linkage (``max_linkage_size``) is first cut into the
    components of a stricter threshold (+0.05 at a time): a corpus of near
    copies makes one giant component, which says nothing.
    """
    from scipy.sparse.csgraph import connected_components

    out: list[np.ndarray] = []
    stack = [(ia, ib, sim, settings.cluster_threshold)]
    while stack:
        a, b, s, thr = stack.pop()
        nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        la, lb = inv[: len(a)], inv[len(a) :]
        m = len(nodes)
        keep = s >= thr
        graph = sp.coo_matrix((np.ones(int(keep.sum())), (la[keep], lb[keep])), shape=(m, m))
        _, comp = connected_components(graph, directed=False)
        inside = comp[la] == comp[lb]
        e_comp = comp[la][inside]
        e_idx = np.flatnonzero(inside)[np.argsort(e_comp, kind="stable")]
        e_bounds = np.searchsorted(np.sort(e_comp), np.arange(comp.max() + 2))
        n_order = np.argsort(comp, kind="stable")
        n_bounds = np.searchsorted(comp[n_order], np.arange(comp.max() + 2))
        for c in range(comp.max() + 1):
            local = n_order[n_bounds[c] : n_bounds[c + 1]]
            if len(local) < 2:
                continue
            edges = e_idx[e_bounds[c] : e_bounds[c + 1]]
            members = nodes[local]
            if len(local) == 2:
                out.append(members)
            elif len(local) <= settings.max_linkage_size:
                pos = np.full(m, -1, dtype=np.int64)
                pos[local] = np.arange(len(local))
                parts = _average_linkage(members, pos[la[edges]], pos[lb[edges]], s[edges], settings.cluster_threshold)
                out.extend(p for p in parts if len(p) >= 2)
            elif thr + 0.05 < 1.0:
                stack.append((a[edges], b[edges], s[edges], thr + 0.05))
            else:
                logger.warning("clusters: %d near-identical recommendations kept as one cluster", len(local))
                out.append(members)
    return out


def overlap_clusters(
    recs: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: OverlapSettings | None = None,
) -> pd.DataFrame:
    """Clusters of recommendations asking for the same action.

    Pairs at or above ``cluster_threshold`` are joined into connected
    components, each split by average linkage so that a chain of
    neighbours does not glue unrelated items together. This is done over
    the distinct stripped texts (see the module docstring); a cluster then
    holds every recommendation with one of its texts, so verbatim repeats
    are always together. Only clusters of two
    or more are returned: ``cluster_id`` (1 = largest), ``rec_id`` (one row
    per member, in input order), ``cluster_label`` (the terms shared by the
    most pairs inside the cluster, weighted by their rank in ``shared_terms``;
    the most frequent shared span when no term is shared), ``size`` and
    ``n_resolutions``.
    """
    settings = settings or OverlapSettings()
    _check_recs(recs)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CLUSTER_COLUMNS})
    if pairs is None or pairs.empty:
        return empty
    rec_ids = recs["rec_id"].astype(str).to_numpy()
    resolutions = recs["resolution"].astype(str).to_numpy()
    strong = pairs[pairs["similarity"] >= settings.cluster_threshold]
    ia, ib = _positions(strong["rec_id_a"], rec_ids), _positions(strong["rec_id_b"], rec_ids)
    if (ia < 0).any() or (ib < 0).any():
        unknown = sorted(set(strong["rec_id_a"].to_numpy()[ia < 0]) | set(strong["rec_id_b"].to_numpy()[ib < 0]))
        raise ValueError(f"overlap_clusters: pairs name rec_id(s) not in recs, e.g. {unknown[0]!r}")
    if strong.empty:
        logger.info("clusters: no pair at or above %.2f", settings.cluster_threshold)
        return empty
    # Cluster the distinct stripped texts, then take every row of each: the
    # copies of one text always share a cluster, however many there are (the
    # pairs table keeps only a row's nearest copies), and a repeated text is
    # clustered once, not once per copy.
    _, inverse, _ = _distinct_stripped(recs["text"].fillna("").astype(str).tolist(),
                                       load_stock_phrases(settings.stock_phrases))
    ua, ub = inverse[ia], inverse[ib]
    sims = strong["similarity"].to_numpy(dtype=float)
    same = ua == ub
    lo, hi = np.minimum(ua, ub)[~same], np.maximum(ua, ub)[~same]
    edges = pd.DataFrame({"a": lo, "b": hi, "s": sims[~same]}).groupby(["a", "b"], sort=True)["s"].max()
    text_clusters = _cluster_edges(edges.index.get_level_values(0).to_numpy(),
                                   edges.index.get_level_values(1).to_numpy(), edges.to_numpy(),
                                   settings) if len(edges) else []
    clustered = np.zeros(inverse.max() + 1, dtype=bool)
    for c in text_clusters:
        clustered[c] = True
    # A text whose copies pair with each other and with no other text is a cluster of its own.
    text_clusters += [np.array([u]) for u in np.unique(ua[same]) if not clustered[u]]
    by_text = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[by_text], np.arange(inverse.max() + 2))
    clusters = [np.sort(np.concatenate([by_text[bounds[u]:bounds[u + 1]] for u in c])) for c in text_clusters]
    clusters = [c for c in clusters if len(c) >= 2]
    clusters.sort(key=lambda m: (-len(m), int(m[0])))

    # Labels from the explanations already computed for the pairs inside each cluster.
    label_of = np.full(len(rec_ids), -1, dtype=np.int64)
    for k, members in enumerate(clusters):
        label_of[members] = k
    ca, cb = label_of[ia], label_of[ib]
    term_score: dict[int, Counter] = defaultdict(Counter)
    span_count: dict[int, Counter] = defaultdict(Counter)
    # Pairs of rows with the same two texts carry the same explanation: each
    # distinct (text a, text b) counts once, times its number of pairs.
    inside = np.flatnonzero((ca == cb) & (ca >= 0))
    keyed = pd.DataFrame({"k": ca[inside], "ua": ua[inside], "ub": ub[inside], "pos": inside})
    groups = keyed.groupby(["k", "ua", "ub"], sort=False)["pos"].agg(["size", "first"])
    terms_col = strong["shared_terms"].to_numpy()
    spans_col = strong["shared_spans"].to_numpy()
    for (k, _, _), n, pos in zip(groups.index, groups["size"].to_numpy(), groups["first"].to_numpy()):
        for rank, t in enumerate(as_list_cell(terms_col[pos])):
            term_score[int(k)][t] += n / (rank + 1)
        for span in as_list_cell(spans_col[pos]):
            span_count[int(k)][span] += int(n)

    rows = []
    for k, members in enumerate(clusters):
        if term_score[k]:
            top = sorted(term_score[k].items(), key=lambda kv: (-kv[1], kv[0]))[: settings.label_terms]
            label = "、".join(t for t, _ in top)
        elif span_count[k]:
            label = sorted(span_count[k].items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0][0]
        else:
            label = ""
        n_res = len(set(resolutions[members]))
        rows.extend((k + 1, rec_ids[m], label, len(members), n_res) for m in members)
    out = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    logger.info(
        "clusters: %d clusters of 2+ covering %d recommendations (threshold %.2f)",
        len(clusters),
        len(out),
        settings.cluster_threshold,
    )
    return out


def _positions(values: pd.Series, rec_ids: np.ndarray) -> np.ndarray:
    """Where each of ``values`` is in ``rec_ids`` (-1: not there), by Arrow's
    hash lookup (a quarter of pandas' time on half a million pairs)."""
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(values.astype(str), type=pa.string()), value_set=pa.array(rec_ids, type=pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def as_list_cell(v) -> list[str]:
    """A list cell as a list (lists, arrays from Parquet, ``a|b`` strings from CSV, None)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v]
    if isinstance(v, str):
        return [x for x in v.split("|") if x]
    return []
