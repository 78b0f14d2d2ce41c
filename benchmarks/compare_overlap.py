"""Old against new: the overlap and clusters tables of one benchmark corpus, compared exactly.

A change meant to make the overlap stage faster must leave its tables as
they were: the same pairs, scores, ranks, shared terms and spans, clusters
and labels. This builds one of ``bench_pipeline.py``'s corpora (repeated,
``--distinct`` or ``--realistic``), reads its recommendations, runs
``overlap_pairs`` and ``overlap_clusters`` with the code on ``PYTHONPATH``,
and either saves both tables (``--save``) or compares them, cell by cell
and in row order, with tables saved by another version (``--against``)::

    git archive main src | tar -x -C /tmp/old        # the version to compare with
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/compare_overlap.py --distinct \\
        --workdir /tmp/cmp_distinct --save /tmp/cmp_distinct/old.pkl
    PYTHONPATH=src .venv/bin/python benchmarks/compare_overlap.py --distinct \\
        --workdir /tmp/cmp_distinct --against /tmp/cmp_distinct/old.pkl

The recommendations are read once and kept in ``--workdir`` (both runs use
the same ones). The exit status is 1 when the tables differ, and the first
differences are printed. List cells are compared as lists of strings,
whatever container holds them.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_pipeline as bp  # noqa: E402

LIST_COLUMNS = ("shared_terms", "shared_spans")


def recommendations(args) -> pd.DataFrame:
    """The corpus's recommendations (rec_id, resolution, text), read once into the workdir."""
    cached = args.workdir / "recommendations.parquet"
    if cached.exists():
        return pd.read_parquet(cached)
    from analysis.read import read_document
    from analysis.segment import recommendations as recs_of, segment

    requests = bp.make_requests(args) if args.realistic else None
    paths, _ = bp.build_corpus(args.n, args.workdir / "raw", args.seed, args.distinct, requests)
    parts = [recs_of(segment(read_document(p)).paragraphs)[["rec_id", "resolution", "text"]] for p in paths]
    recs = pd.concat(parts, ignore_index=True)
    recs.to_parquet(cached)
    return recs


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """The table with list cells as Python lists and a fresh index."""
    out = df.reset_index(drop=True).copy()
    for col in LIST_COLUMNS:
        if col in out:
            out[col] = pd.Series([[str(x) for x in v] for v in out[col]], dtype=object)
    return out


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _same(x, y) -> bool:
    if _missing(x) or _missing(y):
        return _missing(x) and _missing(y)
    return bool(x == y) and type(x) is type(y)


def differences(old: pd.DataFrame, new: pd.DataFrame, limit: int = 5) -> list[str]:
    if list(old.columns) != list(new.columns):
        return [f"columns differ: {list(old.columns)} / {list(new.columns)}"]
    if len(old) != len(new):
        return [f"{len(old)} rows / {len(new)} rows"]
    found = []
    for col in old.columns:
        a, b = old[col], new[col]
        if str(a.dtype) != str(b.dtype):
            found.append(f"{col}: dtype {a.dtype} / {b.dtype}")
        bad = [k for k, (x, y) in enumerate(zip(a.tolist(), b.tolist())) if not _same(x, y)]
        if bad:
            found.append(f"{col}: {len(bad)} rows differ, e.g. row {bad[0]}: {a.iloc[bad[0]]!r} / {b.iloc[bad[0]]!r}")
        if len(found) >= limit:
            break
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of synthetic resolutions")
    ap.add_argument("--seed", type=int, default=20221016)
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--distinct", action="store_true")
    kind.add_argument("--realistic", action="store_true")
    ap.add_argument("--workdir", type=Path, required=True, help="where the corpus and its recommendations are kept")
    ap.add_argument("--jobs", type=int, default=2, help="OverlapSettings.n_jobs")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write the two tables here")
    what.add_argument("--against", type=Path, help="compare with the tables saved here")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    from analysis.overlap import OverlapSettings, overlap_clusters, overlap_pairs

    recs = recommendations(args)
    settings = OverlapSettings(n_jobs=args.jobs)
    t0 = time.perf_counter()
    pairs = overlap_pairs(recs, settings)
    t1 = time.perf_counter()
    clusters = overlap_clusters(recs, pairs, settings)
    t2 = time.perf_counter()
    tables = {"overlap": plain(pairs), "clusters": plain(clusters)}
    report = {"recommendations": len(recs), "distinct_texts": int(recs["text"].nunique()),
              "pairs": len(pairs), "clusters": int(clusters["cluster_id"].nunique()) if len(clusters) else 0,
              "overlap_pairs_s": round(t1 - t0, 1), "overlap_clusters_s": round(t2 - t1, 1)}
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump(tables, fh, protocol=pickle.HIGHEST_PROTOCOL)
        print(json.dumps({**report, "saved": str(args.save)}, ensure_ascii=False))
        return 0
    with open(args.against, "rb") as fh:
        old = pickle.load(fh)
    problems = {name: differences(old[name], tables[name]) for name in tables}
    identical = not any(problems.values())
    print(json.dumps({**report, "identical": identical, "differences": problems}, ensure_ascii=False, indent=1))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
