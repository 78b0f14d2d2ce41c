"""Small pure string helpers, composed into the reader's normalisation.

Each takes and returns ``str`` (or ``str`` and the marks it removed), keeps
the length of the text where offsets depend on it, and has a doctest where
its behaviour is easy to misread. ``analysis.read`` composes them into
``normalise_line``; the segmenter and the format readers use the same ones.
"""

from __future__ import annotations

import re
from functools import lru_cache
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
    s = _POINT_AFTER_ALNUM.sub(".", s)
    # Only enumerator-like brackets: （a） （iv） （12）. Parenthesised Chinese stays as it is.
    return _ENUM_BRACKETS.sub(r"(\1)", s)


# The patterns of the functions a line goes through, compiled once: a corpus
# of a thousand resolutions calls them half a million times, and looking a
# pattern up in re's cache cost as much as applying it.
_POINT_AFTER_ALNUM = re.compile(r"(?<=[0-9A-Za-z])．")
_ENUM_BRACKETS = re.compile(r"[（(]\s*([A-Za-z]{1,4}|\d{1,3})\s*[）)]")
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\([^()\s]*\)")
_BLANKS = re.compile(r"[ \t]+")


def reduce_links(s: str) -> str:
    """Reduce markdown link syntax to its text.

    >>> reduce_links("[CTOC/COP/WG.2/2022/4](#)，第 8 段。")
    'CTOC/COP/WG.2/2022/4，第 8 段。'
    """
    return _MD_LINK.sub(r"\1", s)


def strip_cjk_spaces(s: str) -> str:
    """Remove spaces next to a Chinese character or punctuation mark.

    >>> strip_cjk_spaces("回顾其 2020 年 10 月 16 日的第 10/4 号决议， (a) 各国")
    '回顾其2020年10月16日的第10/4号决议，(a)各国'
    """
    s = _BLANKS_AFTER_CJK.sub("", s)
    s = _BLANKS_BEFORE_CJK.sub("", s)
    # an enumerator followed by a space before Chinese text: "(a) 各国"
    return _BLANKS_AFTER_ENUM.sub("", s)


_BLANKS_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+")
_BLANKS_BEFORE_CJK = re.compile(rf"[ \t]+(?=[{_CJK}])")
_BLANKS_AFTER_ENUM = re.compile(r"(?<=\))[ \t]+(?=[^\x00-\x7f])")


def prepare_line(s: str) -> str:
    """Everything of ``normalise_line`` but the removal of spaces next to
    Chinese text: widths, links, punctuation, footnote marks, collapsed
    spaces. Run-on lines are split at this stage, while the spaces that
    separate paragraphs on one line are still there.

    >>> prepare_line("  大会, 回顾其决议1/,  关切 ")
    '大会， 回顾其决议¹， 关切'
    """
    s = unicodedata.normalize("NFC", s)
    s = normalise_width(s)
    s = reduce_links(s)
    s = fold_punctuation(s)
    s = superscript_marks(s)
    return _BLANKS.sub(" ", s).strip()


def normalise_line(s: str) -> str:
    """The reader's whole per-line normalisation.

    >>> normalise_line("  （ａ） 各国 应 更新该记录；  ")
    '(a)各国应更新该记录；'
    >>> normalise_line("1.  赞赏地注意到秘书长的报告; 又注意到")
    '1.赞赏地注意到秘书长的报告；又注意到'
    """
    return strip_cjk_spaces(prepare_line(s))


_PARA_NUMBER = re.compile(r"(?<=[。；，：])([⁰¹²³⁴⁵⁶⁷⁸⁹]*) ?(?=(\d{1,3})\.(?!\d))")
_NUMBER_START = re.compile(r"(\d{1,3})\.(?!\d)")
_INNER_ENUMERATION = re.compile(r"[：:]\s*1\.(?!\d)")


@lru_cache(maxsize=64)
def _body_patterns(bodies: tuple[str, ...]) -> list[re.Pattern]:
    """An acting body opening a line (``大会，``), longest spelling first;
    made once per set of spellings (a reader calls ``split_run_on`` per line)."""
    return [re.compile(rf"{re.escape(b)}[，,] ?(?=\S)") for b in sorted(bodies, key=len, reverse=True)]


@lru_cache(maxsize=64)
def _opener_cuts(openers: tuple[str, ...]) -> re.Pattern:
    """A space after a clause end, before one of ``openers``."""
    alt = "|".join(map(re.escape, sorted(openers, key=len, reverse=True)))
    return re.compile(rf"(?<=[，；。：]) (?=(?:{alt}))")


