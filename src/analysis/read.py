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

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import formats
from .inputs import InputError, decode_bytes, file_sha256
from .structure import CHAPTER_START, CONTENTS_LINE, UNIT_HEADER, header_start, structure_rules
from .text import (DIGIT_TO_SUP, SUP_TO_DIGIT, SUPERSCRIPT_DIGITS, extract_footnote_marks, fold_radicals,
                   join_wrapped, normalise_line, prepare_line, split_run_on, strip_cjk_spaces)

__all__ = ["Block", "Document", "InputError", "build_blocks", "decode_bytes", "file_sha256", "is_debris_line",
           "normalise_line", "read_document"]

logger = logging.getLogger(__name__)

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
    tokens = _DASHED_NUMBER.sub(r"-\1-", s).split()
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
    n_folded: int = 0  # radical / compatibility code points folded to unified ideographs


_TERMINAL = "。；：，！？.;:"
_DASHED_NUMBER = re.compile(r"-\s*(\d{1,3})\s*-")
_SPACES = re.compile(r"\s+")
# Line starts that always open a new paragraph in wrapped text.
_ANNEX_LINE = re.compile(r"^附件(?:[一二三四五六七八九十]+|[IVX]+|\d+)?$")
_NUMBERED = re.compile(r"^\d{1,3}\.(?!\d)")
_LETTERED = re.compile(r"^\([a-z]{1,4}\)")


_NOT_NARROW = re.compile(r"[^\x00-\u2e7f]+")


def _width(s: str) -> float:
    """Display width: half for a character below U+2E80, one for the rest
    (sums of halves are exact, so this is the per-character sum).

    >>> _width("各国 ab"), _width("")
    (3.5, 0.0)
    """
    return len(s) - 0.5 * len(_NOT_NARROW.sub("", s))


def _opens_paragraph(prev: str, line: str, preamble_verbs: tuple[str, ...], acting: re.Pattern | None = None,
                     block: str = "") -> bool:
    """Does ``line`` open a new paragraph after ``prev`` (in hard-wrapped
    text)? ``block`` is the start of the paragraph ``prev`` belongs to, where
    known: a preamble verb after "，" opens a new preambular paragraph only
    when the open paragraph is not a numbered or lettered one (强调, 考虑到 …
    also stand inside an operative sentence)."""
    m = acting.match(line) if acting is not None else None
    if m and (m.end() == len(line) or line[m.end():].lstrip().startswith(preamble_verbs)):
        return True  # "大会，" (alone, or before the first preamble): the acting body never continues a title
    if UNIT_HEADER.match(line) or _ANNEX_LINE.match(line) or _ANNEX_LINE.match(prev):
        return True
    if UNIT_HEADER.match(prev) or CONTENTS_LINE.search(prev) or CONTENTS_LINE.search(line):
        return True
    if (header_start(line) or CHAPTER_START.match(line)) and prev[-1:] in "。；：，":
        return True
    # A label at the start of a line always opens a block; whether it is a new
    # item or part of an enumeration inside the current one is the segmenter's
    # call (it knows which label comes next).
    if _NUMBERED.match(line) or _LETTERED.match(line):
        return True
    if prev.endswith("，") and line.startswith(preamble_verbs) and not (_NUMBERED.match(block)
                                                                      or _LETTERED.match(block)):
        return True
    return False


_BODY_START = re.compile(r"^(\s*)(?:(\d{1,2})/(?![\d/])|\((\d{1,2})\)|(\d{1,2})(?=\s))\s*(?=\S)")


