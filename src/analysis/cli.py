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
import re
import logging
import sys
import time
from pathlib import Path

from . import config
from .inputs import InputError
from .rules import RuleError

#: Exit status when another run holds the output folder (2 is bad input).
EXIT_BUSY = 3

log = logging.getLogger("analysis")


def _print_summary(result) -> None:
    for s in result.corpus.summaries:
        conv = f", converted ({s['converted']})" if s.get("converted") else ""
        folded = f", {s['folded']} radical code points folded" if s.get("folded") else ""
        report = f", {s['report_paragraphs']} report paragraphs" if s.get("report_paragraphs") else ""
        print(f"{s['file']}: {_units_said(s['units'])}: {s['paragraphs']} paragraphs, "
              f"{s['recommendations']} recommendations, {s['footnotes']} footnotes{report}, "
              f"{s['debris']} debris lines removed, {s['unplaced']} unplaced{conv}{folded}")
    for row in result.corpus.unplaced.itertuples():
        print(f"warning: {row.source_file}:{row.line}: could not place: {row.text[:60]} ({row.reason})",
              file=sys.stderr)


def _units_said(units) -> str:
    """``resolution 11/2`` for a file of one; ``3 resolutions (11/1–11/3), 2 decisions (…)`` for a report.

    >>> _units_said([("resolution", "11/2")])
    'resolution 11/2'
    >>> _units_said([("resolution", "11/1"), ("resolution", "11/2"), ("decision", "dec.11/101")])
    '2 resolutions (11/1, 11/2), 1 decision (dec.11/101)'
    """
    units = [tuple(u) for u in units]
    if len(units) == 1:
        return f"{units[0][0]} {units[0][1]}"
    parts = []
    for kind in ("resolution", "decision"):
        keys = [k for t, k in units if t == kind]
        if keys:
            shown = ", ".join(keys) if len(keys) <= 6 else f"{keys[0]} … {keys[-1]}"
            parts.append(f"{len(keys)} {kind}{'' if len(keys) == 1 else 's'} ({shown})")
    return ", ".join(parts)


def cmd_run(args) -> int:
    from .pipeline import AUTO, RunSettings, run

    # --overrides not given: the project's data/overrides.csv; --overrides "": none
    overrides = AUTO if args.overrides is None else (Path(args.overrides) if args.overrides else None)
    settings = RunSettings(overrides=overrides, cache=not args.no_cache, jobs=args.jobs)
    started = time.perf_counter()
    result = run(args.inputs or [config.RAW], args.out, settings)
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
    from .glossary import reset_unglossed, unglossed_summary
    from .report import build_report

    reset_unglossed()  # count what this report's English charts show in Chinese
    try:
        built = build_report(args.out, execute=not args.no_notebooks)
    except FileNotFoundError as exc:  # no run in --out yet
        raise InputError(args.out, str(exc).removeprefix(f"{args.out} ")) from None
    figures = built.figures
    if hasattr(figures, "drawn"):
        same = len(figures) - figures.drawn
        print(f"figures: {figures.drawn} drawn, {same} unchanged"
              + (f" ({figures.redrawn} of them drawn again to compare, the same)" if figures.redrawn else ""))
    if built.reused:
        print(f"notebooks: {len(built.reused)} not executed again (same run, notebook and code): "
              + ", ".join(built.reused))
    for name in built.retried:
        print(f"note: notebook {name} stalled and was executed again in a new kernel")
    for name, reason in built.failed:
        print(f"warning: notebook {name} could not be executed ({reason}); report.html names it", file=sys.stderr)
    print(f"report: {built.path.resolve()}")
    print(f"figures: {(Path(args.out) / 'figures').resolve()}")
    print(unglossed_summary())
    return 1 if built.failed else 0


def cmd_evaluate(args) -> int:
    from .evaluate import write_evaluation

    paths = write_evaluation(args.out)
    print(f"evaluation: {paths}")
    return 0


def cmd_brief(args) -> int:
    from .brief import write_brief

    targets = write_brief(args.input, corpus=args.corpus, out_dir=args.out)
    for target in targets if isinstance(targets, list) else [targets]:
        print(f"brief: {target.resolve()}")
    return 0


