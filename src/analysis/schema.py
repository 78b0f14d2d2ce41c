"""Column contracts of the tables that flow between stages.

Every table the pipeline writes is described here once, by name, column and
dtype, and checked where it enters and leaves a stage (``check``). The same
column names are used end to end: ``rec_id`` is ``rec_id`` in the reader's
output, in the classifier's, in the overlap table and in the charts.

Why a hand-written contract and not pandera: the checks we need are few
(presence, dtype family, uniqueness of keys, allowed values) and the error
must name the table and column in plain words for an analyst; a 60-line
module does that without another dependency.

List-valued columns (``footnotes``, ``themes`` …) hold Python lists in the
DataFrame and Parquet; the CSV writer joins them with ``|``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    allowed: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


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
)

RECOMMENDATIONS = Table(
    "recommendations",
    _PARAGRAPH_COLUMNS,
    key=("rec_id",),
    allowed={"kind": RECOMMENDATION_KINDS},
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
    key=("source_sha256",),
)

UNPLACED = Table(
    "unplaced",
    (
        Column("source_file", "str", "file name"),
        Column("line", "int", "1-based source line"),
        Column("text", "str", "the text that could not be placed"),
        Column("reason", "str", "why it could not be placed"),
    ),
)

def _all_str(s: pd.Series, *, optional: bool) -> bool:
    """Every cell a str (or missing, when ``optional``), checked in C where pandas can."""
    if isinstance(s.dtype, pd.StringDtype):  # pandas' string dtypes hold str or NA only
        return optional or not s.isna().any()
    if s.dtype != object:
        return optional and bool(s.isna().all())
    kind = pd.api.types.infer_dtype(s, skipna=optional)
    return kind in ("string", "empty") or (optional and bool(s.isna().all()))


def _all_lists(s: pd.Series) -> bool:
    return s.dtype == object and all(isinstance(v, (list, tuple)) for v in s.to_numpy())


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
    for name, values in table.allowed.items():
        bad = sorted(set(df[name].unique().tolist()) - set(values))
        if bad:
            raise SchemaError(f"{table.name}: column {name!r} has unexpected value(s) {bad}")
    if table.key and len(df):
        dup = df[df.duplicated(list(table.key), keep=False)]
        if len(dup):
            first = dup.iloc[0][list(table.key)].tolist()
            raise SchemaError(f"{table.name}: key {table.key} is not unique (e.g. {first})")
    return df


def empty(table: Table) -> pd.DataFrame:
    """An empty DataFrame with the table's columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in table.names})