def split_run_on(s: str, next_number: int, openers: tuple[str, ...] = (), bodies: tuple[str, ...] = ()
                 ) -> list[str]:
    """Split a prepared line that holds several paragraphs.

    * at a paragraph number that continues the sequence (``next_number``,
      then the one after), right after a clause end: ``…附件一；2.还核可…``;
    * at a space after a clause end followed by one of ``openers`` (the
      preamble verbs), in a line that opens with the acting body and before
      its first numbered paragraph: ``大会， 回顾其决议， 关切…``;
    * after an acting body that opens the line: ``大会， 回顾…`` (``bodies``:
      the spellings of acting bodies).

    >>> split_run_on("大会， 回顾其决议， 关切地注意到报告， 1. 欢迎报告； 2. 请秘书长报告。", 1, ("回顾", "关切地注意到"), ("大会",))
    ['大会，', '回顾其决议，', '关切地注意到报告，', '1. 欢迎报告；', '2. 请秘书长报告。']
    >>> split_run_on("1.请各国于2022年3.5日前报告；3.决定", 2)
    ['1.请各国于2022年3.5日前报告；3.决定']
    >>> split_run_on("2. 请秘书处在现有资源范围内， 注意收集良好做法。", 2, ("注意",), ("大会",))
    ['2. 请秘书处在现有资源范围内， 注意收集良好做法。']
    >>> split_run_on("缔约方会议，供其审议。", 1, ("回顾",), ("缔约方会议",))
    ['缔约方会议，供其审议。']
    >>> split_run_on("1. 决定工作组的任务如下：1. 审议执行情况；2. 提出建议；", 1)
    ['1. 决定工作组的任务如下：1. 审议执行情况；2. 提出建议；']
    """
    cuts: list[int] = []
    opened_by_body = None
    for body in _body_patterns(tuple(bodies)):
        m = body.match(s)
        # the acting body opens the body only before a preamble or a numbered paragraph
        # ("大会， 回顾…"); "缔约方会议，供其审议…" is a sentence going on
        if m and (s[m.end():].startswith(openers) or _NUMBER_START.match(s, m.end())):
            cuts.append(m.end())
            opened_by_body = m.end()
            break
    # A number starting the line sets the sequence: "1. 欢迎… 2. 注意到…"
    head = _NUMBER_START.match(s)
    want = int(head.group(1)) + 1 if head else next_number
    # an enumeration inside a paragraph ("如下：1. 审议…；2. 提出…") is not paragraphs
    inner = _INNER_ENUMERATION.search(s)
    limit = inner.start() if inner else len(s)
    numbered = []
    for m in _PARA_NUMBER.finditer(s):
        if m.start() < limit and int(m.group(2)) == want:
            numbered.append(m.end(1))
            want += 1
    cuts += numbered
    if openers and opened_by_body is not None:
        # Preamble paragraphs run together only in a body typed on one line,
        # which opens with the acting body ("大会， 回顾… 关切… 1. 欢迎…"): a
        # comma and a space before a verb elsewhere are inside a sentence.
        end = numbered[0] if numbered else len(s)
        cuts += [m.end() for m in _opener_cuts(tuple(openers)).finditer(s) if m.end() < end]
    if not cuts:
        return [s]
    pieces, pos = [], 0
    for c in sorted(set(cuts)):
        if s[pos:c].strip():
            pieces.append(s[pos:c].strip())
            pos = c
    pieces.append(s[pos:].strip())
    return [p for p in pieces if p]


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


# CJK Radicals Supplement code points that stand for a whole character. PDF
# text layers made with common CJK fonts (Noto / Source Han) map the shared
# glyph of, say, 门 and its radical to the radical's code point; NFKC knows
# only two of these (⺟, ⻳), so the rest are listed from their Unicode names
# (CJK RADICAL C-SIMPLIFIED GATE -> 门). Component-only forms (⺡ for 氵)
# never stand alone in running text and are not listed.
_RADICAL_SUPPLEMENT = dict(zip(
    map(ord, "⺁⺆⺇⺊⺌⺎⺐⺒⺓⺕⺙⺛⺝⺟⺠⺤⺦⺨⺫⺬⺭⺲⺳⺹⺾⻂⻃⻄⻅⻆⻈⻉⻋⻌⻍⻏⻐⻑⻓⻔⻖⻘⻙⻚⻛⻜⻝⻟⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳"),
    "厂冂几卜小兀尢巳幺彐攵旡月母民爫丬犭罒示礻罒罓耂艹衤覀西见角讠贝车辶辶阝钅長长门阝青韦页风飞食飠饣马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟",
))
_RADICAL_RE = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff]")


