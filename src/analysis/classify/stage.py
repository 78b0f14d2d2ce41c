"""The classification stage: every row through the grammar, the theme
classifiers and the crime areas, the review flags. (The analysts' overrides are the
``corrections`` stage's, applied once, after every input is classified.)

``classify_recommendations(recs, settings)`` is the contract the package
docstring describes; it works on whole columns (one pass of the grammar
per text, the theme scores of all rows as one matrix) so that a corpus of
tens of thousands of recommendations classifies in seconds.
``needs_review`` is set where rules and model disagree with confidence, and
where a row has no actor, no strength cue, or (unless it is the body's own
decision) no theme (``review_reasons``).
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd

from ..crime_areas import CrimeAreaClassifier
from ..engine.parallel import gc_paused
from .grammar import get_grammar
from .settings import ClassifySettings
from .themes import CombinedThemeClassifier, RuleThemeClassifier, _labels, _primary
from .training import trained_model
from .. import tables

# The package's logger: messages read ``analysis.classify`` as before the split.
logger = logging.getLogger(__package__)

SCORE_PREFIX = "score_"

#: Columns added to the recommendations table (plus one ``score_<CODE>``
#: per theme after ``primary_theme``).
CLASSIFY_COLUMNS = tuple(c for c in tables.RECOMMENDATIONS.names if c not in tables.PARAGRAPHS.names)

PROVISION_COLUMNS = tuple(tables.PROVISIONS.names)


# --------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------

def _col(recs: pd.DataFrame, name: str) -> list:
    if name not in recs.columns:
        return [None] * len(recs)
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in recs[name]]


def review_reasons(labels: dict, disagreements: Sequence[tuple[str, bool, float]] = ()) -> list[str]:
    """Why a row needs a human look; each reason starts with the field it
    concerns (``actor:``, ``strength:``, ``themes:``) so an override of that
    field can clear it. ``disagreements`` are (theme, rules_say_yes,
    model_probability) where the two signals disagree with confidence.

    >>> review_reasons({"strength": "应", "actor": None, "themes": ["TA"], "strength_family": "应"},
    ...                [("LEG", True, 0.1)])
    ['actor: no actor found', 'themes: rules say LEG, model does not (p=0.10)']
    """
    reasons = []
    if labels["strength"] is None:
        reasons.append("strength: no strength cue found")
    if labels["actor"] is None:
        reasons.append("actor: no actor found")
    if not labels["themes"] and labels["strength_family"] != "其他":
        reasons.append("themes: no theme")
    for code, rules_yes, p in disagreements:
        if rules_yes:
            reasons.append(f"themes: rules say {code}, model does not (p={p:.2f})")
        else:
            reasons.append(f"themes: model says {code} (p={p:.2f}), rules do not")
    return reasons


def classify_recommendations(recs: pd.DataFrame, settings: ClassifySettings = ClassifySettings()
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add actor, strength, conditions, themes, evidence and review flags."""
    with gc_paused():  # millions of small lists and strings, no cycles (engine.parallel)
        return _classify_recommendations(recs, settings)


