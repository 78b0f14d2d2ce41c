"""Evaluation: the classifier against the hand annotation, in figures.

Contract
--------
* ``load_gold(files=None)`` reads the annotation CSVs of ``data/annotations``
  (``gold_*.csv``: every recommendation of a real resolution;
  ``probes*.csv``: examples written to probe the rules, ``source =
  written_for_testing``) into one table with ``rec_id``, ``group`` and the
  gold labels.
* ``evaluate(gold) -> Evaluation`` scores

  - actor group, strength family and fine strength (the cue): per-class
    precision, recall, F1 and support, accuracy, confusion matrices,
    separately for the real resolutions and for the written probes;
  - themes: per-theme precision / recall / F1 / support with micro and
    macro averages, for the keyword rules, the model and the combination,
    side by side, **cross-validated leave one group out**: a group is one
    part of one resolution (its body, annex I, annex II …) or the written
    probes, so the model is always scored on a part it did not see;
  - primary theme accuracy, same protocol;
  - crime areas (codebook §4b): per-area precision / recall / F1 of the
    rules, real resolutions and written probes apart, on the rows whose
    annotation file has a ``crime_areas`` column; and the learned model the
    themes use, trained on the same annotation and scored by shuffled
    5-fold cross-validation (leave one group out cannot be used: every
    row with a crime area is a written probe), beside the rules on the same
    rows, with the disagreements it would send to review. This is the
    measurement behind the choice of rules alone for crime areas.
* ``render_markdown(ev)`` renders the report; ``write_evaluation(out_dir)``
  writes ``evaluation.md`` and a CSV per table.

Why leave-one-group-out and not k-fold: recommendations of one annex share
a section heading, an addressee and wording; mixing them across folds
would score the model on near-copies of its training rows. A held-out part
is the nearest thing the seed offers to "a resolution never seen".
The rules learn nothing, so their figures are the same in every fold; they
are computed on the same held-out rows so the three columns are comparable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .classify import (
    ClassifySettings,
    CombinedThemeClassifier,
    ModelThemeClassifier,
    RuleThemeClassifier,
    _labels,
    _primary,
    binarise,
    classify_recommendations,
    default_training_files,
    read_annotations,
)
from .lexicon import load_lexicon

logger = logging.getLogger(__name__)

NONE_LABEL = "(none)"
SINGLE_FIELDS = ("actor_group", "strength_family", "strength")


def cv_group(rec_id: str, source: str | None = None) -> str:
    """The cross-validation group of a row: resolution + part, or the probes.

    >>> cv_group("11/2:I:a"), cv_group("11/2:body:1"), cv_group("P07", "written_for_testing")
    ('11/2 annex I', '11/2 body', 'written probes')
    """
    if source == "written_for_testing":
        return "written probes"
    parts = str(rec_id).split(":")
    if len(parts) < 2:
        return "other"
    res, part = parts[0], parts[1]
    return f"{res} body" if part == "body" else f"{res} annex {part}"


def load_gold(files: Sequence[str | Path] | None = None, lexicon_dir=None) -> pd.DataFrame:
    """Every annotated row (gold and probes) with ``rec_id``, ``source`` and ``group``."""
    files = [Path(f) for f in files] if files is not None else list(default_training_files())
    if not files:
        raise FileNotFoundError("no annotation files (data/annotations/gold_*.csv, probes*.csv) found")
    frames = []
    for f in files:
        df = read_annotations(f, lexicon_dir)
        if "probe_id" in df.columns and "rec_id" not in df.columns:
            df = df.rename(columns={"probe_id": "rec_id"})
        if "source" not in df.columns:
            df["source"] = "seed"
        if "crime_areas" not in df.columns:  # not annotated for crime areas: not scored on them
            df["crime_areas"] = None
        df["source"] = df["source"].replace("", "seed")
        frames.append(df)
    gold = pd.concat(frames, ignore_index=True)
    for col in ("chapeau", "acting_body", "part"):
        if col not in gold.columns:
            gold[col] = None
    gold["group"] = [cv_group(r, s) for r, s in zip(gold["rec_id"], gold["source"])]
    dup = gold["rec_id"][gold["rec_id"].duplicated()]
    if len(dup):
        raise ValueError(f"annotation files repeat rec_id {dup.iloc[0]!r}")
    return gold


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------

def _norm(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "":
        return NONE_LABEL
    return str(v)


def label_scores(y_true: Sequence, y_pred: Sequence) -> pd.DataFrame:
    """Per-class precision / recall / F1 / support, then macro avg and accuracy.

    >>> label_scores(["a", "a", "b"], ["a", "b", "b"])[["label", "support"]].values.tolist()
    [['a', 2], ['b', 1], ['macro avg', 3], ['accuracy', 3]]
    """
    from sklearn.metrics import precision_recall_fscore_support

    t = [_norm(v) for v in y_true]
    p = [_norm(v) for v in y_pred]
    labels = sorted(set(t) | set(p), key=lambda x: (x == NONE_LABEL, x))
    pr, rc, f1, sup = precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    rows = [{"label": l, "precision": a, "recall": b, "f1": c, "support": int(s)}
            for l, a, b, c, s in zip(labels, pr, rc, f1, sup)]
    present = [r for r in rows if r["support"] > 0]
    rows.append({"label": "macro avg", "precision": np.mean([r["precision"] for r in present]),
                 "recall": np.mean([r["recall"] for r in present]), "f1": np.mean([r["f1"] for r in present]),
                 "support": len(t)})
    acc = float(np.mean([a == b for a, b in zip(t, p)])) if t else float("nan")
    rows.append({"label": "accuracy", "precision": np.nan, "recall": np.nan, "f1": acc, "support": len(t)})
    return pd.DataFrame(rows, columns=["label", "precision", "recall", "f1", "support"])


def confusion(y_true: Sequence, y_pred: Sequence) -> pd.DataFrame:
    """Confusion matrix: rows gold, columns predicted."""
    t = pd.Categorical([_norm(v) for v in y_true])
    p = [_norm(v) for v in y_pred]
    labels = sorted(set(t) | set(p), key=lambda x: (x == NONE_LABEL, x))
    m = pd.crosstab(pd.Series([_norm(v) for v in y_true], name="gold"), pd.Series(p, name="predicted"))
    return m.reindex(index=labels, columns=labels, fill_value=0)


def multilabel_scores(Y_true: np.ndarray, Y_pred: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """Per-theme precision / recall / F1 / support, then micro and macro averages.

    Macro averages over themes that occur in the gold or the predictions.
    """
    rows = []
    for j, c in enumerate(codes):
        tp = int(((Y_true[:, j] == 1) & (Y_pred[:, j] == 1)).sum())
        fp = int(((Y_true[:, j] == 0) & (Y_pred[:, j] == 1)).sum())
        fn = int(((Y_true[:, j] == 1) & (Y_pred[:, j] == 0)).sum())
        rows.append(_prf(c, tp, fp, fn))
    tp = int(((Y_true == 1) & (Y_pred == 1)).sum())
    fp = int(((Y_true == 0) & (Y_pred == 1)).sum())
    fn = int(((Y_true == 1) & (Y_pred == 0)).sum())
    active = [r for r in rows if r["support"] > 0 or r["tp"] + r["fp"] > 0]
    micro = _prf("micro avg", tp, fp, fn)
    macro = {"label": "macro avg", "precision": np.mean([r["precision"] for r in active]) if active else np.nan,
             "recall": np.mean([r["recall"] for r in active]) if active else np.nan,
             "f1": np.mean([r["f1"] for r in active]) if active else np.nan,
             "support": int(Y_true.sum()), "tp": tp, "fp": fp, "fn": fn}
    return pd.DataFrame(rows + [micro, macro], columns=["label", "precision", "recall", "f1", "support", "tp", "fp", "fn"])


def _prf(label, tp, fp, fn) -> dict:
    if tp + fp + fn == 0:  # nothing to find and nothing found: undefined, not 0
        return {"label": label, "precision": np.nan, "recall": np.nan, "f1": np.nan, "support": 0,
                "tp": 0, "fp": 0, "fn": 0}
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"label": label, "precision": p, "recall": r, "f1": f, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}


# --------------------------------------------------------------------------
# The evaluation
# --------------------------------------------------------------------------

@dataclass
class Evaluation:
    lexicon_version: str
    n_rows: dict
    label_tables: dict = field(default_factory=dict)      # (subset, field) -> scores
    confusions: dict = field(default_factory=dict)        # (subset, field) -> matrix
    extra_accuracy: pd.DataFrame | None = None           # actors, negated, conditions, provisions
    theme_tables: dict = field(default_factory=dict)     # method -> per-theme scores (CV)
    theme_summary: pd.DataFrame | None = None
    theme_by_group: pd.DataFrame | None = None
    errors: pd.DataFrame | None = None
    theme_predictions: pd.DataFrame | None = None
    crime_tables: dict = field(default_factory=dict)     # subset -> per-area scores of the rules
    crime_model: pd.DataFrame | None = None              # rules vs model, 5-fold CV
    crime_model_tables: dict = field(default_factory=dict)  # method -> per-area scores (CV rows)
    crime_disagreements: pd.DataFrame | None = None      # what the model would send to review
    crime_predictions: pd.DataFrame | None = None


def _as_recs(gold: pd.DataFrame) -> pd.DataFrame:
    return gold[["rec_id", "text", "chapeau", "part", "acting_body"]].copy()


def evaluate(gold: pd.DataFrame | None = None, settings: ClassifySettings = ClassifySettings()) -> Evaluation:
    """Score actor / strength (rules) and themes (rules, model, combined; CV)."""
    gold = load_gold(lexicon_dir=settings.lexicon_dir) if gold is None else gold
    lex = load_lexicon(settings.lexicon_dir)
    rule_settings = ClassifySettings(lexicon_dir=settings.lexicon_dir, theme_model=False,
                                     backend=settings.backend, with_tokens=False)
    pred, prov = classify_recommendations(_as_recs(gold), rule_settings)
    subsets = {"resolutions": gold["source"] != "written_for_testing",
               "written probes": gold["source"] == "written_for_testing"}
    ev = Evaluation(lexicon_version=lex.version,
                    n_rows={k: int(m.sum()) for k, m in subsets.items()})
    extra = []
    errors = []
    for name, mask in subsets.items():
        if not mask.any():
            continue
        g, p = gold[mask], pred[mask.values]
        for fld in SINGLE_FIELDS:
            ev.label_tables[(name, fld)] = label_scores(g[fld].tolist(), p[fld].tolist())
            ev.confusions[(name, fld)] = confusion(g[fld].tolist(), p[fld].tolist())
        checks = {
            "actor (words)": [(_norm(a), _norm(b)) for a, b in zip(g["actor"], p["actor"])],
            "actors (all addressees)": [(tuple(a), tuple(b)) for a, b in zip(g["actors"], p["actors"])],
            "negated": [(bool(a), bool(b)) for a, b in zip(g["negated"], p["negated"])],
            "conditions": [(tuple(a), tuple(b)) for a, b in zip(g["conditions"], p["conditions"])],
        }
        if "provisions" in g.columns:
            pairs = []
            for rid, exp in zip(g["rec_id"], g["provisions"]):
                if not isinstance(exp, str) or not exp:
                    continue
                pv = prov[(prov["rec_id"] == rid) & prov["strength"].notna()]
                got = "|".join(f"{_norm(a) if _norm(a) != NONE_LABEL else 'None'}:{s}"
                               for a, s in zip(pv["actor_group"], pv["strength"]))
                pairs.append((exp, got))
            if pairs:
                checks["provisions (actor group:strength per clause)"] = pairs
        for what, pairs in checks.items():
            extra.append({"subset": name, "label": what, "correct": sum(a == b for a, b in pairs),
                          "rows": len(pairs), "accuracy": np.mean([a == b for a, b in pairs]) if pairs else np.nan})
        for (_, gr), (_, pr) in zip(g.iterrows(), p.iterrows()):
            for fld in ("actor", "actor_group", "actors", "strength", "strength_family", "negated", "conditions"):
                a, b = gr[fld], pr[fld]
                same = (list(a) == list(b)) if fld in ("actors", "conditions") else (
                    bool(a) == bool(b) if fld == "negated" else _norm(a) == _norm(b))
                if not same:
                    errors.append({"rec_id": gr["rec_id"], "field": fld, "gold": a, "predicted": b,
                                   "text": gr["text"]})
    ev.extra_accuracy = pd.DataFrame(extra)
    ev.errors = pd.DataFrame(errors, columns=["rec_id", "field", "gold", "predicted", "text"])
    _cross_validate_themes(gold, settings, ev)
    _evaluate_crime_areas(gold, pred, subsets, settings, ev)
    return ev


#: Folds of the crime-area model's cross-validation (shuffled, fixed seed).
CRIME_FOLDS = 5


def _evaluate_crime_areas(gold: pd.DataFrame, pred: pd.DataFrame, subsets: dict, settings: ClassifySettings,
                          ev: Evaluation) -> None:
    """Crime areas: the rules per area, then the model beside them (k-fold)."""
    if "crime_areas" not in gold.columns:
        return
    codes = list(load_lexicon(settings.lexicon_dir).crime_area_codes)
    annotated = gold["crime_areas"].map(lambda v: isinstance(v, list)).to_numpy()
    if not annotated.any():
        return
    Y = binarise([v if isinstance(v, list) else [] for v in gold["crime_areas"]], codes)
    R = binarise(pred["crime_areas"], codes)
    for name, mask in subsets.items():
        sel = mask.to_numpy() & annotated
        if sel.any():
            ev.crime_tables[name] = multilabel_scores(Y[sel], R[sel], codes)
    ev.crime_predictions = pd.DataFrame({
        "rec_id": gold["rec_id"][annotated], "gold": ["|".join(v) for v in gold["crime_areas"][annotated]],
        "rules": ["|".join(v) for v in pred["crime_areas"][annotated]],
        "evidence": ["|".join(v) for v in pred["crime_area_evidence"][annotated]],
    })
    # the learned second opinion, measured: shuffled k-fold over the annotated rows
    from .tokenise import get_tokeniser

    idx = np.flatnonzero(annotated)
    tok = get_tokeniser(settings.lexicon_dir, backend=settings.backend)
    texts = gold["text"].iloc[idx].tolist()
    X = pd.DataFrame({"text": texts, "tokens": [tok.tokens(t) for t in texts]})
    y = [gold["crime_areas"].iloc[i] for i in idx]
    P = np.zeros((len(idx), len(codes)))
    order = np.random.default_rng(0).permutation(len(idx))
    for k in range(CRIME_FOLDS):
        test = np.zeros(len(idx), dtype=bool)
        test[order[k::CRIME_FOLDS]] = True
        model = ModelThemeClassifier(settings.lexicon_dir, backend=settings.backend, classes=codes)
        model.fit(X[~test], [v for v, t in zip(y, test) if not t])
        P[test] = model.predict_proba(X[test])
    Yc, Rc, Mc = Y[idx], R[idx], (P >= 0.5).astype(int)
    rows = []
    for method, M in (("rules", Rc), ("model", Mc)):
        t = multilabel_scores(Yc, M, codes)
        ev.crime_model_tables[method] = t
        micro, macro = t[t["label"] == "micro avg"].iloc[0], t[t["label"] == "macro avg"].iloc[0]
        rows.append({"method": method, "micro_precision": micro["precision"], "micro_recall": micro["recall"],
                     "micro_f1": micro["f1"], "macro_f1": macro["f1"],
                     "exact_match": float(np.mean((Yc == M).all(axis=1)))})
    ev.crime_model = pd.DataFrame(rows)
    # what a second opinion would flag: confident disagreement, as for themes
    margin = settings.review_margin
    flag = ((Rc == 1) & (P < 0.5 - margin)) | ((Rc == 0) & (P > 0.5 + margin))
    dis = []
    for i, j in zip(*np.nonzero(flag)):
        dis.append({"rec_id": gold["rec_id"].iloc[idx[i]], "area": codes[j], "rules": bool(Rc[i, j]),
                    "model_p": float(P[i, j]), "gold": bool(Yc[i, j]), "rules_right": bool(Rc[i, j] == Yc[i, j])})
    ev.crime_disagreements = pd.DataFrame(dis, columns=["rec_id", "area", "rules", "model_p", "gold", "rules_right"])


def _cross_validate_themes(gold: pd.DataFrame, settings: ClassifySettings, ev: Evaluation) -> None:
    from .tokenise import get_tokeniser

    codes = list(load_lexicon(settings.lexicon_dir).theme_codes)
    tok = get_tokeniser(settings.lexicon_dir, backend=settings.backend)
    X = pd.DataFrame({"text": gold["text"].tolist(), "tokens": [tok.tokens(t) for t in gold["text"]]})
    Y = binarise(gold["themes"], codes)
    groups = gold["group"].to_numpy()
    rules = RuleThemeClassifier(settings.lexicon_dir).fit(X, None)
    preds = {m: np.zeros_like(Y) for m in ("rules", "model", "combined")}
    prim = {m: [None] * len(gold) for m in preds}
    scores, first, _ = rules.analyse(X)
    rule_p = np.minimum(scores / rules.min_score, 1.0)
    for g in sorted(set(groups)):
        test = groups == g
        train = ~test
        model = ModelThemeClassifier(settings.lexicon_dir, backend=settings.backend)
        model.fit(X[train], [t for t, keep in zip(gold["themes"], train) if keep])
        comb = CombinedThemeClassifier(rules, model, settings.rule_weight, settings.threshold)
        mp = model.predict_proba(X[test])
        rp = rule_p[test]
        cp = comb.combine(rp, mp)
        idx = np.flatnonzero(test)
        sets = {"rules": rp >= 1.0, "model": mp >= 0.5, "combined": cp >= comb.cutoff(True)}
        ranks = {"rules": comb.rank(scores[test], None), "model": mp, "combined": comb.rank(scores[test], mp)}
        for m in preds:
            preds[m][idx] = sets[m].astype(int)
            for k, pt in zip(idx, _primary(sets[m], ranks[m], first[test], codes)):
                prim[m][k] = pt
    summary, by_group = [], []
    gold_primary = [_norm(v) for v in gold["primary_theme"]]
    has_primary = np.array([v != NONE_LABEL for v in gold_primary])
    for m in preds:
        table = multilabel_scores(Y, preds[m], codes)
        ev.theme_tables[m] = table
        micro = table[table["label"] == "micro avg"].iloc[0]
        macro = table[table["label"] == "macro avg"].iloc[0]
        pacc = np.mean([a == _norm(b) for a, b, h in zip(gold_primary, prim[m], has_primary) if h])
        exact = float(np.mean((Y == preds[m]).all(axis=1)))
        summary.append({"method": m, "micro_precision": micro["precision"], "micro_recall": micro["recall"],
                        "micro_f1": micro["f1"], "macro_f1": macro["f1"], "exact_match": exact,
                        "primary_accuracy": pacc})
        for g in sorted(set(groups)):
            sel = groups == g
            t = multilabel_scores(Y[sel], preds[m][sel], codes)
            mi = t[t["label"] == "micro avg"].iloc[0]
            by_group.append({"group": g, "method": m, "rows": int(sel.sum()), "micro_f1": mi["f1"]})
    ev.theme_summary = pd.DataFrame(summary)
    ev.theme_by_group = pd.DataFrame(by_group).pivot(index=["group", "rows"], columns="method",
                                                      values="micro_f1").reset_index()
    ev.theme_predictions = pd.DataFrame({
        "rec_id": gold["rec_id"], "group": gold["group"], "gold": gold["themes"].map("|".join),
        **{m: _labels(preds[m].astype(bool), codes) for m in preds},
        "gold_primary": gold["primary_theme"], **{f"primary_{m}": prim[m] for m in preds},
    })
    for m in preds:
        ev.theme_predictions[m] = ev.theme_predictions[m].map("|".join)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def _md(df: pd.DataFrame, digits: int = 2) -> str:
    def fmt(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


def render_markdown(ev: Evaluation) -> str:
    """The evaluation report in markdown."""
    out = ["# Evaluation of the classifier", "",
           f"Lexicon version `{ev.lexicon_version}`. Gold rows: "
           + ", ".join(f"{v} {k}" for k, v in ev.n_rows.items()) + ".",
           "Generated by `analysis.evaluate.write_evaluation`; rerun it after changing a rule file or the "
           "annotation.", "",
           "## Actor and strength (rules)", "",
           "The rules learn nothing from the annotation, so these figures are on every annotated row. "
           "The probes were written to exercise the rules (other actors, negation, conditions, chapeaux, "
           "several provisions, other UNTOC topics); they are a test of principles, not a sample of real "
           "resolutions.", ""]
    acc = ev.extra_accuracy
    headline = []
    for (subset, fld), t in ev.label_tables.items():
        a = t[t["label"] == "accuracy"].iloc[0]
        headline.append({"subset": subset, "label": fld, "correct": int(round(a["f1"] * a["support"])),
                         "rows": int(a["support"]), "accuracy": a["f1"]})
    table = pd.concat([pd.DataFrame(headline), acc], ignore_index=True).sort_values(["subset", "label"])
    out += [_md(table), ""]
    for (subset, fld), t in ev.label_tables.items():
        out += [f"### {fld}: {subset}", "", _md(t), "", "Confusion (rows gold, columns predicted):", "",
                _md(ev.confusions[(subset, fld)].reset_index().rename(columns={"gold": "gold \\ predicted"}), 0), ""]
    out += ["### Disagreements with the gold", ""]
    if ev.errors is not None and len(ev.errors):
        e = ev.errors.copy()
        e["text"] = e["text"].str.slice(0, 40) + "…"
        out += [_md(e.astype(str)), ""]
    else:
        out += ["None.", ""]
    out += ["## Themes: rules, model, combined (leave one group out)", "",
            "Groups: each part of each resolution (body, annex I, annex II) and the written probes. The model "
            "(TF-IDF over domain tokens, one logistic regression per theme) is trained on the other "
            "groups and scored on the held-out one; the rules need no training; combined = average of the rule "
            "score (keyword weight / min_score, capped at 1) and the model probability, assigned from 0.5.", "",
            "Read these figures with two caveats. The keyword lexicon was written by the annotator after "
            "reading the seed and the probes, so the rules' figures are in-sample and optimistic for "
            "resolutions never seen; only the model's figures are out-of-group. The model's configuration "
            "(token unigrams, C = 1) was chosen among a handful (tokens, tokens + bigrams, character 2-3-grams, "
            "both; C = 1, 10, 100) under this same cross-validation, which flatters it slightly. With a few "
            "dozen annotated rows per theme at most, the model is a second opinion for the review queue, not "
            "a replacement for the rules.", "",
            _md(ev.theme_summary), "", "Micro F1 per held-out group (empty: the group has no gold theme and "
            "none was predicted):", "", _md(ev.theme_by_group), ""]
    for m, t in ev.theme_tables.items():
        out += [f"### Per theme: {m}", "", _md(t), ""]
    out += ["### Theme predictions per row (cross-validated)", "", _md(ev.theme_predictions.astype(str)), ""]
    out += _crime_markdown(ev)
    return "\n".join(out)


def _crime_markdown(ev: Evaluation) -> list[str]:
    if not ev.crime_tables:
        return []
    out = ["## Crime areas (rules)", "",
           "Codebook §4b: which crime a recommendation is about; empty = the Convention in general. The rules "
           "(`crime_areas.yaml`, `analysis.crime_areas`) learn nothing, so these figures are on every annotated "
           "row. The seed resolution is about the Convention in general: its rows have no crime area, so its "
           "table can only show false positives (none is a perfect score there). The written probes cover every "
           "area and the negative cases the principles name (a crime inside a cited title, `《公约》及其各项议定书`, "
           "the three Protocols named together, a crime inside a condition, information technology as a tool, "
           "names of bodies); they were written by the annotator who wrote the cues, so their figures are "
           "in-sample, a test of the principles rather than an estimate for unseen resolutions.", ""]
    for subset, t in ev.crime_tables.items():
        micro = t[t["label"] == "micro avg"].iloc[0]
        if micro["support"] == 0 and micro["fp"] == 0:
            out += [f"### Per area: {subset}", "",
                    f"{ev.n_rows.get(subset, '')} rows, none annotated with a crime area and none found by the "
                    "rules (no false positive; precision and recall are undefined without positives).", ""]
            continue
        out += [f"### Per area: {subset}", "", _md(t), ""]
    if ev.crime_model is not None:
        n_dis = len(ev.crime_disagreements)
        useful = int((~ev.crime_disagreements["rules_right"]).sum()) if n_dis else 0
        s = ev.crime_model.set_index("method")
        out += ["### Rules alone, or a learned second opinion?", "",
                f"The model the themes use (TF-IDF over domain tokens, one logistic regression per area) was "
                f"trained on the same annotation and scored by shuffled {CRIME_FOLDS}-fold cross-validation "
                "(every row with a crime area is a written probe, so leave-one-group-out would train it on no "
                "positive example); the rules are scored on the same rows.", "",
                _md(ev.crime_model), "",
                f"Model micro F1 {s.loc['model', 'micro_f1']:.2f} against the rules' "
                f"{s.loc['rules', 'micro_f1']:.2f} (in-sample, see above). Used as a second opinion with the themes' "
                f"review rule (probability beyond 0.5 ± margin against the rules), it would send {n_dis} "
                f"area decision(s) to review, of which {useful} would catch a rules error. With a few rows per "
                "area the model learns the probes' wording, not the crimes: crime areas are assigned by the "
                "rules alone, every decision carries its evidence span, and a wrong one is corrected with an "
                "override (`crime_areas`) or a cue. Revisit when a few hundred annotated rows with crime areas "
                "exist.", ""]
        for m, t in ev.crime_model_tables.items():
            out += [f"#### Per area, cross-validated rows: {m}", "", _md(t), ""]
        if n_dis:
            out += ["#### What the model would send to review", "", _md(ev.crime_disagreements), ""]
    out += ["### Crime areas per row (rules)", "", _md(ev.crime_predictions.astype(str)), ""]
    return out


def write_evaluation(out_dir: str | Path, gold: pd.DataFrame | None = None,
                     settings: ClassifySettings = ClassifySettings(), *, tables: bool = True) -> list[Path]:
    """Write ``evaluation.md`` (and, with ``tables``, every table as CSV) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ev = evaluate(gold, settings)
    written = [out_dir / "evaluation.md"]
    written[0].write_text(render_markdown(ev), encoding="utf-8")
    if not tables:
        _log_summary(ev, out_dir)
        return written

    def csv(df: pd.DataFrame, name: str, index: bool = False):
        # the project's CSV writer: for Excel, with cells that would be formulas neutralised
        from .outputs import write_csv

        p = out_dir / name
        write_csv(df.reset_index() if index else df, p)
        written.append(p)

    for (subset, fld), t in ev.label_tables.items():
        tag = subset.replace(" ", "_")
        csv(t, f"evaluation_{fld}_{tag}.csv")
        csv(ev.confusions[(subset, fld)], f"evaluation_confusion_{fld}_{tag}.csv", index=True)
    csv(ev.extra_accuracy, "evaluation_other_labels.csv")
    csv(ev.errors, "evaluation_errors.csv")
    csv(ev.theme_summary, "evaluation_themes_summary.csv")
    csv(ev.theme_by_group, "evaluation_themes_by_group.csv")
    for m, t in ev.theme_tables.items():
        csv(t, f"evaluation_themes_{m}.csv")
    csv(ev.theme_predictions, "evaluation_theme_predictions.csv")
    for subset, t in ev.crime_tables.items():
        csv(t, f"evaluation_crime_areas_{subset.replace(' ', '_')}.csv")
    if ev.crime_model is not None:
        csv(ev.crime_model, "evaluation_crime_areas_model.csv")
        csv(ev.crime_disagreements, "evaluation_crime_areas_disagreements.csv")
    if ev.crime_predictions is not None:
        csv(ev.crime_predictions, "evaluation_crime_area_predictions.csv")
    _log_summary(ev, out_dir)
    return written


def _log_summary(ev: Evaluation, out_dir) -> None:
    s = ev.theme_summary.set_index("method")
    logger.info("evaluation written to %s: theme micro F1 rules %.2f, model %.2f, combined %.2f", out_dir,
                s.loc["rules", "micro_f1"], s.loc["model", "micro_f1"], s.loc["combined", "micro_f1"])


if __name__ == "__main__":  # python -m analysis.evaluate [out_dir]
    import sys

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    write_evaluation(sys.argv[1] if len(sys.argv) > 1 else "docs", tables="--no-tables" not in sys.argv)
