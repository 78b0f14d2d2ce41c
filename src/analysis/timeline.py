"""Language over time: coverage by session and the drift of agreed language.

Contract
--------
* ``session_label(key, lang)``: a unit's session as a person reads it
  (``缔约方会议第11届会议（2022）`` / ``COP 11 (2022)``);
* ``facet_by_session(recs, facet, lang)``: long table ``[session, year,
  value, label, count, share]`` of one facet (``themes``, ``strength_family``,
  ``crime_areas``) per session, sessions in time order (a recommendation
  counts once for each of its themes or crime areas; ``share`` is of the
  session's recommendations);
* ``plot_facet_over_time(data, *, ax=None, lang)``: lines, one per value,
  share of each session's recommendations;
* ``plot_language_drift(data, *, ax=None, lang)``: per unit in time order,
  stacked bars of recommendations unchanged / changed and stronger / weaker /
  same strength / new (``precedents.drift``).

Charts follow ``analysis.charts``: the bundled CJK font, the house style,
``plot_*(data, *, ax=None, lang) -> Axes``, saved by ``charts.save_figure``.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from . import charts
from .bodies import load_bodies, parse_key, session_of, time_key, unit_name, year_of
from .tables import list_cell

_TEXT = {
    "drift_title": ("建议与先例相比：未变、加强、减弱还是新增", "Recommendations against their precedents"),
    "facet_title": ("{facet}随会议届次的变化（占该届建议的比例）", "{facet} by session (share of the session's recommendations)"),
    "unchanged": ("未变", "Unchanged"),
    "stronger": ("措辞改动，更强", "Changed, stronger"),
    "weaker": ("措辞改动，更弱", "Changed, weaker"),
    "same": ("措辞改动，强度不变", "Changed, same strength"),
    "new": ("新增", "New"),
    "recommendations": ("建议条数", "Recommendations"),
    "share": ("比例", "Share"),
    "themes": ("行动主题", "Action themes"),
    "strength_family": ("语气强度", "Strength"),
    "crime_areas": ("犯罪领域", "Crime areas"),
    "none": ("（无）", "(none)"),
    "no_theme": ("未分类", "No theme"),
    "no_strength": ("无语气词", "No strength cue"),
}
DRIFT_KINDS = ("unchanged", "stronger", "weaker", "same", "new")
DRIFT_COLORS = {"unchanged": charts.LIGHT_GREY, "stronger": "#08306B", "weaker": charts.OKABE_ITO["vermillion"],
                "same": "#4A90C8", "new": charts.OKABE_ITO["bluish_green"]}


def _t(key: str, lang: str, **kw) -> str:
    return _TEXT[key][0 if lang == "zh" else 1].format(**kw)


def session_label(key: str, lang: str = "zh") -> str:
    """A unit's session as a person reads it.

    >>> session_label("11/2"), session_label("GA.52/85", "en"), session_label("ECOSOC.2002/13")
    ('缔约方会议第11届会议（2022）', 'General Assembly 52 (1997)', '经济及社会理事会2002年')
    """
    try:
        body, _, _ = parse_key(key)
    except ValueError:
        return str(key)
    b, session, year = load_bodies()[body], session_of(key), year_of(key)
    if body == "ECOSOC":
        return f"{b.zh}{session}年" if lang == "zh" else f"{b.en_short} {session}"
    yr = f"（{year}）" if lang == "zh" and year else f" ({year})" if year else ""
    return f"{b.zh}第{session}届会议{yr}" if lang == "zh" else f"{b.en if body != 'COP' else 'COP'} {session}{yr}"


def _value_name(facet: str, value, lang: str) -> str:
    if (value is None or value == "") and facet == "crime_areas":
        return charts.CRIME_GENERAL[0 if lang == "zh" else 1]
    if (value is None or value == "") and facet == "themes":
        return charts.THEME_NONE[0 if lang == "zh" else 1]
    if (value is None or value == "") and facet == "strength_family":
        return charts._name(charts.STRENGTH_FAMILIES, None, lang)
    if value is None or value == "":
        return _t("no_theme" if facet == "themes" else "no_strength" if facet == "strength_family" else "none", lang)
    if facet == "themes":
        names = charts.theme_names()
        return names[value][0 if lang == "zh" else 1] if value in names else str(value)
    if facet == "strength_family":
        return charts._name(charts.STRENGTH_FAMILIES, value, lang)
    if facet == "crime_areas":
        table = charts.crime_area_names()
        return table[value][0 if lang == "zh" else 1] if value in table else str(value)
    return str(value)


def facet_by_session(recs: pd.DataFrame, facet: str = "themes", lang: str = "zh") -> pd.DataFrame:
    """One facet's counts and shares per session, sessions in time order."""
    cols = ["session", "year", "value", "label", "count", "share"]
    if recs.empty or facet not in recs:
        return pd.DataFrame(columns=cols)
    first = {}
    for key in recs["resolution"].astype(str):
        s = session_label(key, lang)
        first[s] = min(first.get(s, time_key(key)), time_key(key))
    sessions = recs["resolution"].astype(str).map(lambda k: session_label(k, lang))
    values = recs[facet].map(list_cell) if facet in ("themes", "crime_areas") else recs[facet].map(lambda v: [v])
    rows = []
    totals = sessions.value_counts()
    for s, vals, key in zip(sessions, values, recs["resolution"].astype(str)):
        for v in vals or [None]:
            rows.append((s, year_of(key), v))
    df = pd.DataFrame(rows, columns=["session", "year", "value"])
    out = df.groupby(["session", "value"], dropna=False).size().rename("count").reset_index()
    out["year"] = out["session"].map(df.groupby("session")["year"].first())
    out["label"] = [_value_name(facet, v if v == v else None, lang) for v in out["value"]]
    out["share"] = out["count"] / out["session"].map(totals)
    out = out.iloc[sorted(range(len(out)), key=lambda i: (first[out["session"].iloc[i]], -out["count"].iloc[i]))]
    return out[cols].reset_index(drop=True)


