"""Human review: analysts' corrections, applied on every run, and the queue.

Contract
--------
* ``data/overrides.csv`` (UTF-8 with BOM, so Excel opens it as Chinese)
  has the header ``rec_id,field,value,note``; ``read_overrides(path)``
  creates it with the header only when it does not exist, and validates
  every line: a missing column, an unknown field, an unknown actor group /
  family / theme code, a score outside 1-5 raise ``OverrideError`` (an
  ``InputError``: ``FILE:LINE: message``, which the CLI prints as a
  one-line error). The file is decoded as the inputs are
  (``read.decode_bytes``: UTF-8 with or without BOM, UTF-16, GB18030), so
  that Excel's "Unicode Text" or a GBK save works too; a tab-separated
  header (what "Unicode Text" writes) is read as such.
* ``apply_overrides(recs, overrides) -> (recs, warnings)`` sets each field
  and lists it in the row's ``overridden`` column. Dependent labels follow
  unless they are overridden too: a new ``strength`` brings its family and
  score from the lexicon, a new ``actor`` its group (when it is a known
  cue; a body's name is ``Body`` in its own resolutions), new ``themes`` a
  valid ``primary_theme``. An override for a
  ``rec_id`` that is not in the table (renamed, or its resolution removed)
  is a warning, logged and returned, never an error: the analyst's file
  must survive a change of corpus.
* A review reason names its field (``actor: …``, ``strength: …``,
  ``themes: …``); overriding the field clears its reasons, and
  ``needs_review`` is what remains. The field ``needs_review`` with value
  ``false`` marks a row as reviewed as it is.
* ``review_queue(recs)`` lists the rows with ``needs_review``, ready to be
  written to CSV (``write_review_queue``) and sorted by resolution order.

Lists (``actors``, ``conditions``, ``themes``, ``crime_areas``) are written
``a|b`` in the ``value`` cell, as in every CSV the project writes; an empty
``crime_areas`` value says the row is about the Convention in general.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

from .lexicon import ACTOR_GROUPS, FAMILIES, load_lexicon
from .inputs import InputError, decode_bytes
from . import tables

logger = logging.getLogger(__name__)

HEADER = ("rec_id", "field", "value", "note")

#: Fields an analyst may override, and the review-reason prefix each clears.
FIELDS = {
    "actor": "actor", "actor_group": "actor", "actors": "actor",
    "strength": "strength", "strength_family": "strength", "strength_score": "strength",
    "negated": "strength", "conditions": "strength",
    "themes": "themes", "primary_theme": "themes",
    "crime_areas": "crime_areas",
    "needs_review": None,
}
LIST_FIELDS = ("actors", "conditions", "themes", "crime_areas")

QUEUE_COLUMNS = tuple(tables.REVIEW_QUEUE.names)  # the contract is analysis.tables'


class OverrideError(InputError):
    """A line of the overrides file is invalid (file, line and entry named)."""


def ensure_overrides_file(path: str | Path) -> Path:
    """Create the overrides file with its header only, if missing."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerow(HEADER)
        logger.info("created %s (header only)", path)
    return path


def _bool(text: str) -> bool | None:
    t = text.strip().lower()
    if t in ("true", "1", "yes", "y", "是"):
        return True
    if t in ("false", "0", "no", "n", "否"):
        return False
    return None


