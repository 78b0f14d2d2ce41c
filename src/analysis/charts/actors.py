"""Who is asked to act, and how strongly: the actor × strength charts.

Contract
--------
``plot_actor_strength`` draws stacked bars of recommendations per actor
group split by strength family (应 / 鼓励 / 不妨 / 其他, darker =
stronger); ``plot_strength_by_actor`` a bubble grid of strength scores
(1–5) per actor group with each group's mean. Both take the ``coverage``
tables (``actor_strength``, ``strength_by_actor``), show the ``Body``
group under the adopting body's name (``body``, see
``labels.actor_group_name``) and, when they make their own figure, the
same note on how the codebook's families and scores order the cues.

Why
---
Families are the headline categories and scores the finer order; they do
not nest (吁请 scores 4, above 应考虑's 3, but is of the 鼓励 family), so
the two charts are drawn side by side with one note that says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .labels import (
    ACTOR_GROUPS,
    STRENGTH_FAMILIES,
    STRENGTH_SCORES,
    _lang,
    _na_to_none,
    _name,
    _t,
    actor_group_name,
    wrap_label,
)
from .style import (
    ACTOR_COLORS,
    FAMILY_COLORS,
    FAMILY_HATCH,
    GREY,
    INK,
    LIGHT_GREY,
    _empty,
    _new_axes,
    _require,
    _styled,
    _text_color,
)


def _tally(df: pd.DataFrame, keys: tuple[str, str]) -> dict[tuple, float]:
    """Sum ``count`` by two key columns, missing keys as None (kept in plain
    Python: pandas' string dtype would turn None back into NaN)."""
    out: dict[tuple, float] = {}
    for a, b, c in df[[keys[0], keys[1], "count"]].itertuples(index=False):
        if c is None or pd.isna(c):
            continue
        b = _na_to_none(b)
        if b is not None and not isinstance(b, str):
            b = int(b)
        key = (_na_to_none(a), b)
        out[key] = out.get(key, 0.0) + float(c)
    return out


def _ordered(values: Iterable, reference: Mapping) -> list:
    """Values in the order of ``reference`` (codebook order), unknown ones after."""
    values = set(values)
    return [v for v in reference if v in values] + sorted((v for v in values if v not in reference), key=str)


@_styled
def plot_actor_strength(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                        normalize: bool = False, title: str | None = None, body: str | None = "COP") -> Axes:
    """Stacked horizontal bars: recommendations per actor group, split by
    strength family (应 / 鼓励 / 不妨 / 其他; darker = stronger).

    ``data``: ``actor_strength`` ``[actor_group, strength_family, count]``;
    an empty/None actor group is shown as "not identified". ``normalize``
    shows shares of each actor group's recommendations instead of counts.
    ``body``: the adopting body's code, under whose name the ``Body`` group
    is shown (``coverage.adopting_body``; None when the rows mix bodies).
    """
    title = _t("actor_title", lang) if title is None else title
    own = ax is None
    _require(data, ("actor_group", "strength_family", "count"), "plot_actor_strength")
    table = {k: v for k, v in _tally(data, ("actor_group", "strength_family")).items() if v > 0}
    actors = _ordered({a for a, _ in table}, ACTOR_GROUPS)
    families = _ordered({f for _, f in table}, STRENGTH_FAMILIES)
    ax = _new_axes(ax, 7.0, 1.7 + 0.5 * max(len(actors), 1))
    if not table:
        return _empty(ax, title, lang)

    totals = {a: sum(table.get((a, f), 0.0) for f in families) for a in actors}
    y = np.arange(len(actors))
    left = np.zeros(len(actors))
    xmax = 1.0 if normalize else max(totals.values())
    for f in families:
        widths = np.array([table.get((a, f), 0.0) / (totals[a] if normalize else 1) for a in actors])
        color = FAMILY_COLORS.get(f, LIGHT_GREY)
        hatch = FAMILY_HATCH.get(f)
        drawn = widths > 0  # a zero-width bar would still draw its edge as a stray line
        bars = ax.barh(y[drawn], widths[drawn], left=left[drawn], color=color, height=0.62,
                       edgecolor="#555555" if hatch else "white", linewidth=0.6, hatch=hatch,
                       label=_name(STRENGTH_FAMILIES, f, lang))
        for rect, w, a in zip(bars, widths[drawn], [a for a, d in zip(actors, drawn) if d]):
            n = table.get((a, f), 0.0)
            label = f"{w:.0%}" if normalize else f"{int(n)}"
            if w >= (0.03 + 0.012 * len(label)) * xmax:  # room for the number
                ax.text(rect.get_x() + w / 2, rect.get_y() + rect.get_height() / 2, label,
                        ha="center", va="center", fontsize=8, color=_text_color(color),
                        bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none") if hatch else None)
        left += widths
    if not normalize:
        for yi, a in zip(y, actors):
            ax.text(totals[a] + 0.01 * xmax, yi, f"{int(totals[a])}", va="center", ha="left", fontsize=8, color=INK)
    ax.set_yticks(y, [actor_group_name(a, lang, body) for a in actors])
    ax.invert_yaxis()
    ax.set_xlim(0, xmax * (1.0 if normalize else 1.08))
    if normalize:
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    else:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(_t("share" if normalize else "recommendations", lang))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.legend(title=_t("family", lang), ncols=len(families), loc="lower left", bbox_to_anchor=(0, 1.0),
              alignment="left", handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)
    ax.set_title(title, pad=34)
    if own:
        _strength_note(ax, lang)
    return ax


def _strength_note(ax: Axes, lang: str) -> None:
    """The note under both strength charts: how the codebook's families and
    scores order the cues, so that the two charts read alike."""
    columns = int(ax.figure.get_figwidth() * 72 / (6.5 * 0.55)) - 4
    ax.figure.supxlabel(wrap_label(_t("strength_note", lang), columns, 4), x=0.01, ha="left", fontsize=6.5,
                        color="#444444")


@_styled
def plot_strength_by_actor(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                           title: str | None = None, body: str | None = "COP") -> Axes:
    """Distribution of strength scores (1–5) per actor group as a bubble
    grid: circle area = number of recommendations, the number is printed,
    a diamond under the row marks the group's mean score. Rows without a
    score (family 其他: 决定, 核可 …) get their own column on the left.

    ``data``: ``strength_by_actor`` ``[actor_group, strength_score, count]``;
    ``body`` as in ``plot_actor_strength``.
    """
    title = _t("strength_title", lang) if title is None else title
    own = ax is None
    _require(data, ("actor_group", "strength_score", "count"), "plot_strength_by_actor")
    grid = {}
    for (a, s), c in _tally(data, ("actor_group", "strength_score")).items():
        if c > 0:
            key = (a, int(s) if s is not None else 0)  # 0 = no score
            grid[key] = grid.get(key, 0.0) + c
    actors = _ordered({a for a, _ in grid}, ACTOR_GROUPS)
    ax = _new_axes(ax, 7.0, 1.9 + 0.6 * max(len(actors), 1))
    if not grid:
        return _empty(ax, title, lang)
    biggest = max(grid.values())
    has_unscored = any(x == 0 for _, x in grid)
    for yi, a in enumerate(actors):
        cells = {x: c for (aa, x), c in grid.items() if aa == a}
        color = ACTOR_COLORS.get(a, GREY)
        for x, c in cells.items():
            size = 700 * c / biggest
            face, edge = (color, color) if x else ("white", GREY)
            ax.scatter([x], [yi], s=size, color=face, edgecolor=edge, linewidth=1.2, zorder=2)
            r_pt = math.sqrt(size / math.pi)
            inside = r_pt > 7
            ax.annotate(f"{int(c)}", (x, yi), xytext=(0, 0) if inside else (r_pt + 2, r_pt + 1),
                        textcoords="offset points", ha="center" if inside else "left",
                        va="center" if inside else "bottom", fontsize=8, zorder=3,
                        color=_text_color(face) if inside else INK)
        scored = {x: c for x, c in cells.items() if x}
        if scored:
            mean = sum(x * c for x, c in scored.items()) / sum(scored.values())
            ax.plot([mean], [yi + 0.36], marker="D", color=INK, markersize=4, zorder=3, linestyle="none")
    xs = ([0] if has_unscored else []) + [1, 2, 3, 4, 5]
    labels = ([_t("no_score", lang)] if has_unscored else []) + [
        f"{s}\n{wrap_label(STRENGTH_SCORES[s][_lang(lang)], 10, 3)}" for s in (1, 2, 3, 4, 5)]
    ax.set_xticks(xs, labels)
    if has_unscored:
        ax.axvline(0.5, color=LIGHT_GREY, linewidth=0.8, zorder=0)
    ax.set_xlim(min(xs) - 0.6, 5.6)
    ax.set_yticks(range(len(actors)), [actor_group_name(a, lang, body) for a in actors])
    ax.set_ylim(len(actors) - 0.45, -0.6)
    ax.grid(axis="y", color="#EEEEEE", zorder=0)
    ax.tick_params(length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(_t("score_axis", lang))
    handles = [Line2D([], [], marker="D", color=INK, linestyle="none", markersize=4, label=_t("mean", lang)),
               Line2D([], [], marker="o", color=GREY, markerfacecolor="none", linestyle="none", markersize=8,
                      label=_t("n_recs", lang))]
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1.0), ncols=2, borderaxespad=0.2)
    ax.set_title(title, pad=22)
    if own:
        _strength_note(ax, lang)
    return ax
