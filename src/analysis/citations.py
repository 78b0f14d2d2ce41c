"""Citations: what each paragraph of a resolution refers to, and the map they make.

Contract
--------
``extract_citations(paragraphs) -> DataFrame`` takes the paragraphs table
(``tables.PARAGRAPHS``: every paragraph, footnotes included) and returns the
``citations`` table, one row per cited item, in document order:

``para_id, rec_id, resolution, source_file, citation_type, cited_kind, cited,
cited_body, span_start, span_end, context`` + ``detail``, ``normalised``,
``body_inferred``, ``referenced_by``, ``citing_body``, ``cited_unit_kind``,
``cited_key``, ``body_source``

* ``cited_kind`` is one of ``resolution`` (第10/4号决议, 大会第70/1号决议 …,
  and decisions: 第10/1号决定, see ``cited_unit_kind``), ``document`` (UN
  document symbols: CTOC/COP/WG.2/2022/4, A/RES/55/25 …; a
  combined symbol ``X-Y`` is two documents), ``date`` (2020年10月16日, ranges
  such as 2022年5月23日至27日), ``treaty`` (《条约汇编》第2225卷, one row per
  volume, ``同上`` resolved to the previous series of the same document) and
  ``article`` (第6条, 第29和30条: one row per article; 至 ranges expanded);
* ``cited`` is the item as written, spaces removed (``10/4``,
  ``CTOC/COP/WG.2/2022/4``, ``2022年5月23日至27日``, ``《条约汇编》第2225卷``,
  ``第6条``); ``normalised`` a comparable key (ISO dates, article numbers);
* ``cited_unit_kind`` (resolution rows only, else None): ``resolution`` or
  ``decision``. A decision stays ``cited_kind="resolution"`` — it is the
  same kind of reference, an adopted text of a body — and keeps its ``决定``
  in ``detail`` as well;
* ``cited_body``: the body that adopted a cited resolution (canonical name,
  ``lexicon/citation_bodies.yaml``), the instrument of an article when it is
  named (``打击有组织犯罪公约``), else None;
* ``cited_key``: the unit key of a cited resolution or decision of one of the
  bodies the project reads (``analysis.bodies``: ``10/4``, ``dec.10/1``,
  ``GA.55/25``, ``ECOSOC.1996/27``, ``CCPCJ.26/3``), the key the cited unit
  has in the ``resolution`` column when it is in the corpus; None for other
  bodies (安全理事会, 人权理事会 …) and other kinds;
* ``body_source`` (resolution rows only) says how ``cited_body`` was read, and
  ``body_inferred`` is True when the text does not spell it out
  (``own``, ``back_reference``, ``year_number``):

  - ``named``: a listed body stands in front of the number, possibly with
    the adoption date, the title, the subject or the session between
    (经济及社会理事会1996年7月24日第1996/27号决议, 大会题为“…”的第…号决议,
    大会关于…的第…号决议, 大会在其…第55/25号决议中); a resolution listed after
    another (大会第55/25号决议和2001年5月31日第55/255号决议) shares its body;
  - ``unlisted``: a body outside the lexicon, read by its ending (…委员会) and
    logged so an analyst can list it;
  - ``back_reference``: a body named by its kind alone (理事会, 该委员会): the
    body of that kind named before it (see ``back_reference_heads`` in the
    lexicon for the order in which the paragraph, the acting body and the
    preceding paragraphs of the unit are searched); ``unresolved`` when
    none is found (``cited_body`` is then the word as written, 理事会);
  - ``own``: no body (第10/4号决议) or 其 (回顾其…第49/159号决议): the citing
    unit's acting body, read from ``acting_body`` with ``bodies.body_of``
    (from the unit key when the row has none);
  - ``year_number``: a number with a four-digit year first (1996/27) is
    ECOSOC's numbering, unless a body is named in front of it (a bare
    理事会 the Council could answer to does not count);
* ``citation_type`` is the paragraph's opening verb (回顾, 注意到, 欢迎, 核可 …),
  or its kind when it has none (``recommendation``, ``footnote``,
  ``annex_title`` …); a footnote's ``referenced_by`` lists the paragraphs
  that carry its mark;
* ``span_start``/``span_end`` are offsets into the paragraph's ``text`` of the
  whole expression the item was read from (``第5/5号和第6/1号决议`` for both
  5/5 and 6/1, from the body when one is written); ``context`` is that
  expression with 20 characters each side;
  ``detail`` keeps what narrows the reference (``附件``, ``第8段``, ``第39574号``);
* ``citing_body`` is the canonical name of the citing paragraph's acting body.

``citation_graph(citations)`` builds a ``networkx.DiGraph`` from citing
resolution to cited resolution / document / treaty volume; nodes carry
``kind``, ``label``, ``body``, ``in_corpus`` (and ``unit_kind`` for
resolutions); edges ``count`` and ``types``. A resolution's node id is its
unit key (``resolution_node``), so resolutions of different bodies never
merge and a cited resolution of the corpus is the node of the resolution
itself.
``citation_network`` gives the same nodes and edges as plain dicts.
``write_graphml(graph, path)`` writes it for Gephi/yEd.

Why it is built this way
------------------------
References follow a handful of UN drafting patterns, not the wording of any
resolution, so each kind is one regular expression over the paragraph text.
The reader folds widths and removes the spaces next to Chinese characters,
but tables and paragraphs pasted from elsewhere may not have been through it:
the expressions accept spaces anywhere a typist puts them, and full-width
digits, Latin letters and slashes are folded one for one before matching so
offsets still point into the original text.

Which body a number belongs to follows how UN resolutions are drafted: the
adopting body is written in front of the number (with its date or title
between), a text refers to itself as 其 and to a body just named by its kind
(理事会), and ECOSOC alone numbers by year. The lexicon of citable bodies is
tied to ``bodies.yaml`` (one list of the bodies the project reads, their
spellings and key format) and refuses to disagree with it.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pandas as pd

from . import bodies as registry
from .rules import read_yaml
from .numerals import cn_to_int
from .structure import structure_rules

logger = logging.getLogger(__name__)

BODIES_FILE = Path(__file__).with_name("lexicon") / "citation_bodies.yaml"

CITED_KINDS = ("resolution", "document", "date", "treaty", "article")

CITATION_COLUMNS = [
    "para_id",
    "rec_id",
    "resolution",
    "source_file",
    "citation_type",
    "cited_kind",
    "cited",
    "cited_body",
    "span_start",
    "span_end",
    "context",
    "detail",
    "normalised",
    "body_inferred",
    "referenced_by",
    "citing_body",
    "cited_unit_kind",
    "cited_key",
    "body_source",
]

CONTEXT_CHARS = 20


# --------------------------------------------------------------------------
# Width folding (one character for one, so offsets survive)
# --------------------------------------------------------------------------


def fold_width(text: str) -> str:
    """Fold full-width ASCII (digits, Latin, ``／``) and the ideographic space to half-width.

    Unlike NFKC it never changes the length of the text, so a match in the
    folded text has the same offsets in the original.

    >>> fold_width("第１０／４号决议　ＣＴＯＣ")
    '第10/4号决议 CTOC'
    """
    return text.translate(_WIDTH_TABLE)


_WIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20
# Chinese punctuation that carries meaning in the text is NOT folded back:
# ，；：（） are kept as they are and the expressions accept both forms.
for _ch in "，；：（）！？":
    _WIDTH_TABLE.pop(ord(_ch), None)


# --------------------------------------------------------------------------
# Bodies (data file)
# --------------------------------------------------------------------------


class CitationLexiconError(ValueError):
    """citation_bodies.yaml is malformed, or disagrees with bodies.yaml; the
    message names file and entry."""


@dataclass(frozen=True)
class Bodies:
    spellings: tuple[tuple[str, str], ...]  # (spelling, canonical), longest spelling first
    suffixes: tuple[str, ...]
    stop_words: tuple[str, ...]
    source: str
    # canonical name -> bodies.yaml code, for the bodies the project reads
    codes: dict[str, str] = field(default_factory=dict)
    heads: tuple[str, ...] = ()  # 理事会, 委员会 …: a body named by its kind alone
    determiners: tuple[str, ...] = ()  # 该, 上述 …: "the said" before a head
    mentions: re.Pattern | None = None  # every spelling, longest first: where a text names a body

    def canonical(self, name: str | None) -> str | None:
        """Canonical name of a body written as ``name`` (matched by its longest known ending)."""
        if not name:
            return None
        name = re.sub(r"\s+", "", name)
        for spelling, canon in self.spellings:
            if name.endswith(spelling):
                return canon
        return name

    def code(self, canonical: str | None) -> str | None:
        """The ``bodies.yaml`` code (``COP``, ``GA`` …) of a canonical name, or None."""
        return self.codes.get(canonical) if canonical else None

    def name_of(self, code: str) -> str | None:
        """The canonical name of a ``bodies.yaml`` code."""
        return next((name for name, c in self.codes.items() if c == code), None)

    def before(self, text: str) -> tuple[str, str, bool] | None:
        """The body named right at the end of ``text``: (canonical, as written, known).

        ``known`` is False when it was read by the generic suffix rule.
        """
        t = text.rstrip()
        for spelling, canon in self.spellings:
            if t.endswith(spelling):
                return canon, spelling, True
        for suffix in self.suffixes:
            if t.endswith(suffix):
                run = re.search(r"[\u4e00-\u9fff]+$", t)
                if not run:
                    return None
                words = run.group(0)
                cut = max((words.rfind(w) + len(w) for w in self.stop_words if w in words[: -len(suffix)]), default=0)
                name = words[cut:]
                return (name, name, False) if len(name) >= len(suffix) else None
        return None


def load_bodies(path: str | Path | None = None) -> Bodies:
    """Load and validate the bodies lexicon (default: lexicon/citation_bodies.yaml)."""
    return _load_bodies(str(Path(path or BODIES_FILE).resolve()))


def _strings(path: str, data: dict, key: str) -> list[str]:
    out = []
    for i, s in enumerate(data.get(key) or []):
        if not isinstance(s, str) or not s.strip():
            raise CitationLexiconError(f"{path}: {key}[{i}] is empty or not a string")
        out.append(s.strip())
    return out


@lru_cache(maxsize=4)
def _load_bodies(path: str) -> Bodies:
    data = read_yaml(path, error=lambda problem: CitationLexiconError(f"{path}: {problem}"))
    if not isinstance(data.get("bodies"), dict) or not data["bodies"]:
        raise CitationLexiconError(f"{path}: expected a non-empty mapping 'bodies: {{canonical: [spellings]}}'")
    owner: dict[str, str] = {}
    for canon, spellings in data["bodies"].items():
        if not isinstance(canon, str) or not canon.strip():
            raise CitationLexiconError(f"{path}: bodies: empty body name")
        if spellings is None:
            spellings = []
        if not isinstance(spellings, list):
            raise CitationLexiconError(f"{path}: bodies.{canon} must be a list of spellings")
        for i, s in enumerate([canon, *spellings]):
            if not isinstance(s, str) or not s.strip():
                raise CitationLexiconError(f"{path}: bodies.{canon}[{i - 1}] is empty or not a string")
            s = s.strip()
            if s in owner and owner[s] != canon:
                raise CitationLexiconError(f"{path}: {s!r} is listed under both bodies.{owner[s]} and bodies.{canon}")
            owner[s] = canon
    codes = _codes(path, owner)
    suffixes = _strings(path, data, "generic_body_suffixes")
    stops = _strings(path, data, "body_stop_words")
    heads = _strings(path, data, "back_reference_heads")
    determiners = _strings(path, data, "back_reference_determiners")
    for i, head in enumerate(heads):
        if head not in suffixes:
            raise CitationLexiconError(f"{path}: back_reference_heads[{i}] {head!r} is not one of the "
                                       "generic_body_suffixes, so the text could never be read as naming it")
        if head in owner:
            raise CitationLexiconError(f"{path}: back_reference_heads[{i}] {head!r} is a spelling of "
                                       f"bodies.{owner[head]}: a head names no body by itself")
    # The verbs that open a paragraph (又回顾, 并铭记 …) also open the clause
    # that names a body: the generic rule stops at them (并铭记理事会 -> 理事会).
    rules = structure_rules()
    stops = list(dict.fromkeys([*stops, *rules.preamble_verbs, *rules.operative_verbs]))
    spellings = tuple(sorted(owner.items(), key=lambda kv: (-len(kv[0]), kv[0])))
    return Bodies(
        spellings=spellings,
        suffixes=tuple(sorted(suffixes, key=len, reverse=True)),
        stop_words=tuple(stops),
        source=path,
        codes=codes,
        heads=tuple(sorted(heads, key=len, reverse=True)),
        determiners=tuple(sorted(determiners, key=len, reverse=True)),
        mentions=re.compile("|".join(re.escape(s) for s, _ in spellings)),
    )


def _codes(path: str, owner: dict[str, str]) -> dict[str, str]:
    """Tie the citable bodies to ``bodies.yaml`` (in place: ``owner`` gains its spellings).

    A citable body is the body of a code when one of its spellings is, word
    for word, a spelling of that code in ``bodies.yaml``; it then also
    answers to every spelling listed there, so a spelling added to
    ``bodies.yaml`` is read in citations too. A body of ``bodies.yaml`` that
    no entry claims is added under its short Chinese name.
    """
    known = _unit_bodies()
    code_of_spelling = {s: code for code, b in known.items() for s in b.spellings}
    codes: dict[str, str] = {}
    for spelling, canon in owner.items():
        code = code_of_spelling.get(spelling)
        if code is None:
            continue
        if codes.get(canon, code) != code:
            raise CitationLexiconError(
                f"{path}: bodies.{canon} has spellings of two bodies of {_BODIES_YAML}: {codes[canon]} and "
                f"{code} ({spelling!r})")
        codes[canon] = code
    for code, body in known.items():
        claimants = [canon for canon, c in codes.items() if c == code]
        if len(claimants) > 1:
            raise CitationLexiconError(
                f"{path}: bodies.{claimants[0]} and bodies.{claimants[1]} are both {code} of {_BODIES_YAML}: "
                "list the spellings under one of them")
        canon = claimants[0] if claimants else body.zh
        for s in (body.zh, *body.spellings):
            if owner.get(s, canon) != canon:
                raise CitationLexiconError(
                    f"{path}: {s!r} ({code} in {_BODIES_YAML}) is listed under bodies.{owner[s]}")
            owner[s] = canon
        codes[canon] = code
    return codes


_BODIES_YAML = registry.BODIES_FILE.name


def _unit_bodies():
    return registry.load_bodies()


# --------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------

_S = r"\s*"
# Separators inside one list of numbers. Not the comma: in 第29条，第30条 or
# 第5/5号决议，第6/1号决议 each item is its own expression anyway, and a comma
# would let one list run on into the next clause.
_SEP = r"(?:、|和|及|以及|与|或|至|到)"
_CN_NUM = "零〇一二三四五六七八九十百"

_RES_NUM = r"\d{1,4}\s*/\s*\d{1,3}"
# 第55/25号和2001年5月31日第55/255号决议: an item of the list may carry its date.
_ITEM_DATE = r"(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:的\s*)?)"
RESOLUTION_RE = re.compile(
    rf"第{_S}(?P<list>{_RES_NUM}(?:{_S}号)?(?:{_S}{_SEP}{_S}{_ITEM_DATE}?(?:第{_S})?{_RES_NUM}(?:{_S}号)?)*)"
    rf"{_S}(?P<what>决议|决定)"
    rf"(?P<annex>{_S}附件(?:[一二三四五六七八九十]+|[IVX]+)?)?"
    rf"(?P<para>{_S}(?:[，,]{_S})?第{_S}\d+(?:{_S}{_SEP}{_S}(?:第{_S})?\d+)*{_S}段)?"
)
_RES_NUM_RE = re.compile(r"(\d{1,4})\s*/\s*(\d{1,3})")

# One document symbol: a series (A, E, S, CTOC, CAC …) and at least two
# further /-separated parts: letters with an optional number (RES, CN.15,
# WG.2, L.3, Rev.1), numbers, or a special session (S-26).
_SYM_PART = r"(?:[A-Z]-\d{1,3}|[A-Z][A-Za-z]{0,9}(?:\.\s?\d{1,3})?|\d{1,5})"
_SYMBOL = rf"(?<![A-Za-z0-9/.])[A-Z]{{1,6}}(?:\.\d{{1,3}})?(?:\s?/\s?{_SYM_PART}){{2,}}(?![A-Za-z0-9])"
SYMBOL_RE = re.compile(_SYMBOL)
DOCUMENT_RE = re.compile(
    rf"(?P<symbols>{_SYMBOL}(?:{_S}[-–—]{_S}{_SYMBOL})*)"
    rf"(?:\]\([^)]*\))?"  # a markdown link the reader did not reduce: [SYMBOL](#)
    rf"(?P<para>{_S}[，,]?{_S}第{_S}\d+(?:{_S}{_SEP}{_S}(?:第{_S})?\d+)*{_S}段)?"
)

_DATE = r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
DATE_RE = re.compile(
    rf"(?<!\d){_DATE}"
    rf"(?:{_S}(?P<sep>至|到|—|–|-|~|和|及|、){_S}"
    rf"(?:(?P<y2>\d{{4}}){_S}年{_S})?(?:(?P<m2>\d{{1,2}}){_S}月{_S})?(?P<d2>\d{{1,2}}){_S}日)?"
)

_VOLS = rf"\d{{1,5}}(?:{_S}{_SEP}{_S}(?:第{_S})?\d{{1,5}})*"
TREATY_RE = re.compile(
    rf"(?:《(?P<series>[^《》]{{1,20}})》|(?P<ibid>同上))"
    rf"{_S}[，,]?{_S}第{_S}(?P<vols>{_VOLS}){_S}卷"
    rf"(?:{_S}[，,]?{_S}第{_S}(?P<no>\d{{1,7}}){_S}号)?"
)

_ART = rf"(?:\d{{1,3}}|[{_CN_NUM}]{{1,4}})"
ARTICLE_RE = re.compile(
    rf"(?:《(?P<instr>[^《》]{{1,40}})》{_S}(?:的{_S})?)?"
    rf"第{_S}(?P<list>{_ART}(?:{_S}条?{_S}{_SEP}{_S}(?:第{_S})?{_ART})*){_S}条(?!约|例|件|款项)"
    rf"(?P<sub>(?:{_S}第{_S}{_ART}{_S}款)?(?:{_S}[（(][a-z]{{1,3}}[）)])?)"
)


def _str_or_none(v) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def _nospace(s: str) -> str:
    return re.sub(r"\s+", "", s)


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


def _acting_body(bodies: Bodies, acting_body, resolution) -> str | None:
    """Canonical name of the citing unit's body: its acting body line, read
    with ``bodies.body_of``; without one, the body its key names
    (``GA.52/85``); a body outside bodies.yaml by the citation lexicon."""
    if _nonempty(acting_body):
        code = registry.body_of(acting_body)
        return bodies.name_of(code) if code else bodies.canonical(acting_body)
    try:
        return bodies.name_of(registry.parse_key(str(resolution))[0])
    except ValueError:
        return None


def _nonempty(v) -> bool:
    return isinstance(v, str) and bool(v.strip())


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


# --------------------------------------------------------------------------
# Graph
# --------------------------------------------------------------------------


def resolution_node(body: str | None, number: str, kind: str = "resolution") -> str:
    """Node id of a resolution or decision.

    A body of ``bodies.yaml`` gives the unit key, the id the resolution has
    in the corpus; another body a readable id; no body at all a
    ``resolution:`` id that no key can be.

    >>> resolution_node("大会", "55/25"), resolution_node("缔约方会议", "10/1", "decision")
    ('GA.55/25', 'dec.10/1')
    >>> resolution_node("安全理事会", "1373/1"), resolution_node(None, "10/4")
    ('安全理事会 1373/1', 'resolution:10/4')
    """
    lexicon = load_bodies()
    code = lexicon.code(lexicon.canonical(body)) if body else None
    if code:
        return registry.unit_key(code, number, kind)
    written = f"dec.{number}" if kind == "decision" else number
    return f"{body} {written}" if body else f"resolution:{written}"


def _citing_node(key: str, body: str | None) -> dict:
    """Attributes of a citing unit's node: its number, body and kind, read from its key."""
    lexicon = load_bodies()
    try:
        code, kind, number = registry.parse_key(key)
    except ValueError:
        return {"kind": "resolution", "label": key, "body": body or "", "unit_kind": "resolution"}
    return {"kind": "resolution", "label": number, "body": body or lexicon.name_of(code) or "", "unit_kind": kind}


