"""Which rows a notebook shows: filters over the recommendations and over
the overlap pairs.

Contract
--------
``filter_recommendations`` keeps the rows matching every given filter
(resolution, actor group, strength family, theme, crime area, a text
search; ``None``, ``""`` or ``"(all)"`` means no filter); ``crime_area=GENERAL``
keeps the rows that name no crime (the Convention in general).
``crime_area_options`` is the crime-area filter's list of choices (shown by
name, valued by code). ``filter_pairs`` filters overlap pairs by
resolution (either side), across resolutions only, minimum similarity and
a text search.

Why apart
---------
The widgets (``widgets``) are thin shells over these: the filtering is
plain pandas on the codes, checked by doctests without ipywidgets, while
the widgets only show names.
"""

from __future__ import annotations

import pandas as pd

from ..tables import list_cell


#: The crime-area filter's value for rows that name no crime (the Convention in general).
GENERAL = "(general)"


def filter_recommendations(recs: pd.DataFrame, *, resolution: str | None = None, actor_group: str | None = None,
                           strength_family: str | None = None, theme: str | None = None,
                           crime_area: str | None = None, search: str | None = None) -> pd.DataFrame:
    """Rows matching every given filter (``None`` or ``"(all)"`` means no filter).

    ``crime_area``: a code (``TIP`` …: rows naming that crime, among others),
    or ``GENERAL`` for the rows that name none (the Convention in general).

    >>> df = pd.DataFrame({"resolution": ["1/1", "1/2"], "actor_group": ["States", "UNODC"],
    ...                    "strength_family": ["应", "鼓励"], "themes": [["TA"], ["LEG", "TA"]],
    ...                    "text": ["各国应提供培训", "请毒罪办更新"]})
    >>> filter_recommendations(df, theme="LEG")["resolution"].tolist()
    ['1/2']
    >>> filter_recommendations(df, search="培训")["resolution"].tolist()
    ['1/1']
    >>> df["crime_areas"] = [["TIP", "SOM"], []]
    >>> filter_recommendations(df, crime_area="SOM")["resolution"].tolist()
    ['1/1']
    >>> filter_recommendations(df, crime_area=GENERAL)["resolution"].tolist()
    ['1/2']
    """
    mask = pd.Series(True, index=recs.index)
    for col, value in (("resolution", resolution), ("actor_group", actor_group),
                       ("strength_family", strength_family)):
        if value not in (None, "", "(all)") and col in recs:
            mask &= recs[col].astype(str) == str(value)
    if theme not in (None, "", "(all)") and "themes" in recs:
        mask &= recs["themes"].map(lambda v: theme in list_cell(v))
    if crime_area not in (None, "", "(all)") and "crime_areas" in recs:
        if crime_area == GENERAL:
            mask &= recs["crime_areas"].map(lambda v: not list_cell(v))
        else:
            mask &= recs["crime_areas"].map(lambda v: crime_area in list_cell(v))
    if search:
        mask &= recs["text"].str.contains(search, regex=False, na=False)
    return recs[mask]


def crime_area_options(recs: pd.DataFrame, lang: str = "zh") -> list:
    """The crime-area filter's choices: ``(all)``, then ``(name, code)`` for
    the areas the rows name, in codebook order, then the rows that name none
    (the Convention in general, value ``GENERAL``).

    >>> crime_area_options(pd.DataFrame({"crime_areas": [["SOM"], ["TIP", "SOM"], []]}), "en")
    ['(all)', ('Trafficking in persons', 'TIP'), ('Smuggling of migrants', 'SOM'), ('Convention in general', '(general)')]
    """
    from ..charts import CRIME_GENERAL, crime_area_names

    if "crime_areas" not in recs:
        return ["(all)"]
    names = crime_area_names()
    seen = {a for v in recs["crime_areas"] for a in list_cell(v)}
    i = 0 if lang == "zh" else 1
    opts: list = ["(all)", *((names[c][i], c) for c in names if c in seen),
                  *((c, c) for c in sorted(seen - set(names)))]
    if any(not list_cell(v) for v in recs["crime_areas"]):
        opts.append((CRIME_GENERAL[i], GENERAL))
    return opts


def filter_pairs(overlap: pd.DataFrame, recs: pd.DataFrame, *, resolution: str | None = None,
                 across_only: bool = False, min_similarity: float = 0.0, search: str | None = None) -> pd.DataFrame:
    """Pairs involving ``resolution`` (either side), across resolutions only,
    at least ``min_similarity``, or whose texts contain ``search``.

    >>> pairs = pd.DataFrame({"rec_id_a": ["1/1:I:a", "1/1:I:a"], "rec_id_b": ["1/1:I:b", "2/1:I:a"],
    ...                       "similarity": [0.8, 0.4], "same_resolution": [True, False]})
    >>> recs = pd.DataFrame({"rec_id": ["1/1:I:a", "1/1:I:b", "2/1:I:a"], "resolution": ["1/1", "1/1", "2/1"],
    ...                      "text": ["培训", "资源", "培训课程"]})
    >>> filter_pairs(pairs, recs, resolution="2/1")["rec_id_b"].tolist()
    ['2/1:I:a']
    >>> filter_pairs(pairs, recs, search="资源", min_similarity=0.5)["rec_id_b"].tolist()
    ['1/1:I:b']
    """
    if overlap is None or overlap.empty:
        return pd.DataFrame(columns=list(overlap.columns) if overlap is not None else [])
    res = recs.set_index("rec_id")["resolution"].astype(str) if len(recs) else pd.Series(dtype=str)
    text = recs.set_index("rec_id")["text"].astype(str) if len(recs) else pd.Series(dtype=str)
    mask = overlap["similarity"] >= min_similarity
    if resolution not in (None, "", "(all)"):
        mask &= (overlap["rec_id_a"].map(res) == resolution) | (overlap["rec_id_b"].map(res) == resolution)
    if across_only:
        mask &= ~overlap["same_resolution"].astype(bool)
    if search:
        mask &= (overlap["rec_id_a"].map(text).str.contains(search, regex=False, na=False)
                 | overlap["rec_id_b"].map(text).str.contains(search, regex=False, na=False))
    return overlap[mask]
