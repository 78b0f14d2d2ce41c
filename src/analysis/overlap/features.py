"""Features of the recommendations' texts: tokens, character n-grams, weights.

Contract: ``text_features(texts, settings, tokens, memo)`` strips the stock
phrases, numbers the distinct stripped texts (``distinct_stripped``) and
returns their ``Features``: a row per distinct text of sublinear TF-IDF
weights (``weight``) over tokens and character n-grams, L2-normalised per
family and combined so that ``X @ X.T`` is the similarity of the module
``analysis.overlap``'s contract.

Why: tokens (``analysis.tokenise``) see words whatever their order;
character n-grams see paraphrases the tokeniser segments differently and
need no dictionary. Inverse document frequency with the most common
features pruned (``max_df``) catches stock wording the stock-phrase file
does not list. Document frequencies count recommendations, not distinct
texts (``mult``): each distinct text gets exactly the weights its rows
would have one by one, so the stage can work on distinct texts only.
Scikit-learn's vectorisers are not used: their import cost a second or two
at every run, and n-grams are kept as integer keys (``ngram_keys``).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .memo import OverlapMemo
from .settings import OverlapSettings
from .stock import SEP, StockPhrases, load_stock_phrases

logger = logging.getLogger(__name__)

TokenFn = Callable[[str], list[str]]

# Runs of characters an n-gram may be taken from: CJK ideographs, digits, Latin.
_RUN = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


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


def default_tokens(backend: str = "auto") -> TokenFn:
    """The tokens function of ``analysis.tokenise``'s tokeniser for ``backend``
    (the one the stage uses when it is given none)."""
    # Imported lazily: the tokeniser loads its dictionaries on first use.
    from analysis.tokenise import get_tokeniser

    return get_tokeniser(backend=backend).tokens  # "auto": rjieba when installed


def segment_tokens(stripped: str, tokens: TokenFn) -> list[str]:
    """``tokens`` of each piece of a stripped text between ``SEP``s, one list:
    no token spans a stripped phrase."""
    out: list[str] = []
    for part in stripped.split(SEP):
        if part.strip():
            out.extend(tokens(part))
    return out


def weight(counts: sp.csr_matrix, settings: OverlapSettings, mult: np.ndarray | None = None) -> sp.csr_matrix:
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
            raise ValueError("weight: mult must hold one positive count per row")
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


def token_matrix(
    token_lists: list[list[str]], settings: OverlapSettings, mult: np.ndarray | None = None
) -> tuple[sp.csr_matrix, np.ndarray]:
    """(weighted token matrix, its terms in column order: sorted) of the texts' token lists."""
    rows = np.repeat(np.arange(len(token_lists)), [len(t) for t in token_lists])
    counts, terms = _counts(rows, [t for toks in token_lists for t in toks], len(token_lists))
    if counts.shape[1] == 0:  # empty vocabulary: every text empty after stripping
        return counts, terms
    return weight(counts, settings, mult), terms.astype(object)


#: Code-point ranges of the characters an n-gram may be taken from (``_RUN``).
_RUN_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def ngram_keys(stripped: Sequence[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
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


def ngram_matrix(stripped: list[str], settings: OverlapSettings, mult: np.ndarray | None = None) -> sp.csr_matrix:
    """The weighted character n-gram matrix of the stripped texts (columns: ``ngram_keys``, sorted)."""
    # Character n-grams are never shown to a reader (spans explain them
    # better), so they are kept as integer keys, not strings: a large corpus
    # has millions of distinct trigrams.
    counts, _ = _counts(*ngram_keys(stripped, settings.ngram_range), len(stripped))
    if counts.shape[1] == 0:
        return counts
    return weight(counts, settings, mult)


@dataclass
class Features:
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


#: The last call of ``distinct_stripped`` (the pairs and the clusters of a run ask for the same texts).
_LAST_DISTINCT: list = []


def distinct_stripped(texts: Sequence[str], phrases: StockPhrases, known: dict[str, str] | None = None,
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


def text_features(texts: Sequence[str], settings: OverlapSettings, tokens: TokenFn | None,
                  memo: OverlapMemo | None = None) -> Features:
    """The ``Features`` of ``texts`` (one per recommendation): stock phrases
    stripped, distinct texts, their weighted token and n-gram rows. ``tokens``
    None means ``default_tokens(settings.tokeniser_backend)``, loaded only when
    a text is not in ``memo``'s tokens."""
    phrases = load_stock_phrases(settings.stock_phrases)
    strip_key = (phrases.version, tuple(rx.pattern for rx in phrases.passes))
    known = None
    if memo is not None:
        if memo.strip_key != strip_key:
            memo.strip_key, memo.stripped = strip_key, {}
        known = memo.stripped
    stripped, inverse, mult = distinct_stripped(texts, phrases, known)
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
                tok_fn = default_tokens(settings.tokeniser_backend)
            toks = segment_tokens(text, tok_fn)
        token_lists.append(toks)
    if cached:
        memo.tokens = dict(zip(stripped, token_lists))
    X_tok, terms = token_matrix(token_lists, settings, mult)
    X_chr = ngram_matrix(stripped, settings, mult)
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
    return Features(stripped=stripped, inverse=inverse, mult=mult, X=X, X_tok=X_tok, terms=terms)
