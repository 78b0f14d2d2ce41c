"""Briefing-ready charts of the coverage, overlap and citation tables.

Contract
--------
Every ``plot_*`` function takes a table (a DataFrame in the shape written by
``analysis.coverage`` / the overlap and citation stages, see the column list
in each docstring), draws one chart and returns the matplotlib ``Axes`` it
drew on, or the ``Figure`` when the chart needs several axes
(``plot_top_terms``). They never write files and never call ``savefig``:
``save_figure`` writes PNG (300 dpi), SVG and PDF of a figure, with a small
source line (resolutions covered, lexicon version, date) under the chart.

* ``lang="zh"`` or ``"en"``: titles, axis labels, legends and category names
  (actor groups, strength families, theme names, annex/body in unit labels)
  in Chinese or English. Data values (terms, section headings, document
  symbols) are shown as written.
* ``ax=None`` creates a figure sized to the data (rows × columns); with an
  ``ax`` the chart draws into it and leaves its size alone.
* Empty tables give an empty chart saying so, not an exception: a resolution
  without citations is a result.
* Rows the coverage tables file under their explicit "no category" label
  (``未分类`` / ``(none)``, see ``coverage.NONE_LABELS``) or under None are
  drawn as their own category ("未分类" / "Unclassified", "No theme"),
  never dropped.
* Citation maps take the ``citations`` table or the graph of
  ``citations.citation_graph``; node identity (the unit key) is decided
  there, not here.

Why it is built this way
------------------------
One style definition (``STYLE_RC``, the palettes below) so every chart of a
briefing looks alike. Categories use the Okabe–Ito palette (distinguishable
with every common colour-vision deficiency); ordered categories (strength
families) and heatmaps use one hue whose lightness carries the order, so the
charts survive greyscale printing; text on a coloured cell switches to white
on dark cells. Fonts come from ``analysis.fonts`` (Chinese renders without
any system CJK font; PDFs use TrueType outlines only). Theme names are read
from the lexicon (``lexicon/themes.yaml``) when it is there, so the charts
follow the codebook an analyst edits; ``THEMES`` is the codebook's table,
kept equal to the lexicon file by a test. Crime area names come from
``lexicon/crime_areas.yaml`` alone (``crime_area_names``). The ``Body``
actor group is shown under the adopting body's name (``actor_group_name``).
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import wraps
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from analysis.fonts import pdf_font_context, setup_fonts
from analysis.numerals import cn_to_int, int_to_cn, roman_to_int, to_roman

logger = logging.getLogger(__name__)

LANGS = ("zh", "en")
LEXICON_DIR = Path(__file__).with_name("lexicon")
THEMES_YAML = LEXICON_DIR / "themes.yaml"

# --------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Unordered categories (resolutions, kinds): Okabe–Ito without black/yellow
#: first (yellow vanishes on white paper).
CATEGORICAL = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "reddish_purple",
                                      "vermillion", "sky_blue", "yellow", "black")]
#: Node shapes paired with CATEGORICAL (networkx/matplotlib marker codes).
NODE_SHAPES = "osD^vph8"
GREY = "#9A9A9A"
LIGHT_GREY = "#D9D9D9"
INK = "#222222"

#: Actor groups: categorical, one Okabe–Ito colour each.
ACTOR_COLORS = {
    "States": OKABE_ITO["blue"],
    "UNODC": OKABE_ITO["orange"],
    "Body": OKABE_ITO["bluish_green"],
    "Other": OKABE_ITO["reddish_purple"],
    None: GREY,
}
#: Strength families are ordered (应 strongest): one hue, darker = stronger,
#: so the order survives greyscale; 其他 (no modal scale) is grey and hatched.
FAMILY_COLORS = {"应": "#08306B", "鼓励": "#4A90C8", "不妨": "#C6DBEF", "其他": "#F0F0F0", None: "#FFFFFF"}
FAMILY_HATCH = {"其他": "///", None: "..."}
#: Heatmaps: single-hue sequential map, white at zero.
SEQUENTIAL_CMAP = "Blues"

STYLE_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#555555",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=CATEGORICAL),
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "legend.title_fontsize": 8,
    "image.cmap": SEQUENTIAL_CMAP,
    "hatch.color": "#555555",
    "hatch.linewidth": 0.6,
}

# --------------------------------------------------------------------------
# Names (codebook)
# --------------------------------------------------------------------------

#: Codebook §4: theme code -> (中文, English), in codebook order.
THEMES = {
    "LEG": ("立法、判例与知识管理", "Legislation, case law and knowledge management"),
    "TA": ("技术援助与能力建设", "Technical assistance and capacity-building"),
    "COOP": ("国际合作", "International cooperation"),
    "ML": ("洗钱与犯罪所得", "Money laundering and proceeds of crime"),
    "EVID": ("侦查与证据", "Investigation and evidence"),
    "PROS": ("起诉与案件管理", "Prosecution and case management"),
    "VICT": ("被害人与证人保护", "Victims and witnesses"),
    "GHR": ("性别与人权", "Gender and human rights"),
    "PREV": ("预防与国家战略", "Prevention and national strategies"),
    "DATA": ("数据、研究与分析", "Data, research and analysis"),
    "REV": ("审议机制与后续行动", "Review mechanism and follow-up"),
    "RES": ("资源与供资", "Resources and funding"),
}
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

_TEXT = {
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
    return _TEXT[key][_lang(lang)].format(**kw)


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


def load_theme_names(path: str | Path = THEMES_YAML) -> dict[str, tuple[str, str]]:
    """Theme code -> (zh, en) read from the lexicon's themes file.

    Accepts the theme entries at the top level or under ``themes:``, as a
    mapping keyed by code or a list of entries with ``code``; names as
    ``zh``/``en`` keys of the entry (or of its ``name``/``names``). Raises
    ValueError naming the file and the entry when a name is missing.
    """
    import yaml

    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    entries = doc.get("themes", doc) if isinstance(doc, dict) else doc
    if isinstance(entries, list):
        items = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "code" not in entry:
                raise ValueError(f"{path}: theme entry #{i + 1} has no 'code'")
            items.append((entry["code"], entry))
    elif isinstance(entries, dict):
        items = [(k, v) for k, v in entries.items() if isinstance(v, dict)]
    else:
        raise ValueError(f"{path}: expected a mapping or list of themes, got {type(entries).__name__}")
    names: dict[str, tuple[str, str]] = {}
    for code, entry in items:
        holder = entry
        for key in ("name", "names", "label", "labels"):
            if isinstance(entry.get(key), dict):
                holder = entry[key]
        zh, en = holder.get("zh"), holder.get("en")
        if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            raise ValueError(f"{path}: theme {code!r} needs non-empty 'zh' and 'en' names")
        names[str(code)] = (zh.strip(), en.strip())
    if not names:
        raise ValueError(f"{path}: no themes found")
    return names


_THEME_CACHE: dict[str, tuple[float, dict]] = {}


def theme_names() -> dict[str, tuple[str, str]]:
    """Theme names from the lexicon when ``themes.yaml`` exists, else the
    codebook's ``THEMES`` (reread when the file changes)."""
    if not THEMES_YAML.exists():
        return dict(THEMES)
    mtime = THEMES_YAML.stat().st_mtime
    cached = _THEME_CACHE.get("themes")
    if cached is None or cached[0] != mtime:
        cached = _THEME_CACHE["themes"] = (mtime, load_theme_names(THEMES_YAML))
    return dict(cached[1])


def crime_area_names() -> dict[str, tuple[str, str]]:
    """Crime area code -> (zh, en), in codebook order, from the lexicon's
    ``crime_areas.yaml`` (the one place the names are kept).

    >>> crime_area_names()["TIP"]
    ('贩运人口', 'Trafficking in persons')
    """
    from analysis.lexicon import load_lexicon

    return {code: (a.zh, a.en) for code, a in load_lexicon().crime_areas.items()}


def lexicon_version() -> str:
    """The lexicon version recorded with every output (``analysis.lexicon``),
    so a chart's source line names the same version as the manifest."""
    from analysis.lexicon import lexicon_version as _lexicon_version

    return _lexicon_version()


_ZH_DIGITS = "一二三四五六七八九"


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


# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------


