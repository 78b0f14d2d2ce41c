"""Benchmark: tokenise + classify against bare jieba on a ~10 MB corpus.

The seed resolution's recommendations are repeated (with unique rec_ids)
until their text reaches ``--mb`` megabytes of UTF-8. On exactly the same
texts the script times

* bare   ``jieba.lcut(text, HMM=False)`` for every row (jieba's global
         tokenizer, dictionary loaded beforehand);
* ours   ``classify_recommendations(recs)`` with the default settings:
         domain tokens for every row, actor / strength / provisions, keyword
         themes, the theme model's prediction, review flags;

alternately, ``--repeat`` times each, and reports the best time of each
(the machine is shared; the best run is the least disturbed one), the
throughput in MB/s, the ratio ours / bare (target >= 0.8) and the peak
resident memory of the process (``resource.getrusage``; target < 1 GB).
Times are CPU time of the process (``time.process_time``), which other
users of a shared machine disturb less than wall time; wall times are
reported as well.
Dictionary loading and model training happen before the timed runs.

Run from the project root:

    .venv/bin/python benchmarks/bench_classify.py            # jieba backend
    .venv/bin/python benchmarks/bench_classify.py --backend rjieba

It is a measurement, not a test: run it once, by hand, and put the figures
in the issue note.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import platform
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def seed_recommendations() -> pd.DataFrame:
    """The seed's recommendations: from the reader when it can read them,
    else from the gold annotation (which holds the same texts)."""
    try:
        from analysis.pipeline import read_corpus

        recs = read_corpus([ROOT / "data" / "raw"]).recommendations
        if len(recs):
            return recs
    except Exception as e:  # the reader is a separate stage; the benchmark must not depend on it
        logging.warning("reader unavailable (%s); using the gold annotation's texts", e)
    from analysis.evaluate import load_gold

    gold = load_gold()
    return gold[gold["source"] != "written_for_testing"][["rec_id", "text", "chapeau", "part", "acting_body"]]


def scaled(recs: pd.DataFrame, mb: float) -> pd.DataFrame:
    size = sum(len(t.encode("utf-8")) for t in recs["text"])
    copies = max(1, round(mb * 1e6 / size))
    parts = [recs.assign(rec_id=recs["rec_id"].astype(str) + f"#{k}") for k in range(copies)]
    return pd.concat(parts, ignore_index=True)


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0, help="corpus size in MB of UTF-8 text (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each side (default 3)")
    ap.add_argument("--backend", default="jieba", choices=("jieba", "rjieba"))
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import jieba

    from analysis.classify import ClassifySettings, classify_recommendations, trained_model
    from analysis.tokenise import get_tokeniser

    recs = scaled(seed_recommendations(), args.mb)
    texts = recs["text"].tolist()
    size_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    settings = ClassifySettings(backend=args.backend)

    # warm-up: dictionaries and the model, outside the timed runs
    jieba.lcut("预热", HMM=False)
    get_tokeniser(backend=args.backend)
    trained_model(settings)
    classify_recommendations(recs.head(50), settings)
    rss_before = peak_rss_mb()

    bare, ours, bare_wall, ours_wall = [], [], [], []
    n_prov = 0
    for _ in range(args.repeat):
        gc.collect()
        t0, w0 = time.process_time(), time.perf_counter()
        for t in texts:
            jieba.lcut(t, HMM=False)
        bare.append(time.process_time() - t0)
        bare_wall.append(time.perf_counter() - w0)
        gc.collect()
        t0, w0 = time.process_time(), time.perf_counter()
        out, prov = classify_recommendations(recs, settings)
        ours.append(time.process_time() - t0)
        ours_wall.append(time.perf_counter() - w0)
        n_prov = len(prov)
        del out, prov
    result = {
        "rows": len(recs), "mb": round(size_mb, 2), "backend": args.backend, "repeat": args.repeat,
        "bare_jieba_cpu_s": round(min(bare), 2), "ours_cpu_s": round(min(ours), 2),
        "bare_jieba_mb_s": round(size_mb / min(bare), 3), "ours_mb_s": round(size_mb / min(ours), 3),
        "ratio": round(min(bare) / min(ours), 3),
        "all_bare_cpu_s": [round(x, 2) for x in bare], "all_ours_cpu_s": [round(x, 2) for x in ours],
        "all_bare_wall_s": [round(x, 2) for x in bare_wall], "all_ours_wall_s": [round(x, 2) for x in ours_wall],
        "provisions": n_prov, "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_after_warmup_mb": round(rss_before, 1),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    width = max(map(len, result))
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
