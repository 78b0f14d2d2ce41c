"""Stage ``precedents``: each recommendation against the closest one of an earlier unit.

Built on the overlap pairs (``analysis.precedents``). When the run's
inputs, code, rules and corrections are the last run's, the last table is
read back (``reuse_last``): on a large corpus, seconds of a rerun.
"""

from __future__ import annotations

import pandas as pd

from ..engine.stages import stage
from ..precedents import precedents as compare


@stage("precedents", requires=("recommendations", "overlap"), produces=("precedents",), reuse_last=True)
def precedents(recommendations: pd.DataFrame, overlap: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"precedents": compare(recommendations, overlap)}
