"""A run's outputs: Parquet + CSV (UTF-8 with BOM, for Excel) + XLSX, and the output folder's layout.

The cells and file formats are here; the machinery that writes a run's
files into a generation of their own and switches it in
(``OutputFolder``, ``TableWriter``, ``write_tables``) is
``analysis.engine.writer``, described below.

Contract
--------
An output folder (``--out``, by default ``data/processed``) always shows one
run's complete outputs, never a mix of two runs nor half of one:

* every run writes its files into a folder of its own,
  ``<out>/.generations/<id>/``, and switches to it in one step: the link
  ``<out>/current`` is replaced by a link to the new folder (``os.replace``
  of a symbolic link, atomic on POSIX), then the folder it replaced is
  removed;
* the files an analyst opens, ``<out>/recommendations.csv`` and the others,
  are symbolic links to ``current/<name>``. Made once, they follow every
  switch, so the paths the README documents (and Excel's list of recent
  files) keep working and all of them always show the same run. A link
  deleted, or a file saved over one, is restored by the next run, which
  says so;
* readers take the folder behind ``current`` once (``run_folder``) and read
  every table from there, so a run that switches meanwhile cannot hand
  them tables of two runs.

Why links: moving a run's twenty files into place one by one is not one
step (a kill in the middle left tables of two runs), and two folders cannot
be exchanged in one portable step; ``<out>`` itself cannot be the link (it
holds the reports and a README tracked by git). On a file system without
symbolic links (FAT, exFAT, Windows without developer mode) the files are
moved into ``<out>`` one by one instead, as before, and the run says so.

``OutputFolder`` is an output folder held by one run. It takes a lock
(``fcntl.flock`` on ``<out>/.lock``; the kernel releases it when the
process ends, however it ends), so that a second run into the same folder
stops at once with ``OutputBusy`` naming the process that holds it: a run
can take minutes, and a second run is far more often a second terminal or
a double click than a wish to queue; failing fast says so while the user
is still looking, and the rerun is quick (the cache). Under the lock it
removes what an interrupted run left (a generation never switched to, the
one a killed run had not removed yet, half-made links, cache files being
written) and reports it in ``notes``. A ``--out`` that is a file or where
nothing can be written is refused as ``OutputError``, naming the folder.

Every file a run writes is recorded in its manifest (``manifest.json``,
key ``files``) with its size, modification time and sha256, taken as it
is written. A later run made from the same inputs keeps a file (a hard
link into its own generation: no copy, no rewrite) only while it is what
was recorded: same size and modification time, or, when the time differs
(or with ``verify="full"``), the same sha256. A truncated, edited or
deleted output is written again, and the writer's ``problems`` say why.

``TableWriter`` writes tables as they become ready (``run`` writes the
per-input tables while it computes the corpus-level ones) and
``write_tables`` writes a set at once; both switch the new generation in
with ``commit``, or leave no trace on an error.

Cells
-----
In CSV, list-valued cells are joined with ``|`` and dict-valued cells are
written as JSON, so a spreadsheet shows them in one cell. Control
characters (form feeds from PDFs) are stripped from text cells in CSV and
XLSX; they are not valid in the workbook's XML and Excel shows them as boxes.

A text cell that a spreadsheet would take for a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return: OWASP's "CSV
injection" list) is written to CSV with a leading ``'``, which makes Excel
and LibreOffice show it as text instead of evaluating it; numbers
(negative ones included) are left alone, and Parquet keeps the raw text.
XLSX cells made from text are always strings, never formulas.

CSV is written by pyarrow (text quoted, CRLF line ends, booleans as
true/false, which Excel and pandas read as booleans): on a corpus of a
thousand resolutions the tables come to about 250 MB of CSV, which pandas'
writer took four times as long to produce.
"""

from __future__ import annotations

import json
import math
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import InputError
from .tables import arrow_lists


logger = logging.getLogger(__name__)

_CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(_CONTROL_PATTERN)


