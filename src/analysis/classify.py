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

How the rules read a recommendation (the codebook's principles, applied
to the grammar of the clause rather than to particular sentences)
---------------------------------------------------------------------
1. Cue words are matched on the text, longest first; blockers (请求, 可能,
   相应 …) and anything inside 《titles》, “quotes” or a condition are not
   cues. Conditions (在资源允许的情况下, 如果…允许, 酌情 …) are recorded
   and never change the strength.
2. The text is cut into sentences (。) and clauses (；). A clause whose
   governing cue is new starts a provision; a clause without one continues
   the provision before it (…；并在必要时请求…). Within a sentence, a later
   comma-clause that opens with its own modal (…，毒罪办应…) is a provision
   too.
3. The governing cue of a provision is its first cue that can govern: a
   modal (应, 不妨, 可 …) anywhere outside a subordinate clause (以便…,
   如果…); an exhortative verb (鼓励, 请, 吁请 …) only at the start of a
   clause or right after its speaker; a declarative verb of the body (核可,
   决定 …) only at the start of the text. So in 各国应鼓励妇女… the
   strength is 应 and 鼓励 is the action.
4. The actor is the subject of a modal (the nearest actor phrase before it
   that is not the object of a preposition and is separated from it only
   by adverbs, conditions or 在…时 phrases), the object of an exhortative
   verb (the first actor phrase after it, possibly after modifiers or a
   relative clause ending in 的), or the acting body for a declarative
   verb. Coordinated actors (会员国和其他捐助方) are all kept in ``actors``;
   ``actor_group`` is the first one's group. Which group a body's name is
   in depends on who adopts the resolution: the acting body (its spellings
   in bodies.yaml) and its own organs (actors.yaml ``bodies``) are
   ``Body``; every other body is ``Other`` (大会 is the Body of a General
   Assembly resolution, and Other in a COP resolution that addresses it).
5. A sub-item of a body paragraph inherits actor and strength from its
   chapeau (请毒品和犯罪问题办公室：), unless the chapeau is the body's own
   decision (决定：) and the item has its own actor and modal.

Themes come from two signals with one scikit-learn-style interface
(``fit``/``predict``/``predict_proba``): ``RuleThemeClassifier`` (weighted
keywords of ``themes.yaml``, matched in one pass of one compiled regex) and
``ModelThemeClassifier`` (TF-IDF over the domain tokens,
one logistic regression per theme), trained on the hand annotation in
``data/annotations``. ``CombinedThemeClassifier`` averages them.
``needs_review`` is set where rules and model disagree with confidence, and
where a row has no actor, no strength cue, or (unless it is the body's own
decision) no theme.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress, repeat
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .crime_areas import CrimeAreaClassifier
from .lexicon import ACTOR_GROUPS, BODY_GROUP, FAMILIES, Lexicon, StrengthCue, alternation, load_lexicon

logger = logging.getLogger(__name__)

SCORE_PREFIX = "score_"

#: Columns added to the recommendations table (plus one ``score_<CODE>``
#: per theme after ``primary_theme``).
CLASSIFY_COLUMNS = (
    "actor", "actor_group", "actors", "actor_span", "actor_source",
    "strength", "strength_family", "strength_score", "negated", "strength_span", "strength_source",
    "conditions", "condition_spans", "n_provisions",
    "themes", "primary_theme", "themes_rules", "themes_model", "theme_evidence",
    "crime_areas", "crime_area_evidence",
    "tokens", "needs_review", "review_reasons", "overridden", "lexicon_version",
)

PROVISION_COLUMNS = (
    "rec_id", "provision", "is_main", "text", "start", "end", "subject",
    "actor", "actor_group", "actors", "actor_span", "actor_source",
    "strength", "strength_family", "strength_score", "negated", "strength_span", "strength_source",
    "conditions", "condition_spans", "crime_areas", "crime_area_evidence", "lexicon_version",
)

