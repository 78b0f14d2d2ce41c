"""Names and words of the charts, in Chinese and English.

Contract
--------
Everything a chart writes that is not data: the names of the codebook's
categories (``theme_names`` and ``crime_area_names`` from the lexicon's
rule files, the actor groups, strength families and scores, the kinds of
cited item), the charts' own words (``TEXT``: titles, axis labels, notes,
the source line), and how labels are made from the data: units
(``unit_label``), recommendations (``rec_label``, ``rec_sort_key`` for
their reading order), wrapped to a width counted in half-width columns
(``wrap_label``, ``text_width``; CJK counts 2). ``lang`` is ``"zh"`` or
``"en"`` everywhere; anything else is a ValueError.

Why it is kept apart
--------------------
The names are the codebook's: theme and crime area names are read from
``lexicon/themes.yaml`` and ``lexicon/crime_areas.yaml`` through
``analysis.lexicon`` (validated there, one error type), so the charts
follow the codebook an analyst edits and never keep a copy of it. The
names below exist only here: the rule files hold other wordings for some
of them (``actors.yaml``'s group names, ``strength.yaml``'s family
glosses) that are not the charts' labels. Every chart module draws its
words from this one place, so that Chinese and English charts of a
briefing say the same things the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pandas as pd

from analysis.lexicon import lexicon_version as _lexicon_version
from analysis.lexicon import load_lexicon
from analysis.numerals import cn_to_int, int_to_cn, roman_to_int, to_roman

LANGS = ("zh", "en")

#: Recommendations that name no crime area: the Convention in general (codebook §4b).
CRIME_GENERAL = ("公约总体（未指明犯罪）", "Convention in general")
#: How the coverage tables write "no category" (``coverage.NONE_LABELS``,
#: both languages); the charts show these rows under their own label.
NONE_VALUES = frozenset({"未分类", "(none)", ""})
#: Label of recommendations without a theme.
THEME_NONE = ("未分类", "No theme")
_NONE_KEY = "__none__"  # internal key of the no-theme row (never a theme code)

#: Codebook §2 actor groups; None = no actor identified. ``Body`` (the
#: acting body itself) is shown under the acting body's name
#: (``actor_group_name``); this generic label is for charts whose rows mix
#: bodies (a COP resolution beside a General Assembly one).
ACTOR_GROUPS = {
    "States": ("各国", "States"),
    "UNODC": ("毒品和犯罪问题办公室", "UNODC"),
    "Body": ("通过决议的机构", "Adopting body"),
    "Other": ("其他行为方", "Other actors"),
    None: ("未分类", "Unclassified"),
}
#: Codebook §3 strength families, strongest first.
STRENGTH_FAMILIES = {
    "应": ("应", "should"),
    "鼓励": ("鼓励", "encourages"),
    "不妨": ("不妨", "may wish to"),
    "其他": ("其他", "other"),
    None: ("未分类", "unclassified"),
}
#: Codebook §3 strength scores with their cues.
STRENGTH_SCORES = {
    5: ("应、必须", "should / shall"),
    4: ("请、吁请、促请", "requests / calls upon"),
    3: ("应考虑、应努力", "should consider"),
    2: ("鼓励、邀请", "encourages / invites"),
    1: ("不妨、可", "may (wish to)"),
}
#: Citing/cited nodes of the citation graph.
CITED_KINDS = {
    "corpus": ("本语料中的决议", "Resolution in the corpus"),
    "resolution": ("所引决议", "Cited resolution"),
    "document": ("所引文件", "Cited document"),
    "treaty": ("所引条约", "Cited treaty"),
    "article": ("所引条款", "Cited article"),
    "date": ("所引日期", "Cited date"),
}
#: Bodies whose resolutions are cited, for English labels.
#: The corpus's acting body as ``citations`` names it (lexicon/citation_bodies.yaml).
OWN_BODY = "缔约方会议"
BODIES_EN = {
    "缔约方会议": "COP",
    "联合国反腐败公约缔约国会议": "UNCAC COSP",
    "妇女地位委员会": "CSW",
    "人权委员会": "Commission on Human Rights",
    "预防犯罪和刑事司法委员会": "CCPCJ",
    "麻醉药品委员会": "CND",
    "大会": "General Assembly",
    "联合国大会": "General Assembly",
    "经济及社会理事会": "ECOSOC",
    "安全理事会": "Security Council",
    "人权理事会": "Human Rights Council",
}

#: The charts' own words (titles, axis labels, notes, the source line):
#: key -> (中文, English), filled in by ``_t``.
TEXT = {
    "coverage_title": ("主题覆盖", "Theme coverage"),
    "coverage_share": ("占该单元建议的比例", "Share of the unit's recommendations"),
    "coverage_count": ("建议条数", "Recommendations"),
    "crime_coverage_title": ("犯罪领域覆盖", "Crime areas"),
    "crime_theme_title": ("行动主题 × 犯罪领域", "Action theme × crime area"),
    "cells_theme_share": ("单元格：占该行主题建议的比例（n = 该主题建议条数）；一条建议可涉及多个犯罪领域。",
                          "Cells: share of the row theme's recommendations (n = recommendations with the theme); "
                          "a recommendation may name several crime areas."),
    "cells_share": ("单元格：占该列建议的比例（n = 该列建议条数）；一条建议可有多个主题，故一列之和可超过 100%。",
                    "Cells: share of the column's recommendations (n = recommendations in the column); "
                    "a recommendation may have several labels, so a column may add up to more than 100%."),
    "cells_count": ("单元格：建议条数（n = 该列建议条数）。", "Cells: number of recommendations (n = recommendations in the column)."),
    "alt_network": ("网络图：{n} 条建议，{e} 对相似建议；线越粗越相似，虚线 = 跨决议。",
                    "Network of {n} recommendations and {e} similar pairs; thicker lines are more similar, "
                    "dashed lines cross resolutions."),
    "alt_heatmap": ("热图，{rows} 行 × {cols} 列。", "Heatmap of {rows} rows by {cols} columns."),
    "theme_share": ("占该主题建议的比例", "Share of the theme's recommendations"),
    "actor_title": ("谁被要求采取行动，语气多强", "Who is asked to act, and how strongly"),
    "recommendations": ("建议条数", "Recommendations"),
    "share": ("比例", "Share"),
    "family": ("义务强度", "Strength"),
    "strength_note": ("语气强度按编码手册第3节：“应”族 = 应（分值5）及应考虑、应努力（3）；“鼓励”族 = 请、吁请、促请（4）及鼓励、邀请（2）；"
                      "“不妨”族 = 不妨、可（1）。故吁请（4）在分值图中排在应考虑（3）之前，在族图中则归入“鼓励”。",
                      "Strength as in the codebook (§3): family 'should' = should (score 5) and should consider / "
                      "endeavour (3); 'encourages' = requests / calls upon (4) and encourages / invites (2); "
                      "'may wish to' = may (1). So 'calls upon' (4) ranks above 'should consider' (3) by score, "
                      "while its family is 'encourages'."),
    "strength_title": ("各行为方的义务强度分值", "Strength score by actor group"),
    "score_axis": ("义务强度分值（1 = 不妨 … 5 = 应）", "Strength score (1 = may … 5 = should)"),
    "no_score": ("无分值\n（其他）", "no score\n(other)"),
    "mean": ("平均分值", "mean score"),
    "n_recs": ("圆圈面积 = 建议条数", "circle area = recommendations"),
    "overlap_title": ("建议之间的相似度（按聚类排序）", "Similarity between recommendations (ordered by cluster)"),
    "similarity": ("相似度", "Similarity"),
    "top_of": ("相似度最高的 {k} 条（共 {n} 条）", "top {k} of {n} by similarity"),
    "cluster_box": ("方框 = 聚类", "boxes = clusters"),
    "network_title": ("相似度最高的建议对", "Most similar pairs of recommendations"),
    "same_res": ("同一决议内", "same resolution"),
    "cross_res": ("跨决议", "across resolutions"),
    "pairs_of": ("最强的 {k} 对（共 {n} 对）", "strongest {k} of {n} pairs"),
    "citation_title": ("引用关系：决议 → 所引决议和文件", "Citations: resolution → cited resolutions and documents"),
    "terms_title": ("高频词", "Top terms"),
    "by_theme": ("（按主题）", " by theme"),
    "by_group": ("", ""),
    "by_theme_top": ("（按主题，每组前 {n} 个）", " by theme (top {n} each)"),
    "by_group_top": ("（每组前 {n} 个）", " (top {n} each)"),
    "count": ("建议条数", "Recommendations"),
    "terms_note": ("条形 = 使用该词的建议条数；只用过一次的词和泛用词（glossary.yaml）不列。",
                   "Bar = recommendations using the term; terms used once and generic words (glossary.yaml) left out."),
    "no_data": ("无数据", "No data"),
    "source": ("资料来源：", "Source: "),
    "resolution_1": ("第{r}号决议", "resolution {r}"),
    "resolution_n": ("决议 {r}", "resolutions {r}"),
    "lexicon": ("词典版本 {v}", "lexicon {v}"),
    "generated": ("生成日期 {d}", "generated {d}"),
    "sep": ("；", "; "),
    "list_sep": ("、", ", "),
}


def _lang(lang: str) -> int:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return LANGS.index(lang)


def _t(key: str, lang: str, **kw) -> str:
    return TEXT[key][_lang(lang)].format(**kw)


def _name(table: Mapping, key, lang: str) -> str:
    if key is not None and not isinstance(key, str) and pd.isna(key):
        key = None
    if key in table:
        return table[key][_lang(lang)]
    return str(key)


def _english(text) -> str:
    """A Chinese word or heading in an English chart: its gloss, or the
    Chinese marked ``*`` (``analysis.glossary``)."""
    from analysis.glossary import english

    return english(text)


def actor_group_name(group, lang: str = "zh", body: str | None = "COP") -> str:
    """How a person reads an actor group. ``Body`` is named after the acting
    body: ``body`` is its code (``analysis.bodies``: COP, GA …; the default
    is the COP, whose resolutions the project reads) or None when the rows
    shown mix bodies, which gives the generic "Adopting body".

    >>> actor_group_name("Body"), actor_group_name("Body", "en", "GA"), actor_group_name("Body", "en", None)
    ('缔约方会议', 'General Assembly', 'Adopting body')
    >>> actor_group_name("States", "en"), actor_group_name(None, "zh")
    ('States', '未分类')
    """
    if isinstance(group, str) and group == "Body" and body is not None:
        from analysis.bodies import load_bodies

        known = load_bodies().get(body)
        if known is not None:
            return known.zh if _lang(lang) == 0 else known.en
    return _name(ACTOR_GROUPS, group, lang)


def theme_names() -> dict[str, tuple[str, str]]:
    """Theme code -> (zh, en), in codebook order, from the lexicon's
    ``themes.yaml`` (read and validated by ``analysis.lexicon``, reread when
    the file changes).

    >>> theme_names()["TA"]
    ('技术援助与能力建设', 'Technical assistance and capacity-building')
    """
    return _names(load_lexicon(), "themes")


def crime_area_names() -> dict[str, tuple[str, str]]:
    """Crime area code -> (zh, en), in codebook order, from the lexicon's
    ``crime_areas.yaml`` (the one place the names are kept).

    >>> crime_area_names()["TIP"]
    ('贩运人口', 'Trafficking in persons')
    """
    return _names(load_lexicon(), "crime_areas")


#: (lexicon, facet) -> names: the names are asked for once per table cell.
_NAMES: dict[tuple[int, str], dict[str, tuple[str, str]]] = {}


def _names(lex, facet: str) -> dict[str, tuple[str, str]]:
    key = (id(lex), facet)  # lexicons are kept for the process's life (lexicon._CACHE): ids are not reused
    if key not in _NAMES:
        _NAMES[key] = {code: (x.zh, x.en) for code, x in getattr(lex, facet).items()}
    return dict(_NAMES[key])


def lexicon_version() -> str:
    """The lexicon version recorded with every output (``analysis.lexicon``),
    so a chart's source line names the same version as the manifest."""
    return _lexicon_version()


