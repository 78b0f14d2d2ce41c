"""DOCX: a Word package -> text lines, with footnotes, field results and computed list labels.

Contract
--------
``_extract_docx(path) -> (text, encoding, notes)``, called by
``dispatch.extract``: paragraphs of ``w:body`` in document order (tables,
content controls and text boxes included), list labels that Word computes
from ``numbering.xml`` written out (``_WordNumbering``), footnote and endnote
references as superscript marks and their bodies as paragraphs after the body.
A file that is not a DOCX (an old ``.doc``, a truncated ZIP) is an
``InputError`` that says what to do.

Why python-docx and the XML
---------------------------
python-docx opens the package, but paragraphs are walked on the XML
(``w:body`` in document order, tables and content controls included),
because python-docx exposes neither footnotes, nor field results, nor the
labels Word computes from ``numbering.xml``.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from ..inputs import InputError
from ..text import DIGIT_TO_SUP
from .common import _LABEL, _join, _sup_mark, format_number

logger = logging.getLogger(__name__)


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