def parse_value(field: str, value: str, lexicon_dir=None):
    """Parse and check one override value; raises ValueError with the reason.

    >>> parse_value("themes", "LEG| TA")
    ['LEG', 'TA']
    >>> parse_value("strength_score", "3")
    3
    """
    lex = load_lexicon(lexicon_dir)
    value = "" if value is None else str(value).strip()
    if field in LIST_FIELDS:
        items = [v.strip() for v in value.split("|") if v.strip()]
        if field == "themes":
            bad = [t for t in items if t not in lex.theme_codes]
            if bad:
                raise ValueError(f"unknown theme code {bad[0]!r} (known: {', '.join(lex.theme_codes)})")
        if field == "crime_areas":
            bad = [a for a in items if a not in lex.crime_area_codes]
            if bad:
                raise ValueError(f"unknown crime area code {bad[0]!r} (known: {', '.join(lex.crime_area_codes)}; "
                                 "empty = the Convention in general)")
            items = sorted(set(items), key=lex.crime_area_codes.index)
        return items
    if field == "actor_group":
        if value and value not in ACTOR_GROUPS:
            raise ValueError(f"unknown actor group {value!r} (expected one of {', '.join(ACTOR_GROUPS)})")
        return value or None
    if field == "strength_family":
        if value and value not in FAMILIES:
            raise ValueError(f"unknown strength family {value!r} (expected one of {', '.join(FAMILIES)})")
        return value or None
    if field == "strength_score":
        if not value:
            return None
        if not value.isdigit() or not 1 <= int(value) <= 5:
            raise ValueError(f"strength score must be 1-5 or empty, not {value!r}")
        return int(value)
    if field == "primary_theme":
        if value and value not in lex.theme_codes:
            raise ValueError(f"unknown theme code {value!r}")
        return value or None
    if field in ("negated", "needs_review"):
        b = _bool(value)
        if b is None:
            raise ValueError(f"expected true or false, not {value!r}")
        return b
    return value or None  # actor, strength: free text (a strength not in the lexicon keeps family/score as given)


def read_overrides(path: str | Path, lexicon_dir=None) -> pd.DataFrame:
    """Read and validate the overrides file (created with its header if missing).

    Returns ``[rec_id, field, value, note, line]`` with ``value`` parsed
    (lists as lists, scores as int, booleans as bool).
    """
    path = ensure_overrides_file(path)
    data = path.read_bytes()
    if not data.strip():
        raise OverrideError(path, f"empty file; its first line must be {','.join(HEADER)}", line=1)
    try:
        text, _ = decode_bytes(data, path)
    except InputError as exc:
        raise OverrideError(path, exc.message, line=exc.line) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise OverrideError(path, f"missing column(s) {', '.join(missing)} (the header must be {','.join(HEADER)})",
                            line=1)
    idx = {h: header.index(h) for h in HEADER}
    out = []
    for no, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = {h: (row[i].strip() if i < len(row) else "") for h, i in idx.items()}
        if not cell["rec_id"]:
            raise OverrideError(path, "empty rec_id", line=no)
        f = cell["field"]
        if f not in FIELDS:
            raise OverrideError(path, f"{cell['rec_id']}: unknown field {f!r} (fields: {', '.join(FIELDS)})", line=no)
        try:
            value = parse_value(f, cell["value"], lexicon_dir)
        except ValueError as e:
            raise OverrideError(path, f"{cell['rec_id']} {f}: {e}", line=no) from None
        out.append({"rec_id": cell["rec_id"], "field": f, "value": value, "note": cell["note"], "line": no})
    df = pd.DataFrame(out, columns=["rec_id", "field", "value", "note", "line"])
    df.attrs["path"] = str(path)
    logger.info("%s: %d override(s)", path.name, len(df))
    return df