def _classify_recommendations(recs: pd.DataFrame, settings: ClassifySettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    from ..tokenise import get_tokeniser

    grammar = get_grammar(settings.lexicon_dir)
    lex = grammar.lex
    texts = [("" if t is None else str(t)) for t in _col(recs, "text")]
    chapeaux = _col(recs, "chapeau")
    bodies = _col(recs, "acting_body")
    rec_ids = [str(r) for r in _col(recs, "rec_id")]

    rows, prov_rows, prov_of, cond_spans = [], [], [], []
    for i, (rid, text, chap, body) in enumerate(zip(rec_ids, texts, chapeaux, bodies)):
        labels, provs = grammar.classify(text, chap, body)
        rows.append(labels)
        cond_spans.append([span for p in provs for span in p.condition_spans])
        for n, p in enumerate(provs, start=1):
            d = p.labels()
            d.update({"rec_id": rid, "provision": n, "is_main": p.is_main,
                      "text": text[p.start:p.end], "start": p.start, "end": p.end, "subject": p.subject,
                      "lexicon_version": lex.version})
            prov_rows.append(d)
            prov_of.append(i)

    # crime areas: the rules alone (see analysis.crime_areas), conditions as the grammar found them
    crime = CrimeAreaClassifier(settings.lexicon_dir)
    crime_hits = crime.analyse(texts, cond_spans)
    for d, i in zip(prov_rows, prov_of):
        d["crime_areas"] = crime.labels(crime_hits[i], d["start"], d["end"])
        d["crime_area_evidence"] = crime.evidence(crime_hits[i], d["start"], d["end"])

    tokens = None
    model = trained_model(settings)
    if settings.with_tokens or model is not None:
        tok = get_tokeniser(settings.lexicon_dir, backend=settings.backend)
        tokens = [tok.tokens(t) for t in texts]
    rules = RuleThemeClassifier(settings.lexicon_dir)
    scores, first, evidence = rules.analyse(texts, cond_spans)
    rule_p = np.minimum(scores / rules.min_score, 1.0)
    X = pd.DataFrame({"text": texts, "tokens": tokens}) if tokens is not None else texts
    model_p = model.predict_proba(X) if model is not None else None
    combined = CombinedThemeClassifier(rules, model, settings.rule_weight, settings.threshold)
    comb = combined.combine(rule_p, model_p)
    codes = rules.classes_
    assigned = comb >= combined.cutoff(model_p is not None)
    themes = _labels(assigned, codes)
    primary = _primary(assigned, combined.rank(scores, model_p), first, codes)
    themes_rules = _labels(rule_p >= 1.0, codes)
    themes_model = _labels(model_p >= 0.5, codes) if model_p is not None else [[] for _ in texts]

    out = recs.copy()
    for key in ("actor", "actor_group", "actors", "actor_span", "actor_source", "strength", "strength_family"):
        out[key] = [r[key] for r in rows]
    out["strength_score"] = pd.array([r["strength_score"] for r in rows], dtype="Int64")
    for key in ("negated", "strength_span", "strength_source", "conditions", "condition_spans", "n_provisions"):
        out[key] = [r[key] for r in rows]
    out["negated"] = out["negated"].astype(bool)
    out["n_provisions"] = out["n_provisions"].astype(int)
    out["themes"] = themes
    out["primary_theme"] = primary
    for j, c in enumerate(codes):
        out[f"{SCORE_PREFIX}{c}"] = np.round(comb[:, j], 4)
    out["themes_rules"] = themes_rules
    out["themes_model"] = themes_model
    out["theme_evidence"] = evidence
    out["crime_areas"] = [crime.labels(h) for h in crime_hits]
    out["crime_area_evidence"] = [crime.evidence(h) for h in crime_hits]
    out["tokens"] = tokens if tokens is not None else [[] for _ in texts]
    # confident disagreements between rules and model, found for all rows at once
    disagree: dict[int, list] = {}
    if model_p is not None:
        rules_yes = rule_p >= 1.0
        flag = (rules_yes & (model_p < 0.5 - settings.review_margin)) | (
            ~rules_yes & (model_p > 0.5 + settings.review_margin))
        for i, j in zip(*np.nonzero(flag)):
            disagree.setdefault(int(i), []).append((codes[j], bool(rules_yes[i, j]), float(model_p[i, j])))
    reasons = []
    for i, r in enumerate(rows):
        r["themes"] = themes[i]
        reasons.append(review_reasons(r, disagree.get(i, ())))
    out["review_reasons"] = reasons
    out["needs_review"] = [bool(x) for x in reasons]
    out["overridden"] = [[] for _ in texts]
    out["lexicon_version"] = lex.version
    if not settings.with_tokens:
        out = out.drop(columns="tokens")

    provisions = pd.DataFrame(prov_rows, columns=list(PROVISION_COLUMNS))
    if len(provisions):
        provisions["strength_score"] = pd.array(provisions["strength_score"].tolist(), dtype="Int64")
        provisions["negated"] = provisions["negated"].astype(bool)
        provisions["is_main"] = provisions["is_main"].astype(bool)

    n = len(out)
    if n:
        logger.info("classified %d recommendations (lexicon %s): %d without actor, %d without strength cue, "
                    "%d without theme, %d with a crime area, %d need review; %d provisions", n, lex.version,
                    int(out["actor"].isna().sum()), int(out["strength"].isna().sum()),
                    int((out["themes"].map(len) == 0).sum()), int((out["crime_areas"].map(len) > 0).sum()),
                    int(out["needs_review"].sum()), len(provisions))
    return out, provisions
