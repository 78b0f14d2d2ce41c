"""The sheets of ``recommendations.xlsx``, the recommendations for Excel:
``recommendations_workbook``.

Contract
--------
``recommendations_workbook(recs, documents, review_queue)`` returns the
sheets as tables, by sheet name: the recommendations for reading in
English and in Chinese (``readable_recommendations``: no column holds a
code but the ``rec_id``, list cells stay lists for the writer to join),
those needing review, the ``codebook`` (``codebook_table``: the codes of
the machine tables and their names) and the ``sources``
(``sources_table``: input files, sha256, units). Writing and styling the
file is ``outputs.xlsx_bytes`` (the pipeline calls both).

Why apart
---------
The pipeline imports this module on every run; it needs neither
ipywidgets nor the notebooks' other tables, and ``analysis.charts`` only
when the sheets are built.
"""

from __future__ import annotations

import pandas as pd

from ..tables import list_cell
from .views import _body_code, _cell, _unit_of, heading, label_namer, strength_family_name


def _by_value(values: pd.Series, name) -> list:
    """``name(v)`` for each value of ``values``, computed once per distinct
    value: these columns repeat a few hundred values over tens of thousands
    of rows (a unit's key, its section, its acting body), and naming one
    (a gloss, a body's name) costs more than the lookup. Lists are keyed by
    their items.

    >>> calls = []
    >>> _by_value(pd.Series(["a", "b", "a", "a"]), lambda v: calls.append(v) or v.upper())
    ['A', 'B', 'A', 'A']
    >>> calls
    ['a', 'b']
    """
    named: dict = {}
    out = []
    for v in values.tolist():
        key = (list, *v) if isinstance(v, list) else v
        try:
            r = named[key]
        except KeyError:
            r = named[key] = name(v)
        except TypeError:  # unhashable: named every time
            r = name(v)
        out.append(r)
    return out


#: How a yes/no column (``needs_review``, ``overridden``) reads.
_YES_NO = {True: ("是", "yes"), False: ("否", "no")}


