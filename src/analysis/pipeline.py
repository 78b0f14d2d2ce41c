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

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import formats, schema
from .read import InputError, read_document
from .segment import recommendations, segment

logger = logging.getLogger(__name__)

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


@dataclass
class Corpus:
    """What the reading stages produce for a set of inputs."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    recommendations: pd.DataFrame
    unplaced: pd.DataFrame
    summaries: list[dict] = field(default_factory=list)
    citations: pd.DataFrame | None = None  # per-file citations, when the run made them


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
        _claim(seen, doc_row["resolution"], f)
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


def _claim(seen: dict[str, str], resolution: str, path: Path) -> None:
    """Refuse a second file holding the same resolution."""
    if resolution in seen:
        raise InputError(path, f"resolution {resolution} is also in {seen[resolution]}; keep one copy of each "
                         "resolution in the input folder", line=_resolution_line(path))
    seen[resolution] = str(path)


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
    """Settings of ``run``; the defaults are what ``cop-analysis run`` uses.

    ``overrides``: the analysts' corrections (CSV), applied on every run;
    ``cache``: reuse each input's read/segment/classify results while its
    bytes and the code, lexicons and annotations are unchanged.
    """

    overrides: Path | None = Path("data/overrides.csv")
    cache: bool = True
    progress: bool = True
    cache_dir: Path | None = None  # set by run(): <out>/.cache


@dataclass
class RunResult:
    corpus: Corpus
    tables: dict[str, pd.DataFrame]
    written: list[Path]
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    reused: int = 0


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
    from .lexicon import lexicon_version
    from .segment import structure_rules

    return {"structure": structure_rules().version, "lexicon": lexicon_version()}


_PACKAGE_DIR = Path(__file__).resolve().parent
_PROJECT_DIR = _PACKAGE_DIR.parents[1]


def code_fingerprint() -> str:
    """sha256 over the package's code, rule files and gold annotations: what a
    cached result depends on besides its input's bytes."""
    import hashlib

    h = hashlib.sha256()
    files = sorted(_PACKAGE_DIR.rglob("*.py")) + sorted((_PACKAGE_DIR / "lexicon").glob("*"))
    files += sorted((_PROJECT_DIR / "data" / "annotations").glob("*.csv"))
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


@dataclass
class FileResult:
    """Everything computed from one input alone (cached per content hash)."""

    doc_row: dict
    paragraphs: pd.DataFrame
    unplaced: pd.DataFrame
    summary: dict
    recommendations: pd.DataFrame
    provisions: pd.DataFrame
    citations: pd.DataFrame


def process_file(path: Path) -> FileResult:
    """Read, segment and classify one input."""
    return _classify_batch([(path, *read_one(path))])[0]


def _classify_batch(items: list[tuple]) -> list[FileResult]:
    """Classify the recommendations of several read inputs in one call.

    The classifier's cost is mostly per call (tables, model), not per row, so
    the inputs of a run that are not in the cache are classified together
    and split back per file afterwards.
    """
    from .citations import extract_citations
    from .classify import classify_recommendations

    if not items:
        return []
    recs_in = pd.concat([recommendations(paras) for _, _, paras, _, _ in items], ignore_index=True)
    recs, provisions = classify_recommendations(recs_in)
    out = []
    for path, doc_row, paras, unplaced, summary in items:
        res = doc_row["resolution"]
        mine = recs[recs["resolution"] == res].reset_index(drop=True)
        prov = provisions[provisions["rec_id"].isin(set(mine["rec_id"]))].reset_index(drop=True)
        out.append(FileResult(doc_row, paras, unplaced, summary, mine, prov, extract_citations(paras)))
    return out


def _cache_key(path: Path, fingerprint: str) -> str:
    from .read import file_sha256

    return f"{file_sha256(path)[:24]}-{fingerprint[:16]}.pkl"


def _load_cached(path: Path, target: Path) -> FileResult | None:
    import pickle

    if not target.exists():
        return None
    try:
        with open(target, "rb") as fh:
            result: FileResult = pickle.load(fh)
    except Exception as exc:  # a damaged cache entry is recomputed, not fatal
        logger.warning("cache entry %s unreadable (%s); recomputing", target.name, exc)
        return None
    # the same bytes may sit under another name or folder
    result.doc_row = {**result.doc_row, "source_file": path.name, "source_path": str(path)}
    for df in (result.paragraphs, result.recommendations, result.unplaced):
        if "source_file" in df:
            df["source_file"] = path.name
    result.summary = {**result.summary, "file": path.name}
    return result


