"""Tests of analysis.charts: every chart in Chinese and English, the figure
writer, and what the PDF/SVG files hold.

Inline tables in the shapes of the coverage, overlap and citation stages:

* ``seed_*``: modelled on the seed resolution 11/2 (body paragraphs 1–2,
  annex I items a–o, annex II items a–k, their sections), labels coded by
  hand from the codebook;
* ``multi_*``: a multi-resolution corpus WRITTEN FOR TESTING (resolutions
  99/1–99/4 do not exist; their labels are drawn from a fixed seed). It
  exercises the "across resolutions" charts and never appears in the
  default outputs or the report.

A missing glyph anywhere is an error here (``pytestmark``): matplotlib only
warns, and a warning is how tofu boxes get into a briefing.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from analysis import charts as C  # noqa: E402
from analysis.fonts import setup_fonts  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font:UserWarning")

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


FIXTURE_NOTE_ZH = "测试用虚构数据"
FIXTURE_NOTE_EN = "fixture written for testing"

_SEC_I_1 = "更新缔约国的立法记录，以筹备联合国打击跨国组织犯罪公约及其各项议定书实施情况审议机制"
_SEC_I_2 = "《联合国打击跨国有组织犯罪公约》在国内法理中的适用"
_SEC_II_1 = "预防和打击有组织犯罪的有效战略，包括将性别和人权纳入主流"
_SEC_II_2 = "与联合国打击跨国有组织犯罪公约及其各项议定书实施情况审议机制有关的事项"

# rec label, part, section, actor_group, strength_family, strength_score, themes (primary first)
_SEED = [
    ("1", "body", None, "Body", "其他", None, ["REV"]),
    ("2", "body", None, "Body", "其他", None, ["REV"]),
    ("a", "I", _SEC_I_1, "States", "应", 5, ["LEG", "REV"]),
    ("b", "I", _SEC_I_1, "UNODC", "不妨", 1, ["LEG"]),
    ("c", "I", _SEC_I_1, "States", "不妨", 1, ["TA", "LEG"]),
    ("d", "I", _SEC_I_1, "States", "不妨", 1, ["LEG"]),
    ("e", "I", _SEC_I_1, "UNODC", "应", 3, ["LEG", "COOP"]),
    ("f", "I", _SEC_I_1, "UNODC", "应", 5, ["DATA", "TA"]),
    ("g", "I", _SEC_I_1, "States", "不妨", 1, ["RES", "LEG"]),
    ("h", "I", _SEC_I_2, "States", "应", 5, ["COOP", "TA"]),
    ("i", "I", _SEC_I_2, "States", "应", 3, ["TA", "COOP"]),
    ("j", "I", _SEC_I_2, "States", "鼓励", 2, ["ML", "LEG"]),
    ("k", "I", _SEC_I_2, "States", "应", 3, ["COOP", "EVID", "ML", "TA"]),
    ("l", "I", _SEC_I_2, "States", "应", 3, ["RES", "PROS"]),
    ("m", "I", _SEC_I_2, "States", "应", 3, ["PROS", "EVID"]),
    ("n", "I", _SEC_I_2, "States", "应", 3, ["PROS", "VICT"]),
    ("o", "I", _SEC_I_2, "States", "应", 3, ["LEG"]),
    ("a", "II", _SEC_II_1, "States", "鼓励", 4, ["COOP", "LEG", "GHR", "TA"]),
    ("b", "II", _SEC_II_1, "States", "鼓励", 2, ["PREV"]),
    ("c", "II", _SEC_II_1, "States", "鼓励", 2, ["PREV"]),
    ("d", "II", _SEC_II_1, "States", "应", 3, ["VICT", "GHR"]),
    ("e", "II", _SEC_II_1, "States", "应", 3, ["GHR", "LEG"]),
    ("f", "II", _SEC_II_1, "States", "应", 3, ["GHR", "DATA"]),
    ("g", "II", _SEC_II_1, "States", "应", 5, ["GHR", "TA", "VICT"]),
    ("h", "II", _SEC_II_1, "States", "应", 3, ["DATA", "GHR"]),
    ("i", "II", _SEC_II_1, "UNODC", "应", 5, ["TA", "DATA", "RES"]),
    ("j", "II", _SEC_II_2, "States", "鼓励", 2, ["REV"]),
    ("k", "II", _SEC_II_2, "UNODC", "鼓励", 2, ["REV"]),
]

_PART_ZH = {"body": "正文", "I": "附件一", "II": "附件二", "III": "附件三"}


def _recs(rows, resolution):
    out = []
    for label, part, section, actor, family, score, themes in rows:
        out.append(dict(rec_id=f"{resolution}:{part}:{label}", resolution=resolution, part=part, section=section,
                        actor_group=actor, strength_family=family, strength_score=score, themes=themes,
                        primary_theme=themes[0] if themes else None))
    df = pd.DataFrame(out)
    df["strength_score"] = df["strength_score"].astype("Int64")
    return df


def seed_recs() -> pd.DataFrame:
    return _recs(_SEED, "11/2")


def multi_recs() -> pd.DataFrame:
    """Recommendations of four fictitious resolutions (written for testing)."""
    rng = np.random.default_rng(20240611)
    themes = ["LEG", "TA", "COOP", "ML", "EVID", "PROS", "VICT", "GHR", "PREV", "DATA", "REV", "RES"]
    families = [("应", 5), ("应", 3), ("鼓励", 4), ("鼓励", 2), ("不妨", 1), ("其他", None)]
    actors = ["States", "States", "States", "UNODC", "Body", "Other", None]
    frames = [seed_recs()]
    for res, parts in (("99/1", {"body": 6, "I": 9}), ("99/2", {"body": 10}),
                       ("99/3", {"body": 4, "I": 7, "II": 5}), ("99/4", {"body": 8})):
        rows = []
        for part, n in parts.items():
            for k in range(n):
                label = str(k + 1) if part == "body" else "abcdefghijklmnop"[k]
                fam, score = families[rng.integers(len(families))]
                picked = list(rng.choice(themes, size=rng.integers(1, 4), replace=False))
                rows.append((label, part, None, actors[rng.integers(len(actors))], fam, score, picked))
        frames.append(_recs(rows, res))
    return pd.concat(frames, ignore_index=True)


# ---- chart input tables (the shapes analysis.coverage produces) ----------


def coverage_table(recs: pd.DataFrame, by: str = "part") -> pd.DataFrame:
    """[unit, theme, count, share, unit_order] from recommendation rows."""
    recs = recs.copy()
    if by == "resolution":
        recs["unit"] = recs["resolution"]
    elif by == "part":
        recs["unit"] = recs["resolution"] + " " + recs["part"].map(_PART_ZH)
    else:
        recs["unit"] = recs["resolution"] + " " + recs["part"].map(_PART_ZH) + " · " + recs["section"].fillna("")
        recs = recs[recs["section"].notna()]
    order = {u: i for i, u in enumerate(recs["unit"].drop_duplicates())}
    size = recs.groupby("unit").size()
    long = recs.explode("themes").dropna(subset=["themes"])
    out = long.groupby(["unit", "themes"]).size().rename("count").reset_index().rename(columns={"themes": "theme"})
    out["share"] = out["count"] / out["unit"].map(size)
    out["unit_order"] = out["unit"].map(order)
    out["n_recs"] = out["unit"].map(size)
    return out.sort_values(["unit_order", "theme"]).reset_index(drop=True)


def actor_strength_table(recs: pd.DataFrame) -> pd.DataFrame:
    return (recs.groupby(["actor_group", "strength_family"], dropna=False).size()
            .rename("count").reset_index())


def strength_by_actor_table(recs: pd.DataFrame) -> pd.DataFrame:
    return (recs.groupby(["actor_group", "strength_score"], dropna=False).size()
            .rename("count").reset_index())


def overlap_tables(recs: pd.DataFrame, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs scored by shared themes (Jaccard) plus a little noise, and
    clusters = connected groups of pairs above 0.5."""
    rng = np.random.default_rng(seed)
    ids = recs["rec_id"].tolist()
    themes = dict(zip(recs["rec_id"], map(set, recs["themes"])))
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            jac = len(themes[a] & themes[b]) / len(themes[a] | themes[b])
            s = round(float(np.clip(0.7 * jac + rng.normal(0, 0.08), 0, 1)), 3)
            if s >= 0.25:
                rows.append(dict(rec_id_a=a, rec_id_b=b, similarity=s,
                                 same_resolution=a.split(":")[0] == b.split(":")[0],
                                 shared_terms=sorted(themes[a] & themes[b]), shared_spans=[], rank_a=0))
    overlap = pd.DataFrame(rows)
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from(overlap.loc[overlap["similarity"] >= 0.5, ["rec_id_a", "rec_id_b"]].itertuples(index=False))
    crow = []
    for cid, comp in enumerate(sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))):
        for r in sorted(comp):
            crow.append(dict(cluster_id=cid, rec_id=r, cluster_label=f"C{cid}", size=len(comp)))
    return overlap, pd.DataFrame(crow)


