"""The CLI end to end on temporary folders, including every bad-input case."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main


def _run(*args) -> int:
    return main(["run", *map(str, args)])


def test_run_writes_tables_and_summary(seed_folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "resolution 11/2" in printed and "28 recommendations" in printed and "4 footnotes" in printed
    for name in ("paragraphs", "recommendations", "documents", "unplaced"):
        assert (out / f"{name}.parquet").exists()
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name}.csv must carry a BOM for Excel"
    recs = pd.read_parquet(out / "recommendations.parquet")
    assert recs["rec_id"].is_unique and len(recs) == 28
    csv = pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig", dtype=str)
    assert "3" in csv.set_index("para_id").loc["11/2:body:1", "footnotes"].split("|")
    assert (out / "manifest.json").exists()


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


BAD_CASES = {
    "empty": ("empty.txt", b""),
    "binary": ("blob.txt", bytes(range(256)) * 8),
    "no_number": ("agenda.txt", "临时议程\n\n1. 会议开幕。\n".encode()),
    "skipped_letter": ("skip.txt", "第 99/1 号决议\n\n标题\n\n缔约方会议，\n\n附件\n\n(a) 各国应合作；\n\n(c) 各国应合作。\n".encode()),
    "undecodable": ("bad.txt", "第 99/1 号决议\n".encode() + b"\x81\x30\xff\xff\n"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES) + ["duplicate"])
def test_bad_input_is_refused_and_outputs_kept(case, seed_folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    before = _snapshot(out)
    if case == "duplicate":
        shutil.copy(next(seed_folder.iterdir()), seed_folder / "copy_of_seed.txt")
        expect = "copy_of_seed.txt:3"
    else:
        name, data = BAD_CASES[case]
        (seed_folder / name).write_bytes(data)
        expect = name
    capsys.readouterr()
    assert _run(seed_folder, "--out", out) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expect in err
    assert _snapshot(out) == before


def test_unplaced_lines_are_warned(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "r.txt").write_text("第 99/1 号决议\n\n标题\n\n缔约方会议，\n\n1. 决定开展工作；\n\n游离的一句话\n", encoding="utf-8")
    assert _run(raw, "--out", tmp_path / "out") == 0
    captured = capsys.readouterr()
    assert "1 unplaced" in captured.out
    assert "warning: r.txt:9: could not place" in captured.err


def test_module_entry_point_runs(tmp_path, seed_folder):
    proc = subprocess.run([sys.executable, "-m", "analysis", "run", str(seed_folder), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "resolution 11/2" in proc.stdout


def test_files_of_other_types_in_the_input_folder_are_reported(seed_folder, tmp_path, caplog):
    (seed_folder / "resolution_11-3.doc").write_bytes(b"\xd0\xcf\x11\xe0 old Word file")
    with caplog.at_level("WARNING", logger="analysis.pipeline"):
        assert _run(seed_folder, "--out", tmp_path / "out") == 0
    assert any("resolution_11-3.doc: skipped" in r.getMessage() for r in caplog.records)


def test_a_missing_overrides_file_is_an_error(tmp_path, seed_folder, capsys):
    from analysis.cli import main

    rc = main(["run", str(seed_folder), "--out", str(tmp_path / "out"), "--overrides", str(tmp_path / "none.csv")])
    assert rc == 2
    assert "none.csv: no such overrides file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_broken_rule_file_is_an_error_with_its_line_not_a_traceback(seed_folder, tmp_path, capsys, monkeypatch):
    """An analyst edits a rule file and breaks the YAML: the run says which
    file and line, exits 2, and the last outputs stay."""
    import analysis.pipeline
    from analysis.rules import read_yaml

    out = tmp_path / "out"
    assert _run(seed_folder, "--out", out) == 0
    before = _snapshot(out)
    broken = tmp_path / "themes.yaml"
    broken.write_text("themes:\n  LEG:\n    name: [立法\n  TA: {}\n", encoding="utf-8")

    def run(*args, **kwargs):
        read_yaml(broken)

    monkeypatch.setattr(analysis.pipeline, "run", run)
    capsys.readouterr()
    assert _run(seed_folder, "--out", out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}:4: file: is not valid YAML") and "Traceback" not in err
    assert _snapshot(out) == before
