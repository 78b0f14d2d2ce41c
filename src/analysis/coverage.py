"""Coverage tables: tidy counts of the classified recommendations, for the charts.

Contract
--------
Every function takes the classified recommendations table (one row per
recommendation; columns ``resolution``, ``part``, ``section``, ``text``,
``actor_group``, ``strength_family``, ``strength_score``, ``themes`` (list),
``primary_theme``, ``crime_areas`` (list); only those a function needs are
required) and returns a
new DataFrame; none reads or writes files.

* ``theme_coverage(recs, by="resolution"|"part"|"section")`` ->
  ``unit, theme, count, share, unit_order`` (+ ``n_recs``, ``resolution``,
  ``part``, ``section``): long form, every unit x every theme (zeros
  included), ``share`` = count / recommendations in the unit (themes are
  multi-label, so shares of a unit may add up to more than 1);
* ``crime_area_coverage(recs, by=...)`` -> the same long form with
  ``crime_area`` for ``theme`` (codebook §4b; ``by`` may also be any other
  column, e.g. a ``session``), and ``crime_area_by_theme(recs)`` ->
  ``theme, crime_area, count, share, n_theme`` (share of the theme's
  recommendations); a row with no crime area is about the Convention in
  general and is counted under the no-category;
* ``actor_strength(recs)`` -> ``actor_group, strength_family, count``;
* ``strength_by_actor(recs)`` -> ``actor_group, strength_score, count``;
* ``theme_cooccurrence(recs)`` -> square theme x theme counts (the diagonal
  is the number of recommendations with the theme);
* ``top_terms(recs, by="primary_theme"|"resolution", n=10)`` ->
  ``group, term, count, rank``: ``count`` is the number of the group's
  recommendations that use the term (stock phrases stripped first).

What always holds: no recommendation is dropped. A row with no theme, no
actor group or no strength family is counted under an explicit category,
``未分类`` (``lang="zh"``) or ``(none)`` (``lang="en"``), see ``none_label``;
grids are complete so a chart shows a zero rather than nothing. Units are
labelled for a reader (``11/2 附件一`` / ``11/2 annex I``, ``unit_label``) and
ordered by ``unit_order`` (resolutions by number, then body before annexes,
then sections in document order).

Why
---
Charts (``analysis.charts``) and notebooks draw from these tables and must
not recount anything themselves: one place decides what a share is and where
unclassified rows go.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .bodies import time_key
from .tables import list_cell
from .numerals import int_to_cn, roman_to_int

logger = logging.getLogger(__name__)

TokenFn = Callable[[str], list[str]]

#: The explicit category for rows with no theme / actor group / strength family.
NONE_LABELS = {"zh": "未分类", "en": "(none)"}

#: Codebook order of actor groups and strength families (unknown values follow, sorted).
ACTOR_ORDER = ("States", "UNODC", "Body", "Other")
FAMILY_ORDER = ("应", "鼓励", "不妨", "其他")
SCORE_ORDER = (5, 4, 3, 2, 1)

_PART_WORDS = {"zh": ("正文", "附件"), "en": ("body", "annex")}


def none_label(lang: str = "zh") -> str:
    """The label of the 'no value' category in ``lang``.

    >>> none_label("zh"), none_label("en")
    ('未分类', '(none)')
    """
    try:
        return NONE_LABELS[lang]
    except KeyError:
        raise ValueError(f"lang must be one of {sorted(NONE_LABELS)}, got {lang!r}") from None


def adopting_body(recs: pd.DataFrame) -> str | None:
    """The code of the body that adopted the rows (``analysis.bodies``: COP,
    GA …) when they share one, None when they mix bodies; rows without an
    acting body (or a table without the column) count as the COP's. The
    charts show the ``Body`` actor group under this body's name.

    >>> adopting_body(pd.DataFrame({"acting_body": ["联合国打击跨国有组织犯罪公约缔约方会议", None]}))
    'COP'
    >>> adopting_body(pd.DataFrame({"acting_body": ["大会", "大会"]})), adopting_body(pd.DataFrame({"acting_body": ["大会", ""]}))
    ('GA', None)
    """
    from .bodies import body_of

    if "acting_body" not in recs.columns or recs.empty:
        return "COP"
    codes = {body_of(v) if not _missing(v) else "COP" for v in recs["acting_body"].unique()}
    return codes.pop() if len(codes) == 1 else None


def unit_label(resolution: str, part: str | None = None, lang: str = "zh") -> str:
    """Readable label of a resolution or one of its parts.

    >>> unit_label("11/2", "I"), unit_label("11/2", "I", "en")
    ('11/2 附件一', '11/2 annex I')
    >>> unit_label("11/2", "body"), unit_label("11/2", "body", "en"), unit_label("11/2")
    ('11/2 正文', '11/2 body', '11/2')
    """
    none_label(lang)  # validates lang
    if part is None or (isinstance(part, float) and math.isnan(part)) or part == "":
        return str(resolution)
    body, annex = _PART_WORDS[lang]
    if part == "body":
        return f"{resolution} {body}"
    n = roman_to_int(str(part))
    if n is None:
        return f"{resolution} {part}"
    return f"{resolution} {annex}{int_to_cn(n)}" if lang == "zh" else f"{resolution} {annex} {part}"


def resolution_key(resolution: str) -> tuple:
    """Sort key: units in time (``analysis.bodies.time_key``: the session's
    year, then body, session, kind and number), anything else last.

    >>> sorted(["11/2", "9/1", "GA.52/85", "10/4", "dec.11/101"], key=resolution_key)
    ['GA.52/85', '9/1', '10/4', '11/2', 'dec.11/101']
    """
    return time_key(str(resolution).strip())


def _part_key(part) -> int:
    if part == "body" or part is None or (isinstance(part, float) and math.isnan(part)):
        return 0
    n = roman_to_int(str(part))
    return n if n is not None else 999


def _missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, str) and not v.strip()


def _require(recs: pd.DataFrame, cols: Iterable[str], fn: str) -> None:
    missing = [c for c in cols if c not in recs.columns]
    if missing:
        raise ValueError(f"{fn}: recommendations table lacks column(s) {', '.join(missing)}")


def _ordered(values: Iterable, first: Sequence, none: str) -> list:
    """``first`` (codebook order) + other observed values sorted + ``none`` last."""
    seen = set(values)
    rest = sorted(v for v in seen if v not in first and v != none)
    return [v for v in first] + rest + [none]


def _fill(series: pd.Series, none: str) -> pd.Series:
    return series.map(lambda v: none if _missing(v) else str(v))


def _theme_order(recs: pd.DataFrame, themes: Sequence[str] | None, none: str) -> list[str]:
    if themes is not None:
        return [t for t in themes if t != none] + [none]
    counts = Counter(t for v in recs["themes"] for t in list_cell(v))
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))] + [none]


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def theme_coverage(
    recs: pd.DataFrame,
    by: str = "resolution",
    *,
    lang: str = "zh",
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Theme counts per unit (resolution, part or section), long form.

    ``themes`` fixes the theme order (e.g. the codebook's); by default the
    observed themes, most frequent first. The no-theme category is always
    last and always present.
    """
    if by not in ("resolution", "part", "section"):
        raise ValueError(f"theme_coverage: by must be resolution, part or section, got {by!r}")
    _require(recs, ["themes"], "theme_coverage")
    none = none_label(lang)
    order = _theme_order(recs, themes, none)
    return _label_coverage(recs, by, "themes", "theme", order, lang, "theme_coverage")


