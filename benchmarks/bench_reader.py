"""Benchmark: reading a COP session report (units found, time per page).

Builds a session report written for testing (``tests/fixtures_reports.py``:
cover, contents, chapters, introductions, narrative) holding ``--res``
resolutions and ``--dec`` decisions, footnotes numbered through it, and
renders it as TXT, DOCX and an A4 PDF with running headers and footers
(``tests/fixtures_build.py``). For each rendering it reads and segments the
file ``--repeat`` times and reports the units, recommendations and report
paragraphs found, the lines it could not place, and the best wall time
(the machine is shared: the least disturbed run), per file and per PDF page.

Run from the project root:

    .venv/bin/python benchmarks/bench_reader.py            # writes benchmarks/results_reader.md

It is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import fixtures_build as fb  # noqa: E402
from fixtures_reports import DEC_A, RES_A, RES_B, report_text  # noqa: E402

from analysis.read import read_document  # noqa: E402
from analysis.segment import segment  # noqa: E402

SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def build_report(n_res: int, n_dec: int) -> str:
    """A report of ``n_res`` resolutions (11/1 …) and ``n_dec`` decisions (11/101 …),
    each footnote given a number of its own through the report."""
    units = {}
    for i in range(1, n_res + 1):
        units[f"11/{i}"] = (RES_A if i % 2 else RES_B).replace("11/1 ", f"11/{i} ").replace("11/3 ", f"11/{i} ")
    for i in range(101, 101 + n_dec):
        units[f"dec.11/{i}"] = DEC_A.replace("11/101", f"11/{i}")
    text, out, count, pending = report_text(units), [], 0, []
    for line in text.split("\n"):
        if re.match("^[¹²³] ", line):  # a footnote body takes the number its mark was given
            line = pending.pop(0) + line[1:]
        else:
            def renumber(_m):
                nonlocal count
                count += 1
                pending.append(str(count).translate(SUP))
                return pending[-1]
            line = re.sub("[¹²³]", renumber, line)
        out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=int, default=30)
    ap.add_argument("--dec", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "results_reader.md"))
    args = ap.parse_args(argv)
    d = Path(tempfile.mkdtemp(prefix="bench_reader_"))
    text = build_report(args.res, args.dec)
    (d / "report.txt").write_text(text, encoding="utf-8")
    fb.build_docx(text, d / "report.docx")
    pages = fb.build_pdf(text, d / "report.pdf").pages
    rows = []
    for name in ("report.txt", "report.docx", "report.pdf"):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            seg = segment(read_document(d / name))
            times.append(time.perf_counter() - t)
        p = seg.paragraphs
        rows.append((name, len(seg.units), int(p["rec_id"].notna().sum()), int((p["kind"] == "report").sum()),
                     len(seg.unplaced), min(times)))
    lines = [
        "# Reader benchmark: a session report",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, {platform.python_version()}, nproc 2 (shared machine: best of "
        f"{args.repeat} runs). A written-for-testing report of {args.res} resolutions and {args.dec} decisions, "
        f"{pages} A4 pages as PDF. Command: `.venv/bin/python benchmarks/bench_reader.py`.",
        "",
        "| rendering | units found | recommendations | report paragraphs | unplaced | read + segment | per PDF page |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, units, recs, report, unplaced, best in rows:
        lines.append(f"| {name} | {units} of {args.res + args.dec} | {recs} | {report} | {unplaced} | "
                     f"{best:.2f} s | {1000 * best / pages:.0f} ms |")
    Path(args.results).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