def _styled(func):
    """Run a plot function with the fonts set up and the house style on."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        _lang(kwargs.get("lang", "zh"))
        setup_fonts()
        with mpl.rc_context(STYLE_RC):
            return func(*args, **kwargs)

    return wrapper


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: table lacks column(s) {', '.join(missing)} (has {', '.join(map(str, df.columns))})")


#: Print widths (inches) of the saved image: an A4 text column (16 cm) and a
#: full A4 page in landscape (25 cm between margins). Charts are sized for
#: the column; a chart function offers ``width="page"`` where the column is
#: too narrow for it. The figure is narrower by the margin ``save_figure``
#: adds (``pad_inches`` on either side).
PRINT_COLUMN_WIDTH = 6.3
PRINT_PAGE_WIDTH = 9.8
_SAVE_PAD = 0.12
COLUMN_WIDTH = PRINT_COLUMN_WIDTH - 2 * _SAVE_PAD - 0.04
PAGE_WIDTH = PRINT_PAGE_WIDTH - 2 * _SAVE_PAD - 0.04
WIDTHS = {"column": COLUMN_WIDTH, "page": PAGE_WIDTH}


def _max_width(width: str | float) -> float:
    if isinstance(width, (int, float)):
        return float(width)
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {sorted(WIDTHS)} or inches, not {width!r}")
    return WIDTHS[width]


def _new_axes(ax: Axes | None, width: float, height: float, max_width: str | float = "column") -> Axes:
    if ax is not None:
        return ax
    width = float(np.clip(width, 4.0, _max_width(max_width)))
    height = float(np.clip(height, 2.4, 24.0))
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def _empty(ax: Axes, title: str, lang: str) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_axis_off()
    return ax


def _text_color(rgb) -> str:
    r, g, b = to_rgb(rgb)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else INK


def _na_to_none(v):
    """Missing values and the coverage tables' explicit "no category" labels -> None."""
    if v is None or (not isinstance(v, (str, list, tuple, dict)) and pd.isna(v)):
        return None
    return None if isinstance(v, str) and v.strip() in NONE_VALUES else v


# --------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------


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


def _split_unit(label: str) -> tuple[str, str]:
    parts = re.split(r"\s*·\s*|\n", str(label), maxsplit=1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


@_styled
def plot_theme_coverage(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                        value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Theme × unit heatmap with the number of recommendations in each cell.

    ``data``: ``theme_coverage`` long form ``[unit, theme, count, share]``
    with optional ``unit_order`` (units are ordered by it, else as they
    come). Every codebook theme gets a row, covered or not: a blank row is a
    finding. Cells are shaded by ``share`` (comparable across units of
    different size) or by ``count`` (``value="count"``, or when there is no
    share column) and annotated with the count.
    """
    finding, title = title is None, _t("coverage_title", lang) if title is None else title
    _require(data, ("unit", "theme", "count"), "plot_theme_coverage")
    return _unit_heatmap(data, "theme", theme_names(), THEME_NONE, ax=ax, lang=lang, value=value, title=title,
                         width=width, finding=finding)


@_styled
def plot_crime_area_coverage(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                             value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Crime area × unit heatmap (codebook §4b), drawn as the theme coverage:
    one row per codebook area (named, never coded), a last row for the
    recommendations about the Convention in general, cells shaded by share
    of the unit's recommendations and annotated with the count.

    ``data``: ``coverage.crime_area_coverage`` long form ``[unit, crime_area,
    count, share]`` (optional ``unit_order``); units may be resolutions,
    parts, sections or the values of another grouping column (a session).
    """
    finding, title = title is None, _t("crime_coverage_title", lang) if title is None else title
    _require(data, ("unit", "crime_area", "count"), "plot_crime_area_coverage")
    return _unit_heatmap(data, "crime_area", crime_area_names(), CRIME_GENERAL, ax=ax, lang=lang, value=value,
                         title=title, width=width, finding=finding)


def _unit_heatmap(data: pd.DataFrame, row_col: str, names: Mapping, none_name: tuple[str, str], *,
                  ax: Axes | None, lang: str, value: str, title: str, width: str | float = "column",
                  finding: bool = False) -> Axes:
    """Label × unit heatmap: one row per named label (then labels outside the
    names, then the no-label row when the data has it), one column per unit."""
    if value not in ("share", "count"):
        raise ValueError(f"value must be 'share' or 'count', not {value!r}")
    if value == "share" and "share" not in data.columns:
        value = "count"
    df = data.copy()
    if "unit_order" in df.columns:
        units = df.sort_values(["unit_order", "unit"], kind="stable")["unit"].drop_duplicates().tolist()
    else:
        units = df["unit"].drop_duplicates().tolist()
    df[row_col] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df[row_col]]
    extra = set(df[row_col]) - set(names) - {_NONE_KEY}
    rows = list(names) + sorted(extra) + ([_NONE_KEY] if _NONE_KEY in set(df[row_col]) else [])
    counts = df.pivot_table(index=row_col, columns="unit", values="count", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=rows, columns=units, fill_value=0)
    if value == "share":
        shade = df.pivot_table(index=row_col, columns="unit", values="share", aggfunc="sum", fill_value=0.0)
        shade = shade.reindex(index=rows, columns=units, fill_value=0.0).astype(float)
        top = float(shade.to_numpy().max(initial=0.0))
        vmax = 1.0 if top <= 1.0 else top  # shares are ≤ 1 unless a caller counts otherwise
    else:
        shade = counts.astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))

    n_units = len(units)
    # Column headings: the unit (its name, annex/body in the chart's
    # language), its number of recommendations, and for a section a number
    # (§1 …) whose heading is written out under the chart: headings are
    # sentences, and a column is too narrow to hold one uncut.
    n_recs = df.drop_duplicates("unit").set_index("unit")["n_recs"] if "n_recs" in df.columns else None
    heads, key_lines, col_labels = [], [], []
    for j, u in enumerate(units):
        head, section = _split_unit(unit_label(u, lang))
        head = _unit_head(head, lang)
        if section:
            mark = f"§{len(key_lines) + 1}"
            shown = section if lang == "zh" else _english(section)
            key_lines.append(f"{mark} {head}: {shown}" if lang == "en" else f"{mark} {head}：{shown}")
        heads.append(head)
        if lang == "en" and n_units > 4:  # narrow columns: the UN's own abbreviations
            head = head.replace(" resolution ", " res. ").replace(" decision ", " dec. ")
        col_labels.append(wrap_label(head, 12 if lang == "zh" else 13 if n_units <= 4 else 9, 4) + (f"\n{mark}" if section else "")
                          + (f"\nn = {int(n_recs.get(u, 0))}" if n_recs is not None else ""))
    rotate = n_units > 8
    if rotate:
        col_labels = [x.replace("\n", " ") for x in col_labels]
    none_i = rows.index(_NONE_KEY) if _NONE_KEY in rows else None
    row_labels = [wrap_label(_name({**names, _NONE_KEY: none_name}, t, lang), 22 if lang == "en" else 20, 3)
                  for t in rows]
    max_w = _max_width(width)
    col_w = 0.42 if rotate else 0.62
    key_h = 0.13 * sum(len(wrap_label(k, int(max_w * 72 / 4.4) - 4, 4).split("\n")) for k in key_lines)
    ax = _new_axes(ax, 3.0 + 1.1 + col_w * n_units, 2.1 + 0.34 * len(rows) + key_h
                   + (0.06 * max((text_width(u) for u in col_labels), default=0) if rotate else 0), width)
    if not n_units:
        return _empty(ax, title, lang)
    if finding:
        # The title says what the chart shows first: the label most
        # recommendations carry (multi-label: of all the recommendations).
        per_row = counts.drop(index=[_NONE_KEY], errors="ignore").sum(axis=1)
        total = int(sum(int(n_recs.get(u, 0)) for u in units)) if n_recs is not None else 0
        if len(per_row) and per_row.max() > 0 and total:
            lead = _name(names, per_row.idxmax(), lang)
            k = int(per_row.max())
            title = (f"{title}：{lead}最多（{total} 条建议中 {k} 条）" if lang == "zh"
                     else f"{title}: {lead} leads ({k} of {total} recommendations)")
            title = wrap_label(title, int((ax.figure.get_figwidth() - 2.3) * 72 / (11 * 0.55)), 3)

    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    norm = Normalize(0, vmax)
    grid = shade.to_numpy().copy()
    named = np.ma.masked_array(grid, mask=np.zeros_like(grid, dtype=bool))
    if none_i is not None:
        named.mask[none_i, :] = True
    mesh = ax.pcolormesh(named, cmap=cmap, norm=norm, edgecolors="white", linewidth=1.5)
    if none_i is not None:
        # The recommendations without a label: a row of its own, in grey, apart
        # from the labels (it is what the rules missed, not a theme).
        grey = np.ma.masked_array(grid, mask=np.ones_like(grid, dtype=bool))
        grey.mask[none_i, :] = False
        ax.pcolormesh(grey, cmap=mpl.colormaps["Greys"], norm=Normalize(0, vmax * 1.6), edgecolors="white",
                      linewidth=1.5)
        ax.axhline(none_i, color="white", linewidth=5)
    ax.set_xlim(0, n_units)
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(n_units) + 0.5, col_labels, rotation=90 if rotate else 0, fontsize=7.5)
    ax.set_yticks(np.arange(len(rows)) + 0.5, row_labels)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(len(rows)):
        for j in range(n_units):
            n = int(counts.iat[i, j])
            if n:
                # The number is what the colour shows: the share, or the count.
                text = f"{shade.iat[i, j]:.0%}" if value == "share" else str(n)
                colour = (_text_color(cmap(norm(shade.iat[i, j]))) if i != none_i
                          else _text_color(mpl.colormaps["Greys"](shade.iat[i, j] / (vmax * 1.6))))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=7.5, color=colour)
    # A rule between resolutions when units of several resolutions sit side by side.
    prefixes = [str(u).split(" ", 1)[0] for u in units]
    if len(set(prefixes)) > 1 and len(set(prefixes)) < n_units:
        for j in range(1, n_units):
            if prefixes[j] != prefixes[j - 1]:
                ax.axvline(j, color=INK, linewidth=1.0)
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=min(1.0, 6 / len(rows) + 0.3), pad=0.02, aspect=25)
    bar.set_label(_t("coverage_share" if value == "share" else "coverage_count", lang))
    bar.outline.set_visible(False)
    if value == "share":
        bar.ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    note = _t("cells_share" if value == "share" else "cells_count", lang)
    columns = int((ax.figure.get_figwidth() - 2.3) * 72 / (7 * 0.55))  # the axes' width, in 7 pt columns
    key = "\n".join(wrap_label(k, columns, 4) for k in [note, *key_lines])
    ax.set_xlabel(key, loc="left", fontsize=7, color="#444444")
    ax.set_title(title)
    set_alt_text(ax.figure, f"{title}. " + _t("alt_heatmap", lang, rows=len(rows), cols=n_units) + " " + note)
    logger.debug("%s coverage: %d rows × %d units", row_col, len(rows), n_units)
    return ax


