"""Stock phrases: the file that lists them, and cutting them out of a text.

Contract: ``load_stock_phrases(path=None)`` reads and validates
``lexicon/stock_phrases.yaml`` (or another file of that form: sections
``chapeau``, ``patterns``, ``phrases``, ``version``) into ``StockPhrases``,
whose ``strip(text)`` replaces every stock phrase by ``SEP``. A malformed
file raises ``analysis.rules.RuleError`` naming the file and the entry at
fault, like every rule file.

Why: almost every recommendation opens with an actor and a modal and names
the Convention; two items sharing only that must not look alike. The
phrases are cut, not deleted, so that no n-gram, token or shared span
bridges the gap (``SEP`` stops them all). Everything the stage compares
is the stripped text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..config import RULES_DIR
from ..rules import RuleError, read_yaml

logger = logging.getLogger(__name__)

#: Default stock-phrase file, shipped with the package.
STOCK_PHRASES_FILE = RULES_DIR / "stock_phrases.yaml"

#: What a stripped stock phrase is replaced with: a character no n-gram, token
#: or shared span may cross.
SEP = "\u2016"  # ‖


@dataclass(frozen=True)
class StockPhrases:
    """Compiled stock phrases: ``strip`` cuts them out of a text."""

    source: str
    version: str
    passes: tuple[re.Pattern, ...]
    n_entries: int

    def strip(self, text: str) -> str:
        """Replace every stock phrase by ``SEP``; the rest of the text is kept as is."""
        for rx in self.passes:
            text = rx.sub(SEP, text)
        return text


def _alternation(items: Iterable[str]) -> str:
    # Longest first: a regex alternation takes the first alternative that
    # matches, so this makes it the longest match.
    return "|".join(re.escape(s) for s in sorted(set(items), key=lambda s: (-len(s), s)))


def _str_list(data: dict, key: str, path: str, where: str, *, required: bool = True) -> list[str]:
    """The list of strings at ``data[key]``; problems name the entry ``where.key``."""
    value = data.get(key)
    if value is None:
        if required:
            raise RuleError(path, where, f"missing list {key!r}")
        return []
    if not isinstance(value, list) or not value:
        raise RuleError(path, f"{where}.{key}", "must be a non-empty list of strings")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RuleError(path, f"{where}.{key}[{i}]", f"is empty or not a string: {item!r}")
        item = item.strip()
        if item in seen:
            raise RuleError(path, f"{where}.{key}[{i}]", f"{item!r} is listed twice")
        seen.add(item)
        out.append(item)
    return out


def load_stock_phrases(path: str | Path | None = None) -> StockPhrases:
    """Load and validate a stock-phrase file (default: the packaged one).

    Raises ``analysis.rules.RuleError`` naming the file and the entry at fault.
    """
    path = Path(path) if path is not None else STOCK_PHRASES_FILE
    return _load_stock_phrases(str(path.resolve()))


@lru_cache(maxsize=8)
def _load_stock_phrases(path: str) -> StockPhrases:
    data = read_yaml(path)
    unknown = set(data) - {"version", "chapeau", "patterns", "phrases"}
    if unknown:
        raise RuleError(path, ", ".join(sorted(map(str, unknown))),
                        "unknown section(s); the sections are version, chapeau, patterns and phrases")

    passes: list[re.Pattern] = []
    n = 0
    chapeau = data.get("chapeau")
    if chapeau is not None:
        if not isinstance(chapeau, dict):
            raise RuleError(path, "chapeau", "must be a mapping")
        actors = _str_list(chapeau, "actors", path, "chapeau")
        modals = _str_list(chapeau, "modals", path, "chapeau")
        exhort = _str_list(chapeau, "exhortations", path, "chapeau", required=False)
        not_after = _str_list(chapeau, "modal_not_followed_by", path, "chapeau", required=False)
        actor_rx = f"(?:{_alternation(actors)})(?:（[^（）]{{1,20}}）)?"
        modal_rx = f"(?:{_alternation(modals)})"
        if not_after:
            modal_rx += f"(?!{_alternation(not_after)})"
        alts = [f"{actor_rx}{modal_rx}"]
        if exhort:
            alts.append(f"(?:{_alternation(exhort)}){actor_rx}(?:考虑)?")
        passes.append(re.compile("|".join(alts)))
        n += len(actors) + len(modals) + len(exhort)

    patterns = data.get("patterns") or {}
    if not isinstance(patterns, dict):
        raise RuleError(path, "patterns", "must be a mapping name: regex")
    for name, rx in patterns.items():
        if not isinstance(rx, str) or not rx:
            raise RuleError(path, f"patterns.{name}", "must be a non-empty regex string")
        try:
            compiled = re.compile(rx)
        except re.error as exc:
            raise RuleError(path, f"patterns.{name}", f"invalid regex: {exc}") from None
        if compiled.match(""):
            raise RuleError(path, f"patterns.{name}", "matches the empty string")
        passes.append(compiled)
        n += 1

    phrases = data.get("phrases") or {}
    if not isinstance(phrases, dict):
        raise RuleError(path, "phrases", "must be a mapping category: [strings]")
    owner: dict[str, str] = {}
    literal: list[str] = []
    for cat in phrases:
        for item in _str_list(phrases, cat, path, "phrases"):
            if item in owner:
                raise RuleError(path, f"phrases.{cat}", f"{item!r} is already listed under phrases.{owner[item]}")
            owner[item] = cat
            literal.append(item)
    if literal:
        passes.append(re.compile(_alternation(literal)))
        n += len(literal)
    if not passes:
        raise RuleError(path, "file", "no stock phrase defined")
    logger.debug("stock phrases: %d entries from %s", n, path)
    return StockPhrases(source=path, version=str(data.get("version", "")), passes=tuple(passes), n_entries=n)


def strip_stock_phrases(text: str, phrases: StockPhrases | None = None) -> str:
    """Cut the stock phrases out of ``text``, leaving ``SEP`` where they were.

    >>> strip_stock_phrases("各国应考虑为《联合国打击跨国有组织犯罪公约》提供培训").replace(SEP, "|")
    '|为|提供培训'
    >>> strip_stock_phrases("鼓励各国考虑制定国家政策").replace(SEP, "|")
    '|制定国家政策'
    >>> strip_stock_phrases("国家可持续发展")  # 可持续 is not the modal 可
    '国家可持续发展'
    """
    return (phrases or load_stock_phrases()).strip(text)