def seed_citations() -> pd.DataFrame:
    """Citations of 11/2 as the seed text has them."""
    doc = "CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4"
    treaty = "《联合国打击跨国有组织犯罪公约》"
    rows = [
        ("11/2:pre:2", None, "回顾", "resolution", "10/4", "缔约方会议"),
        ("11/2:pre:2", None, "回顾", "date", "2020年10月16日", None),
        ("11/2:pre:1", None, "注意到", "treaty", treaty, None),
        ("11/2:fn:3", None, "核可", "document", doc, None),
        ("11/2:fn:4", None, "核可", "document", doc, None),
        ("11/2:II:e", "11/2:II:e", "例如", "resolution", "26/3", "预防犯罪和刑事司法委员会"),
        ("11/2:II:j", "11/2:II:j", "鼓励", "resolution", "9/1", "缔约方会议"),
        ("11/2:II:j", "11/2:II:j", "鼓励", "resolution", "10/1", "缔约方会议"),
        ("11/2:I:j", "11/2:I:j", "鼓励", "article", "第6条", None),
    ]
    return _citations(rows, "11/2")


def _citations(rows, resolution):
    return pd.DataFrame([dict(para_id=p, rec_id=r, resolution=resolution, source_file="fixture.txt",
                              citation_type=t, cited_kind=k, cited=c, cited_body=b, span_start=0, span_end=len(c),
                              context=c) for p, r, t, k, c, b in rows])


def multi_citations() -> pd.DataFrame:
    """Seed citations plus fictitious 99/x resolutions citing each other (written for testing)."""
    treaty = "《联合国打击跨国有组织犯罪公约》"
    frames = [seed_citations()]
    frames.append(_citations([
        ("99/1:pre:1", None, "回顾", "resolution", "11/2", "缔约方会议"),
        ("99/1:pre:2", None, "回顾", "resolution", "10/4", None),
        ("99/1:body:2", None, "注意到", "document", "CTOC/COP/2099/3", None),
        ("99/1:body:3", None, "注意到", "treaty", treaty, None),
    ], "99/1"))
    frames.append(_citations([
        ("99/2:pre:1", None, "回顾", "resolution", "99/1", None),
        ("99/2:pre:1", None, "回顾", "resolution", "99/1", None),
        ("99/2:pre:3", None, "回顾", "resolution", "74/177", "大会"),
        ("99/2:body:1", None, "注意到", "document", "CTOC/COP/WG.3/2099/2", None),
        ("99/2:body:4", None, "注意到", "treaty", "《联合国反腐败公约》", None),
    ], "99/2"))
    frames.append(_citations([
        ("99/3:pre:1", None, "回顾", "resolution", "99/2", None),
        ("99/3:pre:1", None, "回顾", "resolution", "11/2", None),
        ("99/3:body:2", None, "注意到", "document", "CTOC/COP/WG.2/2099/4", None),
    ], "99/3"))
    return pd.concat(frames, ignore_index=True)