def unit_label(unit: str, lang: str) -> str:
    """A coverage unit label in the chart's language: annex and body words
    are translated, everything else (resolution number, section heading)
    is kept.

    >>> unit_label("11/2 附件二", "en")
    '11/2 annex II'
    >>> unit_label("11/2 annex XII", "zh")
    '11/2 附件十二'
    >>> unit_label("11/2 正文", "en")
    '11/2 body'
    """
    _lang(lang)
    unit = str(unit)
    if lang == "en":
        unit = re.sub(r"附件([一二三四五六七八九十]+)",
                      lambda m: f"annex {to_roman(cn_to_int(m.group(1)))}", unit)
        unit = unit.replace("附件", "annex").replace("正文", "body")
        return re.sub(r"(?<=[\w/])(annex|body)", r" \1", unit)
    unit = re.sub(r"\b[Aa]nnex ([IVXL]+)\b", lambda m: "附件" + int_to_cn(roman_to_int(m.group(1))), unit)
    unit = re.sub(r"\b[Aa]nnex\b", "附件", unit)
    unit = re.sub(r"\b[Bb]ody\b", "正文", unit)
    return re.sub(r"(?<=\d) (?=附件|正文)", " ", unit)


def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def text_width(text: str) -> int:
    """Display width in half-width columns (CJK = 2).

    >>> text_width("11/2 附件一")
    11
    """
    return sum(_char_width(c) for c in text)