@_styled
def plot_crime_area_theme(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                          value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Action theme × crime area heatmap: which kinds of action the
    recommendations about each crime ask for (codebook §4 × §4b).

    ``data``: ``coverage.crime_area_by_theme`` ``[theme, crime_area, count]``
    with optional ``share`` (count over the theme's recommendations). Rows
    are the codebook themes (then "No theme"), columns the codebook crime
    areas (then "Convention in general"), all shown by name. Cells are
    shaded by ``share`` (read a row: of the technical-assistance
    recommendations, the share about trafficking in persons; a
    recommendation with two areas counts in both, so a row may add up to
    more than 100 %) or by ``count``, and annotated with the count.
    """
    title = _t("crime_theme_title", lang) if title is None else title
    _require(data, ("theme", "crime_area", "count"), "plot_crime_area_theme")
    if value not in ("share", "count"):
        raise ValueError(f"value must be 'share' or 'count', not {value!r}")
    if value == "share" and "share" not in data.columns:
        value = "count"
    df = data.copy()
    themes, areas = theme_names(), crime_area_names()
    df["theme"] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df["theme"]]
    df["crime_area"] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df["crime_area"]]
    rows = list(themes) + sorted(set(df["theme"]) - set(themes) - {_NONE_KEY}) + (
        [_NONE_KEY] if _NONE_KEY in set(df["theme"]) else [])
    cols = list(areas) + sorted(set(df["crime_area"]) - set(areas) - {_NONE_KEY}) + (
        [_NONE_KEY] if _NONE_KEY in set(df["crime_area"]) else [])
    counts = df.pivot_table(index="theme", columns="crime_area", values="count", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0)
    if value == "share":
        shade = df.pivot_table(index="theme", columns="crime_area", values="share", aggfunc="sum", fill_value=0.0)
        shade = shade.reindex(index=rows, columns=cols, fill_value=0.0).astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))
    else:
        shade = counts.astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))
    n_theme = (df.drop_duplicates("theme").set_index("theme")["n_theme"] if "n_theme" in df.columns else None)
    row_labels = [wrap_label(_name({**themes, _NONE_KEY: THEME_NONE}, t, lang), 22 if lang == "en" else 20, 3)
                  + (f" (n = {int(n_theme.get(t, 0))})" if n_theme is not None else "") for t in rows]
    # Eleven areas and the Convention in general do not fit side by side in a
    # column: their names run up the columns.
    col_labels = [wrap_label(_name({**areas, _NONE_KEY: CRIME_GENERAL}, c, lang), 22 if lang == "en" else 12, 2)
                  for c in cols]
    tallest = max((text_width(x) for c in col_labels for x in c.split("\n")), default=8)
    ax = _new_axes(ax, 3.4 + 1.2 + 0.34 * len(cols), 2.3 + 0.3 * len(rows) + 0.075 * tallest, width)
    if not len(df) or not counts.to_numpy().sum():
        return _empty(ax, title, lang)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    norm = Normalize(0, vmax)
    grid = np.ma.masked_array(shade.to_numpy().copy(), mask=np.zeros(shade.shape, dtype=bool))
    none_j = cols.index(_NONE_KEY) if _NONE_KEY in cols else None
    if none_j is not None:
        grid.mask[:, none_j] = True
    mesh = ax.pcolormesh(grid, cmap=cmap, norm=norm, edgecolors="white", linewidth=1.5)
    if none_j is not None:
        # the Convention in general (no crime named): grey, apart from the named crimes
        grey = np.ma.masked_array(shade.to_numpy().copy(), mask=np.ones(shade.shape, dtype=bool))
        grey.mask[:, none_j] = False
        ax.pcolormesh(grey, cmap=mpl.colormaps["Greys"], norm=Normalize(0, vmax * 1.6), edgecolors="white",
                      linewidth=1.5)
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(cols)) + 0.5, col_labels, rotation=90, fontsize=7.5)
    ax.set_yticks(np.arange(len(rows)) + 0.5, row_labels)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(len(rows)):
        for j in range(len(cols)):
            n = int(counts.iat[i, j])
            if n:
                # the number is what the colour shows: the share, or the count
                text = f"{shade.iat[i, j]:.0%}" if value == "share" else str(n)
                face = (cmap(norm(shade.iat[i, j])) if j != none_j
                        else mpl.colormaps["Greys"](shade.iat[i, j] / (vmax * 1.6)))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=6.5, color=_text_color(face))
    if none_j is not None:
        ax.axvline(none_j, color="white", linewidth=5)
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=min(1.0, 6 / len(rows) + 0.3), pad=0.02, aspect=25)
    bar.set_label(_t("theme_share" if value == "share" else "coverage_count", lang))
    bar.outline.set_visible(False)
    if value == "share":
        bar.ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    note = _t("cells_theme_share" if value == "share" else "cells_count", lang)
    ax.set_xlabel(wrap_label(note, int((ax.figure.get_figwidth() - 2.3) * 72 / (7 * 0.55)), 3), loc="left",
                  fontsize=7, color="#444444")
    ax.set_title(title)
    set_alt_text(ax.figure, f"{title}. " + _t("alt_heatmap", lang, rows=len(rows), cols=len(cols)) + " " + note)
    return ax


def _tally(df: pd.DataFrame, keys: tuple[str, str]) -> dict[tuple, float]:
    """Sum ``count`` by two key columns, missing keys as None (kept in plain
    Python: pandas' string dtype would turn None back into NaN)."""
    out: dict[tuple, float] = {}
    for a, b, c in df[[keys[0], keys[1], "count"]].itertuples(index=False):
        if c is None or pd.isna(c):
            continue
        b = _na_to_none(b)
        if b is not None and not isinstance(b, str):
            b = int(b)
        key = (_na_to_none(a), b)
        out[key] = out.get(key, 0.0) + float(c)
    return out


def _ordered(values: Iterable, reference: Mapping) -> list:
    """Values in the order of ``reference`` (codebook order), unknown ones after."""
    values = set(values)
    return [v for v in reference if v in values] + sorted((v for v in values if v not in reference), key=str)


@_styled
def plot_actor_strength(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                        normalize: bool = False, title: str | None = None, body: str | None = "COP") -> Axes:
    """Stacked horizontal bars: recommendations per actor group, split by
    strength family (应 / 鼓励 / 不妨 / 其他; darker = stronger).

    ``data``: ``actor_strength`` ``[actor_group, strength_family, count]``;
    an empty/None actor group is shown as "not identified". ``normalize``
    shows shares of each actor group's recommendations instead of counts.
    ``body``: the adopting body's code, under whose name the ``Body`` group
    is shown (``coverage.adopting_body``; None when the rows mix bodies).
    """
    title = _t("actor_title", lang) if title is None else title
    own = ax is None
    _require(data, ("actor_group", "strength_family", "count"), "plot_actor_strength")
    table = {k: v for k, v in _tally(data, ("actor_group", "strength_family")).items() if v > 0}
    actors = _ordered({a for a, _ in table}, ACTOR_GROUPS)
    families = _ordered({f for _, f in table}, STRENGTH_FAMILIES)
    ax = _new_axes(ax, 7.0, 1.7 + 0.5 * max(len(actors), 1))
    if not table:
        return _empty(ax, title, lang)

    totals = {a: sum(table.get((a, f), 0.0) for f in families) for a in actors}
    y = np.arange(len(actors))
    left = np.zeros(len(actors))
    xmax = 1.0 if normalize else max(totals.values())
    for f in families:
        widths = np.array([table.get((a, f), 0.0) / (totals[a] if normalize else 1) for a in actors])
        color = FAMILY_COLORS.get(f, LIGHT_GREY)
        hatch = FAMILY_HATCH.get(f)
        drawn = widths > 0  # a zero-width bar would still draw its edge as a stray line
        bars = ax.barh(y[drawn], widths[drawn], left=left[drawn], color=color, height=0.62,
                       edgecolor="#555555" if hatch else "white", linewidth=0.6, hatch=hatch,
                       label=_name(STRENGTH_FAMILIES, f, lang))
        for rect, w, a in zip(bars, widths[drawn], [a for a, d in zip(actors, drawn) if d]):
            n = table.get((a, f), 0.0)
            label = f"{w:.0%}" if normalize else f"{int(n)}"
            if w >= (0.03 + 0.012 * len(label)) * xmax:  # room for the number
                ax.text(rect.get_x() + w / 2, rect.get_y() + rect.get_height() / 2, label,
                        ha="center", va="center", fontsize=8, color=_text_color(color),
                        bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none") if hatch else None)
        left += widths
    if not normalize:
        for yi, a in zip(y, actors):
            ax.text(totals[a] + 0.01 * xmax, yi, f"{int(totals[a])}", va="center", ha="left", fontsize=8, color=INK)
    ax.set_yticks(y, [actor_group_name(a, lang, body) for a in actors])
    ax.invert_yaxis()
    ax.set_xlim(0, xmax * (1.0 if normalize else 1.08))
    if normalize:
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    else:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(_t("share" if normalize else "recommendations", lang))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.legend(title=_t("family", lang), ncols=len(families), loc="lower left", bbox_to_anchor=(0, 1.0),
              alignment="left", handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)
    ax.set_title(title, pad=34)
    if own:
        _strength_note(ax, lang)
    return ax


def _strength_note(ax: Axes, lang: str) -> None:
    """The note under both strength charts: how the codebook's families and
    scores order the cues, so that the two charts read alike."""
    columns = int(ax.figure.get_figwidth() * 72 / (6.5 * 0.55)) - 4
    ax.figure.supxlabel(wrap_label(_t("strength_note", lang), columns, 4), x=0.01, ha="left", fontsize=6.5,
                        color="#444444")


@_styled
def plot_strength_by_actor(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                           title: str | None = None, body: str | None = "COP") -> Axes:
    """Distribution of strength scores (1–5) per actor group as a bubble
    grid: circle area = number of recommendations, the number is printed,
    a diamond under the row marks the group's mean score. Rows without a
    score (family 其他: 决定, 核可 …) get their own column on the left.

    ``data``: ``strength_by_actor`` ``[actor_group, strength_score, count]``;
    ``body`` as in ``plot_actor_strength``.
    """
    title = _t("strength_title", lang) if title is None else title
    own = ax is None
    _require(data, ("actor_group", "strength_score", "count"), "plot_strength_by_actor")
    grid = {}
    for (a, s), c in _tally(data, ("actor_group", "strength_score")).items():
        if c > 0:
            key = (a, int(s) if s is not None else 0)  # 0 = no score
            grid[key] = grid.get(key, 0.0) + c
    actors = _ordered({a for a, _ in grid}, ACTOR_GROUPS)
    ax = _new_axes(ax, 7.0, 1.9 + 0.6 * max(len(actors), 1))
    if not grid:
        return _empty(ax, title, lang)
    biggest = max(grid.values())
    has_unscored = any(x == 0 for _, x in grid)
    for yi, a in enumerate(actors):
        cells = {x: c for (aa, x), c in grid.items() if aa == a}
        color = ACTOR_COLORS.get(a, GREY)
        for x, c in cells.items():
            size = 700 * c / biggest
            face, edge = (color, color) if x else ("white", GREY)
            ax.scatter([x], [yi], s=size, color=face, edgecolor=edge, linewidth=1.2, zorder=2)
            r_pt = math.sqrt(size / math.pi)
            inside = r_pt > 7
            ax.annotate(f"{int(c)}", (x, yi), xytext=(0, 0) if inside else (r_pt + 2, r_pt + 1),
                        textcoords="offset points", ha="center" if inside else "left",
                        va="center" if inside else "bottom", fontsize=8, zorder=3,
                        color=_text_color(face) if inside else INK)
        scored = {x: c for x, c in cells.items() if x}
        if scored:
            mean = sum(x * c for x, c in scored.items()) / sum(scored.values())
            ax.plot([mean], [yi + 0.36], marker="D", color=INK, markersize=4, zorder=3, linestyle="none")
    xs = ([0] if has_unscored else []) + [1, 2, 3, 4, 5]
    labels = ([_t("no_score", lang)] if has_unscored else []) + [
        f"{s}\n{wrap_label(STRENGTH_SCORES[s][_lang(lang)], 10, 3)}" for s in (1, 2, 3, 4, 5)]
    ax.set_xticks(xs, labels)
    if has_unscored:
        ax.axvline(0.5, color=LIGHT_GREY, linewidth=0.8, zorder=0)
    ax.set_xlim(min(xs) - 0.6, 5.6)
    ax.set_yticks(range(len(actors)), [actor_group_name(a, lang, body) for a in actors])
    ax.set_ylim(len(actors) - 0.45, -0.6)
    ax.grid(axis="y", color="#EEEEEE", zorder=0)
    ax.tick_params(length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(_t("score_axis", lang))
    handles = [Line2D([], [], marker="D", color=INK, linestyle="none", markersize=4, label=_t("mean", lang)),
               Line2D([], [], marker="o", color=GREY, markerfacecolor="none", linestyle="none", markersize=8,
                      label=_t("n_recs", lang))]
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1.0), ncols=2, borderaxespad=0.2)
    ax.set_title(title, pad=22)
    if own:
        _strength_note(ax, lang)
    return ax


# --------------------------------------------------------------------------
# Overlap
# --------------------------------------------------------------------------


def _cluster_order(recs: list[str], clusters: pd.DataFrame | None) -> tuple[list[str], list[tuple[int, int, object]]]:
    """Order rec_ids by cluster (larger clusters first), reading order inside;
    return the order and the (start, stop, cluster_id) spans of clusters of 2+."""
    member: dict[str, object] = {}
    if clusters is not None and len(clusters):
        _require(clusters, ("cluster_id", "rec_id"), "clusters")
        for cid, rid in clusters[["cluster_id", "rec_id"]].itertuples(index=False):
            member.setdefault(rid, cid)
    groups: dict[object, list[str]] = {}
    for r in recs:
        groups.setdefault(member.get(r, ("_single", r)), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), rec_sort_key(min(kv[1], key=rec_sort_key))))
    order, spans = [], []
    for cid, members in ordered:
        start = len(order)
        order.extend(sorted(members, key=rec_sort_key))
        if len(members) > 1:
            spans.append((start, len(order), cid))
    return order, spans


@_styled
def plot_overlap_heatmap(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None, *, ax: Axes | None = None,
                         lang: str = "zh", top_n: int = 40, title: str | None = None) -> Axes:
    """Similarity matrix of recommendations, ordered by cluster (boxes mark
    clusters of two or more).

    ``overlap``: ``[rec_id_a, rec_id_b, similarity]`` (pairs missing from the
    table count as 0); ``clusters``: ``[cluster_id, rec_id]``. With more than
    ``top_n`` recommendations only the ``top_n`` with the highest best-pair
    similarity are shown, and the title says so.
    """
    title = _t("overlap_title", lang) if title is None else title
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "plot_overlap_heatmap")
    pairs = overlap[["rec_id_a", "rec_id_b", "similarity"]].dropna()
    pairs = pairs[pairs["rec_id_a"] != pairs["rec_id_b"]]
    keep, n_total = _heatmap_members(overlap, top_n)
    if n_total > top_n:
        title = f"{title}\n{_t('top_of', lang, k=top_n, n=n_total)}"
    order, spans = _cluster_order(keep, clusters)
    n = len(order)
    labels = [rec_label(r, lang) for r in order]
    label_w = max((text_width(x) for x in labels), default=8) * 6.5 * 0.55 / 72
    # A square matrix: as wide as the column allows beside its labels and colour bar.
    size = min(3.2 + 0.16 * n, COLUMN_WIDTH - label_w - 1.0)
    ax = _new_axes(ax, size + label_w + 1.0, size + label_w + 1.0)
    if not n:
        return _empty(ax, title, lang)
    index = {r: i for i, r in enumerate(order)}
    matrix = np.zeros((n, n))
    for a, b, s in pairs.itertuples(index=False):
        if a in index and b in index:
            i, j = index[a], index[b]
            matrix[i, j] = matrix[j, i] = max(matrix[i, j], float(s))
    masked = np.ma.masked_where(np.eye(n, dtype=bool), matrix)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP].with_extremes(bad=LIGHT_GREY)  # the diagonal
    vmax = max(float(matrix.max()), 1e-9)
    mesh = ax.pcolormesh(masked, cmap=cmap, vmin=0, vmax=vmax, edgecolors="white", linewidth=0.3 if n <= 60 else 0)
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    fs = 7 if n <= 24 else 6.5 if n <= 40 else 5
    ax.set_xticks(np.arange(n) + 0.5, labels, rotation=90, fontsize=fs)
    ax.set_yticks(np.arange(n) + 0.5, labels, fontsize=fs)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for start, stop, _cid in spans:
        ax.add_patch(Rectangle((start, start), stop - start, stop - start, fill=False, edgecolor=INK, linewidth=1.2))
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.6, pad=0.02, aspect=25)
    bar.set_label(_t("similarity", lang))
    bar.outline.set_visible(False)
    if spans:
        ax.set_xlabel(_t("cluster_box", lang), color=GREY, fontsize=8)
    ax.set_title(title)
    logger.debug("overlap heatmap: %d of %d recommendations, %d clusters", n, n_total, len(spans))
    return ax



