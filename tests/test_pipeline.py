"""Incremental runs, the manifest and the what's-new brief."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.brief import brief_tables, write_brief
from analysis.pipeline import RunSettings, run

WRITTEN = Path(__file__).parent / "fixtures" / "written_for_testing_99-1.txt"  # a made-up resolution, for tests only


@pytest.fixture()
def two_resolutions(seed_folder):
    shutil.copy(WRITTEN, seed_folder / WRITTEN.name)
    return seed_folder


def test_rerun_reuses_unchanged_inputs_and_records_versions(two_resolutions, tmp_path):
    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False)
    first = run(two_resolutions, out, settings)
    assert first.reused == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [u for i in manifest["inputs"] for u in i["units"]] == ["11/2", "99/1"]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["lexicon_versions"]["lexicon"] and manifest["package_versions"]["jieba"] == "0.42.1"
    second = run(two_resolutions, out, settings)
    assert second.reused == 2
    assert second.tables["recommendations"].equals(first.tables["recommendations"])
    assert second.tables["overlap"].equals(first.tables["overlap"])  # reused, not recomputed
    assert len(list((out / ".cache").glob("overlap-*.pkl"))) == 1
    # a changed input is recomputed, the other reused
    changed = two_resolutions / WRITTEN.name
    changed.write_text(changed.read_text(encoding="utf-8").replace("继续向提出请求的国家", "继续向各国"), encoding="utf-8")
    third = run(two_resolutions, out, settings)
    assert third.reused == 1
    assert "继续向各国" in "".join(third.tables["recommendations"]["text"])


def test_overlap_and_citations_are_written(two_resolutions, tmp_path):
    out = tmp_path / "out"
    result = run(two_resolutions, out, RunSettings(overrides=None, progress=False))
    for name in ("overlap", "clusters", "citations", "provisions", "review_queue"):
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert (out / "citations.graphml").read_text(encoding="utf-8").startswith("<?xml")
    cited = set(result.tables["citations"]["cited"])
    assert "11/2" in cited


def test_brief_lists_closest_earlier_recommendations(two_resolutions, tmp_path):
    out = tmp_path / "out"
    target = write_brief(two_resolutions / WRITTEN.name, corpus=two_resolutions, out_dir=out)
    page = target.read_text(encoding="utf-8")
    assert target.name == "brief_99-1.html" and "99/1" in page
    result = run(two_resolutions, out, RunSettings(overrides=None, progress=False))
    tables = brief_tables(result.tables, "99/1")
    closest = tables["closest"]
    assert set(closest["scope"]) <= {"earlier", "other"}
    # 11/2 is earlier than 99/1: every neighbour listed as earlier comes from it
    assert closest.loc[closest.scope == "earlier", "closest"].str.startswith("11/2:").all()
    with pytest.raises(ValueError, match="not in the corpus"):
        brief_tables(result.tables, "42/7")


_RUNS = {
    "inputs": ("from analysis.engine.run import process_batch; from analysis.inputs import file_sha256; "
               "run = lambda: process_batch([({seed!r}, file_sha256({seed!r}))])"),
    "overlap": ("import pandas as pd; from analysis.engine.stages import Context, REGISTRY; "
                "from analysis.engine.run import RunSettings; import analysis.stages; "
                "recs = pd.DataFrame({{'rec_id': ['1/1:body:1', '1/2:body:1'], 'resolution': ['1/1', '1/2'], "
                "'text': ['各国应加强司法协助', '各国应加强引渡合作']}}); "
                "run = lambda: REGISTRY['overlap'].call({{'recommendations': recs}}, Context(RunSettings(cache=False)))"),
}
#: Records the package files whose code runs while ``run()`` does, in a fresh interpreter.
_TRACE = """
import sys
ran = set()
def profile(frame, event, arg):
    if event == "call":
        ran.add(frame.f_code.co_filename)
