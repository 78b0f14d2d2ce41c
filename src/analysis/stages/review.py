"""Stage ``review``: the recommendations an analyst should look at (``needs_review``)."""

from __future__ import annotations

import pandas as pd

from ..engine.stages import stage
from ..overrides import review_queue


@stage("review", requires=("recommendations",), produces=("review_queue",))
def review(recommendations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"review_queue": review_queue(recommendations)}
