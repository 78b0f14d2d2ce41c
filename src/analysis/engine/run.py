"""Running the stages: inputs -> the per-input stages (stored per input) ->
the corpus stages -> the writer, in the order their declarations give.

``run_pipeline(files, folder, settings)`` is what ``pipeline.run`` calls
once it holds the output folder. Per-input stages run on the inputs the
store does not hold, a batch at a time, in forked workers when there are
many (``parallel``); the store is read meanwhile. Corpus stages run in
order; each table is handed to the writer as soon as the last stage that
makes it has returned, so writing overlaps the computing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import pandas as pd

from .. import stages as _declared  # noqa: F401  (declares the stages)
from .. import tables as contracts
from ..inputs import file_sha256
from . import cache, parallel
from .stages import EXPORTS, Context, Stage, check_table, final_after, ordered
from .store import CacheWrites, CorpusStore, FileBatch, assemble, owners_of

logger = logging.getLogger(__name__)

#: ``RunSettings.overrides``: the corrections of the inputs' project (``pipeline.find_overrides``).
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
        return parallel.workers(self.jobs)

    @property
    def overrides_file(self) -> Path | None:
        """The corrections file the run applies (resolved by ``run``), or None."""
        if self.overrides in (None, AUTO) or not Path(self.overrides).is_file():
            return None
        return Path(self.overrides)


@dataclass
class Corpus:
    """What the reading stages produce for a set of inputs."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    recommendations: pd.DataFrame
    unplaced: pd.DataFrame
    summaries: list[dict] = field(default_factory=list)
    citations: pd.DataFrame | None = None  # per-file citations, when the run made them


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


# --------------------------------------------------------------------------
# Per-input stages
# --------------------------------------------------------------------------

def input_stages() -> list[Stage]:
    return [s for s in ordered() if s.per_input]


def corpus_stages() -> list[Stage]:
    return [s for s in ordered() if not s.per_input]


def input_fingerprint() -> str:
    """What the stored per-input tables depend on besides the inputs' bytes:
    the per-input stages' code (and what it imports), the store's format,
    the rule files and the gold annotations."""
    return cache.fingerprint(tuple(s.module for s in input_stages()) + ("engine.store",))


def process_batch(items: list[tuple[Path, str]], settings: RunSettings | None = None) -> FileBatch:
    """Run the per-input stages on the inputs ``(path, sha256)``; raises
    InputError on the first bad one. The first stage takes the inputs and
    reads them; the others take the batch's tables (their costs are per
    call, not per row)."""
    ctx = Context(settings or RunSettings())
    first, *rest = input_stages()
    tables = first.call({}, ctx, inputs=[(Path(f), sha) for f, sha in items])
    for s in rest:
        tables.update(s.call(tables, ctx))
    return FileBatch([sha for _, sha in items], tables, owners_of(tables))


#: Inputs processed (read, classified, stored) together: bounds memory on a first run.
BATCH_FILES = 200
#: Fewer new inputs than this are processed in the main process (a pool costs
#: more), unless the store is being read meanwhile.
PARALLEL_MIN_FILES = 40


