"""Overlap: paraphrases are found, stock phrases are not a reason, scores are explained, no n x n."""

from __future__ import annotations

import math
import random
import re
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp
import yaml

from analysis import overlap
from analysis.engine.cache import pickle_atomic, read_pickles
from analysis.overlap import explain, features, search
from analysis.overlap import (
    SEP,
    OverlapMemo,
    OverlapSettings,
    char_ngrams,
    load_stock_phrases,
    overlap_clusters,
    overlap_pairs,
    shared_spans,
    strip_stock_phrases,
)
from analysis.rules import RuleError

FIXTURES = Path(__file__).parent / "fixtures" / "paraphrases.yaml"


def _real_tokens(text: str) -> list[str]:
    from analysis.tokenise import get_tokeniser

    return get_tokeniser().tokens(text)


@pytest.fixture(scope="module")
def tokens():
    return _real_tokens


@pytest.fixture(scope="module")
def fixture_data() -> dict:
    data = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    assert "WRITTEN FOR TESTING" in FIXTURES.read_text(encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def fixture_recs(fixture_data) -> pd.DataFrame:
    rows = []
    for k, p in enumerate(fixture_data["pairs"]):
        rows.append({"rec_id": f"90/{k + 1}:body:1", "resolution": f"90/{k + 1}", "text": p["a"]})
        rows.append({"rec_id": f"91/{k + 1}:I:a", "resolution": f"91/{k + 1}", "text": p["b"]})
    for k, t in enumerate(fixture_data["chapeau_only"]):
        rows.append({"rec_id": f"92/1:body:{k + 1}", "resolution": "92/1", "text": t})
    for k, t in enumerate(fixture_data["background"]):
        rows.append({"rec_id": f"93/1:body:{k + 1}", "resolution": "93/1", "text": t})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fixture_pairs(fixture_recs, tokens) -> pd.DataFrame:
    return overlap_pairs(fixture_recs, OverlapSettings(), tokens=tokens)


def _pair(pairs: pd.DataFrame, a: str, b: str) -> pd.Series | None:
    hit = pairs[((pairs.rec_id_a == a) & (pairs.rec_id_b == b)) | ((pairs.rec_id_a == b) & (pairs.rec_id_b == a))]
    return None if hit.empty else hit.iloc[0]


# --- stock phrases ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, kept",
    [
        ("各国应考虑加强执法合作", "加强执法合作"),
        ("各国不妨考虑编写解释材料", "编写解释材料"),
        ("鼓励缔约国考虑利用工具包", "利用工具包"),
        ("吁请缔约国确保本国立法", "确保本国立法"),
        ("联合国毒品和犯罪问题办公室（毒品和犯罪问题办公室）应当继续提供技术援助", "继续提供技术援助"),
        ("尚未更新立法记录的国家应更新该记录", "尚未更新立法记录的|更新该记录"),
        ("实施《联合国打击跨国组织犯罪公约》及其各项议定书", "实施"),
        ("符合《打击有组织犯罪公约》的规定", "符合|的规定"),
        ("全面执行《公约》和其他国际承诺", "全面执行|和其他国际承诺"),
        ("应当在资源允许的情况下继续", "应当|继续"),
    ],
)
def test_stock_phrases_are_cut_out(text, kept):
    assert strip_stock_phrases(text).replace(SEP, "|").strip("|") == kept


@pytest.mark.parametrize(
    "text, kept", [("国家政策和战略", "国家政策"), ("国家可持续发展", "国家可持续"), ("各国应对挑战的经验", "应对挑战")]
)
def test_content_words_are_not_stock_phrases(text, kept):
    # 国家 alone is content (国家政策); 可持续 is not the modal 可; 应对 is a verb.
    assert kept in strip_stock_phrases(text)


def test_an_action_verb_after_the_modal_is_kept():
    # 各国应鼓励妇女…: the strength is 应, 鼓励 is what is asked.
    assert strip_stock_phrases("各国应鼓励妇女参与").replace(SEP, "") == "鼓励妇女参与"


def _write_yaml(tmp_path, data) -> Path:
    p = tmp_path / "stock.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "data, entry, message",
    [
        ({"phrases": {"a": ["毒罪办"], "b": ["毒罪办"]}}, "phrases.b", "already listed under phrases.a"),
        ({"phrases": {"a": ["毒罪办", ""]}}, "phrases.a[1]", "is empty"),
        ({"patterns": {"title": "《(公约"}}, "patterns.title", "invalid regex"),
        ({"patterns": {"title": "(公约)?"}}, "patterns.title", "matches the empty string"),
        ({"chapeau": {"actors": ["各国"]}}, "chapeau", "missing list 'modals'"),
        ({"chapeau": {"actors": ["各国", "各国"], "modals": ["应"]}}, "chapeau.actors[1]", "listed twice"),
        ({"phrasez": {}}, "phrasez", "unknown section"),
        ({}, "file", "no stock phrase"),
    ],
)
def test_stock_phrase_file_is_validated(tmp_path, data, entry, message):
    # A stock-phrase file fails like every rule file: RuleError naming the file and the entry.
    path = _write_yaml(tmp_path, data)
    with pytest.raises(RuleError) as err:
        load_stock_phrases(path)
    assert err.value.path == path.resolve() and err.value.entry == entry and message in err.value.problem
    assert str(path.resolve()) in str(err.value) and entry in str(err.value) and message in str(err.value)


