"""What a run found, in sentences: the summary and key findings of ``report.html``.

Contract
--------
``corpus_summary(recs)`` counts units by adopting body and year;
``key_findings(run)`` returns 3 to 6 findings as ``(zh, en)`` pairs, each
written from the run's tables (never from fixed text): the largest themes,
the share of 应 by actor group, the closest overlaps, what the latest unit
changed against its precedents, and how many recommendations name a crime
area. A finding whose table is missing or empty (one unit, no overlap, no
precedents) is left out, never written as zero. Names, never codes:
themes, actor groups, crime areas and units read as ``charts`` and
``bodies`` name them.
"""

from __future__ import annotations

import pandas as pd

from . import bodies
from .coverage import adopting_body
from .tables import list_cell


def pct(part: float, whole: float) -> str:
    """A share as a percentage a reader takes in at a glance.

    >>> pct(2, 28), pct(0, 5), pct(1, 0), pct(1, 3)
    ('7%', '0%', '–', '33%')
    """
    if not whole:
        return "–"
    return f"{100 * part / whole:.0f}%"


def theme_name(code, lang: str) -> str:
    from .charts import theme_names

    names = theme_names()
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return "未分类" if lang == "zh" else "unclassified"
    return names.get(code, (code, code))[0 if lang == "zh" else 1]


def area_name(code, lang: str) -> str:
    from .charts import CRIME_GENERAL, crime_area_names

    if code is None or code == "(none)":
        return CRIME_GENERAL[0 if lang == "zh" else 1]
    return crime_area_names().get(code, (code, code))[0 if lang == "zh" else 1]


def group_name(group, lang: str, body: str | None) -> str:
    from .charts import actor_group_name

    if group is None or (isinstance(group, float) and pd.isna(group)) or group == "(none)":
        group = None
    return actor_group_name(group, lang, body)


def body_name(code: str, lang: str) -> str:
    b = bodies.load_bodies().get(code)
    if b is None:
        return str(code)
    return b.zh if lang == "zh" else b.en_short


