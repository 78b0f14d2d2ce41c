"""Writing tables: Parquet + CSV (UTF-8 with BOM, for Excel), atomically.

Contract
--------
``write_tables(tables, out_dir, extra_files=...)`` writes every DataFrame of
``tables`` as ``<name>.parquet`` and ``<name>.csv`` into ``out_dir``. All files
are first written into a temporary folder inside ``out_dir`` and only moved
into place once every one of them was written: a run that fails leaves the
previous outputs as they were. ``TableWriter`` does the same for tables
that become ready one after the other (``run`` writes the per-input tables
while it computes the corpus-level ones).

In CSV, list-valued cells are joined with ``|`` and dict-valued cells are
written as JSON, so a spreadsheet shows them in one cell. Control
characters (form feeds from PDFs) are stripped from text cells in CSV and
XLSX; openpyxl refuses them and Excel shows them as boxes.

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
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

_CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(_CONTROL_PATTERN)


def _cell_to_text(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return "|".join("" if x is None else str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if isinstance(v, str):
        return _CONTROL.sub("", v)
    return v


def flatten_for_spreadsheet(df: pd.DataFrame) -> pd.DataFrame:
    """Lists to ``a|b``, dicts to JSON, control characters removed.

    >>> flatten_for_spreadsheet(pd.DataFrame({"f": [["1", "3"]], "t": ["a\\x0cb"]})).iloc[0].tolist()
    ['1|3', 'ab']
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
            out[col] = series.map(_cell_to_text)
    return out


