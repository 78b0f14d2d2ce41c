"""Citations: resolutions (with their body), document symbols, dates, treaties, articles; the graph."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
import yaml

from analysis import bodies as registry
from analysis.citations import (
    CITATION_COLUMNS,
    citation_graph,
    citation_network,
    extract_citations,
    fold_width,
    graphml_text,
    load_bodies,
    resolution_node,
    write_graphml,
)
from analysis.rules import RuleError

COP = "联合国打击跨国有组织犯罪公约缔约方会议"
GA, ECOSOC = "大会", "经济及社会理事会"


def paras(*texts, kind="preamble", verb="回顾", resolution="12/1", **extra) -> pd.DataFrame:
    n = len(texts)
    df = pd.DataFrame(
        {
            "para_id": [f"{resolution}:body:p{i + 1}" for i in range(n)],
            "rec_id": [None] * n,
            "resolution": [resolution] * n,
            "acting_body": [COP] * n,
            "part": ["body"] * n,
            "label": [""] * n,
            "kind": [kind] * n,
            "seq": list(range(n)),
            "opening_verb": [verb] * n,
            "text": list(texts),
            "footnotes": [[] for _ in range(n)],
            "source_file": ["r12_1.txt"] * n,
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def one(text, **kw) -> pd.DataFrame:
    return extract_citations(paras(text, **kw))


def cited(df: pd.DataFrame, kind: str) -> list[str]:
    return df.loc[df.cited_kind == kind, "cited"].tolist()


# --- resolutions -----------------------------------------------------------


def test_resolution_of_the_body_itself():
    c = one("回顾其2020年10月16日题为“庆祝《联合国打击跨国组织犯罪公约》通过二十周年”的第10/4号决议，")
    r = c[c.cited_kind == "resolution"].iloc[0]
    assert r.cited == "10/4" and r.cited_body == "缔约方会议" and r.body_inferred
    assert r.citation_type == "回顾"
    text = "回顾其2020年10月16日题为“庆祝《联合国打击跨国组织犯罪公约》通过二十周年”的第10/4号决议，"
    assert text[r.span_start : r.span_end] == "第10/4号决议"


@pytest.mark.parametrize(
    "text, number, body",
    [
        ("例如预防犯罪和刑事司法委员会第26/3号决议，", "26/3", "预防犯罪和刑事司法委员会"),
        ("回顾大会第70/1号决议，", "70/1", "大会"),
        ("又回顾联合国大会第 55/25 号决议", "55/25", "大会"),
        ("经济及社会理事会第2005/20号决议", "2005/20", "经济及社会理事会"),
        ("与缔约方会议第9/1号决议附件所载时间表", "9/1", "缔约方会议"),
        ("联合国打击跨国有组织犯罪公约缔约方会议第 5/1 号决议", "5/1", "缔约方会议"),
    ],
)
def test_resolution_keeps_the_body_that_adopted_it(text, number, body):
    c = one(text)
    r = c[c.cited_kind == "resolution"].iloc[0]
    assert (r.cited, r.cited_body, r.body_inferred) == (number, body, False)
    assert text[r.span_start : r.span_end].replace(" ", "").endswith("决议") or "附件" in r.detail


def test_annex_and_paragraph_are_kept_as_detail():
    c = one("缔约方会议第9/1号决议附件《审议机制运作程序和规则》以及第10/4号决议第5段")
    assert cited(c, "resolution") == ["9/1", "10/4"]
    assert c.loc[c.cited == "9/1", "detail"].iloc[0] == "附件"
    assert c.loc[c.cited == "10/4", "detail"].iloc[0] == "第5段"


@pytest.mark.parametrize(
    "text, numbers",
    [
        ("回顾第5/5号和第6/1号决议", ["5/5", "6/1"]),
        ("回顾第5/5和6/1号决议", ["5/5", "6/1"]),
        ("回顾第 3/1 号、第 4/2 号及第 7/1 号决议", ["3/1", "4/2", "7/1"]),
        ("回顾第１０／４号决议", ["10/4"]),  # full-width digits and slash
        ("回顾第 10 / 4 号决议", ["10/4"]),
    ],
)
def test_lists_and_widths_of_resolution_numbers(text, numbers):
    c = one(text)
    assert cited(c, "resolution") == numbers
    # Every item of a list points at the whole expression.
    assert c.span_start.nunique() == 1


def test_an_unknown_body_is_read_by_its_suffix():
    c = one("注意到国际麻醉品管制委员会第3/2号决议")
    assert c.loc[c.cited_kind == "resolution", "cited_body"].iloc[0] == "国际麻醉品管制委员会"


def test_a_decision_is_marked():
    c = one("回顾第4/1号决定")
    assert cited(c, "resolution") == ["4/1"] and c.detail.iloc[0] == "决定"


def resolutions(df: pd.DataFrame) -> list[tuple]:
    """(cited, cited_body, cited_key, body_source, body_inferred) of each resolution row."""
    r = df[df.cited_kind == "resolution"]
    text = lambda v: v if isinstance(v, str) else None  # noqa: E731
    return [(n, text(b), text(k), s, i) for n, b, k, s, i in
            zip(r.cited, r.cited_body, r.cited_key, r.body_source, r.body_inferred)]


# --- which body a number belongs to -----------------------------------------
# The paragraphs below are written for testing, in the drafting of UN
# resolutions (dates, titles and numbers chosen for the rule each tests).


@pytest.mark.parametrize(
    "text, number, body, key",
    [
        ("回顾经济及社会理事会1996年7月24日第1996/27号决议，", "1996/27", ECOSOC, "ECOSOC.1996/27"),
        ("又回顾大会2000年11月15日第55/25号决议，", "55/25", GA, "GA.55/25"),
        ("回顾大会2000年11月15日的第55/25号决议，", "55/25", GA, "GA.55/25"),
        ("回顾大会题为“联合国打击跨国有组织犯罪公约”的第55/25号决议，", "55/25", GA, "GA.55/25"),
        ("回顾大会关于《联合国打击跨国有组织犯罪公约》的第55/25号决议，", "55/25", GA, "GA.55/25"),
        ("注意到经济及社会理事会在其2004年7月21日第2004/19号决议中", "2004/19", ECOSOC, "ECOSOC.2004/19"),
        ("缔约方会议在其第五届会议上通过的第5/1号决议", "5/1", "缔约方会议", "5/1"),
        ("预防犯罪和刑事司法委员会2017年5月26日题为“将性别观点纳入主流”的第26/3号决议", "26/3",
         "预防犯罪和刑事司法委员会", "CCPCJ.26/3"),
    ],
)
def test_a_date_title_or_subject_between_body_and_number_keeps_the_body(text, number, body, key):
    c = one(text)
    assert resolutions(c) == [(number, body, key, "named", False)]
    r = c[c.cited_kind == "resolution"].iloc[0]
    written = text[r.span_start : r.span_end]
    assert written.startswith(body) and written.endswith("号决议")


def test_a_resolution_listed_after_another_shares_the_named_body():
    c = one("回顾大会2000年11月15日第55/25号决议和2001年5月31日第55/255号决议，")
    assert [r[:3] for r in resolutions(c)] == [("55/25", GA, "GA.55/25"), ("55/255", GA, "GA.55/255")]
    c = one("回顾大会2000年11月15日第55/25号和2001年5月31日第55/255号决议，")
    assert [r[2] for r in resolutions(c)] == ["GA.55/25", "GA.55/255"]
    assert c[c.cited_kind == "resolution"].span_start.nunique() == 1  # one expression


@pytest.mark.parametrize(
    "text",
    [
        "回顾大会第55/25号决议及其第10/4号决议，",  # 及其: and its own
        "注意到大会第70/1号决议，并回顾第10/4号决议，",  # another clause
    ],
)
def test_its_own_resolution_after_another_body(text):
    assert resolutions(one(text))[-1] == ("10/4", "缔约方会议", "10/4", "own", True)


def test_its_resolution_is_the_acting_body_s_own():
    df = paras("回顾其1994年12月23日第49/159号决议，", resolution="GA.50/1", acting_body=GA)
    c = extract_citations(df)
    assert resolutions(c) == [("49/159", GA, "GA.49/159", "own", True)]
    assert (c.citing_body == GA).all()
    # Without an acting body line the unit key says whose the resolution is.
    c = extract_citations(df.drop(columns="acting_body"))
    assert resolutions(c) == [("49/159", GA, "GA.49/159", "own", True)]


def test_a_year_first_number_is_ecosoc_s_unless_another_body_is_named():
    c = one("回顾第1996/27号和第10/4号决议，以及大会第1996/27号决议，")
    assert resolutions(c) == [
        ("1996/27", ECOSOC, "ECOSOC.1996/27", "year_number", True),
        ("10/4", "缔约方会议", "10/4", "own", True),
        ("1996/27", GA, "GA.1996/27", "named", False),
    ]
    # In an ECOSOC resolution its own number is its own.
    c = extract_citations(paras("回顾其第2002/13号决议，", resolution="ECOSOC.2004/1", acting_body=ECOSOC))
    assert resolutions(c) == [("2002/13", ECOSOC, "ECOSOC.2002/13", "own", True)]


def test_the_council_refers_back_to_the_council_just_named():
    text = "回顾经济及社会理事会1996年7月24日第1996/27号决议，并铭记理事会1997年7月21日第1997/22号决议，"
    c = one(text)
    assert resolutions(c) == [
        ("1996/27", ECOSOC, "ECOSOC.1996/27", "named", False),
        ("1997/22", ECOSOC, "ECOSOC.1997/22", "back_reference", True),
    ]
    r = c[c.cited_kind == "resolution"].iloc[1]
    assert text[r.span_start : r.span_end] == "理事会1997年7月21日第1997/22号决议"


def test_a_back_reference_reaches_the_preceding_paragraphs_of_the_unit_only():
    first = paras("注意到人权理事会第7/1号决议，", "又回顾理事会第8/2号决议，", "回顾该委员会第3/1号决议，")
    other = paras("回顾理事会第8/2号决议，", resolution="12/2", seq=[3])  # the next resolution of the file
    c = extract_citations(pd.concat([first, other], ignore_index=True))
    assert resolutions(c) == [
        ("7/1", "人权理事会", None, "named", False),
        ("8/2", "人权理事会", None, "back_reference", True),
        # No commission was named: the head is kept as written, nothing inferred.
        ("3/1", "委员会", None, "unresolved", False),
        # Another resolution: the Human Rights Council was not named there.
        ("8/2", "理事会", None, "unresolved", False),
    ]


def test_in_an_ecosoc_resolution_the_council_is_ecosoc():
    df = paras(
        "注意到人权理事会第7/1号决议，",
        "回顾理事会第5/1号决议，",  # the bare head: the acting body itself
        "注意到人权理事会的工作，",
        "又回顾该理事会第6/2号决议，",  # "the said Council": the one named last
        "注意到人权理事会第8/1号决议和理事会第8/2号决议，",  # named in the same paragraph
        resolution="ECOSOC.2005/1",
        acting_body=ECOSOC,
    )
    assert [r[1:4] for r in resolutions(extract_citations(df))] == [
        ("人权理事会", None, "named"),
        (ECOSOC, "ECOSOC.5/1", "back_reference"),
        ("人权理事会", None, "back_reference"),
        ("人权理事会", None, "named"),
        ("人权理事会", None, "back_reference"),
    ]


def test_the_said_commission_and_a_year_number_after_another_council():
    c = one("注意到预防犯罪和刑事司法委员会的工作，回顾该委员会第27/1号决议，")
    assert resolutions(c)[-1] == ("27/1", "预防犯罪和刑事司法委员会", "CCPCJ.27/1", "back_reference", True)
    # 1997/22 is ECOSOC's numbering: 理事会 before it is the Council, not the
    # Human Rights Council named earlier.
    c = one("回顾人权理事会第7/1号决议，并铭记理事会第1997/22号决议，")
    assert resolutions(c)[-1] == ("1997/22", ECOSOC, "ECOSOC.1997/22", "year_number", True)


def test_an_unlisted_body_is_read_after_the_opening_verb():
    c = one("并铭记国际麻醉品管制委员会第3/2号决议，", verb="铭记")
    assert resolutions(c) == [("3/2", "国际麻醉品管制委员会", None, "unlisted", False)]


def test_decisions_are_resolutions_of_the_decision_kind():
    c = one("回顾第10/1号决定和缔约方会议第10/4号决议，注意到大会第55/488号决定，")
    r = c[c.cited_kind == "resolution"]
    assert r.cited_unit_kind.tolist() == ["decision", "resolution", "decision"]
    assert r.cited_key.tolist() == ["dec.10/1", "10/4", "GA.dec.55/488"]
    assert r.detail.tolist()[0] == "决定"
    # Only resolution rows say what kind of unit they cite.
    assert c.loc[c.cited_kind != "resolution", ["cited_unit_kind", "cited_key", "body_source"]].isna().all().all()


# --- documents -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, symbols",
    [
        ("见CTOC/COP/WG.2/2022/4。", ["CTOC/COP/WG.2/2022/4"]),
        ("大会A/RES/55/25号文件", ["A/RES/55/25"]),
        ("E/CN.15/2022/L.3/Rev.1和A/75/123", ["E/CN.15/2022/L.3/Rev.1", "A/75/123"]),
        ("ＣＴＯＣ／ＣＯＰ／２０２０／１０", ["CTOC/COP/2020/10"]),
        ("A/RES/S-26/2", ["A/RES/S-26/2"]),
    ],
)
def test_document_symbols(text, symbols):
    assert cited(one(text), "document") == symbols


def test_a_combined_symbol_is_two_documents():
    text = "CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4，第8段。"
    c = one(text, kind="footnote", verb=None)
    docs = c[c.cited_kind == "document"]
    assert docs.cited.tolist() == ["CTOC/COP/WG.2/2022/4", "CTOC/COP/WG.3/2022/4"]
    assert (docs.detail == "第8段").all()
    assert (docs.citation_type == "footnote").all()
    assert text[docs.span_start.iloc[0] : docs.span_end.iloc[0]] == text.rstrip("。")


def test_an_unreduced_markdown_link_still_gives_the_symbols():
    c = one("[CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4](#)，第 8 和第 10 段。", kind="footnote", verb=None)
    assert cited(c, "document") == ["CTOC/COP/WG.2/2022/4", "CTOC/COP/WG.3/2022/4"]
    assert c.detail.iloc[0] == "第8和第10段"


def test_resolution_numbers_and_abbreviations_are_not_symbols():
    c = one("第10/4号决议、UNODC、CTOC/COP")
    assert cited(c, "document") == []


# --- dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, written, iso",
    [
        ("2020年10月16日", "2020年10月16日", "2020-10-16"),
        ("2020 年 10 月 16 日", "2020年10月16日", "2020-10-16"),
        ("２０２０年１０月１６日", "2020年10月16日", "2020-10-16"),
        ("2022年5月23日至27日", "2022年5月23日至27日", "2022-05-23/2022-05-27"),
        ("2022 年 5 月 23 日至 27 日", "2022年5月23日至27日", "2022-05-23/2022-05-27"),
        ("2020年7月9日和10日", "2020年7月9日和10日", "2020-07-09,2020-07-10"),
        ("2021年12月30日至2022年1月2日", "2021年12月30日至2022年1月2日", "2021-12-30/2022-01-02"),
        ("2019年5月30日至6月3日", "2019年5月30日至6月3日", "2019-05-30/2019-06-03"),
    ],
)
def test_dates_and_date_ranges(text, written, iso):
    c = one(f"在{text}举行的会议上")
    dates = c[c.cited_kind == "date"]
    assert dates.cited.tolist() == [written] and dates.normalised.tolist() == [iso]


def test_impossible_dates_are_not_dates():
    assert cited(one("2020年13月40日"), "date") == []


# --- treaties and articles -------------------------------------------------


def test_treaty_series_volumes_and_ibid():
    df = paras("联合国，《条约汇编》，第 2225、2237、2241 和 2326 卷，第 39574 号。", "同上，第 2225 卷，第 39574 号。",
               kind="footnote", verb=None)
    c = extract_citations(df)
    t = c[c.cited_kind == "treaty"]
    assert t.cited.tolist() == [
        "《条约汇编》第2225卷",
        "《条约汇编》第2237卷",
        "《条约汇编》第2241卷",
        "《条约汇编》第2326卷",
        "《条约汇编》第2225卷",
    ]
    assert (t.detail == "第39574号").all()
    assert t.para_id.tolist()[-1].endswith("p2")  # 同上 resolved to the previous series


def test_ibid_without_a_previous_series_is_not_a_treaty():
    assert cited(one("同上，第 2225 卷"), "treaty") == []


@pytest.mark.parametrize(
    "text, articles, instrument",
    [
        ("实施《打击有组织犯罪公约》第6条的规定", ["第6条"], "打击有组织犯罪公约"),
        ("《公约》第 29 和 30 条", ["第29条", "第30条"], "公约"),
        ("第29条和第30条", ["第29条", "第30条"], None),
        ("第24至26条", ["第24条", "第25条", "第26条"], None),
        ("第十八条", ["第18条"], None),
        ("第 ６ 条", ["第6条"], None),
    ],
)
def test_convention_articles(text, articles, instrument):
    c = one(text)
    a = c[c.cited_kind == "article"]
    assert a.cited.tolist() == articles
    assert a.cited_body.map(lambda v: v if isinstance(v, str) else None).tolist() == [instrument] * len(articles)


def test_article_paragraph_is_detail_and_sessions_are_not_articles():
    c = one("第18条第9款；第十三次会议；第8段；第39574号")
    assert cited(c, "article") == ["第18条"]
    assert c.loc[c.cited_kind == "article", "detail"].iloc[0] == "第9款"


# --- the table -------------------------------------------------------------


def test_table_columns_types_and_paragraph_link():
    df = paras("回顾第10/4号决议，", "各国应当执行第5/5号决议", kind="operative", verb=None)
    df.loc[1, "rec_id"] = "12/1:body:1"
    df.loc[1, "opening_verb"] = "核可"
    c = extract_citations(df)
    assert list(c.columns) == CITATION_COLUMNS
    assert c.rec_id.tolist()[1] == "12/1:body:1"
    # No verb: the paragraph's kind is the type.
    assert c.citation_type.tolist() == ["operative", "核可"]
    assert c.span_start.dtype == "int64" and c.body_inferred.dtype == bool
    assert (c.source_file == "r12_1.txt").all() and (c.resolution == "12/1").all()
    assert (c.citing_body == "缔约方会议").all()


def test_nothing_to_cite():
    c = extract_citations(paras("欢迎技术援助问题政府专家工作组所开展的工作，"))
    assert c.empty and list(c.columns) == CITATION_COLUMNS


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="text"):
        extract_citations(pd.DataFrame({"para_id": ["x"]}))


def test_fold_width_keeps_offsets():
    s = "第１０／４号决议，ＣＴＯＣ"
    assert len(fold_width(s)) == len(s) and fold_width(s) == "第10/4号决议，CTOC"


def test_bodies_lexicon_is_validated(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(yaml.safe_dump({"bodies": {"甲委员会": ["乙会"], "丙会议": ["乙会"]}}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_bodies(p)
    assert str(p.resolve()) in str(err.value) and "乙会" in str(err.value)
    assert err.value.path == p.resolve() and err.value.entry == "bodies.甲委员会"  # the second to list 乙会
    p.write_text("bodies: []", encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_bodies(p)
    assert err.value.entry == "bodies"
    p.write_text("bodies:\n  大会: [\n", encoding="utf-8")  # not YAML: the line is named, as for every rule file
    with pytest.raises(RuleError, match="is not valid YAML") as err:
        load_bodies(p)
    assert err.value.entry == "file" and err.value.line == 3


def _lexicon(tmp_path, bodies, **more):
    p = tmp_path / "citation_bodies.yaml"
    p.write_text(yaml.safe_dump({"bodies": bodies, **more}, allow_unicode=True), encoding="utf-8")
    return p


def test_the_citable_bodies_agree_with_bodies_yaml():
    lex = load_bodies()
    for code, body in registry.load_bodies().items():
        # Every spelling bodies.yaml knows is read as the same body here.
        assert {lex.code(lex.canonical(s)) for s in body.spellings} == {code}, code
    assert lex.name_of("ECOSOC") == ECOSOC and lex.name_of("COP") == "缔约方会议"
    assert lex.code("安全理事会") is None


def test_bodies_yaml_fills_in_what_the_citation_lexicon_leaves_out(tmp_path):
    lex = load_bodies(_lexicon(tmp_path, {"安全理事会": ["安理会"], "大会": []}))
    assert lex.code("大会") == "GA" and lex.canonical("联合国大会") == "大会"  # its spelling from bodies.yaml
    assert lex.canonical("经社理事会") == ECOSOC and lex.code(ECOSOC) == "ECOSOC"  # an entry of its own


@pytest.mark.parametrize(
    "entries, more, entry, named",
    [
        ({"大会": ["经社理事会"]}, {}, "bodies.大会", ["GA", "ECOSOC"]),  # one entry, two bodies
        ({"大会": [], "联合国大会": []}, {}, "bodies.联合国大会", ["bodies.大会", "GA"]),  # one body, two entries
        ({"大会": []}, {"generic_body_suffixes": ["委员会"], "back_reference_heads": ["理事会"]},
         "back_reference_heads[0]", ["理事会"]),
        ({"大会": []}, {"generic_body_suffixes": ["大会"], "back_reference_heads": ["大会"]},
         "back_reference_heads[0]", ["bodies.大会"]),
        ({"大会": [""]}, {}, "bodies.大会[0]", ["empty"]),
        ({"大会": "联合国大会"}, {}, "bodies.大会", ["list of spellings"]),
        ({"大会": []}, {"generic_body_suffixes": [3]}, "generic_body_suffixes[0]", ["not a string"]),
    ],
)
def test_an_inconsistent_citation_lexicon_is_refused_naming_the_entry(tmp_path, entries, more, entry, named):
    with pytest.raises(RuleError) as err:
        load_bodies(_lexicon(tmp_path, entries, **more))
    assert err.value.entry == entry and err.value.path.name == "citation_bodies.yaml"
    for word in [entry, *named]:
        assert word in str(err.value)


# --- the seed, through the reader and the segmenter ------------------------


@pytest.fixture(scope="module")
def seed_citations(seed_path):
    from analysis.read import read_document
    from analysis.segment import segment

    paragraphs = segment(read_document(seed_path)).paragraphs
    return paragraphs, extract_citations(paragraphs)


def test_seed_footnote_link_is_two_documents_with_its_paragraph(seed_citations):
    paragraphs, c = seed_citations
    notes = paragraphs[paragraphs.kind == "footnote"]
    # The reader reduced [symbol](#) to the symbol.
    assert "CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4，第8段" in notes.text.tolist()[2]
    docs = c[(c.cited_kind == "document")]
    assert docs.cited.value_counts().to_dict() == {"CTOC/COP/WG.2/2022/4": 2, "CTOC/COP/WG.3/2022/4": 2}
    assert sorted(docs.detail.unique()) == ["第8和第10段", "第8段"]
    assert (docs.citation_type == "footnote").all()
    # A footnote says which paragraphs carry its mark.
    first = docs.iloc[0]
    assert "11/2:body:1" in first.referenced_by


def test_seed_resolutions_dates_treaties_articles(seed_citations):
    _, c = seed_citations
    res = c[c.cited_kind == "resolution"].set_index("cited")
    assert sorted(res.index) == ["10/1", "10/4", "26/3", "9/1"]
    assert res.loc["26/3", "cited_body"] == "预防犯罪和刑事司法委员会"
    assert res.loc["10/4", "citation_type"] == "回顾"
    assert res.loc["9/1", "rec_id"] == "11/2:II:j" and res.loc["9/1", "detail"] == "附件"
    dates = c[c.cited_kind == "date"]
    assert "2020-10-16" in dates.normalised.tolist()
    assert "2022-05-23/2022-05-27" in dates.normalised.tolist()
    assert dates.loc[dates.normalised == "2020-07-09,2020-07-10", "citation_type"].iloc[0] == "核可"
    assert c[c.cited_kind == "treaty"].cited.value_counts()["《条约汇编》第2225卷"] == 2
    art = c[c.cited_kind == "article"]
    assert art.cited.tolist() == ["第6条"] and art.rec_id.tolist() == ["11/2:I:j"]


def test_seed_bodies_and_keys(seed_citations):
    """The seed's resolutions read as before (``body_inferred`` only for 其第10/4号决议), now with their keys."""
    _, c = seed_citations
    assert [r[:4] for r in resolutions(c)] == [
        ("10/4", "缔约方会议", "10/4", "own"),
        ("26/3", "预防犯罪和刑事司法委员会", "CCPCJ.26/3", "named"),
        ("9/1", "缔约方会议", "9/1", "named"),
        ("10/1", "缔约方会议", "10/1", "named"),
    ]
    assert (c.loc[c.cited_kind == "resolution", "cited_unit_kind"] == "resolution").all()
    assert c.loc[c.cited_kind == "resolution", "body_inferred"].tolist() == [True, False, False, False]
    assert list(c.columns) == CITATION_COLUMNS