def units(recs: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: ``resolution``, ``body``, ``year``, ``n`` recommendations, in time order."""
    cols = [c for c in ("resolution", "body", "year") if c in recs.columns]
    u = recs.groupby("resolution", sort=False).agg(
        **{c: (c, "first") for c in cols if c != "resolution"}, n=("rec_id", "size")).reset_index()
    if "body" not in u:
        u["body"] = "COP"
    if "year" not in u:
        u["year"] = pd.NA
    order = sorted(range(len(u)), key=lambda i: bodies.time_key(str(u["resolution"].iloc[i])))
    return u.iloc[order].reset_index(drop=True)


def corpus_summary(recs: pd.DataFrame) -> tuple[str, str]:
    """"3 个文件单位（缔约方会议 2：2020–2022 年；大会 1：1998 年），共 41 条建议" and its English."""
    u = units(recs)
    zh, en = [], []
    for body, g in u.groupby("body", sort=False):
        years = sorted(int(y) for y in g["year"].dropna())
        span = "" if not years else (str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}")
        zh.append(f"{body_name(body, 'zh')} {len(g)} 项" + (f"，{span} 年" if span else ""))
        en.append(f"{body_name(body, 'en')}: {len(g)}" + (f", {span}" if span else ""))
    kinds = recs.groupby("resolution")["unit_kind"].first() if "unit_kind" in recs else pd.Series(dtype=str)
    n_dec = int((kinds == "decision").sum())
    n_res = len(u) - n_dec
    zh_units = "、".join(x for x in (f"{n_res} 项决议" if n_res else "", f"{n_dec} 项决定" if n_dec else "") if x)
    en_units = " and ".join(x for x in (f"{n_res} resolution{'s' if n_res != 1 else ''}" if n_res else "",
                                        f"{n_dec} decision{'s' if n_dec != 1 else ''}" if n_dec else "") if x)
    return (f"{zh_units}（{'；'.join(zh)}），共 {len(recs)} 条建议。",
            f"{en_units} ({'; '.join(en)}), {len(recs)} recommendations in all.")


def _themes(recs: pd.DataFrame) -> tuple[str, str] | None:
    if "themes" not in recs:
        return None
    counts = recs["themes"].map(list_cell).explode().dropna().value_counts()
    if counts.empty:
        return None
    top = counts.head(3)
    n = len(recs)
    zh = "、".join(f"{theme_name(t, 'zh')}（{c} 条，{pct(c, n)}）" for t, c in top.items())
    en = "; ".join(f"{theme_name(t, 'en')} ({c}, {pct(c, n)})" for t, c in top.items())
    return (f"涉及最多的行动主题：{zh}。", f"Largest action themes: {en}.")


def _strength(recs: pd.DataFrame) -> tuple[str, str] | None:
    if "actor_group" not in recs or "strength_family" not in recs:
        return None
    body = adopting_body(recs)
    rows = []
    for group, g in recs.groupby(recs["actor_group"].fillna("(none)"), sort=False):
        rows.append((group, int((g["strength_family"] == "应").sum()), len(g)))
    rows.sort(key=lambda r: (-r[2], str(r[0])))
    total_should = sum(r[1] for r in rows)
    zh = "；".join(f"{group_name(g, 'zh', body)} {s}/{n}（{pct(s, n)}）" for g, s, n in rows)
    en = "; ".join(f"{group_name(g, 'en', body)} {s} of {n} ({pct(s, n)})" for g, s, n in rows)
    return (f"“应”（最强的措辞）占全部建议的 {pct(total_should, len(recs))}，按行为方：{zh}。",
            f"“应” (shall/should, the strongest wording) makes up {pct(total_should, len(recs))} of all "
            f"recommendations; by actor group: {en}.")


def _overlap(run) -> tuple[str, str] | None:
    pairs = run.tables.get("overlap")
    if pairs is None or pairs.empty:
        return None
    best = pairs.sort_values("similarity", ascending=False).iloc[0]
    clusters = run.tables.get("clusters")
    n_groups = clusters["cluster_id"].nunique() if clusters is not None and len(clusters) else 0
    across = int((~pairs["same_resolution"].astype(bool)).sum()) if "same_resolution" in pairs else None
    a, b = str(best["rec_id_a"]), str(best["rec_id_b"])
    zh_across = f"，其中 {across} 对跨越不同决议" if across else ""
    en_across = f", {across} of them across resolutions" if across else ""
    return (f"{len(pairs)} 对建议措辞相近{zh_across}；{n_groups} 组建议要求同一行动；最相近的是 {a} 与 {b}"
            f"（相似度 {best['similarity']:.2f}）。",
            f"{len(pairs)} pairs of recommendations are worded alike{en_across}; {n_groups} "
            f"group{'s' if n_groups != 1 else ''} ask{'s' if n_groups == 1 else ''} for the same action; the closest are {a} and {b} (similarity {best['similarity']:.2f}).")


def _precedents(run) -> tuple[str, str] | None:
    from .precedents import summary

    prec = run.tables.get("precedents")
    recs = run.recommendations
    if prec is None or prec.empty or recs["resolution"].nunique() < 2:
        return None
    latest = units(recs)["resolution"].iloc[-1]
    counts = summary(prec, latest)
    if not counts.get("n"):
        return None
    stronger = prec[(prec["resolution"].astype(str) == latest) & (prec["strength_change"] == "stronger")]
    ex = "、".join(stronger["rec_id"].astype(str).head(3))
    z_name, e_name = bodies.unit_name(latest, "zh"), bodies.unit_name(latest, "en")
    return (f"{z_name}与先例相比：{counts['n']} 条建议中 {counts.get('new', 0)} 条新增、"
            f"{counts.get('stronger', 0)} 条更强、{counts.get('weaker', 0)} 条更弱、"
            f"{counts.get('unchanged', 0)} 条未变" + (f"（更强的：{ex}）" if ex else "") + "。",
            f"{e_name} against its precedents: of {counts['n']} recommendation{'s' if counts['n'] != 1 else ''} "
            f"{counts.get('new', 0)} {'is' if counts.get('new', 0) == 1 else 'are'} new, "
            f"{counts.get('stronger', 0)} stronger, {counts.get('weaker', 0)} weaker, "
            f"{counts.get('unchanged', 0)} unchanged" + (f" (stronger: {ex.replace('、', ', ')})" if ex else "")
            + ".")


def _crime(recs: pd.DataFrame) -> tuple[str, str] | None:
    if "crime_areas" not in recs:
        return None
    areas = recs["crime_areas"].map(list_cell)
    named = int(areas.map(bool).sum())
    counts = areas.explode().dropna().value_counts()
    if counts.empty:
        return (f"没有一条建议点名具体犯罪领域：全部针对《公约》总体（{len(recs)} 条）。",
                f"No recommendation names a crime area: all {len(recs)} concern the Convention in general.")
    top = "、".join(f"{area_name(a, 'zh')} {c}" for a, c in counts.head(3).items())
    top_en = ", ".join(f"{area_name(a, 'en')} {c}" for a, c in counts.head(3).items())
    return (f"{named} 条建议（{pct(named, len(recs))}）点名具体犯罪领域：{top}；其余针对《公约》总体。",
            f"{named} recommendations ({pct(named, len(recs))}) name a crime area: {top_en}; the rest concern "
            "the Convention in general.")


def key_findings(run) -> list[tuple[str, str]]:
    """3–6 findings, each a ``(zh, en)`` pair written from the run's tables."""
    recs = run.recommendations
    found = [_themes(recs), _strength(recs), _overlap(run), _precedents(run), _crime(recs)]
    if "needs_review" in recs and recs["needs_review"].any():
        n = int(recs["needs_review"].sum())
        found.append((f"{n} 条建议（{pct(n, len(recs))}）的标签需要人工复核（见 review_queue.csv）。",
                      f"{n} recommendation{'s' if n != 1 else ''} ({pct(n, len(recs))}) {'has' if n == 1 else 'have'} labels that need a person's review "
                      "(review_queue.csv)."))
    return [f for f in found if f][:6]