def _footnote_bodies(lines: list[str]) -> list[str]:
    """Footnote bodies typed as ``1/ 文本``, ``(1) 文本`` or ``1 文本`` at the
    start of a line, for a mark the text cites (``…》1/的``), are written with
    the superscript the reader knows (``¹ 文本``). ``(1)`` and a bare number
    count only when that number is cited before the line, as enumerations
    and page numbers use them too.

    >>> _footnote_bodies(["各国《公约》1/的实施；", "1/ 联合国，《条约汇编》。", "(1) 首先"])
    ['各国《公约》1/的实施；', '¹ 联合国，《条约汇编》。', '(1) 首先']
    >>> _footnote_bodies(["《议定书》(1)的实施；", "(1) 联合国，《条约汇编》。"])
    ['《议定书》(1)的实施；', '¹ 联合国，《条约汇编》。']
    """
    from .text import marks_by_style

    out = list(lines)
    cited: dict[str, set[str]] = {"paren": set(), "bare": set()}
    for i, raw in enumerate(lines):
        m = _BODY_START.match(raw)
        if m and (m.group(2) or m.group(3) in cited["paren"] or m.group(4) in cited["bare"]):
            num = m.group(2) or m.group(3) or m.group(4)
            out[i] = m.group(1) + num.translate(DIGIT_TO_SUP) + " " + raw[m.end():]
            continue
        for style, nums in marks_by_style(raw).items():
            cited[style] |= nums
    return out


def build_blocks(lines: list[str], path: str | Path = "<text>",
                 preamble_verbs: tuple[str, ...] = (), acting_bodies: tuple[str, ...] = ()
                 ) -> tuple[list[Block], list[tuple[int, str]]]:
    """Group normalised lines into blocks; return ``(blocks, debris)``.

    A blank line ends a paragraph, except next to removed page debris (a page
    break is not a paragraph break). In hard-wrapped text (95% of the lines at
    most 80 CJK characters wide, as extracted from a PDF), a line also ends its paragraph
    when it is clearly shorter than the column or the next line opens a new
    unit (a label after a clause end, an annex heading, a resolution number).
    Footnote bodies (lines opening with a superscript mark) are blocks of
    their own, and a paragraph interrupted by them at a page break continues.
    A line holding several paragraphs (a web page's whole body on one line,
    ``…附件一；2.还核可…``) is split first (``text.split_run_on``).
    """
    debris: list[tuple[int, str]] = []
    items: list[tuple[int, str] | None] = []  # None = hard break
    layout_width: dict[int, float] = {}  # line -> width as laid out (spaces count)
    pending_blank = False
    after_debris = False
    lines = _footnote_bodies(lines)
    acting = (re.compile("(?:" + "|".join(map(re.escape, sorted(acting_bodies, key=len, reverse=True))) + ")[，,]")
              if acting_bodies else None)
    next_number = 1  # the operative paragraph number a run-on line may continue with
    for no, raw in enumerate(lines, start=1):
        prepared = prepare_line(raw)
        s = strip_cjk_spaces(prepared)
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
        pieces = split_run_on(prepared, next_number, preamble_verbs, acting_bodies)
        for k, piece in enumerate(pieces):
            piece = strip_cjk_spaces(piece)
            if k:
                items.append(None)  # paragraphs run together on one line: each is a block
            items.append((no, piece))
            n = _NUMBERED.match(piece)
            if n:
                next_number = int(piece[:n.end() - 1]) + 1
            elif UNIT_HEADER.match(piece) or header_start(piece) or _ANNEX_LINE.match(piece):
                next_number = 1
        layout_width[no] = _width(_SPACES.sub(" ", raw.strip()))

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
        joined = join_wrapped(block.text, text)
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
        return nxt is None or _opens_paragraph(line, nxt[1], preamble_verbs, acting)

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
            foot.footnote_label = m.group(1).translate(SUP_TO_DIGIT)
            continue
        if foot is not None:
            # A footnote body wraps too; it ends at a full stop, a short line,
            # or where a line clearly opens body text again.
            last = foot.text
            continues = (wrapped and last[-1:] not in "。." and layout_width[foot.line_end] >= col - 3
                         and not _opens_paragraph(last, s, preamble_verbs, acting))
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
        joins = (wrapped and layout_width[prev_no] >= col - 3
                 and not _opens_paragraph(prev_line, s, preamble_verbs, acting, current.text))
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
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if preamble_verbs is None:
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
    text, n_folded = fold_radicals(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x0b", "\n")
    lines = text.split("\n")
    from .bodies import load_bodies

    spellings = tuple(sp for b in load_bodies().values() for sp in b.spellings)
    blocks, debris = build_blocks(lines, path, preamble_verbs, spellings)
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
        n_folded=n_folded,
    )
    logger.info("%s: %d lines, %d blocks, %d debris lines removed", path.name, len(lines), len(blocks), len(debris))
    return doc
