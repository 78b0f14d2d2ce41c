"""DOCX, PDF and HTML input (``analysis.formats``).

The seed resolution is rendered into each format inside the tests
(``fixtures_build``); extraction must give back its paragraphs, footnote marks
and footnote bodies, with page furniture gone and Traditional Chinese
converted.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import fixtures_build as fb  # noqa: E402

from analysis import formats  # noqa: E402
from analysis.read import InputError  # noqa: E402

W = fb.W_NS


@pytest.fixture(scope="module")
def seed() -> str:
    return fb.seed_text()


@pytest.fixture(scope="module")
def built(tmp_path_factory, seed):
    d = tmp_path_factory.mktemp("formats")
    pdf_info = fb.build_pdf(seed, d / "seed.pdf")
    fb.build_docx(seed, d / "seed.docx")
    (d / "seed.html").write_bytes(fb.build_html(seed))
    return {"dir": d, "pdf_info": pdf_info}


def assert_same_paragraphs(text: str, source: str) -> None:
    got, exp = fb.split_extracted(text), fb.expected(source)
    diff = [line for line in difflib.unified_diff(exp.body, got.body, lineterm="", n=0)]
    assert got.body == exp.body, "\n".join(diff[:20])
    assert got.footnotes == exp.footnotes


def agreement(a: str, b: str) -> float:
    """Share of the characters of ``a`` that ``b`` keeps, in order."""
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return sum(block.size for block in sm.get_matching_blocks()) / max(1, len(a))


def flat(p: fb.Parsed) -> str:
    return "\n".join(p.body + [k + v for k, v in sorted(p.footnotes.items())])


# --------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------

def test_suffixes_and_dispatch(tmp_path):
    assert {".docx", ".pdf", ".html", ".htm"} <= set(formats.supported_suffixes())
    assert ".txt" not in formats.supported_suffixes()  # the reader decodes TXT itself
    txt = tmp_path / "r.txt"
    txt.write_bytes("第 11/2 号决议\n".encode("gb18030"))
    ex = formats.extract(txt)
    assert (ex.source_format, ex.encoding, ex.text) == ("txt", "gb18030", "第 11/2 号决议\n")
    for name, hint in (("r.doc", ".docx"), ("r.odt", "supported")):
        (tmp_path / name).write_bytes(b"x")
        with pytest.raises(InputError, match=re.escape(name)) as err:
            formats.extract(tmp_path / name)
        assert hint in str(err.value)


def test_file_that_is_not_its_format_is_refused(tmp_path):
    for name in ("fake.pdf", "fake.docx"):
        (tmp_path / name).write_text("第 11/2 号决议", encoding="utf-8")
        with pytest.raises(InputError, match="fake"):
            formats.extract(tmp_path / name)


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------

def test_docx_seed_round_trip(built, seed):
    ex = formats.extract(built["dir"] / "seed.docx")
    assert (ex.source_format, ex.encoding, ex.converted) == ("docx", "utf-8", None)
    assert_same_paragraphs(ex.text, seed)
    # the fixture writes every lettered item as Word numbering, so every label
    # in the output was rebuilt from numbering.xml
    lettered = sum(1 for p in fb.parse(seed).body if re.match(r"^\([a-z]\)", p))
    assert f"{lettered} numbered paragraphs" in " ".join(ex.notes)


def test_docx_decimal_and_letter_numbering(tmp_path, seed):
    path = fb.build_docx(seed, tmp_path / "numbered.docx", numbering=("letter", "decimal"))
    ex = formats.extract(path)
    assert_same_paragraphs(ex.text, seed)
    assert "\n1. 核可" in ex.text and "\n2. 还核可" in ex.text


def _docx(tmp_path: Path, body_xml: str, footnotes: dict[str, str] | None = None,
          numbering_xml: str = "", name: str = "t.docx") -> Path:
    """A DOCX whose body is ``body_xml`` (``w:`` elements), with optional
    footnotes (id -> paragraph XML) and numbering definitions."""
    import docx
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    d = docx.Document()
    body = d.element.body
    for child in list(body):
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    wrapper = parse_xml(f'<w:body xmlns:w="{W}">{body_xml}</w:body>')
    for i, el in enumerate(list(wrapper)):
        body.insert(i, el)
    if numbering_xml:
        num = d.part.numbering_part.element
        for el in parse_xml(f'<w:numbering xmlns:w="{W}">{numbering_xml}</w:numbering>'):
            num.append(el) if el.tag.endswith("}num") else num.insert(0, el)
    if footnotes:
        xml = (f'<w:footnotes xmlns:w="{W}">'
               + "".join(f'<w:footnote w:id="{i}">{p}</w:footnote>' for i, p in footnotes.items())
               + "</w:footnotes>")
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode(), d.part.package)
        d.part.relate_to(part, RT.FOOTNOTES)
    path = tmp_path / name
    d.save(str(path))
    return path


def _p(inner: str, ppr: str = "") -> str:
    return f"<w:p>{'<w:pPr>' + ppr + '</w:pPr>' if ppr else ''}{inner}</w:p>"


def _r(text: str, rpr: str = "") -> str:
    return f'<w:r>{"<w:rPr>" + rpr + "</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_tables_revisions_breaks_and_superscripts(tmp_path):
    body = (
        _p(_r("回顾其第 10/4 号决议") + _r("5", '<w:vertAlign w:val="superscript"/>') + _r("，"))
        + _p(_r("注意到") + '<w:del w:id="1" w:author="x"><w:r><w:delText>删去的</w:delText></w:r></w:del>'
             + f'<w:ins w:id="2" w:author="x">{_r("插入的")}</w:ins>' + _r("文字"))
        + _p(_r("附件一") + "<w:r><w:br/></w:r>" + _r("建议") + '<w:r><w:br w:type="page"/></w:r>')
        + "<w:tbl><w:tr><w:tc>" + _p(_r("表格第一格")) + "</w:tc><w:tc>" + _p(_r("第二格"))
        + "</w:tc></w:tr></w:tbl>"
        + _p(_r("第 2 段，2 个"))
    )
    ex = formats.extract(_docx(tmp_path, body))
    paras = ex.text.strip().split("\n\n")
    assert paras == ["回顾其第 10/4 号决议⁵，", "注意到插入的文字", "附件一\n建议", "表格第一格", "第二格",
                     "第 2 段，2 个"]
    assert "docx: 1 tables" in ex.notes


def test_docx_footnote_numbers_follow_reference_order(tmp_path):
    # ids are not display numbers: Word numbers notes in the order they are cited
    notes = {"7": _p('<w:r><w:footnoteRef/></w:r><w:r><w:tab/></w:r>' + _r("第二个脚注。")),
             "3": _p('<w:r><w:footnoteRef/></w:r>' + _r(" 第一个脚注。")),
             "9": _p(_r("从未引用的脚注。"))}
    body = (_p(_r("甲") + '<w:r><w:footnoteReference w:id="3"/></w:r>' + _r("乙"))
            + _p(_r("丙") + '<w:r><w:footnoteReference w:id="7"/></w:r>')
            + _p(_r("丁") + '<w:r><w:footnoteReference w:customMarkFollows="1" w:id="3"/></w:r>'
                 + _r("*", '<w:vertAlign w:val="superscript"/>')))
    ex = formats.extract(_docx(tmp_path, body, footnotes=notes))
    paras = ex.text.strip().split("\n\n")
    assert paras[:3] == ["甲¹乙", "丙²", "丁*"]
    assert paras[3:5] == ["¹ 第一个脚注。", "² 第二个脚注。"]
    assert paras[5] == "从未引用的脚注。"  # content is never dropped


def test_docx_numbering_restarts_levels_and_typed_labels(tmp_path):
    numbering = (
        '<w:abstractNum w:abstractNumId="50"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>'
        '<w:lvlText w:val="(%2)"/><w:suff w:val="nothing"/></w:lvl></w:abstractNum>'
        '<w:abstractNum w:abstractNumId="51"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
        '<w:lvlText w:val="•"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="60"><w:abstractNumId w:val="50"/></w:num>'
        '<w:num w:numId="61"><w:abstractNumId w:val="50"/><w:lvlOverride w:ilvl="0">'
        '<w:startOverride w:val="1"/></w:lvlOverride></w:num>'
        '<w:num w:numId="62"><w:abstractNumId w:val="51"/></w:num>')

    def num(num_id, ilvl=0):
        return f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'

    body = (_p(_r("请毒品和犯罪问题办公室："), num(60)) + _p(_r("提供援助；"), num(60, 1))
            + _p(_r("收集信息；"), num(60, 1)) + _p(_r("标题")) + _p(_r("鼓励各国。"), num(60))
            + _p(_r("(c) 已经打出的标号"), num(60, 1)) + _p(_r("新的列表"), num(61))
            + _p(_r("项目符号不是标号"), num(62)) + _p(_r("不编号"), num(0)))
    ex = formats.extract(_docx(tmp_path, body, numbering_xml=numbering))
    assert ex.text.strip().split("\n\n") == [
        "1. 请毒品和犯罪问题办公室：", "(a)提供援助；", "(b)收集信息；", "标题", "2. 鼓励各国。",
        "(c) 已经打出的标号", "1. 新的列表", "项目符号不是标号", "不编号"]


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

def test_html_seed_round_trip(built, seed):
    ex = formats.extract(built["dir"] / "seed.html")
    assert (ex.source_format, ex.encoding) == ("html", "utf-8")
    assert_same_paragraphs(ex.text, seed)
    for dropped in ("脚本里的文字", "样式文字", "首页", "版权所有", "↩"):
        assert dropped not in ex.text


def test_html_charset_and_markup_variants(tmp_path):
    html = """<html><head><meta charset="gb18030"><style>p{}</style></head><body>
    <nav>导航</nav>
    <h1>第 11/2 号
       决议</h1>
    <p>注意到技术<br>援助<a href="#_ftn1">[1]</a>，</p>
    <p>回顾<span style="vertical-align: super">2</span>其决议，</p>
    <div>各国应<b>考虑</b>加强<div>嵌套的块</div>合作；</div>
    <table><tr><td>甲</td><td>乙</td></tr></table>
    <ol start="3" type="a"><li>第三项</li><li value="5">第五项</li></ol>
    <ol><li>1. 已有标号</li></ol>
    <p hidden>隐藏</p>
    <div id="footnotes"><p>[1] 第一个脚注。</p><p><sup>2</sup>第二个脚注。</p></div>
    </body></html>"""
    path = tmp_path / "p.htm"
    path.write_bytes(html.encode("gb18030"))
    ex = formats.extract(path)
    assert ex.encoding == "gb18030"
    assert ex.text.strip().split("\n\n") == [
        "第 11/2 号决议", "注意到技术\n援助¹，", "回顾²其决议，", "各国应考虑加强", "嵌套的块", "合作；", "甲", "乙",
        "(c) 第三项", "(e) 第五项", "1. 已有标号", "¹ 第一个脚注。", "² 第二个脚注。"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=25),
       breaks=st.sampled_from(["\n", "\r\n", "\n    ", " \n\t"]))
def test_html_source_line_breaks_do_not_change_text(tmp_path, cuts, breaks):
    """Editors re-wrap HTML source; browsers (and we) join the lines again."""
    body = fb.parse(fb.seed_text()).body[:12]
    markup = "".join(f"<p>{p}</p>" for p in body)
    text_positions = [i for i, ch in enumerate(markup) if "\u4e00" <= ch <= "\u9fff"]
    for cut in sorted({text_positions[c % len(text_positions)] for c in cuts}, reverse=True):
        markup = markup[:cut] + breaks + markup[cut:]
    path = tmp_path / "wrapped.html"
    path.write_text(f"<html><body>{markup}</body></html>", encoding="utf-8")
    got = formats.extract(path).text.strip().split("\n\n")
    assert [fb.fold(g) for g in got] == [fb.fold(p) for p in body]


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

def test_pdf_fixture_looks_like_a_un_document(built):
    """Guard the fixture itself: the cases the extractor must handle are in it."""
    import pdfplumber

    info = built["pdf_info"]
    assert info.pages >= 2
    assert info.split_paragraphs, "no paragraph crosses a page break"
    assert len(set(info.footnote_pages.values())) >= 2, "footnotes should sit on different pages"
    with pdfplumber.open(str(built["dir"] / "seed.pdf")) as pdf:
        page = pdf.pages[1]
        assert (page.width, page.height) == pytest.approx((595.3, 841.9), abs=0.5)
        raw = page.extract_text()
    assert "CTOC/COP/2022/15" in raw and "V.22-12345" in raw and f"2/{info.pages}" in raw


def test_pdf_seed_round_trip(built, seed):
    ex = formats.extract(built["dir"] / "seed.pdf")
    assert (ex.source_format, ex.converted) == ("pdf", None)
    assert_same_paragraphs(ex.text, seed)
    # furniture gone, marks attached, no space inside Chinese
    assert "CTOC/COP/2022/15" not in ex.text and "V.22-12345" not in ex.text
    assert not re.search(r"^\d+/\d+$", ex.text, re.M)
    assert "议定书¹而" in ex.text and "，³供" in ex.text
    assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", ex.text)
    notes = " ".join(ex.notes)
    assert f"{info_pages(built)} pages" in notes and "removed" in notes


def info_pages(built) -> int:
    return built["pdf_info"].pages


@pytest.mark.parametrize("layout", [
    dict(space_after=0, footnote_rule=False, body_size=10.5, leading=16),  # no paragraph spacing, no rule
    dict(space_after=0, body_size=9, leading=12, footnote_size=7),  # dense: the column ends inside Latin numbers
    dict(space_after=0, body_size=14, leading=18, footnote_rule=False, raised_note_numbers=False),
])
def test_pdf_layout_variants(tmp_path, seed, layout):
    fb.build_pdf(seed, tmp_path / "v.pdf", **layout)
    assert_same_paragraphs(formats.extract(tmp_path / "v.pdf").text, seed)


def test_pdf_without_text_layer_is_refused(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "scan.pdf"), pagesize=A4)
    c.rect(72, 72, 400, 600, fill=1)  # stands in for a page image
    c.showPage()
    c.save()
    with pytest.raises(InputError, match="OCR"):
        formats.extract(tmp_path / "scan.pdf")


# --------------------------------------------------------------------------
# Traditional Chinese
# --------------------------------------------------------------------------

def test_to_simplified_decides_once_per_text(seed):
    from opencc import OpenCC

    assert formats.to_simplified(seed) == (seed, None)  # Simplified: untouched
    traditional = OpenCC("s2t").convert(seed)
    changed, total = formats.traditional_share(traditional)
    assert changed / total > 0.2
    text, converted = formats.to_simplified(traditional)
    assert converted == "opencc:t2s"
    # OpenCC round trips are not exact (並 -> 幷 here); measured 99.97 %
    assert agreement(seed, text) > 0.999
    # one Traditional name in a Simplified text does not flip the decision
    assert formats.to_simplified("各国应加强与臺灣地区的合作") == ("各国应加强与臺灣地区的合作", None)


@pytest.mark.parametrize("fmt", ["docx", "pdf", "html"])
def test_traditional_input_is_converted_and_recorded(tmp_path, seed, fmt):
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(seed)
    path = tmp_path / f"trad.{fmt}"
    if fmt == "docx":
        fb.build_docx(traditional, path)
    elif fmt == "pdf":
        fb.build_pdf(traditional, path)
    else:
        path.write_bytes(fb.build_html(traditional, encoding="big5"))
    ex = formats.extract(path)
    assert ex.converted == "opencc:t2s"
    assert any("Traditional" in n for n in ex.notes)
    got, exp = fb.split_extracted(ex.text), fb.expected(seed)
    assert len(got.body) == len(exp.body) and set(got.footnotes) == set(exp.footnotes)
    assert agreement(flat(exp), flat(got)) > 0.999
    exact = sum(a == b for a, b in zip(got.body, exp.body))
    assert exact >= len(exp.body) - 2


# --------------------------------------------------------------------------
# Through the reader: every format gives the TXT's blocks
# --------------------------------------------------------------------------

def test_reader_gets_the_same_blocks_from_every_format(built):
    from analysis import read

    def blocks(path):
        doc = read.read_document(path, preamble_verbs=())
        body = [(b.text, [lab for _, lab in b.footnote_refs]) for b in doc.blocks if not b.is_footnote]
        notes = sorted((b.footnote_label, b.text) for b in doc.blocks if b.is_footnote)
        return body, notes, doc

    txt_body, txt_notes, _ = blocks(fb.SEED_PATH)
    for name in ("seed.docx", "seed.pdf", "seed.html"):
        body, notes, doc = blocks(built["dir"] / name)
        assert body == txt_body, name
        assert notes == txt_notes, name
        assert doc.source_format == name.split(".")[1]


def test_every_format_yields_the_same_recommendations(built):
    """End to end: TXT, DOCX, PDF and HTML renderings of the seed give the same
    recommendations (id, text, annex section, footnotes) after segmenting."""
    from analysis.read import read_document
    from analysis.segment import recommendations, segment

    def recs(path):
        df = recommendations(segment(read_document(path)).paragraphs)
        return [(r.rec_id, r.text, r.section, list(r.footnotes)) for r in df.itertuples()]

    txt = recs(fb.SEED_PATH)
    assert len(txt) >= 20  # the seed's two annexes and its operative paragraphs
    assert any(notes for *_, notes in txt), "the seed cites footnotes from recommendations"
    for name in ("seed.docx", "seed.pdf", "seed.html"):
        got = recs(built["dir"] / name)
        assert [r[0] for r in got] == [r[0] for r in txt], name
        for exp, g in zip(txt, got):
            assert g == exp, f"{name}: {exp[0]}"


# --------------------------------------------------------------------------
# damaged files, through the CLI
# --------------------------------------------------------------------------

@pytest.mark.parametrize("damage, expected", [
    ("truncated", "this DOCX file is damaged (truncated"),
    ("old word", "this is an old binary Word document (.doc) named .docx"),
])
def test_a_damaged_docx_is_named_for_what_it_is(built, tmp_path, capsys, damage, expected):
    from analysis.cli import main

    raw = tmp_path / "raw"
    raw.mkdir()
    data = (built["dir"] / "seed.docx").read_bytes()
    path = raw / "r.docx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the header of an old Word (OLE) file
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else ole)
    assert main(["run", str(raw), "--out", str(tmp_path / "out"), "--overrides", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {expected}") and err.count("\n") == 1
    if damage == "truncated":
        assert ".doc " not in err and "old" not in err
