"""Input formats: DOCX, PDF and HTML -> plain text in the shape of a TXT resolution.

Contract
--------
``extract(path) -> Extracted`` reads one DOCX, PDF or HTML file and returns
its text in the same shape as a TXT resolution saved from the UN's documents
(see ``data/raw/``):

* one paragraph per line, a blank line between paragraphs (a line break that
  the source itself puts inside a paragraph, ``<br>`` or Word's soft return,
  stays a single ``\\n``: whether it ends a paragraph is the reader's call);
* footnote references as superscript digits (``¹²³``) attached where they
  were cited (``议定书¹而``);
* footnote bodies as paragraphs of their own that open with the superscript
  mark and a space (``³ CTOC/COP/WG.2/2022/4，第 8 段。``), after the body;
* list numbering that the source generates rather than types (Word's
  ``numPr``, HTML ``<ol>``) written out as a label (``1.``, ``(a)``);
* Traditional Chinese converted to Simplified (``to_simplified``), recorded in
  ``Extracted.converted``.

Nothing that is content is dropped: page furniture (running headers and
footers, page and job numbers) and markup (scripts, navigation) are, and
``Extracted.notes`` says how much of each. The text then goes through exactly
the normalisation a TXT input gets (``analysis.read``): widths, debris, links,
wrapped lines and footnote extraction are decided there, once, for every
format. Plain text (``.txt``) is decoded by the reader itself; ``extract``
accepts it too for symmetry.

Layout
------
* ``common``: ``Extracted``, ``FormatSettings``, the character helpers every
  reader shares, Traditional -> Simplified (``to_simplified``,
  ``traditional_share``) and list labels (``format_number``);
* ``docx`` (python-docx, walked on the XML), ``pdf`` (pdfplumber: lines,
  page furniture, footnote areas, paragraphs), ``html`` (BeautifulSoup over
  lxml): one reader per format, each importing only ``common``; why each
  library was chosen is in its module;
* ``dispatch``: ``extract`` and ``supported_suffixes``, which pick the reader
  by suffix.

What the PDF reader assumes
---------------------------
A single text column per page (UN resolutions in Chinese are set that way),
horizontal text (rotated characters, such as a side barcode, are dropped and
counted), and a text layer (a scanned PDF is refused: it needs OCR).
"""

from __future__ import annotations

from .common import (DEFAULT_SETTINGS, Extracted, FormatSettings, format_number, to_simplified,
                     traditional_share)
from .dispatch import extract, supported_suffixes

__all__ = ["DEFAULT_SETTINGS", "Extracted", "FormatSettings", "extract", "format_number", "supported_suffixes",
           "to_simplified", "traditional_share"]
