"""The notebooks (``notebooks/0*.ipynb``): committed clean, executed top to bottom.

A run of the pipeline on the seed is made once into a temporary folder; every
notebook is executed on it once (``analysis.report.execute_notebook``, the
parameters injected papermill-style, as ``cop-analysis report`` does). The
multi-resolution case adds a resolution WRITTEN FOR TESTING
(``tests/fixtures/written_for_testing_99-1.txt``, resolution 99/1 does not
exist) and executes the coverage notebook and the brief (for 99/1) on it.

An executed notebook fails the test when a cell raises, when matplotlib
warns about a missing glyph (Chinese drawn as boxes) or cannot find a font.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import pipeline
from analysis.report import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SEED = ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"
WRITTEN_99_1 = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

# What matplotlib says when a font lacks a glyph or a family is not found.
FONT_TROUBLE = re.compile(r"^.*(?:Glyph \d+.*missing|missing from (?:current )?font|findfont: Font family).*$",
                          re.I | re.M)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def _make_run(tmp_path_factory, name: str, inputs: list[Path]):
    raw = tmp_path_factory.mktemp(f"{name}_raw")
    for f in inputs:
        shutil.copy(f, raw / f.name)
    out = tmp_path_factory.mktemp(f"{name}_processed")
    # no analyst overrides: the notebooks must not depend on the project's data/overrides.csv
    result = pipeline.run([raw], out, pipeline.RunSettings(overrides=None, progress=False))
    return out, result


class Executed:
    """Each notebook executed at most once per corpus (and parameters)."""

    def __init__(self, processed: Path, result):
        self.processed = processed
        self.result = result
        self.executed_dir = processed / "executed_notebooks"  # kept for a look when a test fails
        self.executed_dir.mkdir(exist_ok=True)
        self._done: dict[tuple, nbformat.NotebookNode] = {}

    @property
    def classified(self) -> bool:
        return "actor_group" in self.result.tables["recommendations"].columns

    def table_rows(self, name: str) -> int:
        df = self.result.tables.get(name)
        return 0 if df is None else len(df)

    def __call__(self, name: str, **params) -> nbformat.NotebookNode:
        key = (name, tuple(sorted(params.items())))
        if key not in self._done:
            suffix = "".join(f"_{v}" for _, v in key[1]).replace("/", "-")
            self._done[key] = execute_notebook(NOTEBOOKS / name, {"PROCESSED": str(self.processed), **params},
                                               out_path=self.executed_dir / f"{Path(name).stem}{suffix}.ipynb",
                                               cwd=NOTEBOOKS)
        return self._done[key]


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def text_of(nb) -> str:
    """Everything a reader sees in the executed notebook's outputs."""
    parts = []
    for o in outputs(nb):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for mime in ("text/plain", "text/html", "text/markdown"):
            v = o.get("data", {}).get(mime)
            if v:
                parts.append(v if isinstance(v, str) else "".join(v))
    return "\n".join(parts)


def images(nb) -> int:
    return sum(1 for o in outputs(nb) if "image/png" in o.get("data", {}))


