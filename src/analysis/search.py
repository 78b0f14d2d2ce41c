"""Agreed-language search: where the corpus asks for something, in its own words, over time.

Contract
--------
``search(recs, query, **filters) -> DataFrame`` returns a keyword-in-context
table, one row per matching recommendation, in time order (``bodies.time_key``,
then the recommendations' order):

``resolution, year, rec_id, left, match, right, how, actor_group, strength,
strength_family, themes, crime_areas, body, text``

* a recommendation matches when the query (spaces removed) is in its text
  (``how = "text"``), or else when every content token of the query is among
  its tokens (``how = "tokens"``: the project's tokeniser, with its
  dictionary and synonyms, so ``保护证人`` finds ``证人保护`` and a synonym
  finds its canonical form);
* ``match`` is the matched wording as written: the query itself, or the
  stretch from the first to the last matched word when they stand within
  ``window`` characters, else the first matched word; ``left``/``right`` are
  ``window`` characters of context;
* filters (each optional, several values allowed): ``actor_group``,
  ``strength_family``, ``theme`` (any of the recommendation's themes),
  ``crime_area``, ``body`` (``COP``, ``GA`` …), ``year_from``, ``year_to``.

``cop-analysis search QUERY`` prints the table and writes it as CSV and XLSX;
notebook 06 offers the same search as a widget.
"""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from .bodies import time_key
from .tables import list_cell

COLUMNS = ["resolution", "year", "rec_id", "left", "match", "right", "how", "actor_group", "strength",
           "strength_family", "themes", "crime_areas", "body", "text"]


def _any_of(values) -> set[str] | None:
    if values is None or values == "" or values == []:
        return None
    if isinstance(values, str):
        return {values}
    return {str(v) for v in values}


def _filtered(recs: pd.DataFrame, *, actor_group=None, strength_family=None, theme=None, crime_area=None,
              body=None, year_from: int | None = None, year_to: int | None = None) -> pd.DataFrame:
    keep = pd.Series(True, index=recs.index)
    for col, want in (("actor_group", actor_group), ("strength_family", strength_family), ("body", body)):
        want = _any_of(want)
        if want is not None and col in recs:
            keep &= recs[col].astype(str).isin(want)
    for col, want in (("themes", theme), ("crime_areas", crime_area)):
        want = _any_of(want)
        if want is not None and col in recs:
            keep &= recs[col].map(lambda v: bool(want & set(map(str, list_cell(v)))))
    if "year" in recs and (year_from is not None or year_to is not None):
        year = pd.to_numeric(recs["year"], errors="coerce")
        if year_from is not None:
            keep &= year >= year_from
        if year_to is not None:
            keep &= year <= year_to
    return recs[keep]


def _token_span(text: str, wanted: set[str], tokeniser, window: int) -> tuple[int, int] | None:
    """Offsets of the matched words in ``text`` (first to last, if close)."""
    pos, hits = 0, []
    for word in tokeniser.cut(text):
        at = text.find(word, pos)
        if at < 0:
            continue
        pos = at + len(word)
        canon = tokeniser.canonicalise(word)
        if canon in wanted or word in wanted:
            hits.append((at, at + len(word), canon if canon in wanted else word))
    if not hits or {h[2] for h in hits} < wanted:
        return None
    first = hits[0]
    last = max((h for h in hits if h[0] - first[0] <= window), key=lambda h: h[1])
    return first[0], last[1]


def search(recs: pd.DataFrame, query: str, *, window: int = 20, tokeniser=None, **filters) -> pd.DataFrame:
    """The keyword-in-context table of ``query`` (see the module docstring)."""
    q = re.sub(r"\s+", "", query or "")
    if not q:
        raise ValueError("search: the query is empty")
    pool = _filtered(recs, **filters)
    if tokeniser is None:
        from .tokenise import get_tokeniser

        tokeniser = get_tokeniser()
    wanted = set(tokeniser.tokens(q))
    rows = []
    for rec in pool.to_dict("records"):
        text = str(rec["text"])
        at = text.find(q)
        if at >= 0:
            span, how = (at, at + len(q)), "text"
        elif wanted and wanted <= set(map(str, list_cell(rec.get("tokens")))):
            span, how = _token_span(text, wanted, tokeniser, window), "tokens"
            if span is None:
                continue
        else:
            continue
        a, b = span
        rows.append({
            "resolution": rec["resolution"], "year": rec.get("year"), "rec_id": rec["rec_id"],
            "left": text[max(0, a - window):a], "match": text[a:b], "right": text[b:b + window], "how": how,
            "actor_group": rec.get("actor_group"), "strength": rec.get("strength"),
            "strength_family": rec.get("strength_family"), "themes": list_cell(rec.get("themes")),
            "crime_areas": list_cell(rec.get("crime_areas")), "body": rec.get("body"), "text": text,
            "_order": len(rows), "_time": time_key(str(rec["resolution"]), rec.get("date") or None),
        })
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows).sort_values(["_time", "_order"], kind="mergesort")
    return out[COLUMNS].reset_index(drop=True)


def kwic_lines(table: pd.DataFrame, *, width: int = 20) -> Iterable[str]:
    """The table as aligned text lines for a terminal: ``year key rec_id  left [match] right``."""
    for r in table.itertuples(index=False):
        year = "" if pd.isna(r.year) else str(int(r.year))
        yield (f"{year:>4}  {r.rec_id:<22} {str(r.left):>{width}}【{r.match}】{r.right}  "
               f"({r.actor_group or '-'}, {r.strength or '-'})")
