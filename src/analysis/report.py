"""Figures and the HTML report: the last stage, from written tables to a briefing.

Contract
--------
``chart_specs(run)`` lists the charts a run supports as ``(name, data, draw)``:
``data`` is the tidy table behind the chart, ``draw(lang)`` returns the figure.
``make_figures(run, out_dir)`` saves every chart in Chinese and English
(PNG 300 dpi, SVG, PDF through ``charts.save_figure``: one drawing per
language, every format from it), in forked worker processes, and keeps a
figure whose run, code and source line have not changed (after a change
of code or rules it is drawn again and saved only if the drawing differs,
``drawing_key``); and the tables behind them for reading
(``write_chart_tables``: ``chart_tables.xlsx``, one sheet per chart and
language and the recommendations with every label and its evidence by
name, and ``<chart>_<lang>.csv`` with BOM beside each figure: names in the
language, codes only in columns headed as codes).
``build_report`` executes the notebooks (``notebooks/*.ipynb``, parameters
injected papermill-style; ``NOTEBOOK_JOBS`` at a time, every cell bounded
by ``CELL_TIMEOUT``, a stalled notebook executed once more in a new kernel;
a notebook whose run, bytes and code are unchanged, ``notebook_key``, is
not executed again), converts them to HTML that opens offline
(``notebook_html``: nothing from a CDN, the bundled font embedded, widgets
in their static form, plotly.js from ``report_assets/``), and writes ``report.html``
(kept when what it shows is unchanged): title, the corpus (units by body and year), key
findings written from the tables (``findings``), contents, one chart per
topic with a Chinese/English switch, a sortable and filterable table of
the recommendations, and links to the executed notebooks; names, never
codes, and the bundled font embedded (``pages``). The charts of
``INTERACTIVE`` (the overlap heatmap and network) are shown as plotly
figures (``charts.interactive``; hover reads the texts, a click leads to the
recommendation's row of the table), their PNG the fallback without script;
plotly.js is written once beside the page (``report_assets/plotly.min.js``,
from the plotly package: the page loads nothing from the network).
``report.html`` is always
written: a notebook that fails is named on the page (and in
``BuiltReport.failed``) instead of taking the whole report down with it.

With one resolution in the corpus the "across" charts compare its annexes
and sections; with several they compare resolutions (and annexes in them).
"""

from __future__ import annotations

import copy
import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import config
from .engine.parallel import forked_pool, shared, thread_map, workers
from .tables import list_cell
from .explore import Run, load
from .outputs import write_csv, write_xlsx

logger = logging.getLogger(__name__)

#: The notebooks ``build_report`` executes (the project's ``notebooks/``).
NOTEBOOKS = config.NOTEBOOKS_DIR

TITLES = {
    "theme_coverage": ("主题覆盖", "Theme coverage"),
    "theme_coverage_sections": ("各节主题覆盖", "Theme coverage by section"),
    "actor_strength": ("行为方与义务强度", "Actors and obligation strength"),
    "strength_by_actor": ("各行为方的义务强度分值", "Strength score by actor"),
    "overlap_heatmap": ("建议相似度（按组排序）", "Recommendation similarity (ordered by group)"),
    "overlap_network": ("最相近的建议", "Closest recommendations"),
    "citation_graph": ("引用关系", "Citation map"),
    "top_terms": ("各主题高频词", "Top terms per theme"),
    "crime_areas": ("犯罪领域覆盖", "Crime areas"),
    "themes_by_session": ("各届会议的行动主题", "Action themes by session"),
    "strength_family_by_session": ("各届会议的语气强度", "Strength by session"),
    "crime_areas_by_session": ("各届会议的犯罪领域", "Crime areas by session"),
    "language_drift": ("与先例相比的措辞变化", "Language drift against precedents"),
    "crime_area_theme": ("行动主题 × 犯罪领域", "Action theme × crime area"),
}

#: Columns of the recommendations sheets of ``chart_tables.xlsx``: every label
#: with the words it rests on, for an analyst to filter in a spreadsheet
#: (by name in each language: ``explore.readable_recommendations``).
RECOMMENDATION_SHEET = ("rec_id", "resolution", "acting_body", "part", "label", "section", "actor", "actor_group",
                        "strength", "strength_family", "strength_score", "themes", "primary_theme",
                        "theme_evidence", "crime_areas", "crime_area_evidence", "needs_review", "text")
#: The recommendations sheets of ``chart_tables.xlsx`` (zh, en).
RECOMMENDATION_SHEETS = {"zh": "建议 (zh)", "en": "recommendations (en)"}


class ChartSpec(tuple):
    """One chart of ``chart_specs``: unpacks as ``(name, data, draw)``
    (``data`` the tidy machine table behind it, codes as the run writes
    them); ``table(lang)`` is that table for reading, in ``lang``: names, not
    codes, the codes kept in the last columns (``explore.readable_table``
    with ``codes=True``). ``chart_tables.xlsx`` and the CSVs beside the
    figures hold these."""

    def __new__(cls, name: str, data: pd.DataFrame, draw: Callable[[str], object],
                table: Callable[[str], pd.DataFrame] | None = None):
        spec = super().__new__(cls, (name, data, draw))
        spec._table = table  # the table in a language, where labels are made in it (sessions)
        return spec

    def table(self, lang: str) -> pd.DataFrame:
        from .explore import readable_table

        return readable_table(self._table(lang) if self._table is not None else self[1], lang, codes=True)


