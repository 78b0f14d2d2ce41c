"""A run's tables as the notebooks read them: ``Run``, ``load``, and one
resolution's share of them (``pick_resolution``, ``subset``).

Contract
--------
``load(processed)`` (default ``config.PROCESSED``) reads the tables
``cop-analysis run`` wrote (Parquet) into a ``Run`` (missing tables are
empty, and logged), all from the one run ``processed/current`` points at
(``outputs.run_folder``), so that a run switching its outputs in meanwhile
cannot mix two runs' tables; a folder holding no run is a
``FileNotFoundError`` that says to run ``cop-analysis run`` first.
``pick_resolution`` is the resolution notebook 06 briefs (the one asked
for, or the run's latest in time); ``subset`` restricts every table of a
run to one resolution and refuses (``KeyError``) a resolution the run does
not hold, naming those it does.

Why here
--------
This is the one module of ``analysis.explore`` that reads files; the other
modules are functions from tables to tables, so the rule "one run, never
two mixed" is kept in one place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import PROCESSED
from ..outputs import read_table, run_folder

logger = logging.getLogger(__name__)


TABLES = ("documents", "paragraphs", "recommendations", "unplaced", "provisions", "overlap", "clusters",
          "citations", "review_queue", "term_frequencies", "precedents")


@dataclass
class Run:
    """The tables of one run, by name (``run.recommendations`` …).

    ``processed``: the output folder as given (figures and reports go
    there); ``folder``: where the run's files were read from."""

    processed: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    folder: Path | None = None

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def resolutions(self) -> list[str]:
        from ..coverage import resolution_key

        docs = self.tables["documents"]
        keys = {str(k) for units in docs["units"] for k in units} if "units" in docs else set()
        return sorted(keys, key=resolution_key)


def load(processed: str | Path = PROCESSED) -> Run:
    """Read the tables of a run; say clearly when the run has not been made."""
    processed = Path(processed)
    for attempt in range(3):
        folder = run_folder(processed)
        try:
            return _load(processed, folder)
        except FileNotFoundError:
            # A run switched in and removed the generation being read: read the new one.
            if attempt == 2 or run_folder(processed) == folder:
                raise
    raise AssertionError("unreachable")


def _load(processed: Path, folder: Path) -> Run:
    if not (folder / "recommendations.parquet").exists():
        raise FileNotFoundError(f"{processed} holds no run: run `cop-analysis run` first")
    run = Run(processed, folder=folder)
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            run.tables[name] = read_table(folder, name)
        else:
            logger.info("%s: no %s table", processed, name)
            run.tables[name] = pd.DataFrame()
    manifest = folder / "manifest.json"
    if manifest.exists():
        run.manifest = json.loads(manifest.read_text(encoding="utf-8"))
    return run


# --------------------------------------------------------------------------
# One resolution (notebook 6)
# --------------------------------------------------------------------------

def pick_resolution(run: Run, resolution: str | None = None) -> str:
    """``resolution``, or when it is None the run's latest unit in time
    (``bodies.time_key``): what notebook 06 briefs by default, so that it
    runs on any corpus, not only one holding a given resolution."""
    if resolution is not None:
        return str(resolution)
    if not run.resolutions:
        raise KeyError(f"{run.processed} holds no resolution")
    return run.resolutions[-1]


def subset(run: Run, resolution: str) -> Run:
    """The tables of ``run`` restricted to one resolution.

    Overlap pairs are kept when either side belongs to the resolution (the
    pairs across resolutions are what a brief is after); clusters when one
    member does. Raises ``KeyError`` listing the run's resolutions when
    ``resolution`` is not among them.
    """
    resolution = str(resolution)
    if resolution not in run.resolutions:
        raise KeyError(f"resolution {resolution} is not in {run.processed} "
                       f"(it holds {', '.join(run.resolutions) or 'none'})")
    recs = run.tables.get("recommendations", pd.DataFrame())
    own = set(recs.loc[recs["resolution"].astype(str) == resolution, "rec_id"]) if len(recs) else set()
    docs = run.tables.get("documents", pd.DataFrame())
    files = ({f for f, units in zip(docs["source_file"], docs["units"]) if resolution in {str(u) for u in units}}
             if len(docs) else set())
    tables = {}
    for name, df in run.tables.items():
        if df.empty:
            tables[name] = df
        elif name == "overlap" and {"rec_id_a", "rec_id_b"} <= set(df.columns):
            tables[name] = df[df["rec_id_a"].isin(own) | df["rec_id_b"].isin(own)].reset_index(drop=True)
        elif name == "clusters" and "rec_id" in df.columns:
            ids = set(df.loc[df["rec_id"].isin(own), "cluster_id"])
            tables[name] = df[df["cluster_id"].isin(ids)].reset_index(drop=True)
        elif name == "term_frequencies" and "group" in df.columns:
            tables[name] = df[df["group"].astype(str) == resolution].reset_index(drop=True)
        elif "resolution" in df.columns:
            tables[name] = df[df["resolution"].astype(str) == resolution].reset_index(drop=True)
        elif "rec_id" in df.columns:
            tables[name] = df[df["rec_id"].isin(own)].reset_index(drop=True)
        elif "source_file" in df.columns:
            tables[name] = df[df["source_file"].isin(files)].reset_index(drop=True)
        else:
            tables[name] = df
    return Run(run.processed, tables, run.manifest, run.folder)
