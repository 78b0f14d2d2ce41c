"""The pipeline: input files -> every table, in one direction.

    raw file -> read (decode, normalise, strip debris) -> segment (paragraphs,
    recommendations, footnotes) -> classify (actor, strength, theme) ->
    overlap + citations -> coverage -> write

``read_corpus(paths)`` runs the reading stages and returns a ``Corpus`` (what
the notebooks start from); ``run(paths, out_dir)`` runs everything and writes
the tables. Disk I/O lives here and in ``outputs``; the stages in between are
functions from tables to tables.

Inputs are refused as a whole: if any file is bad (empty, binary, not a
resolution, numbering that skips, the same resolution twice), the run stops
with an ``InputError`` naming the file and line before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import schema
from .read import InputError, read_document
from .segment import recommendations, segment

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")


def discover_inputs(paths: list[str | Path]) -> list[Path]:
    """Expand files and folders into the input files, sorted by name.

    Folders contribute their resolution files (``.txt``, ``.docx``, ``.pdf``,
    ``.html``); a folder's README and hidden files are not inputs.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if (f.is_file() and f.suffix.lower() in INPUT_SUFFIXES and not f.name.startswith((".", "_"))
                        and not f.stem.upper().startswith("README")):
                    found.append(f)
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    if not found:
        raise InputError(", ".join(map(str, paths)) or ".", "no resolution files found (.txt, .docx, .pdf, .html)")
    return found


@dataclass
class Corpus:
    """What the reading stages produce for a set of inputs."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    recommendations: pd.DataFrame
    unplaced: pd.DataFrame
    summaries: list[dict] = field(default_factory=list)


def read_one(path: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame, dict]:
    """Read and segment one file: (documents row, paragraphs, unplaced, summary)."""
    doc = read_document(path)
    seg = segment(doc)
    paras = seg.paragraphs
    n_recs = int(paras["rec_id"].notna().sum())
    n_foot = int((paras["kind"] == "footnote").sum())
    doc_row = {
        "source_file": doc.source_file, "source_path": str(path), "source_sha256": doc.sha256,
        "source_format": doc.source_format, "encoding": doc.encoding, "converted": doc.converted,
        "resolution": seg.resolution, "resolution_title": seg.title, "acting_body": seg.acting_body,
        "n_lines": doc.n_lines, "n_debris": len(doc.debris), "n_unplaced": len(seg.unplaced),
        "text": seg.text,
    }
    summary = {
        "file": doc.source_file, "resolution": seg.resolution, "paragraphs": len(paras) - n_foot,
        "recommendations": n_recs, "footnotes": n_foot, "debris": len(doc.debris),
        "unplaced": len(seg.unplaced), "unplaced_lines": seg.unplaced["line"].tolist(),
        "converted": doc.converted,
    }
    return doc_row, paras, seg.unplaced, summary


def read_corpus(paths: list[str | Path] | str | Path = "data/raw") -> Corpus:
    """Read every input into one corpus; refuse the whole set on bad input."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = discover_inputs(list(paths))
    docs, paras, unplaced, summaries = [], [], [], []
    seen: dict[str, str] = {}
    for f in files:
        doc_row, p, u, summary = read_one(f)
        res = doc_row["resolution"]
        if res in seen:
            raise InputError(f, f"resolution {res} is also in {seen[res]}; keep one copy of each resolution "
                             "in the input folder", line=_resolution_line(f))
        seen[res] = str(f)
        docs.append(doc_row)
        paras.append(p)
        unplaced.append(u)
        summaries.append(summary)
    documents = pd.DataFrame(docs, columns=schema.DOCUMENTS.names)
    paragraphs = pd.concat(paras, ignore_index=True) if paras else schema.empty(schema.PARAGRAPHS)
    un = pd.concat(unplaced, ignore_index=True) if unplaced else schema.empty(schema.UNPLACED)
    schema.check(documents, schema.DOCUMENTS)
    schema.check(paragraphs, schema.PARAGRAPHS)
    recs = recommendations(paragraphs)
    logger.info("corpus: %d files, %d paragraphs, %d recommendations", len(files), len(paragraphs), len(recs))
    return Corpus(documents, paragraphs, recs, un, summaries)


def _resolution_line(path: Path) -> int | None:
    """Line of the resolution number (just before the first paragraph)."""
    from .read import decode_bytes, normalise_line  # local: only used for this message
    from .segment import RESOLUTION_RE

    if path.suffix.lower() != ".txt":
        return None
    text, _ = decode_bytes(path.read_bytes(), path)
    for no, line in enumerate(text.splitlines(), start=1):
        if RESOLUTION_RE.match(normalise_line(line)):
            return no
    return None


# --------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class RunSettings:
    """Settings of ``run``; the defaults are what ``cop-analysis run`` uses."""

    overrides: Path | None = Path("data/overrides.csv")


@dataclass
class RunResult:
    corpus: Corpus
    tables: dict[str, pd.DataFrame]
    written: list[Path]
    manifest: dict


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("cop-analysis", "pandas", "numpy", "pyarrow", "jieba", "scikit-learn", "matplotlib",
                 "networkx", "python-docx", "pdfplumber", "beautifulsoup4", "opencc-python-reimplemented"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    import platform

    out["python"] = platform.python_version()
    return out


def lexicon_versions() -> dict[str, str]:
    """Version of every rule/dictionary file, as recorded with each output."""
    from .segment import structure_rules

    versions = {"structure": structure_rules().version}
    try:
        from .lexicon import lexicon_version
    except ImportError:
        return versions
    versions["lexicon"] = lexicon_version()
    return versions


def build_manifest(corpus: Corpus, tables: dict[str, pd.DataFrame]) -> dict:
    from datetime import datetime, timezone

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"file": r.source_file, "path": r.source_path, "sha256": r.source_sha256,
             "resolution": r.resolution, "format": r.source_format, "converted": r.converted}
            for r in corpus.documents.itertuples()
        ],
        "lexicon_versions": lexicon_versions(),
        "package_versions": package_versions(),
        "tables": {name: {"rows": int(len(df)), "columns": list(map(str, df.columns))}
                   for name, df in tables.items()},
    }


def build_tables(corpus: Corpus, settings: RunSettings = RunSettings()) -> dict[str, pd.DataFrame]:
    """Every table of a run, from the corpus (no disk I/O but the rule files)."""
    return {
        "documents": corpus.documents,
        "paragraphs": corpus.paragraphs,
        "recommendations": corpus.recommendations,
        "unplaced": corpus.unplaced,
    }


def run(paths: list[str | Path] | str | Path = "data/raw", out_dir: str | Path = "data/processed",
        settings: RunSettings = RunSettings()) -> RunResult:
    """Read, classify, relate and write everything; refuse bad input before writing."""
    import json

    from .outputs import write_tables

    corpus = read_corpus(paths)
    tables = build_tables(corpus, settings)
    manifest = build_manifest(corpus, tables)
    written = write_tables(tables, out_dir, extra_files={
        "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=2)})
    return RunResult(corpus, tables, written, manifest)
