"""Actor, strength, provisions and themes: seed, probes and edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.classify import (
    CLASSIFY_COLUMNS,
    PROVISION_COLUMNS,
    SCORE_PREFIX,
    ClassifySettings,
    CombinedThemeClassifier,
    ModelThemeClassifier,
    RuleThemeClassifier,
    classify_recommendations,
    classify_text,
    get_grammar,
    read_annotations,
)
from analysis.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "data" / "annotations"
GOLD = read_annotations(ANNOTATIONS / "gold_11-2.csv")
PROBES = read_annotations(ANNOTATIONS / "probes.csv")
RULES_ONLY = ClassifySettings(theme_model=False)

#: Probes the rules cannot get right without a rule written for that one
#: sentence: probe_id -> reason. (None at present; keep the mechanism so a
#: failing probe is stated, not deleted.)
KNOWN_PROBE_FAILURES: dict[str, str] = {}


def _none(v):
    """Missing in any spelling (None, NaN, <NA>, "") -> None."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and v == ""):
        return None
    return v


def seed_recommendations() -> pd.DataFrame:
    """The seed's rows from the reader/segmenter; the gold texts when the
    reader cannot run (it is a separate stage)."""
    try:
        from analysis.pipeline import read_corpus

        recs = read_corpus([ROOT / "data" / "raw"]).recommendations
    except ImportError:  # pragma: no cover - only before the reader exists
        recs = GOLD[["rec_id", "text", "part"]].assign(chapeau=None, acting_body=None)
    return recs


@pytest.fixture(scope="module")
def seed_out():
    return classify_recommendations(seed_recommendations(), RULES_ONLY)


@pytest.fixture(scope="module")
def probe_out():
    recs = PROBES.rename(columns={"probe_id": "rec_id"})[["rec_id", "text", "chapeau", "part", "acting_body"]]
    return classify_recommendations(recs, RULES_ONLY)


# --- the seed against the gold annotation -----------------------------------------

def test_gold_covers_every_seed_recommendation_with_the_readers_text():
    recs = seed_recommendations()
    assert sorted(recs["rec_id"]) == sorted(GOLD["rec_id"])
    merged = recs.merge(GOLD, on="rec_id", suffixes=("_read", "_gold"))
    assert (merged["text_read"] == merged["text_gold"]).all()


@pytest.mark.parametrize("rec_id", GOLD["rec_id"].tolist())
def test_seed_actor_and_strength_match_gold(seed_out, rec_id):
    out, _ = seed_out
    got = out.set_index("rec_id").loc[rec_id]
    gold = GOLD.set_index("rec_id").loc[rec_id]
    for field in ("actor", "actor_group", "strength", "strength_family"):
        assert _none(got[field]) == _none(gold[field]), field
    assert list(got["actors"]) == list(gold["actors"])
    assert _none(got["strength_score"]) == _none(gold["strength_score"])
    assert bool(got["negated"]) == bool(gold["negated"])
    assert list(got["conditions"]) == list(gold["conditions"])


# --- the written probes ----------------------------------------------------------------

def _probe_params():
    for pid in PROBES["probe_id"]:
        marks = [pytest.mark.xfail(reason=KNOWN_PROBE_FAILURES[pid], strict=True)] if pid in KNOWN_PROBE_FAILURES else []
        yield pytest.param(pid, marks=marks, id=pid)


def test_probes_are_many_varied_and_marked():
    assert len(PROBES) >= 40
    assert set(PROBES["source"]) == {"written_for_testing"}
    assert {"States", "UNODC", "Body", "Other"} <= set(PROBES["actor_group"].dropna())
    assert {"应", "鼓励", "不妨", "其他"} <= set(PROBES["strength_family"].dropna())
    for cue in ("不应", "不得", "应当考虑", "促请", "敦促", "吁请", "请"):
        assert cue in set(PROBES["strength"]), cue
    assert PROBES["chapeau"].notna().sum() >= 5
    assert (PROBES["conditions"].map(len) > 0).sum() >= 5
    assert (PROBES["actors"].map(len) > 1).sum() >= 4
    assert (PROBES["provisions"].str.count(r"\|") >= 1).sum() >= 3


