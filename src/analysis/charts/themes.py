"""What the recommendations are about: themes and crime areas by unit, the
two crossed, and the top terms.

Contract
--------
``plot_theme_coverage`` and ``plot_crime_area_coverage`` draw label × unit
heatmaps of the ``coverage`` tables (one row per codebook theme or crime
area, covered or not: a blank row is a finding; the recommendations
without a label in a grey row of their own); ``plot_crime_area_theme``
the action theme × crime area heatmap; ``plot_top_terms`` small multiples
of the top terms per theme or resolution (returns the Figure). Rows and
panels are shown by name (``labels.theme_names``, ``crime_area_names``),
never by code.

Why
---
The three heatmaps are one chart with different rows and columns, so they
share their drawing (``_unit_heatmap`` for the unit charts) and read
alike: cells shaded by share of the column's (or row's) recommendations,
comparable across units of different size, and annotated with the number
the colour shows.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .labels import (
    _NONE_KEY,
    CRIME_GENERAL,
    THEME_NONE,
    _english,
    _lang,
    _na_to_none,
    _name,
    _t,
    _unit_head,
    crime_area_names,
    rec_sort_key,
    text_width,
    theme_names,
    unit_label,
    wrap_label,
)
from .save import set_alt_text
from .style import (
    COLUMN_WIDTH,
    INK,
    OKABE_ITO,
    SEQUENTIAL_CMAP,
    _empty,
    _max_width,
    _new_axes,
    _require,
    _styled,
    _text_color,
)

#: The package logs under one name (``analysis.charts``), as the module did.
logger = logging.getLogger("analysis.charts")


def _split_unit(label: str) -> tuple[str, str]:
    parts = re.split(r"\s*·\s*|\n", str(label), maxsplit=1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


@_styled
def plot_theme_coverage(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                        value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Theme × unit heatmap with the number of recommendations in each cell.

    ``data``: ``theme_coverage`` long form ``[unit, theme, count, share]``
    with optional ``unit_order`` (units are ordered by it, else as they
    come). Every codebook theme gets a row, covered or not: a blank row is a
    finding. Cells are shaded by ``share`` (comparable across units of
    different size) or by ``count`` (``value="count"``, or when there is no
    share column) and annotated with the count.
    """
    finding, title = title is None, _t("coverage_title", lang) if title is None else title
    _require(data, ("unit", "theme", "count"), "plot_theme_coverage")
    return _unit_heatmap(data, "theme", theme_names(), THEME_NONE, ax=ax, lang=lang, value=value, title=title,
                         width=width, finding=finding)


