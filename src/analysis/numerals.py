"""Numerals as resolutions write them: Roman (annex parts) and Chinese (附件二, 第十二次).

One place for these conversions, used by the segmenter (annex parts), the
coverage tables and charts (unit labels), the citation extractor (article
numbers) and the DOCX/HTML list numbering.
"""

from __future__ import annotations

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_WRITE = "零一二三四五六七八九"
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN_STEPS = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def to_roman(n: int, *, upper: bool = True) -> str:
    """A positive integer in Roman numerals.

    >>> to_roman(14), to_roman(4, upper=False)
    ('XIV', 'iv')
    """
    out = []
    for value, sym in _ROMAN_STEPS:
        while n >= value:
            out.append(sym)
            n -= value
    s = "".join(out)
    return s if upper else s.lower()


def roman_to_int(s: str) -> int | None:
    """``"IV"`` -> 4; None when ``s`` is not a Roman numeral.

    >>> roman_to_int("II"), roman_to_int("xiv"), roman_to_int("body")
    (2, 14, None)
    """
    s = (s or "").upper()
    if not s or any(c not in _ROMAN_VALUES for c in s):
        return None
    total = 0
    for c, nxt in zip(s, s[1:] + " "):
        v = _ROMAN_VALUES[c]
        total += -v if _ROMAN_VALUES.get(nxt, 0) > v else v
    return total


def cn_to_int(s: str) -> int | None:
    """Arabic or Chinese numeral (up to 9999) to int; None if it is neither.

    >>> [cn_to_int(x) for x in ("29", "六", "十", "十八", "二十四", "一百零一", "附件")]
    [29, 6, 10, 18, 24, 101, None]
    """
    if not s:
        return None
    if s.isdigit():
        return int(s)
    units = {"十": 10, "百": 100, "千": 1000}
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in units:
            total += (current or 1) * units[ch]
            current = 0
        else:
            return None
    return total + current


def int_to_cn(n: int) -> str:
    """1..99 as a Chinese numeral; other numbers in Arabic digits.

    >>> int_to_cn(1), int_to_cn(10), int_to_cn(12), int_to_cn(20), int_to_cn(0)
    ('一', '十', '十二', '二十', '零')
    """
    if not 0 <= n <= 99:
        return str(n)
    if n < 10:
        return _CN_WRITE[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_WRITE[tens]) + "十" + (_CN_WRITE[ones] if ones else "")