def _cell_to_text(v, sep: str = "|"):
    if isinstance(v, (list, tuple, np.ndarray)):
        return sep.join("" if x is None else str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if isinstance(v, str):
        return _CONTROL.sub("", v)
    return v


def flatten_for_spreadsheet(df: pd.DataFrame, sep: str = "|") -> pd.DataFrame:
    """Lists to ``a|b`` (``sep``), dicts to JSON, control characters removed.

    >>> flatten_for_spreadsheet(pd.DataFrame({"f": [["1", "3"]], "t": ["a\\x0cb"]})).iloc[0].tolist()
    ['1|3', 'ab']
    >>> flatten_for_spreadsheet(pd.DataFrame({"f": [["TA", "LEG"]]}), sep=" | ").iloc[0, 0]
    'TA | LEG'
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.StringDtype):
            # Text column: find the rare cells with control characters in one
            # vectorised pass (large corpora have millions of cells) and clean those.
            dirty = series.str.contains(_CONTROL.pattern, regex=True, na=False)
            if dirty.any():
                out.loc[dirty, col] = series[dirty].map(lambda v: _CONTROL.sub("", v))
        elif series.dtype == object:
            out[col] = series.map(lambda v: _cell_to_text(v, sep))
        elif arrow_lists(series):
            out[col] = pd.Series(series.tolist(), index=series.index, dtype=object).map(lambda v: _cell_to_text(v, sep))
    return out


def _csv_column(series: pd.Series, converted=None):
    """One column as an Arrow array of what a spreadsheet cell shows.

    ``converted``: the column as already converted for Parquet, if it was.
    """
    import pyarrow as pa

    arr = None
    if series.dtype == object:
        values = series.to_numpy()
        try:  # text, or lists of text: converted in C
            arr = pa.array(values, from_pandas=True) if converted is None else converted.combine_chunks()
        except (pa.ArrowException, TypeError, ValueError):
            arr = None
        if arr is not None and (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
            arr = _joined(arr)
        elif arr is not None and not (pa.types.is_string(arr.type) or pa.types.is_null(arr.type)):
            arr = None  # numbers or mixed cells in an object column: as Python shows them
        if arr is None:
            cells = [_cell_to_text(v) for v in values]
            arr = pa.array([None if v is None or (isinstance(v, float) and v != v) else str(v) for v in cells],
                           type=pa.string())
            # Numbers in an object column are shown as text but stay numbers
            # to a spreadsheet: only the cells that were text are neutralised.
            text = pa.array([isinstance(v, str) for v in cells], type=pa.bool_())
            return _neutralised(arr, text)
    else:
        arr = pa.Array.from_pandas(series) if converted is None else converted.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):  # Arrow lists (the overlap table's)
            arr = _joined(arr)
    return _neutralised(arr)


#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralised(arr, text=None):
    """A column's CSV text as a spreadsheet should show it: control
    characters removed, and a ``'`` before every text cell that a
    spreadsheet would otherwise evaluate (``=HYPERLINK(…)``, ``+1``, ``@SUM``).
    Columns that are not text (numbers, booleans) are returned as they are;
    ``text``, if given, marks the cells that were text.

    >>> import pyarrow as pa
    >>> _neutralised(pa.array(["=1+1", "-各国", "各国", None, "\\tx"])).to_pylist()
    ["'=1+1", "'-各国", '各国', None, "'\\tx"]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    if _may_hold_control(arr):
        arr = pc.replace_substring_regex(arr, _CONTROL_PATTERN, "")
    # The first character of every cell, compared in one vectorised pass:
    # the rare risky cells are the only ones rewritten.
    risky = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=pa.array(FORMULA_STARTS, type=arr.type))
    if text is not None:
        risky = pc.and_(risky, text)
    if not pc.any(risky).as_py():
        return arr
    quote, nothing = pa.scalar("'", type=arr.type), pa.scalar("", type=arr.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, arr, nothing), arr)


