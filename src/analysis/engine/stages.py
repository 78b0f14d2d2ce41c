"""Stages as declared functions, and the order they run in.

A stage is a plain function from tables to tables, registered with what it
reads and what it makes, the way spaCy components declare ``requires`` /
``assigns`` and PUDL assets name their input tables::

    @stage("classify", requires=("paragraphs",), produces=("recommendations", "provisions"),
           per_input=True)
    def classify(paragraphs, ctx): ...

* The function takes the tables it ``requires`` as keyword arguments (and
  ``ctx``, the run's ``Context``, if it names it) and returns a dict of the
  tables it ``produces``. The engine checks each against ``analysis.tables``
  when the stage returns.
* ``per_input``: the stage's tables are a function of one input file alone;
  the engine runs it on the inputs that are new (in worker processes when
  there are many), keeps its tables per input in the corpus store, and
  reuses them while the input's bytes and the stage's code are unchanged.
  It receives the tables of a batch of inputs at once (its costs are per
  call). The first per-input stage takes ``inputs``, the batch's
  ``(path, sha256)`` pairs, instead of tables (it reads the files).
* ``memo``: the stage keeps state between runs (what it computed for texts
  it has seen): it takes ``state`` (None on a first run) and returns the
  new state under the key ``"state"``.
* ``cache_on``: the table columns the stage's result depends on. While they
  and the stage's code are the same as in a run before, the engine reuses
  that run's result without calling it.
* ``reuse_last``: when the whole run's inputs, code, rules and corrections
  are those of the last run, its table is read back from the last run's
  output folder instead of being computed.

Nothing here is a list kept by hand: the order comes from ``requires`` /
``produces``, and a stage's cache fingerprint from the modules its own
module imports (``cache.fingerprint``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from .. import tables as contracts
from . import cache


@dataclass(frozen=True)
class Stage:
    name: str
    func: Callable
    requires: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    per_input: bool = False
    memo: bool = False
    cache_on: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reuse_last: bool = False

    @property
    def module(self) -> str:
        """The stage's module, dotted below the package (``stages.classify``)."""
        return self.func.__module__.split(".", 1)[1]

    def fingerprint(self) -> str:
        """sha256 over the code this stage runs (its module and everything it
        imports in the package), the rule files and the gold annotations."""
        return cache.fingerprint((self.module,))

    def call(self, tables: dict, ctx: "Context", **extra) -> dict:
        """Call the stage with the tables it requires; check what it returns."""
        params = inspect.signature(self.func).parameters
        kwargs = {name: tables[name] for name in self.requires}
        if "ctx" in params:
            kwargs["ctx"] = ctx
        kwargs.update(extra)
        out = self.func(**kwargs)
        missing = [t for t in self.produces if t not in out]
        if missing:
            raise RuntimeError(f"stage {self.name} did not produce {missing}")
        for name in self.produces:
            check_table(name, out[name], stage=self.name)
        return out


@dataclass
class Context:
    """What a stage may know of the run besides its tables: the settings and
    where to say what it found (``warn``: shown after the run and recorded
    in the manifest)."""

    settings: object
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


#: Every stage, by name, in declaration order (``analysis.stages`` declares them).
REGISTRY: dict[str, Stage] = {}


def stage(name: str, *, requires=(), produces=(), per_input: bool = False, memo: bool = False,
          cache_on: dict | None = None, reuse_last: bool = False):
    """Register the decorated function as the stage ``name`` (see the module docstring)."""
    unknown = [t for t in (*requires, *produces) if t not in contracts.TABLES]
    if unknown:
        raise ValueError(f"stage {name}: no table {unknown} in analysis.tables")

    def register(func: Callable) -> Callable:
        REGISTRY[name] = Stage(name, func, tuple(requires), tuple(produces), per_input, memo,
                               dict(cache_on or {}), reuse_last)
        return func

    return register


def ordered(stages: list[Stage] | None = None) -> list[Stage]:
    """The stages in an order where each runs after the stages making what it
    requires (declaration order among the rest). A stage that requires and
    produces the same table (corrections) runs after that table's other
    makers and before its readers.

    >>> from analysis import stages  # noqa: F401  (declares the stages)
    >>> [s.name for s in ordered()][:3]
    ['read', 'classify', 'cite']
    """
    stages = list(REGISTRY.values()) if stages is None else list(stages)
    makers: dict[str, list[Stage]] = {}
    for s in stages:
        for t in s.produces:
            makers.setdefault(t, []).append(s)
    done: list[Stage] = []
    pending = list(stages)
    while pending:
        for s in pending:
            before = set()
            for t in s.requires:
                for m in makers.get(t, []):
                    if m is s:
                        continue
                    if t in s.produces and t in m.requires:
                        continue  # s rewrites t: only t's first makers come before it
                    before.add(m.name)
            if before <= {d.name for d in done}:
                done.append(s)
                pending.remove(s)
                break
        else:
            raise ValueError(f"stages {[s.name for s in pending]} wait on each other")
    return done


def final_after(stages: list[Stage]) -> dict[str, str]:
    """For each table, the stage after which it is final (its last maker)."""
    last: dict[str, str] = {}
    for s in stages:
        for t in s.produces:
            last[t] = s.name
    return last


def check_table(name: str, df, *, stage: str | None = None):
    """Check ``df`` against the contract of table ``name``; a broken contract
    names the stage that made it."""
    try:
        return contracts.check(df, contracts.TABLES[name])
    except contracts.SchemaError as exc:
        raise contracts.SchemaError(f"stage {stage}: {exc}" if stage else str(exc)) from None


@dataclass(frozen=True)
class Export:
    """A file made from final tables (``name`` in the output folder): the
    function takes the tables it requires and returns the file's text or bytes."""

    name: str
    func: Callable
    requires: tuple[str, ...]

    def make(self, tables: dict) -> str | bytes:
        return self.func(**{t: tables[t] for t in self.requires})


#: Every export, by file name.
EXPORTS: dict[str, Export] = {}


def export(name: str, *, requires=()):
    """Register the decorated function as the export of file ``name``."""

    def register(func: Callable) -> Callable:
        EXPORTS[name] = Export(name, func, tuple(requires))
        return func

    return register
