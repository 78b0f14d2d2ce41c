"""The output folder through the CLI: one run's complete outputs at all times
(a run killed while it switches, concurrent runs, damaged outputs, a failed
run and its cache), clear errors for an unusable ``--out``, and cells that
a spreadsheet would run as formulas.

Runs killed or held on purpose are subprocesses patched by a small script
(``_HOOKED``): the hook writes a file when the run reaches the step, which
the test waits for (generous timeouts, no sleeps to guess at).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import analysis
from analysis.cli import EXIT_BUSY, main
from analysis.outputs import GENERATIONS, run_folder

WRITTEN = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"  # a made-up resolution, for tests only
SRC = str(Path(analysis.__file__).resolve().parents[1])
WAIT = 300  # seconds: a run takes a few; the machine may be busy


def _run(*args) -> int:
    return main(["run", *map(str, args)])


def _hashes(folder: Path) -> dict[str, str]:
    """What every file under ``folder`` holds (links followed), by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def assert_one_run(out: Path, *, alone: bool = True) -> dict:
    """Every file shown in ``out`` is the current run's, complete, and the
    tables agree with each other and with the manifest; with ``alone``, no
    other generation is left. Returns the manifest."""
    folder = run_folder(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    shown = {p.name for p in out.iterdir() if not p.name.startswith(".") and p.name != "current"}
    assert shown == set(manifest["files"]) | {"manifest.json"}
    for name, record in manifest["files"].items():
        data = (out / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (record["bytes"], record["sha256"]), name
        assert os.path.samefile(out / name, folder / name), name
    docs = pd.read_parquet(out / "documents.parquet")
    assert sorted(docs["source_sha256"]) == sorted(i["sha256"] for i in manifest["inputs"])
    for name in ("recommendations", "paragraphs"):
        assert set(pd.read_parquet(out / f"{name}.parquet")["resolution"]) == {u for us in docs["units"] for u in us}, name
        assert len(pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")) == manifest["tables"][name]["rows"]
    if alone:
        assert [p.name for p in (out / GENERATIONS).iterdir()] == [folder.name]
    return manifest


def _resolutions(out: Path) -> set[str]:
    return {u for units in pd.read_parquet(out / "documents.parquet")["units"] for u in units}


# --------------------------------------------------------------------------
# runs held or killed at a given step, in a subprocess
# --------------------------------------------------------------------------

_HOOKED = r'''
import os, sys, time
from pathlib import Path

reached, step, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
real_replace = os.replace


def wait():
    reached.write_text(str(os.getpid()))
    deadline = time.monotonic() + 600
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def replace(src, dst, *args, **kwargs):
    switch = Path(dst).name == "current"
    if switch and step == "before-switch":
        wait()
    real_replace(src, dst, *args, **kwargs)
    if switch and step == "after-switch":
        wait()


os.replace = replace
if step == "reading":
    import analysis.engine.run as engine_run

    real_process = engine_run.process_inputs

    def process(*args, **kwargs):
        wait()
        return real_process(*args, **kwargs)

    engine_run.process_inputs = process
from analysis.cli import main

sys.exit(main(sys.argv[4:]))
'''


class Hooked:
    """A ``cop-analysis`` run in a subprocess that waits at ``step`` until told to go on."""

    def __init__(self, tmp_path: Path, step: str, *args):
        self.reached, self.go = tmp_path / f"reached-{step}", tmp_path / f"go-{step}"
        script = tmp_path / "hooked.py"
        script.write_text(_HOOKED, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, str(script), str(self.reached), step, str(self.go),
                                      *map(str, args)], cwd=tmp_path, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_until_reached(self) -> None:
        deadline = time.monotonic() + WAIT
        while not self.reached.exists():
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                pytest.fail(f"the run ended before its step (exit {self.proc.returncode}): {err[-2000:]}")
            assert time.monotonic() < deadline, "the run did not reach its step in time"
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=WAIT)
        assert self.proc.returncode == -signal.SIGKILL

    def resume(self) -> tuple[int, str, str]:
        self.go.write_text("go")
        out, err = self.proc.communicate(timeout=WAIT)
        return self.proc.returncode, out, err


@pytest.fixture()
def two_runs(seed_folder, tmp_path, capsys):
    """``out`` holding a run of the seed alone; ``seed_folder`` then also holds 99/1."""
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    shutil.copy(WRITTEN, seed_folder / WRITTEN.name)
    capsys.readouterr()
    return seed_folder, out


@pytest.mark.parametrize("step", ["before-switch", "after-switch"])
def test_a_run_killed_while_it_switches_leaves_one_runs_outputs_and_the_next_run_cleans_up(
        two_runs, tmp_path, capsys, step):
    raw, out = two_runs
    first = assert_one_run(out)
    run = Hooked(tmp_path, step, "run", raw, "--out", out)
    run.wait_until_reached()
    run.kill()
    # Whatever the moment, the folder shows one run's outputs, complete:
    # the last run's before the switch, the killed run's after it.
    manifest = assert_one_run(out, alone=False)
    assert len(list((out / GENERATIONS).iterdir())) == 2  # the one not switched to / the one replaced
    if step == "before-switch":
        assert manifest == first and _resolutions(out) == {"11/2"}
    else:
        assert manifest != first and _resolutions(out) == {"11/2", "99/1"}
    # A rerun of the earlier inputs removes the leftovers and says so.
    (raw / WRITTEN.name).unlink()
    assert _run(raw, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "note: removed what an interrupted run had left" in printed
    assert f"{GENERATIONS}/" in printed
    assert_one_run(out)
    assert _resolutions(out) == {"11/2"}
    assert not [p for p in (out / ".cache").iterdir() if p.name.startswith(".staging-")]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert ("the 11 tables are unchanged" in printed) == (step == "before-switch")


def test_a_second_run_into_the_same_folder_stops_with_a_clear_message(two_runs, tmp_path, capsys):
    raw, out = two_runs
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(WRITTEN, other / WRITTEN.name)
    holder = Hooked(tmp_path, "reading", "run", raw, "--out", out)
    holder.wait_until_reached()  # it holds the folder, and has not read its inputs yet
    before = _hashes(out)
    assert _run(other, "--out", out) == EXIT_BUSY
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out}: another run (process {holder.proc.pid}, started ")
    assert "is writing to this folder" in err and "Traceback" not in err
    assert _hashes(out) == before  # the second run touched nothing
    code, printed, err = holder.resume()
    assert code == 0, err
    assert_one_run(out)
    assert _resolutions(out) == {"11/2", "99/1"}  # the first run's inputs, all of them
    # once the folder is free, the other run goes through
    assert _run(other, "--out", out) == 0
    assert _resolutions(out) == {"99/1"}


@pytest.mark.parametrize("no_cache", [False, True], ids=["checked-by-size-and-time", "no-cache-checked-by-sha256"])
def test_damaged_or_missing_outputs_are_written_again_and_the_run_says_so(seed_folder, tmp_path, capsys, no_cache):
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    good = _hashes(out)
    flags = ["--no-cache"] if no_cache else []
    with open(out / "recommendations.csv", "r+b") as fh:  # truncated
        fh.truncate(100)
    (out / "clusters.parquet").unlink()  # deleted as an analyst sees it
    (run_folder(out) / "overlap.csv").unlink()  # deleted behind the link
    data = bytearray((out / "paragraphs.parquet").read_bytes())  # edited in place, same size
    data[len(data) // 2] ^= 0xFF
    (out / "paragraphs.parquet").write_bytes(bytes(data))
    capsys.readouterr()
    assert _run(seed_folder, "--out", out, *flags) == 0
    printed = capsys.readouterr().out
    assert "recommendations.csv: 100 bytes where the last run wrote" in printed
    assert "overlap.csv: missing; written again" in printed
    assert "paragraphs.parquet: changed since the last run wrote it; written again" in printed
    assert "restored in" in printed and "clusters.parquet (it was missing)" in printed
    assert "8 of the 11 tables are unchanged" in printed  # the three damaged ones were written again
    assert_one_run(out)
    shown = {name for name in good if "/" not in name and name != "manifest.json"}  # the manifest says when
    assert {name for name in _hashes(out) if "/" not in name} == shown | {"manifest.json"}
    assert {name: h for name, h in _hashes(out).items() if name in shown} == {name: good[name] for name in shown}
    assert len(pd.read_csv(out / "recommendations.csv", encoding="utf-8-sig")) == 28
    # and once repaired, a rerun trusts the files again
    assert _run(seed_folder, "--out", out, *flags) == 0
    assert "the 11 tables are unchanged" in capsys.readouterr().out


def test_a_failed_run_changes_nothing_in_the_folder_its_cache_included(seed_folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    shutil.copy(WRITTEN, seed_folder / WRITTEN.name)
    assert _run(seed_folder, "--out", out) == 0  # a second cache chunk, holding 99/1 alone
    before = _hashes(out)
    assert len(list((out / ".cache").glob("corpus-*.pkl"))) == 2
    # Inputs without the seed, one of them bad: the seed's chunk is not
    # among this run's inputs, and the good new input is read before the bad one.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(WRITTEN, other / "a_copy.txt")
    (other / "b_new.txt").write_text(WRITTEN.read_text(encoding="utf-8").replace("99/1", "99/2"), encoding="utf-8")
    (other / "c_bad.txt").write_bytes(b"")
    capsys.readouterr()
    assert _run(other, "--out", out, "--jobs", "1") == 2
    assert "c_bad.txt: the file is empty" in capsys.readouterr().err
    assert _hashes(out) == before
    assert not [p for p in (out / ".cache").iterdir() if p.name.startswith(".staging-")]
    # the seed's stored results are still there: nothing is read again
    assert _run(seed_folder, "--out", out) == 0
    assert "(2 of 2 inputs unchanged, reused)" in capsys.readouterr().out


def test_without_symbolic_links_the_files_are_replaced_one_by_one_and_the_run_says_so(seed_folder, tmp_path,
                                                                                       capsys, monkeypatch):
    """FAT/exFAT drives, Windows without developer mode: no links, the files
    themselves are in ``out`` (as before generations), still checked and reused."""
    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_links)
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    assert "no symbolic links; the files were replaced one by one" in capsys.readouterr().out
    assert not (out / "current").exists() and not list((out / GENERATIONS).iterdir())
    assert (out / "recommendations.csv").is_file() and not (out / "recommendations.csv").is_symlink()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")
                                      and p.name != "manifest.json"}
    with open(out / "clusters.csv", "r+b") as fh:
        fh.truncate(10)
    assert _run(seed_folder, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "clusters.csv: 10 bytes where the last run wrote" in printed and "10 of the 11 tables are unchanged" in printed
    assert len(pd.read_csv(out / "clusters.csv", encoding="utf-8-sig")) == manifest["tables"]["clusters"]["rows"]


# --------------------------------------------------------------------------
# an unusable --out
# --------------------------------------------------------------------------

def test_an_out_that_is_a_file_is_refused(seed_folder, tmp_path, capsys):
    target = tmp_path / "processed"
    target.write_text("not a folder", encoding="utf-8")
    assert _run(seed_folder, "--out", target) == 2
    err = capsys.readouterr().err
    assert err == f"error: {target}: this is a file, not a folder; --out must name a folder (it is created " \
                  "if missing)\n"
    assert target.read_text(encoding="utf-8") == "not a folder"
    assert _run(seed_folder, "--out", target / "sub") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {target / 'sub'}: cannot create the output folder") and "Traceback" not in err


def _without_dac_override():  # pragma: no cover - runs in the child
    """Root ignores permission bits: drop that power (CAP_DAC_OVERRIDE) from
    the child's capability bounding set, so that a read-only folder is one."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_a_read_only_out_is_refused_with_a_clear_error(seed_folder, tmp_path):
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    before = _hashes(out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    out.chmod(0o555)
    try:
        proc = subprocess.run([sys.executable, "-m", "analysis", "run", str(seed_folder), "--out", str(out)],
                              capture_output=True, text=True, env=env, timeout=WAIT,
                              preexec_fn=_without_dac_override if os.geteuid() == 0 else None)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {out}: cannot write to the output folder (Permission denied)")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert _hashes(out) == before


# --------------------------------------------------------------------------
# cells a spreadsheet would run
# --------------------------------------------------------------------------

HOSTILE = """第 99/5 号决议

=HYPERLINK("http://example.com","标题")

缔约方会议，

=SUM(1+1)回顾其第 11/2 号决议，

1. -请各国加强合作；

2. +决定各国应 =1+1 继续开展工作。

3. @请各国加强合作。
"""
RISKY = ("=", "+", "-", "@", "\t", "\r")


def test_cells_that_would_be_formulas_are_neutralised_in_csv_and_are_strings_in_xlsx(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "r.txt").write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out"
    assert _run(raw, "--out", out, "--overrides", "") == 0
    neutralised = []
    for path in sorted(out.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        cells = [c for row in rows for c in row]
        assert not [c for c in cells if c.startswith(RISKY)], path.name
        neutralised += [c for c in cells if c.startswith("'")]
    # the title as the reader normalised it (brackets around Chinese text are full-width)
    title = pd.read_parquet(out / "paragraphs.parquet")["resolution_title"].iloc[0]
    assert title.startswith("=HYPERLINK") and "'" + title in neutralised
    assert {"'-请各国加强合作；", "'@请各国加强合作。"} <= set(neutralised)
    # the raw text stays in Parquet; numbers stay numbers
    recs = pd.read_parquet(out / "recommendations.parquet")
    assert "+决定各国应=1+1继续开展工作。" in set(recs["text"])
    csv_recs = pd.read_csv(out / "recommendations.csv", encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(csv_recs["char_start"])
    # The chart tables (XLSX) hold the text as strings: no formula in any sheet.
    assert main(["report", "--out", str(out), "--no-notebooks"]) == 0
    with zipfile.ZipFile(out / "figures" / "chart_tables.xlsx") as zf:
        sheets = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/")}
    assert sheets and not [n for n, xml in sheets.items() if "<f>" in xml or "<f " in xml]
    cells = [c for ws in openpyxl.load_workbook(out / "figures" / "chart_tables.xlsx") for row in ws.iter_rows() for c in row]
    hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=SUM(1+1)")]
    assert hostile and all(c.data_type == "s" for c in hostile)  # the hostile cell is there, as text
    for path in (out / "figures").glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            assert not [c for row in csv.reader(fh) for c in row if c.startswith(RISKY)], path.name


def test_write_xlsx_keeps_numbers_and_writes_text_as_strings(tmp_path):
    from analysis.outputs import write_xlsx

    df = pd.DataFrame({"text": ["=1+1", "-各国", "+x", "@A1"], "n": [-1, 2, -3.5, 0]})
    path = write_xlsx({"s": df}, tmp_path / "t.xlsx")
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    ws = openpyxl.load_workbook(path)["s"]
    assert [(ws[f"A{i}"].value, ws[f"A{i}"].data_type) for i in (2, 3)] == [("=1+1", "s"), ("-各国", "s")]
    assert [(ws[f"B{i}"].value, ws[f"B{i}"].data_type) for i in (2, 4)] == [(-1, "n"), (-3.5, "n")]
    back = pd.read_excel(path)
    assert back["text"].tolist() == df["text"].tolist() and back["n"].tolist() == df["n"].tolist()


def _arrow_lists(items):
    import pyarrow as pa

    return pd.arrays.ArrowExtensionArray(pa.array(items, type=pa.list_(pa.string())))


@pytest.mark.parametrize("cells", [[["各国", "合作"], [], ["=1+1"], ["a", "b", "c"]] * 3, [[]] * 12],
                         ids=["lists", "all empty"])
def test_arrow_list_columns_are_written_as_python_lists_are(tmp_path, cells):
    # The overlap table holds its explanations as Arrow lists; its files must
    # be those of the same table holding Python lists, and a slice or a
    # concatenation of it must write as well (CSV, Parquet, the spreadsheet cells).
    from analysis import outputs

    base = {"rec_id": [f"r{k}" for k in range(len(cells))], "similarity": [0.5] * len(cells)}
    as_lists = pd.DataFrame({**base, "shared_spans": cells})
    as_arrow = pd.DataFrame({**base, "shared_spans": _arrow_lists(cells)})
    for name, df in (("lists", as_lists), ("arrow", as_arrow)):
        converted = outputs.to_arrow(outputs.parquet_ready(df))
        outputs.write_parquet(converted, tmp_path / f"{name}.parquet")
        outputs.write_csv(df, tmp_path / f"{name}.csv", converted=converted.table, shown=converted.shown)
        outputs.write_csv(df.iloc[2:], tmp_path / f"{name}-slice.csv")
        outputs.write_csv(pd.concat([df.iloc[:5], df.iloc[5:]]), tmp_path / f"{name}-concat.csv")
    for suffix in (".parquet", ".csv", "-slice.csv", "-concat.csv"):
        assert (tmp_path / f"arrow{suffix}").read_bytes() == (tmp_path / f"lists{suffix}").read_bytes(), suffix
    assert (outputs.flatten_for_spreadsheet(as_arrow)["shared_spans"].tolist()
            == outputs.flatten_for_spreadsheet(as_lists)["shared_spans"].tolist())


def test_a_tables_files_do_not_depend_on_how_it_was_put_together(tmp_path):
    # A corpus table is the concatenation of its batches' (or cached
    # files') frames, and pandas keeps their text columns as so many Arrow
    # chunks; the Parquet writer encodes a chunk at a time. The same rows
    # must give the same bytes whether the inputs were read in one batch,
    # in six (two workers) or taken from the cache file by file.
    import random

    from analysis import outputs

    rng = random.Random(7)
    words = "各国应鼓励缔约国加强合作打击贩运人口偷运移民枪支腐败网络犯罪"
    texts = ["".join(rng.choice(words) for _ in range(40)) + f"{k}" for k in range(30_000)]  # a dictionary over 1 MB
    whole = pd.DataFrame({"rec_id": [f"r{k}" for k in range(len(texts))], "text": texts}).astype({"text": "str"})
    cuts = [0, 3_000, 11_000, 17_500, 24_000, 30_000]
    pieces = pd.concat([whole.iloc[a:b].copy() for a, b in zip(cuts, cuts[1:])], ignore_index=True)
    assert pieces.equals(whole)
    for name, df in (("whole", whole), ("pieces", pieces)):
        converted = outputs.to_arrow(outputs.parquet_ready(df))
        outputs.write_parquet(converted, tmp_path / f"{name}.parquet")
        outputs.write_csv(df, tmp_path / f"{name}.csv", converted=converted.table, shown=converted.shown)
    for suffix in (".parquet", ".csv"):
        assert (tmp_path / f"pieces{suffix}").read_bytes() == (tmp_path / f"whole{suffix}").read_bytes(), suffix


def test_a_list_column_too_large_to_join_keeps_its_chunks():
    # Two chunks of a list<string> column holding 2.2 GB of text together
    # cannot be joined (32-bit offsets); before the chunks were joined such a
    # table was written, so it still must be. The text is one unfilled
    # buffer shared by both chunks: little memory is touched.
    import numpy as np
    import pyarrow as pa

    from analysis import outputs

    n = 1_100_000_000
    text = pa.StringArray.from_buffers(1, pa.py_buffer(np.array([0, n], dtype=np.int32)), pa.allocate_buffer(n))
    spans = pa.ListArray.from_arrays(pa.array([0, 1], pa.int32()), text)
    df = pd.DataFrame({"shared_spans": pd.arrays.ArrowExtensionArray(pa.chunked_array([spans, spans])),
                       "rec_id": pd.Series(["r1", "r2"]).astype("str")})
    with pytest.raises(pa.ArrowInvalid):
        pa.Table.from_pandas(df).combine_chunks()
    table = outputs.to_arrow(df).table
    assert [c.num_chunks for c in table.columns] == [2, 1]  # the other columns are still joined
    assert table.column("rec_id").to_pylist() == ["r1", "r2"]
