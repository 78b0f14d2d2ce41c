"""Analysts' overrides are applied on every run, marked, and checked."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from analysis.classify import ClassifySettings, classify_recommendations
from analysis.overrides import (
    HEADER,
    OverrideError,
    apply_overrides,
    ensure_overrides_file,
    read_overrides,
    review_queue,
    write_review_queue,
)

RECS = pd.DataFrame({
    "rec_id": ["9/9:I:a", "9/9:I:b", "9/9:I:c"],
    "resolution": ["9/9"] * 3, "part": ["I"] * 3, "label": ["a", "b", "c"],
    "text": ["这些措施应符合国际人权法。", "各国应加强司法协助。", "毒品和犯罪问题办公室不妨考虑举办讲习班。"],
})
RULES_ONLY = ClassifySettings(theme_model=False)


@pytest.fixture()
def classified():
    return classify_recommendations(RECS, RULES_ONLY)[0]


def write_overrides(path, lines: list[str]) -> None:
    path.write_text("\r\n".join([",".join(HEADER), *lines]) + "\r\n", encoding="utf-8-sig")


def test_file_is_created_with_the_header_only_and_a_bom(tmp_path):
    path = ensure_overrides_file(tmp_path / "data" / "overrides.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").strip() == "rec_id,field,value,note"
    assert len(read_overrides(path)) == 0


def test_project_overrides_file_exists_with_its_header():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "overrides.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == "rec_id,field,value,note"


def test_overrides_are_applied_marked_and_dependent_labels_follow(tmp_path, classified):
    path = tmp_path / "overrides.csv"
    write_overrides(path, [
        "9/9:I:a,actor,各国,subject is the States per the preceding paragraph",
        "9/9:I:b,strength,应考虑,checked against the English text",
        "9/9:I:c,themes,TA|LEG,",
    ])
    out, warnings = apply_overrides(classified, read_overrides(path))
    assert warnings == []
    a, b, c = (out.set_index("rec_id").loc[r] for r in RECS["rec_id"])
    assert (a["actor"], a["actor_group"], a["actors"]) == ("各国", "States", ["各国"])
    assert a["overridden"] == ["actor", "actor_group", "actors"]
    assert (b["strength"], b["strength_family"], b["strength_score"]) == ("应考虑", "应", 3)
    assert b["overridden"] == ["negated", "strength", "strength_family", "strength_score"]
    assert (c["themes"], c["primary_theme"]) == (["TA", "LEG"], "TA")
    assert str(out["strength_score"].dtype) == "Int64"


def test_an_overridden_body_name_is_body_in_its_own_resolutions_only(tmp_path):
    recs = pd.DataFrame({"rec_id": ["GA.79/1:body:3", "9/9:body:3"], "resolution": ["GA.79/1", "9/9"],
                         "acting_body": ["大会", "联合国打击跨国有组织犯罪公约缔约方会议"],
                         "text": ["这一问题应在下届会议上审议。"] * 2})
    classified = classify_recommendations(recs, RULES_ONLY)[0]
    path = tmp_path / "overrides.csv"
    write_overrides(path, ["GA.79/1:body:3,actor,大会,", "9/9:body:3,actor,大会,"])
    out = apply_overrides(classified, read_overrides(path))[0].set_index("rec_id")
    assert out.loc["GA.79/1:body:3", "actor_group"] == "Body"
    assert out.loc["9/9:body:3", "actor_group"] == "Other"


def test_crime_areas_are_overridden_in_codebook_order_and_checked(tmp_path):
    recs = pd.DataFrame({"rec_id": ["9/9:I:d", "9/9:I:e"], "resolution": ["9/9"] * 2,
                         "text": ["各国应打击贩运人口。", "各国应加强司法协助。"]})
    classified = classify_recommendations(recs, RULES_ONLY)[0]
    assert classified["crime_areas"].tolist() == [["TIP"], []]
    path = tmp_path / "overrides.csv"
    write_overrides(path, ["9/9:I:d,crime_areas,,the Convention in general: a cited example only",
                           "9/9:I:e,crime_areas,COR|TIP,assistance in corruption and trafficking cases"])
    out = apply_overrides(classified, read_overrides(path))[0].set_index("rec_id")
    assert out.loc["9/9:I:d", "crime_areas"] == [] and out.loc["9/9:I:d", "overridden"] == ["crime_areas"]
    assert out.loc["9/9:I:e", "crime_areas"] == ["TIP", "COR"]
    # the evidence stays what the rules found: the override is listed in `overridden`
    assert out.loc["9/9:I:d", "crime_area_evidence"] == classified.loc[0, "crime_area_evidence"]
    write_overrides(path, ["9/9:I:e,crime_areas,TIP|Piracy,"])
    with pytest.raises(OverrideError, match=r":2: 9/9:I:e crime_areas: unknown crime area code 'Piracy'"):
        read_overrides(path)


def test_overriding_a_field_clears_its_review_reasons(tmp_path, classified):
    assert classified.set_index("rec_id").loc["9/9:I:a", "review_reasons"] == ["actor: no actor found"]
    path = tmp_path / "overrides.csv"
    write_overrides(path, ["9/9:I:a,actor,各国,"])
    out, _ = apply_overrides(classified, read_overrides(path))
    row = out.set_index("rec_id").loc["9/9:I:a"]
    assert row["review_reasons"] == [] and not row["needs_review"]
    # a theme override does not clear an actor problem …
    write_overrides(path, ["9/9:I:a,themes,GHR,"])
    out, _ = apply_overrides(classified, read_overrides(path))
    assert out.set_index("rec_id").loc["9/9:I:a", "needs_review"]
    # … but marking the row as reviewed does
    write_overrides(path, ["9/9:I:a,needs_review,false,reviewed: no actor in this sentence"])
    out, _ = apply_overrides(classified, read_overrides(path))
    assert not out.set_index("rec_id").loc["9/9:I:a", "needs_review"]


def test_unknown_rec_id_is_a_warning_not_an_error(tmp_path, classified, caplog):
    path = tmp_path / "overrides.csv"
    write_overrides(path, ["11/2:I:z,actor,各国,", "9/9:I:b,actor,缔约国,", "9/9:I:b,actor,会员国,second thoughts"])
    with caplog.at_level(logging.WARNING, logger="analysis.overrides"):
        out, warnings = apply_overrides(classified, read_overrides(path))
    assert any("line 2: rec_id 11/2:I:z is not among the recommendations" in w for w in warnings)
    assert any("line 4 wins" in w for w in warnings)
    assert "11/2:I:z" in caplog.text
    assert out.set_index("rec_id").loc["9/9:I:b", "actor"] == "会员国"


@pytest.mark.parametrize("line, message", [
    ("9/9:I:a,colour,red,", r"overrides\.csv:2: 9/9:I:a: unknown field 'colour'"),
    ("9/9:I:a,themes,LEG|TRAF,", r"overrides\.csv:2: 9/9:I:a themes: unknown theme code 'TRAF'"),
    ("9/9:I:a,actor_group,Donors,", r"overrides\.csv:2: 9/9:I:a actor_group: unknown actor group 'Donors'"),
    ("9/9:I:a,strength_score,9,", r"overrides\.csv:2: 9/9:I:a strength_score: strength score must be 1-5"),
    ("9/9:I:a,negated,maybe,", r"overrides\.csv:2: 9/9:I:a negated: expected true or false"),
    (",actor,各国,", r"overrides\.csv:2: empty rec_id"),
])
def test_invalid_lines_are_refused_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "overrides.csv"
    write_overrides(path, [line])
    with pytest.raises(OverrideError, match=message):
        read_overrides(path)


def test_wrong_header_is_refused(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("id,field,value\n", encoding="utf-8-sig")
    with pytest.raises(OverrideError, match=r"overrides\.csv:1: missing column\(s\) rec_id, note"):
        read_overrides(path)


def test_overrides_are_applied_on_every_run_by_the_corrections_stage(tmp_path):
    """The classifier labels; the pipeline's ``corrections`` stage applies the
    analysts' file, once per run, and reports what it could not apply as a
    warning of the run."""
    import analysis.stages  # noqa: F401
    from analysis.engine.run import RunSettings
    from analysis.engine.stages import REGISTRY, Context

    path = tmp_path / "overrides.csv"
    write_overrides(path, ["9/9:I:b,themes,COOP|TA,", "9/9:I:x,actor,各国,"])
    for _ in range(2):
        out, _ = classify_recommendations(RECS, ClassifySettings(theme_model=False))
        assert out.set_index("rec_id").loc["9/9:I:b", "overridden"] == []
        ctx = Context(RunSettings(overrides=path))
        fixed = REGISTRY["corrections"].func(recommendations=out, ctx=ctx)["recommendations"]
        row = fixed.set_index("rec_id").loc["9/9:I:b"]
        assert row["themes"] == ["COOP", "TA"] and "themes" in row["overridden"]
        assert len(ctx.warnings) == 1 and "9/9:I:x" in ctx.warnings[0]


def test_review_queue_lists_rows_that_need_review(tmp_path, classified):
    q = review_queue(classified)
    assert q["rec_id"].tolist() == ["9/9:I:a"]
    assert q.loc[0, "review_reasons"] == "actor: no actor found"
    path = write_review_queue(classified, tmp_path / "review" / "queue.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["rec_id"].tolist() == ["9/9:I:a"] and "text" in back.columns


# --------------------------------------------------------------------------
# through the CLI: which file, and clean errors
# --------------------------------------------------------------------------

CORRECTION = ("11/2:I:a", "strength", "鼓励", "测试")


def _run(*args) -> int:
    from analysis.cli import main

    return main(["run", *map(str, args)])


def _corrected(out) -> bool:
    row = pd.read_parquet(out / "recommendations.parquet").set_index("rec_id").loc["11/2:I:a"]
    return row["strength"] == "鼓励" and "strength" in list(row["overridden"])


def test_the_projects_corrections_apply_from_any_folder_and_the_run_says_which(tmp_path, seed_path, monkeypatch,
                                                                              capsys):
    import json
    import shutil

    project = tmp_path / "project"
    (project / "data" / "raw").mkdir(parents=True)
    shutil.copy(seed_path, project / "data" / "raw" / seed_path.name)
    overrides = project / "data" / "overrides.csv"
    write_overrides(overrides, [",".join(CORRECTION)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the project: its data/overrides.csv is not under the current folder
    out = tmp_path / "out"
    assert _run(project / "data" / "raw", "--out", out) == 0
    assert f"corrections: 1 row from {overrides.resolve()}\n" in capsys.readouterr().out
    assert _corrected(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == {"path": str(overrides.resolve()), "rows": 1}
    # --overrides "" applies none, and says so
    assert _run(project / "data" / "raw", "--out", out, "--overrides", "") == 0
    assert 'corrections: none (--overrides "")' in capsys.readouterr().out
    assert not _corrected(out)


def test_an_overrides_file_that_does_not_exist_is_an_error(seed_folder, tmp_path, capsys):
    missing = tmp_path / "corrections.csv"
    assert _run(seed_folder, "--out", tmp_path / "out", "--overrides", missing) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such overrides file\n"
    assert not (tmp_path / "out").exists()  # refused before anything was read or written


_H = ",".join(HEADER)
BAD_OVERRIDES = {
    "unknown field": (f"{_H}\n11/2:I:a,colour,red,\n", "utf-8-sig", ":2: 11/2:I:a: unknown field 'colour'"),
    "invalid value": (f"{_H}\n11/2:I:a,strength_score,9,\n", "utf-8", ":2: 11/2:I:a strength_score: strength score "
                                                                     "must be 1-5"),
    "missing column": ("rec_id,field,value\n11/2:I:a,strength,鼓励\n", "utf-8", ":1: missing column(s) note"),
    "GBK": (f"{_H}\n11/2:I:a,actor_group,捐助方,备注\n", "gbk", ":2: 11/2:I:a actor_group: unknown actor group "
                                                          "'捐助方'"),
    "UTF-16": (f"{_H}\n11/2:I:a,themes,LEG|走私,\n", "utf-16", ":2: 11/2:I:a themes: unknown theme code '走私'"),
    "binary": (bytes(range(256)) * 4, None, ": this looks like a binary file"),
}


@pytest.mark.parametrize("case", sorted(BAD_OVERRIDES))
def test_bad_overrides_are_one_line_errors_naming_file_and_line(case, seed_folder, tmp_path, capsys):
    text, encoding, expected = BAD_OVERRIDES[case]
    path = tmp_path / "my overrides.csv"
    path.write_bytes(text if encoding is None else text.encode(encoding))
    assert _run(seed_folder, "--out", tmp_path / "out", "--overrides", path) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}{expected}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("encoding, sep", [("utf-8", ","), ("gbk", ","), ("gb18030", ","), ("utf-16", "\t"),
                                           ("utf-16-le", ",")])
def test_overrides_saved_in_other_encodings_are_applied(encoding, sep, seed_folder, tmp_path):
    """GBK from an older Excel; UTF-16 with tabs is Excel's "Unicode Text"."""
    path = tmp_path / "overrides.csv"
    path.write_bytes((sep.join(HEADER) + "\r\n" + sep.join(CORRECTION) + "\r\n").encode(encoding))
    assert _run(seed_folder, "--out", tmp_path / "out", "--overrides", path) == 0
    assert _corrected(tmp_path / "out")