# Characters that must not start a line (Chinese line-breaking rule, kinsoku).
_NO_LINE_START = set("，。、；：？！）》」』”’…—·,.;:?!)")
# ... and must not end one (opening brackets).
_NO_LINE_END = set("《（「『“‘(")


def wrap_label(text: str, width: int = 24, max_lines: int = 3) -> str:
    """Wrap a label to ``width`` columns (CJK counts 2): Latin text breaks at
    spaces, CJK text between any two characters except before closing
    punctuation and after opening brackets (kinsoku). Longer text is cut
    with an ellipsis after ``max_lines``.

    >>> wrap_label("Legislation, case law and knowledge management", 24)
    'Legislation, case law\\nand knowledge management'
    >>> wrap_label("立法、判例与知识管理", 8)
    '立法、判\\n例与知识\\n管理'
    """
    text = str(text)
    if text_width(text) <= width:
        return text
    tokens = re.findall(r"[A-Za-z0-9/()\-.,'’:;]+\s*|\s+|.", text)
    lines, line = [], ""
    for tok in tokens:
        candidate = line + tok
        if text_width(candidate.rstrip()) <= width or not line.strip():
            line = candidate
            continue
        if tok[0] in _NO_LINE_START and line:
            # Pull the last character down with the punctuation.
            line, tok = line[:-1], line[-1] + tok
        while len(line) > 1 and line.rstrip()[-1] in _NO_LINE_END:
            # An opening bracket goes down with what it opens.
            stripped = line.rstrip()
            line, tok = stripped[:-1], stripped[-1] + tok
        lines.append(line.rstrip())
        line = tok.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last) + 1 > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return "\n".join(lines)


