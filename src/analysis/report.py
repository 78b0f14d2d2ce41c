"""Figures and the HTML report: the last stage, from written tables to a briefing.

Contract
--------
``chart_specs(run)`` lists the charts a run supports as ``(name, data, draw)``:
``data`` is the tidy table behind the chart, ``draw(lang)`` returns the figure.
``make_figures(run, out_dir)`` saves every chart in Chinese and English
(PNG 300 dpi, SVG, PDF through ``charts.save_figure``) and the tables behind
them as XLSX (one sheet per chart, and one of the recommendations with every
label and its evidence, crime areas included) and CSV with BOM.
``build_report`` executes
the notebooks (``notebooks/*.ipynb``, parameters injected papermill-style),
converts them to HTML, and writes ``report.html``: every chart and its table,
and links to the executed notebooks. ``report.html`` is always written: a
notebook that fails is named on the page (and in ``Report.failed``) instead
of taking the whole report down with it (``BuiltReport.failed``).

With one resolution in the corpus the "across" charts compare its annexes
and sections; with several they compare resolutions (and annexes in them).
"""

from __future__ import annotations

import base64
import html
import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .explore import Run, load
from .outputs import write_csv, write_xlsx

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

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

#: Columns of the recommendations sheet of ``chart_tables.xlsx``: every label
#: with the words it rests on, for an analyst to filter in a spreadsheet.
RECOMMENDATION_SHEET = ("rec_id", "resolution", "acting_body", "part", "label", "section", "actor", "actor_group",
                        "strength", "strength_family", "strength_score", "themes", "primary_theme",
                        "theme_evidence", "crime_areas", "crime_area_evidence", "needs_review", "text")


def chart_specs(run: Run) -> list[tuple[str, pd.DataFrame, Callable[[str], object]]]:
    """The charts of a run: name, the table behind it, and a drawing function."""
    from . import charts, coverage

    recs = run.recommendations
    several = recs["resolution"].nunique() > 1
    specs: list[tuple[str, pd.DataFrame, Callable]] = []

    def add(name, data, draw):
        specs.append((name, data, draw))

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
                        timeline.facet_by_session(recs, facet, lang), lang=lang, facet=facet))
    prec = run.tables.get("precedents")
    if prec is not None and len(prec) and recs["resolution"].nunique() > 1:
        drift = precedents.drift(prec)
        add("language_drift", drift, lambda lang: timeline.plot_language_drift(drift, lang=lang))
    return specs


def make_figures(run: Run, out_dir: str | Path | None = None, langs=("zh", "en")) -> dict[str, dict]:
    """Save every chart (each language) and the tables behind them."""
    import matplotlib.pyplot as plt

    from . import charts

    out = Path(out_dir) if out_dir else run.processed / "figures"
    out.mkdir(parents=True, exist_ok=True)
    resolutions = run.resolutions
    written: dict[str, dict] = {}
    sheets = {}
    for name, data, draw in chart_specs(run):
        for lang in langs:
            fig = draw(lang)
            fig = getattr(fig, "figure", fig)
            source = charts.source_text(resolutions, lang=lang)
            written[f"{name}_{lang}"] = charts.save_figure(fig, f"{name}_{lang}", out_dir=out, source=source)
            plt.close(fig)
        write_csv(data, out / f"{name}.csv")
        sheets[name] = data
    recs = run.recommendations
    sheets["recommendations"] = recs[[c for c in RECOMMENDATION_SHEET if c in recs.columns]]
    write_xlsx(sheets, out / "chart_tables.xlsx")
    logger.info("figures: %d charts in %s", len(written), out)
    return written