def batches(items: list, jobs: int) -> list[list]:
    """Split ``items`` into batches of at most BATCH_FILES, at least two per
    worker, and as many for each worker: a batch left over after the others
    runs on one core while the others idle (1,000 inputs in five batches of
    200 kept one of two workers waiting for a sixth of the stage).

    >>> [len(b) for b in batches(list(range(1000)), 2)]
    [167, 167, 167, 167, 166, 166]
    >>> [len(b) for b in batches(list(range(5)), 2)], [len(b) for b in batches(list(range(450)), 1)]
    ([2, 1, 1, 1], [200, 200, 50])
    """
    if not items:
        return []
    if jobs <= 1:
        return [items[i:i + BATCH_FILES] for i in range(0, len(items), BATCH_FILES)]
    rounds = max(2, -(-len(items) // (jobs * BATCH_FILES)))
    count = min(len(items), rounds * jobs)
    per, extra = divmod(len(items), count)
    out, lo = [], 0
    for k in range(count):
        out.append(items[lo:lo + per + (k < extra)])
        lo += per + (k < extra)
    return out


def _batch_in_worker(items):
    return process_batch(items, parallel.shared("run_settings"))


class _Processing:
    """FileBatch after FileBatch for the ``pending`` inputs, in input order
    (iterate once; ``close`` when done).

    With more than one worker (and fork available) the batches are
    processed in forked workers, which start at once: the main process
    reads the corpus store meanwhile (``beside_store``), which is why even
    one new input goes to a worker then. For many inputs the tokeniser and
    the trained theme model are loaded before the fork, once for all
    workers. An input error surfaces when its batch's turn comes, so the
    first bad input in input order is the one reported.
    """

    def __init__(self, pending: list[tuple[Path, str]], settings: RunSettings, *, beside_store: bool = False):
        jobs = settings.workers
        self.settings = settings
        self.batches = batches(pending, jobs)
        self.pool = self.results = None
        many = len(pending) >= PARALLEL_MIN_FILES
        if jobs <= 1 or not pending or not (many or beside_store) or not parallel.can_fork():
            return
        if many:
            from ..classify import ClassifySettings, trained_model
            from ..tokenise import get_tokeniser

            get_tokeniser(backend=ClassifySettings().backend).cut("各国")
            trained_model(ClassifySettings())
        self.pool = parallel.start_pool(min(jobs, len(self.batches)), run_settings=settings)
        self.results = self.pool.imap(_batch_in_worker, self.batches)

    def __iter__(self):
        if self.pool is None:
            return (process_batch(b, self.settings) for b in self.batches)
        return iter(self.results)

    def close(self) -> None:
        parallel.stop_pool(self.pool, "run_settings")
        self.pool = None


def process_inputs(files: list[Path], shas: list[str], settings: RunSettings, *, cache_dir: Path | None,
                   writes: CacheWrites | None = None) -> tuple[dict[str, pd.DataFrame], int]:
    """The per-input tables of every input, in input order (reusing stored
    ones); refuses the whole set on bad input. Returns the tables and how
    many inputs came from the store."""
    from tqdm.auto import tqdm

    store = None
    if cache_dir is not None:
        # the corpus stages' results and memos are theirs to replace (an older memo naming goes)
        keep = tuple(f"{p}{s.name}-" for s in corpus_stages() for p in ("", "memo-"))
        store = CorpusStore(cache_dir, input_fingerprint(), writes, keep_prefixes=keep).load()
        store.prune(set(shas))
    pending = [(f, sha) for f, sha in zip(files, shas) if store is None or sha not in store.where]
    work = _Processing(pending, settings, beside_store=store is not None and bool(store.chunks))
    new_batches: list[FileBatch] = []
    try:
        if store is not None:
            lost = store.load_tables()  # while new inputs are read in workers
            if lost:
                work.close()
                pending = [(f, sha) for f, sha in zip(files, shas) if sha not in store.where]
                work = _Processing(pending, settings)
        if work.pool is not None:
            # While the workers finish: the similarity stage's modules (SciPy)
            # take a few tenths of a second to import, which the run needs next.
            import_module(f"{__package__.rsplit('.', 1)[0]}.overlap")
        with tqdm(total=len(pending), desc="reading", unit="file",
                  disable=not settings.progress or len(pending) < 5) as bar:
            for batch in work:
                new_batches.append(batch)
                if store is not None:
                    store.add(batch)
                bar.update(len(batch.inputs))
    finally:
        work.close()
    if store is not None:
        store.compact()
        rank = {sha: i for i, sha in enumerate(shas)}  # chunks in input order: rows rarely need reordering
        chunks = sorted(store.chunks.values(), key=lambda b: min((rank.get(sha, len(shas)) for sha in b.inputs),
                                                                  default=len(shas)))
    else:
        chunks = new_batches
    tables = assemble(chunks, files, shas)
    # One documents row per file, made as one frame: its file then does not
    # depend on how the inputs were batched or stored; the same bytes in two
    # files give a row each (the units stage refuses the second).
    docs = tables["documents"].set_index("source_sha256", drop=False)
    rows = [docs.loc[sha].to_dict() | {"source_file": f.name, "source_path": str(f)} for f, sha in zip(files, shas)]
    tables["documents"] = pd.DataFrame(rows, columns=tables["documents"].columns)
    # The batches' frames are now copied into the corpus tables: let them go
    # (on a large corpus they are hundreds of megabytes).
    del chunks, new_batches
    if store is not None:
        store.chunks.clear()
    for name, df in tables.items():
        check_table(name, df)
    return tables, len(files) - len(pending)


# --------------------------------------------------------------------------
# Corpus stages
# --------------------------------------------------------------------------

def _content_key(s: Stage, tables: dict[str, pd.DataFrame], fingerprint: str) -> str:
    """What a ``cache_on`` stage's result is a function of: its code and the
    declared columns of the tables it reads."""
    h = hashlib.sha256(fingerprint.encode())
    for name, cols in s.cache_on.items():
        for row in zip(*(tables[name][c].tolist() for c in cols)):
            h.update("\x1f".join(map(str, row)).encode() + b"\x1e")
    return h.hexdigest()[:24]


class StageCache:
    """A corpus stage's cached result (``<stage>-<key>.pkl``) and memo
    (``memo-<stage>-<fingerprint>.pkl``) under the cache folder; written
    through ``writes`` in the background (``later``)."""

    def __init__(self, s: Stage, cache_dir: Path, writes: CacheWrites | None, later):
        self.stage, self.dir = s, Path(cache_dir)
        self.fingerprint = s.fingerprint()
        self.writes = writes if writes is not None else CacheWrites(cache_dir, staged=False)
        self.later = later or (lambda task: task())
        self.memo_path = self.dir / f"memo-{s.name}-{self.fingerprint[:16]}.pkl"
        self.result_path: Path | None = None

    def result(self, tables: dict) -> dict | None:
        if not self.stage.cache_on:
            return None
        self.result_path = self.dir / f"{self.stage.name}-{_content_key(self.stage, tables, self.fingerprint)}.pkl"
        if self.result_path.exists():
            try:
                return cache.read_pickles(self.result_path)
            except Exception as exc:
                logger.warning("%s cache %s unreadable (%s); recomputing", self.stage.name, self.result_path.name,
                               exc)
        return None

    def state(self):
        if not self.stage.memo:
            return None
        try:
            return cache.read_pickles(self.memo_path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged memo is rebuilt, not fatal
            logger.warning("%s memo %s unreadable (%s); it is rebuilt", self.stage.name, self.memo_path.name, exc)
            return None

    def save(self, out: dict, state) -> None:
        """Write the result and the memo. The pickling (seconds of the
        interpreter for the overlap table of a large corpus, where it held
        the lock the stages after it needed) is done in a forked process
        (``parallel.ForkedCall``) that the writer waits for."""
        result = {t: out[t] for t in self.stage.produces}
        for old in [*self.dir.glob(f"{self.stage.name}-*.pkl"), *self.dir.glob(f"memo-{self.stage.name}-*.pkl")]:
            if old != self.memo_path:
                self.writes.remove(old)
        jobs = []
        if self.stage.memo:
            jobs.append((self.writes.path(self.memo_path.name), state))
        if self.result_path is not None:
            jobs.append((self.writes.path(self.result_path.name), result))
        if jobs:
            self.later(parallel.ForkedCall(_pickle_all, jobs).get)


def _pickle_all(jobs: list) -> None:
    """Pickle each ``(path, value)`` (a callable value is called first)."""
    for path, value in jobs:
        cache.pickle_atomic(path, value() if callable(value) else value)


def run_corpus_stages(tables: dict[str, pd.DataFrame], settings: RunSettings, *, ready=None, later=None,
                      writes: CacheWrites | None = None, unchanged_from: Path | None = None,
                      ) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The corpus stages over the per-input ``tables``, in order.

    ``ready(name, table)`` is called as each table becomes final (after the
    last stage making it); ``later(task)`` runs cache writing in the
    background, through ``writes``. ``unchanged_from``: the last run's
    folder when this run's inputs, code, rules and corrections are its
    (``reuse_last`` stages read their tables back from it). Returns every
    table and the run's warnings."""
    from ..outputs import read_table

    ctx = Context(settings)
    tables = dict(tables)
    steps = corpus_stages()
    last = final_after(steps)
    if ready is not None:
        for name in [t for t in tables if t not in last]:
            ready(name, tables[name])
    for s in steps:
        out = None
        if s.reuse_last and unchanged_from is not None:
            try:
                out = {t: check_table(t, read_table(unchanged_from, t), stage=s.name) for t in s.produces}
            except Exception as exc:  # damaged or missing: make it again
                logger.info("%s of the last run not reused (%s)", s.name, exc)
                out = None
        store = StageCache(s, settings.cache_dir, writes, later) \
            if settings.cache and settings.cache_dir is not None and (s.memo or s.cache_on) else None
        if out is None and store is not None:
            out = store.result(tables)
        if out is None:
            extra = {"state": store.state() if store is not None else None} if s.memo else {}
            out = s.call(tables, ctx, **extra)
            if store is not None:
                store.save(out, out.get("state"))
        tables.update({t: out[t] for t in s.produces})
        if ready is not None:
            for t in s.produces:
                if last[t] == s.name:
                    ready(t, tables[t])
    return {name: tables[name] for name in contracts.TABLES if name in tables}, ctx.warnings


# --------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------

def run_pipeline(files: list[Path], folder, settings: RunSettings, writes: CacheWrites | None,
                 n_overrides: int, *, manifest_extra) -> RunResult:
    """Every stage on ``files`` into the held output ``folder`` (``writer.OutputFolder``)."""
    from ..stages.read import summaries
    from .writer import TableWriter

    out_dir = folder.path
    clock = Stopwatch()
    with clock("inputs"):
        shas = [file_sha256(f) for f in files]
        per_input, reused = process_inputs(files, shas, settings, writes=writes,
                                           cache_dir=settings.cache_dir if settings.cache else None)
    # Tables made from the same inputs, code, rules and overrides as the
    # last run's hold the same content: their files are kept, if they are
    # still what that run wrote (TableWriter checks), and the manifest keeps
    # the time they were made. Without the cache, every kept file's sha256
    # is compared, not only its size and time.
    fingerprint = cache.fingerprint()
    key = outputs_key(per_input["documents"], settings, fingerprint)
    previous = read_manifest(folder.previous or out_dir)
    same = previous.get("outputs_key") == key
    kept: list[str] = []
    exports = Exports(early=not same and settings.workers > 1)
    with TableWriter(folder, keep=previous.get("tables", {}) if same else (),
                     previous_files=previous.get("files", {}), verify="quick" if settings.cache else "full") as writer, \
            exports:
        def ready(name: str, table: pd.DataFrame) -> None:
            if not writer.submit(name, table):
                kept.append(name)
            exports.ready(name, table)

        with clock("corpus tables"):
            tables, warnings = run_corpus_stages(
                per_input, settings, ready=ready, later=writer.defer, writes=writes,
                unchanged_from=folder.previous if same and settings.cache and folder.previous else None)
        with clock("writing"):
            for e in EXPORTS.values():
                writer.submit_file(e.name, exports.maker(e, tables), keep=same)
            corpus = Corpus(tables["documents"], tables["paragraphs"], tables["recommendations"],
                            tables["unplaced"], summaries(tables["documents"], tables["paragraphs"],
                                                          tables["unplaced"]), tables["citations"])
            manifest = manifest_extra(corpus, tables, warnings, fingerprint)
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
    _report_unmatched(tables["recommendations"])
    return RunResult(corpus, tables, written, manifest, warnings, reused, notes=list(writer.problems), kept=kept)


class Exports:
    """The exported files (``EXPORTS``), each made, with ``early``, in a
    forked process (``parallel.ForkedCall``) as soon as the tables it
    requires are final (``ready``), while the main process computes the
    rest: the recommendations workbook is seconds of openpyxl, which in a
    writer thread held the interpreter against the corpus stages. Without
    ``early`` (the last run's files are likely kept, or no workers) each is
    made when the writer asks (``maker``). A context manager: leaving it
    stops what still runs."""

    def __init__(self, early: bool):
        self.early = early
        self.final: dict[str, pd.DataFrame] = {}
        self.calls: dict[str, parallel.ForkedCall] = {}

    def ready(self, name: str, table: pd.DataFrame) -> None:
        if not self.early:
            return
        self.final[name] = table
        for e in EXPORTS.values():
            if e.name not in self.calls and all(t in self.final for t in e.requires):
                self.calls[e.name] = parallel.ForkedCall(e.make, {t: self.final[t] for t in e.requires})

    def maker(self, e, tables: dict):
        call = self.calls.get(e.name)
        return call.get if call is not None else (lambda: e.make(tables))

    def __enter__(self) -> "Exports":
        return self

    def __exit__(self, *exc) -> None:
        for call in self.calls.values():
            call.close()
        self.final.clear()


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


def outputs_key(documents: pd.DataFrame, settings: RunSettings, fingerprint: str) -> str:
    """What the tables are a function of: the inputs (names, paths, bytes),
    the code, rules and annotations (``fingerprint``), and the overrides."""
    h = hashlib.sha256(fingerprint.encode())
    for row in documents[["source_file", "source_path", "source_sha256"]].itertuples(index=False):
        h.update("\x1f".join(row).encode() + b"\x1e")
    if settings.overrides_file is not None:
        h.update(settings.overrides_file.read_bytes())
    return h.hexdigest()


def read_manifest(folder: Path) -> dict:
    """The manifest of the run whose files are in ``folder`` ({} if none or unreadable)."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class Stopwatch:
    """Wall time per stage of a run (logged, and recorded in the manifest)."""

    def __init__(self):
        self.laps: dict[str, float] = {}

    def __call__(self, name: str):
        @contextmanager
        def lap():
            t0 = time.perf_counter()
            try:
                yield
            finally:
                self.laps[name] = round(time.perf_counter() - t0, 2)

        return lap()

