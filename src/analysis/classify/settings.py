"""The settings of the classification stage, in one frozen record.

Why a module of its own: the stage (``stage``) and the trained model
(``training``, whose cache key includes the lexicon, the annotation files
and the tokeniser backend named here) both read them, and neither should
import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassifySettings:
    """Settings of ``classify_recommendations``; the defaults are what
    ``cop-analysis run`` uses.

    ``training``: annotation CSVs the theme model learns from; ``None``
    means the project's ``data/annotations/*.csv`` when they exist (the
    model is skipped, with a warning, when none is found).
    ``rule_weight``: weight of the rules in the combined theme score (the
    model gets the rest). ``threshold``: combined score from which a theme
    is assigned. ``review_margin``: how far from 0.5 the model's
    probability must be for a disagreement with the rules to be flagged.
    (The analysts' overrides are applied by the pipeline's ``corrections``
    stage, once, not by the classifier.)
    """

    lexicon_dir: str | None = None
    theme_model: bool = True
    training: tuple[str, ...] | None = None
    rule_weight: float = 0.5
    threshold: float = 0.5
    review_margin: float = 0.25
    backend: str = "auto"
    with_tokens: bool = True