def execute_notebook(path: str | Path, parameters: dict, out_path: str | Path | None = None,
                     cwd: str | Path | None = None, timeout: int = 600):
    """Execute a notebook with ``parameters`` injected after its ``parameters``
    cell (papermill's convention), write the executed copy, return it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    idx = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if parameters:
        source = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(0 if idx is None else idx + 1, cell)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or Path(path).parent)}})
    # The kernel's own stderr holds only start-up chatter (transport
    # warnings); cell errors come back through the notebook's outputs.
    client.execute(stderr=subprocess.DEVNULL)
    if out_path:
        nbformat.write(nb, out_path)
    return nb


def notebook_html(nb) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


@dataclass
class BuiltReport:
    """``path`` of ``report.html``; ``failed``: ``(notebook, error)`` for each
    notebook that could not be executed (the page names them)."""

    path: Path
    failed: list[tuple[str, str]] = field(default_factory=list)


def build_report(processed: str | Path = "data/processed", notebooks: str | Path | None = None,
                 execute: bool = True) -> BuiltReport:
    """Figures, executed notebooks and ``report.html`` in ``processed``
    (``notebooks``: the folder of notebooks, by default the project's)."""
    processed = Path(processed).resolve()
    notebooks = Path(notebooks) if notebooks is not None else NOTEBOOKS
    run = load(processed)
    figures = make_figures(run)
    report_dir = processed / "report"
    if report_dir.exists():
        shutil.rmtree(report_dir)
    report_dir.mkdir(parents=True)
    nb_links, failed = [], []
    if execute:
        for nb_path in sorted(notebooks.glob("[0-9]*.ipynb")):
            params = {"PROCESSED": str(processed)}
            try:
                nb = execute_notebook(nb_path, params, report_dir / nb_path.name, cwd=notebooks)
            except Exception as exc:  # one notebook's failure must not cost the rest of the report
                text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # the kernel colours its tracebacks
                reason = text.splitlines()[-1] if text else type(exc).__name__
                failed.append((nb_path.name, reason))
                logger.warning("%s could not be executed: %s", nb_path.name, reason)
                continue
            (report_dir / f"{nb_path.stem}.html").write_text(notebook_html(nb), encoding="utf-8")
            nb_links.append(nb_path.stem)
            logger.info("executed %s", nb_path.name)
    page = _report_page(run, figures, nb_links, failed)
    target = processed / "report.html"
    target.write_text(page, encoding="utf-8")
    return BuiltReport(target, failed)


def _report_page(run: Run, figures: dict[str, dict], nb_links: list[str],
                 failed: list[tuple[str, str]] = ()) -> str:
    recs = run.recommendations
    docs = run.documents
    parts = [
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
        "<title>COP 决议建议分析报告 / COP recommendations report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.5}"
        "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 6px}h2{border-bottom:2px solid #0072B2}</style></head><body>",
        "<h1>COP 决议建议分析报告<br><small>Recommendations of the COP to UNTOC: analysis report</small></h1>",
        f"<p>{len(docs)} resolution(s): {html.escape(', '.join(run.resolutions))}; "
        f"{len(recs)} recommendations; created {html.escape(run.manifest.get('created', ''))}; "
        f"lexicon {html.escape(str(run.manifest.get('lexicon_versions', {})))}</p>",
    ]
    if nb_links or failed:
        parts.append("<h2>Notebooks</h2><ul>" + "".join(
            f"<li><a href='report/{html.escape(n)}.html'>{html.escape(n)}</a></li>" for n in nb_links) + "".join(
            f"<li>{html.escape(n)}: <b>could not be executed</b> ({html.escape(e)})</li>" for n, e in failed)
            + "</ul>")
    specs = {name: data for name, data, _ in chart_specs(run)}
    for name, data in specs.items():
        zh, en = TITLES.get(name, (name, name))
        parts.append(f"<h2>{html.escape(zh)} / {html.escape(en)}</h2>")
        for lang in ("zh", "en"):
            files = figures.get(f"{name}_{lang}")
            if files:
                png = Path(files["png"])
                b64 = base64.b64encode(png.read_bytes()).decode()
                parts.append(f"<p><img alt='{html.escape(name)} ({lang})' src='data:image/png;base64,{b64}'><br>"
                             f"<a href='figures/{png.stem}.pdf'>PDF</a> · <a href='figures/{png.stem}.svg'>SVG</a></p>")
        table = data.head(200)
        parts.append(f"<details><summary>Table ({len(data)} rows) · <a href='figures/{name}.csv'>CSV</a> · "
                     "<a href='figures/chart_tables.xlsx'>XLSX</a></summary>"
                     + table.to_html(index=False, border=0) + "</details>")
    parts.append("</body></html>")
    return "\n".join(parts)
