"""Briefing-ready charts of the coverage, overlap and citation tables.

Contract
--------
Every ``plot_*`` function takes a table (a DataFrame in the shape written by
``analysis.coverage`` / the overlap and citation stages, see the column list
in each docstring), draws one chart and returns the matplotlib ``Axes`` it
drew on, or the ``Figure`` when the chart needs several axes
(``plot_top_terms``). They never write files and never call ``savefig``:
``save_figure`` writes PNG (300 dpi), SVG and PDF of a figure, with a small
source line (resolutions covered, lexicon version, date) under the chart.

* ``lang="zh"`` or ``"en"``: titles, axis labels, legends and category names
  (actor groups, strength families, theme names, annex/body in unit labels)
  in Chinese or English. Data values (terms, section headings, document
  symbols) are shown as written.
* ``ax=None`` creates a figure sized to the data (rows × columns); with an
  ``ax`` the chart draws into it and leaves its size alone.
* Empty tables give an empty chart saying so, not an exception: a resolution
  without citations is a result.
* Rows the coverage tables file under their explicit "no category" label
  (``未分类`` / ``(none)``, see ``coverage.NONE_LABELS``) or under None are
  drawn as their own category ("未分类" / "Unclassified", "No theme"),
  never dropped.
* Citation maps take the ``citations`` table or the graph of
  ``citations.citation_graph``; node identity (the unit key) is decided
  there, not here.

Where things are: ``labels`` (names and words in both languages, unit and
recommendation labels, wrapping), ``style`` (palettes, matplotlib settings,
sizes, the helpers every chart uses), ``save`` (source line, alternative
text, the files), and one module per family of charts: ``themes`` (theme
and crime area coverage, top terms), ``actors`` (actor group × strength),
``relations`` (overlap heatmap and network, citation map; ``heatmap_data``
and ``network_data`` are what both renderers of those two show), and
``interactive`` (the overlap heatmap and network as plotly figures for the
screen: hover reads the texts, ``customdata`` names the recommendations a
click leads to; ``notebook_view`` shows one in a notebook). Import from the
package (``from analysis import charts``; ``charts.plot_theme_coverage``):
the modules are how the code is kept, not an interface.

Why it is built this way
------------------------
One style definition (``STYLE_RC``, the palettes) so every chart of a
briefing looks alike. Categories use the Okabe–Ito palette (distinguishable
with every common colour-vision deficiency); ordered categories (strength
families) and heatmaps use one hue whose lightness carries the order, so the
charts survive greyscale printing; text on a coloured cell switches to white
on dark cells. Fonts come from ``analysis.fonts`` (Chinese renders without
any system CJK font; PDFs use TrueType outlines only). Theme names are read
from the lexicon (``lexicon/themes.yaml``, through ``analysis.lexicon``), so
the charts follow the codebook an analyst edits; crime area names come from
``lexicon/crime_areas.yaml`` the same way (``crime_area_names``). The
``Body`` actor group is shown under the adopting body's name
(``actor_group_name``).
"""

from __future__ import annotations

import importlib

from .labels import (
    ACTOR_GROUPS,
    BODIES_EN,
    CITED_KINDS,
    CRIME_GENERAL,
    LANGS,
    NONE_VALUES,
    OWN_BODY,
    STRENGTH_FAMILIES,
    STRENGTH_SCORES,
    TEXT,
    THEME_NONE,
    actor_group_name,
    crime_area_names,
    lexicon_version,
    rec_label,
    rec_sort_key,
    text_width,
    theme_names,
    unit_label,
    wrap_label,
)
from .labels import _name  # noqa: F401  (for analysis.timeline and analysis.explore)

# The drawing modules import matplotlib (and plotly), about 0.8 s: they are
# imported on first use of one of their names, so that what needs only the
# names of categories (the recommendations workbook, the pipeline's tables)
# does without them. ``charts.plot_theme_coverage`` and ``from analysis.charts
# import save_figure`` work as before. The underscored helpers are those
# ``analysis.timeline`` and ``analysis.explore`` draw with (as
# ``charts._styled`` …), so that their charts look like these.
_LAZY_MODULES = {
    "actors": ("plot_actor_strength", "plot_strength_by_actor"),
    "interactive": ("figure_json", "notebook_view", "overlap_heatmap_figure",
        "overlap_network_figure", "write_plotly_js"),
    "relations": ("HeatmapData", "NetworkData", "citation_digraph", "heatmap_data", "heatmap_pairs",
        "network_data", "network_pairs", "plot_citation_graph", "plot_overlap_heatmap",
        "plot_overlap_network"),
    "save": ("SOURCE_GID", "SOURCE_MAX_UNITS", "SOURCE_SIZE", "SVG_FONT_FAMILY", "add_source_line",
        "alt_text", "figure_title", "save_figure", "set_alt_text", "source_text"),
    "style": ("ACTOR_COLORS", "CATEGORICAL", "COLUMN_WIDTH", "FAMILY_COLORS", "FAMILY_HATCH",
        "GREY", "INK", "LIGHT_GREY", "NODE_SHAPES", "OKABE_ITO", "PAGE_WIDTH", "PRINT_COLUMN_WIDTH",
        "PRINT_PAGE_WIDTH", "SEQUENTIAL_CMAP", "STYLE_RC", "WIDTHS", "_empty", "_new_axes",
        "_require", "_styled", "_text_color"),
    "themes": ("TERMS_MAX_HEIGHT", "TERMS_MIN", "plot_crime_area_coverage", "plot_crime_area_theme",
        "plot_theme_coverage", "plot_top_terms"),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str):
    if name in _LAZY_MODULES:  # the module itself (``charts.interactive``)
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


__all__ = [
    # labels
    "ACTOR_GROUPS", "BODIES_EN", "CITED_KINDS", "CRIME_GENERAL", "LANGS", "NONE_VALUES", "OWN_BODY",
    "STRENGTH_FAMILIES", "STRENGTH_SCORES", "TEXT", "THEME_NONE", "actor_group_name", "crime_area_names",
    "lexicon_version", "rec_label", "rec_sort_key", "text_width", "theme_names", "unit_label", "wrap_label",
    # style
    "ACTOR_COLORS", "CATEGORICAL", "COLUMN_WIDTH", "FAMILY_COLORS", "FAMILY_HATCH", "GREY", "INK", "LIGHT_GREY",
    "NODE_SHAPES", "OKABE_ITO", "PAGE_WIDTH", "PRINT_COLUMN_WIDTH", "PRINT_PAGE_WIDTH", "SEQUENTIAL_CMAP",
    "STYLE_RC", "WIDTHS",
    # save
    "SOURCE_GID", "SOURCE_MAX_UNITS", "SOURCE_SIZE", "SVG_FONT_FAMILY", "add_source_line", "alt_text", "figure_title",
    "save_figure", "set_alt_text", "source_text",
    # charts
    "plot_theme_coverage", "plot_crime_area_coverage", "plot_crime_area_theme", "plot_top_terms",
    "TERMS_MAX_HEIGHT", "TERMS_MIN",
    "plot_actor_strength", "plot_strength_by_actor",
    "plot_overlap_heatmap", "plot_overlap_network", "heatmap_pairs", "network_pairs",
    "heatmap_data", "network_data", "HeatmapData", "NetworkData",
    "citation_digraph", "plot_citation_graph",
    # interactive (plotly)
    "overlap_heatmap_figure", "overlap_network_figure", "figure_json", "notebook_view", "write_plotly_js",
]
