"""Precedents: what each recommendation repeats, strengthens, weakens or adds.

Contract
--------
``precedents(recs, overlap, settings) -> DataFrame`` takes the classified
recommendations (``rec_id``, ``resolution``, ``body``, ``date``, ``text``,
``actor_group``, ``actors``, ``strength``, ``strength_family``,
``strength_score``, ``negated``, ``conditions``, ``themes``) and the overlap
pairs (``rec_id_a``, ``rec_id_b``, ``similarity``, ``shared_terms``,
``shared_spans``) and returns the ``precedents`` table, one row per
recommendation, in the recommendations' order:

* ``precedent_rec_id``: the most similar recommendation of an **earlier**
  unit (earlier in time, ``bodies.time_key``: the adoption date or the
  session's year, then, within a session, an earlier number), at or above
  ``settings.threshold``; empty when there is none. Ties go to the most
  recent unit, then to the earlier row. ``similarity``, ``shared_terms`` and
  ``shared_spans`` are the overlap stage's for that pair: the choice is
  explained, and sees through stock phrases as the overlap score does;
* ``status``: ``unchanged`` (the same text once spaces and the closing mark
  are set aside), ``changed`` or ``new`` (no precedent);
* ``strength_change``: ``stronger`` / ``weaker`` / ``same`` by strength score
  (the family where a score is missing), ``negation`` when one of the two is
  a prohibition (不应, 不得) and the other is not; empty for ``new``;
* ``actor_changed`` (the actor group differs), ``actors_added`` /
  ``actors_removed``, ``conditions_added`` / ``conditions_removed``;
* ``words_added`` / ``words_removed``: the wording that differs, with
  ``added_spans`` (``"start:end"`` offsets into this text) and
  ``removed_spans`` (into the precedent's), so a redline can be drawn;
* the precedent's labels beside this row's: ``precedent_resolution``,
  ``precedent_year``, ``precedent_text``, ``precedent_actor_group``,
  ``precedent_strength``, ``precedent_strength_family``,
  ``precedent_themes``; this row's ``resolution``, ``year``, ``actor_group``,
  ``strength``, ``strength_family``, ``themes``;
* the reverse view: ``successor_rec_id`` (the most similar recommendation of
  a later unit of the same body) and ``dropped`` (True when later units of
  the same body exist and none carries it on).

Why it is built on the overlap pairs
------------------------------------
Negotiators hold a new text against "agreed language": the earlier text it
was drafted from. The overlap stage already scores every pair that could be
that text (stock chapeaux stripped, terms weighted by rarity, top
neighbours plus everything above the threshold) and explains each score, so
the precedent is simply the best earlier partner among those pairs. Word
differences are computed on characters (Chinese has no spaces) and then
cleaned up: an unchanged run of a single character between two changes is
absorbed into them, so ``鼓励各国`` -> ``吁请各国`` reads as one replacement
rather than as scattered letters. The differences are difflib's
``SequenceMatcher`` (without its junk heuristic); where the ``fast`` extra
is installed, cydifflib's, the same algorithm compiled, whose opcodes are
difflib's exactly (``tests/test_precedents.py`` holds the two together)
and which takes a third of the time: on the 23,059 pairs of the distinct
benchmark corpus, 1.2 s against 3.6-4.6 s for the differences alone (the
whole comparison, 3.4 s against 5.3-5.7 s).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bodies import time_key
from . import tables

try:  # the fast extra: difflib's algorithm compiled, the same opcodes
    from cydifflib import SequenceMatcher
except ImportError:  # pragma: no cover - depends on the installation
    from difflib import SequenceMatcher

COLUMNS = tables.PRECEDENTS.names  # the contract is analysis.tables'
LIST_COLUMNS = tables.PRECEDENTS.list_columns
STATUSES = ("unchanged", "changed", "new")
STRENGTH_CHANGES = ("stronger", "weaker", "same", "negation")
_FAMILY_RANK = {"不妨": 1, "鼓励": 2, "应": 3}


@dataclass(frozen=True)
class PrecedentSettings:
    """``threshold``: the least similarity for a precedent (the overlap
    stage's threshold by default, so a precedent is a pair it keeps)."""

    threshold: float = 0.35


def _list(v) -> list:
    """A list cell as a list: arrays and lists as they are, ``a|b`` text (a
    table read back from CSV) split, missing values empty."""
    if v is None or (isinstance(v, float) and v != v):
        return []
    if isinstance(v, str):
        return [x for x in v.split("|") if x]
    return v.tolist() if isinstance(v, np.ndarray) else list(v)


def _value(v):
    """None for every kind of missing value (None, NaN, pd.NA)."""
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def comparable(text: str) -> str:
    """The text as compared for ``unchanged``: no spaces, no closing mark.

    >>> comparable("各国应 合作；") == comparable("各国应合作。")
    True
    """
    return re.sub(r"\s+", "", str(text)).rstrip("；。;.，,")


def strength_change(a: dict, b: dict) -> str:
    """How the strength of ``b`` (the later text) compares with ``a``'s.

    >>> strength_change({"strength_score": 2}, {"strength_score": 5})
    'stronger'
    >>> strength_change({"strength_score": 5, "negated": False}, {"strength_score": 5, "negated": True})
    'negation'
    >>> strength_change({"strength_family": "其他", "strength": "核可"}, {"strength_family": "其他", "strength": "决定"})
    'same'
    >>> strength_change({"strength_score": 5, "negated": float("nan")}, {"strength_score": 5, "negated": False})
    'same'
    """
    if bool(_value(a.get("negated"))) != bool(_value(b.get("negated"))):
        return "negation"
    sa, sb = a.get("strength_score"), b.get("strength_score")
    if sa is not None and sb is not None and sa == sa and sb == sb:
        return "stronger" if sb > sa else "weaker" if sb < sa else "same"
    fa, fb = _FAMILY_RANK.get(a.get("strength_family")), _FAMILY_RANK.get(b.get("strength_family"))
    if fa and fb:
        return "stronger" if fb > fa else "weaker" if fb < fa else "same"
    return "same"


def _ops(old: str, new: str) -> list[list]:
    """Character opcodes, with one-character equal runs between two changes
    absorbed into them ("鼓励各" vs "吁请各" is one edit, not two)."""
    merged: list[list] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if (tag != "equal" and len(merged) > 1 and merged[-1][0] == "equal"
                and merged[-1][2] - merged[-1][1] == 1 and merged[-2][0] != "equal"):
            merged.pop()
            prev = merged.pop()
            merged.append(["replace", prev[1], i2, prev[3], j2])
        elif tag != "equal" and merged and merged[-1][0] != "equal":
            prev = merged.pop()
            merged.append(["replace", prev[1], i2, prev[3], j2])
        else:
            merged.append([tag, i1, i2, j1, j2])
    return merged


def word_changes(old: str, new: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """``(words_added, words_removed, added_spans, removed_spans)`` between
    two texts, spans as ``"start:end"`` offsets into ``new`` and ``old``.

    >>> word_changes("鼓励各国加强合作；", "吁请各国在资源允许的情况下加强合作；")
    (['吁请', '在资源允许的情况下'], ['鼓励'], ['0:2', '4:13'], ['0:2'])
    """
    added, removed, aspans, rspans = [], [], [], []
    for tag, i1, i2, j1, j2 in _ops(old, new):
        if tag == "equal":
            continue
        if j2 > j1:
            added.append(new[j1:j2])
            aspans.append(f"{j1}:{j2}")
        if i2 > i1:
            removed.append(old[i1:i2])
            rspans.append(f"{i1}:{i2}")
    return added, removed, aspans, rspans


def redline(old: str, new: str) -> list[tuple[str, str]]:
    """The later text as a redline of the earlier: ``[(kind, text)]`` with
    kind ``same``, ``removed`` (struck through) or ``added`` (underlined).

    >>> redline("鼓励各国合作", "吁请各国合作")
    [('removed', '鼓励'), ('added', '吁请'), ('same', '各国合作')]
    """
    out = []
    for tag, i1, i2, j1, j2 in _ops(old, new):
        if tag == "equal":
            out.append(("same", new[j1:j2]))
            continue
        if i2 > i1:
            out.append(("removed", old[i1:i2]))
        if j2 > j1:
            out.append(("added", new[j1:j2]))
    return out


#: The badge a person reads for a row's change (zh, en).
BADGES = {"stronger": ("更强", "stronger"), "weaker": ("更弱", "weaker"), "new": ("新增", "new"),
          "unchanged": ("未变", "unchanged"), "same": ("措辞改动", "reworded"), "negation": ("否定变化", "negation")}


def badge(row: dict, lang: str = "zh") -> str:
    """The typed change of a precedents row as a short label.

    >>> badge({"status": "changed", "strength_change": "weaker"}), badge({"status": "new"}, "en")
    ('更弱', 'new')
    """
    key = row.get("status") if row.get("status") != "changed" else (row.get("strength_change") or "same")
    return BADGES.get(key, BADGES["same"])[0 if lang == "zh" else 1]


def summary_sentence(counts: dict[str, int], lang: str = "zh") -> str:
    """The headline of ``summary``: "26 条建议中：3 条更强，1 条更弱，1 条新增，2 条增加了条件".

    >>> summary_sentence({"n": 26, "unchanged": 20, "changed": 5, "new": 1, "stronger": 3, "weaker": 1,
    ...                   "negation": 0, "actor_changed": 0, "conditions_added": 2, "conditions_removed": 0}, "en")
    '26 recommendations: 20 unchanged, 3 stronger, 1 weaker, 1 new, conditions added to 2'
    """
    zh = lang == "zh"
    parts = []
    for key, z, e in (("unchanged", "{} 条未变", "{} unchanged"), ("stronger", "{} 条更强", "{} stronger"),
                      ("weaker", "{} 条更弱", "{} weaker"), ("negation", "{} 条否定改变", "{} with negation changed"),
                      ("new", "{} 条新增", "{} new"), ("actor_changed", "{} 条行为方改变", "actor changed in {}"),
                      ("conditions_added", "{} 条增加了条件", "conditions added to {}"),
                      ("conditions_removed", "{} 条删去了条件", "conditions removed from {}")):
        if counts.get(key):
            parts.append((z if zh else e).format(counts[key]))
    head = f"{counts['n']} 条建议中：" if zh else f"{counts['n']} recommendations: "
    return head + ("，" if zh else ", ").join(parts or (["无先例可比"] if zh else ["nothing to compare"]))


#: The recommendation columns the table reads.
_NEEDED = ("rec_id", "resolution", "body", "date", "year", "text", "actor_group", "actors", "strength",
           "strength_family", "strength_score", "negated", "conditions", "themes")


def _best(x: np.ndarray, y: np.ndarray, sim: np.ndarray, rank: np.ndarray, want: str) -> dict[int, int]:
    """For each row position ``x[i]``, the index ``i`` of its best partner
    ``y[i]`` that is earlier (``want="earlier"``) or later in time: the most
    similar; ties to the nearest in time, then to the earlier row."""
    keep = rank[y] < rank[x] if want == "earlier" else rank[y] > rank[x]
    idx = np.flatnonzero(keep)
    if not len(idx):
        return {}
    recent = rank[y[idx]] * (-1 if want == "earlier" else 1)
    order = idx[np.lexsort((y[idx], recent, -sim[idx], x[idx]))]
    firsts, at = np.unique(x[order], return_index=True)
    return dict(zip(firsts.tolist(), order[at].tolist()))


def precedents(recs: pd.DataFrame, overlap: pd.DataFrame, settings: PrecedentSettings = PrecedentSettings(),
               changes: dict | None = None) -> pd.DataFrame:
    """The ``precedents`` table (see the module docstring).

    ``changes``: ``word_changes`` of pairs of texts already compared,
    ``{(old, new): result}`` (a function of the two texts alone, so it can
    be kept between runs: the stage's memo); read, and extended with the
    pairs this table compares.

    >>> recs = pd.DataFrame({"rec_id": ["1/1#1", "2/1#1"], "resolution": ["1/1", "2/1"], "body": "COP",
    ...                      "date": None, "year": [2001, 2002], "text": ["鼓励各国合作；", "吁请各国合作；"]})
    >>> pairs = pd.DataFrame({"rec_id_a": ["1/1#1"], "rec_id_b": ["2/1#1"], "similarity": [0.9],
    ...                       "shared_terms": [["合作"]], "shared_spans": [[]]})
    >>> memo = {}
    >>> precedents(recs, pairs, changes=memo)["words_added"].tolist(), list(memo)
    ([[], ['吁请']], [('鼓励各国合作；', '吁请各国合作；')])
    """
    if recs.empty:
        return pd.DataFrame(columns=COLUMNS)
    # column lists, one dict per row: a fraction of DataFrame.to_dict's cost on a large corpus
    columns = {c: ([None if v is pd.NA else v for v in recs[c].tolist()] if c in recs.columns
                   else [None if c == "date" else ""] * len(recs)) for c in _NEEDED}
    records = [dict(zip(_NEEDED, values)) for values in zip(*(columns[c] for c in _NEEDED))]
    unit_time: dict[str, tuple] = {}
    for key, date in {(str(k), d if isinstance(d, str) else None)
                      for k, d in zip(columns["resolution"], columns["date"])}:
        t = time_key(key, date)
        unit_time[key] = min(unit_time.get(key, t), t)
    unit_rank = {k: i for i, k in enumerate(sorted(unit_time, key=unit_time.get))}
    rank = np.array([unit_rank[str(r["resolution"])] for r in records])
    bodies_ = [r["body"] for r in records]
    position = {r["rec_id"]: i for i, r in enumerate(records)}

    # Rows of ``overlap`` above the threshold; its explanations are read at
    # those rows (filtering the table would copy all its lists first).
    ov_rows = np.flatnonzero((overlap["similarity"] >= settings.threshold).to_numpy()) if len(overlap) \
        else np.zeros(0, np.int64)
    ov = overlap[["rec_id_a", "rec_id_b", "similarity"]].iloc[ov_rows] if len(overlap) else overlap
    a = np.array([position.get(r, -1) for r in ov["rec_id_a"].tolist()], dtype=np.int64) if len(ov) else np.zeros(0, np.int64)
    b = np.array([position.get(r, -1) for r in ov["rec_id_b"].tolist()], dtype=np.int64) if len(ov) else np.zeros(0, np.int64)
    ok = (a >= 0) & (b >= 0)
    a, b = a[ok], b[ok]
    sim = ov["similarity"].to_numpy()[ok].astype(float) if len(ov) else np.zeros(0)
    ok_rows = np.flatnonzero(ok)
    # both directions of every pair: pair k is (x, y) = (a, b) at k and (b, a) at k + m
    m = len(a)
    x, y = np.concatenate([a, b]), np.concatenate([b, a])
    sim2 = np.concatenate([sim, sim])
    earlier = _best(x, y, sim2, rank, "earlier")
    # The explanations of the chosen pairs only, as lists (the overlap table
    # holds them as Arrow lists: making all half a million took seconds).
    chosen = sorted({k % m for k in earlier.values()})
    terms, spans = {}, {}
    if chosen:
        at = ov_rows[ok_rows[chosen]]
        terms = dict(zip(chosen, tables.list_cells(overlap["shared_terms"], at)))
        spans = dict(zip(chosen, tables.list_cells(overlap["shared_spans"], at)))
    body_arr = np.array(bodies_, dtype=object)
    same_body = body_arr[x] == body_arr[y] if len(x) else np.zeros(0, bool)
    sb = np.flatnonzero(same_body)
    later_sub = _best(x[sb], y[sb], sim2[sb], rank, "later")
    later = {xi: int(sb[k]) for xi, k in later_sub.items()}
    last_rank_of_body: dict[str, int] = {}
    for body, r in zip(bodies_, rank.tolist()):
        last_rank_of_body[body] = max(last_rank_of_body.get(body, -1), r)

    comparable_text = [comparable(r["text"]) for r in records]
    # Corpora repeat texts: each pair of texts is diffed once (and, with a
    # memo, once over the runs).
    changes: dict[tuple[str, str], tuple] = {} if changes is None else changes
    rows = []
    for i, rec in enumerate(records):
        rid = rec["rec_id"]
        row = {"rec_id": rid, "resolution": rec["resolution"], "year": rec.get("year"), "text": rec["text"],
               "actor_group": rec.get("actor_group"), "strength": rec.get("strength"),
               "strength_family": rec.get("strength_family"), "themes": _list(rec.get("themes"))}
        k = earlier.get(i)
        if k is not None:
            j = int(y[k])
            p = records[j]
            same = comparable_text[j] == comparable_text[i]
            if same:
                added, removed, aspans, rspans = [], [], [], []
            else:
                texts = (str(p["text"]), str(rec["text"]))
                if texts not in changes:
                    changes[texts] = word_changes(*texts)
                added, removed, aspans, rspans = (list(v) for v in changes[texts])
            mine_actors, their_actors = _list(rec.get("actors")), _list(p.get("actors"))
            mine_cond, their_cond = _list(rec.get("conditions")), _list(p.get("conditions"))
            row.update({
                "precedent_rec_id": p["rec_id"], "precedent_resolution": p["resolution"],
                "precedent_year": p.get("year"), "similarity": float(sim2[k]),
                "status": "unchanged" if same else "changed", "strength_change": strength_change(p, rec),
                "actor_changed": (_value(p.get("actor_group")) or None) != (_value(rec.get("actor_group")) or None),
                "actors_added": [a_ for a_ in mine_actors if a_ not in their_actors],
                "actors_removed": [a_ for a_ in their_actors if a_ not in mine_actors],
                "conditions_added": [c for c in mine_cond if c not in their_cond],
                "conditions_removed": [c for c in their_cond if c not in mine_cond],
                "words_added": added, "words_removed": removed, "added_spans": aspans, "removed_spans": rspans,
                "shared_terms": _list(terms[k % m]), "shared_spans": _list(spans[k % m]),
                "precedent_text": p["text"], "precedent_actor_group": p.get("actor_group"),
                "precedent_strength": p.get("strength"), "precedent_strength_family": p.get("strength_family"),
                "precedent_themes": _list(p.get("themes")),
            })
        else:
            row.update({"precedent_rec_id": None, "precedent_resolution": None, "precedent_year": None,
                        "similarity": None, "status": "new", "strength_change": None, "actor_changed": False,
                        "precedent_text": None, "precedent_actor_group": None, "precedent_strength": None,
                        "precedent_strength_family": None})
            for col in LIST_COLUMNS:
                row.setdefault(col, [])
        k = later.get(i)
        if k is not None:
            row["successor_rec_id"] = records[int(y[k])]["rec_id"]
            row["successor_similarity"] = float(sim2[k])
            row["dropped"] = False
        else:
            row["successor_rec_id"], row["successor_similarity"] = None, None
            row["dropped"] = last_rank_of_body.get(rec["body"], -1) > rank[i]
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("year", "precedent_year"):
        out[col] = pd.array([None if v is None or v != v else int(v) for v in out[col]], dtype="Int64")
    out["similarity"] = out["similarity"].astype(float)
    out["successor_similarity"] = out["successor_similarity"].astype(float)
    out["actor_changed"] = out["actor_changed"].astype(bool)
    out["dropped"] = out["dropped"].astype(bool)
    return out


def summary(table: pd.DataFrame, resolution: str | None = None) -> dict[str, int]:
    """Counts for a headline ("3 of 26 strengthened, 1 weakened, 1 new,
    conditions added to 2"): ``n``, ``unchanged``, ``changed``, ``new``,
    ``stronger``, ``weaker``, ``negation``, ``actor_changed``,
    ``conditions_added``, ``conditions_removed``."""
    t = table if resolution is None else table[table["resolution"].astype(str) == str(resolution)]
    changed = t[t["status"] == "changed"]
    return {
        "n": len(t),
        **{s: int((t["status"] == s).sum()) for s in STATUSES},
        **{c: int((changed["strength_change"] == c).sum()) for c in ("stronger", "weaker", "negation")},
        "actor_changed": int(changed["actor_changed"].sum()),
        "conditions_added": int(changed["conditions_added"].map(len).gt(0).sum()),
        "conditions_removed": int(changed["conditions_removed"].map(len).gt(0).sum()),
    }


def drift(table: pd.DataFrame, by: str = "unit", lang: str = "en") -> pd.DataFrame:
    """Language drift per unit (``by="unit"``) or per session
    (``by="session"``, labelled as ``timeline.session_label``), in time
    order: counts of ``unchanged``, ``stronger``, ``weaker``, ``same``
    (changed wording, same strength; a change of negation counts here too)
    and ``new`` recommendations. The first column is ``resolution`` (the
    unit key) or ``session``."""
    key_col = "resolution" if by == "unit" else "session"
    cols = [key_col, "year", "unchanged", "stronger", "weaker", "same", "new", "n"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    t = table.copy()
    t["kind"] = t["status"].where(t["status"] != "changed",
                                  t["strength_change"].replace({"negation": "same"}).fillna("same"))
    units = t["resolution"].astype(str)
    if by == "unit":
        t[key_col] = units
        first = {u: time_key(u) for u in units.unique()}
    else:
        from .timeline import session_label

        t[key_col] = units.map(lambda u: session_label(u, lang))
        first = {}
        for u, s in zip(units, t[key_col]):
            first[s] = min(first.get(s, time_key(u)), time_key(u))
    counts = pd.crosstab(t[key_col], t["kind"])
    for col in ("unchanged", "stronger", "weaker", "same", "new"):
        if col not in counts:
            counts[col] = 0
    counts = counts[["unchanged", "stronger", "weaker", "same", "new"]]
    counts["n"] = counts.sum(axis=1)
    counts.insert(0, "year", t.groupby(key_col)["year"].first().reindex(counts.index))
    counts = counts.reset_index().rename(columns={"index": key_col})
    counts = counts.iloc[sorted(range(len(counts)), key=lambda i: first[counts[key_col].iloc[i]])]
    return counts[cols].reset_index(drop=True)


REDLINE_CSS = ("<style>del{color:#a50f15;text-decoration:line-through}ins{color:#08519c;text-decoration:underline}"
               ".badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:12px;background:#eee}"
               ".badge.up{background:#08306b;color:#fff}.badge.down{background:#d55e00;color:#fff}"
               ".badge.new{background:#009e73;color:#fff}.precedent{margin-left:1.5em}</style>")
_BADGE_CLASS = {"stronger": "up", "weaker": "down", "new": "new", "unchanged": "same"}


#: The words around a redline (zh, en).
_REDLINE_WORDS = {
    "none": ("没有高于阈值的先前建议", "no earlier recommendation above the threshold"),
    "precedent": ("先例", "precedent"),
    "conditions_added": ("条件增加", "conditions added"), "conditions_removed": ("条件删去", "conditions removed"),
    "actors_added": ("行为方增加", "actors added"), "actors_removed": ("行为方删去", "actors removed"),
    "no_rows": ("该单元没有建议。", "No recommendations of this unit in the precedents table."),
}


def _words(zh: str, en: str, lang: str | None) -> str:
    """Escaped words in ``lang``; with ``lang=None`` both, each in a span of
    its language's class (``pages.bi``: the page shows the chosen one)."""
    if lang == "zh":
        return html.escape(zh)
    if lang == "en":
        return html.escape(en)
    return (f'<span lang="zh-Hans" class="zh">{html.escape(zh)}</span>'
            f'<span lang="en" class="en">{html.escape(en)}</span>')


def redline_html(row: dict, lang: str | None = None) -> str:
    """A precedents row as HTML: a badge saying what kind of change it is
    (更强 / stronger …), the precedent's id, year and similarity, and the text
    as a redline of the precedent (removed words struck through, added ones
    underlined). The words around the text are in ``lang`` ("zh", "en"), or
    with ``lang=None`` in both, as spans of class ``zh``/``en`` for a page
    with a language switch (``analysis.pages``); the text is as written.

    >>> row = {"status": "changed", "strength_change": "stronger", "precedent_rec_id": "11/2:body:1",
    ...        "precedent_text": "可加强", "text": "应加强", "similarity": 0.9, "precedent_year": 2020}
    >>> redline_html(row, "zh")
    "<p class='precedent'><span class='badge up'>更强</span> <small>先例 11/2:body:1 (2020, 0.90)</small><br><del>可</del><ins>应</ins>加强</p>"
    >>> "stronger" in redline_html(row, "en") and "更强" not in redline_html(row, "en")
    True
    """
    key = row.get("status") if row.get("status") != "changed" else (row.get("strength_change") or "same")
    names = BADGES.get(key, BADGES["same"])
    tag = f"<span class='badge {_BADGE_CLASS.get(key, 'changed')}'>{_words(*names, lang)}</span>"
    if row.get("status") == "new" or not isinstance(row.get("precedent_rec_id"), str):
        return f"<p class='precedent'>{tag} <small>{_words(*_REDLINE_WORDS['none'], lang)}</small></p>"
    pieces = []
    for kind, text in redline(str(row["precedent_text"]), str(row["text"])):
        t = html.escape(text)
        pieces.append(f"<del>{t}</del>" if kind == "removed" else f"<ins>{t}</ins>" if kind == "added" else t)
    extra = []
    for key in ("conditions_added", "conditions_removed", "actors_added", "actors_removed"):
        if _list(row.get(key)):
            extra.append(f"{_words(*_REDLINE_WORDS[key], lang)}: "
                         f"<span lang='zh-Hans'>{html.escape('、'.join(map(str, _list(row[key]))))}</span>")
    year = row.get("precedent_year")
    year = "" if year is None or pd.isna(year) else f"{int(year)}, "
    return (f"<p class='precedent'>{tag} <small>{_words(*_REDLINE_WORDS['precedent'], lang)} "
            f"{html.escape(str(row['precedent_rec_id']))} "
            f"({year}{float(row['similarity']):.2f}){'; ' + '; '.join(extra) if extra else ''}</small><br>"
            f"{''.join(pieces)}</p>")


def precedents_html(table: pd.DataFrame, resolution: str, lang: str | None = None) -> str:
    """One unit's recommendations against their precedents: the headline
    counts, then each recommendation's redline; words in ``lang`` ("zh",
    "en"; ``None``: both, as ``redline_html``)."""
    t = table[table["resolution"].astype(str) == str(resolution)] if len(table) else table
    if t.empty:
        return f"<p>{_words(*_REDLINE_WORDS['no_rows'], lang)}</p>"
    counts = summary(t)
    parts = [REDLINE_CSS, f"<p><b>{_words(summary_sentence(counts, 'zh'), summary_sentence(counts, 'en'), lang)}"
             "</b></p>"]
    for row in t.to_dict("records"):
        parts.append(f"<div><b>{html.escape(str(row['rec_id']))}</b>{redline_html(row, lang)}</div>")
    return "\n".join(parts)