def _joined(arr):
    """A list column as text, cells joined with ``|`` (inner lists of numbers
    shown as Python shows them, ``[3, 7]``); None where that is not possible."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.offset:  # a slice (its offsets do not start at its values): laid out afresh
        arr = arr.take(pa.array(np.arange(len(arr))))
    arr = arr.cast(pa.list_(arr.type.value_type)) if pa.types.is_large_list(arr.type) else arr
    vt = arr.type.value_type
    if pa.types.is_string(vt) or pa.types.is_null(vt) or pa.types.is_integer(vt):
        items = pc.fill_null(arr.flatten().cast(pa.string()), "")
    elif pa.types.is_list(vt) and pa.types.is_integer(vt.value_type):
        inner = arr.flatten()
        shown = pc.binary_join(pa.ListArray.from_arrays(inner.offsets, inner.flatten().cast(pa.string())), ", ")
        items = pc.binary_join_element_wise("[", shown, "]", "")
        if inner.null_count:
            items = pc.if_else(inner.is_null(), pa.scalar("None"), items)
    else:
        return None
    joined = pc.binary_join(pa.ListArray.from_arrays(arr.offsets, items), "|")
    return pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), joined)


def _may_hold_control(arr) -> bool:
    """Whether a string array's character data holds a control character: a
    vectorised pass over its bytes (in UTF-8, bytes below 0x80 are ASCII
    characters only), so that the regex runs only where there is one."""
    for chunk in getattr(arr, "chunks", [arr]):
        data = chunk.buffers()[2]
        if data is None:
            continue
        b = np.frombuffer(data, dtype=np.uint8)
        low = b[b < 0x20]
        if np.isin(low, (0x09, 0x0A, 0x0D), invert=True).any() or (b == 0x7F).any():
            return True
    return False


#: Rows turned into CSV text at a time (bounds the memory of large tables).
CSV_ROWS_PER_BATCH = 100_000


def write_csv(df: pd.DataFrame, path: str | Path, *, converted=None, shown=None) -> Path:
    """``df`` as CSV for Excel: UTF-8 with BOM, CRLF, lists joined with ``|``,
    and text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return prefixed with ``'`` so that a spreadsheet shows them
    instead of running them as formulas (OWASP's advice against CSV
    injection; numeric columns are not touched, and the Parquet file keeps
    the text as it is).

    ``converted``: ``df`` as the Arrow table written to Parquet, if it was
    (its columns are reused rather than converted again, and the CSV text is
    made ``CSV_ROWS_PER_BATCH`` rows at a time). ``shown``: Arrow arrays of
    some columns' CSV text, already made (those columns may be missing from
    ``converted``).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    step = CSV_ROWS_PER_BATCH if converted is not None else max(len(df), 1)
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        if not len(df.columns):
            return path
        writer = schema = None
        for lo in range(0, max(len(df), 1), step):
            part = df.iloc[lo:lo + step]
            cols = {str(c): shown[c].slice(lo, len(part)) if shown and c in shown
                    else _csv_column(part[c], None if converted is None
                                     else converted.column(str(c)).slice(lo, len(part)))
                    for c in df.columns}
            batch = pa.table(cols)
            if writer is None:
                schema = batch.schema
                writer = pacsv.CSVWriter(fh, schema, write_options=pacsv.WriteOptions(eol="\r\n"))
            writer.write_table(batch if batch.schema == schema else batch.cast(schema))
        writer.close()
    return path


#: How list cells are joined in XLSX, where a person reads them (CSV keeps
#: ``|``, the form the machine-readable files have always had).
XLSX_LIST_SEP = " | "
#: The header row of every sheet: white on dark blue, bold, wrapped.
XLSX_HEADER = {"font": {"bold": True, "color": "FFFFFF"}, "fill": "1F4E79"}
#: Column width (characters; CJK counts 2): at least, at most.
XLSX_MIN_WIDTH, XLSX_MAX_WIDTH = 6, 60
#: First headings of columns that identify a row: the panes freeze them too.
XLSX_KEY_HEADINGS = ("rec_id", "ID", "编号")


