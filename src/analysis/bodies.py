"""Bodies and unit keys: which body adopted a resolution or decision, and its key.

Contract
--------
``lexicon/bodies.yaml`` lists the bodies the project reads (the COP, the
General Assembly, ECOSOC, the Crime Commission, the UNCAC COSP) with their
names and spellings. This module turns that into:

* ``body_of(text)``: the body code (``COP``, ``GA`` …) a text such as an
  acting body line or a citation names, by the longest spelling it ends with;
* ``unit_key(body, number, kind)`` / ``parse_key(key)``: the key of a unit
  (``11/2``, ``dec.11/101``, ``GA.52/85``) and back;
* ``unit_name(key, lang)``: how a person reads it (``第11/2号决议``,
  ``GA res. 52/85``).

Why keys carry the body: two bodies number their resolutions the same way
(COP 9/3, CCPCJ 9/3), and a COP decision 11/1 is not resolution 11/1. COP
resolution keys stay bare numbers (``11/2``), as the codebook's ``rec_id``
examples and the analysts' annotations use them. The prefix is joined with a
dot, never a colon, because ``rec_id`` is ``<key>:<part>:<label>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from .config import RULES_DIR
from .rules import LexiconError, read_yaml

BODIES_FILE = RULES_DIR / "bodies.yaml"
KINDS = ("resolution", "decision")
_FIELDS = ("prefix", "zh", "zh_full", "en", "en_short", "symbol", "spellings")


@dataclass(frozen=True)
class Body:
    code: str
    prefix: str
    zh: str
    zh_full: str
    en: str
    en_short: str
    symbol: str
    spellings: tuple[str, ...]


@lru_cache(maxsize=4)
def load_bodies(path: str | Path | None = None) -> dict[str, Body]:
    """Read and validate ``bodies.yaml``; codes in file order."""
    path = Path(path) if path else BODIES_FILE
    data = read_yaml(path, error=lambda problem: LexiconError(path, "bodies", problem))
    entries = data.get("bodies")
    if not isinstance(entries, dict) or not entries:
        raise LexiconError(path, "bodies", "must map body codes to their names and spellings")
    out: dict[str, Body] = {}
    owner: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for code, entry in entries.items():
        if not isinstance(entry, dict):
            raise LexiconError(path, f"bodies.{code}", "must be a mapping")
        missing = [f for f in _FIELDS if f not in entry]
        if missing:
            raise LexiconError(path, f"bodies.{code}", f"missing {', '.join(missing)}")
        spellings = entry["spellings"]
        if not isinstance(spellings, list) or not spellings or not all(isinstance(s, str) and s for s in spellings):
            raise LexiconError(path, f"bodies.{code}.spellings", "must be a non-empty list of names")
        for s in spellings:
            if s in owner:
                raise LexiconError(path, f"bodies.{code}.spellings", f"{s!r} is listed under {owner[s]} too")
            owner[s] = code
        prefix = str(entry["prefix"] or "")
        if prefix in prefixes:
            raise LexiconError(path, f"bodies.{code}.prefix", f"{prefix!r} is the prefix of {prefixes[prefix]} too")
        if prefix and not re.fullmatch(r"[A-Za-z]+", prefix) or prefix == "dec":
            raise LexiconError(path, f"bodies.{code}.prefix", f"{prefix!r}: a prefix is Latin letters, not 'dec'")
        prefixes[prefix] = code
        out[str(code)] = Body(str(code), prefix, *(str(entry[f] or "") for f in _FIELDS[1:-1]),
                              tuple(sorted(spellings, key=len, reverse=True)))
    return out


def body_of(text: str, *, anywhere: bool = False, bodies: Mapping[str, Body] | None = None) -> str | None:
    """The body a text names: the longest spelling it ends with (or, with
    ``anywhere``, contains), or None. ``bodies``: another table of bodies
    (a lexicon folder's own ``bodies.yaml``) instead of the packaged one.

    >>> body_of("联合国打击跨国有组织犯罪公约缔约方会议"), body_of("大会"), body_of("预防犯罪和刑事司法委员会")
    ('COP', 'GA', 'CCPCJ')
    >>> body_of("安全理事会") is None
    True
    """
    text = text.strip().rstrip("，,")
    best: tuple[int, str] | None = None
    for code, body in (load_bodies() if bodies is None else bodies).items():
        for s in body.spellings:
            if (text.endswith(s) or (anywhere and s in text)) and (best is None or len(s) > best[0]):
                best = (len(s), code)
    return best[1] if best else None


def unit_key(body: str, number: str, kind: str = "resolution") -> str:
    """The key of a unit.

    >>> unit_key("COP", "11/2"), unit_key("COP", "11/101", "decision"), unit_key("GA", "52/85")
    ('11/2', 'dec.11/101', 'GA.52/85')
    """
    if kind not in KINDS:
        raise ValueError(f"unknown unit kind {kind!r}")
    prefix = load_bodies()[body].prefix
    return ".".join(p for p in (prefix, "dec" if kind == "decision" else "", number) if p)


_KEY_RE = re.compile(r"^(?:([A-Za-z]+)\.)?(?:(dec)\.)?(\d+/\d+)$")


def parse_key(key: str) -> tuple[str, str, str]:
    """``(body, kind, number)`` of a key.

    >>> parse_key("11/2"), parse_key("dec.11/101"), parse_key("ECOSOC.2002/13")
    (('COP', 'resolution', '11/2'), ('COP', 'decision', '11/101'), ('ECOSOC', 'resolution', '2002/13'))
    """
    m = _KEY_RE.match(str(key))
    if m and m.group(1) == "dec" and not m.group(2):  # "dec.11/101": no body prefix
        prefix, kind = "", "decision"
    elif m:
        prefix, kind = m.group(1) or "", "decision" if m.group(2) else "resolution"
    else:
        raise ValueError(f"not a unit key: {key!r}")
    by_prefix = {b.prefix: b.code for b in load_bodies().values()}
    if prefix not in by_prefix:
        raise ValueError(f"unknown body prefix in key {key!r}")
    return by_prefix[prefix], kind, m.group(3)


def unit_name(key: str, lang: str = "zh", *, short: bool = True) -> str:
    """How a person reads a unit key.

    >>> unit_name("11/2"), unit_name("GA.52/85"), unit_name("dec.11/101", "en")
    ('第11/2号决议', '大会第52/85号决议', 'COP decision 11/101')
    """
    try:
        body, kind, number = parse_key(key)
    except ValueError:
        return str(key)
    b = load_bodies()[body]
    if lang == "zh":
        who = "" if body == "COP" and short else (b.zh if short else b.zh_full)
        return f"{who}第{number}号{'决议' if kind == 'resolution' else '决定'}"
    return f"{b.en_short if short else b.en} {kind} {number}"


def sort_key(key: str) -> tuple:
    """Order units by body (file order), session, kind and number; unknown keys last.

    >>> sorted(["11/10", "dec.11/101", "11/2", "GA.52/85", "10/4"], key=sort_key)
    ['10/4', '11/2', '11/10', 'dec.11/101', 'GA.52/85']

    ``time_key`` orders them in time instead.
    """
    try:
        body, kind, number = parse_key(key)
    except ValueError:
        return (len(load_bodies()), 0, 0, 0, str(key))
    a, b = (int(x) for x in number.split("/"))
    return (list(load_bodies()).index(body), a, KINDS.index(kind), b, "")


SESSIONS_FILE = RULES_DIR / "sessions.yaml"


@lru_cache(maxsize=4)
def load_sessions(path: str | Path | None = None) -> dict[str, dict[int, int] | tuple[int, int] | None]:
    """Read ``sessions.yaml``: body -> {session: year}, (first, every), or
    None (ECOSOC: the number carries the year)."""
    return _read_sessions(path)[0]


@lru_cache(maxsize=4)
def adoption_months(path: str | Path | None = None) -> dict[str, int]:
    """Body -> the month it usually adopts in (``sessions.yaml``'s ``month``)."""
    return _read_sessions(path)[1]


@lru_cache(maxsize=4)
def _read_sessions(path: str | Path | None = None) -> tuple[dict, dict[str, int]]:
    path = Path(path) if path else SESSIONS_FILE
    data = read_yaml(path, error=lambda problem: LexiconError(path, "sessions", problem))
    out: dict = {}
    months: dict[str, int] = {}
    known = load_bodies()
    for body, entry in (data.get("sessions") or {}).items():
        if body not in known:
            raise LexiconError(path, f"sessions.{body}", "is not a body of bodies.yaml")
        if not isinstance(entry, dict):
            raise LexiconError(path, f"sessions.{body}", "must be a mapping")
        if "month" in entry:
            if not isinstance(entry["month"], int) or not 1 <= entry["month"] <= 12:
                raise LexiconError(path, f"sessions.{body}.month", "must be a month number, 1 to 12")
            months[body] = entry["month"]
        if body == "ECOSOC" and not ({"years"} & set(entry) or {"first", "every"} <= set(entry)):
            out[body] = None
            continue
        if not ({"years"} <= set(entry) or {"first", "every"} <= set(entry)):
            raise LexiconError(path, f"sessions.{body}", "needs `years` or `first` and `every`")
        if "years" in entry:
            years = entry["years"]
            if not isinstance(years, dict) or not all(isinstance(k, int) and isinstance(v, int)
                                                      for k, v in years.items()):
                raise LexiconError(path, f"sessions.{body}.years", "must map session numbers to years")
            out[body] = dict(years)
        else:
            out[body] = (int(entry["first"]), int(entry["every"]))
    return out, months


def session_of(key: str) -> int | None:
    """The session that adopted a unit: the number's first part (the year for ECOSOC).

    >>> session_of("11/2"), session_of("GA.52/85"), session_of("ECOSOC.2002/13"), session_of("x")
    (11, 52, 2002, None)
    """
    try:
        return int(parse_key(key)[2].split("/")[0])
    except ValueError:
        return None


def year_of(key: str) -> int | None:
    """The year a unit was adopted in, from its session (``sessions.yaml``).

    >>> year_of("11/2"), year_of("dec.10/1"), year_of("GA.52/85"), year_of("ECOSOC.2002/13"), year_of("CCPCJ.26/3")
    (2022, 2020, 1997, 2002, 2017)
    """
    try:
        body = parse_key(key)[0]
    except ValueError:
        return None
    session = session_of(key)
    if body == "ECOSOC":
        return session
    entry = load_sessions().get(body)
    if isinstance(entry, dict):
        return entry.get(session)
    if entry:
        first, every = entry
        return first + (session - 1) * every
    return None


def time_key(key: str, date: str | None = None) -> tuple:
    """Order units in time: the adoption date where the text gives it, else
    the session's year and the month the body usually adopts in
    (``sessions.yaml``); within a session, decisions and resolutions by
    number; bodies in file order where nothing else tells them apart.

    >>> sorted(["GA.52/85", "11/2", "ECOSOC.2002/13", "dec.11/101", "11/10"], key=time_key)
    ['GA.52/85', 'ECOSOC.2002/13', '11/2', '11/10', 'dec.11/101']
    >>> sorted(["GA.57/1", "ECOSOC.2002/13", "CCPCJ.11/1"], key=time_key)
    ['CCPCJ.11/1', 'ECOSOC.2002/13', 'GA.57/1']
    >>> time_key("11/2", "2022-10-21") < time_key("11/3") < time_key("ECOSOC.2022/5", "2022-12-01")
    True
    """
    date = date if isinstance(date, str) and re.match(r"\d{4}-", date) else None  # None, NaN, "" alike
    year = int(date[:4]) if date else year_of(key) or 9999
    if not date:
        try:
            month = adoption_months().get(parse_key(key)[0])
        except ValueError:
            month = None
        date = f"{year:04d}-{month:02d}-99" if month else f"{year:04d}-99"
    return (year, date, *sort_key(key))