def test_seed_graph(seed_citations, tmp_path):
    _, c = seed_citations
    g = citation_graph(c)
    src = "11/2"  # the unit key: the same id as the resolution everywhere
    assert g.nodes[src]["kind"] == "resolution" and g.nodes[src]["in_corpus"]
    assert set(g.successors(src)) >= {
        "10/4",
        "9/1",
        "10/1",
        "CCPCJ.26/3",
        "document:CTOC/COP/WG.2/2022/4",
        "document:CTOC/COP/WG.3/2022/4",
        "treaty:《条约汇编》第2225卷",
    }
    assert g.edges[src, "document:CTOC/COP/WG.2/2022/4"]["count"] == 2
    assert g.edges[src, "10/4"]["types"] == ["回顾"]
    assert g.nodes["CCPCJ.26/3"]["label"] == "26/3"
    assert not g.nodes["10/4"]["in_corpus"]  # cited, but not in this corpus
    # Dates and articles are not nodes unless asked for.
    assert not any(d["kind"] in ("date", "article") for _, d in g.nodes(data=True))
    assert any(d["kind"] == "article" for _, d in citation_graph(c, kinds=("article",)).nodes(data=True))

    path = write_graphml(g, tmp_path / "out" / "citations.graphml")
    # A run writes the same GraphML from the plain nodes and edges, without networkx.
    assert graphml_text(citation_network(c)) == path.read_text(encoding="utf-8")
    back = nx.read_graphml(path)
    assert back.number_of_edges() == g.number_of_edges()
    assert back.edges[src, "10/4"]["types"] == "回顾"
    assert back.nodes["10/4"]["body"] == "缔约方会议"