@pytest.mark.parametrize("probe_id", list(_probe_params()))
def test_probe(probe_out, probe_id):
    out, prov = probe_out
    got = out.set_index("rec_id").loc[probe_id]
    gold = PROBES.set_index("probe_id").loc[probe_id]
    for field in ("actor", "actor_group", "strength", "strength_family"):
        assert _none(got[field]) == _none(gold[field]), (field, gold["text"])
    assert list(got["actors"]) == list(gold["actors"])
    assert _none(got["strength_score"]) == _none(gold["strength_score"])
    assert bool(got["negated"]) == bool(gold["negated"])
    assert list(got["conditions"]) == list(gold["conditions"])
    if gold["provisions"]:
        p = prov[(prov["rec_id"] == probe_id) & prov["strength"].notna()]
        seq = "|".join(f"{_none(g) or 'None'}:{s}" for g, s in zip(p["actor_group"], p["strength"]))
        assert seq == gold["provisions"]


# --- principles, on small inline cases --------------------------------------------

@pytest.mark.parametrize("text, actor, strength", [
    ("各国应鼓励妇女更广泛地参与刑事司法系统；", "各国", "应"),          # the governing modal decides
    ("各国应当考虑建立证人保护方案。", "各国", "应当考虑"),              # longest cue first
    ("各国不妨考虑邀请毒品和犯罪问题办公室协助培训；", "各国", "不妨考虑"),  # invited UNODC is not the actor
    ("各国应考虑为司法协助请求提供培训；", "各国", "应考虑"),            # 请求 is not 请
    ("各国应考虑在可行情况下划拨足够的资源；", "各国", "应考虑"),        # conditions leave strength alone
    ("鼓励各国审查本国立法；", "各国", "鼓励"),
    ("还请毒品和犯罪问题办公室继续提供技术援助。", "毒品和犯罪问题办公室", "请"),
    ("毒品和犯罪问题办公室可制定一项传播计划；", "毒品和犯罪问题办公室", "可"),
    ("各国应采取措施应对有组织犯罪带来的挑战；", "各国", "应"),          # 应对 is not a cue
    ("这些措施的可行性应得到评估；", None, "应"),                         # 可行 is not 可; subject is no actor
    ("各国，特别是发展中国家，应加强能力建设；", "各国", "应"),            # apposition keeps the first
    ("又请毒品和犯罪问题办公室执行主任向缔约方会议报告执行情况。", "毒品和犯罪问题办公室执行主任", "请"),
    ("缔约方会议请工作组继续审议这一问题；", "工作组", "请"),              # explicit speaker, then object
    ("又决定工作组应在下届会议上审议资产追回问题；", "工作组", "应"),      # decides that … shall
    ("为确保各国可以追回犯罪所得，毒品和犯罪问题办公室应提供培训。", "毒品和犯罪问题办公室", "应"),
    ("应会员国的请求，秘书处应提供立法援助。", "秘书处", "应"),            # "at the request of"
    ("《关于各国应采取措施的宣言》的执行情况应得到审议。", None, "应"),    # cues in titles do not count
])
def test_actor_and_cue(text, actor, strength):
    r = classify_text(text)
    assert (r["actor"], r["strength"]) == (actor, strength)


def test_empty_table_gives_empty_outputs():
    out, prov = classify_recommendations(pd.DataFrame({"rec_id": [], "text": []}), RULES_ONLY)
    assert len(out) == 0 and len(prov) == 0
    assert "actor" in out.columns and list(prov.columns) == list(PROVISION_COLUMNS)


def test_negated_modals_stay_visible():
    for cue in ("不应", "不得"):
        r = classify_text(f"缔约国{cue}以银行保密为由拒绝提供司法协助。")
        assert (r["strength"], r["strength_family"], r["negated"]) == (cue, "应", True)
    assert classify_text("缔约国应提供司法协助。")["negated"] is False


def test_body_operative_paragraphs_have_the_body_as_implicit_subject():
    r = classify_text("核可工作组通过的建议，这些建议载于本决议附件。", acting_body="联合国打击跨国有组织犯罪公约缔约方会议")
    assert (r["actor"], r["actor_group"], r["strength"], r["strength_family"], r["strength_score"]) == \
        ("缔约方会议", "Body", "核可", "其他", None)
    assert r["actor_source"] == "acting_body" and r["actor_span"] == []
    assert classify_text("鼓励各国交流经验。")["actor_group"] == "States"
    assert classify_text("请毒品和犯罪问题办公室编写报告。")["actor_group"] == "UNODC"