def _column(df: pd.DataFrame, name: str) -> list:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def citation_network(
    citations: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = ("resolution", "document", "treaty"),
    acting_bodies: dict[str, str] | None = None,
) -> tuple[dict[str, dict], dict[tuple[str, str], dict]]:
    """``(nodes, edges)`` of ``citation_graph`` as plain dicts (node id ->
    attributes, (source, target) -> attributes), in the graph's order: what
    a run writes as GraphML without building (or importing) networkx.

    Needs ``resolution``, ``cited_kind`` and ``cited``; the other columns of
    the citations table are used when present (a resolution without
    ``cited_body`` is the citing unit's own)."""
    bodies = load_bodies()
    nodes: dict[str, dict] = {}
    edges: dict[tuple[str, str], dict] = {}
    if citations is None or citations.empty:
        return nodes, edges
    sel = citations[citations["cited_kind"].isin(kinds)]
    own: dict[str, str | None] = {}
    for r, b in zip(citations["resolution"].tolist(), _column(citations, "citing_body")):
        if _nonempty(b):
            own.setdefault(str(r), b)
    if acting_bodies:
        own.update({str(r): _acting_body(bodies, b, r) for r, b in acting_bodies.items()})
    corpus = {str(r) for r in citations["resolution"].dropna().unique()} | {str(r) for r in acting_bodies or ()}

    def own_body(src: str) -> str | None:
        return own[src] if src in own else _acting_body(bodies, None, src)

    def node_for(src: str, kind: str, cited: str, cited_body, normalised, unit_kind, key) -> tuple[str, dict]:
        body = _str_or_none(cited_body)
        if kind == "resolution":
            num = _str_or_none(normalised) or _nospace(str(cited))
            unit_kind = unit_kind if unit_kind in registry.KINDS else "resolution"
            if body is None:
                body = own_body(src)
            node = _str_or_none(key) or resolution_node(body, num, unit_kind)
            return node, {"kind": "resolution", "label": num, "body": body or "", "unit_kind": unit_kind}
        if kind == "article":
            label = f"{body} {cited}" if body else cited
            return f"article:{label}", {"kind": kind, "label": label, "body": body or ""}
        return f"{kind}:{cited}", {"kind": kind, "label": cited, "body": body or ""}

    counts: dict[tuple[str, str], list] = {}
    # Plain lists: iterating Arrow-backed columns cell by cell is slow.
    columns = ("resolution", "cited_kind", "cited", "cited_body", "normalised", "cited_unit_kind", "cited_key",
               "citation_type")
    for resolution, kind, cited, cited_body, normalised, unit_kind, key, ctype in zip(
            *(_column(sel, c) for c in columns)):
        if not _nonempty(cited) or not _nonempty(resolution):
            continue
        src = str(resolution)
        if src not in nodes:
            nodes[src] = _citing_node(src, own_body(src))
        dst, attrs = node_for(src, kind, cited, cited_body, normalised, unit_kind, key)
        if dst == src:
            continue  # a resolution naming itself (第11/2号决议 in its own header)
        if dst not in nodes:
            nodes[dst] = attrs
        e = counts.setdefault((src, dst), [0, set()])
        e[0] += 1
        if _nonempty(ctype):
            e[1].add(ctype)
    edges = {key: {"count": n, "types": sorted(types)} for key, (n, types) in counts.items()}
    for node, data in nodes.items():
        data["in_corpus"] = node in corpus
    return nodes, edges


