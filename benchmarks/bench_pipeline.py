"""Benchmark of the whole pipeline (``analysis.pipeline.run``) on a scaled corpus.

Builds N resolution files (default 1,000, about 10 MB) from the seed
resolution 11/2 and measures, each in a fresh Python process so that the
figures do not leak into each other:

1. the full run with a cold cache: wall time of ``run()`` and of the whole
   process, peak resident memory (``ru_maxrss`` of the process and of its
   children, if any);
2. bare ``jieba.lcut(text, HMM=False)`` over the same file texts, after
   jieba's dictionary is loaded once (the yardstick of the issue's target
   "full run at most 2x bare jieba");
3. one new file added, then the run again with the warm cache: the
   incremental rerun's time, repeated ``--repeat`` times (one more new file
   each time; the median is the figure, the range shows this shared
   machine's noise; ``os.sync()`` before each, so that one run's 250 MB
   of writes are not flushed during the next); then a rerun with nothing new;
4. if the project's tokeniser offers ``backend="rjieba"``: its raw cut against
   the default jieba backend on the seed text repeated, identity and speed.

Each run's time per stage comes from the manifest (``timings_s``).

Each synthetic resolution is the seed with a unique number
(``第 {session}/{k} 号决议``, sessions 1-99), some actor phrases swapped
(各国 / 缔约国 / 会员国), and, in each annex, some lettered items dropped or
two neighbouring items swapped; the letters are rewritten so they stay
consecutive. The texts therefore differ from each other while keeping the
seed's vocabulary and layout (footnotes mid-text, headings, two annexes).
Most recommendations then repeat one of the seed's 28 almost verbatim (80
distinct texts among 26k), which the overlap stage exploits; ``--distinct``
gives every lettered item a clause of seed wording of its own, so that
nearly every recommendation is distinct (24k of 26k), but each still has
hundreds of near copies (the seed item it was made from): the overlap
stage's hard case. ``--realistic`` looks like a real corpus instead: every
lettered item asks for something of its own, written in the seed's wording
(a stock chapeau, then three to five clauses of seed phrases); about a
third of the items take up an earlier resolution's request, reworded
(clauses dropped or reordered, a near-synonym swapped), so that most
recommendations have no or a few neighbours above the threshold, as the
COP's do.

Run it once (it takes minutes)::

    .venv/bin/python benchmarks/bench_pipeline.py --n 1000 --workdir /tmp/bench_pipeline
    .venv/bin/python benchmarks/bench_pipeline.py --n 1000 --workdir /tmp/bench_distinct --distinct
    .venv/bin/python benchmarks/bench_pipeline.py --n 1000 --workdir /tmp/bench_real --realistic
    .venv/bin/python benchmarks/bench_pipeline.py --n 50 --workdir /tmp/bp50 --profile

The figures are printed as a markdown table and written to
``benchmarks/results_pipeline.md`` (``results_pipeline_distinct.md`` with
``--distinct``, ``results_pipeline_realistic.md`` with ``--realistic``;
``--results`` to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "cop11_res11-2_technical_assistance_zh.txt"
RESULTS = Path(__file__).resolve().parent / "results_pipeline.md"

ACTORS = ("各国", "缔约国", "会员国")
_RES_LINE = re.compile(r"^第\s*\d{1,3}/\d{1,3}\s*号决议\s*$")
_LETTERED = re.compile(r"^\(([a-z])\)\s*")
_ANNEX = re.compile(r"^附件")
_ACTOR_RE = re.compile("|".join(ACTORS))
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# --------------------------------------------------------------------------
# The scaled corpus
# --------------------------------------------------------------------------

def numbering(i: int) -> tuple[int, int]:
    """The i-th resolution number: sessions 1-99, then the next item number."""
    return i % 99 + 1, i // 99 + 1


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


def phrase_pool(seed_text: str) -> list[str]:
    """Two- to four-character pieces of the seed's wording (for --distinct)."""
    pool = set()
    for run in _CJK_RUN.findall(seed_text):
        for n in (2, 3, 4):
            pool.update(run[i:i + n] for i in range(0, len(run) - n + 1, n))
    return sorted(pool)


def distinct_clause(rng: random.Random, pool: list[str]) -> str:
    """A clause of 3-6 pieces of seed wording: makes an item's text its own."""
    return "并" + "".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))