def _store_cached(result: FileResult, target: Path) -> None:
    import pickle

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(target)


def process_corpus(paths, out_dir: Path, settings: RunSettings) -> tuple[Corpus, pd.DataFrame, pd.DataFrame, int]:
    """Per-file stages for every input (reusing cached results); refuse the
    whole set on bad input. Returns the corpus, classified recommendations,
    provisions and how many files came from the cache."""
    from tqdm.auto import tqdm

    files = discover_inputs(list(paths))
    cache_dir = (settings.cache_dir or out_dir / ".cache") if settings.cache else None
    fingerprint = code_fingerprint() if settings.cache else ""
    results: dict[int, FileResult] = {}
    pending: list[tuple[int, Path, str | None, tuple]] = []
    seen: dict[str, str] = {}
    for i, f in enumerate(tqdm(files, desc="reading", unit="file", disable=not settings.progress or len(files) < 5)):
        target = cache_dir / _cache_key(f, fingerprint) if cache_dir is not None else None
        cached = _load_cached(f, target) if target is not None else None
        if cached is not None:
            results[i] = cached
            _claim(seen, cached.doc_row["resolution"], f)
            continue
        read = read_one(f)
        _claim(seen, read[0]["resolution"], f)
        pending.append((i, f, target, read))
    reused = len(results)
    batch = 200  # bounded memory for very large first runs
    for start in tqdm(range(0, len(pending), batch), desc="classifying", unit="batch",
                      disable=not settings.progress or len(pending) <= batch):
        chunk = pending[start:start + batch]
        for (i, f, target, _), result in zip(chunk, _classify_batch([(f, *read) for _, f, _, read in chunk])):
            results[i] = result
            if target is not None:
                _store_cached(result, target)
    ordered = [results[i] for i in range(len(files))]
    documents = pd.DataFrame([r.doc_row for r in ordered], columns=schema.DOCUMENTS.names)
    paragraphs = pd.concat([r.paragraphs for r in ordered], ignore_index=True)
    unplaced = pd.concat([r.unplaced for r in ordered], ignore_index=True)
    recs = pd.concat([r.recommendations for r in ordered], ignore_index=True)
    provisions = pd.concat([r.provisions for r in ordered], ignore_index=True)
    corpus_citations = pd.concat([r.citations for r in ordered], ignore_index=True)
    schema.check(documents, schema.DOCUMENTS)
    schema.check(paragraphs, schema.PARAGRAPHS)
    schema.check(recs, schema.RECOMMENDATIONS)
    corpus = Corpus(documents, paragraphs, recs, unplaced, [r.summary for r in ordered], corpus_citations)
    if cache_dir is not None:
        _prune_cache(cache_dir, fingerprint)
    logger.info("corpus: %d files (%d from cache), %d paragraphs, %d recommendations",
                len(files), reused, len(paragraphs), len(recs))
    return corpus, recs, provisions, reused


def _prune_cache(cache_dir: Path, fingerprint: str) -> None:
    """Drop cache entries made by other code or rule versions."""
    for f in cache_dir.glob("*.pkl"):
        if not f.name.startswith("overlap-") and not f.stem.endswith(fingerprint[:16]):
            f.unlink(missing_ok=True)


def build_manifest(corpus: Corpus, tables: dict[str, pd.DataFrame], notes: list[str] | None = None) -> dict:
    from datetime import datetime, timezone

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"file": r.source_file, "path": r.source_path, "sha256": r.source_sha256,
             "resolution": r.resolution, "format": r.source_format, "encoding": r.encoding,
             "converted": r.converted}
            for r in corpus.documents.itertuples()
        ],
        "code_fingerprint": code_fingerprint(),
        "lexicon_versions": lexicon_versions(),
        "package_versions": package_versions(),
        "warnings": notes or [],
        "tables": {name: {"rows": int(len(df)), "columns": list(map(str, df.columns))}
                   for name, df in tables.items()},
    }


