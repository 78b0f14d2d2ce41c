"""Renderings of a resolution text as analysts receive it, for tests.

``pdf_like`` imitates text copied out of a PDF: every paragraph hard-wrapped
at a column width, no blank lines between paragraphs, running headers and
footers (document symbol, job number, page number) inserted at page breaks,
enumerator brackets and digits made full-width. The wrapping never splits a
run of Latin letters or digits, as a PDF layout engine would not.
"""

from __future__ import annotations

import random
import re

_FULL = {**{ord(c): 0xFF10 + i for i, c in enumerate("0123456789")},
         **{ord(c): 0xFF41 + i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}}


_NO_LINE_START = set("，。；：、）》”’！？")
_NO_LINE_END = set("（《“‘")


def _width(ch: str) -> float:
    return 0.5 if ord(ch) < 0x2E80 else 1.0


def wrap(text: str, width: float) -> list[str]:
    """Wrap at ``width`` display columns without splitting Latin/digit runs."""
    lines, cur, w = [], "", 0.0
    tokens = re.findall(r"[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+|.", text)
    for tok in tokens:
        tw = sum(_width(c) for c in tok)
        # Chinese line breaking: no closing mark opens a line, no opening mark ends one.
        if w + tw > width and cur and tok not in _NO_LINE_START and cur[-1] not in _NO_LINE_END:
            lines.append(cur)
            cur, w = "", 0.0
        cur += tok
        w += tw
    if cur:
        lines.append(cur)
    return lines


def full_width_labels(par: str) -> str:
    par = re.sub(r"\(([a-z]{1,2})\)", lambda m: "（" + m.group(1).translate(_FULL) + "）", par)
    return re.sub(r"^(\d+)\.", lambda m: m.group(1).translate(_FULL) + "．", par)


def pdf_like(text: str, width: float = 35, lines_per_page: int = 30, seed: int = 0,
             symbol: str = "CTOC/COP/2022/15", blank_lines: bool = False, newline: str = "\n",
             full_width: bool = True) -> str:
    rng = random.Random(seed)
    paragraphs = [p.strip() for p in text.splitlines() if p.strip()]
    wrapped: list[list[str]] = [wrap(full_width_labels(p) if full_width else p, width) for p in paragraphs]
    total_pages = sum(len(w) for w in wrapped) // lines_per_page + 1
    out: list[str] = []
    page, n = 1, 0
    for lines in wrapped:
        for line in lines:
            out.append(line)
            n += 1
            if n % lines_per_page == 0:
                job = f"V.22-{rng.randint(10000, 99999)}"
                out += [rng.choice([job, f"{page}/{total_pages}", f"{job}  {page}/{total_pages}"]), symbol]
                page += 1
        if blank_lines:
            out.append("")
    return newline.join(out) + newline
