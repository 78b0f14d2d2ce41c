"""Precedents and language change over time, on a corpus written for testing:
the seed (11/2) and a later version of it (12/2) with known edits
(fixtures_reports.later_seed), plus the units of a written session report."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import fixtures_build as fb
from analysis.pipeline import RunSettings, run
from analysis.precedents import drift, precedents, summary, word_changes
from fixtures_reports import DROPPED, EDITS, later_seed


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_path):
    folder = tmp_path_factory.mktemp("raw")
    shutil.copy(seed_path, folder / seed_path.name)
    (folder / "res_12-2.txt").write_text(later_seed(seed_path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(corpus, tmp_path_factory):
    return run(corpus, tmp_path_factory.mktemp("out"), RunSettings(progress=False))


def _check(table: pd.DataFrame):
    later = table[table["resolution"] == "12/2"].set_index("rec_id")
    assert later.loc["12/2:I:b", "strength_change"] == "stronger"
    assert later.loc["12/2:I:e", "strength_change"] == "weaker"
    assert later.loc["12/2:I:d", "actor_changed"] and later.loc["12/2:I:d", "actors_added"] == ["捐助方"]
    assert later.loc["12/2:I:d", "actors_removed"] == ["各国"]
    assert later.loc["12/2:I:i", "conditions_added"] == ["在资源允许的情况下"]
    assert later.loc["12/2:I:l", "conditions_removed"] == ["在可行情况下"]
    assert later.loc["12/2:I:p", "status"] == "new" and pd.isna(later.loc["12/2:I:p", "precedent_rec_id"])
    edited = set(EDITS) - {"12/2:I:p"}
    for rid, row in later.iterrows():
        if rid in edited:
            assert row["status"] == "changed", rid
            assert row["precedent_rec_id"] == "11/2:" + rid.split(":", 1)[1], rid
        elif rid not in EDITS:
            # everything not edited is the same text, its precedent the same item of 11/2
            assert row["status"] == "unchanged", rid
            assert row["precedent_rec_id"] == "11/2:" + rid.split(":", 1)[1], rid
            assert row["strength_change"] == "same" and not row["actor_changed"], rid
    for rid in edited:
        row = later.loc[rid]
        if rid not in ("12/2:I:d",):
            assert not row["actor_changed"], rid
        if rid not in ("12/2:I:b", "12/2:I:e"):
            assert row["strength_change"] == "same", rid
    earlier = table[table["resolution"] == "11/2"].set_index("rec_id")
    assert earlier["status"].eq("new").all()  # nothing before the seed
    assert earlier.loc[DROPPED, "dropped"] and pd.isna(earlier.loc[DROPPED, "successor_rec_id"])
    assert earlier.drop(index=DROPPED)["dropped"].eq(False).all()


def test_precedents_of_a_later_version_say_exactly_what_changed(result):
    _check(result.tables["precedents"])


def test_the_same_from_docx_input(seed_path, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    fb.build_docx(seed_path.read_text(encoding="utf-8"), folder / "seed.docx")
    fb.build_docx(later_seed(seed_path.read_text(encoding="utf-8")), folder / "later.docx")
    _check(run(folder, tmp_path / "out", RunSettings(progress=False)).tables["precedents"])


def test_redline_spans_point_into_both_texts(result):
    t = result.tables["precedents"].set_index("rec_id")
    row = t.loc["12/2:I:i"]
    assert row["words_added"] == ["在资源允许的情况下"] and row["words_removed"] == []
    for word, span in zip(row["words_added"], row["added_spans"]):
        a, b = map(int, span.split(":"))
        assert row["text"][a:b] == word
    row = t.loc["12/2:I:b"]
    assert row["words_removed"] == ["可"] and row["words_added"] == ["应"]
    a, b = map(int, row["removed_spans"][0].split(":"))
    assert row["precedent_text"][a:b] == "可"
    assert row["shared_spans"], "the choice of precedent is explained by the overlap stage's spans"


def test_precedent_is_earlier_in_time_not_in_file_order():
    recs = pd.DataFrame({
        "rec_id": ["12/1:body:1", "GA.52/85:body:1", "10/1:body:1"],
        "resolution": ["12/1", "GA.52/85", "10/1"], "body": ["COP", "GA", "COP"],
        "date": [None, "1997-12-12", None], "year": [2024, 1997, 2020],
        "text": ["各国应加强合作。", "各国应加强合作。", "鼓励各国加强合作。"],
        "actor_group": ["States"] * 3, "actors": [["各国"]] * 3, "strength": ["应", "应", "鼓励"],
        "strength_family": ["应", "应", "鼓励"], "strength_score": [5, 5, 2], "negated": [False] * 3,
        "conditions": [[]] * 3, "themes": [["COOP"]] * 3,
    })
    pairs = pd.DataFrame({"rec_id_a": ["12/1:body:1", "12/1:body:1", "GA.52/85:body:1"],
                          "rec_id_b": ["GA.52/85:body:1", "10/1:body:1", "10/1:body:1"],
                          "similarity": [1.0, 0.8, 0.8], "shared_terms": [["合作"]] * 3,
                          "shared_spans": [["加强合作"]] * 3})
    t = precedents(recs, pairs).set_index("rec_id")
    assert t.loc["12/1:body:1", "precedent_rec_id"] == "GA.52/85:body:1"  # the most similar earlier text
    assert t.loc["10/1:body:1", "precedent_rec_id"] == "GA.52/85:body:1"  # 1997 is before 2020
    assert t.loc["10/1:body:1", "strength_change"] == "weaker"
    assert t.loc["GA.52/85:body:1", "status"] == "new"
    # the successor view stays within a body: GA's text has no later GA unit
    assert not t.loc["GA.52/85:body:1", "dropped"] and t.loc["10/1:body:1", "successor_rec_id"] == "12/1:body:1"


def test_summary_and_drift(result):
    t = result.tables["precedents"]
    s = summary(t, "12/2")
    assert (s["stronger"], s["weaker"], s["new"], s["conditions_added"], s["conditions_removed"]) == (1, 1, 1, 1, 1)
    d = drift(t).set_index("resolution")
    assert d.loc["11/2", "new"] == d.loc["11/2", "n"] == 28
    assert (d.loc["12/2", "stronger"], d.loc["12/2", "weaker"], d.loc["12/2", "new"]) == (1, 1, 1)
    assert d.loc["12/2", "n"] == 28 and list(d.index) == ["11/2", "12/2"]


def test_word_changes_absorb_single_equal_characters():
    added, removed, _, _ = word_changes("鼓励各国加强合作", "吁请各国加强合作")
    assert (added, removed) == (["吁请"], ["鼓励"])


def test_the_compiled_matcher_gives_difflibs_opcodes():
    """With the fast extra, word differences come from cydifflib: its
    opcodes must be difflib's, on texts like the corpus's (a few characters
    repeated, as clauses repeat words) and on edge cases."""
    import difflib

    from hypothesis import given, settings, strategies as st

    cydifflib = pytest.importorskip("cydifflib")
    import analysis.precedents as P

    assert P.SequenceMatcher is cydifflib.SequenceMatcher  # the stage uses it where it is installed

    def same(a: str, b: str) -> None:
        want = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        got = cydifflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert [tuple(op) for op in got] == [tuple(op) for op in want], (a, b)

    for a, b in [("", ""), ("", "各国"), ("各国", ""), ("鼓励各国合作", "吁请各国合作"), ("a" * 300, "a" * 299 + "b"),
                 ("各国应" * 80, "缔约国应" * 70), ("\U0001f600各国", "各\U0001f600国")]:
        same(a, b)

    texts = st.text(alphabet="各国应鼓励合作；，、的和在（）a1 \U00020000", max_size=120)

    @settings(max_examples=400, deadline=None)
    @given(texts, texts)
    def check(a, b):
        same(a, b)

    check()


def test_a_rerun_with_nothing_new_reads_the_precedents_back(corpus, tmp_path, monkeypatch):
    import analysis.stages.precedents as P  # the stage that compares

    out = tmp_path / "out"
    first = run(corpus, out, RunSettings(progress=False)).tables["precedents"]

    def must_not_run(*a, **k):
        raise AssertionError("precedents computed again for unchanged inputs")

    monkeypatch.setattr(P, "compare", must_not_run)
    again = run(corpus, out, RunSettings(progress=False)).tables["precedents"]
    pd.testing.assert_frame_equal(again.astype(str), first.astype(str))
    # without the cache everything is recomputed
    with pytest.raises(AssertionError, match="computed again"):
        run(corpus, out, RunSettings(progress=False, cache=False))


def test_a_rerun_with_a_new_resolution_diffs_only_new_pairs_and_equals_a_cold_run(corpus, seed_path, tmp_path,
                                                                                   monkeypatch):
    import analysis.precedents as P

    folder = tmp_path / "raw"
    folder.mkdir()
    for p in corpus.iterdir():
        shutil.copy(p, folder / p.name)
    out = tmp_path / "out"
    run(folder, out, RunSettings(progress=False))  # the memo holds 11/2 -> 12/2's pairs
    later = later_seed(seed_path.read_text(encoding="utf-8"))
    (folder / "res_13-2.txt").write_text(later.replace("12/2", "13/2").replace("加强", "增强"), encoding="utf-8")
    diffed = []
    real = P.word_changes
    monkeypatch.setattr(P, "word_changes", lambda old, new: diffed.append((old, new)) or real(old, new))
    warm = run(folder, out, RunSettings(progress=False)).tables["precedents"]
    again = set(diffed)
    diffed.clear()
    cold = run(folder, tmp_path / "cold", RunSettings(progress=False, cache=False)).tables["precedents"]
    pd.testing.assert_frame_equal(warm, cold)
    assert again and again < set(diffed)  # the pairs of 11/2 and 12/2 came from the memo
    assert all(new in set(cold.loc[cold["resolution"] == "13/2", "text"]) for _, new in again)
