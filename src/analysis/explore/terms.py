"""Tokens and terms (notebook 02): ``token_view``, ``terms_wide``,
``dictionary_coverage``, ``out_of_dictionary``, ``synonyms_folded``.

Contract
--------
Tokens come through ``analysis.tokenise``'s public API (``get_tokeniser``,
``tokens_column``), so these tables count exactly what the pipeline
counts; a ``tokeniser`` argument replaces the default one. Groups (``by``)
are ordered as units are (``coverage.resolution_key``).

Why
---
They show what the domain dictionary, the synonyms and the stopwords do to
the texts: where a rule file needs a word added (``out_of_dictionary``)
and which variants were folded (``synonyms_folded``).
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from ..tables import list_cell
from .views import _group_key


def _groups(recs: pd.DataFrame, by: str | None) -> list[list[str]]:
    if by is None:
        return [["all"]] * len(recs)
    if by not in recs.columns:
        raise KeyError(f"no column {by!r} in the table")
    return [[str(x) for x in list_cell(v)] if not isinstance(v, str) else [v] for v in recs[by]]


def token_view(recs: pd.DataFrame, n: int = 3, tokeniser=None) -> pd.DataFrame:
    """The first ``n`` recommendations as jieba cuts them and as the content
    tokens counted everywhere else: ``[rec_id, cut, tokens]`` (words joined
    with `` / ``), to see what the dictionary, the synonyms and the stopwords do."""
    from ..tokenise import get_tokeniser

    tok = tokeniser or get_tokeniser()
    head = recs.head(n)
    return pd.DataFrame({"rec_id": head["rec_id"].tolist(),
                         "cut": [" / ".join(tok.cut(str(t))) for t in head["text"]],
                         "tokens": [" / ".join(tok.tokens(str(t))) for t in head["text"]]})


def terms_wide(freq: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """A ``[group, term, count, rank]`` table (``tokenise.term_frequencies``,
    ``coverage.top_terms``) as one column per group, ``term (count)`` by rank.

    >>> f = pd.DataFrame({"group": ["A", "A", "B"], "term": ["培训", "资源", "数据"],
    ...                   "count": [3, 1, 2], "rank": [1, 2, 1]})
    >>> terms_wide(f).to_dict("list")
    {'A': ['培训 (3)', '资源 (1)'], 'B': ['数据 (2)', '']}
    """
    if freq is None or freq.empty:
        return pd.DataFrame()
    f = freq[freq["rank"] <= n].copy()
    f["cell"] = f["term"].astype(str) + " (" + f["count"].astype(str) + ")"
    out = f.pivot(index="rank", columns="group", values="cell").fillna("")
    out = out[sorted(out.columns, key=_group_key)]
    out.columns.name = None
    return out


def dictionary_coverage(recs: pd.DataFrame, by: str | None = "resolution", tokeniser=None) -> pd.DataFrame:
    """How much of the text the domain dictionary accounts for, per group.

    ``[group, tokens, dictionary_tokens, share, terms, dictionary_terms]``:
    content tokens (``analysis.tokenise``: synonyms folded, stopwords and
    punctuation dropped) and distinct terms, overall and among the domain
    dictionary's words (``userdict.txt`` plus every synonym and canonical
    form). ``by`` as in ``tokenise.term_frequencies`` (a list column such as
    ``themes`` counts a row in each of its groups).
    """
    from ..tokenise import get_tokeniser, tokens_column

    tok = tokeniser or get_tokeniser()
    words = set(tok.words)
    cols = ["group", "tokens", "dictionary_tokens", "share", "terms", "dictionary_terms"]
    if recs.empty:
        return pd.DataFrame(columns=cols)
    counts: dict[str, Counter] = {}
    for groups, toks in zip(_groups(recs, by), tokens_column(recs, tok)):
        for g in groups:
            counts.setdefault(g, Counter()).update(list_cell(toks))
    rows = []
    for g in sorted(counts, key=_group_key):
        c = counts[g]
        total = sum(c.values())
        in_dict = sum(n for t, n in c.items() if t in words)
        rows.append({"group": g, "tokens": total, "dictionary_tokens": in_dict,
                     "share": in_dict / total if total else 0.0, "terms": len(c),
                     "dictionary_terms": sum(1 for t in c if t in words)})
    return pd.DataFrame(rows, columns=cols)


def out_of_dictionary(recs: pd.DataFrame, n: int = 20, min_chars: int = 2, tokeniser=None) -> pd.DataFrame:
    """The most frequent content tokens the domain dictionary does not list.

    ``[term, count, recommendations]``: candidates for ``userdict.txt``
    (a domain term jieba happens to keep whole today may be split in
    another context) or for ``stopwords.txt``. Single characters are left
    out (``min_chars``).
    """
    from ..tokenise import get_tokeniser, tokens_column

    tok = tokeniser or get_tokeniser()
    words = set(tok.words)
    count: Counter = Counter()
    docs: Counter = Counter()
    if not recs.empty:
        for toks in tokens_column(recs, tok):
            toks = [t for t in list_cell(toks) if len(t) >= min_chars and t not in words]
            count.update(toks)
            docs.update(set(toks))
    ranked = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return pd.DataFrame([{"term": t, "count": c, "recommendations": docs[t]} for t, c in ranked],
                        columns=["term", "count", "recommendations"])


def synonyms_folded(recs: pd.DataFrame, tokeniser=None) -> pd.DataFrame:
    """The synonym variants found in the texts and what they were folded to.

    ``[variant, canonical, occurrences, recommendations, rec_ids]``, most
    frequent first. Variants are matched as the tokeniser folds them:
    longest first, on the text.
    """
    from ..lexicon import alternation
    from ..tokenise import get_tokeniser

    tok = tokeniser or get_tokeniser()
    synonyms = dict(tok.lexicon.synonyms)
    cols = ["variant", "canonical", "occurrences", "recommendations", "rec_ids"]
    if not synonyms or recs.empty:
        return pd.DataFrame(columns=cols)
    pattern = re.compile(alternation(synonyms))
    hits: Counter = Counter()
    where: dict[str, list[str]] = {}
    for rid, text in zip(recs["rec_id"], recs["text"]):
        for m in pattern.finditer(str(text)):
            v = m.group(0)
            hits[v] += 1
            ids = where.setdefault(v, [])
            if not ids or ids[-1] != rid:
                ids.append(str(rid))
    rows = [{"variant": v, "canonical": synonyms[v], "occurrences": c, "recommendations": len(where[v]),
             "rec_ids": where[v]} for v, c in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))]
    return pd.DataFrame(rows, columns=cols)