def test_a_stock_phrase_file_that_is_not_yaml_names_its_line(tmp_path):
    path = tmp_path / "stock.yaml"
    path.write_text("phrases:\n  a: [毒罪办\n", encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_stock_phrases(path)
    assert err.value.entry == "file" and err.value.line and "not valid YAML" in err.value.problem


def test_packaged_stock_phrase_file_loads():
    phrases = load_stock_phrases()
    assert phrases.n_entries > 20 and phrases.version


# --- features and spans ----------------------------------------------------


def test_char_ngrams_do_not_cross_punctuation_or_a_stripped_phrase():
    grams = char_ngrams(f"加强合作{SEP}提供培训，交流", (2, 3))
    assert "作提" not in grams and "训交" not in grams
    assert {"合作", "提供", "交流", "提供培"} <= set(grams)


def test_shared_spans_find_reordered_clauses():
    a = "加强执法合作，并开展联合侦查"
    b = "开展联合侦查以及执法合作"
    assert shared_spans(a, b) == ["开展联合侦查", "执法合作"]


def test_shared_spans_respect_min_length_and_separator():
    assert shared_spans("培训法官", "培训检察官") == []
    # The same characters on both sides of a stripped phrase are not a span.
    assert shared_spans(f"援助{SEP}提供", f"援助{SEP}提供") == []
    assert shared_spans("提供技术援助", "提供技术援助", min_len=4) == ["提供技术援助"]


def test_shared_spans_are_substrings_of_both_and_do_not_overlap():
    a = "收集按年龄和性别分列的定量和定性数据，用于研究有组织犯罪"
    b = "为研究有组织犯罪而收集按性别和年龄分列的定性和定量数据"
    spans = shared_spans(a, b, max_spans=5)
    assert spans and all(s in a and s in b and len(s) >= 4 for s in spans)
    assert "研究有组织犯罪" in spans
    assert spans == sorted(spans, key=len, reverse=True)


# --- pairs -----------------------------------------------------------------


def test_paraphrases_are_each_others_nearest_neighbour(fixture_data, fixture_pairs):
    settings = OverlapSettings()
    for k, p in enumerate(fixture_data["pairs"]):
        row = _pair(fixture_pairs, f"90/{k + 1}:body:1", f"91/{k + 1}:I:a")
        assert row is not None, p["id"]
        assert row.rank_a == 1 and row.rank_b == 1, p["id"]
        assert row.similarity >= settings.threshold, (p["id"], row.similarity)
        assert not row.same_resolution


def test_chapeau_and_convention_title_alone_do_not_make_a_pair(fixture_recs, fixture_pairs):
    settings = OverlapSettings()
    chapeau_ids = fixture_recs.loc[fixture_recs.resolution == "92/1", "rec_id"].tolist()
    # The two pairs share their whole opening: 各国应考虑依照《联合国打击…公约》的规定,
    # 毒品和犯罪问题办公室应在《打击有组织犯罪公约》框架内.
    for a, b in [(chapeau_ids[0], chapeau_ids[1]), (chapeau_ids[2], chapeau_ids[3])]:
        row = _pair(fixture_pairs, a, b)
        assert row is None or row.similarity < settings.threshold
        if row is not None:
            assert not any("公约" in t or "各国" in t or "办公室" in t for t in row.shared_terms)
            assert not any("公约" in s for s in row.shared_spans)


def test_stripping_is_what_keeps_chapeau_pairs_apart(fixture_recs, tokens, tmp_path):
    # Same items, with a stock-phrase file that strips nothing relevant: the
    # pair that shares only its chapeau and the Convention's title now scores
    # higher. This is the check that the stripping does the work.
    path = _write_yaml(tmp_path, {"phrases": {"x": ["不会出现的短语"]}})
    chap = fixture_recs[fixture_recs.resolution.isin(["92/1", "93/1"])]
    a, b = chap.rec_id.iloc[0], chap.rec_id.iloc[1]
    with_strip = _pair(overlap_pairs(chap, OverlapSettings(), tokens=tokens), a, b)
    without = _pair(overlap_pairs(chap, OverlapSettings(stock_phrases=str(path)), tokens=tokens), a, b)
    assert without is not None
    assert with_strip is None or with_strip.similarity < without.similarity


def test_scores_are_explained_by_shared_terms_and_spans(fixture_recs, fixture_pairs):
    text = dict(zip(fixture_recs.rec_id, fixture_recs.text))
    above = fixture_pairs[fixture_pairs.similarity >= OverlapSettings().threshold]
    assert len(above) >= 8
    for row in above.itertuples():
        assert row.shared_terms, row
        assert row.shared_spans, row
        for t in row.shared_terms:
            assert t in text[row.rec_id_a] and t in text[row.rec_id_b]
        for s in row.shared_spans:
            assert s in text[row.rec_id_a] and s in text[row.rec_id_b] and len(s) >= 4


def test_overlap_table_shape_and_invariants(fixture_recs, fixture_pairs):
    p = fixture_pairs
    assert list(p.columns[:7]) == [
        "rec_id_a",
        "rec_id_b",
        "similarity",
        "same_resolution",
        "shared_terms",
        "shared_spans",
        "rank_a",
    ]
    assert p.similarity.between(0, 1).all() and (p.similarity > 0).all()
    assert not p.duplicated(["rec_id_a", "rec_id_b"]).any()
    assert (p.rec_id_a != p.rec_id_b).all()
    order = {r: k for k, r in enumerate(fixture_recs.rec_id)}
    assert all(order[a] < order[b] for a, b in zip(p.rec_id_a, p.rec_id_b))
    assert str(p.rank_a.dtype) == "Int64"
    # Every recommendation that shares anything keeps its top-k neighbours
    # (fewer only when fewer share a feature with it), ranked 1, 2, … .
    k = OverlapSettings().top_k
    assert (p.rank_a.dropna() >= 1).all()
    for rid in fixture_recs.rec_id:
        as_a = p.loc[p.rec_id_a == rid, "rank_a"].dropna()
        as_b = p.loc[p.rec_id_b == rid, "rank_b"].dropna()
        ranks = sorted(pd.concat([as_a, as_b]).astype(int))
        assert ranks == list(range(1, len(ranks) + 1))
        involved = int(((p.rec_id_a == rid) | (p.rec_id_b == rid)).sum())
        assert len(ranks) >= min(k, involved)
    # Same resolution flag.
    both = p[p.rec_id_a.str.startswith("92/1") & p.rec_id_b.str.startswith("92/1")]
    assert both.same_resolution.all()


def test_output_is_deterministic(fixture_recs, tokens):
    a = overlap_pairs(fixture_recs, tokens=tokens)
    b = overlap_pairs(fixture_recs.copy(), tokens=tokens)
    pd.testing.assert_frame_equal(a, b)


def test_small_inputs():
    tok = _real_tokens
    one = pd.DataFrame({"rec_id": ["1/1:body:1"], "resolution": ["1/1"], "text": ["各国应加强合作"]})
    assert overlap_pairs(one, tokens=tok).empty
    assert list(overlap_pairs(one, tokens=tok).columns)[:7] == overlap.OVERLAP_COLUMNS[:7]
    # Two texts that are nothing but stock phrases share nothing.
    two = pd.DataFrame(
        {"rec_id": ["1/1:body:1", "1/1:body:2"], "resolution": ["1/1", "1/1"], "text": ["各国应考虑", "各国不妨"]}
    )
    assert overlap_pairs(two, tokens=tok).empty


def test_duplicate_rec_id_is_refused():
    recs = pd.DataFrame({"rec_id": ["a", "a"], "resolution": ["1/1", "1/1"], "text": ["甲乙丙丁", "甲乙丙丁"]})
    with pytest.raises(ValueError, match="occurs more than once"):
        overlap_pairs(recs, tokens=_real_tokens)


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 0}, {"threshold": 1.5}, {"ngram_range": (3, 2)}, {"weights": (0, 0)}, {"top_k": -1}],
)
def test_settings_are_validated(kwargs):
    with pytest.raises(ValueError):
        OverlapSettings(**kwargs)


def test_weights_make_a_convex_combination(fixture_recs, tokens):
    only_ngrams = overlap_pairs(fixture_recs, OverlapSettings(weights=(0, 1)), tokens=tokens)
    only_tokens = overlap_pairs(fixture_recs, OverlapSettings(weights=(1, 0)), tokens=tokens)
    both = overlap_pairs(fixture_recs, OverlapSettings(weights=(1, 1)), tokens=tokens)
    key = ("90/6:body:1", "91/6:I:a")
    s_n, s_t, s_b = (_pair(df, *key).similarity for df in (only_ngrams, only_tokens, both))
    assert s_b == pytest.approx((s_n + s_t) / 2, abs=2e-4)


# --- scale -----------------------------------------------------------------


def _synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    data = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    texts = [p[k] for p in data["pairs"] for k in ("a", "b")] + data["chapeau_only"] + data["background"]
    clauses = [c for t in texts for c in re.split(r"[，。；]", t) if c]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        picked = rng.sample(clauses, 3)
        rows.append({"rec_id": f"{i // 100 + 1}/1:body:{i % 100 + 1}", "resolution": f"{i // 100 + 1}/1",
                     "text": "，".join(picked) + f"，第{i}项。"})
    return pd.DataFrame(rows)


