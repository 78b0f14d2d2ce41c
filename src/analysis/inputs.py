"""Input bytes -> text: the reader's error type, decoding and the file hash.

Contract
--------
``decode_bytes(data, path)`` returns ``(text, encoding)`` for a text
resolution (UTF-8 with or without BOM, UTF-16/32 with a BOM, UTF-16 without
one, GB18030 and its subsets GBK/GB2312) or raises ``InputError`` naming the
file and, where it can, the line or byte. ``file_sha256`` is the identity of
an input everywhere (cache, manifest, rows).

Why a module of its own: every format reader (``analysis.formats``), the
text reader (``analysis.read``) and the overrides reader decode bytes and
report bad input the same way; keeping this here lets the flow run one way,
formats -> read -> segment, with no module importing a later one.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
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


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes in every other position."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries, in order: a BOM, UTF-16 without BOM, UTF-8, GB18030 (a superset of
    GBK and GB2312). Refuses empty and binary input, and undecodable bytes,
    naming the byte offset, instead of inserting replacement characters.

    >>> decode_bytes("第 11/2 号决议".encode("gb18030"))[1]
    'gb18030'
    """
    if not data.strip():
        raise InputError(path, "the file is empty")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(enc), path), enc
            except UnicodeDecodeError as exc:
                raise InputError(path, f"undecodable bytes at byte offset {exc.start} ({enc})") from None
    enc16 = _utf16_without_bom(data)
    if enc16:
        try:
            return _check_text(data.decode(enc16), path), enc16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise InputError(path, "this looks like a binary file (NUL bytes), not a text resolution")
    errors = []
    for enc in ("utf-8", "gb18030"):
        try:
            return _check_text(data.decode(enc), path), enc
        except UnicodeDecodeError as exc:
            errors.append((exc.start, enc, exc))
    # Report the decoder that got furthest: the file is most likely in that
    # encoding with a damaged byte there.
    start, enc, _ = max(errors, key=lambda e: e[0])
    line = data[:start].count(b"\n") + 1
    raise InputError(path, f"undecodable bytes at byte offset {start} (line {line}) as {enc}; "
                     "save the file as UTF-8 or GB18030", line=line)


def _check_text(text: str, path: str | Path) -> str:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(2, 0.01 * len(text)):
        raise InputError(path, f"this looks like a binary file ({controls} control characters), not a text resolution")
    return text


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
