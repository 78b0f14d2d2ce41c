"""What runs keep between them: the per-input store and the cache's writes.

``CorpusStore`` keeps the tables of the per-input stages, a chunk of
inputs at a time, under ``<out>/.cache``; ``CacheWrites`` makes a run's
changes to the cache take effect only if the run succeeds. ``FileBatch``
is what the per-input stages make for a batch of inputs: their tables,
and for each table which input each row comes from (``owners``, derived
from the tables' ``owner`` declarations in ``analysis.tables``), so no
hidden column rides along in the tables themselves.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import tables as contracts
from .cache import PickleStream, pickle_atomic

logger = logging.getLogger(__name__)


@dataclass
class FileBatch:
    """The per-input tables of several inputs, concatenated (one store chunk).

    ``inputs``: the inputs' sha256, in the order their rows come;
    ``tables``: table name -> the inputs' rows (None while a stored chunk's
    tables are not read yet); ``owners``: table name -> the sha256 of the
    input of each row (an array as long as the table).
    """

    inputs: list[str]
    tables: dict[str, pd.DataFrame] | None = None
    owners: dict[str, np.ndarray] | None = None


def owners_of(tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Which input each row of each table comes from, by the tables' ``owner``
    declarations (a sha256 column, or a key into a table that has one).
    A row that cannot be traced is a broken invariant, not bad input."""
    out: dict[str, np.ndarray] = {}
    todo = list(tables)
    while todo:
        progressed = False
        for name in list(todo):
            owner = contracts.TABLES[name].owner
            df = tables[name]
            if len(owner) == 1:
                out[name] = df[owner[0]].to_numpy(dtype=object)
            elif owner[1] in out:
                parent = tables[owner[1]]
                keys = pd.Index(parent[owner[0]])
                if keys.is_unique:
                    at = keys.get_indexer(df[owner[0]])
                    if (at < 0).any():
                        raise RuntimeError(f"{name}: rows not traceable to their input")
                    out[name] = out[owner[1]][at]
                else:  # e.g. two inputs of one name from two folders: the last one's
                    mapping = dict(zip(parent[owner[0]].tolist(), out[owner[1]].tolist()))
                    out[name] = np.array([mapping.get(v) for v in df[owner[0]].tolist()], dtype=object)
            else:
                continue
            if len(df) and pd.isna(out[name]).any():
                raise RuntimeError(f"{name}: rows not traceable to their input")
            todo.remove(name)
            progressed = True
        if not progressed:
            raise RuntimeError(f"tables {todo}: owner table not among the per-input tables")
    return out


