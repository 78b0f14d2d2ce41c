"""PDF: text rebuilt from pdfplumber's characters: lines, page furniture, footnote areas, paragraphs.

Contract
--------
``_extract_pdf(path, settings) -> (text, encoding, notes)``, called by
``dispatch.extract`` (the steps are in its docstring): footnote marks come
back as superscript digits attached where they were cited, footnote bodies
as paragraphs after the body, running headers and footers are removed and
counted, and wrapped lines are joined into paragraphs. A scan without a text
layer, or fonts without a Unicode mapping, is an ``InputError``.

Why pdfplumber
--------------
**pdfplumber** (built on pdfminer.six). Of pdfplumber, pypdf and
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
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..inputs import InputError
from ..structure import UNIT_HEADER
from ..text import DIGIT_TO_SUP
from .common import _CLOSING, _LABEL, _OPENING, DEFAULT_SETTINGS, FormatSettings, _is_cjk, _join

logger = logging.getLogger(__name__)


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