_SEG_END = "。；;！？!?"
_CHUNK_END = "，,：:" + _SEG_END
# Masks written over the text (same length, so offsets hold): titles and
# quotations, then conditions. Nothing inside them is a cue or an actor.
_QUOTE_MASK = "\x01"
_COND_MASK = "\x02"
_SEG_RE = re.compile(f"[{re.escape(_SEG_END)}]")
_QUOTE_RE = re.compile(r"《[^《》]*》|“[^“”]*”|\"[^\"]*\"|「[^「」]*」")


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
    ``overrides``: path of the analysts' overrides CSV, applied last.
    """

    lexicon_dir: str | None = None
    theme_model: bool = True
    training: tuple[str, ...] | None = None
    rule_weight: float = 0.5
    threshold: float = 0.5
    review_margin: float = 0.25
    overrides: str | None = None
    backend: str = "auto"
    with_tokens: bool = True


# --------------------------------------------------------------------------
# Clause grammar: actor, strength, conditions, provisions
# --------------------------------------------------------------------------

@dataclass
class _Cue:
    start: int
    end: int
    info: StrengthCue

    @property
    def text(self) -> str:
        return self.info.cue


@dataclass
class _Phrase:
    start: int
    end: int
    members: list  # (start, end, word, group)

    @property
    def words(self) -> list[str]:
        return [m[2] for m in self.members]


@dataclass
class Provision:
    """One clause with its own actor and modal (offsets into the text)."""

    start: int
    end: int
    cue: _Cue | None = None
    actor: str | None = None
    actor_group: str | None = None
    actors: list = field(default_factory=list)
    actor_span: list = field(default_factory=list)
    actor_source: str | None = None
    subject: str | None = None
    conditions: list = field(default_factory=list)
    condition_spans: list = field(default_factory=list)
    strength_source: str | None = None
    is_main: bool = False

    @property
    def strength(self) -> str | None:
        return self.cue.info.cue if self.cue else None

    @property
    def family(self) -> str | None:
        return self.cue.info.family if self.cue else None

    def labels(self) -> dict:
        info = self.cue.info if self.cue else None
        return {
            "actor": self.actor, "actor_group": self.actor_group, "actors": list(self.actors),
            "actor_span": list(self.actor_span), "actor_source": self.actor_source,
            "strength": info.cue if info else None, "strength_family": info.family if info else None,
            "strength_score": info.score if info else None, "negated": bool(info.negated) if info else False,
            "strength_span": [self.cue.start, self.cue.end] if self.cue else [],
            "strength_source": self.strength_source if info else None,
            "conditions": list(self.conditions), "condition_spans": [list(s) for s in self.condition_spans],
        }


class Grammar:
    """The compiled rules of one lexicon (built once per lexicon version)."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        cue_words = list(lex.cues) + list(lex.blockers)
        self.cue_re = re.compile("|".join([f"(?:{p})" for p in lex.blocker_patterns] + [alternation(cue_words)]))
        # every word that may name an actor; which group it is in depends on
        # the row's acting body (``Lexicon.actor_groups_for``)
        self.actor_re = re.compile(alternation(list(lex.actor_words) + list(lex.non_actors)))
        self.cond_re = re.compile("|".join(f"(?:{p})" for p in lex.conditions))
        adverbs = alternation(lex.clause_adverbs)
        self.adverbs_re = re.compile(rf"^(?:\s|{adverbs})+")
        self.subord_re = re.compile(rf"^(?:{alternation(lex.subordinators)})")
        coord = alternation(lex.coordinators)
        mods = alternation(lex.modifiers)
        self.coord_gap_re = re.compile(rf"(?:{coord})(?:{mods})*")
        # between an exhortative verb and its object: modifiers, or a
        # relative clause ending in 的 (尚未这样做的国家)
        self.object_gap_re = re.compile(rf"(?:{mods})*(?:[^，。；：,;:]{{0,40}}的(?:{mods})*)?")
        self.prep_re = re.compile(rf"(?:{alternation(lex.prepositions)})(?:{mods})*$")
        # between a subject and its modal: adverbs, conditions (masked),
        # parentheses, 在…时 / 在…中 phrases, commas
        self.subject_gap_re = re.compile(
            rf"(?:\s|[，,、]|{_COND_MASK}+|（[^（）]*）|\([^()]*\)|{adverbs}"
            r"|在[^，。；：]{0,40}?(?:时候|时|过程中|中|期间|方面|之前|之后|以前|以后|基础上|框架内|范围内))*")
        self.subject_strip_re = re.compile(
            rf"(?:\s|[，,、]|[{_COND_MASK}{_QUOTE_MASK}]+|（[^（）]*）|\([^()]*\)|{adverbs})+")

    # -- scanning ----------------------------------------------------------

    def mask(self, text: str) -> tuple[str, list[tuple[int, int, str]]]:
        """Text with titles/quotations and conditions masked (same length),
        and the conditions as ``(start, end, text)``."""
        quoted = _QUOTE_RE.sub(lambda m: _QUOTE_MASK * (m.end() - m.start()), text)
        conds: list[tuple[int, int, str]] = []

        def cond(m):
            conds.append((m.start(), m.end(), text[m.start():m.end()]))
            return _COND_MASK * (m.end() - m.start())

        return self.cond_re.sub(cond, quoted), conds

    def cues(self, text: str, masked: str) -> list[_Cue]:
        out = []
        for m in self.cue_re.finditer(text):
            info = self.lex.cues.get(m.group(0))
            if info is None or masked[m.start()] in (_QUOTE_MASK, _COND_MASK):
                continue
            out.append(_Cue(m.start(), m.end(), info))
        return out

    def phrases(self, text: str, masked: str, acting_body: str | None = None) -> list[_Phrase]:
        groups = self.lex.actor_groups_for(acting_body)
        out: list[_Phrase] = []
        for m in self.actor_re.finditer(text):
            word = m.group(0)
            if word not in groups or masked[m.start()] in (_QUOTE_MASK, _COND_MASK):
                continue
            s, e = m.span()
            if out:
                last = out[-1]
                gap = text[last.end:s]
                # juxtaposed cues name one actor, its head last: 各国主管机关,
                # 毒品和犯罪问题办公室执行主任 (not across 的, which may close a
                # relative clause: 尚未指定中央机关的缔约国)
                if gap == "" and last.end == last.members[-1][1]:
                    ms = last.members[-1][0]
                    last.members[-1] = (ms, e, text[ms:e], groups[word])
                    last.end = e
                    continue
                if gap and self.coord_gap_re.fullmatch(gap):
                    last.members.append((s, e, word, groups[word]))
                    last.end = e
                    continue
                # an abbreviation in brackets: 联合国毒品和犯罪问题办公室（毒品和犯罪问题办公室）
                if gap in ("（", "(") and text[e:e + 1] in ("）", ")"):
                    last.end = e + 1
                    continue
            out.append(_Phrase(s, e, [(s, e, word, groups[word])]))
        return out

    def acting_body_actor(self, acting_body: str | None) -> tuple[str, str]:
        """(words, group) of the acting body as the implicit actor of its own
        acts: its short name (缔约方会议, 大会 …) and the group ``Body``."""
        return self.lex.acting_body_word(acting_body), BODY_GROUP

    # -- helpers -----------------------------------------------------------

    def _strip_adverbs(self, s: str) -> str:
        m = self.adverbs_re.match(s)
        return s[m.end():] if m else s

    def _preceded_by_preposition(self, text: str, start: int) -> bool:
        return bool(self.prep_re.search(text[max(0, start - 8):start]))

    @staticmethod
    def _chunk_start(text: str, pos: int, lower: int) -> int:
        """Start of the comma-clause holding ``pos`` (not before ``lower``)."""
        return max(lower, max(map(text.rfind, _CHUNK_END, repeat(lower), repeat(pos))) + 1)

    def _subject(self, text, masked, phrases, cue: _Cue, lower: int):
        """Nearest valid subject phrase of a modal, searched back to ``lower``."""
        for ph in reversed(phrases):
            if ph.end > cue.start or ph.start < lower:
                continue
            if self._preceded_by_preposition(text, ph.start):
                continue
            gap = masked[ph.end:cue.start]
            if len(gap) <= 80 and self.subject_gap_re.fullmatch(gap):
                return ph
        return None

    def _object(self, text, masked, phrases, cue: _Cue, upper: int):
        """First valid object phrase of an exhortative verb before ``upper``."""
        for ph in phrases:
            if ph.start < cue.end:
                continue
            if ph.start >= upper:
                break
            if self._preceded_by_preposition(text, ph.start) and ph.start != cue.end:
                continue
            if self.object_gap_re.fullmatch(masked[cue.end:ph.start]):
                return ph
        return None

    def _governs(self, text, masked, phrases, cue: _Cue, seg_start: int) -> str | None:
        """How ``cue`` can govern its clause: 'lead' (opens the clause),
        'speaker' (exhortative after its speaker), 'modal', or None."""
        cs = self._chunk_start(masked, cue.start, seg_start)
        prefix = self._strip_adverbs(masked[cs:cue.start])
        prefix = prefix.lstrip(_COND_MASK + " ")
        if self.subord_re.match(prefix):
            return None
        role = cue.info.role
        if role == "declarative":
            return "lead" if prefix == "" and cs == seg_start else None
        if prefix == "":
            return "lead"
        if role == "exhortative":
            for ph in phrases:
                if ph.start >= cs and ph.end <= cue.start:
                    before = self._strip_adverbs(masked[cs:ph.start])
                    after = self._strip_adverbs(masked[ph.end:cue.start])
                    if before == "" and after == "":
                        return "speaker"
            return None
        return "modal"

    # -- a text ------------------------------------------------------------

    def provisions(self, text: str, acting_body: str | None = None) -> list[Provision]:
        """The provisions of ``text``, each with its actor, cue and conditions."""
        masked, conds = self.mask(text)
        cues = self.cues(text, masked)
        phrases = self.phrases(text, masked, acting_body)
        # segments: sentences and semicolon clauses
        bounds, start = [], 0
        for m in _SEG_RE.finditer(text):
            bounds.append((start, m.end()))
            start = m.end()
        if start < len(text) or not bounds:
            bounds.append((start, len(text)))
        provs: list[Provision] = []
        for seg_start, seg_end in bounds:
            seg_cues = [c for c in cues if seg_start <= c.start < seg_end]
            governing = [(c, self._governs(text, masked, phrases, c, seg_start)) for c in seg_cues]
            governing = [(c, how) for c, how in governing if how]
            if not governing:
                continue
            main, how = governing[0]
            lower = provs[-1].cue.end if provs and provs[-1].cue else 0
            subj = None
            if main.info.role == "modal":
                subj = self._subject(text, masked, phrases, main, lower)
                if subj is None:
                    # a modal inside a relative clause (不能提供…的国家应…):
                    # the head noun's own modal governs
                    for c, h in governing[1:]:
                        if c.info.role != "modal":
                            continue
                        ph = self._subject(text, masked, phrases, c, main.end)
                        if ph is not None and text[:ph.start].rstrip().endswith("的"):
                            main, subj = c, ph
                            break
            elif main.info.role == "declarative":
                # 决定各国应…: the modal with an explicit actor governs
                for c, _h in governing[1:]:
                    if c.info.role == "modal":
                        ph = self._subject(text, masked, phrases, c, main.end)
                        if ph is not None:
                            main, subj = c, ph
                            break
            chosen = [main]
            # later comma-clauses of the segment opening with their own cue
            seen_chunks = {self._chunk_start(masked, main.start, seg_start)}
            for c, h in governing:
                if c.start <= main.start:
                    continue
                cs = self._chunk_start(masked, c.start, seg_start)
                if cs in seen_chunks:
                    continue
                seen_chunks.add(cs)
                if c.info.role == "declarative":
                    continue
                if h == "lead" or h == "speaker" or (
                        c.info.role == "modal" and self._subject(text, masked, phrases, c, cs) is not None):
                    chosen.append(c)
            for k, c in enumerate(chosen):
                p_start = seg_start if k == 0 else self._chunk_start(masked, c.start, seg_start)
                prov = Provision(start=p_start, end=seg_end, cue=c, strength_source="text")
                self._attach_actor(prov, text, masked, phrases, c, subj if k == 0 else None,
                                   provs[-1] if provs else None, acting_body, seg_end)
                provs.append(prov)
        if not provs:
            provs = [Provision(start=0, end=len(text))]
        # boundaries: a provision runs to the next one (clauses without a
        # cue continue the provision before them)
        provs[0].start = 0
        for a, b in zip(provs, provs[1:]):
            a.end = b.start
        provs[-1].end = len(text)
        for s, e, t in conds:
            for p in provs:
                if p.start <= s < p.end:
                    p.conditions.append(t)
                    p.condition_spans.append([s, e])
                    break
        return provs

    def _attach_actor(self, prov: Provision, text, masked, phrases, cue: _Cue, subj, prev, acting_body, seg_end):
        role = cue.info.role
        if role == "declarative":
            word, group = self.acting_body_actor(acting_body)
            prov.actor, prov.actor_group, prov.actors = word, group, [word]
            prov.actor_source = "acting_body"
            return
        if role == "exhortative":
            # the object stands in the same comma-clause
            ends = [i for i in (masked.find("，", cue.end, seg_end), masked.find(",", cue.end, seg_end)) if i >= 0]
            ph = self._object(text, masked, phrases, cue, min(ends) if ends else seg_end)
        else:
            ph = subj if subj is not None else self._subject(text, masked, phrases, cue, prov.start)
        if ph is not None:
            prov.actor = ph.members[0][2]
            prov.actor_group = ph.members[0][3]
            prov.actors = list(dict.fromkeys(ph.words))
            prov.actor_span = [ph.start, ph.end]
            prov.actor_source = "text"
            return
        if role == "modal":
            cs = self._chunk_start(masked, cue.start, prov.start)
            rest = self.subject_strip_re.sub("", masked[cs:cue.start])
            if rest:
                prov.subject = text[cs:cue.start].strip("，, ")
                return  # a subject that is not an actor (此类计划可…)
            if prev is not None and prev.actor is not None:
                prov.actor, prov.actor_group, prov.actors = prev.actor, prev.actor_group, list(prev.actors)
                prov.actor_source = "inherited"

    def classify(self, text: str, chapeau: str | None = None, acting_body: str | None = None):
        """(row labels, provisions) of one recommendation."""
        provs = self.provisions(text, acting_body)
        main = next((p for p in provs if p.cue is not None), provs[0])
        labels = main.labels()
        has_chapeau = isinstance(chapeau, str) and chapeau.strip() != ""
        if has_chapeau:
            ch_provs = self.provisions(chapeau, acting_body)
            ch = next((p for p in ch_provs if p.cue is not None), None)
            own = main.cue is not None and main.actor is not None
            if ch is not None and not (ch.family == "其他" and own):
                chl = ch.labels()
                for k in ("actor", "actor_group", "actors", "actor_span", "strength", "strength_family",
                          "strength_score", "negated", "strength_span"):
                    labels[k] = chl[k]
                labels["actor_source"] = "chapeau" if ch.actor_source == "text" else ch.actor_source
                labels["strength_source"] = "chapeau"
                # the chapeau's conditions apply to every sub-item; they have no
                # span in the item's text ([] keeps the two lists aligned)
                labels["conditions"] = chl["conditions"] + labels["conditions"]
                labels["condition_spans"] = [[] for _ in chl["conditions"]] + labels["condition_spans"]
                first = provs[0]
                if first.cue is None:
                    first.cue, first.strength_source = ch.cue, "chapeau"
                    first.actor, first.actor_group, first.actors = ch.actor, ch.actor_group, list(ch.actors)
                    first.actor_span, first.actor_source = list(ch.actor_span), labels["actor_source"]
                    main = first
        labels["n_provisions"] = sum(p.cue is not None for p in provs) or 1
        for p in provs:
            p.is_main = p is main
        return labels, provs


