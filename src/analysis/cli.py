"""Command line: ``cop-analysis run INPUT... --out DIR`` (and later stages).

The CLI only parses arguments, calls the pipeline and prints what happened:
one summary line per input, a warning per line the reader could not place,
which corrections file was applied, what the run found and put right in
``--out`` (an interrupted run's leftovers, damaged outputs), and a clear
error, never a traceback, for what it refuses: ``error: FILE[:LINE]:
message`` on stderr and exit status 2 for bad input (inputs, corrections,
an unusable ``--out``), in which case nothing in ``--out`` is changed;
exit status 3 when another run holds ``--out``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .read import InputError

#: Exit status when another run holds the output folder (2 is bad input).
EXIT_BUSY = 3

log = logging.getLogger("analysis")


def _print_summary(result) -> None:
    for s in result.corpus.summaries:
        conv = f", converted ({s['converted']})" if s.get("converted") else ""
        print(f"{s['file']}: resolution {s['resolution']}: {s['paragraphs']} paragraphs, "
              f"{s['recommendations']} recommendations, {s['footnotes']} footnotes, "
              f"{s['debris']} debris lines removed, {s['unplaced']} unplaced{conv}")
    for row in result.corpus.unplaced.itertuples():
        print(f"warning: {row.source_file}:{row.line}: could not place: {row.text[:60]} ({row.reason})",
              file=sys.stderr)


def cmd_run(args) -> int:
    from .pipeline import AUTO, RunSettings, run

    # --overrides not given: the project's data/overrides.csv; --overrides "": none
    overrides = AUTO if args.overrides is None else (Path(args.overrides) if args.overrides else None)
    settings = RunSettings(overrides=overrides, cache=not args.no_cache, jobs=args.jobs)
    started = time.perf_counter()
    result = run(args.inputs or ["data/raw"], args.out, settings)
    for note in result.notes:
        print(f"note: {note}")
    _print_summary(result)
    if result.overrides is not None:
        n = result.overrides_rows
        print(f"corrections: {n} row{'' if n == 1 else 's'} from {result.overrides.resolve()}")
    elif args.overrides == "":
        print("corrections: none (--overrides \"\")")
    else:
        print("corrections: none (no data/overrides.csv in the inputs' project; --overrides FILE names one)")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    recs = result.tables["recommendations"]
    for col, what in (("actor_group", "actor"), ("strength_family", "strength"), ("primary_theme", "theme")):
        if col in recs and recs[col].isna().any():
            print(f"note: {int(recs[col].isna().sum())} of {len(recs)} recommendations have no {what}")
    if "needs_review" in recs:
        print(f"{int(recs['needs_review'].sum())} of {len(recs)} recommendations need review (review_queue.csv)")
    clusters = result.tables["clusters"]
    n_groups = clusters["cluster_id"].nunique() if len(clusters) else 0
    print(f"{len(result.tables['overlap'])} similar pairs kept, {n_groups} group(s) asking for the same action, "
          f"{len(result.tables['citations'])} citations")
    reused = f" ({result.reused} of {len(result.corpus.documents)} inputs unchanged, reused)" if result.reused else ""
    n = len(result.written)
    kept = result.kept  # (not "made" before this run: two runs may fall in the same second)
    n_tables = len(result.manifest["tables"])
    unchanged = (f"; {'the' if len(kept) == n_tables else f'{len(kept)} of the'} {n_tables} tables are unchanged "
                 "(same inputs, rules and code)") if kept else ""
    print(f"wrote {n} file{'' if n == 1 else 's'} to {Path(args.out).resolve()}{reused}{unchanged} in "
          f"{time.perf_counter() - started:.1f} s")
    return 0


def cmd_report(args) -> int:
    from .report import build_report

    try:
        built = build_report(args.out, execute=not args.no_notebooks)
    except FileNotFoundError as exc:  # no run in --out yet
        raise InputError(args.out, str(exc).removeprefix(f"{args.out} ")) from None
    for name, reason in built.failed:
        print(f"warning: notebook {name} could not be executed ({reason}); report.html names it", file=sys.stderr)
    print(f"report: {built.path.resolve()}")
    print(f"figures: {(Path(args.out) / 'figures').resolve()}")
    return 1 if built.failed else 0


def cmd_evaluate(args) -> int:
    from .evaluate import write_evaluation

    paths = write_evaluation(args.out)
    print(f"evaluation: {paths}")
    return 0


def cmd_brief(args) -> int:
    from .brief import write_brief

    target = write_brief(args.input, corpus=args.corpus, out_dir=args.out)
    print(f"brief: {target.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cop-analysis", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage's counts")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="read, classify and relate the resolutions; write the tables")
    p.add_argument("inputs", nargs="*", help="files or folders (default: data/raw)")
    p.add_argument("--out", default="data/processed", help="output folder (default: data/processed)")
    p.add_argument("--overrides", default=None,
                   help="analyst corrections applied on every run (default: data/overrides.csv of the inputs' "
                        "project, the nearest folder above them that has one; \"\" for none)")
    p.add_argument("--no-cache", action="store_true", help="recompute every input (ignore the cache)")
    p.add_argument("--jobs", type=int, default=0,
                   help="worker processes for new inputs and the overlap stage (default 0: one per core, at most 4)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("report", help="charts (PNG/SVG/PDF), executed notebooks and report.html from a run")
    p.add_argument("--out", default="data/processed", help="the run's output folder (default: data/processed)")
    p.add_argument("--no-notebooks", action="store_true", help="charts and report page only")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("evaluate", help="score the classifier against the gold annotation")
    p.add_argument("--out", default="data/processed", help="where evaluation.md goes (default: data/processed)")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("brief", help="one-page HTML brief for one resolution against the corpus so far")
    p.add_argument("input", help="the resolution file (e.g. data/raw/<file>)")
    p.add_argument("--corpus", default="data/raw", help="the corpus to compare with (default: data/raw)")
    p.add_argument("--out", default="data/processed", help="output folder (default: data/processed)")
    p.set_defaults(func=cmd_brief)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from .outputs import OutputBusy

    try:
        return args.func(args)
    except OutputBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk, not the program: a full disk, a folder made read-only meanwhile
        where = exc.filename or (args.out if hasattr(args, "out") else "")
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