def _packed_layout(graph: nx.Graph, *, seed: int = 7, spacing: float = 1.3) -> dict:
    """Positions in layout units (about one node spacing each): every
    connected component laid out on its own (Kamada–Kawai, even spacing;
    seeded spring layout past 60 nodes), scaled so neighbouring nodes sit
    ``spacing`` apart, then packed in rows, largest component first. A
    single spring layout of the whole graph would fling small components
    to the corners and crush the large ones."""
    if graph.number_of_nodes() == 0:
        return {}
    comps = sorted(nx.connected_components(graph), key=lambda c: (-len(c), rec_sort_key(min(c, key=rec_sort_key))))
    boxes = []
    for comp in comps:
        sub = graph.subgraph(sorted(comp, key=rec_sort_key))
        m = len(comp)
        if m == 1:
            local = {next(iter(comp)): np.zeros(2)}
        elif m == 2:
            a, b = sorted(comp, key=rec_sort_key)
            local = {a: np.array([0.0, 0.0]), b: np.array([spacing, 0.0])}
        else:
            raw = (nx.kamada_kawai_layout(sub) if m <= 60
                   else nx.spring_layout(sub, seed=seed, weight="similarity"))
            pts = np.array([raw[v] for v in sub])
            d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
            np.fill_diagonal(d, np.inf)
            nearest = float(np.median(d.min(axis=1))) or 1.0
            local = {v: raw[v] * spacing / nearest for v in sub}
        pts = np.array(list(local.values()))
        lo = pts.min(axis=0)
        local = {v: p - lo for v, p in local.items()}
        boxes.append((local, pts.max(axis=0) - lo))
    total = sum((w + spacing) * (h + spacing) for _, (w, h) in boxes)
    row_width = max(max(w for _, (w, _h) in boxes), math.sqrt(total) * 1.3)
    pos, x, y, row_h = {}, 0.0, 0.0, 0.0
    for local, (w, h) in boxes:
        if x > 0 and x + w > row_width:
            x, y, row_h = 0.0, y - row_h - spacing, 0.0
        for v, p in local.items():
            pos[v] = (x + p[0], y - (h - p[1]))
        x += w + spacing
        row_h = max(row_h, h)
    return pos


