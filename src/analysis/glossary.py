"""The bilingual glossary: English for the Chinese words the charts show.

Contract
--------
``load_glossary(path=None) -> Glossary`` reads ``lexicon/glossary.yaml``
(terms, annex section headings, UN Treaty Series volumes, generic words) and
validates it; a problem raises ``LexiconError`` naming the file and the
entry (``glossary.yaml: terms '技术援助': gloss is empty``).

* ``Glossary.gloss(text)``: the English of a term or a section heading, or
  None;
* ``Glossary.treaty(text)``: ``《条约汇编》第2225卷`` -> ``UNTS vol. 2225
  (UNTOC)`` (the volume number with the treaty's short name where the file
  knows it, else ``UNTS vol. 2225``); None for what is not a UNTS citation;
* ``Glossary.is_generic(term)``: a word too general for a top-terms chart;
* ``english(text)``: what an English chart shows for a Chinese word: its
  gloss, or the Chinese with ``UNGLOSSED_MARK`` (``国家*``); text without
  Chinese characters is returned as it is. Every word shown without a gloss
  is remembered (``unglossed()``, ``reset_unglossed()``), so a run can say
  how many words its English charts show in Chinese.

What always holds: an English label never silently shows Chinese: either a
gloss or the marked Chinese, and the count of marked words is exposed.

Why a data file: glosses are editorial choices an analyst makes and extends
as new resolutions bring new words; the charts only look them up.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

from .config import RULES_DIR
from .lexicon import LexiconError

GLOSSARY_FILE = RULES_DIR / "glossary.yaml"

#: Marks a Chinese word shown in an English chart for want of a gloss.
UNGLOSSED_MARK = "*"
UNGLOSSED_NOTE = "* no English gloss yet"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef《》]")
_UNTS = re.compile(r"^\s*《?条约汇编》?\s*第\s*(\d+)\s*卷\s*$")


def has_chinese(text) -> bool:
    """Whether ``text`` holds a Chinese character or full-width punctuation.

    >>> has_chinese("技术援助"), has_chinese("UNTS vol. 2225"), has_chinese("11/2 annex I")
    (True, False, False)
    """
    return bool(_CJK.search(str(text)))


@dataclass(frozen=True)
class Treaty:
    volume: int
    name: str
    short: str


@dataclass(frozen=True)
class Glossary:
    path: Path
    version: str
    terms: Mapping[str, str]
    sections: Mapping[str, str]
    treaties: Mapping[int, Treaty]
    generic: frozenset[str]
    generic_patterns: tuple[str, ...]

    def gloss(self, text: str) -> str | None:
        text = str(text).strip()
        if text in self.terms:
            return self.terms[text]
        if text in self.sections:
            return self.sections[text]
        treaty = self.treaty(text)
        return treaty

    def treaty(self, text: str) -> str | None:
        """``UNTS vol. N (short name)`` of a UN Treaty Series citation.

        >>> g = load_glossary()
        >>> g.treaty("《条约汇编》第2225卷"), g.treaty("《条约汇编》第9999卷"), g.treaty("第6条") is None
        ('UNTS vol. 2225 (UNTOC)', 'UNTS vol. 9999', True)
        """
        m = _UNTS.match(str(text))
        if not m:
            return None
        volume = int(m.group(1))
        known = self.treaties.get(volume)
        return f"UNTS vol. {volume} ({known.short})" if known else f"UNTS vol. {volume}"

    def is_generic(self, term: str) -> bool:
        """Whether a word is too general for a top-terms chart.

        >>> g = load_glossary()
        >>> g.is_generic("提供"), g.is_generic("第十三次"), g.is_generic("技术援助")
        (True, True, False)
        """
        term = str(term)
        return term in self.generic or any(re.search(p, term) for p in self.generic_patterns)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (the
    default keeps the last silently: a gloss edited in one place would be
    undone by an older copy further down)."""