_GRAMMARS: dict[str, Grammar] = {}


def get_grammar(lexicon_dir: str | Path | None = None) -> Grammar:
    lex = load_lexicon(lexicon_dir)
    key = f"{lex.directory}|{lex.version}"
    if key not in _GRAMMARS:
        _GRAMMARS[key] = Grammar(lex)
    return _GRAMMARS[key]


def classify_text(text: str, chapeau: str | None = None, acting_body: str | None = None,
                  lexicon_dir: str | Path | None = None) -> dict:
    """Actor, strength and conditions of one recommendation text.

    >>> r = classify_text("各国应鼓励妇女更广泛地参与刑事司法系统；")
    >>> r["actor"], r["actor_group"], r["strength"], r["strength_family"], r["strength_score"]
    ('各国', 'States', '应', '应', 5)
    >>> r = classify_text("继续提供技术援助；", chapeau="请毒品和犯罪问题办公室：")
    >>> r["actor_group"], r["strength"], r["actor_source"]
    ('UNODC', '请', 'chapeau')
    """
    labels, _ = get_grammar(lexicon_dir).classify(text, chapeau, acting_body)
    return labels


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
        from .tokenise import get_tokeniser

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


# --------------------------------------------------------------------------
# Training data (hand annotation) for the theme model
# --------------------------------------------------------------------------

