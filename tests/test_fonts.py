"""Tests of analysis.fonts: the bundled font, the fallback lists, and the
rule that PDFs only get TrueType-outline CJK fonts.

System CJK fonts are simulated with tiny fonts built here with fontTools
(one CFF-outline "Noto Sans CJK SC", one TrueType-outline "WenQuanYi Zen
Hei", each with a few boxes as glyphs), registered with matplotlib for the
duration of a test and removed afterwards.
"""

from __future__ import annotations

import os
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from fontTools.fontBuilder import FontBuilder  # noqa: E402
from fontTools.pens.t2CharStringPen import T2CharStringPen  # noqa: E402
from fontTools.pens.ttGlyphPen import TTGlyphPen  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from analysis import charts, fonts  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font:UserWarning")

FONT_DIR = fonts.BUNDLED_FONT_PATH.parent
SAMPLE = "技术援助应鼓励不妨"


def _box(pen, x0, y0, x1, y1):
    pen.moveTo((x0, y0))
    pen.lineTo((x0, y1))
    pen.lineTo((x1, y1))
    pen.lineTo((x1, y0))
    pen.closePath()


def build_font(path, family: str, outlines: str, chars: str = SAMPLE) -> str:
    """A minimal font named ``family`` with a box glyph for each of ``chars``."""
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    fb = FontBuilder(1000, isTTF=outlines == "truetype")
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    if outlines == "truetype":
        glyphs = {}
        for n in names:
            pen = TTGlyphPen(None)
            _box(pen, 100, 0, 900, 800)
            glyphs[n] = pen.glyph()
        fb.setupGlyf(glyphs)
    else:
        charstrings = {}
        for n in names:
            pen = T2CharStringPen(1000, None)
            _box(pen, 100, 0, 900, 800)
            charstrings[n] = pen.getCharString()
        fb.setupCFF(family.replace(" ", ""), {"FullName": family}, charstrings, {})
    fb.setupHorizontalMetrics({n: (1000, 100) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": family, "styleName": "Regular",
                       "psName": family.replace(" ", "") + "-Regular"})
    fb.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return str(path)


@pytest.fixture()
def clean_fonts(monkeypatch):
    """Forget the cached choice before and after; remove fonts a test added."""
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    before = list(font_manager.fontManager.ttflist)
    fonts._CACHE.clear()
    saved_rc = matplotlib.rcParams.copy()
    yield
    font_manager.fontManager.ttflist[:] = before
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()
    fonts._CACHE.clear()
    matplotlib.rcParams.update(saved_rc)
    fonts.setup_fonts()
    plt.close("all")


@pytest.fixture()
def system_fonts(tmp_path, clean_fonts):
    """Install a CFF Noto Sans CJK SC and a TrueType WenQuanYi Zen Hei."""
    cff = build_font(tmp_path / "NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC", "cff")
    ttf = build_font(tmp_path / "wqy-zenhei.ttf", "WenQuanYi Zen Hei", "truetype")
    font_manager.fontManager.addfont(cff)
    font_manager.fontManager.addfont(ttf)
    return cff, ttf


# ---- the bundled font and its papers -------------------------------------------


def test_bundled_font_is_truetype_and_covers_the_chart_vocabulary():
    assert fonts.outline_format(fonts.BUNDLED_FONT_PATH) == "truetype"
    cmap = TTFont(str(fonts.BUNDLED_FONT_PATH), lazy=True).getBestCmap()
    vocabulary = "".join(
        [zh for zh, _ in charts.theme_names().values()]
        + [zh for zh, _ in charts.ACTOR_GROUPS.values()]
        + [zh for zh, _ in charts.STRENGTH_FAMILIES.values()]
        + [zh for zh, _ in charts.STRENGTH_SCORES.values()]
        + [zh for zh, _ in charts.CITED_KINDS.values()]
        + [zh for zh, _ in charts.TEXT.values()]
        + list(charts.BODIES_EN) + ["附件一二三四五六七八九十正文《》（）〔〕：；、，。“”"]
    )
    # Everything DejaVu Sans (the Latin font) lacks must be in the CJK font.
    dejavu = TTFont(font_manager.findfont("DejaVu Sans"), lazy=True).getBestCmap()
    missing = sorted({c for c in vocabulary if not c.isspace() and ord(c) not in dejavu and ord(c) not in cmap})
    assert not missing, missing


def test_licence_and_provenance_ship_with_the_font():
    licence = (FONT_DIR / "LICENSE-DroidSansFallback.txt").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in licence
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    assert "fonts-droid-fallback" in readme and "1:6.0.1r16-1.1" in readme
    import hashlib

    digest = hashlib.sha256(fonts.BUNDLED_FONT_PATH.read_bytes()).hexdigest()
    assert digest in readme, "README must record the font file's sha256"


def test_outline_format_reads_the_tables(tmp_path):
    assert fonts.outline_format(build_font(tmp_path / "a.otf", "A", "cff")) == "cff"
    assert fonts.outline_format(build_font(tmp_path / "b.ttf", "B", "truetype")) == "truetype"
    junk = tmp_path / "c.ttf"
    junk.write_bytes(b"not a font")
    assert fonts.outline_format(junk) == "unknown"


