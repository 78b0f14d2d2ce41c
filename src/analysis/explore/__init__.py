"""Helpers the notebooks call: load a run's tables, filter, highlight, explore.

Contract
--------
``load(processed)`` reads the tables ``cop-analysis run`` wrote (Parquet) into
a ``Run`` (missing tables are empty, and logged), all from the one run
``processed/current`` points at (``outputs.run_folder``), so that a run
switching its outputs in meanwhile cannot mix two runs' tables.
``filter_recommendations`` filters by resolution, actor group, strength
family, theme, crime area and a text search.
``highlight`` and ``evidence_html`` render a recommendation with the spans
that produced its labels marked, for the notebooks to display.
``explorer`` builds the interactive (ipywidgets) filter; headless it is
still a valid widget and the notebooks show a static table beside it.

The small tables each notebook shows, all functions from tables to tables
(none writes a file):

* reading (01): ``tables_overview``, ``structure`` (parts and sections in
  document order with counts), ``footnotes`` (with the paragraphs citing
  them);
* tokens (02): ``token_view``, ``terms_wide``, ``dictionary_coverage``,
  ``out_of_dictionary``, ``synonyms_folded`` (through ``analysis.tokenise``'s
  public API, so they count exactly what the pipeline counts);
* classification (03): ``is_classified``/``missing_columns``, ``unlabelled``,
  ``evaluation``/``evaluation_headline``;
* coverage (04): ``coverage_wide`` (themes or crime areas, by code or by
  name: ``label_name``), ``actor_strength_by_resolution``;
* overlap and citations (05): ``filter_pairs``, ``pairs_explorer``,
  ``clusters_table``, ``with_overlap``, ``citation_summary``;
* one resolution (06): ``pick_resolution`` (the one asked for, or the
  run's latest), ``subset`` (every table restricted to it; refuses a
  resolution the run does not hold, naming those it does) and
  ``brief_markdown`` (the brief's text, ``lang="zh"|"en"``).

What always holds: an empty or missing table gives an empty result (or a
sentence saying so), never an exception, so the notebooks run on a corpus
without citations or overlap; a run made before classification was wired
is detected (``is_classified``) and the notebooks say what is missing.

Notebooks hold no functions of their own: anything two notebooks would both
need lives here.

Layout
------
Every public name is re-exported here: ``from analysis import explore``
then ``explore.<name>`` is how notebooks, the CLI and the pipeline use the
package. The modules, each importing only those listed before it:

* ``load``: ``Run``, ``load``, ``pick_resolution``, ``subset`` (the one
  module that reads files);
* ``views``: tables for reading, names never codes (``heading``,
  ``label_name``, ``named``, ``readable_table``, the wide coverage tables);
* ``filters``: ``filter_recommendations``, ``crime_area_options``,
  ``filter_pairs``;
* ``evidence``: the HTML with evidence marked (``highlight``,
  ``evidence_spans``, ``evidence_terms``, ``evidence_html``, ``pairs_html``, ``EVIDENCE_CSS``);
* ``contents`` (notebooks 01, 03, 05), ``terms`` (02),
  ``resolution_brief`` (06: ``brief_markdown``);
* ``workbook``: the sheets of ``recommendations.xlsx``;
* ``widgets``: the ipywidgets UIs (``explorer``, ``pairs_explorer``,
  ``search_widget``).
"""

from .contents import (
    CLASSIFIED,
    citation_summary,
    clusters_table,
    evaluation,
    evaluation_headline,
    footnotes,
    is_classified,
    missing_columns,
    structure,
    tables_overview,
    unlabelled,
    with_overlap,
)
from .evidence import EVIDENCE_CSS, evidence_html, evidence_spans, evidence_terms, highlight, pairs_html
from .filters import GENERAL, crime_area_options, filter_pairs, filter_recommendations
from .load import TABLES, Run, load, pick_resolution, subset
from .resolution_brief import brief_markdown
from .terms import dictionary_coverage, out_of_dictionary, synonyms_folded, terms_wide, token_view
from .views import (
    CODE_HEADING,
    actor_strength_by_resolution,
    actor_strength_wide,
    cooccurrence_named,
    coverage_wide,
    crime_theme_wide,
    heading,
    label_name,
    label_namer,
    named,
    readable_table,
    strength_family_name,
)
from .widgets import explorer, pairs_explorer, search_widget
from .workbook import codebook_table, readable_recommendations, recommendations_workbook, sources_table

__all__ = [
    # load
    "TABLES", "Run", "load", "pick_resolution", "subset",
    # views
    "CODE_HEADING", "heading", "label_name", "label_namer", "strength_family_name", "named", "readable_table", "coverage_wide",
    "actor_strength_wide", "actor_strength_by_resolution", "cooccurrence_named", "crime_theme_wide",
    # filters
    "GENERAL", "filter_recommendations", "crime_area_options", "filter_pairs",
    # evidence
    "EVIDENCE_CSS", "highlight", "evidence_spans", "evidence_terms", "evidence_html", "pairs_html",
    # contents
    "CLASSIFIED", "missing_columns", "is_classified", "tables_overview", "structure", "footnotes",
    "unlabelled", "evaluation", "evaluation_headline", "clusters_table", "with_overlap", "citation_summary",
    # terms
    "token_view", "terms_wide", "dictionary_coverage", "out_of_dictionary", "synonyms_folded",
    # resolution_brief
    "brief_markdown",
    # workbook
    "readable_recommendations", "codebook_table", "sources_table", "recommendations_workbook",
    # widgets
    "explorer", "pairs_explorer", "search_widget",
]
