"""Stage ``units``: each resolution and decision is read from one file only.

The same unit in two files (or in a session report and a file of its own)
would count its recommendations twice: the run is refused, naming the
second file and the header's line.
"""

from __future__ import annotations

import pandas as pd

from ..bodies import unit_name
from ..engine.stages import stage
from ..inputs import InputError


@stage("units", requires=("documents",))
def units(documents: pd.DataFrame) -> dict:
    seen: dict[str, str] = {}
    for path, keys, lines in zip(documents["source_path"], documents["units"], documents["unit_lines"]):
        for key, line in zip(keys, lines):
            if key in seen:
                raise InputError(path, f"{unit_name(key, 'en')} ({key}) is also in {seen[key]}; keep one copy of "
                                 "each resolution and decision in the input folder", line=int(line))
            seen[key] = str(path)
    return {}
