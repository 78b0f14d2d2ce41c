"""Every table the pipeline makes: columns, dtypes, keys, list columns.

Every table the pipeline writes is described here once, by name, column and
dtype (``TABLES``, in the order the outputs list them), and the engine
checks each stage's output against it when the stage returns (``check``).
The same column names are used end to end: ``rec_id`` is ``rec_id`` in the
reader's output, in the classifier's, in the overlap table and in the
charts. A table's ``owner`` says how its rows tie to the input file they
come from, for the tables made per input (the corpus store keeps those per
input and reuses them while the input's bytes are unchanged): a column
holding the input's sha256, or a key into a table that has one.

Why a hand-written contract and not pandera: the checks we need are few
(presence, dtype family, uniqueness of keys, allowed values) and the error
must name the table and column in plain words for an analyst; a 60-line
module does that without another dependency.

List-valued columns (``footnotes``, ``themes`` …) hold Python lists in the
DataFrame and Parquet; the CSV writer joins them with ``|``, and
``list_cell`` reads any of those spellings back as a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Paragraph kinds, in the codebook's vocabulary.
PARAGRAPH_KINDS = (
    "preamble",
    "operative",
    "annex_title",
    "intro",
    "heading",
    "recommendation",
    "footnote",
    "report",
)

#: Kinds whose rows are recommendations (one row per recommendation).
RECOMMENDATION_KINDS = ("operative", "recommendation")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "str", "int", "float", "bool", "list", "str?" (nullable str) …
    doc: str


@dataclass(frozen=True)
class Table:
    """A table's contract. ``owner``: for a table made per input, how a row
    ties to its input: ``("source_sha256",)`` (a column of this table
    holding the input's sha256) or ``(column, table)`` (this table's
    ``column`` is the key of ``table``, whose rows tie to an input);
    ``prefixes``: columns that come in families (``score_`` + a theme code)
    and are checked by dtype."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    allowed: dict = field(default_factory=dict)
    owner: tuple[str, ...] = ()
    doc: str = ""
    prefixes: tuple[Column, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def list_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.dtype == "list")

    @property
    def per_input(self) -> bool:
        return bool(self.owner)


_PARAGRAPH_COLUMNS = (
    Column("para_id", "str", "unique id of the paragraph: <resolution>:<part>:<label or kind+n>"),
    Column("rec_id", "str?", "codebook rec_id for operative/recommendation rows, empty otherwise"),
    Column("resolution", "str", "key of the resolution or decision (11/2, dec.11/101, GA.52/85; codebook §1); "
                                "empty for report text"),
    Column("unit_kind", "str", "resolution or decision (empty for report text)"),
    Column("body", "str", "code of the adopting body: COP, GA, ECOSOC, CCPCJ, COSP (lexicon/bodies.yaml)"),
    Column("session", "int?", "session that adopted the unit: 11 for 11/2, 52 for GA.52/85, the year for ECOSOC"),
    Column("year", "int?", "year of adoption: from the date the text gives, else the session's (lexicon/sessions.yaml)"),
    Column("date", "str?", "adoption date (YYYY-MM-DD) where the text gives it: the closing date line, the "
                           "adopting meeting (在…会议上), a web page's metadata"),
    Column("resolution_title", "str", "title of the resolution"),
    Column("acting_body", "str", "the body that adopts it, as written, e.g. 联合国打击跨国有组织犯罪公约缔约方会议"),
    Column("part", "str", "body, or the annex as a Roman numeral (I, II …), fn for footnotes, report for "
                          "a session report's own text"),
    Column("label", "str", "1, a, 4(a) for recommendations; footnote number for footnotes; for report text its "
                           "role (cover, contents, heading, intro, narrative, footnote); empty otherwise"),
    Column("kind", "str", "one of PARAGRAPH_KINDS"),
    Column("seq", "int", "order of the paragraph in its resolution or decision (0-based)"),
    Column("section", "str?", "annex section heading the row falls under (empty in the body)"),
    Column("annex_title", "str?", "title of the annex the row falls under"),
    Column("opening_verb", "str?", "preamble/operative opening verb (注意到, 回顾, 核可 …)"),
    Column("chapeau", "str?", "for sub-items of a body paragraph: the chapeau text they inherit"),
    Column("is_chapeau", "bool", "operative paragraph represented by its lettered sub-items"),
    Column("text", "str", "normalised text, without the label and without footnote marks"),
    Column("char_start", "int", "offset of text in the document's normalised text"),
    Column("char_end", "int", "end offset (exclusive): normalised[char_start:char_end] == text"),
    Column("line_start", "int", "first source line (1-based) the paragraph comes from"),
    Column("line_end", "int", "last source line (1-based)"),
    Column("footnotes", "list", "footnote numbers the paragraph cites, as strings, in order"),
    Column("source_file", "str", "file name of the input"),
    Column("source_sha256", "str", "sha256 of the input file's bytes"),
)

