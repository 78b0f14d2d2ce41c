"""What a person reads shows names, not codes, and English outputs are in
English: every chart's English PDF on the seed and on a small corpus of
several bodies (written for testing), the spreadsheets, the tables for reading.
"""

from __future__ import annotations

import re
import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.coverage import chart_words
from analysis import charts, explore, glossary, report  # noqa: E402
from analysis.pipeline import RunSettings, run  # noqa: E402
from fixtures_reports import CCPCJ_RES, COSP_RES, ECOSOC_RES, GA_RES, RES_A, later_seed  # noqa: E402

pymupdf = pytest.importorskip("pymupdf")

CJK_RUN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef《》]+\*?")
#: Codes of the machine tables that must never be what a person reads.
CODES = {"LEG", "TA", "COOP", "ML", "EVID", "PROS", "VICT", "GHR", "PREV", "DATA", "REV", "RES",
         "TIP", "SOM", "FIR", "COR", "CYB", "ENV", "CUL", "DRG", "TER", "MED", "OTH",
         "Body", "Other", "COP", "GA", "ECOSOC", "CCPCJ", "COSP", "(none)"}


def _corpus(tmp_path_factory, name, files):
    raw = tmp_path_factory.mktemp(f"raw_{name}")
    for file, text in files.items():
        (raw / file).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp(f"out_{name}")
    run(raw, out, RunSettings(progress=False))
    return explore.load(out)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory, seed_path):
    return _corpus(tmp_path_factory, "seed", {seed_path.name: seed_path.read_text(encoding="utf-8")})


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory, seed_path):
    seed = seed_path.read_text(encoding="utf-8")
    return _corpus(tmp_path_factory, "multi", {
        seed_path.name: seed, "res_12-2.txt": later_seed(seed), "res_11-1.txt": RES_A,
        "ga_52-85.txt": GA_RES, "ecosoc_2002-13.txt": ECOSOC_RES, "ccpcj_26-3.txt": CCPCJ_RES,
        "cosp_9-1.txt": COSP_RES})


def _english_pdfs(run_, out):
    """Every chart of the run in English, as PDF; ``{name: (text, width in inches)}``."""
    glossary.reset_unglossed()
    shown = {}
    for name, _data, draw in report.chart_specs(run_):
        fig = draw("en")
        fig = getattr(fig, "figure", fig)
        paths = charts.save_figure(fig, name, out_dir=out, source=charts.source_text(run_.resolutions, lang="en"),
                                   formats=("pdf",))
        plt.close(fig)
        with pymupdf.open(paths["pdf"]) as doc:
            page = doc[0]
            shown[name] = (page.get_text(), page.rect.width / 72)
    return shown


@pytest.mark.parametrize("corpus", ["seed_run", "multi_run"])
def test_english_charts_hold_no_chinese_but_marked_unglossed_words(corpus, request, tmp_path):
    run_ = request.getfixturevalue(corpus)
    shown = _english_pdfs(run_, tmp_path)
    assert {"theme_coverage", "actor_strength", "top_terms"} <= set(shown)
    if corpus == "multi_run":
        assert "citation_graph" in shown and "language_drift" in shown
    marked = set(glossary.unglossed())
    for name, (text, _w) in shown.items():
        flat = text.replace("\n", "")
        chinese = CJK_RUN.findall(flat)
        unmarked = [w for w in chinese if not w.endswith(glossary.UNGLOSSED_MARK)]
        assert not unmarked, (name, unmarked)
        if chinese:  # a marked word is explained on the chart and counted
            assert glossary.UNGLOSSED_NOTE in text.replace("\n", " "), name
            assert {w.rstrip("*") for w in chinese} <= marked, name
    assert glossary.unglossed_summary().startswith(f"{len(marked)} unglossed term")


@pytest.mark.parametrize("corpus", ["seed_run", "multi_run"])
def test_column_charts_fit_an_a4_column(corpus, request, tmp_path):
    run_ = request.getfixturevalue(corpus)
    for name, (_text, width) in _english_pdfs(run_, tmp_path).items():
        assert width <= charts.PRINT_COLUMN_WIDTH + 1e-6, (name, round(width, 2))


