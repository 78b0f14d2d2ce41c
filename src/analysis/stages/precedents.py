"""Stage ``precedents``: each recommendation against the closest one of an earlier unit.

Built on the overlap pairs (``analysis.precedents``). When the run's
inputs, code, rules and corrections are the last run's, the last table is
read back (``reuse_last``): on a large corpus, seconds of a rerun. The memo
keeps the word differences of the pairs of texts compared (``word_changes``
is a function of the two texts alone), so a run with a new resolution
diffs only the pairs it brings: most of the table's cost otherwise.
"""

from __future__ import annotations

import pandas as pd

from ..engine.stages import stage
from ..precedents import precedents as compare


@stage("precedents", requires=("recommendations", "overlap"), produces=("precedents",), reuse_last=True,
       memo=True)
def precedents(recommendations: pd.DataFrame, overlap: pd.DataFrame, state=None) -> dict:
    changes = dict(state) if isinstance(state, dict) else {}
    table = compare(recommendations, overlap, changes=changes)
    # Kept: the pairs whose two texts are both still in the corpus.
    texts = set(recommendations["text"].astype(str).tolist())
    return {"precedents": table, "state": {k: v for k, v in changes.items() if k[0] in texts and k[1] in texts}}
