"""The evaluation: metrics, cross-validation protocol, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.evaluate import (
    confusion,
    cv_group,
    evaluate,
    label_scores,
    load_gold,
    multilabel_scores,
    render_markdown,
    write_evaluation,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return load_gold()


@pytest.fixture(scope="module")
def ev(gold):
    return evaluate(gold)


def test_label_scores_per_class_and_averages():
    t = label_scores(["应", "应", "鼓励", None], ["应", "鼓励", "鼓励", None]).set_index("label")
    assert t.loc["应", "precision"] == 1.0 and t.loc["应", "recall"] == 0.5
    assert t.loc["鼓励", "precision"] == 0.5 and t.loc["鼓励", "support"] == 1
    assert t.loc["(none)", "f1"] == 1.0
    assert t.loc["accuracy", "f1"] == 0.75 and t.loc["accuracy", "support"] == 4


def test_confusion_rows_are_gold():
    m = confusion(["a", "a", "b"], ["a", "b", "b"])
    assert m.loc["a", "b"] == 1 and m.loc["b", "b"] == 1 and m.values.sum() == 3


def test_multilabel_scores_micro_and_macro():
    Y = np.array([[1, 0, 0], [1, 1, 0]])
    P = np.array([[1, 1, 0], [0, 1, 0]])
    t = multilabel_scores(Y, P, ["A", "B", "C"]).set_index("label")
    assert (t.loc["A", "tp"], t.loc["A", "fn"], t.loc["B", "fp"]) == (1, 1, 1)
    assert t.loc["micro avg", "precision"] == pytest.approx(2 / 3)
    assert t.loc["micro avg", "recall"] == pytest.approx(2 / 3)
    assert t.loc["macro avg", "f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # C never occurs: left out
    assert np.isnan(t.loc["C", "f1"])


def test_groups_are_resolution_part_or_probes(gold):
    assert cv_group("11/2:II:k") == "11/2 annex II"
    assert set(gold["group"]) == {"11/2 body", "11/2 annex I", "11/2 annex II", "written probes"}
    assert (gold["group"] == "written probes").sum() >= 40
    assert gold["rec_id"].is_unique


def test_seed_actor_and_strength_are_all_right(ev):
    for field in ("actor_group", "strength_family", "strength"):
        t = ev.label_tables[("resolutions", field)].set_index("label")
        assert t.loc["accuracy", "f1"] == 1.0, field
        assert t.loc["accuracy", "support"] == 28
    assert ev.errors.empty


def test_themes_are_cross_validated_three_ways(ev, gold):
    s = ev.theme_summary.set_index("method")
    assert list(s.index) == ["rules", "model", "combined"]
    for col in ("micro_f1", "macro_f1", "primary_accuracy"):
        assert s[col].between(0, 1).all()
    assert len(ev.theme_predictions) == len(gold)
    assert set(ev.theme_by_group["group"]) == set(gold["group"])
    # the rules learn nothing: their CV predictions are their plain predictions
    from analysis.classify import RuleThemeClassifier

    plain = ["|".join(t) for t in RuleThemeClassifier().predict(gold["text"].tolist())]
    assert ev.theme_predictions["rules"].tolist() == plain


def test_crime_areas_are_scored_per_area_and_the_model_beside_the_rules(ev, gold):
    from analysis.lexicon import CRIME_AREA_CODES

    probes = ev.crime_tables["written probes"].set_index("label")
    assert list(probes.index[:len(CRIME_AREA_CODES)]) == list(CRIME_AREA_CODES)
    assert (probes.loc[list(CRIME_AREA_CODES), "support"] > 0).all()  # every area annotated on some probe
    seed = ev.crime_tables["resolutions"].set_index("label")
    assert seed.loc["micro avg", "support"] == 0 and seed.loc["micro avg", "fp"] == 0  # the seed is general
    s = ev.crime_model.set_index("method")
    assert list(s.index) == ["rules", "model"] and s["micro_f1"].between(0, 1).all()
    assert len(ev.crime_predictions) == len(gold)
    assert set(ev.crime_disagreements.columns) >= {"rec_id", "area", "model_p", "rules_right"}


def test_an_annotation_file_without_crime_areas_is_not_scored_on_them(tmp_path):
    path = tmp_path / "gold_99-9.csv"
    pd.DataFrame({"rec_id": ["99/9:I:a", "99/9:I:b"], "text": ["各国应打击贩运人口。", "各国应提供培训。"],
                  "themes": ["", "TA"], "actor": ["各国"] * 2, "actor_group": ["States"] * 2,
                  "actors": ["各国"] * 2, "strength": ["应"] * 2, "strength_family": ["应"] * 2,
                  "negated": ["false"] * 2, "conditions": ["", ""]}).to_csv(path, index=False, encoding="utf-8-sig")
    gold = load_gold([path, ROOT / "data" / "annotations" / "probes.csv"])
    assert gold.loc[gold["rec_id"] == "99/9:I:a", "crime_areas"].iloc[0] is None
    ev = evaluate(gold)
    assert "resolutions" not in ev.crime_tables and "written probes" in ev.crime_tables
    assert "99/9:I:a" not in set(ev.crime_predictions["rec_id"])


def test_report_and_files(tmp_path, ev):
    md = render_markdown(ev)
    for heading in ("## Actor and strength (rules)", "## Themes: rules, model, combined", "### Per theme: model",
                    "## Crime areas (rules)", "### Rules alone, or a learned second opinion?"):
        assert heading in md
    written = write_evaluation(tmp_path, load_gold())
    names = {p.name for p in written}
    assert "evaluation.md" in names and "evaluation_themes_summary.csv" in names
    assert {"evaluation_crime_areas_written_probes.csv", "evaluation_crime_areas_model.csv"} <= names
    assert "evaluation_confusion_strength_family_resolutions.csv" in names
    summary = pd.read_csv(tmp_path / "evaluation_themes_summary.csv", encoding="utf-8-sig")
    assert summary["method"].tolist() == ["rules", "model", "combined"]


def test_saved_report_is_in_docs():
    text = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    assert "Themes: rules, model, combined (leave one group out)" in text
    assert "| rules |" in text and "| model |" in text and "| combined |" in text
    assert "## Crime areas (rules)" in text and "### Per area: written probes" in text
