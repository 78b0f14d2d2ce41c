"""Stage ``read``: one input file -> its documents row, paragraphs and unplaced text.

Decoding, format reading and normalisation (``analysis.read``), then
segmentation into units, paragraphs and footnotes (``analysis.segment``).
The tables are checked once per batch of inputs by the engine, not per
file (``segment(validate=False)``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import tables
from ..engine.stages import stage
from ..read import read_document
from ..segment import segment


def read_one(path: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Read and segment one file: (documents row, paragraphs, unplaced)."""
    doc = read_document(path)
    seg = segment(doc, validate=False)
    doc_row = {
        "source_file": doc.source_file, "source_path": str(path), "source_sha256": doc.sha256,
        "source_format": doc.source_format, "encoding": doc.encoding, "converted": doc.converted,
        "units": [u.key for u in seg.units], "unit_lines": [u.line_start for u in seg.units],
        "is_report": seg.is_report, "n_folded": doc.n_folded,
        "n_lines": doc.n_lines, "n_debris": len(doc.debris), "n_unplaced": len(seg.unplaced),
        "text": seg.text,
    }
    return doc_row, seg.paragraphs, seg.unplaced


@stage("read", produces=("documents", "paragraphs", "unplaced"), per_input=True)
def read(inputs: list[tuple[Path, str]]) -> dict[str, pd.DataFrame]:
    """The batch's files ``(path, sha256)``, read one after the other."""
    docs, paras, unplaced = [], [], []
    for path, _sha in inputs:
        doc_row, p, u = read_one(path)
        docs.append(doc_row)
        paras.append(p)
        unplaced.append(u)
    return {"documents": pd.DataFrame(docs, columns=tables.DOCUMENTS.names),
            "paragraphs": pd.concat(paras, ignore_index=True) if paras else tables.empty(tables.PARAGRAPHS),
            "unplaced": pd.concat(unplaced, ignore_index=True) if unplaced else tables.empty(tables.UNPLACED)}


def summaries(documents: pd.DataFrame, paragraphs: pd.DataFrame, unplaced: pd.DataFrame) -> list[dict]:
    """One line of the run summary per input (what the command line prints)."""
    kind_of = dict(zip(paragraphs["resolution"], paragraphs["unit_kind"]))
    # Counted in one grouped sum (not a Python function per file): a
    # second of a rerun on a thousand files.
    counts: dict[str, tuple[int, int, int, int]] = {}
    if len(paragraphs):
        kind = paragraphs["kind"]
        flags = pd.DataFrame({
            "source_file": paragraphs["source_file"], "n": 1,
            "footnotes": (kind == "footnote").fillna(False).astype(int),
            "report": (kind == "report").fillna(False).astype(int),
            "recs": paragraphs["rec_id"].notna().astype(int),
        })
        sums = flags.groupby("source_file", sort=False)[["n", "footnotes", "report", "recs"]].sum()
        counts = dict(zip(sums.index, zip(*(sums[c].tolist() for c in ("n", "footnotes", "report", "recs")))))
    lines = unplaced.groupby("source_file", sort=False)["line"].agg(list).to_dict() if len(unplaced) else {}
    out = []
    for row in documents.itertuples(index=False):
        n, foot, rep, recs = (int(v) for v in counts.get(row.source_file, (0, 0, 0, 0)))
        out.append({
            "file": row.source_file, "units": [(kind_of.get(k, ""), k) for k in row.units],
            "paragraphs": n - foot - rep, "report_paragraphs": rep, "recommendations": recs,
            "footnotes": foot, "debris": int(row.n_debris), "unplaced": int(row.n_unplaced),
            "unplaced_lines": [int(x) for x in lines.get(row.source_file, [])],
            "converted": row.converted, "folded": int(row.n_folded),
        })
    return out
