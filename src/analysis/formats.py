"""Input formats: DOCX, PDF and HTML -> plain text in the shape of a TXT resolution.

Contract
--------
``extract(path) -> Extracted`` reads one DOCX, PDF or HTML file and returns
its text in the same shape as a TXT resolution saved from the UN's documents
(see ``data/raw/``):

* one paragraph per line, a blank line between paragraphs (a line break that
  the source itself puts inside a paragraph, ``<br>`` or Word's soft return,
  stays a single ``\\n``: whether it ends a paragraph is the reader's call);
* footnote references as superscript digits (``¹²³``) attached where they
  were cited (``议定书¹而``);
* footnote bodies as paragraphs of their own that open with the superscript
  mark and a space (``³ CTOC/COP/WG.2/2022/4，第 8 段。``), after the body;
* list numbering that the source generates rather than types (Word's
  ``numPr``, HTML ``<ol>``) written out as a label (``1.``, ``(a)``);
* Traditional Chinese converted to Simplified (``to_simplified``), recorded in
  ``Extracted.converted``.

Nothing that is content is dropped: page furniture (running headers and
footers, page and job numbers) and markup (scripts, navigation) are, and
``Extracted.notes`` says how much of each. The text then goes through exactly
the normalisation a TXT input gets (``analysis.read``): widths, debris, links,
wrapped lines and footnote extraction are decided there, once, for every
format. Plain text (``.txt``) is decoded by the reader itself; ``extract``
accepts it too for symmetry.

Why these libraries
-------------------
* DOCX: python-docx opens the package, but paragraphs are walked on the XML
  (``w:body`` in document order, tables and content controls included),
  because python-docx exposes neither footnotes, nor field results, nor the
  labels Word computes from ``numbering.xml``.
* PDF: **pdfplumber** (built on pdfminer.six). Of pdfplumber, pypdf and
  pdfminer.six it is the one that gives every character with its font, size
  and box, and the page's rules, through one small API; UN layouts need
  exactly that: a footnote mark is only recognisable as a smaller, raised
  digit, a footnote area as smaller lines under a short rule, a running header
  as a line in the margin band repeated across pages, and a paragraph end as a
  line that stops before the column edge. None of the three inserts spaces
  between CJK characters, but their plain-text outputs turn marks into
  ordinary digits (``议定书1而``) and lose the footnote areas; pypdf has no
  character boxes at all, and pdfminer.six's own layout analysis splits
  wrapped paragraphs into separate boxes. Lines are therefore rebuilt here
  from pdfplumber's characters (figures in ``docs/input_formats.md``).
* HTML: BeautifulSoup over lxml; block elements become paragraphs.

What the PDF reader assumes
---------------------------
A single text column per page (UN resolutions in Chinese are set that way),
horizontal text (rotated characters, such as a side barcode, are dropped and
counted), and a text layer (a scanned PDF is refused: it needs OCR).
"""

from __future__ import annotations

import logging
import re
import statistics
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .numerals import int_to_cn, to_roman
from .inputs import InputError, decode_bytes
from .structure import UNIT_HEADER
from .text import DIGIT_TO_SUP, SUPERSCRIPT_DIGITS

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Extracted:
    """What ``extract`` returns; ``text`` is in the shape of a TXT resolution."""

    text: str
    source_format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str  # how the bytes became text: "utf-8" (DOCX XML), the HTML charset, "pdf-tounicode"
    converted: str | None  # "opencc:t2s" when Traditional Chinese was converted, else None
    notes: tuple[str, ...] = ()  # human-readable counts: pages, removed furniture, footnotes …


@dataclass(frozen=True)
class FormatSettings:
    """Thresholds of the extractors; the defaults suit UN documents.

    ``traditional_share``: a text is Traditional when at least this share of
    its CJK characters change under OpenCC t2s (Simplified UN text: 0 %;
    the seed converted with s2t: 37 %), and at least ``traditional_min``
    characters change (a Simplified text quoting one Traditional name stays).
    ``margin_band``: share of the page height at the top and at the bottom
    where running headers and footers are looked for.
    """

    traditional_share: float = 0.05
    traditional_min: int = 3
    margin_band: float = 0.10
    convert_traditional: bool = True


DEFAULT_SETTINGS = FormatSettings()

_EXTRACTORS = {".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html"}


def supported_suffixes() -> tuple[str, ...]:
    """File suffixes ``extract`` turns into text, besides plain text (``.txt``),
    which the reader decodes itself.

    >>> supported_suffixes()
    ('.docx', '.htm', '.html', '.pdf', '.xhtml')
    """
    return tuple(sorted(_EXTRACTORS))


def extract(path: str | Path, settings: FormatSettings = DEFAULT_SETTINGS) -> Extracted:
    """Extract the text of a DOCX, PDF or HTML resolution (see the module docstring).

    Raises ``InputError`` (naming the file) for an unsupported suffix, a file
    that is not what its suffix says, or one without extractable text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".text"):
        text, encoding = decode_bytes(path.read_bytes(), path)
        return _finish(text, "txt", encoding, [], settings)
    kind = _EXTRACTORS.get(suffix)
    if kind is None:
        hint = " (old binary Word format: save it as .docx)" if suffix == ".doc" else ""
        raise InputError(path, f"unsupported file type {suffix!r}{hint}; supported: .txt, "
                         + ", ".join(supported_suffixes()))
    if kind == "docx":
        text, encoding, notes = _extract_docx(path)
    elif kind == "pdf":
        text, encoding, notes = _extract_pdf(path, settings)
    else:
        text, encoding, notes = _extract_html(path)
    if not text.strip():
        raise InputError(path, f"no text found in this {kind.upper()} file")
    return _finish(text, kind, encoding, notes, settings)


def _finish(text: str, kind: str, encoding: str, notes: list[str], settings: FormatSettings) -> Extracted:
    converted = None
    if settings.convert_traditional:
        text, converted = to_simplified(text, settings)
        if converted:
            notes.append(f"Traditional Chinese converted to Simplified ({converted})")
    return Extracted(text=text, source_format=kind, encoding=encoding, converted=converted, notes=tuple(notes))


# --------------------------------------------------------------------------
# Characters
# --------------------------------------------------------------------------

# CJK ideographs, CJK punctuation, full-width forms, and the quotes/ellipsis/dash
# that Chinese text sets as full-width marks: no space is ever wanted between two
# of these.
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
               (0x20000, 0x3FFFF), (0x2018, 0x201F), (0x2026, 0x2026), (0x2014, 0x2014))
_OPENING = set("（《「『〈【〔“‘([{")
_CLOSING = set("，。、；：？！）》」』〉】〕”’…—·%,.;:?!)]}")
_LABEL = re.compile(r"^(?:[(（][a-zA-Zａ-ｚ]{1,4}[)）]|[(（]?\d{1,3}[.．)）]|[一二三四五六七八九十]+、)")


def _is_cjk(ch: str) -> bool:
    """True for a Chinese character or full-width mark.

    >>> [_is_cjk(c) for c in "中，a1“"]
    [True, True, False, False, True]
    """
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK_RANGES)


def _sup_mark(text: str) -> str | None:
    """Superscript form of a footnote mark written as raised text, or None if
    the raised text is not a mark (``1``, ``12``, ``1,2``; not ``er`` or ``*``).

    >>> _sup_mark(" 3 "), _sup_mark("1,2"), _sup_mark("[4]"), _sup_mark("st")
    ('³', '¹,²', '⁴', None)
    """
    t = text.strip().strip("[]()（）")
    if re.fullmatch(r"\d{1,3}(?:\s*[,，]\s*\d{1,3})*", t):
        return re.sub(r"\s+", "", t).translate(DIGIT_TO_SUP)
    return None


def _join(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words
    (or numbers); Chinese is written without spaces.

    >>> _join("毒品和犯罪", "问题办公室"), _join("Office on", "Drugs"), _join("WG.2/2022/4-", "CTOC")
    ('毒品和犯罪问题办公室', 'Office on Drugs', 'WG.2/2022/4-CTOC')
    """
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z0-9]", b[0]):
        return a + " " + b
    return a + b


