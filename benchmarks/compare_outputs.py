"""Compare every output of two versions of the code on the same inputs.

The restructuring of the package into declared stages and one engine is
meant to change nothing a run writes; this script shows it. It checks out
``--base`` (a git revision, default ``main~``) into a scratch worktree,
runs ``cop-analysis run`` with that code and with the working tree's code
on the same inputs (each in a fresh process, cache off), and compares:

* every ``*.parquet``, ``*.csv`` and ``*.graphml`` file byte for byte; a
  Parquet file whose bytes differ is compared by content (schema with its
  pandas metadata, and every value): the same content in other row groups
  is reported as such, not as a difference;
* ``recommendations.xlsx`` cell by cell (the zip holds the time it was
  written, so its bytes differ from run to run);
* ``manifest.json`` by its tables' row counts and columns (the rest is
  times and fingerprints).

Inputs: folders or files as arguments, or ``--corpus NAME`` for the
corpora the tests and benchmarks use: ``seed`` (data/raw), ``reports``
(the written session-report fixtures of tests/fixtures_reports.py as
.txt), ``formats`` (the seed and the written session report as DOCX, PDF
and HTML, built as the tests build them: one run per format, since the
same resolution in two files is refused), ``repeated``/``distinct``/``realistic`` (``bench_pipeline.py``'s
generators, ``--n`` resolutions). Exit status 0 when everything is
identical, 1 otherwise (the differences are listed)::

    .venv/bin/python benchmarks/compare_outputs.py --base e5b4188~ --corpus seed --corpus reports
    .venv/bin/python benchmarks/compare_outputs.py --base e5b4188~ --corpus realistic --n 300
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(corpus: str, where: Path, n: int) -> Path:
    """The inputs of a named corpus, made in ``where``."""
    raw = where / f"raw_{corpus}"
    if corpus == "seed":
        return ROOT / "data" / "raw"
    if raw.exists():
        return raw
    raw.mkdir(parents=True)
    if corpus == "formats":  # the seed and a session report as DOCX, PDF and HTML, as the tests build them
        sys.path.insert(0, str(ROOT / "tests"))
        import fixtures_build as fb
        import fixtures_reports as fx

        for name, text in (("seed", fb.seed_text()), ("report", fx.report_text())):
            sub = raw / name
            sub.mkdir()
            fb.build_docx(text, sub / f"written_for_testing_{name}.docx")
            fb.build_pdf(text, sub / f"written_for_testing_{name}.pdf")
            (sub / f"written_for_testing_{name}.html").write_bytes(fb.build_html(text))
        return raw
    if corpus == "reports":
        sys.path.insert(0, str(ROOT / "tests"))
        import fixtures_reports as fx

        seed = (ROOT / "data" / "raw").glob("*.txt").__next__().read_text(encoding="utf-8")
        texts = {"report": fx.report_text(), "ga": fx.GA_RES, "ecosoc": fx.ECOSOC_RES, "ccpcj": fx.CCPCJ_RES,
                 "cosp": fx.COSP_RES, "seed": seed, "later_seed": fx.later_seed(seed)}
        for name, text in texts.items():
            (raw / f"written_for_testing_{name}.txt").write_text(text, encoding="utf-8")
        return raw
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_pipeline

    requests = None
    if corpus == "realistic":
        requests = bench_pipeline.make_requests(argparse.Namespace(seed=20221016))
    bench_pipeline.build_corpus(n, raw, distinct=corpus == "distinct", requests=requests)
    return raw


def run(code: Path, inputs: list[Path], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code / "src")}
    cmd = [sys.executable, "-m", "analysis", "run", *map(str, inputs), "--out", str(out), "--no-cache",
           "--overrides", ""]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{code}: run failed ({done.returncode}):\n{done.stderr[-2000:]}")


def xlsx_cells(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def same_parquet_content(a: Path, b: Path) -> str | None:
    """How two Parquet files of the same content are laid out (row groups),
    or None when their schemas, metadata or values differ."""
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    if not ta.equals(tb, check_metadata=True):
        return None
    return (f"row groups {pq.ParquetFile(a).metadata.num_row_groups} -> "
            f"{pq.ParquetFile(b).metadata.num_row_groups}")


def compare(old: Path, new: Path, notes: list[str] | None = None) -> list[str]:
    problems = []
    names = sorted({p.name for p in old.iterdir()} | {p.name for p in new.iterdir()})
    for name in names:
        a, b = old / name, new / name
        if name.startswith(".") or name == "current" or a.is_dir() or b.is_dir():
            continue
        if not a.exists() or not b.exists():
            problems.append(f"{name}: only in {'the new' if b.exists() else 'the old'} outputs")
        elif name.endswith((".parquet", ".csv", ".graphml")):
            if not filecmp.cmp(a, b, shallow=False):
                layout = same_parquet_content(a, b) if name.endswith(".parquet") else None
                if layout is None:
                    problems.append(f"{name}: bytes differ")
                elif notes is not None:
                    notes.append(f"{name}: same content, bytes differ ({layout})")
        elif name.endswith(".xlsx"):
            if xlsx_cells(a) != xlsx_cells(b):
                problems.append(f"{name}: cells differ")
        elif name == "manifest.json":
            ta = json.loads(a.read_text(encoding="utf-8"))["tables"]
            tb = json.loads(b.read_text(encoding="utf-8"))["tables"]
            strip = lambda t: {k: (v["rows"], v["columns"]) for k, v in t.items()}  # noqa: E731
            if strip(ta) != strip(tb):
                problems.append("manifest.json: tables' rows or columns differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", type=Path, help="input files or folders")
    ap.add_argument("--corpus", action="append", default=[],
                    choices=["seed", "reports", "formats", "repeated", "distinct", "realistic"])
    ap.add_argument("--base", default="main~", help="git revision to compare with (default main~)")
    ap.add_argument("--n", type=int, default=200, help="resolutions of a generated corpus")
    ap.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="compare_outputs_"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base_code"
    if not base.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base], check=True,
                       capture_output=True)
    sets = {str(p): [p] for p in args.inputs}
    for c in args.corpus:
        raw = build(c, work, args.n)
        if c == "formats":
            for ext in ("docx", "pdf", "html"):
                sets[f"formats-{ext}"] = sorted(raw.glob(f"*/*.{ext}"))
        else:
            sets[c] = [raw]
    failed = False
    try:
        for label, inputs in sets.items():
            old, new = work / f"out_{label.replace('/', '_')}_old", work / f"out_{label.replace('/', '_')}_new"
            run(base, inputs, old)
            run(ROOT, inputs, new)
            notes: list[str] = []
            problems = compare(old, new, notes)
            n_files = len([p for p in new.iterdir() if p.is_file() or p.is_symlink()])
            print(f"{label}: {n_files} files, " + ("identical" if not problems else f"{len(problems)} differ"))
            for p in problems + notes:
                print(f"  {p}")
            failed |= bool(problems)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