def top_terms_table(by: str = "primary_theme") -> pd.DataFrame:
    if by == "primary_theme":
        terms = {
            "LEG": ["夏洛克", "立法记录", "解释材料", "国内立法", "判例", "立法概要", "知识管理", "裁决", "公布", "门户网站"],
            "TA": ["技术援助", "能力建设", "培训", "执法", "刑事司法官员", "技术援助工具"],
            "COOP": ["执法合作", "司法协助", "引渡", "联合侦查", "信息交流"],
            "GHR": ["性别", "人权", "纳入主流", "妇女", "性别视角", "定性数据", "敏感"],
            "REV": ["审议机制", "国别审议", "核可", "工作组"],
            "PROS": ["起诉计划", "案件管理", "法院行政部门", "后勤事务"],
        }
    else:
        terms = {
            "11/2": ["技术援助", "夏洛克", "性别", "人权", "立法", "有组织犯罪集团", "审议机制", "培训", "战略", "资源"],
            "99/1": ["网络犯罪", "电子证据", "数据保全", "流量数据", "司法协助", "培训", "合作"],
            "99/2": ["贩运人口", "被害人", "保护", "援助", "证人", "安置", "赔偿", "性别"],
            "99/3": ["资产追回", "没收", "洗钱", "金融情报机构", "犯罪所得"],
        }
    rows = []
    for group, words in terms.items():
        for rank, w in enumerate(words, 1):
            rows.append(dict(group=group, term=w, count=int(3 + 2 * (len(words) - rank) + rank % 3), rank=rank))
    return pd.DataFrame(rows)


def with_citation_module_columns(cit: pd.DataFrame) -> pd.DataFrame:
    """The extra columns ``analysis.citations`` writes, so the table takes
    the ``citations.citation_graph`` path."""
    return cit.assign(normalised=cit["cited"], citing_body="缔约方会议", detail=None, body_inferred=False,
                      referenced_by=[[] for _ in range(len(cit))])


# ---- helpers ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def figure_of(obj) -> Figure:
    return obj if isinstance(obj, Figure) else obj.figure


def texts(fig: Figure) -> list[str]:
    """Every visible, non-empty text of a drawn figure."""
    fig.canvas.draw()  # lays out text: missing glyphs would warn (= fail) here
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def tick_labels(ax: Axes, axis: str) -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def unwrap(label: str, lang: str) -> str:
    return label.replace("\n", " " if lang == "en" else "")


def assert_no_overlap(labels: list[Text]) -> None:
    fig = labels[0].figure
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b) or a.intersection(a, b).width * a.intersection(a, b).height < 1.0, \
                f"labels overlap: {a} / {b}"


SEED, MULTI = "seed", "multi"


@functools.lru_cache(maxsize=None)
def corpus(name: str):
    recs = seed_recs() if name == SEED else multi_recs()
    overlap, clusters = overlap_tables(recs)
    cit = seed_citations() if name == SEED else multi_citations()
    terms = top_terms_table("primary_theme" if name == SEED else "resolution")
    return recs, overlap, clusters, cit, terms


def draw(chart: str, name: str, lang: str):
    recs, overlap, clusters, cit, terms = corpus(name)
    if chart == "coverage":
        return C.plot_theme_coverage(coverage_table(recs, "part"), lang=lang)
    if chart == "coverage_sections":
        return C.plot_theme_coverage(coverage_table(seed_recs(), "section"), lang=lang)
    if chart == "actor_strength":
        return C.plot_actor_strength(actor_strength_table(recs), lang=lang)
    if chart == "strength_by_actor":
        return C.plot_strength_by_actor(strength_by_actor_table(recs), lang=lang)
    if chart == "overlap_heatmap":
        return C.plot_overlap_heatmap(overlap, clusters, lang=lang)
    if chart == "overlap_network":
        return C.plot_overlap_network(overlap, clusters, lang=lang)
    if chart == "citation_graph":
        return C.plot_citation_graph(cit, lang=lang)
    if chart == "top_terms":
        return C.plot_top_terms(terms, lang=lang)
    raise AssertionError(chart)


CHARTS = ["coverage", "coverage_sections", "actor_strength", "strength_by_actor", "overlap_heatmap",
          "overlap_network", "citation_graph", "top_terms"]

#: Words of the codebook vocabulary that must not appear in an English chart.
ZH_VOCAB = ({zh for zh, _ in C.theme_names().values()} | {zh for zh, _ in C.ACTOR_GROUPS.values()}
            | {"应", "鼓励", "不妨", "无数据", "资料来源", "建议条数", "相似度", "本语料中的决议"})


# ---- every chart, both languages, both corpora -------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", [SEED, MULTI])
@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_draws_in_both_languages(chart, name, lang):
    obj = draw(chart, name, lang)
    assert isinstance(obj, Figure if chart == "top_terms" else Axes)
    fig = figure_of(obj)
    shown = texts(fig)
    title = (fig._suptitle.get_text() if chart == "top_terms" else obj.get_title(loc="left"))
    assert title
    if lang == "zh":
        assert CJK.search(title), title
    else:
        assert not CJK.search(title), title
        # Codebook names are translated; only data (terms, headings, symbols) stays Chinese.
        leaked = {t for t in shown for w in ZH_VOCAB if unwrap(t, "zh") == w}
        assert not leaked, leaked


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_theme_coverage_rows_are_the_codebook_themes_and_cells_the_counts(lang):
    table = coverage_table(seed_recs(), "part")
    ax = C.plot_theme_coverage(table, lang=lang)
    texts(ax.figure)
    names = C.theme_names()
    assert [unwrap(t, lang) for t in tick_labels(ax, "y")] == [n[0 if lang == "zh" else 1] for n in names.values()]
    expected_units = ["11/2 正文", "11/2 附件一", "11/2 附件二"] if lang == "zh" else \
        ["11/2 body", "11/2 annex I", "11/2 annex II"]
    # each column says how many recommendations it holds
    n = table.drop_duplicates("unit").set_index("unit")["n_recs"]
    assert tick_labels(ax, "x") == [f"{u}\nn = {k}" for u, k in zip(expected_units, n)]
    # colour and number agree: shaded by share, the cells print the share ...
    shown = sorted(t.get_text() for t in ax.texts if t.get_text().endswith("%"))
    assert shown == sorted(f"{v:.0%}" for v in table.loc[table["count"] > 0, "share"])
    assert_no_overlap(ax.get_yticklabels())
    assert_no_overlap(ax.get_xticklabels())
    # ... and shaded by count, the counts
    ax2 = C.plot_theme_coverage(table, lang=lang, value="count")
    cell_numbers = [int(t.get_text()) for t in ax2.texts if t.get_text().isdigit()]
    assert sum(cell_numbers) == table["count"].sum()