def test_english_charts_show_treaties_by_name_and_units_by_name(multi_run, tmp_path):
    shown = _english_pdfs(multi_run, tmp_path)
    citations = shown["citation_graph"][0]
    assert "UNTS vol. 2225" in citations and "(UNTOC)" in citations and "条约汇编" not in citations
    source = shown["theme_coverage"][0].replace("\n", " ")
    assert "GA resolution 52/85 (A/RES/52/85)" in source and "+" not in source.split("lexicon", 1)[1][:20]


def test_glossary_covers_what_the_seed_charts_show(seed_run):
    glossed, total, missing = glossary.coverage(chart_words(seed_run.recommendations, seed_run.citations))
    assert total > 20 and not missing


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tables_for_reading_hold_names_not_codes(multi_run, lang):
    recs = multi_run.recommendations
    table = explore.readable_recommendations(recs, lang)
    assert len(table) == len(recs)
    cells = {str(v) for col in table.columns if col != explore.heading("rec_id", lang)
             for cell in table[col] for v in (cell if isinstance(cell, list) else [cell])}
    assert not cells & CODES
    if lang == "zh":  # no English category next to a Chinese one
        assert not cells & {"States", "UNODC", "should", "encourages"}
        assert "各国" in cells and "应" in cells
    else:
        assert "General Assembly" in cells and "Technical assistance and capacity-building" in cells
    for name, data, _draw in report.chart_specs(multi_run):
        shown = explore.readable_table(data, lang)
        values = {str(v) for col in shown.columns for v in shown[col] if isinstance(v, str)}
        assert not values & CODES, (name, values & CODES)


#: English words of the codebook that a Chinese sheet must not show (category names, parts, kinds).
ENGLISH_IN_ZH = {"States", "should", "encourages", "may wish to", "other", "body", "footnote", "date", "treaty",
                 "resolution", "yes", "no", "Unclassified", "No theme"}


@pytest.mark.parametrize("corpus", ["seed_run", "multi_run"])
def test_chart_tables_hold_names_not_codes(corpus, request, tmp_path):
    """chart_tables.xlsx (and the CSV beside each figure) is for reading: every
    chart in each language, cells and headings by name; codes only in the
    columns headed as codes, the key back to the run's tables."""
    run_ = request.getfixturevalue(corpus)
    specs = report.chart_specs(run_)
    path = report.write_chart_tables(run_, specs, tmp_path)
    wb = openpyxl.load_workbook(path)
    names = [spec[0] for spec in specs]
    assert wb.sheetnames == (["目录 contents"] + [f"{n} ({lg})" for n in names for lg in ("zh", "en")]
                             + list(report.RECOMMENDATION_SHEETS.values()))
    seen_codes = set()
    for ws in wb.worksheets[1:]:
        lang = "zh" if ws.title.endswith("(zh)") else "en"
        rows = list(ws.values)
        header, body = rows[0], rows[1:]
        code_cols = [i for i, h in enumerate(header) if h.startswith(explore.CODE_HEADING[0 if lang == "zh" else 1])]
        for i, h in enumerate(header):
            assert h not in CODES and not re.fullmatch(r"[a-z]+(_[a-z]+)+", h), (ws.title, h)  # no column names
            if lang == "en":
                assert not CJK_RUN.search(h), (ws.title, h)
            cells = {str(r[i]) for r in body if r[i] is not None}
            if i in code_cols:
                seen_codes |= cells
                continue
            assert not cells & CODES, (ws.title, h, cells & CODES)
            if lang == "zh":
                assert not cells & ENGLISH_IN_ZH, (ws.title, h, cells & ENGLISH_IN_ZH)
        if ws.title.split(" (")[0] in names:  # the CSV beside the figure holds the same table
            csv = pd.read_csv(tmp_path / f"{ws.title.split(' (')[0]}_{lang}.csv", encoding="utf-8-sig", dtype=str)
            assert tuple(csv.columns) == header and len(csv) == len(body)
    assert {"TA", "States"} <= seen_codes  # the codes are kept, in their own columns
    zh = {str(c) for row in wb["top_terms (zh)"].values for c in row}
    assert "立法、判例与知识管理" in zh and "建议条数" in zh
    en = {str(c) for row in wb["recommendations (en)"].values for c in row}
    assert "Technical assistance and capacity-building" in en and "Theme evidence (words as written)" in en
    assert any("（技术援助与能力建设）" in str(c) for row in wb["建议 (zh)"].values for c in row)  # evidence named