def chart_specs(run: Run) -> list[ChartSpec]:
    """The charts of a run: name, the table behind it, and a drawing function
    (``ChartSpec``: and the table for reading in a language)."""
    from . import charts, coverage

    recs = run.recommendations
    several = recs["resolution"].nunique() > 1
    specs: list[ChartSpec] = []

    def add(name, data, draw, table=None):
        specs.append(ChartSpec(name, data, draw, table))

    cov = coverage.theme_coverage(recs, by="resolution" if several else "part")
    add("theme_coverage", cov, lambda lang: charts.plot_theme_coverage(
        coverage.theme_coverage(recs, by="resolution" if several else "part", lang=lang), lang=lang))
    sec = coverage.theme_coverage(recs, by="section")
    add("theme_coverage_sections", sec, lambda lang: charts.plot_theme_coverage(
        coverage.theme_coverage(recs, by="section", lang=lang), lang=lang))
    body = coverage.adopting_body(recs)  # the Body actor group is shown under its name
    add("actor_strength", coverage.actor_strength(recs), lambda lang: charts.plot_actor_strength(
        coverage.actor_strength(recs, lang=lang), lang=lang, body=body))
    add("strength_by_actor", coverage.strength_by_actor(recs), lambda lang: charts.plot_strength_by_actor(
        coverage.strength_by_actor(recs, lang=lang), lang=lang, body=body))
    overlap, clusters = run.tables.get("overlap"), run.tables.get("clusters")
    if overlap is not None and len(overlap):
        # each chart's table is what it draws (the whole overlap table is overlap.csv)
        add("overlap_heatmap", charts.heatmap_pairs(overlap),
            lambda lang: charts.plot_overlap_heatmap(overlap, clusters, lang=lang))
        add("overlap_network", charts.network_pairs(overlap),
            lambda lang: charts.plot_overlap_network(overlap, clusters, lang=lang))
    cit = run.tables.get("citations")
    if cit is not None and len(cit):
        add("citation_graph", cit, lambda lang: charts.plot_citation_graph(cit, lang=lang))
    terms = coverage.top_terms(recs, by="primary_theme", n=10)
    add("top_terms", terms, lambda lang: charts.plot_top_terms(terms, lang=lang))
    if "crime_areas" in recs.columns:
        by = "resolution" if several else "part"
        add("crime_areas", coverage.crime_area_coverage(recs, by=by), lambda lang: charts.plot_crime_area_coverage(
            coverage.crime_area_coverage(recs, by=by, lang=lang), lang=lang))
        add("crime_area_theme", coverage.crime_area_by_theme(recs), lambda lang: charts.plot_crime_area_theme(
            coverage.crime_area_by_theme(recs, lang=lang), lang=lang))
    # language over time: the facets by session, and the drift against precedents
    from . import precedents, timeline

    sessions = {timeline.session_label(k, "en") for k in recs["resolution"].astype(str)}
    if len(sessions) > 1:
        for facet in ("themes", "strength_family", "crime_areas"):
            if facet in recs.columns:
                add(f"{facet}_by_session", timeline.facet_by_session(recs, facet, "en"),
                    lambda lang, facet=facet: timeline.plot_facet_over_time(
                        timeline.facet_by_session(recs, facet, lang), lang=lang, facet=facet),
                    lambda lang, facet=facet: timeline.facet_by_session(recs, facet, lang))
    prec = run.tables.get("precedents")
    if prec is not None and len(prec) and recs["resolution"].nunique() > 1:
        # per session when sessions hold several units (a session report), else per unit
        drift_by = "session" if len(sessions) < recs["resolution"].nunique() else "unit"
        add("language_drift", precedents.drift(prec, by=drift_by), lambda lang: timeline.plot_language_drift(
            precedents.drift(prec, by=drift_by, lang=lang), lang=lang),
            lambda lang: precedents.drift(prec, by=drift_by, lang=lang))
    return specs


#: The charts the page shows as interactive figures: name -> figure of a run
#: in a language (``charts.interactive``; the same data preparation as the
#: print chart of that name in ``chart_specs``).
INTERACTIVE: dict[str, Callable[[Run, str], object]] = {
    "overlap_heatmap": lambda run, lang: _interactive().overlap_heatmap_figure(
        run.tables["overlap"], run.tables.get("clusters"), run.recommendations, lang=lang),
    "overlap_network": lambda run, lang: _interactive().overlap_network_figure(
        run.tables["overlap"], run.recommendations, lang=lang),
}
#: Said above an interactive chart (shown only when plotly.js drew it).
HINT = ("悬停可查看案文与相似度；点击可跳到下方建议一览中的该条建议。",
        "Hover to read the texts and their similarity; click to go to the recommendation in the table below.")
#: Where the page finds plotly.js (relative to ``report.html``).
PLOTLY_JS = "report_assets/plotly.min.js"


def _interactive():
    from .charts import interactive

    return interactive


#: Charts that take longest to draw go first, so that the workers finish together.
_SLOW_FIRST = ("top_terms", "overlap_heatmap", "theme_coverage_sections", "overlap_network", "crime_area_theme")
#: Where ``make_figures`` records what each figure was drawn from.
FIGURE_INDEX = ".figures.json"
#: The entry of ``FIGURE_INDEX`` for the tables behind the charts.
TABLES_ENTRY = ".tables"


def drawing_key(fig, basis: str) -> str:
    """What a drawn figure shows, before it is saved: sha256 over ``basis``
    (the run's tables, the package's code, matplotlib, the chart, its
    language and source line) and the figure's size and artists, every text
    and every patch's colour among them. A figure drawn again after a rule
    file changed (a gloss fixed in ``glossary.yaml``) whose drawing key is
    the one its files were written from is the same drawing: it is not
    saved again."""
    import hashlib

    from matplotlib.patches import Patch
    from matplotlib.text import Text

    h = hashlib.sha256(basis.encode())
    h.update(repr(tuple(fig.get_size_inches())).encode())
    for artist in fig.findobj():
        h.update(type(artist).__name__.encode())
        if isinstance(artist, Text):
            h.update(f"{artist.get_text()}|{artist.get_fontsize()}|{artist.get_position()}".encode())
        elif isinstance(artist, Patch):
            h.update(repr(artist.get_facecolor()).encode())
    return h.hexdigest()


def _draw_and_save(job: tuple[int, str]) -> tuple[str, dict[str, str] | None, str]:
    """Draw chart ``index`` in ``lang`` once and write every format from that
    drawing (in a figure worker, or in this process: ``make_figures`` hands
    the specs, the folder, the source lines and the drawing keys of the
    files on disk over with ``shared``); files None when the drawing is that
    of the files already there (``drawing_key``)."""
    import matplotlib.pyplot as plt

    from . import charts

    index, lang = job
    name, _, draw = shared("specs")[index]
    stem = f"{name}_{lang}"
    fig = draw(lang)
    fig = getattr(fig, "figure", fig)
    try:
        look = drawing_key(fig, f"{shared('basis')}|{stem}|{shared('source')[lang]}|{shared('data')[index]}")
        if look == shared("looks").get(stem):
            return stem, None, look
        files = charts.save_figure(fig, stem, out_dir=shared("out"), source=shared("source")[lang])
    finally:
        plt.close(fig)
    return stem, {fmt: str(path) for fmt, path in files.items()}, look