PARAGRAPHS = Table(
    "paragraphs",
    _PARAGRAPH_COLUMNS,
    key=("para_id",),
    allowed={"kind": PARAGRAPH_KINDS},
    owner=("source_sha256",),
    doc="one row per paragraph: preamble, operative, annex title, intro, heading, recommendation, footnote, "
        "or a session report's own text",
)

#: The reader's view of a recommendation: its paragraph row (``segment.recommendations``).
SEGMENTED_RECOMMENDATIONS = Table(
    "recommendations",
    _PARAGRAPH_COLUMNS,
    key=("rec_id",),
    allowed={"kind": RECOMMENDATION_KINDS},
    owner=("source_sha256",),
)

DOCUMENTS = Table(
    "documents",
    (
        Column("source_file", "str", "file name of the input"),
        Column("source_path", "str", "path as given on the command line"),
        Column("source_sha256", "str", "sha256 of the input bytes"),
        Column("source_format", "str", "txt, docx, pdf or html"),
        Column("encoding", "str", "detected text encoding (txt), or the container format"),
        Column("converted", "str?", "script conversion applied (e.g. opencc t2s), empty if none"),
        Column("units", "list", "keys of the resolutions and decisions the file holds, in file order"),
        Column("unit_lines", "list", "line of each unit's header, as units"),
        Column("is_report", "bool", "the file is a session report (units inside report text)"),
        Column("n_folded", "int", "radical / compatibility code points folded to unified ideographs"),
        Column("n_lines", "int", "lines in the decoded input"),
        Column("n_debris", "int", "lines removed as page debris (headers, job numbers, page numbers)"),
        Column("n_unplaced", "int", "lines the reader could not place"),
        Column("text", "str", "the normalised text that char_start/char_end point into"),
    ),
    key=("source_path",),  # one row per file: two files with the same bytes are two rows (and refused)
    owner=("source_sha256",),
    doc="one row per input file",
)

UNPLACED = Table(
    "unplaced",
    (
        Column("source_file", "str", "file name"),
        Column("line", "int", "1-based source line"),
        Column("text", "str", "the text that could not be placed"),
        Column("reason", "str", "why it could not be placed"),
    ),
    owner=("source_file", "documents"),
    doc="one row per piece of text the reader could not place (also printed as a warning)",
)

#: Labels the classifier gives a recommendation and each of its clauses.
_LABEL_COLUMNS = (
    Column("actor", "str?", "who is asked to act, as written (各国, 毒品和犯罪问题办公室 …)"),
    Column("actor_group", "str?", "actor group code (codebook §2: States, UNODC, Body, Other)"),
    Column("actors", "list", "every actor named, in text order"),
    Column("actor_span", "list", "start and end offset of the actor in the text"),
    Column("actor_source", "str?", "where the actor came from: the text, the chapeau, the acting body, an override"),
    Column("strength", "str?", "the modal cue as written (应, 鼓励, 不妨, 吁请 …)"),
    Column("strength_family", "str?", "strength family (codebook §3: 应, 鼓励, 不妨, 其他)"),
    Column("strength_score", "int?", "strength on the finer scale (codebook §3)"),
    Column("negated", "bool", "the modal is negated (不应, 不得)"),
    Column("strength_span", "list", "start and end offset of the modal cue"),
    Column("strength_source", "str?", "where the strength came from"),
    Column("conditions", "list", "conditions attached (在可能情况下, 根据本国法律 …)"),
    Column("condition_spans", "list", "offsets of each condition"),
)
_CRIME_COLUMNS = (
    Column("crime_areas", "list", "crime area codes (codebook §4b: TIP, SOM, FIR, COR, CYB …)"),
    Column("crime_area_evidence", "list", "the words each crime area was found from, with offsets"),
)