def assert_clean_execution(nb, name: str) -> None:
    errors = [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    stderr = "".join(o.get("text", "") for o in outputs(nb) if o.get("name") == "stderr")
    trouble = FONT_TROUBLE.findall(stderr)
    assert not trouble, f"{name}: font problem while drawing: {trouble[:3]}"
    assert "Traceback" not in stderr, f"{name}: {stderr[-800:]}"


# --------------------------------------------------------------------------
# committed form
# --------------------------------------------------------------------------

def test_six_notebooks_in_reading_order():
    assert [n[:3] for n in NAMES] == ["01_", "02_", "03_", "04_", "05_", "06_"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs_with_a_parameters_cell(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"
    # opens with the question it answers and the data it reads
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "**Question.**" in first.source and "**Reads**" in first.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        assert c.outputs == [] and c.execution_count is None, f"{name}: cell with outputs: {c.source[:60]!r}"
        assert "execution" not in c.metadata
    # the first code cell, and only it, is the parameters cell: plain literals
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], f"{name}: parameters cell at code cells {tagged}"
    values = {}
    for stmt in ast.parse(code[0].source).body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.dump(stmt)
        values[stmt.targets[0].id] = ast.literal_eval(stmt.value)
    assert values["PROCESSED"] == "../data/processed"
    if name.startswith("06_"):
        assert values["RESOLUTION"] is None  # the run's latest (explore.pick_resolution)
    # thin: no functions or classes of their own, no files written by hand
    for c in code:
        tree = ast.parse(c.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defs, f"{name}: define {defs[0].name} in src/analysis, not in the notebook"
        assert "savefig" not in c.source and "to_csv" not in c.source


# --------------------------------------------------------------------------
# executed on the seed
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_run(tmp_path_factory) -> Executed:
    return Executed(*_make_run(tmp_path_factory, "seed", [SEED]))


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory) -> Executed:
    return Executed(*_make_run(tmp_path_factory, "multi", [SEED, WRITTEN_99_1]))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_on_the_seed(seed_run, name):
    nb = seed_run(name)
    assert_clean_execution(nb, name)
    text = text_of(nb)
    assert "11/2" in text
    if name.startswith("01_"):
        # the seed's parts, one of its sections, its footnotes
        assert "11/2 附件一" in text and "11/2 附件二" in text
        assert "在国内法理中的适用" in text
        assert "11/2:body:p1" in text  # footnote 1 is cited by the first preambular paragraph
    elif name.startswith("02_"):
        assert "毒品和犯罪问题办公室" in text  # a synonym folded to its canonical term
        assert "dictionary_tokens" in text
    elif name.startswith("03_") and seed_run.classified:
        assert 'class="ev ev-actor"' in text and 'class="ev ev-strength"' in text
        assert "accuracy" in text  # the evaluation against the gold annotation
    elif name.startswith("04_") and seed_run.classified:
        assert images(nb) >= 4  # themes across annexes, by section, actor x strength, strength scores
    elif name.startswith("05_"):
        if seed_run.table_rows("overlap"):
            assert "similarity / shared terms" in text and images(nb) >= 2
        if seed_run.table_rows("citations"):
            assert "10/4" in text  # the seed recalls resolution 10/4
    elif name.startswith("06_"):
        assert "第 11/2 号决议" in text
        assert "3 段序言、2 段执行部分；共 28 条建议：正文 2、附件一 15、附件二 11" in text
        assert "实施《联合国打击跨国组织犯罪公约》各项技术援助条款" in text


# --------------------------------------------------------------------------
# several resolutions (one written for testing)
# --------------------------------------------------------------------------

def test_the_written_fixture_stays_out_of_the_default_data():
    assert WRITTEN_99_1.exists()
    assert not any("written_for_testing" in p.name for p in (ROOT / "data" / "raw").iterdir())


def test_coverage_compares_resolutions(multi_run):
    name = next(n for n in NAMES if n.startswith("04_"))
    nb = multi_run(name)
    assert_clean_execution(nb, name)
    if multi_run.classified:
        html = text_of(nb)
        # the "across" table has a column per resolution, then one per annex of each
        assert re.search(r"<th>11/2</th>\s*<th>99/1</th>", html)
        assert "99/1 附件一" in html
        assert images(nb) >= 7  # … and the crime areas across resolutions, by theme
        # 99/1's annex is about trafficking in persons: its crime-area table names the area, not the code
        assert re.search(r"<th>贩运人口</th>\s*<td>0</td>\s*<td>2</td>", html)
        assert "公约总体（未指明犯罪）" in html
        assert 'class="ev ev-crime" title="crime:贩运人口 (TIP)"' in html  # the rows naming a crime, cues marked


def test_classification_shows_crime_area_evidence(multi_run):
    name = next(n for n in NAMES if n.startswith("03_"))
    nb = multi_run(name)
    assert_clean_execution(nb, name)
    if multi_run.classified:
        text = text_of(nb)
        assert 'class="ev ev-crime" title="crime:贩运人口 (TIP)"' in text
        assert "recommendations name a crime area" in text and "Crime areas, rules, written probes" in text


def test_brief_for_another_resolution(multi_run):
    name = next(n for n in NAMES if n.startswith("06_"))
    nb = multi_run(name, RESOLUTION="99/1")
    assert_clean_execution(nb, name)
    text = text_of(nb)
    assert "第 99/1 号决议" in text and "written_for_testing_99-1.txt" in text
    # the brief is about 99/1 only: none of 11/2's own recommendations is listed as its own
    brief = next(o["data"]["text/markdown"] for o in outputs(nb) if "text/markdown" in o.get("data", {})
                 and "## 第 99/1 号决议" in o["data"]["text/markdown"])
    # operative paragraphs 1-3 (2 has sub-items 2(a), 2(b)); recommendations 1, 2(a), 2(b), 3 and annex (a)-(d)
    assert "2 段序言、3 段执行部分；共 8 条建议：正文 4、附件一 4" in brief
    if multi_run.table_rows("citations"):
        assert re.search(r"引用：11/2（缔约方会议）", brief)  # 回顾其第 11/2 号决议: the COP's own resolution


def test_brief_refuses_a_resolution_not_in_the_run(seed_run):
    """The brief's first step (``explore.subset``) names what the run holds."""
    from analysis import explore

    run = explore.load(seed_run.processed)
    with pytest.raises(KeyError, match=r"99/1 is not in .* holds 11/2"):
        explore.subset(run, "99/1")
    assert len(explore.subset(run, "11/2").recommendations) == len(run.recommendations)


def test_notebooks_run_without_overlap_and_citations(seed_run, tmp_path):
    """A run whose later tables are missing (an older run, a stage skipped) or
    hold nothing (a corpus citing nothing) is shown as such, not a traceback."""
    processed = tmp_path / "processed"
    shutil.copytree(seed_run.processed, processed, ignore=shutil.ignore_patterns("executed_notebooks", ".cache"))
    for name in ("overlap", "clusters", "review_queue", "provisions", "term_frequencies"):
        (processed / f"{name}.parquet").unlink(missing_ok=True)
    citations = pd.read_parquet(processed / "citations.parquet")
    citations.iloc[:0].to_parquet(processed / "citations.parquet")
    for name in NOTEBOOKS.glob("0[56]_*.ipynb"):
        nb = execute_notebook(name, {"PROCESSED": str(processed)}, cwd=NOTEBOOKS)
        assert_clean_execution(nb, name.name)
        text = text_of(nb)
        assert "No citations found" in text
        assert "No pairs of similar recommendations" in text


# --------------------------------------------------------------------------
# a stalled cell: bounded, and recovered by one new kernel
# --------------------------------------------------------------------------

def _notebook_that_blocks(path: Path, block: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("MARKER = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell(block),
                nbformat.v4.new_code_cell("print('after', x)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_cell_that_stalls_once_is_executed_again_in_a_new_kernel(tmp_path, caplog):
    # The cell waits on a condition nobody sets, but only on the first attempt
    # (the marker file tells the second kernel it is the second).
    marker = tmp_path / "first_attempt_done"
    nb_path = _notebook_that_blocks(tmp_path / "stall_once.ipynb", (
        "import os, threading\n"
        "if not os.path.exists(MARKER):\n"
        "    open(MARKER, 'w').close()\n"
        "    threading.Event().wait()\n"))
    with caplog.at_level("WARNING", logger="analysis.report"):
        nb = execute_notebook(nb_path, {"MARKER": str(marker)}, cwd=tmp_path, timeout=3, retries=1)
    assert marker.exists()
    assert nb.metadata["cop_analysis"] == {"attempts": 2, "stalled_cells": ["cell 3"]}  # cell 0 + injected
    assert "after 1" in text_of(nb)  # the notebook ran to its end in the second kernel
    assert "stall_once.ipynb: cell 3 did not finish within 3 s; executing the notebook again" in caplog.text


def test_a_cell_that_always_stalls_fails_in_bounded_time(tmp_path):
    import time

    from analysis.report import NotebookStalled

    nb_path = _notebook_that_blocks(tmp_path / "stall_always.ipynb", "import threading\nthreading.Event().wait()")
    started = time.monotonic()
    with pytest.raises(NotebookStalled, match=r"stall_always.ipynb: cell 3 did not finish within 2 s on 2 attempt"):
        execute_notebook(nb_path, {"MARKER": None}, cwd=tmp_path, timeout=2, retries=1)
    # two attempts of 2 s, plus two kernel starts and shutdowns: never the old 600 s
    assert time.monotonic() - started < 60