def test_theme_coverage_follows_unit_order_and_keeps_the_no_theme_row():
    table = pd.DataFrame({
        "unit": ["99/2", "99/1", "99/1", "99/2"],
        "theme": ["TA", "TA", "未分类", "(none)"],
        "count": [1, 2, 1, 1], "share": [0.5, 0.67, 0.33, 0.5], "unit_order": [1, 0, 0, 1],
    })
    ax = C.plot_theme_coverage(table, lang="en")
    assert [t.split("\n")[0] for t in tick_labels(ax, "x")] == ["99/1", "99/2"]
    assert tick_labels(ax, "y")[-1] == "No theme"
    assert len(tick_labels(ax, "y")) == len(C.theme_names()) + 1


def test_theme_coverage_section_labels_wrap_under_their_annex():
    ax = C.plot_theme_coverage(coverage_table(seed_recs(), "section"), lang="zh")
    labels = tick_labels(ax, "x")
    assert [label.split("\n")[:2] for label in labels] == [["11/2 附件一", "§1"], ["11/2 附件一", "§2"],
                                                           ["11/2 附件二", "§3"], ["11/2 附件二", "§4"]]
    # the headings are written out, uncut, under the chart
    key = ax.get_xlabel()
    for section in seed_recs()["section"].dropna().unique():
        assert section in key.replace("\n", "")
    assert "…" not in key
    texts(ax.figure)
    assert_no_overlap(ax.get_xticklabels())


def test_theme_coverage_draws_rules_between_resolutions():
    ax = C.plot_theme_coverage(coverage_table(multi_recs(), "part"), lang="zh")
    units = tick_labels(ax, "x")
    assert len(units) == 10 and all(label.get_rotation() == 90 for label in ax.get_xticklabels())
    rules = [line.get_xdata()[0] for line in ax.get_lines()]
    assert rules == [3, 5, 6, 9]  # 11/2 | 99/1 | 99/2 | 99/3 | 99/4


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_actor_strength_stacks_families_in_codebook_order(lang):
    table = actor_strength_table(multi_recs())
    ax = C.plot_actor_strength(table, lang=lang)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [C.STRENGTH_FAMILIES[f][0 if lang == "zh" else 1] for f in ("应", "鼓励", "不妨", "其他")]
    actors = tick_labels(ax, "y")
    assert actors[-1] == C.ACTOR_GROUPS[None][0 if lang == "zh" else 1]
    totals = table.assign(a=table["actor_group"].fillna("")).groupby("a", sort=False)["count"].sum()
    shown = {t.get_text() for t in ax.texts}
    assert {str(int(v)) for v in totals} <= shown
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(table["count"].sum())


def test_actor_strength_normalised_bars_are_shares():
    ax = C.plot_actor_strength(actor_strength_table(seed_recs()), lang="en", normalize=True)
    ends = {}
    for p in ax.patches:
        y = round(p.get_y(), 3)
        ends[y] = max(ends.get(y, 0), p.get_x() + p.get_width())
    assert all(v == pytest.approx(1.0) for v in ends.values())


def test_strength_by_actor_reads_coverage_none_labels_and_missing_scores():
    table = pd.DataFrame({"actor_group": ["States", "States", "未分类", "Body"],
                          "strength_score": pd.array([5, 3, 2, pd.NA], dtype="Int64"),
                          "count": [4, 2, 1, 2]})
    ax = C.plot_strength_by_actor(table, lang="en")
    assert tick_labels(ax, "y") == ["States", "Conference of the Parties", "Unclassified"]
    assert tick_labels(ax, "x")[0] == "no score\n(other)"
    means = [line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() == "D"]
    assert means[0] == pytest.approx((5 * 4 + 3 * 2) / 6)


@pytest.mark.parametrize("body, zh, en", [("COP", "缔约方会议", "Conference of the Parties"),
                                           ("GA", "大会", "General Assembly"),
                                           ("CCPCJ", "预防犯罪和刑事司法委员会",
                                            "Commission on Crime Prevention and Criminal Justice"),
                                           (None, "通过决议的机构", "Adopting body")])
def test_the_body_group_is_shown_under_the_acting_bodys_name(body, zh, en):
    table = actor_strength_table(seed_recs())
    for lang, name in (("zh", zh), ("en", en)):
        for ax in (C.plot_actor_strength(table, lang=lang, body=body),
                   C.plot_strength_by_actor(strength_by_actor_table(seed_recs()), lang=lang, body=body)):
            labels = tick_labels(ax, "y")
            assert name in labels and "Body" not in labels
            plt.close(ax.figure)


def test_overlap_heatmap_orders_by_cluster_and_keeps_top_n():
    recs = multi_recs()
    overlap, clusters = overlap_tables(recs)
    ax = C.plot_overlap_heatmap(overlap, clusters, lang="en", top_n=12)
    order = tick_labels(ax, "y")
    assert len(order) == 12 and tick_labels(ax, "x") == order
    assert "top 12 of" in ax.get_title(loc="left")
    member = dict(zip(clusters["rec_id"], clusters["cluster_id"]))
    seen, last = set(), None
    for rid in order:  # members of a cluster are contiguous
        cid = member.get(rid, ("single", rid))
        assert cid == last or cid not in seen, f"cluster {cid} split in {order}"
        seen.add(cid)
        last = cid
    matrix = ax.collections[0].get_array().reshape(12, 12)
    assert np.allclose(matrix.filled(0), matrix.filled(0).T)
    texts(ax.figure)
    assert_no_overlap(ax.get_yticklabels())


