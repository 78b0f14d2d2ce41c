"""Tables for reading: names, never codes.

What a person reads (a notebook's table, a spreadsheet sheet) shows the
codebook's names in the chosen language; the codes stay in the machine
tables (Parquet, CSV), which keep their columns unchanged.

Contract
--------
``heading`` (a column's heading), ``label_name`` (a theme or crime area),
``strength_family_name``: one code's name in ``lang``, the no-category
label as the charts show it. ``named`` (recommendation-like rows),
``readable_table`` (a chart's tidy table), ``coverage_wide``,
``actor_strength_wide``, ``actor_strength_by_resolution``,
``cooccurrence_named`` and ``crime_theme_wide`` turn machine tables into
tables for reading, in codebook order, rows and columns no recommendation
falls in left out. The names come from ``analysis.charts`` (the codebook
as the charts show it), so a table and a figure never name a code apart.

The private helpers here (``_cell``, ``_unit``, ``_unit_of``,
``_body_code``, ``_group_key``, ``_named_cells``) are shared with the other
modules of ``analysis.explore``; ``analysis.charts`` is imported when a
name is asked for, so importing this module does not load matplotlib.
"""

from __future__ import annotations

import pandas as pd

from ..tables import list_cell


#: Column headings of the tables for reading.
_HEADINGS = {
    "rec_id": ("编号", "ID"),
    "unit": ("单元", "Unit"),
    "part": ("部分", "Part"),
    "label": ("项", "Item"),
    "section": ("节", "Section"),
    "actor": ("行为方（原文）", "Actor (as written)"),
    "actor_group": ("行为方类别", "Actor group"),
    "strength": ("语气（原文）", "Strength cue (as written)"),
    "strength_en": ("语气", "Strength"),
    "strength_family": ("语气强度", "Strength family"),
    "strength_score": ("强度分值", "Strength score"),
    "themes": ("行动主题", "Action themes"),
    "primary_theme": ("主要主题", "Primary theme"),
    "crime_areas": ("犯罪领域", "Crime areas"),
    "conditions": ("条件", "Conditions"),
    "needs_review": ("需复核", "Needs review"),
    "overridden": ("已人工更正", "Corrected by hand"),
    "text": ("原文", "Text (as written)"),
    "count": ("建议条数", "Recommendations"),
    "share": ("比例", "Share"),
    "n_recs": ("该单元建议条数", "Recommendations in the unit"),
    "n_theme": ("该主题建议条数", "Recommendations with the theme"),
    "theme": ("行动主题", "Action theme"),
    "crime_area": ("犯罪领域", "Crime area"),
    "group": ("组", "Group"),
    "term": ("词", "Term"),
    "rank": ("名次", "Rank"),
    "resolution": ("单元", "Unit"),
    "similarity": ("相似度", "Similarity"),
    "rec_id_a": ("建议 A", "Recommendation A"),
    "rec_id_b": ("建议 B", "Recommendation B"),
    "session": ("届会", "Session"),
    "year": ("年份", "Year"),
    "category": ("类别", "Category"),
    "same_resolution": ("同一单元", "Same unit"),
    "shared_terms": ("共有词", "Shared terms"),
    "shared_spans": ("共有片段（原文）", "Shared passages (as written)"),
    "rank_a": ("对建议 A 的名次", "Rank for A"),
    "rank_b": ("对建议 B 的名次", "Rank for B"),
    "unchanged": ("未变", "Unchanged"),
    "stronger": ("更强", "Stronger"),
    "weaker": ("更弱", "Weaker"),
    "same": ("措辞改动、强度未变", "Reworded, same strength"),
    "new": ("新增", "New"),
    "n": ("建议条数", "Recommendations"),
    "para_id": ("段落编号", "Paragraph ID"),
    "citation_type": ("引用方式", "How cited"),
    "cited_kind": ("所引类别", "Kind cited"),
    "cited": ("所引（原文）", "Cited (as written)"),
    "cited_en": ("所引", "Cited"),
    "citing_body": ("引用机构", "Citing body"),
    "cited_body": ("所引机构", "Cited body"),
    "cited_key": ("所引单元", "Cited unit"),
    "normalised": ("规范写法", "Normalised"),
    "context": ("上下文（原文）", "Context (as written)"),
    "theme_evidence": ("主题依据（原文词语）", "Theme evidence (words as written)"),
    "crime_area_evidence": ("犯罪领域依据（原文词语）", "Crime area evidence (words as written)"),
}

