"""The output folder held by one run, and the writer that fills it.

``OutputFolder`` (the lock, the generations, the one-step switch) and
``TableWriter`` (tables written as they become ready, in two writer
threads, files of the last run kept while they are what was recorded):
the contract is the one in ``analysis.outputs``' docstring. The only
place the package starts threads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from .. import outputs
from . import parallel
from ..outputs import CURRENT, GENERATIONS, LOCK_FILE, MANIFEST, OutputBusy, OutputError, _GENERATION_ID

try:  # POSIX; elsewhere runs are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

logger = logging.getLogger(__name__)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class OutputFolder:
    """An output folder held by one run (a context manager; see the module docstring).

    On entry: the lock, the clean-up of an interrupted run's leftovers
    (listed in ``notes``), and the run's own empty ``generation`` folder.
    ``publish`` switches to it; leaving without ``publish`` removes it, so
    a failed run leaves the folder as it found it.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.notes: list[str] = []
        self.generation: Path | None = None
        self.previous: Path | None = None  # the generation ``current`` showed on entry
        self.linked = True  # False: no symbolic links here, files are moved into place
        self._fd: int | None = None
        self._published = False

    # ---- entry and exit ---------------------------------------------------
    def __enter__(self) -> "OutputFolder":
        self._lock()
        try:
            probe = self.path / f".write-test-{os.getpid()}.tmp"  # a folder one cannot write into is said so now
            probe.touch()
            probe.unlink()
            self.previous = self._current()
            self._clean()
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            self.generation = self.path / GENERATIONS / f"{stamp}Z-{os.getpid()}-{secrets.token_hex(3)}"
            self.generation.mkdir(parents=True)
        except OSError as exc:
            self._unlock()
            raise self._error(exc) from None
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.generation is not None and not self._published:
            _remove(self.generation)
        self._unlock()

    def _lock(self) -> None:
        p = self.path
        if p.exists() and not p.is_dir():
            raise OutputError(p, "this is a file, not a folder; --out must name a folder (it is created if missing)")
        try:
            p.mkdir(parents=True, exist_ok=True)
            fd = os.open(p / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise self._error(exc) from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise OutputBusy(p, self._holder()) from None
        self._fd = fd

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def _error(self, exc: OSError) -> OutputError:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            where = f" ({exc.filename} is a file)" if exc.filename else ""
            return OutputError(self.path, f"cannot create the output folder: {reason}{where}")
        return OutputError(self.path, f"cannot write to the output folder ({reason}); make it writable or "
                                      "choose another --out")

    def _holder(self) -> str:
        """Who holds the lock, from the name of the generation it is writing."""
        from datetime import datetime, timezone

        who = ""
        try:
            current = os.readlink(self.path / CURRENT) if (self.path / CURRENT).is_symlink() else ""
            for g in sorted((self.path / GENERATIONS).iterdir()):
                m = _GENERATION_ID.match(g.name)
                if m and not current.endswith(g.name):
                    started = datetime.strptime(m[1], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc).astimezone()
                    who = f" (process {m[2]}, started {started:%Y-%m-%d %H:%M:%S})"
        except OSError:
            pass
        return (f"another run{who} is writing to this folder; wait for it to finish and run again, "
                "or choose another --out")

    def _current(self) -> Path | None:
        link = self.path / CURRENT
        if link.is_symlink():
            target = self.path / os.readlink(link)
            return target if target.is_dir() else None
        if link.exists():
            raise OutputError(self.path, f"'{CURRENT}' in this folder is not the link this program makes; "
                                         "move it away or choose another --out")
        return None

    def _clean(self) -> None:
        """Remove what an interrupted run left: generations other than the
        current one (never switched to, or replaced but not yet removed),
        half-made links, cache files being written, scratch folders of
        earlier versions."""
        left: list[str] = []
        gens = self.path / GENERATIONS
        if gens.is_dir():
            for g in sorted(gens.iterdir()):
                if self.previous is None or g.name != self.previous.name:
                    _remove(g)
                    left.append(f"{GENERATIONS}/{g.name}")
        for p in sorted(self.path.iterdir()):
            if p.name.startswith(".writing-") or (p.name.startswith(".") and p.name.endswith(".tmp")):
                _remove(p)
                left.append(p.name)
        cache = self.path / ".cache"
        if cache.is_dir():
            for p in sorted(cache.iterdir()):
                if p.name.startswith(".staging-") or p.name.endswith(".tmp"):
                    _remove(p)
                    left.append(f".cache/{p.name}")
        if left:
            self.notes.append(f"removed what an interrupted run had left in {self.path}: {', '.join(left)}")

    # ---- the switch -------------------------------------------------------
    def publish(self) -> None:
        """Make the new generation the current one, in one step, and the
        visible files links to it; remove the generation it replaces."""
        gen = self.generation
        names = sorted(p.name for p in gen.iterdir())
        tmp = self.path / f".{CURRENT}-{gen.name}.tmp"
        try:
            os.symlink(f"{GENERATIONS}/{gen.name}", tmp, target_is_directory=True)
        except (OSError, NotImplementedError):
            # The folder is writable (the generation was written in it): it is
            # the file system that has no symbolic links.
            self._move_into_place(names)
            return
        os.replace(tmp, self.path / CURRENT)  # the switch
        self._published = True
        logger.info("%s: switched to %s", self.path, gen.name)
        converted = self.previous is None and any(
            (self.path / n).is_file() and not (self.path / n).is_symlink() for n in names)
        restored = []
        for name in names:
            state = self._link(name)
            if state and self.previous is not None:
                restored.append(f"{name} ({state})")
        for p in self.path.iterdir():  # links to files this run did not make
            if p.is_symlink() and p.name not in names and os.readlink(p).startswith(f"{CURRENT}/"):
                p.unlink()
        if self.previous is not None:
            _remove(self.previous)
        if restored:
            self.notes.append(f"restored in {self.path}: {', '.join(restored)}")
        if converted:
            self.notes.append(f"{self.path}: each run's outputs are now kept in {GENERATIONS}/ and switched in "
                              f"one step; the files here link to the current run's ({CURRENT}/)")

    def _link(self, name: str) -> str | None:
        """Make ``<out>/name`` the link to ``current/name``; say what was wrong, if anything."""
        dest, want = self.path / name, f"{CURRENT}/{name}"
        if dest.is_symlink() and os.readlink(dest) == want:
            return None
        if dest.is_dir() and not dest.is_symlink():
            self.notes.append(f"{dest} is a folder: {name} of this run is in {CURRENT}/{name}")
            return None
        state = "it had been replaced by another file" if dest.exists() or dest.is_symlink() else "it was missing"
        tmp = self.path / f".{name}-{self.generation.name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(want, tmp)
        os.replace(tmp, dest)
        return state

    def _move_into_place(self, names: list[str]) -> None:
        """No symbolic links on this file system: move the files into
        ``<out>`` one by one, the manifest last (as before generations)."""
        self.linked = False
        for name in sorted(names, key=lambda n: n == MANIFEST):
            os.replace(self.generation / name, self.path / name)
        self._published = True
        _remove(self.generation)
        self.notes.append(f"{self.path}: this file system has no symbolic links; the files were replaced one "
                          "by one, not in one step")


# --------------------------------------------------------------------------
# What was written: size, time, sha256
# --------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_record(path: Path) -> dict:
    """What the manifest records of a file just written."""
    st = os.stat(path)
    return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _sha256(path)}


