"""The pipeline: input files -> every table, in one direction.

    raw file -> read (decode, normalise, strip debris) -> segment (paragraphs,
    recommendations, footnotes) -> classify (actor, strength, theme) ->
    overlap + citations -> coverage -> write

The stages are declared in ``analysis.stages`` (what each reads and
makes) and run by ``analysis.engine`` (order, caches, workers, writer);
this module is the front door: ``read_corpus(paths)`` runs the reading
stages and returns a ``Corpus`` (what the notebooks start from);
``run(paths, out_dir)`` runs everything and writes the tables.

Inputs are refused as a whole: if any file is bad (empty, binary, not a
resolution, numbering that skips, the same resolution twice), the run stops
with an ``InputError`` naming the file and line before anything is written.

A rerun reads only new or changed inputs (``engine.store.CorpusStore``), in
a worker process while the stored ones are loaded, and writes the tables
while the corpus-level ones are computed (``engine.writer.TableWriter``);
the outputs are still replaced all at once, or not at all: each run writes
a generation of its own and switches to it in one step
(``engine.writer.OutputFolder``, which also keeps a second run out of the
folder meanwhile). A run that fails changes nothing in the output folder,
its cache included (``engine.store.CacheWrites``).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from . import config, formats, tables
from .engine import cache, parallel
from .engine.run import AUTO, Corpus, RunResult, RunSettings, run_pipeline
from .engine.store import CacheWrites
from .inputs import InputError
from .segment import recommendations
from .stages.read import read_one, summaries
from .stages.units import units as check_units

logger = logging.getLogger(__name__)

__all__ = ["AUTO", "Corpus", "RunResult", "RunSettings", "INPUT_SUFFIXES", "discover_inputs", "read_corpus",
           "run", "find_overrides", "resolve_overrides", "build_manifest", "code_fingerprint",
           "lexicon_versions", "package_versions"]

#: What a folder contributes: plain text plus every format ``analysis.formats`` reads.
INPUT_SUFFIXES = (".txt", *formats.supported_suffixes())


def discover_inputs(paths: list[str | Path]) -> list[Path]:
    """Expand files and folders into the input files, sorted by name.

    Folders contribute their resolution files (``.txt``, ``.docx``, ``.pdf``,
    ``.html``); a folder's README and hidden files are not inputs.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if not f.is_file() or f.name.startswith((".", "_")) or f.stem.upper().startswith("README"):
                    continue
                if f.suffix.lower() in INPUT_SUFFIXES:
                    found.append(f)
                else:  # say so: an analyst may have saved a resolution as .doc or .rtf
                    logger.warning("%s: skipped, not a resolution file type (%s); save it as .txt, .docx, "
                                   ".pdf or .html", f, ", ".join(INPUT_SUFFIXES))
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    if not found:
        raise InputError(", ".join(map(str, paths)) or ".", "no resolution files found (.txt, .docx, .pdf, .html)")
    return found