def multi_body_paragraphs() -> pd.DataFrame:
    """A GA resolution, the ECOSOC resolution it cites and a COP resolution, in one table (written for testing)."""
    ga = paras(
        "回顾经济及社会理事会1996年7月24日第1996/27号决议，",
        "又回顾缔约方会议第10/4号决议和其第52/85号决议，",
        resolution="GA.53/111", acting_body=GA, source_file="ga53.txt",
    )
    ecosoc = paras(
        "回顾其1995年7月24日第1995/9号决议，",
        "注意到缔约方会议第10/1号决定，",
        resolution="ECOSOC.1996/27", acting_body=ECOSOC, source_file="e1996.txt",
    )
    cop = paras("回顾其第10/4号决议以及经济及社会理事会第1996/27号决议，", resolution="11/2", source_file="cop11.txt")
    return pd.concat([ga, ecosoc, cop], ignore_index=True)


def test_multi_body_graph_links_resolutions_by_their_keys(tmp_path):
    c = extract_citations(multi_body_paragraphs())
    g = citation_graph(c)
    # The cited ECOSOC resolution is the ECOSOC resolution of the table: one node.
    e = g.nodes["ECOSOC.1996/27"]
    assert e == {"kind": "resolution", "label": "1996/27", "body": ECOSOC, "unit_kind": "resolution", "in_corpus": True}
    assert set(g.predecessors("ECOSOC.1996/27")) == {"GA.53/111", "11/2"}
    assert g.edges["GA.53/111", "ECOSOC.1996/27"]["types"] == ["回顾"]
    # A COP resolution cited by two bodies is one node; not in the corpus here.
    assert set(g.predecessors("10/4")) == {"GA.53/111", "11/2"} and not g.nodes["10/4"]["in_corpus"]
    assert g.nodes["10/4"]["body"] == "缔约方会议"
    # 其 in a GA resolution is the GA's; a COP decision is not resolution 10/1.
    assert g.has_edge("GA.53/111", "GA.52/85") and g.has_edge("ECOSOC.1996/27", "ECOSOC.1995/9")
    assert g.nodes["dec.10/1"]["unit_kind"] == "decision" and "10/1" not in g
    assert g.nodes["GA.53/111"] == {"kind": "resolution", "label": "53/111", "body": GA, "unit_kind": "resolution",
                                    "in_corpus": True}
    assert {v for v, d in g.nodes(data=True) if d["in_corpus"]} == {"GA.53/111", "ECOSOC.1996/27", "11/2"}
    # Every resolution node is a unit key.
    for v, d in g.nodes(data=True):
        if d["kind"] == "resolution":
            assert registry.parse_key(v)[2] == d["label"]
    back = nx.read_graphml(write_graphml(g, tmp_path / "g.graphml"))
    assert back.nodes["ECOSOC.1996/27"]["in_corpus"] is True and back.has_edge("11/2", "ECOSOC.1996/27")


