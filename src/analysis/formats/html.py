"""HTML: a web page -> text lines; block elements become paragraphs.

Contract
--------
``_extract_html(path) -> (text, encoding, notes)``, called by
``dispatch.extract``: block elements are paragraphs, ``<br>`` a line break
inside one, ``<sup>`` and footnote links superscript marks, footnote areas
(by class, id, ``epub:type`` or ARIA role) paragraphs shaped ``³ text``,
``<ol>`` numbering written out as labels; scripts, navigation and hidden
elements are dropped and counted. Undecodable bytes are an ``InputError``.

Why BeautifulSoup over lxml
---------------------------
It parses the broken markup pages are saved with, and ``UnicodeDammit``
finds the page's charset (the ``encoding`` of ``Extracted``).

The module's name shadows nothing: imports are absolute, so ``import html``
anywhere (bs4 included) is still the standard library's.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from ..inputs import InputError
from ..text import DIGIT_TO_SUP, SUPERSCRIPT_DIGITS
from .common import _LABEL, _sup_mark, format_number

logger = logging.getLogger(__name__)


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
