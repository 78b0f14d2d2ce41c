"""Look at the pages as a reader's browser shows them: headless Chromium screenshots.

    PYTHONPATH=src python scripts/screenshot_pages.py OUT [RESOLUTION] [--shots DIR]

OUT is a run's output folder; its report page (``cop-analysis report``,
charts only) and the brief of RESOLUTION (default: the run's latest unit)
are written, then screenshotted in Chinese and in English into DIR (default:
a new temporary folder, printed). The pages embed their font, so the
pictures show what a machine without a Chinese font shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv=None) -> int:
    from analysis.brief import brief_html
    from analysis.explore import load, pick_resolution
    from analysis.pages import screenshot
    from analysis.report import build_report

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("resolution", nargs="?")
    ap.add_argument("--shots", help="folder for the pictures (default: a new temporary folder)")
    args = ap.parse_args(argv)
    shots = Path(args.shots or tempfile.mkdtemp(prefix="cop-pages-"))
    shots.mkdir(parents=True, exist_ok=True)
    report = build_report(args.out, execute=False).path
    run = load(args.out)
    resolution = pick_resolution(run, args.resolution)
    brief = shots / f"brief_{resolution.replace('/', '-')}.html"
    brief.write_text(brief_html(run.tables, resolution), encoding="utf-8")
    for page, stem in ((report, "report"), (brief, brief.stem)):
        for lang in ("zh", "en"):
            if screenshot(page, shots / f"{stem}_{lang}.png", lang=lang) is None:
                print("no chromium found: no screenshots", file=sys.stderr)
                return 1
    print(f"screenshots: {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