#: Stock chapeaux of the --realistic corpus (stripped by the overlap stage).
CHAPEAUX = ("各国应考虑", "缔约国应", "鼓励各国", "请毒品和犯罪问题办公室继续", "吁请缔约国", "会员国不妨考虑")
#: Near-synonyms a drafter swaps when taking up an earlier request.
REWORDINGS = (("加强", "增强"), ("提供", "给予"), ("制定", "拟订"), ("确保", "保证"), ("促进", "推动"),
              ("信息", "资料"), ("措施", "举措"), ("交流", "交换"))


class Requests:
    """What the items of the --realistic corpus ask for.

    Each draw is, with probability ``reuse``, an earlier request (one of the
    last ``window``) taken up again and reworded, else a new one: three to
    five clauses of two to four seed phrases each. A request is thus taken
    up about ``reuse / (1 - reuse)`` times on average, most never or once.
    """

    def __init__(self, rng: random.Random, pool: list[str], reuse: float = 0.35, window: int = 5000):
        self.rng, self.pool, self.reuse, self.window = rng, pool, reuse, window
        self.made: list[list[str]] = []

    def draw(self) -> str:
        rng = self.rng
        if self.made and rng.random() < self.reuse:
            clauses = list(rng.choice(self.made[-self.window:]))
            if len(clauses) > 3 and rng.random() < 0.5:
                clauses.pop(rng.randrange(1, len(clauses)))
            if rng.random() < 0.5:
                tail = clauses[1:]
                rng.shuffle(tail)
                clauses = clauses[:1] + tail
            text = "，".join(clauses)
            for a, b in REWORDINGS:
                if a in text and rng.random() < 0.3:
                    text = text.replace(a, b)
        else:
            clauses = ["".join(rng.choice(self.pool) for _ in range(rng.randint(2, 4)))
                       for _ in range(rng.randint(3, 5))]
            self.made.append(clauses)
            text = "，".join(clauses)
        return rng.choice(CHAPEAUX) + text


def vary(seed_text: str, session: int, k: int, rng: random.Random, pool: list[str] | None = None,
         requests: Requests | None = None) -> str:
    """One synthetic resolution: new number, swapped actors, items dropped or
    reordered per annex with consecutive letters; with ``pool``, every
    lettered item also gets a clause of its own (no two items alike); with
    ``requests``, every lettered item asks for what ``requests`` draws."""
    lines = seed_text.splitlines()
    lines = [f"第 {session}/{k} 号决议" if _RES_LINE.match(l.strip()) else l for l in lines]

    # Actor phrases: each occurrence is swapped with some chance.
    def swap(m: re.Match) -> str:
        return rng.choice(ACTORS) if rng.random() < 0.3 else m.group(0)

    lines = [_ACTOR_RE.sub(swap, l) for l in lines]

    # Lettered items, grouped by annex (a new annex restarts the letters).
    groups: list[list[int]] = []
    for idx, line in enumerate(lines):
        if _ANNEX.match(line.strip()):
            groups.append([])
        elif _LETTERED.match(line) and groups:
            groups[-1].append(idx)
    drop: set[int] = set()
    for items in groups:
        bodies = {idx: _LETTERED.sub("", lines[idx]) for idx in items}
        order = list(items)
        if len(order) > 3 and rng.random() < 0.5:  # swap two neighbours
            j = rng.randrange(len(order) - 1)
            order[j], order[j + 1] = order[j + 1], order[j]
        if len(order) > 3:  # drop up to two items (never the first)
            for victim in rng.sample(order[1:], rng.randint(0, 2)):
                order.remove(victim)
        kept_slots = items[: len(order)]
        drop.update(items[len(order):])
        for letter, slot, src in zip(_LETTERS, kept_slots, order):
            body = bodies[src]
            if requests is not None:
                end = body[-1] if body and body[-1] in "；。;." else ""
                body = requests.draw() + end
            elif pool:
                end = body[-1] if body and body[-1] in "；。;." else ""
                body = body[: len(body) - len(end)] + "，" + distinct_clause(rng, pool) + end
            lines[slot] = f"({letter}) {body}"
    out: list[str] = []
    for idx, line in enumerate(lines):
        if idx in drop:
            if out and not out[-1].strip():  # the blank line before it goes too
                out.pop()
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def make_requests(args) -> Requests:
    """The --realistic corpus's requests (their own random stream, so the files are reproducible)."""
    return Requests(random.Random(args.seed + 7), phrase_pool(SEED.read_text(encoding="utf-8")))


