"""Build DOCX, PDF and HTML renderings of a resolution text inside the tests.

The input is a text in the shape of a TXT resolution (``data/raw/``): one
paragraph per line, blank lines between, footnote marks as superscript digits,
footnote bodies as paragraphs opening with their mark. Each builder renders it
the way the UN's documents come:

* ``build_docx``: Word footnotes (``w:footnoteReference`` at the first
  citation, a superscript ``NOTEREF`` cross-reference field at later ones,
  bodies in ``word/footnotes.xml``), lettered items as Word list numbering
  (``(%1)``, restarted at each ``(a)``), optionally ``1.`` too, document
  symbols in footnotes as hyperlinks;
* ``build_pdf``: A4, the symbol as running header, job number and ``n/N`` as
  footer (sides alternating like UN pages), Chinese in the bundled CJK font
  and Latin/digits in Helvetica, body paragraphs wrapped by reportlab
  ``Paragraph`` flowables, footnote marks as small raised digits, footnote
  bodies in a smaller font under a short rule at the foot of the page where
  they are first cited;
* ``build_html``: headings, paragraphs, lettered items as ``<ol type="a">``,
  ``<sup>`` links to a footnote section, plus a script, a style and a nav bar
  that must not end up in the text.

``expected(text)`` gives what an extractor must return for it: the body
paragraphs in order and the footnote bodies by mark, with link syntax reduced
and whitespace folded (``fold``).

Nothing here is downloaded: the only external input is the CJK font bundled
with the package.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
SEED_PATH = REPO / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"
FONT_PATH = REPO / "src" / "analysis" / "fonts" / "DroidSansFallbackFull.ttf"

SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FROM_SUP = str.maketrans(SUP, "0123456789")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]*)\)")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018-\u201f\u2026\u2014"


def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


def fold(s: str) -> str:
    """Whitespace-insensitive form of a paragraph: no space next to a Chinese
    character or mark, other runs of whitespace as one space.

    >>> fold("第 11/2 号决议 ,  United  Nations")
    '第11/2号决议, United Nations'
    """
    s = unicodedata.normalize("NFC", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(rf"(?<=[{_CJK}{SUP}]) ", "", s)
    return re.sub(rf" (?=[{_CJK}{SUP}])", "", s)


@dataclass
class Parsed:
    body: list[str]  # paragraphs in order, footnote marks inside
    footnotes: dict[str, str]  # mark ("³") -> footnote text (without the mark)


def parse(text: str, reduce_links: bool = False) -> Parsed:
    """Split a TXT-shaped resolution into body paragraphs and footnotes."""
    body: list[str] = []
    notes: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text):
        block = " ".join(x.strip() for x in block.strip().splitlines())
        if not block:
            continue
        if reduce_links:
            block = _LINK.sub(r"\1", block)
        m = re.match(rf"^([{SUP}]+)\s*(.*)$", block)
        if m:
            notes[m.group(1)] = m.group(2)
        else:
            body.append(block)
    return Parsed(body, notes)


def expected(text: str) -> Parsed:
    """What ``extract`` must give back for ``text``, folded for comparison."""
    p = parse(text, reduce_links=True)
    return Parsed([fold(b) for b in p.body], {k: fold(v) for k, v in p.footnotes.items()})


def split_extracted(text: str) -> Parsed:
    """An extractor's output, split and folded like ``expected``."""
    p = parse(text)
    return Parsed([fold(b) for b in p.body], {k: fold(v) for k, v in p.footnotes.items()})


def segments(paragraph: str) -> list[tuple[str, bool]]:
    """``[(text, is_mark)]``; marks as ASCII digits.

    >>> segments("议定书¹而³")
    [('议定书', False), ('1', True), ('而', False), ('3', True)]
    """
    out = []
    for piece in re.split(rf"([{SUP}]+)", paragraph):
        if not piece:
            continue
        is_mark = piece[0] in SUP
        out.append((piece.translate(_FROM_SUP) if is_mark else piece, is_mark))
    return out