def test_blocks_stay_under_the_cell_budget(monkeypatch):
    # The similarity matrix is computed in row chunks; record every block
    # and every dense operand the chunks are multiplied with.
    shapes, operands = [], []
    real_block, real_matmul = search.similarity_block, sp.csr_matrix.__matmul__

    def spy(*a, **k):
        out = real_block(*a, **k)
        shapes.append(out.T.shape)  # chunk rows x the rows from the chunk on
        return out

    def spy_matmul(self, other):
        if isinstance(other, np.ndarray):
            operands.append(other.shape)
        return real_matmul(self, other)

    monkeypatch.setattr(search, "similarity_block", spy)
    monkeypatch.setattr(sp.csr_matrix, "__matmul__", spy_matmul)
    recs = _synthetic(600)
    settings = OverlapSettings(chunk_cells=600 * 50)
    pairs = overlap_pairs(recs, settings, tokens=_pair_tokens)
    n, step = 600, 50
    blocks = [s for s in shapes if s[0] == step or s[1] == n]
    assert len(blocks) == n // step  # 600 rows in chunks of 50
    assert operands and all(r * c <= settings.chunk_cells for r, c in operands)
    assert all(r * c <= settings.chunk_cells for r, c in blocks)
    # Only the upper triangle is computed: about half of the n x n cells.
    assert sum(r * c for r, c in blocks) <= n * n / 2 + n * step
    assert len(pairs) > 0


def _zipf_corpus(n: int, seed: int = 11) -> pd.DataFrame:
    """n texts of 20-60 words drawn (Zipf-like) from 3,000 random two-character words."""
    rng = np.random.default_rng(seed)
    chars = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 2000)])
    vocab = ["".join(rng.choice(chars, 2)) for _ in range(3000)]
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    texts = ["".join(rng.choice(vocab, rng.integers(20, 60), p=p)) + "。" for _ in range(n)]
    return pd.DataFrame({"rec_id": [f"r{i}" for i in range(n)], "resolution": [f"{i // 50}/1" for i in range(n)],
                         "text": texts})


def _pair_tokens(t: str) -> list[str]:
    return re.findall(r"[\u4e00-\u9fff]{2}", t)