def read_corpus(paths: list[str | Path] | str | Path = config.RAW) -> Corpus:
    """Read every input into one corpus; refuse the whole set on bad input."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = discover_inputs(list(paths))
    docs, paras, unplaced = [], [], []
    for f in files:
        doc_row, p, u = read_one(f)
        docs.append(doc_row)
        paras.append(p)
        unplaced.append(u)
    documents = pd.DataFrame(docs, columns=tables.DOCUMENTS.names)
    check_units(documents)
    paragraphs = pd.concat(paras, ignore_index=True) if paras else tables.empty(tables.PARAGRAPHS)
    un = pd.concat(unplaced, ignore_index=True) if unplaced else tables.empty(tables.UNPLACED)
    tables.check(documents, tables.DOCUMENTS)
    tables.check(paragraphs, tables.PARAGRAPHS)
    recs = recommendations(paragraphs)
    logger.info("corpus: %d files, %d paragraphs, %d recommendations", len(files), len(paragraphs), len(recs))
    return Corpus(documents, paragraphs, recs, un, summaries(documents, paragraphs, un))


# --------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------

def package_versions() -> dict[str, str]:
    import platform
    from importlib import metadata

    out = {}
    for name in ("cop-analysis", "pandas", "numpy", "pyarrow", "jieba", "scikit-learn", "matplotlib",
                 "networkx", "python-docx", "pdfplumber", "beautifulsoup4", "opencc-python-reimplemented"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def lexicon_versions() -> dict[str, str]:
    """Version of every rule/dictionary file, as recorded with each output:
    ``rules`` covers every rule file; ``lexicon`` (the classification
    files) and ``structure`` (the reader's) are the versions the tables'
    rows carry."""
    from .lexicon import lexicon_version
    from .rules import rules_version
    from .structure import structure_rules

    return {"structure": structure_rules().version, "lexicon": lexicon_version(), "rules": rules_version()}


def find_overrides(paths: list[str | Path]) -> Path | None:
    """The corrections file of the inputs' project: ``data/overrides.csv``
    in the nearest folder above an input that has one (for ``data/raw/``,
    the project's, wherever the command is run from), else the one of the
    project this package is checked out in; None if there is neither.

    The README promises corrections "relative to the project": looking
    them up from the current folder, as before, skipped them silently when
    the command was run from anywhere else.
    """
    for p in map(Path, paths):
        start = p.resolve()
        start = start if start.is_dir() else start.parent
        for folder in (start, *start.parents):
            candidate = folder / config.OVERRIDES_NAME
            if candidate.is_file():
                return candidate
    candidate = config.PROJECT_DIR / config.OVERRIDES_NAME
    return candidate if candidate.is_file() else None


def resolve_overrides(overrides: Path | str | None, paths: list[str | Path]) -> Path | None:
    """``RunSettings.overrides`` as the file to apply; a file named but
    missing is an ``InputError`` (a correction must never be skipped silently)."""
    if overrides is None:
        return None
    if isinstance(overrides, str) and overrides == AUTO:
        return find_overrides(paths)
    path = Path(overrides)
    if not path.is_file():
        raise InputError(path, "no such overrides file" if not path.exists() else "the overrides file is a folder")
    return path


def code_fingerprint() -> str:
    """sha256 over the package's code, rule files and gold annotations (the
    whole package: what the outputs as a set depend on)."""
    return cache.fingerprint()


def build_manifest(corpus: Corpus, tables: dict[str, pd.DataFrame], notes: list[str] | None = None,
                   fingerprint: str | None = None) -> dict:
    """What a run's outputs were made from. ``fingerprint``: ``code_fingerprint()``, if known."""
    from datetime import datetime, timezone

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"file": r["source_file"], "path": r["source_path"], "sha256": r["source_sha256"],
             "units": list(r["units"]), "format": r["source_format"], "encoding": r["encoding"],
             "converted": r["converted"]}
            for r in corpus.documents[["source_file", "source_path", "source_sha256", "units", "source_format",
                                       "encoding", "converted"]].to_dict("records")
        ],
        "code_fingerprint": fingerprint or code_fingerprint(),
        "lexicon_versions": lexicon_versions(),
        "package_versions": package_versions(),
        "warnings": notes or [],
        "tables": {name: {"rows": int(len(df)), "columns": list(map(str, df.columns))}
                   for name, df in tables.items()},
    }


def run(paths: list[str | Path] | str | Path = config.RAW, out_dir: str | Path = config.PROCESSED,
        settings: RunSettings = RunSettings()) -> RunResult:
    """Read, classify, relate and write everything; refuse bad input before writing.

    The output folder is held from start to end (``engine.writer.OutputFolder``):
    a second run into it stops at once (``OutputBusy``), and this run's
    outputs replace the last run's in one step, or not at all. The cache is
    changed only by a run that succeeds (``CacheWrites``). The corrections
    file is checked before any input is read.
    """
    from .engine.writer import OutputFolder
    from .overrides import read_overrides

    if isinstance(paths, (str, Path)):
        paths = [paths]
    out_dir = Path(out_dir)
    overrides = resolve_overrides(settings.overrides, paths)
    settings = dataclasses.replace(settings, overrides=overrides)
    n_overrides = len(read_overrides(overrides)) if overrides is not None else 0
    if settings.cache and settings.cache_dir is None:
        settings = dataclasses.replace(settings, cache_dir=out_dir / ".cache")
    files = discover_inputs(list(paths))
    with OutputFolder(out_dir) as folder, parallel.gc_paused():
        writes = CacheWrites(settings.cache_dir) if settings.cache else None
        try:
            result = run_pipeline(files, folder, settings, writes, n_overrides, manifest_extra=build_manifest)
            if writes is not None:
                writes.commit()
        finally:
            if writes is not None:
                writes.abort()  # after a commit: nothing left to remove
    result.notes = folder.notes + result.notes
    result.overrides, result.overrides_rows = overrides, n_overrides
    return result