def _csv_column(series: pd.Series, converted=None):
    """One column as an Arrow array of what a spreadsheet cell shows.

    ``converted``: the column as already converted for Parquet, if it was.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

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


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per table. Every cell made from text is a string cell:
    openpyxl stores a string starting with ``=`` as a formula, which Excel
    would evaluate, so such cells are set back to strings before saving."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            flatten_for_spreadsheet(df).to_excel(xw, sheet_name=name[:31], index=False)
            for row in xw.sheets[name[:31]].iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # this writer never writes formulas: it was text
                        cell.data_type = "s"
    return path


def _holds_dicts(series: pd.Series) -> bool:
    """Whether an object column holds dicts. Columns hold one kind of value
    (or None), so the first value that is not None tells."""
    for v in series.to_numpy():
        if v is not None and not (isinstance(v, float) and v != v):
            return isinstance(v, dict) or (not isinstance(v, (str, list, tuple, np.ndarray))
                                           and any(isinstance(x, dict) for x in series.to_numpy()))
    return False


def _parquet_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: dict cells become JSON text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and _holds_dicts(out[col]):
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
                                    if isinstance(v, dict) else v)
    return out


def table_files_present(out_dir: Path, name: str) -> bool:
    """Whether both files of table ``name`` are in ``out_dir``."""
    return (out_dir / f"{name}.parquet").is_file() and (out_dir / f"{name}.csv").is_file()


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


def _to_arrow(df: pd.DataFrame) -> _Converted:
    """``df`` converted for Parquet and CSV (see ``_Converted``).

    A column of shared objects is converted once per distinct object: the
    same table as converting every cell, pandas metadata included, in a
    fraction of the time.
    """
    import pyarrow as pa

    found = {}
    for col in df.columns:
        if df[col].dtype == object:
            hit = _shared_objects(df[col])
            if hit is not None:
                found[col] = hit
    table = pa.Table.from_pandas(df.drop(columns=list(found)) if found else df, preserve_index=False)
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


def _write_parquet(converted: _Converted, path: Path) -> None:
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


class TableWriter:
    """Writes tables as they become ready, all moved into ``out_dir`` at once.

    ``submit(name, df)`` starts writing ``<name>.parquet`` and ``<name>.csv``
    into a temporary folder inside ``out_dir`` (two writer threads: Arrow's
    writers release the GIL, so one table's encoding overlaps another's
    conversion, or the computation of the next tables). ``commit`` waits
    for them, adds the extra files and moves everything into place; until
    then nothing in ``out_dir`` has changed, and leaving a ``with`` block
    on an error removes what was written. Tables named in ``keep`` whose
    files are in ``out_dir`` already hold this content (the caller knows
    they were made from the same inputs): they are left as they are.
    """

    def __init__(self, out_dir: str | Path, *, keep: Iterable[str] = ()):
        from concurrent.futures import ThreadPoolExecutor

        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.keep = set(keep)
        self.tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.out_dir))
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.pending: list = []  # futures, each giving the names of the files it wrote
        self.lock = threading.Lock()

    def _start(self, fn: Callable[[], list[str]]) -> None:
        with self.lock:
            self.pending.append(self.pool.submit(fn))

    def submit(self, name: str, df: pd.DataFrame) -> bool:
        """Start writing table ``name``; False if it is kept as it is."""
        if name in self.keep and table_files_present(self.out_dir, name):
            return False
        self._start(lambda: self._write_table(df, name))
        return True

    def _write_table(self, df: pd.DataFrame, name: str) -> list[str]:
        # Once converted, the table's CSV is written beside its Parquet file:
        # on the similarity table each takes about as long as the other.
        converted = _to_arrow(_parquet_ready(df))

        def csv() -> list[str]:
            write_csv(df, self.tmp / f"{name}.csv", converted=converted.table, shown=converted.shown)
            return [f"{name}.csv"]

        self._start(csv)
        _write_parquet(converted, self.tmp / f"{name}.parquet")
        return [f"{name}.parquet"]

    def submit_file(self, name: str, make: Callable[[], str | bytes]) -> None:
        """Start making and writing the file ``name`` (text is written as UTF-8)."""
        self._start(lambda: self._write_file(name, make()))

    def defer(self, task: Callable[[], None]) -> None:
        """Run ``task`` (writing a cache file, say) beside the tables; ``commit`` waits for it."""
        self._start(lambda: task() or [])

    def _write_file(self, name: str, content: str | bytes) -> list[str]:
        target = self.tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return [name]

    def commit(self, extra_files: dict[str, str | bytes] | None = None) -> list[Path]:
        """Wait for the tables and files, write ``extra_files``, move all into ``out_dir``."""
        written: list[str] = []
        done = 0
        while True:  # a table's task starts its CSV's: the list grows while it is waited on
            with self.lock:
                if done == len(self.pending):
                    break
                future = self.pending[done]
            written += future.result()
            done += 1
        for name, content in (extra_files or {}).items():
            written += self._write_file(name, content)
        final = []
        for name in written:
            dest = self.out_dir / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp / name, dest)
            final.append(dest)
        return final

    def close(self) -> None:
        """Stop writing and remove the temporary folder (after ``commit``, or instead of it)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path,
                 extra_files: dict[str, str | bytes] | None = None, *, keep: Iterable[str] = ()) -> list[Path]:
    """Write tables (Parquet + CSV) and extra files into ``out_dir`` atomically per run.

    ``keep`` names tables whose files in ``out_dir`` already hold this
    content (the caller knows they were made from the same inputs): they are
    left as they are, unless missing. Returns the files written.
    """
    with TableWriter(out_dir, keep=keep) as writer:
        # The largest first, the others smallest first, so that the largest
        # two are rarely converted at the same time (their Arrow and CSV
        # copies are a large run's peak memory).
        size = {name: len(df) * max(1, len(df.columns)) for name, df in tables.items()}
        order = sorted(tables, key=lambda name: size[name])
        for name in order[-1:] + order[:-1]:
            writer.submit(name, tables[name])
        return writer.commit(extra_files)


def read_table(out_dir: str | Path, name: str) -> pd.DataFrame:
    """Read a table written by ``write_tables`` back (from Parquet), lists as lists."""
    df = pd.read_parquet(Path(out_dir) / f"{name}.parquet")
    for col in df.columns:
        if df[col].dtype == object and len(df) and df[col].map(lambda v: isinstance(v, np.ndarray)).any():
            df[col] = df[col].map(lambda v: list(v) if isinstance(v, np.ndarray) else v)
    return df