RECOMMENDATIONS = Table(
    "recommendations",
    (
        *_PARAGRAPH_COLUMNS,
        *_LABEL_COLUMNS,
        Column("n_provisions", "int", "clauses with their own actor or modal (rows of provisions)"),
        Column("themes", "list", "action theme codes (codebook §4a), strongest first"),
        Column("primary_theme", "str?", "the first theme, or empty"),
        Column("themes_rules", "list", "themes the rules found"),
        Column("themes_model", "list", "themes the trained model found"),
        Column("theme_evidence", "list", "the cue words behind each rules theme, with offsets"),
        *_CRIME_COLUMNS,
        Column("tokens", "list", "the tokeniser's words (stopwords removed)"),
        Column("review_reasons", "list", "why the row needs review"),
        Column("needs_review", "bool", "rules and model disagree, or a label is missing"),
        Column("overridden", "list", "fields an analyst's correction set (data/overrides.csv)"),
        Column("lexicon_version", "str", "version of the rule files that labelled the row"),
    ),
    key=("rec_id",),
    allowed={"kind": RECOMMENDATION_KINDS},
    owner=("source_sha256",),
    doc="one row per recommendation, with who is asked, how strongly, on what and about which crime",
    prefixes=(Column("score_", "float", "model score of each theme (score_LEG, score_TA …)"),),
)

PROVISIONS = Table(
    "provisions",
    (
        Column("rec_id", "str", "the recommendation the clause belongs to"),
        Column("provision", "int", "clause number within the recommendation (0-based)"),
        Column("is_main", "bool", "the clause that gives the recommendation its labels"),
        Column("text", "str", "the clause's text"),
        Column("start", "int", "offset of the clause in the recommendation's text"),
        Column("end", "int", "end offset (exclusive)"),
        Column("subject", "str?", "the clause's own subject, as written (empty: the main clause's)"),
        *_LABEL_COLUMNS,
        *_CRIME_COLUMNS,
        Column("lexicon_version", "str", "version of the rule files"),
    ),
    key=("rec_id", "provision"),
    owner=("rec_id", "recommendations"),
    doc="one row per clause with its own actor and modal (a recommendation may hold several)",
)

CITATIONS = Table(
    "citations",
    (
        Column("para_id", "str", "the citing paragraph"),
        Column("rec_id", "str?", "the citing recommendation, if the paragraph is one"),
        Column("resolution", "str", "the citing unit's key"),
        Column("source_file", "str", "file name of the input"),
        Column("citation_type", "str", "how it is cited (recalls, welcomes, refers to …)"),
        Column("cited_kind", "str", "resolution, document, date, treaty or article"),
        Column("cited", "str", "what is cited, as written"),
        Column("cited_body", "str?", "body of a cited resolution or decision"),
        Column("span_start", "int", "offset of the citation in the paragraph's text"),
        Column("span_end", "int", "end offset (exclusive)"),
        Column("context", "str", "the words around it"),
        Column("detail", "str?", "a paragraph or article cited inside it"),
        Column("normalised", "str", "the cited item in one spelling (the key of a resolution)"),
        Column("body_inferred", "bool", "the cited body was not written and was inferred"),
        Column("referenced_by", "list", "citing keys of a treaty or document (network edges)"),
        Column("citing_body", "str?", "the citing unit's body"),
        Column("cited_unit_kind", "str?", "resolution or decision, for a cited unit"),
        Column("cited_key", "str?", "the cited unit's key (codebook §1)"),
        Column("body_source", "str?", "where the cited body came from"),
    ),
    owner=("para_id", "paragraphs"),
    doc="one row per reference to a resolution, document, date, treaty or article",
)

