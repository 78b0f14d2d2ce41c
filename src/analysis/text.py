"""Small pure string helpers, composed into the reader's normalisation.

Each takes and returns ``str`` (or ``str`` and the marks it removed), keeps
the length of the text where offsets depend on it, and has a doctest where
its behaviour is easy to misread. ``analysis.read`` composes them into
``normalise_line``; the segmenter and the format readers use the same ones.
"""

from __future__ import annotations

import re
import unicodedata

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUP_TO_DIGIT = {ord(c): str(i) for i, c in enumerate(SUPERSCRIPT_DIGITS)}
DIGIT_TO_SUP = str.maketrans("0123456789", SUPERSCRIPT_DIGITS)

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
    ('及其各项议定书而开展，通过的建议', [(7, '1'), (14, '3')])
    """
    refs: list[tuple[int, str]] = []
    out: list[str] = []
    pos = 0
    for m in re.finditer(f"[{SUPERSCRIPT_DIGITS}]+", s):
        out.append(s[pos:m.start()])
        offset = sum(len(p) for p in out)
        refs.append((offset, m.group().translate(SUP_TO_DIGIT)))
        pos = m.end()
    out.append(s[pos:])
    return "".join(out), refs


def join_wrapped(a: str, b: str) -> str:
    """Join a wrapped line: no space, except between two Latin words.

    >>> join_wrapped("各国应", "更新"), join_wrapped("A/RES/55/25", "annex")
    ('各国应更新', 'A/RES/55/25 annex')
    """
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z0-9]", b[0]):
        return a + " " + b
    return a + b
