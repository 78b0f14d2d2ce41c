"""What every format reader shares: the result type, the settings, characters, Traditional -> Simplified, list labels.

Contract
--------
* ``Extracted``: what ``analysis.formats.extract`` returns; ``FormatSettings``
  (``DEFAULT_SETTINGS``): the extractors' thresholds.
* ``to_simplified(text)`` / ``traditional_share(text)``: the one decision,
  per whole text, whether it is Traditional Chinese and is converted (also
  used by ``analysis.read`` for TXT input).
* ``format_number(n, fmt)``: a list label in a Word ``numFmt`` (HTML list
  types are mapped onto the same names).
* The underscored helpers (``_is_cjk``, ``_sup_mark``, ``_join``, ``_LABEL``,
  ``_OPENING``, ``_CLOSING``) belong to the package: the DOCX, PDF and HTML
  readers decide in the same way what is Chinese, what is a footnote mark,
  how two pieces of one paragraph join and what opens a labelled paragraph.

Why a module of its own
-----------------------
The three readers (``docx``, ``pdf``, ``html``) import from here and never
from each other, and this module imports none of them: the dispatch
(``dispatch.extract``) sits on top, so the package has no import cycle.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from ..numerals import int_to_cn, to_roman
from ..text import DIGIT_TO_SUP

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    """What ``extract`` returns; ``text`` is in the shape of a TXT resolution."""

    text: str
    source_format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str  # how the bytes became text: "utf-8" (DOCX XML), the HTML charset, "pdf-tounicode"
    converted: str | None  # "opencc:t2s" when Traditional Chinese was converted, else None
    notes: tuple[str, ...] = ()  # human-readable counts: pages, removed furniture, footnotes …


@dataclass(frozen=True)
class FormatSettings:
    """Thresholds of the extractors; the defaults suit UN documents.

    ``traditional_share``: a text is Traditional when at least this share of
    its CJK characters change under OpenCC t2s (Simplified UN text: 0 %;
    the seed converted with s2t: 37 %), and at least ``traditional_min``
    characters change (a Simplified text quoting one Traditional name stays).
    ``margin_band``: share of the page height at the top and at the bottom
    where running headers and footers are looked for.
    """

    traditional_share: float = 0.05
    traditional_min: int = 3
    margin_band: float = 0.10
    convert_traditional: bool = True


DEFAULT_SETTINGS = FormatSettings()


# --------------------------------------------------------------------------
# Characters
# --------------------------------------------------------------------------

# CJK ideographs, CJK punctuation, full-width forms, and the quotes/ellipsis/dash
# that Chinese text sets as full-width marks: no space is ever wanted between two
# of these.
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
               (0x20000, 0x3FFFF), (0x2018, 0x201F), (0x2026, 0x2026), (0x2014, 0x2014))
_OPENING = set("（《「『〈【〔“‘([{")
_CLOSING = set("，。、；：？！）》」』〉】〕”’…—·%,.;:?!)]}")
_LABEL = re.compile(r"^(?:[(（][a-zA-Zａ-ｚ]{1,4}[)）]|[(（]?\d{1,3}[.．)）]|[一二三四五六七八九十]+、)")


def _is_cjk(ch: str) -> bool:
    """True for a Chinese character or full-width mark.

    >>> [_is_cjk(c) for c in "中，a1“"]
    [True, True, False, False, True]
    """
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK_RANGES)


def _sup_mark(text: str) -> str | None:
    """Superscript form of a footnote mark written as raised text, or None if
    the raised text is not a mark (``1``, ``12``, ``1,2``; not ``er`` or ``*``).

    >>> _sup_mark(" 3 "), _sup_mark("1,2"), _sup_mark("[4]"), _sup_mark("st")
    ('³', '¹,²', '⁴', None)
    """
    t = text.strip().strip("[]()（）")
    if re.fullmatch(r"\d{1,3}(?:\s*[,，]\s*\d{1,3})*", t):
        return re.sub(r"\s+", "", t).translate(DIGIT_TO_SUP)
    return None


def _join(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words
    (or numbers); Chinese is written without spaces.

    >>> _join("毒品和犯罪", "问题办公室"), _join("Office on", "Drugs"), _join("WG.2/2022/4-", "CTOC")
    ('毒品和犯罪问题办公室', 'Office on Drugs', 'WG.2/2022/4-CTOC')
    """
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z0-9]", b[0]):
        return a + " " + b
    return a + b


# --------------------------------------------------------------------------
# Traditional -> Simplified
# --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def _changes_under_t2s(ch: str) -> bool:
    return _t2s().convert(ch) != ch


def traditional_share(text: str) -> tuple[int, int]:
    """``(changed, total)``: CJK ideographs that OpenCC t2s would change, of all.

    >>> traditional_share("聯合國毒品和犯罪問題辦公室")
    (5, 13)
    >>> traditional_share("联合国毒品和犯罪问题办公室")
    (0, 13)
    """
    cjk = [ch for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"]
    return sum(1 for ch in cjk if _changes_under_t2s(ch)), len(cjk)


def to_simplified(text: str, settings: FormatSettings = DEFAULT_SETTINGS) -> tuple[str, str | None]:
    """Convert Traditional Chinese text to Simplified; return ``(text, converted)``.

    The decision is made once for the whole text, from the share of its
    ideographs that t2s would change (``FormatSettings.traditional_share``), so
    a Simplified text is returned untouched, character for character: OpenCC
    also rewrites a few characters that are valid Simplified, and a mixed
    decision per line would make one resolution half-converted.
    ``converted`` is ``"opencc:t2s"`` when the text was converted, else None.

    >>> to_simplified("各國應考慮加強執法和刑事司法官員的能力")
    ('各国应考虑加强执法和刑事司法官员的能力', 'opencc:t2s')
    >>> to_simplified("各国应考虑加强执法能力")
    ('各国应考虑加强执法能力', None)
    """
    changed, total = traditional_share(text)
    if total == 0 or changed < settings.traditional_min or changed / total < settings.traditional_share:
        return text, None
    logger.info("Traditional Chinese detected (%d of %d ideographs change under t2s): converting",
                changed, total)
    return _t2s().convert(text), "opencc:t2s"


# --------------------------------------------------------------------------
# List labels (Word numbering formats, HTML <ol> types)
# --------------------------------------------------------------------------


def _letters(n: int, upper: bool) -> str:
    # Word and browsers: a … z, aa … zz, aaa …
    ch = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
    return ch.upper() if upper else ch


def format_number(n: int, fmt: str) -> str:
    """Render ``n`` in a Word ``numFmt`` (also used for HTML list types).

    >>> [format_number(3, f) for f in ("decimal", "lowerLetter", "upperRoman", "chineseCounting")]
    ['3', 'c', 'III', '三']
    >>> format_number(27, "lowerLetter")
    'aa'
    """
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n, fmt == "upperLetter")
    if fmt in ("lowerRoman", "upperRoman"):
        return to_roman(n, upper=fmt == "upperRoman")
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "taiwaneseCounting",
               "ideographDigital", "japaneseCounting"):
        return int_to_cn(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return str(n)
