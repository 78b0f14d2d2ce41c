"""What's new: a one-page HTML brief for one resolution against the corpus so far.

Contract
--------
``write_brief(input, corpus="data/raw", out_dir="data/processed")`` runs the
pipeline over the corpus together with ``input`` (cached inputs are reused,
so only a new file costs time), then writes ``brief_<resolution>.html``:

* the unit's name as title, and notebook 06's narrative summary
  (``explore.brief_markdown``), in Chinese and English (a switch shows one);
* two charts, drawn for this page in both languages and embedded: who is
  asked to act and how strongly, and its themes against the rest of the
  corpus;
* its recommendations by actor group, strength family (in the codebook's
  order, 应 > 鼓励 > 不妨 > 其他), theme and crime area, as counts and
  percentages, beside the same for the rest of the corpus, a column shown
  only when the corpus holds another unit;
* what changed against its precedents (summary sentence, badges, redlines);
* for each recommendation, its closest recommendations in *earlier*
  resolutions (lower session number; when there is none, in the other
  resolutions), with similarity, shared terms and the shared spans marked;
  the recommendations with none are named once.

Codes never reach the page: themes, actor groups, crime areas and the
acting body appear by name. ``brief_tables(tables, resolution)`` computes
the content as tables, for the parameterised notebook (the ``rest_*``
columns only when there is a rest).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .coverage import resolution_key
from .tables import list_cell
from .explore import EVIDENCE_CSS, highlight
from .precedents import REDLINE_CSS

logger = logging.getLogger(__name__)

#: Strength families in the codebook's order (§3), strongest first.
FAMILY_ORDER = ("应", "鼓励", "不妨", "其他", "(none)")


def _counts(recs: pd.DataFrame, col: str, listed: bool = False) -> pd.Series:
    values = recs[col].map(list_cell).explode() if listed else recs[col]
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
        this = _counts(mine, col, listed)
        df = pd.DataFrame({"this_resolution": this})
        if len(rest):
            df["rest_of_corpus"] = _counts(rest, col, listed)
        df = df.fillna(0).astype(int)
        df["this_share"] = (df["this_resolution"] / max(len(mine), 1)).round(3)
        if len(rest):
            df["corpus_share"] = (df["rest_of_corpus"] / len(rest)).round(3)
        if name == "strength_family":  # the codebook's order, strongest first
            df = df.loc[sorted(df.index, key=lambda f: FAMILY_ORDER.index(f) if f in FAMILY_ORDER else 99)]
        else:
            df = df.sort_values("this_resolution", ascending=False, kind="stable")
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
                             "similarity": float(p["similarity"]), "shared_terms": list_cell(p.get("shared_terms")),
                             "shared_spans": list_cell(p.get("shared_spans"))})
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


def _png(fig, source: str) -> str:
    """A chart as an embedded PNG (150 dpi: sharp on screen, light in the page)."""
    import io

    import matplotlib.pyplot as plt

    from .charts import add_source_line
    from .pages import esc

    fig = getattr(fig, "figure", fig)
    add_source_line(fig, source)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", pad_inches=0.12, facecolor="white")
    finally:
        plt.close(fig)
    import base64

    return esc("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())


def brief_charts(tables: dict[str, pd.DataFrame], resolution: str) -> list[dict]:
    """The brief's charts, each ``{"title", "alt", "png"}`` by language (PNG data URIs)."""
    from . import charts, coverage
    from .findings import group_name, theme_name

    recs = tables["recommendations"]
    mine = recs[recs["resolution"].astype(str) == resolution]
    rest = recs[recs["resolution"].astype(str) != resolution]
    if "actor_group" not in mine or mine.empty:
        return []
    body = coverage.adopting_body(mine)
    out = []
    strength = {"title": {"zh": "谁被要求行动、措辞多强", "en": "Who is asked to act, how strongly"}, "png": {},
                "alt": {}}
    themes = {"title": {"zh": "行动主题：本决议与语料库其余部分" if len(rest) else "行动主题：本决议各部分",
                        "en": "Action themes: this resolution against the rest of the corpus" if len(rest)
                        else "Action themes: by part of this resolution"}, "png": {}, "alt": {}}
    both = recs.copy()
    labels = {}
    if len(rest):
        labels = {"zh": ("本决议", "语料库其余部分"), "en": ("This resolution", "Rest of the corpus")}
    for lang in ("zh", "en"):
        source = charts.source_text(sorted(set(recs["resolution"].astype(str))), lang=lang)
        data = coverage.actor_strength(mine, lang=lang)
        strength["png"][lang] = _png(charts.plot_actor_strength(data, lang=lang, body=body), source)
        groups = data.groupby("actor_group")["count"].sum().sort_values(ascending=False)
        sep = "、" if lang == "zh" else ", "
        strength["alt"][lang] = (("堆积条形图：本决议各行为方受到的要求及措辞强度；" if lang == "zh" else
                                  "Stacked bars: who this resolution asks to act, and how strongly; ")
                                 + sep.join(f"{group_name(g, lang, body)} {int(n)}" for g, n in groups.items()))
        if len(rest):
            both["resolution"] = [labels[lang][0] if r == resolution else labels[lang][1]
                                  for r in recs["resolution"].astype(str)]
            cov = coverage.theme_coverage(both, by="resolution", lang=lang)
        else:
            cov = coverage.theme_coverage(mine, by="part", lang=lang)
        themes["png"][lang] = _png(charts.plot_theme_coverage(cov, lang=lang), source)
        top = mine["themes"].map(list_cell).explode().dropna().value_counts().head(3)
        themes["alt"][lang] = (("热图：各行动主题的建议数量；本决议最多的是 " if lang == "zh" else
                                "Heat map: recommendations per action theme; most in this resolution: ")
                               + sep.join(f"{theme_name(t, lang)} {c}" for t, c in top.items()))
    out += [strength, themes]
    return out