GA, ECOSOC, CCPCJ = "大会", "经济及社会理事会", "预防犯罪和刑事司法委员会"
COP_LINE = "联合国打击跨国有组织犯罪公约缔约方会议"


@pytest.mark.parametrize("acting_body, text, actor, group", [
    # the acting body's own acts: its short name, group Body
    (GA, "决定将题为“预防犯罪和刑事司法”的项目列入其第八十一届会议临时议程。", "大会", "Body"),
    (ECOSOC, "核可委员会关于其第三十四届会议工作的报告。", "经济及社会理事会", "Body"),
    (CCPCJ, "注意到秘书处编写的关于贩运文化财产问题的报告。", "预防犯罪和刑事司法委员会", "Body"),
    (None, "决定继续审议这一问题。", "缔约方会议", "Body"),          # no acting body: the COP's
    # the Secretary-General acts through the crime programme: UNODC
    (GA, "请秘书长向大会第八十一届会议提交一份关于本决议执行情况的报告。", "秘书长", "UNODC"),
    (GA, "还请秘书长在现有资源范围内继续提供技术援助。", "秘书长", "UNODC"),
    # another body asked to act is Other, wherever the acting body is named in the text
    (GA, "请预防犯罪和刑事司法委员会在其第三十五届会议上审议这一问题。", CCPCJ, "Other"),
    (COP_LINE, "请大会在其下一届会议上审议本决议的执行情况。", "大会", "Other"),
    (COP_LINE, "邀请预防犯罪和刑事司法委员会审议这些建议。", CCPCJ, "Other"),
    (GA, "请缔约方会议继续审议技术援助问题。", "缔约方会议", "Other"),
    (GA, "请工作组向缔约方会议报告其工作。", "工作组", "Other"),      # the COP's working group
    # the acting body naming itself, or its own organs, acting themselves
    (CCPCJ, "决定委员会应在其第三十五届会议上审议本决议的执行情况。", "委员会", "Body"),
    (CCPCJ, "请委员会扩大主席团在闭会期间继续协调这项工作。", "委员会扩大主席团", "Body"),
    (ECOSOC, "请理事会主席向大会转达本决议。", "理事会", "Body"),
    (COP_LINE, "请工作组在下届会议上审议这一问题。", "工作组", "Body"),
    # a named commission that only ends like the acting body's own name is not the body
    (CCPCJ, "邀请麻醉药品委员会审议与毒品有关的问题。", "麻醉药品委员会", "Other"),
    (ECOSOC, "邀请人权理事会审议这一问题。", "人权理事会", "Other"),
])
def test_the_body_group_follows_the_acting_body(acting_body, text, actor, group):
    r = classify_text(text, acting_body=acting_body)
    assert (r["actor"], r["actor_group"]) == (actor, group)


def test_body_cues_come_from_the_acting_bodys_spellings_and_organs():
    lex = load_lexicon()
    for spelling in ("大会", "联合国大会"):
        assert lex.actor_groups_for(GA)[spelling] == "Body"
        assert lex.actor_groups_for(COP_LINE)[spelling] == "Other"
    cop = lex.actor_groups_for(COP_LINE)
    assert {w for w, g in cop.items() if g == "Body"} >= {"缔约方会议", "工作组", "主席团", "扩大主席团"}
    assert lex.actor_groups_for(None) == cop == lex.actor_groups_for("")
    # an acting body the lexicon does not know is the Body where it acts
    r = classify_text("决定继续处理此案。", acting_body="安全理事会")
    assert (r["actor"], r["actor_group"]) == ("安全理事会", "Body")
    assert classify_text("请安全理事会审议。", acting_body=GA)["actor_group"] == "Other"


def test_chapeau_sub_items_inherit_actor_and_strength():
    r = classify_text("继续收集和分析信息；", chapeau="请毒品和犯罪问题办公室：")
    assert (r["actor_group"], r["strength"], r["strength_score"]) == ("UNODC", "请", 4)
    assert (r["actor_source"], r["strength_source"]) == ("chapeau", "chapeau")
    assert r["actor_span"] == [1, 11]  # offsets into the chapeau
    # the chapeau's conditions apply to its items; they have no span in the item
    r = classify_text("在可行情况下提供培训；", chapeau="请毒品和犯罪问题办公室在资源允许的情况下：")
    assert r["conditions"] == ["在资源允许的情况下", "在可行情况下"]
    assert r["condition_spans"] == [[], [0, 6]]
    # a sub-item that asks someone else inside still inherits from its chapeau
    r = classify_text("鼓励会员国提供预算外资源；", chapeau="请毒品和犯罪问题办公室：")
    assert (r["actor_group"], r["strength"]) == ("UNODC", "请")