def fold_radicals(s: str) -> tuple[str, int]:
    """Fold radical and compatibility code points to the unified ideographs;
    return the text and how many characters were folded. One character
    stays one character, so offsets are kept.

    >>> fold_radicals("⿎励各国加⼊，⼈⺠")
    ('鼓励各国加入，人民', 4)
    """
    n = 0

    def one(m: re.Match) -> str:
        nonlocal n
        ch = m.group()
        folded = _RADICAL_SUPPLEMENT.get(ord(ch)) or unicodedata.normalize("NFKC", ch)
        if len(folded) != 1 or folded == ch:
            return ch
        n += 1
        return folded

    return _RADICAL_RE.sub(one, s), n


_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}


def fold_punctuation(s: str) -> str:
    """Half-width ``, ; : ! ?`` next to a Chinese character, and brackets
    around Chinese text, become the full-width marks Chinese text uses (web
    pages and old documents mix them); enumerator labels ``(a)`` and
    bracketed symbols ``(A/50/629)`` stay as they are.

    >>> fold_punctuation("大会, 回顾其决议; 又注意到:(a)各国(包括缔约国)的报告(A/50/629)")
    '大会， 回顾其决议； 又注意到：(a)各国（包括缔约国）的报告(A/50/629)'
    """
    s = _HALF_WIDTH_MARK.sub(_full_width_mark, s)
    return _BRACKETED_HAN.sub(r"（\1）", s)


_HALF_WIDTH_MARK = re.compile(rf"(?<=[{_HAN}》”）])[,;:!?]|[,;:!?](?=\s*[{_HAN}《“（])")
_BRACKETED_HAN = re.compile(rf"\(([^()]*[{_HAN}][^()]*)\)")


def _full_width_mark(m: re.Match) -> str:
    return _HALF_TO_FULL[m.group()]


# Footnote marks of web pages and old documents: "行动计划》1/的", "议定书(2)，",
# and bare digits glued after a closing mark ("公约》，3并"). Each becomes the
# superscript the rest of the reader knows, so footnotes work one way.
_SLASH_MARK = re.compile(rf"(?<=[{_HAN}》”）。，；：、])(\d{{1,2}})/(?![\d/])|(?<=[。，；：])(\d{{1,2}})/(?=\d{{1,3}}\.(?!\d))")
_PAREN_MARK = re.compile(rf"(?<=[{_HAN}》”])(?<![第条款段])\((\d{{1,2}})\)(?=[{_HAN}，。；：、》”]|$)(?![款项段条目和或及至、])")
_BARE_MARK = re.compile(rf"(?<=[》”])(\d{{1,2}})(?=[，。；、]|$)|(?<=[》”][，。；])(\d{{1,2}})(?=[{_HAN}])(?![个名项次年月日号条款段届倍种位多余几来万千百亿])")


def marks_by_style(s: str) -> dict[str, set[str]]:
    """The footnote numbers a raw line cites as ``(1)`` and as bare digits.

    >>> marks_by_style("议定书(2)，《公约》，3并")
    {'paren': {'2'}, 'bare': {'3'}}
    """
    s = strip_cjk_spaces(fold_punctuation(normalise_width(s)))
    return {"paren": set(_PAREN_MARK.findall(s)),
            "bare": {a or b for a, b in _BARE_MARK.findall(s)}}


def superscript_marks(s: str) -> str:
    """Write footnote marks typed as ``1/``, ``(1)`` or a bare digit after a
    closing mark as superscript digits. Numbers that are content stay:
    resolution numbers (``52/85``), article paragraphs (``第(1)款``),
    enumerations after punctuation (``：(1)``), counts (``，3个``).

    >>> superscript_marks("《全球行动计划》1/的执行；议定书(2)，见第6条第(1)款：(1)首先")
    '《全球行动计划》¹的执行；议定书²，见第6条第(1)款：(1)首先'
    >>> superscript_marks("《公约》2。第52/85号决议，3个国家；又注意到报告；3/2.又注意到")
    '《公约》²。第52/85号决议，3个国家；又注意到报告；³2.又注意到'
    >>> superscript_marks("加入《公约》，30多个国家；《公约》第18条(3)和(4)款")
    '加入《公约》，30多个国家；《公约》第18条(3)和(4)款'
    """
    s = _SLASH_MARK.sub(lambda m: (m.group(1) or m.group(2)).translate(DIGIT_TO_SUP), s)
    s = _PAREN_MARK.sub(lambda m: m.group(1).translate(DIGIT_TO_SUP), s)
    return _BARE_MARK.sub(lambda m: (m.group(1) or m.group(2)).translate(DIGIT_TO_SUP), s)
