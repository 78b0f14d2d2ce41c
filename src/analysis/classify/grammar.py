"""The clause grammar: actor, strength, conditions and provisions of one text.

``Grammar`` compiles the rules of one lexicon once (``get_grammar`` keeps
one per lexicon version) and reads a recommendation clause by clause:
``Grammar.classify(text, chapeau, acting_body)`` gives the row's labels and
its provisions, ``classify_text`` the labels alone. Offsets are into the
text as given; titles, quotations and conditions are masked over it (same
length) so nothing inside them is read as a cue or an actor.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from ..lexicon import BODY_GROUP, Lexicon, StrengthCue, alternation, load_lexicon

_SEG_END = "。；;！？!?"
_CHUNK_END = "，,：:" + _SEG_END
# Masks written over the text (same length, so offsets hold): titles and
# quotations, then conditions. Nothing inside them is a cue or an actor.
_QUOTE_MASK = "\x01"
_COND_MASK = "\x02"
_SEG_RE = re.compile(f"[{re.escape(_SEG_END)}]")
_QUOTE_RE = re.compile(r"《[^《》]*》|“[^“”]*”|\"[^\"]*\"|「[^「」]*」")


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

