"""Paths and defaults, in one place.

Everything that names a folder of the project or of the package reads it
from here: the package's own data (rule files, fonts, templates), the
project's data folders, and the defaults the command line and the
notebooks use. ``RAW`` and ``PROCESSED`` are the defaults as typed
(``data/raw``, ``data/processed``: relative to where a command runs, as
the README's commands expect); ``PROJECT_DIR`` is the checkout this package
is installed from (editable install), where ``data/overrides.csv`` and the
gold annotations live.

>>> RULES_DIR.name, (PACKAGE_DIR / "fonts").is_dir()
('lexicon', True)
"""

from __future__ import annotations

from pathlib import Path

#: The package folder (``src/analysis``).
PACKAGE_DIR = Path(__file__).resolve().parent
#: The project checkout holding ``src/`` (for an editable install: the repository).
PROJECT_DIR = PACKAGE_DIR.parents[1]

#: The rule files (cues, themes, structure, bodies …): every file in it counts for the rules' version.
RULES_DIR = PACKAGE_DIR / "lexicon"
FONTS_DIR = PACKAGE_DIR / "fonts"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

#: The project's data: the analysts' corrections and the gold annotations.
DATA_DIR = PROJECT_DIR / "data"
ANNOTATIONS_DIR = DATA_DIR / "annotations"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
#: The corrections file's place inside a project (``pipeline.find_overrides`` looks for it).
OVERRIDES_NAME = Path("data") / "overrides.csv"

#: Defaults of the command line, the pipeline and the notebooks, as typed.
RAW = "data/raw"
PROCESSED = "data/processed"
FIGURES = "data/processed/figures"