def _facet_table(df: pd.DataFrame, facet: str, name) -> str:
    """A facet's counts and percentages; the rest-of-corpus columns only when there is a rest."""
    from .findings import pct
    from .pages import bi

    heads = {"actor_group": ("行为方", "Actor group"), "strength_family": ("强度", "Strength"),
             "themes": ("行动主题", "Action theme"), "crime_areas": ("犯罪领域", "Crime area")}[facet]
    has_rest = "rest_of_corpus" in df
    cols = [bi(*heads), bi("本决议", "This resolution")]
    if has_rest:
        cols.append(bi("语料库其余部分", "Rest of the corpus"))
    rows = []
    for _, r in df.iterrows():
        cells = [f"<td>{name(r[facet])}</td>",
                 f"<td class='num'>{int(r['this_resolution'])} <small>({pct(r['this_share'], 1)})</small></td>"]
        if has_rest:
            cells.append(f"<td class='num'>{int(r['rest_of_corpus'])} "
                         f"<small>({pct(r['corpus_share'], 1)})</small></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _without_heading(markdown: str) -> str:
    """The narrative without its heading (the page's title says it)."""
    lines = markdown.lstrip().splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("#") else lines)


def brief_html(tables: dict[str, pd.DataFrame], resolution: str) -> str:
    import mistune

    from . import bodies
    from .explore import Run, brief_markdown
    from .findings import area_name, body_name, group_name, theme_name
    from .charts import STRENGTH_FAMILIES
    from .pages import SWITCH, bi, bi_html, esc, head, tail

    b = brief_tables(tables, resolution)
    recs = tables["recommendations"].set_index("rec_id")
    mine = b["recommendations"]
    rest_n = int((tables["recommendations"]["resolution"].astype(str) != resolution).sum())
    from .coverage import adopting_body

    body = adopting_body(mine)
    title_zh, title_en = bodies.unit_name(resolution, "zh"), bodies.unit_name(resolution, "en")
    title = mine["resolution_title"].iloc[0] if len(mine) and "resolution_title" in mine else ""
    n_units = tables["recommendations"]["resolution"].nunique()
    parts = [SWITCH, f"<h1>{bi(title_zh, title_en)}</h1>",
             f"<p lang='zh-Hans'><b>{esc(title)}</b></p>" if title else "",
             "<p class='muted'>" + bi(
                 f"通过机构：{body_name(body, 'zh') if body else '—'}；{len(mine)} 条建议；"
                 + (f"比较对象：语料库其余 {n_units - 1} 项决议或决定的 {rest_n} 条建议。" if rest_n else
                    "语料库中没有其他决议或决定可比较。"),
                 f"Adopted by: {body_name(body, 'en') if body else '—'}; {len(mine)} recommendations; "
                 + (f"compared with {rest_n} recommendations of the other {n_units - 1} unit(s) in the corpus."
                    if rest_n else "the corpus holds no other unit to compare with.")) + "</p>"]
    # notebook 06's narrative summary
    if "documents" in tables and len(tables["documents"]):
        run = Run(Path("."), dict(tables))
        md = mistune.create_markdown(escape=True)
        try:
            parts.append("<h2>" + bi("摘要", "Summary") + "</h2>" + bi_html(
                md(_without_heading(brief_markdown(run, resolution, "zh"))),
                md(_without_heading(brief_markdown(run, resolution, "en"))), "div"))
        except (KeyError, IndexError) as exc:  # an older run without a table the summary reads
            logger.info("brief %s: no narrative summary (%s)", resolution, exc)
    charts_ = brief_charts(tables, resolution)
    if charts_:
        parts.append("<h2>" + bi("图表", "Charts") + "</h2><div class='row'>")
        for c in charts_:
            imgs = "".join(f"<img class='{lg}' lang='{'zh-Hans' if lg == 'zh' else 'en'}' src='{c['png'][lg]}' "
                           f"alt='{esc(c['alt'][lg])}'>" for lg in ("zh", "en"))
            parts.append(f"<figure>{imgs}<figcaption>{bi(c['title']['zh'], c['title']['en'])}</figcaption></figure>")
        parts.append("</div>")
    names = {
        "actor_group": lambda g: bi(group_name(g, "zh", body), group_name(g, "en", body)),
        "strength_family": lambda f: bi(*STRENGTH_FAMILIES.get(None if f == "(none)" else f, (f, f))) if f not in
        STRENGTH_FAMILIES or f is None else bi(f, f"{f} ({STRENGTH_FAMILIES[f][1]})"),
        "themes": lambda t: bi(theme_name(None if t == "(none)" else t, "zh"),
                               theme_name(None if t == "(none)" else t, "en")),
        "crime_areas": lambda a: bi(area_name(a, "zh"), area_name(a, "en")),
    }
    parts.append("<h2>" + bi("构成", "Make-up") + "</h2><div class='row'>")
    for facet in ("actor_group", "strength_family", "themes", "crime_areas"):
        if facet in b:
            parts.append(_facet_table(b[facet], facet, names[facet]))
    parts.append("</div>")
    prec = tables.get("precedents")
    prec = prec.set_index("rec_id") if prec is not None and len(prec) else None
    if prec is not None:
        from .precedents import summary, summary_sentence

        counts = summary(prec.reset_index(), resolution)
        parts.append("<h2>" + bi("与先例相比", "Against its precedents") + "</h2><p class='summary'>"
                     + bi(summary_sentence(counts, "zh"), summary_sentence(counts, "en")) + "</p>")
    from .precedents import redline_html

    parts.append("<h2>" + bi("各条建议及其最相近的先前建议", "Recommendations and their closest earlier ones")
                 + "</h2>")
    closest = b["closest"]
    alone = [r for r in mine["rec_id"] if closest.empty or r not in set(closest["rec_id"])]
    if alone and len(alone) == len(mine):
        parts.append("<p class='muted'>" + bi("语料库其他部分没有与本决议任何建议相近的建议。",
                                               "No recommendation elsewhere in the corpus is close to any of "
                                               "this resolution's.") + "</p>")
    elif alone:
        ids = "、".join(alone)
        parts.append("<p class='muted'>" + bi(f"{len(alone)} 条建议在语料库其他部分没有相近的建议：{ids}。",
                                               f"{len(alone)} recommendation(s) have no close recommendation "
                                               f"elsewhere in the corpus: {ids.replace('、', ', ')}.") + "</p>")
    for _, r in mine.iterrows():
        group = r.get("actor_group")
        family = r.get("strength_family")
        themes = list_cell(r.get("themes"))
        areas = list_cell(r.get("crime_areas"))
        label_zh = " · ".join(x for x in (
            group_name(group, "zh", body), f"{r.get('strength') or '—'}（{family if isinstance(family, str) else '未分类'}）",
            "、".join(theme_name(t, "zh") for t in themes), "、".join(area_name(a, "zh") for a in areas)) if x)
        label_en = " · ".join(x for x in (
            group_name(group, "en", body), f"{r.get('strength') or '—'} ({family if isinstance(family, str) else 'unclassified'})",
            ", ".join(theme_name(t, "en") for t in themes), ", ".join(area_name(a, "en") for a in areas)) if x)
        parts.append(f"<p><b>{esc(r['rec_id'])}</b> <small>{bi(label_zh, label_en)}</small><br>"
                     f"<span lang='zh-Hans'>{esc(r['text'])}</span></p>")
        if prec is not None and r["rec_id"] in prec.index:
            parts.append(redline_html(prec.loc[r["rec_id"]].to_dict()))
        near = closest[closest["rec_id"] == r["rec_id"]]
        if near.empty:
            continue
        items = []
        for _, n in near.iterrows():
            other = recs["text"].get(n["closest"], "")
            scope = bi("较早", "earlier") if n["scope"] == "earlier" else bi("其他", "other")
            items.append(f"<li>{esc(n['closest'])} ({scope}, {n['similarity']:.2f}; "
                         f"<span lang='zh-Hans'>{esc('、'.join(map(str, n['shared_terms'][:6])))}</span>): "
                         f"<span lang='zh-Hans'>{_marked(other, n['shared_spans'])}</span></li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    parts.append(tail())
    page = "\n".join(parts)
    css = (".row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}.row figure{flex:1 1 420px;margin:0}"
           + EVIDENCE_CSS.replace("<style>", "").replace("</style>", "")
           + REDLINE_CSS.replace("<style>", "").replace("</style>", ""))
    return head(title_zh + "：新内容简报", title_en + ": what is new", page, css) + page


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
