"""Documents analysts actually collect: session reports, other bodies'
resolutions, web pages, PDFs with radical code points (issue: read the
documents analysts have). Every input text is written for testing
(tests/fixtures_reports.py and inline below)."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fixtures_build as fb
from analysis.inputs import InputError
from analysis.read import read_document
from analysis.segment import recommendations, segment
from fixtures_reports import (CCPCJ_RES, COSP_RES, ECOSOC_RES, GA_NEXT_LINE_TITLE, GA_RES, report_text,
                              report_units)
from rendering import pdf_like

# What a row says, whatever file it came from (offsets, lines and file differ).
CONTENT = ["para_id", "rec_id", "resolution", "unit_kind", "body", "resolution_title", "acting_body", "part",
           "label", "kind", "seq", "section", "annex_title", "opening_verb", "chapeau", "is_chapeau", "text",
           "footnotes"]


def rows(path, key=None):
    df = segment(read_document(path)).paragraphs
    if key is not None:
        df = df[df["resolution"] == key]
    return [tuple("" if v is None or v != v else str(v) for v in r) for r in df[CONTENT].itertuples(index=False)]


@pytest.fixture()
def separate(write):
    """Each unit of the report as a file of its own -> its rows."""
    return {key: rows(write(key.replace("/", "-") + ".txt", text)) for key, text in report_units().items()}


def _check_report(path, separate):
    seg = segment(read_document(path))
    assert [u.key for u in seg.units] == list(report_units())
    assert [u.kind for u in seg.units] == ["resolution", "resolution", "decision", "decision"]
    for key, expected in separate.items():
        assert rows(path, key) == expected, key
    report = seg.paragraphs[seg.paragraphs["kind"] == "report"]
    assert report["rec_id"].isna().all()
    return seg, report


def test_session_report_gives_each_unit_as_its_own_file_would(write, separate):
    seg, report = _check_report(write("report.txt", report_text()), separate)
    roles = dict(zip(report["text"], report["label"]))
    assert roles["一.缔约方会议第十一届会议通过的决议和决定"] == "heading"
    assert roles["B.决定"] == "heading" and roles["二.会议安排"] == "heading"
    assert roles["1.缔约方会议第十一届会议通过了下列决议："] == "intro"
    assert roles["二.会议安排........ 12"] == "contents"
    assert roles["联合国打击跨国有组织犯罪公约缔约方会议第十一届会议报告"] == "cover"
    # the narrative's numbered paragraphs, and a number cited at a line start, stay report text
    assert roles["第9/3号决议，该决议请秘书处报告其工作。"] == "narrative"
    assert roles["3.缔约方会议第十一届会议于2022年10月17日至21日在维也纳举行。"] == "narrative"
    assert seg.unplaced.empty and seg.is_report


def test_paginated_wrapped_report_gives_the_same_rows(write, separate):
    text = pdf_like(report_text(), width=34, seed=7, lines_per_page=22)
    assert re.search(r"^第\s*9/3\s*号决议", report_text(), re.M)
    _check_report(write("report_pdf_like.txt", text), separate)


def test_docx_and_pdf_renderings_of_a_report_give_the_same_rows(tmp_path, separate):
    text = report_text()
    fb.build_docx(text, tmp_path / "report.docx")
    fb.build_pdf(text, tmp_path / "report.pdf")
    for name in ("report.docx", "report.pdf"):
        seg, _ = _check_report(tmp_path / name, separate)
        assert seg.unplaced.empty, name


def test_decision_is_keyed_apart_from_the_resolution_with_its_number(write):
    text = report_units()["11/1"] + "\n第 11/1 号决定\n\n标题\n\n在第 9 次会议上，缔约方会议决定推迟审议。\n"
    seg = segment(read_document(write("both.txt", text)))
    assert [u.key for u in seg.units] == ["11/1", "dec.11/1"]
    recs = recommendations(seg.paragraphs)
    assert "dec.11/1:body:1" in set(recs["rec_id"]) and "11/1:body:1" in set(recs["rec_id"])
    assert set(recs.loc[recs["resolution"] == "dec.11/1", "unit_kind"]) == {"decision"}


def test_the_same_resolution_in_a_report_and_a_file_of_its_own_is_refused(tmp_path):
    from analysis.pipeline import read_corpus

    (tmp_path / "report.txt").write_text(report_text(), encoding="utf-8")
    (tmp_path / "res_11-3.txt").write_text(report_units()["11/3"], encoding="utf-8")
    with pytest.raises(InputError, match=r"11/3\) is also in"):
        read_corpus(tmp_path)


@pytest.mark.parametrize("text, key, body, acting, extra", [
    (GA_RES, "GA.52/85", "GA", "大会", {"session": "第五十二届会议", "meeting": "第70次全体会议", "date": "1997-12-12"}),
    (ECOSOC_RES, "ECOSOC.2002/13", "ECOSOC", "经济及社会理事会", {"meeting": "第37次全体会议"}),
    (CCPCJ_RES, "CCPCJ.26/3", "CCPCJ", "预防犯罪和刑事司法委员会", {}),
    (COSP_RES, "COSP.9/1", "COSP", "联合国反腐败公约缔约国会议", {}),
    (GA_NEXT_LINE_TITLE, "GA.45/123", "GA", "大会", {"title": "打击有组织犯罪的国际合作"}),
])
def test_other_bodies_headers_and_acting_bodies(write, text, key, body, acting, extra):
    seg = segment(read_document(write("res.txt", text)))
    (unit,) = seg.units
    assert (unit.key, unit.body, unit.acting_body) == (key, body, acting)
    for name, value in extra.items():
        assert getattr(unit, name) == value
    assert seg.unplaced.empty, seg.unplaced.to_dict("records")
    recs = recommendations(seg.paragraphs)
    assert len(recs) >= 2 and set(recs["body"]) == {body}
    assert all(r.startswith(key + ":body:") for r in recs["rec_id"])
    # the acting body on the same line as the first preamble paragraph (CCPCJ_RES) is still split off
    assert not recs["text"].str.contains("委员会，回顾").any()


def test_web_page_conventions(write, caplog):
    text = ("52/85.《关于有组织犯罪的宣言》通过日期联合国大会1997年12月12日通过原始文本查看\n"
            "大会, 回顾其决议1/, 关注有组织犯罪(2)的增加,\n"
            "期待各国合作,\n"
            "  期待加强协调,  1.注意到秘书长的报告;3/2.  赞赏地注意到会员国的努力; 3. 请秘书长报告。\n"
            "1/ 第 49/159 号决议。\n"
            "(2) 见 A/52/635。\n"
            "3/ 见 E/1997/30。\n")
    with caplog.at_level(logging.WARNING):
        seg = segment(read_document(write("web.txt", text)))
    (unit,) = seg.units
    assert unit.title == "《关于有组织犯罪的宣言》" and unit.date == "1997-12-12" and unit.acting_body == "大会"
    p = seg.paragraphs
    pre = p[p["kind"] == "preamble"]["text"].tolist()
    assert pre == ["回顾其决议，", "关注有组织犯罪的增加，", "期待各国合作，", "期待加强协调，"]
    ops = recommendations(p)
    assert ops["label"].tolist() == ["1", "2", "3"]
    assert ops["text"].tolist() == ["注意到秘书长的报告；", "赞赏地注意到会员国的努力；", "请秘书长报告。"]
    assert ops["footnotes"].tolist() == [["3"], [], []]
    notes = p[p["kind"] == "footnote"].set_index("label")["text"].to_dict()
    assert notes == {"1": "第49/159号决议。", "2": "见A/52/635。", "3": "见E/1997/30。"}
    assert seg.unplaced.empty
    unknown = [r.getMessage() for r in caplog.records if "not a known opening verb" in r.getMessage()]
    assert len(unknown) == 1 and "2 preamble paragraph(s) open with '期待'" in unknown[0]


def test_radical_code_points_in_a_pdf_text_layer_are_folded(tmp_path, seed_path, seed_text):
    font = fb.radical_font(tmp_path / "radicals.ttf")
    swaps = {"鼓": "⿎", "入": "⼊", "人": "⼈", "方": "⽅", "民": "⺠", "门": "⻔", "长": "⻓"}
    radical_text = seed_text.translate(str.maketrans(swaps))
    assert sum(radical_text.count(r) for r in swaps.values()) > 50
    fb.build_pdf(radical_text, tmp_path / "radicals.pdf", font_path=font)
    fb.build_pdf(seed_text, tmp_path / "plain.pdf")
    doc = read_document(tmp_path / "radicals.pdf")
    assert doc.n_folded > 50 and not re.search("[\u2e80-\u2fdf]", doc.text)
    got = recommendations(segment(doc).paragraphs)
    want = recommendations(segment(read_document(tmp_path / "plain.pdf")).paragraphs)
    assert got[["rec_id", "text", "footnotes"]].astype(str).equals(want[["rec_id", "text", "footnotes"]].astype(str))
    txt = recommendations(segment(read_document(seed_path)).paragraphs)
    assert got["text"].tolist() == txt["text"].tolist()


def test_letter_missing_after_an_inline_enumeration_is_an_error(write):
    text = ("第 99/5 号决议\n\n标题\n\n联合国打击跨国有组织犯罪公约缔约方会议，\n\n1. 核可下列建议：\n\n附件\n\n"
            "(a) 各国应合作；\n\n(b) 各国应交流信息；\n\n"
            "(c) 各国应考虑四项措施，即：(a)预防；(b)追查；(c)保护；以及(d)合作；\n\n"
            "(e) 各国应报告。\n")
    with pytest.raises(InputError, match=r"skip \(d\): \(e\) follows \(c\)") as err:
        segment(read_document(write("skip.txt", text)))
    assert "skip.txt:17" in str(err.value)


def test_two_operative_paragraphs_on_the_last_line_are_split(write):
    text = ("第 99/6 号决议\n\n标题\n\n联合国打击跨国有组织犯罪公约缔约方会议，\n\n"
            "1. 核可载于本决议附件一的建议；2. 还核可载于本决议附件二的建议。\n")
    recs = recommendations(segment(read_document(write("two.txt", text))).paragraphs)
    assert recs["label"].tolist() == ["1", "2"]
    assert recs["text"].tolist() == ["核可载于本决议附件一的建议；", "还核可载于本决议附件二的建议。"]
    assert recs["line_start"].tolist() == [7, 7]


def test_a_number_followed_by_no_resolution_is_refused_naming_the_file(write):
    with pytest.raises(InputError, match=r"nofile.txt:1: .*neither an acting body nor paragraphs"):
        segment(read_document(write("nofile.txt", "第 99/7 号决议\n\n这是一份说明。\n")))


# -- property: where the paragraph breaks are cannot change what is read ---------

_UNIT = report_units()["11/3"]
_BODY = _UNIT.split("\n\n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_joining_paragraphs_onto_one_line_changes_no_row(write, data):
    paras = [p for p in _BODY if p.strip()]
    header, rest = paras[:2], paras[2:]  # header and title; then the acting body, preamble, operative
    footnotes = [p for p in rest if p.startswith("²")]
    body = [p for p in rest if not p.startswith("²")]
    # join a run of neighbouring body paragraphs (or the whole body) onto one line, separated by spaces
    i = data.draw(st.integers(0, len(body) - 2))
    j = data.draw(st.integers(i + 2, len(body)))
    sep = data.draw(st.sampled_from([" ", "  "]))
    joined = body[:i] + [sep.join(body[i:j])] + body[j:]
    text = "\n\n".join(header + joined + footnotes) + "\n"
    want = [r[:-1] for r in rows(write("base.txt", _UNIT))]
    got = [r[:-1] for r in rows(write("joined.txt", text))]
    assert got == want


# -- shapes found in review (inputs written for testing) ---------------------------

def _one(write, text, name="r.txt"):
    return segment(read_document(write(name, text)))


HEAD = "第 99/8 号决议\n\n标题\n\n联合国打击跨国有组织犯罪公约缔约方会议，\n\n"


def test_a_comma_and_space_before_a_verb_inside_a_paragraph_does_not_split_it(write):
    seg = _one(write, HEAD + "1. 鼓励各国在打击贩运人口方面加强合作, 强调必须保护受害者的权利;\n\n"
               "2. 请秘书处在现有资源范围内, 注意收集各国的良好做法, 并向缔约方会议报告。\n")
    recs = recommendations(seg.paragraphs)
    assert recs["text"].tolist() == ["鼓励各国在打击贩运人口方面加强合作， 强调必须保护受害者的权利；".replace(" ", ""),
                                     "请秘书处在现有资源范围内，注意收集各国的良好做法，并向缔约方会议报告。"]
    assert seg.unplaced.empty


def test_counts_after_a_title_are_not_footnote_marks(write):
    seg = _one(write, HEAD + "1. 注意到已有《公约》，30多个国家批准了《议定书》，并请各国执行《公约》第18条(3)和(4)款。\n")
    (text,) = recommendations(seg.paragraphs)["text"]
    assert "30多个国家" in text and "第18条(3)和(4)款" in text


def test_wrapped_operative_sentence_keeps_its_verbs_and_bodies(write):
    # hard-wrapped like a PDF: a line may start with 考虑到 or with 缔约方会议， inside an operative sentence
    lines = ["第 99/9 号决议", "", "标题", "", "联合国打击跨国有组织犯罪公约缔约方会议，", "",
             "1. 请秘书处编写一份关于各国执行情况的报告，并将报告分发给各国和缔约方，",
             "考虑到各国的具体情况和需要，并向各国提供技术援助和咨询服务；",
             "2. 请秘书处将报告和各国提交的资料一并分发给各国，并将其成果提交给",
             "缔约方会议，供其审议和采取进一步行动，并向各国提供技术援助；"]
    recs = recommendations(_one(write, "\n".join(lines) + "\n").paragraphs)
    assert recs["text"].str.contains("考虑到各国的具体情况").tolist() == [True, False]
    assert recs["text"].str.contains("缔约方会议，供其审议").tolist() == [False, True]


def test_metadata_above_a_later_header_belongs_to_that_header(write):
    second = GA_RES.replace("52/85.", "52/86.").replace("议程项目 101", "议程项目 102")
    seg = _one(write, GA_RES + "\n" + second)
    assert [u.key for u in seg.units] == ["GA.52/85", "GA.52/86"]
    assert [u.session for u in seg.units] == ["第五十二届会议", "第五十二届会议"]
    assert seg.unplaced.empty, seg.unplaced.to_dict("records")


def test_a_contents_entry_naming_a_unit_is_not_its_header(write):
    seg = _one(write, "目录\n\n2002/13 采取行动促进有效预防犯罪 .......... 3\n\n" + ECOSOC_RES)
    assert [u.key for u in seg.units] == ["ECOSOC.2002/13"]


def test_a_decision_naming_another_body_as_addressee_is_the_files_body(write):
    dec = ("\n第 9/101 号决定\n\n标题\n\n在 2021 年 12 月 17 日第 8 次会议上，缔约国会议决定请秘书处将其报告"
           "转交大会第七十七届会议。\n")
    seg = _one(write, COSP_RES + dec)
    assert [(u.key, u.body) for u in seg.units] == [("COSP.9/1", "COSP"), ("COSP.dec.9/101", "COSP")]


def test_the_reports_next_chapter_in_its_contents_ends_the_last_unit(write):
    unit = ("第 11/4 号决议\n\n标题\n\n联合国打击跨国有组织犯罪公约缔约方会议，\n\n1. 核可附件所载建议。\n\n"
            "附件\n\n一. 秘书处的作用\n\n(a) 秘书处应协助各国；\n\n")
    text = ("目录\n\n一. 通过的决议 ........ 2\n\n二. 会议安排 ........ 9\n\n一. 通过的决议\n\n"
            "1. 缔约方会议通过了下列决议：\n\n" + unit + "二. 会议安排\n\n2. 会议在维也纳举行。\n")
    seg = _one(write, text)
    report = seg.paragraphs[seg.paragraphs["kind"] == "report"]
    assert "二.会议安排" in set(report["text"]) and "2.会议在维也纳举行。" in set(report["text"])
    assert seg.unplaced.empty


def test_a_one_sentence_decision_keeps_its_meeting_and_date(write):
    seg = _one(write, "第 52/420 号决定\n\n标题\n\n大会决定将这一项目列入第五十三届会议临时议程。\n\n"
                      "第 70 次全体会议\n\n1997 年 12 月 12 日\n")
    (unit,) = seg.units
    assert (unit.key, unit.meeting, unit.date) == ("GA.dec.52/420", "第70次全体会议", "1997-12-12")
    assert seg.unplaced.empty
