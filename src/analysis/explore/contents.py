"""What a run holds, in small tables: notebooks 01 (reading), 03
(classification) and 05 (overlap and citations).

Contract
--------
Functions from tables to tables (none writes a file):

* reading (01): ``tables_overview`` (each table a run can hold, and whether
  it was written), ``structure`` (parts and sections in document order with
  counts), ``footnotes`` (with the paragraphs citing them);
* classification (03): ``CLASSIFIED``, ``missing_columns`` and
  ``is_classified`` (a run made before classification was wired is
  detected, and the notebooks say what is missing), ``unlabelled`` (what
  the classifier matched nothing for), ``evaluation`` and
  ``evaluation_headline`` (scores against the gold annotation, or None);
* overlap and citations (05): ``clusters_table``, ``with_overlap``,
  ``citation_summary``.

An empty or missing table gives an empty result, never an exception, so
the notebooks run on a corpus without citations or overlap.
"""

from __future__ import annotations

import logging

import pandas as pd

from ..tables import list_cell
from .load import TABLES, Run
from .views import _group_key, _unit

logger = logging.getLogger(__name__)


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
    p["_marks"] = p["footnotes"].map(lambda v: len(list_cell(v)))
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
        for m in list_cell(marks):
            cited.setdefault((str(res), str(m)), []).append(str(pid))
    rows = [{"resolution": r, "label": lab, "text": t, "cited_by": cited.get((str(r), str(lab)), [])}
            for r, lab, t in zip(notes["resolution"], notes["label"], notes["text"])]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------
# Classification (notebook 3)
# --------------------------------------------------------------------------

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
            k = int(recs[col].map(lambda v: not list_cell(v)).sum())
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
        from .. import evaluate
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
