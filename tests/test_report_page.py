"""``report.html`` as an analyst reads it: summary, findings, contents, one
chart per topic in either language, a table that sorts and filters, names
instead of codes. Built from real runs (the seed alone; the seed and a
resolution written for testing), with the figures' file names only, since
the page refers to the figures and does not draw them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import TITLES, chart_specs, report_page
from pagecheck import CODES, Page


def _figures(run):
    return {f"{n}_{lang}": {"png": Path(f"/x/figures/{n}_{lang}.png")} for n, _, _ in chart_specs(run)
            for lang in ("zh", "en")}


def _page(run, **kw):
    return Page(report_page(run, _figures(run), ["01_reading_and_structure"], **kw))


@pytest.mark.parametrize("which", ["one_unit", "two_units"])
def test_the_page_has_a_summary_findings_contents_and_one_chart_per_topic(which, request):
    run = request.getfixturevalue(which)
    page = _page(run)
    assert page.html_lang == "zh-Hans"
    # contents: every entry points at a section of the page
    toc = [h[1:] for h in page.links if h.startswith("#")]
    assert {"summary", "findings", "recommendations", "about"} <= set(toc)
    assert set(toc) <= page.ids
    # 3-6 findings, each in both languages
    findings = [t for t, a in page.tags if t == "ul" and "findings" in a.get("class", "")]
    assert findings
    n_findings = sum(1 for t, a in page.tags if t == "li") - len(toc) - 1  # minus contents and the notebook
    assert 3 <= n_findings <= 6, n_findings
    # one figure per chart, each with its zh and its en image, alt text that describes it
    names = [n for n, _, _ in chart_specs(run)]
    assert len(page.figures) == len(names)
    for imgs, name in zip(page.figures, names):
        assert [(i["class"], i["lang"]) for i in imgs] == [("zh", "zh-Hans"), ("en", "en")], name
        for img in imgs:
            assert img["src"].startswith("figures/") and img["alt"] and name not in img["alt"]
    zh_title, en_title = TITLES["actor_strength"]
    assert zh_title in page.text["zh"] and en_title not in page.text["zh"]
    assert en_title in page.text["en"] and zh_title not in page.text["en"]
    # the notebooks are linked
    assert "report/01_reading_and_structure.html" in page.links


@pytest.mark.parametrize("which", ["one_unit", "two_units"])
def test_a_reader_sees_names_never_codes_dicts_or_missing_values(which, request):
    run = request.getfixturevalue(which)
    page = _page(run)
    for lang, text in page.text.items():
        assert "{'" not in text and "0.533333" not in text and "unit_order" not in text
        found = set(CODES.findall(text))
        if lang == "en":
            found -= {"States"}  # the English name of the group (缔约国/各国), not a code
        assert not found, (lang, found)
        assert "行为体" not in text  # one word for actor: 行为方
    assert "缔约方会议" in page.text["zh"]  # the Body group under its name
    # the findings are written from the data
    recs = run.recommendations
    should = (recs["strength_family"] == "应").sum()
    assert f"{100 * should / len(recs):.0f}%" in page.text["en"]


def test_the_recommendations_table_sorts_and_filters_every_recommendation(two_units):
    html = report_page(two_units, _figures(two_units), [])
    page = Page(html)
    table = next(a for t, a in page.tags if t == "table" and a.get("id") == "recs")
    assert "sortable" in table["class"]
    rows = re.findall(r"<tr id=\"rec-[^\"]+\"><td data-sort=", html)  # each row an anchor a chart leads to
    assert len(rows) == len(two_units.recommendations)
    assert 'data-filter="recs"' in html and html.count('data-table="recs"') == 3
    # the table's script is embedded; the one file loaded is plotly.js, shipped beside the page
    assert "addEventListener('click'" in html
    assert re.findall(r"<script src=\"([^\"]+)\"", html) == ["report_assets/plotly.min.js"]
    assert "http://" not in html and "https://" not in html


def test_a_recommendation_without_a_strength_shows_a_dash_not_nan(two_units):
    # A decision's paragraph often has no modal: its strength is missing,
    # which a str column read back from Parquet holds as NaN.
    from analysis.report import recommendations_table

    recs = two_units.recommendations.copy()
    recs["strength"] = recs["strength"].astype("str")
    recs.loc[recs.index[0], ["strength", "strength_family"]] = [None, None]
    assert pd.isna(recs["strength"].iloc[0])
    html = recommendations_table(recs)
    assert "nan（" not in html
    assert "—（未分类）" in html


def test_one_unit_without_precedents_still_gives_a_page(one_unit):
    tables = dict(one_unit.tables)
    tables["precedents"] = pd.DataFrame()
    tables["overlap"] = tables["overlap"].iloc[:0]
    run = type(one_unit)(one_unit.processed, tables, one_unit.manifest, one_unit.folder)
    page = _page(run)
    assert "先例" not in page.text["zh"]  # no precedents finding rather than zeros
    assert "相似度" not in page.text["zh"]
    assert "28 条建议" in page.text["zh"]


def test_the_font_is_embedded_so_the_page_needs_no_chinese_system_font(one_unit):
    html = report_page(one_unit, _figures(one_unit), [])
    face = re.search(r"@font-face\{font-family:'CopCJK';src:.*?base64,([A-Za-z0-9+/=]+)", html)
    assert face
    import base64
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(base64.b64decode(face.group(1))))
    cmap = font.getBestCmap()
    for ch in "决议建议分析报告行为方谁份":
        assert ord(ch) in cmap, ch
    assert len(face.group(1)) < 600_000  # a cut of the 4 MB font


def test_screenshots_of_the_report_and_a_brief(one_unit, tmp_path):
    """The documented look at the pages (scripts/screenshot_pages.py); skipped without Chromium."""
    from analysis.brief import brief_html
    from analysis.pages import screenshot

    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        pytest.skip("no Chromium on this machine: the screenshots are not taken")
    report = tmp_path / "report.html"
    report.write_text(report_page(one_unit, _figures(one_unit), []), encoding="utf-8")
    brief = tmp_path / "brief.html"
    brief.write_text(brief_html(one_unit.tables, "11/2"), encoding="utf-8")
    for page in (report, brief):
        for lang in ("zh", "en"):
            png = screenshot(page, tmp_path / f"{page.stem}_{lang}.png", lang=lang, height=1600)
            assert png.stat().st_size > 20_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chinese_headings_buttons_and_body_text_draw_glyphs_not_boxes(tmp_path):
    """In headless Chromium with no Chinese system font, text in the pages'
    own font stack draws the embedded glyphs at every size the pages use:
    each line is compared with the same line written in characters the
    embedded cut lacks (which can only draw as boxes)."""
    from PIL import Image, ImageChops

    from analysis.pages import head, screenshot, tail

    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        pytest.skip("no Chromium on this machine: the pages are not drawn")
    words, missing = "摘要", "龘靐"  # the second pair is not in the page's text, so not in its font

    def draw(text, name):
        body = (f"<h1 id=a>{text}</h1><h2>{text}</h2><p><b>{text}</b></p>"
                f"<div class=switch><button>{text}</button></div><p>{text}</p><figcaption>{text}</figcaption>")
        page = tmp_path / f"{name}.html"
        page.write_text(head("摘要", "Summary", words) + body + tail(), encoding="utf-8")
        return Image.open(screenshot(page, tmp_path / f"{name}.png", width=400, height=400)).convert("L")

    drawn, boxes = draw(words, "drawn"), draw(missing, "boxes")
    # one band per element; a band drawn as boxes is pixel for pixel the boxes' band
    rows = [y for y in range(drawn.height) if drawn.crop((0, y, drawn.width, y + 1)).getextrema()[0] < 128]
    assert rows, "nothing drawn"
    bands, start = [], rows[0]
    for a, b in zip(rows, rows[1:] + [None]):
        if b is None or b > a + 1:
            bands.append((start, a + 1))
            start = b
    bands = [(top, bottom) for top, bottom in bands if bottom - top >= 6]  # lines of text, not the button's edges
    assert len(bands) >= 6, bands
    for top, bottom in bands:
        box = (0, top, drawn.width, bottom)
        assert ImageChops.difference(drawn.crop(box), boxes.crop(box)).getbbox(), f"rows {top}-{bottom} drawn as boxes"
