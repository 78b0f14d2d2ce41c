"""Helpers the notebooks call: load a run's tables, filter, highlight, explore.

Contract
--------
``load(processed)`` reads the tables ``cop-analysis run`` wrote (Parquet) into
a ``Run`` (missing tables are empty, and logged), all from the one run
``processed/current`` points at (``outputs.run_folder``), so that a run
switching its outputs in meanwhile cannot mix two runs' tables.
``filter_recommendations`` filters by resolution, actor group, strength
family, theme, crime area and a text search.
``highlight`` and ``evidence_html`` render a recommendation with the spans
that produced its labels marked, for the notebooks to display.
``explorer`` builds the interactive (ipywidgets) filter; headless it is
still a valid widget and the notebooks show a static table beside it.

The small tables each notebook shows, all functions from tables to tables
(none writes a file):

* reading (01): ``tables_overview``, ``structure`` (parts and sections in
  document order with counts), ``footnotes`` (with the paragraphs citing
  them);
* tokens (02): ``token_view``, ``terms_wide``, ``dictionary_coverage``,
  ``out_of_dictionary``, ``synonyms_folded`` (through ``analysis.tokenise``'s
  public API, so they count exactly what the pipeline counts);
* classification (03): ``is_classified``/``missing_columns``, ``unlabelled``,
  ``evaluation``/``evaluation_headline``;
* coverage (04): ``coverage_wide`` (themes or crime areas, by code or by
  name: ``label_name``), ``actor_strength_by_resolution``;
* overlap and citations (05): ``filter_pairs``, ``pairs_explorer``,
  ``clusters_table``, ``with_overlap``, ``citation_summary``;
* one resolution (06): ``pick_resolution`` (the one asked for, or the
  run's latest), ``subset`` (every table restricted to it; refuses a
  resolution the run does not hold, naming those it does) and
  ``brief_markdown`` (the brief's text, ``lang="zh"|"en"``).

What always holds: an empty or missing table gives an empty result (or a
sentence saying so), never an exception, so the notebooks run on a corpus
without citations or overlap; a run made before classification was wired
is detected (``is_classified``) and the notebooks say what is missing.

Notebooks hold no functions of their own: anything two notebooks would both
need lives here.
"""

from __future__ import annotations

import html
import json
import logging
import numbers
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .coverage import as_list
from .outputs import read_table, run_folder

logger = logging.getLogger(__name__)

TABLES = ("documents", "paragraphs", "recommendations", "unplaced", "provisions", "overlap", "clusters",
          "citations", "review_queue", "term_frequencies", "precedents")


@dataclass
class Run:
    """The tables of one run, by name (``run.recommendations`` …).

    ``processed``: the output folder as given (figures and reports go
    there); ``folder``: where the run's files were read from."""

    processed: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    folder: Path | None = None

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def resolutions(self) -> list[str]:
        from .coverage import resolution_key

        docs = self.tables["documents"]
        keys = {str(k) for units in docs["units"] for k in units} if "units" in docs else set()
        return sorted(keys, key=resolution_key)


def load(processed: str | Path = "data/processed") -> Run:
    """Read the tables of a run; say clearly when the run has not been made."""
    processed = Path(processed)
    for attempt in range(3):
        folder = run_folder(processed)
        try:
            return _load(processed, folder)
        except FileNotFoundError:
            # A run switched in and removed the generation being read: read the new one.
            if attempt == 2 or run_folder(processed) == folder:
                raise
    raise AssertionError("unreachable")


def _load(processed: Path, folder: Path) -> Run:
    if not (folder / "recommendations.parquet").exists():
        raise FileNotFoundError(f"{processed} holds no run: run `cop-analysis run` first")
    run = Run(processed, folder=folder)
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            run.tables[name] = read_table(folder, name)
        else:
            logger.info("%s: no %s table", processed, name)
            run.tables[name] = pd.DataFrame()
    manifest = folder / "manifest.json"
    if manifest.exists():
        run.manifest = json.loads(manifest.read_text(encoding="utf-8"))
    return run


#: The crime-area filter's value for rows that name no crime (the Convention in general).
GENERAL = "(general)"


def filter_recommendations(recs: pd.DataFrame, *, resolution: str | None = None, actor_group: str | None = None,
                           strength_family: str | None = None, theme: str | None = None,
                           crime_area: str | None = None, search: str | None = None) -> pd.DataFrame:
    """Rows matching every given filter (``None`` or ``"(all)"`` means no filter).

    ``crime_area``: a code (``TIP`` …: rows naming that crime, among others),
    or ``GENERAL`` for the rows that name none (the Convention in general).

    >>> df = pd.DataFrame({"resolution": ["1/1", "1/2"], "actor_group": ["States", "UNODC"],
    ...                    "strength_family": ["应", "鼓励"], "themes": [["TA"], ["LEG", "TA"]],
    ...                    "text": ["各国应提供培训", "请毒罪办更新"]})
    >>> filter_recommendations(df, theme="LEG")["resolution"].tolist()
    ['1/2']
    >>> filter_recommendations(df, search="培训")["resolution"].tolist()
    ['1/1']
    >>> df["crime_areas"] = [["TIP", "SOM"], []]
    >>> filter_recommendations(df, crime_area="SOM")["resolution"].tolist()
    ['1/1']
    >>> filter_recommendations(df, crime_area=GENERAL)["resolution"].tolist()
    ['1/2']
    """
    mask = pd.Series(True, index=recs.index)
    for col, value in (("resolution", resolution), ("actor_group", actor_group),
                       ("strength_family", strength_family)):
        if value not in (None, "", "(all)") and col in recs:
            mask &= recs[col].astype(str) == str(value)
    if theme not in (None, "", "(all)") and "themes" in recs:
        mask &= recs["themes"].map(lambda v: theme in as_list(v))
    if crime_area not in (None, "", "(all)") and "crime_areas" in recs:
        if crime_area == GENERAL:
            mask &= recs["crime_areas"].map(lambda v: not as_list(v))
        else:
            mask &= recs["crime_areas"].map(lambda v: crime_area in as_list(v))
    if search:
        mask &= recs["text"].str.contains(search, regex=False, na=False)
    return recs[mask]


def highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """HTML of ``text`` with ``(start, end, label)`` spans marked.

    Overlapping spans are merged into the first; labels show on hover.

    >>> highlight("各国应考虑培训", [(0, 2, "actor"), (2, 5, "strength")])
    '<span class="ev ev-actor" title="actor">各国</span><span class="ev ev-strength" title="strength">应考虑</span>培训'
    """
    out, pos = [], 0
    for start, end, label in sorted((s for s in spans if s[1] > s[0]), key=lambda s: (s[0], -s[1])):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        cls = html.escape(label.split(":")[0])
        out.append(f'<span class="ev ev-{cls}" title="{html.escape(label)}">{html.escape(text[start:end])}</span>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


EVIDENCE_CSS = """<style>
.ev{border-radius:3px;padding:0 1px}
.ev-actor{background:#cfe3f7;border-bottom:2px solid #0072B2}
.ev-strength{background:#fbe3c4;border-bottom:2px solid #D55E00}
.ev-condition{background:#eeeeee;border-bottom:2px dotted #555}
.ev-theme{background:#d9f0e3;border-bottom:2px solid #009E73}
.ev-crime{background:#f3d9ea;border-bottom:2px solid #CC79A7}
.ev-shared{background:#fff3a8}
.chapeau{color:#666}
table.recs td{vertical-align:top;text-align:left}
</style>"""


_EVIDENCE_STR = re.compile(r"^(?P<label>[^:@]+):(?P<term>.*)@(?P<start>\d+)-(?P<end>\d+)$")


def evidence_spans(row, source: str = "text") -> list[tuple[int, int, str]]:
    """Spans behind a classified row's labels, from its evidence columns.

    ``source`` picks the string the spans point into: ``"text"`` (the
    default) or ``"chapeau"``: the classifier reads the actor and the cue of
    a sub-item ``4(a)`` from its chapeau (``actor_source == "chapeau"``), and
    those offsets are offsets into the chapeau, not into ``text``.

    >>> row = {"actor_span": [0, 2], "actor_source": "text", "strength_span": [0, 1],
    ...        "strength_source": "chapeau", "theme_evidence": ["TA:培训@5-7"],
    ...        "crime_area_evidence": ["TIP:贩运人口@9-13"]}
    >>> evidence_spans(row)
    [(0, 2, 'actor'), (5, 7, 'theme:培训 (TA)'), (9, 13, 'crime:贩运人口 (TIP)')]
    >>> evidence_spans(row, "chapeau")
    [(0, 1, 'strength')]
    >>> import numpy as np  # spans read back from Parquet hold numpy integers
    >>> evidence_spans({"actor_span": [np.int64(2), np.int64(4)]})
    [(2, 4, 'actor')]
    """
    spans: list[tuple[int, int, str]] = []
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))

    def add(value, label):
        for item in _evidence_items(value):
            if isinstance(item, str):
                m = _EVIDENCE_STR.match(item)
                if m:  # ``CODE:word@start-end`` (the classifier's theme evidence)
                    spans.append((int(m["start"]), int(m["end"]), f"{label}:{m['term']} ({m['label']})"))
            elif isinstance(item, dict) and "start" in item and "end" in item:
                spans.append((int(item["start"]), int(item["end"]), f"{label}:{item.get('term', item.get('text', ''))}"
                              + (f" ({item['theme']})" if item.get("theme") else "")))
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                spans.append((int(item[0]), int(item[1]), label))

    def source_of(field_source):
        v = get(field_source)
        return "text" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)

    if source_of("actor_source") == source:
        add(get("actor_span"), "actor")
    if source_of("strength_source") == source:
        add(get("strength_span"), "strength")
    if source == "text":
        add(get("condition_spans"), "condition")
        add(get("theme_evidence"), "theme")
        add(get("crime_area_evidence"), "crime")
    return spans


