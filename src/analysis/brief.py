"""What's new: a one-page HTML brief for one resolution against the corpus so far.

Contract
--------
``write_brief(input, corpus="data/raw", out_dir="data/processed")`` runs the
pipeline over the corpus together with ``input`` (cached inputs are reused,
so only a new file costs time), then writes ``brief_<resolution>.html``:

* the resolution's recommendations by actor group, strength family,
  theme and crime area, beside the same counts for the rest of the corpus;
* for each recommendation, its closest recommendations in *earlier*
  resolutions (lower session number; when there is none, in the other
  resolutions), with similarity, shared terms and the shared spans marked.

``brief_tables(tables, resolution)`` computes the same content as tables, for
the parameterised notebook.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd

from .coverage import as_list, resolution_key
from .explore import EVIDENCE_CSS, highlight
from .precedents import REDLINE_CSS

logger = logging.getLogger(__name__)


def _counts(recs: pd.DataFrame, col: str, listed: bool = False) -> pd.Series:
    values = recs[col].map(as_list).explode() if listed else recs[col]
    return values.fillna("(none)").value_counts()


def brief_tables(tables: dict[str, pd.DataFrame], resolution: str, *, per_rec: int = 3) -> dict[str, pd.DataFrame]:
    """Counts of the resolution vs the rest, and each recommendation's closest earlier ones."""
    recs = tables["recommendations"]
    if resolution not in set(recs["resolution"]):
        raise ValueError(f"resolution {resolution} is not in the corpus (have: {sorted(set(recs['resolution']))})")
    mine = recs[recs["resolution"] == resolution]
    rest = recs[recs["resolution"] != resolution]
    out = {}
    facets = [("actor_group", "actor_group", False), ("strength_family", "strength_family", False),
              ("themes", "themes", True)]
    if "crime_areas" in recs.columns:  # "(none)": the Convention in general
        facets.append(("crime_areas", "crime_areas", True))
    for name, col, listed in facets:
        this, other = _counts(mine, col, listed), _counts(rest, col, listed)
        df = pd.DataFrame({"this_resolution": this, "rest_of_corpus": other}).fillna(0).astype(int)
        df["this_share"] = (df["this_resolution"] / max(len(mine), 1)).round(3)
        df["corpus_share"] = (df["rest_of_corpus"] / max(len(rest), 1)).round(3)
        out[name] = df.rename_axis(name).reset_index()
    pairs = tables.get("overlap", pd.DataFrame())
    res_of = recs.set_index("rec_id")["resolution"].to_dict()
    key = resolution_key(resolution)
    rows = []
    if len(pairs):
        both = pd.concat([
            pairs,
            pairs.rename(columns={"rec_id_a": "rec_id_b", "rec_id_b": "rec_id_a"}),
        ], ignore_index=True)
        both = both.loc[(both["rec_id_a"].map(res_of) == resolution) & (both["rec_id_b"].map(res_of) != resolution)]
        is_earlier = [resolution_key(res_of.get(r, "0/0")) < key for r in both["rec_id_b"]]
        earlier = both.loc[pd.Series(is_earlier, index=both.index, dtype=bool)]
        for rec_id in mine["rec_id"]:
            cand = earlier[earlier["rec_id_a"] == rec_id]
            scope = "earlier"
            if cand.empty:
                cand, scope = both[both["rec_id_a"] == rec_id], "other"
            cand = cand.sort_values("similarity", ascending=False).drop_duplicates("rec_id_b").head(per_rec)
            for _, p in cand.iterrows():
                rows.append({"rec_id": rec_id, "closest": p["rec_id_b"], "scope": scope,
                             "similarity": float(p["similarity"]), "shared_terms": as_list(p.get("shared_terms")),
                             "shared_spans": as_list(p.get("shared_spans"))})
    out["closest"] = pd.DataFrame(rows, columns=["rec_id", "closest", "scope", "similarity", "shared_terms",
                                                 "shared_spans"])
    out["recommendations"] = mine
    return out


def _marked(text: str, spans: list[str]) -> str:
    marks = []
    for s in spans:
        start = text.find(str(s))
        if s and start >= 0:
            marks.append((start, start + len(str(s)), "shared"))
    return highlight(text, marks)


