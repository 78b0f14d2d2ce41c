"""Incremental runs, the manifest and the what's-new brief."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
    assert {i["resolution"] for i in manifest["inputs"]} == {"11/2", "99/1"}
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