def cmd_search(args) -> int:
    from .explore import load
    from .outputs import write_csv, write_xlsx
    from .search import kwic_lines, search

    run = load(args.out)
    table = search(run.recommendations, args.query, actor_group=args.actor_group,
                   strength_family=args.strength_family, theme=args.theme, crime_area=args.crime_area,
                   body=args.body, year_from=args.year_from, year_to=args.year_to)
    for line in kwic_lines(table):
        print(line)
    by = table["how"].value_counts().to_dict() if len(table) else {}
    print(f"{len(table)} recommendation(s) match {args.query!r} ({by.get('text', 0)} by their text, "
          f"{by.get('tokens', 0)} by their words) in {table['resolution'].nunique() if len(table) else 0} unit(s)")
    if len(table):
        slug = re.sub(r"[^\w]+", "_", args.query).strip("_") or "query"
        target = Path(args.save) if args.save else Path(args.out) / "search" / f"search_{slug}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_csv(table, target)
        write_xlsx({"search": table}, target.with_suffix(".xlsx"))
        print(f"search: {target.resolve()} and {target.with_suffix('.xlsx').name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cop-analysis", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage's counts")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="read, classify and relate the resolutions; write the tables")
    p.add_argument("inputs", nargs="*", help="files or folders (default: data/raw)")
    p.add_argument("--out", default=config.PROCESSED, help=f"output folder (default: {config.PROCESSED})")
    p.add_argument("--overrides", default=None,
                   help="analyst corrections applied on every run (default: data/overrides.csv of the inputs' "
                        "project, the nearest folder above them that has one; \"\" for none)")
    p.add_argument("--no-cache", action="store_true", help="recompute every input (ignore the cache)")
    p.add_argument("--jobs", type=int, default=0,
                   help="worker processes for new inputs and the overlap stage (default 0: one per core, at most 4)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("report", help="charts (PNG/SVG/PDF), executed notebooks and report.html from a run")
    p.add_argument("--out", default=config.PROCESSED, help=f"the run's output folder (default: {config.PROCESSED})")
    p.add_argument("--no-notebooks", action="store_true", help="charts and report page only")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("evaluate", help="score the classifier against the gold annotation")
    p.add_argument("--out", default=config.PROCESSED, help=f"where evaluation.md goes (default: {config.PROCESSED})")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("brief", help="one-page HTML brief for one resolution against the corpus so far")
    p.add_argument("input", help="the resolution file (e.g. data/raw/<file>)")
    p.add_argument("--corpus", default=config.RAW, help=f"the corpus to compare with (default: {config.RAW})")
    p.add_argument("--out", default=config.PROCESSED, help=f"output folder (default: {config.PROCESSED})")
    p.set_defaults(func=cmd_brief)
    p = sub.add_parser("search", help="agreed-language search: where the corpus asks for something, over time")
    p.add_argument("query", help="words to find (in the text, or as the tokeniser's words)")
    p.add_argument("--out", default=config.PROCESSED, help=f"the run's output folder (default: {config.PROCESSED})")
    p.add_argument("--actor-group", nargs="*", help="States, UNODC, Body, Other")
    p.add_argument("--strength-family", nargs="*", help="应, 鼓励, 不妨, 其他")
    p.add_argument("--theme", nargs="*", help="theme codes (LEG, TA …)")
    p.add_argument("--crime-area", nargs="*", help="crime area codes (TIP, SOM …)")
    p.add_argument("--body", nargs="*", help="adopting bodies (COP, GA, ECOSOC, CCPCJ, COSP)")
    p.add_argument("--year-from", type=int, help="first year")
    p.add_argument("--year-to", type=int, help="last year")
    p.add_argument("--save", help="CSV file to write (an XLSX beside it; default: <out>/search/search_<query>.csv)")
    p.set_defaults(func=cmd_search)
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
    except RuleError as exc:  # an edited rule file: as bad input, never a traceback
        print(f"error: {exc.where}: {exc.entry}: {exc.problem}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk, not the program: a full disk, a folder made read-only meanwhile
        where = exc.filename or (args.out if hasattr(args, "out") else "")
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