def _file_sha(path: Path) -> str | None:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def run_tables_key(run: Run) -> str:
    """The run's tables as ``make_figures`` and ``build_report`` key their
    outputs: the sha256 of every file the manifest lists (a run that wrote
    the same tables again has the same key), else the run's ``outputs_key``."""
    import hashlib
    import json

    files = run.manifest.get("files") or {}
    shas = {name: f.get("sha256") for name, f in sorted(files.items()) if isinstance(f, dict)}
    if not shas:
        return str(run.manifest.get("outputs_key"))
    return hashlib.sha256(json.dumps(shas, sort_keys=True).encode()).hexdigest()


def code_only_fingerprint() -> str:
    """sha256 over the package's Python code alone (not its rule files): what
    a drawing depends on besides the run, the names it shows and matplotlib."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(p for p in config.PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts):
        h.update(str(p.relative_to(config.PACKAGE_DIR)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


class Figures(dict):
    """What ``make_figures`` returns: ``{f"{chart}_{lang}": {format: path}}``,
    how many of them it ``drawn`` (saved anew) and ``redrawn`` (drawn to
    compare, found the same, not saved), and the ``specs`` (``chart_specs``)
    they were drawn from, for the page not to compute them again."""

    drawn: int = 0
    redrawn: int = 0
    specs: list | None = None


def make_figures(run: Run, out_dir: str | Path | None = None, langs=("zh", "en"), jobs: int = 0) -> Figures:
    """Save every chart (each language) and the tables behind them.

    Each chart is drawn once per language and every format written from
    that drawing (``charts.save_figure``). The drawings are independent, so
    they are made in ``jobs`` forked worker processes (0: one per core, at
    most 4; matplotlib is not thread-safe). A figure whose files are as they
    were written (sha256 in ``figures/.figures.json``) is kept, not drawn
    again, when the run's tables, the code and rule files and its source
    line are those it was drawn from; when only the code or the rules
    changed it is drawn, and saved only if the drawing differs
    (``drawing_key``: a gloss fixed in one chart costs that chart's files,
    not all of them). The tables behind the charts
    (``write_chart_tables``) are written again only when the run, code or
    rules changed, or their files did.
    """
    import hashlib
    import json

    import matplotlib

    from . import charts
    from .pipeline import code_fingerprint

    out = Path(out_dir) if out_dir else run.processed / "figures"
    out.mkdir(parents=True, exist_ok=True)
    specs = chart_specs(run)
    source = {lang: charts.source_text(run.resolutions, lang=lang) for lang in langs}
    index_path = out / FIGURE_INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    tables = run_tables_key(run)
    basis = json.dumps([tables, code_fingerprint(), matplotlib.__version__], default=str)
    keys, written, pending, looks = {}, Figures(), [], {}
    for i, (name, _, _) in enumerate(specs):
        for lang in langs:
            stem = f"{name}_{lang}"
            keys[stem] = hashlib.sha256(f"{basis}|{stem}|{source[lang]}".encode()).hexdigest()
            old = index.get(stem, {})
            files = {fmt: out / f"{stem}.{fmt}" for fmt in old.get("files", {})}
            intact = bool(files) and all(_file_sha(path) == old["files"][fmt] for fmt, path in files.items())
            if intact and old.get("key") == keys[stem]:
                written[stem] = files
            else:
                pending.append((i, lang))
                if intact and old.get("look"):
                    looks[stem] = old["look"]
    pending.sort(key=lambda job: (specs[job[0]][0] not in _SLOW_FIRST,
                                  _SLOW_FIRST.index(specs[job[0]][0]) if specs[job[0]][0] in _SLOW_FIRST else 0))
    drawing_basis = json.dumps([tables, code_only_fingerprint(), matplotlib.__version__], default=str)
    data = ([hashlib.sha256(d.to_csv(index=False).encode()).hexdigest() for _, d, _ in specs] if pending else [])
    # the workers inherit the specs, the folder, the source lines and the drawing keys (shared)
    with forked_pool(min(workers(jobs), len(pending)), specs=specs, out=out, source=source, basis=drawing_basis,
                     data=data, looks=looks) as pool:
        if pool is not None:
            drawn = list(pool.imap_unordered(_draw_and_save, pending, chunksize=1))
        else:
            drawn = list(map(_draw_and_save, pending))
    new_looks = {stem: look for stem, _, look in drawn}
    for stem, files, _ in drawn:
        if files is None:  # drawn the same as the files there
            written[stem] = {fmt: out / f"{stem}.{fmt}" for fmt in index[stem]["files"]}
            written.redrawn += 1
        else:
            written[stem] = {fmt: Path(path) for fmt, path in files.items()}
            written.drawn += 1
    new_index = {stem: {"key": keys[stem], "files": {fmt: _file_sha(Path(p)) for fmt, p in files.items()},
                        "look": new_looks.get(stem, index.get(stem, {}).get("look"))}
                 for stem, files in written.items()}
    # the tables behind the charts: written again when the run, code or rules changed, or their files did
    old_tables = index.get(TABLES_ENTRY, {})
    tables_key = hashlib.sha256(f"{basis}|{'|'.join(langs)}".encode()).hexdigest()
    if old_tables.get("key") != tables_key or not old_tables.get("files") or any(
            _file_sha(out / name) != sha for name, sha in old_tables["files"].items()):
        files = [write_chart_tables(run, specs, out, langs)]
        files += [out / f"{name}_{lang}.csv" for name, _, _ in specs for lang in langs]
        old_tables = {"key": tables_key, "files": {p.name: _file_sha(p) for p in files}}
    new_index[TABLES_ENTRY] = old_tables
    index_path.write_text(json.dumps(new_index, indent=1, sort_keys=True), encoding="utf-8")
    # keep the order of chart_specs (the workers finish in any order)
    ordered = Figures({f"{name}_{lang}": written[f"{name}_{lang}"] for name, _, _ in specs for lang in langs})
    ordered.drawn, ordered.redrawn, ordered.specs = written.drawn, written.redrawn, specs
    logger.info("figures: %d charts in %s (%d drawn, %d drawn again the same, %d unchanged)", len(ordered), out,
                ordered.drawn, ordered.redrawn, len(ordered) - ordered.drawn - ordered.redrawn)
    return ordered


def recommendations_sheet(recs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The recommendations as ``chart_tables.xlsx`` shows them in ``lang``:
    every label by name with the words it rests on (``word (name)``), the
    text as written; the ``rec_id`` the only key."""
    from .explore import evidence_terms, heading, label_namer, readable_recommendations

    recs = recs[[c for c in RECOMMENDATION_SHEET if c in recs.columns]]
    out = readable_recommendations(recs, lang)
    for col, kind in (("theme_evidence", "theme"), ("crime_area_evidence", "crime_area")):
        if col not in recs:
            continue
        name = label_namer(kind, lang)
        words = [[f"{term}（{name(code)}）" if lang == "zh" else f"{term} ({name(code)})"
                  for code, term in evidence_terms(v)] for v in recs[col]]
        after = heading("themes" if kind == "theme" else "crime_areas", lang)
        at = out.columns.get_loc(after) + 1 if after in out.columns else len(out.columns)
        out.insert(at, heading(col, lang), words)
    return out


