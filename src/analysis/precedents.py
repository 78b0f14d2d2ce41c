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
rather than as scattered letters.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

import pandas as pd

from .bodies import time_key

COLUMNS = [
    "rec_id", "resolution", "year", "precedent_rec_id", "precedent_resolution", "precedent_year", "similarity",
    "status", "strength_change", "actor_changed", "actors_added", "actors_removed", "conditions_added",
    "conditions_removed", "words_added", "words_removed", "added_spans", "removed_spans", "shared_terms",
    "shared_spans", "text", "precedent_text", "actor_group", "precedent_actor_group", "strength",
    "precedent_strength", "strength_family", "precedent_strength_family", "themes", "precedent_themes",
    "successor_rec_id", "successor_similarity", "dropped",
]
LIST_COLUMNS = ("actors_added", "actors_removed", "conditions_added", "conditions_removed", "words_added",
                "words_removed", "added_spans", "removed_spans", "shared_terms", "shared_spans", "themes",
                "precedent_themes")
STATUSES = ("unchanged", "changed", "new")
STRENGTH_CHANGES = ("stronger", "weaker", "same", "negation")
_FAMILY_RANK = {"不妨": 1, "鼓励": 2, "应": 3}


@dataclass(frozen=True)
class PrecedentSettings:
    """``threshold``: the least similarity for a precedent (the overlap
    stage's threshold by default, so a precedent is a pair it keeps)."""

    threshold: float = 0.35