sys.setprofile(profile)
run()
sys.setprofile(None)
import analysis
root = analysis.__file__.rsplit("/", 1)[0] + "/"
print(" ".join(sorted(f[len(root):-3].replace("/", ".") for f in ran if f.startswith(root))))
"""


def _fingerprinted(stage: str) -> set[str]:
    from analysis.engine import cache
    from analysis.engine.run import input_stages
    from analysis.engine.stages import REGISTRY

    if stage == "inputs":
        return set(cache.module_closure(*(s.module for s in input_stages()), "engine.store"))
    return set(cache.module_closure(REGISTRY[stage].module))


@pytest.mark.parametrize("stage", sorted(_RUNS))
def test_cache_fingerprints_cover_every_module_a_stage_runs(stage, seed_path):
    """A cached result must be invalidated by an edit of any module it was
    computed with: every package file whose code runs while the stage runs
    (traced in a fresh interpreter) is among the modules its fingerprint is
    derived from (the stage module's imports, followed through the package)."""
    import subprocess
    import sys

    code = _RUNS[stage].format(seed=str(seed_path)) + "\n" + _TRACE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    ran = {m.removesuffix(".__init__") if m != "__init__" else m for m in out.strip().splitlines()[-1].split()}
    ran -= {"engine.run", "engine.stages"}  # the engine calling the stage, not the stage's code
    work = "segment" if stage == "inputs" else "overlap."
    assert any(m.startswith(work) for m in ran)  # the trace sees the stage's work
    covered = _fingerprinted(stage)
    assert ran <= covered, ran - covered


def test_a_stage_fingerprint_ignores_code_it_does_not_run():
    """Editing the charts keeps the per-input store of a large corpus; editing the
    segmenter does not."""
    covered = _fingerprinted("inputs")
    assert "segment" in covered and "classify" in covered and "formats" in covered
    assert not {"charts", "explore", "report", "overlap", "precedents"} & covered


def test_inputs_are_reused_under_a_new_name_and_dropped_inputs_leave_the_tables(two_resolutions, tmp_path):
    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False)
    first = run(two_resolutions, out, settings)
    seed = next(p for p in two_resolutions.iterdir() if p.name.startswith("cop11"))
    renamed = seed.with_name("renamed_" + seed.name)
    seed.rename(renamed)
    second = run(two_resolutions, out, settings)
    assert second.reused == 2
    for name in ("paragraphs", "recommendations", "citations", "unplaced"):
        df = second.tables[name]
        if len(df):
            assert set(df["source_file"]) <= {renamed.name, WRITTEN.name}, name
    assert renamed.name in set(second.tables["recommendations"]["source_file"])
    assert str(renamed) in second.corpus.documents["source_path"].tolist()
    # the same rows as the first run, apart from the file name
    a = first.tables["recommendations"].drop(columns=["source_file"]).sort_values("rec_id").reset_index(drop=True)
    b = second.tables["recommendations"].drop(columns=["source_file"]).sort_values("rec_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    (two_resolutions / WRITTEN.name).unlink()
    third = run(two_resolutions, out, settings)
    assert third.reused == 1
    assert set(third.tables["recommendations"]["resolution"]) == {"11/2"}
    assert set(third.tables["provisions"]["rec_id"].str.split(":").str[0]) <= {"11/2"}


def test_unchanged_tables_are_not_rewritten_and_the_manifest_says_when_they_were_made(two_resolutions, tmp_path,
                                                                                      monkeypatch):
    out = tmp_path / "out"
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("rec_id,field,value,note\n", encoding="utf-8-sig")
    settings = RunSettings(overrides=overrides, progress=False)
    first = run(two_resolutions, out, settings)
    made = {name: t["made"] for name, t in first.manifest["tables"].items()}
    assert set(made.values()) == {first.manifest["created"]}
    stamp = {p.name: p.stat().st_mtime_ns for p in out.glob("*.csv")}
    second = run(two_resolutions, out, settings)
    assert [p.name for p in second.written] == ["manifest.json"]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.csv")} == stamp
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {name: t["made"] for name, t in manifest["tables"].items()} == made
    assert second.tables["recommendations"].equals(first.tables["recommendations"])
    # A correction changes what the tables hold: they are written again. The
    # texts are the same, so the overlap tables are read back, not recomputed.
    overrides.write_text("rec_id,field,value,note\n11/2:I:a,strength,鼓励,test\n", encoding="utf-8-sig")
    import analysis.overlap

    def not_again(*args, **kwargs):
        raise AssertionError("overlap recomputed although the texts did not change")

    monkeypatch.setattr(analysis.overlap, "overlap_pairs", not_again)
    third = run(two_resolutions, out, settings)
    monkeypatch.undo()
    assert third.tables["overlap"].equals(first.tables["overlap"])
    assert "recommendations.csv" in {p.name for p in third.written}
    assert third.manifest["tables"]["recommendations"]["made"] == third.manifest["created"]
    # A visible file removed by hand is only a link: it is restored, and the
    # run says so. The file itself removed is written again.
    (out / "clusters.csv").unlink()
    fourth = run(two_resolutions, out, settings)
    assert (out / "clusters.csv").is_file() and [p.name for p in fourth.written] == ["manifest.json"]
    assert any("clusters.csv (it was missing)" in note for note in fourth.notes)
    from analysis.outputs import run_folder

    (run_folder(out) / "clusters.csv").unlink()
    fifth = run(two_resolutions, out, settings)
    assert (out / "clusters.csv").is_file() and "clusters.csv" in {p.name for p in fifth.written}
    assert "clusters.csv: missing; written again" in fifth.notes


def test_csv_written_in_batches_equals_one_pass(tmp_path, monkeypatch):
    import analysis.outputs as outputs
    from analysis.engine.writer import write_tables

    df = pd.DataFrame({"a": [f"第{i}条" for i in range(25)], "l": [[str(i), "x\x0c"] if i % 3 else [] for i in range(25)],
                       "n": pd.array([i if i % 4 else None for i in range(25)], dtype="Int64"),
                       "f": [True, False] * 12 + [True], "d": [{"k": i} if i % 2 else None for i in range(25)]})
    whole = outputs.write_csv(df, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(outputs, "CSV_ROWS_PER_BATCH", 7)
    write_tables({"t": df}, tmp_path / "out")
    assert (tmp_path / "out" / "t.csv").read_bytes() == whole
    assert whole.startswith(b"\xef\xbb\xbf") and b"\x0c" not in whole


def test_shared_list_columns_convert_like_cell_by_cell(tmp_path, monkeypatch):
    """The similarity table repeats one list object per pair of texts; it is
    converted once per object. The files must equal a cell-by-cell conversion."""
    import pyarrow.parquet as pq

    import analysis.outputs as outputs
    from analysis.engine.writer import write_tables

    lists = [["跨国", "有组织犯罪"], [], None, ["a\x0cb"], [f"词{i}" for i in range(5)]]
    n = 30
    df = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "terms": [lists[i % len(lists)] for i in range(n)],
                       "own": [[str(i)] for i in range(n)], "sim": [i / n for i in range(n)]})
    monkeypatch.setattr(outputs, "_SHARED_MIN_ROWS", 10)
    monkeypatch.setattr(outputs, "CSV_ROWS_PER_BATCH", 7)
    assert list(outputs.to_arrow(df).shared) == ["terms"]  # "own" holds a new list per row
    write_tables({"t": df}, tmp_path / "shared")
    monkeypatch.setattr(outputs, "_SHARED_MIN_ROWS", 10**9)
    write_tables({"t": df}, tmp_path / "cells")
    assert (tmp_path / "shared" / "t.csv").read_bytes() == (tmp_path / "cells" / "t.csv").read_bytes()
    shared, cells = pq.read_table(tmp_path / "shared" / "t.parquet"), pq.read_table(tmp_path / "cells" / "t.parquet")
    assert shared.equals(cells) and shared.schema.metadata == cells.schema.metadata
    back = outputs.read_table(tmp_path / "shared", "t")
    assert back["terms"].tolist() == df["terms"].tolist()


