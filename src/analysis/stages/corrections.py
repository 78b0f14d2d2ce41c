"""Stage ``corrections``: the analysts' overrides (``data/overrides.csv``), applied once.

What an override cannot be applied to (a ``rec_id`` no longer in the
corpus) is a warning of the run, never an error (``analysis.overrides``).
"""

from __future__ import annotations

import pandas as pd

from ..engine.stages import Context, stage
from ..overrides import apply_overrides, read_overrides


@stage("corrections", requires=("recommendations",), produces=("recommendations",))
def corrections(recommendations: pd.DataFrame, ctx: Context) -> dict[str, pd.DataFrame]:
    path = ctx.settings.overrides_file
    if path is None:
        return {"recommendations": recommendations}
    recs, warnings = apply_overrides(recommendations, read_overrides(path))
    for w in warnings:
        ctx.warn(w)
    return {"recommendations": recs}