def write_chart_tables(run: Run, specs: list[ChartSpec], out: Path, langs=("zh", "en")) -> Path:
    """The tables behind the charts, for reading: ``chart_tables.xlsx`` (a
    contents sheet, then one sheet per chart and language, ``<chart> (zh)``
    like the figure ``<chart>_zh.png``, then the recommendations in each
    language) and ``<chart>_<lang>.csv`` beside each figure. Names in the
    sheet's language, never codes; the codes in the last columns (headed
    ``explore.CODE_HEADING``), the key back to the run's tables."""
    contents, sheets = [], {}
    for spec in specs:
        name = spec[0]
        for lang in langs:
            table = spec.table(lang)
            write_csv(table, out / f"{name}_{lang}.csv")
            sheets[f"{name} ({lang})"] = table
            zh, en = TITLES.get(name, (name, name))
            contents.append({"工作表 Sheet": f"{name} ({lang})", "图 Chart": zh if lang == "zh" else en,
                             "图片 Figure": f"{name}_{lang}.png / .svg / .pdf"})
        (out / f"{name}.csv").unlink(missing_ok=True)  # the machine table an earlier version wrote here
    for lang in langs:
        sheets[RECOMMENDATION_SHEETS[lang]] = recommendations_sheet(run.recommendations, lang)
        contents.append({"工作表 Sheet": RECOMMENDATION_SHEETS[lang],
                         "图 Chart": "建议一览" if lang == "zh" else "All recommendations", "图片 Figure": ""})
    target = out / "chart_tables.xlsx"
    write_xlsx({"目录 contents": pd.DataFrame(contents), **sheets}, target)
    return target


#: Seconds a notebook cell may run. The slowest cell of the project's
#: notebooks takes a few seconds on the seed; a cell still waiting after this
#: long is stalled (the kernel and the client each waiting for the other),
#: not busy.
CELL_TIMEOUT = 90


class NotebookStalled(RuntimeError):
    """A notebook cell timed out on every attempt (see ``execute_notebook``)."""


#: Longest the client waits on a kernel's channel before it looks again (s).
POLL_SLICE = 1.0


def poll_in_slices(channel, step: float = POLL_SLICE) -> None:
    """Make ``channel.get_msg(timeout)`` (a kernel client's asyncio channel)
    look for a message every ``step`` seconds until ``timeout`` instead of
    waiting once for all of it.

    Why: the client sometimes misses the wake-up of a message already
    waiting (zmq's edge-triggered socket under asyncio; seen after a cell
    showing a widget), and then sat out the whole cell timeout before it
    read the reply: a notebook of 5 s took 95 s, about 1 execution in 15
    (benchmarks/results_report.md). Looking again every second reads it at
    once; the timeout is the same."""
    import time

    from queue import Empty

    get = channel.get_msg

    async def get_msg(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = step if deadline is None else min(step, max(0.0, deadline - time.monotonic()))
            try:
                return await get(timeout=wait)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


def _run_once(nb, parameters_cwd: str, timeout: int, env: dict | None, current: list):
    from nbclient import NotebookClient

    def started(**_):  # the kernel client exists now: its channels looked at every POLL_SLICE
        poll_in_slices(client.kc.shell_channel)
        poll_in_slices(client.kc.iopub_channel)

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": parameters_cwd}},
                            on_notebook_start=started,
                            on_cell_start=lambda cell, cell_index: current.append(cell_index))
    kwargs = {"stderr": subprocess.DEVNULL}
    if env is not None:
        kwargs["env"] = env
    # The kernel's own stderr holds only start-up chatter (transport
    # warnings); cell errors come back through the notebook's outputs.
    client.execute(**kwargs)
    return nb