def build_corpus(n: int, raw_dir: Path, seed: int = 20221016, distinct: bool = False,
                 requests: Requests | None = None) -> tuple[list[Path], int]:
    """Write n resolutions into raw_dir; (their paths, total bytes). ``requests``
    (--realistic) gives every lettered item its own request."""
    seed_text = SEED.read_text(encoding="utf-8")
    rng = random.Random(seed)
    pool = phrase_pool(seed_text) if distinct else None
    raw_dir.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for i in range(n):
        session, k = numbering(i)
        text = vary(seed_text, session, k, rng, pool, requests)
        p = raw_dir / f"cop{session:02d}_res{session:02d}-{k:02d}_zh.txt"
        data = text.encode("utf-8")
        p.write_bytes(data)
        total += len(data)
        paths.append(p)
    return paths, total


# --------------------------------------------------------------------------
# Phases (each in its own process)
# --------------------------------------------------------------------------

def maxrss_mb(who=resource.RUSAGE_SELF) -> float:
    rss = resource.getrusage(who).ru_maxrss  # kilobytes on Linux, bytes on macOS
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def phase_run(raw_dir: Path, out_dir: Path) -> dict:
    from analysis.pipeline import RunSettings, run

    t0 = time.perf_counter()
    result = run([raw_dir], out_dir, RunSettings(overrides=None, progress=True))
    dt = time.perf_counter() - t0
    return {"run_s": dt, "reused": result.reused, "files": len(result.corpus.documents),
            "recommendations": len(result.tables["recommendations"]),
            "overlap_pairs": len(result.tables["overlap"]),
            "distinct_texts": int(result.tables["recommendations"]["text"].nunique()),
            "stages": result.manifest.get("timings_s", {}),
            "maxrss_self_mb": maxrss_mb(), "maxrss_children_mb": maxrss_mb(resource.RUSAGE_CHILDREN)}


def phase_jieba(raw_dir: Path) -> dict:
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    texts = [p.read_text(encoding="utf-8") for p in sorted(raw_dir.glob("*.txt"))]
    t0 = time.perf_counter()
    jieba.initialize()
    t_init = time.perf_counter() - t0
    t1 = time.perf_counter()
    n_tokens = sum(len(jieba.lcut(t, HMM=False)) for t in texts)
    dt = time.perf_counter() - t1
    return {"jieba_s": dt, "jieba_init_s": t_init, "tokens": n_tokens, "chars": sum(map(len, texts)),
            "maxrss_self_mb": maxrss_mb()}


def phase_rjieba(repeat: int) -> dict:
    from analysis import tokenise

    if "rjieba" not in getattr(tokenise, "BACKENDS", ()):
        return {"available": False}
    lines = [l.strip() for l in SEED.read_text(encoding="utf-8").splitlines() if l.strip()]
    texts = lines * repeat
    jb = tokenise.get_tokeniser(backend="jieba")
    rj = tokenise.get_tokeniser(backend="rjieba")
    jb.cut(lines[0]), rj.cut(lines[0])  # dictionaries loaded before timing
    t0 = time.perf_counter()
    a = [jb.cut(t) for t in texts]
    t_jb = time.perf_counter() - t0
    t1 = time.perf_counter()
    b = [rj.cut(t) for t in texts]
    t_rj = time.perf_counter() - t1
    diff = sum(x != y for x, y in zip(a, b))
    tok_same = all(jb.tokens(t) == rj.tokens(t) for t in lines)
    return {"available": True, "chars": sum(map(len, texts)), "jieba_s": t_jb, "rjieba_s": t_rj,
            "cut_identical": diff == 0, "lines_differing": diff, "lines": len(texts),
            "tokens_identical_on_seed": tok_same}