@pytest.mark.parametrize("damage", ["header", "tables"])
def test_a_damaged_store_chunk_is_recomputed(two_resolutions, tmp_path, damage, caplog):
    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False)
    first = run(two_resolutions, out, settings)
    chunks = list((out / ".cache").glob("corpus-*.pkl"))
    assert chunks
    for chunk in chunks:
        data = chunk.read_bytes()
        # "header": nothing readable; "tables": the header reads, the tables do not
        chunk.write_bytes(b"junk" if damage == "header" else data[: len(data) * 2 // 3])
    # a new input makes the run read the store while a worker reads it
    shutil.copy(WRITTEN, two_resolutions / "renamed_copy.txt")
    (two_resolutions / WRITTEN.name).unlink()
    with caplog.at_level("WARNING", logger="analysis.pipeline"):
        second = run(two_resolutions, out, settings)
    assert "unreadable" in caplog.text
    assert second.reused == 0
    pd.testing.assert_frame_equal(first.tables["recommendations"].drop(columns=["source_file"]),
                                  second.tables["recommendations"].drop(columns=["source_file"]))
    assert run(two_resolutions, out, settings).reused == 2


def test_reordering_by_runs_equals_taking_rows():
    import numpy as np

    from analysis.engine.store import reordered

    df = pd.DataFrame({"a": pd.array([f"第{i}段" for i in range(200)], dtype="str"), "b": np.arange(200),
                       "c": [[str(i)] for i in range(200)], "d": pd.array([None if i % 7 else i for i in range(200)],
                                                                          dtype="Int64")})
    rng = np.random.default_rng(0)
    moved = np.r_[np.arange(0, 50), np.arange(190, 200), np.arange(50, 190)]  # one input's rows moved up
    for perm in (moved, np.arange(200)[::-1], rng.permutation(200)):
        pd.testing.assert_frame_equal(reordered(df, perm), df.iloc[perm].reset_index(drop=True))


@pytest.mark.parametrize("stage", ["overlap", "csv"])
def test_a_failure_while_tables_are_written_leaves_the_last_outputs(two_resolutions, tmp_path, monkeypatch, stage):
    """Tables are written while others are computed; a failure after that
    must still leave the previous run's files as they were, and no scratch
    folder or unfinished generation."""
    import analysis.outputs
    import analysis.overlap

    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False, cache=False)
    run(two_resolutions, out, settings)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (two_resolutions / WRITTEN.name).write_text(
        WRITTEN.read_text(encoding="utf-8").replace("继续向提出请求的国家", "继续向各国"), encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    if stage == "overlap":  # after the per-input tables started writing
        monkeypatch.setattr(analysis.overlap, "overlap_pairs", broken)
    else:  # inside a writer thread
        monkeypatch.setattr(analysis.outputs, "write_csv", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run(two_resolutions, out, settings)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".writing-") or p.name.endswith(".tmp")]
    from analysis.outputs import GENERATIONS, run_folder

    assert [p.name for p in (out / GENERATIONS).iterdir()] == [run_folder(out).name]  # the new one is gone


def test_small_store_chunks_are_merged(two_resolutions, tmp_path, monkeypatch):
    """A resolution added at a time makes a chunk per run; past a few they become one."""
    from analysis.engine.store import CorpusStore

    monkeypatch.setattr(CorpusStore, "COMPACT_AFTER", 2)
    out = tmp_path / "out"
    settings = RunSettings(overrides=None, progress=False, jobs=1)
    first = run(two_resolutions, out, settings)
    text = WRITTEN.read_text(encoding="utf-8")
    for k in (2, 3):  # two more resolutions, one run each
        (two_resolutions / f"written_for_testing_99-{k}.txt").write_text(
            text.replace("99/1", f"99/{k}"), encoding="utf-8")
        last = run(two_resolutions, out, settings)
    chunks = list((out / ".cache").glob("corpus-*.pkl"))
    assert len(chunks) == 1  # three small chunks were merged
    again = run(two_resolutions, out, settings)
    assert again.reused == 4
    pd.testing.assert_frame_equal(again.tables["recommendations"], last.tables["recommendations"])
    assert set(again.tables["recommendations"]["resolution"]) == {"11/2", "99/1", "99/2", "99/3"}
    assert len(first.tables["recommendations"]) < len(again.tables["recommendations"])
