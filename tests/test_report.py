"""``cop-analysis report`` end to end: ``report.html`` is always written.

The brief notebook (06) briefs the run's latest resolution unless told
otherwise, so the report runs on any corpus; a notebook that fails is named
on the page and in a warning (exit status 1) instead of costing the report.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd

import analysis.report
from analysis.cli import main

WRITTEN = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"  # a made-up resolution, for tests only


def test_the_report_of_a_corpus_without_resolution_11_2_is_written_whatever_its_notebooks_do(
        tmp_path, capsys, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(WRITTEN, raw / WRITTEN.name)
    out = tmp_path / "out"
    assert main(["run", str(raw), "--out", str(out), "--overrides", ""]) == 0
    # Notebook 06 is the one that named a resolution (the others are executed
    # on several corpora by test_notebooks; each costs a kernel), and one
    # that fails.
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(analysis.report.NOTEBOOKS / "06_resolution_brief.ipynb", notebooks)
    broken = nbformat.v4.new_notebook()
    broken.cells = [nbformat.v4.new_code_cell("PROCESSED = None", metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell("raise RuntimeError('this notebook is broken')")]
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, notebooks / "07_broken.ipynb")
    monkeypatch.setattr(analysis.report, "NOTEBOOKS", notebooks)
    capsys.readouterr()
    assert main(["report", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert f"report: {(out / 'report.html').resolve()}" in captured.out
    assert "warning: notebook 07_broken.ipynb could not be executed" in captured.err
    assert "this notebook is broken" in captured.err and "Traceback" not in captured.err
    assert "06_resolution_brief" not in captured.err
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "99/1" in page and "report/06_resolution_brief.html" in page
    assert re.search(r"07_broken.ipynb: <b>.*could not be executed.*</b>", page) and "this notebook is broken" in page
    brief = (out / "report" / "06_resolution_brief.html").read_text(encoding="utf-8")
    assert "第 99/1 号决议" in brief  # the latest (here the only) resolution of the run
    assert (out / "figures" / "chart_tables.xlsx").is_file()
    # plotly.js beside the page, which loads it from there (no CDN)
    assert (out / "report_assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert '<script src="report_assets/plotly.min.js">' in page and "https://" not in page
    # a second report on the same run keeps the figures it drew (same run, code and source line)
    drawn = {p.name: p.stat().st_mtime_ns for p in (out / "figures").glob("*.png")}
    assert drawn
    analysis.report.make_figures(analysis.report.load(out))
    assert {p.name: p.stat().st_mtime_ns for p in (out / "figures").glob("*.png")} == drawn


def test_report_without_a_run_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nothing'}: holds no run: run `cop-analysis run` first\n"


def test_the_brief_notebook_picks_the_latest_resolution_unless_told():
    from analysis.explore import Run, pick_resolution

    run = Run(Path("."), {"documents": pd.DataFrame({"units": [["9/1"], ["11/2", "dec.11/101"], ["10/4"],
                                                               ["GA.52/85"]]})})
    assert pick_resolution(run) == "dec.11/101"  # in time: 2022's session, its decisions after its resolutions
    assert pick_resolution(run, "10/4") == "10/4"


def test_a_notebook_that_stalls_once_is_executed_again_and_the_report_says_so(tmp_path, capsys, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(WRITTEN, raw / WRITTEN.name)
    out = tmp_path / "out"
    assert main(["run", str(raw), "--out", str(out), "--overrides", ""]) == 0
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    marker = tmp_path / "stalled_once"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("PROCESSED = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(  # waits on an event nobody sets, the first time only
                    f"import os, threading\nif not os.path.exists({str(marker)!r}):\n"
                    f"    open({str(marker)!r}, 'w').close()\n    threading.Event().wait()\nprint('done')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "01_stalls_once.ipynb")
    monkeypatch.setattr(analysis.report, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(analysis.report, "CELL_TIMEOUT", 3)
    monkeypatch.setattr(analysis.report, "make_figures", lambda run: {})  # the figures are not the point here
    capsys.readouterr()
    assert main(["report", "--out", str(out)]) == 0
    assert "note: notebook 01_stalls_once stalled and was executed again in a new kernel" in capsys.readouterr().out
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "report/01_stalls_once.html" in page and "executed again in a new kernel" in page
    assert "done" in (out / "report" / "01_stalls_once.html").read_text(encoding="utf-8")
