"""Rule files: the one YAML reader and the one error every rule file fails with.

Every file under ``src/analysis/lexicon/`` (cues, themes, crime areas,
bodies, sessions, structure, stock phrases, citable bodies) is read with
``read_yaml`` and reports a problem as ``RuleError`` naming the file and
the entry, so an analyst who edits one in a text editor is told what to fix
the same way whichever file it is. A module of its own, below every loader,
so that the loaders (``lexicon``, ``bodies``, ``structure``, ``citations``)
import it and never each other in a circle.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the entry
    (and the line, where YAML knows it). The command line prints it as
    ``error: FILE: …`` and exits with status 2, like any bad input."""

    def __init__(self, path: Path | str, entry: str, problem: str, *, line: int | None = None):
        self.path = Path(path)
        self.entry = entry
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path.name}: {entry}: {problem} (file {self.where})")

    @property
    def where(self) -> str:
        """``FILE`` or ``FILE:LINE``, as the command line prints it."""
        return f"{self.path}:{self.line}" if self.line else str(self.path)


#: The name the classification lexicon's loaders used first; the same class.
LexiconError = RuleError


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str, *, error=None) -> dict:
    """Read a rule file holding a mapping. A missing file, invalid YAML or
    another top-level type raises ``error(problem)`` (default: LexiconError
    naming the file), so every rule file fails the same way."""
    path = Path(path)
    make = error or (lambda problem: RuleError(path, "file", problem))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise make("not found") from None
    except yaml.YAMLError as e:
        if error is None and getattr(e, "problem_mark", None) is not None:
            raise RuleError(path, "file", f"is not valid YAML ({e})", line=e.problem_mark.line + 1) from None
        raise make(f"is not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise make("must hold a mapping at the top level")
    return data


from .config import RULES_DIR  # noqa: E402


def rules_version(directory: str | Path | None = None) -> str:
    """Short sha256 over every rule file (name and bytes), so that the
    manifest says which rules made the outputs whichever file was edited
    (the lexicon's own version covers the classification files only).

    >>> len(rules_version())
    12
    """
    import hashlib

    h = hashlib.sha256()
    for p in sorted(Path(directory or RULES_DIR).iterdir()):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]
