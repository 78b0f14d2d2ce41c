"""Reader: decoding, normalisation, debris, wrapped lines, footnotes."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.inputs import InputError, decode_bytes
from analysis.read import build_blocks, is_debris_line, read_document
from analysis.text import extract_footnote_marks, normalise_line, normalise_width
from analysis.segment import recommendations, segment

from rendering import pdf_like

TEXT = "第 11/2 号决议\n\n(a) 各国应更新该记录；\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"])
def test_decodes_common_encodings(encoding):
    data = TEXT.encode(encoding)
    text, found = decode_bytes(data, "x.txt")
    assert text.lstrip("\ufeff") == TEXT


def test_utf8_bom_is_not_kept():
    text, enc = decode_bytes(codecs.BOM_UTF8 + TEXT.encode(), "x.txt")
    assert enc == "utf-8-sig" and text == TEXT


def test_undecodable_bytes_name_the_offset():
    data = "第 11/2 号决议\n各国应".encode("utf-8") + b"\xff\xfe\xff" + "更新".encode("utf-8")
    with pytest.raises(InputError) as err:
        decode_bytes(data, "bad.txt")
    msg = str(err.value)
    assert "bad.txt" in msg and "byte offset" in msg and "line 2" in msg


def test_empty_and_binary_files_are_refused():
    with pytest.raises(InputError, match="empty"):
        decode_bytes(b"  \n\n", "empty.txt")
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "img.txt")


def test_width_folding_keeps_chinese_punctuation():
    assert normalise_width("（ａ）１．第６条（“夏洛克”）") == "(a)1.第6条（“夏洛克”）"
    assert normalise_line("（ｂ） 联合国毒品和犯罪问题办公室（毒品和犯罪问题办公室）可") == \
        "(b)联合国毒品和犯罪问题办公室（毒品和犯罪问题办公室）可"


def test_links_reduced_and_footnote_marks_extracted():
    line = normalise_line("³ [CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4](#)，第 8 段。")
    assert line == "³ CTOC/COP/WG.2/2022/4-CTOC/COP/WG.3/2022/4，第8段。"
    text, refs = extract_footnote_marks("议定书¹而开展的工作¹²，")
    assert text == "议定书而开展的工作，" and refs == [(3, "1"), (9, "12")]


@pytest.mark.parametrize("line,debris", [
    ("CTOC/COP/2022/15", True), ("V.22-12345", True), ("2/4", True), ("V.22-12345  2/4", True),
    ("2/4  CTOC/COP/2022/15", True), ("- 3 -", True), ("V.22-12345 (C)", True),
    ("11/2", False), ("第 11/2 号决议", False), ("附件一", False), ("各国应考虑", False),
])
def test_debris_lines(line, debris):
    assert is_debris_line(line) is debris


def test_wrapped_lines_joined_without_spaces_and_headers_dropped():
    lines = [
        "(a) 尚未更新其在名为“打击犯罪信息与法律网络共享平台”的知识",
        "CTOC/COP/2022/15",
        "V.22-12345  2/4",
        "管理门户网站上的立法记录的国家应更新该记录，包括为审议机制的",
        "目的这样做；",
        "(b) 毒品和犯罪问题办公室可制定一项传播计划，以提高认识；",
    ]
    blocks, debris = build_blocks(lines, "t.txt", ("注意到",))
    assert [b.text for b in blocks] == [
        "(a)尚未更新其在名为“打击犯罪信息与法律网络共享平台”的知识管理门户网站上的立法记录的国家应更新该记录，包括为审议机制的目的这样做；",
        "(b)毒品和犯罪问题办公室可制定一项传播计划，以提高认识；",
    ]
    assert [no for no, _ in debris] == [2, 3]
    assert (blocks[0].line_start, blocks[0].line_end) == (1, 5)


def test_footnote_body_at_page_break_does_not_split_the_paragraph():
    lines = [
        "(a) 各国应考虑加强执法和刑事司法官员对涉及有组织犯罪集团的案件",
        "¹ 联合国，《条约汇编》，第 2225 卷。",
        "V.22-12345  2/4",
        "进行调查和起诉的能力¹，以及合作的能力；",
    ]
    blocks, _ = build_blocks(lines, "t.txt", ())
    body = [b for b in blocks if not b.is_footnote]
    foot = [b for b in blocks if b.is_footnote]
    assert [b.text for b in body] == ["(a)各国应考虑加强执法和刑事司法官员对涉及有组织犯罪集团的案件进行调查和起诉的能力，以及合作的能力；"]
    assert body[0].footnote_refs == [(len("(a)各国应考虑加强执法和刑事司法官员对涉及有组织犯罪集团的案件进行调查和起诉的能力"), "1")]
    assert foot[0].footnote_label == "1" and foot[0].text == "联合国，《条约汇编》，第2225卷。"


def _recs(path):
    recs = recommendations(segment(read_document(path)).paragraphs)
    return recs[["rec_id", "text", "section", "footnotes"]].reset_index(drop=True)


def test_pdf_extracted_rendering_yields_the_same_recommendations(seed_path, seed_text, write):
    base = _recs(seed_path)
    for width in range(30, 41):
        p = write(f"pdf_{width}.txt", pdf_like(seed_text, width=width, seed=width, lines_per_page=28))
        got = _recs(p)
        assert got.equals(base), f"width {width}"
        doc = read_document(p)
        assert len(doc.debris) > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(22, 70), per_page=st.integers(12, 60), blank=st.booleans(),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), full=st.booleans(),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]), seed=st.integers(0, 10_000))
def test_reflowing_widths_and_line_endings_change_nothing(seed_path, seed_text, tmp_path, width, per_page, blank,
                                                          newline, full, encoding, seed):
    base = _recs(seed_path)
    text = pdf_like(seed_text, width=width, seed=seed, lines_per_page=per_page, blank_lines=blank,
                    newline=newline, full_width=full)
    p = tmp_path / "variant.txt"
    p.write_bytes(text.encode(encoding))
    assert _recs(p).equals(base)


def test_every_line_is_accounted_for(seed_path, seed_text, write):
    text = pdf_like(seed_text, width=33, seed=1, lines_per_page=20)
    p = write("acc.txt", text)
    doc = read_document(p)
    seg = segment(doc)
    covered = set()
    for r in seg.paragraphs.itertuples():
        covered |= set(range(r.line_start, r.line_end + 1))
    covered |= set(seg.header_lines) | {no for no, _ in doc.debris} | set(seg.unplaced["line"])
    nonblank = {i for i, line in enumerate(text.split("\n"), start=1) if line.strip()}
    assert nonblank <= covered


# --------------------------------------------------------------------------
# encodings told apart by how the text reads, through the CLI
# --------------------------------------------------------------------------

def test_utf16_without_bom_or_ascii_is_told_by_how_it_reads():
    # no ASCII, so no NUL byte at all: only reading it tells
    text = "各国应加强合作。"
    assert b"\x00" not in text.encode("utf-16-le")
    assert decode_bytes(text.encode("utf-16-le"), "x.txt") == (text, "utf-16-le")
    assert decode_bytes(text.encode("utf-16-be"), "x.txt") == (text, "utf-16-be")


def test_gbk_and_big5_are_told_apart():
    simplified, traditional = "联合国打击跨国有组织犯罪公约缔约方会议", "聯合國打擊跨國有組織犯罪公約締約方會議"
    assert decode_bytes(simplified.encode("gbk"), "x.txt") == (simplified, "gb18030")
    assert decode_bytes(traditional.encode("big5"), "x.txt") == (traditional, "big5")


def _cli_run(tmp_path, name: str, data: bytes):
    from analysis.cli import main

    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_bytes(data)
    return main(["run", str(raw), "--out", str(tmp_path / "out"), "--overrides", ""]), raw / name


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(encoding, seed_text, tmp_path, capsys):
    import pandas as pd

    code, _ = _cli_run(tmp_path, "r.txt", seed_text.encode(encoding))
    assert code == 0, capsys.readouterr().err
    assert "resolution 11/2: 39 paragraphs, 28 recommendations, 4 footnotes" in capsys.readouterr().out
    assert pd.read_parquet(tmp_path / "out" / "documents.parquet")["encoding"].tolist() == [encoding]


def test_big5_is_read_and_converted_to_simplified(seed_text, tmp_path, capsys):
    import pandas as pd
    from opencc import OpenCC

    # Traditional as Taiwan writes it; Big5 has no superscript digits (the footnote marks)
    traditional = OpenCC("s2tw").convert(seed_text).replace("幷", "並").translate({ord(c): None for c in "¹²³⁴"})
    code, _ = _cli_run(tmp_path, "r.txt", traditional.encode("big5"))
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "resolution 11/2: 39 paragraphs, 28 recommendations" in printed and "converted (opencc:t2s)" in printed
    recs = pd.read_parquet(tmp_path / "out" / "recommendations.parquet")
    assert any("毒品和犯罪问题办公室" in t for t in recs["text"])
    assert pd.read_parquet(tmp_path / "out" / "documents.parquet")["encoding"].tolist() == ["big5"]


@pytest.mark.parametrize("seen_as", ["cp1252", "latin-1"])
def test_utf8_read_as_latin1_and_saved_again_is_named_for_what_it_is(seen_as, seed_text, tmp_path, capsys):
    garbled = seed_text.encode("utf-8").decode(seen_as, errors="replace").encode("utf-8")
    code, path = _cli_run(tmp_path, "r.txt", garbled)
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: this text is garbled: UTF-8 Chinese read as Latin-1/Windows-1252 and "
                          "saved again ('ç¬¬ 11/2 å") and "stands for '第 11/2" in err
    assert "binary" not in err and err.count("\n") == 1


def test_gbk_read_as_latin1_and_saved_again_is_named_for_what_it_is(seed_text, tmp_path, capsys):
    garbled = seed_text.encode("gbk", errors="replace").decode("cp1252", errors="replace").encode("utf-8")
    code, path = _cli_run(tmp_path, "r.txt", garbled)
    assert code == 2
    assert "this text is garbled: GB18030/GBK Chinese read as Latin-1/Windows-1252" in capsys.readouterr().err