def rec_sort_key(rec_id: str) -> tuple:
    """Reading order of rec_ids: resolution, body before annexes I, II …,
    then label (``4(a)`` after ``4``, before ``5``).

    >>> sorted(["11/2:II:a", "11/2:I:b", "11/2:body:10", "11/2:body:2", "9/1:I:a"], key=rec_sort_key)
    ['9/1:I:a', '11/2:body:2', '11/2:body:10', '11/2:I:b', '11/2:II:a']
    """
    parts = str(rec_id).split(":")
    res = parts[0] if parts else ""
    part = parts[1] if len(parts) > 1 else ""
    label = ":".join(parts[2:])
    res_key = tuple(int(x) if x.isdigit() else 10**6 for x in re.split(r"\D+", res) if x != "")
    if part == "body":
        part_key = 0
    elif re.fullmatch(r"[IVXL]+", part):
        part_key = roman_to_int(part)
    else:
        part_key = 10**6
    label_key = tuple((int(x), "") if x.isdigit() else (10**6, x) for x in re.findall(r"\d+|[^\W\d_]+", label))
    return (res_key, part_key, label_key, str(rec_id))


def _resolution_of(rec_id: str) -> str:
    return str(rec_id).split(":", 1)[0]


def rec_label(rec_id: str, lang: str = "zh") -> str:
    """A recommendation as a chart labels it: its unit (a COP resolution by
    its number, another body's unit by its name, ``bodies.unit_name``), its
    part in the chart's language and its label.

    >>> rec_label("11/2:II:b", "en"), rec_label("11/2:body:4(a)", "zh"), rec_label("GA.52/85:body:2", "en")
    ('11/2 annex II (b)', '11/2 正文 4(a)', 'GA resolution 52/85 body 2')
    """
    parts = str(rec_id).split(":")
    if len(parts) < 3:
        return str(rec_id)
    unit, part, label = parts[0], parts[1], ":".join(parts[2:])
    from analysis.coverage import unit_label as _coverage_unit_label

    head = _unit_head(_coverage_unit_label(unit, part, lang), lang)
    return f"{head} ({label})" if re.fullmatch(r"[a-z]+", label) else f"{head} {label}"


def _na_to_none(v):
    """Missing values and the coverage tables' explicit "no category" labels -> None."""
    if v is None or (not isinstance(v, (str, list, tuple, dict)) and pd.isna(v)):
        return None
    return None if isinstance(v, str) and v.strip() in NONE_VALUES else v


_PREFIXED_KEY = re.compile(r"^(?:[A-Za-z]+\.)+\d+/\d+$")


def _unit_head(head: str, lang: str) -> str:
    """A coverage unit's resolution part as a reader reads it: keys with a
    body or kind prefix (``GA.52/85``, ``dec.11/101``) by their name
    (``bodies.unit_name``); a COP resolution keeps its bare number."""
    first, _, rest = head.partition(" ")
    if _PREFIXED_KEY.match(first):
        from analysis.bodies import unit_name

        first = unit_name(first, lang)
    return f"{first} {rest}".strip()
