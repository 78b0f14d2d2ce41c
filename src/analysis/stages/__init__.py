"""The pipeline, as declared stages (``engine.stages.stage``), in the order they run.

    path ─ read ──────────── documents, paragraphs, unplaced        (per input)
             └ classify ──── recommendations, provisions             (per input)
             └ cite ──────── citations                               (per input)
    units ───────────────── (checks: each resolution in one file only)
    corrections ─────────── recommendations (the analysts' overrides)
    review ──────────────── review_queue
    overlap ─────────────── overlap, clusters                        (memo, cached on rec_id + text)
    terms ───────────────── term_frequencies
    precedents ──────────── precedents                               (needs overlap; memo)
    exports: citations.graphml, recommendations.xlsx

Each module holds one stage: a short function from the tables it requires
to the tables it produces, calling the domain module that does the work
(``segment``, ``classify``, ``overlap`` …). Adding a stage is writing one
such module, importing it here, and declaring its new table in
``analysis.tables`` (docs/architecture.md shows an example).
"""

# In declaration order: the engine keeps it wherever the tables allow. The
# review queue comes before the similarity stage so that the workbook
# (which needs it) is made beside that stage (``engine.run.Exports``).
from . import read, classify, cite, units, corrections, review, overlap, terms, precedents, exports  # noqa: I001

__all__ = ["read", "classify", "cite", "units", "corrections", "review", "overlap", "terms", "precedents", "exports"]
