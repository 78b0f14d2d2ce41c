"""Fonts for charts with Chinese labels, on any machine.

Contract
--------
``setup_fonts()`` registers the bundled CJK font with matplotlib's font
manager, picks a font family fallback list and applies the project's font
settings to ``matplotlib.rcParams``. It is idempotent and cheap after the
first call (the choice is cached) and returns a frozen :class:`FontChoice`
saying what was chosen and why. ``pdf_font_context(fig)`` is used by the
figure writer around PDF output only.

What always holds after ``setup_fonts()``:

* Latin text is set in DejaVu Sans (matplotlib's own default, always present);
  every character DejaVu Sans lacks falls back, glyph by glyph, to a CJK font
  (matplotlib >= 3.6 falls back along the ``font.family`` list).
* The last entry of every fallback list is the bundled
  ``fonts/DroidSansFallbackFull.ttf`` (Apache-2.0, TrueType outlines), so
  Chinese renders on machines with no Chinese system font at all.
* ``pdf.fonttype = 42``: fonts are embedded as TrueType (CID) fonts, so the
  text of a PDF stays extractable and searchable; ``svg.fonttype = 'path'``:
  SVG text is converted to outlines, so an SVG shows Chinese on a viewer's
  machine without Chinese fonts; ``axes.unicode_minus = False``: the CJK
  fonts lack U+2212, an ASCII hyphen needs no fallback.

Why two lists
-------------
A system CJK font is preferred when one exists (PingFang SC / Hiragino Sans
GB on macOS, Microsoft YaHei / SimHei on Windows, Noto Sans CJK SC / Source
Han Sans SC / WenQuanYi on Linux): it matches the reader's platform and has
better hinting than the bundled fallback font. But Noto Sans CJK and Source
Han Sans are CFF-outline (PostScript) fonts, and a CFF font embedded with
``pdf.fonttype = 42`` rendered with every Chinese glyph missing in MuPDF
while poppler showed it. So the PDF list keeps only fonts whose outlines are
TrueType (``glyf`` table, checked with fontTools), and the bundled TrueType
font takes the place of any CFF font there. PNG and SVG are rasterised or
converted to paths by matplotlib itself, where CFF outlines are fine.

The environment variable ``COP_ANALYSIS_CJK_FONT`` overrides the choice:
``bundled`` uses only the bundled font (reproducible output across
machines); a family name puts that installed family first.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.text import Text
from .config import FONTS_DIR

logger = logging.getLogger(__name__)

#: The bundled CJK font (Debian fonts-droid-fallback 1:6.0.1r16-1.1, Apache-2.0).
BUNDLED_FONT_PATH = FONTS_DIR / "DroidSansFallbackFull.ttf"
#: Its family name as matplotlib reads it from the font's name table.
BUNDLED_FAMILY = "Droid Sans Fallback"
#: Latin text: matplotlib's own default, shipped with matplotlib.
LATIN_FAMILY = "DejaVu Sans"

#: System CJK families in order of preference (Simplified Chinese faces first).
SYSTEM_CJK_FAMILIES = (
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)

#: Settings applied with the font list (see the module docstring for why).
FONT_RC = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "axes.unicode_minus": False,
}

ENV_VAR = "COP_ANALYSIS_CJK_FONT"


@dataclass(frozen=True)
class FontChoice:
    """The fonts chosen by :func:`setup_fonts`.

    ``family`` is the fallback list for screen, PNG and SVG; ``pdf_family``
    the list for PDF (TrueType outlines only). ``outlines`` maps each CJK
    family considered to its outline format (``truetype``, ``cff``, ``cff2``
    or ``unknown``); ``reason`` says in words why this list was chosen.
    """

    family: tuple[str, ...]
    pdf_family: tuple[str, ...]
    cjk_family: str
    pdf_cjk_family: str
    outlines: tuple[tuple[str, str], ...]
    bundled_path: Path
    reason: str

    def outline(self, family: str) -> str:
        return dict(self.outlines).get(family, "unknown")


def outline_format(path: str | os.PathLike, face_index: int = 0) -> str:
    """Outline format of a font file: ``truetype`` (a ``glyf`` table),
    ``cff`` (``CFF ``), ``cff2`` (``CFF2``) or ``unknown``.

    Only the table directory is read (``lazy=True``), so this is cheap even
    for a 20 MB collection.
    """
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(os.fspath(path), fontNumber=face_index, lazy=True) as font:
            tables = set(font.keys())
    except (TTLibError, OSError, ValueError) as exc:  # unreadable or not a font
        logger.debug("cannot read outline format of %s: %s", path, exc)
        return "unknown"
    if "glyf" in tables:
        return "truetype"
    if "CFF " in tables:
        return "cff"
    if "CFF2" in tables:
        return "cff2"
    return "unknown"


def _register_bundled() -> None:
    """Add the bundled font to matplotlib's font manager once."""
    path = os.path.realpath(BUNDLED_FONT_PATH)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"bundled CJK font missing: {BUNDLED_FONT_PATH} (it ships with the package; "
            "reinstall or restore src/analysis/fonts/)"
        )
    known = {os.path.realpath(f.fname) for f in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(path)
        logger.debug("registered bundled font %s", path)


def system_cjk_fonts() -> list[tuple[str, str, str]]:
    """Installed CJK families from :data:`SYSTEM_CJK_FAMILIES`, in order of
    preference, as ``(family, path, outline_format)``.

    A family is judged by its regular face (any face when there is none).
    """
    bundled = os.path.realpath(BUNDLED_FONT_PATH)
    by_name: dict[str, list] = {}
    for entry in font_manager.fontManager.ttflist:
        if os.path.realpath(entry.fname) == bundled:
            continue
        by_name.setdefault(entry.name.casefold(), []).append(entry)
    found = []
    for family in SYSTEM_CJK_FAMILIES:
        entries = by_name.get(family.casefold())
        if not entries:
            continue
        regular = [e for e in entries if e.weight in (400, "normal", "regular") and e.style == "normal"]
        entry = (regular or entries)[0]
        index = getattr(entry, "index", 0) or 0
        found.append((entry.name, entry.fname, outline_format(entry.fname, index)))
    return found


def _choose(prefer_system: bool, forced: str | None) -> FontChoice:
    _register_bundled()
    system = system_cjk_fonts() if prefer_system else []
    if forced:
        # A forced family first, wherever it is in the preference order.
        entries = {e.name.casefold(): e for e in font_manager.fontManager.ttflist}
        entry = entries.get(forced.casefold())
        if entry is None:
            logger.warning("%s=%r: no such font installed; using the usual choice", ENV_VAR, forced)
        elif entry.name != BUNDLED_FAMILY:
            outline = outline_format(entry.fname, getattr(entry, "index", 0) or 0)
            system = [(entry.name, entry.fname, outline)] + [s for s in system if s[0] != entry.name]
    outlines = tuple((name, outline) for name, _, outline in system) + ((BUNDLED_FAMILY, "truetype"),)

    if system:
        cjk = system[0][0]
        reason = f"system CJK font {cjk} ({system[0][2]} outlines)"
    else:
        cjk = BUNDLED_FAMILY
        reason = "no system CJK font found; bundled Droid Sans Fallback"
    truetype = [name for name, _, outline in system if outline == "truetype"]
    pdf_cjk = truetype[0] if truetype else BUNDLED_FAMILY
    if pdf_cjk != cjk:
        reason += f"; PDF uses {pdf_cjk} (TrueType outlines: {cjk} is {dict(outlines)[cjk]})"

    def chain(first: str) -> tuple[str, ...]:
        # The bundled font always closes the list: a system font may lack a glyph.
        return tuple(dict.fromkeys((LATIN_FAMILY, first, BUNDLED_FAMILY)))

    return FontChoice(
        family=chain(cjk),
        pdf_family=chain(pdf_cjk),
        cjk_family=cjk,
        pdf_cjk_family=pdf_cjk,
        outlines=outlines,
        bundled_path=BUNDLED_FONT_PATH,
        reason=reason,
    )


_CACHE: dict[tuple[bool, str | None], FontChoice] = {}


def setup_fonts(*, prefer_system: bool = True, apply: bool = True) -> FontChoice:
    """Register the bundled font, choose the fallback lists, apply settings.

    ``prefer_system=False`` ignores system CJK fonts (output identical on
    every machine). With ``apply`` (the default) ``rcParams['font.family']``
    is set to ``choice.family`` and :data:`FONT_RC` is applied; calling it
    again gives the same result and costs a dictionary look-up.

    >>> choice = setup_fonts()
    >>> choice.family[0], choice.family[-1], choice.pdf_family[-1]
    ('DejaVu Sans', 'Droid Sans Fallback', 'Droid Sans Fallback')
    >>> setup_fonts() is choice
    True
    """
    forced = os.environ.get(ENV_VAR, "").strip() or None
    if forced and forced.casefold() == "bundled":
        prefer_system, forced = False, None
    key = (prefer_system, forced)
    choice = _CACHE.get(key)
    if choice is None:
        choice = _CACHE[key] = _choose(prefer_system, forced)
        logger.info("chart fonts: %s", choice.reason)
    if apply:
        mpl.rcParams["font.family"] = list(choice.family)
        mpl.rcParams.update(FONT_RC)
    return choice


def pdf_families(families: list[str] | tuple[str, ...], choice: FontChoice) -> list[str]:
    """The PDF-safe version of a family list: CJK families without TrueType
    outlines are replaced by the PDF CJK family (order otherwise kept).

    >>> c = FontChoice(("DejaVu Sans", "Noto Sans CJK SC", "Droid Sans Fallback"),
    ...     ("DejaVu Sans", "Droid Sans Fallback"), "Noto Sans CJK SC", "Droid Sans Fallback",
    ...     (("Noto Sans CJK SC", "cff"), ("Droid Sans Fallback", "truetype")), Path("x"), "")
    >>> pdf_families(["DejaVu Sans", "Noto Sans CJK SC", "Droid Sans Fallback"], c)
    ['DejaVu Sans', 'Droid Sans Fallback']
    """
    known = dict(choice.outlines)
    out = []
    for family in families:
        if family in known and known[family] != "truetype":
            family = choice.pdf_cjk_family
        if family not in out:
            out.append(family)
    return out


@contextmanager
def pdf_font_context(fig) -> Iterator[None]:
    """Within the block, every text of ``fig`` (and any text matplotlib
    creates while drawing) uses the PDF-safe family list.

    Text objects keep the family list they were created with, so changing
    ``rcParams`` alone would not reach them: the families are swapped on
    each text and restored on exit. A no-op when the two lists are equal
    (always the case when no CFF system font is in use).
    """
    choice = setup_fonts(apply=False)
    if choice.family == choice.pdf_family:
        yield
        return
    saved = []
    for text in fig.findobj(Text):
        families = list(text.get_fontfamily())
        safe = pdf_families(families, choice)
        if safe != families:
            saved.append((text, families))
            text.set_fontfamily(safe)
    try:
        rc_family = pdf_families(mpl.rcParams["font.family"], choice)
        with mpl.rc_context({"font.family": rc_family}):
            yield
    finally:
        for text, families in saved:
            text.set_fontfamily(families)
