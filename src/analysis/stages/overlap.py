"""Stage ``overlap``: which recommendations ask for the same action, and why.

Depends on the recommendations' ``rec_id`` and ``text`` only, so a rerun
with the same texts reuses the last result (``cache_on``); the memo keeps
what earlier runs computed (spans of pairs of texts, the neighbour
search), most of the stage's time when a resolution is added to a large
corpus.
"""

from __future__ import annotations

import pandas as pd

from ..engine.stages import Context, stage


def settings_for(ctx: Context):
    from ..overlap import OverlapSettings

    # Each worker holds a similarity block: at most two.
    return OverlapSettings(n_jobs=min(2, ctx.settings.workers))


@stage("overlap", requires=("recommendations",), produces=("overlap", "clusters"), memo=True,
       cache_on={"recommendations": ("rec_id", "text")})
def overlap(recommendations: pd.DataFrame, ctx: Context, state=None) -> dict:
    # Imported here: a rerun whose texts are unchanged takes the cached
    # result and never needs SciPy (a quarter of a second to import).
    from ..overlap import OverlapMemo, overlap_clusters, overlap_pairs

    settings = settings_for(ctx)
    memo = OverlapMemo.from_state(state, settings)
    pairs = overlap_pairs(recommendations, settings, memo=memo)
    clusters = overlap_clusters(recommendations, pairs, settings)
    # The memo's state is made when it is saved (in the background: it
    # converts half a million span lists on a large corpus).
    return {"overlap": pairs, "clusters": clusters, "state": memo.state}
