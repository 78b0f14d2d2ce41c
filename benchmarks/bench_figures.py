"""Time of ``cop-analysis report --no-notebooks`` (the figures and the page) and of matplotlib alone.

    python benchmarks/bench_figures.py RUN_DIR --variant before=/path/to/old/src --variant after=src --runs 3

For each variant (a ``src`` folder put on PYTHONPATH) the run folder is
copied, its figures removed, and ``python -m analysis report --no-notebooks``
timed with ``/usr/bin/time -v`` (wall clock, peak memory), ``--runs`` times
("cold": every figure drawn); then once more on the same copy ("warm": a
report on an unchanged run). ``--matplotlib`` adds what matplotlib itself
needs for the same files: the same charts drawn (``report.chart_specs``)
and saved as PNG 300 dpi, SVG and PDF by plain ``savefig(bbox_inches=
"tight")``, one after another in one process. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MPL_ONLY = r"""
import sys, time
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
from analysis.explore import load
from analysis.report import chart_specs
from analysis.fonts import setup_fonts
run = load(sys.argv[1]); out = sys.argv[2]
setup_fonts()
t = time.perf_counter()
for name, _, draw in chart_specs(run):
    for lang in ("zh", "en"):
        fig = draw(lang); fig = getattr(fig, "figure", fig)
        for fmt in ("png", "svg", "pdf"):
            fig.savefig(f"{out}/{name}_{lang}.{fmt}", dpi=300, bbox_inches="tight")
        plt.close(fig)
print(f"drawing {time.perf_counter() - t:.1f}")
"""


def timed(cmd: list[str], env: dict) -> tuple[float, int, float]:
    """Wall clock (s), peak RSS (kB) and CPU time (user + system, children included, s)."""
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise RuntimeError(r.stderr[-2000:])
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", r.stderr).group(1)) for k in ("User", "System"))
    return seconds, rss, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--variant", action="append", required=True, help="NAME=SRC")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--matplotlib", help="SRC to draw with for the matplotlib-only figures")
    args = ap.parse_args(argv)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench-figures-"))
    for spec in args.variant:
        name, src = spec.split("=", 1)
        env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
        copy = work / name
        shutil.copytree(args.run_dir, copy, symlinks=True)
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(copy / "figures", ignore_errors=True)
            cold.append(timed([sys.executable, "-m", "analysis", "report", "--out", str(copy), "--no-notebooks"], env))
        warm = timed([sys.executable, "-m", "analysis", "report", "--out", str(copy), "--no-notebooks"], env)
        n_files = len([p for p in (copy / "figures").iterdir() if p.suffix in (".png", ".svg", ".pdf")])
        rows.append((name, n_files, [c[0] for c in cold], warm[0], max(c[1] for c in cold), [c[2] for c in cold]))
        print(f"{name}: cold {[round(c[0], 1) for c in cold]} s, warm {warm[0]:.1f} s", file=sys.stderr, flush=True)
    if args.matplotlib:
        env = dict(os.environ, PYTHONPATH=str(Path(args.matplotlib).resolve()))
        times = []
        for _ in range(args.runs):
            out = work / "mpl"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            times.append(timed([sys.executable, "-c", MPL_ONLY, str(Path(args.run_dir).resolve()), str(out)], env))
        rows.append(("matplotlib alone (draw + savefig, 1 process)", len(list(out.iterdir())),
                     [t[0] for t in times], None, max(t[1] for t in times), [t[2] for t in times]))
    print("| variant | files | cold wall (s) | median wall (s) | median CPU (s) | warm wall (s) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|")
    for name, n, cold, warm, rss, cpu in rows:
        print(f"| {name} | {n} | {', '.join(f'{c:.1f}' for c in cold)} | {statistics.median(cold):.1f} | "
              f"{statistics.median(cpu):.1f} | {'' if warm is None else f'{warm:.1f}'} | {rss / 1024:.0f} |")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
