"""The citation network: citing resolution -> what it cites, and its GraphML.

``citation_network(citations)`` turns the citations table into nodes and
edges as plain dicts (what a run writes, without importing networkx);
``citation_graph`` makes a ``networkx.DiGraph`` of the same; ``graphml_text``
and ``write_graphml`` write either for Gephi/yEd. A resolution's node is
its unit key (``resolution_node``), so resolutions of different bodies
never merge and a cited resolution of the corpus is the node of the
resolution itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .. import bodies as registry
from .citable import Bodies, _acting_body, load_bodies
from .patterns import _nonempty, _nospace, _str_or_none

# The package's logger: messages read ``analysis.citations`` as before the split.
logger = logging.getLogger(__package__)

# --------------------------------------------------------------------------
# Graph
# --------------------------------------------------------------------------


def resolution_node(body: str | None, number: str, kind: str = "resolution", *,
                    bodies: Bodies | None = None) -> str:
    """Node id of a resolution or decision.

    A body of ``bodies.yaml`` gives the unit key, the id the resolution has
    in the corpus; another body a readable id; no body at all a
    ``resolution:`` id that no key can be. ``bodies``: the lexicon of
    citable bodies, when the caller has it (default ``load_bodies()``).

    >>> resolution_node("大会", "55/25"), resolution_node("缔约方会议", "10/1", "decision")
    ('GA.55/25', 'dec.10/1')
    >>> resolution_node("安全理事会", "1373/1"), resolution_node(None, "10/4")
    ('安全理事会 1373/1', 'resolution:10/4')
    """
    lexicon = bodies or load_bodies()
    code = lexicon.code(lexicon.canonical(body)) if body else None
    if code:
        return registry.unit_key(code, number, kind)
    written = f"dec.{number}" if kind == "decision" else number
    return f"{body} {written}" if body else f"resolution:{written}"


def _citing_node(key: str, body: str | None, lexicon: Bodies) -> dict:
    """Attributes of a citing unit's node: its number, body and kind, read from its key."""
    try:
        code, kind, number = registry.parse_key(key)
    except ValueError:
        return {"kind": "resolution", "label": key, "body": body or "", "unit_kind": "resolution"}
    return {"kind": "resolution", "label": number, "body": body or lexicon.name_of(code) or "", "unit_kind": kind}


def _column(df: pd.DataFrame, name: str) -> list:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def citation_network(
    citations: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = ("resolution", "document", "treaty"),
    acting_bodies: dict[str, str] | None = None,
) -> tuple[dict[str, dict], dict[tuple[str, str], dict]]:
    """``(nodes, edges)`` of ``citation_graph`` as plain dicts (node id ->
    attributes, (source, target) -> attributes), in the graph's order: what
    a run writes as GraphML without building (or importing) networkx.

    Needs ``resolution``, ``cited_kind`` and ``cited``; the other columns of
    the citations table are used when present (a resolution without
    ``cited_body`` is the citing unit's own)."""
    bodies = load_bodies()
    nodes: dict[str, dict] = {}
    edges: dict[tuple[str, str], dict] = {}
    if citations is None or citations.empty:
        return nodes, edges
    sel = citations[citations["cited_kind"].isin(kinds)]
    own: dict[str, str | None] = {}
    for r, b in zip(citations["resolution"].tolist(), _column(citations, "citing_body")):
        if _nonempty(b):
            own.setdefault(str(r), b)
    if acting_bodies:
        own.update({str(r): _acting_body(bodies, b, r) for r, b in acting_bodies.items()})
    corpus = {str(r) for r in citations["resolution"].dropna().unique()} | {str(r) for r in acting_bodies or ()}

    def own_body(src: str) -> str | None:
        return own[src] if src in own else _acting_body(bodies, None, src)

    def node_for(src: str, kind: str, cited: str, cited_body, normalised, unit_kind, key) -> tuple[str, dict]:
        body = _str_or_none(cited_body)
        if kind == "resolution":
            num = _str_or_none(normalised) or _nospace(str(cited))
            unit_kind = unit_kind if unit_kind in registry.KINDS else "resolution"
            if body is None:
                body = own_body(src)
            node = _str_or_none(key) or resolution_node(body, num, unit_kind, bodies=bodies)
            return node, {"kind": "resolution", "label": num, "body": body or "", "unit_kind": unit_kind}
        if kind == "article":
            label = f"{body} {cited}" if body else cited
            return f"article:{label}", {"kind": kind, "label": label, "body": body or ""}
        return f"{kind}:{cited}", {"kind": kind, "label": cited, "body": body or ""}

    counts: dict[tuple[str, str], list] = {}
    # Plain lists: iterating Arrow-backed columns cell by cell is slow.
    columns = ("resolution", "cited_kind", "cited", "cited_body", "normalised", "cited_unit_kind", "cited_key",
               "citation_type")
    for resolution, kind, cited, cited_body, normalised, unit_kind, key, ctype in zip(
            *(_column(sel, c) for c in columns)):
        if not _nonempty(cited) or not _nonempty(resolution):
            continue
        src = str(resolution)
        if src not in nodes:
            nodes[src] = _citing_node(src, own_body(src), bodies)
        dst, attrs = node_for(src, kind, cited, cited_body, normalised, unit_kind, key)
        if dst == src:
            continue  # a resolution naming itself (第11/2号决议 in its own header)
        if dst not in nodes:
            nodes[dst] = attrs
        e = counts.setdefault((src, dst), [0, set()])
        e[0] += 1
        if _nonempty(ctype):
            e[1].add(ctype)
    edges = {key: {"count": n, "types": sorted(types)} for key, (n, types) in counts.items()}
    for node, data in nodes.items():
        data["in_corpus"] = node in corpus
    return nodes, edges