# ---- the choice ----------------------------------------------------------------


def test_setup_is_idempotent_and_applies_the_settings(clean_fonts):
    choice = fonts.setup_fonts()
    assert fonts.setup_fonts() is choice
    rc = matplotlib.rcParams
    assert rc["font.family"] == list(choice.family)
    assert choice.family[0] == "DejaVu Sans" and choice.family[-1] == "Droid Sans Fallback"
    assert rc["pdf.fonttype"] == 42 and rc["svg.fonttype"] == "path" and rc["axes.unicode_minus"] is False
    bundled = [f for f in font_manager.fontManager.ttflist
               if os.path.realpath(f.fname) == os.path.realpath(fonts.BUNDLED_FONT_PATH)]
    assert len(bundled) == 1, "registered exactly once"


def test_without_system_fonts_the_bundled_font_is_used_everywhere(clean_fonts):
    choice = fonts.setup_fonts(prefer_system=False)
    assert choice.family == choice.pdf_family == ("DejaVu Sans", "Droid Sans Fallback")
    assert "bundled" in choice.reason


def test_a_cff_system_font_is_preferred_on_screen_but_kept_out_of_pdf(system_fonts):
    choice = fonts.setup_fonts()
    assert choice.cjk_family == "Noto Sans CJK SC"
    assert choice.outline("Noto Sans CJK SC") == "cff"
    assert "Noto Sans CJK SC" not in choice.pdf_family
    # The TrueType system font takes its place in PDFs, the bundled font closes both lists.
    assert choice.pdf_family == ("DejaVu Sans", "WenQuanYi Zen Hei", "Droid Sans Fallback")
    assert choice.family == ("DejaVu Sans", "Noto Sans CJK SC", "Droid Sans Fallback")
    assert "TrueType" in choice.reason


def test_only_a_cff_system_font_means_the_bundled_font_in_pdf(tmp_path, clean_fonts):
    font_manager.fontManager.addfont(build_font(tmp_path / "s.otf", "Source Han Sans SC", "cff"))
    choice = fonts.setup_fonts()
    assert choice.cjk_family == "Source Han Sans SC"
    assert choice.pdf_family == ("DejaVu Sans", "Droid Sans Fallback")


def test_environment_can_force_the_bundled_font(system_fonts, monkeypatch):
    monkeypatch.setenv(fonts.ENV_VAR, "bundled")
    assert fonts.setup_fonts().family == ("DejaVu Sans", "Droid Sans Fallback")
    monkeypatch.setenv(fonts.ENV_VAR, "WenQuanYi Zen Hei")
    assert fonts.setup_fonts().cjk_family == "WenQuanYi Zen Hei"


def test_pdf_output_swaps_cff_fonts_for_truetype_and_restores_them(system_fonts, tmp_path):
    import pymupdf

    choice = fonts.setup_fonts()
    fig, ax = plt.subplots(figsize=(3, 2))
    title = ax.set_title(SAMPLE)
    assert title.get_fontfamily() == list(choice.family)
    with fonts.pdf_font_context(fig):
        assert title.get_fontfamily() == list(choice.pdf_family)
        fig.savefig(tmp_path / "f.pdf")
    assert title.get_fontfamily() == list(choice.family)
    fig.savefig(tmp_path / "f.svg")  # screen/SVG keep the preferred font
    with pymupdf.open(tmp_path / "f.pdf") as doc:
        used = [f[3] for f in doc[0].get_fonts(full=True)]
    assert any("WenQuanYi" in u for u in used), used
    assert not any("Noto" in u for u in used), used


def test_save_figure_uses_the_pdf_list(system_fonts, tmp_path):
    import pymupdf

    fonts.setup_fonts()
    table = pd.DataFrame({"actor_group": ["States"], "strength_family": ["应"], "count": [3]})
    ax = charts.plot_actor_strength(table, lang="zh", title=SAMPLE)
    paths = charts.save_figure(ax.figure, "t", out_dir=tmp_path, source="来源", formats=("pdf",))
    with pymupdf.open(paths["pdf"]) as doc:
        used = [f[3] for f in doc[0].get_fonts(full=True)]
        assert SAMPLE in doc[0].get_text()
    assert not any("Noto" in u for u in used), used


def test_pdf_families_keeps_order_and_drops_duplicates():
    c = fonts.FontChoice(("DejaVu Sans", "Hiragino Sans GB", "Droid Sans Fallback"),
                         ("DejaVu Sans", "Droid Sans Fallback"), "Hiragino Sans GB", "Droid Sans Fallback",
                         (("Hiragino Sans GB", "cff"), ("Droid Sans Fallback", "truetype")),
                         fonts.BUNDLED_FONT_PATH, "")
    assert fonts.pdf_families(["Hiragino Sans GB", "DejaVu Sans"], c) == ["Droid Sans Fallback", "DejaVu Sans"]
    assert fonts.pdf_families(["DejaVu Sans"], c) == ["DejaVu Sans"]


def test_system_font_candidates_are_simplified_chinese_families():
    # Every candidate name is a real family name (no file names, no style suffix).
    for name in fonts.SYSTEM_CJK_FAMILIES:
        assert not re.search(r"\.(ttf|otf|ttc)$|Regular|Bold", name), name
