"""Reader: input file -> ``Document`` (decoded, normalised, debris stripped, blocks).

Contract
--------
``read_document(path)`` takes a resolution as an analyst gets it (TXT in
UTF-8 with or without BOM, UTF-16, GB18030/GBK; DOCX, PDF or HTML through
``analysis.formats``) and returns a ``Document``:

* ``blocks``: the logical paragraphs, in source order, each with the source
  lines it came from (1-based), its footnote references and, for footnote
  bodies, the footnote number;
* ``text``: the normalised text, the blocks joined with ``\\n``; every block's
  ``start``/``end`` are offsets into it, so any row built from a block can be
  traced back;
* ``debris``: the lines removed as page furniture (running headers, job
  numbers, page numbers), with their line numbers.

What always holds: every non-blank input line ends in exactly one block or in
``debris``. Nothing is dropped silently; the segmenter decides what a block
*is* and reports what it cannot place.

Why these rules
---------------
Structure (labels ``(a)``, ``1.``, resolution numbers) must not depend on how
the text was typed or extracted, so full-width digits, Latin letters and the
brackets of enumerators are folded to half-width; Chinese punctuation is text
and is kept. Spaces next to a Chinese character are typographic (UN style
writes ``第 11/2 号决议``) and a PDF may wrap exactly there, so they are
removed: reflowing a text cannot then change what is extracted.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = {ord(c): str(i) for i, c in enumerate(SUPERSCRIPT_DIGITS)}


class InputError(ValueError):
    """Bad input: the message names the file and, where it can, the line or byte."""

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # pickled intact across worker processes
        return type(self), (self.path, self.message, self.line)


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


#: Characters Chinese text is made of besides ideographs: ASCII, Latin-1,
#: general and CJK punctuation, super- and subscripts, number forms
#: (Ⅰ Ⅱ), enclosed numbers (①), full-width forms.
_PLAIN = re.compile(r"[\t\n\r\f\x20-\x7e\xa0-\xff\u2010-\u218f\u2460-\u24ff\u3000-\u303f\uff00-\uffef]")
#: Share of plausible characters (``_plausible_share``) from which a decoding is taken as right.
_PLAUSIBLE = 0.8
#: Decodings tried, in order of preference when two read equally well.
_LEGACY = ("gb18030", "big5", "cp950", "big5hkscs")


_COMMON: dict[str, bool] = {}


def _common_ideograph(ch: str) -> bool:
    """Among the 3,755 most used Simplified characters (GB2312 level 1) or
    the 5,401 most used Traditional ones (Big5 level 1).

    >>> [_common_ideograph(c) for c in "决议國䶵"]
    [True, True, True, False]
    """
    if ch not in _COMMON:
        common = False
        for enc, lo, hi in (("gb2312", 0xB0A1, 0xD7FE), ("big5", 0xA440, 0xC67E)):
            try:
                b = ch.encode(enc)
            except UnicodeEncodeError:
                continue
            common = common or (len(b) == 2 and lo <= (b[0] << 8 | b[1]) <= hi)
        _COMMON[ch] = common
    return _COMMON[ch]


def _plausible_share(text: str) -> float:
    """Share of ``text``'s characters that Chinese text is made of: plain
    characters (``_PLAIN``) and common ideographs. A right decoding scores
    near 1; a wrong one scatters over rare ideographs, other scripts and
    symbols (Big5 read as GB18030: about 0.4 on the seed resolution; UTF-16
    read with the wrong byte order: near 0).

    >>> _plausible_share("实施《联合国打击跨国有组织犯罪公约》")
    1.0
    >>> round(_plausible_share("龟琁羛瓣ゴ阑阁瓣舱麓デ竜そ兜м砃穿兵蹿"), 2)  # 實施《聯合國… in Big5, read as GB18030
    0.58
    """
    text = text[:50_000]
    if not text:
        return 0.0
    odd = _PLAIN.sub("", text)
    return 1 - sum(1 for ch in odd if not _common_ideograph(ch)) / len(text)


def _best_decoding(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """``(text, encoding)`` of the decoding of ``data`` that reads most like
    Chinese text, if it reads so well enough (``_PLAUSIBLE``); of two that
    read about as well, the one listed first."""
    best = None
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text)
        if share >= _PLAUSIBLE and (best is None or share > best[0] + 0.01):
            best = (share, text, enc)
    return (best[1], best[2]) if best else None


def _utf16_without_bom(data: bytes) -> str | None:
    """The byte order of UTF-16 without a BOM, if ``data`` is that.

    NUL bytes alone do not tell: in Chinese text only ASCII characters have
    a zero byte, ideographs have none. Both byte orders are decoded and the
    one that reads as Chinese text (``_plausible_share``) wins.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    found = _best_decoding(data, ("utf-16-le", "utf-16-be"))
    return found[1] if found else None


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries, in order: a BOM; UTF-8 (bytes in other encodings of Chinese are
    almost never valid UTF-8); UTF-16 without BOM, GB18030 (a superset of
    GBK and GB2312) and Big5, the one whose text reads most like Chinese
    (``_plausible_share``: GB18030 decodes nearly any bytes, Big5 included,
    into rare characters). Refuses empty and binary input, and undecodable
    bytes, naming the byte offset, instead of inserting replacement
    characters; ``_check_text`` refuses text that is mojibake.

    >>> decode_bytes("第 11/2 号决议".encode("gb18030"))[1]
    'gb18030'
    >>> decode_bytes("第 11/2 號決議：各國應加強合作".encode("big5"))
    ('第 11/2 號決議：各國應加強合作', 'big5')
    >>> decode_bytes("第 11/2 号决议".encode("utf-16-be"))[1]
    'utf-16-be'
    """
    if not data.strip():
        raise InputError(path, "the file is empty")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(enc), path), enc
            except UnicodeDecodeError as exc:
                raise InputError(path, f"undecodable bytes at byte offset {exc.start} ({enc})") from None
    errors = []
    if b"\x00" not in data:  # NUL is valid UTF-8, but no text resolution holds one: UTF-16 or binary
        try:
            return _check_text(data.decode("utf-8"), path), "utf-8"
        except UnicodeDecodeError as exc:
            errors.append((exc.start, "utf-8", exc))
    enc16 = _utf16_without_bom(data)
    if enc16:
        return _check_text(data.decode(enc16), path), enc16
    if b"\x00" in data:
        raise InputError(path, "this looks like a binary file (NUL bytes, and it does not read as UTF-16 text), "
                         "not a text resolution")
    found = _best_decoding(data, _LEGACY)
    if found:
        return _check_text(found[0], path), found[1]
    try:  # GB18030 decodes nearly anything: if it does, it was not plausible
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        errors.append((exc.start, "gb18030", exc))
    # Report the decoder that got furthest: the file is most likely in that
    # encoding with a damaged byte there.
    start, enc, _ = max(errors, key=lambda e: e[0])
    line = data[:start].count(b"\n") + 1
    raise InputError(path, f"undecodable bytes at byte offset {start} (line {line}) as {enc}; "
                     "save the file as UTF-8 or GB18030", line=line)


#: What cp1252 (Windows' Latin-1) shows for the bytes 0x80-0x9f.
_CP1252 = {bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_LATIN = re.compile("[\x80-\xff" + "".join(_CP1252) + "]")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _mojibake(text: str) -> tuple[str, str] | None:
    """``(original, encoding)`` if ``text`` is Chinese text whose bytes were
    read as Latin-1 or Windows-1252 and saved again (``第`` in UTF-8 shows as
    ``ç¬¬``), else None. Evidence: more Latin-1 letters than ideographs,
    and the bytes they stand for read as Chinese text (``_plausible_share``;
    bytes cp1252 has no letter for were lost, hence the lower bar).

    >>> _mojibake("第11/2号决议：各国应加强执法合作".encode("utf-8").decode("cp1252", "replace"))[1]
    'utf-8'
    >>> _mojibake("Résolution 11/2 : coopération technique internationale") is None
    True
    """
    latin = len(_LATIN.findall(text))
    if latin < 20 or latin <= len(_IDEOGRAPH.findall(text)):
        return None
    raw = bytes(ord(ch) if ord(ch) < 0x100 else _CP1252.get(ch, 0x3F) for ch in text if ch != "\ufffd")
    for enc in ("utf-8", "gb18030"):
        original = raw.decode(enc, errors="replace")
        if len(_IDEOGRAPH.findall(original)) >= 10 and _plausible_share(original) >= 0.6:
            return original, enc
    return None


def _check_text(text: str, path: str | Path) -> str:
    found = _mojibake(text)
    if found:
        original, enc = found
        shown = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:12].replace("\ufffd", "?")
        meant = next((ln.strip() for ln in original.splitlines() if ln.strip()), "")[:8].replace("\ufffd", "?")
        raise InputError(path, f"this text is garbled: {'UTF-8' if enc == 'utf-8' else 'GB18030/GBK'} Chinese "
                         f"read as Latin-1/Windows-1252 and saved again ('{shown}' stands for '{meant}'); "
                         "use the file as it was before it was opened and saved that way")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(2, 0.01 * len(text)):
        raise InputError(path, f"this looks like a binary file ({controls} control characters), not a text resolution")
    return text


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# Small string helpers, composed into ``normalise_line``
# --------------------------------------------------------------------------

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018-\u201f\u2026\u2014"
_FOLD = {**{0xFF10 + i: 0x30 + i for i in range(10)},
         **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)},
         0xFF0F: ord("/"), 0x3000: ord(" "), 0x00A0: ord(" "), 0x2002: ord(" "), 0x2003: ord(" "),
         0x2009: ord(" "), 0x202F: ord(" "), 0x200B: None, 0xFEFF: None, 0x200C: None, 0x200D: None,
         0x2060: None, 0x00AD: None}


def normalise_width(s: str) -> str:
    """Fold full-width digits, Latin letters and the brackets of short
    enumerators to half-width; keep Chinese punctuation.

    >>> normalise_width("（ｂ）１．各国应（毒品和犯罪问题办公室）")
    '(b)1.各国应（毒品和犯罪问题办公室）'
    """
    s = s.translate(_FOLD)
    s = re.sub(r"(?<=[0-9A-Za-z])．", ".", s)
    # Only enumerator-like brackets: （a） （iv） （12）. Parenthesised Chinese stays as it is.
    return re.sub(r"[（(]\s*([A-Za-z]{1,4}|\d{1,3})\s*[）)]", r"(\1)", s)


def reduce_links(s: str) -> str:
    """Reduce markdown link syntax to its text.

    >>> reduce_links("[CTOC/COP/WG.2/2022/4](#)，第 8 段。")
    'CTOC/COP/WG.2/2022/4，第 8 段。'
    """
    return re.sub(r"\[([^\[\]]+)\]\([^()\s]*\)", r"\1", s)


def strip_cjk_spaces(s: str) -> str:
    """Remove spaces next to a Chinese character or punctuation mark.

    >>> strip_cjk_spaces("回顾其 2020 年 10 月 16 日的第 10/4 号决议， (a) 各国")
    '回顾其2020年10月16日的第10/4号决议，(a)各国'
    """
    s = re.sub(rf"(?<=[{_CJK}])[ \t]+", "", s)
    s = re.sub(rf"[ \t]+(?=[{_CJK}])", "", s)
    # an enumerator followed by a space before Chinese text: "(a) 各国"
    return re.sub(r"(?<=\))[ \t]+(?=[^\x00-\x7f])", "", s)


def normalise_line(s: str) -> str:
    """The reader's whole per-line normalisation.

    >>> normalise_line("  （ａ） 各国 应 更新该记录；  ")
    '(a)各国应更新该记录；'
    """
    s = unicodedata.normalize("NFC", s)
    s = normalise_width(s)
    s = reduce_links(s)
    s = re.sub(r"[ \t]+", " ", s).strip()
    return strip_cjk_spaces(s)


def extract_footnote_marks(s: str) -> tuple[str, list[tuple[int, str]]]:
    """Remove superscript footnote marks; return the text and ``(offset, number)``.

    >>> extract_footnote_marks("及其各项议定书¹而开展，通过的³建议")
    ('及其各项议定书而开展，通过的建议', [(7, '1'), (13, '3')])
    """
    refs: list[tuple[int, str]] = []
    out: list[str] = []
    pos = 0
    for m in re.finditer(f"[{SUPERSCRIPT_DIGITS}]+", s):
        out.append(s[pos:m.start()])
        offset = sum(len(p) for p in out)
        refs.append((offset, m.group().translate(_SUP_TO_DIGIT)))
        pos = m.end()
    out.append(s[pos:])
    return "".join(out), refs


# --------------------------------------------------------------------------
# Page debris
# --------------------------------------------------------------------------

_DEBRIS_TOKEN = re.compile(
    r"""^(?:
        [A-Z]{1,6}(?:\.\d+)?(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)+   # document symbol CTOC/COP/2022/15, A/RES/55/25
      | [A-Z]{1,2}\.?\d{2}-\d{4,6}(?:\(C\))?                   # job number V.22-12345, GE.22-01234
      | \d{2}-\d{5}(?:\(C\))?                                  # job number without prefix
      | \(C\)|\*\d{6,}\*                                       # language mark, barcode
      | -\s?\d{1,3}\s?-|\d{1,3}                                # page number - 3 - or 3
    )$""",
    re.X,
)
_PAGE_OF = re.compile(r"^(\d{1,3})/(\d{1,3})$")
_PAGE_ZH = re.compile(r"^第\d{1,3}页(?:[,，]?共\d{1,3}页)?$")


def is_debris_line(s: str) -> bool:
    """A line that is only running header/footer material.

    >>> [is_debris_line(x) for x in ["CTOC/COP/2022/15", "V.22-12345 2/4", "2/4", "11/2", "第 11/2 号决议"]]
    [True, True, True, False, False]
    """
    s = s.strip()
    if not s:
        return False
    if _PAGE_ZH.match(s.replace(" ", "")):
        return True
    tokens = re.sub(r"-\s*(\d{1,3})\s*-", r"-\1-", s).split()
    for tok in tokens:
        m = _PAGE_OF.match(tok)
        if m:
            page, total = int(m.group(1)), int(m.group(2))
            if not (1 <= page <= total):  # 11/2 is a resolution number, 2/4 a page
                return False
            continue
        if not _DEBRIS_TOKEN.match(tok):
            return False
    return True


# --------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------

@dataclass
class Block:
    """One logical paragraph of the source."""

    text: str
    line_start: int
    line_end: int
    footnote_refs: list[tuple[int, str]] = field(default_factory=list)
    footnote_label: str | None = None  # set for footnote bodies
    line_starts: list[int] = field(default_factory=list)  # offsets in text where a source line began
    start: int = 0  # offset in Document.text
    end: int = 0

    @property
    def is_footnote(self) -> bool:
        return self.footnote_label is not None


@dataclass
class Document:
    source_path: str
    source_file: str
    sha256: str
    source_format: str
    encoding: str
    converted: str | None
    n_lines: int
    blocks: list[Block]
    debris: list[tuple[int, str]]
    text: str = ""
    notes: tuple[str, ...] = ()


_TERMINAL = "。；：，！？.;:"
# Line starts that always open a new paragraph in wrapped text.
_RESOLUTION_LINE = re.compile(r"^第\d+/\d+号决议$")
_ANNEX_LINE = re.compile(r"^附件(?:[一二三四五六七八九十]+|[IVX]+|\d+)?$")
_NUMBERED = re.compile(r"^\d{1,3}\.(?!\d)")
_LETTERED = re.compile(r"^\([a-z]{1,4}\)")


def _width(s: str) -> float:
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in s)


def _join(a: str, b: str) -> str:
    """Join a wrapped line: no space, except between two Latin words."""
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z0-9]", b[0]):
        return a + " " + b
    return a + b


def _opens_paragraph(prev: str, line: str, preamble_verbs: tuple[str, ...]) -> bool:
    if _RESOLUTION_LINE.match(line) or _ANNEX_LINE.match(line) or _ANNEX_LINE.match(prev):
        return True
    if _RESOLUTION_LINE.match(prev):
        return True
    # A label at the start of a line always opens a block; whether it is a new
    # item or part of an enumeration inside the current one is the segmenter's
    # call (it knows which label comes next).
    if _NUMBERED.match(line) or _LETTERED.match(line):
        return True
    if prev.endswith("，") and line.startswith(preamble_verbs):
        return True
    return False


def build_blocks(lines: list[str], path: str | Path = "<text>",
                 preamble_verbs: tuple[str, ...] = ()) -> tuple[list[Block], list[tuple[int, str]]]:
    """Group normalised lines into blocks; return ``(blocks, debris)``.

    A blank line ends a paragraph, except next to removed page debris (a page
    break is not a paragraph break). In hard-wrapped text (95% of the lines at
    most 80 CJK characters wide, as extracted from a PDF), a line also ends its paragraph
    when it is clearly shorter than the column or the next line opens a new
    unit (a label after a clause end, an annex heading, a resolution number).
    Footnote bodies (lines opening with a superscript mark) are blocks of
    their own, and a paragraph interrupted by them at a page break continues.
    """
    debris: list[tuple[int, str]] = []
    items: list[tuple[int, str] | None] = []  # None = hard break
    layout_width: dict[int, float] = {}  # line -> width as laid out (spaces count)
    pending_blank = False
    after_debris = False
    for no, raw in enumerate(lines, start=1):
        s = normalise_line(raw)
        if not s:
            pending_blank = True
            continue
        if is_debris_line(s):
            debris.append((no, raw.strip()))
            after_debris = True
            pending_blank = False
            continue
        if pending_blank and not after_debris:
            items.append(None)
        pending_blank = False
        after_debris = False
        items.append((no, s))
        layout_width[no] = _width(re.sub(r"\s+", " ", raw.strip()))

    content = [it for it in items if it is not None]
    widths = sorted(layout_width[no] for no, s in content if not s.startswith(tuple(SUPERSCRIPT_DIGITS)))
    col = widths[int(0.95 * (len(widths) - 1))] if widths else 0.0
    wrapped = 0 < col <= 80

    blocks: list[Block] = []
    current: Block | None = None  # the open body paragraph
    foot: Block | None = None  # the open footnote body
    prev_line = ""
    prev_no = 0

    def start_block(no: int, s: str) -> Block:
        text, refs = extract_footnote_marks(s)
        return Block(text=text, line_start=no, line_end=no, footnote_refs=refs, line_starts=[0])

    def extend(block: Block, no: int, s: str) -> None:
        text, refs = extract_footnote_marks(s)
        joined = _join(block.text, text)
        # an enumerator split across the wrap: "…；（" + "b）追查…"
        joined = re.sub(r"（([A-Za-z]{1,4}|\d{1,3})）", r"(\1)", joined)
        shift = len(joined) - len(text)
        block.footnote_refs.extend((off + shift, lab) for off, lab in refs)
        block.line_starts.append(shift)
        block.text = joined
        block.line_end = no

    order: list[Block] = []  # blocks in source order, body and footnotes interleaved
    raw_has_gap = {}  # line -> a space follows the leading superscript mark
    for no, raw in enumerate(lines, start=1):
        m = re.match(f"^\\s*[{SUPERSCRIPT_DIGITS}]+(\\s)?", raw)
        if m:
            raw_has_gap[no] = bool(m.group(1))

    def next_opens(idx: int, line: str) -> bool:
        """Does what follows item ``idx`` open a new paragraph (or is there none)?"""
        nxt = items[idx + 1] if idx + 1 < len(items) else None
        return nxt is None or _opens_paragraph(line, nxt[1], preamble_verbs)

    def heading_ahead(idx: int) -> bool:
        """Do the lines from ``idx`` form a heading: no clause end, up to a short
        line or a line after which a new paragraph opens (at most 3 lines)?"""
        for j in range(idx, min(idx + 3, len(items))):
            if items[j] is None:
                return True
            no_j, s_j = items[j]
            if s_j[-1:] in _TERMINAL or s_j.startswith(tuple(SUPERSCRIPT_DIGITS)):
                return False
            if next_opens(j, s_j):
                return True
            if layout_width[no_j] < col - 3:
                return next_opens(j, s_j)
        return False

    for idx, it in enumerate(items):
        if it is None:
            if foot is not None:
                order.append(foot)
                foot = None
            if current is not None:
                order.append(current)
                current = None
            prev_line = ""
            continue
        no, s = it
        m = re.match(f"^([{SUPERSCRIPT_DIGITS}]+)\\s*(.*)$", s)
        # A mark at the start of a line opens a footnote body, unless it is
        # glued to text that continues a wrapped line ("…公约》" + "²在国内…").
        glued = (m is not None and not raw_has_gap.get(no) and current is not None and wrapped
                 and layout_width[prev_no] >= col - 3 and prev_line[-1:] not in "。；")
        if m and m.group(2) and not glued:
            if foot is not None:
                order.append(foot)
            foot = start_block(no, m.group(2))
            foot.footnote_label = m.group(1).translate(_SUP_TO_DIGIT)
            continue
        if foot is not None:
            # A footnote body wraps too; it ends at a full stop, a short line,
            # or where a line clearly opens body text again.
            last = foot.text
            continues = (wrapped and last[-1:] not in "。." and layout_width[foot.line_end] >= col - 3
                         and not _opens_paragraph(last, s, preamble_verbs))
            if continues:
                extend(foot, no, s)
                continue
            order.append(foot)
            foot = None
        if current is None:
            current = start_block(no, s)
            order.append(current)  # placeholder position: a paragraph sits where it starts
            prev_line, prev_no = s, no
            continue
        joins = (wrapped and layout_width[prev_no] >= col - 3 and not _opens_paragraph(prev_line, s, preamble_verbs))
        if joins and prev_line[-1:] in "。；：" and heading_ahead(idx):
            # A line without a clause end between a finished clause and a new
            # item is a heading ("…挑战；" / "《公约》在国内法理中的适用" / "(h)…").
            joins = False
        if joins:
            extend(current, no, s)
        else:
            current = start_block(no, s)
            order.append(current)
        prev_line, prev_no = s, no
    if foot is not None:
        order.append(foot)

    # ``order`` may hold the same open block twice (appended at its start and
    # again when closed); keep the first position of each.
    seen: set[int] = set()
    for b in order:
        if id(b) not in seen:
            seen.add(id(b))
            blocks.append(b)
    return blocks, debris


def read_document(path: str | Path, preamble_verbs: tuple[str, ...] | None = None) -> Document:
    """Read one input file into a ``Document`` (see the module docstring)."""
    from . import formats  # DOCX/PDF/HTML extraction; TXT is decoded here

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if preamble_verbs is None:
        from .segment import structure_rules
        preamble_verbs = structure_rules().preamble_verbs
    suffix = path.suffix.lower()
    converted = None
    notes: tuple[str, ...] = ()
    if suffix in (".txt", ".text", ".md", ""):
        text, encoding = decode_bytes(path.read_bytes(), path)
        source_format = "txt"
        text, converted = formats.to_simplified(text)
    elif suffix in formats.supported_suffixes():
        try:
            ex = formats.extract(path)
        except InputError:
            raise
        except Exception as exc:  # a damaged DOCX/PDF: say which file
            raise InputError(path, f"could not read this {suffix[1:].upper()} file: {exc}") from exc
        text, encoding, source_format, converted, notes = ex.text, ex.encoding, ex.source_format, ex.converted, ex.notes
        if not text.strip():
            raise InputError(path, f"no text could be extracted from this {suffix[1:].upper()} file")
    else:
        raise InputError(path, f"unsupported file type {suffix!r}; use .txt, "
                         + ", ".join(sorted(formats.supported_suffixes())))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x0b", "\n")
    lines = text.split("\n")
    blocks, debris = build_blocks(lines, path, preamble_verbs)
    pos = 0
    for b in blocks:
        b.start = pos
        b.end = pos + len(b.text)
        pos = b.end + 1
    doc = Document(
        source_path=str(path),
        source_file=path.name,
        sha256=file_sha256(path),
        source_format=source_format,
        encoding=encoding,
        converted=converted,
        n_lines=len(lines),
        blocks=blocks,
        debris=debris,
        text="\n".join(b.text for b in blocks),
        notes=notes,
    )
    logger.info("%s: %d lines, %d blocks, %d debris lines removed", path.name, len(lines), len(blocks), len(debris))
    return doc
