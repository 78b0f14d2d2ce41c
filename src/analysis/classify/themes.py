"""Themes: the keyword rules, the trained model, and their combination.

Themes come from two signals with one scikit-learn-style interface
(``fit``/``predict``/``predict_proba``): ``RuleThemeClassifier`` (weighted
keywords of ``themes.yaml``, matched in one pass of one compiled regex) and
``ModelThemeClassifier`` (TF-IDF over the domain tokens,
one logistic regression per theme), trained on the hand annotation in
``data/annotations`` (``training``). ``CombinedThemeClassifier`` averages them.
Where rules and model disagree with confidence the stage flags the row for
review (``stage.review_reasons``).

The rules and the model are separate classes with the same interface so
that the evaluation (``analysis.evaluate``) measures either, or both, the
same way; the stage (``stage``) combines them for all rows at once.
"""

from __future__ import annotations

import re
from itertools import compress
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..lexicon import alternation, load_lexicon
from .grammar import get_grammar

# --------------------------------------------------------------------------
# Themes: rules, model, combined (one scikit-learn-style interface)
# --------------------------------------------------------------------------

def _texts(X) -> list[str]:
    if isinstance(X, pd.DataFrame):
        return X["text"].fillna("").astype(str).tolist()
    if isinstance(X, str):
        return [X]
    return [("" if t is None else str(t)) for t in X]


def binarise(themes: Iterable[Sequence[str]], codes: Sequence[str]) -> np.ndarray:
    """Rows of theme lists -> 0/1 matrix over ``codes`` (unknown codes raise)."""
    index = {c: j for j, c in enumerate(codes)}
    rows = list(themes)
    Y = np.zeros((len(rows), len(codes)), dtype=int)
    for i, ts in enumerate(rows):
        for t in ts or []:
            if t not in index:
                raise ValueError(f"unknown theme code {t!r} (known: {', '.join(codes)})")
            Y[i, index[t]] = 1
    return Y


class RuleThemeClassifier:
    """Themes from the weighted keywords of ``themes.yaml``.

    ``decision_function`` gives the keyword weight sum per theme;
    ``predict_proba`` that sum over ``min_score``, capped at 1; a theme is
    predicted when its sum reaches ``min_score``. ``fit`` learns nothing: it
    exists so rules and model go through the same evaluation.
    """

    def __init__(self, lexicon_dir: str | Path | None = None):
        self.lexicon_dir = lexicon_dir
        lex = load_lexicon(lexicon_dir)
        self.lexicon = lex
        self.classes_ = list(lex.theme_codes)
        self.min_score = lex.min_score
        kw = lex.theme_keywords
        index = {c: j for j, c in enumerate(self.classes_)}
        self._kw = {w: (index[c], c, wt) for w, (c, wt) in kw.items()}
        self._re = re.compile(alternation(list(kw) + list(lex.neutral)))
        self._cond = get_grammar(lexicon_dir).cond_re

    def fit(self, X=None, y=None):
        return self

    def analyse(self, X, conditions: Sequence[Sequence] | None = None
                ) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
        """(scores (n, k), first position of each theme (n, k), evidence).

        ``conditions``: the condition spans of each text when the caller
        has them already (the clause grammar finds them); else found here.
        """
        texts = _texts(X)
        k = len(self.classes_)
        never = np.iinfo(np.int32).max
        scores, first = [], []
        evidence: list[list[str]] = []
        kw_get, cond_re, finditer = self._kw.get, self._cond, self._re.finditer
        # one pass of one compiled alternation per text; Python lists, not
        # numpy scalars, in the loop (numpy item access is slow per match)
        for i, text in enumerate(texts):
            ev = []
            # words inside a condition (在资源允许的情况下) are not content
            conds = conditions[i] if conditions is not None else [m.span() for m in cond_re.finditer(text)]
            row, frow = [0.0] * k, [never] * k
            for m in finditer(text):
                word = m[0]
                hit = kw_get(word)
                if hit is None:
                    continue
                s = m.start()
                if conds and any(a <= s < b for a, b in conds):
                    continue
                j, code, w = hit
                row[j] += w
                if s < frow[j]:
                    frow[j] = s
                ev.append(f"{code}:{word}@{s}-{m.end()}")
            scores.append(row)
            first.append(frow)
            evidence.append(ev)
        return (np.array(scores, dtype=float).reshape(len(texts), k),
                np.array(first, dtype=np.int64).reshape(len(texts), k), evidence)

    def decision_function(self, X) -> np.ndarray:
        return self.analyse(X)[0]

    def predict_proba(self, X) -> np.ndarray:
        return np.minimum(self.decision_function(X) / self.min_score, 1.0)

    def predict(self, X) -> list[list[str]]:
        return _labels(self.predict_proba(X) >= 1.0, self.classes_)

    def primary(self, X) -> list[str | None]:
        scores, first, _ = self.analyse(X)
        return _primary(scores >= self.min_score, scores, first, self.classes_)