def _distinct_pairs(overlap: pd.DataFrame, min_similarity: float = 0.0) -> pd.DataFrame:
    pairs = overlap.dropna(subset=["similarity"])
    pairs = pairs[(pairs["rec_id_a"] != pairs["rec_id_b"]) & (pairs["similarity"] >= min_similarity)]
    # The same pair may come twice (a→b and b→a ranks): keep it once.
    key = pairs.apply(lambda r: tuple(sorted((r["rec_id_a"], r["rec_id_b"]))), axis=1) if len(pairs) else []
    pairs = pairs.assign(_key=key).sort_values("similarity", ascending=False, kind="stable")
    return pairs.drop_duplicates("_key").drop(columns="_key")


def network_pairs(overlap: pd.DataFrame, *, top_n: int = 30, min_similarity: float = 0.0) -> pd.DataFrame:
    """The pairs ``plot_overlap_network`` draws: the ``top_n`` most similar
    distinct pairs (at least ``min_similarity``), most similar first (the
    table behind the chart)."""
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "network_pairs")
    return _distinct_pairs(overlap, min_similarity).head(top_n).reset_index(drop=True)


def heatmap_pairs(overlap: pd.DataFrame, *, top_n: int = 40) -> pd.DataFrame:
    """The pairs ``plot_overlap_heatmap`` shades: every pair between the
    ``top_n`` recommendations with the highest best-pair similarity (the
    table behind the chart)."""
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "heatmap_pairs")
    keep = set(_heatmap_members(overlap, top_n)[0])
    pairs = _distinct_pairs(overlap)
    return pairs[pairs["rec_id_a"].isin(keep) & pairs["rec_id_b"].isin(keep)].reset_index(drop=True)


def _heatmap_members(overlap: pd.DataFrame, top_n: int) -> tuple[list[str], int]:
    pairs = overlap[["rec_id_a", "rec_id_b", "similarity"]].dropna()
    pairs = pairs[pairs["rec_id_a"] != pairs["rec_id_b"]]
    best = pd.concat([pairs.set_index("rec_id_a")["similarity"], pairs.set_index("rec_id_b")["similarity"]])
    best = best.groupby(level=0).max()
    if len(best) > top_n:
        return best.sort_values(ascending=False, kind="stable").iloc[:top_n].index.tolist(), len(best)
    return best.index.tolist(), len(best)