REVIEW_QUEUE = Table(
    "review_queue",
    (
        Column("rec_id", "str", "the recommendation"),
        Column("resolution", "str", "its unit's key"),
        Column("part", "str", "body or annex"),
        Column("label", "str", "its number or letter"),
        Column("text", "str", "its text"),
        Column("actor", "str?", "actor as labelled"),
        Column("actor_group", "str?", "actor group code"),
        Column("strength", "str?", "modal cue"),
        Column("strength_family", "str?", "strength family"),
        Column("themes", "list", "theme codes"),
        Column("primary_theme", "str?", "first theme"),
        Column("themes_rules", "list", "themes the rules found"),
        Column("themes_model", "list", "themes the model found"),
        Column("crime_areas", "list", "crime area codes"),
        Column("review_reasons", "str", "why it needs review, joined with |"),
    ),
    key=("rec_id",),
    doc="one row per recommendation flagged needs_review",
)

OVERLAP = Table(
    "overlap",
    (
        Column("rec_id_a", "str", "the earlier recommendation of the pair (input order)"),
        Column("rec_id_b", "str", "the later one"),
        Column("similarity", "float", "0 to 1: token and character n-gram cosine, stock phrases stripped"),
        Column("same_resolution", "bool", "both are in the same unit"),
        Column("shared_terms", "list", "shared words that weigh most in the score"),
        Column("shared_spans", "list", "longest common passages, longest first"),
        Column("rank_a", "int?", "rank of b among a's nearest neighbours (1 = nearest)"),
        Column("rank_b", "int?", "rank of a among b's"),
    ),
    key=("rec_id_a", "rec_id_b"),
    doc="one row per pair of similar recommendations",
)

CLUSTERS = Table(
    "clusters",
    (
        Column("cluster_id", "int", "group number"),
        Column("rec_id", "str", "a member"),
        Column("cluster_label", "str", "the group's shared words"),
        Column("size", "int", "members of the group"),
        Column("n_resolutions", "int", "units the members come from"),
    ),
    key=("rec_id",),
    doc="one row per member of a group of recommendations asking for the same action",
)

TERM_FREQUENCIES = Table(
    "term_frequencies",
    (
        Column("group", "str", "the unit (or other grouping) counted"),
        Column("term", "str", "a word of the tokeniser"),
        Column("count", "int", "occurrences in the group's recommendations"),
        Column("share", "float", "count over the group's words"),
        Column("rank", "int", "rank within the group (1 = most frequent)"),
    ),
    key=("group", "term"),
    doc="one row per term per unit",
)

_PRECEDENT_STR = ("precedent_rec_id", "precedent_resolution", "strength_change", "precedent_text",
                  "precedent_actor_group", "precedent_strength", "precedent_strength_family", "successor_rec_id")
PRECEDENTS = Table(
    "precedents",
    (
        Column("rec_id", "str", "the recommendation"),
        Column("resolution", "str", "its unit"),
        Column("year", "int?", "its year"),
        Column("precedent_rec_id", "str?", "the closest recommendation of an earlier unit, at or above the threshold"),
        Column("precedent_resolution", "str?", "the precedent's unit"),
        Column("precedent_year", "int?", "the precedent's year"),
        Column("similarity", "float", "the overlap score of the pair (NaN without precedent)"),
        Column("status", "str", "unchanged, changed or new"),
        Column("strength_change", "str?", "stronger, weaker, same or negation"),
        Column("actor_changed", "bool", "the actor group differs"),
        Column("actors_added", "list", "actors named here and not in the precedent"),
        Column("actors_removed", "list", "actors of the precedent not named here"),
        Column("conditions_added", "list", "conditions added"),
        Column("conditions_removed", "list", "conditions removed"),
        Column("words_added", "list", "wording added"),
        Column("words_removed", "list", "wording removed"),
        Column("added_spans", "list", "start:end of each addition in this text"),
        Column("removed_spans", "list", "start:end of each removal in the precedent's text"),
        Column("shared_terms", "list", "the pair's shared words"),
        Column("shared_spans", "list", "the pair's shared passages"),
        Column("text", "str", "this recommendation's text"),
        Column("precedent_text", "str?", "the precedent's text"),
        Column("actor_group", "str?", "this row's actor group"),
        Column("precedent_actor_group", "str?", "the precedent's"),
        Column("strength", "str?", "this row's modal"),
        Column("precedent_strength", "str?", "the precedent's"),
        Column("strength_family", "str?", "this row's strength family"),
        Column("precedent_strength_family", "str?", "the precedent's"),
        Column("themes", "list", "this row's themes"),
        Column("precedent_themes", "list", "the precedent's themes"),
        Column("successor_rec_id", "str?", "the closest recommendation of a later unit of the same body"),
        Column("successor_similarity", "float", "its score (NaN without successor)"),
        Column("dropped", "bool", "later units of the same body exist and none carries it on"),
    ),
    key=("rec_id",),
    allowed={"status": ("unchanged", "changed", "new")},
    doc="one row per recommendation against its precedent",
)

