"""Interactive versions of the overlap charts for the screen: plotly figures
whose hover reads the texts and whose click leads to the recommendation.

Contract
--------
``overlap_heatmap_figure(overlap, clusters, recs, lang=…)`` and
``overlap_network_figure(overlap, recs, lang=…)`` return
``plotly.graph_objects.Figure`` objects showing what ``plot_overlap_heatmap``
and ``plot_overlap_network`` print: the same recommendations in the same
order (or at the same place) under the same labels, because both renderers
take them from ``relations.heatmap_data`` / ``relations.network_data``.

* Hover on a heatmap cell or a network edge (the small diamond half-way
  along it) shows both recommendations (label and id), their texts
  (wrapped), the similarity and the passages they share; hover on a node
  or a diagonal cell shows that recommendation and its text.
* Every cell, edge and node carries its rec_id(s) as ``customdata``
  (``"a|b"`` for a pair): ``report.html`` scrolls to and marks those rows of
  its recommendations table on a click.
* ``lang="zh"`` or ``"en"``: titles, legends and labels in that language,
  from ``labels.TEXT`` as the print charts have them (names, never codes).
  The source texts are Chinese: in either language they are quoted
  (“…”), and nothing else in an English figure is Chinese.
* ``figure_json(fig)`` is the figure's JSON for ``Plotly.newPlot`` (Chinese
  kept literal, so ``pages.font_face`` finds the characters to embed);
  ``write_plotly_js(folder)`` writes plotly.js once into a folder
  (``plotly.min.js``, from the plotly package: nothing is fetched);
  ``notebook_view(fig)`` displays a figure in a notebook (JupyterLab draws
  plotly's own mimetype; an HTML export of the notebook draws it with the
  plotly.js that ``report_assets/`` beside it holds).

Why
---
Looking beats reading for these two charts: which two texts a dark cell
stands for is the question an analyst has, and a tooltip answers it where
the print chart needs a lookup in the CSV. matplotlib stays the renderer of
the print formats (PNG, SVG with editable text, PDF); plotly's figures also
render in JupyterLab and embed offline. The figures use the page's font
(``pages.FONT_FAMILY``, the embedded cut of the bundled font) for Chinese.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
import pandas as pd

from analysis.pages import FONT_STACK
from analysis.tables import list_cell

from .labels import _resolution_of, _t, rec_label, wrap_label
from .relations import heatmap_data, network_data
from .style import GREY, INK, LIGHT_GREY, SEQUENTIAL_CMAP

#: The font stack of the figures: the page's, whose Chinese comes from the
#: embedded cut of the bundled font unless the reader has a Chinese font.
FONT = FONT_STACK
#: matplotlib marker → plotly symbol, for the network's resolution shapes.
SYMBOLS = {"o": "circle", "s": "square", "D": "diamond", "^": "triangle-up", "v": "triangle-down",
           "p": "pentagon", "h": "hexagon", "8": "octagon"}
#: The words the hover texts add to ``labels.TEXT``.
WORDS = {
    "shared": ("共同措辞", "Shared wording"),
    "no_pair": ("未列入相似度表（相似度低）", "not in the overlap table (low similarity)"),
    "closest": ("图中相近的建议", "Close in this chart"),
    "edge_hint": ("线中点的菱形可悬停查看两条案文。", "Hover the diamond half-way along a line to read both texts."),
}
#: Columns of a hover text line (CJK characters count 2).
HOVER_WIDTH = 52


def _w(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


def _esc(text: str) -> str:
    return html.escape(str(text), quote=False)


#: Quoted source text is marked by this span, line by line (the text is the
#: resolution's Chinese in either language; everything else follows ``lang``).
SOURCE_SPAN = "<span style='color:#222222'>"


@lru_cache(maxsize=4096)  # each text is quoted once per pair it is in
def quoted(text: str, *, width: int = HOVER_WIDTH, max_lines: int = 7) -> str:
    """Source text as a hover shows it: wrapped, quoted, escaped, each line
    in a ``SOURCE_SPAN``, lines joined by ``<br>``.

    >>> quoted("鼓励缔约国<加强>合作", width=12)
    "<span style='color:#222222'>“鼓励缔约国&lt;</span><br><span style='color:#222222'>加强&gt;合作”</span>"
    """
    return "<br>".join(f"{SOURCE_SPAN}{_esc(line)}</span>"
                       for line in wrap_label(f"“{text}”", width, max_lines).split("\n"))


def _texts(recs: pd.DataFrame | None) -> dict[str, str]:
    if recs is None or "rec_id" not in recs or "text" not in recs:
        return {}
    return {str(r): "" if t is None or (isinstance(t, float) and pd.isna(t)) else str(t)
            for r, t in zip(recs["rec_id"], recs["text"])}


def _pair_rows(overlap: pd.DataFrame) -> dict[frozenset, dict]:
    """The overlap table's row of each unordered pair (the most similar one
    when the pair comes twice)."""
    rows: dict[frozenset, dict] = {}
    cols = [c for c in ("rec_id_a", "rec_id_b", "similarity", "shared_spans", "shared_terms") if c in overlap]
    for row in overlap[cols].to_dict("records"):
        key = frozenset((row["rec_id_a"], row["rec_id_b"]))
        if pd.isna(row["similarity"]) or len(key) < 2:
            continue
        if key not in rows or row["similarity"] > rows[key]["similarity"]:
            rows[key] = row
    return rows


def _rec_line(rec_id: str, lang: str) -> str:
    return f"<b>{_esc(rec_label(rec_id, lang))}</b> <span style='color:{GREY}'>({_esc(rec_id)})</span>"


def rec_hover(rec_id: str, text: str, lang: str) -> str:
    """One recommendation: label, id and text."""
    return _rec_line(rec_id, lang) + ("<br>" + quoted(text) if text else "")


def pair_hover(a: str, b: str, texts: dict[str, str], row: dict | None, lang: str) -> str:
    """A pair: both recommendations with their texts, the similarity and
    the passages they share (``row``: the overlap table's row, None for a
    pair the table does not hold)."""
    sim = _t("similarity", lang)
    lines = [_rec_line(a, lang) + " × " + _rec_line(b, lang)]
    if row is None:
        lines.append(f"{sim}: {_w('no_pair', lang)}")
    else:
        lines.append(f"<b>{sim} {float(row['similarity']):.2f}</b>")
    for r in (a, b):
        if texts.get(r):
            lines.append(f"{_esc(rec_label(r, lang))}:<br>" + quoted(texts[r]))
    spans = list_cell(row.get("shared_spans")) if row else []
    if spans:
        shown = "".join(f"“{s}”" for s in spans[:4])
        lines.append(f"{_w('shared', lang)}:<br>" + "<br>".join(
            f"{SOURCE_SPAN}{_esc(x)}</span>" for x in wrap_label(shown, HOVER_WIDTH, 3).split("\n")))
    return "<br>".join(lines)


def _colorscale(steps: int = 11) -> list[list]:
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    return [[i / (steps - 1), mpl.colors.to_hex(cmap(i / (steps - 1)))] for i in range(steps)]


def _layout(title: str, **kw) -> dict:
    return dict(title=dict(text=_esc(title).replace("\n", "<br>"), x=0, xanchor="left", font=dict(size=15)),
                font=dict(family=FONT, size=12, color=INK), template="none", paper_bgcolor="white",
                plot_bgcolor="white", hoverlabel=dict(font=dict(family=FONT, size=12, color=INK), align="left",
                                                      bgcolor="white", bordercolor=GREY),
                **kw)


def overlap_heatmap_figure(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None,
                           recs: pd.DataFrame | None = None, *, lang: str = "zh", top_n: int = 40,
                           title: str | None = None):
    """The similarity matrix of ``plot_overlap_heatmap`` as a plotly figure
    (same ``heatmap_data``): hover a cell for both texts, the similarity and
    the shared wording; ``customdata`` of a cell is ``"a|b"`` (the diagonal:
    the rec_id). ``recs``: the recommendations (``rec_id``, ``text``) whose
    texts the hover shows."""
    import plotly.graph_objects as go

    data = heatmap_data(overlap, clusters, lang=lang, top_n=top_n, title=title)
    order, n = data.order, len(data.order)
    texts, pairs = _texts(recs), _pair_rows(overlap)
    fig = go.Figure()
    if not n:
        fig.update_layout(**_layout(data.title, height=220), annotations=[dict(
            text=_t("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)],
            xaxis=dict(visible=False), yaxis=dict(visible=False))
        return fig
    z = [[None if i == j else float(data.matrix[i, j]) for j in range(n)] for i in range(n)]
    # Both texts where the overlap table holds the pair; a cell it does not
    # hold names the two (the page would weigh n² texts otherwise).
    hover = [[None if i == j else
              pair_hover(order[i], order[j], texts, pairs.get(frozenset((order[i], order[j]))), lang)
              if data.matrix[i, j] > 0 else pair_hover(order[i], order[j], {}, None, lang)
              for j in range(n)] for i in range(n)]
    ids = [[None if i == j else f"{order[i]}|{order[j]}" for j in range(n)] for i in range(n)]
    vmax = max(float(data.matrix.max()), 1e-9)
    axis = dict(tickmode="array", tickvals=list(range(n)), ticktext=[_esc(x) for x in data.labels],
                showgrid=False, zeroline=False, ticks="", tickfont=dict(size=10 if n <= 30 else 9))
    fig.add_trace(go.Heatmap(
        z=z, text=hover, customdata=ids, hovertemplate="%{text}<extra></extra>", colorscale=_colorscale(),
        zmin=0, zmax=vmax, xgap=1, ygap=1, hoverongaps=False,
        colorbar=dict(title=dict(text=_t("similarity", lang)), thickness=14, len=0.6, outlinewidth=0)))
    # the diagonal (a recommendation against itself): grey, its own text on hover
    diag = [[1.0 if i == j else None for j in range(n)] for i in range(n)]
    own = [[rec_hover(order[i], texts.get(order[i], ""), lang) if i == j else None for j in range(n)]
           for i in range(n)]
    self_ids = [[order[i] if i == j else None for j in range(n)] for i in range(n)]
    fig.add_trace(go.Heatmap(z=diag, text=own, customdata=self_ids, hovertemplate="%{text}<extra></extra>",
                             colorscale=[[0, LIGHT_GREY], [1, LIGHT_GREY]], showscale=False, xgap=1, ygap=1,
                             hoverongaps=False))
    for start, stop, _cid in data.spans:
        fig.add_shape(type="rect", x0=start - 0.5, y0=start - 0.5, x1=stop - 0.5, y1=stop - 0.5,
                      line=dict(color=INK, width=1.6), fillcolor="rgba(0,0,0,0)")
    label_px = 7 * max(len(x) for x in data.labels) + 20
    side = min(900, max(320, 24 * n))
    fig.update_layout(**_layout(
        data.title, height=side + label_px + 90, width=side + label_px + 150,
        margin=dict(l=label_px, r=40, t=70, b=label_px),
        xaxis=dict(axis, tickangle=-90, side="bottom", constrain="domain",
                   title=dict(text=_t("cluster_box", lang) if data.spans else "", font=dict(color=GREY, size=11))),
        yaxis=dict(axis, autorange="reversed", scaleanchor="x", constrain="domain")))
    return fig


def overlap_network_figure(overlap: pd.DataFrame, recs: pd.DataFrame | None = None, *, lang: str = "zh",
                           top_n: int = 30, min_similarity: float = 0.0, title: str | None = None, seed: int = 7):
    """The network of ``plot_overlap_network`` as a plotly figure (same
    ``network_data``: pairs, layout, colours, shapes, labels). Hover a node
    for its text and its neighbours in the chart, the diamond half-way along
    an edge for both texts, the similarity and the shared wording;
    ``customdata`` is the rec_id of a node, ``"a|b"`` of an edge."""
    import plotly.graph_objects as go

    from analysis.bodies import unit_name

    data = network_data(overlap, lang=lang, top_n=top_n, min_similarity=min_similarity, title=title, seed=seed)
    graph, pos = data.graph, data.pos
    texts, pairs = _texts(recs), _pair_rows(overlap)
    fig = go.Figure()
    if not graph.number_of_nodes():
        fig.update_layout(**_layout(data.title, height=220), annotations=[dict(
            text=_t("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)],
            xaxis=dict(visible=False), yaxis=dict(visible=False))
        return fig
    lo, hi = data.lo, data.hi

    def width(s):  # px, the print chart's 0.8–4 pt
        return 1.1 + 4.3 * ((s - lo) / (hi - lo) if hi > lo else 1.0)

    shown_kind = set()
    mid_x, mid_y, mid_text, mid_ids = [], [], [], []
    for u, v, d in graph.edges(data=True):
        (x1, y1), (x2, y2) = pos[u], pos[v]
        kind = "same_res" if d["same"] else "cross_res"
        fig.add_trace(go.Scatter(x=[x1, x2], y=[y1, y2], mode="lines", hoverinfo="skip",
                                 line=dict(color="#666666", width=width(d["similarity"]),
                                           dash="solid" if d["same"] else "dash"),
                                 opacity=0.85, name=_t(kind, lang), legendgroup=kind,
                                 showlegend=kind not in shown_kind))
        shown_kind.add(kind)
        mid_x.append((x1 + x2) / 2)
        mid_y.append((y1 + y2) / 2)
        mid_text.append(pair_hover(u, v, texts, pairs.get(frozenset((u, v)))
                                   or {"similarity": d["similarity"]}, lang))
        mid_ids.append(f"{u}|{v}")
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", text=mid_text, customdata=mid_ids,
                             hovertemplate="%{text}<extra></extra>", showlegend=False,
                             marker=dict(symbol="diamond", size=8, color="white", line=dict(color="#666666", width=1))))
    for r in data.resolutions:
        nodes = [v for v in graph if _resolution_of(v) == r]
        hover = []
        for v in nodes:
            near = sorted(((graph.edges[v, w]["similarity"], w) for w in graph.neighbors(v)), reverse=True)
            lines = [rec_hover(v, texts.get(v, ""), lang)]
            if near:
                lines.append(f"{_w('closest', lang)}: " + ", ".join(
                    f"{_esc(rec_label(w, lang))} ({s:.2f})" for s, w in near[:5]))
            hover.append("<br>".join(lines))
        fig.add_trace(go.Scatter(
            x=[pos[v][0] for v in nodes], y=[pos[v][1] for v in nodes], mode="markers+text",
            text=[_esc(data.labels[v]) for v in nodes], textposition="top center",
            textfont=dict(size=11, color=INK), hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
            customdata=nodes, name=_esc(unit_name(r, lang)),
            marker=dict(symbol=SYMBOLS.get(data.shapes[r], "circle"), size=13, color=data.colors[r],
                        line=dict(color="white", width=1))))
    xs, ys = zip(*pos.values())
    unit = min(90.0, 900 / (max(xs) - min(xs) + 1.6))  # px per layout unit, about one node spacing
    fig.update_layout(**_layout(
        data.title, height=int((max(ys) - min(ys) + 1.5) * unit) + 190,
        margin=dict(l=20, r=20, t=110, b=40),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
        xaxis=dict(visible=False, range=[min(xs) - 0.8, max(xs) + 0.8]),
        yaxis=dict(visible=False, range=[min(ys) - 0.6, max(ys) + 0.9], scaleanchor="x"),
        annotations=[dict(text=_esc(_w("edge_hint", lang)), showarrow=False, xref="paper", yref="paper",
                          x=0, y=0, xanchor="left", yanchor="top", yshift=-8, font=dict(size=11, color=GREY))]))
    return fig


def figure_json(fig) -> str:
    """``{"data": …, "layout": …}`` of a figure for ``Plotly.newPlot``,
    safe inside a ``<script>`` element; Chinese written as itself."""
    from plotly.utils import PlotlyJSONEncoder

    spec = fig.to_plotly_json()
    text = json.dumps({"data": spec.get("data", []), "layout": spec.get("layout", {})}, cls=PlotlyJSONEncoder,
                      ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/")


def plotly_js_path() -> Path:
    """The plotly.js bundle the plotly package ships (``plotly.min.js``)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def write_plotly_js(folder: str | Path) -> Path:
    """``folder/plotly.min.js``, copied from the plotly package unless the
    file there is already the same; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source, target = plotly_js_path(), folder / "plotly.min.js"
    if not (target.is_file() and target.stat().st_size == source.stat().st_size
            and hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()):
        shutil.copyfile(source, target)
    return target


#: The plotly.js an HTML export of a notebook (``report/NN_….html``) loads.
NOTEBOOK_PLOTLY_JS = "../report_assets/plotly.min.js"


class notebook_view:  # noqa: N801 - used like a function: display(notebook_view(fig))
    """A figure as a notebook shows it: plotly's mimetype (JupyterLab's
    plotly renderer draws it) and, for an HTML export of the notebook, a
    ``<div>`` drawn by the plotly.js at ``plotly_js`` (relative to the
    exported page; nothing is fetched from the network)."""

    def __init__(self, fig, plotly_js: str = NOTEBOOK_PLOTLY_JS):
        self.fig, self.plotly_js = fig, plotly_js

    def _repr_mimebundle_(self, include=None, exclude=None):
        spec = figure_json(self.fig)
        div = "cop-plot-" + hashlib.sha1(spec.encode()).hexdigest()[:12]
        page = (
            f"<div id='{div}' class='cop-plot'></div><script>(function(){{"
            f"var fig={spec};"
            "function draw(){Plotly.newPlot(" + json.dumps(div) + ",fig.data,fig.layout,"
            "{displaylogo:false,responsive:true});}"
            "if(window.Plotly){draw();return;}"
            "if(!window.__copPlotly){window.__copPlotly=new Promise(function(ok,fail){"
            # require.js on the page would take plotly.js for an anonymous AMD module
            "var d=window.define;window.define=undefined;var s=document.createElement('script');"
            f"s.src={json.dumps(self.plotly_js)};"
            "s.onload=function(){window.define=d;ok();};s.onerror=function(){window.define=d;fail();};"
            "document.head.appendChild(s);});}"
            "window.__copPlotly.then(draw,function(){});})();</script>")
        return {"application/vnd.plotly.v1+json": json.loads(figure_json(self.fig).replace("<\\/", "</")),
                "text/html": page, "text/plain": "<interactive chart>"}