@_styled
def plot_overlap_network(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None, *, ax: Axes | None = None,
                         lang: str = "zh", top_n: int = 30, min_similarity: float = 0.0,
                         title: str | None = None, seed: int = 7) -> Axes:
    """Network of the ``top_n`` most similar pairs (at least
    ``min_similarity``): nodes are recommendations labelled by rec_id and
    coloured by resolution; edge width grows with similarity; pairs across
    resolutions are drawn dashed. The layout is seeded, hence reproducible.

    ``overlap``: ``[rec_id_a, rec_id_b, similarity]`` (``same_resolution``
    is used when present, else derived from the rec_ids). ``clusters`` is
    accepted so both overlap charts take the same arguments; the layout
    groups connected recommendations by itself (one block per component).
    """
    title = _t("network_title", lang) if title is None else title
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "plot_overlap_network")
    n_pairs = len(_distinct_pairs(overlap, min_similarity))
    if n_pairs > top_n:
        title = f"{title}\n{_t('pairs_of', lang, k=top_n, n=n_pairs)}"
    pairs = network_pairs(overlap, top_n=top_n, min_similarity=min_similarity)
    graph = nx.Graph()
    for row in pairs.itertuples(index=False):
        a, b, s = row.rec_id_a, row.rec_id_b, float(row.similarity)
        same = getattr(row, "same_resolution", None)
        if same is None or pd.isna(same):
            same = _resolution_of(a) == _resolution_of(b)
        graph.add_edge(a, b, similarity=s, same=bool(same))
    n = graph.number_of_nodes()
    # Deterministic node and edge order, so the layout is reproducible.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes, key=rec_sort_key))
    ordered.add_edges_from(sorted(graph.edges(data=True), key=lambda e: (rec_sort_key(e[0]), rec_sort_key(e[1]))))
    graph = ordered
    pos = _packed_layout(graph, seed=seed)
    xs, ys = (zip(*pos.values())) if pos else ((0,), (0,))
    # inches per layout unit (about one node spacing): as much as the column allows
    unit = min(0.8, (COLUMN_WIDTH - 0.3) / (max(xs) - min(xs) + 1.6))
    ax = _new_axes(ax, (max(xs) - min(xs) + 1.6) * unit + 0.3, (max(ys) - min(ys) + 1.5) * unit + 1.6)
    if not n:
        return _empty(ax, title, lang)
    resolutions = sorted({_resolution_of(v) for v in graph}, key=lambda r: rec_sort_key(r + ":"))
    res_color = {r: CATEGORICAL[i % len(CATEGORICAL)] for i, r in enumerate(resolutions)}
    sims = [d["similarity"] for _, _, d in graph.edges(data=True)]
    lo, hi = min(sims), max(sims)

    def width(s):
        return 0.8 + 3.2 * ((s - lo) / (hi - lo) if hi > lo else 1.0)

    for style, same in (("solid", True), ("dashed", False)):
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["same"] is same]
        if edges:
            nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, style=style, edge_color="#666666",
                                   width=[width(graph.edges[e]["similarity"]) for e in edges], alpha=0.85)
    # Colour and shape both mark the resolution: shapes survive greyscale print.
    res_shape = {r: NODE_SHAPES[i % len(NODE_SHAPES)] for i, r in enumerate(resolutions)}
    for r in resolutions:
        nodes = [v for v in graph if _resolution_of(v) == r]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_color=res_color[r], node_size=90,
                               node_shape=res_shape[r], edgecolors="white", linewidths=0.8)
    fs = 7 if n <= 25 else 6.5 if n <= 45 else 6
    one_unit = len(resolutions) == 1
    for v, (x, y) in pos.items():
        # Within one resolution its number would repeat on every node: the
        # part and label say which recommendation it is, the legend the unit.
        shown = rec_label(v, lang)
        if one_unit:
            shown = shown.split(" ", 1)[1] if " " in shown and not _PREFIXED_KEY.match(_resolution_of(v)) else shown
        ax.annotate(shown, (x, y), xytext=(0, 6), textcoords="offset points", ha="center", va="bottom", fontsize=fs,
                    color=INK, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75), zorder=4)
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.9)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    from analysis.bodies import unit_name

    handles = [Line2D([], [], marker=res_shape[r], color=res_color[r], linestyle="none", markersize=7,
                      label=unit_name(r, lang)) for r in resolutions]
    kinds = {d["same"] for _, _, d in graph.edges(data=True)}
    if True in kinds:
        handles.append(Line2D([], [], color="#666666", linestyle="solid", label=_t("same_res", lang)))
    if False in kinds:
        handles.append(Line2D([], [], color="#666666", linestyle="dashed", label=_t("cross_res", lang)))
    # Line width carries the similarity: one swatch for each end of the scale.
    handles.append(Line2D([], [], color="#666666", linewidth=width(lo), label=_t("similarity", lang) + f" {lo:.2f}"))
    if hi > lo:
        handles.append(Line2D([], [], color="#666666", linewidth=width(hi), label=_t("similarity", lang) + f" {hi:.2f}"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(3, len(handles)),
              borderaxespad=0.2, handlelength=2.2, columnspacing=1.2)
    ax.set_title(title, pad=14 + 13 * math.ceil(len(handles) / 3))
    set_alt_text(ax.figure, f"{' '.join(title.split())}. " + _t("alt_network", lang, n=n, e=graph.number_of_edges()))
    return ax


# --------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------


def citation_digraph(citations: pd.DataFrame, *,
                     kinds: Iterable[str] = ("resolution", "document", "treaty")) -> nx.DiGraph:
    """Citing resolution → cited item graph of a ``citations`` table.

    Handed to ``citations.citation_graph``, which decides node identity (a
    resolution of a body of ``bodies.yaml`` is its unit key, so a cited
    resolution of the corpus is the node of that resolution), the citing
    body and self-citations. A minimal table (``[resolution, cited_kind,
    cited]``, ``cited_body`` optional: a resolution without one is the
    citing unit's own) gives the same nodes: ``kind``, ``label``, ``body``,
    ``in_corpus``; edges ``count``.
    """
    _require(citations, ("resolution", "cited_kind", "cited"), "citation_digraph")
    from analysis.citations import citation_graph

    return citation_graph(citations, kinds=tuple(kinds))


def _drawable_citations(graph: nx.DiGraph, lang: str) -> nx.DiGraph:
    """Copy of a citation graph with the attributes the chart draws:
    ``draw_kind`` (``corpus`` for resolutions of the corpus), ``text`` (the
    label, with the adopting body when it is not the corpus's own) and edge
    ``weight``. Accepts graphs from ``citations.citation_graph``, from
    :func:`citation_digraph` or hand-made ones (nodes that cite count as
    corpus)."""
    g = graph.copy()
    corpus_bodies = [d.get("body") for _, d in g.nodes(data=True) if d.get("in_corpus") and d.get("body")]
    # the corpus's own body goes without saying only when the corpus is one body's
    own = corpus_bodies[0] if len(set(corpus_bodies)) == 1 else None if corpus_bodies else OWN_BODY
    for v, d in g.nodes(data=True):
        kind = d.get("kind")
        in_corpus = d.get("in_corpus", kind == "corpus" or (kind is None and g.out_degree(v) > 0))
        d["draw_kind"] = "corpus" if in_corpus or kind == "corpus" else (kind or "resolution")
        label = str(d.get("label") or v)
        body = _na_to_none(d.get("body")) or None
        if d.get("unit_kind") == "decision":
            label = f"决定 {label}" if lang == "zh" else f"dec. {label}"
        if d["draw_kind"] in ("corpus", "resolution") and body and body != own:
            label += "\n(" + (BODIES_EN.get(body, body) if lang == "en" else body) + ")"
        if d["draw_kind"] == "treaty":
            # 《条约汇编》第2225卷 is a volume of the UN Treaty Series: named by
            # the treaty it holds where the glossary knows it.
            from analysis.glossary import load_glossary

            unts = load_glossary().treaty(label)
            if unts is not None and lang == "en":
                label = unts.replace(" (", "\n(")  # UNTS vol. 2225\n(UNTOC)
        if lang == "en":
            label = "\n".join(_english(x) for x in label.split("\n"))
        d["text"] = label
    for _, _, d in g.edges(data=True):
        d["weight"] = d.get("weight", d.get("count", 1))
    return g


_NODE_STYLE = {
    # kind: (box style, face, edge, text colour, line style)
    "corpus": ("round,pad=0.35", OKABE_ITO["blue"], OKABE_ITO["blue"], "white", "solid"),
    "resolution": ("round,pad=0.35", "white", OKABE_ITO["blue"], INK, "solid"),
    "document": ("square,pad=0.35", "white", OKABE_ITO["vermillion"], INK, "dashed"),
    "treaty": ("round4,pad=0.35", "#FFF3D6", OKABE_ITO["orange"], INK, "solid"),
    "article": ("square,pad=0.35", "white", GREY, INK, "dotted"),
    "date": ("square,pad=0.35", "white", GREY, INK, "dotted"),
}


def _two_column_order(graph: nx.DiGraph) -> tuple[list, list]:
    """Citing resolutions (left column, reading order) and cited items
    (right column: grouped by kind, then by the mean position of the
    resolutions citing them, which keeps arrows from crossing where it can)."""
    kind_rank = {k: i for i, k in enumerate(_NODE_STYLE)}

    def name_key(v):
        d = graph.nodes[v]
        if d["draw_kind"] in ("corpus", "resolution"):
            return (rec_sort_key(str(d.get("label") or v) + ":"), str(d.get("body") or ""))
        return (((), 0, (), str(d.get("label") or v)), "")

    left = sorted((v for v in graph if graph.nodes[v]["draw_kind"] == "corpus"), key=name_key)
    row = {v: i for i, v in enumerate(left)}
    right = [v for v in graph if graph.nodes[v]["draw_kind"] != "corpus"]

    def barycentre(v):
        ys = [row[u] for u in graph.predecessors(v) if u in row]
        return sum(ys) / len(ys) if ys else len(left)

    right.sort(key=lambda v: (kind_rank.get(graph.nodes[v]["draw_kind"], 99), barycentre(v), name_key(v)))
    return left, right


@_styled
def plot_citation_graph(data: pd.DataFrame | nx.DiGraph, *, ax: Axes | None = None, lang: str = "zh",
                        kinds: Iterable[str] = ("resolution", "document", "treaty"), max_nodes: int = 60,
                        title: str | None = None) -> Axes:
    """Citation map: the resolutions of the corpus in the left column, what
    they cite (resolutions, documents, treaties) in the right column, an
    arrow for each citing → cited link; a corpus resolution citing another
    one is an arc on the left. Boxes are nodes (filled = resolution in the
    corpus, outlined = cited resolution, dashed square = document, tinted =
    treaty); arrow width and the number on it = how often.

    ``data``: a ``citations`` table (see :func:`citation_digraph`) or a
    ready ``networkx.DiGraph`` (node attributes ``kind``/``label`` and edge
    ``weight`` optional; nodes citing something count as corpus). Dates and
    articles are left out by default (``kinds``). Past ``max_nodes`` the
    most cited nodes are kept and the title says so.
    """
    title = _t("citation_title", lang) if title is None else title
    graph = _drawable_citations(data if isinstance(data, nx.DiGraph) else citation_digraph(data, kinds=kinds), lang)
    if graph.number_of_nodes() > max_nodes:
        rank = sorted(graph.nodes, key=lambda v: (graph.nodes[v]["draw_kind"] != "corpus",
                                                   -graph.in_degree(v, weight="weight"), str(v)))
        graph = graph.subgraph(rank[:max_nodes]).copy()
        title = f"{title}（前 {max_nodes} 个节点）" if lang == "zh" else f"{title} (top {max_nodes} nodes)"
    graph.remove_nodes_from([v for v in list(graph)
                             if graph.degree(v) == 0 and graph.nodes[v]["draw_kind"] != "corpus"])
    left, right = _two_column_order(graph)
    fs = 8

    def label_w(v):  # inches
        lines = graph.nodes[v]["text"].split("\n")
        return max(text_width(x) for x in lines) * fs * 0.55 / 72 + 0.2

    row_h = 0.42
    left_w = max((label_w(v) for v in left), default=0.6)
    right_w = max((label_w(v) for v in right), default=0.6)
    gap = 2.2
    n_rows = max(len(left), len(right), 1)
    height = (n_rows - 1) * row_h
    present = [k for k in _NODE_STYLE if any(d["draw_kind"] == k for _, d in graph.nodes(data=True))]
    # The legend sits above the chart in one row: the figure must be at least
    # as wide, or the layout engine squeezes the chart to make room for it.
    legend_w = sum(text_width(CITED_KINDS[k][_lang(lang)]) * 8 * 0.55 / 72 + 0.75 for k in present)
    left_step = min(height / max(len(left) - 1, 1), 3 * row_h) if len(left) > 1 else 0.0
    # Room on the left for the arcs between corpus resolutions (an arc3 curve
    # bulges rad/2 times the distance it spans).
    index = {v: i for i, v in enumerate(left)}
    spans = [abs(index[u] - index[v]) * left_step for u, v in graph.edges if u in index and v in index]
    arc_room = 0.45 / 2 * max(spans) + 0.15 if spans else 0.0
    x_left, x_right = arc_room + left_w / 2, arc_room + left_w + gap + right_w / 2
    ax = _new_axes(ax, max(x_right + right_w / 2 + 0.5, legend_w + 0.6), height + 1.7)
    if graph.number_of_edges() == 0:
        return _empty(ax, title, lang)
    pos = {}
    for column, x in ((left, x_left), (right, x_right)):
        # The left column spreads over the height of the right one (capped,
        # so two resolutions don't fly apart).
        step = left_step if column is left else row_h
        top = -(height - step * (len(column) - 1)) / 2
        for k, v in enumerate(column):
            pos[v] = (x, top - k * step)
    boxes = {}
    for v, (x, y) in pos.items():
        box, face, edge, tc, ls = _NODE_STYLE.get(graph.nodes[v]["draw_kind"], _NODE_STYLE["document"])
        boxes[v] = ax.text(x, y, graph.nodes[v]["text"], ha="center", va="center", fontsize=fs, color=tc, zorder=3,
                           bbox=dict(boxstyle=box, fc=face, ec=edge, lw=1.2, ls=ls))
    weights = [d.get("weight", 1) for _, _, d in graph.edges(data=True)]
    wmax = max(weights)
    for u, v, d in graph.edges(data=True):
        w = d.get("weight", 1)
        (x1, y1), (x2, y2) = pos[u], pos[v]
        if abs(x2 - x1) < 1e-9:
            # Corpus → corpus: an arc bulging left of the column (arc3 bends
            # left of the travel direction for rad > 0 when going down).
            rad = 0.45 if y2 < y1 else -0.45
        else:
            rad = 0.0
        # Arrows above the boxes (zorder 4): they end at the box edges, and a
        # box drawn later would hide the arrowhead.
        ax.annotate("", xy=pos[v], xytext=pos[u], zorder=4,
                    arrowprops=dict(arrowstyle="-|>,head_length=0.6,head_width=0.3", color="#555555",
                                    lw=0.8 + 1.6 * (w - 1) / max(wmax - 1, 1), shrinkA=1, shrinkB=1,
                                    patchA=boxes[u].get_bbox_patch(), patchB=boxes[v].get_bbox_patch(),
                                    connectionstyle=f"arc3,rad={rad}"))
        if w > 1:
            t = 0.5
            xm, ym = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            if rad:
                xm -= abs(rad) * abs(y2 - y1) / 2
            ax.text(xm, ym, str(w), fontsize=7, ha="center", va="center", color=INK, zorder=5,
                    bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec="#555555", lw=0.6))
    ax.set_xlim(0, x_right + right_w / 2 + 0.2)
    ax.set_ylim(-height - 0.35, 0.35)
    ax.set_axis_off()
    handles = []
    for k in present:
        box, face, edge, tc, ls = _NODE_STYLE[k]
        handles.append(Patch(facecolor=face, edgecolor=edge, linestyle=ls, linewidth=1.2,
                             label=CITED_KINDS[k][_lang(lang)]))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(len(handles), 4),
              borderaxespad=0.3)
    ax.set_title(title, pad=26 if len(handles) <= 4 else 40)
    logger.debug("citation graph: %d nodes, %d edges", graph.number_of_nodes(), graph.number_of_edges())
    return ax