#: How a code column kept beside its names is headed (``readable_table(…, codes=True)``).
CODE_HEADING = ("代码：", "Code: ")
#: How a citation is made (``citations.citation_type``), where it is not the verb as written.
_CITATION_TYPES = {"footnote": ("脚注", "footnote"), "recommendation": ("建议", "recommendation"),
                   "annex_title": ("附件标题", "annex title")}
#: The columns of the citations table a person reads, in this order (the rest is in ``citations.csv``).
_CITATION_COLUMNS = ("resolution", "para_id", "citation_type", "cited_kind", "cited", "cited_body", "cited_key",
                     "citing_body", "normalised", "context")

def heading(column: str, lang: str = "zh") -> str:
    """A column's heading in a table for reading.

    >>> heading("actor_group", "en"), heading("themes")
    ('Actor group', '行动主题')
    """
    names = _HEADINGS.get(column)
    return names[0 if lang == "zh" else 1] if names else column


def strength_family_name(family, lang: str = "zh") -> str:
    """A strength family by its codebook name.

    >>> strength_family_name("鼓励", "en"), strength_family_name(None, "zh")
    ('encourages', '未分类')
    """
    from .. import charts

    return charts._name(charts.STRENGTH_FAMILIES, family if isinstance(family, str) and family else None, lang)


def _unit_of(key, lang: str) -> str:
    from ..bodies import unit_name

    return unit_name(str(key), lang)


def _body_code(acting_body) -> str | None:
    from ..bodies import body_of

    if not isinstance(acting_body, str) or not acting_body.strip():
        return "COP"
    return body_of(acting_body)


def _cell(v) -> str:
    """A table cell as text: lists joined with |, missing values empty.

    >>> _cell(["TA", "LEG"]), _cell(None), _cell(pd.NA), _cell(3)
    ('TA|LEG', '', '', '3')
    """
    if hasattr(v, "tolist") and not isinstance(v, str):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return "|".join(map(str, v))
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _unit(resolution, part, lang: str = "zh") -> str:
    from ..coverage import unit_label

    return unit_label(resolution, part, lang)


def _group_key(g: str):
    from ..coverage import resolution_key

    return resolution_key(g)


def coverage_wide(cov: pd.DataFrame, value: str = "count", *, row: str = "theme",
                  lang: str | None = None) -> pd.DataFrame:
    """A ``coverage.theme_coverage`` (or ``crime_area_coverage``, with
    ``row="crime_area"``) table as label rows x unit columns, units in
    document order (``unit_order``), labels in the table's order. With
    ``lang``, rows are named as in the codebook (the no-category row as the
    charts name it) instead of by code.

    >>> cov = pd.DataFrame({"unit": ["1/1 正文", "1/1 附件一"] * 2, "theme": ["TA", "TA", "LEG", "LEG"],
    ...                     "count": [1, 2, 0, 3], "unit_order": [0, 1, 0, 1]})
    >>> coverage_wide(cov).values.tolist()
    [[1, 2], [0, 3]]
    >>> coverage_wide(cov, lang="en").index.tolist()
    ['Technical assistance and capacity-building', 'Legislation, case law and knowledge management']
    """
    if cov is None or cov.empty:
        return pd.DataFrame()
    units = cov.sort_values("unit_order")["unit"].drop_duplicates().tolist() if "unit_order" in cov else list(
        dict.fromkeys(cov["unit"]))
    labels = list(dict.fromkeys(cov[row]))
    out = cov.pivot_table(index=row, columns="unit", values=value, aggfunc="sum", sort=False)
    out = out.reindex(index=labels, columns=units)
    out.columns.name = None
    if lang is not None:
        # for reading: the no-category row only when some unit has one
        from .. import charts

        none = [v for v in out.index if isinstance(v, str) and v.strip() in charts.NONE_VALUES]
        out = out.drop(index=[v for v in none if not out.loc[v].fillna(0).to_numpy().any()])
        out.index = [label_name(row, v, lang) for v in out.index]
        out.columns = [charts.unit_label(str(u), lang) for u in out.columns]
    return out


def label_name(kind: str, code, lang: str = "zh") -> str:
    """How a person reads a code of a facet (``theme``, ``crime_area``):
    its codebook name; the no-category label as the charts show it.

    >>> label_name("crime_area", "SOM", "en"), label_name("crime_area", "未分类"), label_name("theme", "(none)", "en")
    ('Smuggling of migrants', '公约总体（未指明犯罪）', 'No theme')
    """
    return label_namer(kind, lang)(code)