LIST_COLUMNS = ("actors", "conditions", "themes", "crime_areas")


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_training_files() -> tuple[Path, ...]:
    """The annotation CSVs the model learns from by default."""
    for base in (Path.cwd() / "data" / "annotations", _project_root() / "data" / "annotations"):
        files = sorted(base.glob("gold_*.csv")) + sorted(base.glob("probes*.csv"))
        if files:
            return tuple(files)
    return ()


def split_list(value) -> list[str]:
    """``a|b`` cell -> ``['a', 'b']``; empty/NaN -> ``[]``.

    >>> split_list("LEG| TA"), split_list(None), split_list(float("nan"))
    (['LEG', 'TA'], [], [])
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split("|") if v.strip()]


def read_annotations(path: str | Path, lexicon_dir: str | Path | None = None) -> pd.DataFrame:
    """Read a gold or probe CSV (UTF-8, BOM allowed); validate its labels.

    List cells (``actors``, ``conditions``, ``themes``, ``crime_areas``) are
    ``|``-joined. Raises ValueError naming the file, the row's id and the
    bad value when a theme code, crime area code, actor group or strength
    family is unknown, or when a row has no text.
    """
    path = Path(path)
    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    id_col = "rec_id" if "rec_id" in df.columns else "probe_id"
    if id_col not in df.columns or "text" not in df.columns:
        raise ValueError(f"{path.name}: needs a rec_id (or probe_id) and a text column")
    lex = load_lexicon(lexicon_dir)
    codes = set(lex.theme_codes)
    areas = set(lex.crime_area_codes)
    for col in LIST_COLUMNS:
        if col in df.columns:
            df[col] = df[col].map(split_list)
    for i, row in df.iterrows():
        rid = row[id_col]
        if not str(row["text"]).strip():
            raise ValueError(f"{path.name}: {rid}: empty text")
        bad = [t for t in row.get("themes", []) if t not in codes]
        if bad:
            raise ValueError(f"{path.name}: {rid}: unknown theme code {bad[0]!r}")
        bad = [a for a in row.get("crime_areas", []) if a not in areas]
        if bad:
            raise ValueError(f"{path.name}: {rid}: unknown crime area code {bad[0]!r}")
        pt = row.get("primary_theme", "")
        if pt and pt not in codes:
            raise ValueError(f"{path.name}: {rid}: unknown primary theme {pt!r}")
        if pt and pt not in row.get("themes", []):
            raise ValueError(f"{path.name}: {rid}: primary theme {pt} is not among its themes")
        g = row.get("actor_group", "")
        if g and g not in ACTOR_GROUPS:
            raise ValueError(f"{path.name}: {rid}: unknown actor group {g!r}")
        f = row.get("strength_family", "")
        if f and f not in FAMILIES:
            raise ValueError(f"{path.name}: {rid}: unknown strength family {f!r}")
    for col in ("chapeau", "primary_theme", "actor", "actor_group", "strength", "strength_family", "acting_body"):
        if col in df.columns:
            df[col] = df[col].replace("", None)
    if "strength_score" in df.columns:
        df["strength_score"] = pd.to_numeric(df["strength_score"].replace("", None)).astype("Int64")
    if "negated" in df.columns:
        df["negated"] = df["negated"].str.lower().isin(["true", "1", "yes"])
    df["source_annotation"] = path.name
    return df


def training_data(files: Sequence[str | Path], lexicon_dir=None) -> pd.DataFrame:
    frames = [read_annotations(f, lexicon_dir)[["text", "themes"]] for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["text", "themes"])


_MODELS: dict[tuple, ModelThemeClassifier | None] = {}


def trained_model(settings: ClassifySettings) -> ModelThemeClassifier | None:
    """The theme model trained on the annotation files (cached per content)."""
    if not settings.theme_model:
        return None
    files = tuple(Path(f) for f in settings.training) if settings.training is not None else default_training_files()
    files = tuple(f for f in files if f.exists())
    if not files:
        logger.warning("theme model skipped: no annotation files found (themes come from the keyword rules only)")
        return None
    lex = load_lexicon(settings.lexicon_dir)
    h = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    key = (lex.version, h, settings.backend)
    if key not in _MODELS:
        _MODELS[key] = _stored_model(key, files, settings)
    return _MODELS[key]


def _stored_model(key: tuple, files: tuple[Path, ...], settings: ClassifySettings) -> ModelThemeClassifier:
    """The trained model from the user cache, or trained now and kept there.

    The file holds plain arrays (see ``ModelThemeClassifier.fit``), keyed by
    the lexicon version, the annotation files' content, the tokeniser backend
    and scikit-learn's version (which trains it)."""
    import pickle
    from importlib import metadata

    from .tokenise import cache_dir

    model = ModelThemeClassifier(settings.lexicon_dir, backend=settings.backend)
    try:
        sk = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        sk = "?"
    tag = hashlib.sha256(repr((*key, model.C, tuple(model.classes_), sk)).encode()).hexdigest()[:16]
    path = cache_dir() / f"theme-model-{tag}.pkl"
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)
        model.params_, model.n_train_ = stored["params"], stored["n_train"]
        logger.info("theme model (%d annotated recommendations) from %s", model.n_train_, path)
        return model
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError):
        pass
    data = training_data(files, settings.lexicon_dir)
    model.fit(data, data["themes"].tolist())
    logger.info("theme model trained on %d annotated recommendations (%s)", len(data),
                ", ".join(f.name for f in files))
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({"params": model.params_, "n_train": model.n_train_}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError as exc:
        logger.warning("cannot keep the trained theme model in %s (%s)", path.parent, exc)
    return model


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


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for a batch.

    The stage builds millions of small lists and strings (tokens, spans,
    evidence) that hold no reference cycles: reference counting frees them.
    Left on, the cyclic collector rescans the growing heap again and again,
    which made a 10 MB corpus take about twice as long as it needs to.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def classify_recommendations(recs: pd.DataFrame, settings: ClassifySettings = ClassifySettings()
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add actor, strength, conditions, themes, evidence and review flags."""
    with _cyclic_gc_paused():
        return _classify_recommendations(recs, settings)


def _classify_recommendations(recs: pd.DataFrame, settings: ClassifySettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    from .tokenise import get_tokeniser

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

    if settings.overrides:
        from .overrides import apply_overrides, read_overrides

        out, warnings = apply_overrides(out, read_overrides(settings.overrides, settings.lexicon_dir),
                                        settings.lexicon_dir)
        out.attrs["override_warnings"] = warnings

    n = len(out)
    if n:
        logger.info("classified %d recommendations (lexicon %s): %d without actor, %d without strength cue, "
                    "%d without theme, %d with a crime area, %d need review; %d provisions", n, lex.version,
                    int(out["actor"].isna().sum()), int(out["strength"].isna().sum()),
                    int((out["themes"].map(len) == 0).sum()), int((out["crime_areas"].map(len) > 0).sum()),
                    int(out["needs_review"].sum()), len(provisions))
    return out, provisions