def crime_area_coverage(
    recs: pd.DataFrame,
    by: str = "resolution",
    *,
    lang: str = "zh",
    areas: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Crime-area counts per unit, long form, in the shape of ``theme_coverage``
    (``unit, crime_area, count, share, unit_order, n_recs, resolution, part,
    section``).

    ``by``: ``resolution``, ``part`` or ``section`` (labelled and ordered as
    for themes), or any other column of ``recs`` (a ``session`` column, a
    year): its values are the units, in numeric order where they are
    numbers. ``areas`` fixes the order; by default the codebook's eleven
    areas, every one present (an area no unit touches is a finding). Rows
    without a crime area, the Convention in general, are the no-category
    (``none_label``), always last and always present.
    """
    _require(recs, ["crime_areas"], "crime_area_coverage")
    none = none_label(lang)
    order = [a for a in (areas if areas is not None else _area_codes()) if a != none] + [none]
    return _label_coverage(recs, by, "crime_areas", "crime_area", order, lang, "crime_area_coverage")


def crime_area_by_theme(
    recs: pd.DataFrame,
    *,
    lang: str = "zh",
    themes: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How the action themes meet the crime areas: ``theme, crime_area, count,
    share, n_theme``, one row per theme x area (zeros included).

    A recommendation counts once in every pair of its themes and its areas
    (both multi-label); one without a theme or without an area is counted
    under the no-category (``none_label``), never dropped. ``share`` is the
    count over ``n_theme``, the recommendations that carry the theme: the
    share of the technical-assistance recommendations that are about
    trafficking in persons. Themes in ``themes`` order (default: the
    codebook's), areas in ``areas`` order (default: the codebook's).
    """
    _require(recs, ["themes", "crime_areas"], "crime_area_by_theme")
    none = none_label(lang)
    theme_order = [t for t in (themes if themes is not None else _theme_codes()) if t != none] + [none]
    area_order = [a for a in (areas if areas is not None else _area_codes()) if a != none] + [none]
    counts: Counter = Counter()
    n_theme: Counter = Counter()
    for ts, cs in zip(recs["themes"], recs["crime_areas"]):
        ts, cs = list_cell(ts) or [none], list_cell(cs) or [none]
        for t in dict.fromkeys(ts):
            n_theme[t] += 1
            for c in dict.fromkeys(cs):
                counts[(t, c)] += 1
    theme_order += sorted(t for t in n_theme if t not in theme_order)
    area_order += sorted({c for _, c in counts if c not in area_order})
    rows = [(t, c, counts.get((t, c), 0), n_theme.get(t, 0)) for t in theme_order for c in area_order]
    out = pd.DataFrame(rows, columns=["theme", "crime_area", "count", "n_theme"])
    out["share"] = (out["count"] / out["n_theme"].where(out["n_theme"] > 0)).fillna(0.0).astype(float)
    out["count"] = out["count"].astype("int64")
    out["n_theme"] = out["n_theme"].astype("int64")
    n_general = sum(1 for v in recs["crime_areas"] if not list_cell(v))
    if len(recs):
        logger.info("crime_area_by_theme: %d of %d recommendations name no crime area (the Convention in general)",
                    n_general, len(recs))
    return out[["theme", "crime_area", "count", "share", "n_theme"]]


def _theme_codes() -> list[str]:
    from .lexicon import load_lexicon

    return list(load_lexicon().theme_codes)


def _area_codes() -> list[str]:
    from .lexicon import load_lexicon

    return list(load_lexicon().crime_area_codes)


def _value_key(v) -> tuple:
    """Units of a free grouping column: numbers in numeric order, then text."""
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def _label_coverage(recs: pd.DataFrame, by: str, list_col: str, out_col: str, order: list, lang: str,
                    fn: str) -> pd.DataFrame:
    """Counts of a multi-label column (``themes``, ``crime_areas``) per unit,
    every unit x every label in ``order`` (its last entry is the no-label
    category), long form."""
    standard = by in ("resolution", "part", "section")
    need = ([by] if not standard else ["resolution"] + (["part"] if by != "resolution" else [])
            + (["section"] if by == "section" else []))
    missing = [c for c in need if c not in recs.columns]
    if missing:
        if not standard:
            raise ValueError(f"{fn}: by must be resolution, part, section or a column of the table, got {by!r}")
        _require(recs, need, fn)
    none = order[-1]
    order = list(order)
    cols = ["unit", out_col, "count", "share", "unit_order", "n_recs", "resolution", "part", "section"]
    if recs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})

    labels = [list_cell(v) or [none] for v in recs[list_col]]
    if standard:
        df = pd.DataFrame(
            {
                "resolution": recs["resolution"].astype(str).to_numpy(),
                "part": recs["part"].to_numpy() if by != "resolution" else None,
                "section": recs["section"].map(lambda v: None if _missing(v) else str(v)).to_numpy()
                if by == "section"
                else None,
                list_col: labels,
                "pos": np.arange(len(recs)) if "seq" not in recs.columns else recs["seq"].to_numpy(),
            }
        )
        key_cols = ["resolution"] + (["part"] if by != "resolution" else []) + (["section"] if by == "section" else [])
    else:
        df = pd.DataFrame({"_by": [none if _missing(v) else str(v) for v in recs[by]], list_col: labels,
                           "pos": np.arange(len(recs))})
        key_cols = ["_by"]
    # Units in reading order: resolution number, body before annexes, then the
    # order in which sections first appear in the document.
    units = (
        df.assign(_first=df["pos"])
        .groupby(key_cols, dropna=False, sort=False)
        .agg(n_recs=(list_col, "size"), first=("_first", "min"))
        .reset_index()
    )
    if standard:
        units["_k"] = [
            (resolution_key(r), _part_key(p) if by != "resolution" else 0, f)
            for r, p, f in zip(units["resolution"], units.get("part", [None] * len(units)), units["first"])
        ]
    else:
        units["_k"] = [(v == none, _value_key(v)) for v in units["_by"]]
    units = units.sort_values("_k", kind="stable").reset_index(drop=True)
    units["unit_order"] = np.arange(len(units), dtype=np.int64)

    def label(row) -> str:
        if not standard:
            return row["_by"]
        if by == "resolution":
            return unit_label(row["resolution"], None, lang)
        base = unit_label(row["resolution"], row["part"], lang)
        if by == "section" and not _missing(row["section"]):
            return f"{base} · {row['section']}"
        return base

    units["unit"] = units.apply(label, axis=1)
    if units["unit"].duplicated().any():
        # Two units with one label (e.g. the same section heading twice in an
        # annex): keep them apart by their order.
        dup = units["unit"].duplicated(keep=False)
        units.loc[dup, "unit"] = units.loc[dup, "unit"] + " (" + (units.loc[dup, "unit_order"] + 1).astype(str) + ")"

    exploded = df.explode(list_col).rename(columns={list_col: out_col})
    counts = exploded.groupby(key_cols + [out_col], dropna=False, sort=False).size().rename("count").reset_index()
    order = order[:-1] + sorted(set(counts[out_col]) - set(order)) + [none]  # a label outside the order still counts
    grid = units.assign(_j=1).merge(pd.DataFrame({out_col: order, "_j": 1, "_label_order": range(len(order))}),
                                    on="_j")
    out = grid.merge(counts, on=key_cols + [out_col], how="left")
    out["count"] = out["count"].fillna(0).astype("int64")
    out["share"] = (out["count"] / out["n_recs"]).astype(float)
    out["n_recs"] = out["n_recs"].astype("int64")
    if not standard or by == "resolution":
        out["part"] = None
    if not standard:
        out["resolution"] = None
    if by != "section":
        out["section"] = None
    out = out.sort_values(["unit_order", "_label_order"], kind="stable").reset_index(drop=True)
    n_none = sum(1 for v in labels if v == [none])
    if n_none:
        logger.info("%s: %d of %d recommendations have no %s (counted as %s)", fn, n_none, len(recs),
                    out_col.replace("_", " "), none)
    return out[cols]


