"""Coverage tables: complete grids, explicit unclassified rows, readable unit labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.tables import list_cell
from analysis.coverage import (
    actor_strength,
    none_label,
    strength_by_actor,
    theme_cooccurrence,
    theme_coverage,
    top_terms,
    unit_label,
)


def _recs() -> pd.DataFrame:
    rows = [
        # resolution, part, section, themes, primary, actor, family, score, text
        ("11/2", "body", None, ["REV"], "REV", "Body", "其他", None, "核可工作组的建议"),
        ("11/2", "I", "立法记录", ["LEG", "REV"], "LEG", "States", "应", 5, "各国应更新夏洛克上的立法记录"),
        ("11/2", "I", "立法记录", ["LEG"], "LEG", "UNODC", "不妨", 1, "毒品和犯罪问题办公室可制定传播计划，推广夏洛克"),
        ("11/2", "I", "国内法理", ["TA", "COOP"], "TA", "States", "应", 3, "各国应考虑加强执法合作和司法合作的能力"),
        ("11/2", "II", "战略", [], None, None, None, None, "在这方面交流经验"),
        ("11/2", "II", "战略", None, None, "States", "鼓励", 2, "鼓励各国交流经验"),
        ("9/1", "body", None, ["REV"], "REV", "Body", "其他", None, "决定设立审议机制"),
        ("9/1", "I", None, ["TA"], "TA", "Other", "鼓励", 4, "请捐助方提供技术援助"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["resolution", "part", "section", "themes", "primary_theme", "actor_group", "strength_family",
                 "strength_score", "text"],
    )
    df["strength_score"] = df["strength_score"].astype("Int64")
    df["seq"] = range(len(df))
    return df


def _tokens(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    # Stand-in tokeniser: the words the inline texts are made of.
    words = [*extra, "夏洛克", "立法记录", "更新", "传播计划", "制定", "推广", "执法合作", "司法合作", "能力", "交流", "经验",
             "技术援助", "审议机制", "建议", "工作组", "设立", "加强", "提供", "核可", "决定"]
    out, i = [], 0
    while i < len(text):
        for w in sorted(words, key=len, reverse=True):
            if text.startswith(w, i):
                out.append(w)
                i += len(w)
                break
        else:
            i += 1
    return out


# --- labels ----------------------------------------------------------------


@pytest.mark.parametrize(
    "part, zh, en",
    [("body", "11/2 正文", "11/2 body"), ("I", "11/2 附件一", "11/2 annex I"), ("II", "11/2 附件二", "11/2 annex II"),
     ("XII", "11/2 附件十二", "11/2 annex XII"), (None, "11/2", "11/2")],
)
def test_unit_labels_in_both_languages(part, zh, en):
    assert unit_label("11/2", part, "zh") == zh
    assert unit_label("11/2", part, "en") == en


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        none_label("fr")


def test_as_list_reads_every_storage():
    assert list_cell(np.array(["TA", "LEG"])) == ["TA", "LEG"]
    assert list_cell(float("nan")) == [] and list_cell(pd.NA) == []


# --- theme coverage ----------------------------------------------------------


def test_theme_coverage_by_resolution_is_a_complete_grid():
    recs = _recs()
    t = theme_coverage(recs, by="resolution")
    assert list(t.columns[:5]) == ["unit", "theme", "count", "share", "unit_order"]
    # Resolutions in number order: 9/1 before 11/2.
    assert t.drop_duplicates("unit").unit.tolist() == ["9/1", "11/2"]
    assert t.drop_duplicates("unit").unit_order.tolist() == [0, 1]
    themes = set(t.theme)
    assert themes == {"REV", "LEG", "TA", "COOP", "未分类"}
    assert len(t) == 2 * len(themes)  # every unit x every theme, zeros included
    res = t[t.unit == "11/2"].set_index("theme")
    assert res.loc["LEG", "count"] == 2 and res.loc["LEG", "share"] == pytest.approx(2 / 6)
    # Two rows without a theme ([] and None) are counted, not dropped.
    assert res.loc["未分类", "count"] == 2
    assert (t[t.unit == "9/1"].set_index("theme").loc["LEG", "count"]) == 0
    assert t.groupby("unit").n_recs.first().to_dict() == {"11/2": 6, "9/1": 2}


def test_theme_coverage_by_part_and_section_in_reading_order():
    recs = _recs()
    parts = theme_coverage(recs, by="part", lang="en")
    assert parts.drop_duplicates("unit").unit.tolist() == [
        "9/1 body", "9/1 annex I", "11/2 body", "11/2 annex I", "11/2 annex II"]
    assert "(none)" in set(parts.theme)
    sections = theme_coverage(recs, by="section")
    units = sections.drop_duplicates("unit").unit.tolist()
    assert units == ["9/1 正文", "9/1 附件一", "11/2 正文", "11/2 附件一 · 立法记录", "11/2 附件一 · 国内法理",
                     "11/2 附件二 · 战略"]
    assert sections.unit_order.is_monotonic_increasing
    # The counts add up to the recommendations (each theme of a row once).
    total = sum(max(1, len(list_cell(v))) for v in recs.themes)
    assert sections["count"].sum() == total == parts["count"].sum()


def test_theme_order_can_be_given():
    t = theme_coverage(_recs(), themes=["LEG", "TA", "COOP", "REV", "DATA"])
    assert t.drop_duplicates("theme").theme.tolist() == ["LEG", "TA", "COOP", "REV", "DATA", "未分类"]


def test_bad_by_is_refused():
    with pytest.raises(ValueError, match="by"):
        theme_coverage(_recs(), by="actor")
    with pytest.raises(ValueError, match="section"):
        theme_coverage(_recs().drop(columns="section"), by="section")


# --- actors and strength -----------------------------------------------------


def test_actor_strength_grid_keeps_unclassified_rows():
    a = actor_strength(_recs())
    assert list(a.columns) == ["actor_group", "strength_family", "count"]
    assert a["count"].sum() == len(_recs())
    assert a.drop_duplicates("actor_group").actor_group.tolist() == ["States", "UNODC", "Body", "Other", "未分类"]
    assert a.drop_duplicates("strength_family").strength_family.tolist() == ["应", "鼓励", "不妨", "其他", "未分类"]
    idx = a.set_index(["actor_group", "strength_family"])["count"]
    assert idx["States", "应"] == 2 and idx["未分类", "未分类"] == 1 and idx["Other", "应"] == 0


def test_strength_by_actor_keeps_missing_scores():
    s = strength_by_actor(_recs(), lang="en")
    assert list(s.columns) == ["actor_group", "strength_score", "count"]
    assert str(s.strength_score.dtype) == "Int64"
    assert s["count"].sum() == len(_recs())
    body = s[s.actor_group == "Body"]
    assert body.loc[body.strength_score.isna(), "count"].iloc[0] == 2
    states = s[s.actor_group == "States"].set_index("strength_score")["count"]
    assert states[5] == 1 and states[3] == 1 and states[2] == 1
    assert "(none)" in set(s.actor_group)


def test_unknown_actor_group_is_shown_not_dropped():
    recs = _recs()
    recs.loc[0, "actor_group"] = "Parliaments"
    a = actor_strength(recs)
    assert a.drop_duplicates("actor_group").actor_group.tolist()[-2:] == ["Parliaments", "未分类"]


# --- co-occurrence -------------------------------------------------------------


def test_theme_cooccurrence_is_square_and_symmetric():
    co = theme_cooccurrence(_recs())
    assert list(co.index) == list(co.columns)
    assert (co.values == co.values.T).all()
    assert co.loc["LEG", "REV"] == 1 and co.loc["TA", "COOP"] == 1
    assert co.loc["REV", "REV"] == 3 and co.loc["未分类", "未分类"] == 2
    assert co.loc["未分类", "LEG"] == 0


# --- top terms -------------------------------------------------------------------


def test_top_terms_per_primary_theme():
    t = top_terms(_recs(), by="primary_theme", n=2, tokens=_tokens, min_count=1)
    assert list(t.columns) == ["group", "term", "count", "rank"]
    leg = t[t.group == "LEG"]
    assert leg.term.tolist()[0] == "夏洛克" and leg["count"].tolist()[0] == 2
    assert leg["rank"].tolist() == [1, 2]
    assert "未分类" in set(t.group)
    assert t.groupby("group").size().max() <= 2


def test_top_terms_strip_stock_phrases():
    recs = _recs()
    recs["text"] = "毒品和犯罪问题办公室应" + recs["text"]
    stock = lambda s: _tokens(s, ("毒品和犯罪问题办公室",))  # noqa: E731
    with_strip = top_terms(recs, by="resolution", n=3, tokens=stock, min_count=1)
    assert "毒品和犯罪问题办公室" not in set(with_strip.term)
    without = top_terms(recs, by="resolution", n=3, tokens=stock, strip_stock=False, min_count=1)
    assert "毒品和犯罪问题办公室" in set(without.term)
    assert with_strip.drop_duplicates("group").group.tolist() == ["9/1", "11/2"]


def test_top_terms_by_themes_counts_each_theme():
    t = top_terms(_recs(), by="themes", n=20, tokens=_tokens, min_count=1)
    rev = t[t.group == "REV"]
    assert set(rev.term) >= {"立法记录", "审议机制"}  # from a LEG+REV and a REV row
    assert set(t[t.group == "LEG"].term) >= {"立法记录", "传播计划"}


def test_top_terms_leave_out_single_uses_and_generic_words():
    recs = pd.DataFrame({"primary_theme": ["TA", "TA", "TA", "LEG"],
                         "text": ["提供培训", "提供培训和工具", "提供手册", "提供夏洛克"]})
    words = lambda s: [w for w in ("提供", "培训", "工具", "手册", "夏洛克") if w in s]  # noqa: E731
    t = top_terms(recs, tokens=words)
    # 提供 is in every row but generic (glossary.yaml); 工具, 手册 are used once; LEG keeps nothing
    assert t[["group", "term", "count", "rank"]].values.tolist() == [["TA", "培训", 2, 1]]
    kept = top_terms(recs, tokens=words, min_count=1, drop_generic=False)
    assert kept[kept.group == "TA"].term.tolist() == ["提供", "培训", "工具", "手册"]


def test_functions_are_pure():
    recs = _recs()
    before = recs.copy(deep=True)
    theme_coverage(recs, by="section")
    actor_strength(recs)
    strength_by_actor(recs)
    theme_cooccurrence(recs)
    top_terms(recs, tokens=_tokens)
    pd.testing.assert_frame_equal(recs, before)


def test_with_the_real_tokeniser():
    t = top_terms(_recs(), by="resolution", n=5, min_count=1)
    assert set(t.group) == {"9/1", "11/2"}
    assert (t["count"] >= 1).all()