class ModelThemeClassifier:
    """TF-IDF over domain tokens and one logistic regression per theme,
    trained on hand-annotated recommendations.

    Unigrams of the canonical domain tokens, ``C = 1``: with a few dozen
    annotated rows, token bigrams and character n-grams (tried under the
    same cross-validation, see docs/evaluation.md) only add features the
    data cannot support.

    ``X`` is a DataFrame with ``text`` (and optionally ``tokens``, which is
    then used as is) or a list of texts; ``y`` a list of theme-code lists.
    A theme without positive (or without negative) examples in the training
    data gets a constant probability: its share of the training rows.
    """

    def __init__(self, lexicon_dir: str | Path | None = None, C: float = 1.0, backend: str = "jieba",
                 classes: Sequence[str] | None = None):
        self.lexicon_dir = lexicon_dir
        self.C = C
        self.backend = backend
        # the labels it learns: the themes, or another multi-label facet (the
        # evaluation measures the same model on the crime areas)
        self.classes_ = list(classes) if classes is not None else list(load_lexicon(lexicon_dir).theme_codes)

    def _tokens(self, X) -> list[list[str]]:
        if isinstance(X, pd.DataFrame) and "tokens" in X.columns:
            return [list(t) for t in X["tokens"]]
        from ..tokenise import get_tokeniser

        tok = get_tokeniser(self.lexicon_dir, backend=self.backend)
        return [tok.tokens(t) for t in _texts(X)]

    @staticmethod
    def _features(tokens: list[str]) -> list[str]:
        return tokens

    def fit(self, X, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        Y = binarise(y, self.classes_)
        vectorizer = TfidfVectorizer(analyzer=self._features, sublinear_tf=True)
        F = vectorizer.fit_transform(self._tokens(X))
        # What prediction needs, as plain arrays: the vocabulary and idf of the
        # TF-IDF step and, per theme, the logistic weights (or a constant).
        # Prediction below repeats scikit-learn's arithmetic with numpy, so a
        # trained model can be kept on disk and used without importing
        # scikit-learn (a second or two at every start).
        vocabulary = {t: int(i) for t, i in vectorizer.vocabulary_.items()}
        W = np.zeros((len(self.classes_), len(vocabulary)))
        b = np.zeros(len(self.classes_))
        constant = np.full(len(self.classes_), np.nan)
        for j in range(len(self.classes_)):
            col = Y[:, j]
            if col.min() == col.max():
                constant[j] = float(col.mean()) if len(col) else 0.0
            else:
                est = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", random_state=0)
                est.fit(F, col)
                W[j], b[j] = est.coef_[0], est.intercept_[0]
        self.params_ = {"vocabulary": vocabulary, "idf": np.asarray(vectorizer.idf_, dtype=float),
                        "W": W, "b": b, "constant": constant}
        self.n_train_ = len(Y)
        return self

    def _tfidf(self, X):
        """Sublinear TF-IDF with L2-normalised rows over the trained vocabulary
        (scikit-learn's TfidfVectorizer(sublinear_tf=True) transform)."""
        import scipy.sparse as sp

        vocab = self.params_["vocabulary"]
        token_lists = self._tokens(X)
        rows, cols, vals = [], [], []
        for r, toks in enumerate(token_lists):
            counts: dict[int, int] = {}
            for t in toks:
                i = vocab.get(t)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            rows.extend([r] * len(counts))
            cols.extend(counts)
            vals.extend(counts.values())
        F = sp.csr_matrix((np.asarray(vals, dtype=float), (np.asarray(rows, dtype=np.int64),
                                                          np.asarray(cols, dtype=np.int64))),
                          shape=(len(token_lists), len(vocab)))
        F.sum_duplicates()
        F.data = (np.log(F.data) + 1.0) * self.params_["idf"][F.indices]
        norms = np.sqrt(np.asarray(F.multiply(F).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        F.data /= np.repeat(norms, np.diff(F.indptr))
        return F

    def predict_proba(self, X) -> np.ndarray:
        p = self.params_
        scores = np.asarray(self._tfidf(X) @ p["W"].T) + p["b"]
        out = 1.0 / (1.0 + np.exp(-scores))
        const = ~np.isnan(p["constant"])
        out[:, const] = p["constant"][const]
        return out

    def predict(self, X) -> list[list[str]]:
        return _labels(self.predict_proba(X) >= 0.5, self.classes_)

    def primary(self, X) -> list[str | None]:
        p = self.predict_proba(X)
        return _primary(p >= 0.5, p, np.zeros_like(p), self.classes_)


class CombinedThemeClassifier:
    """``rule_weight`` × rules + (1 − ``rule_weight``) × model; a theme is
    assigned from ``threshold``. With no model, the rules alone."""

    def __init__(self, rules: RuleThemeClassifier, model: ModelThemeClassifier | None,
                 rule_weight: float = 0.5, threshold: float = 0.5):
        self.rules = rules
        self.model = model
        self.rule_weight = rule_weight
        self.threshold = threshold
        self.classes_ = rules.classes_

    def fit(self, X, y):
        if self.model is not None:
            self.model.fit(X, y)
        return self

    def combine(self, rule_proba: np.ndarray, model_proba: np.ndarray | None) -> np.ndarray:
        if model_proba is None:
            return rule_proba
        return self.rule_weight * rule_proba + (1 - self.rule_weight) * model_proba

    def cutoff(self, with_model: bool) -> float:
        """Combined score from which a theme is assigned; the rules' own
        cut-off (a full ``min_score``) when there is no model."""
        return self.threshold if with_model else 1.0

    def predict_proba(self, X) -> np.ndarray:
        mp = self.model.predict_proba(X) if self.model is not None else None
        return self.combine(self.rules.predict_proba(X), mp)

    def predict(self, X) -> list[list[str]]:
        return _labels(self.predict_proba(X) >= self.cutoff(self.model is not None), self.classes_)

    def rank(self, scores: np.ndarray, model_proba: np.ndarray | None) -> np.ndarray:
        """What decides the primary theme among the assigned ones: the rules'
        keyword weight relative to the row's strongest theme, averaged with
        the model's probability (the capped score cannot tell two
        well-evidenced themes apart)."""
        top = scores.max(axis=1, keepdims=True)
        rel = np.divide(scores, top, out=np.zeros_like(scores, dtype=float), where=top > 0)
        return self.combine(rel, model_proba) + 1e-6 * scores

    def primary(self, X) -> list[str | None]:
        scores, first, _ = self.rules.analyse(X)
        rp = np.minimum(scores / self.rules.min_score, 1.0)
        mp = self.model.predict_proba(X) if self.model is not None else None
        comb = self.combine(rp, mp)
        return _primary(comb >= self.cutoff(mp is not None), self.rank(scores, mp), first, self.classes_)


def _labels(mask: np.ndarray, classes: Sequence[str]) -> list[list[str]]:
    classes = list(classes)
    return [list(compress(classes, row)) for row in np.asarray(mask, dtype=bool).tolist()]


def _primary(assigned: np.ndarray, score: np.ndarray, first: np.ndarray, classes) -> list[str | None]:
    """Highest score among the assigned themes; ties go to the theme named first."""
    out = []
    for a, s, f in zip(np.asarray(assigned, dtype=bool).tolist(), np.asarray(score, dtype=float).tolist(),
                       np.asarray(first).tolist()):
        idx = [j for j, yes in enumerate(a) if yes]
        if not idx:
            out.append(None)
            continue
        best = min(idx, key=lambda j: (-round(s[j], 9), f[j], j))
        out.append(classes[best])
    return out

