"""The domain tokeniser: whole UNTOC terms, folded synonyms, its own jieba."""

from __future__ import annotations

import jieba
import pandas as pd
import pytest

from analysis.lexicon import load_lexicon
from analysis.tokenise import (
    CACHE_ENV,
    DomainTokeniser,
    cache_dir,
    canonicalise,
    get_tokeniser,
    term_frequencies,
)

UNTOC_TERMS = ["毒品和犯罪问题办公室", "打击有组织犯罪公约", "缔约方会议", "司法协助", "实施情况审议机制", "技术援助",
               "犯罪所得", "特殊侦查手段", "证人保护", "预算外资源", "受审议缔约方"]

# each term in a sentence of the kind it occurs in (several from the seed, 11/2)
CONTEXTS = [
    "毒品和犯罪问题办公室应考虑扩充“夏洛克”，以包含警察与警察之间合作的信息；",
    "以促进实施《打击有组织犯罪公约》及其各项议定书，并加强交流；",
    "鼓励受审议缔约方向缔约方会议今后各届会议通报其国别审议进展情况；",
    "各国应考虑为获取证据和证人证言方面的司法协助和其他形式国际合作请求或提供相关培训；",
    "毒品和犯罪问题办公室应在不影响实施情况审议机制的规则和程序的情况下，并根据收集到的信息开发技术援助工具；",
    "以便于开展工作处理对犯罪所得洗钱进行刑事定罪的各种实际要件；",
    "包括符合执法合作、联合侦查、特殊侦查手段、司法协助、引渡和信息交流等方面的规定；",
    "各国不妨在此类程序中列入证人保护措施；",
    "各国不妨考虑为“夏洛克”的进一步开发和维护提供预算外资源；",
]


@pytest.fixture(scope="module")
def tok() -> DomainTokeniser:
    return get_tokeniser()


def test_out_of_the_box_jieba_splits_the_terms_we_keep_whole(tok):
    split_by_jieba = [t for t in UNTOC_TERMS if jieba.lcut(t, HMM=False) != [t]]
    assert split_by_jieba == UNTOC_TERMS  # why the domain dictionary exists
    for term in UNTOC_TERMS:
        assert tok.cut(term) == [term], term


@pytest.mark.parametrize("term", UNTOC_TERMS)
def test_untoc_terms_stay_whole_in_context(tok, term):
    sentences = [s for s in CONTEXTS if term in s]
    assert sentences, f"no context sentence for {term}"
    for s in sentences:
        assert term in tok.cut(s), (term, tok.cut(s))


@pytest.mark.parametrize("variant, canonical", [
    ("联合国毒品和犯罪问题办公室", "毒品和犯罪问题办公室"),
    ("毒品和犯罪问题办公室", "毒品和犯罪问题办公室"),
    ("毒罪办", "毒品和犯罪问题办公室"),
    ("《联合国打击跨国有组织犯罪公约》", "打击有组织犯罪公约"),
    ("《打击有组织犯罪公约》", "打击有组织犯罪公约"),
    ("《公约》", "打击有组织犯罪公约"),
    ("联合国打击跨国组织犯罪公约", "打击有组织犯罪公约"),  # the seed title's spelling without 有
])
def test_synonyms_fold_to_one_term(tok, variant, canonical):
    assert tok.tokens(f"各国支持{variant}的工作") == ["各国", "支持", canonical, "工作"]


def test_seed_title_spellings_give_the_same_tokens(tok):
    a = tok.tokens("实施《联合国打击跨国组织犯罪公约》各项技术援助条款")
    b = tok.tokens("实施《联合国打击跨国有组织犯罪公约》各项技术援助条款")
    assert a == b == ["实施", "打击有组织犯罪公约", "技术援助", "条款"]


def test_cut_keeps_every_character_and_tokens_drop_stopwords_and_punctuation(tok):
    text = "(a) 各国应考虑在2022年5月23日前，向毒罪办提供关于第10/4号决议的信息；"
    assert "".join(tok.cut(text)) == text
    toks = tok.tokens(text)
    assert "毒品和犯罪问题办公室" in toks and "信息" in toks
    for dropped in ("的", "应", "，", "；", "(", " ", "2022", "10/4", "考虑", "在"):
        assert dropped not in toks