def test_several_addressees_and_provisions():
    r = classify_text("鼓励会员国和其他捐助方为此目的提供预算外资源。")
    assert r["actors"] == ["会员国", "其他捐助方"] and r["actor_group"] == "States"
    labels, provs = get_grammar().classify("为促进执法合作，各国应全面实施《公约》。同时，各国不妨向毒品和犯罪问题办公室请求技术援助；")
    assert [(p.actor, p.strength) for p in provs] == [("各国", "应"), ("各国", "不妨")]
    assert [p.is_main for p in provs] == [True, False]
    assert labels["n_provisions"] == 2


def test_spans_point_at_their_words(seed_out):
    out, prov = seed_out
    for r in out.itertuples():
        if r.actor_source == "text":
            s, e = r.actor_span
            assert r.text[s:e].startswith(r.actor)
        if r.strength_source == "text":
            s, e = r.strength_span
            assert r.text[s:e] == r.strength
        assert len(r.condition_spans) == len(r.conditions)
        for span, c in zip(r.condition_spans, r.conditions):
            if span:
                assert r.text[span[0]:span[1]] == c
    for p in prov.itertuples():
        assert p.text == out.set_index("rec_id").loc[p.rec_id, "text"][p.start:p.end]


def test_every_recommendation_has_one_main_provision(seed_out):
    out, prov = seed_out
    assert list(prov.columns) == list(PROVISION_COLUMNS)
    assert prov.groupby("rec_id")["is_main"].sum().eq(1).all()
    assert set(prov["rec_id"]) == set(out["rec_id"])
    k = prov[prov["rec_id"] == "11/2:I:k"]
    assert k["strength"].tolist() == ["应考虑", "应"] and k["conditions"].iloc[1] == ["如果国内法律制度的基本原则允许"]


# --- themes -------------------------------------------------------------------------

def test_theme_evidence_points_at_keywords(seed_out):
    out, _ = seed_out
    for r in out.itertuples():
        for ev in r.theme_evidence:
            m = re.fullmatch(r"([A-Z]+):(.+)@(\d+)-(\d+)", ev)
            code, word, s, e = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
            assert r.text[s:e] == word and code in load_lexicon().theme_codes


def test_keywords_in_conditions_names_and_stock_phrases_do_not_count():
    rules = RuleThemeClassifier()
    assert rules.predict(["毒品和犯罪问题办公室应当在资源允许的情况下，继续收集和分析信息。"]) == [["DATA"]]
    assert rules.predict(["核可技术援助问题政府专家工作组和国际合作工作组通过的建议。"]) == [[]]
    assert rules.predict(["各国应提供预算外资源。"]) == [["RES"]]


def test_rules_and_model_share_one_interface():
    texts = ["各国应加强司法协助和引渡合作。", "各国应提供技术援助和培训。", "各国应加强引渡合作。", "各国应开展培训。"]
    y = [["COOP"], ["TA"], ["COOP"], ["TA"]]
    rules, model = RuleThemeClassifier(), ModelThemeClassifier()
    for clf in (rules, model, CombinedThemeClassifier(rules, model)):
        assert clf.fit(texts, y) is clf
        p = clf.predict_proba(texts)
        assert p.shape == (4, 12) and ((p >= 0) & (p <= 1)).all()
        pred = clf.predict(texts)
        assert len(pred) == 4 and all(set(t) <= set(load_lexicon().theme_codes) for t in pred)
    assert model.predict(["各国应加强引渡合作。"]) == [["COOP"]]
    assert CombinedThemeClassifier(rules, None).predict(["各国应提供预算外资源。"]) == [["RES"]]


# --- the stage ----------------------------------------------------------------------

