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



def _run_written(tmp_path: Path) -> Path:
    """``cop-analysis run`` over the resolution written for testing alone; its output folder."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(WRITTEN, raw / WRITTEN.name)
    out = tmp_path / "out"
    assert main(["run", str(raw), "--out", str(out), "--overrides", ""]) == 0
    return out


def test_the_report_of_a_corpus_without_resolution_11_2_is_written_whatever_its_notebooks_do(
        tmp_path, capsys, monkeypatch):
    out = _run_written(tmp_path)
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
    # the notebook's HTML opens offline (test_notebook_html: what it loads)
    assert not re.search(r"<script[^>]*src=\"(?:https?:)?//", brief) and "cdnjs" not in brief and "unpkg" not in brief
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
    out = _run_written(tmp_path)
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


def _timed_notebook(path: Path, log: Path, seconds: float) -> None:
    """A notebook that records when it starts and ends, waiting ``seconds`` between."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("PROCESSED = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(
                    f"import time\nwith open({str(log)!r}, 'a') as f: f.write(f'start {{time.time()}}\\n')\n"
                    f"time.sleep({seconds})\nwith open({str(log)!r}, 'a') as f: f.write(f'end {{time.time()}}\\n')\n"
                    "print('slept')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_notebooks_run_two_at_a_time_and_unchanged_ones_are_not_executed_again(tmp_path, capsys, monkeypatch):
    out = _run_written(tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    log = tmp_path / "times.log"
    _timed_notebook(notebooks / "01_first.ipynb", log, 4)
    _timed_notebook(notebooks / "02_second.ipynb", log, 4)
    broken = nbformat.v4.new_notebook()
    broken.cells = [nbformat.v4.new_code_cell("PROCESSED = None", metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell("raise RuntimeError('this notebook is broken')")]
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, notebooks / "03_broken.ipynb")
    monkeypatch.setattr(analysis.report, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(analysis.report, "NOTEBOOK_JOBS", 2)
    monkeypatch.setattr(analysis.report, "workers", lambda jobs: 2)  # two at a time, however many cores here
    monkeypatch.setattr(analysis.report, "make_figures", lambda run: {})  # the figures are not the point here
    capsys.readouterr()
    assert main(["report", "--out", str(out)]) == 1
    first = capsys.readouterr()
    assert "warning: notebook 03_broken.ipynb could not be executed" in first.err and "not executed again" \
        not in first.out
    times = [line.split() for line in log.read_text().splitlines()]
    starts = [float(t) for kind, t in times if kind == "start"]
    ends = [float(t) for kind, t in times if kind == "end"]
    assert len(starts) == len(ends) == 2 and max(starts) < min(ends)  # the two ran at the same time
    executed = {p.name: p.stat().st_mtime_ns for p in (out / "report").glob("0*")}
    assert set(executed) == {"01_first.html", "01_first.ipynb", "02_second.html", "02_second.ipynb"}

    # again, nothing changed: the executed copies are kept, the broken notebook is tried again
    assert main(["report", "--out", str(out)]) == 1
    second = capsys.readouterr()
    assert "notebooks: 2 not executed again (same run, notebook and code): 01_first, 02_second" in second.out
    assert "warning: notebook 03_broken.ipynb could not be executed" in second.err
    assert {p.name: p.stat().st_mtime_ns for p in (out / "report").glob("0*")} == executed
    assert len(log.read_text().splitlines()) == 4
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "report/01_first.html" in page and "report/02_second.html" in page and "03_broken.ipynb" in page

    # a notebook edited is executed again; a copy altered by hand is too
    _timed_notebook(notebooks / "02_second.ipynb", log, 0.5)
    (out / "report" / "01_first.html").write_text("altered", encoding="utf-8")
    built = analysis.report.build_report(out)
    assert built.reused == [] and len(log.read_text().splitlines()) == 8
    assert "slept" in (out / "report" / "01_first.html").read_text(encoding="utf-8")
    assert analysis.report.build_report(out).reused == ["01_first", "02_second"]


def test_figures_drawn_again_the_same_are_not_saved_again(tmp_path):
    """When the code or a rule file changed (here: the keys recorded say so),
    every figure is drawn again, and saved only if its drawing differs."""
    import json

    out = _run_written(tmp_path)
    run = analysis.report.load(out)
    figures = analysis.report.make_figures(run, jobs=1)
    assert figures.drawn == len(figures) > 4 and figures.redrawn == 0
    folder = out / "figures"
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    index_path = folder / analysis.report.FIGURE_INDEX
    index = json.loads(index_path.read_text(encoding="utf-8"))
    changed = "actor_strength_en"
    for stem, entry in index.items():
        if stem != analysis.report.TABLES_ENTRY:
            entry["key"] = "made by other code or rules"
    index[changed]["look"] = "a different drawing"
    index_path.write_text(json.dumps(index), encoding="utf-8")
    again = analysis.report.make_figures(run, jobs=1)
    assert again.drawn == 1 and again.redrawn == len(figures) - 1
    now = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    saved = {name for name in stamps if now[name] != stamps[name]}
    assert {n for n in saved if not n.startswith(".")} == {f"{changed}.{fmt}" for fmt in ("png", "svg", "pdf")}
    assert analysis.report.make_figures(run, jobs=1).drawn == 0  # and the index says so now


def test_a_reply_whose_wake_up_was_missed_is_read_at_the_next_look():
    """``poll_in_slices``: a channel whose first wait misses a message already
    there (as zmq under asyncio sometimes does) is looked at again every
    step, so the reply is read at once instead of after the cell timeout;
    a channel with nothing to read still times out when the timeout says."""
    import asyncio
    import time
    from queue import Empty

    import pytest

    class Missing:  # the message is there, but the first wait does not see it
        def __init__(self):
            self.calls = 0

        async def get_msg(self, timeout=None):
            self.calls += 1
            if self.calls == 1:
                await asyncio.sleep(timeout)
                raise Empty
            return {"msg": "reply"}

    class Silent:
        async def get_msg(self, timeout=None):
            await asyncio.sleep(timeout)
            raise Empty

    channel = Missing()
    analysis.report.poll_in_slices(channel, step=0.05)
    started = time.monotonic()
    assert asyncio.run(channel.get_msg(timeout=30)) == {"msg": "reply"}
    assert time.monotonic() - started < 5
    silent = Silent()
    analysis.report.poll_in_slices(silent, step=0.05)
    started = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(silent.get_msg(timeout=0.3))
    assert 0.25 <= time.monotonic() - started < 5
