"""Language over time (drift and facets by session) and the agreed-language
search, on a corpus written for testing: the seed, a later version of it
with known edits, and a written GA resolution (fixtures_reports)."""

from __future__ import annotations

import re
import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from analysis import timeline  # noqa: E402
from analysis.cli import main  # noqa: E402
from analysis.pipeline import RunSettings, run  # noqa: E402
from analysis.precedents import drift  # noqa: E402
from analysis.search import search  # noqa: E402
from fixtures_reports import GA_RES, later_seed  # noqa: E402
from pagecheck import Page  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def result(tmp_path_factory, seed_path):
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(seed_path, raw / seed_path.name)
    (raw / "res_12-2.txt").write_text(later_seed(seed_path.read_text(encoding="utf-8")), encoding="utf-8")
    (raw / "ga_52-85.txt").write_text(GA_RES, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    return run(raw, out, RunSettings(progress=False)), out


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig):
    fig.canvas.draw()  # a missing glyph warns here, and warnings are errors in this suite
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_drift_chart_in_time_order(result, lang):
    d = drift(result[0].tables["precedents"])
    assert list(d["resolution"]) == ["GA.52/85", "11/2", "12/2"]  # 1997, 2022, 2024
    ax = timeline.plot_language_drift(d, lang=lang)
    shown = _texts(ax.figure)
    title = ax.get_title(loc="left")
    assert bool(CJK.search(title)) == (lang == "zh")
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert legend == {timeline._t(k, lang) for k in ("unchanged", "stronger", "weaker", "same", "new")}
    assert "22" in shown  # the unchanged recommendations of 12/2
    if lang == "en":
        assert not any(CJK.search(t) for t in shown), [t for t in shown if CJK.search(t)]


@pytest.mark.parametrize("facet", ["themes", "strength_family", "crime_areas"])
def test_facets_by_session(result, facet):
    recs = result[0].tables["recommendations"]
    t = timeline.facet_by_session(recs, facet, "en")
    assert list(dict.fromkeys(t["session"])) == ["General Assembly 52 (1997)", "COP 11 (2022)", "COP 12 (2024)"]
    if facet != "themes":  # each recommendation has one strength family and one crime-area set row
        shares = t.groupby("session")["share"].sum()
        assert shares.round(6).eq(1.0).all(), shares
    ax = timeline.plot_facet_over_time(t, lang="en", facet=facet)
    assert not any(CJK.search(x) for x in _texts(ax.figure))
    zh = timeline.facet_by_session(recs, facet, "zh")
    assert zh["session"].iloc[0] == "大会第52届会议（1997）"


def test_search_matches_text_and_words_in_time_order(result):
    recs = result[0].tables["recommendations"]
    hits = search(recs, "证人保护")
    assert list(hits["rec_id"]) == ["11/2:I:n", "12/2:I:n"] and set(hits["how"]) == {"text"}
    row = hits.iloc[0]
    assert row["match"] == "证人保护" and (row["left"] + row["match"] + row["right"]) in row["text"]
    # the words in another order are still found, by the tokeniser's words
    by_words = search(recs, "保护证人")
    assert len(by_words) and set(by_words["how"]) == {"tokens"}
    assert all(m in t for m, t in zip(by_words["match"], by_words["text"]))
    # filters: strength family, body, years
    assert search(recs, "立法", strength_family="不妨")["strength_family"].eq("不妨").all()
    assert search(recs, "合作", body="GA")["resolution"].eq("GA.52/85").all()
    assert search(recs, "立法记录", year_from=2023)["resolution"].eq("12/2").all()
    assert search(recs, "没有这个词组").empty


def test_search_command_prints_and_writes_csv_and_xlsx(result, tmp_path, capsys):
    _, out = result
    target = tmp_path / "hits.csv"
    assert main(["search", "立法记录", "--out", str(out), "--save", str(target)]) == 0
    printed = capsys.readouterr().out
    assert "【立法记录】" in printed and "2 recommendation(s) match" in printed
    table = pd.read_csv(target, encoding="utf-8-sig")
    assert list(table["rec_id"]) == ["11/2:I:a", "12/2:I:a"]
    assert target.with_suffix(".xlsx").exists()


def test_the_report_draws_drift_and_facets_by_session(result):
    from analysis.explore import load
    from analysis.report import TITLES, chart_specs

    _, out = result
    specs = {name: (data, draw) for name, data, draw in chart_specs(load(out))}
    for name in ("language_drift", "themes_by_session", "strength_family_by_session", "crime_areas_by_session"):
        assert name in specs and name in TITLES, name
        data, draw = specs[name]
        assert len(data)
        ax = draw("en")
        assert not any(CJK.search(t) for t in _texts(ax.figure)), name


def test_drift_per_session_adds_up_the_units_of_each_session(result):
    t = result[0].tables["precedents"]
    per_unit = drift(t)
    per_session = drift(t, by="session", lang="zh")
    assert list(per_session["session"]) == ["大会第52届会议（1997）", "缔约方会议第11届会议（2022）", "缔约方会议第12届会议（2024）"]
    assert per_session["n"].sum() == per_unit["n"].sum() == len(t)
    ax = timeline.plot_language_drift(per_session, lang="zh")
    assert "缔约方会议第12届会议（2024）" in "".join(_texts(ax.figure)).replace("\n", "")


def test_the_brief_shows_each_precedent_as_a_redline(result):
    from analysis.brief import brief_html

    page = brief_html(result[0].tables, "12/2")
    assert "28 条建议中：22 条未变，1 条更强，1 条更弱，1 条新增" in page
    assert "<del>可</del><ins>应</ins>" in page  # 12/2:I:b strengthened
    assert "<ins>在资源允许的情况下</ins>" in page
    assert page.count("class='badge up'") == 1 and page.count("class='badge down'") == 1
    shown = {lang: re.sub(r"\s*:\s*", ": ", text) for lang, text in Page(page).text.items()}
    assert "条件增加: 在资源允许的情况下" in shown["zh"] and "conditions added: 在资源允许的情况下" in shown["en"]


#: The words of a precedent's badge and redline, in each language.
_BADGE_WORDS = {"zh": ("更强", "更弱", "新增", "未变", "先例", "条件增加"),
                "en": ("stronger", "weaker", "new", "unchanged", "precedent", "conditions added")}


def test_precedent_badges_are_in_the_chosen_language(result):
    """The brief shows each badge in the language chosen on the page; notebook
    06 (``precedents_html(…, lang=LANG)``) in its ``LANG``: never the other one."""
    from analysis.brief import brief_html
    from analysis.precedents import precedents_html

    tables = result[0].tables
    brief = Page(brief_html(tables, "12/2")).text
    notebook = {lang: Page(precedents_html(tables["precedents"], "12/2", lang=lang)).text["zh"]
                for lang in ("zh", "en")}  # no language classes: all of it shows
    for shown in (brief, notebook):
        for lang, other in (("zh", "en"), ("en", "zh")):
            words = set(re.findall(r"[a-z]+(?: added)?|[\u4e00-\u9fff]+", shown[lang]))
            assert set(_BADGE_WORDS[lang]) <= words | set(shown[lang].split()), (lang, shown is brief)
            assert not set(_BADGE_WORDS[other]) & words, (lang, set(_BADGE_WORDS[other]) & words)