def apply_overrides(recs: pd.DataFrame, overrides: pd.DataFrame, lexicon_dir=None
                    ) -> tuple[pd.DataFrame, list[str]]:
    """Apply the analysts' overrides; return the table and the warnings."""
    out = recs.copy()
    warnings: list[str] = []
    if "overridden" not in out.columns:
        out["overridden"] = [[] for _ in range(len(out))]
    else:
        out["overridden"] = out["overridden"].map(lambda v: list(v) if isinstance(v, (list, tuple)) else [])
    for col in ("review_reasons",):
        if col in out.columns:
            out[col] = out[col].map(lambda v: list(v) if isinstance(v, (list, tuple)) else [])
    if overrides is None or not len(overrides):
        return out, warnings
    name = Path(overrides.attrs.get("path", "overrides.csv")).name
    lex = load_lexicon(lexicon_dir)
    pos = {rid: i for i, rid in enumerate(out["rec_id"])}
    # one value per (rec_id, field): the last line wins, and says so
    seen: dict[tuple, int] = {}
    for o in overrides.itertuples():
        key = (o.rec_id, o.field)
        if key in seen:
            msg = f"{name}: line {o.line}: {o.rec_id} {o.field} is also set on line {seen[key]}; line {o.line} wins"
            warnings.append(msg)
        seen[key] = o.line
    by_row: dict[str, dict] = {}
    for o in overrides.itertuples():
        if o.rec_id not in pos:
            msg = (f"{name}: line {o.line}: rec_id {o.rec_id} is not among the recommendations; "
                   f"override of {o.field} ignored")
            warnings.append(msg)
            continue
        by_row.setdefault(o.rec_id, {})[o.field] = o.value
    cols = {c: list(out[c]) if c in out.columns else [None] * len(out)
            for c in list(FIELDS) + ["overridden", "review_reasons"]}
    bodies = list(out["acting_body"]) if "acting_body" in out.columns else [None] * len(out)
    for rid, fields in by_row.items():
        i = pos[rid]
        changed = list(fields)
        for f, v in fields.items():
            if f != "needs_review":
                cols[f][i] = v
        # dependent labels follow, unless overridden as well
        if "strength" in fields:
            cue = lex.strength_of(fields["strength"]) if fields["strength"] else None
            derived = {"strength_family": cue.family if cue else None,
                       "strength_score": cue.score if cue else None,
                       "negated": bool(cue.negated) if cue else False}
            for f, v in derived.items():
                if f not in fields:
                    cols[f][i] = v
                    changed.append(f)
        if "actor" in fields:
            # a body's name is Body or Other by who adopted the row's resolution
            groups = lex.actor_groups_for(bodies[i] if isinstance(bodies[i], str) else None)
            if "actor_group" not in fields and fields["actor"] in groups:
                cols["actor_group"][i] = groups[fields["actor"]]
                changed.append("actor_group")
            if "actors" not in fields:
                cols["actors"][i] = [fields["actor"]] if fields["actor"] else []
                changed.append("actors")
        if "themes" in fields and "primary_theme" not in fields:
            themes = fields["themes"]
            if cols["primary_theme"][i] not in themes:
                cols["primary_theme"][i] = themes[0] if themes else None
                changed.append("primary_theme")
        cols["overridden"][i] = sorted(set(cols["overridden"][i]) | set(changed))
        reasons = cols["review_reasons"][i] or []
        if fields.get("needs_review") is False:
            cols["review_reasons"][i] = []
        else:
            cleared = {FIELDS[f] for f in changed if FIELDS.get(f)}
            cols["review_reasons"][i] = [r for r in reasons if r.split(":", 1)[0] not in cleared]
    for c, values in cols.items():
        if c in out.columns or any(v is not None for v in values):
            out[c] = values
    if "strength_score" in out.columns:
        out["strength_score"] = pd.array(out["strength_score"].tolist(), dtype="Int64")
    if "negated" in out.columns:
        out["negated"] = out["negated"].fillna(False).astype(bool)
    out["needs_review"] = out["review_reasons"].map(bool)
    for w in warnings:
        logger.warning(w)
    logger.info("overrides: %d field(s) on %d recommendation(s) applied, %d warning(s)",
                sum(len(f) for f in by_row.values()), len(by_row), len(warnings))
    return out, warnings


def review_queue(recs: pd.DataFrame) -> pd.DataFrame:
    """Rows that need a human look, with why, in document order."""
    q = recs[recs["needs_review"].astype(bool)].copy()
    cols = [c for c in QUEUE_COLUMNS if c in q.columns]
    q = q[cols].copy()
    if "review_reasons" in q.columns:
        q["review_reasons"] = q["review_reasons"].map(lambda v: "; ".join(v) if isinstance(v, (list, tuple)) else v)
    return q.reset_index(drop=True)


def write_review_queue(recs: pd.DataFrame, path: str | Path) -> Path:
    """Write the review queue as CSV for Excel (``outputs.write_csv``: UTF-8
    with BOM, lists ``a|b``, cells that would be formulas neutralised)."""
    from .outputs import write_csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    q = review_queue(recs)
    write_csv(q, path)
    logger.info("review queue: %d row(s) -> %s", len(q), path)
    return path
