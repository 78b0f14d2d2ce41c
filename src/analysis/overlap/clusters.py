"""The ``clusters`` table: groups of recommendations asking for the same action.

Contract: ``overlap_clusters(recs, pairs, settings)`` groups the pairs at or
above ``cluster_threshold`` into clusters (``cluster_id, rec_id,
cluster_label, size, n_resolutions``), only clusters of two or more.

Why: connected components chain A~B~C with A and C unrelated, so each
component is split by average linkage (``_average_linkage``); a component
too large for a dense linkage is first cut at a stricter threshold. The
texts clustered are the distinct stripped texts, so the copies of a text
always share a cluster; labels come from the explanations the pairs
already carry (``as_list_cell`` reads them from a table however it was
stored).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from .features import distinct_stripped
from .pairs import check_recs
from .settings import OverlapSettings
from .stock import load_stock_phrases
from .. import tables

logger = logging.getLogger(__name__)

CLUSTER_COLUMNS = tables.CLUSTERS.names  # the contract is analysis.tables'


def _average_linkage(members: np.ndarray, la: np.ndarray, lb: np.ndarray, sim: np.ndarray, threshold: float):
    """Split one component by average linkage at distance 1 - threshold.

    ``la``/``lb`` index ``members``. A connected component can chain A~B~C
    with A and C unrelated; average linkage keeps together only items that
    are, on average, as close as the threshold. Pairs not in the overlap
    table count as similarity 0.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    m = len(members)
    k1 = np.minimum(la, lb).astype(np.int64)
    k2 = np.maximum(la, lb).astype(np.int64)
    dist = np.ones(m * (m - 1) // 2)
    dist[m * k1 - k1 * (k1 + 1) // 2 + (k2 - k1 - 1)] = 1.0 - sim
    labels = fcluster(linkage(dist, method="average"), t=1.0 - threshold + 1e-9, criterion="distance")
    return [members[labels == lab] for lab in np.unique(labels)]


def _cluster_edges(ia: np.ndarray, ib: np.ndarray, sim: np.ndarray, settings: OverlapSettings) -> list[np.ndarray]:
    """Clusters (arrays of row positions) from edges at or above ``cluster_threshold``.

    Connected components, each split by average linkage. A component too
    large for a dense linkage (``max_linkage_size``) is first cut into the
    components of a stricter threshold (+0.05 at a time): a corpus of near
    copies makes one giant component, which says nothing.
    """
    from scipy.sparse.csgraph import connected_components

    out: list[np.ndarray] = []
    stack = [(ia, ib, sim, settings.cluster_threshold)]
    while stack:
        a, b, s, thr = stack.pop()
        nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        la, lb = inv[: len(a)], inv[len(a) :]
        m = len(nodes)
        keep = s >= thr
        graph = sp.coo_matrix((np.ones(int(keep.sum())), (la[keep], lb[keep])), shape=(m, m))
        _, comp = connected_components(graph, directed=False)
        inside = comp[la] == comp[lb]
        e_comp = comp[la][inside]
        e_idx = np.flatnonzero(inside)[np.argsort(e_comp, kind="stable")]
        e_bounds = np.searchsorted(np.sort(e_comp), np.arange(comp.max() + 2))
        n_order = np.argsort(comp, kind="stable")
        n_bounds = np.searchsorted(comp[n_order], np.arange(comp.max() + 2))
        for c in range(comp.max() + 1):
            local = n_order[n_bounds[c] : n_bounds[c + 1]]
            if len(local) < 2:
                continue
            edges = e_idx[e_bounds[c] : e_bounds[c + 1]]
            members = nodes[local]
            if len(local) == 2:
                out.append(members)
            elif len(local) <= settings.max_linkage_size:
                pos = np.full(m, -1, dtype=np.int64)
                pos[local] = np.arange(len(local))
                parts = _average_linkage(members, pos[la[edges]], pos[lb[edges]], s[edges], settings.cluster_threshold)
                out.extend(p for p in parts if len(p) >= 2)
            elif thr + 0.05 < 1.0:
                stack.append((a[edges], b[edges], s[edges], thr + 0.05))
            else:
                logger.warning("clusters: %d near-identical recommendations kept as one cluster", len(local))
                out.append(members)
    return out


def overlap_clusters(
    recs: pd.DataFrame,
    pairs: pd.DataFrame,
    settings: OverlapSettings | None = None,
) -> pd.DataFrame:
    """Clusters of recommendations asking for the same action.

    Pairs at or above ``cluster_threshold`` are joined into connected
    components, each split by average linkage so that a chain of
    neighbours does not glue unrelated items together. This is done over
    the distinct stripped texts (see ``analysis.overlap``'s docstring); a cluster then
    holds every recommendation with one of its texts, so verbatim repeats
    are always together. Only clusters of two
    or more are returned: ``cluster_id`` (1 = largest), ``rec_id`` (one row
    per member, in input order), ``cluster_label`` (the terms shared by the
    most pairs inside the cluster, weighted by their rank in ``shared_terms``;
    the most frequent shared span when no term is shared), ``size`` and
    ``n_resolutions``.
    """
    settings = settings or OverlapSettings()
    check_recs(recs)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CLUSTER_COLUMNS})
    if pairs is None or pairs.empty:
        return empty
    rec_ids = recs["rec_id"].astype(str).to_numpy()
    resolutions = recs["resolution"].astype(str).to_numpy()
    # The explanations are read from ``pairs`` at the rows kept (``kept``):
    # filtering would copy their half a million lists first.
    kept = np.flatnonzero((pairs["similarity"] >= settings.cluster_threshold).to_numpy())
    strong = pairs[["rec_id_a", "rec_id_b", "similarity"]].iloc[kept]
    ia, ib = _positions(strong["rec_id_a"], rec_ids), _positions(strong["rec_id_b"], rec_ids)
    if (ia < 0).any() or (ib < 0).any():
        unknown = sorted(set(strong["rec_id_a"].to_numpy()[ia < 0]) | set(strong["rec_id_b"].to_numpy()[ib < 0]))
        raise ValueError(f"overlap_clusters: pairs name rec_id(s) not in recs, e.g. {unknown[0]!r}")
    if strong.empty:
        logger.info("clusters: no pair at or above %.2f", settings.cluster_threshold)
        return empty
    # Cluster the distinct stripped texts, then take every row of each: the
    # copies of one text always share a cluster, however many there are (the
    # pairs table keeps only a row's nearest copies), and a repeated text is
    # clustered once, not once per copy.
    _, inverse, _ = distinct_stripped(recs["text"].fillna("").astype(str).tolist(),
                                      load_stock_phrases(settings.stock_phrases))
    ua, ub = inverse[ia], inverse[ib]
    sims = strong["similarity"].to_numpy(dtype=float)
    same = ua == ub
    lo, hi = np.minimum(ua, ub)[~same], np.maximum(ua, ub)[~same]
    edges = pd.DataFrame({"a": lo, "b": hi, "s": sims[~same]}).groupby(["a", "b"], sort=True)["s"].max()
    text_clusters = _cluster_edges(edges.index.get_level_values(0).to_numpy(),
                                   edges.index.get_level_values(1).to_numpy(), edges.to_numpy(),
                                   settings) if len(edges) else []
    clustered = np.zeros(inverse.max() + 1, dtype=bool)
    for c in text_clusters:
        clustered[c] = True
    # A text whose copies pair with each other and with no other text is a cluster of its own.
    text_clusters += [np.array([u]) for u in np.unique(ua[same]) if not clustered[u]]
    by_text = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[by_text], np.arange(inverse.max() + 2))
    clusters = [np.sort(np.concatenate([by_text[bounds[u]:bounds[u + 1]] for u in c])) for c in text_clusters]
    clusters = [c for c in clusters if len(c) >= 2]
    clusters.sort(key=lambda m: (-len(m), int(m[0])))

    # Labels from the explanations already computed for the pairs inside each cluster.
    label_of = np.full(len(rec_ids), -1, dtype=np.int64)
    for k, members in enumerate(clusters):
        label_of[members] = k
    ca, cb = label_of[ia], label_of[ib]
    term_score: dict[int, Counter] = defaultdict(Counter)
    span_count: dict[int, Counter] = defaultdict(Counter)
    # Pairs of rows with the same two texts carry the same explanation: each
    # distinct (text a, text b) counts once, times its number of pairs.
    inside = np.flatnonzero((ca == cb) & (ca >= 0))
    keyed = pd.DataFrame({"k": ca[inside], "ua": ua[inside], "ub": ub[inside], "pos": inside})
    groups = keyed.groupby(["k", "ua", "ub"], sort=False)["pos"].agg(["size", "first"])
    firsts = groups["first"].to_numpy()
    # Only the cells of the groups' first pairs are made Python lists.
    terms_col = tables.list_cells(pairs["shared_terms"], kept[firsts])
    spans_col = tables.list_cells(pairs["shared_spans"], kept[firsts])
    for (k, _, _), n, terms, spans in zip(groups.index, groups["size"].to_numpy(), terms_col, spans_col):
        for rank, t in enumerate(as_list_cell(terms)):
            term_score[int(k)][t] += n / (rank + 1)
        for span in as_list_cell(spans):
            span_count[int(k)][span] += int(n)

    rows = []
    for k, members in enumerate(clusters):
        if term_score[k]:
            top = sorted(term_score[k].items(), key=lambda kv: (-kv[1], kv[0]))[: settings.label_terms]
            label = "、".join(t for t, _ in top)
        elif span_count[k]:
            label = sorted(span_count[k].items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0][0]
        else:
            label = ""
        n_res = len(set(resolutions[members]))
        rows.extend((k + 1, rec_ids[m], label, len(members), n_res) for m in members)
    out = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    logger.info(
        "clusters: %d clusters of 2+ covering %d recommendations (threshold %.2f)",
        len(clusters),
        len(out),
        settings.cluster_threshold,
    )
    return out


def _positions(values: pd.Series, rec_ids: np.ndarray) -> np.ndarray:
    """Where each of ``values`` is in ``rec_ids`` (-1: not there), by Arrow's
    hash lookup (a quarter of pandas' time on half a million pairs)."""
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(values.astype(str), type=pa.string()), value_set=pa.array(rec_ids, type=pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def as_list_cell(v) -> list[str]:
    """A list cell as a list (lists, arrays from Parquet, ``a|b`` strings from CSV, None)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v]
    if isinstance(v, str):
        return [x for x in v.split("|") if x]
    return []