def brief_html(tables: dict[str, pd.DataFrame], resolution: str) -> str:
    b = brief_tables(tables, resolution)
    recs = tables["recommendations"].set_index("rec_id")
    mine = b["recommendations"]
    title = mine["resolution_title"].iloc[0] if len(mine) else ""
    parts = [
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>第{html.escape(resolution)}号决议：新内容简报</title>", EVIDENCE_CSS,
        "<style>body{font-family:sans-serif;max-width:1000px;margin:1.5em auto;font-size:14px;line-height:1.45}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px}"
        ".row{display:flex;gap:2em;flex-wrap:wrap}small{color:#555}"
        "</style>", REDLINE_CSS, "</head><body>",
        f"<h1>第{html.escape(resolution)}号决议 / Resolution {html.escape(resolution)}</h1>",
        f"<p>{html.escape(title)} — {len(mine)} recommendations; corpus: "
        f"{tables['recommendations']['resolution'].nunique()} resolutions, {len(tables['recommendations'])} recommendations.</p>",
        "<div class='row'>",
    ]
    from .charts import actor_group_name
    from .coverage import adopting_body

    body = adopting_body(mine)
    shown = b["actor_group"].copy()
    shown["actor_group"] = [actor_group_name(g if g != "(none)" else None, "zh", body) for g in shown["actor_group"]]
    parts.append(shown.to_html(index=False, border=0))
    for name in ("strength_family", "themes"):
        parts.append(b[name].to_html(index=False, border=0))
    if "crime_areas" in b:
        from .charts import CRIME_GENERAL, crime_area_names

        names = crime_area_names()
        shown = b["crime_areas"].copy()
        shown["crime_areas"] = [CRIME_GENERAL[0] if a == "(none)" else names.get(a, (a,))[0]
                                for a in shown["crime_areas"]]
        parts.append(shown.rename(columns={"crime_areas": "犯罪领域 / crime area"}).to_html(index=False, border=0))
    parts.append("</div>")
    prec = tables.get("precedents")
    prec = prec.set_index("rec_id") if prec is not None and len(prec) else None
    if prec is not None:
        from .precedents import redline_html, summary, summary_sentence

        counts = summary(prec.reset_index(), resolution)
        parts.append(f"<h2>与先例相比 / Against its precedents</h2><p class='summary'>"
                     f"{html.escape(summary_sentence(counts, 'zh'))}<br><small>"
                     f"{html.escape(summary_sentence(counts, 'en'))}</small></p>")
    parts.append("<h2>Recommendations and their closest earlier ones</h2>")
    closest = b["closest"]
    for _, r in mine.iterrows():
        group = r.get("actor_group")
        labels = f"{actor_group_name(group if isinstance(group, str) else None, 'zh', body)} · " \
                 f"{r.get('strength')} ({r.get('strength_family')}) · " + "、".join(as_list(r.get("themes")))
        areas = as_list(r.get("crime_areas"))
        if areas:
            from .charts import crime_area_names

            labels += " · " + "、".join(crime_area_names().get(a, (a,))[0] for a in areas)
        parts.append(f"<p><b>{html.escape(r['rec_id'])}</b> <small>{html.escape(labels)}</small><br>"
                     f"{html.escape(r['text'])}</p>")
        if prec is not None and r["rec_id"] in prec.index:
            parts.append(redline_html(prec.loc[r["rec_id"]].to_dict()))
        near = closest[closest["rec_id"] == r["rec_id"]]
        if near.empty:
            parts.append("<p><small>No close recommendation elsewhere in the corpus.</small></p>")
            continue
        items = []
        for _, n in near.iterrows():
            other = recs["text"].get(n["closest"], "")
            items.append(f"<li>{html.escape(n['closest'])} ({n['scope']}, {n['similarity']:.2f}; "
                         f"{html.escape('、'.join(map(str, n['shared_terms'][:6])))}): "
                         f"{_marked(other, n['shared_spans'])}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_brief(input_path: str | Path, *, corpus: str | Path = "data/raw", out_dir: str | Path = "data/processed") -> Path:
    """Run the pipeline over ``corpus`` + ``input_path`` and write the brief."""
    from .pipeline import RunSettings, run
    from .inputs import file_sha256

    input_path = Path(input_path)
    inputs = [Path(corpus)]
    in_corpus = Path(corpus).is_dir() and input_path.resolve().parent == Path(corpus).resolve()
    if not in_corpus:
        inputs.append(input_path)
    result = run(inputs, out_dir, RunSettings())
    docs = result.corpus.documents
    units = docs.loc[docs["source_sha256"] == file_sha256(input_path), "units"].iloc[0]
    # A session report holds several resolutions and decisions: one brief each.
    targets = []
    for resolution in units:
        target = Path(out_dir) / f"brief_{resolution.replace('/', '-')}.html"
        target.write_text(brief_html(result.tables, resolution), encoding="utf-8")
        targets.append(target)
    return targets[0] if len(targets) == 1 else targets