def test_five_thousand_rows_with_bounded_memory():
    n = 5000
    recs = _zipf_corpus(n)
    settings = OverlapSettings(chunk_cells=1_000_000, top_k=3, max_neighbours=10)
    dense = n * n * 4  # one float32 n x n matrix: 100 MB
    feats = features.text_features(recs["text"].tolist(), settings, _pair_tokens)
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        edges = search.neighbours(feats.X, settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The neighbour search holds one block of chunk_cells (with its sparse
    # product and index arrays) and n x max_neighbours candidates, never the
    # n x n matrix.
    assert peak - base < dense / 2, f"neighbour search peak {(peak - base) / 1e6:.0f} MB"
    assert len(edges) >= n * settings.top_k
    # The whole stage on the same input: every row has its top-k neighbours
    # and never more than the cap.
    pairs = overlap_pairs(recs, settings, tokens=_pair_tokens)
    per_row = pd.concat([pairs.rec_id_a[pairs.rank_a.notna()], pairs.rec_id_b[pairs.rank_b.notna()]]).value_counts()
    assert per_row.index.nunique() == n
    assert per_row.min() >= settings.top_k
    assert per_row.max() <= max(settings.top_k, settings.max_neighbours)


# --- clusters --------------------------------------------------------------


def test_clusters_group_paraphrases_and_are_labelled(fixture_recs, fixture_pairs):
    clusters = overlap_clusters(fixture_recs, fixture_pairs, OverlapSettings())
    assert list(clusters.columns[:4]) == ["cluster_id", "rec_id", "cluster_label", "size"]
    by_rec = dict(zip(clusters.rec_id, clusters.cluster_id))
    found = 0
    for k in range(1, 9):
        a, b = f"90/{k}:body:1", f"91/{k}:I:a"
        row = _pair(fixture_pairs, a, b)
        if row.similarity >= OverlapSettings().cluster_threshold:
            assert by_rec[a] == by_rec[b]
            found += 1
    assert found >= 5
    for cid, g in clusters.groupby("cluster_id"):
        assert (g["size"] == len(g)).all() and len(g) >= 2
        label = g.cluster_label.iloc[0]
        assert label
        # The label is made of terms the members share.
        for term in label.split("、"):
            assert all(term in t for t in fixture_recs.set_index("rec_id").loc[g.rec_id, "text"])
    # Items that share only a chapeau are in no cluster.
    assert not set(fixture_recs.loc[fixture_recs.resolution == "92/1", "rec_id"]) & set(clusters.rec_id)


def test_clusters_do_not_chain_unrelated_items():
    recs = pd.DataFrame({"rec_id": list("ABCDE"), "resolution": ["1/1"] * 5, "text": [f"文本{c}" for c in "ABCDE"]})
    # A~B and B~C are strong, A and C share nothing: average linkage keeps C out.
    pairs = pd.DataFrame(
        {
            "rec_id_a": ["A", "B", "D"],
            "rec_id_b": ["B", "C", "E"],
            "similarity": [0.9, 0.6, 0.8],
            "same_resolution": [True] * 3,
            "shared_terms": [["培训", "法官"], ["法官"], ["引渡"]],
            "shared_spans": [["培训法官"], [], ["引渡请求"]],
            "rank_a": [1, 1, 1],
        }
    )
    clusters = overlap_clusters(recs, pairs, OverlapSettings(cluster_threshold=0.5))
    groups = clusters.groupby("cluster_id").rec_id.apply(sorted).tolist()
    assert groups == [["A", "B"], ["D", "E"]]
    assert clusters.loc[clusters.rec_id == "A", "cluster_label"].iloc[0] == "培训、法官"
    assert (clusters.n_resolutions == 1).all()


def test_a_giant_component_is_cut_at_a_stricter_threshold():
    # Two tight groups joined by one weaker bridge make one component, larger
    # than the dense linkage may take: it is cut at a stricter threshold first.
    recs = pd.DataFrame({"rec_id": list("ABCDEF"), "resolution": ["1/1"] * 3 + ["2/1"] * 3,
                         "text": [f"文本{c}" for c in "ABCDEF"]})
    tight = [("A", "B"), ("A", "C"), ("B", "C"), ("D", "E"), ("D", "F"), ("E", "F")]
    pairs = pd.DataFrame(
        {
            "rec_id_a": [a for a, _ in tight] + ["C"],
            "rec_id_b": [b for _, b in tight] + ["D"],
            "similarity": [0.9] * 6 + [0.55],
            "same_resolution": [True] * 6 + [False],
            "shared_terms": [["培训"]] * 3 + [["引渡"]] * 3 + [["合作"]],
            "shared_spans": [[]] * 7,
            "rank_a": [1] * 7,
        }
    )
    clusters = overlap_clusters(recs, pairs, OverlapSettings(cluster_threshold=0.45, max_linkage_size=3))
    assert clusters.groupby("cluster_id").rec_id.apply(sorted).tolist() == [["A", "B", "C"], ["D", "E", "F"]]
    assert clusters.drop_duplicates("cluster_id").cluster_label.tolist() == ["培训", "引渡"]


def test_clusters_of_nothing():
    recs = pd.DataFrame({"rec_id": ["A"], "resolution": ["1/1"], "text": ["x"]})
    assert overlap_clusters(recs, overlap.empty_overlap()).empty


def test_workers_give_the_same_table(fixture_recs, tokens, monkeypatch):
    # Small chunks so that the two workers share the chunks between them,
    # and the spans are computed by the workers too.
    monkeypatch.setattr(explain, "PARALLEL_MIN_PAIRS", 0)
    one = overlap_pairs(fixture_recs, OverlapSettings(chunk_cells=len(fixture_recs) * 3), tokens=tokens)
    two = overlap_pairs(fixture_recs, OverlapSettings(chunk_cells=len(fixture_recs) * 3, n_jobs=2), tokens=tokens)
    pd.testing.assert_frame_equal(one, two)


def test_default_tokeniser_backends_agree(fixture_recs):
    jieba_pairs = overlap_pairs(fixture_recs, OverlapSettings(tokeniser_backend="jieba"))
    auto_pairs = overlap_pairs(fixture_recs, OverlapSettings())
    pd.testing.assert_frame_equal(jieba_pairs, auto_pairs)


# --- distinct texts: repeats across resolutions ----------------------------
#
# The stage works on distinct stripped texts and expands to rows. These tests
# check the result against a brute-force computation written from scratch
# here: the dense n x n cosine matrix of per-row TF-IDF vectors whose document
# frequencies count rows.


@pytest.fixture(scope="module")
def seed_recs(seed_path) -> pd.DataFrame:
    from analysis.read import read_document
    from analysis.segment import recommendations, segment

    return recommendations(segment(read_document(seed_path)).paragraphs)[["rec_id", "resolution", "text"]]


@pytest.fixture(scope="module")
def repeated_recs(seed_recs) -> pd.DataFrame:
    """The seed's recommendations in three resolutions, plus one with its actor swapped (各国 -> 缔约国)."""
    parts = []
    for k, res in enumerate(["21/2", "22/5", "23/1"]):
        part = seed_recs.copy()
        part["rec_id"] = part["rec_id"].str.replace("11/2", res, regex=False)
        part["resolution"] = res
        parts.append(part)
    swapped = seed_recs[seed_recs.text.str.startswith("各国")].iloc[[0]].copy()
    swapped["rec_id"], swapped["resolution"] = "24/1:body:1", "24/1"
    swapped["text"] = swapped["text"].str.replace("各国", "缔约国", n=1, regex=False)
    # Interleave the copies so that repeats are not neighbours in the input order.
    recs = pd.concat(parts + [swapped], ignore_index=True)
    order = np.random.default_rng(3).permutation(len(recs))
    return recs.iloc[order].reset_index(drop=True)


def _tfidf_rows(features: list[Counter], settings: OverlapSettings) -> list[dict]:
    n = len(features)
    df = Counter(f for row in features for f in row)
    out = []
    for row in features:
        w = {}
        for f, tf in row.items():
            if n >= settings.min_docs_for_max_df and df[f] > settings.max_df * n:
                continue
            w[f] = (1 + math.log(tf)) * (math.log((1 + n) / (1 + df[f])) + 1)
        norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
        out.append({f: v / norm for f, v in w.items()})
    return out


def _brute_force(recs: pd.DataFrame, settings: OverlapSettings, tokens) -> np.ndarray:
    """Dense n x n similarity, row by row, from the public building blocks."""
    stripped = [strip_stock_phrases(t) for t in recs["text"]]
    tok = [Counter(t for part in s.split(SEP) if part.strip() for t in tokens(part)) for s in stripped]
    grams = [Counter(char_ngrams(s, settings.ngram_range)) for s in stripped]
    wt, wn = settings.token_weight, settings.ngram_weight
    vt, vn = _tfidf_rows(tok, settings), _tfidf_rows(grams, settings)
    n = len(recs)
    sim = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            st = sum(v * vt[j].get(f, 0.0) for f, v in vt[i].items())
            sn = sum(v * vn[j].get(f, 0.0) for f, v in vn[i].items())
            sim[i, j] = sim[j, i] = wt * st + wn * sn
    return sim


def _expected_neighbours(sim: np.ndarray, settings: OverlapSettings) -> list[list[int]]:
    """Row-by-row rule: order by (-similarity, row), keep top_k, or all above the threshold up to the cap."""
    n = len(sim)
    cap = min(max(settings.top_k, settings.max_neighbours), n - 1)
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i and sim[i, j] > 1e-6]
        # Similarities within 1e-9 are ties (float noise of the brute force).
        others.sort(key=lambda j: (-round(sim[i, j], 9), j))
        above = sum(sim[i, j] >= settings.threshold for j in range(n) if j != i)
        out.append(others[: min(max(above, settings.top_k), cap)])
    return out


def _actual_neighbours(pairs: pd.DataFrame, recs: pd.DataFrame) -> list[list[int]]:
    pos = {r: k for k, r in enumerate(recs["rec_id"])}
    ranked: list[list[tuple[int, int]]] = [[] for _ in range(len(recs))]
    for row in pairs.itertuples():
        a, b = pos[row.rec_id_a], pos[row.rec_id_b]
        if not pd.isna(row.rank_a):
            ranked[a].append((int(row.rank_a), b))
        if not pd.isna(row.rank_b):
            ranked[b].append((int(row.rank_b), a))
    out = []
    for lst in ranked:
        lst.sort()
        assert [r for r, _ in lst] == list(range(1, len(lst) + 1))
        out.append([j for _, j in lst])
    return out


def _assert_margins(sim: np.ndarray, expected: list[list[int]], settings: OverlapSettings) -> None:
    # The comparison is exact only if the similarities that decide a row's
    # list (its kept ones and the first one left out) are either equal or
    # further apart than the float32 noise of the stage, and none sits on the
    # threshold.
    for i, kept in enumerate(expected):
        others = [j for j in np.argsort(-sim[i], kind="stable") if j != i]
        v = sim[i, others[: len(kept) + 1]]
        gaps = np.abs(np.diff(v))
        assert ((gaps < 1e-9) | (gaps > 1e-5)).all()
        assert np.abs(np.delete(sim[i], i) - settings.threshold).min() > 1e-5


@pytest.mark.parametrize(
    "settings",
    [
        OverlapSettings(),
        # Few places and a low threshold: the cap bites and ties fill the last places.
        OverlapSettings(top_k=2, max_neighbours=4, threshold=0.2),
        # Many small chunks.
        OverlapSettings(top_k=4, max_neighbours=7, chunk_cells=30),
    ],
    ids=["default", "capped", "chunked"],
)
def test_repeated_texts_match_the_brute_force(repeated_recs, tokens, settings):
    recs = repeated_recs
    pairs = overlap_pairs(recs, settings, tokens=tokens)
    sim = _brute_force(recs, settings, tokens)
    # (a) every row keeps exactly the rows the brute force ranks first, in that
    # order: by similarity, then the earlier row first.
    expected = _expected_neighbours(sim, settings)
    _assert_margins(sim, expected, settings)
    assert _actual_neighbours(pairs, recs) == expected
    # Ties really decide here: some row keeps some but not all copies of a text.
    stripped = [strip_stock_phrases(t) for t in recs["text"]]
    split_ties = sum(
        1
        for i, kept in enumerate(expected)
        for j in range(len(recs))
        if j != i and j not in kept and any(stripped[k] == stripped[j] for k in kept)
    )
    assert split_ties > 0
    # (b) the similarities are those of the brute force.
    pos = {r: k for k, r in enumerate(recs["rec_id"])}
    a = pairs["rec_id_a"].map(pos).to_numpy()
    b = pairs["rec_id_b"].map(pos).to_numpy()
    assert (a < b).all()
    np.testing.assert_allclose(pairs["similarity"].to_numpy(), sim[a, b], atol=1e-4)
    assert len(pairs) == len({(min(i, j), max(i, j)) for i, kept in enumerate(expected) for j in kept})


def test_packed_order_is_lexsorts_order_with_ties():
    rng = np.random.default_rng(7)
    for n in (3, 500, 1 << 16):
        size = 5000
        r = rng.integers(0, n, size)
        v = rng.choice(np.array([0.0, 0.125, 0.3, 0.3000001, 1.0], dtype=np.float32), size)  # many ties
        i = rng.permutation(n)[:size] if n >= size else rng.integers(0, n, size)
        keep = ~pd.DataFrame({"r": r, "i": i}).duplicated().to_numpy()  # a candidate enters a list once
        r, v, i = r[keep], v[keep], i[keep]
        o = np.lexsort((i, -v, r))
        got = search._packed_order(r, v, i, n)
        assert [g.tolist() for g in got] == [r[o].tolist(), v[o].tolist(), i[o].tolist()]
        assert got[0].dtype == r.dtype and got[1].dtype == v.dtype and got[2].dtype == i.dtype
    assert search._packed_order(r, v, i, (1 << 16) + 1) is None  # too many rows for the key: lexsort
    assert search._packed_order(r, np.where(v > 0.5, v, np.float32(-1)), i, n) is None  # an empty slot's -1


def test_full_search_is_the_same_with_the_packed_sort_and_with_lexsort(monkeypatch):
    rng = np.random.default_rng(3)
    # 400 texts over 30 features, few values: many equal similarities across chunks
    X = sp.random(400, 30, density=0.15, random_state=rng, data_rvs=lambda k: rng.choice([1.0, 2.0], k),
                  format="csr", dtype=np.float32)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(np.where(norms > 0, 1 / np.maximum(norms, 1e-12), 0).astype(np.float32)) @ X
    settings = OverlapSettings(chunk_cells=400 * 12)
    calls = []
    real = search._packed_order
    monkeypatch.setattr(search, "_packed_order", lambda *a: calls.append(1) or real(*a))
    packed = search.full_search(X.tocsr(), settings, 8, None)
    monkeypatch.setattr(search, "_packed_order", lambda *a: None)
    plain = search.full_search(X.tocsr(), settings, 8, None)
    assert calls  # the packed sort was used
    for p, q in zip(packed, plain):
        np.testing.assert_array_equal(p, q)


def test_identical_texts_pair_with_similarity_one_and_whole_spans(repeated_recs, tokens):
    settings = OverlapSettings()
    pairs = overlap_pairs(repeated_recs, settings, tokens=tokens)
    text = dict(zip(repeated_recs.rec_id, repeated_recs.text))
    stripped = {r: strip_stock_phrases(t) for r, t in text.items()}
    same = pairs[[stripped[x] == stripped[y] for x, y in zip(pairs.rec_id_a, pairs.rec_id_b)]]
    # Every repeat of every text is found (3 copies: each row's two others are its nearest).
    assert len(same) >= 3 * 28
    assert (same.similarity == 1.0).all()
    assert not same.same_resolution.any()
    for row in same.itertuples():
        s = stripped[row.rec_id_a]
        assert row.shared_spans == shared_spans(s, s, settings.min_span, settings.max_spans)
        # The first span is the longest stretch of the text between stripped
        # phrases (the earliest of equally long ones), its punctuation trimmed.
        longest = max(s.split(SEP), key=len).strip(explain.SPAN_TRIM)
        if len(longest) >= settings.min_span:
            assert row.shared_spans[0] == longest
        assert row.shared_terms
    # The actor-swapped recommendation is the same request as its three originals.
    orig = repeated_recs[repeated_recs.text == text["24/1:body:1"].replace("缔约国", "各国", 1)].rec_id
    assert len(orig) == 3 and text["24/1:body:1"] not in set(orig.map(text))
    for rid in orig:
        assert _pair(pairs, "24/1:body:1", rid).similarity == 1.0


def test_shared_terms_and_spans_keep_the_direction_of_the_pair(repeated_recs, tokens):
    # Explanations are computed once per distinct pair of texts and broadcast:
    # each row's must be what the pair itself gives, a being the earlier row.
    settings = OverlapSettings()
    pairs = overlap_pairs(repeated_recs, settings, tokens=tokens)
    text = dict(zip(repeated_recs.rec_id, repeated_recs.text))
    for row in pairs.itertuples():
        sa, sb = strip_stock_phrases(text[row.rec_id_a]), strip_stock_phrases(text[row.rec_id_b])
        assert row.shared_spans == shared_spans(sa, sb, settings.min_span, settings.max_spans)
    # Rows with the same two texts carry the same explanation; the columns are
    # Arrow lists (no Python list per row), whose cells read as lists.
    by_texts: dict = {}
    for a, b, terms in zip(pairs.rec_id_a, pairs.rec_id_b, pairs.shared_terms):
        assert isinstance(terms, list)
        by_texts.setdefault((strip_stock_phrases(text[a]), strip_stock_phrases(text[b])), set()).add(tuple(terms))
    assert len(by_texts) < len(pairs) and all(len(v) == 1 for v in by_texts.values())
    for col in ("shared_terms", "shared_spans"):
        assert isinstance(pairs[col].dtype, pd.ArrowDtype) and pa.types.is_list(pairs[col].dtype.pyarrow_dtype)


def test_document_frequencies_count_rows_not_distinct_texts(tokens):
    settings = OverlapSettings()
    # 12 rows repeat one text (written twice with different chapeaux), 10 rows
    # are other texts: 执法合作 is in 12 of 22 rows (> max_df), but in 1 of 11
    # distinct texts.
    repeated = ["各国应考虑加强执法合作", "缔约国应加强执法合作"] * 6
    others = [f"编写关于第{k}项立法的解释材料并提供培训" for k in range(10)]
    texts = repeated + others
    feats = features.text_features(texts, settings, tokens)
    assert len(feats.stripped) == 11 and feats.mult.tolist() == [12] + [1] * 10
    assert "执法合作" in feats.terms
    col = list(feats.terms).index("执法合作")
    assert feats.X_tok[:, col].nnz == 0  # pruned by max_df, as rows
    # 培训 is in 10 of 22 rows: kept, though in 10 of 11 distinct texts.
    assert feats.X_tok[:, list(feats.terms).index("培训")].nnz == 10

    # The weighted rows are exactly what the rows would have had one by one.
    stripped_rows = [strip_stock_phrases(t) for t in texts]
    tok_rows = [overlap.segment_tokens(s, tokens) for s in stripped_rows]
    X_tok_rows, terms_rows = features.token_matrix(tok_rows, settings)
    X_chr_rows = features.ngram_matrix(stripped_rows, settings)
    assert list(terms_rows) == list(feats.terms)
    assert (abs(feats.X_tok[feats.inverse] - X_tok_rows)).max() == 0
    n_tok = X_tok_rows.shape[1]
    X_chr = feats.X[:, n_tok:] / np.float32(math.sqrt(settings.ngram_weight))
    np.testing.assert_allclose(X_chr[feats.inverse].toarray(), X_chr_rows.toarray(), atol=1e-6)
    # Below min_docs_for_max_df rows nothing is pruned, whatever the repeats.
    few = features.text_features(repeated[:4] + others[:4], settings, tokens)
    assert few.X_tok[:, list(few.terms).index("执法合作")].nnz == 1


def test_weight_with_multiplicities_equals_repeated_rows():
    rng = np.random.default_rng(5)
    counts = sp.random(30, 40, density=0.2, format="csr", random_state=rng, dtype=np.float32)
    counts.data = np.ceil(counts.data * 3)
    mult = rng.integers(1, 5, size=30)
    rows = np.repeat(np.arange(30), mult)
    settings = OverlapSettings(max_df=0.3)
    by_row = features.weight(counts[rows], settings)
    weighted = features.weight(counts, settings, mult)
    assert (abs(weighted[rows] - by_row)).max() == 0
    with pytest.raises(ValueError):
        features.weight(counts, settings, np.zeros(30, dtype=int))


def test_texts_without_features_pair_with_nothing(tokens):
    recs = pd.DataFrame(
        {
            "rec_id": [f"1/1:body:{k}" for k in range(1, 6)],
            "resolution": ["1/1"] * 5,
            "text": ["各国应考虑", "加强执法合作", "各国不妨", "缔约国应加强执法合作", "各国应考虑"],
        }
    )
    pairs = overlap_pairs(recs, tokens=tokens)
    assert pairs[["rec_id_a", "rec_id_b"]].values.tolist() == [["1/1:body:2", "1/1:body:4"]]
    assert pairs.similarity.tolist() == [1.0] and pairs.rank_a.tolist() == [1] and pairs.rank_b.tolist() == [1]
    # One distinct text only: its rows are each other's neighbours, ranked by input order.
    same = recs.assign(text="加强执法合作")
    pairs = overlap_pairs(same, OverlapSettings(top_k=2, max_neighbours=2), tokens=tokens)
    assert len(pairs) == 10 - 3  # rows 4 and 5 keep rows 1 and 2 only
    assert (pairs.similarity == 1.0).all()
    first = pairs[pairs.rec_id_a == "1/1:body:1"].sort_values("rec_id_b")
    assert first.rank_a.fillna(0).tolist() == [1, 2, 0, 0]
    assert first.rank_b.tolist() == [1, 1, 1, 1]


def test_top_breaks_ties_by_index():
    vals = np.array([[0.5, 0.9, 0.5, 0.5, 0.1, 0.0, 0.0]], dtype=np.float32)
    idx = np.array([[7, 3, 9, 2, 1, 5, 4]])
    v, i = search.top_per_row(vals, idx, 3)
    assert sorted(i[0].tolist()) == [2, 3, 7]
    # Ties at zero are left alone (never kept), but the width is respected.
    v, i = search.top_per_row(vals, idx, 6)
    assert v.shape == (1, 6) and {1, 2, 3, 7, 9} <= set(i[0].tolist())


def test_workers_give_the_same_table_with_repeats(repeated_recs, tokens, monkeypatch):
    monkeypatch.setattr(explain, "PARALLEL_MIN_PAIRS", 0)
    settings = OverlapSettings(chunk_cells=30 * 3)
    one = overlap_pairs(repeated_recs, settings, tokens=tokens)
    two = overlap_pairs(repeated_recs, OverlapSettings(chunk_cells=30 * 3, n_jobs=2), tokens=tokens)
    pd.testing.assert_frame_equal(one, two)


def test_seed_figures_of_the_settings_docstring(seed_recs, tokens):
    # OverlapSettings documents: the seed's recommendations, which ask for
    # different things, score at most 0.25 apart from its two "核可"
    # paragraphs, which are the one pair above the threshold.
    settings = OverlapSettings()
    pairs = overlap_pairs(seed_recs, settings, tokens=tokens)
    row = _pair(pairs, "11/2:body:1", "11/2:body:2")
    assert row.similarity >= settings.cluster_threshold and row.rank_a == 1 and row.rank_b == 1
    rest = pairs[~((pairs.rec_id_a == "11/2:body:1") & (pairs.rec_id_b == "11/2:body:2"))]
    assert 0.12 <= rest.similarity.max() <= 0.25


def test_every_copy_of_a_repeated_text_shares_its_cluster():
    """The pairs table keeps a row's nearest copies only; the cluster still holds all of them."""
    base = "各国应考虑加强引渡和司法协助方面的国际合作，包括交流良好做法"
    other = "毒品和犯罪问题办公室应继续为法官和检察官举办关于电子证据的培训"
    texts = [base] * 30 + [base.replace("各国", "缔约国")] * 5 + [other] * 3
    recs = pd.DataFrame({"rec_id": [f"{k + 1}/1:I:a" for k in range(len(texts))],
                         "resolution": [f"{k + 1}/1" for k in range(len(texts))], "text": texts})
    settings = OverlapSettings(top_k=5, max_neighbours=20, max_df=1.0)  # one text is most of this corpus
    pairs = overlap_pairs(recs, settings, tokens=lambda s: [s[i:i + 2] for i in range(0, len(s) - 1, 2)])
    assert len(pairs) < 35 * 34 // 2  # capped: not every pair of copies is listed
    clusters = overlap_clusters(recs, pairs, settings)
    sizes = clusters.groupby("cluster_id")["size"].first().sort_values(ascending=False).tolist()
    assert sizes == [35, 3]  # the 各国/缔约国 variants coincide once the chapeau is stripped
    assert set(clusters.loc[clusters["size"] == 35, "rec_id"]) == set(recs["rec_id"][:35])


def test_span_memo_gives_the_same_table_and_explains_only_new_pairs(repeated_recs, tokens, tmp_path, monkeypatch):
    settings = OverlapSettings()
    plain = overlap_pairs(repeated_recs, settings, tokens=tokens)
    path = tmp_path / "memo.pkl"
    memo = OverlapMemo.from_state(None, settings)  # nothing stored yet: empty
    first = overlap_pairs(repeated_recs, settings, tokens=tokens, memo=memo)
    pd.testing.assert_frame_equal(first, plain)
    pickle_atomic(path, memo.state())  # as the pipeline stores it
    # Next run: one recommendation more; only the pairs involving it are explained.
    extra = pd.DataFrame({"rec_id": ["30/1:I:a"], "resolution": ["30/1"],
                          "text": ["各国应考虑加强在引渡和司法协助方面的合作，并交流经验"]})
    grown = pd.concat([repeated_recs, extra], ignore_index=True)
    computed: list[int] = []
    real = explain.compute_spans
    monkeypatch.setattr(explain, "compute_spans", lambda s, a, b, st: computed.append(len(a)) or real(s, a, b, st))
    again_memo = OverlapMemo.from_state(read_pickles(path), settings)
    again = overlap_pairs(grown, settings, tokens=tokens, memo=again_memo)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(again, overlap_pairs(grown, settings, tokens=tokens))
    # The memo now holds this run's pairs, in key order: the old ones taken
    # from its Arrow array, the new ones added; as a memo made from nothing.
    fresh = OverlapMemo.from_state(None, settings)
    overlap_pairs(grown, settings, tokens=tokens, memo=fresh)
    assert isinstance(again_memo.state()["spans"], pa.Array)
    assert again_memo.state()["spans"].to_pylist() == fresh.state()["spans"].to_pylist()
    assert again_memo.span_keys.tolist() == fresh.span_keys.tolist()
    new_text = overlap.strip_stock_phrases(extra["text"][0])
    text = dict(zip(grown.rec_id, grown.text.map(overlap.strip_stock_phrases)))
    with_new = {(text[a], text[b]) for a, b in zip(again.rec_id_a, again.rec_id_b) if new_text in (text[a], text[b])}
    all_pairs = {(text[a], text[b]) for a, b in zip(again.rec_id_a, again.rec_id_b)}
    # the new text's pairs, plus any pair of old texts that became neighbours only now
    assert 0 < len(with_new) <= sum(computed) < len(all_pairs) / 2
    # A memo made with other span settings is not used.
    other = OverlapMemo.from_state(read_pickles(path), OverlapSettings(min_span=5))
    assert other.span_lists is None and not other.span_keys.size


@pytest.mark.parametrize("state", [{}, {"texts": []}, {"texts": [], "span_params": (4, 3), "spans": [1]}, "memo", 7])
def test_a_memo_state_that_does_not_read_gives_an_empty_memo(state, caplog):
    with caplog.at_level("WARNING", logger="analysis.overlap"):
        memo = OverlapMemo.from_state(state, OverlapSettings())
    assert memo.span_lists is None and not memo.span_keys.size and memo.search is None
    assert memo.tokens == {} and memo.stripped == {} and memo.strip_key is None
    assert "it is rebuilt" in caplog.text


def test_ngram_keys_are_the_char_ngrams_exactly():
    texts = ["司法协助、引渡", "", "abc12各国\u2016加强x", "一", "甲\n乙丙丁戊", "\u3400\u3401q", "培训法官\n培训"]
    for ngram_range in [(2, 3), (1, 3), (3, 3)]:
        rows, keys = features.ngram_keys(texts, ngram_range)
        for r, t in enumerate(texts):
            want = []
            for g in char_ngrams(t, ngram_range):
                k = 0
                for ch in g:
                    k = (k << 21) | ord(ch)
                want.append(k)
            assert sorted(keys[rows == r].tolist()) == sorted(want), (ngram_range, t)
    rows, keys = features.ngram_keys(texts, (2, 4))  # longer n-grams: hashed, one key per n-gram
    assert [int((rows == r).sum()) for r in range(len(texts))] == [len(char_ngrams(t, (2, 4))) for t in texts]


def test_incremental_search_matches_the_full_search_when_resolutions_are_added(repeated_recs, tokens, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(search, "INCREMENTAL_MIN_TEXTS", 0)  # the fixture is small
    monkeypatch.setattr(search, "INCREMENTAL_MAX_NEW", 0.5)
    settings = OverlapSettings()
    path = tmp_path / "memo.pkl"
    memo = OverlapMemo(settings)
    overlap_pairs(repeated_recs, settings, tokens=tokens, memo=memo)
    pickle_atomic(path, memo.state())
    extra = pd.DataFrame({
        "rec_id": ["30/1:I:a", "30/1:I:b", "30/1:I:c"], "resolution": ["30/1"] * 3,
        "text": ["各国应考虑加强在引渡和司法协助方面的合作，并交流经验",
                 "毒品和犯罪问题办公室应继续协助各国培训法官和检察官",
                 repeated_recs["text"].iloc[3]],  # a verbatim repeat: no new text
    })
    grown = pd.concat([repeated_recs, extra], ignore_index=True)

    def no_full_search(*args, **kwargs):
        raise AssertionError("the full search ran")

    monkeypatch.setattr(search, "full_search", no_full_search)
    memo = OverlapMemo.from_state(read_pickles(path), settings)
    incremental = overlap_pairs(grown, settings, tokens=tokens, memo=memo)
    monkeypatch.undo()
    assert memo.search["new"] > 0
    full = overlap_pairs(grown, settings, tokens=tokens)
    cols = ["rec_id_a", "rec_id_b", "similarity", "rank_a", "rank_b", "shared_spans"]
    pd.testing.assert_frame_equal(incremental[cols], full[cols])
    # Too many new texts since the last full search: the full search runs again.
    monkeypatch.setattr(search, "INCREMENTAL_MIN_TEXTS", 0)
    monkeypatch.setattr(search, "INCREMENTAL_MAX_NEW", 0.0)
    calls = []
    real = search.full_search
    monkeypatch.setattr(search, "full_search", lambda *a, **k: calls.append(1) or real(*a, **k))
    overlap_pairs(grown, settings, tokens=tokens, memo=memo)
    assert calls and memo.search["new"] == 0.0


def test_rescored_pairs_have_the_full_searchs_scores_to_the_last_bit():
    """A rerun re-scores an old text's previous neighbours one pair at a time
    (``_rowwise_dots``); the scores must be the full search's float32 sums
    exactly, or a rerun and a cold run of the same corpus round some scores
    differently. Rows share many features, so that an order of addition
    other than the search's (pairwise, as ``sum(axis=1)`` adds) shows."""
    rng = np.random.default_rng(11)
    X = sp.random(400, 300, density=0.4, format="csr", dtype=np.float32, random_state=rng)
    X.data = rng.random(X.nnz, dtype=np.float32)
    X = sp.csr_matrix(sp.diags(1 / np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())) @ X, dtype=np.float32)
    X.sort_indices()
    best_v, best_i, _ = search.full_search(X, OverlapSettings(), 20, None)
    rows = np.broadcast_to(np.arange(X.shape[0])[:, None], best_i.shape)
    got = search._rowwise_dots(X, rows.ravel(), best_i.ravel(), chunk=1_000)
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), best_v.ravel().view(np.uint32))