def _list(v) -> list:
    if v is None or (isinstance(v, float) and v != v):
        return []
    return list(v)


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
    """
    if bool(a.get("negated")) != bool(b.get("negated")):
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
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
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


def _best(pairs: pd.DataFrame, rank: dict, want: str) -> pd.DataFrame:
    """For each row ``x`` of ``pairs`` (columns x, y, similarity, …), keep the
    best ``y`` that is earlier (``want="earlier"``) or later than ``x``."""
    rx, ry = pairs["x"].map(rank), pairs["y"].map(rank)
    keep = pairs[(ry < rx) if want == "earlier" else (ry > rx)].copy()
    keep["_recent"] = keep["y"].map(rank) * (-1 if want == "earlier" else 1)
    keep = keep.sort_values(["x", "similarity", "_recent", "_order"], ascending=[True, False, True, True],
                            kind="mergesort")
    return keep.drop_duplicates("x").set_index("x")


def precedents(recs: pd.DataFrame, overlap: pd.DataFrame, settings: PrecedentSettings = PrecedentSettings()
               ) -> pd.DataFrame:
    """The ``precedents`` table (see the module docstring)."""
    if recs.empty:
        return pd.DataFrame(columns=COLUMNS)
    dates = recs["date"] if "date" in recs else pd.Series([None] * len(recs))
    unit_time = {}
    for key, date in zip(recs["resolution"].astype(str), dates):
        date = None if date is None or date != date else date
        unit_time[key] = min(unit_time.get(key, time_key(key, date)), time_key(key, date))
    order = sorted(unit_time, key=unit_time.get)
    unit_rank = {k: i for i, k in enumerate(order)}
    rec_unit = dict(zip(recs["rec_id"], recs["resolution"].astype(str)))
    rank = {r: unit_rank[u] for r, u in rec_unit.items()}
    body_of = dict(zip(recs["rec_id"], recs["body"] if "body" in recs else [""] * len(recs)))
    position = {r: i for i, r in enumerate(recs["rec_id"])}

    ov = overlap[overlap["similarity"] >= settings.threshold] if len(overlap) else overlap
    both = pd.concat([
        pd.DataFrame({"x": ov["rec_id_a"], "y": ov["rec_id_b"], "similarity": ov["similarity"],
                      "shared_terms": ov["shared_terms"], "shared_spans": ov["shared_spans"]}),
        pd.DataFrame({"x": ov["rec_id_b"], "y": ov["rec_id_a"], "similarity": ov["similarity"],
                      "shared_terms": ov["shared_terms"], "shared_spans": ov["shared_spans"]}),
    ], ignore_index=True) if len(ov) else pd.DataFrame(columns=["x", "y", "similarity", "shared_terms",
                                                                 "shared_spans"])
    both = both[both["x"].isin(rank) & both["y"].isin(rank)]
    both["_order"] = both["y"].map(position)
    earlier = _best(both, rank, "earlier")
    same_body = both[both["x"].map(body_of) == both["y"].map(body_of)]
    later = _best(same_body, rank, "later")
    last_rank_of_body: dict[str, int] = {}
    for r, b in body_of.items():
        last_rank_of_body[b] = max(last_rank_of_body.get(b, -1), rank[r])

    info = recs.set_index("rec_id")
    rows = []
    for rec in recs.to_dict("records"):
        rid = rec["rec_id"]
        row = {"rec_id": rid, "resolution": rec["resolution"], "year": rec.get("year"), "text": rec["text"],
               "actor_group": rec.get("actor_group"), "strength": rec.get("strength"),
               "strength_family": rec.get("strength_family"), "themes": _list(rec.get("themes"))}
        if rid in earlier.index:
            hit = earlier.loc[rid]
            pid = hit["y"]
            p = info.loc[pid]
            pd_ = p.to_dict()
            same = comparable(p["text"]) == comparable(rec["text"])
            added, removed, aspans, rspans = ([], [], [], []) if same else word_changes(str(p["text"]),
                                                                                     str(rec["text"]))
            mine_actors, their_actors = _list(rec.get("actors")), _list(pd_.get("actors"))
            mine_cond, their_cond = _list(rec.get("conditions")), _list(pd_.get("conditions"))
            row.update({
                "precedent_rec_id": pid, "precedent_resolution": p["resolution"], "precedent_year": pd_.get("year"),
                "similarity": float(hit["similarity"]), "status": "unchanged" if same else "changed",
                "strength_change": strength_change(pd_, rec),
                "actor_changed": (pd_.get("actor_group") or None) != (rec.get("actor_group") or None),
                "actors_added": [a for a in mine_actors if a not in their_actors],
                "actors_removed": [a for a in their_actors if a not in mine_actors],
                "conditions_added": [c for c in mine_cond if c not in their_cond],
                "conditions_removed": [c for c in their_cond if c not in mine_cond],
                "words_added": added, "words_removed": removed, "added_spans": aspans, "removed_spans": rspans,
                "shared_terms": _list(hit["shared_terms"]), "shared_spans": _list(hit["shared_spans"]),
                "precedent_text": p["text"], "precedent_actor_group": pd_.get("actor_group"),
                "precedent_strength": pd_.get("strength"), "precedent_strength_family": pd_.get("strength_family"),
                "precedent_themes": _list(pd_.get("themes")),
            })
        else:
            row.update({"precedent_rec_id": None, "precedent_resolution": None, "precedent_year": None,
                        "similarity": None, "status": "new", "strength_change": None, "actor_changed": False,
                        "precedent_text": None, "precedent_actor_group": None, "precedent_strength": None,
                        "precedent_strength_family": None})
            for col in LIST_COLUMNS:
                row.setdefault(col, [])
        if rid in later.index:
            row["successor_rec_id"] = later.loc[rid, "y"]
            row["successor_similarity"] = float(later.loc[rid, "similarity"])
            row["dropped"] = False
        else:
            row["successor_rec_id"], row["successor_similarity"] = None, None
            row["dropped"] = last_rank_of_body.get(body_of[rid], -1) > rank[rid]
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


def redline_html(row: dict) -> str:
    """A precedents row as HTML: a badge saying what kind of change it is
    (更强 · stronger …), the precedent's id, year and similarity, and the text
    as a redline of the precedent (removed words struck through, added ones
    underlined)."""
    key = row.get("status") if row.get("status") != "changed" else (row.get("strength_change") or "same")
    tag = f"<span class='badge {_BADGE_CLASS.get(key, 'changed')}'>{badge(row, 'zh')} · {badge(row, 'en')}</span>"
    if row.get("status") == "new" or not isinstance(row.get("precedent_rec_id"), str):
        return f"<p class='precedent'>{tag} <small>no earlier recommendation above the threshold</small></p>"
    pieces = []
    for kind, text in redline(str(row["precedent_text"]), str(row["text"])):
        t = html.escape(text)
        pieces.append(f"<del>{t}</del>" if kind == "removed" else f"<ins>{t}</ins>" if kind == "added" else t)
    extra = []
    for key, label in (("conditions_added", "条件增加 conditions added"), ("conditions_removed", "条件删去 removed"),
                       ("actors_added", "行为方增加 actors added"), ("actors_removed", "行为方删去 removed")):
        if _list(row.get(key)):
            extra.append(f"{label}: {html.escape('、'.join(map(str, _list(row[key]))))}")
    year = row.get("precedent_year")
    year = "" if pd.isna(year) else f"{int(year)}, "
    return (f"<p class='precedent'>{tag} <small>先例 precedent {html.escape(str(row['precedent_rec_id']))} "
            f"({year}{float(row['similarity']):.2f}){'; ' + '; '.join(extra) if extra else ''}</small><br>"
            f"{''.join(pieces)}</p>")


def precedents_html(table: pd.DataFrame, resolution: str) -> str:
    """One unit's recommendations against their precedents: the headline
    counts (zh and en), then each recommendation's redline."""
    t = table[table["resolution"].astype(str) == str(resolution)] if len(table) else table
    if t.empty:
        return "<p>No recommendations of this unit in the precedents table. / 该单元没有建议。</p>"
    counts = summary(t)
    parts = [REDLINE_CSS, f"<p><b>{html.escape(summary_sentence(counts, 'zh'))}</b><br>"
             f"<small>{html.escape(summary_sentence(counts, 'en'))}</small></p>"]
    for row in t.to_dict("records"):
        parts.append(f"<div><b>{html.escape(str(row['rec_id']))}</b>{redline_html(row)}</div>")
    return "\n".join(parts)