@_styled
def plot_crime_area_coverage(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                             value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Crime area × unit heatmap (codebook §4b), drawn as the theme coverage:
    one row per codebook area (named, never coded), a last row for the
    recommendations about the Convention in general, cells shaded by share
    of the unit's recommendations and annotated with the count.

    ``data``: ``coverage.crime_area_coverage`` long form ``[unit, crime_area,
    count, share]`` (optional ``unit_order``); units may be resolutions,
    parts, sections or the values of another grouping column (a session).
    """
    finding, title = title is None, _t("crime_coverage_title", lang) if title is None else title
    _require(data, ("unit", "crime_area", "count"), "plot_crime_area_coverage")
    return _unit_heatmap(data, "crime_area", crime_area_names(), CRIME_GENERAL, ax=ax, lang=lang, value=value,
                         title=title, width=width, finding=finding)


def _grid_axes(ax, row_labels: list, col_labels: list, rotate: bool) -> None:
    """The axes of a grid of cells: one cell per label, rows read from the
    top, column labels above (turned upright when ``rotate``), no ticks or
    frame."""
    ax.set_xlim(0, len(col_labels))
    ax.set_ylim(len(row_labels), 0)
    ax.set_xticks(np.arange(len(col_labels)) + 0.5, col_labels, rotation=90 if rotate else 0, fontsize=7.5)
    ax.set_yticks(np.arange(len(row_labels)) + 0.5, row_labels)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)



def _unit_heatmap(data: pd.DataFrame, row_col: str, names: Mapping, none_name: tuple[str, str], *,
                  ax: Axes | None, lang: str, value: str, title: str, width: str | float = "column",
                  finding: bool = False) -> Axes:
    """Label × unit heatmap: one row per named label (then labels outside the
    names, then the no-label row when the data has it), one column per unit."""
    if value not in ("share", "count"):
        raise ValueError(f"value must be 'share' or 'count', not {value!r}")
    if value == "share" and "share" not in data.columns:
        value = "count"
    df = data.copy()
    if "unit_order" in df.columns:
        units = df.sort_values(["unit_order", "unit"], kind="stable")["unit"].drop_duplicates().tolist()
    else:
        units = df["unit"].drop_duplicates().tolist()
    df[row_col] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df[row_col]]
    extra = set(df[row_col]) - set(names) - {_NONE_KEY}
    rows = list(names) + sorted(extra) + ([_NONE_KEY] if _NONE_KEY in set(df[row_col]) else [])
    counts = df.pivot_table(index=row_col, columns="unit", values="count", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=rows, columns=units, fill_value=0)
    if value == "share":
        shade = df.pivot_table(index=row_col, columns="unit", values="share", aggfunc="sum", fill_value=0.0)
        shade = shade.reindex(index=rows, columns=units, fill_value=0.0).astype(float)
        top = float(shade.to_numpy().max(initial=0.0))
        vmax = 1.0 if top <= 1.0 else top  # shares are ≤ 1 unless a caller counts otherwise
    else:
        shade = counts.astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))

    n_units = len(units)
    # Column headings: the unit (its name, annex/body in the chart's
    # language), its number of recommendations, and for a section a number
    # (§1 …) whose heading is written out under the chart: headings are
    # sentences, and a column is too narrow to hold one uncut.
    n_recs = df.drop_duplicates("unit").set_index("unit")["n_recs"] if "n_recs" in df.columns else None
    heads, key_lines, col_labels = [], [], []
    for j, u in enumerate(units):
        head, section = _split_unit(unit_label(u, lang))
        head = _unit_head(head, lang)
        if section:
            mark = f"§{len(key_lines) + 1}"
            shown = section if lang == "zh" else _english(section)
            key_lines.append(f"{mark} {head}: {shown}" if lang == "en" else f"{mark} {head}：{shown}")
        heads.append(head)
        if lang == "en" and n_units > 4:  # narrow columns: the UN's own abbreviations
            head = head.replace(" resolution ", " res. ").replace(" decision ", " dec. ")
        col_labels.append(wrap_label(head, 12 if lang == "zh" else 13 if n_units <= 4 else 9, 4) + (f"\n{mark}" if section else "")
                          + (f"\nn = {int(n_recs.get(u, 0))}" if n_recs is not None else ""))
    rotate = n_units > 8
    if rotate:
        col_labels = [x.replace("\n", " ") for x in col_labels]
    none_i = rows.index(_NONE_KEY) if _NONE_KEY in rows else None
    row_labels = [wrap_label(_name({**names, _NONE_KEY: none_name}, t, lang), 22 if lang == "en" else 20, 3)
                  for t in rows]
    max_w = _max_width(width)
    col_w = 0.42 if rotate else 0.62
    key_h = 0.13 * sum(len(wrap_label(k, int(max_w * 72 / 4.4) - 4, 4).split("\n")) for k in key_lines)
    ax = _new_axes(ax, 3.0 + 1.1 + col_w * n_units, 2.1 + 0.34 * len(rows) + key_h
                   + (0.06 * max((text_width(u) for u in col_labels), default=0) if rotate else 0), width)
    if not n_units:
        return _empty(ax, title, lang)
    if finding:
        # The title says what the chart shows first: the label most
        # recommendations carry (multi-label: of all the recommendations).
        per_row = counts.drop(index=[_NONE_KEY], errors="ignore").sum(axis=1)
        total = int(sum(int(n_recs.get(u, 0)) for u in units)) if n_recs is not None else 0
        if len(per_row) and per_row.max() > 0 and total:
            lead = _name(names, per_row.idxmax(), lang)
            k = int(per_row.max())
            title = (f"{title}：{lead}最多（{total} 条建议中 {k} 条）" if lang == "zh"
                     else f"{title}: {lead} leads ({k} of {total} recommendations)")
            title = wrap_label(title, int((ax.figure.get_figwidth() - 2.3) * 72 / (11 * 0.55)), 3)

    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    norm = Normalize(0, vmax)
    grid = shade.to_numpy().copy()
    named = np.ma.masked_array(grid, mask=np.zeros_like(grid, dtype=bool))
    if none_i is not None:
        named.mask[none_i, :] = True
    mesh = ax.pcolormesh(named, cmap=cmap, norm=norm, edgecolors="white", linewidth=1.5)
    if none_i is not None:
        # The recommendations without a label: a row of its own, in grey, apart
        # from the labels (it is what the rules missed, not a theme).
        grey = np.ma.masked_array(grid, mask=np.ones_like(grid, dtype=bool))
        grey.mask[none_i, :] = False
        ax.pcolormesh(grey, cmap=mpl.colormaps["Greys"], norm=Normalize(0, vmax * 1.6), edgecolors="white",
                      linewidth=1.5)
        ax.axhline(none_i, color="white", linewidth=5)
    _grid_axes(ax, row_labels, col_labels, rotate)
    for i in range(len(rows)):
        for j in range(n_units):
            n = int(counts.iat[i, j])
            if n:
                # The number is what the colour shows: the share, or the count.
                text = f"{shade.iat[i, j]:.0%}" if value == "share" else str(n)
                colour = (_text_color(cmap(norm(shade.iat[i, j]))) if i != none_i
                          else _text_color(mpl.colormaps["Greys"](shade.iat[i, j] / (vmax * 1.6))))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=7.5, color=colour)
    # A rule between resolutions when units of several resolutions sit side by side.
    prefixes = [str(u).split(" ", 1)[0] for u in units]
    if len(set(prefixes)) > 1 and len(set(prefixes)) < n_units:
        for j in range(1, n_units):
            if prefixes[j] != prefixes[j - 1]:
                ax.axvline(j, color=INK, linewidth=1.0)
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=min(1.0, 6 / len(rows) + 0.3), pad=0.02, aspect=25)
    bar.set_label(_t("coverage_share" if value == "share" else "coverage_count", lang))
    bar.outline.set_visible(False)
    if value == "share":
        bar.ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    note = _t("cells_share" if value == "share" else "cells_count", lang)
    columns = int((ax.figure.get_figwidth() - 2.3) * 72 / (7 * 0.55))  # the axes' width, in 7 pt columns
    key = "\n".join(wrap_label(k, columns, 4) for k in [note, *key_lines])
    ax.set_xlabel(key, loc="left", fontsize=7, color="#444444")
    ax.set_title(title)
    set_alt_text(ax.figure, f"{title}. " + _t("alt_heatmap", lang, rows=len(rows), cols=n_units) + " " + note)
    logger.debug("%s coverage: %d rows × %d units", row_col, len(rows), n_units)
    return ax


@_styled
def plot_crime_area_theme(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "zh",
                          value: str = "share", title: str | None = None, width: str | float = "column") -> Axes:
    """Action theme × crime area heatmap: which kinds of action the
    recommendations about each crime ask for (codebook §4 × §4b).

    ``data``: ``coverage.crime_area_by_theme`` ``[theme, crime_area, count]``
    with optional ``share`` (count over the theme's recommendations). Rows
    are the codebook themes (then "No theme"), columns the codebook crime
    areas (then "Convention in general"), all shown by name. Cells are
    shaded by ``share`` (read a row: of the technical-assistance
    recommendations, the share about trafficking in persons; a
    recommendation with two areas counts in both, so a row may add up to
    more than 100 %) or by ``count``, and annotated with the count.
    """
    title = _t("crime_theme_title", lang) if title is None else title
    _require(data, ("theme", "crime_area", "count"), "plot_crime_area_theme")
    if value not in ("share", "count"):
        raise ValueError(f"value must be 'share' or 'count', not {value!r}")
    if value == "share" and "share" not in data.columns:
        value = "count"
    df = data.copy()
    themes, areas = theme_names(), crime_area_names()
    df["theme"] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df["theme"]]
    df["crime_area"] = [_NONE_KEY if _na_to_none(t) is None else str(t) for t in df["crime_area"]]
    rows = list(themes) + sorted(set(df["theme"]) - set(themes) - {_NONE_KEY}) + (
        [_NONE_KEY] if _NONE_KEY in set(df["theme"]) else [])
    cols = list(areas) + sorted(set(df["crime_area"]) - set(areas) - {_NONE_KEY}) + (
        [_NONE_KEY] if _NONE_KEY in set(df["crime_area"]) else [])
    counts = df.pivot_table(index="theme", columns="crime_area", values="count", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0)
    if value == "share":
        shade = df.pivot_table(index="theme", columns="crime_area", values="share", aggfunc="sum", fill_value=0.0)
        shade = shade.reindex(index=rows, columns=cols, fill_value=0.0).astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))
    else:
        shade = counts.astype(float)
        vmax = max(1.0, float(shade.to_numpy().max(initial=0.0)))
    n_theme = (df.drop_duplicates("theme").set_index("theme")["n_theme"] if "n_theme" in df.columns else None)
    row_labels = [wrap_label(_name({**themes, _NONE_KEY: THEME_NONE}, t, lang), 22 if lang == "en" else 20, 3)
                  + (f" (n = {int(n_theme.get(t, 0))})" if n_theme is not None else "") for t in rows]
    # Eleven areas and the Convention in general do not fit side by side in a
    # column: their names run up the columns.
    col_labels = [wrap_label(_name({**areas, _NONE_KEY: CRIME_GENERAL}, c, lang), 22 if lang == "en" else 12, 2)
                  for c in cols]
    tallest = max((text_width(x) for c in col_labels for x in c.split("\n")), default=8)
    ax = _new_axes(ax, 3.4 + 1.2 + 0.34 * len(cols), 2.3 + 0.3 * len(rows) + 0.075 * tallest, width)
    if not len(df) or not counts.to_numpy().sum():
        return _empty(ax, title, lang)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    norm = Normalize(0, vmax)
    grid = np.ma.masked_array(shade.to_numpy().copy(), mask=np.zeros(shade.shape, dtype=bool))
    none_j = cols.index(_NONE_KEY) if _NONE_KEY in cols else None
    if none_j is not None:
        grid.mask[:, none_j] = True
    mesh = ax.pcolormesh(grid, cmap=cmap, norm=norm, edgecolors="white", linewidth=1.5)
    if none_j is not None:
        # the Convention in general (no crime named): grey, apart from the named crimes
        grey = np.ma.masked_array(shade.to_numpy().copy(), mask=np.ones(shade.shape, dtype=bool))
        grey.mask[:, none_j] = False
        ax.pcolormesh(grey, cmap=mpl.colormaps["Greys"], norm=Normalize(0, vmax * 1.6), edgecolors="white",
                      linewidth=1.5)
    _grid_axes(ax, row_labels, col_labels, True)
    for i in range(len(rows)):
        for j in range(len(cols)):
            n = int(counts.iat[i, j])
            if n:
                # the number is what the colour shows: the share, or the count
                text = f"{shade.iat[i, j]:.0%}" if value == "share" else str(n)
                face = (cmap(norm(shade.iat[i, j])) if j != none_j
                        else mpl.colormaps["Greys"](shade.iat[i, j] / (vmax * 1.6)))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=6.5, color=_text_color(face))
    if none_j is not None:
        ax.axvline(none_j, color="white", linewidth=5)
    bar = ax.figure.colorbar(mesh, ax=ax, shrink=min(1.0, 6 / len(rows) + 0.3), pad=0.02, aspect=25)
    bar.set_label(_t("theme_share" if value == "share" else "coverage_count", lang))
    bar.outline.set_visible(False)
    if value == "share":
        bar.ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    note = _t("cells_theme_share" if value == "share" else "cells_count", lang)
    ax.set_xlabel(wrap_label(note, int((ax.figure.get_figwidth() - 2.3) * 72 / (7 * 0.55)), 3), loc="left",
                  fontsize=7, color="#444444")
    ax.set_title(title)
    set_alt_text(ax.figure, f"{title}. " + _t("alt_heatmap", lang, rows=len(rows), cols=len(cols)) + " " + note)
    return ax


def _group_label(group, lang: str) -> str:
    names = theme_names()
    if group in names:
        return _name(names, group, lang)
    if _na_to_none(group) is None:
        return THEME_NONE[_lang(lang)]
    group = str(group)
    if re.fullmatch(r"\d+/\d+", group):
        label = _t("resolution_1", lang, r=group)
        return label[:1].upper() + label[1:]
    return unit_label(group, lang)


#: Tallest a top-terms figure is drawn (inches): with its source line and the
#: saving margin it stays within 20 cm, the height of an A4 column figure.
TERMS_MAX_HEIGHT = 7.3
#: Height of one bar row (inches; English glosses may take two lines), and
#: what each row of panels and the figure take besides their bars.
_TERMS_BAR = {"zh": 0.19, "en": 0.25}
_TERMS_PANEL = 0.3
_TERMS_FRAME = 0.85
#: Fewest terms a panel shows when the figure must be cut to fit.
TERMS_MIN = 3


def _terms_layout(counts: list[int], ncols: int, n: int, lang: str) -> tuple[int, list[int]]:
    """How many terms per panel (at most ``n``, at least ``TERMS_MIN``) fit
    ``TERMS_MAX_HEIGHT`` for panels of ``counts`` terms in rows of
    ``ncols``, and the bar rows each row of panels takes.

    >>> _terms_layout([4, 3, 7, 10, 5, 2, 1, 2], 2, 10, "zh")
    (10, [4, 10, 5, 2])
    >>> _terms_layout([10] * 8, 2, 10, "en")[0]
    5
    """
    for k in range(n, TERMS_MIN - 1, -1):
        rows = [max(min(c, k) for c in counts[i:i + ncols]) for i in range(0, len(counts), ncols)]
        if _TERMS_FRAME + _TERMS_PANEL * len(rows) + _TERMS_BAR[lang] * sum(rows) <= TERMS_MAX_HEIGHT:
            return k, rows
    return TERMS_MIN, rows


@_styled
def plot_top_terms(data: pd.DataFrame, *, fig: Figure | None = None, lang: str = "zh", n: int = 10,
                   ncols: int | None = None, title: str | None = None, width: str | float = "column") -> Figure:
    """Small multiples: one horizontal bar panel per group (theme or
    resolution), its top terms (at most ``n``), rank 1 on top, the count at
    the bar end (the bars need no axis).

    ``data``: ``top_terms`` ``[group, term, count, rank]``. Theme codes as
    groups are shown by their name, resolutions as 第…号决议/resolution ….
    Each panel has its own scale (groups differ in size); returns the Figure.
    Panels sit in two columns for a column-wide chart; each row of panels is
    as tall as its longest panel, and when the figure would be taller than
    ``TERMS_MAX_HEIGHT`` (an A4 column at most 20 cm tall, type of 7 pt and
    more) every panel shows fewer terms (never fewer than ``TERMS_MIN``),
    which the title says.
    """
    _require(data, ("group", "term", "count"), "plot_top_terms")
    named = {g for g in data["group"] if _na_to_none(g) is not None}
    by = "by_theme" if named and named <= set(theme_names()) else "by_group"
    df = data.copy()
    if "rank" not in df.columns:
        df["rank"] = df.groupby("group", sort=False)["count"].rank(method="first", ascending=False)
    df = df[df["rank"] <= n]
    names = theme_names()
    groups = df["group"].drop_duplicates().tolist()
    groups.sort(key=lambda g: (list(names).index(g) if g in names else len(names),
                               rec_sort_key(str(g) + ":") if isinstance(g, str) else ((),)))
    k = len(groups)
    max_w = _max_width(width)
    ncols = ncols or (1 if k <= 1 else 2 if max_w <= COLUMN_WIDTH + 1e-9 or k <= 4 else 3)
    nrows = max(1, math.ceil(k / ncols))
    sizes = df.groupby("group", sort=False).size()
    shown, rows = _terms_layout([int(sizes[g]) for g in groups] or [0], ncols, n, lang)
    if shown < n and k:
        df = df[df["rank"] <= shown]
    if title is None:  # it says how many terms each panel shows, when it had to cut
        title = _t("terms_title", lang) + (_t(f"{by}_top", lang, n=shown) if shown < n and k else _t(by, lang))
    height = _TERMS_FRAME + _TERMS_PANEL * nrows + _TERMS_BAR[lang] * sum(rows)
    if fig is None:
        fig = plt.figure(figsize=(min(3.1 * ncols + 0.2, max_w), min(height, TERMS_MAX_HEIGHT) if k else 2.5),
                         layout="constrained")
    if not k:
        ax = fig.add_subplot()
        _empty(ax, title, lang)
        return fig
    axes = fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={"height_ratios": [max(r, 1) for r in rows]})
    for i, (ax, g) in enumerate(zip(axes.flat, groups)):
        sub = df[df["group"] == g].sort_values(["rank", "term"])
        y = np.arange(len(sub))
        ax.barh(y, sub["count"], color=OKABE_ITO["blue"], height=0.7)
        terms = [wrap_label(t if lang == "zh" else _english(t), 16 if lang == "zh" else 26, 2) for t in sub["term"]]
        ax.set_yticks(y, terms, fontsize=7.5)
        ax.set_ylim(max(rows[i // ncols], len(sub)) - 0.5, -0.5)  # bars as thick in every panel
        cmax = float(sub["count"].max())
        for yi, c in zip(y, sub["count"]):
            ax.text(c + 0.02 * cmax, yi, f"{int(c)}", va="center", ha="left", fontsize=7, color=INK)
        ax.set_xlim(0, cmax * 1.18)
        ax.xaxis.set_visible(False)  # each bar says its count
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        # the panel's title starts where its bars do: about half the panel's width is left for it
        ax.set_title(wrap_label(_group_label(g, lang), 24 if lang == "en" else 20, 2), fontsize=9)
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.supxlabel(_t("terms_note", lang), x=0.01, ha="left", fontsize=7, color="#444444")
    set_alt_text(fig, f"{title}. " + _t("terms_note", lang))
    return fig