def test_stage_output_contract(seed_out):
    from analysis import tables

    out, provisions = seed_out
    for col in CLASSIFY_COLUMNS:
        assert col in out.columns, col
    assert [c for c in out.columns if c.startswith(SCORE_PREFIX)] == [f"{SCORE_PREFIX}{c}" for c in load_lexicon().theme_codes]
    assert str(out["strength_score"].dtype) == "Int64"
    assert out["negated"].dtype == bool and out["needs_review"].dtype == bool
    assert set(out["actor_group"].dropna()) <= {"States", "UNODC", "Body", "Other"}
    assert (out["lexicon_version"] == load_lexicon().version).all()
    assert out["themes"].map(lambda t: isinstance(t, list)).all()
    tables.check(out, tables.RECOMMENDATIONS)
    tables.check(provisions, tables.PROVISIONS)


def test_input_table_is_not_modified():
    recs = pd.DataFrame({"rec_id": ["9/9:I:a"], "text": ["各国应加强司法协助。"]})
    before = recs.copy()
    classify_recommendations(recs, RULES_ONLY)
    pd.testing.assert_frame_equal(recs, before)


def test_rows_without_actor_or_cue_are_sent_to_review():
    recs = pd.DataFrame({"rec_id": ["9/9:I:a", "9/9:I:b", "9/9:I:c"],
                         "text": ["这些措施应符合国际人权法。", "关于司法协助的一般性说明。", "各国应加强司法协助。"]})
    out, _ = classify_recommendations(recs, RULES_ONLY)
    reasons = dict(zip(out["rec_id"], out["review_reasons"]))
    assert reasons["9/9:I:a"] == ["actor: no actor found"]
    assert "strength: no strength cue found" in reasons["9/9:I:b"]
    assert out["needs_review"].tolist() == [True, True, False]


def test_model_disagreement_is_flagged_for_review(tmp_path):
    # a model taught (wrongly, on purpose) that mutual legal assistance is
    # about funding disagrees with the keyword rules, which say COOP
    train = pd.DataFrame({"probe_id": [f"T{i}" for i in range(20)],
                          "text": ["各国应加强司法协助。"] * 10 + ["各国应开展培训。"] * 10,
                          "themes": ["RES"] * 10 + ["TA"] * 10})
    path = tmp_path / "train.csv"
    train.to_csv(path, index=False, encoding="utf-8-sig")
    settings = ClassifySettings(training=(str(path),), review_margin=0.1)
    recs = pd.DataFrame({"rec_id": ["9/9:I:a"], "text": ["各国应加强司法协助。"]})
    row = classify_recommendations(recs, settings)[0].iloc[0]
    assert row["themes_rules"] == ["COOP"] and row["themes_model"] == ["RES"]
    assert any(r.startswith("themes: rules say COOP, model does not") for r in row["review_reasons"])
    assert any(r.startswith("themes: model says RES") for r in row["review_reasons"])
    assert row["needs_review"]
    # combined: each signal alone at full confidence reaches the 0.5 cut-off
    assert 0.5 <= row[f"{SCORE_PREFIX}COOP"] <= 1.0


def test_without_annotations_the_model_is_skipped(tmp_path, caplog):
    settings = ClassifySettings(training=(str(tmp_path / "missing.csv"),))
    recs = pd.DataFrame({"rec_id": ["9/9:I:a"], "text": ["各国应加强司法协助。"]})
    out, _ = classify_recommendations(recs, settings)
    assert out.loc[0, "themes"] == ["COOP"] and out.loc[0, "themes_model"] == []
    assert "theme model skipped" in caplog.text


def test_trained_theme_model_is_kept_and_used_without_scikit_learn(tmp_path):
    """A warm start classifies with the stored model; scikit-learn is not even imported."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "COP_ANALYSIS_CACHE": str(tmp_path / "cop")}
    code = ("import sys, pandas as pd; from analysis.classify import classify_recommendations; "
            "recs = pd.DataFrame({'rec_id': ['9/9:I:a'], 'resolution': ['9/9'], "
            "'text': ['各国应考虑加强引渡和司法协助方面的国际合作。']}); "
            "out, _ = classify_recommendations(recs); "
            "print(out.loc[0, 'themes_model'], 'sklearn' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    themes_first, imported_first = first.stdout.strip().rsplit(" ", 1)
    themes_second, imported_second = second.stdout.strip().rsplit(" ", 1)
    assert imported_first == "True" and imported_second == "False"
    assert themes_first == themes_second and "COOP" in themes_second
