"""Stage ``classify``: who is asked to act, how strongly, on what, about which crime.

The recommendations are the paragraphs that carry a ``rec_id``
(``segment.recommendations``); ``analysis.classify`` labels them and their
clauses (provisions). Per input, but called on a batch of inputs at once:
the classifier's cost is mostly per call (tables, model).
"""

from __future__ import annotations

import pandas as pd

from ..classify import classify_recommendations
from ..engine.stages import stage
from ..segment import recommendations


@stage("classify", requires=("paragraphs",), produces=("recommendations", "provisions"), per_input=True)
def classify(paragraphs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    recs, provisions = classify_recommendations(recommendations(paragraphs))
    return {"recommendations": recs, "provisions": provisions}