_LETTER = re.compile(r"^\(([a-z])\)\s*")
_NUMBER = re.compile(r"^(\d{1,3})\.\s*")


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _footnotes_xml(notes: dict[str, str], ids: dict[str, int]) -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<w:footnotes xmlns:w="{W_NS}" xmlns:r="{R_NS}">',
             '<w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
             '<w:footnote w:type="continuationSeparator" w:id="1"><w:p><w:r><w:continuationSeparator/>'
             '</w:r></w:p></w:footnote>']
    for mark, text in notes.items():
        runs = []
        for i, piece in enumerate(_LINK.split(text)):
            # _LINK.split yields text, link text, link target, text …
            kind = i % 3
            if kind == 2 or not piece:
                continue
            run = f'<w:r><w:t xml:space="preserve">{escape(piece)}</w:t></w:r>'
            if kind == 1:
                run = f'<w:hyperlink w:anchor="{escape(piece[:20]).replace("/", "_")}">{run}</w:hyperlink>'
            runs.append(run)
        parts.append(
            f'<w:footnote w:id="{ids[mark]}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
            '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
            '<w:r><w:tab/></w:r>' + "".join(runs) + "</w:p></w:footnote>")
    parts.append("</w:footnotes>")
    return "".join(parts).encode("utf-8")


