"""Stage ``terms``: the tokeniser's terms counted per unit."""

from __future__ import annotations

import pandas as pd

from ..engine.stages import stage
from ..tokenise import term_frequencies


@stage("terms", requires=("recommendations",), produces=("term_frequencies",))
def terms(recommendations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"term_frequencies": term_frequencies(recommendations, by="resolution")}
