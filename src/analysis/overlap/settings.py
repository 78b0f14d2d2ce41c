"""The overlap stage's settings (``OverlapSettings``), in a module of their own.

Every other part of the stage reads them (features, search, explanations,
memo, clusters), so they sit below all of them; the defaults are what
``cop-analysis run`` uses, and the calibration of the thresholds is told
in the class's docstring.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class OverlapSettings:
    """Parameters of the overlap stage; the defaults are what ``cop-analysis run`` uses.

    ``weights`` are (tokens, character n-grams) and are normalised to sum to 1,
    so that ``similarity`` stays in [0, 1]. ``threshold`` is calibrated on the
    seed and the written paraphrase fixtures (tests/fixtures/paraphrases.yaml):
    paraphrases of one request score 0.43–0.80, items sharing only a chapeau
    and the Convention's title 0.12–0.17, and the seed's 28 recommendations,
    which ask for different things, at most 0.25 apart from its two "核可"
    paragraphs (0.77). ``cluster_threshold`` is stricter: a cluster claims
    "the same action".
    """

    top_k: int = 5
    threshold: float = 0.35
    cluster_threshold: float = 0.45
    ngram_range: tuple[int, int] = (2, 3)
    weights: tuple[float, float] = (0.5, 0.5)
    #: Features present in more than this share of the recommendations are
    #: dropped (applied from ``min_docs_for_max_df`` recommendations on: in a
    #: handful of texts document frequency says nothing).
    max_df: float = 0.5
    min_docs_for_max_df: int = 20
    #: Longest common substrings shorter than this are not reported.
    min_span: int = 4
    max_terms: int = 5
    max_spans: int = 3
    #: Cap on the above-threshold neighbours kept per row (a corpus of near
    #: copies would otherwise yield n^2 pairs); capped rows are logged.
    max_neighbours: int = 20
    #: Upper bound on the cells of one dense similarity block (float32).
    chunk_cells: int = 8_000_000
    #: Components larger than this are first cut at a stricter threshold
    #: (dense average linkage needs m^2 / 2 distances).
    max_linkage_size: int = 2000
    label_terms: int = 3
    #: Stock-phrase file; None means the packaged lexicon/stock_phrases.yaml.
    stock_phrases: str | None = None
    #: Backend of the default tokeniser: "jieba", "rjieba", or "auto" (rjieba
    #: when installed: same tokens, about 20 times faster; see analysis.tokenise).
    tokeniser_backend: str = "auto"
    #: Worker processes for the neighbour search and the shared spans (1: none;
    #: -1: one per core). Workers are forked, so this applies on Linux/macOS.
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.top_k < 0:
            raise ValueError(f"OverlapSettings.top_k must be >= 0, got {self.top_k}")
        for name in ("threshold", "cluster_threshold", "max_df"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"OverlapSettings.{name} must be in (0, 1], got {v}")
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"OverlapSettings.ngram_range must be 1 <= lo <= hi, got {self.ngram_range}")
        if len(self.weights) != 2 or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"OverlapSettings.weights must be two non-negative numbers, got {self.weights}")
        if self.tokeniser_backend not in ("auto", "jieba", "rjieba"):
            raise ValueError(f"OverlapSettings.tokeniser_backend must be auto, jieba or rjieba, got {self.tokeniser_backend!r}")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(f"OverlapSettings.n_jobs must be -1 or >= 1, got {self.n_jobs}")
        if self.min_span < 2:
            raise ValueError("OverlapSettings.min_span must be >= 2")

    @property
    def jobs(self) -> int:
        return (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    @property
    def token_weight(self) -> float:
        return self.weights[0] / sum(self.weights)

    @property
    def ngram_weight(self) -> float:
        return self.weights[1] / sum(self.weights)
