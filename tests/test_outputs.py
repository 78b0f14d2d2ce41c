"""Outputs through the CLI: cells that a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import zipfile

import pandas as pd

from analysis.cli import main


def _run(*args) -> int:
    return main(["run", *map(str, args)])


# --------------------------------------------------------------------------
# cells a spreadsheet would run
# --------------------------------------------------------------------------

HOSTILE = """第 99/5 号决议

=HYPERLINK("http://example.com","标题")

缔约方会议，

=SUM(1+1)回顾其第 11/2 号决议，

1. -请各国加强合作；

2. +决定各国应 =1+1 继续开展工作。

3. @请各国加强合作。
"""
RISKY = ("=", "+", "-", "@", "\t", "\r")


def test_cells_that_would_be_formulas_are_neutralised_in_csv_and_are_strings_in_xlsx(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "r.txt").write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out"
    assert _run(raw, "--out", out, "--overrides", "") == 0
    neutralised = []
    for path in sorted(out.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        cells = [c for row in rows for c in row]
        assert not [c for c in cells if c.startswith(RISKY)], path.name
        neutralised += [c for c in cells if c.startswith("'")]
    assert {"'=HYPERLINK(\"http://example.com\",\"标题\")", "'-请各国加强合作；", "'@请各国加强合作。"} <= set(neutralised)
    # the raw text stays in Parquet; numbers stay numbers
    recs = pd.read_parquet(out / "recommendations.parquet")
    assert "+决定各国应=1+1继续开展工作。" in set(recs["text"])
    csv_recs = pd.read_csv(out / "recommendations.csv", encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(csv_recs["char_start"])
    # The chart tables (XLSX) hold the text as strings: no formula in any sheet.
    assert main(["report", "--out", str(out), "--no-notebooks"]) == 0
    with zipfile.ZipFile(out / "figures" / "chart_tables.xlsx") as zf:
        sheets = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/")}
    assert sheets and not [n for n, xml in sheets.items() if "<f>" in xml or "<f " in xml]
    assert any('t="inlineStr"><is><t>=SUM(1+1)' in xml for xml in sheets.values())  # the hostile cell is there
    for path in (out / "figures").glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            assert not [c for row in csv.reader(fh) for c in row if c.startswith(RISKY)], path.name


def test_write_xlsx_keeps_numbers_and_writes_text_as_strings(tmp_path):
    from analysis.outputs import write_xlsx

    df = pd.DataFrame({"text": ["=1+1", "-各国", "+x", "@A1"], "n": [-1, 2, -3.5, 0]})
    path = write_xlsx({"s": df}, tmp_path / "t.xlsx")
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and '<c r="A2" t="inlineStr"><is><t>=1+1</t>' in xml
    assert '<c r="B2" t="n"><v>-1</v>' in xml and '<c r="B4" t="n"><v>-3.5</v>' in xml
    back = pd.read_excel(path)
    assert back["text"].tolist() == df["text"].tolist() and back["n"].tolist() == df["n"].tolist()
