"""Classifier: who is asked to act, how strongly, and on what, with evidence.

Contract
--------
``classify_recommendations(recs, settings) -> (recs_out, provisions)``

* ``recs`` is the recommendations table (``tables.RECOMMENDATIONS``: at
  least ``rec_id`` and ``text``; ``chapeau``, ``part``, ``acting_body`` are
  used when present). It is not modified.
* ``recs_out`` is ``recs`` plus the columns of ``CLASSIFY_COLUMNS``:
  actor (``actor``, ``actor_group``, ``actors``, ``actor_span``,
  ``actor_source``), strength (``strength``, ``strength_family``,
  ``strength_score`` Int64, ``negated``, ``strength_span``,
  ``strength_source``), ``conditions`` and ``condition_spans``, themes
  (``themes``, ``primary_theme``, ``score_<CODE>`` per theme, ``themes_rules``,
  ``themes_model``, ``theme_evidence``), crime areas (``crime_areas``,
  ``crime_area_evidence``; ``analysis.crime_areas``), ``tokens``, ``needs_review``,
  ``review_reasons``, ``overridden`` and ``lexicon_version``.
* ``provisions`` has one row per clause with its own actor and modal
  (``PROVISION_COLUMNS``); ``is_main`` marks the clause the row's labels
  come from.
* Spans are ``[start, end]`` character offsets into ``text`` (or into
  ``chapeau`` when ``*_source == "chapeau"``; ``[]`` when there is nothing
  to point at, e.g. the acting body as implicit actor);
  ``condition_spans[i]`` is the span of ``conditions[i]`` (``[]`` for a
  condition of the chapeau); ``theme_evidence`` and
  ``crime_area_evidence`` hold ``CODE:word@start-end`` strings. Every label
  can be traced to the words that produced it. A provision's crime areas
  are those whose evidence starts in its clause (offsets into ``text``).

Where it is
-----------
* ``grammar``: the clause grammar (actor, strength, conditions, provisions
  of one text; ``classify_text``), and how the rules read a recommendation;
* ``themes``: the theme classifiers, rules and model, behind one
  scikit-learn-style interface;
* ``training``: the hand annotation (``read_annotations``) and the theme
  model trained on it (``trained_model``);
* ``settings``: ``ClassifySettings``;
* ``stage``: ``classify_recommendations``, which runs them over the table,
  and the review flags (``review_reasons``).

The package re-exports their public names (``__all__``), so
``from analysis.classify import name`` works whichever module holds it.
"""

from .grammar import Grammar, Provision, classify_text, get_grammar
from .settings import ClassifySettings
from .stage import (
    CLASSIFY_COLUMNS,
    PROVISION_COLUMNS,
    SCORE_PREFIX,
    classify_recommendations,
    review_reasons,
)
# ``_labels`` and ``_primary`` are re-exported for ``analysis.evaluate``, which scores
# the classifiers' predictions with the stage's own rules.
from .themes import (
    CombinedThemeClassifier,
    ModelThemeClassifier,
    RuleThemeClassifier,
    _labels,  # noqa: F401
    _primary,  # noqa: F401
    binarise,
)
from .training import (
    LIST_COLUMNS,
    default_training_files,
    read_annotations,
    split_list,
    trained_model,
    training_data,
)

__all__ = [
    "CLASSIFY_COLUMNS", "PROVISION_COLUMNS", "SCORE_PREFIX", "LIST_COLUMNS",
    "ClassifySettings", "classify_recommendations", "review_reasons",
    "Grammar", "Provision", "classify_text", "get_grammar",
    "CombinedThemeClassifier", "ModelThemeClassifier", "RuleThemeClassifier", "binarise",
    "default_training_files", "read_annotations", "split_list", "trained_model", "training_data",
]