def citation_graph(
    citations: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = ("resolution", "document", "treaty"),
    acting_bodies: dict[str, str] | None = None,
):
    """Directed graph citing resolution -> cited resolution / document / treaty volume.

    Dates and articles are not nodes by default (they are not documents one
    could read); pass ``kinds`` to include them. A resolution's node is its
    unit key (``11/2``, ``GA.55/25``, ``ECOSOC.1996/27``, ``dec.10/1``), the
    key in the ``resolution`` column for a citing one and ``cited_key`` for
    a cited one, so a cited resolution of the corpus is the node of the
    resolution itself; resolutions of other bodies have readable ids
    (``安全理事会 1373/1``). The citing body is taken from the
    ``citing_body`` column, or from ``acting_bodies`` (resolution -> acting
    body, e.g. from the documents table) when given. ``in_corpus`` marks
    the resolutions of the corpus: the keys of the ``resolution`` column
    (and of ``acting_bodies``).
    """
    import networkx as nx

    nodes, edges = citation_network(citations, kinds=kinds, acting_bodies=acting_bodies)
    g = nx.DiGraph()
    g.add_nodes_from(nodes.items())
    g.add_edges_from((src, dst, data) for (src, dst), data in edges.items())
    logger.info("citation graph: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g


_GRAPHML_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))


