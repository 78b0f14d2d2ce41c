"""Command line: ``cop-analysis run INPUT... --out DIR`` (and later stages).

The CLI only parses arguments, calls the pipeline and prints what happened:
one summary line per input, a warning per line the reader could not place,
and a clear error (file and line, exit status 2) for bad input, in which case
nothing in ``--out`` is changed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .read import InputError

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
    from .pipeline import RunSettings, run

    settings = RunSettings(overrides=Path(args.overrides) if args.overrides else None)
    result = run(args.inputs or ["data/raw"], args.out, settings)
    _print_summary(result)
    print(f"wrote {len(result.written)} files to {Path(args.out).resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cop-analysis", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage's counts")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="read, classify and relate the resolutions; write the tables")
    p.add_argument("inputs", nargs="*", help="files or folders (default: data/raw)")
    p.add_argument("--out", default="data/processed", help="output folder (default: data/processed)")
    p.add_argument("--overrides", default="data/overrides.csv",
                   help="analyst corrections applied on every run (default: data/overrides.csv)")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
