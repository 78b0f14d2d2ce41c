"""The notebooks' interactive parts (ipywidgets): ``explorer`` (the
recommendations), ``pairs_explorer`` (the overlap pairs) and
``search_widget`` (agreed-language search).

Contract
--------
Each returns a widget box; headless (no front end) it is still a valid
widget, and the notebooks show a static table beside it. Where no widget
can be drawn (the HTML copy of a notebook in the report, a viewer without
widgets) the box's text form says what it is and how to use it
(``STATIC_TEXT``) instead of the repr of its controls. Choices are
offered by name in ``lang`` while the values filtered on stay the codes
(``filters``); what is shown is ``evidence.evidence_html`` and
``evidence.pairs_html``, what is searched ``analysis.search.search``.

Why apart
---------
ipywidgets and IPython are imported only when a widget is built: the rest
of ``analysis.explore`` (the pipeline builds its workbook through it) never
needs them.
"""

from __future__ import annotations

import html
from functools import lru_cache

import pandas as pd

from ..tables import list_cell
from .evidence import evidence_html, pairs_html
from .filters import crime_area_options, filter_pairs, filter_recommendations
from .views import _group_key, _unit_of, strength_family_name


#: A widget box's text form (its ``text/plain``: what shows where widgets
#: are not drawn).
STATIC_TEXT = ("交互式筛选：在 JupyterLab 中运行本笔记本即可使用 · "
               "Interactive filter: run this notebook in JupyterLab to use it")


@lru_cache(maxsize=None)
def _box_class():
    import ipywidgets as w

    class FilterBox(w.VBox):
        """A ``VBox`` whose text form is ``STATIC_TEXT``."""

        def __repr__(self):
            return STATIC_TEXT

    return FilterBox


def _box(rows):
    return _box_class()(rows)


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

    from ..charts import actor_group_name
    from ..coverage import adopting_body

    def options(col, listed=False, label=str):
        if col not in recs:
            return ["(all)"]
        values = {x for v in recs[col] for x in (list_cell(v) if listed else [v]) if x is not None and x == x}
        return ["(all)", *((label(v), v) for v in sorted(map(str, values)))]

    from .. import charts

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
                             if any(c in list_cell(v) for v in recs.get("themes", [])))]
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
    return _box([w.HBox([res, actor, strength]), w.HBox([theme, crime, search]), out])


def search_widget(recs: pd.DataFrame, lang: str = "zh"):
    """Agreed-language search as a widget: a query box and filters (actor
    group, strength family, body, years) over ``analysis.search.search``; the
    keyword-in-context table in time order. Returns the widget box."""
    import ipywidgets as w
    from IPython.display import HTML, display

    from ..search import search

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
    return _box([w.HBox([query, actor, family]), w.HBox([body, span]), out])


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
    return _box([w.HBox([res, across]), w.HBox([sim, search]), out])
