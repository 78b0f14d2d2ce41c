"""The expressions a reference is read with, and the folding they match on.

References follow a handful of UN drafting patterns, not the wording of any
resolution, so each kind (resolution, document symbol, date, treaty volume,
article) is one regular expression over the paragraph text. The
expressions accept spaces anywhere a typist puts them; ``fold_width``
folds full-width digits, Latin letters and slashes one for one before
matching, so offsets still point into the original text. Also the small
cell helpers the extraction and the graph share.
"""

from __future__ import annotations

import re

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



def _nonempty(v) -> bool:
    return isinstance(v, str) and bool(v.strip())
