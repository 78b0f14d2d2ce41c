"""Crime areas: which crime a recommendation is about (codebook §4b), with evidence.

Contract
--------
``CrimeAreaClassifier(lexicon_dir=None)`` reads ``lexicon/crime_areas.yaml``
(through ``analysis.lexicon``, validated and versioned with the other rule
files) and has the scikit-learn-style interface the theme classifiers have:
``fit`` (learns nothing), ``predict(X) -> list of code lists``,
``predict_proba(X) -> 0/1 matrix`` over ``classes_`` (the codebook's codes,
in its order). ``analyse(X, conditions=None) -> list[list[Hit]]`` gives the
spans behind the labels; ``labels(hits)`` and ``evidence(hits)`` turn them
into the ``crime_areas`` and ``crime_area_evidence`` columns
(``CODE:words@start-end``, offsets into the text, as ``theme_evidence``).
``labels(hits, start, end)`` restricts them to one provision's clause.

An empty list means the Convention in general; multi-label, in codebook
order. What counts, and why (the principles, not sentences; the YAML file
says the same for the analyst who edits it):

1. A cue (贩运人口, 被偷运移民, 枪支及其零部件和弹药 …, longest first) or a
   pattern (information technology as the medium of a crime) counts where
   it stands in the recommendation's own words.
2. A crime named inside a quoted title does not: “…” titles of
   resolutions, tools and documents, and 《…》 titles, except a 《title》
   that names a treaty (it ends with 议定书 or 公约): a treaty named is the
   object of the action (批准《枪支议定书》, 实施《联合国反腐败公约》), so the
   crime in its name counts, with the whole title as the evidence. A cited
   resolution or plan (《打击贩运人口全球行动计划》) is not a treaty.
3. The Convention's Protocols named all together in one sentence
   (《贩运人口议定书》、《移民议定书》和《枪支议定书》) stand for the
   Convention's system, like 《公约》及其各项议定书: their names count for
   nothing there. One or two of them named alone keep their areas; crime
   words (打击贩运人口) always count.
4. Nothing inside a condition counts (在不影响…的情况下 …: the conditions of
   ``strength.yaml``; the stage passes the spans the clause grammar found).
5. Names of bodies and offices (毒品和犯罪问题办公室, 打击贩运人口问题工作组)
   are neutral.

Why rules and no learned second opinion: see docs/evaluation.md, "Crime
areas" (measured on the annotation; the model trained on a few dozen
positive rows spread over eleven areas only adds noise to the review queue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .lexicon import alternation, load_lexicon

#: 《titles》 (treaties, plans, documents) and quotations (“…”, "…", 「…」).
TITLE_RE = re.compile(r"《[^《》]*》")
QUOTE_RE = re.compile(r"“[^“”]*”|\"[^\"]*\"|「[^「」]*」")
_MASK = "\x01"
_SENTENCE_RE = re.compile(r"[^。；;！？!?]*[。；;！？!?]?")


@dataclass(frozen=True)
class Hit:
    """One span that decided a crime area."""

    code: str
    words: str
    start: int
    end: int
    instrument: bool = False  # a treaty's name (《枪支议定书》, 移民议定书)

    def evidence(self) -> str:
        return f"{self.code}:{self.words}@{self.start}-{self.end}"


def _texts(X) -> list[str]:
    if isinstance(X, pd.DataFrame):
        return X["text"].fillna("").astype(str).tolist()
    if isinstance(X, str):
        return [X]
    return ["" if t is None else str(t) for t in X]


class CrimeAreaClassifier:
    """Crime areas from the cues and patterns of ``crime_areas.yaml``.

    >>> clf = CrimeAreaClassifier()
    >>> clf.predict(["各国应加强打击贩运人口和偷运移民的合作。", "各国应实施《公约》及其各项议定书。"])
    [['TIP', 'SOM'], []]
    >>> clf.predict(["各国应考虑批准《枪支议定书》。", "各国应执行“加强打击贩运人口的国际合作”决议。"])
    [['FIR'], []]
    """

    def __init__(self, lexicon_dir: str | Path | None = None):
        self.lexicon_dir = lexicon_dir
        lex = load_lexicon(lexicon_dir)
        self.lexicon = lex
        self.classes_ = list(lex.crime_area_codes)
        self._order = {c: j for j, c in enumerate(self.classes_)}
        self._cues = lex.crime_cues
        self._re = re.compile(alternation(list(self._cues) + list(lex.crime_neutral)))
        self._patterns = [(a.code, re.compile(p)) for a in lex.crime_areas.values() for p in a.patterns]
        self._endings = tuple(lex.instrument_endings)
        self._protocols = frozenset(a.code for a in lex.crime_areas.values() if a.protocol)
        self._cond = re.compile("|".join(f"(?:{p})" for p in lex.conditions))

    def fit(self, X=None, y=None):
        return self

    # -- one text ------------------------------------------------------------

    def _cue_hits(self, text: str, offset: int = 0) -> list[Hit]:
        out = []
        for m in self._re.finditer(text):
            code = self._cues.get(m.group(0))
            if code is not None:  # None: a neutral name
                out.append(Hit(code, m.group(0), offset + m.start(), offset + m.end(),
                               instrument=m.group(0).endswith(self._endings)))
        return out

    def hits(self, text: str, conditions: Sequence[Sequence[int]] | None = None) -> list[Hit]:
        """The spans of ``text`` that decide its crime areas, in text order."""
        conds = [tuple(c) for c in (conditions if conditions is not None
                                    else [m.span() for m in self._cond.finditer(text)]) if len(c) == 2]
        found: list[Hit] = []
        # a treaty named in a 《title》 counts with its whole title as evidence
        for m in TITLE_RE.finditer(text):
            inner = m.group(0)[1:-1]
            if inner.endswith(self._endings):
                for code in dict.fromkeys(h.code for h in self._cue_hits(inner)):
                    found.append(Hit(code, m.group(0), m.start(), m.end(), instrument=True))
        masked = QUOTE_RE.sub(lambda m: _MASK * len(m.group(0)), TITLE_RE.sub(lambda m: _MASK * len(m.group(0)), text))
        cue_hits = self._cue_hits(masked)
        found += cue_hits
        for code, rx in self._patterns:
            for m in rx.finditer(masked):
                s, e = m.span()
                if not any(h.code == code and h.start < e and s < h.end for h in cue_hits):
                    found.append(Hit(code, m.group(0), s, e))
        found = [h for h in found if not any(a <= h.start < b for a, b in conds)]
        # the Protocols named all together: the Convention's system, no area
        for m in _SENTENCE_RE.finditer(text):
            if m.start() == m.end():
                continue
            named = [h for h in found if h.instrument and h.code in self._protocols and m.start() <= h.start < m.end()]
            if self._protocols and {h.code for h in named} >= self._protocols:
                found = [h for h in found if h not in named]
        return sorted(found, key=lambda h: (h.start, h.end, self._order[h.code]))

    # -- columns -------------------------------------------------------------

    def labels(self, hits: Sequence[Hit], start: int = 0, end: int | None = None) -> list[str]:
        """The areas of ``hits`` (those starting in ``[start, end)``), in codebook order."""
        codes = {h.code for h in hits if h.start >= start and (end is None or h.start < end)}
        return sorted(codes, key=self._order.__getitem__)

    @staticmethod
    def evidence(hits: Sequence[Hit], start: int = 0, end: int | None = None) -> list[str]:
        return [h.evidence() for h in hits if h.start >= start and (end is None or h.start < end)]

    def analyse(self, X, conditions: Sequence[Sequence] | None = None) -> list[list[Hit]]:
        """The hits of every text; ``conditions``: each text's condition spans
        when the caller has them (the clause grammar finds them)."""
        texts = _texts(X)
        return [self.hits(t, conditions[i] if conditions is not None else None) for i, t in enumerate(texts)]

    def predict(self, X) -> list[list[str]]:
        return [self.labels(h) for h in self.analyse(X)]

    def predict_proba(self, X) -> np.ndarray:
        """1 where the rules find the area, else 0 (rules know no degrees)."""
        pred = self.predict(X)
        out = np.zeros((len(pred), len(self.classes_)))
        for i, codes in enumerate(pred):
            for c in codes:
                out[i, self._order[c]] = 1.0
        return out