def actor_strength(recs: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """Counts per actor group x strength family (codebook order, zeros included)."""
    _require(recs, ["actor_group", "strength_family"], "actor_strength")
    none = none_label(lang)
    actor = _fill(recs["actor_group"], none)
    family = _fill(recs["strength_family"], none)
    groups = _ordered(actor, ACTOR_ORDER, none)
    families = _ordered(family, FAMILY_ORDER, none)
    counts = Counter(zip(actor, family))
    rows = [(g, f, counts.get((g, f), 0)) for g in groups for f in families]
    n_none = int((actor == none).sum())
    if n_none:
        logger.info("actor_strength: %d of %d recommendations have no actor group", n_none, len(recs))
    out = pd.DataFrame(rows, columns=["actor_group", "strength_family", "count"])
    out["count"] = out["count"].astype("int64")
    return out


def strength_by_actor(recs: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """Counts per actor group x strength score (5 … 1, then <NA> for no score)."""
    _require(recs, ["actor_group", "strength_score"], "strength_by_actor")
    none = none_label(lang)
    actor = _fill(recs["actor_group"], none)
    score = pd.array(
        [pd.NA if _missing(v) else int(v) for v in recs["strength_score"]],
        dtype="Int64",
    )
    groups = _ordered(actor, ACTOR_ORDER, none)
    observed = sorted({int(s) for s in score if not pd.isna(s)} - set(SCORE_ORDER), reverse=True)
    scores = list(SCORE_ORDER) + observed
    counts = Counter((a, None if pd.isna(s) else int(s)) for a, s in zip(actor, score))
    rows = [(g, s, counts.get((g, s), 0)) for g in groups for s in [*scores, None]]
    out = pd.DataFrame(rows, columns=["actor_group", "strength_score", "count"])
    out["strength_score"] = pd.array([pd.NA if s is None else s for s in out["strength_score"]], dtype="Int64")
    out["count"] = out["count"].astype("int64")
    return out


def theme_cooccurrence(
    recs: pd.DataFrame,
    *,
    lang: str = "zh",
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Square theme x theme counts: how many recommendations carry both themes.

    Rows with no theme appear on the diagonal of the no-theme category.
    """
    _require(recs, ["themes"], "theme_cooccurrence")
    none = none_label(lang)
    order = _theme_order(recs, themes, none)
    idx = {t: k for k, t in enumerate(order)}
    m = np.zeros((len(recs), len(order)), dtype=np.int64)
    for r, v in enumerate(recs["themes"]):
        ts = list_cell(v) or [none]
        for t in ts:
            if t not in idx:  # a theme outside the given order is still counted
                idx[t] = len(order)
                order.append(t)
                m = np.hstack([m, np.zeros((len(recs), 1), dtype=np.int64)])
            m[r, idx[t]] = 1
    co = m.T @ m
    out = pd.DataFrame(co, index=pd.Index(order, name="theme"), columns=pd.Index(order, name="theme"))
    return out


def top_terms(
    recs: pd.DataFrame,
    by: str = "primary_theme",
    n: int = 10,
    *,
    lang: str = "zh",
    tokens: TokenFn | None = None,
    strip_stock: bool = True,
    min_count: int = 2,
    drop_generic: bool = True,
) -> pd.DataFrame:
    """The ``n`` terms used by most recommendations of each group.

    ``by`` is ``primary_theme``, ``resolution`` or ``themes`` (a
    recommendation then counts in each of its themes). Terms come from
    ``tokens`` (default ``analysis.tokenise``) on the text with the stock
    phrases stripped (``strip_stock``), so 各国应考虑 does not top every list.
    Ties: more occurrences first, then the term. ``rank`` starts at 1.

    A term used by fewer than ``min_count`` of the group's recommendations
    is left out (a ranking of ties of 1 says nothing about the group), and
    so are, with ``drop_generic``, the words the glossary lists as too
    general to characterise a group (提供, 国家, 实施 …:
    ``lexicon/glossary.yaml``, ``generic``). A group left with no term is
    left out of the table.
    """
    if by not in ("primary_theme", "resolution", "themes"):
        raise ValueError(f"top_terms: by must be primary_theme, resolution or themes, got {by!r}")
    _require(recs, [by, "text"], "top_terms")
    none = none_label(lang)
    cols = ["group", "term", "count", "rank"]
    if recs.empty or n <= 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    from . import overlap

    tok = tokens if tokens is not None else overlap.default_tokens()
    phrases = overlap.load_stock_phrases() if strip_stock else None

    docs = Counter()
    occ = Counter()
    group_sizes = Counter()
    for text, key in zip(recs["text"], recs[by]):
        text = "" if _missing(text) else str(text)
        stripped = phrases.strip(text) if phrases else text
        terms = overlap.segment_tokens(stripped, tok)
        groups = (list_cell(key) or [none]) if by == "themes" else [none if _missing(key) else str(key)]
        for g in groups:
            group_sizes[g] += 1
            for t, c in Counter(terms).items():
                docs[(g, t)] += 1
                occ[(g, t)] += c

    if by == "resolution":
        group_order = sorted(group_sizes, key=lambda g: (g == none, resolution_key(g)))
    else:
        group_order = sorted(group_sizes, key=lambda g: (g == none, -group_sizes[g], g))
    rows = []
    by_group: dict[str, list] = {g: [] for g in group_order}
    for (g, t), c in docs.items():
        by_group[g].append((t, c, occ[(g, t)]))
    generic = None
    if drop_generic:
        from .glossary import load_glossary

        generic = load_glossary().is_generic
    for g in group_order:
        kept = [x for x in by_group[g] if x[1] >= min_count and not (generic and generic(x[0]))]
        best = sorted(kept, key=lambda x: (-x[1], -x[2], x[0]))[:n]
        rows.extend((g, t, c, r) for r, (t, c, _) in enumerate(best, start=1))
    out = pd.DataFrame(rows, columns=cols)
    out["count"] = out["count"].astype("int64")
    out["rank"] = out["rank"].astype("int64")
    return out


def chart_words(recs, citations=None, *, n: int = 10) -> list[str]:
    """The Chinese words the English charts of a run show: the top terms of
    each theme and each unit (``top_terms``), the annex section
    headings and the cited treaties and bodies' resolutions."""
    words: list[str] = []
    if recs is not None and len(recs) and "text" in recs:
        for by in ("primary_theme", "resolution"):
            if by in recs:
                words += top_terms(recs, by=by, n=n)["term"].astype(str).tolist()
        if "section" in recs:
            words += [str(s) for s in recs["section"].dropna().unique() if str(s).strip()]
    if citations is not None and len(citations) and "cited_kind" in citations:
        shown = citations[citations["cited_kind"].isin(["resolution", "document", "treaty"])]
        words += shown["cited"].astype(str).tolist()
    from .glossary import has_chinese

    return [w for w in dict.fromkeys(words) if has_chinese(w)]
