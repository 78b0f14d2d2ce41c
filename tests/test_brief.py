"""The brief (``brief.brief_html``) as a reader sees it: the unit's name as
title, the narrative summary, two charts in both languages, percentages,
strength in the codebook's order, a comparison only when there is something
to compare with, and the "no close recommendation" note said once."""

from __future__ import annotations

import re

import pytest

from analysis.brief import brief_html, brief_tables
from pagecheck import CODES, SEED, WRITTEN, Page
from pagecheck import run_corpus as _run



@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    run = _run(tmp_path_factory, "alone", [SEED])
    return run, brief_html(run.tables, "11/2")


@pytest.fixture(scope="module")
def against(tmp_path_factory):
    run = _run(tmp_path_factory, "against", [SEED, WRITTEN])
    return run, brief_html(run.tables, "99/1")


def _table_rows(html: str, first_header: str) -> list[list[str]]:
    """The rows of the table whose first heading is ``first_header`` (zh), as cell texts shown in Chinese."""
    for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
        if f'class="zh">{first_header}<' in table:
            body = table.split("<tbody>", 1)[1]
            return [[Page(c).text["zh"] for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
                    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
    raise AssertionError(f"no table headed {first_header}")


def test_title_summary_and_two_charts_in_both_languages(against):
    run, html = against
    page = Page(html)
    assert "第99/1号决议" in page.text["zh"] and "COP resolution 99/1" in page.text["en"]
    assert "<title>第99/1号决议" in html
    # notebook 06's narrative: its counts line, in each language
    assert "2 段序言、3 段执行部分；共 8 条建议" in page.text["zh"]
    assert "2 preambular and 3 operative paragraphs" in page.text["en"]
    charts = [f for f in page.figures if f]
    assert len(charts) == 2
    for imgs in charts:
        assert [i["class"] for i in imgs] == ["zh", "en"]
        assert all(i["src"].startswith("data:image/png;base64,") and len(i["alt"]) > 20 for i in imgs)


def test_shares_are_percentages_and_strength_follows_the_codebook(against):
    run, html = against
    rows = _table_rows(html, "强度")
    families = [r[0] for r in rows]
    order = ["应", "鼓励", "不妨", "其他"]
    assert families == [f for f in order if f in families] and len(families) >= 3
    mine = run.recommendations[run.recommendations["resolution"] == "99/1"]
    n = len(mine)
    should = int((mine["strength_family"] == "应").sum())
    assert rows[0][1] == f"{should} ({100 * should / n:.0f}%)"
    assert not re.search(r"\b0\.\d{3}\b", Page(html).text["zh"])  # no raw shares such as 0.071
    assert len(rows[0]) == 3  # this resolution, and the rest of the corpus


def test_a_corpus_of_one_unit_shows_no_comparison(alone):
    run, html = alone
    tables = brief_tables(run.tables, "11/2")
    assert "rest_of_corpus" not in tables["strength_family"] and "corpus_share" not in tables["themes"]
    assert all(len(r) == 2 for r in _table_rows(html, "行为方"))
    page = Page(html)
    assert "语料库其余部分" not in page.text["zh"] and "Rest of the corpus" not in page.text["en"]
    assert "语料库中没有其他决议或决定可比较" in page.text["zh"]


def test_the_no_close_recommendation_note_is_said_once(alone, against):
    _, html = alone
    assert Page(html).text["en"].count("No recommendation elsewhere in the corpus is close") == 1
    assert "No close recommendation elsewhere" not in html
    run, html = against
    b = brief_tables(run.tables, "99/1")
    without = [r for r in b["recommendations"]["rec_id"] if r not in set(b["closest"]["rec_id"])]
    text = Page(html).text["en"]
    assert text.count("no close recommendation elsewhere in the corpus") == (1 if without else 0)
    for rec_id in without:
        assert rec_id in text


@pytest.mark.parametrize("which", ["alone", "against"])
def test_names_not_codes_and_the_precedents_stay(which, request):
    run, html = request.getfixturevalue(which)
    page = Page(html)
    found = set(CODES.findall(page.text["zh"]))
    assert not found, found
    assert not set(CODES.findall(page.text["en"])) - {"States"}
    assert "与先例相比" in page.text["zh"] and "class=\"badge" in html or "class='badge" in html
    assert re.search(r"\d+ 条建议中：", page.text["zh"])  # the precedents' summary sentence
