"""How often does notebook execution stall? Execute notebooks many times, count the stalls.

Each execution starts a new kernel (as ``cop-analysis report`` does) and gives
every cell ``--timeout`` seconds, without the retry of
``report.execute_notebook`` (``retries=0``), so each stall is counted. The
kernel variants are run interleaved, execution by execution, so both see the
same load; ``--workers`` executions run at once (the load).

    PYTHONPATH=src python benchmarks/stress_notebooks.py /tmp/run --runs 100 \\
        --variant ipykernel7= --variant ipykernel6=/tmp/ipk6

``--variant NAME=PATH`` puts PATH first on the kernel's PYTHONPATH (empty: the
installed ipykernel). Prints one line per variant and writes a JSON of every
execution with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _one(job):
    from analysis.report import NotebookStalled, execute_notebook

    variant, path, notebook, processed, timeout = job
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (path, str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    started = time.perf_counter()
    try:
        execute_notebook(NOTEBOOKS / notebook, {"PROCESSED": processed}, cwd=NOTEBOOKS, timeout=timeout,
                         retries=0, env=env)
        outcome, detail = "ok", ""
    except NotebookStalled as exc:
        outcome, detail = "stalled", str(exc)
    except Exception as exc:  # a cell error is not a stall; count it apart
        outcome, detail = "error", f"{type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}"
    return {"variant": variant, "notebook": notebook, "outcome": outcome, "detail": detail,
            "seconds": round(time.perf_counter() - started, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("processed", help="a run's output folder")
    ap.add_argument("--runs", type=int, default=100, help="executions per variant")
    ap.add_argument("--notebook", action="append", default=None,
                    help="notebook file names (default: 03 and 05, alternating)")
    ap.add_argument("--variant", action="append", required=True, help="NAME=PYTHONPATH-for-the-kernel")
    ap.add_argument("--timeout", type=int, default=30, help="seconds per cell before it counts as stalled")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write every execution here")
    args = ap.parse_args(argv)
    notebooks = args.notebook or ["03_classification.ipynb", "05_overlap_and_citations.ipynb"]
    variants = [v.split("=", 1) for v in args.variant]
    jobs = [(name, path, notebooks[i % len(notebooks)], str(Path(args.processed).resolve()), args.timeout)
            for i in range(args.runs) for name, path in variants]
    results = []
    with ProcessPoolExecutor(args.workers) as pool:
        for fut in as_completed([pool.submit(_one, j) for j in jobs]):
            r = fut.result()
            results.append(r)
            if r["outcome"] != "ok":
                print(f"{r['variant']} {r['notebook']}: {r['outcome']} {r['detail']}", file=sys.stderr, flush=True)
    for name, _ in variants:
        mine = [r for r in results if r["variant"] == name]
        counts = {k: sum(r["outcome"] == k for r in mine) for k in ("ok", "stalled", "error")}
        ok_secs = [r["seconds"] for r in mine if r["outcome"] == "ok"]
        print(f"{name}: {len(mine)} executions, {counts['stalled']} stalled, {counts['error']} errors, "
              f"median {statistics.median(ok_secs) if ok_secs else float('nan'):.1f} s per completed execution")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