def corpus_tables(corpus: Corpus, recs: pd.DataFrame, provisions: pd.DataFrame,
                  settings: RunSettings = RunSettings()) -> tuple[dict[str, pd.DataFrame], list[str], object]:
    """The corpus-level stages: overrides, overlap, citations, term counts.

    Returns the tables, the warnings to show, and the citation graph."""
    from .citations import citation_graph, extract_citations
    from .overrides import apply_overrides, read_overrides, review_queue
    from .tokenise import term_frequencies

    warnings: list[str] = []
    if settings.overrides is not None and Path(settings.overrides).exists():
        recs, warnings = apply_overrides(recs, read_overrides(settings.overrides))
    pairs, clusters = _overlap(recs, settings)
    citations = corpus.citations if corpus.citations is not None else extract_citations(corpus.paragraphs)
    graph = citation_graph(citations)
    tables = {
        "documents": corpus.documents,
        "paragraphs": corpus.paragraphs,
        "recommendations": recs,
        "provisions": provisions,
        "unplaced": corpus.unplaced,
        "review_queue": review_queue(recs),
        "overlap": pairs,
        "clusters": clusters,
        "citations": citations,
        "term_frequencies": term_frequencies(recs, by="resolution"),
    }
    _report_unmatched(recs)
    return tables, warnings, graph


def _overlap(recs: pd.DataFrame, settings: RunSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Overlap pairs and clusters, reused while the recommendations' texts,
    the code and the rules are unchanged (a rerun with nothing new, a brief
    for a resolution already in the corpus)."""
    import hashlib
    import os
    import pickle

    from .overlap import OverlapSettings, overlap_clusters, overlap_pairs

    ov_settings = OverlapSettings(n_jobs=min(2, os.cpu_count() or 1))
    target = None
    if settings.cache and settings.cache_dir is not None:
        h = hashlib.sha256(code_fingerprint().encode())
        for rid, text in zip(recs["rec_id"], recs["text"]):
            h.update(f"{rid}\x1f{text}\x1e".encode())
        target = Path(settings.cache_dir) / f"overlap-{h.hexdigest()[:24]}.pkl"
        if target.exists():
            try:
                with open(target, "rb") as fh:
                    return pickle.load(fh)
            except Exception as exc:
                logger.warning("overlap cache %s unreadable (%s); recomputing", target.name, exc)
    pairs = overlap_pairs(recs, ov_settings)
    clusters = overlap_clusters(recs, pairs, ov_settings)
    if target is not None:
        for old in target.parent.glob("overlap-*.pkl"):
            old.unlink(missing_ok=True)
        _store_cached((pairs, clusters), target)
    return pairs, clusters


def _report_unmatched(recs: pd.DataFrame) -> None:
    """Say what matched nothing instead of dropping it."""
    n = len(recs)
    if not n:
        return
    for col, what in (("actor_group", "actor"), ("strength_family", "strength"), ("primary_theme", "theme")):
        if col in recs:
            missing = int(recs[col].isna().sum())
            if missing:
                logger.warning("%d of %d recommendations have no %s", missing, n, what)


def run(paths: list[str | Path] | str | Path = "data/raw", out_dir: str | Path = "data/processed",
        settings: RunSettings = RunSettings()) -> RunResult:
    """Read, classify, relate and write everything; refuse bad input before writing."""
    import json

    import networkx as nx

    from .outputs import write_tables

    if isinstance(paths, (str, Path)):
        paths = [paths]
    out_dir = Path(out_dir)
    if settings.cache and settings.cache_dir is None:
        settings = dataclasses.replace(settings, cache_dir=out_dir / ".cache")
    corpus, recs, provisions, reused = process_corpus(paths, out_dir, settings)
    tables, warnings, graph = corpus_tables(corpus, recs, provisions, settings)
    corpus.recommendations = tables["recommendations"]
    manifest = build_manifest(corpus, tables, warnings)
    graphml = "<?xml version='1.0' encoding='utf-8'?>\n" + "\n".join(nx.generate_graphml(_graphml_ready(graph)))
    written = write_tables(tables, out_dir, extra_files={
        "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=2),
        "citations.graphml": graphml,
    })
    return RunResult(corpus, tables, written, manifest, warnings, reused)


def _graphml_ready(graph):
    """GraphML holds scalars only: lists and dicts become text."""
    g = graph.copy()
    for _, data in list(g.nodes(data=True)) + [(None, d) for *_, d in g.edges(data=True)]:
        for k, v in list(data.items()):
            if v is None:
                del data[k]
            elif not isinstance(v, (str, int, float, bool)):
                data[k] = "|".join(map(str, v)) if isinstance(v, (list, tuple, set)) else str(v)
    return g
