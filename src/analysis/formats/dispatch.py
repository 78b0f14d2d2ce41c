"""``extract(path)``: pick the reader by suffix, refuse what cannot be read, convert Traditional Chinese.

Contract
--------
``extract(path, settings)`` returns an ``Extracted`` for a DOCX, PDF or HTML
file (and for plain text, for symmetry); ``supported_suffixes()`` names the
suffixes it turns into text besides ``.txt``, so the reader and the pipeline
(``INPUT_SUFFIXES``) accept exactly what ``extract`` reads. Every refusal is
an ``InputError`` naming the file.

Why a module of its own
-----------------------
The dispatch is the one place that knows all three readers: it imports
``docx``, ``pdf`` and ``html``, which import only ``common``, so the imports
run in one direction (``__init__`` -> ``dispatch`` -> readers -> ``common``).
"""

from __future__ import annotations

from pathlib import Path

from ..inputs import InputError, decode_bytes
from .common import DEFAULT_SETTINGS, Extracted, FormatSettings, to_simplified
from .docx import _extract_docx
from .html import _extract_html
from .pdf import _extract_pdf

_EXTRACTORS = {".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html"}


def supported_suffixes() -> tuple[str, ...]:
    """File suffixes ``extract`` turns into text, besides plain text (``.txt``),
    which the reader decodes itself.

    >>> supported_suffixes()
    ('.docx', '.htm', '.html', '.pdf', '.xhtml')
    """
    return tuple(sorted(_EXTRACTORS))


def extract(path: str | Path, settings: FormatSettings = DEFAULT_SETTINGS) -> Extracted:
    """Extract the text of a DOCX, PDF or HTML resolution (see the package docstring,
    ``analysis.formats``).

    Raises ``InputError`` (naming the file) for an unsupported suffix, a file
    that is not what its suffix says, or one without extractable text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".text"):
        text, encoding = decode_bytes(path.read_bytes(), path)
        return _finish(text, "txt", encoding, [], settings)
    kind = _EXTRACTORS.get(suffix)
    if kind is None:
        hint = " (old binary Word format: save it as .docx)" if suffix == ".doc" else ""
        raise InputError(path, f"unsupported file type {suffix!r}{hint}; supported: .txt, "
                         + ", ".join(supported_suffixes()))
    if kind == "docx":
        text, encoding, notes = _extract_docx(path)
    elif kind == "pdf":
        text, encoding, notes = _extract_pdf(path, settings)
    else:
        text, encoding, notes = _extract_html(path)
    if not text.strip():
        raise InputError(path, f"no text found in this {kind.upper()} file")
    return _finish(text, kind, encoding, notes, settings)


def _finish(text: str, kind: str, encoding: str, notes: list[str], settings: FormatSettings) -> Extracted:
    converted = None
    if settings.convert_traditional:
        text, converted = to_simplified(text, settings)
        if converted:
            notes.append(f"Traditional Chinese converted to Simplified ({converted})")
    return Extracted(text=text, source_format=kind, encoding=encoding, converted=converted, notes=tuple(notes))
