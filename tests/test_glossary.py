"""The bilingual glossary: validation errors name the file and the entry;
glosses, treaty names and the unglossed count."""

from __future__ import annotations

import pytest

from analysis import glossary
from analysis.glossary import english, load_glossary
from analysis.lexicon import LexiconError

GOOD = """version: "1"
terms:
  技术援助: technical assistance
sections:
  预防战略: Prevention strategies
treaties:
  2225: {name: United Nations Convention against Transnational Organized Crime, short: UNTOC}
generic: [提供]
generic_patterns: ["^第[一二三]+次$"]
"""


def _write(tmp_path, text):
    path = tmp_path / "glossary.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_glossary_loads_and_glosses_the_units_terms():
    g = load_glossary()
    assert g.gloss("技术援助") == "technical assistance"
    assert g.treaty("《条约汇编》第2225卷") == "UNTS vol. 2225 (UNTOC)"
    assert g.treaty("《条约汇编》第2237卷") == "UNTS vol. 2237 (Trafficking in Persons Protocol)"
    assert g.is_generic("提供") and g.is_generic("第十二次") and not g.is_generic("引渡")
    # every gloss is English: the loader refuses Chinese in a gloss
    assert not any(glossary.has_chinese(v) for v in g.terms.values())


def test_a_good_file_loads(tmp_path):
    g = load_glossary(_write(tmp_path, GOOD))
    assert g.gloss("预防战略") == "Prevention strategies"
    assert g.treaty("条约汇编第2225卷") == "UNTS vol. 2225 (UNTOC)"
    assert g.treaty("《条约汇编》第2326卷") == "UNTS vol. 2326"  # volume known only by number
    assert g.is_generic("第二次")


@pytest.mark.parametrize("edit, entry, problem", [
    (("  技术援助: technical assistance\n", "  技术援助: technical assistance\n  技术援助: capacity\n"),
     "line 4", "listed twice"),
    (("  技术援助: technical assistance", "  技术援助: ''"), "terms '技术援助'", "gloss is empty"),
    (("  技术援助: technical assistance", "  技术援助: 技术 assistance"), "terms '技术援助'", "holds Chinese"),
    (("  技术援助: technical assistance", "  technical: technical assistance"), "terms 'technical'",
     "no Chinese character"),
    (("  预防战略: Prevention strategies", "  技术援助: Prevention strategies"), "sections '技术援助'",
     "listed in terms too"),
    (("  2225: {", "  vol2225: {"), "treaties 'vol2225'", "positive number"),
    (("short: UNTOC}", "short: ''}"), "treaties 2225", "non-empty `name` and `short`"),
    (("generic: [提供]", "generic: [提供, 提供]"), "generic '提供'", "listed twice"),
    (('["^第[一二三]+次$"]', '["第[一二三"]'), "generic_patterns '第[一二三'", "does not compile"),
    (("terms:\n  技术援助: technical assistance\n", "terms: {}\n"), "terms", "non-empty"),
])
def test_a_bad_entry_is_named_with_the_file(tmp_path, edit, entry, problem):
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(LexiconError) as err:
        load_glossary(path)
    message = str(err.value)
    assert message.startswith("glossary.yaml: ") and str(path) in message
    assert entry in message and problem in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(LexiconError, match="not found"):
        load_glossary(tmp_path / "glossary.yaml")


def test_english_marks_and_counts_what_has_no_gloss():
    glossary.reset_unglossed()
    assert english("技术援助") == "technical assistance"
    assert english("勠力同心") == "勠力同心*"
    assert english("勠力同心") == "勠力同心*"
    assert english("CTOC/COP/2022/15") == "CTOC/COP/2022/15"
    assert glossary.unglossed() == {"勠力同心": 2}
    glossary.reset_unglossed()
    assert glossary.unglossed() == {}


def test_coverage_counts_distinct_chinese_terms():
    assert glossary.coverage(["技术援助", "技术援助", "勠力同心", "UNODC"]) == (1, 2, ["勠力同心"])