class CacheWrites:
    """The cache files a run adds and removes, applied only when it succeeds.

    New files are written into ``<cache>/.staging-<id>/`` (``path(name)``)
    and removals are only recorded (``remove``); ``commit``, once the
    outputs are switched in, does the removals and moves the new files in.
    A failed run calls ``abort`` and leaves the cache as it found it (a run
    refused for a bad input used to remove the stored results of every
    input it did not hold); a killed one leaves its staging folder, which
    the next run removes (``writer.OutputFolder``). With ``staged=False``
    files are written and removed at once (a store used on its own).
    """

    def __init__(self, cache_dir: str | Path, *, staged: bool = True):
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
    writes one small chunk. A chunk is two pickles: a header (which inputs)
    read by ``load``, then the tables and their owners, read by
    ``load_tables``, so that a run knows what is new before the long read.
    Chunks made by other code, lexicon or annotation versions (the
    per-input stages' fingerprint) are removed; so are chunks none of whose
    inputs is in the run any more. Files are added and removed through
    ``writes`` (``CacheWrites``: by default at once), so that a run changes
    the store only if it succeeds. ``keep_prefixes``: names of the other
    cache files (stage results and memos), which ``load`` leaves alone.
    """

    #: Chunks of fewer inputs than this count as small; past ``COMPACT_AFTER``
    #: small chunks (a resolution added at a time), they are merged into one.
    SMALL = 50
    COMPACT_AFTER = 8

    def __init__(self, cache_dir: Path, fingerprint: str, writes: CacheWrites | None = None,
                 keep_prefixes: tuple[str, ...] = ()):
        self.dir = Path(cache_dir)
        self.tag = fingerprint[:16]
        self.writes = writes if writes is not None else CacheWrites(cache_dir, staged=False)
        self.keep_prefixes = ("corpus-", *keep_prefixes)
        self.chunks: dict[Path, FileBatch] = {}  # tables None until load_tables
        self.where: dict[str, Path] = {}  # input sha256 -> chunk holding it

    def load(self) -> "CorpusStore":
        """Read the chunks' headers."""
        if not self.dir.is_dir():
            return self
        for f in sorted(self.dir.glob("corpus-*.pkl")):
            if not f.name.startswith(f"corpus-{self.tag}-"):
                self.writes.remove(f)  # another code or rule version
                continue
            try:
                with PickleStream(f) as stream:
                    inputs = stream.next()
                if not isinstance(inputs, list):
                    raise TypeError("header of an older store")
            except Exception as exc:  # a damaged chunk is recomputed, not fatal
                self._drop(f, exc)
                continue
            self.chunks[f] = FileBatch(inputs)
            for sha in inputs:
                self.where.setdefault(sha, f)
        for old in self.dir.glob("*-*.pkl"):  # cache files of earlier versions
            if not old.name.startswith(self.keep_prefixes):
                self.writes.remove(old)
        return self

    def load_tables(self) -> set[str]:
        """Read the tables of the chunks read by ``load``. Returns the inputs
        whose chunk turned out damaged (removed; they must be processed again)."""
        lost: set[str] = set()
        for f, batch in list(self.chunks.items()):
            if batch.tables is not None:
                continue
            try:
                with PickleStream(f) as stream:
                    stream.next()  # the header, read already
                    batch.tables, batch.owners = stream.next()
            except Exception as exc:
                lost |= set(batch.inputs)
                self._drop(f, exc)
        return lost

    def _drop(self, f: Path, exc: Exception) -> None:
        logger.warning("cache chunk %s unreadable (%s); its inputs are recomputed", f.name, exc)
        self.writes.remove(f)
        batch = self.chunks.pop(f, None)
        for sha in batch.inputs if batch is not None else ():
            if self.where.get(sha) == f:
                del self.where[sha]

    def add(self, batch: FileBatch) -> None:
        target = self.writes.path(f"corpus-{self.tag}-{uuid.uuid4().hex[:12]}.pkl")
        pickle_atomic(target, batch.inputs, (batch.tables, batch.owners))
        self.chunks[target] = batch
        for sha in batch.inputs:
            self.where.setdefault(sha, target)

    def compact(self) -> None:
        """Merge the small chunks into one, once there are more than
        ``COMPACT_AFTER``: each chunk costs a read and a concatenation per run."""
        small = [f for f, b in self.chunks.items() if len(b.inputs) < self.SMALL and b.tables is not None]
        if len(small) <= self.COMPACT_AFTER:
            return
        batches = [self.chunks.pop(f) for f in small]
        names = list(batches[0].tables)
        merged = FileBatch([sha for b in batches for sha in b.inputs],
                           {n: pd.concat([b.tables[n] for b in batches], ignore_index=True) for n in names},
                           {n: np.concatenate([b.owners[n] for b in batches]) for n in names})
        self.where = {sha: f for sha, f in self.where.items() if f not in small}
        self.add(merged)
        for f in small:
            self.writes.remove(f)
        logger.info("cache: %d small chunks merged into one", len(small))

    def prune(self, keep: set[str]) -> None:
        """Remove chunks holding none of the inputs ``keep``."""
        for f, batch in list(self.chunks.items()):
            if not keep & set(batch.inputs):
                self.writes.remove(f)
                del self.chunks[f]


def assemble(batches: list[FileBatch], files: list[Path], shas: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of the run's inputs, in input order (each input's rows in
    their own order), with file names and paths as they are now (the same
    bytes may have been stored under another name)."""
    order = {sha: i for i, sha in enumerate(shas)}
    current = {sha: (f.name, str(f)) for f, sha in zip(files, shas)}
    owner: dict[str, int] = {}  # sha -> the batch its rows are taken from
    for k, b in enumerate(batches):
        for sha in b.inputs:
            if sha in order:
                owner.setdefault(sha, k)
    out: dict[str, pd.DataFrame] = {}
    for table in batches[0].tables if batches else ():
        parts, owned = [], []
        for k, b in enumerate(batches):
            df, who = b.tables[table], b.owners[table]
            mine = [sha for sha in b.inputs if owner.get(sha) == k]
            if len(mine) == len(b.inputs):
                parts.append(df)
                owned.append(who)
            elif mine:
                keep = np.isin(who, mine)
                parts.append(df[keep])
                owned.append(who[keep])
        df = pd.concat(parts, ignore_index=True) if parts else batches[0].tables[table].iloc[:0]
        if len(df):
            codes, keys = pd.factorize(np.concatenate(owned))
            rank = np.array([order[k] for k in keys], dtype=np.int64)[codes]
            if (np.diff(rank) < 0).any():  # not in input order yet (a new input among stored ones)
                perm = np.argsort(rank, kind="stable")
                df, codes = reordered(df, perm), codes[perm]
            for col, at in (("source_file", 0), ("source_path", 1)):
                if col in df.columns:
                    names = pd.array([current[k][at] for k in keys], dtype=df[col].dtype)
                    df[col] = names.take(codes)
        out[table] = df.reset_index(drop=True)
    return out


def reordered(df: pd.DataFrame, perm) -> pd.DataFrame:
    """``df.iloc[perm]`` with a fresh index. A new input among stored ones
    makes ``perm`` a few runs of consecutive rows: those are sliced and
    concatenated, which for Arrow-backed text copies nothing.

    >>> df = pd.DataFrame({"x": [0, 1, 2, 3, 4]})
    >>> reordered(df, np.array([3, 4, 0, 1, 2]))["x"].tolist()
    [3, 4, 0, 1, 2]
    """
    starts = np.flatnonzero(np.diff(perm) != 1) + 1
    if len(starts) > 64:
        return df.iloc[perm].reset_index(drop=True)
    bounds = np.r_[0, starts, len(perm)]
    return pd.concat([df.iloc[perm[lo]:perm[hi - 1] + 1] for lo, hi in zip(bounds[:-1], bounds[1:])],
                     ignore_index=True)