def test_overlap_network_labels_nodes_by_name_and_dashes_cross_resolution_pairs():
    overlap, clusters = overlap_tables(multi_recs())
    ax = C.plot_overlap_network(overlap, clusters, lang="en", top_n=15)
    strongest = overlap.sort_values("similarity", ascending=False).head(15)
    nodes = set(strongest["rec_id_a"]) | set(strongest["rec_id_b"])
    # nodes read as units and parts, not as rec_id codes
    assert {t.get_text() for t in ax.texts} == {C.rec_label(r, "en") for r in nodes}
    assert not any(":" in t.get_text() for t in ax.texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "across resolutions" in legend and "COP resolution 99/1" in legend
    # the line width is the similarity: two swatches, the thinnest and the thickest line drawn
    scale = [h for h in ax.get_legend().legend_handles if h.get_label().startswith("Similarity")]
    assert len(scale) == 2 and scale[0].get_linewidth() < scale[1].get_linewidth()
    assert "strongest 15 of" in ax.get_title(loc="left")


def test_citation_graph_from_a_minimal_table():
    cit = seed_citations()
    graph = C.citation_digraph(cit)
    assert graph.edges["11/2", "document:CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4"]["count"] == 2
    assert "CCPCJ.26/3" in graph and "26/3" not in graph  # another body's 26/3 is its own node, by its unit key
    assert not any(d["kind"] in ("date", "article") for _, d in graph.nodes(data=True))
    ax = C.plot_citation_graph(cit, lang="en")
    boxes = {t.get_text() for t in ax.texts}
    # English boxes: the treaty by its English name (glossary.yaml), never in Chinese
    assert {"11/2", "10/4", "26/3\n(CCPCJ)", "United Nations Convention against Transnational Organized Crime",
            "2"} <= boxes
    assert not any(CJK.search(b) for b in boxes)
    assert "第6条" not in boxes and "2020年10月16日" not in boxes


def test_citation_graph_uses_the_citations_module_when_the_table_comes_from_it():
    from analysis import citations

    cit = with_citation_module_columns(multi_citations())
    graph = citations.citation_graph(cit)
    ax = C.plot_citation_graph(cit, lang="zh")
    boxes = {t.get_text().split("\n")[0] for t in ax.texts if not t.get_text().isdigit()}
    assert {str(d.get("label")) for _, d in graph.nodes(data=True)} <= boxes
    # The same picture from the graph itself.
    ax2 = C.plot_citation_graph(graph, lang="zh")
    assert sorted(t.get_text() for t in ax2.texts) == sorted(t.get_text() for t in ax.texts)


def test_citation_graph_corpus_resolutions_cite_each_other_on_the_left():
    ax = C.plot_citation_graph(multi_citations(), lang="en")
    boxes = {t.get_text(): t for t in ax.texts}
    left = {r: boxes[r].get_position()[0] for r in ("11/2", "99/1", "99/2", "99/3")}
    assert len(set(left.values())) == 1
    assert boxes["10/4"].get_position()[0] > left["11/2"]
    arcs = [a for a in ax.texts if isinstance(a, matplotlib.text.Annotation)
            and a.arrow_patch.get_connectionstyle().rad != 0]
    assert len(arcs) == 4  # 99/1→11/2, 99/2→99/1, 99/3→99/2, 99/3→11/2


def test_citation_graph_of_several_bodies_draws_each_resolution_once():
    """A GA resolution citing ECOSOC 1996/27 (in the corpus) and a COP decision (written for testing)."""
    cit = pd.concat([
        _citations([("GA.53/111:pre:1", None, "回顾", "resolution", "1996/27", "经济及社会理事会"),
                    ("GA.53/111:pre:2", None, "回顾", "resolution", "10/1", "缔约方会议")], "GA.53/111")
        .assign(cited_unit_kind=["resolution", "decision"]),
        _citations([("ECOSOC.1996/27:pre:1", None, "回顾", "resolution", "1995/9", None)], "ECOSOC.1996/27"),
    ], ignore_index=True)
    ax = C.plot_citation_graph(cit, lang="en")
    boxes = [t.get_text() for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    # The ECOSOC resolution is one box, in the corpus column, not a cited copy of itself.
    assert [b for b in boxes if b.startswith("1996/27")] == ["1996/27\n(ECOSOC)"]
    assert "dec. 10/1\n(COP)" in boxes and "1995/9\n(ECOSOC)" in boxes


def test_citation_graph_accepts_a_bare_digraph():
    g = nx.DiGraph()
    g.add_edge("12/1", "11/2", weight=3)
    g.add_edge("12/1", "CTOC/COP/2024/1")
    ax = C.plot_citation_graph(g, lang="en")
    labels = {t.get_text() for t in ax.texts}
    assert {"12/1", "11/2", "CTOC/COP/2024/1", "3"} <= labels


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_top_terms_one_panel_per_group_in_rank_order(lang):
    terms = top_terms_table("primary_theme")
    fig = C.plot_top_terms(terms, lang=lang)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == terms["group"].nunique()
    first = panels[0]
    assert unwrap(first.get_title(loc="left"), lang) == C.theme_names()["LEG"][0 if lang == "zh" else 1]
    expected = terms[terms["group"] == "LEG"].sort_values("rank")["term"].tolist()
    if lang == "en":  # terms under their English gloss (glossary.yaml), or marked * where there is none
        from analysis.glossary import english

        expected = [english(t) for t in expected]
        assert not any(CJK.search(t) and not t.endswith("*") for t in tick_labels(first, "y"))
    assert [unwrap(t, lang) for t in tick_labels(first, "y")] == expected
    assert fig._suptitle.get_text() == ("高频词（按主题）" if lang == "zh" else "Top terms by theme")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("crowded", [False, True])
def test_top_terms_fit_an_a4_column_at_readable_type(lang, crowded, tmp_path):
    """At most 16 cm wide and 20 cm tall once saved with its source line,
    no type under 7 pt; a table of many full groups shows fewer terms per
    panel, and the title says how many."""
    pymupdf = pytest.importorskip("pymupdf")
    terms = top_terms_table("primary_theme")
    if crowded:  # every theme with ten terms
        terms = pd.DataFrame([(g, f"词{g}{i}", 20 - i, i + 1) for g in list(C.theme_names()) for i in range(10)],
                             columns=["group", "term", "count", "rank"])
    fig = C.plot_top_terms(terms, lang=lang)
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    paths = C.save_figure(fig, "terms", out_dir=tmp_path, source="Source: test", formats=("pdf",))
    assert min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()) >= 7
    plt.close(fig)
    with pymupdf.open(paths["pdf"]) as doc:
        width, height = doc[0].rect.width / 72 * 2.54, doc[0].rect.height / 72 * 2.54
    assert width <= 16.0 and height <= 20.0, (round(width, 1), round(height, 1))
    panels = [ax for ax in fig.axes if ax.axison]
    shown = max(len(ax.get_yticks()) for ax in panels)
    title = fig._suptitle.get_text()
    if crowded:
        assert C.TERMS_MIN <= shown < 10 and str(shown) in title
    else:
        assert shown == 10 and "前" not in title and "top" not in title  # LEG has ten: all shown
    assert texts


@pytest.mark.parametrize("chart", ["coverage", "actor_strength", "strength_by_actor", "overlap_heatmap",
                                   "overlap_network", "citation_graph", "top_terms"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_tables_give_an_empty_chart(chart, lang):
    empty = {
        "coverage": lambda: C.plot_theme_coverage(pd.DataFrame(columns=["unit", "theme", "count", "share"]),
                                                  lang=lang),
        "actor_strength": lambda: C.plot_actor_strength(
            pd.DataFrame(columns=["actor_group", "strength_family", "count"]), lang=lang),
        "strength_by_actor": lambda: C.plot_strength_by_actor(
            pd.DataFrame(columns=["actor_group", "strength_score", "count"]), lang=lang),
        "overlap_heatmap": lambda: C.plot_overlap_heatmap(
            pd.DataFrame(columns=["rec_id_a", "rec_id_b", "similarity"]), None, lang=lang),
        "overlap_network": lambda: C.plot_overlap_network(
            pd.DataFrame(columns=["rec_id_a", "rec_id_b", "similarity"]), None, lang=lang),
        "citation_graph": lambda: C.plot_citation_graph(
            pd.DataFrame(columns=["resolution", "cited_kind", "cited"]), lang=lang),
        "top_terms": lambda: C.plot_top_terms(pd.DataFrame(columns=["group", "term", "count", "rank"]), lang=lang),
    }[chart]()
    assert ("无数据" if lang == "zh" else "No data") in texts(figure_of(empty))


def test_bad_input_is_refused_with_the_missing_column_named():
    with pytest.raises(ValueError, match="strength_family"):
        C.plot_actor_strength(pd.DataFrame({"actor_group": ["States"], "count": [1]}))
    with pytest.raises(ValueError, match="lang"):
        C.plot_actor_strength(actor_strength_table(seed_recs()), lang="fr")


def test_draws_into_a_given_axes_without_resizing_it():
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    assert C.plot_actor_strength(actor_strength_table(seed_recs()), ax=a, lang="en") is a
    assert C.plot_theme_coverage(coverage_table(seed_recs()), ax=b, lang="en") is b
    assert tuple(fig.get_size_inches()) == (10, 4)


def test_tables_from_the_coverage_stage_draw_as_they_are():
    """The real producer of the inputs: analysis.coverage, in both languages
    (its explicit no-category labels included)."""
    from analysis import coverage

    recs = multi_recs()
    for lang in ("zh", "en"):
        for by in ("resolution", "part"):
            ax = C.plot_theme_coverage(coverage.theme_coverage(recs, by=by, lang=lang), lang=lang)
            texts(ax.figure)
        ax = C.plot_actor_strength(coverage.actor_strength(recs, lang=lang), lang=lang)
        assert C.ACTOR_GROUPS[None][0 if lang == "zh" else 1] in tick_labels(ax, "y")
        C.plot_strength_by_actor(coverage.strength_by_actor(recs, lang=lang), lang=lang)
    assert set(coverage.NONE_LABELS.values()) <= C.NONE_VALUES


def test_a_missing_glyph_is_an_error_here():
    """The guard itself: a Thai term has no glyph in DejaVu Sans nor in the CJK fonts."""
    terms = pd.DataFrame({"group": ["TA"], "term": ["\u0e01\u0e02"], "count": [3], "rank": [1]})
    with pytest.raises(UserWarning, match="missing from font"):
        figure_of(C.plot_top_terms(terms, lang="en")).canvas.draw()


# ---- names and labels ----------------------------------------------------------


def test_theme_names_are_the_lexicon_s():
    """The charts keep no copy of the codebook's themes: names and their
    order are those of themes.yaml, read by analysis.lexicon (which
    test_lexicon ties to the codebook)."""
    from analysis.lexicon import load_lexicon

    lex = load_lexicon()
    assert list(C.theme_names()) == list(lex.theme_codes)
    assert C.theme_names() == {code: (t.zh, t.en) for code, t in lex.themes.items()}
    assert C.theme_names()["LEG"] == ("立法、判例与知识管理", "Legislation, case law and knowledge management")


def test_theme_file_errors_name_the_file_and_entry(tmp_path):
    """A theme without both names is refused by the loader the charts read
    through, naming the file and the entry."""
    import yaml

    from analysis.lexicon import FILES, LEXICON_DIR, load_lexicon
    from analysis.rules import RuleError

    for name in FILES:
        shutil.copy(LEXICON_DIR / name, tmp_path / name)
    data = yaml.safe_load((tmp_path / "themes.yaml").read_text(encoding="utf-8"))
    next(t for t in data["themes"] if t["code"] == "TA").pop("en")
    (tmp_path / "themes.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(RuleError, match=r"themes\.yaml: theme 'TA': needs non-empty 'zh' and 'en'"):
        load_lexicon(tmp_path)


@pytest.mark.parametrize("unit, lang, expected", [
    ("11/2 附件一", "en", "11/2 annex I"),
    ("11/2 附件十二 · 预防", "en", "11/2 annex XII · 预防"),
    ("99/1 正文", "en", "99/1 body"),
    ("11/2 annex IV", "zh", "11/2 附件四"),
    ("11/2 body", "zh", "11/2 正文"),
    ("11/2", "en", "11/2"),
])
def test_unit_labels_translate_annex_and_body(unit, lang, expected):
    assert C.unit_label(unit, lang) == expected


@pytest.mark.parametrize("text, width, lines", [
    ("实施《联合国打击跨国有组织犯罪公约》各项技术援助条款", 12,
     ["实施《联合国", "打击跨国有组", "织犯罪公约》", "各项技术援助", "条款"]),
    ("审议机制，包括国别审议", 10, ["审议机制，", "包括国别审", "议"]),
    # 》 would open line 3: it takes 公约 down with it.
    ("联合国打击跨国有组织犯罪公约》各项", 12, ["联合国打击跨", "国有组织犯罪", "公约》各项"]),
    # 《 would close line 1: it moves down.
    ("关于落实《公约》的建议", 10, ["关于落实", "《公约》的", "建议"]),
])
def test_wrap_label_keeps_chinese_punctuation_with_its_word(text, width, lines):
    wrapped = C.wrap_label(text, width, max_lines=10).split("\n")
    assert "".join(wrapped) == text
    assert all(C.text_width(x) <= width for x in wrapped)
    assert not any(x[0] in "，。、；：）》" for x in wrapped[1:])
    assert not any(x[-1] in "《（" for x in wrapped)
    assert wrapped == lines


def test_rec_ids_sort_in_reading_order():
    ids = ["99/1:body:4(b)", "99/1:body:10", "99/1:body:4(a)", "99/1:body:4", "99/1:II:a", "99/1:I:c", "9/9:I:a"]
    assert sorted(ids, key=C.rec_sort_key) == [
        "9/9:I:a", "99/1:body:4", "99/1:body:4(a)", "99/1:body:4(b)", "99/1:body:10", "99/1:I:c", "99/1:II:a"]


def test_source_line_names_resolutions_version_and_date():
    zh = C.source_text(["11/2", "99/1", "11/2"], version="2026.11.1+0a1b2c3d", date="2026-11-28",
                       note=FIXTURE_NOTE_ZH)
    # units by name, the lexicon by its version (the file hash is the manifest's)
    assert zh == "资料来源：第11/2号决议、第99/1号决议；词典版本 2026.11.1；生成日期 2026-11-28；测试用虚构数据"
    en = C.source_text(["GA.52/85", "dec.11/101", "11/2"], lang="en", date="2026-11-28")
    assert en.startswith("Source: GA resolution 52/85 (A/RES/52/85), COP resolution 11/2, "
                         "COP decision 11/101; lexicon ")
    assert "+" not in en
    many = C.source_text([f"{i}/1" for i in range(1, 10)], lang="en", version="1", date="2026-11-28")
    assert many.count("COP resolution") == C.SOURCE_MAX_UNITS and "and 3 more units" in many
    assert C.lexicon_version() != ""


# ---- files -----------------------------------------------------------------------------


def _ink(gray: np.ndarray) -> float:
    """Share of dark pixels (text, lines) in a greyscale image."""
    return float((gray < 128).mean())


def _gray(path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("L"), dtype=np.uint8)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The multi-resolution coverage chart in Chinese, written once in all formats."""
    setup_fonts()
    out = tmp_path_factory.mktemp("figures")
    ax = C.plot_theme_coverage(coverage_table(multi_recs(), "part"), lang="zh", title="主题覆盖测试图")
    source = C.source_text(["11/2", "99/1"], date="2026-11-28", note=FIXTURE_NOTE_ZH)
    paths = C.save_figure(ax.figure, "主题覆盖 test/1", out_dir=out, source=source)
    plt.close(ax.figure)
    return paths


def test_save_figure_writes_png_svg_pdf(saved):
    from PIL import Image

    assert set(saved) == {"png", "svg", "pdf"}
    assert all(p.exists() and p.stat().st_size > 1000 for p in saved.values())
    assert saved["png"].name == "主题覆盖_test_1.png"
    dpi = Image.open(saved["png"]).info["dpi"]
    assert dpi == pytest.approx((300, 300), abs=0.5)


def test_svg_text_is_text_with_a_fallback_font_list_and_title_and_desc(saved):
    root = ET.parse(saved["svg"]).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    # searchable, editable text: the title, the theme names and the source line are there as written
    assert "主题覆盖测试图" in texts
    assert any("立法、判例与知识管理" in t for t in texts)
    assert any(t.startswith("资料来源：") for t in texts)
    styles = [t.get("style", "") for t in root.iter(f"{ns}text")]
    families = {re.search(r"font-family: ([^;]*)", st).group(1) for st in styles}
    assert families == {C.SVG_FONT_FAMILY}
    chain = [f.strip(" '") for f in C.SVG_FONT_FAMILY.split(",")]
    assert chain[0] == "Droid Sans Fallback" and chain[-1] == "sans-serif"
    assert {"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC"} <= set(chain)
    # <title> and <desc> are the root's first children
    first = list(root)[:2]
    assert [e.tag for e in first] == [f"{ns}title", f"{ns}desc"]
    assert first[0].text == "主题覆盖测试图"
    assert first[1].text.startswith("主题覆盖测试图") and len(first[1].text) > len(first[0].text)


def test_alt_text_set_by_the_chart_is_the_svg_desc_and_pdf_subject(tmp_path):
    pymupdf = pytest.importorskip("pymupdf")
    ax = C.plot_actor_strength(actor_strength_table(seed_recs()), lang="en")
    C.set_alt_text(ax.figure, "Bars of recommendations per actor & strength <test>")
    paths = C.save_figure(ax.figure, "alt", out_dir=tmp_path, source="Source: test", formats=("svg", "pdf"))
    plt.close(ax.figure)
    root = ET.parse(paths["svg"]).getroot()
    assert root.find("{http://www.w3.org/2000/svg}desc").text == "Bars of recommendations per actor & strength <test>"
    with pymupdf.open(paths["pdf"]) as doc:
        assert doc.metadata["subject"] == "Bars of recommendations per actor & strength <test>"
        assert doc.metadata["title"] == root.find("{http://www.w3.org/2000/svg}title").text


def test_pdf_embeds_truetype_fonts_and_keeps_text_extractable(saved):
    pymupdf = pytest.importorskip("pymupdf")
    choice = setup_fonts()
    with pymupdf.open(saved["pdf"]) as doc:
        page = doc[0]
        fonts = page.get_fonts(full=True)
        assert fonts
        for xref, ext, ftype, basefont, *_ in fonts:
            assert ftype != "Type3", f"{basefont} is Type 3"
            assert ext == "ttf", f"{basefont} is not an embedded TrueType font ({ext})"
            name, ext2, _, content = doc.extract_font(xref)
            assert content, f"{basefont} is not embedded"
        cjk = choice.pdf_cjk_family.replace(" ", "")
        assert any(cjk in f[3] for f in fonts), [f[3] for f in fonts]
        text = page.get_text()
        assert "主题覆盖测试图" in text
        assert "资料来源：第11/2号决议、第99/1号决议" in text
        assert "立法、判例与知识管理" in text


def _title_rect(saved):
    import pymupdf

    with pymupdf.open(saved["pdf"]) as doc:
        page = doc[0]
        rects = page.search_for("主题覆盖测试图")
        assert rects, "title not found in the PDF text layer"
        return rects[0], page.rect


def test_pdf_renders_chinese_in_mupdf(saved):
    pymupdf = pytest.importorskip("pymupdf")
    rect, page_rect = _title_rect(saved)
    png = _gray(saved["png"])
    with pymupdf.open(saved["pdf"]) as doc:
        pix = doc[0].get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
        mu = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
    # Same page as the PNG: same size (±1 px of rounding) and nearly the same pixels.
    assert abs(mu.shape[0] - png.shape[0]) <= 2 and abs(mu.shape[1] - png.shape[1]) <= 2
    h, w = min(mu.shape[0], png.shape[0]), min(mu.shape[1], png.shape[1])
    assert np.abs(mu[:h, :w].astype(int) - png[:h, :w].astype(int)).mean() < 8
    # The Chinese title has ink in MuPDF's rendering, as much as in the PNG.
    s = 300 / 72
    box = tuple(int(v * s) for v in (rect.y0, rect.y1, rect.x0, rect.x1))
    title_mu, title_png = mu[box[0]:box[1], box[2]:box[3]], png[box[0]:box[1], box[2]:box[3]]
    assert _ink(title_png) > 0.05
    assert _ink(title_mu) == pytest.approx(_ink(title_png), rel=0.35)


def test_pdf_renders_chinese_in_poppler(saved, tmp_path):
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: apt-get install poppler-utils")
    pytest.importorskip("pymupdf")
    rect, _ = _title_rect(saved)
    subprocess.run([exe, "-r", "300", "-gray", "-png", "-singlefile", str(saved["pdf"]), str(tmp_path / "p")],
                   check=True, capture_output=True, timeout=120)
    pop, png = _gray(tmp_path / "p.png"), _gray(saved["png"])
    h, w = min(pop.shape[0], png.shape[0]), min(pop.shape[1], png.shape[1])
    assert np.abs(pop[:h, :w].astype(int) - png[:h, :w].astype(int)).mean() < 8
    s = 300 / 72
    y0, y1, x0, x1 = (int(v * s) for v in (rect.y0, rect.y1, rect.x0, rect.x1))
    assert _ink(pop[y0:y1, x0:x1]) == pytest.approx(_ink(png[y0:y1, x0:x1]), rel=0.35)


def test_pdf_renders_chinese_in_mutool(saved, tmp_path):
    exe = shutil.which("mutool")
    if exe is None:
        pytest.skip("mutool (mupdf-tools) is not installed: apt-get install mupdf-tools")
    pytest.importorskip("pymupdf")
    rect, _ = _title_rect(saved)
    out = tmp_path / "m.png"
    subprocess.run([exe, "draw", "-q", "-r", "300", "-c", "gray", "-o", str(out), str(saved["pdf"]), "1"],
                   check=True, capture_output=True, timeout=120)
    mu, png = _gray(out), _gray(saved["png"])
    s = 300 / 72
    y0, y1, x0, x1 = (int(v * s) for v in (rect.y0, rect.y1, rect.x0, rect.x1))
    assert _ink(mu[y0:y1, x0:x1]) == pytest.approx(_ink(png[y0:y1, x0:x1]), rel=0.35)


def test_outputs_are_reproducible(tmp_path):
    digests = []
    for run in ("a", "b"):
        ax = C.plot_actor_strength(actor_strength_table(seed_recs()), lang="zh")
        paths = C.save_figure(ax.figure, "actors", out_dir=tmp_path / run,
                              source=C.source_text(["11/2"], version="1", date="2026-11-28"))
        digests.append({k: p.read_bytes() for k, p in paths.items()})
        plt.close(ax.figure)
    assert digests[0] == digests[1]


def test_source_line_is_replaced_not_stacked(tmp_path, caplog):
    ax = C.plot_actor_strength(actor_strength_table(seed_recs()), lang="en")
    C.add_source_line(ax.figure, "Source: first")
    C.save_figure(ax.figure, "a", out_dir=tmp_path, source="Source: second", formats=("svg",))
    assert [t.get_text() for t in ax.figure.texts if t.get_gid() == C.SOURCE_GID] == ["Source: second"]
    fig2 = C.plot_actor_strength(actor_strength_table(seed_recs()), lang="en").figure
    with caplog.at_level("WARNING", logger="analysis.charts"):
        C.save_figure(fig2, "b", out_dir=tmp_path, formats=("png",))
    assert "without a source line" in caplog.text
    with pytest.raises(ValueError, match="format"):
        C.save_figure(fig2, "c", out_dir=tmp_path, source="s", formats=("gif",))
