"""Cache files: atomic pickles, and the fingerprints a cached result is valid for.

The only place the package pickles. A fingerprint is a sha256 over the
code a result depends on and the rule files and gold annotations; the code
is derived from the modules the stage's own module imports (within the
package, transitively), so that no list of modules is kept by hand: a
stage that starts importing another module has its cache invalidated by
that module's edits, automatically.
"""

from __future__ import annotations

import ast
import hashlib
import pickle
import re
from functools import lru_cache
from pathlib import Path

from .. import config


def pickle_atomic(target: Path, *objs) -> None:
    """Pickle ``objs`` one after the other into ``target``, which appears whole or not at all."""
    import os

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")  # two processes may write the same file
    with open(tmp, "wb") as fh:
        for obj in objs:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(target)


def read_pickles(path: Path, n: int = 1):
    """The first ``n`` objects pickled in ``path`` (one object if ``n`` is 1).
    Raises whatever reading raises: the callers treat a damaged file as absent."""
    with open(path, "rb") as fh:
        objs = [pickle.load(fh) for _ in range(n)]
    return objs[0] if n == 1 else objs


class PickleStream:
    """Read a cache file's pickles one at a time (a header first, then the bulk)."""

    def __init__(self, path: Path):
        self.fh = open(path, "rb")

    def next(self):
        return pickle.load(self.fh)

    def close(self) -> None:
        self.fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@lru_cache(maxsize=None)
def _module_file(name: str) -> Path | None:
    """The source file of package module ``analysis.<name>`` (dotted below the package), if any."""
    base = config.PACKAGE_DIR.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _relative(found: set[str], pkg: list[str], level: int, module: str | None, names: list[str]) -> None:
    """Add what ``from <level dots><module> import <names>`` inside package ``pkg`` names:
    each name that is a module, else the module it is taken from."""
    base = pkg[: len(pkg) - (level - 1)] if level > 1 else list(pkg)
    prefix = ".".join([*base, *(module.split(".") if module else [])])
    for alias in names:
        for cand in (f"{prefix}.{alias}" if prefix and alias != "*" else alias, prefix):
            if cand and cand != "*" and _module_file(cand) is not None:
                found.add(cand)
                break


def _absolute(found: set[str], modules: list[str]) -> None:
    """Add the package modules among ``import analysis.x`` / ``from analysis.x import …``."""
    for mod in modules:
        if mod == "analysis" or mod.startswith("analysis."):
            rest = mod[len("analysis."):] if mod != "analysis" else "__init__"
            if _module_file(rest) is not None:
                found.add(rest)


#: An import statement at the start of a line (indented ones too: function-local
#: imports count), with a parenthesised list of names over several lines.
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)"
                     r"|import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*))", re.M)


@lru_cache(maxsize=None)
def _imports(name: str, path: Path) -> frozenset[str]:
    """The package modules that module ``name`` (at ``path``) imports, anywhere in it
    (function-local imports included), as dotted names below the package.

    Read from the import statements' text, not from a parsed tree: parsing
    the package's modules took half a second of every rerun. A statement
    quoted in a docstring counts too, which can only add a dependency,
    never lose one; a test traces what a stage really runs."""
    text = path.read_text(encoding="utf-8")
    pkg = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for m in _IMPORT.finditer(text):
        dots, module, names, plain = m.groups()
        if plain is not None:
            _absolute(found, [x.strip() for x in plain.split(",")])
        elif dots:
            aliases = [a.split(" as ")[0].strip() for a in names.strip("() \t\n").replace("\n", " ").split(",")]
            _relative(found, pkg, len(dots), module, [a or "*" for a in aliases])
        else:
            _absolute(found, [module])
    found.discard(name)
    return frozenset(found)


def _imports_parsed(name: str, path: Path) -> set[str]:
    """``_imports`` from the parsed tree (slower; the reference the tests compare with)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            _relative(found, pkg, node.level, node.module, [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            _absolute(found, [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom):
            _absolute(found, [node.module or ""])
    found.discard(name)
    return found


@lru_cache(maxsize=None)
def module_closure(*names: str) -> tuple[str, ...]:
    """``names`` and every package module they import, transitively, sorted;
    plus the ``__init__`` of each package a module sits in (Python runs
    it), though not what that ``__init__`` imports: a package's
    ``__init__`` that gathers its submodules (``analysis.stages``) does not
    make each stage depend on all the others.

    >>> "rules" in module_closure("lexicon")
    True
    >>> "overlap" in module_closure("stages.classify")
    False
    """
    seen: set[str] = set()
    todo = [*names, "__init__"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen.add(name)
        todo.extend(_imports(name, path) - seen)
    parents = {".".join(m.split(".")[:i]) for m in seen for i in range(1, m.count(".") + 1)}
    return tuple(sorted(seen | {p for p in parents if _module_file(p) is not None}))


def fingerprint(modules: tuple[str, ...] | None = None) -> str:
    """sha256 over the given package modules (None: every module of the
    package), every rule file and the gold annotations: what a cached
    result depends on besides its input."""
    h = hashlib.sha256()
    if modules is None:
        code = sorted(p for p in config.PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    else:
        code = [p for p in map(_module_file, module_closure(*modules)) if p is not None]
    files = code + sorted(config.RULES_DIR.glob("*"))
    files += sorted(config.ANNOTATIONS_DIR.glob("*.csv"))
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(config.PACKAGE_DIR) if f.is_relative_to(config.PACKAGE_DIR)
                         else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()