def test_memo_keeps_the_default_tokenisers_cuts(repeated_recs, tmp_path, monkeypatch):
    """A rerun tokenises only texts it has not seen; the table is the same."""
    settings = OverlapSettings()
    path = tmp_path / "memo.pkl"
    memo = OverlapMemo(settings)
    first = overlap_pairs(repeated_recs, settings, memo=memo)
    pickle_atomic(path, memo.state())
    loaded = OverlapMemo.from_state(read_pickles(path), settings)
    assert loaded.tokens and loaded.tokens == memo.tokens

    def no_tokeniser(backend):
        raise AssertionError("tokeniser loaded although every text was seen")

    monkeypatch.setattr(features, "default_tokens", no_tokeniser)
    pd.testing.assert_frame_equal(overlap_pairs(repeated_recs, settings, memo=loaded), first)
    monkeypatch.undo()
    # A new text is cut by the tokeniser, and only it.
    extra = pd.DataFrame({"rec_id": ["30/1:I:a"], "resolution": ["30/1"],
                          "text": ["各国应考虑加强在引渡和司法协助方面的合作，并交流经验"]})
    grown = pd.concat([repeated_recs, extra], ignore_index=True)
    cut: list[str] = []
    real = features.default_tokens
    monkeypatch.setattr(features, "default_tokens",
                        lambda backend: (lambda s: cut.append(s) or real(backend)(s)))
    again = overlap_pairs(grown, settings, memo=OverlapMemo.from_state(read_pickles(path), settings))
    monkeypatch.undo()
    assert cut and all(part in overlap.strip_stock_phrases(extra["text"][0]) for part in cut)
    pd.testing.assert_frame_equal(again, overlap_pairs(grown, settings))
    # Cuts made with another tokeniser backend are not used.
    assert OverlapMemo.from_state(read_pickles(path), OverlapSettings(tokeniser_backend="jieba")).tokens == {}


