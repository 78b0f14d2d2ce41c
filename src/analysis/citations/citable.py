"""The lexicon of citable bodies: who may have adopted a cited resolution.

``load_bodies()`` reads ``lexicon/citation_bodies.yaml``: each body's
canonical name and spellings, the endings by which an unlisted body is
recognised (…委员会), the heads a body is named by its kind alone with
(理事会) and the words that stop a name. The lexicon is tied to
``bodies.yaml`` (one list of the bodies the project reads, their spellings
and key format) and refuses to disagree with it; the citing unit's own
body (``_acting_body``) is read through the same two files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import bodies as registry
from ..config import RULES_DIR
from ..rules import RuleError, read_yaml
from ..structure import structure_rules
from .patterns import _nonempty

BODIES_FILE = RULES_DIR / "citation_bodies.yaml"

# --------------------------------------------------------------------------
# Bodies (data file)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bodies:
    spellings: tuple[tuple[str, str], ...]  # (spelling, canonical), longest spelling first
    suffixes: tuple[str, ...]
    stop_words: tuple[str, ...]
    source: str
    # canonical name -> bodies.yaml code, for the bodies the project reads
    codes: dict[str, str] = field(default_factory=dict)
    heads: tuple[str, ...] = ()  # 理事会, 委员会 …: a body named by its kind alone
    determiners: tuple[str, ...] = ()  # 该, 上述 …: "the said" before a head
    mentions: re.Pattern | None = None  # every spelling, longest first: where a text names a body

    def canonical(self, name: str | None) -> str | None:
        """Canonical name of a body written as ``name`` (matched by its longest known ending)."""
        if not name:
            return None
        name = re.sub(r"\s+", "", name)
        for spelling, canon in self.spellings:
            if name.endswith(spelling):
                return canon
        return name

    def code(self, canonical: str | None) -> str | None:
        """The ``bodies.yaml`` code (``COP``, ``GA`` …) of a canonical name, or None."""
        return self.codes.get(canonical) if canonical else None

    def name_of(self, code: str) -> str | None:
        """The canonical name of a ``bodies.yaml`` code."""
        return next((name for name, c in self.codes.items() if c == code), None)

    def before(self, text: str) -> tuple[str, str, bool] | None:
        """The body named right at the end of ``text``: (canonical, as written, known).

        ``known`` is False when it was read by the generic suffix rule.
        """
        t = text.rstrip()
        for spelling, canon in self.spellings:
            if t.endswith(spelling):
                return canon, spelling, True
        for suffix in self.suffixes:
            if t.endswith(suffix):
                run = re.search(r"[\u4e00-\u9fff]+$", t)
                if not run:
                    return None
                words = run.group(0)
                cut = max((words.rfind(w) + len(w) for w in self.stop_words if w in words[: -len(suffix)]), default=0)
                name = words[cut:]
                return (name, name, False) if len(name) >= len(suffix) else None
        return None


def load_bodies(path: str | Path | None = None) -> Bodies:
    """Load and validate the bodies lexicon (default: lexicon/citation_bodies.yaml)."""
    return _load_bodies(str(Path(path or BODIES_FILE).resolve()))


def _strings(path: str, data: dict, key: str) -> list[str]:
    out = []
    for i, s in enumerate(data.get(key) or []):
        if not isinstance(s, str) or not s.strip():
            raise RuleError(path, f"{key}[{i}]", "is empty or not a string")
        out.append(s.strip())
    return out


@lru_cache(maxsize=4)
def _load_bodies(path: str) -> Bodies:
    data = read_yaml(path)
    if not isinstance(data.get("bodies"), dict) or not data["bodies"]:
        raise RuleError(path, "bodies", "expected a non-empty mapping 'bodies: {canonical: [spellings]}'")
    owner: dict[str, str] = {}
    for canon, spellings in data["bodies"].items():
        if not isinstance(canon, str) or not canon.strip():
            raise RuleError(path, "bodies", "empty body name")
        if spellings is None:
            spellings = []
        if not isinstance(spellings, list):
            raise RuleError(path, f"bodies.{canon}", "must be a list of spellings")
        for i, s in enumerate([canon, *spellings]):
            if not isinstance(s, str) or not s.strip():
                raise RuleError(path, f"bodies.{canon}[{i - 1}]", "is empty or not a string")
            s = s.strip()
            if s in owner and owner[s] != canon:
                raise RuleError(path, f"bodies.{canon}", f"{s!r} is also listed under bodies.{owner[s]}")
            owner[s] = canon
    codes = _codes(path, owner)
    suffixes = _strings(path, data, "generic_body_suffixes")
    stops = _strings(path, data, "body_stop_words")
    heads = _strings(path, data, "back_reference_heads")
    determiners = _strings(path, data, "back_reference_determiners")
    for i, head in enumerate(heads):
        if head not in suffixes:
            raise RuleError(path, f"back_reference_heads[{i}]", f"{head!r} is not one of the "
                            "generic_body_suffixes, so the text could never be read as naming it")
        if head in owner:
            raise RuleError(path, f"back_reference_heads[{i}]", f"{head!r} is a spelling of "
                            f"bodies.{owner[head]}: a head names no body by itself")
    # The verbs that open a paragraph (又回顾, 并铭记 …) also open the clause
    # that names a body: the generic rule stops at them (并铭记理事会 -> 理事会).
    rules = structure_rules()
    stops = list(dict.fromkeys([*stops, *rules.preamble_verbs, *rules.operative_verbs]))
    spellings = tuple(sorted(owner.items(), key=lambda kv: (-len(kv[0]), kv[0])))
    return Bodies(
        spellings=spellings,
        suffixes=tuple(sorted(suffixes, key=len, reverse=True)),
        stop_words=tuple(stops),
        source=path,
        codes=codes,
        heads=tuple(sorted(heads, key=len, reverse=True)),
        determiners=tuple(sorted(determiners, key=len, reverse=True)),
        mentions=re.compile("|".join(re.escape(s) for s, _ in spellings)),
    )


def _codes(path: str, owner: dict[str, str]) -> dict[str, str]:
    """Tie the citable bodies to ``bodies.yaml`` (in place: ``owner`` gains its spellings).

    A citable body is the body of a code when one of its spellings is, word
    for word, a spelling of that code in ``bodies.yaml``; it then also
    answers to every spelling listed there, so a spelling added to
    ``bodies.yaml`` is read in citations too. A body of ``bodies.yaml`` that
    no entry claims is added under its short Chinese name.
    """
    known = _unit_bodies()
    code_of_spelling = {s: code for code, b in known.items() for s in b.spellings}
    codes: dict[str, str] = {}
    for spelling, canon in owner.items():
        code = code_of_spelling.get(spelling)
        if code is None:
            continue
        if codes.get(canon, code) != code:
            raise RuleError(path, f"bodies.{canon}", f"has spellings of two bodies of {_BODIES_YAML}: "
                            f"{codes[canon]} and {code} ({spelling!r})")
        codes[canon] = code
    for code, body in known.items():
        claimants = [canon for canon, c in codes.items() if c == code]
        if len(claimants) > 1:
            raise RuleError(path, f"bodies.{claimants[1]}", f"is {code} of {_BODIES_YAML}, and so is "
                            f"bodies.{claimants[0]}: list the spellings under one of them")
        canon = claimants[0] if claimants else body.zh
        for s in (body.zh, *body.spellings):
            if owner.get(s, canon) != canon:
                raise RuleError(path, f"bodies.{owner[s]}", f"lists {s!r}, which is {code} in {_BODIES_YAML}, "
                                f"the body of bodies.{canon}")
            owner[s] = canon
        codes[canon] = code
    return codes


_BODIES_YAML = registry.BODIES_FILE.name


def _unit_bodies():
    return registry.load_bodies()


def _acting_body(bodies: Bodies, acting_body, resolution) -> str | None:
    """Canonical name of the citing unit's body: its acting body line, read
    with ``bodies.body_of``; without one, the body its key names
    (``GA.52/85``); a body outside bodies.yaml by the citation lexicon."""
    if _nonempty(acting_body):
        code = registry.body_of(acting_body)
        return bodies.name_of(code) if code else bodies.canonical(acting_body)
    try:
        return bodies.name_of(registry.parse_key(str(resolution))[0])
    except ValueError:
        return None