def _all_str(s: pd.Series, *, optional: bool) -> bool:
    """Every cell a str (or missing, when ``optional``), checked in C where pandas can."""
    if isinstance(s.dtype, pd.StringDtype):  # pandas' string dtypes hold str or NA only
        return optional or not s.isna().any()
    if s.dtype != object:
        return optional and bool(s.isna().all())
    kind = pd.api.types.infer_dtype(s, skipna=optional)
    return kind in ("string", "empty") or (optional and bool(s.isna().all()))


_LIST_TYPES = frozenset((list, tuple, np.ndarray))


def _all_lists(s: pd.Series) -> bool:
    # Lists (or tuples) as stages make them; arrays as Parquet gives them back;
    # an Arrow list column without missing cells (the overlap table's
    # explanations). The types of the cells are collected in C (``map(type,
    # …)`` into a set): on the overlap table's half a million rows a loop of
    # isinstance took a tenth of a second per column.
    if isinstance(s.dtype, pd.ArrowDtype):
        return arrow_lists(s) and not s.isna().any()
    return s.dtype == object and set(map(type, s.to_numpy())) <= _LIST_TYPES


def arrow_lists(series: pd.Series) -> bool:
    """Whether a column holds Arrow lists (the overlap table's explanations)."""
    if not isinstance(series.dtype, pd.ArrowDtype):
        return False
    import pyarrow as pa

    return pa.types.is_list(series.dtype.pyarrow_dtype) or pa.types.is_large_list(series.dtype.pyarrow_dtype)


_DTYPE_CHECKS = {
    "str": lambda s: _all_str(s, optional=False),
    "str?": lambda s: _all_str(s, optional=True),
    "int": lambda s: pd.api.types.is_integer_dtype(s),
    "int?": lambda s: pd.api.types.is_integer_dtype(s) or bool(s.isna().all()),
    "float": lambda s: pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s),
    "bool": lambda s: pd.api.types.is_bool_dtype(s),
    "list": _all_lists,
}


class SchemaError(ValueError):
    """A table does not match its contract."""


def check(df: pd.DataFrame, table: Table, *, extra_ok: bool = True) -> pd.DataFrame:
    """Check ``df`` against ``table`` and return it unchanged.

    Raises SchemaError naming the table and the offending column. Extra
    columns are allowed (later stages add theirs) unless ``extra_ok`` is False.
    """
    missing = [c for c in table.names if c not in df.columns]
    if missing:
        raise SchemaError(f"{table.name}: missing column(s) {', '.join(missing)}")
    if not extra_ok:
        extra = [c for c in df.columns if c not in table.names]
        if extra:
            raise SchemaError(f"{table.name}: unexpected column(s) {', '.join(extra)}")
    if len(df):
        for col in table.columns:
            if not _DTYPE_CHECKS[col.dtype](df[col.name]):
                raise SchemaError(f"{table.name}: column {col.name!r} is not of type {col.dtype}")
        for fam in table.prefixes:
            for name in (c for c in df.columns if isinstance(c, str) and c.startswith(fam.name)):
                if not _DTYPE_CHECKS[fam.dtype](df[name]):
                    raise SchemaError(f"{table.name}: column {name!r} is not of type {fam.dtype}")
    for name, values in table.allowed.items():
        bad = sorted(set(df[name].unique().tolist()) - set(values))
        if bad:
            raise SchemaError(f"{table.name}: column {name!r} has unexpected value(s) {bad}")
    if table.key and len(df):
        dup = _duplicated(df, list(table.key))
        if dup.any():
            first = df[dup].iloc[0][list(table.key)].tolist()
            raise SchemaError(f"{table.name}: key {table.key} is not unique (e.g. {first})")
    return df


