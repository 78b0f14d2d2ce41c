"""Writing tables: Parquet + CSV (UTF-8 with BOM, for Excel), atomically.

Contract
--------
``write_tables(tables, out_dir, manifest=...)`` writes every DataFrame of
``tables`` as ``<name>.parquet`` and ``<name>.csv`` into ``out_dir``. All files
are first written into a temporary folder inside ``out_dir`` and only moved
into place once every one of them was written: a run that fails leaves the
previous outputs as they were.

In CSV, list-valued cells are joined with ``|`` and dict-valued cells are
written as JSON, so a spreadsheet shows them in one cell. Control
characters (form feeds from PDFs) are stripped from text cells in CSV and
XLSX; openpyxl refuses them and Excel shows them as boxes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    flatten_for_spreadsheet(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            flatten_for_spreadsheet(df).to_excel(xw, sheet_name=name[:31], index=False)
    return path


def _parquet_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: dict cells become JSON text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, dict)).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
                                    if isinstance(v, dict) else v)
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path,
                 extra_files: dict[str, str | bytes] | None = None) -> list[Path]:
    """Write tables (Parquet + CSV) and extra files into ``out_dir`` atomically per run."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=out_dir))
    written: list[str] = []
    try:
        for name, df in tables.items():
            _parquet_ready(df).to_parquet(tmp / f"{name}.parquet", index=False)
            write_csv(df, tmp / f"{name}.csv")
            written += [f"{name}.parquet", f"{name}.csv"]
        for name, content in (extra_files or {}).items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            written.append(name)
        final = []
        for name in written:
            dest = out_dir / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, dest)
            final.append(dest)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_table(out_dir: str | Path, name: str) -> pd.DataFrame:
    """Read a table written by ``write_tables`` back (from Parquet), lists as lists."""
    df = pd.read_parquet(Path(out_dir) / f"{name}.parquet")
    for col in df.columns:
        if df[col].dtype == object and len(df) and df[col].map(lambda v: isinstance(v, np.ndarray)).any():
            df[col] = df[col].map(lambda v: list(v) if isinstance(v, np.ndarray) else v)
    return df
