"""Extraction: every reference of a paragraph, and the body it belongs to.

``extract_citations(paragraphs)`` reads each paragraph with the
expressions of ``patterns`` and, for a resolution or decision, decides its
body the way UN resolutions are drafted: the adopting body is written in
front of the number (with its date or title between), a text refers to
itself as 其 and to a body just named by its kind (理事会), and ECOSOC
alone numbers by year. What a paragraph names is remembered for the
paragraphs after it in the same unit.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import pandas as pd

from .. import bodies as registry
from .. import tables
from ..numerals import cn_to_int
from .citable import BODIES_FILE, Bodies, _acting_body, load_bodies
from .patterns import (
    _ART,
    _CN_NUM,
    _RES_NUM_RE,
    _S,
    _SEP,
    ARTICLE_RE,
    DATE_RE,
    DOCUMENT_RE,
    RESOLUTION_RE,
    SYMBOL_RE,
    TREATY_RE,
    _nonempty,
    _nospace,
    fold_width,
)

# The package's logger: messages read ``analysis.citations`` as before the split.
logger = logging.getLogger(__package__)

CITED_KINDS = ("resolution", "document", "date", "treaty", "article")

CITATION_COLUMNS = tables.CITATIONS.names  # the contract is analysis.tables'

CONTEXT_CHARS = 20


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------


@dataclass
class _Hit:
    kind: str
    cited: str
    start: int
    end: int
    body: str | None = None
    detail: str | None = None
    normalised: str | None = None
    body_inferred: bool = False
    unit_kind: str | None = None
    key: str | None = None
    body_source: str | None = None


# What the drafting puts between a body and 第…号决议 (read from the end of
# the text before 第, one piece at a time): the adoption date, the title,
# the subject, the session, 通过的, 在其 (大会在其…第55/25号决议中).
_INTERLUDES = tuple(re.compile(rf"(?:{p}){_S}$") for p in (
    r"题为\s*[“\"「『][^”\"」』]{1,300}[”\"」』]\s*的",
    r"关于(?:(?!决议|决定)[^，,；;。：:]){1,80}?的",
    r"(?:通过|核可)?的",
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
    rf"第\s*[\d{_CN_NUM}]+\s*届(?:特别)?会议上?",
    r"(?:在|于)\s*其",
    r"(?:在|于)",
))
# 其 alone (回顾其…, 及其…) is the citing body itself: nothing before it is read.
_ITS_RE = re.compile(rf"其{_S}$")
_LIST_JOIN_RE = re.compile(rf"{_S}(?:、|和|及|以及|与|或){_S}")
_YEAR_NUMBER_RE = re.compile(r"\d{4}/\d+")
# Far enough back for a body, a date and a long title.
_LOOKBACK = 400
_WRITTEN = ("named", "unlisted", "back_reference")


@dataclass
class _Context:
    """What the rules need to know about the paragraph being read."""

    bodies: Bodies
    own: str | None  # canonical name of the citing unit's acting body
    earlier: list[str]  # bodies named in the preceding paragraphs of the unit, in order
    named: list[tuple[int, str]] = field(default_factory=list)  # (end, canonical) in this paragraph


def _strip_interludes(before: str) -> tuple[str, bool]:
    """``before`` without the date, title … pieces at its end; True when a bare 其 ends what is left."""
    while True:
        if _ITS_RE.search(before) and not re.search(rf"(?:在|于){_S}其{_S}$", before):
            return before, True
        for pattern in _INTERLUDES:
            m = pattern.search(before)
            if m:
                before = before[: m.start()]
                break
        else:
            return before, False


def _of_kind(canonical: str, head: str) -> bool:
    return canonical.endswith(head)


def _antecedent(ctx: _Context, head: str, at: int, determined: bool) -> str | None:
    """The body a head (理事会, 该委员会 …) at offset ``at`` stands for.

    The last body of that kind named before it in the paragraph; else, for
    a bare head, the acting body itself when it is of that kind (the Council
    calls itself 理事会); else the last one named in the preceding
    paragraphs of the unit; else (该委员会) the acting body of that kind.
    """
    here = [c for end, c in ctx.named if end <= at and _of_kind(c, head)]
    if here:
        return here[-1]
    own = ctx.own if ctx.own and _of_kind(ctx.own, head) else None
    if own and not determined:
        return own
    earlier = [c for c in ctx.earlier if _of_kind(c, head)]
    return earlier[-1] if earlier else own


def _body_of_expression(text: str, m: re.Match, ctx: _Context, previous) -> tuple:
    """(canonical or None, source, start of the span) of the resolution expression ``m``.

    ``previous`` is (end, canonical, source) of the resolution expression
    before it in the paragraph, or None.
    """
    lo = max(0, m.start() - _LOOKBACK)
    before, its = _strip_interludes(text[lo : m.start()])
    if its:
        return ctx.own, "own", m.start()
    end = lo + len(before.rstrip())
    # 大会第55/25号决议和2001年5月31日第55/255号决议: a resolution listed
    # after another shares the body written in front of the first.
    if previous and previous[2] in _WRITTEN and _LIST_JOIN_RE.fullmatch(text[previous[0] : end]):
        return previous[1], previous[2], m.start()
    bodies = ctx.bodies
    for det in bodies.determiners:
        for head in bodies.heads:
            if before.rstrip().endswith(det + head):
                start = end - len(det + head)
                found = _antecedent(ctx, head, start, determined=True)
                return (found, "back_reference", start) if found else (head, "unresolved", start)
    found = bodies.before(before)
    if found is None:
        return ctx.own, "own", m.start()
    canon, written, known = found
    start = end - len(written)
    if known:
        return canon, "named", start
    if canon in bodies.heads:
        resolved = _antecedent(ctx, canon, start, determined=False)
        return (resolved, "back_reference", start) if resolved else (canon, "unresolved", start)
    logger.info("citations: body %r read by the generic rule; add it to %s", written, BODIES_FILE.name)
    return canon, "unlisted", start


def _resolutions(text: str, ctx: _Context) -> Iterable[_Hit]:
    bodies = ctx.bodies
    ecosoc = bodies.name_of("ECOSOC")
    previous = None
    for m in RESOLUTION_RE.finditer(text):
        body, source, start = _body_of_expression(text, m, ctx, previous)
        if source in _WRITTEN:  # 该理事会 after 理事会 (resolved) or an unlisted body refers to it
            ctx.named.append((m.start(), body))
        previous = (m.end(), body, source)
        unit_kind = "decision" if m.group("what") == "决定" else "resolution"
        detail_parts = []
        if unit_kind == "decision":
            detail_parts.append("决定")
        if m.group("annex"):
            detail_parts.append(_nospace(m.group("annex")))
        if m.group("para"):
            detail_parts.append(_nospace(m.group("para")).lstrip("，,"))
        for num in _RES_NUM_RE.finditer(m.group("list")):
            number = f"{int(num.group(1))}/{int(num.group(2))}"
            b, src = body, source
            # 1996/27: a four-digit year first is ECOSOC's numbering, unless
            # the text names another body (a head the Council could answer
            # to, 理事会, does not).
            if (ecosoc and b != ecosoc and _YEAR_NUMBER_RE.fullmatch(number)
                    and (src in ("own", "unresolved") or (src == "back_reference" and any(
                        ecosoc.endswith(h) and _of_kind(b, h) for h in bodies.heads)))):
                b, src = ecosoc, "year_number"
            code = bodies.code(b)
            yield _Hit(
                "resolution",
                _nospace(num.group(0)),
                start,
                m.end(),
                body=b,
                detail="，".join(detail_parts) or None,
                normalised=number,
                body_inferred=src in ("own", "back_reference", "year_number"),
                unit_kind=unit_kind,
                key=registry.unit_key(code, number, unit_kind) if code else None,
                body_source=src,
            )


def _documents(text: str) -> Iterable[_Hit]:
    for m in DOCUMENT_RE.finditer(text):
        para = _nospace(m.group("para")).lstrip("，,") if m.group("para") else None
        for s in SYMBOL_RE.finditer(m.group("symbols")):
            sym = _nospace(s.group(0))
            yield _Hit("document", sym, m.start(), m.end(), detail=para, normalised=sym)


def _iso(y: int, mo: int, d: int) -> str | None:
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _dates(text: str) -> Iterable[_Hit]:
    for m in DATE_RE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        first = _iso(y, mo, d)
        if first is None:
            continue
        norm = first
        if m["d2"]:
            y2 = int(m["y2"]) if m["y2"] else y
            mo2 = int(m["m2"]) if m["m2"] else mo
            second = _iso(y2, mo2, int(m["d2"]))
            if second is not None:
                # 至 is a range; 和/及/、 are separate days.
                norm = f"{first}/{second}" if m["sep"] in ("至", "到", "—", "–", "-", "~") else f"{first},{second}"
        yield _Hit("date", _nospace(m.group(0)), m.start(), m.end(), normalised=norm)


def _treaties(text: str, last_series: list[str]) -> Iterable[_Hit]:
    for m in TREATY_RE.finditer(text):
        if m["series"]:
            series = m["series"].strip()
            last_series[0] = series
        elif last_series[0]:
            series = last_series[0]  # 同上: the series of the previous reference
        else:
            continue
        detail = f"第{m['no']}号" if m["no"] else None
        for v in re.findall(r"\d{1,5}", m["vols"]):
            yield _Hit(
                "treaty",
                f"《{series}》第{int(v)}卷",
                m.start(),
                m.end(),
                detail=detail,
                normalised=f"{series}:{int(v)}",
            )


def _articles(text: str) -> Iterable[_Hit]:
    for m in ARTICLE_RE.finditer(text):
        parts = re.findall(rf"{_ART}|{_SEP}", m["list"])
        numbers: list[int] = []
        pending_range = False
        for p in parts:
            if re.fullmatch(_SEP, p):
                pending_range = p in ("至", "到")
                continue
            n = cn_to_int(p)
            if n is None or n == 0:
                continue
            if pending_range and numbers and 0 < n - numbers[-1] <= 30:
                numbers.extend(range(numbers[-1] + 1, n + 1))
            else:
                numbers.append(n)
            pending_range = False
        instr = m["instr"].strip() if m["instr"] else None
        sub = _nospace(m["sub"]) or None
        for n in dict.fromkeys(numbers):
            yield _Hit("article", f"第{n}条", m.start(), m.end(), body=instr, detail=sub, normalised=str(n))


def _text_hits(text: str, ctx: _Context, last_series: list[str]) -> list[_Hit]:
    folded = fold_width(text)
    ctx.named = [(m.end(), ctx.bodies.canonical(m.group(0))) for m in ctx.bodies.mentions.finditer(folded)]
    hits = [
        *_resolutions(folded, ctx),
        *_documents(folded),
        *_dates(folded),
        *_treaties(folded, last_series),
        *_articles(folded),
    ]
    hits.sort(key=lambda h: (h.start, CITED_KINDS.index(h.kind)))
    # What this paragraph named is what the next ones may refer back to.
    ctx.earlier.extend(c for _, c in sorted(ctx.named, key=lambda n: n[0]))
    return hits



def extract_citations(paragraphs: pd.DataFrame, *, bodies: Bodies | None = None) -> pd.DataFrame:
    """The ``citations`` table of ``paragraphs`` (see the module docstring)."""
    bodies = bodies or load_bodies()
    needed = ["para_id", "resolution", "source_file", "kind", "text"]
    missing = [c for c in needed if c not in paragraphs.columns]
    if missing:
        raise ValueError(f"citations: paragraphs table lacks column(s) {', '.join(missing)}")
    if paragraphs.empty:
        return _empty()
    df = paragraphs
    if "seq" in df.columns:
        df = df.sort_values(["source_file", "seq"], kind="stable")

    # Footnote number -> paragraphs carrying its mark, per document.
    marks: dict[tuple[str, str], list[str]] = defaultdict(list)
    if "footnotes" in df.columns:
        for src, pid, notes in zip(df["source_file"], df["para_id"], df["footnotes"]):
            for note in notes if isinstance(notes, (list, tuple)) else []:
                marks[(src, str(note))].append(pid)

    rows = []
    series_by_doc: dict[str, list[str]] = defaultdict(lambda: [""])
    named_in_unit: dict[tuple, list[str]] = defaultdict(list)
    owners: dict[tuple, str | None] = {}
    for row in df.itertuples(index=False):
        text = row.text if isinstance(row.text, str) else ""
        if not text:
            continue
        acting = getattr(row, "acting_body", None)
        who = (acting if _nonempty(acting) else None, row.resolution)
        if who not in owners:
            owners[who] = _acting_body(bodies, *who)
        own = owners[who]
        ctx = _Context(bodies, own, named_in_unit[(row.source_file, row.resolution)])
        verb = getattr(row, "opening_verb", None)
        ctype = verb if _nonempty(verb) else row.kind
        rec_id = getattr(row, "rec_id", None)
        rec_id = rec_id if _nonempty(rec_id) else None
        referenced_by: list[str] = []
        if row.kind == "footnote":
            referenced_by = marks.get((row.source_file, str(getattr(row, "label", ""))), [])
        for h in _text_hits(text, ctx, series_by_doc[row.source_file]):
            lo, hi = max(0, h.start - CONTEXT_CHARS), min(len(text), h.end + CONTEXT_CHARS)
            rows.append(
                {
                    "para_id": row.para_id,
                    "rec_id": rec_id,
                    "resolution": row.resolution,
                    "source_file": row.source_file,
                    "citation_type": ctype,
                    "cited_kind": h.kind,
                    "cited": h.cited,
                    "cited_body": h.body,
                    "span_start": h.start,
                    "span_end": h.end,
                    "context": text[lo:hi],
                    "detail": h.detail,
                    "normalised": h.normalised,
                    "body_inferred": h.body_inferred,
                    "referenced_by": list(referenced_by),
                    "citing_body": own,
                    "cited_unit_kind": h.unit_kind,
                    "cited_key": h.key,
                    "body_source": h.body_source,
                }
            )
    if not rows:
        logger.info("citations: none found in %d paragraphs", len(df))
        return _empty()
    out = pd.DataFrame(rows, columns=CITATION_COLUMNS)
    out["span_start"] = out["span_start"].astype("int64")
    out["span_end"] = out["span_end"].astype("int64")
    out["body_inferred"] = out["body_inferred"].astype(bool)
    counts = out["cited_kind"].value_counts()
    logger.info(
        "citations: %d in %d of %d paragraphs (%s)",
        len(out),
        out["para_id"].nunique(),
        len(df),
        ", ".join(f"{k} {int(counts.get(k, 0))}" for k in CITED_KINDS),
    )
    return out


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in CITATION_COLUMNS})
    out["span_start"] = out["span_start"].astype("int64")
    out["span_end"] = out["span_end"].astype("int64")
    out["body_inferred"] = out["body_inferred"].astype(bool)
    return out
