"""Files made from the final tables for people and other tools: the
citation graph (GraphML, for Gephi or networkx) and the recommendations
workbook for reading in Excel (names, not codes; a resolution ``11/2``
never turns into a date)."""

from __future__ import annotations

import pandas as pd

from ..citations import citation_network, graphml_text
from ..engine.stages import export
from ..explore import recommendations_workbook
from ..outputs import xlsx_bytes


@export("citations.graphml", requires=("citations",))
def graphml(citations: pd.DataFrame) -> str:
    return graphml_text(citation_network(citations))


@export("recommendations.xlsx", requires=("recommendations", "documents", "review_queue"))
def workbook(recommendations: pd.DataFrame, documents: pd.DataFrame, review_queue: pd.DataFrame) -> bytes:
    return xlsx_bytes(recommendations_workbook(recommendations, documents, review_queue))