# --------------------------------------------------------------------------
# Traditional -> Simplified
# --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def _changes_under_t2s(ch: str) -> bool:
    return _t2s().convert(ch) != ch


def traditional_share(text: str) -> tuple[int, int]:
    """``(changed, total)``: CJK ideographs that OpenCC t2s would change, of all.

    >>> traditional_share("聯合國毒品和犯罪問題辦公室")
    (5, 13)
    >>> traditional_share("联合国毒品和犯罪问题办公室")
    (0, 13)
    """
    cjk = [ch for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"]
    return sum(1 for ch in cjk if _changes_under_t2s(ch)), len(cjk)


def to_simplified(text: str, settings: FormatSettings = DEFAULT_SETTINGS) -> tuple[str, str | None]:
    """Convert Traditional Chinese text to Simplified; return ``(text, converted)``.

    The decision is made once for the whole text, from the share of its
    ideographs that t2s would change (``FormatSettings.traditional_share``), so
    a Simplified text is returned untouched, character for character: OpenCC
    also rewrites a few characters that are valid Simplified, and a mixed
    decision per line would make one resolution half-converted.
    ``converted`` is ``"opencc:t2s"`` when the text was converted, else None.

    >>> to_simplified("各國應考慮加強執法和刑事司法官員的能力")
    ('各国应考虑加强执法和刑事司法官员的能力', 'opencc:t2s')
    >>> to_simplified("各国应考虑加强执法能力")
    ('各国应考虑加强执法能力', None)
    """
    changed, total = traditional_share(text)
    if total == 0 or changed < settings.traditional_min or changed / total < settings.traditional_share:
        return text, None
    logger.info("Traditional Chinese detected (%d of %d ideographs change under t2s): converting",
                changed, total)
    return _t2s().convert(text), "opencc:t2s"


# --------------------------------------------------------------------------
# List labels (Word numbering formats, HTML <ol> types)
# --------------------------------------------------------------------------



def _letters(n: int, upper: bool) -> str:
    # Word and browsers: a … z, aa … zz, aaa …
    ch = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
    return ch.upper() if upper else ch


def format_number(n: int, fmt: str) -> str:
    """Render ``n`` in a Word ``numFmt`` (also used for HTML list types).

    >>> [format_number(3, f) for f in ("decimal", "lowerLetter", "upperRoman", "chineseCounting")]
    ['3', 'c', 'III', '三']
    >>> format_number(27, "lowerLetter")
    'aa'
    """
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n, fmt == "upperLetter")
    if fmt in ("lowerRoman", "upperRoman"):
        return to_roman(n, upper=fmt == "upperRoman")
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "taiwaneseCounting",
               "ideographDigital", "japaneseCounting"):
        return int_to_cn(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return str(n)


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _wval(el, attr: str = "val"):
    return None if el is None else el.get(_w(attr))


# Inline containers whose runs are part of the paragraph text; anything else
# inside a paragraph (w:del, w:moveFrom, w:pPr, comments …) is not.
_INLINE_CONTAINERS = {_w(t) for t in ("hyperlink", "ins", "smartTag", "customXml", "fldSimple", "moveTo",
                                      "sdt", "sdtContent", "dir", "bdo")}


class _WordNumbering:
    """Labels of Word list paragraphs, computed like Word does from numbering.xml.

    Counters belong to the abstract list (``w:abstractNum``), so paragraphs of
    one list keep counting across headings and other paragraphs in between; a
    ``w:num`` with ``w:startOverride`` restarts its level the first time it is
    used; a level resets the levels below it.
    """

    def __init__(self, root):
        self.levels: dict[str, dict[int, dict]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = defaultdict(dict)
        self.started: set[str] = set()
        if root is None:
            return
        for absn in root.findall(_w("abstractNum")):
            lv = {}
            for lvl in absn.findall(_w("lvl")):
                lv[int(lvl.get(_w("ilvl"), "0"))] = self._level(lvl)
            self.levels[absn.get(_w("abstractNumId"))] = lv
        for num in root.findall(_w("num")):
            overrides: dict[int, int] = {}
            for ov in num.findall(_w("lvlOverride")):
                so = ov.find(_w("startOverride"))
                if so is not None:
                    overrides[int(ov.get(_w("ilvl"), "0"))] = int(_wval(so) or 1)
                lvl = ov.find(_w("lvl"))
                if lvl is not None:  # a full level override: keep it under a private abstract id
                    key = f"num{num.get(_w('numId'))}"
                    base = dict(self.levels.get(_wval(num.find(_w("abstractNumId"))), {}))
                    base[int(ov.get(_w("ilvl"), "0"))] = self._level(lvl)
                    self.levels[key] = base
            abs_id = _wval(num.find(_w("abstractNumId")))
            if f"num{num.get(_w('numId'))}" in self.levels:
                abs_id = f"num{num.get(_w('numId'))}"
            self.nums[num.get(_w("numId"))] = (abs_id, overrides)

    @staticmethod
    def _level(lvl) -> dict:
        return {
            "start": int(_wval(lvl.find(_w("start"))) or 1),
            "fmt": _wval(lvl.find(_w("numFmt"))) or "decimal",
            "text": _wval(lvl.find(_w("lvlText"))) or "",
            "suff": _wval(lvl.find(_w("suff"))) or "tab",
            "legal": lvl.find(_w("isLgl")) is not None,
        }

    def label(self, num_id: str, ilvl: int) -> tuple[str, str] | None:
        """Advance the list and return ``(label, suffix)``; None for bullets or no numbering."""
        if num_id not in self.nums:
            return None
        abs_id, overrides = self.nums[num_id]
        levels = self.levels.get(abs_id, {})
        if ilvl not in levels:
            return None
        counters = self.counters[abs_id]
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                counters[lv] = start - 1
                for deeper in [k for k in counters if k > lv]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, levels[ilvl]["start"] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        lvl = levels[ilvl]
        if lvl["fmt"] in ("bullet", "none"):
            return None

        def render(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            spec = levels.get(k, lvl)
            n = counters.get(k, spec["start"])
            return format_number(n, "decimal" if lvl["legal"] else spec["fmt"])

        text = re.sub(r"%(\d)", render, lvl["text"])
        return (text, lvl["suff"]) if text.strip() else None


class _Docx:
    """Walks one DOCX package and renders its paragraphs as text lines."""

    def __init__(self, path: Path):
        import docx
        from lxml import etree

        self.path = path
        try:
            self.doc = docx.Document(str(path))
        except Exception as exc:
            raise InputError(path, f"this DOCX file is damaged or is not a Word document ({type(exc).__name__}: "
                             f"{exc}); save it again from Word") from None
        part = self.doc.part
        self.styles = self._styles(part)
        try:
            numbering_root = part.numbering_part.element
        except (KeyError, NotImplementedError):
            numbering_root = None
        self.numbering = _WordNumbering(numbering_root)
        self.notes_xml = {"footnote": None, "endnote": None}
        for rel in part.rels.values():
            if rel.is_external:
                continue
            if rel.reltype == _RT_FOOTNOTES:
                self.notes_xml["footnote"] = etree.fromstring(rel.target_part.blob)
            elif rel.reltype == _RT_ENDNOTES:
                self.notes_xml["endnote"] = etree.fromstring(rel.target_part.blob)
        self.note_start = self._note_start(part)
        # display numbers of notes, in order of first reference: (kind, id) -> number
        self.note_numbers: dict[tuple[str, str], int] = {}
        self.counts = Counter()

    # ---- styles -----------------------------------------------------------
    @staticmethod
    def _styles(part) -> dict[str, dict]:
        out: dict[str, dict] = {}
        try:
            root = part.styles.element
        except Exception:  # a package without styles.xml
            return out
        for st in root.findall(_w("style")):
            rpr = st.find(_w("rPr"))
            ppr = st.find(_w("pPr"))
            numpr = ppr.find(_w("numPr")) if ppr is not None else None
            out[st.get(_w("styleId"))] = {
                "based_on": _wval(st.find(_w("basedOn"))),
                "vert": _wval(rpr.find(_w("vertAlign"))) if rpr is not None else None,
                "num_id": _wval(numpr.find(_w("numId"))) if numpr is not None else None,
                "ilvl": _wval(numpr.find(_w("ilvl"))) if numpr is not None else None,
            }
        return out

    def _style_attr(self, style_id: str | None, attr: str):
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            st = self.styles.get(style_id)
            if st is None:
                return None
            if st[attr] is not None:
                return st[attr]
            style_id = st["based_on"]
        return None

    @staticmethod
    def _note_start(part) -> int:
        try:
            settings = part.package.main_document_part._settings_part.element  # noqa: SLF001
        except Exception:
            return 1
        start = settings.find(f"{_w('footnotePr')}/{_w('numStart')}")
        return int(_wval(start) or 1) if start is not None else 1

    # ---- runs and paragraphs ---------------------------------------------
    def _is_superscript(self, run) -> bool:
        rpr = run.find(_w("rPr"))
        if rpr is not None:
            va = _wval(rpr.find(_w("vertAlign")))
            if va is not None:
                return va == "superscript"
            style = _wval(rpr.find(_w("rStyle")))
            if style:
                return self._style_attr(style, "vert") == "superscript"
        return False

    def _note_mark(self, kind: str, note_id: str) -> str:
        key = (kind, note_id)
        if key not in self.note_numbers:
            n = self.note_start + sum(1 for k in self.note_numbers if k[0] == kind)
            self.note_numbers[key] = n
        return str(self.note_numbers[key]).translate(DIGIT_TO_SUP)

    def _run_text(self, run, out: list[str], own_note: str | None) -> None:
        sup = self._is_superscript(run)
        for el in run:
            tag = el.tag
            if tag == _w("t"):
                t = el.text or ""
                mark = _sup_mark(t) if sup else None
                out.append(mark if mark else t)
            elif tag in (_w("tab"), _w("ptab")):
                out.append("\t")
            elif tag == _w("br"):
                if _wval(el, "type") in (None, "textWrapping"):
                    out.append("\n")  # page and column breaks are layout, not text
            elif tag == _w("cr"):
                out.append("\n")
            elif tag == _w("noBreakHyphen"):
                out.append("-")
            elif tag in (_w("footnoteReference"), _w("endnoteReference")):
                kind = "footnote" if tag == _w("footnoteReference") else "endnote"
                if el.get(_w("customMarkFollows")) in ("1", "true", "on"):
                    continue  # the mark is typed in the next run
                out.append(self._note_mark(kind, el.get(_w("id"))))
                self.counts[f"{kind} references"] += 1
            elif tag in (_w("footnoteRef"), _w("endnoteRef")) and own_note:
                out.append(own_note)
            elif tag == _w("sym"):
                code = el.get(_w("char"))
                if code:
                    ch = chr(int(code, 16))
                    if not 0xF000 <= ord(ch) <= 0xF0FF:  # symbol-font private area: no Unicode meaning
                        out.append(ch)
            elif tag == f"{{{_MC}}}AlternateContent":
                continue

    def _inline(self, el, out: list[str], own_note: str | None, boxes: list) -> None:
        for child in el:
            tag = child.tag
            if tag == _w("r"):
                self._run_text(child, out, own_note)
                boxes.extend(b for b in child.iter(_w("txbxContent"))
                             if not any(a.tag == f"{{{_MC}}}Fallback" for a in b.iterancestors()))
            elif tag in _INLINE_CONTAINERS:
                self._inline(child, out, own_note, boxes)

    def _numbering_of(self, p) -> tuple[str | None, int]:
        ppr = p.find(_w("pPr"))
        num_id = ilvl = None
        if ppr is not None:
            numpr = ppr.find(_w("numPr"))
            if numpr is not None:
                num_id = _wval(numpr.find(_w("numId")))
                ilvl = _wval(numpr.find(_w("ilvl")))
            if num_id is None:
                style = _wval(ppr.find(_w("pStyle")))
                if style:
                    num_id = self._style_attr(style, "num_id")
                    ilvl = ilvl or self._style_attr(style, "ilvl")
        return (None if num_id in (None, "0") else num_id), int(ilvl or 0)

    def paragraph(self, p, own_note: str | None = None) -> tuple[str, list]:
        """Text of a ``w:p`` (label reconstructed, tabs as spaces) and its text boxes."""
        out: list[str] = []
        boxes: list = []
        self._inline(p, out, own_note, boxes)
        text = "".join(out).replace("\t", " ")
        text = "\n".join(line.strip() for line in text.split("\n")).strip()
        num_id, ilvl = self._numbering_of(p)
        if num_id is not None:
            got = self.numbering.label(num_id, ilvl)
            # An analyst's copy may carry the label both as numbering and typed
            # (after a paste); write it once.
            if got and text and not _LABEL.match(text):
                label, suff = got
                text = label + ("" if suff == "nothing" else " ") + text
                self.counts["numbered paragraphs"] += 1
        return text, boxes

    def blocks(self, container, own_note: str | None = None) -> list[str]:
        """Paragraph texts of a body, table cell, text box or note, in document order."""
        paras: list[str] = []
        for el in container:
            tag = el.tag
            if tag == _w("p"):
                text, boxes = self.paragraph(el, own_note)
                if text:
                    paras.append(text)
                    own_note = None  # the note mark opens only the first paragraph
                for box in boxes:
                    self.counts["text boxes"] += 1
                    paras.extend(self.blocks(box))
            elif tag == _w("tbl"):
                self.counts["tables"] += 1
                for tr in el.findall(_w("tr")):
                    for tc in tr.findall(_w("tc")):
                        paras.extend(self.blocks(tc))
            elif tag in (_w("sdt"), _w("customXml")):
                content = el.find(_w("sdtContent")) if tag == _w("sdt") else el
                if content is not None:
                    paras.extend(self.blocks(content, own_note))
            elif tag == _w("sdtContent"):
                paras.extend(self.blocks(el, own_note))
        return paras

    def notes(self, kind: str) -> list[str]:
        """Note bodies, in the order of their display numbers, each as one paragraph."""
        root = self.notes_xml[kind]
        if root is None:
            return []
        by_id = {n.get(_w("id")): n for n in root.findall(_w(kind))
                 if n.get(_w("type")) in (None, "normal")}
        out = []
        referenced = sorted(((num, nid) for (k, nid), num in self.note_numbers.items() if k == kind))
        for num, nid in referenced:
            note = by_id.get(nid)
            if note is None:
                continue
            mark = str(num).translate(DIGIT_TO_SUP)
            paras = self.blocks(note, own_note=mark)
            body = ""
            for para in paras:
                body = _join(body, para.replace("\n", " "))
            if not body.startswith(mark):
                body = mark + body
            rest = body[len(mark):].strip()
            out.append(f"{mark} {rest}")
        # a note never cited (or cited only with a custom mark) is still content
        unreferenced = [note for nid, note in by_id.items() if (kind, nid) not in self.note_numbers]
        if unreferenced:
            self.counts[f"{kind}s without a numbered reference (kept at the end)"] += len(unreferenced)
        for note in unreferenced:
            text = " ".join(self.blocks(note)).strip()
            if text:
                out.append(text)
        return out


def _xml_encoding(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            head = zf.read("word/document.xml")[:200]
    except (KeyError, zipfile.BadZipFile, OSError):
        return "utf-8"
    m = re.search(rb'encoding=["\']([A-Za-z0-9_\-]+)', head)
    return m.group(1).decode().lower() if m else "utf-8"


def _extract_docx(path: Path) -> tuple[str, str, list[str]]:
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"PK\x03\x04"):  # a ZIP package whose end (its table of contents) is missing
            raise InputError(path, "this DOCX file is damaged (truncated: the end of its ZIP package is missing, as "
                             "after an interrupted download or copy); save it again from Word, or fetch it again")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputError(path, "this is an old binary Word document (.doc) named .docx; open it in Word and "
                             "save it as .docx")
        raise InputError(path, "not a DOCX file (a DOCX is a ZIP package); an old .doc must be saved as .docx")
    d = _Docx(path)
    body = d.doc.element.body
    paras = d.blocks(body)
    footnotes = d.notes("footnote")
    endnotes = d.notes("endnote")
    if footnotes and endnotes:
        logger.warning("%s: has footnotes and endnotes, both numbered from 1", path.name)
    paras += footnotes + endnotes
    notes = [f"docx: {len(paras)} paragraphs, {len(footnotes)} footnotes, {len(endnotes)} endnotes"]
    notes += [f"docx: {n} {what}" for what, n in sorted(d.counts.items())]
    logger.info("%s: %s", path.name, "; ".join(notes))
    return "\n\n".join(paras) + "\n", _xml_encoding(path), notes


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "blockquote",
               "section", "article", "main", "aside", "header", "footer", "caption", "figcaption", "tr",
               "table", "thead", "tbody", "tfoot", "ul", "ol", "dl", "address", "center", "figure",
               "fieldset", "form", "hr", "body", "html", "pre", "details", "summary", "hgroup"}
_DROP_TAGS = {"script", "style", "nav", "noscript", "template", "head", "svg", "math", "iframe", "object",
              "embed", "canvas", "button", "select", "input", "textarea", "map", "audio", "video"}
# class/id tokens of a footnote section (whole tokens: "has-footnotes" on a body wrapper is not one)
_FOOTNOTE_AREA = re.compile(r"^(?:(?:foot|end)-?notes?|fn-?list|fns|(?:foot|end)notes?[-_](?:list|section|area|block))$",
                            re.I)
_BACKREF = re.compile(r"fnref|backref|footnote-back|back-?link|noteref", re.I)
_OL_TYPES = {"1": "decimal", "a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman"}
_CSS_TYPES = {"lower-alpha": "lowerLetter", "lower-latin": "lowerLetter", "upper-alpha": "upperLetter",
              "upper-latin": "upperLetter", "lower-roman": "lowerRoman", "upper-roman": "upperRoman",
              "decimal": "decimal", "cjk-ideographic": "chineseCounting", "none": "none"}


def _is_hidden(el) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return (el.has_attr("hidden") or el.get("aria-hidden") == "true"
            or "display:none" in style or "visibility:hidden" in style)


def _is_footnote_area(el) -> bool:
    if el.name in ("a", "sup", "span"):
        return False
    tokens = [el.get("id") or "", *(el.get("class") or []), *(el.get("epub:type") or "").split()]
    return any(_FOOTNOTE_AREA.match(t) for t in tokens if t) \
        or (el.get("role") or "") in ("doc-endnotes", "doc-footnotes", "doc-footnote", "doc-endnote")


def _is_sup(el) -> bool:
    if el.name == "sup":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "vertical-align:super" in style


class _Html:
    """Walks a parsed page, collecting paragraphs: inline content accumulates
    in ``buf`` and every block element boundary flushes it."""

    def __init__(self):
        from bs4 import Comment, NavigableString, Tag

        self._types = (Comment, NavigableString, Tag)
        self.paras: list[str] = []  # finished paragraphs
        self.buf: list[str] = []  # inline text of the open paragraph
        self.counts = Counter()

    def flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        lines = []
        for line in text.split("\n"):
            line = re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip()
            # spaces between two Chinese characters come from source line breaks
            line = re.sub(r"(?<=[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]) (?=[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f])", "", line)
            if line:
                lines.append(line)
        if lines:
            self.paras.append("\n".join(lines))

    def text_of(self, el) -> str:
        return re.sub(r"\s+", "", el.get_text())

    def walk(self, el, in_notes: bool = False, pre: bool = False) -> None:
        for child in el.children:
            self.visit(child, in_notes, pre)

    def visit(self, child, in_notes: bool = False, pre: bool = False) -> None:
        Comment, NavigableString, Tag = self._types
        if isinstance(child, Comment):
            return
        if isinstance(child, NavigableString):
            if type(child).__name__ in ("Doctype", "Declaration", "ProcessingInstruction", "CData"):
                return
            s = str(child)
            self.buf.append(s if pre else re.sub(r"[ \t\r\n\f\v]+", " ", s))
            return
        if not isinstance(child, Tag):
            return
        name = child.name.lower()
        if name in _DROP_TAGS or _is_hidden(child) or (child.get("role") or "") == "navigation":
            self.counts[f"<{name}> dropped"] += 1
            return
        if name == "br":
            self.buf.append("\n")
            return
        if name == "img":
            return
        if name == "a" and in_notes and (_BACKREF.search((child.get("href") or "") + " "
                                                         + " ".join(child.get("class") or []))
                                         or self.text_of(child) in ("↩", "↑", "^", "↩︎")):
            return  # the "back to text" link of a footnote
        if _is_sup(child) or self._is_note_ref(child):
            mark = _sup_mark(self.text_of(child))
            if mark:
                self.buf.append(mark)
                self.counts["superscript marks"] += 1
                return
        notes_here = in_notes or _is_footnote_area(child)
        if notes_here and not in_notes:
            self.counts["footnote areas"] += 1
        if name in ("ol", "ul"):
            self.flush()
            self.walk_list(child, notes_here, pre)
            self.flush()
            return
        if name in _BLOCK_TAGS:
            self.flush()
            start = len(self.paras)
            self.walk(child, notes_here, pre or name == "pre")
            self.flush()
            if notes_here:
                for i in range(start, len(self.paras)):
                    self.paras[i] = _note_paragraph(self.paras[i])
            return
        self.walk(child, notes_here, pre)

    def _is_note_ref(self, el) -> bool:
        # <a href="#fn3">[3]</a> or <a class="footnote-ref">3</a>, without <sup>
        if el.name != "a":
            return False
        href = el.get("href") or ""
        cls = " ".join(el.get("class") or [])
        return bool(re.match(r"#(fn|_ftn|footnote|ftn|note|edn)", href, re.I) or re.search(r"footnote-ref|fnref", cls, re.I)) \
            and bool(re.fullmatch(r"[\[(（]?\d{1,3}[\])）]?", self.text_of(el)))

    def walk_list(self, lst, in_notes: bool, pre: bool) -> None:
        Tag = self._types[2]
        fmt = _OL_TYPES.get(lst.get("type") or "1", "decimal") if lst.name == "ol" else "bullet"
        m = re.search(r"list-style(?:-type)?:\s*([a-z\-]+)", (lst.get("style") or "").lower())
        if m and m.group(1) in _CSS_TYPES:
            fmt = _CSS_TYPES[m.group(1)]
        try:
            n = int(lst.get("start") or 1) - 1
        except ValueError:
            n = 0
        for child in lst.children:
            if not isinstance(child, Tag):
                if str(child).strip():
                    self.buf.append(str(child))
                continue
            if child.name != "li":  # a stray element directly inside <ol>/<ul>
                self.flush()
                self.visit(child, in_notes, pre)
                self.flush()
                continue
            if _is_hidden(child):
                continue
            try:
                n = int(child.get("value")) if child.get("value") else n + 1
            except ValueError:
                n += 1
            self.flush()
            start = len(self.paras)
            self.walk(child, in_notes, pre)
            self.flush()
            if len(self.paras) > start:
                first = self.paras[start]
                if in_notes:
                    if not first.startswith(tuple(SUPERSCRIPT_DIGITS)):
                        first = str(n).translate(DIGIT_TO_SUP) + " " + first
                    first = _note_paragraph(first)
                    # a footnote is one paragraph
                    first = "".join([first] + [" " + p for p in self.paras[start + 1:]])
                    del self.paras[start + 1:]
                elif fmt not in ("bullet", "none") and not _LABEL.match(first):
                    num = format_number(n, fmt)
                    label = {"decimal": f"{num}.", "chineseCounting": f"{num}、"}.get(fmt, f"({num})")
                    first = f"{label} {first}"
                    self.counts["list labels written out"] += 1
                self.paras[start] = first


def _note_paragraph(text: str) -> str:
    """Shape a footnote paragraph as ``³ text``: a leading ``1.``, ``[1]`` or
    ``1 `` becomes the superscript mark.

    >>> _note_paragraph("[3] CTOC/COP/WG.2/2022/4，第 8 段。"), _note_paragraph("³CTOC")
    ('³ CTOC/COP/WG.2/2022/4，第 8 段。', '³ CTOC')
    """
    m = re.match(rf"^\s*(?:([{SUPERSCRIPT_DIGITS}]+)|[\[(（]?(\d{{1,3}})[\])）.．]?(?=\s))\s*(.*)$", text, re.S)
    if not m or not m.group(3):
        return text
    mark = m.group(1) or m.group(2).translate(DIGIT_TO_SUP)
    return f"{mark} {m.group(3).strip()}"


def _extract_html(path: Path) -> tuple[str, str, list[str]]:
    from bs4 import BeautifulSoup, UnicodeDammit

    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty")
    dammit = UnicodeDammit(data, is_html=True)
    if dammit.unicode_markup is None or dammit.contains_replacement_characters:
        raise InputError(path, "undecodable bytes: cannot tell this HTML file's character encoding; "
                         "save it as UTF-8")
    soup = BeautifulSoup(dammit.unicode_markup, "lxml")
    h = _Html()
    root = soup.body or soup
    h.walk(root)
    h.flush()
    # notes marked only by their shape (<p><sup>3</sup> …</p> at the end) are
    # already in shape: the superscript became the mark.
    paras = [_note_paragraph(p) if p[:1] in SUPERSCRIPT_DIGITS else p for p in h.paras]
    notes = [f"html: {len(paras)} paragraphs"] + [f"html: {n} {what}" for what, n in sorted(h.counts.items())]
    logger.info("%s: %s", path.name, "; ".join(notes))
    return "\n\n".join(paras) + "\n", (dammit.original_encoding or "utf-8").lower(), notes


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

@dataclass
class _Ch:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    font: str
    sup: bool = False

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass
class _Line:
    page: int
    chars: list[_Ch]  # sorted by x0, superscripts included
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    text: str = ""
    cjk_font: str | None = None
    kind: str = "body"  # body | furniture | footnote

    def finish(self) -> "_Line":
        self.chars.sort(key=lambda c: c.x0)
        main = [c for c in self.chars if not c.sup and not c.text.isspace()] or \
            [c for c in self.chars if not c.text.isspace()] or self.chars
        self.top = min(c.top for c in main)
        self.bottom = statistics.median(c.bottom for c in main)
        self.size = Counter(round(c.size, 1) for c in main).most_common(1)[0][0]
        visible = [c for c in self.chars if not c.text.isspace()] or self.chars
        self.x0 = min(c.x0 for c in visible)
        self.x1 = max(c.x1 for c in visible)
        fonts = Counter(c.font for c in main if _is_cjk(c.text[:1] or "a") and not c.text.isspace())
        self.cjk_font = fonts.most_common(1)[0][0] if fonts else None
        self.text = _line_text(self.chars)
        return self


def _line_text(chars: list[_Ch]) -> str:
    """Characters of one line -> text: superscript digits as marks attached to
    the preceding character, no space between Chinese characters, a space for
    a real space character or a visible gap between Latin characters."""
    out: list[str] = []
    prev: _Ch | None = None
    pending_space = False
    for c in chars:
        if c.text.isspace() or not c.text:
            pending_space = prev is not None
            continue
        t = c.text.translate(DIGIT_TO_SUP) if c.sup else c.text
        if prev is not None:
            gap = c.x0 - prev.x1
            size = min(prev.size, c.size) if not (prev.sup or c.sup) else max(prev.size, c.size)
            if c.sup:
                space = False
            elif _is_cjk(prev.text[-1]) and _is_cjk(c.text[0]):
                space = False
            elif pending_space:
                space = True
            else:
                space = gap > 0.25 * size
            if space:
                out.append(" ")
        out.append(t)
        prev = c
        pending_space = False
    return "".join(out)


_DEBRIS_TOKEN = re.compile(
    r"""^(?:
        [A-Z]{1,6}(?:\.\d+)?(?:/[A-Za-z0-9][A-Za-z0-9.\-*]*)+     # document symbol: CTOC/COP/2022/15
      | [A-Z]{1,3}\.?\d{2}-\d{4,6}(?:\(\w\))?                     # job number: V.22-12345, GE.22-01234(C)
      | \(\w\)                                                    # language tag (C)
      | \*\d{6,}\*                                                # barcode text
      | -\s?\d{1,4}\s?-                                           # page number - 3 -
      | \d{1,4}(?:\s?/\s?\d{1,4})?                                # page number 3 or 2/4
      | 第\d{1,4}页(?:[,，]?共\d{1,4}页)?                          # 第 2 页
    )$""",
    re.X,
)


def _is_furniture_text(text: str) -> bool:
    """A line made only of running-header/footer tokens.

    >>> [_is_furniture_text(s) for s in ["CTOC/COP/2022/15", "V.22-12345 2/4", "2/4", "附件一"]]
    [True, True, True, False]
    """
    tokens = re.sub(r"第\s*(\d+)\s*页", r"第\1页", text).split()
    return bool(tokens) and all(_DEBRIS_TOKEN.match(t) for t in tokens)


def _page_lines(page, pno: int, counts: Counter) -> tuple[list[_Line], list[tuple[float, float, float]]]:
    """Lines of one page (superscripts merged into their line) and its horizontal rules."""
    chars: list[_Ch] = []
    seen: set[tuple[str, int, int]] = set()
    for c in page.chars:
        # fake bold: the same glyph printed twice, a fraction of a point apart
        # (pdfplumber's dedupe_chars does this too, at a quarter of the run time)
        where = (c.get("text") or "", round(float(c["x0"])), round(float(c["top"])))
        if where in seen:
            counts["duplicate characters dropped"] += 1
            continue
        seen.add(where)
        if not c.get("upright", True):
            counts["rotated characters dropped"] += 1
            continue
        text = c.get("text") or ""
        if not text:
            continue
        chars.append(_Ch(text=text, x0=float(c["x0"]), x1=float(c["x1"]), top=float(c["top"]),
                         bottom=float(c["bottom"]), size=float(c.get("size") or (c["bottom"] - c["top"])),
                         font=re.sub(r"^[A-Z]{6}\+", "", c.get("fontname") or "")))
    rules = []
    for obj in list(page.lines) + list(page.rects):
        w = float(obj["x1"]) - float(obj["x0"])
        h = abs(float(obj["bottom"]) - float(obj["top"]))
        if h <= 2.0 and w >= 20:
            rules.append((float(obj["x0"]), float(obj["x1"]), float(obj["top"])))
    if not chars:
        return [], rules

    # 1. rows by baseline (the bottom of the character box)
    chars.sort(key=lambda c: (c.bottom, c.x0))
    rows: list[list[_Ch]] = []
    ref = None
    for c in chars:
        if rows and abs(c.bottom - ref[0]) <= 0.15 * max(c.size, ref[1]):
            rows[-1].append(c)
        else:
            rows.append([c])
            ref = (c.bottom, c.size)
    lines = [_Line(page=pno, chars=r).finish() for r in rows]

    # 2. small raised characters inside a row
    for ln in lines:
        for c in ln.chars:
            if c.size < 0.85 * ln.size and c.bottom < ln.bottom - 0.12 * ln.size and c.text.strip():
                c.sup = True

    # 3. rows of small raised digits belong to the line below them
    merged: set[int] = set()
    for i, r in enumerate(lines):
        vis = [c for c in r.chars if c.text.strip()]
        if not vis or not re.fullmatch(r"[0-9*†‡§,，\s]+", r.text):
            continue
        best = None
        for j, q in enumerate(lines):
            if j == i or j in merged or q.size <= 0:
                continue
            rise = q.bottom - r.bottom
            if not (0.12 * q.size < rise < 0.8 * q.size):
                continue
            if max(c.size for c in vis) >= 0.9 * q.size:
                continue
            if r.x0 < q.x0 - 2 * q.size or r.x1 > q.x1 + 2 * q.size:
                continue
            if best is None or rise < best[0]:
                best = (rise, j)
        if best is not None:
            for c in r.chars:
                c.sup = bool(c.text.strip())
            lines[best[1]].chars.extend(r.chars)
            merged.add(i)
            counts["superscript marks"] += sum(1 for c in vis if c.text.isdigit())
    lines = [ln.finish() for i, ln in enumerate(lines) if i not in merged]
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines, rules


def _edge(xs: list[float], q: float) -> float:
    """The column edge from line ends (or starts): the most common position when
    lines are justified to it, else the ``q`` quantile. Not the extreme: closing
    punctuation may hang into the margin, and a centred title starts anywhere.

    >>> _edge([522.0, 522.0, 527.0, 300.0, 522.0, 521.8], 0.9)
    522.0
    >>> _edge([300.0] * 4 + [513.0] * 3 + [168.0] * 3, 0.9)
    513.0
    """
    # Several positions may be common (a page of equal short titles); the
    # column edge is the outermost one lines are justified to.
    counts = Counter(round(x) for x in xs)
    common = [pos for pos, n in counts.items() if n >= max(3, 0.2 * len(xs))]
    if common:
        edge = max(common) if q >= 0.5 else min(common)
        near = [x for x in xs if abs(x - edge) <= 0.5]
        return statistics.median(near)
    xs = sorted(xs)
    return xs[int(q * (len(xs) - 1))]


def _first_unit_width(line: _Line) -> tuple[float, bool]:
    """Width of what would have to fit at the end of the previous line for the
    typesetter to have put it there: the first Chinese character (with the
    closing punctuation that may not start a line), or the first Latin word.
    Also says whether the unit is Latin (it would need a space before it)."""
    chars = line.chars
    i, n, w = 0, len(chars), 0.0
    while i < n and chars[i].text.isspace():
        i += 1
    # opening punctuation may not end a line, and a footnote mark that wrapped
    # to the line start could not have stayed behind alone either
    while i < n and (chars[i].text in _OPENING or chars[i].sup or chars[i].text.isspace()):
        w += chars[i].width
        i += 1
    latin = i < n and not _is_cjk(chars[i].text[:1] or "a")
    if i < n and not latin:
        w += chars[i].width
        i += 1
    else:
        while i < n and not chars[i].text.isspace() and not _is_cjk(chars[i].text[:1] or "a"):
            w += chars[i].width
            i += 1
    while i < n and (chars[i].text in _CLOSING or chars[i].sup):
        w += chars[i].width
        i += 1
    return w, latin


def _label_then_space(line: _Line) -> bool:
    """The line opens with an enumerator set apart by a space or a gap, as a
    paragraph label is (``(b) 联合国…``), unlike an enumeration running inside
    a sentence (``；(b)追查…``)."""
    m = _LABEL.match(line.text)
    if not m:
        return False
    rest = line.text[m.end():]
    return rest[:1] == " " or rest[:1] == "\t"


def _extract_pdf(path: Path, settings: FormatSettings = DEFAULT_SETTINGS) -> tuple[str, str, list[str]]:
    """Text of a PDF, rebuilt from its characters.

    1. Lines: characters grouped by baseline; a row of small digits raised less
       than a line above a larger line is that line's footnote marks.
    2. Running headers and footers: lines in the top or bottom margin band that
       repeat across pages (digits ignored, so ``2/4`` and ``3/4`` repeat) or
       are made only of symbols, job numbers and page numbers.
    3. Footnote areas: below a short rule, lines all smaller than the body
       text; without a rule, the smaller lines at the foot of the page from the
       first one that opens with a mark. A note continues until the next mark,
       also onto the next page.
    4. Paragraphs: consecutive body lines are one paragraph unless the next
       line is in another size or typeface, is further down than the usual
       line pitch, changes indentation after a paragraph's second line, opens
       with a label set off by a space (see ``strong_labels``), or the previous
       line stopped early: its remaining width would have held the next line's
       first unit (a Chinese character with its closing punctuation, or a
       Latin word). Page breaks are not paragraph breaks.
    """
    import pdfplumber

    with open(path, "rb") as fh:
        if b"%PDF" not in fh.read(1024):
            raise InputError(path, "not a PDF file (no %PDF header)")
    counts: Counter = Counter()
    pages: list[tuple[float, float, list[_Line], list]] = []
    try:
        pdf = pdfplumber.open(str(path))
    except Exception as exc:
        raise InputError(path, f"not a readable PDF file ({type(exc).__name__}: {exc})") from None
    with pdf:
        for pno, page in enumerate(pdf.pages):
            lines, rules = _page_lines(page, pno, counts)
            pages.append((float(page.width), float(page.height), lines, rules))
            page.close()  # free the page's parsed objects: long reports stay small in memory
    n_pages = len(pages)
    all_lines = [ln for _, _, ls, _ in pages for ln in ls]
    if not all_lines:
        raise InputError(path, "this PDF has no text layer (a scan?): it needs OCR before it can be read")
    if sum(ln.text.count("(cid:") for ln in all_lines) > 10:
        raise InputError(path, "this PDF's fonts carry no Unicode mapping ((cid:…) codes): "
                         "export it again from the source document")

    # ---- running headers and footers --------------------------------------
    band_keys: dict[str, set[int]] = defaultdict(set)

    def key(ln: _Line) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", ln.text))

    def in_band(ln: _Line, height: float) -> bool:
        return ln.bottom <= settings.margin_band * height or ln.top >= (1 - settings.margin_band) * height

    for _, height, lines, _ in pages:
        for ln in lines:
            if in_band(ln, height):
                band_keys[key(ln)].add(ln.page)
    removed = Counter()
    for _, height, lines, _ in pages:
        for ln in lines:
            if not in_band(ln, height):
                continue
            on_pages = len(band_keys[key(ln)])
            # UN running heads are symbols; a Chinese line must repeat on most
            # pages to count (each resolution of a report may start a page)
            chinese = bool(re.search(r"[\u4e00-\u9fff]", ln.text))
            repeated = on_pages >= 2 and (not chinese or on_pages >= max(3, 0.5 * n_pages))
            if repeated or _is_furniture_text(ln.text):
                ln.kind = "furniture"
                removed[key(ln)] += 1
    counts["running header/footer lines removed"] = sum(removed.values())

    # ---- body font size ---------------------------------------------------
    size_weight: Counter = Counter()
    for ln in all_lines:
        if ln.kind == "body":
            size_weight[ln.size] += sum(1 for c in ln.chars if not c.sup and c.text.strip())
    body_size = size_weight.most_common(1)[0][0] if size_weight else 10.0

    # ---- footnote areas ---------------------------------------------------
    def opens_note(ln: _Line) -> bool:
        vis = [c for c in ln.chars if c.text.strip()]
        if vis and vis[0].sup and vis[0].text.isdigit():
            return True
        return bool(re.match(r"^\d{1,3}\s+\S", ln.text)) and ln.size < 0.92 * body_size

    for _, height, lines, rules in pages:
        content = [ln for ln in lines if ln.kind == "body"]
        if not content:
            continue
        start = None
        for x0, x1, y in sorted(rules, key=lambda r: -r[2]):  # lowest rule first
            below = [ln for ln in content if ln.top >= y - 1]
            above = [ln for ln in content if ln.bottom < y]
            if below and above and all(ln.size < 0.95 * body_size for ln in below) \
                    and (x1 - x0) < 0.7 * (max(ln.x1 for ln in content) - min(ln.x0 for ln in content)):
                start = content.index(below[0])
                break
        if start is None:
            # no rule: the run of smaller lines at the bottom, from its first numbered line
            i = len(content)
            while i > 0 and content[i - 1].size < 0.92 * body_size:
                i -= 1
            for j in range(i, len(content)):
                if opens_note(content[j]):
                    start = j
                    break
        if start is not None:
            for ln in content[start:]:
                ln.kind = "footnote"

    # ---- footnotes ----------------------------------------------------------
    footnotes: list[list[str]] = []  # [mark, text]
    for ln in all_lines:
        if ln.kind != "footnote":
            continue
        vis = [c for c in ln.chars if c.text.strip()]
        m = None
        if vis and vis[0].sup:
            digits = ""
            for c in vis:
                if not c.sup:
                    break
                digits += c.text
            m = (digits.strip(), ln.text[len(digits.translate(DIGIT_TO_SUP)):].strip())
        elif re.match(r"^\d{1,3}\s+\S", ln.text) and opens_note(ln):
            num, rest = ln.text.split(None, 1)
            m = (num, rest)
        if m and m[0].isdigit():
            footnotes.append([m[0].translate(DIGIT_TO_SUP), m[1]])
        elif footnotes:  # continuation, on this page or carried over to the next
            footnotes[-1][1] = _join(footnotes[-1][1], ln.text.strip())
        else:
            ln.kind = "body"  # smaller text without a mark above any note: keep it as text
    counts["footnotes"] = len(footnotes)

    # ---- column geometry ----------------------------------------------------
    body = [ln for ln in all_lines if ln.kind == "body"]
    if not body:
        raise InputError(path, "no body text found in this PDF (only page furniture and notes)")
    full = [ln for ln in body if abs(ln.size - body_size) < 0.5] or body
    doc_right, doc_left = _edge([ln.x1 for ln in full], 0.9), _edge([ln.x0 for ln in full], 0.1)
    right: dict[int, float] = {}
    left: dict[int, float] = {}
    for pno in range(n_pages):
        pl = [ln for ln in full if ln.page == pno]
        # mirrored margins move the column from page to page; a short page uses the document's
        right[pno] = _edge([ln.x1 for ln in pl], 0.9) if len(pl) >= 5 else doc_right
        left[pno] = _edge([ln.x0 for ln in pl], 0.1) if len(pl) >= 5 else doc_left
    pitches = defaultdict(list)
    for a, b in zip(body, body[1:]):
        if a.page == b.page and abs(a.size - b.size) < 0.5:
            d = b.bottom - a.bottom
            if 0 < d < 2.5 * a.size:
                pitches[a.size].append(d)
    pitch = {s: min(Counter(round(d, 0) for d in ds).most_common(3))[0] if ds else 1.2 * s
             for s, ds in pitches.items()}

    # A label set off by a space opens a paragraph even after a line without a
    # clause end, if the document writes its in-sentence enumerations without
    # that space (UN Chinese style: "即：(a)确保…；(b)追查…"); learnt per document.
    inline = [m.group(1) for ln in body for m in re.finditer(r"(?<=[^\s(（])[(（][a-z]{1,3}[)）](.?)", ln.text)]
    strong_labels = not any(ch in (" ", "\t") for ch in inline)

    # ---- paragraphs -------------------------------------------------------
    paras: list[str] = []
    cur = ""
    cur_lines = 0
    prev: _Line | None = None
    for ln in body:
        brk = prev is None
        why = ""
        if prev is not None:
            size = max(prev.size, ln.size)
            if abs(prev.size - ln.size) > 0.1 * size:
                brk, why = True, "size"
            elif prev.cjk_font and ln.cjk_font and prev.cjk_font != ln.cjk_font:
                brk, why = True, "font"
            elif prev.page == ln.page and ln.bottom - prev.bottom > pitch.get(prev.size, 1.2 * size) + max(0.2 * size, 1.5):
                brk, why = True, "gap"
            else:
                # A Latin word needs a space (or Word's CJK/Latin autospace) before
                # it; a space the line ends with is measured as part of the line.
                trailing_space = bool(prev.chars) and prev.chars[-1].text.isspace()
                remaining = right[prev.page] - max(c.x1 for c in prev.chars)
                w, latin = _first_unit_width(ln)
                need = w + (0.3 * ln.size if latin and not trailing_space else 0)
                if need <= remaining - 0.1 * size:
                    brk, why = True, "short line"
                elif cur_lines >= 2 and abs((ln.x0 - left[ln.page]) - (prev.x0 - left[prev.page])) > 0.8 * size:
                    brk, why = True, "indent"
                elif (strong_labels or prev.text[-1:] in "。；：，.;:") and _label_then_space(ln):
                    brk, why = True, "label"
                elif UNIT_HEADER.match(re.sub(r"\s+", "", ln.text)):
                    brk, why = True, "header"  # 第 11/3 号决议 heads a block even at the top of a page
            if not brk and prev.page != ln.page:
                counts["paragraphs joined across a page break"] += 1
        if brk:
            if cur:
                paras.append(cur)
            cur, cur_lines = ln.text.strip(), 1
            if why:
                counts[f"paragraph ends by {why}"] += 1
                logger.debug("paragraph end (%s) before %r", why, ln.text[:20])
        else:
            cur = _join(cur, ln.text.strip())
            cur_lines += 1
        prev = ln
    if cur:
        paras.append(cur)

    paras += [f"{mark} {text}" for mark, text in footnotes]
    notes = [f"pdf: {n_pages} pages, {len(paras) - len(footnotes)} paragraphs, {len(footnotes)} footnotes, "
             f"body text {body_size:g} pt"]
    notes += [f"pdf: {n} {what}" for what, n in sorted(counts.items()) if n]
    if removed:
        notes.append("pdf: removed page furniture: " + ", ".join(f"{k} ×{n}" for k, n in removed.most_common(6)))
    logger.info("%s: %s", path.name, "; ".join(notes))
    return "\n\n".join(paras) + "\n", "pdf-tounicode", notes
