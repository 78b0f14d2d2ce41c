"""Segmenter: ``Document`` -> paragraphs table (and the unplaced report).

Contract
--------
``segment(doc)`` returns a ``Segmented`` with

* ``paragraphs``: one row per paragraph, columns of ``schema.PARAGRAPHS``;
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

import pandas as pd

from . import schema
from .numerals import cn_to_int, roman_to_int, to_roman
from .inputs import InputError
from .read import Block, Document
from .structure import StructureRules, structure_rules
from .text import join_wrapped

logger = logging.getLogger(__name__)

_ROMAN_NUMS = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}

RESOLUTION_RE = re.compile(r"^第(\d{1,3}/\d{1,3})号决议$")
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
class Segmented:
    resolution: str
    title: str
    acting_body: str
    header_lines: list[int]
    paragraphs: pd.DataFrame
    unplaced: pd.DataFrame
    text: str


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
    body_blocks = [b for b in blocks if not b.is_footnote]

    # -- resolution number ------------------------------------------------
    res_hits = [(i, b) for i, b in enumerate(body_blocks) if RESOLUTION_RE.match(b.text)]
    if not res_hits:
        raise InputError(path, "no resolution number found (a line such as '第 11/2 号决议'); "
                         "is this a resolution of the Conference of the Parties?", line=1)
    if len(res_hits) > 1:
        where = ", ".join(f"{RESOLUTION_RE.match(b.text).group(1)} at line {b.line_start}" for _, b in res_hits[:4])
        raise InputError(path, f"this file holds more than one resolution ({where}); "
                         "save each resolution in a file of its own", line=res_hits[1][1].line_start)
    res_idx, res_block = res_hits[0]
    if res_idx > 6:
        raise InputError(path, f"{res_idx} paragraphs of text precede the resolution number at line "
                         f"{res_block.line_start}: this looks like a report or an agenda, not a resolution",
                         line=res_block.line_start)
    m = RESOLUTION_RE.match(res_block.text)
    resolution = m.group(1)
    header_lines = list(range(res_block.line_start, res_block.line_end + 1))

    paras: list[_Para] = []
    unplaced: list[dict] = []

    def unplace(b: Block, reason: str) -> None:
        unplaced.append({"source_file": doc.source_file, "line": b.line_start, "text": b.text, "reason": reason})

    # Walk all blocks in order; footnotes are placed wherever they stand.
    title_parts: list[str] = []
    acting_body = ""
    phase = "before"  # before -> title -> body -> annex
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

    for b in blocks:
        if b.is_footnote:
            paras.append(_Para("footnote", b, part="fn", label=b.footnote_label))
            continue
        text = b.text
        if phase == "before":
            if b is res_block:
                phase = "title"
            else:
                unplace(b, "text before the resolution number")
            prev_block = b
            continue
        if phase == "title":
            if _is_acting_body(text, rules):
                acting_body = text.rstrip("，,")
                header_lines += range(b.line_start, b.line_end + 1)
                phase = "body"
                prev_block = b
                continue
            starts_body = (NUMBERED_RE.match(text) or ANNEX_RE.match(text)
                           or opening_verb(text, rules.preamble_verbs, rules.verb_prefixes))
            if not starts_body and len(title_parts) < 3:
                title_parts.append(text)
                header_lines += range(b.line_start, b.line_end + 1)
                prev_block = b
                continue
            phase = "body"  # no acting body line: carry on with the body

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
                    if current_operative.is_chapeau and current_item is not None and _inner_continues(current_item, letter, prev_block):
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
                    logger.warning("%s:%d: preamble paragraph without a known opening verb: %s",
                                   doc.source_file, b.line_start, text[:20])
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
                if current_item is not None and _inner_continues(current_item, letter, prev_block):
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

    if not acting_body:
        logger.warning("%s: no acting body line (…缔约方会议，) found after the title", doc.source_file)
    return _finish(doc, resolution, "".join(title_parts), acting_body, header_lines, paras, unplaced,
                   validate=validate)


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


def _finish(doc: Document, resolution: str, title: str, acting_body: str, header_lines: list[int],
            paras: list[_Para], unplaced: list[dict], *, validate: bool = True) -> Segmented:
    # Build the normalised text from the final blocks (after merges), so that
    # every row's offsets point into it.
    pieces: list[str] = []
    rows: list[dict] = []
    pos = 0
    fn_seen: dict[str, int] = {}
    pre_n = 0
    counters = {"intro": {}, "heading": {}}
    for seq, p in enumerate(paras):
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
        res = resolution
        if p.kind == "footnote":
            n = fn_seen.get(p.label, 0) + 1
            fn_seen[p.label] = n
            para_id = f"{res}:fn:{p.label}" + (f"-{n}" if n > 1 else "")
            rec_id = None
        elif p.kind == "preamble":
            pre_n += 1
            para_id, rec_id = f"{res}:body:p{pre_n}", None
        elif p.kind == "operative":
            para_id = f"{res}:body:{p.label}"
            rec_id = None if p.is_chapeau else para_id
        elif p.kind == "recommendation":
            para_id = rec_id = f"{res}:{p.part}:{p.label}"
        elif p.kind == "annex_title":
            para_id, rec_id = f"{res}:{p.part}:title", None
        else:
            c = counters[p.kind]
            c[p.part] = c.get(p.part, 0) + 1
            para_id = f"{res}:{p.part}:{'intro' if p.kind == 'intro' else 'h'}{c[p.part]}"
            rec_id = None
        rows.append({
            "para_id": para_id, "rec_id": rec_id, "resolution": res, "resolution_title": title,
            "acting_body": acting_body, "part": p.part, "label": p.label or "", "kind": p.kind, "seq": seq,
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
        df = pd.DataFrame({c: [r[c] for r in rows] for c in schema.PARAGRAPHS.names})
        for col in ("seq", "char_start", "char_end", "line_start", "line_end"):
            df[col] = df[col].astype("int64")
        df["is_chapeau"] = df["is_chapeau"].astype(bool)
    else:
        df = schema.empty(schema.PARAGRAPHS)
    if validate:
        schema.check(df, schema.PARAGRAPHS)
    un = pd.DataFrame(unplaced, columns=schema.UNPLACED.names)
    logger.info("%s: resolution %s, %d paragraphs, %d recommendations, %d footnotes, %d unplaced",
                doc.source_file, resolution, len(rows), sum(r["rec_id"] is not None for r in rows),
                sum(r["kind"] == "footnote" for r in rows), len(un))
    return Segmented(resolution, title, acting_body, sorted(set(header_lines)), df, un, full)


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
    return schema.check(recs, schema.RECOMMENDATIONS)