def check_file(path: Path, record: dict | None, *, full: bool = False) -> tuple[bool, str | None]:
    """Whether ``path`` is still the file ``record`` describes; if not, what
    is wrong (None when there is no record to compare with). The size and
    time are compared first; the sha256 only when the time differs, or
    with ``full``.
    """
    if not record or not {"bytes", "mtime_ns", "sha256"} <= set(record):
        return False, None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False, "missing"
    if st.st_size != record["bytes"]:
        return False, f"{st.st_size:,} bytes where the last run wrote {record['bytes']:,}"
    if not full and st.st_mtime_ns == record["mtime_ns"]:
        return True, None
    if _sha256(path) != record["sha256"]:
        return False, "changed since the last run wrote it"
    return True, None


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)


#: Tables of at least this many rows are written in a forked process
#: (``TableWriter``; a fork costs milliseconds, a small table less).
FORKED_ROWS = 20_000


def _table_files(df: pd.DataFrame, directory: Path, name: str) -> dict[str, dict]:
    """Write ``<name>.parquet`` and ``<name>.csv`` of ``df`` into
    ``directory``; their ``file_record``s."""
    converted = outputs.to_arrow(outputs.parquet_ready(df))
    outputs.write_parquet(converted, directory / f"{name}.parquet")
    outputs.write_csv(df, directory / f"{name}.csv", converted=converted.table, shown=converted.shown)
    return {f: file_record(directory / f) for f in (f"{name}.parquet", f"{name}.csv")}


