"""Worker processes, the data they share, and the garbage-collector policy.

The only place the package forks, starts threads or pauses the collector. Workers are
forked (where the platform can), so what they need is handed over by the
fork itself, not pickled: ``forked_pool(jobs, X=matrix, …)`` puts the
keyword values where ``shared(name)`` finds them, forks the workers, and
takes the values away again when the pool is closed. A task function run
in a worker reads ``shared("X")``; the same function run in the main
process (no pool: one job, or no fork) reads the same values, so a stage
has one code path whether or not it runs in parallel.

>>> with forked_pool(1, answer=42) as pool:
...     pool is None, shared("answer")
(True, 42)
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: What forked workers read (``shared``); set by ``forked_pool`` just before the fork.
_SHARED: dict = {}


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux, macOS; not Windows)."""
    return "fork" in mp.get_all_start_methods()


def workers(jobs: int, cap: int = 4) -> int:
    """``jobs`` as a number of processes: 0 (or less) means one per core, at most ``cap``."""
    return jobs if jobs > 0 else min(cap, os.cpu_count() or 1)


def shared(name: str):
    """A value handed to the workers of the current ``forked_pool``."""
    return _SHARED[name]


@contextmanager
def forked_pool(jobs: int, **data) -> Iterator["mp.pool.Pool | None"]:
    """A pool of ``jobs`` forked workers that inherit ``data`` (``shared``),
    or None when ``jobs`` <= 1 or fork is not available (the caller then
    runs its tasks in this process, where ``shared`` reads the same
    ``data``). The pool is terminated and ``data`` removed on exit."""
    _SHARED.update(data)
    pool = mp.get_context("fork").Pool(jobs) if jobs > 1 and can_fork() else None
    try:
        yield pool
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        for key in data:
            _SHARED.pop(key, None)


def start_pool(jobs: int, **data):
    """A pool of ``jobs`` forked workers inheriting ``data`` (``shared``),
    that the caller closes (``stop_pool``), for work that runs alongside the
    main process (reading new inputs while stored ones load: even one
    worker is worth it then); None when fork is not available (``data`` is
    still shared, for the tasks the caller then runs itself)."""
    _SHARED.update(data)
    return mp.get_context("fork").Pool(max(1, jobs)) if can_fork() else None


def stop_pool(pool, *names: str) -> None:
    """Stop a pool of ``start_pool`` and take back the data ``names`` it was given."""
    if pool is not None:
        pool.terminate()
        pool.join()
    for name in names:
        _SHARED.pop(name, None)


def _call_and_send(conn, fn, args) -> None:
    try:
        value = (True, fn(*args))
    except BaseException as exc:  # handed to the parent, raised there
        value = (False, exc)
    try:
        conn.send(value)
    except Exception as exc:  # an unpicklable result or exception
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


class ForkedCall:
    """``fn(*args)`` computed in one forked process, beside the main one;
    ``get()`` waits for it and returns it (or raises what it raised),
    ``close()`` stops it if it still runs. The arguments are handed over
    by the fork (not pickled); the result comes back pickled.

    For work that holds the interpreter a long time while the main process
    has other work (the recommendations workbook: seconds of Python while
    the similarity and precedent tables are computed). Where fork is not
    available the call is made by ``get`` itself, in this process.

    ``fn`` must not import a module that another thread of this process may
    be importing when the fork is made: the child would wait forever for
    that module's import lock. Import such modules before the threads
    start (``writer.TableWriter`` does).

    >>> ForkedCall(sum, [1, 2, 3]).get()
    6
    """

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args
        self.proc = self.conn = None
        self.lock = threading.Lock()
        if can_fork():
            ctx = mp.get_context("fork")
            self.conn, child = ctx.Pipe(duplex=False)
            self.proc = ctx.Process(target=_call_and_send, args=(child, fn, args), daemon=True)
            self.proc.start()
            child.close()

    def get(self):
        proc, conn = self.proc, self.conn
        if proc is None:
            return self.fn(*self.args)
        try:
            ok, value = conn.recv()
        except (EOFError, OSError):
            proc.join()
            raise RuntimeError(f"the process computing {getattr(self.fn, '__qualname__', self.fn)} ended "
                               f"without a result (exit code {proc.exitcode})") from None
        finally:
            self.close()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the process (if it still runs) and let its pipe go. Safe to
        call twice, and from another thread than ``get``'s (a run failing
        while the writer waits on the result)."""
        with self.lock:
            proc, conn, self.proc, self.conn = self.proc, self.conn, None, None
            self.fn = _closed
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
            proc.join()
            conn.close()


def _closed(*args):
    raise RuntimeError("ForkedCall.get after close")


def thread_map(func: Callable[[T], R], items: Iterable[T], jobs: int) -> list[R]:
    """``func`` over ``items`` in at most ``jobs`` threads (``jobs`` <= 1: in
    this thread, one after the other), the results in the order of
    ``items``; an exception of ``func`` is raised here once the others are
    done. For work that waits on something else (a notebook's kernel is a
    process of its own), not for Python work: threads share one
    interpreter.

    >>> thread_map(lambda x: x * x, range(5), jobs=2)
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        futures = [pool.submit(func, item) for item in items]
    return [f.result() for f in futures]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. A run builds millions of small
    containers (tokens, terms, evidence lists) that each automatic
    collection walks again; they form no cycles worth collecting
    (reference counting frees them). On a corpus of a thousand resolutions
    this took a quarter of a one-file rerun, and peak memory was the same
    with and without it (benchmarks/results_pipeline.md). Nested pauses
    are fine: the collector comes back when the outermost one ends."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
