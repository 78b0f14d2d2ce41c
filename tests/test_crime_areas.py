"""Crime areas (codebook §4b): the principles on inline sentences, the seed,
the written probes, the stage's columns, the tables, charts and exports.

The inline sentences are written for these tests in the style of the
resolutions; none is quoted from a resolution.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.classify import ClassifySettings, classify_recommendations, read_annotations
from analysis.crime_areas import CrimeAreaClassifier
from analysis.lexicon import CRIME_AREA_CODES

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "data" / "annotations"
GOLD = read_annotations(ANNOTATIONS / "gold_11-2.csv")
PROBES = read_annotations(ANNOTATIONS / "probes.csv")
RULES_ONLY = ClassifySettings(theme_model=False)
WRITTEN = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"
EVIDENCE = re.compile(r"([A-Z]+):(.+)@(\d+)-(\d+)")


@pytest.fixture(scope="module")
def clf() -> CrimeAreaClassifier:
    return CrimeAreaClassifier()


def areas(clf, text: str) -> list[str]:
    return clf.predict([text])[0]


# --- the principles, one sentence each -----------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # a crime named in the recommendation's own words
    ("各国应加强合作，打击贩运人口。", ["TIP"]),
    ("各国应为被偷运移民提供人道主义援助。", ["SOM"]),
    ("各国应加强对枪支及其零部件和弹药的标识和记录。", ["FIR"]),
    ("鼓励各国交流打击野生动植物非法贩运的经验。", ["ENV"]),
    ("鼓励各国防止恐怖分子从有组织犯罪中获益。", ["TER"]),
    # several crimes, in codebook order whatever the order in the text
    ("各国应打击与毒品有关的腐败和贩运人口行为。", ["TIP", "COR", "DRG"]),
    # a crime inside a cited title (quoted, or a 《》 title that is not a treaty) does not count
    ("各国应按照题为“打击偷运移民的国际合作”的决议提交资料。", []),
    ("各国不妨参照《网络犯罪问题综合研究报告》开展培训。", []),
    ("鼓励各国执行《打击贩运人口全球行动计划》。", []),
    # a treaty named as the object of the action counts, in 《》 or not
    ("各国应考虑批准《枪支议定书》。", ["FIR"]),
    ("鼓励会员国加入《关于打击陆、海、空偷运移民的补充议定书》。", ["SOM"]),
    ("各国应全面实施《联合国反腐败公约》。", ["COR"]),
    ("各国应实施移民议定书。", ["SOM"]),
    # the Convention's instruments in general
    ("各国应实施《公约》及其各项议定书。", []),
    ("敦促各国批准《公约》及其《贩运人口议定书》、《移民议定书》和《枪支议定书》。", []),
    ("敦促各国批准《公约》及其《贩运人口议定书》和《移民议定书》。", ["TIP", "SOM"]),
    # the Protocols named together do not hide a crime the sentence names in its own words
    ("各国应实施《贩运人口议定书》、《移民议定书》和《枪支议定书》，打击网络犯罪。", ["CYB"]),
    # nothing inside a condition
    ("毒品和犯罪问题办公室应在不影响其打击贩运人口工作的情况下提供立法援助。", []),
    ("如果涉及恐怖主义的国内法律允许，各国应开展合作。", []),
    # names of bodies and offices are not crimes
    ("请毒品和犯罪问题办公室提供技术援助。", []),
    ("请打击贩运人口问题工作组审议这一问题。", []),
    # information technology: the medium of a crime, or a tool
    ("各国应打击利用信息和通信技术实施的犯罪。", ["CYB"]),
    ("毒品和犯罪问题办公室应利用信息和通信技术开展培训。", []),
    ("各国应加强电子证据方面的合作。", []),
])
def test_principles(clf, text, expected):
    assert areas(clf, text) == expected


def test_evidence_points_at_the_words_and_a_treaty_title_is_its_own_evidence(clf):
    text = "各国应考虑批准《枪支议定书》，并打击贩运人口。"
    hits = clf.hits(text)
    assert [(h.code, h.words) for h in hits] == [("FIR", "《枪支议定书》"), ("TIP", "贩运人口")]
    for ev in clf.evidence(hits):
        code, words, s, e = EVIDENCE.fullmatch(ev).groups()
        assert text[int(s):int(e)] == words and code in CRIME_AREA_CODES


def test_conditions_found_by_the_grammar_are_used_when_given(clf):
    text = "在贩运人口案件中，各国应开展合作。"
    assert areas(clf, text) == ["TIP"]  # 在…中 is not a condition of the lexicon
    assert clf.hits(text, conditions=[[0, 8]]) == []  # a caller's condition span hides it


def test_same_interface_as_the_theme_classifiers(clf):
    texts = ["各国应打击贩运人口。", "各国应提供培训。"]
    assert clf.fit(texts, None) is clf
    p = clf.predict_proba(texts)
    assert p.shape == (2, len(CRIME_AREA_CODES)) and p[0, clf.classes_.index("TIP")] == 1 and p[1].sum() == 0
    assert clf.classes_ == list(CRIME_AREA_CODES)


# --- the seed and the probes -----------------------------------------------------------

def test_the_seed_names_no_crime_area():
    """Resolution 11/2 is about the Convention in general (each row read for the gold)."""
    from analysis.pipeline import read_corpus

    recs = read_corpus([ROOT / "data" / "raw"]).recommendations
    out, prov = classify_recommendations(recs, RULES_ONLY)
    assert out["crime_areas"].map(len).sum() == 0 and out["crime_area_evidence"].map(len).sum() == 0
    assert prov["crime_areas"].map(len).sum() == 0
    assert GOLD["crime_areas"].map(len).sum() == 0 and len(GOLD) == len(out)


def test_probes_cover_every_area_and_the_negative_cases():
    assert set(CRIME_AREA_CODES) <= {a for v in PROBES["crime_areas"] for a in v}
    assert (PROBES["crime_areas"].map(len) > 1).sum() >= 4  # several areas in one recommendation
    notes = " ".join(PROBES["note"])
    for case in ("quoted title", "《》 title", "all three Protocols", "inside a condition", "in general",
                 "neutral", "training tool"):
        assert case in notes, case


@pytest.fixture(scope="module")
def probe_out():
    recs = PROBES.rename(columns={"probe_id": "rec_id"})[["rec_id", "text", "chapeau", "part", "acting_body"]]
    return classify_recommendations(recs, RULES_ONLY)


@pytest.mark.parametrize("probe_id", PROBES["probe_id"].tolist())
def test_probe_crime_areas(probe_out, probe_id):
    out, _ = probe_out
    got = out.set_index("rec_id").loc[probe_id]
    gold = PROBES.set_index("probe_id").loc[probe_id]
    assert list(got["crime_areas"]) == list(gold["crime_areas"]), gold["text"]
    # every area has its evidence, and the evidence says the area
    assert sorted({EVIDENCE.fullmatch(e).group(1) for e in got["crime_area_evidence"]}) == sorted(got["crime_areas"])
    for e in got["crime_area_evidence"]:
        _, words, s, end = EVIDENCE.fullmatch(e).groups()
        assert gold["text"][int(s):int(end)] == words


def test_each_provision_carries_the_areas_of_its_clause(probe_out):
    _, prov = probe_out
    p = prov[prov["rec_id"] == "P78"].sort_values("provision")
    assert p["crime_areas"].tolist() == [["TIP", "COR"], []]
    assert [len(e) for e in p["crime_area_evidence"]] == [2, 0]


def test_annotation_with_an_unknown_crime_area_is_refused(tmp_path):
    path = tmp_path / "probes_bad.csv"
    pd.DataFrame({"probe_id": ["X1"], "text": ["各国应打击海盗行为。"], "crime_areas": ["PIR"]}).to_csv(
        path, index=False, encoding="utf-8-sig")
    with pytest.raises(ValueError, match=r"probes_bad\.csv: X1: unknown crime area code 'PIR'"):
        read_annotations(path)


# --- coverage tables -------------------------------------------------------------------

def _recs() -> pd.DataFrame:
    rows = [  # resolution, part, session, themes, crime_areas
        ("9/1", "body", "9", ["TA"], ["TIP"]),
        ("9/1", "I", "9", ["TA", "COOP"], ["TIP", "SOM"]),
        ("9/1", "I", "9", ["LEG"], []),
        ("11/2", "I", "11", ["TA"], []),
        ("11/2", "I", "11", [], ["FIR"]),
        ("10/4", "body", "10", ["TA"], ["TIP"]),
    ]
    return pd.DataFrame(rows, columns=["resolution", "part", "session", "themes", "crime_areas"])


def test_crime_area_coverage_is_a_complete_grid_with_the_general_row():
    from analysis.coverage import crime_area_coverage

    t = crime_area_coverage(_recs(), by="resolution")
    assert t.drop_duplicates("unit").unit.tolist() == ["9/1", "10/4", "11/2"]
    assert t.drop_duplicates("crime_area").crime_area.tolist() == [*CRIME_AREA_CODES, "未分类"]
    cell = t.set_index(["unit", "crime_area"])
    assert cell.loc[("9/1", "TIP"), "count"] == 2 and cell.loc[("9/1", "TIP"), "share"] == pytest.approx(2 / 3)
    assert cell.loc[("11/2", "未分类"), "count"] == 1 and cell.loc[("10/4", "CYB"), "count"] == 0
    assert t["count"].sum() == sum(max(1, len(v)) for v in _recs()["crime_areas"])  # nobody dropped


def test_crime_area_coverage_by_any_grouping_column():
    from analysis.coverage import crime_area_coverage

    t = crime_area_coverage(_recs(), by="session", lang="en")
    assert t.drop_duplicates("unit").unit.tolist() == ["9", "10", "11"]  # numeric order, not text
    assert t.set_index(["unit", "crime_area"]).loc[("10", "TIP"), "share"] == 1.0
    assert "(none)" in set(t.crime_area)
    with pytest.raises(ValueError, match="by must be"):
        crime_area_coverage(_recs(), by="year")


def test_crime_area_by_theme_shares_are_of_the_themes_recommendations():
    from analysis.coverage import crime_area_by_theme

    t = crime_area_by_theme(_recs()).set_index(["theme", "crime_area"])
    # three of the four TA recommendations name trafficking in persons
    assert t.loc[("TA", "TIP"), "count"] == 3 and t.loc[("TA", "TIP"), "share"] == pytest.approx(3 / 4)
    assert t.loc[("TA", "未分类"), "count"] == 1 and t.loc[("未分类", "FIR"), "count"] == 1
    assert t.loc[("LEG", "TIP"), "n_theme"] == 1
    assert len(t) == (12 + 1) * (len(CRIME_AREA_CODES) + 1)


# --- charts ---------------------------------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture()
def _no_missing_glyphs():
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing from font")
        yield


def _texts(fig):
    from matplotlib.text import Text

    fig.canvas.draw()  # lays out the text: a missing glyph warns (an error here)
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.usefixtures("_no_missing_glyphs")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_crime_area_charts_draw_names_not_codes(lang, probe_out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis import charts, coverage

    out, _ = probe_out
    recs = out.assign(resolution=[f"99/{1 + i % 3}" for i in range(len(out))], section=None)
    names = charts.crime_area_names()
    i = 0 if lang == "zh" else 1
    for ax in (charts.plot_crime_area_coverage(coverage.crime_area_coverage(recs, lang=lang), lang=lang),
               charts.plot_crime_area_theme(coverage.crime_area_by_theme(recs, lang=lang), lang=lang)):
        shown = _texts(ax.figure)
        unwrapped = {t.replace("\n", " " if lang == "en" else "") for t in shown}
        assert {n[i] for n in names.values()} <= unwrapped
        assert charts.CRIME_GENERAL[i] in unwrapped
        assert not set(CRIME_AREA_CODES) & set(shown)  # no code in a label a person reads
        title = ax.get_title(loc="left")
        assert bool(CJK.search(title)) == (lang == "zh")
        if lang == "en":
            assert not any(CJK.search(t) for t in shown if t not in {"99/1", "99/2", "99/3"})
        plt.close(ax.figure)


@pytest.mark.usefixtures("_no_missing_glyphs")
def test_crime_area_theme_cells_are_the_counts(probe_out):
    from analysis import charts, coverage

    out, _ = probe_out
    table = coverage.crime_area_by_theme(out)
    ax = charts.plot_crime_area_theme(table, lang="zh", value="count")
    cells = [int(t.get_text()) for t in ax.texts if t.get_text().isdigit()]
    assert sum(cells) == table["count"].sum()
    # shaded by share (the default), the cells print the share: colour and number agree
    shares = charts.plot_crime_area_theme(table, lang="zh")
    shown = sorted(t.get_text() for t in shares.texts if t.get_text().endswith("%"))
    assert shown == sorted(f"{v:.0%}" for v in table.loc[table["count"] > 0, "share"])
    empty = charts.plot_crime_area_theme(table.iloc[:0], lang="en")
    assert "No data" in _texts(empty.figure)


# --- the run's tables and exports -----------------------------------------------------

@pytest.fixture(scope="module")
def two_run(tmp_path_factory):
    """The seed and a resolution written for testing (99/1, about trafficking in persons)."""
    from analysis.pipeline import RunSettings, run

    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt", raw)
    shutil.copy(WRITTEN, raw / WRITTEN.name)
    out = tmp_path_factory.mktemp("processed")
    run([raw], out, RunSettings(overrides=None, progress=False))
    return out


def test_parquet_and_csv_carry_the_crime_areas(two_run):
    recs = pd.read_parquet(two_run / "recommendations.parquet").set_index("rec_id")
    assert list(recs.loc["99/1:I:a", "crime_areas"]) == ["TIP"]
    assert list(recs.loc["99/1:I:c", "crime_areas"]) == []
    csv = pd.read_csv(two_run / "recommendations.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False).set_index("rec_id")
    assert csv.loc["99/1:I:a", "crime_areas"] == "TIP"
    assert csv.loc["99/1:I:a", "crime_area_evidence"] == "|".join(recs.loc["99/1:I:a", "crime_area_evidence"])
    assert re.fullmatch(r"TIP:贩运人口@\d+-\d+", csv.loc["99/1:I:a", "crime_area_evidence"])
    assert csv.loc["11/2:I:a", "crime_areas"] == ""
    prov = pd.read_csv(two_run / "provisions.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "TIP" in set(prov["crime_areas"]) and {"crime_areas", "crime_area_evidence"} <= set(prov.columns)


def test_figures_and_xlsx_hold_the_crime_areas(two_run):
    import openpyxl

    from analysis.explore import load
    from analysis.report import make_figures

    written = make_figures(load(two_run), langs=("zh",))
    assert {"crime_areas_zh", "crime_area_theme_zh"} <= set(written)
    assert all(Path(p).stat().st_size > 1000 for p in written["crime_areas_zh"].values())
    book = openpyxl.load_workbook(two_run / "figures" / "chart_tables.xlsx", read_only=True)
    # for reading: a sheet per chart and language, names not codes (codes in "代码：" columns)
    assert {"crime_areas (zh)", "crime_area_theme (zh)", "建议 (zh)"} <= set(book.sheetnames)
    rows = list(book["建议 (zh)"].iter_rows(values_only=True))
    header = list(rows[0])
    by_id = {r[header.index("编号")]: r for r in rows[1:]}
    assert by_id["99/1:I:a"][header.index("犯罪领域")] == "贩运人口"
    assert "贩运人口" in by_id["99/1:I:a"][header.index("犯罪领域依据（原文词语）")]
    sheet = list(book["crime_areas (zh)"].iter_rows(values_only=True))
    cols = list(sheet[0])
    tip = [r for r in sheet[1:] if r[cols.index("代码：单元")] == "99/1" and r[cols.index("代码：犯罪领域")] == "TIP"]
    assert tip and tip[0][cols.index("建议条数")] == 2  # annex items (a) and (b) of 99/1
    assert tip[0][cols.index("犯罪领域")] == "贩运人口"


def test_the_brief_names_the_crime_areas(two_run):
    from analysis.explore import brief_markdown, load

    run = load(two_run)
    assert "犯罪领域：贩运人口 " in brief_markdown(run, "99/1")
    assert "no recommendation names a crime" in brief_markdown(run, "11/2", lang="en")
