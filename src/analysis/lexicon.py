"""The classification lexicon: load, validate and version the rule files.

Contract
--------
``load_lexicon(directory=None) -> Lexicon`` reads the files of
``src/analysis/lexicon/`` that the tokeniser and the classifier use:

* ``userdict.txt``   jieba user dictionary of UNTOC terms;
* ``synonyms.yaml``  variant -> canonical term;
* ``stopwords.txt``  tokens dropped from the content-token stream;
* ``actors.yaml``    actor cues by group, the acting bodies' own organs,
  plus the small grammar word lists;
* ``strength.yaml``  strength cues (family, score, role, negation),
  blockers, condition patterns;
* ``themes.yaml``    the 12 codebook themes, their keywords and weights;
* ``crime_areas.yaml`` the 11 codebook crime areas (§4b), their names, cues
  and patterns, the names that are neutral and what makes a title a treaty;
* ``bodies.yaml``    the bodies that adopt resolutions (read through
  ``analysis.bodies``): their spellings are the ``Body`` group's cues.

Every file is validated on load. A problem raises ``LexiconError`` whose
message names the file and the entry (``strength.yaml: cue '应': listed
twice (families 应 and 不妨)``), so an analyst who edits a list in a text
editor knows what to fix. What is refused: a cue (or keyword, or synonym)
in two categories, an unknown family or theme code, a category without
entries, a score outside 1-5, a regular expression that does not compile.

``lexicon_version(directory=None)`` is the version recorded with every
output: the files' ``version:`` key plus a short hash of the files'
bytes (``2026.11.1+3fa2c0d1``), so an edit that forgot to bump the version
still shows in the outputs it produced.

Why data files: the rules must follow the codebook's principles and be
extended for resolutions not read yet; an analyst adds a cue or a keyword
without touching Python, and the loader tells them when the addition
contradicts what is already there.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping


from .config import RULES_DIR
from .rules import LexiconError, read_yaml  # noqa: F401  (one loader for every rule file)

logger = logging.getLogger(__name__)

LEXICON_DIR = RULES_DIR

#: The files this module owns, in the order their bytes enter the version hash.
FILES = ("userdict.txt", "synonyms.yaml", "stopwords.txt", "actors.yaml", "strength.yaml", "themes.yaml",
         "bodies.yaml", "crime_areas.yaml")

#: Codebook §2. ``Body`` is the acting body itself (the COP in a COP
#: resolution, the General Assembly in a GA resolution …): its cues are not
#: fixed but computed from each row's acting body (``Lexicon.actor_groups_for``).
ACTOR_GROUPS = ("States", "UNODC", "Body", "Other")
BODY_GROUP = "Body"
#: The fixed groups, whose cues are the same whoever adopts the resolution.
FIXED_ACTOR_GROUPS = tuple(g for g in ACTOR_GROUPS if g != BODY_GROUP)
FAMILIES = ("应", "鼓励", "不妨", "其他")
ROLES = ("modal", "exhortative", "declarative")
#: Codebook §4b crime areas, in codebook order. Empty = the Convention in general.
CRIME_AREA_CODES = ("TIP", "SOM", "FIR", "COR", "CYB", "ENV", "CUL", "DRG", "TER", "MED", "OTH")


@dataclass(frozen=True)
class StrengthCue:
    cue: str
    family: str
    score: int | None
    role: str
    negated: bool = False
    en: str = ""


@dataclass(frozen=True)
class Theme:
    code: str
    zh: str
    en: str
    keywords: Mapping[str, float]


@dataclass(frozen=True)
class CrimeArea:
    code: str
    zh: str
    en: str
    cues: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    protocol: bool = False  # one of the Convention's Protocols (TIP, SOM, FIR)


@dataclass(frozen=True)
class UserWord:
    word: str
    freq: int | None
    tag: str | None


@dataclass(frozen=True)
class Lexicon:
    """Everything the tokeniser and the classifier read from the rule files."""

    directory: Path
    version: str
    userdict: tuple[UserWord, ...]
    synonyms: Mapping[str, str]  # variant -> canonical
    stopwords: frozenset[str]
    actor_cues: Mapping[str, str]  # cue -> fixed group (States, UNODC, Other)
    body_cues: Mapping[str, tuple[str, ...]]  # body code -> its own names and organs (the Body's cues)
    bodies: Mapping  # body code -> analysis.bodies.Body (names, spellings), from bodies.yaml
    non_actors: tuple[str, ...]
    coordinators: tuple[str, ...]
    modifiers: tuple[str, ...]
    prepositions: tuple[str, ...]
    acting_body_default: str
    families: Mapping[str, Mapping]
    cues: Mapping[str, StrengthCue]
    blockers: tuple[str, ...]
    blocker_patterns: tuple[str, ...]
    conditions: tuple[str, ...]
    clause_adverbs: tuple[str, ...]
    subordinators: tuple[str, ...]
    themes: Mapping[str, Theme]  # in codebook order
    neutral: tuple[str, ...]
    min_score: float
    crime_areas: Mapping[str, CrimeArea]  # in codebook order (CRIME_AREA_CODES)
    crime_neutral: tuple[str, ...]
    instrument_endings: tuple[str, ...]
    _groups_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def theme_codes(self) -> tuple[str, ...]:
        return tuple(self.themes)

    @property
    def crime_area_codes(self) -> tuple[str, ...]:
        return tuple(self.crime_areas)

    @property
    def crime_cues(self) -> dict[str, str]:
        """cue -> crime area code."""
        return {cue: a.code for a in self.crime_areas.values() for cue in a.cues}

    @property
    def theme_keywords(self) -> dict[str, tuple[str, float]]:
        """keyword -> (theme code, weight)."""
        return {kw: (t.code, w) for t in self.themes.values() for kw, w in t.keywords.items()}

    def strength_of(self, cue: str) -> StrengthCue | None:
        return self.cues.get(cue)

    @property
    def actor_words(self) -> tuple[str, ...]:
        """Every word that may name an actor, whoever the acting body is."""
        words = dict.fromkeys(self.actor_cues)
        for cues in self.body_cues.values():
            words.update(dict.fromkeys(cues))
        return tuple(words)

    def acting_body_code(self, acting_body: str | None) -> str | None:
        """The body code of a row's ``acting_body`` text: the default body
        (``acting_body_default``) when the text is empty, None when it names
        a body the lexicon does not know."""
        if not isinstance(acting_body, str) or not acting_body.strip():
            return self.acting_body_default
        from .bodies import body_of

        return body_of(acting_body, bodies=self.bodies)

    def actor_groups_for(self, acting_body: str | None) -> Mapping[str, str]:
        """cue -> actor group in a row adopted by ``acting_body`` (its text).

        The fixed groups' cues, plus every body's names and organs: ``Body``
        for the acting body's own, ``Other`` for the rest. An acting body the
        lexicon does not know is its own and only ``Body`` cue (as written).

        >>> lex = load_lexicon()
        >>> cop, ga = lex.actor_groups_for("联合国打击跨国有组织犯罪公约缔约方会议"), lex.actor_groups_for("大会")
        >>> cop["大会"], cop["工作组"], ga["大会"], ga["工作组"], ga["秘书长"]
        ('Other', 'Body', 'Body', 'Other', 'UNODC')
        """
        key = acting_body.strip().rstrip("，,") if isinstance(acting_body, str) else None
        cached = self._groups_cache.get(key)
        if cached is not None:
            return cached
        code = self.acting_body_code(key)
        groups: dict[str, str] = {}
        for body, cues in self.body_cues.items():
            if body != code:
                groups.update(dict.fromkeys(cues, "Other"))
        if code is not None:
            groups.update(dict.fromkeys(self.body_cues.get(code, ()), BODY_GROUP))
        groups.update(self.actor_cues)
        if code is None and key:
            groups[key] = BODY_GROUP  # an unknown acting body is the Body where it acts, whatever else it is
        out = MappingProxyType(groups)
        self._groups_cache[key] = out
        return out

    def acting_body_word(self, acting_body: str | None) -> str:
        """How the acting body is named as the implicit actor of its own acts
        (核可…, 决定…): its short name (缔约方会议, 大会 …), or the text as
        written for a body the lexicon does not know."""
        code = self.acting_body_code(acting_body)
        if code is not None:
            return self.bodies[code].zh
        return acting_body.strip().rstrip("，,")


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def alternation(words, *, escape: bool = True) -> str:
    """A regex alternation that prefers the longest word at a position.

    Python's ``re`` takes the first alternative that matches, so sorting by
    length (then text, for determinism) gives longest-match-first.

    >>> import re
    >>> re.findall(alternation(["应", "应当", "应当考虑"]), "各国应当考虑，也应")
    ['应当考虑', '应']
    """
    items = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) if escape else w for w in items)


#: libyaml's safe loader where PyYAML was built with it (several times faster;
#: the rule files are read on every run), the pure-Python one otherwise.
def _word_list(path: Path, data: dict, key: str, *, required: bool = True) -> tuple[str, ...]:
    values = data.get(key)
    if values is None and not required:
        return ()
    if not isinstance(values, list) or not values:
        raise LexiconError(path, key, "must be a non-empty list")
    seen = set()
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise LexiconError(path, key, f"entry {v!r} is empty or not text")
        if v in seen:
            raise LexiconError(path, f"{key} '{v}'", "listed twice")
        seen.add(v)
    return tuple(v.strip() for v in values)


def _compile(path: Path, entry: str, pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as e:
        raise LexiconError(path, entry, f"regular expression {pattern!r} does not compile ({e})") from None
    return pattern


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LexiconError(path, "file", "not found") from None
    out = []
    for no, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((no, line))
    return out


# --------------------------------------------------------------------------
# the loaders
# --------------------------------------------------------------------------

def _load_userdict(path: Path) -> tuple[UserWord, ...]:
    words: dict[str, UserWord] = {}
    for no, line in _lines(path):
        parts = line.split()
        word = parts[0]
        if len(parts) > 3:
            raise LexiconError(path, f"line {no} '{word}'", "expected `term [frequency] [tag]`")
        freq, tag = None, None
        for p in parts[1:]:
            if p.isdigit():
                if freq is not None:
                    raise LexiconError(path, f"line {no} '{word}'", "two frequencies")
                freq = int(p)
            else:
                tag = p
        if word in words:
            raise LexiconError(path, f"line {no} '{word}'", "listed twice")
        words[word] = UserWord(word, freq, tag)
    if not words:
        raise LexiconError(path, "file", "holds no terms")
    return tuple(words.values())


def _load_stopwords(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    for no, line in _lines(path):
        if line in seen:
            raise LexiconError(path, f"line {no} '{line}'", f"listed twice (first on line {seen[line]})")
        seen[line] = no
    if not seen:
        raise LexiconError(path, "file", "holds no stopwords")
    return frozenset(seen)


def _load_synonyms(path: Path) -> tuple[dict[str, str], str]:
    data = read_yaml(path)
    table = data.get("synonyms")
    if not isinstance(table, dict) or not table:
        raise LexiconError(path, "synonyms", "must be a non-empty mapping canonical: [variants]")
    out: dict[str, str] = {}
    for canonical, variants in table.items():
        if not isinstance(canonical, str) or not canonical.strip():
            raise LexiconError(path, f"synonyms {canonical!r}", "canonical term is empty")
        if not isinstance(variants, list) or not variants:
            raise LexiconError(path, f"synonyms '{canonical}'", "has no variants (empty category)")
        for v in variants:
            if not isinstance(v, str) or not v.strip():
                raise LexiconError(path, f"synonyms '{canonical}'", f"variant {v!r} is empty")
            if v == canonical:
                raise LexiconError(path, f"synonyms '{canonical}'", "lists itself as a variant")
            if v in out and out[v] != canonical:
                raise LexiconError(path, f"variant '{v}'", f"listed under two canonical terms ('{out[v]}' and '{canonical}')")
            if v in out:
                raise LexiconError(path, f"variant '{v}'", f"listed twice under '{canonical}'")
            out[v] = canonical
    chained = sorted(set(out) & set(table))
    if chained:
        raise LexiconError(path, f"synonyms '{chained[0]}'",
                           f"is a canonical term and also a variant of '{out[chained[0]]}'")
    return out, str(data.get("version", ""))


def _load_actors(path: Path, bodies: Mapping) -> dict:
    data = read_yaml(path)
    groups = data.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise LexiconError(path, "groups", "must be a non-empty mapping of actor groups")
    if BODY_GROUP in groups:
        raise LexiconError(path, f"group '{BODY_GROUP}'",
                           "has no fixed cues: list the acting bodies' organs under `bodies:` instead")
    unknown = [g for g in groups if g not in FIXED_ACTOR_GROUPS]
    if unknown:
        raise LexiconError(path, f"group '{unknown[0]}'",
                           f"unknown actor group (expected one of {', '.join(FIXED_ACTOR_GROUPS)})")
    cues: dict[str, str] = {}
    for group, spec in groups.items():
        lst = (spec or {}).get("cues") if isinstance(spec, dict) else None
        if not isinstance(lst, list) or not lst:
            raise LexiconError(path, f"group '{group}'", "has no cues (empty category)")
        for cue in lst:
            if not isinstance(cue, str) or not cue.strip():
                raise LexiconError(path, f"group '{group}'", f"cue {cue!r} is empty")
            if cue in cues:
                where = "twice in" if cues[cue] == group else f"in two groups ('{cues[cue]}' and"
                raise LexiconError(path, f"cue '{cue}'", f"listed {where} '{group}'" + (")" if cues[cue] != group else ""))
            cues[cue] = group
    non_actors = _word_list(path, data, "non_actors", required=False)
    clash = sorted(set(non_actors) & set(cues))
    if clash:
        raise LexiconError(path, f"non_actors '{clash[0]}'", f"is also an actor cue of group '{cues[clash[0]]}'")
    organs = data.get("bodies") or {}
    if not isinstance(organs, dict):
        raise LexiconError(path, "bodies", "must map body codes (of bodies.yaml) to lists of their organs")
    body_cues: dict[str, tuple[str, ...]] = {}
    for code, spec in bodies.items():
        own = organs.get(code) or []
        if not isinstance(own, list):
            raise LexiconError(path, f"bodies '{code}'", "must be a list of words")
        seen: dict[str, str] = {}
        for word in [*spec.spellings, *own]:
            if not isinstance(word, str) or not word.strip():
                raise LexiconError(path, f"bodies '{code}'", f"entry {word!r} is empty or not text")
            if word in cues:
                raise LexiconError(path, f"bodies '{code}' '{word}'",
                                   f"is also an actor cue of group '{cues[word]}' (a body's word is Body or Other "
                                   "by who adopts the resolution)")
            if word in non_actors:
                raise LexiconError(path, f"bodies '{code}' '{word}'", "is also listed under non_actors")
            if word in seen:
                raise LexiconError(path, f"bodies '{code}' '{word}'", "listed twice (or is one of the body's "
                                   "spellings in bodies.yaml)")
            seen[word] = code
        body_cues[code] = tuple(seen)
    unknown = [c for c in organs if c not in bodies]
    if unknown:
        raise LexiconError(path, f"bodies '{unknown[0]}'",
                           f"unknown body code (bodies.yaml knows {', '.join(bodies)})")
    default = data.get("acting_body_default")
    if default not in bodies:
        raise LexiconError(path, "acting_body_default",
                           f"{default!r} is not a body code of bodies.yaml ({', '.join(bodies)})")
    return {
        "actor_cues": cues,
        "body_cues": body_cues,
        "bodies": MappingProxyType(dict(bodies)),
        "non_actors": non_actors,
        "coordinators": _word_list(path, data, "coordinators"),
        "modifiers": _word_list(path, data, "modifiers"),
        "prepositions": _word_list(path, data, "prepositions"),
        "acting_body_default": default,
        "version": str(data.get("version", "")),
    }


def _load_strength(path: Path) -> dict:
    data = read_yaml(path)
    families = data.get("families")
    if not isinstance(families, dict) or not families:
        raise LexiconError(path, "families", "must be a non-empty mapping")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise LexiconError(path, f"family '{unknown[0]}'", f"unknown family (expected one of {', '.join(FAMILIES)})")
    entries = data.get("cues")
    if not isinstance(entries, list) or not entries:
        raise LexiconError(path, "cues", "must be a non-empty list")
    cues: dict[str, StrengthCue] = {}
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not isinstance(e.get("cue"), str) or not e["cue"].strip():
            raise LexiconError(path, f"cues entry #{i}", "needs a non-empty 'cue'")
        cue = e["cue"]
        fam = e.get("family")
        if fam not in families:
            raise LexiconError(path, f"cue '{cue}'", f"unknown family {fam!r}")
        if cue in cues:
            raise LexiconError(path, f"cue '{cue}'", f"listed twice (families {cues[cue].family} and {fam})")
        role = e.get("role")
        if role not in ROLES:
            raise LexiconError(path, f"cue '{cue}'", f"role must be one of {', '.join(ROLES)}, not {role!r}")
        score = e.get("score")
        if fam == "其他":
            if score is not None:
                raise LexiconError(path, f"cue '{cue}'", "family 其他 has no score")
        elif not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise LexiconError(path, f"cue '{cue}'", f"score must be an integer 1-5, not {score!r}")
        cues[cue] = StrengthCue(cue, fam, score, role, bool(e.get("negated", False)), str(e.get("en", "")))
    empty = [f for f in families if not any(c.family == f for c in cues.values())]
    if empty:
        raise LexiconError(path, f"family '{empty[0]}'", "has no cues (empty category)")
    blockers = _word_list(path, data, "blockers")
    clash = sorted(set(blockers) & set(cues))
    if clash:
        raise LexiconError(path, f"blocker '{clash[0]}'", "is also a strength cue")
    patterns = tuple(_compile(path, f"blocker_patterns #{i}", p)
                     for i, p in enumerate(_word_list(path, data, "blocker_patterns", required=False), start=1))
    conditions = tuple(_compile(path, f"conditions #{i}", p)
                       for i, p in enumerate(_word_list(path, data, "conditions"), start=1))
    return {
        "families": {f: MappingProxyType(dict(v or {})) for f, v in families.items()},
        "cues": cues,
        "blockers": blockers,
        "blocker_patterns": patterns,
        "conditions": conditions,
        "clause_adverbs": _word_list(path, data, "clause_adverbs"),
        "subordinators": _word_list(path, data, "subordinators"),
        "version": str(data.get("version", "")),
    }


def _load_themes(path: Path) -> dict:
    data = read_yaml(path)
    entries = data.get("themes")
    if not isinstance(entries, list) or not entries:
        raise LexiconError(path, "themes", "must be a non-empty list of {code, zh, en}")
    names: dict[str, tuple[str, str]] = {}
    for i, e in enumerate(entries, start=1):
        code = e.get("code") if isinstance(e, dict) else None
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2,8}", code):
            raise LexiconError(path, f"themes entry #{i}", f"code {code!r} must be 2-8 capital letters")
        if code in names:
            raise LexiconError(path, f"theme '{code}'", "listed twice")
        zh, en = e.get("zh"), e.get("en")
        if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            raise LexiconError(path, f"theme '{code}'", "needs non-empty 'zh' and 'en' names")
        names[code] = (zh.strip(), en.strip())
    keywords = data.get("keywords")
    if not isinstance(keywords, dict):
        raise LexiconError(path, "keywords", "must be a mapping theme code: {keyword: weight}")
    owner: dict[str, str] = {}
    kw_by_theme: dict[str, dict[str, float]] = {c: {} for c in names}
    for code, table in keywords.items():
        if code not in names:
            raise LexiconError(path, f"keywords '{code}'", f"unknown theme code (known: {', '.join(names)})")
        if not isinstance(table, dict) or not table:
            raise LexiconError(path, f"keywords '{code}'", "has no keywords (empty category)")
        for kw, w in table.items():
            if not isinstance(kw, str) or not kw.strip():
                raise LexiconError(path, f"keywords '{code}'", f"keyword {kw!r} is empty")
            if isinstance(w, bool) or not isinstance(w, (int, float)) or w <= 0:
                raise LexiconError(path, f"keyword '{kw}'", f"weight must be a positive number, not {w!r}")
            if kw in owner:
                raise LexiconError(path, f"keyword '{kw}'", f"listed under two themes ('{owner[kw]}' and '{code}')")
            owner[kw] = code
            kw_by_theme[code][kw] = float(w)
    empty = [c for c, kws in kw_by_theme.items() if not kws]
    if empty:
        raise LexiconError(path, f"theme '{empty[0]}'", "has no keywords (empty category)")
    neutral = _word_list(path, data, "neutral", required=False)
    clash = sorted(set(neutral) & set(owner))
    if clash:
        raise LexiconError(path, f"neutral '{clash[0]}'", f"is also a keyword of theme '{owner[clash[0]]}'")
    min_score = data.get("min_score", 2)
    if isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or min_score <= 0:
        raise LexiconError(path, "min_score", f"must be a positive number, not {min_score!r}")
    themes = {c: Theme(c, zh, en, MappingProxyType(kw_by_theme[c])) for c, (zh, en) in names.items()}
    return {"themes": themes, "neutral": neutral, "min_score": float(min_score),
            "version": str(data.get("version", ""))}


def _load_crime_areas(path: Path) -> dict:
    data = read_yaml(path)
    entries = data.get("areas")
    if not isinstance(entries, list) or not entries:
        raise LexiconError(path, "areas", "must be a non-empty list of {code, zh, en, cues}")
    areas: dict[str, CrimeArea] = {}
    owner: dict[str, str] = {}
    for i, e in enumerate(entries, start=1):
        code = e.get("code") if isinstance(e, dict) else None
        if code not in CRIME_AREA_CODES:
            raise LexiconError(path, f"areas entry #{i}" if not isinstance(code, str) else f"area '{code}'",
                               f"unknown crime area code {code!r} (the codebook's: {', '.join(CRIME_AREA_CODES)})")
        if code in areas:
            raise LexiconError(path, f"area '{code}'", "listed twice")
        zh, en = e.get("zh"), e.get("en")
        if not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            raise LexiconError(path, f"area '{code}'", "needs non-empty 'zh' and 'en' names")
        cues = e.get("cues") or []
        patterns = e.get("patterns") or []
        if not isinstance(cues, list) or not isinstance(patterns, list):
            raise LexiconError(path, f"area '{code}'", "cues and patterns must be lists")
        if not cues and not patterns:
            raise LexiconError(path, f"area '{code}'", "has no cues and no patterns (empty category)")
        for cue in cues:
            if not isinstance(cue, str) or not cue.strip():
                raise LexiconError(path, f"area '{code}'", f"cue {cue!r} is empty")
            if cue in owner:
                where = f"twice under '{code}'" if owner[cue] == code else \
                    f"under two areas ('{owner[cue]}' and '{code}')"
                raise LexiconError(path, f"cue '{cue}'", f"listed {where}")
            owner[cue] = code
        for k, pat in enumerate(patterns, start=1):
            if not isinstance(pat, str) or not pat.strip():
                raise LexiconError(path, f"area '{code}' patterns #{k}", f"{pat!r} is empty or not text")
            _compile(path, f"area '{code}' patterns #{k}", pat)
        protocol = e.get("protocol", False)
        if not isinstance(protocol, bool):
            raise LexiconError(path, f"area '{code}'", f"protocol must be true or false, not {protocol!r}")
        areas[code] = CrimeArea(code, zh.strip(), en.strip(), tuple(c.strip() for c in cues), tuple(patterns),
                                protocol)
    neutral = _word_list(path, data, "neutral", required=False)
    clash = sorted(set(neutral) & set(owner))
    if clash:
        raise LexiconError(path, f"neutral '{clash[0]}'", f"is also a cue of area '{owner[clash[0]]}'")
    endings = _word_list(path, data, "instrument_endings")
    ordered = {c: areas[c] for c in CRIME_AREA_CODES if c in areas}
    return {"crime_areas": ordered, "crime_neutral": neutral, "instrument_endings": endings,
            "version": str(data.get("version", ""))}


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def _directory(directory) -> Path:
    return Path(directory) if directory is not None else LEXICON_DIR


#: files_hash by the files' (inode, size, modification time): ``load_lexicon`` is
#: called for every cell of some tables (names of codes), and reading and
#: hashing eight files each time took seconds on a corpus; an edit, a save
#: or a replacement of a file changes its signature and so its hash.
_HASHES: dict[tuple, str] = {}


def files_hash(directory: str | Path | None = None) -> str:
    """Short sha256 over the bytes of the lexicon files (``FILES``)."""
    d = _directory(directory)
    sig = [str(d)]
    for name in FILES:
        try:
            st = (d / name).stat()
            sig.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            sig.append(None)
    key = tuple(sig)
    if key not in _HASHES:
        h = hashlib.sha256()
        for name in FILES:
            p = d / name
            h.update(name.encode())
            h.update(p.read_bytes() if p.exists() else b"<missing>")
        _HASHES[key] = h.hexdigest()[:8]
    return _HASHES[key]


def _version_key(v: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-]", v)]


_CACHE: dict[tuple[str, str], Lexicon] = {}


def load_lexicon(directory: str | Path | None = None) -> Lexicon:
    """Load and validate the lexicon files (cached per directory and content)."""
    d = _directory(directory).resolve()
    key = (str(d), files_hash(d))
    if key in _CACHE:
        return _CACHE[key]
    userdict = _load_userdict(d / "userdict.txt")
    stopwords = _load_stopwords(d / "stopwords.txt")
    synonyms, v_syn = _load_synonyms(d / "synonyms.yaml")
    from .bodies import load_bodies

    # bodies.yaml is read as it is now (not from load_bodies' cache): this
    # lexicon is cached by the content of its files, bodies.yaml included
    actors = _load_actors(d / "actors.yaml", load_bodies.__wrapped__(d / "bodies.yaml"))
    strength = _load_strength(d / "strength.yaml")
    themes = _load_themes(d / "themes.yaml")
    crime = _load_crime_areas(d / "crime_areas.yaml")
    # A word may be a cue of one kind only: an actor cue that is also a
    # strength cue would make the clause grammar ambiguous.
    actor_words = dict(actors["actor_cues"])
    for code, words in actors["body_cues"].items():
        for w in words:
            actor_words.setdefault(w, f"{BODY_GROUP} (of {code})")
    clash = sorted(set(actor_words) & set(strength["cues"]))
    if clash:
        raise LexiconError(d / "strength.yaml", f"cue '{clash[0]}'",
                           f"is also an actor cue of group '{actor_words[clash[0]]}' in actors.yaml")
    versions = [v for v in (v_syn, actors.pop("version"), strength.pop("version"), themes.pop("version"),
                            crime.pop("version")) if v]
    base = max(versions, key=_version_key) if versions else "0"
    lex = Lexicon(
        directory=d,
        version=f"{base}+{key[1]}",
        userdict=userdict,
        synonyms=MappingProxyType(synonyms),
        stopwords=stopwords,
        actor_cues=MappingProxyType(actors.pop("actor_cues")),
        body_cues=MappingProxyType(actors.pop("body_cues")),
        bodies=actors.pop("bodies"),
        cues=MappingProxyType(strength.pop("cues")),
        themes=MappingProxyType(themes.pop("themes")),
        crime_areas=MappingProxyType(crime.pop("crime_areas")),
        **actors, **strength, **themes, **crime,
    )
    logger.info("lexicon %s: %d user words, %d synonyms, %d stopwords, %d actor cues (%d of bodies), "
                "%d strength cues, %d themes / %d keywords, %d crime areas / %d cues", lex.version, len(userdict),
                len(synonyms), len(stopwords), len(lex.actor_words), len(lex.actor_words) - len(lex.actor_cues),
                len(lex.cues), len(lex.themes), len(lex.theme_keywords), len(lex.crime_areas), len(lex.crime_cues))
    _CACHE[key] = lex
    return lex


def lexicon_version(directory: str | Path | None = None) -> str:
    """The version recorded with every output: ``<version key>+<files hash>``.

    >>> import re
    >>> bool(re.fullmatch(r"[\\w.\\-]+\\+[0-9a-f]{8}", lexicon_version()))
    True
    """
    return load_lexicon(directory).version
