"""Tokeniser: Chinese text -> words, with the project's domain dictionary.

Contract
--------
``get_tokeniser()`` returns a ``DomainTokeniser`` (one per lexicon version,
backend and HMM setting, built once per process):

* ``cut(text) -> list[str]``: the raw segmentation, every character kept
  (``"".join(cut(t)) == t``);
* ``tokens(text) -> list[str]``: the content tokens: synonyms folded to
  their canonical term (毒罪办 -> 毒品和犯罪问题办公室, 《公约》 ->
  打击有组织犯罪公约), stopwords, punctuation, whitespace and bare numbers
  dropped.

``canonicalise(text)`` folds synonyms on the text itself, and
``term_frequencies(recs, by=...)`` counts content tokens per resolution,
per theme or over the corpus.

Why it is built this way
------------------------
* One ``jieba.Tokenizer`` instance of our own, never the global
  ``jieba.dt``: other code (or a notebook) that adds words to jieba's global
  dictionary cannot change our tokens, and our words do not leak into theirs.
* Out of the box jieba splits the UNTOC vocabulary (毒品/和/犯罪/问题/办公室,
  司法/协助); the domain dictionary (``lexicon/userdict.txt`` plus every
  synonym) keeps those terms whole. Words listed without a frequency get
  the smallest one that keeps them whole (jieba's ``suggest_freq``).
* HMM is off by default: the HMM invents words from unknown character
  runs, which makes tokens depend on the neighbouring text and is slower.
* jieba's prefix-dictionary cache goes to ``$COP_ANALYSIS_CACHE`` or
  ``~/.cache/cop-analysis/`` (not the shared /tmp).
* Cue words (应考虑, 不妨) and citations are NOT read from tokens: the
  classifier matches them on the text, so nothing depends on how jieba
  happens to split them.
* ``backend="rjieba"`` cuts with the Rust port (rjieba), loaded with the
  same words at the same frequencies, for large corpora. It is optional; a
  test checks it yields the same tokens as the default backend.
"""

from __future__ import annotations

import importlib.util

import logging
import os
import re
import tempfile
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from .lexicon import Lexicon, alternation, load_lexicon

logger = logging.getLogger(__name__)