def _graphml_value(v):
    """A GraphML scalar: lists become ``|``-joined text, None is left out."""
    if v is None:
        return None
    if isinstance(v, (list, tuple, set)):
        return "|".join(map(str, sorted(v) if isinstance(v, set) else v))
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def graphml_text(graph) -> str:
    """``graph`` (a networkx graph, or ``citation_network``'s ``(nodes,
    edges)``, directed) as GraphML text, as Gephi, yEd and
    ``networkx.read_graphml`` read it.

    Written directly rather than through networkx's ElementTree writer, which
    took a second for the citation graph of a thousand resolutions. Lists
    become ``|``-joined text; None values are left out; an attribute whose
    values mix types is written as text.
    """
    from xml.sax.saxutils import escape, quoteattr

    def typed(items) -> dict[str, str]:
        kinds: dict[str, set] = {}
        for data in items:
            for k, v in data.items():
                v = _graphml_value(v)
                if v is not None:
                    kinds.setdefault(k, set()).add(next(t for py, t in _GRAPHML_TYPES if isinstance(v, py)))
        return {k: (next(iter(t)) if len(t) == 1 else "string") for k, t in kinds.items()}

    if isinstance(graph, tuple):  # citation_network's (nodes, edges)
        nodes = list(graph[0].items())
        edges = [(src, dst, data) for (src, dst), data in graph[1].items()]
        directed = True
    else:
        nodes = list(graph.nodes(data=True))
        edges = list(graph.edges(data=True))
        directed = graph.is_directed()
    node_keys = typed(d for _, d in nodes)
    edge_keys = typed(d for *_, d in edges)
    ids: dict[tuple[str, str], str] = {}
    out = ["<?xml version='1.0' encoding='utf-8'?>",
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for where, keys in (("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys.items():
            ids[(where, name)] = f"d{len(ids)}"
            out.append(f'  <key id="{ids[(where, name)]}" for="{where}" attr.name={quoteattr(str(name))} '
                       f'attr.type="{kind}" />')

    def data_lines(where: str, keys: dict, data: dict) -> list[str]:
        lines = []
        for name in keys:
            v = _graphml_value(data.get(name))
            if v is None:
                continue
            text = ("true" if v else "false") if isinstance(v, bool) else str(v)
            lines.append(f'      <data key="{ids[(where, name)]}">{escape(text)}</data>')
        return lines

    out.append(f'  <graph edgedefault="{"directed" if directed else "undirected"}">')
    for node, data in nodes:
        lines = data_lines("node", node_keys, data)
        out += ([f"    <node id={quoteattr(str(node))}>", *lines, "    </node>"] if lines
                else [f"    <node id={quoteattr(str(node))} />"])
    for src, dst, data in edges:
        lines = data_lines("edge", edge_keys, data)
        head = f"    <edge source={quoteattr(str(src))} target={quoteattr(str(dst))}"
        out += [head + ">", *lines, "    </edge>"] if lines else [head + " />"]
    out += ["  </graph>", "</graphml>", ""]
    return "\n".join(out)


def write_graphml(graph, path: str | Path) -> Path:
    """Write ``graph`` as GraphML (see ``graphml_text``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(graphml_text(graph), encoding="utf-8")
    return path
