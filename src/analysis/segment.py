"""Segmenter: ``Document`` -> paragraphs table (and the unplaced report).

Contract
--------
``segment(doc)`` returns a ``Segmented`` with

* ``paragraphs``: one row per paragraph, columns of ``tables.PARAGRAPHS``;
  kinds follow the codebook: ``preamble``, ``operative``, ``annex_title``,
  ``intro``, ``heading``, ``recommendation``, ``footnote``;
* ``header``: resolution number, title and acting body, with their lines;
* ``unplaced``: blocks it could not place, with line numbers and why;
* ``text``: the normalised document text; for every row
  ``text[char_start:char_end] == row.text``.

Recommendations are the ``operative`` rows (one per numbered paragraph, or
one per lettered sub-item when the paragraph's chapeau ends in ``：``) and
the lettered ``recommendation`` rows of the annexes, identified by the
codebook's ``rec_id`` (``11/2:body:1``, ``11/2:I:a``, ``99/1:body:4(a)``).

What it refuses (``InputError`` naming file and line): a file with no
resolution number, a file holding several resolutions or too much text
before its number (a report or an agenda, not a resolution), numbering that
skips or repeats (``(a) (b) (d)``).

Why it is built this way
------------------------
The reader guarantees blocks, not meaning. Whether a block opening with
``(a)`` is a new item or the start of an enumeration inside the current
item (``即：(a)确保…；(b)追查…``) depends on what came before, so the
segmenter walks the blocks once with the expected next label in hand and
merges the block into the current item when the label does not continue
the item sequence but does continue (or start) an inner one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import bodies, tables
from .numerals import cn_to_int, roman_to_int, to_roman
from .inputs import InputError
from .read import Block, Document
from .structure import (CONTENTS_LINE, NUMBER_HEADER, UNIT_HEADER, YEAR_HEADER, StructureRules,
                        structure_rules)
from .text import join_wrapped

logger = logging.getLogger(__name__)

_ROMAN_NUMS = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}

ANNEX_RE = re.compile(r"^附件([一二三四五六七八九十]+|[IVX]+|\d+)?(?:[：:\s]+(.*))?$")
NUMBERED_RE = re.compile(r"^(\d{1,3})\.(?!\d)\s*")
LETTERED_RE = re.compile(r"^\(([a-z]{1,4})\)\s*")
CLAUSE_END = "。；;.，,："


def letter_index(label: str) -> int | None:
    """Position of a letter label in UN order: a…z, then aa, bb, … zz.

    >>> [letter_index(x) for x in ("a", "o", "z", "aa", "bb", "ab")]
    [0, 14, 25, 26, 27, None]
    """
    if len(label) == 1 and "a" <= label <= "z":
        return ord(label) - ord("a")
    if len(label) == 2 and label[0] == label[1] and "a" <= label[0] <= "z":
        return 26 + ord(label[0]) - ord("a")
    return None


def letter_at(i: int) -> str:
    return chr(ord("a") + i) if i < 26 else chr(ord("a") + i - 26) * 2


def annex_part(numeral: str | None) -> str:
    """Annex numeral -> Roman numeral part name (a lone 附件 is I).

    >>> [annex_part(x) for x in (None, "一", "二", "十二", "II", "3")]
    ['I', 'I', 'II', 'XII', 'II', 'III']
    """
    if not numeral:
        return "I"
    n = roman_to_int(numeral) or cn_to_int(numeral)
    return to_roman(n) if n else numeral



def opening_verb(text: str, verbs: tuple[str, ...], prefixes: tuple[str, ...]) -> str | None:
    """The verb a paragraph opens with, with its prefix (又回顾, 还核可).

    >>> opening_verb("还核可与国际合作工作组…", ("核可", "请"), ("又", "还"))
    '还核可'
    """
    for verb in verbs:
        if text.startswith(verb):
            return verb
    for prefix in prefixes:
        if text.startswith(prefix):
            rest = text[len(prefix):]
            for verb in verbs:
                if rest.startswith(verb):
                    return prefix + verb
    return None


@dataclass
class _Para:
    kind: str
    block: Block
    part: str = "body"
    label: str = ""
    section: str | None = None
    annex_title: str | None = None
    opening_verb: str | None = None
    chapeau: str | None = None
    is_chapeau: bool = False
    prefix_len: int = 0  # characters of label before the text
    inner: list[str] = field(default_factory=list)  # inner enumeration labels seen


@dataclass
class Unit:
    """One resolution or decision found in a document."""

    key: str  # bodies.unit_key: 11/2, dec.11/101, GA.52/85 …
    kind: str  # resolution | decision
    body: str  # COP, GA, ECOSOC, CCPCJ, COSP
    number: str  # 11/2 as written in the header
    title: str
    acting_body: str
    header_lines: list[int]
    line_start: int
    line_end: int
    session: str | None = None  # "第五十三届会议" above a GA header
    meeting: str | None = None  # "第82次全体会议" after the last paragraph
    date: str | None = None  # the date line after it, or in a web page's title line


@dataclass
class Segmented:
    units: list[Unit]
    header_lines: list[int]
    paragraphs: pd.DataFrame
    unplaced: pd.DataFrame
    text: str
    is_report: bool = False  # the file is a session report (units inside report text)

    # A file of one unit reads as before: seg.resolution, seg.title, seg.acting_body.
    @property
    def resolution(self) -> str:
        return self.units[0].key

    @property
    def title(self) -> str:
        return self.units[0].title

    @property
    def acting_body(self) -> str:
        return self.units[0].acting_body


def _merge(into: Block, other: Block) -> None:
    joined = join_wrapped(into.text, other.text)
    shift = len(joined) - len(other.text)
    into.footnote_refs.extend((off + shift, lab) for off, lab in other.footnote_refs)
    into.line_starts.extend(off + shift for off in other.line_starts)
    into.text = joined
    into.line_end = max(into.line_end, other.line_end)


def _is_acting_body(text: str, rules: StructureRules) -> bool:
    return (text.endswith(("，", ",")) and len(text) <= 80
            and any(w in text for w in rules.acting_body_words)
            and opening_verb(text, rules.preamble_verbs, rules.verb_prefixes) is None)


def segment(doc: Document, rules: StructureRules | None = None, *, validate: bool = True) -> Segmented:
    """Segment one document (see the module docstring).

    ``validate=False`` skips the check of the paragraphs table against its
    schema, for callers that check many documents' tables at once.
    """
    rules = rules or structure_rules()
    path = doc.source_path
    blocks = [Block(b.text, b.line_start, b.line_end, list(b.footnote_refs), b.footnote_label,
                    list(b.line_starts)) for b in doc.blocks]
    body_idx = [i for i, b in enumerate(blocks) if not b.is_footnote]
    headers: dict[int, tuple[str, str, str, str]] = {}  # block index -> (number, kind, style, inline title)
    for j, i in enumerate(body_idx):
        nxt = blocks[body_idx[j + 1]] if j + 1 < len(body_idx) else None
        h = _header(blocks[i], nxt, rules)
        if h:
            headers[i] = h
    if not headers:
        raise InputError(path, "no resolution or decision number found (a line such as '第 11/2 号决议', "
                         "'第 11/101 号决定', '52/85. 标题' or '2002/13 标题'); is this a resolution?", line=1)

    # -- split the file into units and the report text around them -------
    # A unit runs from its header to the next header, or to where the
    # report's own text resumes: a chapter or section heading that continues
    # the report's sequence (二. after 一., B. after A.) rather than one the
    # unit itself started, a contents line, or a sentence introducing the
    # next header (…通过了下列决定：).
    groups: list[tuple[int, list[Block | None]]] = []  # header index, [metadata…, None, unit blocks…]
    outside: list[tuple[Block, str]] = []  # report text: (block, role)
    pending_meta: list[Block] = []  # metadata lines right above a header
    report_chapters: list[str] = []  # "一", "A" … as met outside units
    contents_titles: set[str] = set()  # the headings a report's contents list
    own_sections: list[str] = []  # headings of the current unit in those styles
    current: list[Block | None] | None = None
    is_report = len(headers) > 1
    for pos, b in enumerate(blocks):
        if pos in headers:
            outside = [(o, r) for o, r in outside if not any(o is m for m in pending_meta)]
            current = [*pending_meta, None]
            groups.append((pos, current))
            own_sections = []
            pending_meta = []
            continue
        if b.is_footnote:
            if current is not None:
                current.append(b)
            else:
                outside.append((b, "footnote"))
            continue
        chapter = _report_heading(b.text)
        nxt = _next_body(blocks, pos)
        if current is not None and _is_meta(b.text) and _meta_until_header(blocks, pos, headers):
            pending_meta.append(b)  # 联合国 / 大会 / 第五十二届会议 … above the next header: its metadata
            continue
        if current is not None:
            ends = bool(CONTENTS_LINE.search(b.text))
            if chapter and _continues(report_chapters, chapter) and not _continues(own_sections, chapter):
                ends = True
            elif chapter and b.text in contents_titles:  # the report's contents list this chapter
                ends = True
            elif b.text.endswith(("：", ":")) and nxt in headers and _INTRO_RE.search(b.text):
                ends = True
            if not ends:
                if chapter:
                    own_sections.append(chapter)
                current.append(b)
                continue
            current = None
            is_report = True
        if CONTENTS_LINE.search(b.text):
            role = "contents"
            contents_titles.add(re.sub(r"(?:[.·…。]\s?)+\s*\d{0,3}$", "", b.text).strip())
        elif chapter:
            role = "heading"
        elif b.text.endswith(("：", ":")) and nxt in headers:
            role = "intro"
        else:
            role = "narrative" if report_chapters or groups else "cover"
        if role in ("contents", "heading"):
            is_report = True
        if chapter:
            report_chapters.append(chapter)
        if role in ("cover", "narrative") and _is_meta(b.text):
            pending_meta.append(b)
        else:
            pending_meta = []
        outside.append((b, role))

    units: list[Unit] = []
    paras_by_unit: list[list[_Para]] = []
    unplaced: list[dict] = []
    header_lines: list[int] = []
    unknown_verbs: dict[str, list[int]] = {}
    for pos, unit_blocks in groups:
        cut = unit_blocks.index(None)
        meta, body = unit_blocks[:cut], unit_blocks[cut + 1:]
        unit, paras = _segment_unit(doc, blocks[pos], headers[pos], meta, body, rules, unplaced, unknown_verbs)
        units.append(unit)
        paras_by_unit.append(paras)
        header_lines += unit.header_lines
    _key_units(doc, units, [headers[pos][2] for pos, _ in groups], paras_by_unit)
    for verb, lines in unknown_verbs.items():
        logger.warning("%s: %d preamble paragraph(s) open with %r, not a known opening verb (line %s); "
                       "add it to structure.yaml if it is one", doc.source_file, len(lines), verb,
                       ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else ""))
    outside = _assign_footnotes(units, paras_by_unit, outside)
    report_paras: list[_Para] = []
    for b, role in outside:
        if is_report and b.is_footnote:
            report_paras.append(_Para("footnote", b, part="report", label=b.footnote_label))
        elif is_report:
            report_paras.append(_Para("report", b, part="report", label=role))
        elif b.is_footnote:
            paras_by_unit[0].append(_Para("footnote", b, part="fn", label=b.footnote_label))
        else:
            where = "before the resolution number" if b.line_start < units[0].line_start else "after the resolution"
            unplaced.append({"source_file": doc.source_file, "line": b.line_start, "text": b.text,
                             "reason": f"text {where}"})
    return _finish(doc, units, paras_by_unit, report_paras, sorted(set(header_lines)), unplaced, is_report,
                   validate=validate)


def _segment_unit(doc: Document, header: Block, found: tuple[str, str, str, str], meta: list[Block],
                  blocks: list[Block], rules: StructureRules, unplaced: list[dict],
                  unknown_verbs: dict[str, list[int]]) -> tuple[Unit, list[_Para]]:
    """Segment the blocks of one resolution or decision (those after its header)."""
    path = doc.source_path
    number, kind, style, inline_title = found
    header_lines = [n for m in meta for n in range(m.line_start, m.line_end + 1)]
    header_lines += range(header.line_start, header.line_end + 1)
    unit = Unit("", kind, "", number, "", "", header_lines, header.line_start,
                max([header.line_end] + [b.line_end for b in blocks]))
    for m in meta:
        if _SESSION_RE.match(m.text):
            unit.session = m.text

    paras: list[_Para] = []

    def unplace(b: Block, reason: str) -> None:
        unplaced.append({"source_file": doc.source_file, "line": b.line_start, "text": b.text, "reason": reason})

    inline_title, found_date = _title_metadata(inline_title)
    unit.date = iso_date(found_date)
    title_parts: list[str] = [inline_title] if inline_title else []
    acting_body = ""
    phase = "title"  # title -> body -> annex
    part = "body"
    preamble_n = 0
    last_number = 0
    current_operative: _Para | None = None
    current_item: _Para | None = None
    annex_title: str | None = None
    section: str | None = None
    expected_letter = 0
    expected_number = 1
    annex_counts: dict[str, int] = {}
    seen_parts: set[str] = set()
    prev_block: Block | None = None
    unnumbered = 0

    for b in blocks:
        if b.is_footnote:
            paras.append(_Para("footnote", b, part="fn", label=b.footnote_label))
            continue
        text = b.text
        if phase == "title":
            if _is_acting_body(text, rules):
                acting_body = text.rstrip("，,")
                header_lines += range(b.line_start, b.line_end + 1)
                phase = "body"
                prev_block = b
                continue
            starts_body = (NUMBERED_RE.match(text) or ANNEX_RE.match(text) or text[-1:] in "。；"
                           or opening_verb(text, rules.preamble_verbs, rules.verb_prefixes))
            if not starts_body and len(title_parts) < 3:
                text, meta_date = _title_metadata(text)
                unit.date = unit.date or iso_date(meta_date)
                if text:
                    title_parts.append(text)
                header_lines += range(b.line_start, b.line_end + 1)
                prev_block = b
                continue
            phase = "body"  # no acting body line: carry on with the body

        if (last_number or unnumbered or phase == "annex") and _closing(text, unit):
            header_lines += range(b.line_start, b.line_end + 1)  # 第82次全体会议 / the date: placed
            prev_block = b
            continue

        am = ANNEX_RE.match(text)
        if am:
            part = annex_part(am.group(1))
            if part in seen_parts:
                raise InputError(path, f"annex {part} appears twice", line=b.line_start)
            seen_parts.add(part)
            phase = "annex"
            annex_title = am.group(2) or None
            section = None
            expected_letter = 0
            expected_number = 1
            current_item = None
            annex_counts = {"intro": 0, "heading": 0}
            if annex_title:
                # "附件一：标题" on one line: the title is the rest of the line.
                title_block = Block(am.group(2), b.line_start, b.line_end, [], None, [0])
                offset = len(text) - len(am.group(2))
                title_block.footnote_refs = [(o - offset, lab) for o, lab in b.footnote_refs if o >= offset]
                paras.append(_Para("annex_title", title_block, part=part, label="", annex_title=annex_title))
            else:
                header_lines += range(b.line_start, b.line_end + 1)
            prev_block = b
            continue

        if phase == "body":
            nm = NUMBERED_RE.match(text)
            lm = LETTERED_RE.match(text)
            if nm:
                n = int(nm.group(1))
                if n != last_number + 1:
                    what = "skips" if n > last_number + 1 else "repeats"
                    raise InputError(path, f"operative paragraph {n}. {what} the numbering "
                                     f"(expected {last_number + 1}.)", line=b.line_start)
                last_number = n
                body = text[nm.end():]
                p = _Para("operative", b, label=str(n), prefix_len=nm.end(),
                          opening_verb=opening_verb(body, rules.operative_verbs, rules.verb_prefixes))
                paras.append(p)
                current_operative = p
                expected_letter = 0
            elif lm and current_operative is not None and (
                    current_operative.block.text.endswith(("：", ":")) or current_operative.is_chapeau):
                letter = lm.group(1)
                idx = letter_index(letter)
                if idx != expected_letter:
                    if (current_operative.is_chapeau and current_item is not None and _skips_none(idx, expected_letter)
                            and _inner_continues(current_item, letter, prev_block)):
                        _merge(current_item.block, b)
                        prev_block = b
                        continue
                    _sequence_error(path, b, letter, expected_letter)
                current_operative.is_chapeau = True
                expected_letter += 1
                p = _Para("operative", b, label=f"{current_operative.label}({letter})", prefix_len=lm.end(),
                          chapeau=current_operative.block.text[current_operative.prefix_len:],
                          opening_verb=current_operative.opening_verb)
                paras.append(p)
                current_item = p
            elif last_number == 0 and (
                    opening_verb(text, rules.preamble_verbs, rules.verb_prefixes) or text.endswith(("，", ","))):
                preamble_n += 1
                paras.append(_Para("preamble", b, label="", opening_verb=opening_verb(
                    text, rules.preamble_verbs, rules.verb_prefixes)))
                if paras[-1].opening_verb is None:
                    unknown_verbs.setdefault(text[:2], []).append(b.line_start)
            elif last_number == 0 and kind == "decision" and text[-1:] in "。；":
                # A decision is often one unnumbered paragraph ("在…会议上，缔约方会议决定…。"):
                # it is what the body decides, an operative paragraph of its own.
                unnumbered += 1
                paras.append(_Para("operative", b, label=str(unnumbered), opening_verb=opening_verb(
                    text, rules.operative_verbs, rules.verb_prefixes)))
            else:
                unplace(b, "body text that is neither a preambular nor a numbered operative paragraph")
            prev_block = b
            continue

        # -- inside an annex ---------------------------------------------
        lm = LETTERED_RE.match(text)
        nm = NUMBERED_RE.match(text)
        if lm and (letter_index(lm.group(1)) is not None or lm.group(1) in _ROMAN_NUMS):
            letter = lm.group(1)
            idx = letter_index(letter)
            # A real item follows a finished clause or a heading; a label that
            # follows "…；以及" continues an enumeration inside the item.
            inner_tie = (idx == expected_letter and current_item is not None and prev_block is not None
                         and current_item.block.text[-1:] not in CLAUSE_END and paras[-1] is current_item
                         and _inner_continues(current_item, letter, prev_block))
            if idx != expected_letter or inner_tie:
                if (current_item is not None and _skips_none(idx, expected_letter)
                        and _inner_continues(current_item, letter, prev_block)):
                    _merge(current_item.block, b)
                    prev_block = b
                    continue
                _sequence_error(path, b, letter, expected_letter)
            expected_letter += 1
            p = _Para("recommendation", b, part=part, label=letter, section=section,
                      annex_title=annex_title, prefix_len=lm.end())
            paras.append(p)
            current_item = p
        elif nm and expected_letter == 0:
            n = int(nm.group(1))
            if n != expected_number:
                raise InputError(path, f"annex {part} paragraph {n}. breaks the numbering "
                                 f"(expected {expected_number}.)", line=b.line_start)
            expected_number += 1
            p = _Para("recommendation", b, part=part, label=str(n), section=section,
                      annex_title=annex_title, prefix_len=nm.end())
            paras.append(p)
            current_item = p
        elif (annex_title is None and current_item is None and not annex_counts["intro"]
              and not text.endswith(("：", ":"))):
            annex_title = text
            paras.append(_Para("annex_title", b, part=part, annex_title=annex_title))
        elif text.endswith(("：", ":")):
            annex_counts["intro"] += 1
            paras.append(_Para("intro", b, part=part, label="", section=section, annex_title=annex_title))
        elif not _ends_clause(text) and len(text) <= 120:
            annex_counts["heading"] += 1
            section = text
            paras.append(_Para("heading", b, part=part, label="", section=section, annex_title=annex_title))
        else:
            unplace(b, f"annex {part} text that is not a title, an introduction, a heading or a lettered item")
        prev_block = b


    unit.title = "".join(title_parts)
    unit.acting_body = acting_body
    first = next((p.block.text for p in paras if p.kind == "operative"), "")
    met = re.match(r"^在(\d{4}年\d{1,2}月\d{1,2}日)(?:举行的)?第\d+次(?:全体)?会议上", first)
    if met and not unit.date:  # "在2022年10月21日第9次会议上，缔约方会议决定…": the day it was adopted
        unit.date = iso_date(met.group(1))
    unit.body = bodies.body_of(acting_body) if acting_body else ""
    if not acting_body and not any(p.kind in ("operative", "recommendation", "preamble") for p in paras):
        raise InputError(path, f"{kind} number {number} at line {header.line_start} is followed by neither an "
                         f"acting body nor paragraphs: this is not a {kind}", line=header.line_start)
    unit.header_lines = header_lines
    return unit, paras


def _ends_clause(text: str) -> bool:
    return text[-1:] in CLAUSE_END


def _inner_continues(item: _Para, letter: str, prev_block: Block | None) -> bool:
    """Does a block opening with ``(letter)`` continue an enumeration inside ``item``?

    It does when the item's text ends in ``：`` and the label starts a list
    (``(a)`` or ``(i)``), or when the label is the next one after the labels
    already seen inside the item (inline or merged).
    """
    inline = re.findall(r"\(([a-z]{1,4})\)", item.block.text[item.prefix_len:])
    if not inline:
        return item.block.text.endswith(("：", ":")) and letter in ("a", "i")
    last = inline[-1]
    if letter_index(last) is not None and letter_index(letter) is not None:
        return letter_index(letter) == letter_index(last) + 1
    romans = sorted(_ROMAN_NUMS, key=lambda r: ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"].index(r))
    if last in romans and letter in romans:
        return romans.index(letter) == romans.index(last) + 1
    return False


def _sequence_error(path: str, b: Block, letter: str, expected: int) -> None:
    idx = letter_index(letter)
    want = letter_at(expected)
    if idx is None:
        raise InputError(path, f"unexpected label ({letter}) where ({want}) was expected", line=b.line_start)
    if idx > expected:
        missing = ", ".join(f"({letter_at(i)})" for i in range(expected, idx))
        raise InputError(path, f"lettered items skip {missing}: ({letter}) follows "
                         f"({letter_at(expected - 1) if expected else 'the start'})", line=b.line_start)
    raise InputError(path, f"lettered item ({letter}) repeats or restarts the lettering "
                     f"(expected ({want}))", line=b.line_start)


_INT_COLUMNS = ("seq", "char_start", "char_end", "line_start", "line_end")


def _finish(doc: Document, units: list[Unit], paras_by_unit: list[list[_Para]], report_paras: list[_Para],
            header_lines: list[int], unplaced: list[dict], is_report: bool, *, validate: bool = True) -> Segmented:
    # Build the normalised text from the final blocks (after merges), in
    # source order, so that every row's offsets point into it.
    placed = [(p, u, i) for u, paras in zip(units, paras_by_unit) for i, p in enumerate(paras)]
    placed += [(p, None, i) for i, p in enumerate(report_paras)]
    if len(units) > 1 or report_paras:
        placed.sort(key=lambda t: (t[0].block.line_start, t[2] if t[1] is None else -1))
    pieces: list[str] = []
    rows: list[dict] = []
    pos = 0
    fn_seen: dict[tuple, int] = {}
    pre_n: dict[str, int] = {}
    seqs: dict[str, int] = {}
    counters: dict[tuple, int] = {}
    for p, unit, _ in placed:
        b = p.block
        block_start = pos
        pieces.append(b.text)
        pos += len(b.text) + 1
        start = block_start + p.prefix_len
        text = b.text[p.prefix_len:]
        # strip leading spaces the label left behind
        lead = len(text) - len(text.lstrip())
        start += lead
        text = text.strip()
        footnotes = [lab for _, lab in sorted(b.footnote_refs)]
        res = unit.key if unit else ""
        seq = seqs.get(res, 0)
        seqs[res] = seq + 1
        if p.kind == "report":
            para_id, rec_id = f"{doc.source_file}:report:{seq + 1}", None
        elif p.kind == "footnote" and unit is None:  # a footnote of the report's own text
            para_id, rec_id = f"{doc.source_file}:report:fn{p.label}-{seq + 1}", None
        elif p.kind == "footnote":
            n = fn_seen.get((res, p.label), 0) + 1
            fn_seen[(res, p.label)] = n
            para_id = f"{res}:fn:{p.label}" + (f"-{n}" if n > 1 else "")
            rec_id = None
        elif p.kind == "preamble":
            pre_n[res] = pre_n.get(res, 0) + 1
            para_id, rec_id = f"{res}:body:p{pre_n[res]}", None
        elif p.kind == "operative":
            para_id = f"{res}:body:{p.label}"
            rec_id = None if p.is_chapeau else para_id
        elif p.kind == "recommendation":
            para_id = rec_id = f"{res}:{p.part}:{p.label}"
        elif p.kind == "annex_title":
            para_id, rec_id = f"{res}:{p.part}:title", None
        else:
            k = (res, p.kind, p.part)
            counters[k] = counters.get(k, 0) + 1
            para_id = f"{res}:{p.part}:{'intro' if p.kind == 'intro' else 'h'}{counters[k]}"
            rec_id = None
        rows.append({
            "para_id": para_id, "rec_id": rec_id, "resolution": res,
            "unit_kind": unit.kind if unit else "", "body": unit.body if unit else "",
            "session": bodies.session_of(unit.key) if unit else None,
            "year": (int(unit.date[:4]) if unit.date else bodies.year_of(unit.key)) if unit else None,
            "date": unit.date if unit else None,
            "resolution_title": unit.title if unit else "",
            "acting_body": unit.acting_body if unit else "", "part": p.part, "label": p.label or "",
            "kind": p.kind, "seq": seq,
            "section": p.section, "annex_title": p.annex_title, "opening_verb": p.opening_verb,
            "chapeau": p.chapeau, "is_chapeau": bool(p.is_chapeau), "text": text,
            "char_start": start, "char_end": start + len(text),
            "line_start": b.line_start, "line_end": b.line_end, "footnotes": footnotes,
            "source_file": doc.source_file, "source_sha256": doc.sha256,
        })
    full = "\n".join(pieces)
    _check_footnotes(doc, rows)
    if rows:
        # Column-wise construction: a document's table is small and built once
        # per input, so pandas' per-call overhead is what counts here.
        # The typed columns are made typed (astype and assignment after the
        # construction cost as much as the construction).
        typed = {**{c: np.array([r[c] for r in rows], dtype=np.int64) for c in _INT_COLUMNS},
                 **{c: pd.array([r[c] for r in rows], dtype="Int64") for c in ("session", "year")},
                 "is_chapeau": np.array([r["is_chapeau"] for r in rows], dtype=bool)}
        df = pd.DataFrame({c: typed[c] if c in typed else [r[c] for r in rows] for c in tables.PARAGRAPHS.names})
    else:
        df = tables.empty(tables.PARAGRAPHS)
    if validate:
        tables.check(df, tables.PARAGRAPHS)
    un = pd.DataFrame(unplaced, columns=tables.UNPLACED.names)
    logger.info("%s: %s, %d paragraphs, %d recommendations, %d footnotes, %d unplaced",
                doc.source_file, ", ".join(u.key for u in units), len(rows),
                sum(r["rec_id"] is not None for r in rows), sum(r["kind"] == "footnote" for r in rows), len(un))
    return Segmented(units, header_lines, df, un, full, is_report)


# -- the shapes of headers, report text and closing lines ------------------

_INTRO_RE = re.compile(r"通过了?(?:下列|以下|如下)")
_SESSION_RE = re.compile(r"^第[一二三四五六七八九十百零〇]+届(?:特别)?会议$")
_META_RE = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇]+届(?:特别)?会议|议程项目.{0,30}|[\[［【].{0,120}通过[\]］】]"
    r"|[\u4e00-\u9fff]{1,20}(?:决议|决定)|联合国|Distr\.?.*|General|Original:.*|Chinese|中文"
    r"|\d{4}年\d{1,2}月\d{1,2}日)$")
_MEETING_RE = re.compile(r"^(?:(\d{4}年\d{1,2}月\d{1,2}日))?(第\d{1,4}次全体会议)?(?:(\d{4}年\d{1,2}月\d{1,2}日))?$")
_CN_NUMERALS = "一二三四五六七八九十"


def _header(b: Block, nxt: Block | None, rules: StructureRules) -> tuple[str, str, str, str] | None:
    """``(number, kind, style, inline title)`` when a block is the header of a
    resolution or decision, else None. Only a whole block is a header: a
    number cited in running text (``第 9/3 号决议，…``) never is.

    >>> from analysis.read import Block
    >>> [_header(Block(t, 1, 1), Block("大会，", 2, 2), structure_rules()) for t in
    ...  ("第11/2号决议", "第11/101号决定", "52/85.《那不勒斯政治宣言》的后续行动", "2002/13采取行动促进有效预防犯罪",
    ...   "第9/3号决议，", "52/85号决议所载", "3.决定")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('11/2', 'resolution', 'cop', ''), ('11/101', 'decision', 'cop', ''),
     ('52/85', 'resolution', 'number', '《那不勒斯政治宣言》的后续行动'),
     ('2002/13', 'resolution', 'year', '采取行动促进有效预防犯罪'), None, None, None]
    """
    text = b.text
    if CONTENTS_LINE.search(text):  # a contents entry names a unit, it does not start one
        return None
    m = UNIT_HEADER.match(text)
    if m:
        style = "year" if len(m.group(1).split("/")[0]) == 4 else "cop"
        return m.group(1), "resolution" if m.group(2) == "决议" else "decision", style, ""
    for style, rx in (("year", YEAR_HEADER), ("number", NUMBER_HEADER)):
        m = rx.match(text)
        if not m:
            continue
        title = m.group(2).strip()
        if len(text) > 200 or (title and title[-1] in "，,；;。：") or title.startswith(("号", "决议", "决定")):
            return None
        if style == "year" and not title and not text.endswith("."):
            return None
        # A header is followed by its title or its acting body, not by running text.
        if not title and (nxt is None or nxt.text[-1:] in "；。"):
            return None
        return m.group(1), "resolution", style, title
    return None


def _report_heading(text: str) -> tuple[str, int] | None:
    """A chapter (``一. …``) or section (``A. …``) heading of a report's kind.

    >>> _report_heading("二.会议安排"), _report_heading("B.决定"), _report_heading("A/RES/52/85")
    (('zh', 2), ('latin', 2), None)
    """
    if len(text) > 60 or text[-1:] in "，,；;。":
        return None
    m = re.match(rf"^([{_CN_NUMERALS}]+)[.．、]\s*\S", text)
    if m:
        n = cn_to_int(m.group(1))
        return ("zh", n) if n else None
    m = re.match(r"^([A-Z])[.．]\s*[^\x00-\x7f]", text)
    if m:
        return ("latin", ord(m.group(1)) - ord("A") + 1)
    return None


def _continues(seen: list[tuple[str, int]], heading: tuple[str, int]) -> bool:
    """Does ``heading`` continue the sequence of ``seen`` headings (sections
    restart under each chapter)?

    >>> _continues([("zh", 1), ("latin", 1)], ("latin", 2)), _continues([("zh", 1), ("latin", 1)], ("zh", 2))
    (True, True)
    >>> _continues([("zh", 1), ("latin", 1)], ("latin", 1)), _continues([], ("latin", 2))
    (False, False)
    """
    style, n = heading
    if style == "latin":
        after = []
        for h in seen:
            after = [] if h[0] == "zh" else after + [h]
        last = after[-1][1] if after else 0
    else:
        zh = [h for h in seen if h[0] == "zh"]
        last = zh[-1][1] if zh else 0
    return n == last + 1


def _key_units(doc: Document, units: list[Unit], styles: list[str], paras_by_unit: list[list[_Para]]) -> None:
    """Set each unit's body and key. A unit without an acting body line (a
    decision is often one sentence: "在…会议上，缔约方会议决定…") is the body
    its first paragraph names; else the body of the other units of its file
    when they agree (a session report is one body's); else the body its
    header's style implies (``第…号`` COP, ``52/85.`` General Assembly,
    ``2002/13`` ECOSOC), with a warning."""
    known = {(u.body, u.acting_body) for u in units if u.body}
    agreed = {b for b, _ in known}
    for unit, paras in zip(units, paras_by_unit):
        first = next((p.block.text for p in paras if p.kind in ("operative", "preamble")), "")
        if not unit.acting_body and first:
            named = _named_body(first)
            # a body the sentence names only as an addressee ("…转交大会") is not the one that decides
            # when the rest of the file is another body's
            if named and (len(agreed) != 1 or bodies.body_of(named) in agreed):
                unit.acting_body, unit.body = named, bodies.body_of(named)
    for unit, style in zip(units, styles):
        if not unit.body:
            if len(known) == 1:
                unit.body, inherited = next(iter(known))
                unit.acting_body = unit.acting_body or inherited
            else:
                unit.body = {"cop": "COP", "number": "GA", "year": "ECOSOC"}[style]
                said = (f"acting body {unit.acting_body!r} is not in bodies.yaml" if unit.acting_body
                        else "no acting body line (…缔约方会议，) after the title")
                logger.warning("%s:%d: %s of %s %s; keyed as %s's", doc.source_file, unit.line_start, said,
                               unit.kind, unit.number, unit.body)
        unit.key = bodies.unit_key(unit.body, unit.number, unit.kind)
    seen: dict[str, Unit] = {}
    for unit in units:
        if unit.key in seen:
            raise InputError(doc.source_path, f"{unit.kind} {unit.key} appears twice in this file (also at line "
                             f"{seen[unit.key].line_start})", line=unit.line_start)
        seen[unit.key] = unit


def _meta_until_header(blocks: list[Block], pos: int, headers: dict) -> bool:
    """Are the body blocks from ``pos`` up to the next header all metadata lines?"""
    for j in range(pos, len(blocks)):
        if j in headers:
            return True
        if not blocks[j].is_footnote and not _is_meta(blocks[j].text):
            return False
    return False


def _named_body(text: str) -> str | None:
    """The first body a sentence names, as written (longest spelling there).

    >>> _named_body("在2022年10月21日第9次会议上，缔约方会议决定其第十二届会议在维也纳举行。")
    '缔约方会议'
    """
    hits = [(text.find(s), -len(s), s) for b in bodies.load_bodies().values() for s in b.spellings if s in text]
    return min(hits)[2] if hits else None


def _is_meta(text: str) -> bool:
    """A line above a header that says where the resolution comes from: the
    session, the agenda item, the committee's report, the body's name alone.

    >>> [_is_meta(t) for t in ("第五十二届会议", "议程项目101", "[根据第三委员会的报告(A/52/635)通过]", "大会", "大会，")]
    [True, True, True, True, False]
    """
    return bool(_META_RE.match(text)) or any(text == s for b in bodies.load_bodies().values() for s in b.spellings)


def _next_body(blocks: list[Block], pos: int) -> int | None:
    for j in range(pos + 1, len(blocks)):
        if not blocks[j].is_footnote:
            return j
    return None


def _title_metadata(text: str) -> tuple[str, str | None]:
    """Cut a web page's metadata off a title line; return the title and the
    adoption date it names.

    >>> _title_metadata("《宣言》通过日期联合国大会1996年12月12日通过原始文本查看")
    ('《宣言》', '1996年12月12日')
    """
    m = re.search(r"通过日期|原始文本|查看$", text)
    if not m:
        return text, None
    d = re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text[m.start():])
    return text[:m.start()], d.group() if d else None


def iso_date(text: str | None) -> str | None:
    """``1997年12月12日`` -> ``1997-12-12`` (None for anything else).

    >>> iso_date("1997年12月12日"), iso_date("2022年5月3日"), iso_date("2022年13月3日")
    ('1997-12-12', '2022-05-03', None)
    """
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text or "")
    if not m:
        return None
    y, mo, d = map(int, m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def _closing(text: str, unit: Unit) -> bool:
    """Record the adopting meeting and date lines after the last paragraph."""
    m = _MEETING_RE.match(text)
    if not text or not m or not (m.group(1) or m.group(2) or m.group(3)):
        return False
    unit.meeting = m.group(2) or unit.meeting
    unit.date = iso_date(m.group(1) or m.group(3)) or unit.date
    return True


def _skips_none(idx: int | None, expected: int) -> bool:
    """A label may continue an enumeration inside the current item only when
    it does not also skip items of the outer sequence: ``(e)`` after an item
    ``(c)`` that holds ``(a)…(d)`` is the outer (e) with (d) missing."""
    return idx is None or idx <= expected


def _assign_footnotes(units: list[Unit], paras_by_unit: list[list[_Para]],
                      outside: list[tuple[Block, str]]) -> list[tuple[Block, str]]:
    """Give every footnote body to the unit that cites it (the nearest citing
    paragraph before it, else after it); bodies nobody cites stay where they
    stand. A page can end one resolution and start the next, so a body may
    stand in the range of another unit, or between two."""
    if len(units) < 2 and not any(b.is_footnote for b, _ in outside):
        return outside
    cites: list[tuple[int, int, str]] = []  # (line, unit index, label)
    for k, paras in enumerate(paras_by_unit):
        for p in paras:
            if p.kind != "footnote":
                cites += [(p.block.line_start, k, lab) for _, lab in p.block.footnote_refs]

    def owner(b: Block) -> int | None:
        before = [(line, k) for line, k, lab in cites if lab == b.footnote_label and line <= b.line_start]
        after = [(line, k) for line, k, lab in cites if lab == b.footnote_label and line > b.line_start]
        return max(before)[1] if before else min(after)[1] if after else None

    moved: list[tuple[int, _Para]] = []
    for k, paras in enumerate(paras_by_unit):
        for p in list(paras):
            if p.kind == "footnote":
                o = owner(p.block)
                if o is not None and o != k:
                    paras.remove(p)
                    moved.append((o, p))
    rest = []
    for b, role in outside:
        o = owner(b) if b.is_footnote else None
        if o is None:
            rest.append((b, role))
        else:
            moved.append((o, _Para("footnote", b, part="fn", label=b.footnote_label)))
    for k, p in moved:
        paras = paras_by_unit[k]
        at = next((i for i, q in enumerate(paras) if q.block.line_start > p.block.line_start), len(paras))
        paras.insert(at, p)
    return rest


def _check_footnotes(doc: Document, rows: list[dict]) -> None:
    """Warn about footnote marks without a body, and bodies nobody cites."""
    bodies = {r["label"] for r in rows if r["kind"] == "footnote"}
    cited = {lab for r in rows if r["kind"] != "footnote" for lab in r["footnotes"]}
    for lab in sorted(cited - bodies):
        logger.warning("%s: footnote mark %s has no footnote text", doc.source_file, lab)
    for lab in sorted(bodies - cited):
        logger.warning("%s: footnote %s is not cited by any paragraph", doc.source_file, lab)


def recommendations(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """The recommendation rows of a paragraphs table (one per rec_id)."""
    recs = paragraphs[paragraphs["rec_id"].notna()].reset_index(drop=True)
    return tables.check(recs, tables.SEGMENTED_RECOMMENDATIONS)