def test_row_then_descending_sort_equals_lexsort():
    rng = np.random.default_rng(3)
    rows = np.sort(rng.integers(0, 50, 2000))
    values = rng.choice(np.array([0.0, 0.25, 0.5, 1e-8, 3.0], dtype=np.float32), 2000)  # many ties
    for v in (values, values.astype(np.float64), np.where(values > 1, -values, values)):
        assert (explain.by_row_then_descending(rows, v) == np.lexsort((-v, rows))).all()


# --- shared spans on arrays (analysis.overlap.spans) against the one-pair definition ---

from hypothesis import given, settings as hyp_settings, strategies as st  # noqa: E402

from analysis.overlap import spans as spans_mod  # noqa: E402

_ALPHABET = list("甲乙丙丁戊己庚") + ["，", "。", " ", "a", SEP]


def _many(texts, a, b, min_len=4, max_spans=3):
    return spans_mod.many_shared_spans(texts, a, b, min_len, max_spans, SEP, explain.SPAN_TRIM, shared_spans)


def _variants(base: str, rng: random.Random, m: int) -> list[str]:
    """m edits of base: characters inserted or deleted, pieces moved (reordered clauses)."""
    out = []
    for _ in range(m):
        t = list(base)
        for _ in range(rng.randint(0, 6)):
            op, k = rng.random(), rng.randint(0, len(t))
            if op < 0.4:
                t.insert(k, rng.choice(_ALPHABET))
            elif op < 0.7 and t:
                del t[min(k, len(t) - 1)]
            elif t:
                i = rng.randint(0, len(t) - 1)
                j = rng.randint(i, len(t))
                t = t[j:] + t[i:j] + t[:i]
        out.append("".join(t))
    return out