def execute_notebook(path: str | Path, parameters: dict, out_path: str | Path | None = None,
                     cwd: str | Path | None = None, timeout: int = CELL_TIMEOUT, retries: int = 1,
                     env: dict | None = None):
    """Execute a notebook with ``parameters`` injected after its ``parameters``
    cell (papermill's convention), write the executed copy, return it.

    Every cell gets ``timeout`` seconds. A cell that times out (a stalled
    kernel: observed with ipykernel 7, where kernel and client sat idle
    waiting on each other) costs that kernel: it is shut down and the
    notebook executed again from the top in a new one, up to ``retries``
    times, and the executed notebook says so in its metadata
    (``cop_analysis.attempts``, ``cop_analysis.stalled_cells``). When every
    attempt stalls, ``NotebookStalled`` names the cell; a run therefore
    waits at most ``(retries + 1) * timeout`` seconds on a stall. ``env``:
    the kernel's environment (default: this process's).
    """
    import nbformat
    from nbclient.exceptions import CellTimeoutError

    original = nbformat.read(path, as_version=4)
    idx = next((i for i, c in enumerate(original.cells)
                if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if parameters:
        source = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
        original.cells.insert(0 if idx is None else idx + 1, cell)
    stalled: list[str] = []
    for attempt in range(1, retries + 2):
        nb, current = copy.deepcopy(original), []
        try:
            _run_once(nb, str(cwd or Path(path).parent), timeout, env, current)
        except CellTimeoutError as exc:
            where = f"cell {current[-1]}" if current else "a cell"
            stalled.append(where)
            if attempt > retries:
                raise NotebookStalled(f"{Path(path).name}: {where} did not finish within {timeout} s on "
                                      f"{attempt} attempt(s)") from exc
            logger.warning("%s: %s did not finish within %d s; executing the notebook again in a new kernel",
                           Path(path).name, where, timeout)
            continue
        nb.metadata["cop_analysis"] = {"attempts": attempt, "stalled_cells": stalled}
        if out_path:
            nbformat.write(nb, out_path)
        return nb
    raise AssertionError("unreachable")  # pragma: no cover


#: The template of the notebooks' HTML (``notebook_html``): nbconvert's lab
#: template without its CDN scripts, with the bundled Chinese face.
NOTEBOOK_TEMPLATE = Path(__file__).parent / "templates" / "notebook_offline.html.j2"
#: JupyterLab's light theme's font stacks (``--jp-…-font-family``) with the
#: embedded Chinese face first (``pages.FONT_STACK`` says why first).
_NOTEBOOK_FONTS = {
    "--jp-ui-font-family": "system-ui,-apple-system,blinkmacsystemfont,'Segoe UI',helvetica,arial,sans-serif,"
                           "'Apple Color Emoji','Segoe UI Emoji','Segoe UI Symbol'",
    "--jp-content-font-family": "system-ui,-apple-system,blinkmacsystemfont,'Segoe UI',helvetica,arial,"
                                "sans-serif,'Apple Color Emoji','Segoe UI Emoji','Segoe UI Symbol'",
    "--jp-code-font-family-default": "menlo,consolas,'DejaVu Sans Mono',monospace",
}


def _without_widget_state():
    """A preprocessor that leaves the widget state out of the HTML: without
    it nbconvert shows a widget output's text (its static form) instead of
    an empty box waiting for the widgets' HTML manager from unpkg."""
    from nbconvert.preprocessors import Preprocessor

    class WithoutWidgetState(Preprocessor):
        def preprocess(self, nb, resources):
            nb.metadata.pop("widgets", None)
            return nb, resources

    return WithoutWidgetState()


def notebook_html(nb) -> str:
    """An executed notebook as one HTML page that opens offline (nbconvert's
    lab template through ``NOTEBOOK_TEMPLATE``): no require.js, MathJax,
    mermaid.js or widget manager from a CDN, widgets in their static form,
    the Chinese characters drawn with the bundled face (embedded, cut down
    to the notebook's characters: ``pages.font_face``), images embedded;
    a plotly figure (``charts.notebook_view``) loads the plotly.js shipped
    in ``report_assets/`` beside the page's folder."""
    import nbformat
    from nbconvert import HTMLExporter

    from .pages import FONT_FAMILY, font_face

    exporter = HTMLExporter(template_name="lab", template_file=NOTEBOOK_TEMPLATE.name,
                            extra_template_paths=[str(NOTEBOOK_TEMPLATE.parent)], embed_images=True)
    exporter.register_preprocessor(_without_widget_state(), enabled=True)
    shown = copy.copy(nb)
    shown.metadata = {k: v for k, v in nb.metadata.items() if k != "widgets"}  # its characters are not shown
    face = font_face(nbformat.writes(shown))
    fonts = ";".join(f"{var}:'{FONT_FAMILY}',{stack}" for var, stack in _NOTEBOOK_FONTS.items())
    body, _ = exporter.from_notebook_node(nb, resources={"cop_font_css": f"{face}:root{{{fonts}}}" if face else ""})
    return body


@dataclass
class BuiltReport:
    """``path`` of ``report.html``; ``failed``: ``(notebook, error)`` for each
    notebook that could not be executed (the page names them); ``retried``:
    the notebooks that stalled once and were executed again; ``reused``:
    the notebooks not executed again, their inputs unchanged
    (``notebook_key``); ``figures``: what ``make_figures`` returned."""

    path: Path
    failed: list[tuple[str, str]] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # stalled once, executed again in a new kernel
    reused: list[str] = field(default_factory=list)  # inputs unchanged: the executed copy kept
    figures: dict = field(default_factory=dict)


#: Notebooks executed at a time (each in its own kernel, a process: the
#: machine's cores, at most this many).
NOTEBOOK_JOBS = 2
#: Where ``build_report`` records what each executed notebook and the page
#: were made from (``report/.report.json``).
REPORT_INDEX = ".report.json"


def notebook_key(run: Run, nb_path: Path, parameters: dict) -> str:
    """What an executed notebook is a function of: the run's tables
    (``run_tables_key``), the notebook's bytes, its parameters, the
    package's code, rule files and annotations (``engine.cache.fingerprint``)
    and Python's version. The same key: the same executed notebook."""
    import hashlib
    import json
    import sys

    from .engine.cache import fingerprint

    return hashlib.sha256(json.dumps(
        [run_tables_key(run), hashlib.sha256(nb_path.read_bytes()).hexdigest(), parameters, fingerprint(),
         sys.version], sort_keys=True, default=str).encode()).hexdigest()


def _execute_for_report(job: tuple[Path, dict, Path, Path, int]) -> tuple[str, object, str | None]:
    """Execute one notebook for ``build_report`` and write its HTML: ``(name,
    notebook, None)``, or ``(name, None, reason)`` when it could not be."""
    nb_path, params, report_dir, cwd, timeout = job
    try:
        nb = execute_notebook(nb_path, params, report_dir / nb_path.name, cwd=cwd, timeout=timeout)
        (report_dir / f"{nb_path.stem}.html").write_text(notebook_html(nb), encoding="utf-8")
    except Exception as exc:  # one notebook's failure must not cost the rest of the report
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # the kernel colours its tracebacks
        reason = text.splitlines()[-1] if text else type(exc).__name__
        logger.warning("%s could not be executed: %s", nb_path.name, reason)
        return nb_path.name, None, reason
    logger.info("executed %s", nb_path.name)
    return nb_path.name, nb, None


def build_report(processed: str | Path = config.PROCESSED, notebooks: str | Path | None = None,
                 execute: bool = True) -> BuiltReport:
    """Figures, executed notebooks and ``report.html`` in ``processed``
    (``notebooks``: the folder of notebooks, by default the project's).

    The notebooks are executed ``NOTEBOOK_JOBS`` at a time (each cell
    bounded by ``CELL_TIMEOUT``, a stalled one executed once more, as
    ``execute_notebook``). A notebook whose ``notebook_key`` is that of its
    executed copy in ``report/`` (recorded in ``report/.report.json``,
    with the copy's sha256) is not executed again: the copy is kept and the
    notebook listed in ``BuiltReport.reused``. A notebook that failed is
    executed again next time."""
    import json

    processed = Path(processed).resolve()
    notebooks = Path(notebooks) if notebooks is not None else NOTEBOOKS
    run = load(processed)
    figures = make_figures(run)
    report_dir = processed / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    index_path = report_dir / REPORT_INDEX
    try:
        recorded = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    index = recorded.get("notebooks", {}) if execute else {}
    nb_links, failed, retried, reused, jobs, new_index = [], [], [], [], [], {}
    paths = sorted(notebooks.glob("[0-9]*.ipynb")) if execute else []
    for nb_path in paths:
        params = {"PROCESSED": str(processed)}
        key = notebook_key(run, nb_path, params)
        old = index.get(nb_path.stem, {})
        kept = {ext: report_dir / f"{nb_path.stem}.{ext}" for ext in ("html", "ipynb")}
        if old.get("key") == key and all(_file_sha(p) == old.get(ext) for ext, p in kept.items()):
            reused.append(nb_path.stem)
            new_index[nb_path.stem] = old
        else:
            jobs.append((nb_path, params, report_dir, notebooks, CELL_TIMEOUT))
            new_index[nb_path.stem] = {"key": key}
    # what is not a kept notebook's is an earlier report's: gone
    keep = {f"{stem}.{ext}" for stem in reused for ext in ("html", "ipynb")} | {REPORT_INDEX}
    for stale in report_dir.iterdir():
        if stale.name not in keep:
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    done = thread_map(_execute_for_report, jobs, jobs=min(NOTEBOOK_JOBS, workers(0)))
    for name, nb, reason in done:
        stem = Path(name).stem
        if nb is None:
            failed.append((name, reason))
            new_index.pop(stem, None)
            continue
        if nb.metadata.get("cop_analysis", {}).get("attempts", 1) > 1:
            retried.append(stem)
        new_index[stem].update({ext: _file_sha(report_dir / f"{stem}.{ext}") for ext in ("html", "ipynb")})
    nb_links = [p.stem for p in paths if p.stem in new_index]
    if reused:
        logger.info("notebooks not executed again (run, notebook and code unchanged): %s", ", ".join(reused))
    # the page: made again unless what it shows is what it was made from
    target = processed / "report.html"
    page_key = _page_key(run, figures, nb_links, failed, retried)
    page = recorded.get("page", {})
    if not (page.get("key") == page_key and _file_sha(target) == page.get("sha256")):
        target.write_text(report_page(run, figures, nb_links, failed, retried), encoding="utf-8")
        page = {"key": page_key, "sha256": _file_sha(target)}
    index_path.write_text(json.dumps({"notebooks": new_index if execute else {}, "page": page}, indent=1,
                                     sort_keys=True), encoding="utf-8")
    # plotly.js beside the page (the page and the notebooks' HTML load it)
    _interactive().write_plotly_js(processed / Path(PLOTLY_JS).parent)
    return BuiltReport(target, failed, retried, reused, figures)


def _page_key(run: Run, figures: dict, nb_links, failed, retried) -> str:
    """What ``report.html`` shows: the run's tables and the day it was made,
    the code and rules, the figures' files (their sha256), the notebooks
    listed and how they went."""
    import hashlib
    import json

    from .engine.cache import fingerprint

    shown = {stem: {fmt: _file_sha(Path(p)) for fmt, p in sorted(files.items())}
             for stem, files in sorted(figures.items())}
    return hashlib.sha256(json.dumps([run_tables_key(run), run.manifest.get("created"), fingerprint(), shown,
                                      list(nb_links),
                                      [list(f) for f in failed], list(retried)], default=str).encode()).hexdigest()


#: What each chart shows, said in its alt text before the figures it rests on.
_WHAT = {
    "theme_coverage": ("柱状图：各部分的建议涉及的行动主题", "Bar chart: the action themes of the recommendations, by part"),
    "theme_coverage_sections": ("热图：各节建议涉及的行动主题", "Heat map: the action themes of the recommendations, by section"),
    "actor_strength": ("堆积条形图：各行为方受到的要求及其措辞强度", "Stacked bars: who is asked to act, and how strongly"),
    "strength_by_actor": ("图：各行为方的义务强度分值（1–5）", "Chart: strength score (1–5) of what each actor group is asked"),
    "overlap_heatmap": ("热图：建议两两之间的措辞相似度", "Heat map: how alike the recommendations are worded, pair by pair"),
    "overlap_network": ("网络图：措辞最相近的建议", "Network: the recommendations worded most alike"),
    "citation_graph": ("引用关系图：决议援引的文件", "Citation map: what the resolutions cite"),
    "top_terms": ("条形图：各主题的高频词", "Bars: the most frequent words of each theme"),
    "crime_areas": ("柱状图：各部分涉及的犯罪领域", "Bar chart: the crime areas the recommendations name, by part"),
    "crime_area_theme": ("热图：行动主题与犯罪领域的交叉", "Heat map: action theme against crime area"),
    "themes_by_session": ("折线图：各届会议的行动主题", "Lines: action themes session by session"),
    "strength_family_by_session": ("图：各届会议的措辞强度", "Chart: wording strength session by session"),
    "crime_areas_by_session": ("图：各届会议的犯罪领域", "Chart: crime areas session by session"),
    "language_drift": ("图：与先例相比的措辞变化", "Chart: wording against the precedents, unit by unit"),
}


def _top(data: pd.DataFrame, label: str, name, lang: str, n: int = 3) -> str:
    if label not in data or "count" not in data:
        return ""
    counts = data.groupby(label)["count"].sum().sort_values(ascending=False)
    counts = counts[counts > 0].head(n)
    sep = "、" if lang == "zh" else ", "
    return sep.join(f"{name(k, lang)} {int(v)}" for k, v in counts.items())


def chart_alt(name: str, data: pd.DataFrame, run: Run, lang: str) -> str:
    """Alt text of a chart: what it shows, and its largest values."""
    from . import findings

    what = _WHAT.get(name, TITLES.get(name, (name, name)))[0 if lang == "zh" else 1]
    body = findings.adopting_body(run.recommendations)
    detail = ""
    if name in ("theme_coverage", "theme_coverage_sections"):
        detail = _top(data, "theme", findings.theme_name, lang)
    elif name in ("crime_areas", "crime_area_theme"):
        detail = _top(data, "crime_area", findings.area_name, lang)
    elif name in ("actor_strength", "strength_by_actor"):
        detail = _top(data, "actor_group", lambda g, lg: findings.group_name(g, lg, body), lang)
    elif name in ("overlap_heatmap", "overlap_network") and len(data):
        best = data.sort_values("similarity", ascending=False).iloc[0]
        detail = (f"{len(data)} 对；最相近 {best['rec_id_a']} 与 {best['rec_id_b']}（{best['similarity']:.2f}）"
                  if lang == "zh" else f"{len(data)} pairs; closest {best['rec_id_a']} and {best['rec_id_b']} "
                  f"({best['similarity']:.2f})")
    elif name == "citation_graph":
        detail = f"{len(data)} 处引用" if lang == "zh" else f"{len(data)} citations"
    if not detail:
        return what + ("。" if lang == "zh" else ".")
    return what + ("。最多：" if lang == "zh" and "对" not in detail and "引用" not in detail else
                   "。" if lang == "zh" else ". Largest: " if "pairs" not in detail and "citations" not in detail
                   else ". ") + detail + ("。" if lang == "zh" else ".")


#: The report's charts grouped by the question they answer (contents order).
TOPICS = (
    (("谁被要求行动、措辞多强", "Who is asked to act, how strongly"), ("actor_strength", "strength_by_actor")),
    (("行动主题", "Action themes"), ("theme_coverage", "theme_coverage_sections", "top_terms")),
    (("犯罪领域", "Crime areas"), ("crime_areas", "crime_area_theme")),
    (("重复与相近的措辞", "Repeated and similar wording"), ("overlap_heatmap", "overlap_network")),
    (("引用", "Citations"), ("citation_graph",)),
    (("措辞随时间的变化", "Language over time"),
     ("themes_by_session", "strength_family_by_session", "crime_areas_by_session", "language_drift")),
)


def recommendations_table(recs: pd.DataFrame) -> str:
    """The recommendations as a sortable, filterable table, every label by its name."""
    from . import findings
    from .charts import rec_sort_key
    from .pages import rec_anchor, sortable_table

    body = findings.adopting_body(recs)
    rows, values = [], []
    order = {rid: i for i, rid in enumerate(sorted(recs["rec_id"], key=rec_sort_key))}
    for r in recs.sort_values("rec_id", key=lambda c: c.map(order)).itertuples(index=False):
        r = r._asdict()
        group = {lg: findings.group_name(r.get("actor_group"), lg, body) for lg in ("zh", "en")}
        family = r.get("strength_family")
        family = family if isinstance(family, str) else "未分类"
        themes = list_cell(r.get("themes"))
        theme_text = {"zh": "、".join(findings.theme_name(t, "zh") for t in themes) or "—",
                      "en": "; ".join(findings.theme_name(t, "en") for t in themes) or "—"}
        areas = list_cell(r.get("crime_areas"))
        area_text = {lg: ("、" if lg == "zh" else "; ").join(findings.area_name(a, lg) for a in areas)
                     or findings.area_name(None, lg) for lg in ("zh", "en")}
        unit = {"zh": bodies_unit_name(str(r["resolution"])), "en": bodies_unit_name_en(str(r["resolution"]))}
        cue = r.get("strength")  # missing: None, or NaN in a str column read back
        strength = f"{cue if isinstance(cue, str) and cue else '—'}（{family}）"
        rank = {"应": 0, "鼓励": 1, "不妨": 2, "其他": 3}.get(family, 4)
        rows.append([(r["rec_id"], "%06d" % order[r["rec_id"]]), unit, group, (strength, str(rank)),
            theme_text, area_text, r.get("text") or ""])
        values.append([r["rec_id"], unit["zh"], group["zh"], family, "|".join(findings.theme_name(t, "zh") for t in themes),
                       "|".join(findings.area_name(a, "zh") for a in areas) or findings.area_name(None, "zh"), ""])
    headers = [("编号", "ID"), ("文件", "Unit"), ("行为方", "Actor group"), ("强度", "Strength"),
               ("行动主题", "Action themes"), ("犯罪领域", "Crime areas"), ("案文", "Text")]
    ids = [rec_anchor(r[0][0]) for r in rows]
    return sortable_table("recs", headers, rows, filters=(2, 3, 4), values=values,
                          lang_of=(None, None, None, "zh-Hans", None, None, "zh-Hans"), row_ids=ids)


def bodies_unit_name(key: str) -> str:
    from .bodies import unit_name

    return unit_name(key, "zh")


def report_page(run: Run, figures: dict[str, dict], nb_links: list[str],
                failed: list[tuple[str, str]] = (), retried: list[str] = (), interactive: bool = True) -> str:
    """The HTML of ``report.html`` for ``run``: ``figures`` as ``make_figures``
    returns them (``{f"{chart}_{lang}": {format: path}}``; a chart without
    its files is left out), ``nb_links`` the executed notebooks (their
    stems, ``report/<stem>.html``), ``failed`` the ``(notebook, error)``
    that could not be executed, ``retried`` those executed again after a
    stall; ``interactive``: the charts of ``INTERACTIVE`` as plotly figures
    too (plotly.js at ``PLOTLY_JS``). Writes nothing: ``build_report``
    writes the page and plotly.js."""
    from . import findings
    from .charts import lexicon_version
    from .pages import SWITCH, bi, bi_html, esc, figure, head, plotly_scripts, png_width, tail

    recs = run.recommendations
    specs = {name: data for name, data, _ in (getattr(figures, "specs", None) or chart_specs(run))}
    summary_zh, summary_en = findings.corpus_summary(recs)
    found = findings.key_findings(run)
    topics = [(title, [n for n in names if n in specs and figures.get(f"{n}_zh")]) for title, names in TOPICS]
    topics = [(title, names) for title, names in topics if names]
    units = findings.units(recs)
    title_zh, title_en = "决议建议分析报告", "Recommendations analysis report"
    table = recommendations_table(recs)
    parts = [SWITCH,
             f"<h1>{bi(title_zh, title_en)}</h1>",
             f"<p class='muted'>{bi(summary_zh, summary_en)}</p>"]
    toc = [("summary", ("概况", "Corpus")), ("findings", ("主要发现", "Key findings"))]
    toc += [(f"topic-{i}", title) for i, (title, _) in enumerate(topics)]
    toc += [("recommendations", ("建议一览", "All recommendations"))]
    if nb_links or failed:
        toc.append(("notebooks", ("笔记本", "Notebooks")))
    toc.append(("about", ("关于本报告", "About this report")))
    parts.append("<nav class='toc'><h2 id='contents'>" + bi("目录", "Contents") + "</h2><ol>" + "".join(
        f"<li><a href='#{a}'>{bi(*t)}</a></li>" for a, t in toc) + "</ol></nav>")
    # corpus: units by body and year
    rows = "".join(
        f"<tr><td>{bi(bodies_unit_name(str(u.resolution)), bodies_unit_name_en(str(u.resolution)))}</td>"
        f"<td>{bi(findings.body_name(u.body, 'zh'), findings.body_name(u.body, 'en'))}</td>"
        f"<td class='num'>{'' if pd.isna(u.year) else int(u.year)}</td><td class='num'>{int(u.n)}</td></tr>"
        for u in units.itertuples(index=False))
    parts.append(f"<h2 id='summary'>{bi('概况', 'Corpus')}</h2><table><thead><tr><th>{bi('决议或决定', 'Unit')}</th>"
                 f"<th>{bi('通过机构', 'Adopted by')}</th><th>{bi('年份', 'Year')}</th><th>{bi('建议', 'Recommendations')}"
                 f"</th></tr></thead><tbody>{rows}</tbody></table>")
    parts.append(f"<h2 id='findings'>{bi('主要发现', 'Key findings')}</h2><ul class='findings'>"
                 + "".join(f"<li>{bi(z, e)}</li>" for z, e in found) + "</ul>")
    n_interactive = 0
    for i, ((tz, te), names) in enumerate(topics):
        parts.append(f"<h2 id='topic-{i}'>{bi(tz, te)}</h2>")
        for name in names:
            zh, en = TITLES.get(name, (name, name))
            png = {lang: f"figures/{Path(figures[f'{name}_{lang}']['png']).name}" for lang in ("zh", "en")
                   if figures.get(f"{name}_{lang}")}
            alt = {lang: chart_alt(name, specs[name], run, lang) for lang in png}
            links = {}
            for lang in png:
                stem = Path(png[lang]).stem
                links.update({f"PDF ({lang})": f"figures/{stem}.pdf", f"SVG ({lang})": f"figures/{stem}.svg",
                              f"CSV ({lang})": f"figures/{stem}.csv"})
            links.update({"XLSX": "figures/chart_tables.xlsx"})
            widths = {lang: png_width(figures[f"{name}_{lang}"]["png"]) for lang in png}
            plots = None
            if interactive and name in INTERACTIVE:
                plots = {lang: _interactive().figure_json(INTERACTIVE[name](run, lang)) for lang in png}
                n_interactive += 1
            hint = (f"<p class='muted hint'>{bi(*HINT)}</p>" if plots else "")
            parts.append(f"<h3>{bi(zh, en)}</h3>" + hint + figure(png, alt, {"zh": zh, "en": en}, links, widths,
                                                                  interactive=plots, name=name))
    parts.append(f"<h2 id='recommendations'>{bi('建议一览', 'All recommendations')}</h2>"
                 f"<p class='muted'>{bi('点击列标题排序；输入文字或选择取值以筛选。', 'Click a heading to sort; type or choose a value to filter.')}"
                 f"</p>{table}")
    if nb_links or failed:
        items = "".join(f"<li><a href='report/{esc(n)}.html'>{esc(n)}</a>"
                        + (f" <small>{bi('（卡住后已在新内核中重新执行）', '(stalled once; executed again in a new kernel)')}"
                           "</small>" if n in retried else "") + "</li>" for n in nb_links)
        items += "".join(f"<li>{esc(n)}: <b>{bi('未能执行', 'could not be executed')}</b> ({esc(e)})</li>"
                         for n, e in failed)
        parts.append(f"<h2 id='notebooks'>{bi('笔记本', 'Notebooks')}</h2><ul>{items}</ul>")
    created = esc(str(run.manifest.get("created", ""))[:10])  # the day the run was made
    parts.append(f"<h2 id='about'>{bi('关于本报告', 'About this report')}</h2><p>"
                 + bi_html(f"资料来源：{esc('、'.join(bodies_unit_name(str(r)) for r in units['resolution']))}；"
                           f"词典版本 {esc(lexicon_version())}；生成日期 {created}。",
                           f"Sources: {esc(', '.join(bodies_unit_name_en(str(r)) for r in units['resolution']))}; "
                           f"lexicon {esc(lexicon_version())}; generated {created}.") + "</p>")
    parts.append(tail(plotly_scripts(PLOTLY_JS) if n_interactive else ""))
    page = "\n".join(parts)
    return head(title_zh, title_en, page) + page


def bodies_unit_name_en(key: str) -> str:
    from .bodies import unit_name

    return unit_name(key, "en")