def _display_width(v) -> int:
    import unicodedata

    text = "" if v is None else str(v)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def _cell_value(v):
    """A flattened cell as the workbook takes it: missing values empty, numpy
    scalars as Python numbers (what pandas' Excel writer gives)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _column_widths(df: pd.DataFrame) -> list[float]:
    """Each column's width from its heading and first rows (enough to judge,
    quick on large tables), at least ``XLSX_MIN_WIDTH``; wider than
    ``XLSX_MAX_WIDTH`` means the column is wrapped at that width."""
    sample = df.head(499)
    return [max([XLSX_MIN_WIDTH, _display_width(col), *map(_display_width, map(_cell_value, sample[col]))]) + 2
            for col in df.columns]


def write_xlsx(sheets: dict[str, pd.DataFrame], path, *, styled: bool = True):
    """One sheet per table. Every cell made from text is a string cell,
    never a formula (a text starting with ``=`` is what Excel would
    evaluate). List cells are joined with `` | `` (``XLSX_LIST_SEP``). With
    ``styled`` (the default) every sheet has a styled, frozen header row
    (the key column frozen too when the first column is one), an
    autofilter, and column widths that fit its content (long text wrapped
    at ``XLSX_MAX_WIDTH``).

    Text such as a resolution number ``11/2`` stays text in XLSX (a string
    cell), where a CSV opened in Excel shows it as a date: XLSX is the
    format for reading in Excel, CSV the one for other programs.

    Written with XlsxWriter, a column at a time, each cell by its type: the
    recommendations workbook of a thousand resolutions (a million cells)
    takes a third of the CPU openpyxl's write-only mode took (4 s against
    12 s, ``benchmarks/results_pipeline_distinct.md``), and pandas' writer
    followed by a pass to style every cell took twice that again.

    ``path`` is a file path, or a binary file object (``xlsx_bytes``)."""
    import io

    import xlsxwriter

    target = path if isinstance(path, io.IOBase) else Path(path)
    wb = xlsxwriter.Workbook(target if isinstance(target, io.IOBase) else str(target), {"in_memory": True})
    head_fmt = wb.add_format({"bold": XLSX_HEADER["font"]["bold"], "font_color": "#" + XLSX_HEADER["font"]["color"],
                              "bg_color": "#" + XLSX_HEADER["fill"], "pattern": 1, "text_wrap": True,
                              "valign": "vcenter"}) if styled else None
    wrap_fmt = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, df in sheets.items():
        ws = wb.add_worksheet(name[:31])
        flat = flatten_for_spreadsheet(df, XLSX_LIST_SEP)
        wrapped: set[int] = set()
        if styled and len(flat.columns):
            for j, width in enumerate(_column_widths(flat)):
                ws.set_column(j, j, min(width, XLSX_MAX_WIDTH))
                if width > XLSX_MAX_WIDTH:
                    wrapped.add(j)
            ws.freeze_panes(1, 1 if str(flat.columns[0]) in XLSX_KEY_HEADINGS else 0)
            ws.autofilter(0, 0, len(flat), len(flat.columns) - 1)
        for j, col in enumerate(flat.columns):
            ws.write_string(0, j, str(col), head_fmt)
        for j, col in enumerate(flat.columns):
            _write_column(ws, j, flat[col].tolist(), wrap_fmt if j in wrapped else None)
    wb.close()
    return target


def _write_column(ws, j: int, values: list, fmt) -> None:
    """One column's cells from row 2 down, each written as its type (text
    as a string cell, never a formula or a number; missing values and empty
    text left empty)."""
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    for i, v in enumerate(values, start=1):
        v = _cell_value(v)
        if v is None or v == "":
            if fmt is not None:
                ws.write_blank(i, j, None, fmt)
            continue
        if isinstance(v, str):
            write_string(i, j, v, fmt)
        elif isinstance(v, bool):
            write_boolean(i, j, v, fmt)
        elif isinstance(v, (int, float)) and math.isfinite(v):
            write_number(i, j, v, fmt)
        else:
            write_string(i, j, str(v), fmt)


def xlsx_bytes(sheets: dict[str, pd.DataFrame], *, styled: bool = True) -> bytes:
    """The workbook ``write_xlsx`` writes, as bytes (for ``TableWriter.submit_file``)."""
    import io

    buf = io.BytesIO()
    write_xlsx(sheets, buf, styled=styled)
    return buf.getvalue()


def _holds_dicts(series: pd.Series) -> bool:
    """Whether an object column holds dicts. Columns hold one kind of value
    (or None), so the first value that is not None tells."""
    for v in series.to_numpy():
        if v is not None and not (isinstance(v, float) and v != v):
            return isinstance(v, dict) or (not isinstance(v, (str, list, tuple, np.ndarray))
                                           and any(isinstance(x, dict) for x in series.to_numpy()))
    return False


def parquet_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: dict cells become JSON text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and _holds_dicts(out[col]):
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
                                    if isinstance(v, dict) else v)
    return out


#: Object columns shorter than this are converted cell by cell (no gain below).
_SHARED_MIN_ROWS = 10_000


def _shared_objects(series: pd.Series):
    """``(codes, first)`` when an object column holds the same Python objects
    many times over (the similarity table shares one list of shared terms
    between every copy of a pair of texts), else None: ``values[first]`` are
    the distinct objects and ``values[first][codes]`` the column again."""
    values = series.to_numpy()
    if len(values) < _SHARED_MIN_ROWS:
        return None
    codes, distinct = pd.factorize(np.fromiter(map(id, values), dtype=np.uint64, count=len(values)))
    if len(distinct) > len(values) // 2:
        return None
    first = np.empty(len(distinct), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)
    return codes, first


@dataclass
class _Converted:
    """A table converted to Arrow for writing.

    ``table`` holds every column but those of shared objects; ``shared``
    holds those, as ``name -> (position, distinct values, codes)`` with
    ``codes`` (int32) the distinct value of each row; ``schema`` is the
    whole table's. ``shown`` maps shared columns to their CSV text, one
    per distinct value, as dictionary arrays over the rows. Rows are
    expanded a batch at a time: whole columns of half a million lists,
    copied at once, took longer than everything else about them.
    """

    table: object
    schema: object
    shared: dict
    shown: dict

    def rows(self, lo: int, n: int):
        """Rows ``lo`` to ``lo + n`` of the whole table (when ``shared`` is not empty)."""
        import pyarrow as pa

        part = self.table.slice(lo, n)
        for name, (position, distinct, codes) in self.shared.items():
            part = part.add_column(position, self.schema.field(name), distinct.take(codes.slice(lo, n)))
        return pa.Table.from_arrays(part.columns, schema=self.schema)


def _object_lists_metadata(table):
    """``table`` with its Arrow list columns described in the pandas metadata
    as columns of Python lists (``numpy_type`` object), as a stage's lists
    convert: the file then reads back, and is written, the same whether a
    table held its lists as Python lists or as Arrow lists (the overlap
    table's explanations)."""
    meta = table.schema.metadata or {}
    if b"pandas" not in meta:
        return table
    info = json.loads(meta[b"pandas"])
    changed = False
    for col in info.get("columns", []):
        if str(col.get("numpy_type", "")).startswith("list<") and col.get("pandas_type", "").startswith("list["):
            col["numpy_type"] = "object"
            changed = True
    if not changed:
        return table
    return table.replace_schema_metadata({**meta, b"pandas": json.dumps(info).encode()})


def _one_chunk(table):
    """``table`` with each column in one chunk where Arrow can join them: a
    list column whose chunks hold more than 2 GiB of text together cannot
    be (its offsets are 32-bit) and keeps its chunks."""
    import pyarrow as pa

    cols = []
    for col in table.columns:
        try:
            cols.append(col.combine_chunks() if col.num_chunks > 1 else col)
        except (pa.ArrowInvalid, pa.ArrowCapacityError):
            cols.append(col)
    return pa.Table.from_arrays(cols, schema=table.schema)


def to_arrow(df: pd.DataFrame) -> _Converted:
    """``df`` converted for Parquet and CSV (see ``_Converted``).

    A column of shared objects is converted once per distinct object: the
    same table as converting every cell, pandas metadata included, in a
    fraction of the time.
    """
    import pyarrow as pa

    # An Arrow list column without a single item becomes what a column of
    # empty Python lists converts to (list<null>, "list[empty]"), so the
    # file is the same however the table held its lists.
    empty = [c for c in df.columns if arrow_lists(df[c]) and len(df) and not len(pa.array(df[c]).flatten())]
    if empty:
        df = df.assign(**{str(c): pd.Series([[] for _ in range(len(df))], index=df.index, dtype=object)
                          for c in empty})
    found = {}
    for col in df.columns:
        if df[col].dtype == object:
            hit = _shared_objects(df[col])
            if hit is not None:
                found[col] = hit
    # One chunk per column: a corpus table is the concatenation of its
    # batches' or cached files' frames, whose text columns pandas keeps as
    # so many Arrow chunks, and the Parquet writer encodes a chunk at a time
    # (where its dictionary gives way to plain encoding, for one): without
    # this the same rows were written as other bytes when read in other
    # batches (--jobs) or partly from the cache.
    table = _object_lists_metadata(_one_chunk(pa.Table.from_pandas(df.drop(columns=list(found)) if found else df,
                                                                   preserve_index=False)))
    if not found:
        return _Converted(table, table.schema, {}, {})
    meta = json.loads(table.schema.metadata[b"pandas"])
    fields = list(table.schema)
    shared, shown = {}, {}
    for col in df.columns:
        if col not in found:
            continue
        codes, first = found[col]
        values = df[col].to_numpy()[first]
        distinct = pa.Table.from_pandas(pd.DataFrame({col: values}), preserve_index=False)
        position = df.columns.get_loc(col)
        fields.insert(position, distinct.field(0))
        meta["columns"].insert(position, json.loads(distinct.schema.metadata[b"pandas"])["columns"][0])
        indices = pa.array(codes.astype(np.int32))
        shared[col] = (position, distinct.column(0).combine_chunks(), indices)
        text = _csv_column(pd.Series(values, dtype=object), distinct.column(0))
        shown[col] = pa.DictionaryArray.from_arrays(indices, text)
    schema = pa.schema(fields, metadata={**table.schema.metadata, b"pandas": json.dumps(meta).encode()})
    return _Converted(table, schema, shared, shown)


def write_parquet(converted: _Converted, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = converted.schema
    # No min/max statistics for list columns: no reader of these files
    # filters on them, and on the similarity table they took a third of
    # the Parquet writer's time.
    stats = [f.name for f in schema if not (pa.types.is_list(f.type) or pa.types.is_large_list(f.type))]
    if converted.shared:  # a row group per batch of rows
        with pq.ParquetWriter(path, schema, write_statistics=stats) as writer:
            for lo in range(0, converted.table.num_rows, CSV_ROWS_PER_BATCH):
                writer.write_table(converted.rows(lo, CSV_ROWS_PER_BATCH))
    else:
        pq.write_table(converted.table, path, write_statistics=stats)


# --------------------------------------------------------------------------
# The output folder: generations, the switch, the lock
# --------------------------------------------------------------------------

#: Inside ``<out>``: one folder per run, the link to the current one, the lock.
GENERATIONS = ".generations"
CURRENT = "current"
LOCK_FILE = ".lock"
MANIFEST = "manifest.json"
_GENERATION_ID = re.compile(r"^(\d{8}T\d{6})Z-(\d+)-[0-9a-f]+$")


class OutputError(InputError):
    """``--out`` cannot hold outputs (a file, a read-only folder …); names the folder."""


class OutputBusy(OutputError):
    """Another run holds the output folder."""


def run_folder(out_dir: str | Path) -> Path:
    """The folder holding the current run's files: behind ``<out>/current``,
    or ``<out>`` itself (a folder written before generations, or on a file
    system without links). Resolve it once and read every table from it."""
    out = Path(out_dir)
    link = out / CURRENT
    if link.is_symlink():
        return out / os.readlink(link)
    return out


def read_table(out_dir: str | Path, name: str) -> pd.DataFrame:
    """Read a table written by ``write_tables`` back (from Parquet), lists as lists."""
    df = pd.read_parquet(Path(out_dir) / f"{name}.parquet")
    for col in df.columns:
        if df[col].dtype == object and len(df) and df[col].map(lambda v: isinstance(v, np.ndarray)).any():
            df[col] = df[col].map(lambda v: list(v) if isinstance(v, np.ndarray) else v)
    return df