def test_canonicalise_folds_on_the_text():
    assert canonicalise("联合国毒品和犯罪问题办公室（毒罪办）") == "毒品和犯罪问题办公室（毒品和犯罪问题办公室）"


def test_our_tokeniser_is_not_jiebas_global_one(tok):
    assert tok._jieba is not jieba.dt
    word = "协助各国"
    before = tok.cut("毒罪办协助各国开展工作")
    jieba.dt.add_word(word, 10 ** 6)
    try:
        assert jieba.lcut("毒罪办协助各国开展工作", HMM=False).count(word) == 1
        assert tok.cut("毒罪办协助各国开展工作") == before
    finally:
        jieba.dt.del_word(word)


def test_hmm_is_off_by_default(tok):
    assert tok.hmm is False
    # without the HMM, an unknown run of characters is not glued into a word
    assert tok.cut("鲵鳐鲟") == ["鲵", "鳐", "鲟"]


def test_tokeniser_is_cached_per_lexicon_version():
    assert get_tokeniser() is get_tokeniser()
    assert get_tokeniser().version == load_lexicon().version


def test_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    DomainTokeniser(load_lexicon())
    assert (tmp_path / "cache" / "jieba.cache").exists()


def _all_texts() -> list[str]:
    from analysis.evaluate import load_gold

    return load_gold()["text"].tolist()


def test_rjieba_backend_gives_identical_tokens(tok):
    pytest.importorskip("rjieba")
    fast = get_tokeniser(backend="rjieba")
    texts = _all_texts() + CONTEXTS
    assert len(texts) >= 80
    for t in texts:
        assert fast.cut(t) == tok.cut(t), t
        assert fast.tokens(t) == tok.tokens(t), t


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown tokeniser backend"):
        DomainTokeniser(load_lexicon(), backend="spacy")


def test_term_frequencies_per_resolution_and_per_theme(tok):
    recs = pd.DataFrame({
        "rec_id": ["1/1:I:a", "1/1:I:b", "2/1:I:a"],
        "resolution": ["1/1", "1/1", "2/1"],
        "text": ["各国应加强司法协助。", "毒罪办应提供司法协助和技术援助。", "各国不妨提供技术援助。"],
        "themes": [["COOP"], ["COOP", "TA"], ["TA"]],
    })
    tf = term_frequencies(recs, by="resolution", tokeniser=tok)
    assert list(tf.columns) == ["group", "term", "count", "share", "rank"]
    first = tf[tf["group"] == "1/1"].iloc[0]
    assert (first["term"], first["count"], first["rank"]) == ("司法协助", 2, 1)
    assert tf.groupby("group")["share"].sum().round(6).eq(1.0).all()
    by_theme = term_frequencies(recs, by="themes", n=1, tokeniser=tok)
    assert by_theme.set_index("group")["term"].to_dict() == {"COOP": "司法协助", "TA": "技术援助"}
    everything = term_frequencies(recs.assign(tokens=[["x"], ["x", "y"], ["y"]]), by=None)
    assert everything[["term", "count"]].values.tolist() == [["x", 2], ["y", 2]]
    with pytest.raises(KeyError, match="no column 'section'"):
        term_frequencies(recs, by="section", tokeniser=tok)


def test_rjieba_backend_keeps_the_domain_frequencies_and_skips_jieba(tmp_path, monkeypatch, tok):
    pytest.importorskip("rjieba")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    first = DomainTokeniser(load_lexicon(), backend="rjieba")  # computes them with jieba
    kept = list((tmp_path / "cache").glob("domain-freqs-*.json"))
    assert len(kept) == 1 and first._jieba is not None
    second = DomainTokeniser(load_lexicon(), backend="rjieba")  # reads them
    assert second._jieba is None
    texts = _all_texts()
    assert [second.cut(t) for t in texts] == [tok.cut(t) for t in texts]
    kept[0].write_text("{not json", encoding="utf-8")  # a damaged file is rebuilt
    third = DomainTokeniser(load_lexicon(), backend="rjieba")
    assert third._jieba is not None and [third.cut(t) for t in texts] == [tok.cut(t) for t in texts]
