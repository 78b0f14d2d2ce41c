"""Benchmark of ``analysis.overlap.overlap_pairs`` on a synthetic corpus.

Builds N recommendations (default 50,000) from the seed resolution's own
text, so that the vocabulary, the stock phrases and the sentence lengths are
realistic, then times ``overlap_pairs`` (with the project's tokeniser) and
reports the peak resident memory of the process (``resource.getrusage``).

Each synthetic recommendation starts from one seed recommendation and is
reworded the way resolutions reword each other: the actor and modal of the
chapeau are swapped (各国应考虑 -> 缔约国不妨), clauses after the first are
shuffled or dropped, a few words are replaced by near-synonyms, and one or
two clauses from other seed paragraphs (preamble, headings, other items) are
appended. Recommendations are spread over resolutions of 50 items each.

This corpus is harder than a real one: every recommendation has about
N / 28 near copies, so every row has far more neighbours above the
threshold than the ``max_neighbours`` cap, and similarity blocks are dense.

Run (it takes minutes; run it once, not in a loop)::

    .venv/bin/python benchmarks/bench_overlap.py            # 50,000 rows, 2 workers
    .venv/bin/python benchmarks/bench_overlap.py --n 5000   # a quick look
    .venv/bin/python benchmarks/bench_overlap.py --jobs 1 --backend jieba   # one core, pure-Python jieba

Figures are printed as one JSON object (time in seconds, memory in MB) and
the stages are logged with timestamps.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"

ACTORS = ["各国", "缔约国", "会员国", "毒品和犯罪问题办公室", "秘书处", "受审议缔约方", "各国政府"]
MODALS = ["应", "应当", "应考虑", "应当考虑", "应努力", "不妨", "不妨考虑", "可"]
EXHORT = ["鼓励", "吁请", "请", "促请", "邀请"]
# Near-synonyms as drafters use them; each direction applies with some chance.
SYNONYMS = {
    "加强": "增强",
    "提供": "给予",
    "制定": "拟订",
    "确保": "保证",
    "促进": "推动",
    "收集": "搜集",
    "信息": "资料",
    "培训": "训练",
    "措施": "举措",
    "全面": "充分",
    "有效": "切实",
    "能力": "本领",
    "交流": "交换",
    "协助": "帮助",
    "审查": "审议",
    "考虑": "思考",
}
_CHAPEAU = re.compile(
    "^(?:(?:" + "|".join(EXHORT) + ")(?:" + "|".join(sorted(ACTORS, key=len, reverse=True)) + ")(?:考虑)?"
    "|(?:" + "|".join(sorted(ACTORS + ["联合国毒品和犯罪问题办公室（毒品和犯罪问题办公室）"], key=len, reverse=True))
    + ")(?:" + "|".join(sorted(MODALS, key=len, reverse=True)) + "))"
)


def seed_paragraphs() -> pd.DataFrame:
    from analysis.read import read_document
    from analysis.segment import segment

    return segment(read_document(SEED)).paragraphs


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"(?<=[，；。])", text) if c.strip("，；。 ")]


def synthetic_corpus(n: int, seed: int = 20221016) -> pd.DataFrame:
    paras = seed_paragraphs()
    recs = paras[paras["rec_id"].notna()]
    bases = recs["text"].tolist()
    others = [c for t in paras["text"] for c in _clauses(t) if len(c) >= 8]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = rng.choice(bases)
        body = _CHAPEAU.sub("", text)
        if rng.random() < 0.5:
            chapeau = rng.choice(ACTORS) + rng.choice(MODALS)
        else:
            chapeau = rng.choice(EXHORT) + rng.choice(ACTORS) + ("考虑" if rng.random() < 0.5 else "")
        clauses = _clauses(body) or [body]
        head, tail = clauses[0], clauses[1:]
        rng.shuffle(tail)
        if tail and rng.random() < 0.3:
            tail.pop()
        extra = [rng.choice(others) for _ in range(rng.randint(0, 2))]
        text = chapeau + head + "".join(tail) + "".join(extra)
        for a, b in SYNONYMS.items():
            if a in text and rng.random() < 0.25:
                text = text.replace(a, b)
            elif b in text and rng.random() < 0.25:
                text = text.replace(b, a)
        res = f"{i // 50 // 20 + 1}/{i // 50 % 20 + 1}"
        rows.append({"rec_id": f"{res}:body:{i % 50 + 1}", "resolution": res, "text": text})
    return pd.DataFrame(rows)


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished workers.

    Unlike wall-clock time, this does not grow when other jobs share the cores.
    """
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def maxrss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000, help="number of synthetic recommendations")
    ap.add_argument("--seed", type=int, default=20221016)
    ap.add_argument("--jobs", type=int, default=2, help="OverlapSettings.n_jobs (the target is 2 cores)")
    ap.add_argument("--backend", default="auto", help="OverlapSettings.tokeniser_backend")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from analysis.overlap import OverlapSettings, default_tokens, overlap_clusters, overlap_pairs

    t0 = time.perf_counter()
    recs = synthetic_corpus(args.n, args.seed)
    t_build = time.perf_counter() - t0
    settings = OverlapSettings(n_jobs=args.jobs, tokeniser_backend=args.backend)
    # The tokeniser is built before timing: a one-off cost of the process.
    default_tokens(settings.tokeniser_backend)("各国应考虑加强执法合作")
    rss_before = maxrss_mb()

    load_start = os.getloadavg()[0]
    t1, c1 = time.perf_counter(), cpu_s()
    pairs = overlap_pairs(recs, settings)
    t_pairs, c_pairs = time.perf_counter() - t1, cpu_s() - c1
    rss_pairs = maxrss_mb()
    t2 = time.perf_counter()
    clusters = overlap_clusters(recs, pairs, settings)
    t_clusters = time.perf_counter() - t2

    figures = {
        "n_recommendations": len(recs),
        "cpu_count": os.cpu_count(),
        "settings": {
            k: getattr(settings, k)
            for k in ("top_k", "threshold", "max_neighbours", "chunk_cells", "n_jobs", "tokeniser_backend")
        },
        "build_corpus_s": round(t_build, 1),
        "overlap_pairs_s": round(t_pairs, 1),
        "overlap_pairs_cpu_s": round(c_pairs, 1),
        "load_average_1min_start": round(load_start, 2),
        "load_average_1min_end": round(os.getloadavg()[0], 2),
        "overlap_clusters_s": round(t_clusters, 1),
        "peak_rss_before_mb": round(rss_before),
        "peak_rss_after_pairs_mb": round(rss_pairs),
        "peak_rss_end_mb": round(maxrss_mb()),
        # Forked workers: their own peak (the largest one), not included above.
        "peak_rss_workers_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "pairs": len(pairs),
        "pairs_above_threshold": int((pairs["similarity"] >= settings.threshold).sum()),
        "clusters": int(clusters["cluster_id"].nunique()) if len(clusters) else 0,
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