@hyp_settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), min_len=st.integers(2, 6), max_spans=st.sampled_from([0, 1, 3, 10]))
def test_spans_on_arrays_equal_the_one_pair_definition(seed, min_len, max_spans):
    rng = random.Random(seed)
    base = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 50)))
    texts = _variants(base, rng, rng.randint(2, 8))
    a = [rng.randrange(len(texts)) for _ in range(12)]
    b = [rng.randrange(len(texts)) for _ in range(12)]
    want = [shared_spans(texts[i], texts[j], min_len, max_spans) for i, j in zip(a, b)]
    assert _many(texts, a, b, min_len, max_spans) == want


def test_spans_on_arrays_equal_the_definition_on_real_recommendations(seed_recs):
    # Every ordered pair of the seed's stripped recommendations (and each with
    # itself), in batches small enough to split the work.
    texts = [strip_stock_phrases(t) for t in seed_recs["text"]]
    a, b = np.divmod(np.arange(len(texts) ** 2), len(texts))
    want = [shared_spans(texts[i], texts[j]) for i, j in zip(a, b)]
    assert any(len(w) == 3 for w in want) and any(w == [] for w in want)
    assert _many(texts, a, b) == want
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spans_mod, "BATCH_LOOKUPS", 500)
        assert _many(texts, a, b) == want