def _evidence_items(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        if _EVIDENCE_STR.match(value):
            return [value]
        try:
            value = json.loads(value)
        except ValueError:
            return [x for x in value.split("|") if _EVIDENCE_STR.match(x)]
    if isinstance(value, dict):
        if "start" in value:
            return [value]
        items = []
        for theme, hits in value.items():
            for h in _evidence_items(hits):
                if isinstance(h, dict):
                    h = {**h, "theme": h.get("theme", theme)}
                items.append(h)
        return items
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        # a single [start, end] span (numpy integers once read back from Parquet)
        if len(value) == 2 and all(isinstance(v, numbers.Real) for v in value):
            return [value] if value[1] > value[0] else []
        return [v for v in value if v is not None]
    return []


def evidence_html(recs: pd.DataFrame, columns=("rec_id", "actor_group", "strength", "primary_theme"),
                  lang: str | None = "zh") -> str:
    """An HTML table: labels, then the text with its evidence highlighted.

    Labels are shown by their codebook names in ``lang`` (headings too);
    ``lang=None`` shows the codes, as the machine tables hold them. A
    sub-item whose actor or cue comes from its chapeau shows the chapeau
    (in grey, its evidence marked) before its own text.
    """
    shown = _named_cells(recs, columns, lang) if lang is not None and len(recs) else None
    rows = []
    for i, (_, r) in enumerate(recs.iterrows()):
        cells = "".join(f"<td>{html.escape(_cell(shown[c].iloc[i] if shown is not None and c in shown else r.get(c, '')))}</td>"
                        for c in columns)
        chapeau = r.get("chapeau")
        lead = ""
        if isinstance(chapeau, str) and chapeau:
            lead = f'<span class="chapeau">{highlight(chapeau, evidence_spans(r, "chapeau"))}</span> '
        rows.append(f"<tr>{cells}<td>{lead}{highlight(str(r['text']), evidence_spans(r))}</td></tr>")
    head = "".join(f"<th>{html.escape(heading(c, lang) if lang else c)}</th>" for c in (*columns, "text"))
    return f'{EVIDENCE_CSS}<table class="recs"><tr>{head}</tr>{"".join(rows)}</table>'


def _cell(v) -> str:
    """A table cell as text: lists joined with |, missing values empty.

    >>> _cell(["TA", "LEG"]), _cell(None), _cell(pd.NA), _cell(3)
    ('TA|LEG', '', '', '3')
    """
    if hasattr(v, "tolist") and not isinstance(v, str):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return "|".join(map(str, v))
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def pairs_html(overlap: pd.DataFrame, recs: pd.DataFrame, n: int = 10) -> str:
    """The closest pairs side by side, their shared spans marked."""
    if overlap is None or overlap.empty:
        return "<p>No pairs of similar recommendations. / 没有相似的建议对。</p>"
    text = recs.set_index("rec_id")["text"]
    rows = []
    for _, p in overlap.sort_values("similarity", ascending=False).head(n).iterrows():
        cells = []
        for rid in (p["rec_id_a"], p["rec_id_b"]):
            t = text.get(rid, "")
            spans = []
            for s in as_list(p.get("shared_spans")):
                s = str(s)
                start = t.find(s)
                if s and start >= 0:
                    spans.append((start, start + len(s), "shared"))
            cells.append(f"<td><b>{html.escape(rid)}</b><br>{highlight(t, spans)}</td>")
        terms = "、".join(map(str, as_list(p.get("shared_terms"))[:8]))
        rows.append(f"<tr><td>{p['similarity']:.2f}<br><small>{html.escape(terms)}</small></td>{''.join(cells)}</tr>")
    return (f'{EVIDENCE_CSS}<table class="recs"><tr><th>similarity / shared terms</th><th>A</th><th>B</th></tr>'
            f'{"".join(rows)}</table>')


def explorer(recs: pd.DataFrame, columns=("rec_id", "actor_group", "strength", "strength_family", "primary_theme",
                                          "crime_areas", "text"), lang: str = "zh"):
    """An ipywidgets filter over the recommendations (resolution, actor group,
    strength family, theme, crime area, text search). Returns the widget box.
    Every choice is offered by its name in ``lang`` (resolutions by unit
    name, actor groups, strength families, themes, crime areas), the value
    it filters on staying the code; a run made before crime areas existed
    has no crime-area filter."""
    import ipywidgets as w
    from IPython.display import HTML, display

    from .charts import actor_group_name
    from .coverage import adopting_body

    def options(col, listed=False, label=str):
        if col not in recs:
            return ["(all)"]
        values = {x for v in recs[col] for x in (as_list(v) if listed else [v]) if x is not None and x == x}
        return ["(all)", *((label(v), v) for v in sorted(map(str, values)))]

    from . import charts

    body = adopting_body(recs)
    zh = lang == "zh"
    res = w.Dropdown(options=options("resolution", label=lambda k: _unit_of(k, lang)),
                     description="决议" if zh else "Unit")
    # by name (the Body group under the acting body's name); the value stays the code
    actor = w.Dropdown(options=options("actor_group", label=lambda g: actor_group_name(g, lang, body)),
                       description="行为方" if zh else "Actor")
    strength = w.Dropdown(options=options("strength_family", label=lambda f: strength_family_name(f, lang)),
                          description="强度" if zh else "Strength")
    names = charts.theme_names()
    theme_opts = ["(all)", *((names[c][0 if zh else 1], c) for c in names
                             if any(c in as_list(v) for v in recs.get("themes", [])))]
    theme = w.Dropdown(options=theme_opts, description="主题" if zh else "Theme")
    crime = w.Dropdown(options=crime_area_options(recs, lang), description="犯罪领域" if zh else "Crime")
    search = w.Text(description="搜索" if zh else "Search")
    out = w.Output()

    def refresh(*_):
        out.clear_output()
        with out:
            shown = filter_recommendations(recs, resolution=res.value, actor_group=actor.value,
                                           strength_family=strength.value, theme=theme.value,
                                           crime_area=crime.value, search=search.value)
            display(HTML(f"<p>{len(shown)} / {len(recs)}</p>"))
            display(HTML(evidence_html(shown, columns=[c for c in columns if c != "text" and c in shown], lang=lang)))

    for widget in (res, actor, strength, theme, crime, search):
        widget.observe(refresh, names="value")
    refresh()
    return w.VBox([w.HBox([res, actor, strength]), w.HBox([theme, crime, search]), out])


def search_widget(recs: pd.DataFrame, lang: str = "zh"):
    """Agreed-language search as a widget: a query box and filters (actor
    group, strength family, body, years) over ``analysis.search.search``; the
    keyword-in-context table in time order. Returns the widget box."""
    import ipywidgets as w
    from IPython.display import HTML, display

    from .search import search

    def choices(col):
        if col not in recs:
            return ["(all)"]
        return ["(all)", *sorted({str(v) for v in recs[col] if v is not None and v == v})]

    query = w.Text(description="检索" if lang == "zh" else "Find", placeholder="证人保护")
    actor = w.Dropdown(options=choices("actor_group"), description="行为方" if lang == "zh" else "Actor")
    family = w.Dropdown(options=choices("strength_family"), description="强度" if lang == "zh" else "Strength")
    body = w.Dropdown(options=choices("body"), description="机构" if lang == "zh" else "Body")
    years = sorted({int(y) for y in recs.get("year", pd.Series(dtype=float)).dropna()}) or [0]
    span = w.IntRangeSlider(value=(years[0], years[-1]), min=years[0], max=years[-1],
                            description="年份" if lang == "zh" else "Years")
    out = w.Output()

    def refresh(*_):
        out.clear_output()
        if not query.value.strip():
            return
        pick = {k: (None if v == "(all)" else v) for k, v in
                (("actor_group", actor.value), ("strength_family", family.value), ("body", body.value))}
        hits = search(recs, query.value, year_from=span.value[0], year_to=span.value[1], **pick)
        with out:
            rows = "".join(
                f"<tr><td>{'' if pd.isna(y) else int(y)}</td><td>{html.escape(str(r))}</td>"
                f"<td style='text-align:right'>{html.escape(a)}</td><td><mark>{html.escape(m)}</mark></td>"
                f"<td>{html.escape(b)}</td><td>{html.escape(str(g or ''))} · {html.escape(str(s or ''))}</td></tr>"
                for y, r, a, m, b, g, s in zip(hits["year"], hits["rec_id"], hits["left"], hits["match"],
                                               hits["right"], hits["actor_group"], hits["strength"]))
            display(HTML(f"<p>{len(hits)}</p><table class='recs'>{rows}</table>"))

    for widget in (query, actor, family, body, span):
        widget.observe(refresh, names="value")
    return w.VBox([w.HBox([query, actor, family]), w.HBox([body, span]), out])


def crime_area_options(recs: pd.DataFrame, lang: str = "zh") -> list:
    """The crime-area filter's choices: ``(all)``, then ``(name, code)`` for
    the areas the rows name, in codebook order, then the rows that name none
    (the Convention in general, value ``GENERAL``).

    >>> crime_area_options(pd.DataFrame({"crime_areas": [["SOM"], ["TIP", "SOM"], []]}), "en")
    ['(all)', ('Trafficking in persons', 'TIP'), ('Smuggling of migrants', 'SOM'), ('Convention in general', '(general)')]
    """
    from .charts import CRIME_GENERAL, crime_area_names

    if "crime_areas" not in recs:
        return ["(all)"]
    names = crime_area_names()
    seen = {a for v in recs["crime_areas"] for a in as_list(v)}
    i = 0 if lang == "zh" else 1
    opts: list = ["(all)", *((names[c][i], c) for c in names if c in seen),
                  *((c, c) for c in sorted(seen - set(names)))]
    if any(not as_list(v) for v in recs["crime_areas"]):
        opts.append((CRIME_GENERAL[i], GENERAL))
    return opts


# --------------------------------------------------------------------------
# What a run holds (notebook 1)
# --------------------------------------------------------------------------

#: Columns the classifier adds that the classification, coverage and brief
#: notebooks read. A run made before classification was wired lacks them.
CLASSIFIED = ("actor_group", "strength", "strength_family", "strength_score", "themes", "primary_theme")


def missing_columns(df: pd.DataFrame, columns=CLASSIFIED) -> list[str]:
    """The ``columns`` that ``df`` lacks (all of them for an empty frame without columns).

    >>> missing_columns(pd.DataFrame({"themes": [], "actor_group": []}), ["themes", "strength"])
    ['strength']
    """
    return [c for c in columns if c not in df.columns]


def is_classified(recs: pd.DataFrame) -> bool:
    """Whether the recommendations carry the classifier's labels."""
    return not missing_columns(recs, CLASSIFIED)


def tables_overview(run: Run) -> pd.DataFrame:
    """One row per table a run can hold: ``[table, rows, columns, written]``.

    ``written`` is False for a table the run did not write (an earlier stage
    of the project, or a stage that was skipped); the notebooks then say so
    instead of failing.
    """
    rows = []
    for name in TABLES:
        path = (run.folder or run.processed) / f"{name}.parquet"
        df = run.tables.get(name, pd.DataFrame())
        rows.append({"table": name, "rows": len(df), "columns": len(df.columns), "written": path.exists()})
    return pd.DataFrame(rows, columns=["table", "rows", "columns", "written"])


def _unit(resolution, part, lang: str = "zh") -> str:
    from .coverage import unit_label

    return unit_label(resolution, part, lang)


def structure(paragraphs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Each resolution's parts and sections in document order, with counts.

    One row per (resolution, part, section): ``unit`` (``11/2 附件一``),
    ``section`` (annex section heading, empty where there is none), then the
    number of paragraphs of each kind (``preamble``, ``operative``,
    ``recommendation`` …), ``recommendations`` (rows with a ``rec_id``) and
    ``footnote_marks`` (footnote marks cited from those paragraphs).
    Footnote bodies are not part of any unit (see ``footnotes``).

    >>> p = pd.DataFrame({"resolution": ["1/1"] * 4, "part": ["body", "body", "I", "I"],
    ...                   "section": [None, None, "甲", "甲"], "rec_id": [None, "1/1:body:1", None, "1/1:I:a"],
    ...                   "kind": ["preamble", "operative", "heading", "recommendation"],
    ...                   "footnotes": [["1"], [], [], []]})
    >>> structure(p)[["unit", "section", "recommendations", "footnote_marks"]].values.tolist()
    [['1/1 正文', '', 1, 1], ['1/1 附件一', '甲', 1, 0]]
    """
    cols = ["resolution", "unit", "part", "section"]
    if paragraphs.empty:
        return pd.DataFrame(columns=[*cols, "recommendations", "footnote_marks"])
    p = paragraphs[paragraphs["kind"] != "footnote"].copy()
    p["section"] = p["section"].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    p["unit"] = [_unit(r, part, lang) for r, part in zip(p["resolution"], p["part"])]
    p["_marks"] = p["footnotes"].map(lambda v: len(as_list(v)))
    p["_rec"] = p["rec_id"].notna()
    keys = ["resolution", "unit", "part", "section"]
    order = p[keys].drop_duplicates().reset_index(drop=True)
    kinds = pd.crosstab([p[k] for k in keys], p["kind"])
    kind_order = [k for k in ("preamble", "operative", "annex_title", "intro", "heading", "recommendation")
                  if k in kinds.columns] + sorted(set(kinds.columns) - {"preamble", "operative", "annex_title",
                                                                        "intro", "heading", "recommendation"})
    totals = p.groupby(keys, sort=False).agg(recommendations=("_rec", "sum"), footnote_marks=("_marks", "sum"))
    out = order.join(kinds[kind_order], on=keys).join(totals, on=keys)
    for c in (*kind_order, "recommendations", "footnote_marks"):
        out[c] = out[c].fillna(0).astype(int)
    return out


def footnotes(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Footnote bodies with the paragraphs citing them: ``[resolution, label, text, cited_by]``.

    A footnote nobody cites has an empty ``cited_by`` (the reader logs it as
    a warning too).
    """
    cols = ["resolution", "label", "text", "cited_by"]
    if paragraphs.empty:
        return pd.DataFrame(columns=cols)
    notes = paragraphs[paragraphs["kind"] == "footnote"]
    body = paragraphs[paragraphs["kind"] != "footnote"]
    cited: dict[tuple[str, str], list[str]] = {}
    for res, pid, marks in zip(body["resolution"], body["para_id"], body["footnotes"]):
        for m in as_list(marks):
            cited.setdefault((str(res), str(m)), []).append(str(pid))
    rows = [{"resolution": r, "label": lab, "text": t, "cited_by": cited.get((str(r), str(lab)), [])}
            for r, lab, t in zip(notes["resolution"], notes["label"], notes["text"])]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------
# Tokens and terms (notebook 2)
# --------------------------------------------------------------------------

def _groups(recs: pd.DataFrame, by: str | None) -> list[list[str]]:
    if by is None:
        return [["all"]] * len(recs)
    if by not in recs.columns:
        raise KeyError(f"no column {by!r} in the table")
    return [[str(x) for x in as_list(v)] if not isinstance(v, str) else [v] for v in recs[by]]


def token_view(recs: pd.DataFrame, n: int = 3, tokeniser=None) -> pd.DataFrame:
    """The first ``n`` recommendations as jieba cuts them and as the content
    tokens counted everywhere else: ``[rec_id, cut, tokens]`` (words joined
    with `` / ``), to see what the dictionary, the synonyms and the stopwords do."""
    from .tokenise import get_tokeniser

    tok = tokeniser or get_tokeniser()
    head = recs.head(n)
    return pd.DataFrame({"rec_id": head["rec_id"].tolist(),
                         "cut": [" / ".join(tok.cut(str(t))) for t in head["text"]],
                         "tokens": [" / ".join(tok.tokens(str(t))) for t in head["text"]]})


def terms_wide(freq: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """A ``[group, term, count, rank]`` table (``tokenise.term_frequencies``,
    ``coverage.top_terms``) as one column per group, ``term (count)`` by rank.

    >>> f = pd.DataFrame({"group": ["A", "A", "B"], "term": ["培训", "资源", "数据"],
    ...                   "count": [3, 1, 2], "rank": [1, 2, 1]})
    >>> terms_wide(f).to_dict("list")
    {'A': ['培训 (3)', '资源 (1)'], 'B': ['数据 (2)', '']}
    """
    if freq is None or freq.empty:
        return pd.DataFrame()
    f = freq[freq["rank"] <= n].copy()
    f["cell"] = f["term"].astype(str) + " (" + f["count"].astype(str) + ")"
    out = f.pivot(index="rank", columns="group", values="cell").fillna("")
    out = out[sorted(out.columns, key=_group_key)]
    out.columns.name = None
    return out


def dictionary_coverage(recs: pd.DataFrame, by: str | None = "resolution", tokeniser=None) -> pd.DataFrame:
    """How much of the text the domain dictionary accounts for, per group.

    ``[group, tokens, dictionary_tokens, share, terms, dictionary_terms]``:
    content tokens (``analysis.tokenise``: synonyms folded, stopwords and
    punctuation dropped) and distinct terms, overall and among the domain
    dictionary's words (``userdict.txt`` plus every synonym and canonical
    form). ``by`` as in ``tokenise.term_frequencies`` (a list column such as
    ``themes`` counts a row in each of its groups).
    """
    from .tokenise import get_tokeniser, tokens_column

    tok = tokeniser or get_tokeniser()
    words = set(tok.words)
    cols = ["group", "tokens", "dictionary_tokens", "share", "terms", "dictionary_terms"]
    if recs.empty:
        return pd.DataFrame(columns=cols)
    counts: dict[str, Counter] = {}
    for groups, toks in zip(_groups(recs, by), tokens_column(recs, tok)):
        for g in groups:
            counts.setdefault(g, Counter()).update(as_list(toks))
    rows = []
    for g in sorted(counts, key=_group_key):
        c = counts[g]
        total = sum(c.values())
        in_dict = sum(n for t, n in c.items() if t in words)
        rows.append({"group": g, "tokens": total, "dictionary_tokens": in_dict,
                     "share": in_dict / total if total else 0.0, "terms": len(c),
                     "dictionary_terms": sum(1 for t in c if t in words)})
    return pd.DataFrame(rows, columns=cols)


def _group_key(g: str):
    from .coverage import resolution_key

    return resolution_key(g)


def out_of_dictionary(recs: pd.DataFrame, n: int = 20, min_chars: int = 2, tokeniser=None) -> pd.DataFrame:
    """The most frequent content tokens the domain dictionary does not list.

    ``[term, count, recommendations]``: candidates for ``userdict.txt``
    (a domain term jieba happens to keep whole today may be split in
    another context) or for ``stopwords.txt``. Single characters are left
    out (``min_chars``).
    """
    from .tokenise import get_tokeniser, tokens_column

    tok = tokeniser or get_tokeniser()
    words = set(tok.words)
    count: Counter = Counter()
    docs: Counter = Counter()
    if not recs.empty:
        for toks in tokens_column(recs, tok):
            toks = [t for t in as_list(toks) if len(t) >= min_chars and t not in words]
            count.update(toks)
            docs.update(set(toks))
    ranked = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return pd.DataFrame([{"term": t, "count": c, "recommendations": docs[t]} for t, c in ranked],
                        columns=["term", "count", "recommendations"])


def synonyms_folded(recs: pd.DataFrame, tokeniser=None) -> pd.DataFrame:
    """The synonym variants found in the texts and what they were folded to.

    ``[variant, canonical, occurrences, recommendations, rec_ids]``, most
    frequent first. Variants are matched as the tokeniser folds them:
    longest first, on the text.
    """
    from .lexicon import alternation
    from .tokenise import get_tokeniser

    tok = tokeniser or get_tokeniser()
    synonyms = dict(tok.lexicon.synonyms)
    cols = ["variant", "canonical", "occurrences", "recommendations", "rec_ids"]
    if not synonyms or recs.empty:
        return pd.DataFrame(columns=cols)
    pattern = re.compile(alternation(synonyms))
    hits: Counter = Counter()
    where: dict[str, list[str]] = {}
    for rid, text in zip(recs["rec_id"], recs["text"]):
        for m in pattern.finditer(str(text)):
            v = m.group(0)
            hits[v] += 1
            ids = where.setdefault(v, [])
            if not ids or ids[-1] != rid:
                ids.append(str(rid))
    rows = [{"variant": v, "canonical": synonyms[v], "occurrences": c, "recommendations": len(where[v]),
             "rec_ids": where[v]} for v, c in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------
# Classification (notebook 3)
# --------------------------------------------------------------------------

def coverage_wide(cov: pd.DataFrame, value: str = "count", *, row: str = "theme",
                  lang: str | None = None) -> pd.DataFrame:
    """A ``coverage.theme_coverage`` (or ``crime_area_coverage``, with
    ``row="crime_area"``) table as label rows x unit columns, units in
    document order (``unit_order``), labels in the table's order. With
    ``lang``, rows are named as in the codebook (the no-category row as the
    charts name it) instead of by code.

    >>> cov = pd.DataFrame({"unit": ["1/1 正文", "1/1 附件一"] * 2, "theme": ["TA", "TA", "LEG", "LEG"],
    ...                     "count": [1, 2, 0, 3], "unit_order": [0, 1, 0, 1]})
    >>> coverage_wide(cov).values.tolist()
    [[1, 2], [0, 3]]
    >>> coverage_wide(cov, lang="en").index.tolist()
    ['Technical assistance and capacity-building', 'Legislation, case law and knowledge management']
    """
    if cov is None or cov.empty:
        return pd.DataFrame()
    units = cov.sort_values("unit_order")["unit"].drop_duplicates().tolist() if "unit_order" in cov else list(
        dict.fromkeys(cov["unit"]))
    labels = list(dict.fromkeys(cov[row]))
    out = cov.pivot_table(index=row, columns="unit", values=value, aggfunc="sum", sort=False)
    out = out.reindex(index=labels, columns=units)
    out.columns.name = None
    if lang is not None:
        # for reading: the no-category row only when some unit has one
        from . import charts

        none = [v for v in out.index if isinstance(v, str) and v.strip() in charts.NONE_VALUES]
        out = out.drop(index=[v for v in none if not out.loc[v].fillna(0).to_numpy().any()])
        out.index = [label_name(row, v, lang) for v in out.index]
        out.columns = [charts.unit_label(str(u), lang) for u in out.columns]
    return out


def label_name(kind: str, code, lang: str = "zh") -> str:
    """How a person reads a code of a facet (``theme``, ``crime_area``):
    its codebook name; the no-category label as the charts show it.

    >>> label_name("crime_area", "SOM", "en"), label_name("crime_area", "未分类"), label_name("theme", "(none)", "en")
    ('Smuggling of migrants', '公约总体（未指明犯罪）', 'No theme')
    """
    from . import charts

    names, none = ((charts.crime_area_names(), charts.CRIME_GENERAL) if kind == "crime_area"
                   else (charts.theme_names(), charts.THEME_NONE))
    i = 0 if lang == "zh" else 1
    if code is None or (isinstance(code, str) and code.strip() in charts.NONE_VALUES):
        return none[i]
    return names[code][i] if code in names else str(code)


def actor_strength_by_resolution(recs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.actor_strength`` per resolution, side by side: rows actor
    group x strength family (rows without either counted under the
    no-category label, never dropped), one column per resolution."""
    from .coverage import actor_strength

    if recs.empty:
        return pd.DataFrame()
    from . import charts
    from .coverage import adopting_body

    cols = {}
    for res in sorted(recs["resolution"].astype(str).unique(), key=_group_key):
        t = actor_strength(recs[recs["resolution"].astype(str) == res], lang=lang)
        cols[res] = t.set_index(["actor_group", "strength_family"])["count"]
    out = pd.concat(cols, axis=1).fillna(0).astype(int)
    out = out[out.sum(axis=1) > 0]
    # names, not codes: actor group (the Body under the adopting body's name
    # when the units share one) and family in ``lang``, units by name
    body = adopting_body(recs)

    def clean(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v) in charts.NONE_VALUES else v

    out.index = pd.MultiIndex.from_tuples(
        [(charts.actor_group_name(clean(g), lang, body), strength_family_name(clean(f), lang)) for g, f in out.index],
        names=[heading("actor_group", lang), heading("strength_family", lang)])
    out.columns = [_unit_of(c, lang) for c in out.columns]
    return out


def unlabelled(recs: pd.DataFrame) -> pd.DataFrame:
    """What the classifier matched nothing for: ``[label, without, of, share]``.

    ("3 of 28 recommendations have no theme"), rather than dropping them.

    >>> df = pd.DataFrame({"actor_group": ["States", None], "strength_family": ["应", "应"],
    ...                    "themes": [["TA"], []], "needs_review": [False, True]})
    >>> unlabelled(df)[["label", "without"]].values.tolist()
    [['actor_group', 1], ['strength_family', 0], ['themes', 1], ['needs_review', 1]]
    """
    rows = []
    n = len(recs)
    for col in ("actor_group", "strength_family", "themes", "needs_review"):
        if col not in recs:
            continue
        if col == "themes":
            k = int(recs[col].map(lambda v: not as_list(v)).sum())
        elif col == "needs_review":
            k = int(recs[col].fillna(False).astype(bool).sum())
        else:
            k = int(recs[col].map(lambda v: v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v))).sum())
        rows.append({"label": col, "without": k, "of": n, "share": k / n if n else 0.0})
    out = pd.DataFrame(rows, columns=["label", "without", "of", "share"])
    return out


def evaluation():
    """The classifier scored against the gold annotation (``analysis.evaluate``),
    or None (logged) when the module or the annotation files are not there."""
    try:
        from . import evaluate
    except ImportError:
        logger.info("no analysis.evaluate module: no evaluation")
        return None
    try:
        gold = evaluate.load_gold()
    except FileNotFoundError as exc:  # a broken annotation file is an error the analyst must see
        logger.info("no gold annotation: %s", exc)
        return None
    if gold is None or not len(gold):
        logger.info("the gold annotation is empty: no evaluation")
        return None
    return evaluate.evaluate(gold)


def evaluation_headline(ev) -> pd.DataFrame:
    """Accuracy of each label, real resolutions and written probes apart:
    ``[subset, label, correct, rows, accuracy]``."""
    rows = []
    for (subset, fld), t in getattr(ev, "label_tables", {}).items():
        acc = t[t["label"] == "accuracy"]
        if len(acc):
            a = acc.iloc[0]
            rows.append({"subset": subset, "label": fld, "correct": int(round(a["f1"] * a["support"])),
                         "rows": int(a["support"]), "accuracy": float(a["f1"])})
    extra = getattr(ev, "extra_accuracy", None)
    out = pd.DataFrame(rows, columns=["subset", "label", "correct", "rows", "accuracy"])
    if extra is not None and len(extra):
        out = pd.concat([out, extra[["subset", "label", "correct", "rows", "accuracy"]]], ignore_index=True)
    return out.sort_values(["subset", "label"]).reset_index(drop=True)


# --------------------------------------------------------------------------
# Overlap and citations (notebook 5)
# --------------------------------------------------------------------------

def clusters_table(clusters: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    """Cluster members with their text: ``[cluster_id, cluster_label, size, rec_id, resolution, text]``."""
    cols = ["cluster_id", "cluster_label", "size", "rec_id", "resolution", "text"]
    if clusters is None or clusters.empty:
        return pd.DataFrame(columns=cols)
    info = recs.set_index("rec_id")[["resolution", "text"]] if len(recs) else pd.DataFrame(
        columns=["resolution", "text"])
    out = clusters.join(info, on="rec_id")
    return out[[c for c in cols if c in out.columns]].sort_values(["cluster_id", "rec_id"]).reset_index(drop=True)


def with_overlap(recs: pd.DataFrame, overlap: pd.DataFrame | None = None,
                 clusters: pd.DataFrame | None = None) -> pd.DataFrame:
    """``recs`` plus each recommendation's nearest neighbour and cluster:
    ``nearest``, ``nearest_similarity``, ``cluster_id``, ``cluster_label``."""
    out = recs.copy()
    best: dict[str, tuple[str, float]] = {}
    if overlap is not None and len(overlap):
        for a, b, s in zip(overlap["rec_id_a"], overlap["rec_id_b"], overlap["similarity"]):
            for x, y in ((a, b), (b, a)):
                if x not in best or s > best[x][1]:
                    best[x] = (y, float(s))
    out["nearest"] = out["rec_id"].map(lambda r: best.get(r, (None, None))[0])
    out["nearest_similarity"] = out["rec_id"].map(lambda r: best.get(r, (None, None))[1])
    if clusters is not None and len(clusters):
        c = clusters.drop_duplicates("rec_id").set_index("rec_id")
        out["cluster_id"] = out["rec_id"].map(c["cluster_id"]).astype("Int64")
        out["cluster_label"] = out["rec_id"].map(c["cluster_label"])
    else:
        out["cluster_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["cluster_label"] = None
    return out


def citation_summary(citations: pd.DataFrame) -> pd.DataFrame:
    """What each resolution cites, once per item: ``[resolution, cited_kind,
    cited, cited_body, times, citation_types, paragraphs]``, resolutions and
    documents first."""
    cols = ["resolution", "cited_kind", "cited", "cited_body", "times", "citation_types", "paragraphs"]
    if citations is None or citations.empty:
        return pd.DataFrame(columns=cols)
    kind_order = {k: i for i, k in enumerate(("resolution", "document", "treaty", "article", "date"))}
    c = citations.copy()
    c["cited_body"] = c["cited_body"].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    g = c.groupby(["resolution", "cited_kind", "cited", "cited_body"], sort=False, dropna=False)
    out = g.agg(times=("cited", "size"),
                citation_types=("citation_type", lambda s: sorted({str(x) for x in s if isinstance(x, str)})),
                paragraphs=("para_id", lambda s: list(dict.fromkeys(map(str, s))))).reset_index()
    out["_k"] = out["cited_kind"].map(lambda k: kind_order.get(k, 99))
    out["_r"] = out["resolution"].map(_group_key)
    out["_c"] = out["cited"].map(_group_key)
    out = out.sort_values(["_r", "_k", "_c"])
    return out[cols].reset_index(drop=True)


def filter_pairs(overlap: pd.DataFrame, recs: pd.DataFrame, *, resolution: str | None = None,
                 across_only: bool = False, min_similarity: float = 0.0, search: str | None = None) -> pd.DataFrame:
    """Pairs involving ``resolution`` (either side), across resolutions only,
    at least ``min_similarity``, or whose texts contain ``search``.

    >>> pairs = pd.DataFrame({"rec_id_a": ["1/1:I:a", "1/1:I:a"], "rec_id_b": ["1/1:I:b", "2/1:I:a"],
    ...                       "similarity": [0.8, 0.4], "same_resolution": [True, False]})
    >>> recs = pd.DataFrame({"rec_id": ["1/1:I:a", "1/1:I:b", "2/1:I:a"], "resolution": ["1/1", "1/1", "2/1"],
    ...                      "text": ["培训", "资源", "培训课程"]})
    >>> filter_pairs(pairs, recs, resolution="2/1")["rec_id_b"].tolist()
    ['2/1:I:a']
    >>> filter_pairs(pairs, recs, search="资源", min_similarity=0.5)["rec_id_b"].tolist()
    ['1/1:I:b']
    """
    if overlap is None or overlap.empty:
        return pd.DataFrame(columns=list(overlap.columns) if overlap is not None else [])
    res = recs.set_index("rec_id")["resolution"].astype(str) if len(recs) else pd.Series(dtype=str)
    text = recs.set_index("rec_id")["text"].astype(str) if len(recs) else pd.Series(dtype=str)
    mask = overlap["similarity"] >= min_similarity
    if resolution not in (None, "", "(all)"):
        mask &= (overlap["rec_id_a"].map(res) == resolution) | (overlap["rec_id_b"].map(res) == resolution)
    if across_only:
        mask &= ~overlap["same_resolution"].astype(bool)
    if search:
        mask &= (overlap["rec_id_a"].map(text).str.contains(search, regex=False, na=False)
                 | overlap["rec_id_b"].map(text).str.contains(search, regex=False, na=False))
    return overlap[mask]


def pairs_explorer(overlap: pd.DataFrame, recs: pd.DataFrame, n: int = 15):
    """An ipywidgets filter over the closest pairs (resolution, across
    resolutions only, minimum similarity, text search), shown side by side."""
    import ipywidgets as w
    from IPython.display import HTML, display

    resolutions = sorted(map(str, recs["resolution"].unique()), key=_group_key) if len(recs) else []
    res = w.Dropdown(options=["(all)", *resolutions], description="决议")
    across = w.Checkbox(value=False, description="仅跨决议")
    sim = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="相似度≥")
    search = w.Text(description="搜索")
    out = w.Output()

    def refresh(*_):
        out.clear_output()
        with out:
            shown = filter_pairs(overlap, recs, resolution=res.value, across_only=across.value,
                                 min_similarity=sim.value, search=search.value)
            display(HTML(f"<p>{len(shown)} / {0 if overlap is None else len(overlap)}</p>"))
            display(HTML(pairs_html(shown, recs, n=n)))

    for widget in (res, across, sim, search):
        widget.observe(refresh, names="value")
    refresh()
    return w.VBox([w.HBox([res, across]), w.HBox([sim, search]), out])


# --------------------------------------------------------------------------
# One resolution (notebook 6)
# --------------------------------------------------------------------------

def pick_resolution(run: Run, resolution: str | None = None) -> str:
    """``resolution``, or when it is None the run's latest unit in time
    (``bodies.time_key``): what notebook 06 briefs by default, so that it
    runs on any corpus, not only one holding a given resolution."""
    if resolution is not None:
        return str(resolution)
    if not run.resolutions:
        raise KeyError(f"{run.processed} holds no resolution")
    return run.resolutions[-1]


def subset(run: Run, resolution: str) -> Run:
    """The tables of ``run`` restricted to one resolution.

    Overlap pairs are kept when either side belongs to the resolution (the
    pairs across resolutions are what a brief is after); clusters when one
    member does. Raises ``KeyError`` listing the run's resolutions when
    ``resolution`` is not among them.
    """
    resolution = str(resolution)
    if resolution not in run.resolutions:
        raise KeyError(f"resolution {resolution} is not in {run.processed} "
                       f"(it holds {', '.join(run.resolutions) or 'none'})")
    recs = run.tables.get("recommendations", pd.DataFrame())
    own = set(recs.loc[recs["resolution"].astype(str) == resolution, "rec_id"]) if len(recs) else set()
    docs = run.tables.get("documents", pd.DataFrame())
    files = ({f for f, units in zip(docs["source_file"], docs["units"]) if resolution in {str(u) for u in units}}
             if len(docs) else set())
    tables = {}
    for name, df in run.tables.items():
        if df.empty:
            tables[name] = df
        elif name == "overlap" and {"rec_id_a", "rec_id_b"} <= set(df.columns):
            tables[name] = df[df["rec_id_a"].isin(own) | df["rec_id_b"].isin(own)].reset_index(drop=True)
        elif name == "clusters" and "rec_id" in df.columns:
            ids = set(df.loc[df["rec_id"].isin(own), "cluster_id"])
            tables[name] = df[df["cluster_id"].isin(ids)].reset_index(drop=True)
        elif name == "term_frequencies" and "group" in df.columns:
            tables[name] = df[df["group"].astype(str) == resolution].reset_index(drop=True)
        elif "resolution" in df.columns:
            tables[name] = df[df["resolution"].astype(str) == resolution].reset_index(drop=True)
        elif "rec_id" in df.columns:
            tables[name] = df[df["rec_id"].isin(own)].reset_index(drop=True)
        elif "source_file" in df.columns:
            tables[name] = df[df["source_file"].isin(files)].reset_index(drop=True)
        else:
            tables[name] = df
    return Run(run.processed, tables, run.manifest, run.folder)


_BRIEF = {
    "heading": ("第 {r} 号决议：{title}", "Resolution {r}: {title}"),
    "body": ("通过机构：{body}。来源文件：`{file}`（sha256 `{sha}`）。",
             "Adopted by: {body}. Source file: `{file}` (sha256 `{sha}`)."),
    "counts": ("{p} 段序言、{o} 段执行部分；共 {n} 条建议：{parts}。",
               "{p} preambular and {o} operative paragraphs; {n} recommendations: {parts}."),
    "sections": ("附件各节：{s}。", "Annex sections: {s}."),
    "who": ("谁被要求采取行动：{w}。", "Who is asked to act: {w}."),
    "strongest": ("语气最强（分值 ≥ 4）的建议 {k} 条：{ids}。",
                  "Strongest asks (score ≥ 4): {k}: {ids}."),
    "themes": ("主题：{t}。", "Themes: {t}."),
    "no_theme": ("{k} 条建议没有主题。", "{k} recommendation(s) have no theme."),
    "crime_areas": ("犯罪领域：{t}；{k} 条建议未指明犯罪（公约总体）。",
                    "Crime areas: {t}; {k} recommendation(s) name no crime (the Convention in general)."),
    "no_crime_area": ("犯罪领域：没有建议指明具体犯罪（均涉及公约总体）。",
                      "Crime areas: no recommendation names a crime (all concern the Convention in general)."),
    "review": ("{k} 条建议需要人工复核：{ids}。", "{k} recommendation(s) need review: {ids}."),
    "not_classified": ("本次运行没有分类结果（行为方、语气、主题），请重新运行 `cop-analysis run`。",
                       "This run holds no classification (actor, strength, theme): rerun `cop-analysis run`."),
    "cites": ("引用：{c}。", "Cites: {c}."),
    "no_cites": ("没有识别出引用。", "No citations found."),
    "related": ("其他决议中最相近的建议：{pairs}。", "Closest recommendations in other resolutions: {pairs}."),
    "no_related": ("其他决议中没有相近的建议。", "No close recommendation in other resolutions."),
    "unplaced": ("阅读器未能归位的行：{k}。", "Lines the reader could not place: {k}."),
    "sep": ("；", "; "),
    "list": ("、", ", "),
}


def _b(key: str, lang: str, **kw) -> str:
    return _BRIEF[key][0 if lang == "zh" else 1].format(**kw)


def _names(table: dict, key, lang: str) -> str:
    if key in table:
        return table[key][0 if lang == "zh" else 1]
    return str(key)


def brief_markdown(run: Run, resolution: str, lang: str = "zh") -> str:
    """A short markdown brief of one resolution: what it is, its structure,
    who is asked to do what and how strongly, its themes, what it cites and
    its closest recommendations in other resolutions."""
    from . import charts
    from .coverage import as_list

    sub = subset(run, resolution)
    docs, paras, recs = sub.documents, sub.paragraphs, sub.recommendations
    doc = docs.iloc[0]
    # the unit's title and acting body are on its paragraph rows (a file may hold several units)
    unit = paras.iloc[0] if len(paras) else {"resolution_title": "", "acting_body": ""}
    sep, lst = _b("sep", lang), _b("list", lang)
    out = [f"## {_b('heading', lang, r=resolution, title=unit['resolution_title'])}", "",
           _b("body", lang, body=unit["acting_body"], file=doc["source_file"], sha=str(doc["source_sha256"])[:12])]
    kinds = paras["kind"].value_counts() if len(paras) else pd.Series(dtype=int)
    # operative paragraphs 1, 2, 3 …, not their sub-items 2(a), 2(b)
    operative = int(((paras["kind"] == "operative") & ~paras["label"].astype(str).str.contains("(", regex=False)).sum()
                    ) if len(paras) else 0
    parts = []
    for part, g in recs.groupby("part", sort=False):
        parts.append(f"{_unit(resolution, part, lang).split(' ', 1)[-1]} {len(g)}")
    out += ["", "- " + _b("counts", lang, p=int(kinds.get("preamble", 0)), o=operative,
                            n=len(recs), parts=lst.join(parts) or "0")]
    sections = [s for s in dict.fromkeys(recs["section"]) if isinstance(s, str) and s] if len(recs) else []
    if sections:
        counts = recs["section"].value_counts()
        out.append("- " + _b("sections", lang, s=lst.join(f"{s}（{counts[s]}）" if lang == "zh" else f"{s} ({counts[s]})"
                                                       for s in sections)))
    if is_classified(recs) and len(recs):
        from .coverage import adopting_body

        body = adopting_body(recs)
        groups = []
        for g, gdf in recs.groupby(recs["actor_group"].map(lambda v: v if isinstance(v, str) else None),
                                   dropna=False, sort=False):
            fams = gdf["strength_family"].map(lambda v: _names(charts.STRENGTH_FAMILIES, v if isinstance(v, str)
                                                              else None, lang)).value_counts()
            detail = lst.join(f"{f} {c}" for f, c in fams.items())
            who = charts.actor_group_name(g, lang, body)
            groups.append((len(gdf), f"{who} {len(gdf)}（{detail}）" if lang == "zh" else f"{who} {len(gdf)} ({detail})"))
        out.append("- " + _b("who", lang, w=sep.join(t for _, t in sorted(groups, key=lambda x: -x[0]))))
        strong = recs[pd.to_numeric(recs["strength_score"], errors="coerce").fillna(0) >= 4]
        if len(strong):
            out.append("- " + _b("strongest", lang, k=len(strong), ids=lst.join(strong["rec_id"].head(12))
                                 + ("…" if len(strong) > 12 else "")))
        names = charts.theme_names()
        theme_counts = Counter(t for v in recs["themes"] for t in as_list(v))
        if theme_counts:
            ranked = sorted(theme_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            out.append("- " + _b("themes", lang, t=lst.join(f"{_names(names, t, lang)} {c}" for t, c in ranked)))
        none = int(recs["themes"].map(lambda v: not as_list(v)).sum())
        if none:
            out.append("- " + _b("no_theme", lang, k=none))
        if "crime_areas" in recs:
            areas = charts.crime_area_names()
            area_counts = Counter(a for v in recs["crime_areas"] for a in as_list(v))
            general = int(recs["crime_areas"].map(lambda v: not as_list(v)).sum())
            if area_counts:
                ranked = sorted(area_counts.items(), key=lambda kv: (-kv[1], list(areas).index(kv[0])
                                                                     if kv[0] in areas else len(areas)))
                out.append("- " + _b("crime_areas", lang, t=lst.join(f"{_names(areas, a, lang)} {c}"
                                                                       for a, c in ranked), k=general))
            else:
                out.append("- " + _b("no_crime_area", lang))
        if "needs_review" in recs:
            rev = recs[recs["needs_review"].fillna(False).astype(bool)]
            if len(rev):
                out.append("- " + _b("review", lang, k=len(rev), ids=lst.join(rev["rec_id"])))
    else:
        out.append("- " + _b("not_classified", lang))
    cites = citation_summary(sub.citations)
    cites = cites[cites["cited_kind"].isin(["resolution", "document", "treaty"])] if len(cites) else cites
    if len(cites):
        items = [f"{c}" + (f"（{b}）" if b and lang == "zh" else f" ({b})" if b else "")
                 for c, b in zip(cites["cited"], cites["cited_body"])]
        out.append("- " + _b("cites", lang, c=lst.join(items)))
    else:
        out.append("- " + _b("no_cites", lang))
    pairs = sub.overlap
    if len(pairs) and "same_resolution" in pairs:
        across = pairs[~pairs["same_resolution"].astype(bool)].sort_values("similarity", ascending=False).head(5)
        if len(across):
            out.append("- " + _b("related", lang, pairs=lst.join(
                f"{a} ↔ {b} ({s:.2f})" for a, b, s in zip(across["rec_id_a"], across["rec_id_b"],
                                                          across["similarity"]))))
        elif len(run.resolutions) > 1:
            out.append("- " + _b("no_related", lang))
    if len(sub.unplaced):
        out.append("- " + _b("unplaced", lang, k=len(sub.unplaced)))
    return "\n".join(out)


# --------------------------------------------------------------------------
# Tables for reading: names, never codes
# --------------------------------------------------------------------------
#
# What a person reads (a notebook's table, a spreadsheet sheet) shows the
# codebook's names in the chosen language; the codes stay in the machine
# tables (Parquet, CSV), which keep their columns unchanged.

#: Column headings of the tables for reading.
_HEADINGS = {
    "rec_id": ("编号", "ID"),
    "unit": ("单元", "Unit"),
    "part": ("部分", "Part"),
    "label": ("项", "Item"),
    "section": ("节", "Section"),
    "actor": ("行为方（原文）", "Actor (as written)"),
    "actor_group": ("行为方类别", "Actor group"),
    "strength": ("语气（原文）", "Strength cue (as written)"),
    "strength_en": ("语气", "Strength"),
    "strength_family": ("语气强度", "Strength family"),
    "strength_score": ("强度分值", "Strength score"),
    "themes": ("行动主题", "Action themes"),
    "primary_theme": ("主要主题", "Primary theme"),
    "crime_areas": ("犯罪领域", "Crime areas"),
    "conditions": ("条件", "Conditions"),
    "needs_review": ("需复核", "Needs review"),
    "overridden": ("已人工更正", "Corrected by hand"),
    "text": ("原文", "Text (as written)"),
    "count": ("建议条数", "Recommendations"),
    "share": ("比例", "Share"),
    "n_recs": ("该单元建议条数", "Recommendations in the unit"),
    "n_theme": ("该主题建议条数", "Recommendations with the theme"),
    "theme": ("行动主题", "Action theme"),
    "crime_area": ("犯罪领域", "Crime area"),
    "group": ("组", "Group"),
    "term": ("词", "Term"),
    "rank": ("名次", "Rank"),
    "resolution": ("单元", "Unit"),
    "similarity": ("相似度", "Similarity"),
    "rec_id_a": ("建议 A", "Recommendation A"),
    "rec_id_b": ("建议 B", "Recommendation B"),
    "session": ("届会", "Session"),
    "year": ("年份", "Year"),
}

_YES_NO = {True: ("是", "yes"), False: ("否", "no")}


def heading(column: str, lang: str = "zh") -> str:
    """A column's heading in a table for reading.

    >>> heading("actor_group", "en"), heading("themes")
    ('Actor group', '行动主题')
    """
    names = _HEADINGS.get(column)
    return names[0 if lang == "zh" else 1] if names else column


def strength_family_name(family, lang: str = "zh") -> str:
    """A strength family by its codebook name.

    >>> strength_family_name("鼓励", "en"), strength_family_name(None, "zh")
    ('encourages', '未分类')
    """
    from . import charts

    return charts._name(charts.STRENGTH_FAMILIES, family if isinstance(family, str) and family else None, lang)


def _unit_of(key, lang: str) -> str:
    from .bodies import unit_name

    return unit_name(str(key), lang)


def _body_code(acting_body) -> str | None:
    from .bodies import body_of

    if not isinstance(acting_body, str) or not acting_body.strip():
        return "COP"
    return body_of(acting_body)


def readable_recommendations(recs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The recommendations as an analyst reads them: unit and part by name,
    actor group, strength, themes and crime areas by their codebook names in
    ``lang`` (list cells as lists: a writer joins them), the words the labels
    rest on as written. No column holds a code but the ``rec_id`` (the
    key to find a row in the machine tables).

    >>> df = pd.DataFrame({"rec_id": ["11/2:I:a"], "resolution": ["11/2"], "part": ["I"], "label": ["a"],
    ...                    "actor_group": ["States"], "strength": ["应"], "strength_family": ["应"],
    ...                    "strength_score": [5], "themes": [["TA", "LEG"]], "primary_theme": ["TA"],
    ...                    "crime_areas": [[]], "text": ["各国应…"]})
    >>> row = readable_recommendations(df, "en").iloc[0]
    >>> row["Unit"], row["Part"], row["Actor group"], row["Strength"], row["Action themes"], row["Crime areas"]
    ('COP resolution 11/2', 'annex I', 'States', 'should', ['Technical assistance and capacity-building', 'Legislation, case law and knowledge management'], ['Convention in general'])
    """
    from . import charts
    from .coverage import unit_label
    from .lexicon import load_lexicon

    if recs is None or recs.empty:
        return pd.DataFrame(columns=[heading(c, lang) for c in ("rec_id", "unit", "text")])
    i = 0 if lang == "zh" else 1
    themes, areas = charts.theme_names(), charts.crime_area_names()
    cues = load_lexicon().cues
    out = pd.DataFrame(index=recs.index)
    out["rec_id"] = recs["rec_id"].astype(str)
    out["unit"] = recs["resolution"].map(lambda k: _unit_of(k, lang))
    if "part" in recs:
        out["part"] = [unit_label("", p, lang).strip() if isinstance(p, str) and p else "" for p in recs["part"]]
    for col in ("label", "section"):
        if col in recs:
            out[col] = recs[col].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    if "section" in out and lang == "en":
        from .glossary import english

        out["section"] = out["section"].map(lambda s: english(s) if s else "")
    if "actor" in recs:
        out["actor"] = recs["actor"].map(_cell)
    if "actor_group" in recs:
        bodies = recs["acting_body"].map(_body_code) if "acting_body" in recs else ["COP"] * len(recs)
        out["actor_group"] = [charts.actor_group_name(g if isinstance(g, str) and g else None, lang, b)
                              for g, b in zip(recs["actor_group"], bodies)]
    if "strength" in recs:
        if lang == "zh":
            out["strength"] = recs["strength"].map(_cell)
        else:
            out["strength_en"] = recs["strength"].map(
                lambda c: cues[c].en if isinstance(c, str) and c in cues and cues[c].en else _cell(c))
    if "strength_family" in recs:
        out["strength_family"] = recs["strength_family"].map(lambda f: strength_family_name(f, lang))
    if "strength_score" in recs:
        out["strength_score"] = pd.to_numeric(recs["strength_score"], errors="coerce").astype("Int64")
    if "themes" in recs:
        out["themes"] = recs["themes"].map(lambda v: [themes[t][i] if t in themes else t for t in as_list(v)]
                                           or [charts.THEME_NONE[i]])
    if "primary_theme" in recs:
        out["primary_theme"] = recs["primary_theme"].map(lambda t: label_name("theme", t if isinstance(t, str) and t
                                                                                  else None, lang))
    if "crime_areas" in recs:
        out["crime_areas"] = recs["crime_areas"].map(lambda v: [areas[a][i] if a in areas else a
                                                                for a in as_list(v)] or [charts.CRIME_GENERAL[i]])
    if "conditions" in recs:
        out["conditions"] = recs["conditions"].map(as_list)
    for col in ("needs_review", "overridden"):
        if col in recs:
            out[col] = recs[col].map(lambda v: _YES_NO[bool(v)][i] if v is not None and v == v else "")
    out["text"] = recs["text"].astype(str)
    out.columns = [heading(c, lang) for c in out.columns]
    return out.reset_index(drop=True)


def codebook_table() -> pd.DataFrame:
    """The codes of the machine tables and their names: ``[column, code,
    中文, English]`` for actor groups, strength families and scores, themes
    and crime areas (the ``codebook`` sheet of the spreadsheets)."""
    from . import charts

    rows = []
    for code, (zh, en) in charts.ACTOR_GROUPS.items():
        if code is not None:
            rows.append(("actor_group", code, zh, en + (" (the body that adopted the unit: its name in charts and "
                                                         "tables)" if code == "Body" else "")))
    for code, (zh, en) in charts.STRENGTH_FAMILIES.items():
        if code is not None:
            rows.append(("strength_family", code, zh, en))
    for score, (zh, en) in charts.STRENGTH_SCORES.items():
        rows.append(("strength_score", str(score), zh, en))
    for code, (zh, en) in charts.theme_names().items():
        rows.append(("themes / primary_theme", code, zh, en))
    for code, (zh, en) in charts.crime_area_names().items():
        rows.append(("crime_areas", code, zh, en))
    rows.append(("crime_areas", "(empty)", *charts.CRIME_GENERAL))
    rows.append(("part", "body", "正文", "body"))
    rows.append(("part", "I, II …", "附件一、附件二 …", "annex I, annex II …"))
    return pd.DataFrame(rows, columns=["column", "code", "中文", "English"])


def sources_table(documents: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The inputs a run read: ``[file, sha256, format, encoding, units]``,
    units by name (the ``sources`` sheet of the spreadsheets)."""
    cols = ["file", "sha256", "format", "encoding", "units"]
    if documents is None or documents.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame({
        "file": documents["source_file"].astype(str),
        "sha256": documents["source_sha256"].astype(str),
        "format": documents.get("source_format", pd.Series([""] * len(documents))).map(_cell),
        "encoding": documents.get("encoding", pd.Series([""] * len(documents))).map(_cell),
        "units": documents["units"].map(lambda us: [f"{_unit_of(u, lang)} ({u})" for u in as_list(us)])
        if "units" in documents else [[]] * len(documents),
    })


def readable_table(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A chart's tidy table for reading: code columns (``theme``,
    ``crime_area``, ``actor_group``, ``strength_family``, a ``group`` of
    themes, unit keys) by name, headings by name; numbers as they are.

    >>> t = pd.DataFrame({"theme": ["TA", "未分类"], "count": [2, 1]})
    >>> readable_table(t, "en").values.tolist()
    [['Technical assistance and capacity-building', 2], ['No theme', 1]]
    """
    from . import charts

    out = df.copy()
    if {"value", "label"} <= set(out.columns):  # a facet's code beside its name (timeline.facet_by_session)
        out = out.drop(columns="value")
    for col in out.columns:
        if col in ("theme", "primary_theme"):
            out[col] = out[col].map(lambda v: label_name("theme", v, lang))
        elif col == "crime_area":
            out[col] = out[col].map(lambda v: label_name("crime_area", v, lang))
        elif col == "actor_group":
            out[col] = out[col].map(lambda v: charts.actor_group_name(v if isinstance(v, str) and v.strip()
                                                                      not in charts.NONE_VALUES else None, lang))
        elif col == "strength_family":
            out[col] = out[col].map(lambda v: strength_family_name(v if isinstance(v, str) and v.strip()
                                                                   not in charts.NONE_VALUES else None, lang))
        elif col == "group":
            names = charts.theme_names()
            out[col] = out[col].map(lambda v: label_name("theme", v, lang) if v in names
                                    or (isinstance(v, str) and v.strip() in charts.NONE_VALUES)
                                    else _unit_of(v, lang))
        elif col in ("rec_id_a", "rec_id_b"):
            out[col] = out[col].map(lambda v: charts.rec_label(v, lang))
        elif col == "resolution":
            out[col] = out[col].map(lambda v: _unit_of(v, lang))
        elif col == "unit" and lang == "en":
            out[col] = out[col].map(lambda v: charts.unit_label(str(v), "en"))
        elif col == "term" and lang == "en":
            from .glossary import english

            out.insert(out.columns.get_loc(col) + 1, "term_en", out[col].map(english))
    out.columns = [("English" if c == "term_en" else heading(c, lang)) for c in out.columns]
    return out


def recommendations_workbook(recs: pd.DataFrame, documents: pd.DataFrame | None = None,
                             review_queue: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The sheets of ``recommendations.xlsx``: the recommendations for
    reading in English and in Chinese (``readable_recommendations``), those
    needing review, the ``codebook`` (codes of the machine tables and their
    names) and the ``sources`` (input files, sha256, units)."""
    sheets = {"recommendations (en)": readable_recommendations(recs, "en"),
              "建议 (zh)": readable_recommendations(recs, "zh")}
    if review_queue is not None and len(review_queue) and "rec_id" in review_queue and len(recs):
        queue = recs[recs["rec_id"].isin(set(review_queue["rec_id"]))]
        sheets["needs review (en)"] = readable_recommendations(queue, "en")
    sheets["codebook"] = codebook_table()
    sheets["sources"] = sources_table(documents if documents is not None else pd.DataFrame())
    return sheets


def _named_cells(recs: pd.DataFrame, columns, lang: str) -> pd.DataFrame:
    """``columns`` of ``recs`` with codes replaced by names (lists joined with 、 or ", ")."""
    from . import charts

    i = 0 if lang == "zh" else 1
    sep = "、" if lang == "zh" else ", "
    themes, areas = charts.theme_names(), charts.crime_area_names()
    out = {}
    bodies = recs["acting_body"].map(_body_code) if "acting_body" in recs else pd.Series(["COP"] * len(recs),
                                                                                         index=recs.index)
    for c in columns:
        if c not in recs:
            continue
        col = recs[c]
        if c == "actor_group":
            out[c] = [charts.actor_group_name(g if isinstance(g, str) and g else None, lang, b)
                      for g, b in zip(col, bodies)]
        elif c == "strength_family":
            out[c] = [strength_family_name(f, lang) for f in col]
        elif c in ("themes", "themes_rules", "themes_model"):
            out[c] = [sep.join(themes[t][i] if t in themes else t for t in as_list(v)) or charts.THEME_NONE[i]
                      for v in col]
        elif c == "primary_theme":
            out[c] = [label_name("theme", t if isinstance(t, str) and t else None, lang) for t in col]
        elif c == "crime_areas":
            out[c] = [sep.join(areas[a][i] if a in areas else a for a in as_list(v)) or charts.CRIME_GENERAL[i]
                      for v in col]
        elif c == "resolution":
            out[c] = [_unit_of(k, lang) for k in col]
        else:
            out[c] = list(col)
    return pd.DataFrame(out, index=recs.index)


def named(df: pd.DataFrame, columns=None, lang: str = "zh") -> pd.DataFrame:
    """A table of recommendation-like rows (recommendations, provisions, the
    review queue) for display: the chosen ``columns`` with codes replaced by
    names in ``lang`` and headings by name.

    >>> df = pd.DataFrame({"rec_id": ["1/1:body:1"], "actor_group": ["UNODC"], "strength_family": ["鼓励"],
    ...                    "themes": [["TA", "LEG"]]})
    >>> named(df, lang="zh").values.tolist()
    [['1/1:body:1', '毒品和犯罪问题办公室', '鼓励', '技术援助与能力建设、立法、判例与知识管理']]
    """
    columns = [c for c in (columns or df.columns) if c in df.columns]
    if df is None or df.empty:
        return pd.DataFrame(columns=[heading(c, lang) for c in columns])
    out = _named_cells(df, columns, lang)
    out = out.map(lambda v: _cell(v) if isinstance(v, (list, tuple)) or hasattr(v, "tolist") else v)
    out.columns = [heading(c, lang) for c in out.columns]
    return out.reset_index(drop=True)


def actor_strength_wide(actors: pd.DataFrame, lang: str = "zh", body: str | None = "COP") -> pd.DataFrame:
    """``coverage.actor_strength`` as actor group rows x strength family
    columns, both by name in ``lang``, in codebook order; groups and
    families no recommendation has (all-zero rows and columns) left out.

    >>> t = pd.DataFrame({"actor_group": ["States", "States", "Other", "未分类"],
    ...                   "strength_family": ["应", "鼓励", "应", "应"], "count": [3, 1, 0, 0]})
    >>> actor_strength_wide(t, "en").to_dict()
    {'should': {'States': 3}, 'encourages': {'States': 1}}
    """
    from . import charts
    from .coverage import ACTOR_ORDER, FAMILY_ORDER

    if actors is None or actors.empty:
        return pd.DataFrame()

    def clean(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() in charts.NONE_VALUES \
            else v

    t = actors.assign(actor_group=actors["actor_group"].map(clean),
                      strength_family=actors["strength_family"].map(clean))
    t = t[t["count"] > 0]
    if t.empty:
        return pd.DataFrame()
    rows = [g for g in (*ACTOR_ORDER, None) if g in set(t["actor_group"])] + sorted(
        {g for g in t["actor_group"] if g is not None and g not in ACTOR_ORDER})
    cols = [f for f in (*FAMILY_ORDER, None) if f in set(t["strength_family"])] + sorted(
        {f for f in t["strength_family"] if f is not None and f not in FAMILY_ORDER})
    grid = {(g, f): c for g, f, c in t[["actor_group", "strength_family", "count"]].itertuples(index=False)}
    out = pd.DataFrame([[int(grid.get((g, f), 0)) for f in cols] for g in rows],
                       index=[charts.actor_group_name(g, lang, body) for g in rows],
                       columns=[strength_family_name(f, lang) for f in cols])
    return out


def cooccurrence_named(co: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.theme_cooccurrence`` with themes by name (rows and columns)."""
    if co is None or co.empty:
        return co
    out = co.copy()
    out.index = [label_name("theme", t, lang) for t in out.index]
    out.columns = [label_name("theme", t, lang) for t in out.columns]
    return out


def crime_theme_wide(by_theme: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``coverage.crime_area_by_theme`` as theme rows x crime area columns,
    both by name; a row or column no recommendation falls in is left out."""
    if by_theme is None or by_theme.empty:
        return pd.DataFrame()
    wide = by_theme.pivot_table(index="theme", columns="crime_area", values="count", aggfunc="sum", sort=False)
    wide = wide.reindex(index=list(dict.fromkeys(by_theme["theme"])),
                        columns=list(dict.fromkeys(by_theme["crime_area"]))).fillna(0).astype(int)
    wide = wide.loc[wide.sum(axis=1) > 0, wide.sum(axis=0) > 0]
    wide.index = [label_name("theme", t, lang) for t in wide.index]
    wide.columns = [label_name("crime_area", c, lang) for c in wide.columns]
    wide.columns.name = None
    return wide