def build_docx(text: str, path: str | Path, numbering: tuple[str, ...] = ("letter",)) -> Path:
    """Write ``text`` as a DOCX with Word footnotes and list numbering.

    ``numbering``: which typed labels become Word numbering instead of text:
    ``"letter"`` for ``(a)`` items (each ``(a)`` restarts the list),
    ``"decimal"`` for ``1.`` paragraphs.
    """
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    parsed = parse(text)
    d = docx.Document()
    ref_style = d.styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
    ref_style.font.superscript = True
    ref_id = ref_style.name

    # numbering definitions: abstract 900 = "(%1)" lowerLetter, 901 = "%1." decimal
    numbering_el = d.part.numbering_part.element
    for abs_id, fmt, lvl_text in ((900, "lowerLetter", "(%1)"), (901, "decimal", "%1.")):
        numbering_el.insert(0, parse_xml(
            f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abs_id}"><w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{lvl_text}"/>'
            '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="567" w:hanging="567"/></w:pPr></w:lvl></w:abstractNum>'))
    next_num = [900]

    def new_num(abs_id: int) -> str:
        next_num[0] += 1
        numbering_el.append(parse_xml(
            f'<w:num xmlns:w="{W_NS}" w:numId="{next_num[0]}"><w:abstractNumId w:val="{abs_id}"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'))
        return str(next_num[0])

    marks = [m for p in parsed.body for m, is_mark in segments(p) if is_mark]
    order = list(dict.fromkeys(marks))
    ids = {str(m).translate(str.maketrans("0123456789", SUP)): 2 + i for i, m in enumerate(order)}
    cited: set[str] = set()
    letter_num = decimal_num = None

    def add_run(p, text: str, style: str | None = None):
        r = p.add_run(text)
        if style:
            r.style = style
        return r

    for para in parsed.body:
        p = d.add_paragraph()
        m_letter, m_number = _LETTER.match(para), _NUMBER.match(para)
        num_id = None
        if "letter" in numbering and m_letter:
            if m_letter.group(1) == "a" or letter_num is None:
                letter_num = new_num(900)
            num_id, para = letter_num, para[m_letter.end():]
        elif "decimal" in numbering and m_number:
            if m_number.group(1) == "1" or decimal_num is None:
                decimal_num = new_num(901)
            num_id, para = decimal_num, para[m_number.end():]
        if num_id:
            ppr = p._p.get_or_add_pPr()
            ppr.append(parse_xml(f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))
        for piece, is_mark in segments(para):
            if not is_mark:
                add_run(p, piece)
                continue
            sup = piece.translate(str.maketrans("0123456789", SUP))
            if sup not in cited:  # first citation: a real footnote reference
                cited.add(sup)
                r = add_run(p, "", ref_id)
                r._r.append(parse_xml(f'<w:footnoteReference xmlns:w="{W_NS}" w:id="{ids[sup]}"/>'))
            else:  # later citations: NOTEREF cross-reference, result formatted as the reference style
                for xml in (f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="begin"/></w:r>',
                            f'<w:r xmlns:w="{W_NS}"><w:instrText xml:space="preserve"> NOTEREF _Ref{ids[sup]} \\f \\h </w:instrText></w:r>',
                            f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="separate"/></w:r>'):
                    p._p.append(parse_xml(xml))
                add_run(p, piece, ref_id)
                p._p.append(parse_xml(f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="end"/></w:r>'))
    if parsed.footnotes:
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES,
                    _footnotes_xml(parsed.footnotes, ids), d.part.package)
        d.part.relate_to(part, RT.FOOTNOTES)
    path = Path(path)
    d.save(str(path))
    return path


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

def build_html(text: str, encoding: str = "utf-8", lists: bool = True) -> bytes:
    """Render ``text`` as an HTML page (bytes in ``encoding``, declared in a meta tag).

    With ``lists``, runs of lettered items become ``<ol type="a">`` without
    typed labels (``start`` continues a list interrupted by a heading).
    """
    parsed = parse(text)

    def inline(s: str) -> str:
        out = []
        for piece, is_mark in segments(s):
            if is_mark:
                out.append(f'<sup><a href="#fn{piece}" id="fnref{piece}">{piece}</a></sup>')
            else:
                out.append(_LINK.sub(lambda m: f'<a href="https://undocs.org/{m.group(1)}">{m.group(1)}</a>',
                                     escape(piece)))
        return "".join(out)

    html = [f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="{encoding}">',
            f"<title>{escape(parsed.body[0] if parsed.body else '')}</title>",
            "<style>body { font-family: serif; } .x::before { content: '样式文字'; }</style>",
            "<script>var menu = '脚本里的文字不应出现';</script></head><body>",
            '<nav><a href="/">首页</a> | <a href="/docs">文件</a></nav>',
            "<main>"]
    open_list = False
    last_letter = 0
    for i, para in enumerate(parsed.body):
        m = _LETTER.match(para)
        if lists and m:
            n = ord(m.group(1)) - ord("a") + 1
            if not open_list:
                start = "" if n == 1 else f' start="{n}"'
                html.append(f'<ol type="a"{start}>')
                open_list = True
            html.append(f"<li>{inline(para[m.end():])}</li>")
            last_letter = n
            continue
        if open_list:
            html.append("</ol>")
            open_list = False
        tag = "h1" if i == 0 else ("h2" if para.startswith("附件") and len(para) < 8 else "p")
        html.append(f"<{tag}>{inline(para)}</{tag}>")
    if open_list:
        html.append("</ol>")
    del last_letter
    if parsed.footnotes:
        html.append('<section class="footnotes" role="doc-endnotes"><hr><ol>')
        for mark, body in sorted(parsed.footnotes.items(), key=lambda kv: int(kv[0].translate(_FROM_SUP))):
            n = mark.translate(_FROM_SUP)
            html.append(f'<li id="fn{n}"><p>{inline(body)} <a href="#fnref{n}" class="footnote-back">↩</a></p></li>')
        html.append("</ol></section>")
    html.append("</main><footer hidden>版权所有</footer></body></html>")
    # characters the encoding lacks become character references, as editors write them
    return "\n".join(html).encode(encoding, errors="xmlcharrefreplace")


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

@dataclass
class PdfInfo:
    path: Path
    pages: int
    paragraph_pages: dict[int, list[int]] = field(default_factory=dict)  # paragraph index -> pages it is on
    footnote_pages: dict[str, int] = field(default_factory=dict)  # mark -> page its body is printed on

    @property
    def split_paragraphs(self) -> list[int]:
        return [i for i, pages in self.paragraph_pages.items() if len(set(pages)) > 1]


_FONT = "DroidSansFallback"


def _register_font(font_path: Path | None = None) -> tuple[str, dict]:
    """Register the CJK font (the bundled one, or ``font_path``); return its
    reportlab name and its character -> glyph map."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = _FONT if font_path is None else f"{_FONT}-{Path(font_path).stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font_path or FONT_PATH)))
    return name, pdfmetrics.getFont(name).face.charToGlyph


def radical_font(target: Path) -> Path:
    """A copy of the bundled font whose cmap also maps Kangxi radicals and
    CJK Radicals Supplement code points to the glyphs of the ideographs they
    look like, as common CJK fonts (Noto, Source Han) do: text set in it has
    those code points in the PDF's text layer wherever the generator chose
    them. Built with fontTools (a matplotlib dependency)."""
    import unicodedata as ud

    from fontTools.ttLib import TTFont as FTFont

    from analysis.text import _RADICAL_SUPPLEMENT

    font = FTFont(str(FONT_PATH))
    pairs = {cp: ud.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)}
    pairs.update({cp: ch for cp, ch in _RADICAL_SUPPLEMENT.items()})
    for table in font["cmap"].tables:
        if table.isUnicode():
            for cp, ch in pairs.items():
                glyph = table.cmap.get(ord(ch))
                if glyph:
                    table.cmap[cp] = glyph
    # A name of its own: reportlab keeps one subset per font name, and the
    # bundled font's would map the shared glyphs back to the ideographs.
    for rec in font["name"].names:
        if rec.nameID in (1, 3, 4, 6):
            rec.string = "DroidSansFallbackRadicals"
    font.save(str(target))
    return target


def _markup(text: str, cmap, mark_size: float, mark_rise: float, callback: bool = True, font: str | None = None) -> str:
    """reportlab markup: Chinese in the CJK font, everything else in Helvetica
    (the CJK font has no Latin glyphs, as SimSun documents pair with Times),
    footnote marks as small raised digits with a draw-time callback."""
    out = []
    for piece, is_mark in segments(_LINK.sub(r"\1", text)):
        if is_mark:
            cb = f'<onDraw name="fn" label="{piece}"/>' if callback else ""
            out.append(f'<super size="{mark_size}" rise="{mark_rise}"><font name="Helvetica">{piece}</font></super>{cb}')
            continue
        run, cur = "", None
        for ch in piece:
            f = (font or _FONT) if (ord(ch) > 127 and ord(ch) in cmap) else "Helvetica"
            if f != cur and run:
                out.append(f'<font name="{cur}">{escape(run)}</font>')
                run = ""
            cur = f
            run += ch
        if run:
            out.append(f'<font name="{cur}">{escape(run)}</font>')
    return "".join(out)


def build_pdf(text: str, path: str | Path, symbol: str = "CTOC/COP/2022/15", job: str = "V.22-12345",
              body_size: float = 12, leading: float = 20, footnote_rule: bool = True,
              footnote_size: float = 9, space_after: float = 6, raised_note_numbers: bool = True,
              font_path: Path | None = None) -> PdfInfo:
    """Render ``text`` as a UN-style A4 PDF; return where paragraphs and notes landed.

    ``raised_note_numbers=False`` prints the numbers opening the footnote
    bodies as plain digits in the footnote font, as some publishers do.
    """
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    font_name, cmap = _register_font(font_path)
    parsed = parse(text)
    width, height = A4
    margin_x, top, footer_y, reserve = 72, 80, 40, 110
    body_style = ParagraphStyle("body", fontName=font_name, fontSize=body_size, leading=leading,
                                wordWrap="CJK", alignment=TA_JUSTIFY, firstLineIndent=2 * body_size,
                                spaceAfter=space_after)
    item_style = ParagraphStyle("item", parent=body_style, firstLineIndent=0)
    centre_style = ParagraphStyle("centre", parent=body_style, firstLineIndent=0, alignment=TA_CENTER,
                                  spaceBefore=6, spaceAfter=12)
    note_style = ParagraphStyle("note", fontName=font_name, fontSize=footnote_size, leading=footnote_size * 1.35,
                                wordWrap="CJK", firstLineIndent=0)

    def render(total_pages: int | None) -> tuple[bytes, PdfInfo]:
        info = PdfInfo(Path(path), 0)
        pending: dict[int, list[str]] = {}

        def on_fn(canvas, kind, label):
            mark = label.translate(str.maketrans("0123456789", SUP))
            if mark not in info.footnote_pages:
                info.footnote_pages[mark] = canvas.getPageNumber()
                pending.setdefault(canvas.getPageNumber(), []).append(mark)

        def on_para(canvas, kind, label):
            info.paragraph_pages.setdefault(int(label), []).append(canvas.getPageNumber())

        def on_page(canvas, doc):
            canvas.setNamedCB("fn", on_fn)
            canvas.setNamedCB("para", on_para)
            n = canvas.getPageNumber()
            page_no = f"{n}/{total_pages or 0}"
            odd = n % 2 == 1
            canvas.setFont("Helvetica", 9)
            # UN pages: symbol outside, page number and job number alternating
            if odd:
                canvas.drawRightString(width - margin_x, height - 45, symbol)
                canvas.drawString(margin_x, footer_y, job)
                canvas.drawRightString(width - margin_x, footer_y, page_no)
            else:
                canvas.drawString(margin_x, height - 45, symbol)
                canvas.drawString(margin_x, footer_y, page_no)
                canvas.drawRightString(width - margin_x, footer_y, job)

        def on_page_end(canvas, doc):
            marks = pending.pop(canvas.getPageNumber(), [])
            if not marks:
                return
            y = reserve + footer_y - 18
            if footnote_rule:
                canvas.setLineWidth(0.5)
                canvas.line(margin_x, y, margin_x + 144, y)
            y -= 4
            for mark in marks:
                n = mark.translate(str.maketrans(SUP, "0123456789"))
                number = (_markup(mark, cmap, footnote_size * 0.7, footnote_size * 0.4, callback=False)
                          if raised_note_numbers else f'<font name="Helvetica">{n}</font>')
                para = Paragraph(number + " " + _markup(parsed.footnotes[mark], cmap, 6, 3, callback=False, font=font_name),
                                 note_style)
                _, h = para.wrap(width - 2 * margin_x, 200)
                para.drawOn(canvas, margin_x, y - h)
                y -= h + 2

        buf = io.BytesIO()
        doc = BaseDocTemplate(buf, pagesize=A4, leftMargin=margin_x, rightMargin=margin_x, topMargin=top,
                              bottomMargin=reserve + footer_y)
        frame = Frame(margin_x, reserve + footer_y, width - 2 * margin_x, height - top - reserve - footer_y,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate("un", frames=[frame], onPage=on_page, onPageEnd=on_page_end)])
        story = []
        for i, para in enumerate(parsed.body):
            centred = i < 2 or (para.startswith("附件") and len(para) < 8)
            style = centre_style if centred else (item_style if (_LETTER.match(para) or _NUMBER.match(para))
                                                  else body_style)
            markup = (f'<onDraw name="para" label="{i}"/>'
                      + _markup(para, cmap, body_size * 0.6, body_size * 0.4, font=font_name)
                      + f'<onDraw name="para" label="{i}"/>')
            story.append(Paragraph(markup, style))
        doc.build(story)
        info.pages = doc.page
        return buf.getvalue(), info

    _, first = render(None)
    data, info = render(first.pages)
    Path(path).write_bytes(data)
    return info
