"""Structure cues of a resolution (``lexicon/structure.yaml``): load and validate.

The reader uses the preamble verbs to tell where a wrapped paragraph ends,
the segmenter all of them to tell what a paragraph is. They are data an
analyst extends (a preamble verb a new body uses), validated on load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import RULES_DIR
from .rules import RuleError, read_yaml

LEXICON_DIR = RULES_DIR


@dataclass(frozen=True)
class StructureRules:
    preamble_verbs: tuple[str, ...]
    operative_verbs: tuple[str, ...]
    verb_prefixes: tuple[str, ...]
    acting_body_words: tuple[str, ...]
    version: str


@lru_cache(maxsize=4)
def structure_rules(path: str | Path | None = None) -> StructureRules:
    """Load and validate ``lexicon/structure.yaml``."""
    path = Path(path) if path else LEXICON_DIR / "structure.yaml"
    data = read_yaml(path)
    lists = {}
    for key in ("preamble_verbs", "operative_verbs", "verb_prefixes", "acting_body_words"):
        values = data.get(key)
        if not values or not isinstance(values, list):
            raise RuleError(path, key, "must be a non-empty list")
        bad = [v for v in values if not isinstance(v, str) or not v.strip()]
        if bad:
            raise RuleError(path, key, f"has an empty or non-text entry: {bad[0]!r}")
        dup = {v for v in values if values.count(v) > 1}
        if dup:
            raise RuleError(path, key, f"lists {sorted(dup)[0]!r} twice")
        # longest first, so 满意地注意到 wins over 注意到
        lists[key] = tuple(sorted(values, key=len, reverse=True))
    return StructureRules(version=str(data.get("version", "unversioned")), **lists)


# -- shapes of a document's structure, on normalised text (no spaces next to
# Chinese). The reader (where a wrapped paragraph ends), the PDF reader (where
# a page's first line starts a block) and the segmenter (what a block is)
# decide with the same patterns.

#: ``第11/2号决议``, ``第11/101号决定``: a COP-style header (the Commission and the COSP write theirs so too)
UNIT_HEADER = re.compile(r"^第(\d{1,4}/\d{1,3})号(决议|决定)$")
#: ``52/85.《…》的后续行动``, ``45/123.``: a General Assembly-style header, the title on the line or the next
NUMBER_HEADER = re.compile(r"^(\d{1,3}/\d{1,3})\.(?!\d)\s*(.*)$")
#: ``2002/13 采取行动…``: an ECOSOC header (the number starts with the year)
YEAR_HEADER = re.compile(r"^((?:19[4-9]\d|20\d\d)/\d{1,3})(?![\d/])\.?\s*(.*)$")
#: a contents line of a report: dot leaders and a page number
CONTENTS_LINE = re.compile(r"(?:(?:[.·…]\s?){4,}|…{2,}|。{3,})\s*\d{1,3}$")
#: a report's chapter (``一. 会议安排``) or section (``A. 决议``) heading, at the start of a line
CHAPTER_START = re.compile(r"^(?:[一二三四五六七八九十]+[.．、]|[A-Z][.．](?![\dA-Za-z]))")


def header_start(line: str) -> bool:
    """Does a line start like a header with a number and title (``52/85.``,
    ``2002/13 …``), not like a citation wrapped onto it (``52/85号决议…``)?

    >>> [header_start(x) for x in ("52/85.《宣言》的后续行动", "2002/13采取行动", "52/85号决议所载", "10/1号决议附件")]
    [True, True, False, False]
    """
    for rx in (NUMBER_HEADER, YEAR_HEADER):
        m = rx.match(line)
        if m and not m.group(2).startswith(("号", "决议", "决定")):
            return True
    return False