def citation_graph(
    citations: pd.DataFrame,
    *,
    kinds: tuple[str, ...] = ("resolution", "document", "treaty"),
    acting_bodies: dict[str, str] | None = None,
):
    """Directed graph citing resolution -> cited resolution / document / treaty volume.

    Dates and articles are not nodes by default (they are not documents one
    could read); pass ``kinds`` to include them. A resolution's node is its
    unit key (``11/2``, ``GA.55/25``, ``ECOSOC.1996/27``, ``dec.10/1``), the
    key in the ``resolution`` column for a citing one and ``cited_key`` for
    a cited one, so a cited resolution of the corpus is the node of the
    resolution itself; resolutions of other bodies have readable ids
    (``安全理事会 1373/1``). The citing body is taken from the
    ``citing_body`` column, or from ``acting_bodies`` (resolution -> acting
    body, e.g. from the documents table) when given. ``in_corpus`` marks
    the resolutions of the corpus: the keys of the ``resolution`` column
    (and of ``acting_bodies``).
    """
    import networkx as nx

    nodes, edges = citation_network(citations, kinds=kinds, acting_bodies=acting_bodies)
    g = nx.DiGraph()
    g.add_nodes_from(nodes.items())
    g.add_edges_from((src, dst, data) for (src, dst), data in edges.items())
    logger.info("citation graph: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g


_GRAPHML_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))


def _graphml_value(v):
    """A GraphML scalar: lists become ``|``-joined text, None is left out."""
    if v is None:
        return None
    if isinstance(v, (list, tuple, set)):
        return "|".join(map(str, sorted(v) if isinstance(v, set) else v))
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def graphml_text(graph) -> str:
    """``graph`` (a networkx graph, or ``citation_network``'s ``(nodes,
    edges)``, directed) as GraphML text, as Gephi, yEd and
    ``networkx.read_graphml`` read it.

    Written directly rather than through networkx's ElementTree writer, which
    took a second for the citation graph of a thousand resolutions. Lists
    become ``|``-joined text; None values are left out; an attribute whose
    values mix types is written as text.
    """
    from xml.sax.saxutils import escape, quoteattr

    def typed(items) -> dict[str, str]:
        kinds: dict[str, set] = {}
        for data in items:
            for k, v in data.items():
                v = _graphml_value(v)
                if v is not None:
                    kinds.setdefault(k, set()).add(next(t for py, t in _GRAPHML_TYPES if isinstance(v, py)))
        return {k: (next(iter(t)) if len(t) == 1 else "string") for k, t in kinds.items()}

    if isinstance(graph, tuple):  # citation_network's (nodes, edges)
        nodes = list(graph[0].items())
        edges = [(src, dst, data) for (src, dst), data in graph[1].items()]
        directed = True
    else:
        nodes = list(graph.nodes(data=True))
        edges = list(graph.edges(data=True))
        directed = graph.is_directed()
    node_keys = typed(d for _, d in nodes)
    edge_keys = typed(d for *_, d in edges)
    ids: dict[tuple[str, str], str] = {}
    out = ["<?xml version='1.0' encoding='utf-8'?>",
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for where, keys in (("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys.items():
            ids[(where, name)] = f"d{len(ids)}"
            out.append(f'  <key id="{ids[(where, name)]}" for="{where}" attr.name={quoteattr(str(name))} '
                       f'attr.type="{kind}" />')

    def data_lines(where: str, keys: dict, data: dict) -> list[str]:
        lines = []
        for name in keys:
            v = _graphml_value(data.get(name))
            if v is None:
                continue
            text = ("true" if v else "false") if isinstance(v, bool) else str(v)
            lines.append(f'      <data key="{ids[(where, name)]}">{escape(text)}</data>')
        return lines

    out.append(f'  <graph edgedefault="{"directed" if directed else "undirected"}">')
    for node, data in nodes:
        lines = data_lines("node", node_keys, data)
        out += ([f"    <node id={quoteattr(str(node))}>", *lines, "    </node>"] if lines
                else [f"    <node id={quoteattr(str(node))} />"])
    for src, dst, data in edges:
        lines = data_lines("edge", edge_keys, data)
        head = f"    <edge source={quoteattr(str(src))} target={quoteattr(str(dst))}"
        out += [head + ">", *lines, "    </edge>"] if lines else [head + " />"]
    out += ["  </graph>", "</graphml>", ""]
    return "\n".join(out)


def write_graphml(graph, path: str | Path) -> Path:
    """Write ``graph`` as GraphML (see ``graphml_text``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(graphml_text(graph), encoding="utf-8")
    return path