def readable_recommendations(recs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The recommendations as an analyst reads them: unit and part by name,
    actor group, strength, themes and crime areas by their codebook names in
    ``lang`` (list cells as lists: a writer joins them), the words the labels
    rest on as written. No column holds a code but the ``rec_id`` (the
    key to find a row in the machine tables).

    >>> df = pd.DataFrame({"rec_id": ["11/2:I:a"], "resolution": ["11/2"], "part": ["I"], "label": ["a"],
    ...                    "actor_group": ["States"], "strength": ["应"], "strength_family": ["应"],
    ...                    "strength_score": [5], "themes": [["TA", "LEG"]], "primary_theme": ["TA"],
    ...                    "crime_areas": [[]], "text": ["各国应…"]})
    >>> row = readable_recommendations(df, "en").iloc[0]
    >>> row["Unit"], row["Part"], row["Actor group"], row["Strength"], row["Action themes"], row["Crime areas"]
    ('COP resolution 11/2', 'annex I', 'States', 'should', ['Technical assistance and capacity-building', 'Legislation, case law and knowledge management'], ['Convention in general'])
    """
    from .. import charts
    from ..coverage import unit_label
    from ..lexicon import load_lexicon

    if recs is None or recs.empty:
        return pd.DataFrame(columns=[heading(c, lang) for c in ("rec_id", "unit", "text")])
    i = 0 if lang == "zh" else 1
    themes, areas = charts.theme_names(), charts.crime_area_names()
    cues = load_lexicon().cues
    out = pd.DataFrame(index=recs.index)
    out["rec_id"] = recs["rec_id"].astype(str)
    out["unit"] = _by_value(recs["resolution"], lambda k: _unit_of(k, lang))
    if "part" in recs:
        out["part"] = [unit_label("", p, lang).strip() if isinstance(p, str) and p else "" for p in recs["part"]]
    for col in ("label", "section"):
        if col in recs:
            out[col] = recs[col].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    if "section" in out and lang == "en":
        from ..glossary import english

        out["section"] = out["section"].map(lambda s: english(s) if s else "")
    if "actor" in recs:
        out["actor"] = _by_value(recs["actor"], _cell)
    if "actor_group" in recs:
        bodies = _by_value(recs["acting_body"], _body_code) if "acting_body" in recs else ["COP"] * len(recs)
        out["actor_group"] = [charts.actor_group_name(g if isinstance(g, str) and g else None, lang, b)
                              for g, b in zip(recs["actor_group"], bodies)]
    if "strength" in recs:
        if lang == "zh":
            out["strength"] = _by_value(recs["strength"], _cell)
        else:
            out["strength_en"] = _by_value(recs["strength"],
                lambda c: cues[c].en if isinstance(c, str) and c in cues and cues[c].en else _cell(c))
    if "strength_family" in recs:
        out["strength_family"] = _by_value(recs["strength_family"], lambda f: strength_family_name(f, lang))
    if "strength_score" in recs:
        out["strength_score"] = pd.to_numeric(recs["strength_score"], errors="coerce").astype("Int64")
    if "themes" in recs:
        out["themes"] = _by_value(recs["themes"], lambda v: [themes[t][i] if t in themes else t for t in list_cell(v)]
                                           or [charts.THEME_NONE[i]])
    if "primary_theme" in recs:
        theme_name = label_namer("theme", lang)
        out["primary_theme"] = _by_value(recs["primary_theme"], lambda t: theme_name(t if isinstance(t, str) and t else None))
    if "crime_areas" in recs:
        out["crime_areas"] = _by_value(recs["crime_areas"], lambda v: [areas[a][i] if a in areas else a
                                                                for a in list_cell(v)] or [charts.CRIME_GENERAL[i]])
    if "conditions" in recs:
        out["conditions"] = recs["conditions"].map(list_cell)
    for col in ("needs_review", "overridden"):
        if col in recs:
            out[col] = recs[col].map(lambda v: _YES_NO[bool(v)][i] if v is not None and v == v else "")
    out["text"] = recs["text"].astype(str)
    out.columns = [heading(c, lang) for c in out.columns]
    return out.reset_index(drop=True)


def codebook_table() -> pd.DataFrame:
    """The codes of the machine tables and their names: ``[column, code,
    中文, English]`` for actor groups, strength families and scores, themes
    and crime areas (the ``codebook`` sheet of the spreadsheets)."""
    from .. import charts

    rows = []
    for code, (zh, en) in charts.ACTOR_GROUPS.items():
        if code is not None:
            rows.append(("actor_group", code, zh, en + (" (the body that adopted the unit: its name in charts and "
                                                         "tables)" if code == "Body" else "")))
    for code, (zh, en) in charts.STRENGTH_FAMILIES.items():
        if code is not None:
            rows.append(("strength_family", code, zh, en))
    for score, (zh, en) in charts.STRENGTH_SCORES.items():
        rows.append(("strength_score", str(score), zh, en))
    for code, (zh, en) in charts.theme_names().items():
        rows.append(("themes / primary_theme", code, zh, en))
    for code, (zh, en) in charts.crime_area_names().items():
        rows.append(("crime_areas", code, zh, en))
    rows.append(("crime_areas", "(empty)", *charts.CRIME_GENERAL))
    rows.append(("part", "body", "正文", "body"))
    rows.append(("part", "I, II …", "附件一、附件二 …", "annex I, annex II …"))
    return pd.DataFrame(rows, columns=["column", "code", "中文", "English"])


def sources_table(documents: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The inputs a run read: ``[file, sha256, format, encoding, units]``,
    units by name (the ``sources`` sheet of the spreadsheets)."""
    cols = ["file", "sha256", "format", "encoding", "units"]
    if documents is None or documents.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame({
        "file": documents["source_file"].astype(str),
        "sha256": documents["source_sha256"].astype(str),
        "format": documents.get("source_format", pd.Series([""] * len(documents))).map(_cell),
        "encoding": documents.get("encoding", pd.Series([""] * len(documents))).map(_cell),
        "units": documents["units"].map(lambda us: [f"{_unit_of(u, lang)} ({u})" for u in list_cell(us)])
        if "units" in documents else [[]] * len(documents),
    })


def recommendations_workbook(recs: pd.DataFrame, documents: pd.DataFrame | None = None,
                             review_queue: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The sheets of ``recommendations.xlsx``: the recommendations for
    reading in English and in Chinese (``readable_recommendations``), those
    needing review, the ``codebook`` (codes of the machine tables and their
    names) and the ``sources`` (input files, sha256, units)."""
    sheets = {"recommendations (en)": readable_recommendations(recs, "en"),
              "建议 (zh)": readable_recommendations(recs, "zh")}
    if review_queue is not None and len(review_queue) and "rec_id" in review_queue and len(recs):
        queue = recs[recs["rec_id"].isin(set(review_queue["rec_id"]))]
        sheets["needs review (en)"] = readable_recommendations(queue, "en")
    sheets["codebook"] = codebook_table()
    sheets["sources"] = sources_table(documents if documents is not None else pd.DataFrame())
    return sheets