class TableWriter:
    """Writes tables as they become ready into a new generation of ``out``,
    switched in by ``commit``.

    ``submit(name, df)`` starts writing ``<name>.parquet`` and ``<name>.csv``
    (two writer threads: Arrow's writers release the GIL, so one table's
    encoding overlaps another's conversion, or the computation of the next
    tables; a table of ``FORKED_ROWS`` or more is converted and written in
    a process forked by its thread, so its Python work does not hold the
    interpreter the stages need). ``commit`` waits for them, writes the extra files and the
    manifest and switches; until then nothing visible in ``out`` has
    changed, and leaving a ``with`` block on an error removes what was
    written.

    ``out`` is an ``OutputFolder`` already held, or a path (then held here).
    Tables named in ``keep`` were made from the same inputs as the current
    run's (the caller knows): their files are reused, if they still match
    ``previous_files`` (the last manifest's records; see ``check_file``,
    ``verify="full"`` always compares the sha256), and written again if
    not, with the reason in ``problems``.
    """

    def __init__(self, out: "str | Path | OutputFolder", *, keep: Iterable[str] = (),
                 previous_files: dict | None = None, verify: str = "quick"):
        from concurrent.futures import ThreadPoolExecutor

        # Imported before the writer threads start: a process forked while
        # another thread is still importing a module hangs when it imports
        # that module too (its import lock is never released in the child),
        # and the writer's threads fork (``_table_files``).
        import pyarrow.compute  # noqa: F401
        import pyarrow.csv  # noqa: F401
        import pyarrow.pandas_compat  # noqa: F401  (imported by pyarrow itself on first use)
        import pyarrow.parquet  # noqa: F401
        import pyarrow.vendored.version  # noqa: F401  (the same)

        self._own = not isinstance(out, OutputFolder)
        self.folder = OutputFolder(out).__enter__() if self._own else out
        self.out_dir = self.folder.path
        self.dir = self.folder.generation
        self.source = self.folder.previous or self.out_dir  # where the last run's files are
        self.keep = set(keep)
        self.previous_files = previous_files or {}
        self.full = verify == "full"
        self.records: dict[str, dict] = {}
        self.problems: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=2)
        # Tasks that only wait for a forked process (a large table, the
        # caches' pickling) have threads of their own: in the two above they
        # kept the small tables made meanwhile waiting for seconds.
        self.waiting = ThreadPoolExecutor(max_workers=2)  # at most two forked writers at once, as before
        self.pending: list = []  # futures, each giving the names of the files it wrote
        self.lock = threading.Lock()
        self.committed = False

    def _start(self, fn: Callable[[], list[str]], *, waits: bool = False) -> None:
        with self.lock:
            self.pending.append((self.waiting if waits else self.pool).submit(fn))

    def _reuse(self, names: list[str]) -> bool:
        """Link the last run's files ``names`` into the new generation, if
        they are all still as recorded."""
        for name in names:
            ok, problem = check_file(self.source / name, self.previous_files.get(name), full=self.full)
            if not ok:
                if problem:
                    self.problems.append(f"{name}: {problem}; written again")
                return False
        for name in names:
            _link_or_copy(self.source / name, self.dir / name)
            self.records[name] = {**self.previous_files[name], "mtime_ns": os.stat(self.dir / name).st_mtime_ns}
        return True

    def submit(self, name: str, df: pd.DataFrame) -> bool:
        """Start writing table ``name``; False if the last run's files are kept."""
        if name in self.keep and self._reuse([f"{name}.parquet", f"{name}.csv"]):
            return False
        self._start(lambda: self._write_table(df, name), waits=self._forks(df))
        return True

    @staticmethod
    def _forks(df: pd.DataFrame) -> bool:
        return len(df) >= FORKED_ROWS and parallel.can_fork()

    def _record(self, name: str) -> None:
        record = file_record(self.dir / name)  # in the writer thread: hashing releases the GIL
        with self.lock:
            self.records[name] = record

    def _write_table(self, df: pd.DataFrame, name: str) -> list[str]:
        if self._forks(df):
            # A large table is converted and written in a forked process
            # (the arguments handed over by the fork, the records sent back):
            # the conversion of list cells is Python that held the
            # interpreter while the corpus stages ran.
            records = parallel.ForkedCall(_table_files, df, self.dir, name).get()
            with self.lock:
                self.records.update(records)
            return list(records)
        # Once converted, the table's CSV is written beside its Parquet file:
        # on the similarity table each takes about as long as the other.
        converted = outputs.to_arrow(outputs.parquet_ready(df))

        def csv() -> list[str]:
            outputs.write_csv(df, self.dir / f"{name}.csv", converted=converted.table, shown=converted.shown)
            self._record(f"{name}.csv")
            return [f"{name}.csv"]

        self._start(csv)
        outputs.write_parquet(converted, self.dir / f"{name}.parquet")
        self._record(f"{name}.parquet")
        return [f"{name}.parquet"]

    def submit_file(self, name: str, make: Callable[[], str | bytes], *, keep: bool = False) -> bool:
        """Start making and writing the file ``name`` (text is written as
        UTF-8); with ``keep``, reuse the last run's if it is still as recorded."""
        if keep and self._reuse([name]):
            return False
        self._start(lambda: self._write_file(name, make()))
        return True

    def defer(self, task: Callable[[], None]) -> None:
        """Run ``task`` (waiting for a cache file written by a forked process,
        say) beside the tables; ``commit`` waits for it."""
        self._start(lambda: task() or [], waits=True)

    def _write_file(self, name: str, content: str | bytes, *, record: bool = True) -> list[str]:
        target = self.dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        if record:
            self._record(name)
        return [name]

    def commit(self, extra_files: dict[str, str | bytes] | None = None, manifest: dict | None = None) -> list[Path]:
        """Wait for the tables and files, write ``extra_files`` and the
        ``manifest`` (with the record of every file, key ``files``), switch
        the new generation in. Returns the files written (not those kept)."""
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
        if manifest is not None:
            manifest["files"] = dict(sorted(self.records.items()))
            written += self._write_file(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2), record=False)
        self.folder.publish()
        self.committed = True
        return [self.out_dir / name for name in written]

    def close(self) -> None:
        """Stop writing; without ``commit``, remove what was written."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.waiting.shutdown(wait=True, cancel_futures=True)
        if self._own:
            self.folder.__exit__(None, None, None)

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path,
                 extra_files: dict[str, str | bytes] | None = None, *, manifest: dict | None = None) -> list[Path]:
    """Write tables (Parquet + CSV) and extra files into a new generation of
    ``out_dir`` and switch to it (see the module docstring). Returns the files written."""
    with TableWriter(out_dir) as writer:
        # The largest first, the others smallest first, so that the largest
        # two are rarely converted at the same time (their Arrow and CSV
        # copies are a large run's peak memory).
        size = {name: len(df) * max(1, len(df.columns)) for name, df in tables.items()}
        order = sorted(tables, key=lambda name: size[name])
        for name in order[-1:] + order[:-1]:
            writer.submit(name, tables[name])
        return writer.commit(extra_files, manifest)


