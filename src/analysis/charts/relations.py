"""How recommendations and resolutions relate: the overlap heatmap and
network, and the citation map.

Contract
--------
``plot_overlap_heatmap`` draws the similarity matrix of recommendations
ordered by cluster (boxes mark clusters of two or more);
``plot_overlap_network`` the ``top_n`` most similar pairs as a network
(seeded layout, one block per connected component); ``heatmap_pairs`` and
``network_pairs`` are the tables behind the two charts. ``citation_digraph``
turns a ``citations`` table into the graph of ``citations.citation_graph``
(which decides node identity), and ``plot_citation_graph`` draws it as a
two-column map: the corpus's resolutions on the left, what they cite on
the right.

Why
---
Both overlap charts take the same arguments and select their
recommendations the same way as the tables written beside them, so a
chart and its CSV show the same pairs. Layouts are deterministic (sorted
nodes, seeded spring layout), so a rerun draws the same picture.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from .labels import (
    _PREFIXED_KEY,
    BODIES_EN,
    CITED_KINDS,
    OWN_BODY,
    _english,
    _lang,
    _na_to_none,
    _resolution_of,
    _t,
    rec_label,
    rec_sort_key,
    text_width,
)
from .save import set_alt_text
from .style import (
    CATEGORICAL,
    COLUMN_WIDTH,
    GREY,
    INK,
    LIGHT_GREY,
    NODE_SHAPES,
    OKABE_ITO,
    SEQUENTIAL_CMAP,
    _empty,
    _new_axes,
    _require,
    _styled,
)

#: The package logs under one name (``analysis.charts``), as the module did.
logger = logging.getLogger("analysis.charts")


def _cluster_order(recs: list[str], clusters: pd.DataFrame | None) -> tuple[list[str], list[tuple[int, int, object]]]:
    """Order rec_ids by cluster (larger clusters first), reading order inside;
    return the order and the (start, stop, cluster_id) spans of clusters of 2+."""
    member: dict[str, object] = {}
    if clusters is not None and len(clusters):
        _require(clusters, ("cluster_id", "rec_id"), "clusters")
        for cid, rid in clusters[["cluster_id", "rec_id"]].itertuples(index=False):
            member.setdefault(rid, cid)
    groups: dict[object, list[str]] = {}
    for r in recs:
        groups.setdefault(member.get(r, ("_single", r)), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), rec_sort_key(min(kv[1], key=rec_sort_key))))
    order, spans = [], []
    for cid, members in ordered:
        start = len(order)
        order.extend(sorted(members, key=rec_sort_key))
        if len(members) > 1:
            spans.append((start, len(order), cid))
    return order, spans


@dataclass(frozen=True)
class HeatmapData:
    """What the overlap heatmap shows, in the order it shows it: ``order``
    (rec_ids, top to bottom and left to right), their ``labels`` in the
    chart's language, the symmetric similarity ``matrix`` (0 where the
    overlap table holds no pair, 0 on the diagonal), ``spans`` of the
    clusters of two or more (``(start, stop, cluster_id)`` in ``order``),
    ``n_total`` recommendations with a pair before the cut to ``top_n``, and
    the ``title`` (saying so when there was a cut)."""

    order: list[str]
    labels: list[str]
    matrix: np.ndarray
    spans: list[tuple[int, int, object]]
    n_total: int
    title: str


def heatmap_data(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None, *, lang: str = "zh",
                 top_n: int = 40, title: str | None = None) -> HeatmapData:
    """The heatmap's selection, order, labels and matrix (see ``HeatmapData``):
    one preparation behind ``plot_overlap_heatmap`` (print) and the
    interactive heatmap (``charts.interactive``), so both show the same
    recommendations in the same order under the same labels."""
    title = _t("overlap_title", lang) if title is None else title
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "plot_overlap_heatmap")
    pairs = overlap[["rec_id_a", "rec_id_b", "similarity"]].dropna()
    pairs = pairs[pairs["rec_id_a"] != pairs["rec_id_b"]]
    keep, n_total = _heatmap_members(overlap, top_n)
    if n_total > top_n:
        title = f"{title}\n{_t('top_of', lang, k=top_n, n=n_total)}"
    order, spans = _cluster_order(keep, clusters)
    n = len(order)
    labels = [rec_label(r, lang) for r in order]
    index = {r: i for i, r in enumerate(order)}
    matrix = np.zeros((n, n))
    for a, b, s in pairs.itertuples(index=False):
        if a in index and b in index:
            i, j = index[a], index[b]
            matrix[i, j] = matrix[j, i] = max(matrix[i, j], float(s))
    return HeatmapData(order, labels, matrix, spans, n_total, title)


@_styled
def plot_overlap_heatmap(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None, *, ax: Axes | None = None,
                         lang: str = "zh", top_n: int = 40, title: str | None = None) -> Axes:
    """Similarity matrix of recommendations, ordered by cluster (boxes mark
    clusters of two or more).

    ``overlap``: ``[rec_id_a, rec_id_b, similarity]`` (pairs missing from the
    table count as 0); ``clusters``: ``[cluster_id, rec_id]``. With more than
    ``top_n`` recommendations only the ``top_n`` with the highest best-pair
    similarity are shown, and the title says so. What is shown is
    ``heatmap_data``'s.
    """
    data = heatmap_data(overlap, clusters, lang=lang, top_n=top_n, title=title)
    order, spans, labels, matrix, title = data.order, data.spans, data.labels, data.matrix, data.title
    n, n_total = len(order), data.n_total
    label_w = max((text_width(x) for x in labels), default=8) * 6.5 * 0.55 / 72
    # A square matrix: as wide as the column allows beside its labels and colour bar.
    size = min(3.2 + 0.16 * n, COLUMN_WIDTH - label_w - 1.0)
    ax = _new_axes(ax, size + label_w + 1.0, size + label_w + 1.0)
    if not n:
        return _empty(ax, title, lang)
    masked = np.ma.masked_where(np.eye(n, dtype=bool), matrix)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP].with_extremes(bad=LIGHT_GREY)  # the diagonal
    vmax = max(float(matrix.max()), 1e-9)
    mesh = ax.pcolormesh(masked, cmap=cmap, vmin=0, vmax=vmax, edgecolors="white", linewidth=0.3 if n <= 60 else 0)
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    fs = 7 if n <= 24 else 6.5 if n <= 40 else 5
    ax.set_xticks(np.arange(n) + 0.5, labels, rotation=90, fontsize=fs)
    ax.set_yticks(np.arange(n) + 0.5, labels, fontsize=fs)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for start, stop, _cid in spans:
        ax.add_patch(Rectangle((start, start), stop - start, stop - start, fill=False, edgecolor=INK, linewidth=1.2))
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.6, pad=0.02, aspect=25)
    bar.set_label(_t("similarity", lang))
    bar.outline.set_visible(False)
    if spans:
        ax.set_xlabel(_t("cluster_box", lang), color=GREY, fontsize=8)
    ax.set_title(title)
    logger.debug("overlap heatmap: %d of %d recommendations, %d clusters", n, n_total, len(spans))
    return ax


def _packed_layout(graph: nx.Graph, *, seed: int = 7, spacing: float = 1.3) -> dict:
    """Positions in layout units (about one node spacing each): every
    connected component laid out on its own (Kamada–Kawai, even spacing;
    seeded spring layout past 60 nodes), scaled so neighbouring nodes sit
    ``spacing`` apart, then packed in rows, largest component first. A
    single spring layout of the whole graph would fling small components
    to the corners and crush the large ones."""
    if graph.number_of_nodes() == 0:
        return {}
    comps = sorted(nx.connected_components(graph), key=lambda c: (-len(c), rec_sort_key(min(c, key=rec_sort_key))))
    boxes = []
    for comp in comps:
        # A subgraph view iterates its node set (hash order) when the
        # component is under half the graph: build the component in reading
        # order instead, or the layout would change with PYTHONHASHSEED.
        members = sorted(comp, key=rec_sort_key)
        sub = nx.Graph()
        sub.add_nodes_from(members)
        sub.add_edges_from(sorted(((u, v, d) for u, v, d in graph.edges(members, data=True)),
                                  key=lambda e: (rec_sort_key(e[0]), rec_sort_key(e[1]))))
        m = len(comp)
        if m == 1:
            local = {next(iter(comp)): np.zeros(2)}
        elif m == 2:
            a, b = sorted(comp, key=rec_sort_key)
            local = {a: np.array([0.0, 0.0]), b: np.array([spacing, 0.0])}
        else:
            raw = (nx.kamada_kawai_layout(sub) if m <= 60
                   else nx.spring_layout(sub, seed=seed, weight="similarity"))
            pts = np.array([raw[v] for v in sub])
            d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
            np.fill_diagonal(d, np.inf)
            nearest = float(np.median(d.min(axis=1))) or 1.0
            local = {v: raw[v] * spacing / nearest for v in sub}
        pts = np.array(list(local.values()))
        lo = pts.min(axis=0)
        local = {v: p - lo for v, p in local.items()}
        boxes.append((local, pts.max(axis=0) - lo))
    total = sum((w + spacing) * (h + spacing) for _, (w, h) in boxes)
    row_width = max(max(w for _, (w, _h) in boxes), math.sqrt(total) * 1.3)
    pos, x, y, row_h = {}, 0.0, 0.0, 0.0
    for local, (w, h) in boxes:
        if x > 0 and x + w > row_width:
            x, y, row_h = 0.0, y - row_h - spacing, 0.0
        for v, p in local.items():
            pos[v] = (x + p[0], y - (h - p[1]))
        x += w + spacing
        row_h = max(row_h, h)
    return pos


def _distinct_pairs(overlap: pd.DataFrame, min_similarity: float = 0.0) -> pd.DataFrame:
    pairs = overlap.dropna(subset=["similarity"])
    pairs = pairs[(pairs["rec_id_a"] != pairs["rec_id_b"]) & (pairs["similarity"] >= min_similarity)]
    # The same pair may come twice (a→b and b→a ranks): keep it once.
    key = pairs.apply(lambda r: tuple(sorted((r["rec_id_a"], r["rec_id_b"]))), axis=1) if len(pairs) else []
    pairs = pairs.assign(_key=key).sort_values("similarity", ascending=False, kind="stable")
    return pairs.drop_duplicates("_key").drop(columns="_key")


def network_pairs(overlap: pd.DataFrame, *, top_n: int = 30, min_similarity: float = 0.0) -> pd.DataFrame:
    """The pairs ``plot_overlap_network`` draws: the ``top_n`` most similar
    distinct pairs (at least ``min_similarity``), most similar first (the
    table behind the chart)."""
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "network_pairs")
    return _distinct_pairs(overlap, min_similarity).head(top_n).reset_index(drop=True)


def heatmap_pairs(overlap: pd.DataFrame, *, top_n: int = 40) -> pd.DataFrame:
    """The pairs ``plot_overlap_heatmap`` shades: every pair between the
    ``top_n`` recommendations with the highest best-pair similarity (the
    table behind the chart)."""
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "heatmap_pairs")
    keep = set(_heatmap_members(overlap, top_n)[0])
    pairs = _distinct_pairs(overlap)
    return pairs[pairs["rec_id_a"].isin(keep) & pairs["rec_id_b"].isin(keep)].reset_index(drop=True)


def _heatmap_members(overlap: pd.DataFrame, top_n: int) -> tuple[list[str], int]:
    pairs = overlap[["rec_id_a", "rec_id_b", "similarity"]].dropna()
    pairs = pairs[pairs["rec_id_a"] != pairs["rec_id_b"]]
    best = pd.concat([pairs.set_index("rec_id_a")["similarity"], pairs.set_index("rec_id_b")["similarity"]])
    best = best.groupby(level=0).max()
    if len(best) > top_n:
        return best.sort_values(ascending=False, kind="stable").iloc[:top_n].index.tolist(), len(best)
    return best.index.tolist(), len(best)


@dataclass(frozen=True)
class NetworkData:
    """What the overlap network shows: the ``graph`` (nodes in reading
    order; edges with ``similarity`` and ``same`` = same resolution), the
    node positions ``pos`` (layout units, about one node spacing each), the
    ``resolutions`` in reading order with each one's ``colors`` and
    ``shapes`` (matplotlib marker codes), every node's ``labels`` as the
    chart writes them (within a single resolution without its number), the
    similarity range ``lo``–``hi`` of the edges and the ``title``."""

    graph: nx.Graph
    pos: dict
    resolutions: list[str]
    colors: dict[str, str]
    shapes: dict[str, str]
    labels: dict[str, str]
    lo: float
    hi: float
    title: str


def network_data(overlap: pd.DataFrame, *, lang: str = "zh", top_n: int = 30, min_similarity: float = 0.0,
                 title: str | None = None, seed: int = 7) -> NetworkData:
    """The network's pairs (``network_pairs``), layout, colours, shapes and
    labels (see ``NetworkData``): one preparation behind
    ``plot_overlap_network`` (print) and the interactive network
    (``charts.interactive``), so both draw the same picture."""
    title = _t("network_title", lang) if title is None else title
    _require(overlap, ("rec_id_a", "rec_id_b", "similarity"), "plot_overlap_network")
    n_pairs = len(_distinct_pairs(overlap, min_similarity))
    if n_pairs > top_n:
        title = f"{title}\n{_t('pairs_of', lang, k=top_n, n=n_pairs)}"
    pairs = network_pairs(overlap, top_n=top_n, min_similarity=min_similarity)
    graph = nx.Graph()
    for row in pairs.itertuples(index=False):
        a, b, s = row.rec_id_a, row.rec_id_b, float(row.similarity)
        same = getattr(row, "same_resolution", None)
        if same is None or pd.isna(same):
            same = _resolution_of(a) == _resolution_of(b)
        graph.add_edge(a, b, similarity=s, same=bool(same))
    # Deterministic node and edge order, so the layout is reproducible.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes, key=rec_sort_key))
    ordered.add_edges_from(sorted(graph.edges(data=True), key=lambda e: (rec_sort_key(e[0]), rec_sort_key(e[1]))))
    graph = ordered
    pos = _packed_layout(graph, seed=seed)
    resolutions = sorted({_resolution_of(v) for v in graph}, key=lambda r: rec_sort_key(r + ":"))
    res_color = {r: CATEGORICAL[i % len(CATEGORICAL)] for i, r in enumerate(resolutions)}
    # Colour and shape both mark the resolution: shapes survive greyscale print.
    res_shape = {r: NODE_SHAPES[i % len(NODE_SHAPES)] for i, r in enumerate(resolutions)}
    sims = [d["similarity"] for _, _, d in graph.edges(data=True)]
    lo, hi = (min(sims), max(sims)) if sims else (0.0, 0.0)
    one_unit = len(resolutions) == 1
    labels = {}
    for v in pos:
        # Within one resolution its number would repeat on every node: the
        # part and label say which recommendation it is, the legend the unit.
        shown = rec_label(v, lang)
        if one_unit:
            shown = shown.split(" ", 1)[1] if " " in shown and not _PREFIXED_KEY.match(_resolution_of(v)) else shown
        labels[v] = shown
    return NetworkData(graph, pos, resolutions, res_color, res_shape, labels, lo, hi, title)


@_styled
def plot_overlap_network(overlap: pd.DataFrame, clusters: pd.DataFrame | None = None, *, ax: Axes | None = None,
                         lang: str = "zh", top_n: int = 30, min_similarity: float = 0.0,
                         title: str | None = None, seed: int = 7) -> Axes:
    """Network of the ``top_n`` most similar pairs (at least
    ``min_similarity``): nodes are recommendations labelled by rec_id and
    coloured by resolution; edge width grows with similarity; pairs across
    resolutions are drawn dashed. The layout is seeded, hence reproducible.

    ``overlap``: ``[rec_id_a, rec_id_b, similarity]`` (``same_resolution``
    is used when present, else derived from the rec_ids). ``clusters`` is
    accepted so both overlap charts take the same arguments; the layout
    groups connected recommendations by itself (one block per component).
    What is drawn is ``network_data``'s.
    """
    data = network_data(overlap, lang=lang, top_n=top_n, min_similarity=min_similarity, title=title, seed=seed)
    graph, pos, title = data.graph, data.pos, data.title
    n = graph.number_of_nodes()
    xs, ys = (zip(*pos.values())) if pos else ((0,), (0,))
    # inches per layout unit (about one node spacing): as much as the column allows
    unit = min(0.8, (COLUMN_WIDTH - 0.3) / (max(xs) - min(xs) + 1.6))
    ax = _new_axes(ax, (max(xs) - min(xs) + 1.6) * unit + 0.3, (max(ys) - min(ys) + 1.5) * unit + 1.6)
    if not n:
        return _empty(ax, title, lang)
    resolutions, res_color, res_shape = data.resolutions, data.colors, data.shapes
    lo, hi = data.lo, data.hi

    def width(s):
        return 0.8 + 3.2 * ((s - lo) / (hi - lo) if hi > lo else 1.0)

    for style, same in (("solid", True), ("dashed", False)):
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["same"] is same]
        if edges:
            nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, style=style, edge_color="#666666",
                                   width=[width(graph.edges[e]["similarity"]) for e in edges], alpha=0.85)
    for r in resolutions:
        nodes = [v for v in graph if _resolution_of(v) == r]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_color=res_color[r], node_size=90,
                               node_shape=res_shape[r], edgecolors="white", linewidths=0.8)
    fs = 7 if n <= 25 else 6.5 if n <= 45 else 6
    for v, (x, y) in pos.items():
        ax.annotate(data.labels[v], (x, y), xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                    fontsize=fs, color=INK, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75),
                    zorder=4)
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.9)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    from analysis.bodies import unit_name

    handles = [Line2D([], [], marker=res_shape[r], color=res_color[r], linestyle="none", markersize=7,
                      label=unit_name(r, lang)) for r in resolutions]
    kinds = {d["same"] for _, _, d in graph.edges(data=True)}
    if True in kinds:
        handles.append(Line2D([], [], color="#666666", linestyle="solid", label=_t("same_res", lang)))
    if False in kinds:
        handles.append(Line2D([], [], color="#666666", linestyle="dashed", label=_t("cross_res", lang)))
    # Line width carries the similarity: one swatch for each end of the scale.
    handles.append(Line2D([], [], color="#666666", linewidth=width(lo), label=_t("similarity", lang) + f" {lo:.2f}"))
    if hi > lo:
        handles.append(Line2D([], [], color="#666666", linewidth=width(hi), label=_t("similarity", lang) + f" {hi:.2f}"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(3, len(handles)),
              borderaxespad=0.2, handlelength=2.2, columnspacing=1.2)
    ax.set_title(title, pad=14 + 13 * math.ceil(len(handles) / 3))
    set_alt_text(ax.figure, f"{' '.join(title.split())}. " + _t("alt_network", lang, n=n, e=graph.number_of_edges()))
    return ax


def citation_digraph(citations: pd.DataFrame, *,
                     kinds: Iterable[str] = ("resolution", "document", "treaty")) -> nx.DiGraph:
    """Citing resolution → cited item graph of a ``citations`` table.

    Handed to ``citations.citation_graph``, which decides node identity (a
    resolution of a body of ``bodies.yaml`` is its unit key, so a cited
    resolution of the corpus is the node of that resolution), the citing
    body and self-citations. A minimal table (``[resolution, cited_kind,
    cited]``, ``cited_body`` optional: a resolution without one is the
    citing unit's own) gives the same nodes: ``kind``, ``label``, ``body``,
    ``in_corpus``; edges ``count``.
    """
    _require(citations, ("resolution", "cited_kind", "cited"), "citation_digraph")
    from analysis.citations import citation_graph

    return citation_graph(citations, kinds=tuple(kinds))


def _drawable_citations(graph: nx.DiGraph, lang: str) -> nx.DiGraph:
    """Copy of a citation graph with the attributes the chart draws:
    ``draw_kind`` (``corpus`` for resolutions of the corpus), ``text`` (the
    label, with the adopting body when it is not the corpus's own) and edge
    ``weight``. Accepts graphs from ``citations.citation_graph``, from
    :func:`citation_digraph` or hand-made ones (nodes that cite count as
    corpus)."""
    g = graph.copy()
    corpus_bodies = [d.get("body") for _, d in g.nodes(data=True) if d.get("in_corpus") and d.get("body")]
    # the corpus's own body goes without saying only when the corpus is one body's
    own = corpus_bodies[0] if len(set(corpus_bodies)) == 1 else None if corpus_bodies else OWN_BODY
    for v, d in g.nodes(data=True):
        kind = d.get("kind")
        in_corpus = d.get("in_corpus", kind == "corpus" or (kind is None and g.out_degree(v) > 0))
        d["draw_kind"] = "corpus" if in_corpus or kind == "corpus" else (kind or "resolution")
        label = str(d.get("label") or v)
        body = _na_to_none(d.get("body")) or None
        if d.get("unit_kind") == "decision":
            label = f"决定 {label}" if lang == "zh" else f"dec. {label}"
        if d["draw_kind"] in ("corpus", "resolution") and body and body != own:
            label += "\n(" + (BODIES_EN.get(body, body) if lang == "en" else body) + ")"
        if d["draw_kind"] == "treaty":
            # 《条约汇编》第2225卷 is a volume of the UN Treaty Series: named by
            # the treaty it holds where the glossary knows it.
            from analysis.glossary import load_glossary

            unts = load_glossary().treaty(label)
            if unts is not None and lang == "en":
                label = unts.replace(" (", "\n(")  # UNTS vol. 2225\n(UNTOC)
        if lang == "en":
            label = "\n".join(_english(x) for x in label.split("\n"))
        d["text"] = label
    for _, _, d in g.edges(data=True):
        d["weight"] = d.get("weight", d.get("count", 1))
    return g


_NODE_STYLE = {
    # kind: (box style, face, edge, text colour, line style)
    "corpus": ("round,pad=0.35", OKABE_ITO["blue"], OKABE_ITO["blue"], "white", "solid"),
    "resolution": ("round,pad=0.35", "white", OKABE_ITO["blue"], INK, "solid"),
    "document": ("square,pad=0.35", "white", OKABE_ITO["vermillion"], INK, "dashed"),
    "treaty": ("round4,pad=0.35", "#FFF3D6", OKABE_ITO["orange"], INK, "solid"),
    "article": ("square,pad=0.35", "white", GREY, INK, "dotted"),
    "date": ("square,pad=0.35", "white", GREY, INK, "dotted"),
}


def _two_column_order(graph: nx.DiGraph) -> tuple[list, list]:
    """Citing resolutions (left column, reading order) and cited items
    (right column: grouped by kind, then by the mean position of the
    resolutions citing them, which keeps arrows from crossing where it can)."""
    kind_rank = {k: i for i, k in enumerate(_NODE_STYLE)}

    def name_key(v):
        d = graph.nodes[v]
        if d["draw_kind"] in ("corpus", "resolution"):
            return (rec_sort_key(str(d.get("label") or v) + ":"), str(d.get("body") or ""))
        return (((), 0, (), str(d.get("label") or v)), "")

    left = sorted((v for v in graph if graph.nodes[v]["draw_kind"] == "corpus"), key=name_key)
    row = {v: i for i, v in enumerate(left)}
    right = [v for v in graph if graph.nodes[v]["draw_kind"] != "corpus"]

    def barycentre(v):
        ys = [row[u] for u in graph.predecessors(v) if u in row]
        return sum(ys) / len(ys) if ys else len(left)

    right.sort(key=lambda v: (kind_rank.get(graph.nodes[v]["draw_kind"], 99), barycentre(v), name_key(v)))
    return left, right


@_styled
def plot_citation_graph(data: pd.DataFrame | nx.DiGraph, *, ax: Axes | None = None, lang: str = "zh",
                        kinds: Iterable[str] = ("resolution", "document", "treaty"), max_nodes: int = 60,
                        title: str | None = None) -> Axes:
    """Citation map: the resolutions of the corpus in the left column, what
    they cite (resolutions, documents, treaties) in the right column, an
    arrow for each citing → cited link; a corpus resolution citing another
    one is an arc on the left. Boxes are nodes (filled = resolution in the
    corpus, outlined = cited resolution, dashed square = document, tinted =
    treaty); arrow width and the number on it = how often.

    ``data``: a ``citations`` table (see :func:`citation_digraph`) or a
    ready ``networkx.DiGraph`` (node attributes ``kind``/``label`` and edge
    ``weight`` optional; nodes citing something count as corpus). Dates and
    articles are left out by default (``kinds``). Past ``max_nodes`` the
    most cited nodes are kept and the title says so.
    """
    title = _t("citation_title", lang) if title is None else title
    graph = _drawable_citations(data if isinstance(data, nx.DiGraph) else citation_digraph(data, kinds=kinds), lang)
    if graph.number_of_nodes() > max_nodes:
        rank = sorted(graph.nodes, key=lambda v: (graph.nodes[v]["draw_kind"] != "corpus",
                                                   -graph.in_degree(v, weight="weight"), str(v)))
        graph = graph.subgraph(rank[:max_nodes]).copy()
        title = f"{title}（前 {max_nodes} 个节点）" if lang == "zh" else f"{title} (top {max_nodes} nodes)"
    graph.remove_nodes_from([v for v in list(graph)
                             if graph.degree(v) == 0 and graph.nodes[v]["draw_kind"] != "corpus"])
    left, right = _two_column_order(graph)
    fs = 8

    def label_w(v):  # inches
        lines = graph.nodes[v]["text"].split("\n")
        return max(text_width(x) for x in lines) * fs * 0.55 / 72 + 0.2

    row_h = 0.42
    left_w = max((label_w(v) for v in left), default=0.6)
    right_w = max((label_w(v) for v in right), default=0.6)
    gap = 2.2
    n_rows = max(len(left), len(right), 1)
    height = (n_rows - 1) * row_h
    present = [k for k in _NODE_STYLE if any(d["draw_kind"] == k for _, d in graph.nodes(data=True))]
    # The legend sits above the chart in one row: the figure must be at least
    # as wide, or the layout engine squeezes the chart to make room for it.
    legend_w = sum(text_width(CITED_KINDS[k][_lang(lang)]) * 8 * 0.55 / 72 + 0.75 for k in present)
    left_step = min(height / max(len(left) - 1, 1), 3 * row_h) if len(left) > 1 else 0.0
    # Room on the left for the arcs between corpus resolutions (an arc3 curve
    # bulges rad/2 times the distance it spans).
    index = {v: i for i, v in enumerate(left)}
    spans = [abs(index[u] - index[v]) * left_step for u, v in graph.edges if u in index and v in index]
    arc_room = 0.45 / 2 * max(spans) + 0.15 if spans else 0.0
    x_left, x_right = arc_room + left_w / 2, arc_room + left_w + gap + right_w / 2
    ax = _new_axes(ax, max(x_right + right_w / 2 + 0.5, legend_w + 0.6), height + 1.7)
    if graph.number_of_edges() == 0:
        return _empty(ax, title, lang)
    pos = {}
    for column, x in ((left, x_left), (right, x_right)):
        # The left column spreads over the height of the right one (capped,
        # so two resolutions don't fly apart).
        step = left_step if column is left else row_h
        top = -(height - step * (len(column) - 1)) / 2
        for k, v in enumerate(column):
            pos[v] = (x, top - k * step)
    boxes = {}
    for v, (x, y) in pos.items():
        box, face, edge, tc, ls = _NODE_STYLE.get(graph.nodes[v]["draw_kind"], _NODE_STYLE["document"])
        boxes[v] = ax.text(x, y, graph.nodes[v]["text"], ha="center", va="center", fontsize=fs, color=tc, zorder=3,
                           bbox=dict(boxstyle=box, fc=face, ec=edge, lw=1.2, ls=ls))
    weights = [d.get("weight", 1) for _, _, d in graph.edges(data=True)]
    wmax = max(weights)
    for u, v, d in graph.edges(data=True):
        w = d.get("weight", 1)
        (x1, y1), (x2, y2) = pos[u], pos[v]
        if abs(x2 - x1) < 1e-9:
            # Corpus → corpus: an arc bulging left of the column (arc3 bends
            # left of the travel direction for rad > 0 when going down).
            rad = 0.45 if y2 < y1 else -0.45
        else:
            rad = 0.0
        # Arrows above the boxes (zorder 4): they end at the box edges, and a
        # box drawn later would hide the arrowhead.
        ax.annotate("", xy=pos[v], xytext=pos[u], zorder=4,
                    arrowprops=dict(arrowstyle="-|>,head_length=0.6,head_width=0.3", color="#555555",
                                    lw=0.8 + 1.6 * (w - 1) / max(wmax - 1, 1), shrinkA=1, shrinkB=1,
                                    patchA=boxes[u].get_bbox_patch(), patchB=boxes[v].get_bbox_patch(),
                                    connectionstyle=f"arc3,rad={rad}"))
        if w > 1:
            t = 0.5
            xm, ym = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            if rad:
                xm -= abs(rad) * abs(y2 - y1) / 2
            ax.text(xm, ym, str(w), fontsize=7, ha="center", va="center", color=INK, zorder=5,
                    bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec="#555555", lw=0.6))
    ax.set_xlim(0, x_right + right_w / 2 + 0.2)
    ax.set_ylim(-height - 0.35, 0.35)
    ax.set_axis_off()
    handles = []
    for k in present:
        box, face, edge, tc, ls = _NODE_STYLE[k]
        handles.append(Patch(facecolor=face, edgecolor=edge, linestyle=ls, linewidth=1.2,
                             label=CITED_KINDS[k][_lang(lang)]))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(len(handles), 4),
              borderaxespad=0.3)
    ax.set_title(title, pad=26 if len(handles) <= 4 else 40)
    logger.debug("citation graph: %d nodes, %d edges", graph.number_of_nodes(), graph.number_of_edges())
    return ax
