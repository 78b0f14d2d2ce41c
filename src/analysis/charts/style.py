"""The house style of the charts: palettes, matplotlib settings, sizes.

Contract
--------
``STYLE_RC`` and the palettes (``OKABE_ITO``, ``CATEGORICAL``,
``ACTOR_COLORS``, ``FAMILY_COLORS`` …) are what every chart draws with;
``COLUMN_WIDTH``/``PAGE_WIDTH`` (``WIDTHS``) the widths a chart is sized
for, so that the saved image fits an A4 column or page. The helpers every
chart function uses (``_styled``, ``_require``, ``_new_axes``, ``_empty``,
``_text_color``) live here too; ``analysis.timeline`` draws its charts with
them (through the package's names).

Why
---
One style definition so every chart of a briefing looks alike.
Categories use the Okabe–Ito palette (distinguishable with every common
colour-vision deficiency); ordered categories (strength families) and
heatmaps use one hue whose lightness carries the order, so the charts
survive greyscale printing; text on a coloured cell switches to white on
dark cells. Fonts come from ``analysis.fonts`` (Chinese renders without any
system CJK font), set up by ``_styled`` before each chart is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from analysis.fonts import setup_fonts

from .labels import _lang, _t

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Unordered categories (resolutions, kinds): Okabe–Ito without black/yellow
#: first (yellow vanishes on white paper).
CATEGORICAL = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "reddish_purple",
                                      "vermillion", "sky_blue", "yellow", "black")]
#: Node shapes paired with CATEGORICAL (networkx/matplotlib marker codes).
NODE_SHAPES = "osD^vph8"
GREY = "#9A9A9A"
LIGHT_GREY = "#D9D9D9"
INK = "#222222"

#: Actor groups: categorical, one Okabe–Ito colour each.
ACTOR_COLORS = {
    "States": OKABE_ITO["blue"],
    "UNODC": OKABE_ITO["orange"],
    "Body": OKABE_ITO["bluish_green"],
    "Other": OKABE_ITO["reddish_purple"],
    None: GREY,
}
#: Strength families are ordered (应 strongest): one hue, darker = stronger,
#: so the order survives greyscale; 其他 (no modal scale) is grey and hatched.
FAMILY_COLORS = {"应": "#08306B", "鼓励": "#4A90C8", "不妨": "#C6DBEF", "其他": "#F0F0F0", None: "#FFFFFF"}
FAMILY_HATCH = {"其他": "///", None: "..."}
#: Heatmaps: single-hue sequential map, white at zero.
SEQUENTIAL_CMAP = "Blues"

STYLE_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#555555",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=CATEGORICAL),
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "legend.title_fontsize": 8,
    "image.cmap": SEQUENTIAL_CMAP,
    "hatch.color": "#555555",
    "hatch.linewidth": 0.6,
}


def _styled(func):
    """Run a plot function with the fonts set up and the house style on."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        _lang(kwargs.get("lang", "zh"))
        setup_fonts()
        with mpl.rc_context(STYLE_RC):
            return func(*args, **kwargs)

    return wrapper


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: table lacks column(s) {', '.join(missing)} (has {', '.join(map(str, df.columns))})")


#: Print widths (inches) of the saved image: an A4 text column (16 cm) and a
#: full A4 page in landscape (25 cm between margins). Charts are sized for
#: the column; a chart function offers ``width="page"`` where the column is
#: too narrow for it. The figure is narrower by the margin ``save_figure``
#: adds (``pad_inches`` on either side).
PRINT_COLUMN_WIDTH = 6.3
PRINT_PAGE_WIDTH = 9.8
_SAVE_PAD = 0.12
COLUMN_WIDTH = PRINT_COLUMN_WIDTH - 2 * _SAVE_PAD - 0.04
PAGE_WIDTH = PRINT_PAGE_WIDTH - 2 * _SAVE_PAD - 0.04
WIDTHS = {"column": COLUMN_WIDTH, "page": PAGE_WIDTH}


def _max_width(width: str | float) -> float:
    if isinstance(width, (int, float)):
        return float(width)
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {sorted(WIDTHS)} or inches, not {width!r}")
    return WIDTHS[width]


def _new_axes(ax: Axes | None, width: float, height: float, max_width: str | float = "column") -> Axes:
    if ax is not None:
        return ax
    width = float(np.clip(width, 4.0, _max_width(max_width)))
    height = float(np.clip(height, 2.4, 24.0))
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def _empty(ax: Axes, title: str, lang: str) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_axis_off()
    return ax


def _text_color(rgb) -> str:
    r, g, b = to_rgb(rgb)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else INK
