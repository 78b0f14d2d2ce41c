"""Stage ``cite``: every reference to a resolution, document, date, treaty or article.

A session report's own text (cover, contents, narrative) is no
resolution's: it is not cited from.
"""

from __future__ import annotations

import pandas as pd

from ..citations import extract_citations
from ..engine.stages import stage


@stage("cite", requires=("paragraphs",), produces=("citations",), per_input=True)
def cite(paragraphs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"citations": extract_citations(paragraphs[paragraphs["kind"] != "report"].reset_index(drop=True))}
