"""One resolution's brief as markdown (notebook 06; the brief page,
``analysis.brief``, shows the same text): ``brief_markdown``.

Contract
--------
``brief_markdown(run, resolution, lang="zh"|"en")``: what the resolution
is (title, adopting body, source file and its sha256), its structure,
who is asked to do what and how strongly, its themes and crime areas, the
rows needing review, what it cites and its closest recommendations in
other resolutions. A run without classification gets a sentence saying
so, not an error; a resolution the run does not hold is ``subset``'s
``KeyError``. The sentences of both languages are ``_BRIEF``'s.

Why one text
------------
The notebook and the HTML brief read the same function, so what they say
of a resolution cannot drift apart.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from .contents import citation_summary, is_classified
from .load import Run, subset
from .views import _unit


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
    from .. import charts
    from ..tables import list_cell

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
        from ..coverage import adopting_body

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
        theme_counts = Counter(t for v in recs["themes"] for t in list_cell(v))
        if theme_counts:
            ranked = sorted(theme_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            out.append("- " + _b("themes", lang, t=lst.join(f"{_names(names, t, lang)} {c}" for t, c in ranked)))
        none = int(recs["themes"].map(lambda v: not list_cell(v)).sum())
        if none:
            out.append("- " + _b("no_theme", lang, k=none))
        if "crime_areas" in recs:
            areas = charts.crime_area_names()
            area_counts = Counter(a for v in recs["crime_areas"] for a in list_cell(v))
            general = int(recs["crime_areas"].map(lambda v: not list_cell(v)).sum())
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
