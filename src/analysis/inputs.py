"""Input bytes -> text: the reader's error type, decoding and the file hash.

Contract
--------
``decode_bytes(data, path)`` returns ``(text, encoding)`` for a text
resolution (UTF-8 with or without BOM, UTF-16/32 with a BOM, UTF-16 without
one, GB18030 and its subsets GBK/GB2312, Big5) or raises ``InputError``
naming the file and, where it can, the line or byte; a garbled file (Chinese
saved through Latin-1) is refused with what it stands for. ``file_sha256`` is the identity of
an input everywhere (cache, manifest, rows).

Why a module of its own: every format reader (``analysis.formats``), the
text reader (``analysis.read``) and the overrides reader decode bytes and
report bad input the same way; keeping this here lets the flow run one way,
formats -> read -> segment, with no module importing a later one.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path


class InputError(ValueError):
    """Bad input: the message names the file and, where it can, the line or byte."""

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # pickled intact across worker processes
        return type(self), (self.path, self.message, self.line)


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


#: Characters Chinese text is made of besides ideographs: ASCII, Latin-1,
#: general and CJK punctuation, super- and subscripts, number forms
#: (Ⅰ Ⅱ), enclosed numbers (①), full-width forms.
_PLAIN = re.compile(r"[\t\n\r\f\x20-\x7e\xa0-\xff\u2010-\u218f\u2460-\u24ff\u3000-\u303f\uff00-\uffef]")
#: Share of plausible characters (``_plausible_share``) from which a decoding is taken as right.
_PLAUSIBLE = 0.8
#: Decodings tried, in order of preference when two read equally well.
_LEGACY = ("gb18030", "big5", "cp950", "big5hkscs")


_COMMON: dict[str, bool] = {}


def _common_ideograph(ch: str) -> bool:
    """Among the 3,755 most used Simplified characters (GB2312 level 1) or
    the 5,401 most used Traditional ones (Big5 level 1).

    >>> [_common_ideograph(c) for c in "决议國䶵"]
    [True, True, True, False]
    """
    if ch not in _COMMON:
        common = False
        for enc, lo, hi in (("gb2312", 0xB0A1, 0xD7FE), ("big5", 0xA440, 0xC67E)):
            try:
                b = ch.encode(enc)
            except UnicodeEncodeError:
                continue
            common = common or (len(b) == 2 and lo <= (b[0] << 8 | b[1]) <= hi)
        _COMMON[ch] = common
    return _COMMON[ch]


def _plausible_share(text: str) -> float:
    """Share of ``text``'s characters that Chinese text is made of: plain
    characters (``_PLAIN``) and common ideographs. A right decoding scores
    near 1; a wrong one scatters over rare ideographs, other scripts and
    symbols (Big5 read as GB18030: about 0.4 on the seed resolution; UTF-16
    read with the wrong byte order: near 0).

    >>> _plausible_share("实施《联合国打击跨国有组织犯罪公约》")
    1.0
    >>> round(_plausible_share("龟琁羛瓣ゴ阑阁瓣舱麓デ竜そ兜м砃穿兵蹿"), 2)  # 實施《聯合國… in Big5, read as GB18030
    0.58
    """
    text = text[:50_000]
    if not text:
        return 0.0
    odd = _PLAIN.sub("", text)
    return 1 - sum(1 for ch in odd if not _common_ideograph(ch)) / len(text)


def _best_decoding(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """``(text, encoding)`` of the decoding of ``data`` that reads most like
    Chinese text, if it reads so well enough (``_PLAUSIBLE``); of two that
    read about as well, the one listed first."""
    best = None
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text)
        if share >= _PLAUSIBLE and (best is None or share > best[0] + 0.01):
            best = (share, text, enc)
    return (best[1], best[2]) if best else None


def _utf16_without_bom(data: bytes) -> str | None:
    """The byte order of UTF-16 without a BOM, if ``data`` is that.

    NUL bytes alone do not tell: in Chinese text only ASCII characters have
    a zero byte, ideographs have none. Both byte orders are decoded and the
    one that reads as Chinese text (``_plausible_share``) wins.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    found = _best_decoding(data, ("utf-16-le", "utf-16-be"))
    return found[1] if found else None


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries, in order: a BOM; UTF-8 (bytes in other encodings of Chinese are
    almost never valid UTF-8); UTF-16 without BOM, GB18030 (a superset of
    GBK and GB2312) and Big5, the one whose text reads most like Chinese
    (``_plausible_share``: GB18030 decodes nearly any bytes, Big5 included,
    into rare characters). Refuses empty and binary input, and undecodable
    bytes, naming the byte offset, instead of inserting replacement
    characters; ``_check_text`` refuses text that is mojibake.

    >>> decode_bytes("第 11/2 号决议".encode("gb18030"))[1]
    'gb18030'
    >>> decode_bytes("第 11/2 號決議：各國應加強合作".encode("big5"))
    ('第 11/2 號決議：各國應加強合作', 'big5')
    >>> decode_bytes("第 11/2 号决议".encode("utf-16-be"))[1]
    'utf-16-be'
    """
    if not data.strip():
        raise InputError(path, "the file is empty")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(enc), path), enc
            except UnicodeDecodeError as exc:
                raise InputError(path, f"undecodable bytes at byte offset {exc.start} ({enc})") from None
    errors = []
    if b"\x00" not in data:  # NUL is valid UTF-8, but no text resolution holds one: UTF-16 or binary
        try:
            return _check_text(data.decode("utf-8"), path), "utf-8"
        except UnicodeDecodeError as exc:
            errors.append((exc.start, "utf-8", exc))
    enc16 = _utf16_without_bom(data)
    if enc16:
        return _check_text(data.decode(enc16), path), enc16
    if b"\x00" in data:
        raise InputError(path, "this looks like a binary file (NUL bytes, and it does not read as UTF-16 text), "
                         "not a text resolution")
    found = _best_decoding(data, _LEGACY)
    if found:
        return _check_text(found[0], path), found[1]
    try:  # GB18030 decodes nearly anything: if it does, it was not plausible
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        errors.append((exc.start, "gb18030", exc))
    # Report the decoder that got furthest: the file is most likely in that
    # encoding with a damaged byte there.
    start, enc, _ = max(errors, key=lambda e: e[0])
    line = data[:start].count(b"\n") + 1
    raise InputError(path, f"undecodable bytes at byte offset {start} (line {line}) as {enc}; "
                     "save the file as UTF-8 or GB18030", line=line)


#: What cp1252 (Windows' Latin-1) shows for the bytes 0x80-0x9f.
_CP1252 = {bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_LATIN = re.compile("[\x80-\xff" + "".join(_CP1252) + "]")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _mojibake(text: str) -> tuple[str, str] | None:
    """``(original, encoding)`` if ``text`` is Chinese text whose bytes were
    read as Latin-1 or Windows-1252 and saved again (``第`` in UTF-8 shows as
    ``ç¬¬``), else None. Evidence: more Latin-1 letters than ideographs,
    and the bytes they stand for read as Chinese text (``_plausible_share``;
    bytes cp1252 has no letter for were lost, hence the lower bar).

    >>> _mojibake("第11/2号决议：各国应加强执法合作".encode("utf-8").decode("cp1252", "replace"))[1]
    'utf-8'
    >>> _mojibake("Résolution 11/2 : coopération technique internationale") is None
    True
    """
    latin = len(_LATIN.findall(text))
    if latin < 20 or latin <= len(_IDEOGRAPH.findall(text)):
        return None
    raw = bytes(ord(ch) if ord(ch) < 0x100 else _CP1252.get(ch, 0x3F) for ch in text if ch != "\ufffd")
    for enc in ("utf-8", "gb18030"):
        original = raw.decode(enc, errors="replace")
        if len(_IDEOGRAPH.findall(original)) >= 10 and _plausible_share(original) >= 0.6:
            return original, enc
    return None


#: Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) but
#: tab, line feed, vertical tab, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _check_text(text: str, path: str | Path) -> str:
    found = _mojibake(text)
    if found:
        original, enc = found
        shown = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:12].replace("\ufffd", "?")
        meant = next((ln.strip() for ln in original.splitlines() if ln.strip()), "")[:8].replace("\ufffd", "?")
        raise InputError(path, f"this text is garbled: {'UTF-8' if enc == 'utf-8' else 'GB18030/GBK'} Chinese "
                         f"read as Latin-1/Windows-1252 and saved again ('{shown}' stands for '{meant}'); "
                         "use the file as it was before it was opened and saved that way")
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, 0.01 * len(text)):
        raise InputError(path, f"this looks like a binary file ({controls} control characters), not a text resolution")
    return text


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