# --------------------------------------------------------------------------
# Terms
# --------------------------------------------------------------------------


def _group_label(group, lang: str) -> str:
    names = theme_names()
    if group in names:
        return _name(names, group, lang)
    if _na_to_none(group) is None:
        return THEME_NONE[_lang(lang)]
    group = str(group)
    if re.fullmatch(r"\d+/\d+", group):
        label = _t("resolution_1", lang, r=group)
        return label[:1].upper() + label[1:]
    return unit_label(group, lang)


@_styled
def plot_top_terms(data: pd.DataFrame, *, fig: Figure | None = None, lang: str = "zh", n: int = 10,
                   ncols: int | None = None, title: str | None = None, width: str | float = "column") -> Figure:
    """Small multiples: one horizontal bar panel per group (theme or
    resolution), its ``n`` top terms, rank 1 on top, count at the bar end.

    ``data``: ``top_terms`` ``[group, term, count, rank]``. Theme codes as
    groups are shown by their name, resolutions as 第…号决议/resolution ….
    Each panel has its own scale (groups differ in size); returns the Figure.
    """
    _require(data, ("group", "term", "count"), "plot_top_terms")
    if title is None:
        groups = {g for g in data["group"] if _na_to_none(g) is not None}
        by_theme = bool(groups) and groups <= set(theme_names())
        title = _t("terms_title", lang) + _t("by_theme" if by_theme else "by_group", lang)
    df = data.copy()
    if "rank" not in df.columns:
        df["rank"] = df.groupby("group", sort=False)["count"].rank(method="first", ascending=False)
    df = df[df["rank"] <= n]
    names = theme_names()
    groups = df["group"].drop_duplicates().tolist()
    groups.sort(key=lambda g: (list(names).index(g) if g in names else len(names),
                               rec_sort_key(str(g) + ":") if isinstance(g, str) else ((),)))
    k = len(groups)
    max_w = _max_width(width)
    ncols = ncols or (1 if k <= 1 else 2 if max_w <= COLUMN_WIDTH + 1e-9 or k <= 4 else 3)
    nrows = max(1, math.ceil(k / ncols))
    longest = int(df.groupby("group").size().max()) if k else n
    # English glosses may take two lines: their bars need the room
    per_row = (0.22 if lang == "zh" else 0.27) * min(n, longest) + 0.75
    if fig is None:
        fig = plt.figure(figsize=(min(3.1 * ncols + 0.2, max_w), min(per_row * nrows + 0.9, 24)),
                         layout="constrained")
    if not k:
        ax = fig.add_subplot()
        _empty(ax, title, lang)
        return fig
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, g in zip(axes.flat, groups):
        sub = df[df["group"] == g].sort_values(["rank", "term"])
        y = np.arange(len(sub))
        ax.barh(y, sub["count"], color=OKABE_ITO["blue"], height=0.7)
        terms = [wrap_label(t if lang == "zh" else _english(t), 16 if lang == "zh" else 26, 2) for t in sub["term"]]
        ax.set_yticks(y, terms, fontsize=7.5)
        ax.set_ylim(max(min(n, longest), len(sub)) - 0.5, -0.5)
        cmax = float(sub["count"].max())
        for yi, c in zip(y, sub["count"]):
            ax.text(c + 0.02 * cmax, yi, f"{int(c)}", va="center", ha="left", fontsize=7, color=INK)
        ax.set_xlim(0, cmax * 1.18)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True, nbins=4))
        ax.tick_params(axis="y", length=0)
        # the panel's title starts where its bars do: about half the panel's width is left for it
        ax.set_title(wrap_label(_group_label(g, lang), 24 if lang == "en" else 20, 2), fontsize=9)
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    for ax in axes[-1, :]:
        if ax.axison:
            ax.set_xlabel(_t("count", lang))
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.supxlabel(_t("terms_note", lang), x=0.01, ha="left", fontsize=6.5, color="#444444")
    set_alt_text(fig, f"{title}. " + _t("terms_note", lang))
    return fig


# --------------------------------------------------------------------------
# Source line and output
# --------------------------------------------------------------------------

_SOURCE_GID = "cop-analysis-source-line"


def _unit_source_name(key: str, lang: str) -> str:
    """A unit as the source line names it: its name (``bodies.unit_name``)
    and, where the body's symbols follow the resolution number, its
    document symbol (``A/RES/52/85``)."""
    from analysis.bodies import load_bodies, parse_key, unit_name

    name = unit_name(key, lang)
    try:
        body, kind, number = parse_key(key)
    except ValueError:
        return name
    template = load_bodies()[body].symbol
    if kind == "resolution" and "{number}" in template and "{session}" not in template:
        name += (f"（{template.format(number=number)}）" if lang == "zh" else f" ({template.format(number=number)})")
    return name


#: Units named one by one on a source line; past this the rest are counted.
SOURCE_MAX_UNITS = 6