def _construct_mapping(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} listed twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise LexiconError(path, "file", "not found") from None
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e)
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise LexiconError(path, where, f"is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise LexiconError(path, "file", "must hold a mapping at the top level")
    return data


def _pairs(path: Path, data: dict, key: str, *, chinese_keys: bool = True) -> dict[str, str]:
    entries = data.get(key) or {}
    if not isinstance(entries, dict):
        raise LexiconError(path, key, "must map each Chinese text to its English")
    out: dict[str, str] = {}
    for zh, en in entries.items():
        zh_s = str(zh).strip()
        entry = f"{key} '{zh_s}'"
        if not zh_s or (chinese_keys and not has_chinese(zh_s)):
            raise LexiconError(path, entry, "the Chinese side holds no Chinese character")
        if not isinstance(en, str) or not en.strip():
            raise LexiconError(path, entry, "gloss is empty")
        if has_chinese(en):
            raise LexiconError(path, entry, f"gloss {en!r} holds Chinese characters")
        out[zh_s] = en.strip()
    return out


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> Glossary:
    data = _read(path)
    terms = _pairs(path, data, "terms")
    if not terms:
        raise LexiconError(path, "terms", "must be a non-empty mapping")
    sections = _pairs(path, data, "sections")
    for s in sections:
        if s in terms:
            raise LexiconError(path, f"sections '{s}'", "listed in terms too")
    treaties: dict[int, Treaty] = {}
    raw = data.get("treaties") or {}
    if not isinstance(raw, dict):
        raise LexiconError(path, "treaties", "must map UNTS volume numbers to a name and a short name")
    for vol, entry in raw.items():
        if not isinstance(vol, int) or isinstance(vol, bool) or vol <= 0:
            raise LexiconError(path, f"treaties '{vol}'", "the volume must be a positive number")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                                  for k in ("name", "short")):
            raise LexiconError(path, f"treaties {vol}", "needs a non-empty `name` and `short`")
        for k in ("name", "short"):
            if has_chinese(entry[k]):
                raise LexiconError(path, f"treaties {vol}", f"`{k}` holds Chinese characters")
        treaties[vol] = Treaty(vol, entry["name"].strip(), entry["short"].strip())
    generic_list = data.get("generic") or []
    if not isinstance(generic_list, list):
        raise LexiconError(path, "generic", "must be a list of words")
    generic: set[str] = set()
    for w in generic_list:
        if not isinstance(w, str) or not w.strip():
            raise LexiconError(path, "generic", f"entry {w!r} is empty or not text")
        if w in generic:
            raise LexiconError(path, f"generic '{w}'", "listed twice")
        generic.add(w.strip())
    patterns = data.get("generic_patterns") or []
    if not isinstance(patterns, list):
        raise LexiconError(path, "generic_patterns", "must be a list of regular expressions")
    for p in patterns:
        try:
            re.compile(str(p))
        except re.error as e:
            raise LexiconError(path, f"generic_patterns '{p}'", f"does not compile ({e})") from None
    return Glossary(path, str(data.get("version", "")), terms, sections, treaties, frozenset(generic),
                    tuple(map(str, patterns)))


def load_glossary(path: str | Path | None = None) -> Glossary:
    """Read and validate the glossary (reread when the file changes)."""
    path = Path(path) if path else GLOSSARY_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise LexiconError(path, "file", "not found") from None
    return _load(_resolved(path, mtime, "" if path.is_absolute() else os.getcwd()), mtime)


@lru_cache(maxsize=32)
def _resolved(path: Path, mtime_ns: int, cwd: str) -> Path:
    """``path.resolve()``, once per path, version of the file (a link
    pointed elsewhere) and, for a relative path, working folder: English
    tables gloss a cell at a time, and resolving took 90% of a gloss."""
    return path.resolve()


_UNGLOSSED: dict[str, int] = {}
_LOCK = threading.Lock()


def english(text, *, record: bool = True, glossary: Glossary | None = None) -> str:
    """What an English chart shows for ``text``: the gloss, or the Chinese
    marked ``*`` (remembered in ``unglossed()``); text without Chinese as is.

    >>> english("技术援助"), english("《条约汇编》第2225卷"), english("CTOC/COP/WG.2/2022/4")
    ('technical assistance', 'UNTS vol. 2225 (UNTOC)', 'CTOC/COP/WG.2/2022/4')
    >>> english("勠力同心", record=False)
    '勠力同心*'
    """
    text = str(text)
    if not has_chinese(text):
        return text
    g = glossary or load_glossary()
    found = g.gloss(text)
    if found is not None:
        return found
    if record:
        with _LOCK:
            _UNGLOSSED[text.strip()] = _UNGLOSSED.get(text.strip(), 0) + 1
    return text.strip() + UNGLOSSED_MARK


def unglossed() -> dict[str, int]:
    """The Chinese words English charts have shown without a gloss since the
    last ``reset_unglossed`` (word -> times shown)."""
    with _LOCK:
        return dict(_UNGLOSSED)


def reset_unglossed() -> None:
    with _LOCK:
        _UNGLOSSED.clear()


def coverage(terms) -> tuple[int, int, list[str]]:
    """``(glossed, total, missing)`` of the distinct Chinese terms given.

    >>> coverage(["技术援助", "勠力同心", "技术援助", "SHERLOC"])
    (1, 2, ['勠力同心'])
    """
    g = load_glossary()
    distinct = [t for t in dict.fromkeys(str(x).strip() for x in terms) if has_chinese(t)]
    missing = [t for t in distinct if g.gloss(t) is None]
    return len(distinct) - len(missing), len(distinct), missing


def unglossed_summary(words: dict[str, int] | None = None, *, limit: int = 8) -> str:
    """The line a run prints: how many words its English charts showed in
    Chinese for want of a gloss (``unglossed()`` by default), and the first few.

    >>> unglossed_summary({"勠力同心": 2, "夙夜": 1})
    '2 unglossed terms in English charts (shown in Chinese, marked *; add them to glossary.yaml): 勠力同心, 夙夜'
    >>> unglossed_summary({})
    '0 unglossed terms in English charts'
    """
    words = unglossed() if words is None else words
    if not words:
        return "0 unglossed terms in English charts"
    ranked = sorted(words, key=lambda w: (-words[w], w))
    more = f" and {len(ranked) - limit} more" if len(ranked) > limit else ""
    return (f"{len(ranked)} unglossed term{'s' if len(ranked) != 1 else ''} in English charts (shown in Chinese, "
            f"marked {UNGLOSSED_MARK}; add them to glossary.yaml): {', '.join(ranked[:limit])}{more}")