def label_namer(kind: str, lang: str = "zh"):
    """``label_name`` for one facet and language, with the names looked up
    once: for naming every cell of a column.

    >>> name = label_namer("theme", "en"); name("TA"), name(None), name("XX")
    ('Technical assistance and capacity-building', 'No theme', 'XX')
    """
    from .. import charts

    names, none = ((charts.crime_area_names(), charts.CRIME_GENERAL) if kind == "crime_area"
                   else (charts.theme_names(), charts.THEME_NONE))
    i = 0 if lang == "zh" else 1
    blank = charts.NONE_VALUES

    def name(code) -> str:
        if code is None or (isinstance(code, str) and code.strip() in blank):
            return none[i]
        return names[code][i] if code in names else str(code)

    return name


def actor_strength_by_resolution(recs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.actor_strength`` per resolution, side by side: rows actor
    group x strength family (rows without either counted under the
    no-category label, never dropped), one column per resolution."""
    from ..coverage import actor_strength

    if recs.empty:
        return pd.DataFrame()
    from .. import charts
    from ..coverage import adopting_body

    cols = {}
    for res in sorted(recs["resolution"].astype(str).unique(), key=_group_key):
        t = actor_strength(recs[recs["resolution"].astype(str) == res], lang=lang)
        cols[res] = t.set_index(["actor_group", "strength_family"])["count"]
    out = pd.concat(cols, axis=1).fillna(0).astype(int)
    out = out[out.sum(axis=1) > 0]
    # names, not codes: actor group (the Body under the adopting body's name
    # when the units share one) and family in ``lang``, units by name
    body = adopting_body(recs)

    def clean(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v) in charts.NONE_VALUES else v

    out.index = pd.MultiIndex.from_tuples(
        [(charts.actor_group_name(clean(g), lang, body), strength_family_name(clean(f), lang)) for g, f in out.index],
        names=[heading("actor_group", lang), heading("strength_family", lang)])
    out.columns = [_unit_of(c, lang) for c in out.columns]
    return out


def readable_table(df: pd.DataFrame, lang: str = "en", codes: bool = False) -> pd.DataFrame:
    """A chart's tidy table for reading: code columns (``theme``,
    ``crime_area``, ``actor_group``, ``strength_family``, a ``group`` of
    themes, unit keys and parts, a citation's kind and body) by name,
    headings by name; numbers as they are; columns that only order the
    chart (``unit_order``) left out. ``codes``: the code columns kept too,
    after the others, headed ``CODE_HEADING`` + the column's heading (the
    key back to the machine tables). A facet's ``value`` beside its
    ``label`` (``timeline.facet_by_session``) is a code column; the
    citations table is cut to the columns a person reads.

    >>> t = pd.DataFrame({"theme": ["TA", "未分类"], "count": [2, 1]})
    >>> readable_table(t, "en").values.tolist()
    [['Technical assistance and capacity-building', 2], ['No theme', 1]]
    >>> readable_table(t, "zh", codes=True).columns.tolist()
    ['行动主题', '建议条数', '代码：行动主题']
    """
    from .. import charts

    i = 0 if lang == "zh" else 1
    out = df.copy()
    if "cited_kind" in out.columns:  # the citations table
        out = out[[c for c in _CITATION_COLUMNS if c in out.columns]]
    out = out.drop(columns=[c for c in ("unit_order",) if c in out.columns])
    kept = {}
    if {"value", "label"} <= set(out.columns):  # a facet's code beside its name (timeline.facet_by_session)
        kept["category"] = out.pop("value").map(_cell)
        out = out.rename(columns={"label": "category"})

    def blank(v):
        return v is None or (isinstance(v, float) and pd.isna(v)) or (isinstance(v, str) and v.strip()
                                                                       in charts.NONE_VALUES)

    for col in list(out.columns):
        codes_before = out[col]
        if col in ("theme", "primary_theme"):
            out[col] = out[col].map(label_namer("theme", lang))
        elif col == "crime_area":
            out[col] = out[col].map(label_namer("crime_area", lang))
        elif col == "actor_group":
            out[col] = out[col].map(lambda v: charts.actor_group_name(None if blank(v) else v, lang))
        elif col == "strength_family":
            out[col] = out[col].map(lambda v: strength_family_name(None if blank(v) else v, lang))
        elif col == "group":
            names, theme_name = charts.theme_names(), label_namer("theme", lang)
            out[col] = out[col].map(lambda v: theme_name(v) if v in names or blank(v) else _unit_of(v, lang))
        elif col in ("rec_id_a", "rec_id_b"):
            out[col] = out[col].map(lambda v: charts.rec_label(v, lang))
            continue  # a recommendation's label says its id
        elif col in ("resolution", "cited_key"):
            out[col] = out[col].map(lambda v: "" if blank(v) else _unit_of(v, lang))
        elif col == "part":
            from ..coverage import unit_label

            out[col] = out[col].map(lambda p: unit_label("", p, lang).strip() if isinstance(p, str) and p else "")
        elif col == "unit" and lang == "en":
            out[col] = out[col].map(lambda v: charts.unit_label(str(v), "en"))
            continue
        elif col == "same_resolution":
            out[col] = out[col].map(lambda v: ("是", "yes")[i] if v is True or v == 1 else ("否", "no")[i])
            continue
        elif col == "citation_type":
            out[col] = out[col].map(lambda v: "" if blank(v) else _CITATION_TYPES[v][i] if v in _CITATION_TYPES
                                    else _english(v, lang))
        elif col == "cited_kind":
            out[col] = out[col].map(lambda v: "" if blank(v) else charts.CITED_KINDS.get(v, (v, v))[i])
        elif col in ("citing_body", "cited_body"):
            out[col] = out[col].map(lambda v: "" if blank(v) else v if lang == "zh" else _body_en(v))
            continue
        elif col in ("term", "cited") and lang == "en":
            out.insert(out.columns.get_loc(col) + 1, f"{col}_en", out[col].map(lambda v: _english(v, lang)))
            continue
        else:
            continue
        kept[col] = codes_before.map(_cell)
    names = {"term_en": "English", "category": heading("category", lang)}
    if "resolution" in out.columns:  # the unit's name beside the chart's label of its part or section
        names["unit"] = ("图中标签", "Label in the chart")[i]
    out.columns = [names.get(c) or heading(c, lang) for c in out.columns]
    if out.columns.duplicated().any():  # two columns under one heading: the second says its column
        out.columns = [h if not dup else f"{h} ({c})" for h, c, dup in zip(out.columns, df.columns,
                                                                          out.columns.duplicated())]
    if codes:
        for col, values in kept.items():
            out[CODE_HEADING[i] + heading(col, lang)] = values.to_numpy()
    return out


def _body_en(name: str) -> str:
    """A body named in Chinese, by its English name (``bodies.yaml``, the
    glossary, the charts' short names; as written without any).

    >>> _body_en("缔约方会议"), _body_en("经济及社会理事会")
    ('Conference of the Parties', 'Economic and Social Council')
    """
    from .. import charts
    from ..bodies import load_bodies

    code = _body_code(name) if name else None
    body = load_bodies().get(code) if code and name.strip() else None
    gloss = _english(name, "en")
    return body.en if body is not None else gloss if gloss != name else charts.BODIES_EN.get(name, name)


def _english(text, lang: str) -> str:
    """``text`` as an English table shows it: its gloss, or as written (in a
    Chinese table, or without a gloss; not counted as an unglossed chart word).

    >>> _english("技术援助", "en"), _english("勠力同心", "en"), _english("技术援助", "zh")
    ('technical assistance', '勠力同心', '技术援助')
    """
    if lang == "zh" or not isinstance(text, str) or not text:
        return "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    from ..glossary import UNGLOSSED_MARK, english

    shown = english(text, record=False)
    return text if shown == text + UNGLOSSED_MARK else shown


def _named_cells(recs: pd.DataFrame, columns, lang: str) -> pd.DataFrame:
    """``columns`` of ``recs`` with codes replaced by names (lists joined with 、 or ", ")."""
    from .. import charts

    i = 0 if lang == "zh" else 1
    sep = "、" if lang == "zh" else ", "
    themes, areas = charts.theme_names(), charts.crime_area_names()
    out = {}
    bodies = recs["acting_body"].map(_body_code) if "acting_body" in recs else pd.Series(["COP"] * len(recs),
                                                                                         index=recs.index)
    for c in columns:
        if c not in recs:
            continue
        col = recs[c]
        if c == "actor_group":
            out[c] = [charts.actor_group_name(g if isinstance(g, str) and g else None, lang, b)
                      for g, b in zip(col, bodies)]
        elif c == "strength_family":
            out[c] = [strength_family_name(f, lang) for f in col]
        elif c in ("themes", "themes_rules", "themes_model"):
            out[c] = [sep.join(themes[t][i] if t in themes else t for t in list_cell(v)) or charts.THEME_NONE[i]
                      for v in col]
        elif c == "primary_theme":
            theme_name = label_namer("theme", lang)
            out[c] = [theme_name(t if isinstance(t, str) and t else None) for t in col]
        elif c == "crime_areas":
            out[c] = [sep.join(areas[a][i] if a in areas else a for a in list_cell(v)) or charts.CRIME_GENERAL[i]
                      for v in col]
        elif c == "resolution":
            out[c] = [_unit_of(k, lang) for k in col]
        else:
            out[c] = list(col)
    return pd.DataFrame(out, index=recs.index)


def named(df: pd.DataFrame, columns=None, lang: str = "zh") -> pd.DataFrame:
    """A table of recommendation-like rows (recommendations, provisions, the
    review queue) for display: the chosen ``columns`` with codes replaced by
    names in ``lang`` and headings by name.

    >>> df = pd.DataFrame({"rec_id": ["1/1:body:1"], "actor_group": ["UNODC"], "strength_family": ["鼓励"],
    ...                    "themes": [["TA", "LEG"]]})
    >>> named(df, lang="zh").values.tolist()
    [['1/1:body:1', '毒品和犯罪问题办公室', '鼓励', '技术援助与能力建设、立法、判例与知识管理']]
    """
    columns = [c for c in (columns or df.columns) if c in df.columns]
    if df is None or df.empty:
        return pd.DataFrame(columns=[heading(c, lang) for c in columns])
    out = _named_cells(df, columns, lang)
    out = out.map(lambda v: _cell(v) if isinstance(v, (list, tuple)) or hasattr(v, "tolist") else v)
    out.columns = [heading(c, lang) for c in out.columns]
    return out.reset_index(drop=True)


def actor_strength_wide(actors: pd.DataFrame, lang: str = "zh", body: str | None = "COP") -> pd.DataFrame:
    """``coverage.actor_strength`` as actor group rows x strength family
    columns, both by name in ``lang``, in codebook order; groups and
    families no recommendation has (all-zero rows and columns) left out.

    >>> t = pd.DataFrame({"actor_group": ["States", "States", "Other", "未分类"],
    ...                   "strength_family": ["应", "鼓励", "应", "应"], "count": [3, 1, 0, 0]})
    >>> actor_strength_wide(t, "en").to_dict()
    {'should': {'States': 3}, 'encourages': {'States': 1}}
    """
    from .. import charts
    from ..coverage import ACTOR_ORDER, FAMILY_ORDER

    if actors is None or actors.empty:
        return pd.DataFrame()

    def clean(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() in charts.NONE_VALUES \
            else v

    t = actors.assign(actor_group=actors["actor_group"].map(clean),
                      strength_family=actors["strength_family"].map(clean))
    t = t[t["count"] > 0]
    if t.empty:
        return pd.DataFrame()
    rows = [g for g in (*ACTOR_ORDER, None) if g in set(t["actor_group"])] + sorted(
        {g for g in t["actor_group"] if g is not None and g not in ACTOR_ORDER})
    cols = [f for f in (*FAMILY_ORDER, None) if f in set(t["strength_family"])] + sorted(
        {f for f in t["strength_family"] if f is not None and f not in FAMILY_ORDER})
    grid = {(g, f): c for g, f, c in t[["actor_group", "strength_family", "count"]].itertuples(index=False)}
    out = pd.DataFrame([[int(grid.get((g, f), 0)) for f in cols] for g in rows],
                       index=[charts.actor_group_name(g, lang, body) for g in rows],
                       columns=[strength_family_name(f, lang) for f in cols])
    return out


def cooccurrence_named(co: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.theme_cooccurrence`` with themes by name (rows and columns)."""
    if co is None or co.empty:
        return co
    out = co.copy()
    out.index = [label_name("theme", t, lang) for t in out.index]
    out.columns = [label_name("theme", t, lang) for t in out.columns]
    return out


def crime_theme_wide(by_theme: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.crime_area_by_theme`` as theme rows x crime area columns,
    both by name; a row or column no recommendation falls in is left out."""
    if by_theme is None or by_theme.empty:
        return pd.DataFrame()
    wide = by_theme.pivot_table(index="theme", columns="crime_area", values="count", aggfunc="sum", sort=False)
    wide = wide.reindex(index=list(dict.fromkeys(by_theme["theme"])),
                        columns=list(dict.fromkeys(by_theme["crime_area"]))).fillna(0).astype(int)
    wide = wide.loc[wide.sum(axis=1) > 0, wide.sum(axis=0) > 0]
    wide.index = [label_name("theme", t, lang) for t in wide.index]
    wide.columns = [label_name("crime_area", c, lang) for c in wide.columns]
    wide.columns.name = None
    return wide
