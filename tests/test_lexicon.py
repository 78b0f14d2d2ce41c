"""The lexicon files load, validate, version, and match docs/codebook.md."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.lexicon import (
    ACTOR_GROUPS,
    CRIME_AREA_CODES,
    FAMILIES,
    FILES,
    LEXICON_DIR,
    LexiconError,
    alternation,
    lexicon_version,
    load_lexicon,
)

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "docs" / "codebook.md"
CODEBOOK_THEMES = ("LEG", "TA", "COOP", "ML", "EVID", "PROS", "VICT", "GHR", "PREV", "DATA", "REV", "RES")


@pytest.fixture()
def lexdir(tmp_path) -> Path:
    """A private copy of the lexicon files to break."""
    d = tmp_path / "lexicon"
    d.mkdir()
    for name in FILES:
        shutil.copy(LEXICON_DIR / name, d / name)
    return d


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_packaged_lexicon_loads_with_the_codebook_structure():
    lex = load_lexicon()
    assert lex.theme_codes == CODEBOOK_THEMES
    assert set(lex.actor_cues.values()) == set(ACTOR_GROUPS) - {"Body"}
    assert set(lex.actor_groups_for(None).values()) == set(ACTOR_GROUPS)
    assert {c.family for c in lex.cues.values()} == set(FAMILIES)
    # the cues the codebook names explicitly, with its family and score
    expected = {"应": ("应", 5), "应当": ("应", 5), "必须": ("应", 5), "吁请": ("鼓励", 4), "促请": ("鼓励", 4),
                "敦促": ("鼓励", 4), "请": ("鼓励", 4), "应考虑": ("应", 3), "应当考虑": ("应", 3),
                "应努力": ("应", 3), "鼓励": ("鼓励", 2), "邀请": ("鼓励", 2), "不妨": ("不妨", 1),
                "不妨考虑": ("不妨", 1), "可": ("不妨", 1), "可以": ("不妨", 1), "决定": ("其他", None),
                "核可": ("其他", None), "通过": ("其他", None)}
    for cue, (family, score) in expected.items():
        assert (lex.cues[cue].family, lex.cues[cue].score) == (family, score), cue
    assert lex.cues["不应"].negated and lex.cues["不得"].negated and not lex.cues["应"].negated


def test_version_is_recorded_form_and_changes_with_content(lexdir):
    v = lexicon_version()
    assert re.fullmatch(r"\d{4}\.\d+\.\d+\+[0-9a-f]{8}", v)
    before = lexicon_version(lexdir)
    with (lexdir / "stopwords.txt").open("a", encoding="utf-8") as fh:
        fh.write("\n之类\n")
    after = lexicon_version(lexdir)
    assert before != after and before.split("+")[0] == after.split("+")[0]


def test_alternation_prefers_the_longest_cue():
    rx = re.compile(alternation(["不妨", "不妨考虑", "应", "应当", "应当考虑"]))
    assert rx.findall("各国不妨考虑；各国应当考虑；各国应当；各国应") == ["不妨考虑", "应当考虑", "应当", "应"]


# --- validation: the error names the file and the entry ----------------------

def test_cue_in_two_families_is_refused(lexdir):
    edit_yaml(lexdir / "strength.yaml",
              lambda d: d["cues"].append({"cue": "应", "family": "不妨", "score": 1, "role": "modal"}))
    with pytest.raises(LexiconError, match=r"strength\.yaml: cue '应': listed twice \(families 应 and 不妨\)"):
        load_lexicon(lexdir)


def test_unknown_theme_code_is_refused(lexdir):
    edit_yaml(lexdir / "themes.yaml", lambda d: d["keywords"].update({"TRAF": {"贩运人口": 2}}))
    with pytest.raises(LexiconError, match=r"themes\.yaml: keywords 'TRAF': unknown theme code"):
        load_lexicon(lexdir)


def test_empty_categories_are_refused(lexdir):
    edit_yaml(lexdir / "actors.yaml", lambda d: d["groups"]["Other"].update({"cues": []}))
    with pytest.raises(LexiconError, match=r"actors\.yaml: group 'Other': has no cues \(empty category\)"):
        load_lexicon(lexdir)


def test_empty_family_is_refused(lexdir):
    edit_yaml(lexdir / "strength.yaml", lambda d: d.update(cues=[c for c in d["cues"] if c["family"] != "不妨"]))
    with pytest.raises(LexiconError, match=r"strength\.yaml: family '不妨': has no cues"):
        load_lexicon(lexdir)


def test_empty_theme_is_refused(lexdir):
    edit_yaml(lexdir / "themes.yaml", lambda d: d["keywords"].pop("RES"))
    with pytest.raises(LexiconError, match=r"themes\.yaml: theme 'RES': has no keywords"):
        load_lexicon(lexdir)


def test_actor_cue_in_two_groups_is_refused(lexdir):
    edit_yaml(lexdir / "actors.yaml", lambda d: d["groups"]["Other"]["cues"].append("各国"))
    with pytest.raises(LexiconError, match=r"actors\.yaml: cue '各国': listed in two groups \('States' and 'Other'\)"):
        load_lexicon(lexdir)


def test_keyword_in_two_themes_is_refused(lexdir):
    edit_yaml(lexdir / "themes.yaml", lambda d: d["keywords"]["TA"].update({"司法协助": 1}))
    with pytest.raises(LexiconError, match=r"themes\.yaml: keyword '司法协助': listed under two themes \('TA' and 'COOP'\)"):
        load_lexicon(lexdir)


def test_synonym_variant_under_two_terms_is_refused(lexdir):
    edit_yaml(lexdir / "synonyms.yaml", lambda d: d["synonyms"]["反腐败公约"].append("《公约》"))
    with pytest.raises(LexiconError, match=r"synonyms\.yaml: variant '《公约》': listed under two canonical terms"):
        load_lexicon(lexdir)


def test_bad_score_role_and_regex_are_refused(lexdir):
    edit_yaml(lexdir / "strength.yaml",
              lambda d: d["cues"].append({"cue": "宜", "family": "应", "score": 7, "role": "modal"}))
    with pytest.raises(LexiconError, match=r"strength\.yaml: cue '宜': score must be an integer 1-5"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "strength.yaml", lexdir / "strength.yaml")
    edit_yaml(lexdir / "strength.yaml", lambda d: d["conditions"].append("在(未闭合"))
    with pytest.raises(LexiconError, match=r"strength\.yaml: conditions #\d+: regular expression"):
        load_lexicon(lexdir)


def test_cue_that_is_also_a_blocker_or_an_actor_is_refused(lexdir):
    edit_yaml(lexdir / "strength.yaml", lambda d: d["blockers"].append("不妨考虑"))
    with pytest.raises(LexiconError, match=r"strength\.yaml: blocker '不妨考虑': is also a strength cue"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "strength.yaml", lexdir / "strength.yaml")
    edit_yaml(lexdir / "actors.yaml", lambda d: d["bodies"]["COP"].append("决定"))
    with pytest.raises(LexiconError, match=r"strength\.yaml: cue '决定': is also an actor cue of group 'Body \(of COP\)'"):
        load_lexicon(lexdir)


def test_body_organs_are_checked_against_bodies_and_fixed_groups(lexdir):
    edit_yaml(lexdir / "actors.yaml", lambda d: d["bodies"].update({"UNGA": ["大会主席"]}))
    with pytest.raises(LexiconError, match=r"actors\.yaml: bodies 'UNGA': unknown body code \(bodies\.yaml knows COP"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "actors.yaml", lexdir / "actors.yaml")
    edit_yaml(lexdir / "actors.yaml", lambda d: d["bodies"]["GA"].append("秘书长"))
    with pytest.raises(LexiconError, match=r"actors\.yaml: bodies 'GA' '秘书长': is also an actor cue of group 'UNODC'"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "actors.yaml", lexdir / "actors.yaml")
    edit_yaml(lexdir / "actors.yaml", lambda d: d["groups"].update({"Body": {"cues": ["大会"]}}))
    with pytest.raises(LexiconError, match=r"actors\.yaml: group 'Body': has no fixed cues"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "actors.yaml", lexdir / "actors.yaml")
    edit_yaml(lexdir / "actors.yaml", lambda d: d.update(acting_body_default="缔约方会议"))
    with pytest.raises(LexiconError, match=r"actors\.yaml: acting_body_default: '缔约方会议' is not a body code"):
        load_lexicon(lexdir)


def test_a_new_spelling_in_bodies_yaml_is_a_body_cue(lexdir):
    edit_yaml(lexdir / "bodies.yaml", lambda d: d["bodies"]["GA"]["spellings"].append("联大"))
    lex = load_lexicon(lexdir)
    assert lex.actor_groups_for("大会")["联大"] == "Body"
    assert lex.actor_groups_for("联合国打击跨国有组织犯罪公约缔约方会议")["联大"] == "Other"
    assert lex.version != lexicon_version()  # bodies.yaml is part of the lexicon version


# --- crime areas (codebook §4b) ---------------------------------------------------

def test_crime_area_cue_in_two_areas_is_refused(lexdir):
    edit_yaml(lexdir / "crime_areas.yaml", lambda d: d["areas"][1]["cues"].append("贩运人口"))
    with pytest.raises(LexiconError,
                       match=r"crime_areas\.yaml: cue '贩运人口': listed under two areas \('TIP' and 'SOM'\)"):
        load_lexicon(lexdir)


def test_unknown_crime_area_code_is_refused(lexdir):
    edit_yaml(lexdir / "crime_areas.yaml",
              lambda d: d["areas"].append({"code": "PIR", "zh": "海盗", "en": "Piracy", "cues": ["海盗船"]}))
    with pytest.raises(LexiconError, match=r"crime_areas\.yaml: area 'PIR': unknown crime area code 'PIR'"):
        load_lexicon(lexdir)


def test_empty_crime_area_is_refused(lexdir):
    def empty_med(d):
        med = next(a for a in d["areas"] if a["code"] == "MED")
        med["cues"] = []
        med.pop("patterns", None)

    edit_yaml(lexdir / "crime_areas.yaml", empty_med)
    with pytest.raises(LexiconError, match=r"crime_areas\.yaml: area 'MED': has no cues and no patterns \(empty"):
        load_lexicon(lexdir)


def test_crime_area_neutral_name_pattern_and_names_are_checked(lexdir):
    edit_yaml(lexdir / "crime_areas.yaml", lambda d: d["neutral"].append("枪支"))
    with pytest.raises(LexiconError, match=r"crime_areas\.yaml: neutral '枪支': is also a cue of area 'FIR'"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "crime_areas.yaml", lexdir / "crime_areas.yaml")
    edit_yaml(lexdir / "crime_areas.yaml", lambda d: d["areas"][4]["patterns"].append("网络(犯罪"))
    with pytest.raises(LexiconError, match=r"crime_areas\.yaml: area 'CYB' patterns #\d+: regular expression"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "crime_areas.yaml", lexdir / "crime_areas.yaml")
    edit_yaml(lexdir / "crime_areas.yaml", lambda d: d["areas"][0].update(en=""))
    with pytest.raises(LexiconError, match=r"crime_areas\.yaml: area 'TIP': needs non-empty 'zh' and 'en'"):
        load_lexicon(lexdir)


def test_crime_areas_file_is_part_of_the_version(lexdir):
    before = lexicon_version(lexdir)
    edit_yaml(lexdir / "crime_areas.yaml", lambda d: d["areas"][0]["cues"].append("拐卖人口"))
    lex = load_lexicon(lexdir)
    assert lex.version != before and lex.crime_cues["拐卖人口"] == "TIP"


def test_text_lists_name_the_line(lexdir):
    with (lexdir / "userdict.txt").open("a", encoding="utf-8") as fh:
        fh.write("司法协助 n\n")
    with pytest.raises(LexiconError, match=r"userdict\.txt: line \d+ '司法协助': listed twice"):
        load_lexicon(lexdir)
    shutil.copy(LEXICON_DIR / "userdict.txt", lexdir / "userdict.txt")
    with (lexdir / "stopwords.txt").open("a", encoding="utf-8") as fh:
        fh.write("的\n")
    with pytest.raises(LexiconError, match=r"stopwords\.txt: line \d+ '的': listed twice"):
        load_lexicon(lexdir)


def test_missing_file_is_named(lexdir):
    (lexdir / "themes.yaml").unlink()
    with pytest.raises(LexiconError, match=r"themes\.yaml: file: not found"):
        load_lexicon(lexdir)


# --- docs/codebook.md is the lexicon in words -----------------------------------

def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = text.find("\n## ", start + 1)
    return text[start: nxt if nxt > 0 else None]


def _rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def test_codebook_themes_match_the_lexicon():
    lex = load_lexicon()
    rows = _rows(_section(CODEBOOK.read_text(encoding="utf-8"), "## 4."))
    doc = {r[0].strip("`"): (r[1], r[2]) for r in rows}
    assert list(doc) == list(lex.theme_codes)
    for code, theme in lex.themes.items():
        assert doc[code] == (theme.zh, theme.en), code


def test_codebook_strength_table_matches_the_lexicon():
    lex = load_lexicon()
    rows = _rows(_section(CODEBOOK.read_text(encoding="utf-8"), "## 3."))
    documented = {}
    for cues, _en, family, score, role, negated in rows:
        for cue in cues.split(", "):
            assert cue not in documented, f"{cue} listed twice in docs/codebook.md"
            documented[cue] = (family, int(score) if score else None, role, negated == "yes")
    in_lexicon = {c.cue: (c.family, c.score, c.role, c.negated) for c in lex.cues.values()}
    assert documented == in_lexicon


def test_codebook_actor_examples_are_cues_of_their_group():
    lex = load_lexicon()
    rows = _rows(_section(CODEBOOK.read_text(encoding="utf-8"), "## 2."))
    assert [r[0].strip("`") for r in rows] == list(ACTOR_GROUPS)
    cop = lex.actor_groups_for(None)  # the examples are read as in a COP resolution
    for group, _meaning, examples in rows:
        for word in examples.split(", "):
            assert cop.get(word) == group.strip("`"), word


def test_codebook_crime_areas_match_the_lexicon():
    """§4b's table: codes, names as in crime_areas.yaml (which the charts use),
    and every typical cue it lists is read as its area by the rules."""
    from analysis.crime_areas import CrimeAreaClassifier

    lex = load_lexicon()
    rows = _rows(_section(CODEBOOK.read_text(encoding="utf-8"), "## 4b."))
    doc = {r[0].strip("`"): (r[1], r[2], r[3]) for r in rows}
    assert list(doc) == list(lex.crime_area_codes) == list(CRIME_AREA_CODES)
    clf = CrimeAreaClassifier()
    for code, area in lex.crime_areas.items():
        zh, en, cues = doc[code]
        assert (zh, en) == (area.zh, area.en), code
        for cue in cues.split(", "):
            assert clf.predict([f"各国应处理{cue}问题。"]) == [[code]], (code, cue)
