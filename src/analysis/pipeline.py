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

A rerun reads only new or changed inputs (``CorpusStore``), in a worker
process while the stored ones are loaded, and writes the tables while the
corpus-level ones are computed (``outputs.TableWriter``); the outputs are
still replaced all at once, or not at all: each run writes a generation of
its own and switches to it in one step (``outputs.OutputFolder``, which
also keeps a second run out of the folder meanwhile). A run that fails
changes nothing in the output folder, its cache included (``CacheWrites``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Callable

import pandas as pd

from . import formats, schema
from .inputs import InputError
from .read import read_document
from .bodies import unit_name
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
    seg = segment(doc, validate=False)  # the callers check the concatenated tables
    paras = seg.paragraphs
    n_recs = int(paras["rec_id"].notna().sum())
    n_foot = int((paras["kind"] == "footnote").to_numpy().sum())
    n_report = int((paras["kind"] == "report").to_numpy().sum())
    doc_row = {
        "source_file": doc.source_file, "source_path": str(path), "source_sha256": doc.sha256,
        "source_format": doc.source_format, "encoding": doc.encoding, "converted": doc.converted,
        "units": [u.key for u in seg.units], "unit_lines": [u.line_start for u in seg.units],
        "is_report": seg.is_report, "n_folded": doc.n_folded,
        "n_lines": doc.n_lines, "n_debris": len(doc.debris), "n_unplaced": len(seg.unplaced),
        "text": seg.text,
    }
    summary = {
        "file": doc.source_file, "units": [(u.kind, u.key) for u in seg.units],
        "paragraphs": len(paras) - n_foot - n_report, "report_paragraphs": n_report,
        "recommendations": n_recs, "footnotes": n_foot, "debris": len(doc.debris),
        "unplaced": len(seg.unplaced), "unplaced_lines": seg.unplaced["line"].tolist(),
        "converted": doc.converted, "folded": doc.n_folded,
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
        _claim(seen, doc_row, f)
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


def _claim(seen: dict[str, str], doc_row: dict, path: Path) -> None:
    """Refuse a second copy of a resolution or decision (in another file, or
    in a session report and a file of its own)."""
    for key, line in zip(doc_row["units"], doc_row["unit_lines"]):
        if key in seen:
            raise InputError(path, f"{unit_name(key, 'en')} ({key}) is also in {seen[key]}; keep one copy of each "
                             "resolution and decision in the input folder", line=int(line))
        seen[key] = str(path)


# --------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------

#: ``RunSettings.overrides``: the corrections of the inputs' project (``find_overrides``).
AUTO = "auto"


@dataclass(frozen=True)
class RunSettings:
    """Settings of ``run``; the defaults are what ``cop-analysis run`` uses.

    ``overrides``: the analysts' corrections (CSV), applied on every run:
    ``AUTO`` for the project's ``data/overrides.csv`` (``find_overrides``),
    a path (which must exist), or None for none;
    ``cache``: reuse each input's read/segment/classify results while its
    bytes and the code, lexicons and annotations are unchanged.
    """

    overrides: Path | str | None = AUTO
    cache: bool = True
    progress: bool = True
    cache_dir: Path | None = None  # set by run(): <out>/.cache
    #: Worker processes for reading and classifying new inputs and for the
    #: overlap stage (1: none; 0: one per core, at most 4). The overlap stage
    #: uses at most 2: each of its workers holds a similarity block.
    jobs: int = 0

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else min(4, os.cpu_count() or 1)


@dataclass
class RunResult:
    """What a run made. ``notes``: what it found and put right in the output
    folder (an interrupted run's leftovers, damaged or missing outputs);
    ``kept``: the tables whose files of the last run were kept (same
    content); ``overrides``: the corrections file applied (None: none) and
    its rows."""

    corpus: Corpus
    tables: dict[str, pd.DataFrame]
    written: list[Path]
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    reused: int = 0
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    overrides: Path | None = None
    overrides_rows: int = 0


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
    from .structure import structure_rules

    from .rules import rules_version

    return {"structure": structure_rules().version, "lexicon": lexicon_version(), "rules": rules_version()}


_PACKAGE_DIR = Path(__file__).resolve().parent
_PROJECT_DIR = _PACKAGE_DIR.parents[1]


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
            candidate = folder / "data" / "overrides.csv"
            if candidate.is_file():
                return candidate
    candidate = _PROJECT_DIR / "data" / "overrides.csv"
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


#: The modules each cached stage's results depend on (besides the rule files
#: and annotations). A test checks these lists against what the stages import,
#: so that editing, say, the chart code keeps the cache of a large corpus.
_INPUT_MODULES = ("__init__", "pipeline", "inputs", "text", "structure", "read", "formats", "numerals", "segment",
                  "schema", "rules", "lexicon", "bodies", "tokenise", "classify", "crime_areas", "citations")
STAGE_MODULES = {"inputs": _INPUT_MODULES,
                 "overlap": (*_INPUT_MODULES, "engine", "engine.cache", "engine.parallel", "overlap",
                             *(f"overlap.{p.stem}" for p in sorted((_PACKAGE_DIR / "overlap").glob("*.py"))
                               if p.stem != "__init__"))}


def code_fingerprint(stage: str | None = None) -> str:
    """sha256 over the package's code, rule files and gold annotations: what a
    cached result depends on besides its input's bytes. ``stage`` ("inputs",
    "overlap") narrows the code to the modules of that stage; None takes all."""
    import hashlib

    h = hashlib.sha256()
    if stage is None:
        code = sorted(_PACKAGE_DIR.rglob("*.py"))
    else:
        code = [_PACKAGE_DIR.joinpath(*m.split(".")).with_suffix(".py") for m in STAGE_MODULES[stage]]
        code += [_PACKAGE_DIR.joinpath(*m.split("."), "__init__.py") for m in STAGE_MODULES[stage]]  # packages
    files = code + sorted((_PACKAGE_DIR / "lexicon").glob("*"))
    files += sorted((_PROJECT_DIR / "data" / "annotations").glob("*.csv"))
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


#: Tables computed from one input alone; the corpus store keeps them per input.
FILE_TABLES = ("paragraphs", "unplaced", "recommendations", "provisions", "citations")
#: Hidden column tying a stored row to its input (sha256 of the bytes); never written out.
_KEY = "_input_sha256"
#: Inputs processed (read, classified, stored) together: bounds memory on a first run.
BATCH_FILES = 200


@dataclass
class FileBatch:
    """The per-input results of several inputs, concatenated (one corpus-store chunk).

    ``files`` maps each input's sha256 to its documents row and run summary;
    every table of ``tables`` carries the input's sha256 in column ``_KEY``
    (None while a stored chunk's tables are not read yet).
    """

    files: dict[str, dict]
    tables: dict[str, pd.DataFrame] | None


def _process_batch(items: list[tuple[Path, str, tuple]]) -> FileBatch:
    """Classify and cite the read inputs ``(path, sha256, read_one(path))`` in one call.

    The classifier's and the citation extractor's costs are mostly per call
    (tables, model, patterns), not per row, so the inputs of a run that are
    not in the store go through them together.
    """
    from .citations import extract_citations
    from .classify import classify_recommendations

    paras = pd.concat([read[1] for _, _, read in items], ignore_index=True)
    unplaced = pd.concat([read[2] for _, _, read in items], ignore_index=True)
    recs, provisions = classify_recommendations(recommendations(paras))
    # A session report's own text (cover, contents, narrative) is no resolution's: not cited from.
    citations = extract_citations(paras[paras["kind"] != "report"].reset_index(drop=True))
    # Rows -> input: para_ids are unique per run (units are refused twice, report
    # text is keyed by its file), source files are unique by name.
    by_para = dict(zip(paras["para_id"], paras["source_sha256"]))
    by_file = {read[0]["source_file"]: sha for _, sha, read in items}
    paras[_KEY] = paras["source_sha256"]
    recs[_KEY] = recs["source_sha256"]
    unplaced[_KEY] = unplaced["source_file"].map(by_file)
    citations[_KEY] = citations["para_id"].map(by_para)
    rec_res = dict(zip(recs["rec_id"], recs[_KEY]))
    provisions[_KEY] = provisions["rec_id"].map(rec_res)
    tables = {"paragraphs": paras, "unplaced": unplaced, "recommendations": recs,
              "provisions": provisions, "citations": citations}
    for name, df in tables.items():
        if df[_KEY].isna().any():  # a broken invariant, not bad input
            raise RuntimeError(f"{name}: rows not traceable to their input")
    files = {sha: {"doc_row": read[0], "summary": read[3]} for _, sha, read in items}
    return FileBatch(files, tables)


class CacheWrites:
    """The cache files a run adds and removes, applied only when it succeeds.

    New files are written into ``<cache>/.staging-<id>/`` (``path(name)``)
    and removals are only recorded (``remove``); ``commit``, once the
    outputs are switched in, does the removals and moves the new files in.
    A failed run calls ``abort`` and leaves the cache as it found it (a run
    refused for a bad input used to remove the stored results of every
    input it did not hold); a killed one leaves its staging folder, which
    the next run removes (``outputs.OutputFolder``). With ``staged=False``
    files are written and removed at once (a store used on its own).
    """

    def __init__(self, cache_dir: str | Path, *, staged: bool = True):
        import uuid

        self.dir = Path(cache_dir)
        self.staging = self.dir / f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}" if staged else None
        self.staged: dict[str, Path] = {}
        self.removed: set[str] = set()

    def path(self, name: str) -> Path:
        """Where to write the cache file ``name``."""
        if self.staging is None:
            return self.dir / name
        self.staging.mkdir(parents=True, exist_ok=True)
        self.staged[name] = self.staging / name
        return self.staged[name]

    def remove(self, path: Path) -> None:
        path = Path(path)
        if self.staging is None or path.parent == self.staging:  # nobody else has seen it
            path.unlink(missing_ok=True)
            self.staged.pop(path.name, None)
        else:
            self.removed.add(path.name)

    def commit(self) -> None:
        # Removals first: a file removed and written again under its name
        # (a damaged overlap result recomputed) ends up as the new one.
        for name in self.removed:
            (self.dir / name).unlink(missing_ok=True)
        for name, staged in self.staged.items():
            if staged.exists():
                os.replace(staged, self.dir / name)
        self.abort()

    def abort(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staged, self.removed = {}, set()


class CorpusStore:
    """Per-input results kept between runs, in chunks under ``<out>/.cache``.

    A chunk (``corpus-<fingerprint>-<id>.pkl``) holds the inputs processed
    together in one run, as a few concatenated tables: loading a corpus of a
    thousand resolutions is a handful of reads, and adding one resolution
    writes one small chunk. A chunk is two pickles: a header (which inputs,
    their documents rows) read by ``load``, then the tables, read by
    ``load_tables``, so that a run knows what is new before the long read.
    Chunks made by other code, lexicon or annotation versions
    (``code_fingerprint``) are removed; so are chunks none of whose inputs
    is in the run any more. Files are added and removed through
    ``writes`` (``CacheWrites``: by default at once), so that ``run``
    changes the store only if it succeeds.
    """

    def __init__(self, cache_dir: Path, fingerprint: str, writes: CacheWrites | None = None):
        self.dir = Path(cache_dir)
        self.tag = fingerprint[:16]
        self.writes = writes if writes is not None else CacheWrites(cache_dir, staged=False)
        self.chunks: dict[Path, FileBatch] = {}  # tables None until load_tables
        self.where: dict[str, Path] = {}  # input sha256 -> chunk holding it

    def load(self) -> "CorpusStore":
        """Read the chunks' headers."""
        import pickle

        if not self.dir.is_dir():
            return self
        for f in sorted(self.dir.glob("corpus-*.pkl")):
            if not f.name.startswith(f"corpus-{self.tag}-"):
                self.writes.remove(f)  # another code or rule version
                continue
            try:
                with open(f, "rb") as fh:
                    files: dict[str, dict] = pickle.load(fh)
            except Exception as exc:  # a damaged chunk is recomputed, not fatal
                self._drop(f, exc)
                continue
            self.chunks[f] = FileBatch(files, None)
            for sha in files:
                self.where.setdefault(sha, f)
        for old in self.dir.glob("*-*.pkl"):  # per-file entries of earlier versions
            if not old.name.startswith(("corpus-", "overlap-", "memo-")):
                self.writes.remove(old)
        return self

    def load_tables(self) -> set[str]:
        """Read the tables of the chunks read by ``load``. Returns the inputs
        whose chunk turned out damaged (removed; they must be processed again)."""
        import pickle

        lost: set[str] = set()
        for f, batch in list(self.chunks.items()):
            if batch.tables is not None:
                continue
            try:
                with open(f, "rb") as fh:
                    pickle.load(fh)  # the header, read already
                    batch.tables = pickle.load(fh)
            except Exception as exc:
                lost |= set(batch.files)
                self._drop(f, exc)
        return lost

    def _drop(self, f: Path, exc: Exception) -> None:
        logger.warning("cache chunk %s unreadable (%s); its inputs are recomputed", f.name, exc)
        self.writes.remove(f)
        batch = self.chunks.pop(f, None)
        for sha in batch.files if batch is not None else ():
            if self.where.get(sha) == f:
                del self.where[sha]

    def add(self, batch: FileBatch) -> None:
        import uuid

        target = self.writes.path(f"corpus-{self.tag}-{uuid.uuid4().hex[:12]}.pkl")
        _pickle_atomic(target, batch.files, batch.tables)
        self.chunks[target] = batch
        for sha in batch.files:
            self.where.setdefault(sha, target)

    #: Chunks of fewer inputs than this count as small; past ``COMPACT_AFTER``
    #: small chunks (a resolution added at a time), they are merged into one.
    SMALL = 50
    COMPACT_AFTER = 8

    def compact(self) -> None:
        """Merge the small chunks into one, once there are more than
        ``COMPACT_AFTER``: each chunk costs a read and a concatenation per run."""
        small = [f for f, b in self.chunks.items() if len(b.files) < self.SMALL and b.tables is not None]
        if len(small) <= self.COMPACT_AFTER:
            return
        batches = [self.chunks.pop(f) for f in small]
        merged = FileBatch({sha: info for b in batches for sha, info in b.files.items()},
                           {name: pd.concat([b.tables[name] for b in batches], ignore_index=True)
                            for name in batches[0].tables})
        self.where = {sha: f for sha, f in self.where.items() if f not in small}
        self.add(merged)
        for f in small:
            self.writes.remove(f)
        logger.info("cache: %d small chunks merged into one", len(small))

    def prune(self, keep: set[str]) -> None:
        """Remove chunks holding none of the inputs ``keep``."""
        for f, batch in list(self.chunks.items()):
            if not keep & set(batch.files):
                self.writes.remove(f)
                del self.chunks[f]


def process_file(path: Path) -> FileBatch:
    """Read, segment, classify and cite one input."""
    from .inputs import file_sha256

    return _read_batch([(Path(path), file_sha256(path))])


def _read_batch(items: list[tuple[Path, str]]) -> FileBatch:
    """Read and process inputs ``(path, sha256)``; raises InputError on the first bad one."""
    return _process_batch([(f, sha, read_one(f)) for f, sha in items])


def _batches(items: list, jobs: int) -> list[list]:
    """Split ``items`` into batches of at most BATCH_FILES, at least two per worker."""
    if not items:
        return []
    per = max(1, min(BATCH_FILES, -(-len(items) // (2 * jobs)) if jobs > 1 else BATCH_FILES))
    return [items[i:i + per] for i in range(0, len(items), per)]


#: Fewer new inputs than this are processed in the main process (a pool costs
#: more), unless the store is being read meanwhile.
PARALLEL_MIN_FILES = 40


class _Processing:
    """FileBatch after FileBatch for the ``pending`` inputs, in input order
    (iterate once; ``close`` when done).

    With ``jobs`` > 1 (and fork available) the batches are read and
    classified in forked workers, which start at once: the main process
    reads the corpus store meanwhile (``beside_store``), which is why even
    one new input goes to a worker then. For many inputs the tokeniser and
    the trained theme model are loaded before the fork, once for all
    workers. An input error surfaces when its batch's turn comes, so the
    first bad input in input order is the one reported.
    """

    def __init__(self, pending: list[tuple[Path, str]], jobs: int, *, beside_store: bool = False):
        import multiprocessing as mp

        self.batches = _batches(pending, jobs)
        self.pool = self.results = None
        many = len(pending) >= PARALLEL_MIN_FILES
        if jobs <= 1 or not pending or not (many or beside_store) or "fork" not in mp.get_all_start_methods():
            return
        if many:
            from .classify import ClassifySettings, trained_model
            from .tokenise import get_tokeniser

            get_tokeniser(backend=ClassifySettings().backend).cut("各国")
            trained_model(ClassifySettings())
        self.pool = mp.get_context("fork").Pool(min(jobs, len(self.batches)))
        self.results = self.pool.imap(_read_batch, self.batches)

    def __iter__(self):
        if self.pool is None:
            return (_read_batch(batch) for batch in self.batches)
        return iter(self.results)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def process_corpus(paths, out_dir: Path, settings: RunSettings, *, writes: CacheWrites | None = None,
                   ) -> tuple[Corpus, pd.DataFrame, pd.DataFrame, int]:
    """Per-file stages for every input (reusing stored results); refuse the
    whole set on bad input. Returns the corpus, classified recommendations,
    provisions and how many files came from the store. ``writes``: how the
    store's files are added and removed (``CacheWrites``; default: at once)."""
    from tqdm.auto import tqdm

    from .inputs import file_sha256

    files = discover_inputs(list(paths))
    shas = [file_sha256(f) for f in files]
    store = None
    if settings.cache:
        store = CorpusStore(settings.cache_dir or out_dir / ".cache", code_fingerprint("inputs"), writes).load()
        store.prune(set(shas))
    pending = [(f, sha) for f, sha in zip(files, shas) if store is None or sha not in store.where]
    work = _Processing(pending, settings.workers, beside_store=store is not None and bool(store.chunks))
    try:
        if store is not None:
            lost = store.load_tables()  # while new inputs are read in workers
            if lost:
                work.close()
                pending = [(f, sha) for f, sha in zip(files, shas) if sha not in store.where]
                work = _Processing(pending, settings.workers)
        if work.pool is not None:
            # While the workers finish: the similarity stage's modules (SciPy)
            # take a few tenths of a second to import, which the run needs next.
            import_module(f"{__package__}.overlap")
        seen: dict[str, str] = {}
        files_info: dict[str, dict] = {}
        for f, sha in zip(files, shas):
            if store is not None and sha in store.where:
                info = store.chunks[store.where[sha]].files[sha]
                _claim(seen, info["doc_row"], f)
                files_info[sha] = info
        new_batches: list[FileBatch] = []
        with tqdm(total=len(pending), desc="reading", unit="file",
                  disable=not settings.progress or len(pending) < 5) as bar:
            for batch in work:
                for info in batch.files.values():
                    _claim(seen, info["doc_row"], Path(info["doc_row"]["source_path"]))
                new_batches.append(batch)
                files_info.update(batch.files)
                if store is not None:
                    store.add(batch)
                bar.update(len(batch.files))
    finally:
        work.close()
    if store is not None:
        store.compact()
    reused = len(files) - len(pending)
    if store is not None:  # chunks in input order, so that their rows rarely need reordering
        rank = {sha: i for i, sha in enumerate(shas)}
        batches = sorted(store.chunks.values(), key=lambda b: min((rank.get(sha, len(shas)) for sha in b.files),
                                                                   default=len(shas)))
    else:
        batches = new_batches
    tables = _assemble(batches, files, shas)
    # The batches' frames are now copied into the corpus tables: let them go
    # (on a large corpus they are hundreds of megabytes).
    del batches, new_batches
    if store is not None:
        store.chunks.clear()
    ordered = [files_info[sha] for sha in shas]
    documents = pd.DataFrame([{**i["doc_row"], "source_file": f.name, "source_path": str(f)}
                              for i, f in zip(ordered, files)], columns=schema.DOCUMENTS.names)
    summaries = [{**i["summary"], "file": f.name} for i, f in zip(ordered, files)]
    paragraphs, recs = tables["paragraphs"], tables["recommendations"]
    schema.check(documents, schema.DOCUMENTS)
    schema.check(paragraphs, schema.PARAGRAPHS)
    schema.check(recs, schema.RECOMMENDATIONS)
    corpus = Corpus(documents, paragraphs, recs, tables["unplaced"], summaries, tables["citations"])
    logger.info("corpus: %d files (%d from cache), %d paragraphs, %d recommendations",
                len(files), reused, len(paragraphs), len(recs))
    return corpus, recs, tables["provisions"], reused


def _assemble(batches: list[FileBatch], files: list[Path], shas: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of the run's inputs, in input order (each input's rows in their
    own order), with file names as they are now (the same bytes may have been
    stored under another name)."""
    import numpy as np

    order = {sha: i for i, sha in enumerate(shas)}
    name = {sha: f.name for f, sha in zip(files, shas)}
    owner: dict[str, int] = {}  # sha -> the batch its rows are taken from
    for k, b in enumerate(batches):
        for sha in b.files:
            if sha in order:
                owner.setdefault(sha, k)
    out: dict[str, pd.DataFrame] = {}
    for table in FILE_TABLES:
        parts = []
        for k, b in enumerate(batches):
            df = b.tables[table]
            mine = [sha for sha in b.files if owner.get(sha) == k]
            if len(mine) == len(b.files):
                parts.append(df)
            elif mine:
                parts.append(df[df[_KEY].isin(mine)])
        df = pd.concat(parts, ignore_index=True) if parts else batches[0].tables[table].iloc[:0]
        if len(df):
            codes, keys = pd.factorize(df[_KEY])
            rank = np.array([order[k] for k in keys], dtype=np.int64)[codes]
            if (np.diff(rank) < 0).any():  # not in input order yet (a new input among stored ones)
                perm = np.argsort(rank, kind="stable")
                df, codes = _reordered(df, perm), codes[perm]
            if "source_file" in df.columns:
                names = pd.array([name[k] for k in keys], dtype=df["source_file"].dtype)
                df["source_file"] = names.take(codes)
        out[table] = df.drop(columns=[_KEY]).reset_index(drop=True)
    return out


def _reordered(df: pd.DataFrame, perm) -> pd.DataFrame:
    """``df.iloc[perm]`` with a fresh index. A new input among stored ones
    makes ``perm`` a few runs of consecutive rows: those are sliced and
    concatenated, which for Arrow-backed text copies nothing."""
    import numpy as np

    starts = np.flatnonzero(np.diff(perm) != 1) + 1
    if len(starts) > 64:
        return df.iloc[perm].reset_index(drop=True)
    bounds = np.r_[0, starts, len(perm)]
    return pd.concat([df.iloc[perm[lo]:perm[hi - 1] + 1] for lo, hi in zip(bounds[:-1], bounds[1:])],
                     ignore_index=True)


def _pickle_atomic(target: Path, *objs) -> None:
    """Pickle ``objs`` one after the other into ``target``, which appears whole or not at all."""
    import pickle

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for obj in objs:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(target)


def build_manifest(corpus: Corpus, tables: dict[str, pd.DataFrame], notes: list[str] | None = None, *,
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


def corpus_tables(corpus: Corpus, recs: pd.DataFrame, provisions: pd.DataFrame,
                  settings: RunSettings = RunSettings(), *,
                  ready: Callable[[str, pd.DataFrame], None] | None = None,
                  later: Callable[[Callable[[], None]], None] | None = None,
                  writes: CacheWrites | None = None, unchanged_from: Path | None = None,
                  ) -> tuple[dict[str, pd.DataFrame], list[str], object]:
    """The corpus-level stages: overrides, overlap, citations, term counts, precedents.

    ``unchanged_from``: the last run's folder when this run's inputs, code,
    rules and overrides are the same as its (``run`` knows): its precedents
    table is then read back instead of computed again (on a large corpus,
    seconds of a rerun), and computed if it cannot be read.

    ``ready(name, table)`` is called as each corpus-level table is final
    (``run`` starts writing it then); ``later(task)`` runs the writing of
    cache files in the background (``run``'s writer waits for it), through
    ``writes`` (``CacheWrites``; default: at once).

    Returns the tables, the warnings to show, and the citation graph's
    nodes and edges (``citations.citation_network``)."""
    from .citations import citation_network, extract_citations
    from .outputs import read_table
    from .overrides import apply_overrides, read_overrides, review_queue
    from .precedents import precedents
    from .tokenise import term_frequencies

    warnings: list[str] = []
    if _overrides_apply(settings):
        recs, warnings = apply_overrides(recs, read_overrides(settings.overrides))
    tables = {"documents": corpus.documents, "paragraphs": corpus.paragraphs, "recommendations": recs,
              "provisions": provisions, "unplaced": corpus.unplaced}

    def add(name: str, table: pd.DataFrame) -> None:
        tables[name] = table
        if ready is not None:
            ready(name, table)

    pairs, clusters = _overlap(recs, settings, later, writes)
    add("overlap", pairs)  # the largest table: written first
    add("clusters", clusters)
    add("review_queue", review_queue(recs))
    if corpus.citations is not None:
        tables["citations"] = corpus.citations  # per-input, like the first five
    else:
        add("citations", extract_citations(corpus.paragraphs))
    graph = citation_network(tables["citations"])
    add("term_frequencies", term_frequencies(recs, by="resolution"))
    prec = None
    if unchanged_from is not None:
        try:
            prec = read_table(unchanged_from, "precedents")
        except Exception as exc:  # damaged or missing: make it again
            logger.info("precedents of the last run not reused (%s)", exc)
    add("precedents", prec if prec is not None else precedents(recs, pairs))
    _report_unmatched(recs)
    order = ("documents", "paragraphs", "recommendations", "provisions", "unplaced", "review_queue", "overlap",
             "clusters", "citations", "term_frequencies", "precedents")
    return {name: tables[name] for name in order}, warnings, graph


def _overrides_apply(settings: RunSettings) -> bool:
    """Whether the run applies an overrides file (it changes the recommendations)."""
    return settings.overrides not in (None, AUTO) and Path(settings.overrides).is_file()


def _overlap(recs: pd.DataFrame, settings: RunSettings, later: Callable[[Callable[[], None]], None] | None = None,
             writes: CacheWrites | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Overlap pairs and clusters, reused while the recommendations' texts,
    the code and the rules are unchanged (a rerun with nothing new, a brief
    for a resolution already in the corpus). ``later(task)``, if given, runs
    the writing of the cache files (``task()``) in the background."""
    import hashlib
    import pickle

    from .engine.cache import pickle_atomic, read_pickles
    from .overlap import OverlapMemo, OverlapSettings, overlap_clusters, overlap_pairs

    ov_settings = OverlapSettings(n_jobs=min(2, settings.workers))
    target = memo_path = None
    if settings.cache and settings.cache_dir is not None:
        fingerprint = code_fingerprint("overlap")
        memo_path = Path(settings.cache_dir) / f"memo-{fingerprint[:16]}.pkl"
        h = hashlib.sha256(fingerprint.encode())
        for rid, text in zip(recs["rec_id"].tolist(), recs["text"].tolist()):
            h.update(f"{rid}\x1f{text}\x1e".encode())
        target = Path(settings.cache_dir) / f"overlap-{h.hexdigest()[:24]}.pkl"
        if target.exists():
            try:
                with open(target, "rb") as fh:
                    return pickle.load(fh)
            except Exception as exc:
                logger.warning("overlap cache %s unreadable (%s); recomputing", target.name, exc)
    # What an earlier run computed (spans of pairs of texts, the neighbour
    # search) is reused: most of the stage's time when a resolution is added
    # to a large corpus.
    memo = None
    if memo_path is not None:
        state = None
        try:
            state = read_pickles(memo_path)
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged memo is rebuilt, not fatal
            logger.warning("overlap memo %s unreadable (%s); it is rebuilt", memo_path, exc)
        memo = OverlapMemo.from_state(state, ov_settings)
    pairs = overlap_pairs(recs, ov_settings, memo=memo)
    clusters = overlap_clusters(recs, pairs, ov_settings)
    if target is not None:
        cache = writes if writes is not None else CacheWrites(target.parent, staged=False)

        def save() -> None:
            for old in [p for kind in ("overlap", "memo", "spans") for p in target.parent.glob(f"{kind}-*.pkl")]:
                if old != memo_path:
                    cache.remove(old)
            pickle_atomic(cache.path(memo_path.name), memo.state())
            _pickle_atomic(cache.path(target.name), (pairs, clusters))

        (later or (lambda task: task()))(save)
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
    """Read, classify, relate and write everything; refuse bad input before writing.

    The output folder is held from start to end (``outputs.OutputFolder``):
    a second run into it stops at once (``OutputBusy``), and this run's
    outputs replace the last run's in one step, or not at all. The cache is
    changed only by a run that succeeds (``CacheWrites``). The corrections
    file is checked before any input is read.
    """
    from .outputs import OutputFolder
    from .overrides import read_overrides

    if isinstance(paths, (str, Path)):
        paths = [paths]
    out_dir = Path(out_dir)
    overrides = resolve_overrides(settings.overrides, paths)
    settings = dataclasses.replace(settings, overrides=overrides)
    n_overrides = len(read_overrides(overrides)) if overrides is not None else 0
    if settings.cache and settings.cache_dir is None:
        settings = dataclasses.replace(settings, cache_dir=out_dir / ".cache")
    with OutputFolder(out_dir) as folder, _gc_paused():
        writes = CacheWrites(settings.cache_dir) if settings.cache else None
        try:
            result = _run(paths, folder, settings, writes, n_overrides)
            if writes is not None:
                writes.commit()
        finally:
            if writes is not None:
                writes.abort()  # after a commit: nothing left to remove
    result.notes = folder.notes + result.notes
    result.overrides, result.overrides_rows = overrides, n_overrides
    return result


@contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector. A run builds millions of small
    containers (tokens, terms, evidence lists) that each automatic collection
    walks again, most of all while the corpus store is read; they form no
    cycles worth collecting (reference counting frees them). On a corpus of
    a thousand resolutions this took a quarter of a one-file rerun, and peak
    memory was the same with and without it (benchmarks/results_pipeline.md)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(paths: list[Path], folder, settings: RunSettings, writes: CacheWrites | None,
         n_overrides: int) -> RunResult:
    from .citations import graphml_text
    from .explore import recommendations_workbook
    from .outputs import TableWriter, xlsx_bytes

    out_dir = folder.path
    clock = _Stopwatch()
    with clock("inputs"):
        corpus, recs, provisions, reused = process_corpus(paths, out_dir, settings, writes=writes)
    # Tables made from the same inputs, code, rules and overrides as the
    # last run's hold the same content: their files are kept, if they are
    # still what that run wrote (TableWriter checks), and the manifest keeps
    # the time they were made. Without the cache, every kept file's sha256
    # is compared, not only its size and time.
    fingerprint = code_fingerprint()
    key = _outputs_key(corpus, settings, fingerprint)
    previous = _read_manifest(folder.previous or out_dir)
    same = previous.get("outputs_key") == key
    kept: list[str] = []
    with TableWriter(folder, keep=previous.get("tables", {}) if same else (),
                     previous_files=previous.get("files", {}), verify="quick" if settings.cache else "full") as writer:
        # The per-input tables are final already: they are written while the
        # corpus tables are computed (the recommendations unless corrections apply).
        early = {"documents": corpus.documents, "paragraphs": corpus.paragraphs, "provisions": provisions,
                 "unplaced": corpus.unplaced}
        if corpus.citations is not None:
            early["citations"] = corpus.citations
        if not _overrides_apply(settings):
            early["recommendations"] = recs
        submitted: set[str] = set()

        def ready(name: str, table: pd.DataFrame) -> None:
            if name not in submitted:
                submitted.add(name)
                if not writer.submit(name, table):
                    kept.append(name)

        for name, df in early.items():
            ready(name, df)

        with clock("corpus tables"):
            tables, warnings, graph = corpus_tables(
                corpus, recs, provisions, settings, ready=ready, later=writer.defer, writes=writes,
                unchanged_from=folder.previous if same and settings.cache and folder.previous else None)
        with clock("writing"):
            for name, table in tables.items():
                ready(name, table)
            writer.submit_file("citations.graphml", lambda: graphml_text(graph), keep=same)
            # The recommendations for reading in Excel (names, not codes; text
            # stays text: a resolution 11/2 never turns into a date).
            final = tables
            writer.submit_file("recommendations.xlsx", lambda: xlsx_bytes(recommendations_workbook(
                final["recommendations"], corpus.documents, final.get("review_queue"))), keep=same)
            changed = [name for name in early if tables.get(name) is not early[name]]
            if changed:  # a broken invariant, not bad input
                raise RuntimeError(f"corpus tables changed per-input table(s) written already: {changed}")
            corpus.recommendations = tables["recommendations"]
            manifest = build_manifest(corpus, tables, warnings, fingerprint=fingerprint)
            for name, entry in manifest["tables"].items():
                entry["made"] = previous["tables"][name].get("made", previous.get("created")) if name in kept \
                    else manifest["created"]
            manifest["outputs_key"] = key
            manifest["overrides"] = ({"path": str(settings.overrides), "rows": n_overrides}
                                     if settings.overrides is not None else None)
            manifest["timings_s"] = dict(clock.laps)  # up to the writing, which is still going on
            written = writer.commit(manifest=manifest)
    manifest["timings_s"] = dict(clock.laps)
    logger.info("run took %s%s", ", ".join(f"{k} {v:.1f} s" for k, v in clock.laps.items()),
                f"; {len(kept)} tables unchanged, not rewritten" if kept else "")
    return RunResult(corpus, tables, written, manifest, warnings, reused, notes=list(writer.problems), kept=kept)


def _outputs_key(corpus: Corpus, settings: RunSettings, fingerprint: str) -> str:
    """What the tables are a function of: the inputs (names, paths, bytes),
    the code, rules and annotations (``fingerprint``), and the overrides."""
    import hashlib

    h = hashlib.sha256(fingerprint.encode())
    for row in corpus.documents[["source_file", "source_path", "source_sha256"]].itertuples(index=False):
        h.update("\x1f".join(row).encode() + b"\x1e")
    if _overrides_apply(settings):
        h.update(Path(settings.overrides).read_bytes())
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict:
    """The manifest of the run whose files are in ``folder`` ({} if none or unreadable)."""
    import json

    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class _Stopwatch:
    """Wall time per stage of a run (logged, and recorded in the manifest)."""

    def __init__(self):
        self.laps: dict[str, float] = {}

    def __call__(self, name: str):
        import time

        @contextmanager
        def lap():
            t0 = time.perf_counter()
            try:
                yield
            finally:
                self.laps[name] = round(time.perf_counter() - t0, 2)

        return lap()