def test_resolution_nodes_of_other_bodies_stay_readable():
    c = one("回顾安全理事会第2/1号决议、人权理事会第7/1号决定和国际麻醉品管制委员会第3/2号决议，")
    g = citation_graph(c)
    assert set(g.successors("12/1")) == {"安全理事会 2/1", "人权理事会 dec.7/1", "国际麻醉品管制委员会 3/2"}
    assert not any(d["in_corpus"] for v, d in g.nodes(data=True) if v != "12/1")
    assert resolution_node(None, "10/4") == "resolution:10/4"  # no body: never taken for a key


def test_graph_of_a_minimal_table():
    """Without the extraction's columns a resolution without a body is the citing unit's own."""
    c = pd.DataFrame({"resolution": ["GA.53/111", "GA.53/111", "11/2"], "cited_kind": ["resolution"] * 3,
                      "cited": ["52/85", "10/4", "10/4"], "cited_body": [None, "缔约方会议", None]})
    nodes, edges = citation_network(c)
    assert set(edges) == {("GA.53/111", "GA.52/85"), ("GA.53/111", "10/4"), ("11/2", "10/4")}
    assert nodes["GA.53/111"]["body"] == GA and nodes["10/4"]["body"] == "缔约方会议"
    assert edges["GA.53/111", "10/4"] == {"count": 1, "types": []}
    # acting_bodies adds the corpus resolutions the table does not cite from.
    nodes, _ = citation_network(c, acting_bodies={"GA.52/85": GA})
    assert nodes["GA.52/85"]["in_corpus"] and not nodes["10/4"]["in_corpus"]