def _import_jieba():
    """jieba, imported on first need: the rjieba backend does without it, and
    its import takes 0.4 s. jieba announces every dictionary load at DEBUG
    level on its own handler (set when it is imported, hence after the
    import); our log says what was loaded instead."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba

CACHE_ENV = "COP_ANALYSIS_CACHE"
BACKENDS = ("jieba", "rjieba")

#: Smallest frequency of a domain word listed without one. jieba's
#: suggest_freq only guarantees the word stays whole on its own; in running
#: text a neighbour can steal its first characters (开发技术 + 援助), which a
#: frequency of the order of a common word prevents.
DOMAIN_FREQ_FLOOR = 2000

# A token made only of punctuation, symbols, spaces and digits carries no
# content (，  《  2020  10/4  (a)).
# Not content: punctuation, numbers, and single characters. A single
# character in formal Chinese is almost always a function word or the
# remnant of a split word (第, 号, 到, 载), and a single Latin letter is an
# enumerator ("(a)"); neither belongs in a term table or a similarity.
_NO_CONTENT = re.compile(r"^(?:[\W\d_]+|.)$", re.S)
_MISSING = object()


def cache_dir() -> Path:
    """The folder for jieba's dictionary cache: ``$COP_ANALYSIS_CACHE``,
    else ``$XDG_CACHE_HOME/cop-analysis`` or ``~/.cache/cop-analysis``;
    the system temporary folder when none of those can be created."""
    env = os.environ.get(CACHE_ENV)
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "cop-analysis"
    try:
        base.mkdir(parents=True, exist_ok=True)
        return base
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "cop-analysis"
        fallback.mkdir(parents=True, exist_ok=True)
        logger.warning("cache folder %s cannot be created; using %s", base, fallback)
        return fallback


class Canonicaliser:
    """Folds synonyms on text, longest variant first.

    >>> c = Canonicaliser({"毒罪办": "毒品和犯罪问题办公室", "《公约》": "打击有组织犯罪公约"})
    >>> c("请毒罪办协助实施《公约》")
    '请毒品和犯罪问题办公室协助实施打击有组织犯罪公约'
    """

    def __init__(self, synonyms):
        self.synonyms = dict(synonyms)
        self._re = re.compile(alternation(self.synonyms)) if self.synonyms else None

    def __call__(self, text: str) -> str:
        if self._re is None or not text:
            return text
        return self._re.sub(lambda m: self.synonyms[m.group(0)], text)


class DomainTokeniser:
    """jieba with the project's dictionary, synonyms and stopwords."""

    def __init__(self, lexicon: Lexicon | None = None, *, hmm: bool = False, backend: str = "jieba"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown tokeniser backend {backend!r} (expected one of {', '.join(BACKENDS)})")
        self.lexicon = lexicon or load_lexicon()
        self.version = self.lexicon.version
        self.hmm = hmm
        self.backend = backend
        self.canonicalise = Canonicaliser(self.lexicon.synonyms)
        # The dictionary: user terms, then every synonym and canonical form
        # (so the raw cut keeps 毒罪办 whole as well). Book-title marks are
        # not part of a word.
        entries = [(w.word, w.freq, w.tag) for w in self.lexicon.userdict]
        listed = {w for w, _, _ in entries}
        for term in list(self.lexicon.synonyms) + list(self.lexicon.synonyms.values()):
            term = term.strip("《》")
            if term and term not in listed:
                listed.add(term)
                entries.append((term, None, "n"))
        self._entries = entries
        self.words = tuple(w for w, _, _ in entries)
        self._jieba = None
        self._rjieba = None
        if backend == "rjieba":
            # rjieba needs only the frequencies jieba settles on for the
            # domain words; they are kept on disk, so that a run which cuts
            # with rjieba does not load jieba's own dictionary (1-2 s).
            self._rjieba = self._build_rjieba(self._domain_freqs())
        else:
            self._jieba_tokenizer()
        self._memo: dict[str, str | None] = {}
        logger.info("tokeniser %s (%s, HMM %s): %d domain words", self.version, backend,
                    "on" if hmm else "off", len(self.words))

    def _jieba_tokenizer(self):
        """jieba with the domain words added (built on first need)."""
        if self._jieba is None:
            tok = _import_jieba().Tokenizer()
            tok.tmp_dir = str(cache_dir())
            tok.initialize()
            for word, freq, tag in self._entries:
                if freq is None:
                    freq = max(tok.suggest_freq(word, False), DOMAIN_FREQ_FLOOR)
                tok.add_word(word, freq, tag)
            self._jieba = tok
        return self._jieba

    def _domain_freqs(self) -> dict[str, int]:
        """Frequency of every domain word in jieba's dictionary once they are
        added (a word's suggested frequency depends on the words before it)."""
        import hashlib
        import json

        from importlib import metadata

        key = hashlib.sha256(json.dumps([metadata.version("jieba"), DOMAIN_FREQ_FLOOR, self._entries],
                                        ensure_ascii=False).encode()).hexdigest()[:16]
        path = cache_dir() / f"domain-freqs-{key}.json"
        try:
            freqs = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(freqs, dict) and set(freqs) == set(self.words):
                return {w: int(f) for w, f in freqs.items()}
        except (OSError, ValueError):
            pass
        tok = self._jieba_tokenizer()
        freqs = {w: int(tok.FREQ[w]) for w in self.words}
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(freqs, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            logger.warning("cannot keep the domain word frequencies in %s (%s)", path.parent, exc)
        return freqs

    def _build_rjieba(self, freqs: dict[str, int]):
        try:
            import rjieba
        except ImportError as e:  # pragma: no cover - depends on the install
            raise ImportError("backend='rjieba' needs the rjieba package (pip install rjieba)") from e
        r = rjieba.Jieba()
        # Same words at the frequencies jieba settled on, so both backends
        # see the same dictionary.
        for word in self.words:
            r.add_word(word, freqs[word], None)
        return r

    # -- segmentation ------------------------------------------------------

    def cut(self, text: str) -> list[str]:
        """Raw segmentation (nothing dropped, nothing folded)."""
        if not text:
            return []
        if self._rjieba is not None:
            return self._rjieba.cut(text, self.hmm)
        return self._jieba_tokenizer().lcut(text, HMM=self.hmm)

    def _content(self, word: str) -> str | None:
        word = word.strip()
        if not word or _NO_CONTENT.match(word):
            return None
        word = self.lexicon.synonyms.get(word, word).strip("《》")
        if not word or word in self.lexicon.stopwords:
            return None
        return word

    def tokens(self, text: str) -> list[str]:
        """Canonical content tokens of ``text``."""
        if not text:
            return []
        memo = self._memo
        out = []
        for w in self.cut(self.canonicalise(text)):
            c = memo.get(w, _MISSING)
            if c is _MISSING:
                c = memo[w] = self._content(w)
            if c is not None:
                out.append(c)
        return out

    def __call__(self, text: str) -> list[str]:
        return self.tokens(text)

    def __repr__(self) -> str:
        return f"DomainTokeniser(version={self.version!r}, backend={self.backend!r}, hmm={self.hmm})"


_TOKENISERS: dict[tuple, DomainTokeniser] = {}


def get_tokeniser(lexicon_dir: str | Path | None = None, *, backend: str = "jieba",
                  hmm: bool = False) -> DomainTokeniser:
    """The tokeniser for the current lexicon (built once per version, backend, HMM).

    ``backend="auto"`` takes rjieba (a Rust port, many times faster) when it
    is installed and jieba otherwise: with the project's dictionary and HMM
    off both cut identically (tests/test_tokenise.py checks it), so the
    choice changes speed, never results.
    """
    if backend == "auto":
        backend = "rjieba" if importlib.util.find_spec("rjieba") is not None and not hmm else "jieba"
    lex = load_lexicon(lexicon_dir)
    key = (str(lex.directory), lex.version, backend, hmm)
    if key not in _TOKENISERS:
        _TOKENISERS[key] = DomainTokeniser(lex, hmm=hmm, backend=backend)
    return _TOKENISERS[key]


def canonicalise(text: str, lexicon_dir: str | Path | None = None) -> str:
    """Fold every synonym in ``text`` to its canonical term.

    >>> canonicalise("联合国毒品和犯罪问题办公室和毒罪办")
    '毒品和犯罪问题办公室和毒品和犯罪问题办公室'
    """
    return get_tokeniser(lexicon_dir).canonicalise(text)


def tokens_column(recs: pd.DataFrame, tokeniser: DomainTokeniser | None = None) -> pd.Series:
    """The ``tokens`` column if ``recs`` has it, else the tokens of ``text``."""
    if "tokens" in recs.columns:
        return recs["tokens"]
    tok = tokeniser or get_tokeniser()
    return recs["text"].map(tok.tokens)


def term_frequencies(recs: pd.DataFrame, by: str | None = "resolution", *, n: int | None = None,
                     tokeniser: DomainTokeniser | None = None) -> pd.DataFrame:
    """Content-token counts per group: ``[group, term, count, share, rank]``.

    ``by`` is a column of ``recs`` (``resolution``, ``part``,
    ``primary_theme`` …); a list-valued column (``themes``) counts a row in
    each of its groups; ``None`` counts the whole table as group ``all``.
    ``share`` is the term's count over all tokens of its group; ``rank``
    starts at 1 (ties broken by term, so the table is deterministic);
    ``n`` keeps the top n terms per group.
    """
    toks = tokens_column(recs, tokeniser)
    if by is None:
        groups = pd.Series(["all"] * len(recs), index=recs.index)
    elif by not in recs.columns:
        raise KeyError(f"term_frequencies: no column {by!r} in the table")
    else:
        groups = recs[by]
    # Counted and ranked on integer codes: a corpus of a thousand
    # resolutions has half a million tokens.
    tok_lists = toks.tolist()
    labels: list[str] = []
    rows: list[int] = []
    for i, g in enumerate(groups.tolist()):
        for k in (g if isinstance(g, (list, tuple, np.ndarray)) else [g]):
            if k is None or (isinstance(k, float) and pd.isna(k)):
                continue
            labels.append(str(k))
            rows.append(i)
    lens = np.fromiter((len(tok_lists[i]) for i in rows), dtype=np.int64, count=len(rows))
    terms = np.fromiter(chain.from_iterable(tok_lists[i] for i in rows), dtype=object, count=int(lens.sum()))
    g_code, g_names = pd.factorize(np.array(labels, dtype=object))
    t_code, t_names = pd.factorize(terms)
    m = max(len(t_names), 1)
    keys, count = np.unique(np.repeat(g_code.astype(np.int64), lens) * m + t_code, return_counts=True)
    g, t = keys // m, keys % m
    share = count / np.bincount(g, weights=count, minlength=len(g_names))[g]
    # By group, most frequent first, ties by term (text order, as sorted() has it).
    g_rank = np.argsort(np.argsort(np.asarray(g_names, dtype=object), kind="stable"), kind="stable")
    t_rank = np.argsort(np.argsort(np.asarray(t_names, dtype=object), kind="stable"), kind="stable")
    order = np.lexsort((t_rank[t], -count, g_rank[g]))
    g, t, count, share = g[order], t[order], count[order], share[order]
    first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, dtype=bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(g)), 0)) if len(g) else np.zeros(0, dtype=np.int64)
    rank = np.arange(len(g)) - start + 1
    out = pd.DataFrame({"group": pd.Series(np.asarray(g_names, dtype=object)[g], dtype="str"),
                        "term": pd.Series(np.asarray(t_names, dtype=object)[t], dtype="str"),
                        "count": count.astype("int64"), "share": share, "rank": rank.astype("int64")})
    if n is not None:
        out = out[out["rank"] <= n].reset_index(drop=True)
    # every group keeps its rank 1, so ``first`` counts the groups (Arrow's
    # nunique over the text column took 1.7 s on a thousand resolutions)
    logger.info("term frequencies by %s: %d groups, %d rows", by, int(first.sum()), len(out))
    return out