def phase_profile(raw_dir: Path, out_dir: Path, top: int) -> dict:
    import cProfile
    import io
    import pstats

    from analysis.pipeline import RunSettings, run

    from analysis.tokenise import get_tokeniser

    get_tokeniser().cut("各国")  # dictionary load out of the profile
    prof = cProfile.Profile()
    prof.enable()
    run([raw_dir], out_dir, RunSettings(overrides=None, progress=False))
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    buf.write("\n")
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top * 2)
    return {"profile": buf.getvalue()}


def child(phase: str, *args: str) -> tuple[dict, float]:
    """Run one phase in a fresh interpreter; (its figures, process wall time)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def machine() -> str:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return f"nproc {os.cpu_count()}, RAM {mem}, Python {sys.version.split()[0]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of synthetic resolutions")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_pipeline"),
                    help="scratch folder (emptied first): raw/ inputs and out/ tables")
    ap.add_argument("--seed", type=int, default=20221016)
    ap.add_argument("--distinct", action="store_true",
                    help="give every lettered item a clause of its own, so that no two recommendations are alike "
                         "(the overlap stage's hard case; by default most items repeat the seed's)")
    ap.add_argument("--realistic", action="store_true",
                    help="every item asks for something of its own, a third reworded from earlier resolutions "
                         "(most recommendations with no or a few neighbours above the threshold)")
    ap.add_argument("--rjieba-repeat", type=int, default=200, help="seed lines repeated this often")
    ap.add_argument("--repeat", type=int, default=5, help="incremental reruns (+1 file each) to take the median of")
    ap.add_argument("--profile", action="store_true", help="also profile one cold run (use a small --n)")
    ap.add_argument("--results", type=Path, default=None,
                    help="where the table goes (default: results_pipeline.md, or results_pipeline_distinct.md)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--top", type=int, default=15, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    raw, out = args.workdir / "raw", args.workdir / "out"
    if args.phase:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        if args.phase == "run":
            fig = phase_run(raw, out)
        elif args.phase == "jieba":
            fig = phase_jieba(raw)
        elif args.phase == "rjieba":
            fig = phase_rjieba(args.rjieba_repeat)
        elif args.phase == "profile":
            fig = phase_profile(raw, args.workdir / "out_profile", args.top)
        else:
            raise SystemExit(f"unknown phase {args.phase}")
        print(json.dumps(fig, ensure_ascii=False))
        return 0

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log = logging.getLogger("bench_pipeline")
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    t0 = time.perf_counter()
    requests = make_requests(args) if args.realistic else None
    paths, total = build_corpus(args.n, raw, args.seed, args.distinct, requests)
    log.info("corpus: %d files, %.1f MB in %.1f s", len(paths), total / 1e6, time.perf_counter() - t0)
    common = ["--workdir", str(args.workdir)]

    log.info("bare jieba ...")
    jb, jb_wall = child("jieba", *common)
    log.info("full run (cold cache) ...")
    full, full_wall = child("run", *common)
    # New resolutions, numbered after the others, one per rerun.
    seed_text = SEED.read_text(encoding="utf-8")
    incs = []
    for i in range(max(1, args.repeat)):
        session, k = numbering(args.n + i)
        new = raw / f"cop{session:02d}_res{session:02d}-{k:02d}_zh.txt"
        new.write_text(vary(seed_text, session, k, random.Random(args.seed + 1 + i),
                            phrase_pool(seed_text) if args.distinct else None, requests), encoding="utf-8")
        os.sync()
        log.info("incremental rerun %d of %d (warm cache, +1 file) ...", i + 1, max(1, args.repeat))
        incs.append(child("run", *common))
    by_time = sorted(incs, key=lambda r: r[0]["run_s"])
    inc, inc_wall = by_time[len(by_time) // 2]
    inc_times = [r[0]["run_s"] for r in incs]
    log.info("rerun, nothing new ...")
    same, same_wall = child("run", *common)
    log.info("rjieba vs jieba ...")
    rj, _ = child("rjieba", *common, "--rjieba-repeat", str(args.rjieba_repeat))
    prof = None
    if args.profile:
        log.info("profile ...")
        prof, _ = child("profile", *common)

    ratio = full["run_s"] / jb["jieba_s"]
    peak = max([full["maxrss_self_mb"], full["maxrss_children_mb"]]
               + [r[0][k] for r in incs for k in ("maxrss_self_mb", "maxrss_children_mb")])

    def stages(r: dict) -> str:
        laps = r.get("stages") or {}
        rest = r["run_s"] - sum(laps.values())
        return ", ".join([f"{k} {v:.1f} s" for k, v in laps.items()] + [f"other {rest:.1f} s"])

    rows = [
        ("resolutions (files) / text", f"{args.n} / {total / 1e6:.1f} MB ({jb['chars']:,} chars)"),
        ("recommendations (distinct texts) / overlap pairs",
         f"{full['recommendations']:,} ({full['distinct_texts']:,}) / {full['overlap_pairs']:,}"),
        ("full run, cold cache: `run()` wall", f"{full['run_s']:.1f} s (process incl. imports: {full_wall:.1f} s)"),
        ("full run, by stage", stages(full)),
        ("full run peak RSS (self / largest worker)",
         f"{full['maxrss_self_mb']:.0f} MB / {full['maxrss_children_mb']:.0f} MB"),
        ("bare `jieba.lcut(HMM=False)`, same texts", f"{jb['jieba_s']:.1f} s (+ {jb['jieba_init_s']:.1f} s dict load)"),
        ("ratio full run / bare jieba", f"{ratio:.1f}x (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})"),
        (f"incremental rerun (+1 file, warm cache): `run()` wall, median of {len(incs)}",
         f"{inc['run_s']:.1f} s (range {min(inc_times):.1f}-{max(inc_times):.1f} s: "
         f"{', '.join(f'{t:.2f}' for t in inc_times)}), {inc['reused']} of {inc['files']} from cache "
         f"(process incl. imports: {inc_wall:.1f} s; target < 5 s: {'met' if inc['run_s'] < 5 else 'NOT met'})"),
        ("incremental rerun (the median one), by stage", stages(inc)),
        ("incremental rerun peak RSS (self / largest worker), largest of the reruns",
         f"{max(r[0]['maxrss_self_mb'] for r in incs):.0f} MB / "
         f"{max(r[0]['maxrss_children_mb'] for r in incs):.0f} MB"),
        ("rerun with nothing new: `run()` wall", f"{same['run_s']:.1f} s ({stages(same)})"),
        ("peak memory target < 2 GB", f"{peak:.0f} MB: {'met' if peak < 2048 else 'NOT met'}"),
    ]
    if rj.get("available"):
        rows.append(("tokeniser cut, seed lines x%d (%s chars): jieba / rjieba" % (args.rjieba_repeat, f"{rj['chars']:,}"),
                     f"{rj['jieba_s']:.2f} s / {rj['rjieba_s']:.2f} s ({rj['jieba_s'] / rj['rjieba_s']:.1f}x faster); "
                     f"cuts identical: {rj['cut_identical']} ({rj['lines_differing']} of {rj['lines']} lines differ); "
                     f"content tokens identical on seed: {rj['tokens_identical_on_seed']}"))
    else:
        rows.append(("rjieba backend", "not available in analysis.tokenise"))
    table = "| measure | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    kind = ("every item given a clause of its own (`--distinct`)" if args.distinct else
            "every item its own request, a third reworded from earlier ones (`--realistic`)" if args.realistic else
            "items repeat the seed's")
    flag = " --distinct" if args.distinct else " --realistic" if args.realistic else ""
    head = (f"# Pipeline benchmark\n\n{datetime.now().strftime('%Y-%m-%d %H:%M')}, {machine()}, N = {args.n}, "
            f"{kind}.\n"
            f"Command: `.venv/bin/python benchmarks/bench_pipeline.py --n {args.n} --workdir {args.workdir}"
            f"{flag}`. "
            "Each measurement runs in a fresh process; `run()` wall includes the tokeniser's dictionary load, "
            "the bare-jieba figure does not. Stages are wall time: the tables are written while the corpus "
            "tables are computed, so 'writing' is what remains after them.\n\n")
    text = head + table + "\n"
    if prof:
        text += "\n## Profile (cold run)\n\n```\n" + prof["profile"][:6000] + "\n```\n"
    print(head + table)
    results = args.results or (RESULTS.with_name("results_pipeline_distinct.md") if args.distinct else
                               RESULTS.with_name("results_pipeline_realistic.md") if args.realistic else RESULTS)
    results.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
