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
    with pytest.raises(OverrideError, match=r"line 2: 9/9:I:e crime_areas: unknown crime area code 'Piracy'"):
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
    ("9/9:I:a,colour,red,", r"overrides\.csv: line 2: 9/9:I:a: unknown field 'colour'"),
    ("9/9:I:a,themes,LEG|TRAF,", r"overrides\.csv: line 2: 9/9:I:a themes: unknown theme code 'TRAF'"),
    ("9/9:I:a,actor_group,Donors,", r"line 2: 9/9:I:a actor_group: unknown actor group 'Donors'"),
    ("9/9:I:a,strength_score,9,", r"line 2: 9/9:I:a strength_score: strength score must be 1-5"),
    ("9/9:I:a,negated,maybe,", r"line 2: 9/9:I:a negated: expected true or false"),
    (",actor,各国,", r"line 2: empty rec_id"),
])
def test_invalid_lines_are_refused_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "overrides.csv"
    write_overrides(path, [line])
    with pytest.raises(OverrideError, match=message):
        read_overrides(path)


def test_wrong_header_is_refused(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("id,field,value\n", encoding="utf-8-sig")
    with pytest.raises(OverrideError, match=r"line 1: missing column\(s\) rec_id, note"):
        read_overrides(path)


def test_overrides_are_applied_on_every_run(tmp_path):
    path = tmp_path / "overrides.csv"
    write_overrides(path, ["9/9:I:b,themes,COOP|TA,", "9/9:I:x,actor,各国,"])
    settings = ClassifySettings(theme_model=False, overrides=str(path))
    for _ in range(2):
        out, _ = classify_recommendations(RECS, settings)
        row = out.set_index("rec_id").loc["9/9:I:b"]
        assert row["themes"] == ["COOP", "TA"] and "themes" in row["overridden"]
        assert len(out.attrs["override_warnings"]) == 1


def test_review_queue_lists_rows_that_need_review(tmp_path, classified):
    q = review_queue(classified)
    assert q["rec_id"].tolist() == ["9/9:I:a"]
    assert q.loc[0, "review_reasons"] == "actor: no actor found"
    path = write_review_queue(classified, tmp_path / "review" / "queue.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["rec_id"].tolist() == ["9/9:I:a"] and "text" in back.columns