@charts._styled
def plot_facet_over_time(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh", facet: str = "themes",
                         top: int = 6, title: str | None = None) -> Axes:
    """One line per value (the ``top`` most frequent), share of each session's
    recommendations; sessions in time order along the x axis."""
    facet_name = _t(facet, lang) if facet in _TEXT else facet
    title = _t("facet_title", lang, facet=facet_name) if title is None else title
    charts._require(data, ("session", "label", "share", "count"), "plot_facet_over_time")
    sessions = list(dict.fromkeys(data["session"]))
    ax = charts._new_axes(ax, 5.8, 4.4)
    if data.empty:
        return charts._empty(ax, title, lang)
    # the most frequent values, ties by value: the same lines and colours in both languages
    values = data["value"].astype(object).where(data["value"].notna(), "")
    totals = data.assign(_v=values).groupby("_v")["count"].sum()
    keep = sorted(totals.index, key=lambda v: (-totals[v], str(v)))[:top]
    x = np.arange(len(sessions))
    for i, value in enumerate(keep):
        rows = data[values == value]
        label = rows["label"].iloc[0]
        sub = rows.set_index("session")["share"].reindex(sessions).fillna(0.0)
        ax.plot(x, sub.to_numpy(), marker="o", markersize=4, linewidth=1.6,
                label=charts.wrap_label(label, 28 if lang == "zh" else 34, 2),
                color=charts.CATEGORICAL[i % len(charts.CATEGORICAL)])
    ax.set_xticks(x, [charts.wrap_label(s, 14 if lang == "zh" else 11, 3) for s in sessions])
    ax.set_xlim(-0.4, len(sessions) - 0.6)
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.set_ylim(0, min(1.0, max(0.1, float(data["share"].max()) * 1.15)))
    ax.set_ylabel(_t("share", lang))
    # under the plot, so that long theme names do not take the plot's width
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncols=2, handlelength=1.4, columnspacing=1.2)
    ax.set_title(title)
    return ax


@charts._styled
def plot_language_drift(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                        title: str | None = None) -> Axes:
    """Stacked bars per unit, in time order: unchanged, changed (stronger /
    weaker / same strength) and new recommendations. ``data``:
    ``precedents.drift`` ``[resolution, year, unchanged, stronger, weaker, same, new, n]``, or its
    per-session form (first column ``session``, labels as they are)."""
    title = _t("drift_title", lang) if title is None else title
    by_session = "session" in data.columns
    charts._require(data, ("session" if by_session else "resolution", *DRIFT_KINDS), "plot_language_drift")
    units = list(data["session" if by_session else "resolution"].astype(str))
    ax = charts._new_axes(ax, min(5.8, 2.6 + 0.55 * len(units)), 3.6)
    if data.empty:
        return charts._empty(ax, title, lang)
    x = np.arange(len(units))
    bottom = np.zeros(len(units))
    for kind in DRIFT_KINDS:
        h = data[kind].to_numpy(dtype=float)
        drawn = h > 0
        ax.bar(x[drawn], h[drawn], bottom=bottom[drawn], color=DRIFT_COLORS[kind], width=0.68,
               edgecolor="white", linewidth=0.6, label=_t(kind, lang))
        for xi, hi, bi in zip(x[drawn], h[drawn], bottom[drawn]):
            if hi >= 0.06 * max(data["n"].max(), 1):
                ax.text(xi, bi + hi / 2, f"{int(hi)}", ha="center", va="center", fontsize=7,
                        color=charts._text_color(mpl.colors.to_rgb(DRIFT_COLORS[kind])))
        bottom += h
    if by_session:
        labels = units
    else:
        labels = [unit_name(u, lang) if pd.isna(y) else f"{unit_name(u, lang)}\n{int(y)}"
                  for u, y in zip(units, data["year"])]
    ax.set_xticks(x, [charts.wrap_label(lab, 16, 3) for lab in labels])
    ax.set_ylabel(_t("recommendations", lang))
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.legend(ncols=3, loc="lower left", bbox_to_anchor=(0, 1.0), handlelength=1.2, columnspacing=1.0,
              borderaxespad=0.2)
    ax.set_title(title, pad=34)
    return ax