def source_text(resolutions: Iterable[str], *, lang: str = "zh", version: str | None = None,
                date: _dt.date | str | None = None, note: str | None = None) -> str:
    """The small source line under a chart: the units covered, by name and
    symbol (``bodies.unit_name``), the lexicon (codebook) version without
    its file hash (``manifest.json`` keeps that), the date, and an optional
    note.

    >>> source_text(["11/2"], lang="en", version="2026.11.1+3fa2c0d1", date="2026-01-05")
    'Source: COP resolution 11/2; lexicon 2026.11.1; generated 2026-01-05'
    >>> source_text(["11/2", "GA.52/85"], version="1", date="2026-01-05")
    '资料来源：大会第52/85号决议（A/RES/52/85）、第11/2号决议；词典版本 1；生成日期 2026-01-05'
    """
    from analysis.bodies import time_key

    res = sorted({str(r) for r in resolutions if r is not None and str(r)}, key=time_key)
    version = lexicon_version() if version is None else version
    version = str(version).split("+", 1)[0]
    date = (date or _dt.date.today()).isoformat() if not isinstance(date, str) else date
    sep, lst = _t("sep", lang), _t("list_sep", lang)
    names = [_unit_source_name(r, lang) for r in res[:SOURCE_MAX_UNITS]]
    if len(res) > SOURCE_MAX_UNITS:
        more = len(res) - SOURCE_MAX_UNITS
        names.append(f"另 {more} 个单元" if lang == "zh" else f"and {more} more unit{'s' if more > 1 else ''}")
    parts = [lst.join(names)] if names else []
    parts += [_t("lexicon", lang, v=version), _t("generated", lang, d=date)]
    if note:
        parts.append(note)
    return _t("source", lang) + sep.join(parts)


def add_source_line(fig: Figure, text: str) -> Figure:
    """Put ``text`` in small grey type under the figure's bottom-left
    corner (replacing an earlier source line), wrapped to the figure's
    width so that it never widens a chart sized for a column. It sits just
    outside the axes area, so layout engines leave the chart alone and the
    tight bounding box used when saving takes it in. An English chart that
    shows a word without an English gloss (marked ``*``, see
    ``analysis.glossary``) gets the footnote saying so."""
    from analysis.glossary import UNGLOSSED_NOTE

    for old in [t for t in fig.texts if t.get_gid() == _SOURCE_GID]:
        old.remove()
    if _shows_unglossed(fig) and UNGLOSSED_NOTE not in text:
        text = f"{text}\n{UNGLOSSED_NOTE}"
    # 6.5 pt type: about 0.55 em per half-width column
    columns = max(40, int(fig.get_figwidth() * 72 / (6.5 * 0.55)) - 2)
    text = "\n".join(wrap_label(line, columns, 4) for line in text.split("\n"))
    with mpl.rc_context(STYLE_RC):
        setup_fonts()
        fig.text(0.005, -0.005, text, ha="left", va="top", fontsize=6.5, color="#666666", gid=_SOURCE_GID,
                 wrap=False)
    return fig


_MARKED = re.compile(r"[\u3400-\u9fff]\*")


def _figure_texts(fig: Figure) -> list[str]:
    """Every string the figure shows (titles, tick labels, legends, notes)."""
    out = []
    for artist in fig.findobj(mpl.text.Text):
        if artist.get_visible() and artist.get_text() and artist.get_gid() != _SOURCE_GID:
            out.append(artist.get_text())
    return out


def _shows_unglossed(fig: Figure) -> bool:
    return any(_MARKED.search(t) for t in _figure_texts(fig))


#: Font families written into SVG text: the bundled font, then the CJK fonts
#: readers commonly have, then the generic family, so that the text stays
#: text (searchable, editable) and still shows where the bundled font is absent.
SVG_FONT_FAMILY = ("'Droid Sans Fallback', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', "
                   "'Microsoft YaHei', 'SimHei', 'WenQuanYi Micro Hei', 'DejaVu Sans', sans-serif")


def figure_title(fig: Figure) -> str:
    """The chart's title as a reader sees it (the figure's suptitle, else the
    first axes title), on one line."""
    sup = getattr(fig, "_suptitle", None)
    texts = [sup.get_text()] if sup is not None and sup.get_text() else []
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            t = ax.get_title(loc)
            if t:
                texts.append(t)
    return " ".join(texts[0].split()) if texts else ""


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Attach the alternative text a chart function wrote for ``fig``
    (what the chart shows, in a sentence or two): ``save_figure`` writes it
    as the SVG ``<desc>`` and the PDF's subject."""
    fig._cop_alt_text = str(text)
    return fig


def alt_text(fig: Figure) -> str:
    """The figure's alternative text: the one set by its chart function, or
    one made from what it shows (title, axis labels, legend entries)."""
    own = getattr(fig, "_cop_alt_text", None)
    if own:
        return own
    parts = [figure_title(fig)]
    for ax in fig.axes:
        labels = [x for x in (ax.get_xlabel(), ax.get_ylabel()) if x]
        if labels:
            parts.append(" / ".join(" ".join(x.split()) for x in labels))
        legend = ax.get_legend()
        if legend is not None:
            parts.append(", ".join(" ".join(t.get_text().split()) for t in legend.get_texts()))
    return ". ".join(p for p in parts if p)


def _svg_with_text(path: Path, title: str, desc: str) -> None:
    """Give an SVG written with ``svg.fonttype = none`` the font list
    ``SVG_FONT_FAMILY`` and a ``<title>`` and ``<desc>`` (read by screen
    readers and shown as a tooltip), right after the root element."""
    from xml.sax.saxutils import escape

    svg = path.read_text(encoding="utf-8")
    # the style attributes are in double quotes: the families' single quotes stay as they are
    svg = re.sub(r"font-family:[^;\"]*", "font-family: " + SVG_FONT_FAMILY, svg)
    m = re.search(r"<svg\b[^>]*>", svg)
    if m:
        head = f"\n <title>{escape(title)}</title>\n <desc>{escape(desc)}</desc>"
        svg = svg[:m.end()] + head + svg[m.end():]
    path.write_text(svg, encoding="utf-8")


def _safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\-]+", "_", str(name), flags=re.UNICODE).strip("._")
    if not name:
        raise ValueError("figure name is empty")
    return name


def save_figure(fig: Figure, name: str, *, out_dir: str | Path = "data/processed/figures",
                source: str | None = None, formats: Iterable[str] = ("png", "svg", "pdf"),
                close: bool = False, alt: str | None = None) -> dict[str, Path]:
    """Write ``fig`` as ``<out_dir>/<name>.png`` (300 dpi), ``.svg`` (text
    as paths) and ``.pdf`` (TrueType fonts embedded, text extractable);
    return ``{format: path}``.

    SVG text is text (``svg.fonttype = "none"``: searchable, editable in
    a drawing program, read by screen readers), with the font list
    ``SVG_FONT_FAMILY`` and a ``<title>``/``<desc>`` from the chart's title
    and ``alt`` (by default ``alt_text(fig)``); the PDF carries the same as
    its title and subject.

    ``source`` adds (or replaces) the source line; a figure saved without
    one is logged as a warning. Outputs carry no creation date, so
    rerunning on the same data gives the same files. ``close`` releases
    the figure afterwards (batch runs); notebooks keep it to display.
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    setup_fonts()
    if source is not None:
        add_source_line(fig, source)
    elif not any(t.get_gid() == _SOURCE_GID for t in fig.texts):
        logger.warning("figure %s saved without a source line", name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = _safe_name(name)
    # Constrained layout settles after one draw; drawing once first gives the
    # three formats (and any later save of this figure) the same layout.
    fig.draw_without_rendering()
    # ... and one bounding box: with the layout held and the box given, each
    # format draws the figure once instead of three times (layout, box, ink).
    # The second draw is the one a "tight" save used to make first, so the
    # files come out as they did.
    title = figure_title(fig) or stem
    alt = alt_text(fig) if alt is None else alt
    engine = fig.get_layout_engine()
    if engine is not None:
        fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(_SAVE_PAD)
    if engine is not None:
        fig.set_layout_engine("none")
    try:
        written = _save_formats(fig, out, stem, formats, dict(bbox_inches=box, facecolor="white"), title, alt)
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    logger.info("figure %s: wrote %s", stem, ", ".join(str(p) for p in written.values()))
    if close:
        plt.close(fig)
    return written


def _save_formats(fig: Figure, out: Path, stem: str, formats: Iterable[str], common: dict, title: str,
                  alt: str) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "png":
            fig.savefig(path, format="png", dpi=300, metadata={"Software": None}, **common)
        elif fmt == "svg":
            with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
                fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None}, **common)
            _svg_with_text(path, title, alt)
        elif fmt == "pdf":
            with pdf_font_context(fig), mpl.rc_context({"pdf.fonttype": 42}):
                fig.savefig(path, format="pdf", metadata={"CreationDate": None, "Creator": None,
                                                          "Producer": None, "Title": title,
                                                          "Subject": alt}, **common)
        else:
            raise ValueError(f"unsupported figure format {fmt!r} (png, svg, pdf)")
        written[fmt] = path
    return written
