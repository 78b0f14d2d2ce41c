"""Structure cues of a resolution (``lexicon/structure.yaml``): load and validate.

The reader uses the preamble verbs to tell where a wrapped paragraph ends,
the segmenter all of them to tell what a paragraph is. They are data an
analyst extends (a preamble verb a new body uses), validated on load.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .lexicon import read_yaml

LEXICON_DIR = Path(__file__).parent / "lexicon"


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
    data = read_yaml(path, error=lambda problem: ValueError(f"{path}: {problem}"))
    lists = {}
    for key in ("preamble_verbs", "operative_verbs", "verb_prefixes", "acting_body_words"):
        values = data.get(key)
        if not values or not isinstance(values, list):
            raise ValueError(f"{path}: '{key}' must be a non-empty list")
        bad = [v for v in values if not isinstance(v, str) or not v.strip()]
        if bad:
            raise ValueError(f"{path}: '{key}' has an empty or non-text entry: {bad[0]!r}")
        dup = {v for v in values if values.count(v) > 1}
        if dup:
            raise ValueError(f"{path}: '{key}' lists {sorted(dup)[0]!r} twice")
        # longest first, so 满意地注意到 wins over 注意到
        lists[key] = tuple(sorted(values, key=len, reverse=True))
    return StructureRules(version=str(data.get("version", "unversioned")), **lists)
