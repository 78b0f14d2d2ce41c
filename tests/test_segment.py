"""Segmenter: the seed's exact structure and the codebook's units on edge cases."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.read import InputError, read_document
from analysis.segment import recommendations, segment, structure_rules


@pytest.fixture(scope="module")
def seed(seed_path):
    return segment(read_document(seed_path))


def test_seed_header(seed):
    assert seed.resolution == "11/2"
    assert seed.title == "实施《联合国打击跨国组织犯罪公约》各项技术援助条款"
    assert seed.acting_body == "联合国打击跨国组织犯罪公约缔约方会议"


def test_seed_structure(seed):
    p = seed.paragraphs
    assert p.loc[p.kind == "preamble", "opening_verb"].tolist() == ["注意到", "回顾", "欢迎"]
    ops = p[p.kind == "operative"]
    assert ops["rec_id"].tolist() == ["11/2:body:1", "11/2:body:2"]
    assert ops["opening_verb"].tolist() == ["核可", "还核可"]
    recs = recommendations(p)
    annex1 = recs[recs.part == "I"]
    annex2 = recs[recs.part == "II"]
    assert annex1["label"].tolist() == list("abcdefghijklmno")
    assert annex2["label"].tolist() == list("abcdefghijk")
    assert annex1["section"].nunique() == 2 and annex2["section"].nunique() == 2
    assert annex1.set_index("label").loc["h", "section"] == "《联合国打击跨国有组织犯罪公约》在国内法理中的适用"
    assert annex2.set_index("label").loc["j", "section"].startswith("与联合国打击跨国有组织犯罪公约")
    assert p.loc[p.kind == "annex_title", "part"].tolist() == ["I", "II"]
    assert p.loc[p.kind == "intro", "part"].tolist() == ["I", "II"]
    assert len(recs) == 2 + 15 + 11


def test_inner_enumeration_stays_inside_its_item(seed):
    recs = recommendations(seed.paragraphs).set_index("rec_id")
    text = recs.loc["11/2:II:c", "text"]
    for inner in ("(a)确保", "(b)追查", "(c)保护", "(d)促进"):
        assert inner in text


def test_footnotes_attached_to_the_paragraphs_citing_them(seed):
    p = seed.paragraphs.set_index("para_id")
    feet = p[p.kind == "footnote"]
    assert feet["label"].tolist() == ["1", "2", "3", "4"]
    assert p.loc["11/2:body:p1", "footnotes"] == ["1"]
    assert p.loc["11/2:body:p3", "footnotes"] == ["2"]
    for pid in ("11/2:body:1", "11/2:body:2", "11/2:I:title", "11/2:I:intro1"):
        assert p.loc[pid, "footnotes"] == ["3"]
    assert p.loc["11/2:II:intro1", "footnotes"] == ["4"]
    assert "CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4" in p.loc["11/2:fn:3", "text"]
    assert "](#)" not in p.loc["11/2:fn:3", "text"]
    assert not any(ch in "".join(p["text"]) for ch in "¹²³⁴")


def test_offsets_trace_back_into_the_normalised_text(seed):
    for r in seed.paragraphs.itertuples():
        assert seed.text[r.char_start:r.char_end] == r.text


RES = "第 99/1 号决议\n\n打击贩运人口\n\n联合国打击跨国有组织犯罪公约缔约方会议，\n\n回顾其第 10/4 号决议，\n\n"


def _seg(write, body: str, name="r.txt"):
    return segment(read_document(write(name, RES + body)))


def test_chapeau_sub_items_inherit_the_chapeau(write):
    seg = _seg(write, "１．\u3000决定继续开展工作；\n\n"
                      "２． 请毒品和犯罪问题办公室：\n\n（ａ） 继续提供技术援助；\n\n（ｂ） 向缔约方会议报告。\n")
    recs = recommendations(seg.paragraphs)
    assert recs["rec_id"].tolist() == ["99/1:body:1", "99/1:body:2(a)", "99/1:body:2(b)"]
    sub = recs.set_index("rec_id").loc["99/1:body:2(b)"]
    assert sub.chapeau == "请毒品和犯罪问题办公室：" and sub.text == "向缔约方会议报告。"
    assert sub.opening_verb == "请"
    chapeau_row = seg.paragraphs.set_index("para_id").loc["99/1:body:2"]
    assert chapeau_row.is_chapeau and pd.isna(chapeau_row.rec_id)


def test_lone_annex_is_part_one_and_sections_are_kept(write):
    seg = _seg(write, "1. 核可下列建议。\n\n附件\n\n工作组的建议\n\n第一节\n\n(a) 各国应当考虑加强合作；\n\n"
                      "第二节\n\n(b) 鼓励会员国和其他捐助方提供预算外资源。\n")
    recs = recommendations(seg.paragraphs).set_index("rec_id")
    assert list(recs.index) == ["99/1:body:1", "99/1:I:a", "99/1:I:b"]
    assert recs.loc["99/1:I:b", "section"] == "第二节"
    assert recs.loc["99/1:I:a", "annex_title"] == "工作组的建议"


def test_skipped_letter_is_an_error_naming_the_line(write):
    with pytest.raises(InputError) as err:
        _seg(write, "附件\n\n(a) 各国应合作；\n\n(b) 各国应合作；\n\n(d) 各国应合作。\n", name="skip.txt")
    assert "skip.txt:15" in str(err.value) and "(c)" in str(err.value)


def test_skipped_paragraph_number_is_an_error(write):
    with pytest.raises(InputError, match="expected 2"):
        _seg(write, "1. 决定开展工作；\n\n3. 请秘书处报告。\n")


def test_no_resolution_number_is_refused(write):
    p = write("agenda.txt", "临时议程\n\n1. 会议开幕。\n\n2. 通过议程。\n")
    with pytest.raises(InputError, match="no resolution or decision number"):
        segment(read_document(p))


def test_a_number_followed_by_no_resolution_is_refused(write):
    p = write("report.txt", RES + "1. 决定。\n\n第 99/2 号决议\n\n另一项决议\n")
    with pytest.raises(InputError, match=r"99/2 at line 11 is followed by neither an acting body nor paragraphs"):
        segment(read_document(p))


def test_text_that_cannot_be_placed_is_reported(write):
    seg = _seg(write, "1. 决定开展工作；\n\n这句话不属于任何段落。\n")
    assert seg.unplaced["line"].tolist() == [11]
    assert "不属于" in seg.unplaced["text"].iloc[0]


def test_structure_rules_are_validated(tmp_path):
    bad = tmp_path / "structure.yaml"
    bad.write_text("preamble_verbs: [注意到, 注意到]\noperative_verbs: [请]\nverb_prefixes: [又]\n"
                   "acting_body_words: [会议]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="注意到"):
        structure_rules(bad)