def test_spans_of_repetitive_texts_and_the_round_limit(monkeypatch):
    # A phrase repeated many times gives many runs on many diagonals that the
    # greedy choice cuts one by one; past MAX_ROUNDS rounds a pair is handed
    # to the one-pair definition. Both ways give the definition's spans.
    texts = ["培训法官" * 12, "培训法官" * 5 + "，培训检察官" * 3, "法官培训" * 7 + "加强合作", "", "培训"]
    a, b = np.divmod(np.arange(len(texts) ** 2), len(texts))
    want = [shared_spans(texts[i], texts[j], 4, 5) for i, j in zip(a, b)]
    assert _many(texts, a, b, 4, 5) == want
    handed: list[tuple[str, str]] = []

    def one_pair(x, y, min_len, max_spans):
        handed.append((x, y))
        return shared_spans(x, y, min_len, max_spans)

    monkeypatch.setattr(spans_mod, "MAX_ROUNDS", 2)
    got = spans_mod.many_shared_spans(texts, a, b, 4, 5, SEP, explain.SPAN_TRIM, one_pair)
    assert got == want and handed  # some pairs needed more than two rounds
    assert len(handed) < len(a)
    # The same spans as one Arrow array (what the overlap stage keeps), the
    # pairs handed to the definition put in their places.
    search = spans_mod.SpanSearch(texts, a, b, 4, 5, SEP, explain.SPAN_TRIM)
    offsets = search.offsets()
    assert (offsets[0] < 0).any()
    assert search.arrow(*offsets, one_pair=one_pair).to_pylist() == want


def test_spans_as_one_arrow_array_are_the_lists_whatever_the_characters_width(monkeypatch):
    # The array's text is gathered from UTF-8 bytes: one-, two-, three- and
    # four-byte characters (ASCII, Latin, CJK, CJK extension B) must cut alike.
    rng = random.Random(5)
    alphabet = "ab1 éüß各国应合作培训法官，。\U00020000\U0002a6d6"
    base = ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(6)]
    texts = [t + base[(k + 1) % 6][:20] for k, t in enumerate(base)] + ["", "培训"]
    a, b = np.divmod(np.arange(len(texts) ** 2), len(texts))
    monkeypatch.setattr(spans_mod, "BATCH_LOOKUPS", 50)
    search = spans_mod.SpanSearch(texts, a, b, 2, 4, SEP, explain.SPAN_TRIM)
    offsets = search.offsets()
    got = search.arrow(*offsets, one_pair=shared_spans)
    assert got.type == pa.list_(pa.string())
    assert got.to_pylist() == search.lists(*offsets, one_pair=shared_spans)
    assert any(len(x) for x in got.to_pylist())


def test_explanations_in_small_batches_give_the_same_table(repeated_recs, tokens, monkeypatch):
    # Shared terms and spans are computed a batch of pairs at a time on
    # large corpora (memory); the batch size must not change a cell.
    settings = OverlapSettings()
    whole = overlap_pairs(repeated_recs, settings, tokens=tokens)
    monkeypatch.setattr(explain, "TERMS_PAIRS", 7)
    monkeypatch.setattr(spans_mod, "BATCH_LOOKUPS", 300)
    pd.testing.assert_frame_equal(overlap_pairs(repeated_recs, settings, tokens=tokens), whole)