def test_graph_of_nothing():
    assert citation_graph(extract_citations(paras("无"))).number_of_nodes() == 0


def test_graphml_reads_back_as_networkx_writes_it(tmp_path):
    """The direct GraphML writer against networkx's own, through networkx's reader."""
    g = nx.DiGraph()
    g.add_node("缔约方会议 11/2", kind="resolution", label="11/2", body="缔约方会议", in_corpus=True, rank=3)
    g.add_node('document:A/RES/55/25 & "x" <y>', kind="document", label="A/RES/55/25", body=None, in_corpus=False)
    g.add_node("plain")
    g.add_edge("缔约方会议 11/2", 'document:A/RES/55/25 & "x" <y>', count=2, types=["回顾", "注意到"], weight=0.5)
    g.add_edge("plain", "缔约方会议 11/2")
    ours = nx.read_graphml(write_graphml(g, tmp_path / "ours.graphml"))
    ref = g.copy()
    for _, d in ref.nodes(data=True):
        for k in [k for k, v in d.items() if v is None]:
            del d[k]
    for *_, d in ref.edges(data=True):
        d["types"] = "|".join(d["types"]) if "types" in d else d.get("types")
        for k in [k for k, v in d.items() if v is None]:
            del d[k]
    nx.write_graphml(ref, tmp_path / "theirs.graphml")
    theirs = nx.read_graphml(tmp_path / "theirs.graphml")
    assert dict(ours.nodes(data=True)) == dict(theirs.nodes(data=True))
    assert {(a, b): d for a, b, d in ours.edges(data=True)} == {(a, b): d for a, b, d in theirs.edges(data=True)}
    assert ours.nodes["缔约方会议 11/2"]["in_corpus"] is True and ours.nodes["缔约方会议 11/2"]["rank"] == 3