def test_recommendations_xlsx_is_styled_with_codebook_and_sources(seed_run):
    path = seed_run.processed / "recommendations.xlsx"
    assert path.is_symlink() and (seed_run.folder / "recommendations.xlsx").exists()  # one of the run's outputs
    assert "recommendations.xlsx" in seed_run.manifest["files"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["recommendations (en)", "建议 (zh)"]
    assert {"codebook", "sources"} <= set(wb.sheetnames)
    ws = wb["recommendations (en)"]
    assert ws.freeze_panes == "B2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["ID", "Unit", "Part"] and "Action themes" in header
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("1F4E79") for c in ws[1])
    text_col = openpyxl.utils.get_column_letter(header.index("Text (as written)") + 1)
    assert int(ws.column_dimensions[text_col].width) == 60  # stored as 60.71, which Excel shows as 60 characters
    assert ws[f"{text_col}2"].alignment.wrap_text
    themes = [c.value for c in ws[openpyxl.utils.get_column_letter(header.index("Action themes") + 1)][1:]]
    assert any(" | " in v for v in themes if v)
    # the unit numbers stay text: 11/2 is never a date
    units = wb["sources"]
    assert [c.value for c in units[1]] == ["file", "sha256", "format", "encoding", "units"]
    assert units["E2"].value == "COP resolution 11/2 (11/2)" and units["E2"].data_type == "s"
    assert len(units["B2"].value) == 64
    codebook = pd.DataFrame(wb["codebook"].values)
    assert ["themes / primary_theme", "TA", "技术援助与能力建设", "Technical assistance and capacity-building"] in \
        codebook.values.tolist()
    assert wb["codebook"].freeze_panes == "A2"


def test_every_chart_has_a_table_of_its_own(seed_run):
    """chart_tables.xlsx has a sheet per chart: no two hold the same table."""
    specs = report.chart_specs(seed_run)
    frames = {name: data.to_csv(index=False) for name, data, _ in specs}
    assert len(set(frames.values())) == len(frames), [n for n in frames if list(frames.values()).count(frames[n]) > 1]
    data = {name: d for name, d, _ in specs}
    network = data["overlap_network"]
    assert len(network) == 30 and network["similarity"].is_monotonic_decreasing
    dict((n, draw) for n, _d, draw in specs)["overlap_network"]("en")  # draws from the same pairs
    plt.close("all")
    shown = {frozenset(p) for p in zip(network["rec_id_a"], network["rec_id_b"])}
    assert len(shown) == len(network)  # each pair once
    heat = data["overlap_heatmap"]
    members = set(heat["rec_id_a"]) | set(heat["rec_id_b"])
    assert len(members) <= 40 and len(heat) <= len(seed_run.overlap)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explorer_offers_names_and_filters_on_codes(seed_run, lang):
    pytest.importorskip("ipywidgets")
    recs = seed_run.recommendations
    box = explore.explorer(recs, lang=lang)
    dropdowns = [w for row in box.children[:2] for w in row.children if hasattr(w, "options")]
    labels = {str(label) for d in dropdowns for label, _value in
              (o if isinstance(o, tuple) else (o, o) for o in d.options)}
    assert not labels & CODES and "(all)" in labels
    theme = next(d for d in dropdowns if d.description in ("主题", "Theme"))
    names = charts.theme_names()
    assert ("技术援助与能力建设" if lang == "zh" else "Technical assistance and capacity-building", "TA") in theme.options
    assert {v for _l, v in theme.options[1:]} <= set(names)


def test_pivots_for_reading_drop_empty_rows_and_name_both_axes(multi_run):
    from analysis import coverage

    recs = multi_run.recommendations
    wide = explore.actor_strength_wide(coverage.actor_strength(recs), "zh", coverage.adopting_body(recs))
    assert (wide.sum(axis=1) > 0).all() and (wide.sum(axis=0) > 0).all()
    assert not (set(wide.index) | set(wide.columns)) & (CODES | {"States", "UNODC"})
    assert int(wide.to_numpy().sum()) == len(recs)
    per_unit = explore.actor_strength_by_resolution(recs, "en")
    assert "GA resolution 52/85" in per_unit.columns and not {v for t in per_unit.index for v in t} & CODES
    crime = explore.crime_theme_wide(coverage.crime_area_by_theme(recs), "en")
    assert not (set(crime.index) | set(crime.columns)) & CODES and (crime.sum(axis=1) > 0).all()