def _duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """``df.duplicated(key, keep=False)`` (missing values equal to each
    other) on integer codes: on the overlap table (half a million rows of
    two text columns) pandas' own took 1.6 s, this a tenth of that.

    >>> _duplicated(pd.DataFrame({"a": ["x", "x", "y", None, None], "b": [1, 1, 1, 2, 2]}), ["a", "b"]).tolist()
    [True, True, False, True, True]
    """
    combined = np.zeros(len(df), dtype=np.int64)
    for name in key:
        codes, uniques = pd.factorize(df[name], use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
        combined = pd.factorize(combined)[0].astype(np.int64)  # keep the product small
    counts = np.bincount(combined)
    return counts[combined] > 1


def empty(table: Table) -> pd.DataFrame:
    """An empty DataFrame with the table's columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in table.names})


#: Every output table, in the order the outputs and the manifest list them.
TABLES: dict[str, Table] = {t.name: t for t in (
    DOCUMENTS, PARAGRAPHS, RECOMMENDATIONS, PROVISIONS, UNPLACED, REVIEW_QUEUE, OVERLAP, CLUSTERS, CITATIONS,
    TERM_FREQUENCIES, PRECEDENTS)}
#: The tables made from one input alone, which the corpus store keeps per input.
PER_INPUT = tuple(name for name, t in TABLES.items() if t.per_input)


def list_cells(series: pd.Series, positions) -> list:
    """The cells of a list column at ``positions`` (integers), as stored:
    Python lists (or arrays, read back from Parquet); for an Arrow list
    column (the overlap table's explanations), Python lists made for those
    cells only.

    >>> import pyarrow as pa
    >>> arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([["a"], [], ["b", "c"]])))
    >>> list_cells(arrow, [2, 0]), list_cells(pd.Series([["a"], [], ["b", "c"]]), [2, 0])
    ([['b', 'c'], ['a']], [['b', 'c'], ['a']])
    """
    positions = np.asarray(positions, dtype=np.int64)
    if arrow_lists(series):
        import pyarrow as pa

        return pa.array(series).take(pa.array(positions)).to_pylist()
    return series.to_numpy()[positions].tolist()


def list_cell(v) -> list[str]:
    """A list cell as a list of strings, however it was stored: a list or
    tuple (a stage's output), an array (read back from Parquet), ``a|b``
    (a CSV cell, or an analyst's correction), or missing. Items are
    stripped; empty and missing items are left out.

    >>> list_cell(["TA", "LEG"]), list_cell("TA| LEG"), list_cell(None), list_cell(""), list_cell(float("nan"))
    (['TA', 'LEG'], ['TA', 'LEG'], [], [], [])
    >>> list_cell(np.array(["a", None, "b", float("nan")], dtype=object)), list_cell(pd.NA), list_cell(7)
    (['a', 'b'], [], ['7'])
    """
    if isinstance(v, (list, tuple, np.ndarray, pd.Series)):
        out = []
        for x in v:  # called for every cell of a table: the common cases first, without pd.isna
            s = x.strip() if isinstance(x, str) else None if _missing(x) else str(x).strip()
            if s:
                out.append(s)
        return out
    if isinstance(v, str):
        return [x.strip() for x in v.split("|") if x.strip()]
    if _missing(v):
        return []
    return [str(v)]


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)
